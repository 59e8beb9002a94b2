// CustomResourceDefinition (apiextensions.k8s.io/v1): its shape, defaulting and validation, as
// apiextensions-apiserver's ValidateCustomResourceDefinition words it (names, scope, versions,
// one storage version, structural schemas, subresources, printer columns, conversion).
import { duplicate, invalid, notSupported, required, unknownField, type FieldError } from './field-error.js';
import { isDNS1035Label, isDNS1123Subdomain } from './names.js';
import type { JSONSchemaProps } from './crd-schema.js';
import { validateSchemaRules } from './crd-cel.js';
import { STRICT_SCHEMA_OPTIONS, schemaOptionsForUpdate, validateCRDSchema, type SchemaOptions } from './validation-crd-structural.js';
import type { KubeObject } from './types.js';
import { validateGenericObjectMeta } from './validation-meta.js';

export interface CRDNames {
  plural?: string;
  singular?: string;
  kind?: string;
  listKind?: string;
  shortNames?: string[];
  categories?: string[];
}

export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

export interface CRDVersion {
  name: string;
  served: boolean;
  storage: boolean;
  deprecated?: boolean;
  deprecationWarning?: string;
  schema?: { openAPIV3Schema?: JSONSchemaProps };
  subresources?: { status?: Record<string, never>; scale?: ScaleSubresource };
  additionalPrinterColumns?: PrinterColumn[];
  /** Fields a field selector may name (CustomResourceFieldSelectors, GA in 1.32): simple JSON paths to scalars. */
  selectableFields?: { jsonPath?: string }[];
}

export interface CRDCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface CustomResourceDefinition extends KubeObject {
  spec: {
    group: string;
    names: CRDNames;
    scope: string;
    versions: CRDVersion[];
    conversion?: { strategy: string; webhook?: unknown };
    preserveUnknownFields?: boolean;
  };
  status?: { conditions?: CRDCondition[]; acceptedNames?: CRDNames; storedVersions?: string[] };
}

export const CRD_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

// ---- strict decoding ----

type Shape = { [k: string]: Shape | 'leaf' | 'schema' | 'schemas' | 'schemaMap' | [Shape] };
const NAMES: Shape = { plural: 'leaf', singular: 'leaf', kind: 'leaf', listKind: 'leaf', shortNames: 'leaf', categories: 'leaf' };
const CONDITION: Shape = { type: 'leaf', status: 'leaf', lastTransitionTime: 'leaf', reason: 'leaf', message: 'leaf', observedGeneration: 'leaf' };
const VERSION: Shape = {
  name: 'leaf',
  served: 'leaf',
  storage: 'leaf',
  deprecated: 'leaf',
  deprecationWarning: 'leaf',
  schema: { openAPIV3Schema: 'schema' },
  subresources: { status: {}, scale: { specReplicasPath: 'leaf', statusReplicasPath: 'leaf', labelSelectorPath: 'leaf' } },
  additionalPrinterColumns: [{ name: 'leaf', type: 'leaf', format: 'leaf', description: 'leaf', priority: 'leaf', jsonPath: 'leaf' }],
  selectableFields: [{ jsonPath: 'leaf' }],
};
const WEBHOOK_CONFIG: Shape = { clientConfig: { url: 'leaf', caBundle: 'leaf', service: { namespace: 'leaf', name: 'leaf', path: 'leaf', port: 'leaf' } }, conversionReviewVersions: 'leaf' };
const CRD_SHAPE: Shape = {
  spec: { group: 'leaf', names: NAMES, scope: 'leaf', versions: [VERSION], conversion: { strategy: 'leaf', webhook: WEBHOOK_CONFIG }, preserveUnknownFields: 'leaf' },
  status: { conditions: [CONDITION], acceptedNames: NAMES, storedVersions: 'leaf' },
};
const SCHEMA_LEAVES = [
  'id', '$schema', '$ref', 'description', 'type', 'format', 'title', 'default', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum', 'maxLength', 'minLength', 'pattern',
  'maxItems', 'minItems', 'uniqueItems', 'multipleOf', 'enum', 'maxProperties', 'minProperties', 'required', 'example', 'nullable', 'externalDocs',
  'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource', 'x-kubernetes-int-or-string', 'x-kubernetes-list-map-keys', 'x-kubernetes-list-type',
  'x-kubernetes-map-type', 'x-kubernetes-validations',
];
const SCHEMA: Shape = Object.fromEntries(SCHEMA_LEAVES.map((k) => [k, 'leaf' as const]));
const RULE: Shape = { rule: 'leaf', message: 'leaf', messageExpression: 'leaf', reason: 'leaf', fieldPath: 'leaf', optionalOldSelf: 'leaf' };
Object.assign(SCHEMA, { 'x-kubernetes-validations': [RULE], properties: 'schemaMap', patternProperties: 'schemaMap', definitions: 'schemaMap', dependencies: 'leaf', items: 'schema', additionalProperties: 'schema', additionalItems: 'schema', allOf: 'schemas', anyOf: 'schemas', oneOf: 'schemas', not: 'schema' });

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function walkShape(v: unknown, shape: Shape, path: string, errs: FieldError[]): void {
  if (!isObj(v)) return;
  for (const [k, child] of Object.entries(v)) {
    const p = path ? `${path}.${k}` : k;
    const s = shape[k];
    if (s === undefined) errs.push(unknownField(p));
    else if (s === 'schema') walkShape(child, SCHEMA, p, errs);
    else if (s === 'schemas') (Array.isArray(child) ? child : []).forEach((c, i) => walkShape(c, SCHEMA, `${p}[${i}]`, errs));
    else if (s === 'schemaMap') for (const [mk, mv] of Object.entries(isObj(child) ? child : {})) walkShape(mv, SCHEMA, `${p}.${mk}`, errs);
    else if (Array.isArray(s)) (Array.isArray(child) ? child : []).forEach((c, i) => walkShape(c, s[0], `${p}[${i}]`, errs));
    else if (s !== 'leaf') walkShape(child, s, p, errs);
  }
}

