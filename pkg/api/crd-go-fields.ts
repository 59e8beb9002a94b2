// How encoding/json writes the structs of a CustomResourceDefinition (apiextensions.k8s.io/v1,
// k8s.io/apiextensions-apiserver pkg/apis/apiextensions/v1/types.go at v0.32.9), which the proto
// schema of the built-in kinds does not have: each field's letter as go-omitempty.json spells them
// (see scripts/gen-go-types.ts), its JSON kind and the struct below it. omitEmptyFields walks a
// CRD by this table as it walks a built-in kind by the generated one. A JSON schema
// (JSONSchemaProps, which marshals itself) is left as it is.
import type { FieldSchema } from './schema.js';

/** [JSON name, letter, kind, struct below it (or `[]` + struct for a list of them)]. */
type Row = [string, string, 'string' | 'bool' | 'int' | 'message' | 'strings', string?];

const TABLE: Record<string, Row[]> = {
  CustomResourceDefinition: [['metadata', 'v', 'message', 'ObjectMeta'], ['spec', 'v', 'message', 'CustomResourceDefinitionSpec'], ['status', 'v', 'message', 'CustomResourceDefinitionStatus']],
  CustomResourceDefinitionSpec: [
    ['group', 'Z', 'string'],
    ['names', 'v', 'message', 'CustomResourceDefinitionNames'],
    ['scope', 'Z', 'string'],
    ['versions', 'S', 'message', '[]CustomResourceDefinitionVersion'],
    ['conversion', 'p', 'message', 'CustomResourceConversion'],
    ['preserveUnknownFields', 'z', 'bool'],
  ],
  CustomResourceDefinitionNames: [['plural', 'Z', 'string'], ['singular', 'z', 'string'], ['shortNames', 's', 'strings'], ['kind', 'Z', 'string'], ['listKind', 'z', 'string'], ['categories', 's', 'strings']],
  CustomResourceDefinitionVersion: [
    ['name', 'Z', 'string'],
    ['served', 'Z', 'bool'],
    ['storage', 'Z', 'bool'],
    ['deprecated', 'z', 'bool'],
    ['deprecationWarning', 'p', 'string'],
    ['schema', 'p', 'message', 'CustomResourceValidation'],
    ['subresources', 'p', 'message', 'CustomResourceSubresources'],
    ['additionalPrinterColumns', 's', 'message', '[]CustomResourceColumnDefinition'],
    ['selectableFields', 's', 'message', '[]SelectableField'],
  ],
  // (openAPIV3Schema: a *JSONSchemaProps, its content as sent)
  CustomResourceValidation: [['openAPIV3Schema', 'p', 'message']],
  CustomResourceSubresources: [['status', 'p', 'message'], ['scale', 'p', 'message', 'CustomResourceSubresourceScale']],
  CustomResourceSubresourceScale: [['specReplicasPath', 'Z', 'string'], ['statusReplicasPath', 'Z', 'string'], ['labelSelectorPath', 'p', 'string']],
  CustomResourceColumnDefinition: [['name', 'Z', 'string'], ['type', 'Z', 'string'], ['format', 'z', 'string'], ['description', 'z', 'string'], ['priority', 'z', 'int'], ['jsonPath', 'Z', 'string']],
  SelectableField: [['jsonPath', 'Z', 'string']],
  CustomResourceConversion: [['strategy', 'Z', 'string'], ['webhook', 'p', 'message', 'WebhookConversion']],
  // (clientConfig: the same struct as admissionregistration/v1's WebhookClientConfig, walked by its table)
  WebhookConversion: [['clientConfig', 'p', 'message', 'WebhookClientConfig'], ['conversionReviewVersions', 'S', 'strings']],
  CustomResourceDefinitionStatus: [['conditions', 'S', 'message', '[]CustomResourceDefinitionCondition'], ['acceptedNames', 'v', 'message', 'CustomResourceDefinitionNames'], ['storedVersions', 'S', 'strings']],
  CustomResourceDefinitionCondition: [['type', 'Z', 'string'], ['status', 'Z', 'string'], ['lastTransitionTime', 'T', 'string'], ['reason', 'z', 'string'], ['message', 'z', 'string'], ['observedGeneration', 'z', 'int']],
};

/** The metav1.Time fields of these structs. */
export const CRD_TIME_FIELDS = new Set(['CustomResourceDefinitionCondition.lastTransitionTime']);

/** A CRD struct's fields as [JSON name, letter, schema] (undefined: not one of them). */
export function crdGoFields(typeName: string): [string, string, FieldSchema][] | undefined {
  return TABLE[typeName]?.map(([name, letter, kind, below]) => {
    const list = below?.startsWith('[]');
    const type = list ? below!.slice(2) : below;
    const f: FieldSchema = kind === 'strings' ? { name, kind: 'string', repeated: true } : { name, kind, ...(type ? { type } : {}), ...(list ? { repeated: true } : {}) };
    return [name, letter, f];
  });
}
