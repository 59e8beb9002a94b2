// Custom resources against their version's structural openAPIV3Schema, as apiextensions-apiserver
// treats them: unknown fields are pruned (and named, for fieldValidation), `default`s filled in,
// then values validated (type, enum, pattern, bounds, lengths, required, ...) with Kubernetes'
// field paths and wording (`spec.replicas: Invalid value: "string": spec.replicas in body must be
// of type integer: "string"`, the bad value being the JSON type, as kube-openapi reports it).
import { re2Test } from '../cel/re2-vm.js';
import { invalid, notSupported, required, tooMany, type FieldError } from './field-error.js';
import { deepEqual } from './json-equal.js';
import { canonicalJson } from './fieldpath.js';
import { isObject } from './json-object.js';

/** JSONSchemaProps (apiextensions.k8s.io/v1), the subset a structural schema uses. */
export interface JSONSchemaProps {
  type?: string;
  format?: string;
  description?: string;
  title?: string;
  properties?: Record<string, JSONSchemaProps>;
  required?: string[];
  items?: JSONSchemaProps;
  additionalProperties?: boolean | JSONSchemaProps;
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
  nullable?: boolean;
  default?: unknown;
  allOf?: JSONSchemaProps[];
  anyOf?: JSONSchemaProps[];
  oneOf?: JSONSchemaProps[];
  not?: JSONSchemaProps;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: string;
  'x-kubernetes-validations'?: ValidationRule[];
}

/** A CEL rule of `x-kubernetes-validations` (evaluated by crd-cel.ts). */
export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);
const ROOT_META = new Set(['apiVersion', 'kind', 'metadata']);

/** The schema of a property of an object node, or undefined when it is not declared. */
function propertySchema(s: JSONSchemaProps, key: string): JSONSchemaProps | undefined {
  if (s.properties?.[key]) return s.properties[key];
  if (isObject(s.additionalProperties)) return s.additionalProperties as JSONSchemaProps;
  return undefined;
}

const keepsUnknown = (s: JSONSchemaProps) => s['x-kubernetes-preserve-unknown-fields'] === true || s.additionalProperties === true;

/**
 * Removes the fields `schema` does not declare from `obj` (in place) and returns their paths.
 * apiVersion, kind and metadata are kept at the root and in embedded resources.
 */
export function prune(obj: unknown, schema: JSONSchemaProps | undefined, root = true): string[] {
  const unknown: string[] = [];
  if (schema) pruneNode(obj, schema, '', root, unknown);
  return unknown;
}

function pruneNode(v: unknown, s: JSONSchemaProps, path: string, isResource: boolean, unknown: string[]): void {
  if (Array.isArray(v)) {
    if (s.items) v.forEach((item, i) => pruneNode(item, s.items!, `${path}[${i}]`, s.items!['x-kubernetes-embedded-resource'] === true, unknown));
    return;
  }
  if (!isObject(v)) return;
  for (const key of Object.keys(v)) {
    if (isResource && ROOT_META.has(key)) continue;
    const child = propertySchema(s, key);
    if (child) {
      pruneNode(v[key], child, join(path, key), child['x-kubernetes-embedded-resource'] === true, unknown);
    } else if (!keepsUnknown(s)) {
      unknown.push(join(path, key));
      delete v[key];
    }
  }
}