/** Unknown fields of a CustomResourceDefinition body outside metadata (which ObjectMeta decoding checks). */
export function unknownCRDFields(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const { apiVersion: _a, kind: _k, metadata: _m, ...rest } = obj;
  walkShape(rest, CRD_SHAPE, '', errs);
  return errs;
}

// ---- defaulting ----

export function defaultCRD(crd: CustomResourceDefinition): void {
  const spec = (crd.spec ??= {} as CustomResourceDefinition['spec']);
  const names = (spec.names ??= {});
  if (names.kind && !names.singular) names.singular = names.kind.toLowerCase();
  if (names.kind && !names.listKind) names.listKind = `${names.kind}List`;
  spec.conversion ??= { strategy: 'None' };
  spec.conversion.strategy ||= 'None';
}

// ---- validation ----

const dns1035 = (v: string | undefined, path: string): FieldError[] => (v ? isDNS1035Label(v).map((m) => invalid(path, v, m)) : []);

function validateNames(n: CRDNames | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!n?.plural) errs.push(required(`${path}.plural`));
  else errs.push(...dns1035(n.plural, `${path}.plural`));
  if (!n?.singular) errs.push(required(`${path}.singular`));
  else errs.push(...dns1035(n.singular, `${path}.singular`));
  if (!n?.kind) errs.push(required(`${path}.kind`));
  else errs.push(...dns1035(n.kind.toLowerCase(), `${path}.kind`));
  if (!n?.listKind) errs.push(required(`${path}.listKind`));
  else errs.push(...dns1035(n.listKind.toLowerCase(), `${path}.listKind`));
  if (n?.kind && n.kind === n.listKind) errs.push(invalid(`${path}.listKind`, n.listKind, 'kind and listKind may not be the same'));
  (n?.shortNames ?? []).forEach((s, i) => errs.push(...(s ? dns1035(s, `${path}.shortNames[${i}]`) : [required(`${path}.shortNames[${i}]`)])));
  (n?.categories ?? []).forEach((s, i) => errs.push(...(s ? dns1035(s, `${path}.categories[${i}]`) : [required(`${path}.categories[${i}]`)])));
  return errs;
}

/**
 * A version's schema (at `path`, `spec.validation` or `spec.versions[i].schema`): the OpenAPI
 * subset, structural, valid defaults; then, when it is all that, its CEL rules compile.
 */
function validateSchema(s: JSONSchemaProps, path: string, statusEnabled: boolean, opts: SchemaOptions): FieldError[] {
  const { errs, structural } = validateCRDSchema(s, path, statusEnabled, opts);
  return errs.length || !structural ? errs : validateSchemaRules(s, `${path}.openAPIV3Schema`);
}

/**
 * Where a schema's errors are reported: Kubernetes validates its internal form, in which
 * versions that all share one schema have it once, as `spec.validation`.
 */
function sharedSchema(versions: CRDVersion[]): boolean {
  const first = JSON.stringify(versions[0]?.schema ?? null);
  return versions.length > 0 && versions.every((v) => v.schema != null && JSON.stringify(v.schema) === first);
}

