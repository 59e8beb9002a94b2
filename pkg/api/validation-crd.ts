// CustomResourceDefinition (apiextensions.k8s.io/v1): its shape, defaulting and validation, as
// apiextensions-apiserver's ValidateCustomResourceDefinition words it (names, scope, versions,
// one storage version, structural schemas, subresources, printer columns, conversion).
import { duplicate, invalid, notSupported, required, typeInvalid, unknownField, type FieldError } from './field-error.js';
import { isDNS1035Label, isDNS1123Subdomain } from './names.js';
import type { JSONSchemaProps } from './crd-schema.js';
import { validateSchemaRules } from './crd-cel.js';
import { STRICT_SCHEMA_OPTIONS, schemaOptionsForUpdate, validateCRDSchema, type SchemaOptions } from './validation-crd-structural.js';
import type { KubeObject } from './types.js';
import { validateGenericObjectMeta } from './validation-meta.js';
import { isObject } from './json-object.js';

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

/**
 * The Go shape of a CRD body, as apiextensions/v1's types.go has it: a struct (its Go name in
 * `$go`, its fields by JSON name), a list of one (`[struct]`), a JSON schema ('schema', a list
 * 'schemas', a map 'schemaMap') or a value of a Go type. A value of the wrong JSON type is told
 * as encoding/json tells it (`json: cannot unmarshal array into Go struct field
 * CustomResourceDefinitionNames.spec.names.kind of type string`): it was a crash further on.
 */
type Leaf = 'string' | 'bool' | 'int32' | 'int64' | 'float64' | '[]string' | '[]uint8' | 'json' | 'v1.Time' | `v1.${string}`;
type Shape = { $go: string } & { [k: string]: Shape | Leaf | 'schema' | 'schemas' | 'schemaMap' | 'schemaOrBool' | 'schemaOrArray' | [Shape] | string };
const NAMES: Shape = { $go: 'CustomResourceDefinitionNames', plural: 'string', singular: 'string', kind: 'string', listKind: 'string', shortNames: '[]string', categories: '[]string' };
const CONDITION: Shape = { $go: 'CustomResourceDefinitionCondition', type: 'v1.CustomResourceDefinitionConditionType', status: 'v1.ConditionStatus', lastTransitionTime: 'v1.Time', reason: 'string', message: 'string', observedGeneration: 'int64' };
const VERSION: Shape = {
  $go: 'CustomResourceDefinitionVersion',
  name: 'string',
  served: 'bool',
  storage: 'bool',
  deprecated: 'bool',
  deprecationWarning: 'string',
  schema: { $go: 'CustomResourceValidation', openAPIV3Schema: 'schema' },
  subresources: { $go: 'CustomResourceSubresources', status: { $go: 'CustomResourceSubresourceStatus' }, scale: { $go: 'CustomResourceSubresourceScale', specReplicasPath: 'string', statusReplicasPath: 'string', labelSelectorPath: 'string' } },
  additionalPrinterColumns: [{ $go: 'CustomResourceColumnDefinition', name: 'string', type: 'string', format: 'string', description: 'string', priority: 'int32', jsonPath: 'string' }],
  selectableFields: [{ $go: 'SelectableField', jsonPath: 'string' }],
};
const WEBHOOK_CONFIG: Shape = {
  $go: 'WebhookConversion',
  clientConfig: { $go: 'WebhookClientConfig', url: 'string', caBundle: '[]uint8', service: { $go: 'ServiceReference', namespace: 'string', name: 'string', path: 'string', port: 'int32' } },
  conversionReviewVersions: '[]string',
};
const CRD_SHAPE: Shape = {
  $go: 'CustomResourceDefinition',
  spec: { $go: 'CustomResourceDefinitionSpec', group: 'string', names: NAMES, scope: 'v1.ResourceScope', versions: [VERSION], conversion: { $go: 'CustomResourceConversion', strategy: 'v1.ConversionStrategyType', webhook: WEBHOOK_CONFIG }, preserveUnknownFields: 'bool' },
  status: { $go: 'CustomResourceDefinitionStatus', conditions: [CONDITION], acceptedNames: NAMES, storedVersions: '[]string' },
};
const SCHEMA: Shape = {
  $go: 'JSONSchemaProps',
  id: 'string', $schema: 'v1.JSONSchemaURL', $ref: 'string', description: 'string', type: 'string', format: 'string', title: 'string', default: 'json',
  maximum: 'float64', exclusiveMaximum: 'bool', minimum: 'float64', exclusiveMinimum: 'bool', maxLength: 'int64', minLength: 'int64', pattern: 'string',
  maxItems: 'int64', minItems: 'int64', uniqueItems: 'bool', multipleOf: 'float64', enum: 'json', maxProperties: 'int64', minProperties: 'int64', required: '[]string',
  example: 'json', nullable: 'bool', externalDocs: { $go: 'ExternalDocumentation', description: 'string', url: 'string' },
  'x-kubernetes-preserve-unknown-fields': 'bool', 'x-kubernetes-embedded-resource': 'bool', 'x-kubernetes-int-or-string': 'bool', 'x-kubernetes-list-map-keys': '[]string',
  'x-kubernetes-list-type': 'string', 'x-kubernetes-map-type': 'string',
  'x-kubernetes-validations': [{ $go: 'ValidationRule', rule: 'string', message: 'string', messageExpression: 'string', reason: 'v1.FieldValueErrorReason', fieldPath: 'string', optionalOldSelf: 'bool' }],
  properties: 'schemaMap', patternProperties: 'schemaMap', definitions: 'schemaMap', dependencies: 'json',
  items: 'schemaOrArray', additionalProperties: 'schemaOrBool', additionalItems: 'schemaOrBool', allOf: 'schemas', anyOf: 'schemas', oneOf: 'schemas', not: 'schema',
};

