// Custom resource values as CEL sees them, typed by their structural schema as
// apiextensions-apiserver's UnstructuredToVal types them: `integer` fields are CEL ints, `number`
// fields doubles (even when written 1), x-kubernetes-list-type set/map lists equal regardless of
// order, strings of format date-time/duration/byte are
// timestamps/durations/bytes, objects and additionalProperties maps are CEL maps whose absent
// fields are `no such key`; untyped (preserve-unknown-fields, int-or-string) values are dyn.
// The resource root (and embedded resources) show apiVersion, kind, metadata.name and
// metadata.generateName. Also the compile-time field check against the schema.
import { CelMap, markUnordered, type CelValue } from '../cel/values.js';
import { parseDuration, parseTimestamp } from '../cel/lib-time.js';
import type { PathStep } from '../cel/program.js';
import type { JSONSchemaProps } from './crd-schema.js';
import { isObject } from './json-object.js';


function stringValue(v: string, format: string | undefined): CelValue {
  try {
    if (format === 'date-time' || format === 'datetime') return parseTimestamp(v);
    if (format === 'duration') return parseDuration(v);
    if (format === 'byte') return Uint8Array.from(Buffer.from(v, 'base64'));
  } catch {
    // A value the format check refused already; CEL sees it as the string it is.
  }
  return v;
}

const CEL_RESERVED = new Set(['true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if', 'import', 'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while']);
const ESCAPES: Record<string, string> = { '__': '__underscores__', '.': '__dot__', '-': '__dash__', '/': '__slash__' };

/**
 * The name a declared property has in CEL, as Kubernetes escapes it: reserved words become
 * `__namespace__`, and `__`, `.`, `-`, `/` become `__underscores__`, `__dot__`, `__dash__`,
 * `__slash__` (`self.x__dash__y` for `x-y`); undefined for names CEL cannot reach.
 */
export function celFieldName(name: string): string | undefined {
  if (!name || /^[0-9]/.test(name)) return undefined;
  if (CEL_RESERVED.has(name)) return `__${name}__`;
  const escaped = name.replace(/__|[./-]/g, (m) => ESCAPES[m]!);
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(escaped) ? escaped : undefined;
}

/** The declared property of an object schema that `celName` names in CEL. */
function propertyByCelName(s: JSONSchemaProps, celName: string): JSONSchemaProps | undefined {
  if (!s.properties) return undefined;
  if (s.properties[celName] && celFieldName(celName) === celName) return s.properties[celName];
  for (const [k, v] of Object.entries(s.properties)) if (celFieldName(k) === celName) return v;
  return undefined;
}

function childSchema(s: JSONSchemaProps | undefined, key: string): JSONSchemaProps | undefined {
  if (!s) return undefined;
  if (s.properties?.[key]) return s.properties[key];
  if (isObject(s.additionalProperties)) return s.additionalProperties as JSONSchemaProps;
  return undefined;
}

/** `v` as a CEL value under schema `s`; `resource` for the root and embedded resources. */
export function toCelValue(v: unknown, s: JSONSchemaProps | undefined, resource = false): CelValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (s?.type === 'number') return v;
    if (Number.isInteger(v)) return BigInt(v);
    return v;
  }
  if (typeof v === 'string') return stringValue(v, s?.format);
  if (Array.isArray(v)) {
    const list = v.map((x) => toCelValue(x, s?.items, s?.items?.['x-kubernetes-embedded-resource'] === true));
    const listType = s?.['x-kubernetes-list-type'];
    // set and map lists compare regardless of order, as Kubernetes' CEL values of them do
    return listType === 'set' || listType === 'map' ? markUnordered(list, listType, s?.['x-kubernetes-list-map-keys']) : list;
  }
  if (!isObject(v)) return null;
  const m = new CelMap();
  for (const [k, x] of Object.entries(v)) {
    if (resource && (k === 'apiVersion' || k === 'kind')) {
      m.set(k, typeof x === 'string' ? x : null);
    } else if (resource && k === 'metadata') {
      const meta = new CelMap();
      if (isObject(x)) for (const f of ['name', 'generateName']) if (typeof x[f] === 'string') meta.set(f, x[f] as string);
      m.set(k, meta);
    } else if (x !== undefined) {
      const cs = childSchema(s, k);
      // declared fields go by their escaped names; map keys (and untyped ones) as they are
      const name = s?.properties?.[k] ? celFieldName(k) : k;
      if (name !== undefined) m.set(name, toCelValue(x, cs, cs?.['x-kubernetes-embedded-resource'] === true));
    }
  }
  return m;
}

const RESOURCE_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);
const SCALAR_TYPES: Record<string, string> = { string: 'string', integer: 'int', number: 'double', boolean: 'bool' };

/**
 * The compile-time check of `self.a.b[...]` against schema `s` (`resource` at the root): a
 * field an object schema does not declare is `undefined field 'x'`, as cel-go's checker says;
 * untyped parts are not checked.
 */
export function resolveSchemaField(s: JSONSchemaProps, resource: boolean, path: PathStep[]): string | undefined {
  let cur: JSONSchemaProps | undefined = s;
  let isResource = resource;
  for (const step of path) {
    if (!cur || cur['x-kubernetes-int-or-string'] || (!cur.type && cur['x-kubernetes-preserve-unknown-fields'])) return undefined;
    if (step === '[]') {
      cur = cur.type === 'array' ? cur.items : isObject(cur.additionalProperties) ? (cur.additionalProperties as JSONSchemaProps) : undefined;
      isResource = cur?.['x-kubernetes-embedded-resource'] === true;
      continue;
    }
    if (isResource && RESOURCE_FIELDS.has(step)) return undefined;
    const scalar = SCALAR_TYPES[cur.type ?? ''];
    if (scalar) return `type '${scalar}' does not support field selection`;
    if (cur.type !== 'object') return undefined;
    const next = propertyByCelName(cur, step) ?? (cur.properties?.[step] ? undefined : childSchema(cur, step));
    if (!next) {
      if (cur['x-kubernetes-preserve-unknown-fields'] || cur.additionalProperties === true) return undefined;
      return `undefined field '${step}'`;
    }
    cur = next;
    isResource = cur['x-kubernetes-embedded-resource'] === true;
  }
  return undefined;
}

/**
 * A rule's fieldPath (`.a.b`, `.m['key']`) against schema `s`: the field path it names under
 * `base` (named fields with dots, map keys in brackets), or why it names no field.
 */
export function resolveFieldPath(fieldPath: string, s: JSONSchemaProps, base = ''): { path: string } | { problem: string } {
  let cur: JSONSchemaProps | undefined = s;
  let out = base;
  for (const m of fieldPath.matchAll(/\.([A-Za-z_$][\w$-]*)|\['((?:[^'\\]|\\.)*)'\]|(.)/g)) {
    if (m[3] !== undefined) return { problem: `invalid field path: ${fieldPath}` };
    const name = m[1] ?? m[2]!.replace(/\\(.)/g, '$1');
    if (cur?.properties?.[name]) {
      out = out ? `${out}.${name}` : name;
      cur = cur.properties[name];
    } else if (isObject(cur?.additionalProperties)) {
      out = `${out}[${name}]`;
      cur = cur!.additionalProperties as JSONSchemaProps;
    } else {
      return { problem: 'does not refer to a valid field' };
    }
  }
  return { path: out };
}