function validateVersion(v: CRDVersion, path: string, shared: boolean, opts: SchemaOptions): FieldError[] {
  const errs: FieldError[] = [];
  if (!v.name) errs.push(required(`${path}.name`));
  else errs.push(...dns1035(v.name, `${path}.name`));
  const schema = v.schema?.openAPIV3Schema;
  if (!shared && schema) errs.push(...validateSchema(schema, `${path}.schema`, v.subresources?.status != null, opts));
  const scale = v.subresources?.scale;
  if (scale) {
    const sp = `${path}.subresources.scale`;
    if (!scale.specReplicasPath) errs.push(required(`${sp}.specReplicasPath`));
    else if (!scale.specReplicasPath.startsWith('.spec.')) errs.push(invalid(`${sp}.specReplicasPath`, scale.specReplicasPath, 'should be a json path under .spec'));
    if (!scale.statusReplicasPath) errs.push(required(`${sp}.statusReplicasPath`));
    else if (!scale.statusReplicasPath.startsWith('.status.')) errs.push(invalid(`${sp}.statusReplicasPath`, scale.statusReplicasPath, 'should be a json path under .status'));
    const ls = scale.labelSelectorPath;
    if (ls && !ls.startsWith('.spec.') && !ls.startsWith('.status.')) errs.push(invalid(`${sp}.labelSelectorPath`, ls, 'should be a json path under either .spec or .status'));
  }
  (v.additionalPrinterColumns ?? []).forEach((c, i) => {
    const cp = `${path}.additionalPrinterColumns[${i}]`;
    if (!c.name) errs.push(required(`${cp}.name`));
    if (!c.type) errs.push(required(`${cp}.type`));
    else if (!['integer', 'number', 'string', 'boolean', 'date'].includes(c.type)) errs.push(notSupported(`${cp}.type`, c.type, ['integer', 'number', 'string', 'boolean', 'date']));
    if (!c.jsonPath) errs.push(required(`${cp}.JSONPath`));
  });
  errs.push(...validateSelectableFields(v.selectableFields, v.schema?.openAPIV3Schema, `${path}.selectableFields`));
  return errs;
}

/** A simple JSON path's fields (`.spec.color` → spec, color); undefined when it is not one. */
export function simpleJsonPath(p: string): string[] | undefined {
  if (!/^(\.[A-Za-z0-9_-]+)+$/.test(p)) return undefined;
  return p.slice(1).split('.');
}

/** ValidateCustomResourceSelectableFields: at most 8, each a simple path, once, to a string, boolean or integer of the schema. */
function validateSelectableFields(fields: CRDVersion['selectableFields'], schema: JSONSchemaProps | undefined, path: string): FieldError[] {
  if (!fields?.length) return [];
  const errs: FieldError[] = [];
  if (fields.length > 8) errs.push({ type: 'FieldValueTooMany', field: path, badValue: fields.length, detail: 'must have at most 8 items' });
  const seen = new Set<string>();
  fields.forEach((f, i) => {
    const fp = `${path}[${i}].jsonPath`;
    if (!f.jsonPath) return void errs.push(required(fp));
    const parts = simpleJsonPath(f.jsonPath);
    if (!parts) return void errs.push(invalid(fp, f.jsonPath, 'is an invalid path: must be a simple json path starting with .'));
    if (seen.has(f.jsonPath)) errs.push({ type: 'FieldValueDuplicate', field: fp, badValue: f.jsonPath, detail: '' });
    seen.add(f.jsonPath);
    if (!schema) return;
    let s: JSONSchemaProps | undefined = schema;
    for (const part of parts) s = s?.properties?.[part];
    if (!s) errs.push(invalid(fp, f.jsonPath, 'is an invalid path: does not refer to a valid field'));
    else if (!['string', 'boolean', 'integer'].includes(s.type ?? '')) errs.push(invalid(fp, f.jsonPath, 'must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.'));
  });
  return errs;
}

export function validateCRD(crd: CustomResourceDefinition): FieldError[] {
  return validateCRDWith(crd, { schema: STRICT_SCHEMA_OPTIONS, requireOpenAPISchema: true });
}

