// CustomResourceDefinition (apiextensions.k8s.io/v1): its shape, defaulting and validation, as
// apiextensions-apiserver's ValidateCustomResourceDefinition words it (names, scope, versions,
// one storage version, structural schemas, subresources, printer columns, conversion).
import { re2Test } from '../cel/re2-vm.js';
import { duplicate, forbidden, invalid, notSupported, required, unknownField, type FieldError } from './field-error.js';
import { isDNS1035Label, isDNS1123Subdomain } from './names.js';
import { validateAgainstSchema, type JSONSchemaProps } from './crd-schema.js';
import { validateSchemaRules } from './crd-cel.js';
import type { KubeObject } from './types.js';
import { validateObjectMeta } from './validation.js';

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

/** A structural schema: types everywhere (or preserve-unknown-fields / int-or-string), no properties beside additionalProperties. */
export function validateStructural(s: JSONSchemaProps | undefined, path: string, root = true): FieldError[] {
  const errs: FieldError[] = [];
  if (!s || typeof s !== 'object' || Array.isArray(s)) return [required(path, 'schemas are required')];
  const free = s['x-kubernetes-preserve-unknown-fields'] === true || s['x-kubernetes-int-or-string'] === true;
  if (root && s.type !== 'object') errs.push(s.type ? invalid(`${path}.type`, s.type, 'must be object at the root') : required(`${path}.type`, 'must not be empty at the root'));
  else if (!root && !s.type && !free) errs.push(required(`${path}.type`, 'must not be empty for specified object fields'));
  if (s.type && !['object', 'array', 'string', 'integer', 'number', 'boolean'].includes(s.type)) errs.push(notSupported(`${path}.type`, s.type, ['array', 'boolean', 'integer', 'number', 'object', 'string']));
  if (s.properties && s.additionalProperties !== undefined && s.additionalProperties !== false) {
    errs.push(forbidden(`${path}.additionalProperties`, 'additionalProperties and properties are mutual exclusive'));
  }
  if (s.type === 'array' && !s.items) errs.push(required(`${path}.items`, 'must be specified'));
  if (s.pattern !== undefined) {
    try {
      re2Test(s.pattern, ''); // (RE2 syntax, as Kubernetes compiles patterns)
    } catch (e) {
      errs.push(invalid(`${path}.pattern`, s.pattern, `must be a valid regular expression, but isn't: ${(e as Error).message}`));
    }
  }
  // A default must be valid against its own schema, as it is what objects will get.
  if (!root && s.default !== undefined && s.default !== null) errs.push(...validateAgainstSchema(s.default, s, `${path}.default`, false));
  for (const [k, p] of Object.entries(s.properties ?? {})) {
    if (root && k === 'metadata') {
      const extra = Object.keys(p?.properties ?? {}).filter((x) => x !== 'name' && x !== 'generateName');
      if (extra.length) errs.push(forbidden(`${path}.properties[metadata]`, 'must not specify anything other than name and generateName, but metadata is implicitly specified'));
      continue;
    }
    errs.push(...validateStructural(p, `${path}.properties[${k}]`, false));
  }
  if (isObj(s.items)) errs.push(...validateStructural(s.items, `${path}.items`, false));
  if (isObj(s.additionalProperties)) errs.push(...validateStructural(s.additionalProperties, `${path}.additionalProperties`, false));
  return errs;
}

/** A version's schema: structural, and its CEL rules compile. */
function validateSchema(s: JSONSchemaProps | undefined, path: string): FieldError[] {
  const errs = validateStructural(s, path);
  return errs.length ? errs : validateSchemaRules(s, path);
}

/**
 * Where a schema's errors are reported: Kubernetes validates its internal form, in which
 * versions that all share one schema have it once, as `spec.validation`.
 */
function sharedSchema(versions: CRDVersion[]): boolean {
  const first = JSON.stringify(versions[0]?.schema ?? null);
  return versions.length > 0 && versions.every((v) => v.schema != null && JSON.stringify(v.schema) === first);
}

function validateVersion(v: CRDVersion, path: string, shared: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (!v.name) errs.push(required(`${path}.name`));
  else errs.push(...dns1035(v.name, `${path}.name`));
  if (!shared) errs.push(...validateSchema(v.schema?.openAPIV3Schema, `${path}.schema.openAPIV3Schema`));
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
  const errs = validateObjectMeta(crd.metadata ?? {}, false, 'metadata');
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
  const g = spec.group ?? '';
  if (/(^|\.)(k8s\.io|kubernetes\.io)$/.test(g) && !crd.metadata?.annotations?.['api-approved.kubernetes.io']) {
    errs.push(required('metadata.annotations[api-approved.kubernetes.io]', 'protected groups must have approval annotation "api-approved.kubernetes.io", see https://github.com/kubernetes/enhancements/pull/1111'));
  }
  if (!spec.scope) errs.push(required('spec.scope'));
  else if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') errs.push(notSupported('spec.scope', spec.scope, ['Cluster', 'Namespaced']));
  errs.push(...validateNames(spec.names, 'spec.names'));
  const versions = spec.versions ?? [];
  if (!versions.length) errs.push(invalid('spec.versions', versions, 'must have exactly one version marked as storage version'));
  else if (versions.filter((v) => v.storage).length !== 1) errs.push(invalid('spec.versions', versions.map((v) => v.name), 'must have exactly one version marked as storage version'));
  if (versions.length && !versions.some((v) => v.served)) errs.push(invalid('spec.versions', versions.map((v) => v.name), 'must have at least one served version'));
  const seen = new Set<string>();
  const shared = sharedSchema(versions);
  if (shared) errs.push(...validateSchema(versions[0]!.schema?.openAPIV3Schema, 'spec.validation.openAPIV3Schema'));
  versions.forEach((v, i) => {
    if (v.name && seen.has(v.name)) errs.push(duplicate(`spec.versions[${i}].name`, v.name));
    seen.add(v.name);
    errs.push(...validateVersion(v, `spec.versions[${i}]`, shared));
  });
  const strategy = spec.conversion?.strategy;
  if (strategy === 'Webhook') errs.push(invalid('spec.conversion.strategy', strategy, 'webhook conversion is not supported by this server; use None'));
  else if (strategy && strategy !== 'None') errs.push(notSupported('spec.conversion.strategy', strategy, ['None', 'Webhook']));
  if (spec.preserveUnknownFields) errs.push(invalid('spec.preserveUnknownFields', true, 'cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead'));
  return errs;
}

export function validateCRDUpdate(crd: CustomResourceDefinition, old: CustomResourceDefinition): FieldError[] {
  const errs = validateCRD(crd);
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