/** A JSON value as Go's decoder names it in an UnmarshalTypeError. */
const goValue = (v: unknown) => (Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'bool' : typeof v === 'object' ? 'object' : typeof v);

/**
 * Whether a JSON value decodes into a Go value of type `t` (null always does): undefined if it
 * does, else how Go's decoder names the value (a number that is no int32: `number 1.5`).
 */
function misfit(v: unknown, t: Leaf): string | undefined {
  if (v === null || t === 'json') return undefined;
  if (t === 'bool') return typeof v === 'boolean' ? undefined : goValue(v);
  if (t === 'int32' || t === 'int64') {
    if (typeof v !== 'number') return goValue(v);
    return Number.isSafeInteger(v) && (t === 'int64' || (v >= -(2 ** 31) && v < 2 ** 31)) ? undefined : `number ${String(v)}`;
  }
  if (t === 'float64') return typeof v === 'number' ? undefined : goValue(v);
  return typeof v === 'string' ? undefined : goValue(v);
}

function walkShape(v: unknown, shape: Shape, path: string, goPath: string, errs: FieldError[]): void {
  if (!isObject(v)) return;
  const typeError = (p: string, value: unknown, gp: string, type: string, named = goValue(value)) =>
    errs.push(typeInvalid(p, value, `json: cannot unmarshal ${named} into Go struct field ${shape.$go}.${gp} of type ${type}`));
  // (a null element of a list is its Go zero value, as in decodeStrict)
  const zeroNulls = (list: unknown[], zero: unknown) => list.forEach((c, i) => c === null && (list[i] = structuredClone(zero)));
  for (const [k, child] of Object.entries(v)) {
    const p = path ? `${path}.${k}` : k;
    const gp = goPath ? `${goPath}.${k}` : k;
    const s = k === '$go' ? undefined : shape[k];
    if (s === undefined) {
      errs.push(unknownField(p));
      continue;
    }
    if (child === null) continue;
    if (s === 'schema' || s === 'schemaOrBool' || s === 'schemaOrArray') {
      // (JSONSchemaPropsOrBool and OrArray unmarshal a bool, or a list of schemas, as well)
      if (s === 'schemaOrBool' && typeof child === 'boolean') continue;
      if (s === 'schemaOrArray' && Array.isArray(child)) child.forEach((c, i) => (isObject(c) ? walkShape(c, SCHEMA, `${p}[${i}]`, gp, errs) : typeError(`${p}[${i}]`, c, gp, 'v1.JSONSchemaProps')));
      else if (isObject(child)) walkShape(child, SCHEMA, p, gp, errs);
      else typeError(p, child, gp, s === 'schema' ? 'v1.JSONSchemaProps' : s === 'schemaOrBool' ? 'v1.JSONSchemaPropsOrBool' : 'v1.JSONSchemaPropsOrArray');
    } else if (s === 'schemas') {
      if (!Array.isArray(child)) typeError(p, child, gp, '[]v1.JSONSchemaProps');
      else zeroNulls(child, {});
      if (Array.isArray(child)) child.forEach((c, i) => (isObject(c) ? walkShape(c, SCHEMA, `${p}[${i}]`, gp, errs) : typeError(`${p}[${i}]`, c, gp, 'v1.JSONSchemaProps')));
    } else if (s === 'schemaMap') {
      if (!isObject(child)) typeError(p, child, gp, 'map[string]v1.JSONSchemaProps');
      else {
        for (const [mk, mv] of Object.entries(child)) {
          if (mv === null) child[mk] = {};
          else if (isObject(mv)) walkShape(mv, SCHEMA, `${p}.${mk}`, gp, errs);
          else typeError(`${p}.${mk}`, mv, gp, 'v1.JSONSchemaProps');
        }
      }
    } else if (Array.isArray(s)) {
      const item = s[0];
      if (!Array.isArray(child)) typeError(p, child, gp, `[]v1.${item.$go}`);
      else zeroNulls(child, {});
      if (Array.isArray(child)) child.forEach((c, i) => (isObject(c) ? walkShape(c, item, `${p}[${i}]`, gp, errs) : typeError(`${p}[${i}]`, c, gp, `v1.${item.$go}`)));
    } else if (typeof s === 'object') {
      if (!isObject(child)) typeError(p, child, gp, `v1.${s.$go}`);
      else walkShape(child, s, p, gp, errs);
    } else if (s === '[]string') {
      if (!Array.isArray(child)) typeError(p, child, gp, s);
      else zeroNulls(child, '');
      if (Array.isArray(child)) child.forEach((c, i) => typeof c !== 'string' && typeError(`${p}[${i}]`, c, gp, 'string'));
    } else {
      const named = misfit(child, s as Leaf);
      if (named) typeError(p, child, gp, s, named);
    }
  }
}

/** Unknown fields and mistyped values of a CustomResourceDefinition body outside metadata (which ObjectMeta decoding checks). */
export function unknownCRDFields(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const { apiVersion: _a, kind: _k, metadata: _m, ...rest } = obj;
  walkShape(rest, CRD_SHAPE, '', '', errs);
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