/** Fills `default`s where a value is absent (or null where null is not allowed), in place. */
export function applyDefaults(v: unknown, s: JSONSchemaProps | undefined): void {
  if (!s) return;
  if (Array.isArray(v)) {
    if (s.items) for (const item of v) applyDefaults(item, s.items);
    return;
  }
  if (!isObject(v)) return;
  for (const [key, ps] of Object.entries(s.properties ?? {})) {
    if (ps.default !== undefined && (v[key] === undefined || (v[key] === null && !ps.nullable))) v[key] = structuredClone(ps.default);
    // (PruneNonNullableNullsWithoutDefaults: a null where null is not allowed and nothing replaces it is dropped, not refused)
    else if (v[key] === null && !ps.nullable && ps.default === undefined) delete v[key];
  }
  for (const [key, child] of Object.entries(v)) {
    const cs = propertySchema(s, key);
    if (cs) applyDefaults(child, cs);
  }
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(type: string, v: unknown): boolean {
  switch (type) {
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'boolean':
      return typeof v === 'boolean';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    default:
      return true;
  }
}

const fmtEnum = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * Validates `v` (a custom resource, or part of one at `path`) against `s`; the root's
 * apiVersion, kind and metadata are the generic object checks' business.
 */
/**
 * `old` (an update's stored object) ratchets, as CRDValidationRatcheting (on in 1.32): a value
 * unchanged since the old object — correlated by property, by key in a list of type map, by value
 * in a set — is not refused, so that a schema tightened after objects were stored does not
 * block updates of their other fields.
 */
export function validateAgainstSchema(v: unknown, s: JSONSchemaProps | undefined, path = '', isResource = true, old?: unknown): FieldError[] {
  const errs: FieldError[] = [];
  if (s) validateNode(v, s, path, isResource, errs, old === undefined ? undefined : { v: old });
  return errs;
}

/** The old value correlated with an item of a list: by its keys in a list of type map, by value in a set. */
function correlatedItem(item: unknown, s: JSONSchemaProps, old: unknown): { v: unknown } | undefined {
  if (!Array.isArray(old)) return undefined;
  if (s['x-kubernetes-list-type'] === 'set') return old.some((o) => deepEqual(o, item)) ? { v: item } : undefined;
  const keys = s['x-kubernetes-list-map-keys'];
  if (s['x-kubernetes-list-type'] !== 'map' || !keys?.length || !isObject(item)) return undefined;
  const found = old.find((o) => isObject(o) && keys.every((k) => deepEqual(o[k], item[k])));
  return found === undefined ? undefined : { v: found };
}

function validateNode(v: unknown, s: JSONSchemaProps, path: string, isResource: boolean, errs: FieldError[], old?: { v: unknown }): void {
  // (ratcheting: nothing unchanged is refused)
  if (old && deepEqual(v, old.v)) return;
  const where = path || '<root>';
  if (v === null) {
    if (!s.nullable && s.type && !s['x-kubernetes-preserve-unknown-fields']) errs.push(invalid(where, 'null', `${where} in body must be of type ${s.type}: "null"`));
    return;
  }
  if (s['x-kubernetes-int-or-string']) {
    if (!(typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v)))) {
      errs.push(invalid(where, jsonType(v), `${where} in body must be of type integer,string: "${jsonType(v)}"`));
      return;
    }
  } else if (s.type && !typeMatches(s.type, v)) {
    errs.push(invalid(where, jsonType(v), `${where} in body must be of type ${s.type}: "${jsonType(v)}"`));
    return;
  }
  if (s.enum?.length && !s.enum.some((e) => deepEqual(e, v))) errs.push(notSupported(where, v, s.enum.map(fmtEnum)));
  if (typeof v === 'string') validateString(v, s, where, errs);
  if (typeof v === 'number') validateNumber(v, s, where, errs);
  if (Array.isArray(v)) {
    if (s.maxItems !== undefined && v.length > s.maxItems) errs.push(tooMany(where, v.length, s.maxItems));
    if (s.minItems !== undefined && v.length < s.minItems) errs.push(invalid(where, v.length, `${where} in body should have at least ${s.minItems} items`));
    if (s.uniqueItems && new Set(v.map(canonicalJson)).size !== v.length) errs.push({ type: 'FieldValueDuplicate', field: where, badValue: v, detail: '' });
    listDuplicates(v, s, path, errs);
    if (s.items) v.forEach((item, i) => validateNode(item, s.items!, `${path}[${i}]`, s.items!['x-kubernetes-embedded-resource'] === true, errs, old ? correlatedItem(item, s, old.v) : undefined));
  }
  if (isObject(v)) {
    const n = Object.keys(v).length;
    if (s.maxProperties !== undefined && n > s.maxProperties) errs.push(tooMany(where, n, s.maxProperties));
    if (s.minProperties !== undefined && n < s.minProperties) errs.push(invalid(where, n, `${where} in body should have at least ${s.minProperties} properties`));
    for (const k of s.required ?? []) if (v[k] === undefined) errs.push(required(join(path, k)));
    if (s['x-kubernetes-embedded-resource']) {
      if (!v.apiVersion) errs.push(required(join(path, 'apiVersion'), 'must not be empty'));
      if (!v.kind) errs.push(required(join(path, 'kind'), 'must not be empty'));
    }
    for (const [k, child] of Object.entries(v)) {
      if (isResource && ROOT_META.has(k)) continue;
      const cs = propertySchema(s, k);
      const oldChild = old && isObject(old.v) && k in old.v ? { v: old.v[k] } : undefined;
      if (cs && child !== undefined) validateNode(child, cs, join(path, k), cs['x-kubernetes-embedded-resource'] === true, errs, oldChild);
    }
  }
  for (const sub of s.allOf ?? []) validateNode(v, sub, path, isResource, errs, old);
  const passes = (sub: JSONSchemaProps) => {
    const e: FieldError[] = [];
    validateNode(v, sub, path, isResource, e);
    return e.length === 0;
  };
  if (s.anyOf?.length && !s.anyOf.some(passes)) errs.push(invalid(where, v, `${where} must validate at least one schema (anyOf)`));
  if (s.oneOf?.length) {
    const n = s.oneOf.filter(passes).length;
    if (n !== 1) errs.push(invalid(where, v, `${where} must validate one and only one schema (oneOf). ${n ? `Found ${n} valid alternatives` : 'Found none valid'}`));
  }
  if (s.not && passes(s.not)) errs.push(invalid(where, v, `${where} must not validate the schema (not)`));
}