/** ValidateCustomResourceDefinition's checks, in its order (metadata, spec, then the API approval and preserveUnknownFields). */
function validateCRDWith(crd: CustomResourceDefinition, opts: { schema: SchemaOptions; requireOpenAPISchema: boolean }): FieldError[] {
  // (apiextensions validates metadata with apimachinery's checks: no standard-finalizer rule)
  const errs = validateGenericObjectMeta(crd.metadata ?? {}, false, 'metadata');
  const spec = crd.spec ?? ({} as CustomResourceDefinition['spec']);
  const name = crd.metadata?.name ?? '';
  if (spec.names?.plural && spec.group && name !== `${spec.names.plural}.${spec.group}`) {
    errs.push(invalid('metadata.name', name, 'must be spec.names.plural+"."+spec.group'));
  }
  if (!spec.group) errs.push(required('spec.group'));
  else {
    errs.push(...isDNS1123Subdomain(spec.group).map((m) => invalid('spec.group', spec.group, m)));
    if (!spec.group.includes('.')) errs.push(invalid('spec.group', spec.group, 'should be a domain with at least one dot'));
  }
  if (!spec.scope) errs.push(required('spec.scope'));
  else if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') errs.push(notSupported('spec.scope', spec.scope, ['Cluster', 'Namespaced']));
  const versions = spec.versions ?? [];
  // Without a schema every field would be pruned; a definition stored without one keeps that for its unserved versions.
  versions.forEach((v, i) => {
    if (v.schema?.openAPIV3Schema) return;
    if (opts.requireOpenAPISchema) errs.push(required(`spec.versions[${i}].schema.openAPIV3Schema`, 'schemas are required'));
    else if (v.served) errs.push(required(`spec.versions[${i}].schema.openAPIV3Schema`, 'because otherwise all fields are pruned'));
  });
  const seen = new Set<string>();
  const shared = sharedSchema(versions);
  versions.forEach((v, i) => {
    if (v.name && seen.has(v.name)) errs.push(duplicate(`spec.versions[${i}].name`, v.name));
    seen.add(v.name);
    errs.push(...validateVersion(v, `spec.versions[${i}]`, shared, opts.schema));
  });
  if (!versions.length) errs.push(invalid('spec.versions', versions, 'must have exactly one version marked as storage version'));
  else if (versions.filter((v) => v.storage).length !== 1) errs.push(invalid('spec.versions', versions.map((v) => v.name), 'must have exactly one version marked as storage version'));
  if (versions.length && !versions.some((v) => v.served)) errs.push(invalid('spec.versions', versions.map((v) => v.name), 'must have at least one served version'));
  errs.push(...validateNames(spec.names, 'spec.names'));
  // (a shared schema is the internal form's spec.validation, told after the names; its status check is any version's)
  const sharedOne = shared ? versions[0]!.schema?.openAPIV3Schema : undefined;
  if (sharedOne) errs.push(...validateSchema(sharedOne, 'spec.validation', versions.some((v) => v.subresources?.status != null), opts.schema));
  const strategy = spec.conversion?.strategy;
  if (strategy === 'Webhook') errs.push(invalid('spec.conversion.strategy', strategy, 'webhook conversion is not supported by this server; use None'));
  else if (strategy && strategy !== 'None') errs.push(notSupported('spec.conversion.strategy', strategy, ['None', 'Webhook']));
  const g = spec.group ?? '';
  if (/(^|\.)(k8s\.io|kubernetes\.io)$/.test(g) && !crd.metadata?.annotations?.['api-approved.kubernetes.io']) {
    errs.push(required('metadata.annotations[api-approved.kubernetes.io]', 'protected groups must have approval annotation "api-approved.kubernetes.io", see https://github.com/kubernetes/enhancements/pull/1111'));
  }
  if (spec.preserveUnknownFields) errs.push(invalid('spec.preserveUnknownFields', true, 'cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead'));
  return errs;
}

export function validateCRDUpdate(crd: CustomResourceDefinition, old: CustomResourceDefinition): FieldError[] {
  const oldVersions = old.spec?.versions ?? [];
  const errs = validateCRDWith(crd, {
    schema: schemaOptionsForUpdate(oldVersions.map((v) => v.schema?.openAPIV3Schema)),
    requireOpenAPISchema: oldVersions.every((v) => v.schema?.openAPIV3Schema != null),
  });
  if (old.spec?.scope && crd.spec?.scope !== old.spec.scope) errs.push(invalid('spec.scope', crd.spec?.scope, 'field is immutable'));
  if (old.spec?.group && crd.spec?.group !== old.spec.group) errs.push(invalid('spec.group', crd.spec?.group, 'field is immutable'));
  // A version whose objects may still be in etcd cannot be dropped.
  for (const sv of crd.status?.storedVersions ?? []) {
    if (!(crd.spec?.versions ?? []).some((v) => v.name === sv)) errs.push(invalid('status.storedVersions', crd.status?.storedVersions, `must have the same version ${sv} in spec.versions`));
  }
  return errs;
}

/** The version whose form is stored in etcd. */
export const storageVersionOf = (crd: CustomResourceDefinition): string | undefined => crd.spec?.versions?.find((v) => v.storage)?.name;