/** The string formats Kubernetes checks (the others it accepts as they are). */
const FORMATS: Record<string, (v: string) => boolean> = {
  'date-time': (v) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(v) && !Number.isNaN(Date.parse(v)),
  datetime: (v) => FORMATS['date-time']!(v),
  date: (v) => /^\d{4}-\d\d-\d\d$/.test(v) && !Number.isNaN(Date.parse(v)),
  uuid: (v) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v),
  byte: (v) => /^[A-Za-z0-9+/]*={0,2}$/.test(v) && v.length % 4 === 0,
  ipv4: (v) => /^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)$/.test(v),
  ipv6: (v) => /^[0-9a-f:.]+$/i.test(v) && v.includes(':'),
  cidr: (v) => {
    const [ip, bits, extra] = v.split('/');
    return extra === undefined && bits !== undefined && /^\d+$/.test(bits) && (FORMATS.ipv4!(ip!) ? Number(bits) <= 32 : FORMATS.ipv6!(ip!) && Number(bits) <= 128);
  },
  email: (v) => /^[^@\s]+@[^@\s]+$/.test(v),
  hostname: (v) => v.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/i.test(v),
  duration: (v) => /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(v),
};

function validateString(v: string, s: JSONSchemaProps, where: string, errs: FieldError[]): void {
  const check = s.format ? FORMATS[s.format] : undefined;
  if (check && !check(v)) errs.push(invalid(where, v, `${where} in body must be of type ${s.format}: ${JSON.stringify(v)}`));
  const len = [...v].length;
  if (s.maxLength !== undefined && len > s.maxLength) errs.push({ type: 'FieldValueTooLong', field: where, badValue: v, detail: `may not be more than ${s.maxLength} bytes` });
  if (s.minLength !== undefined && len < s.minLength) errs.push(invalid(where, v, `${where} in body should be at least ${s.minLength} chars long`));
  if (s.pattern !== undefined) {
    // RE2, as Kubernetes matches patterns (linear time whatever the pattern; a pattern it
    // refuses was refused with the CRD)
    let ok = true;
    try {
      ok = re2Test(s.pattern, v);
    } catch {
      ok = true;
    }
    if (!ok) errs.push(invalid(where, v, `${where} in body should match '${s.pattern}'`));
  }
}

function validateNumber(v: number, s: JSONSchemaProps, where: string, errs: FieldError[]): void {
  if (s.maximum !== undefined && (s.exclusiveMaximum ? v >= s.maximum : v > s.maximum)) {
    errs.push(invalid(where, v, `${where} in body should be less than ${s.exclusiveMaximum ? '' : 'or equal to '}${s.maximum}`));
  }
  if (s.minimum !== undefined && (s.exclusiveMinimum ? v <= s.minimum : v < s.minimum)) {
    errs.push(invalid(where, v, `${where} in body should be greater than ${s.exclusiveMinimum ? '' : 'or equal to '}${s.minimum}`));
  }
  if (s.multipleOf !== undefined && s.multipleOf > 0 && !Number.isInteger(v / s.multipleOf)) errs.push(invalid(where, v, `${where} in body should be a multiple of ${s.multipleOf}`));
}

/** x-kubernetes-list-type set (items unique) and map (keys unique): `spec.ports[1]: Duplicate value: {"name":"http"}`. */
function listDuplicates(v: unknown[], s: JSONSchemaProps, path: string, errs: FieldError[]): void {
  const type = s['x-kubernetes-list-type'];
  if (type !== 'set' && type !== 'map') return;
  const keys = s['x-kubernetes-list-map-keys'] ?? [];
  const seen = new Set<string>();
  v.forEach((item, i) => {
    const id = type === 'set' ? item : isObject(item) ? Object.fromEntries(keys.map((k) => [k, item[k]])) : item;
    const k = JSON.stringify(id);
    if (seen.has(k)) errs.push({ type: 'FieldValueDuplicate', field: `${path}[${i}]`, badValue: id, detail: '' });
    seen.add(k);
  });
}
