// Equality of two decoded JSON values as apiequality.Semantic.DeepEqual sees the Go values they
// decode to (k8s.io/apimachinery pkg/api/equality/semantic.go over third_party/forked/golang/
// reflect/deep_equal.go), led by the value's type in our schema and the Go json tags of
// go-omitempty.json:
// - an empty slice or map is a nil one (`env: []`, `rules: null` and no `rules` are the same);
// - a pointer is nil or not: `securityContext: {}` differs from none, `replicas: 0` from none;
// - a scalar or a struct held by value that is absent or null is its zero value ("", 0, false,
//   the zero struct), as Go decodes it;
// - a resource.Quantity is compared by value ("1" is "1000m"), a metav1.Time or MicroTime by its
//   instant (any zone), an IntOrString by kind and value (1 is not "1");
// - raw bytes (a RawExtension, FieldsV1) by their text.
// Key order never counts. A value of no known type (a CustomResourceDefinition's spec, a field Go
// lacks) is compared as its JSON with sorted keys and null members left out. Custom resources
// themselves are unstructured maps in 1.32, where `[]` and none DO differ: they are compared by
// fieldset-object's deepEqual instead (custom-resources.ts).
import goFieldsJson from './go-omitempty.json' with { type: 'json' };
import goTypesJson from './go-types.json' with { type: 'json' };
import { compareQuantities, isValidQuantity } from './quantity.js';
import { fieldsOfMessage, messageSchema, type FieldKind } from './schema.js';
import { isObject } from './json-object.js';

/** JSON with object keys sorted and null members left out. */
export function semanticJson(v: unknown): string {
  return JSON.stringify(v ?? null, (_k, x: unknown) => {
    if (!x || typeof x !== 'object' || Array.isArray(x)) return x;
    return Object.fromEntries(Object.entries(x as object).filter(([, y]) => y !== null).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}

const GO_FIELDS = goFieldsJson as Record<string, Record<string, string> | undefined>;
const GO_TYPES = goTypesJson as Record<string, { type: string } | undefined>;

/**
 * Semantic.DeepEqual of two values of the schema message `type` (a PodSpec, a LabelSelector); with
 * no type, or one with no Go struct, as their JSON with sorted keys and nulls left out.
 */
export function semanticEqual(a: unknown, b: unknown, type?: string): boolean {
  if (!type || !typed(type)) return untypedEqual(a, b);
  return structEqual(type, a, b);
}

/** Semantic.DeepEqual of two values of field `field` of message `type` (a Deployment's `spec`). */
export function semanticFieldEqual(type: string, field: string, a: unknown, b: unknown): boolean {
  if (!typed(type)) return untypedEqual(a, b);
  return fieldEqual(type, field, a, b);
}

const untypedEqual = (a: unknown, b: unknown): boolean => semanticJson(a) === semanticJson(b);

const typed = (type: string): boolean => !!messageSchema(type) && !!GO_FIELDS[type];

/** A struct by value: absent or null is the zero struct; each field compared as its Go type. */
function structEqual(type: string, a: unknown, b: unknown): boolean {
  if (!typed(type)) return untypedEqual(a, b);
  const x = a ?? {};
  const y = b ?? {};
  if (!isObject(x) || !isObject(y)) return untypedEqual(a, b);
  for (const key of new Set([...Object.keys(x), ...Object.keys(y)])) {
    if (!fieldEqual(type, key, x[key], y[key])) return false;
  }
  return true;
}

type ValueSchema = { kind: FieldKind; type?: string; format?: string };

function fieldEqual(type: string, key: string, a: unknown, b: unknown): boolean {
  const f = fieldsOfMessage(type).get(key);
  const letter = GO_FIELDS[type]?.[key];
  // (a field the Go struct lacks, or one of ours no schema has: as it is)
  if (!f || letter === '-') return untypedEqual(a, b);
  const x = a ?? undefined;
  const y = b ?? undefined;
  // A pointer: nil only equals nil; a non-nil one is compared by what it points at.
  if (letter === 'p' || letter === 'P' || (letter === undefined && f.kind === 'message' && !f.repeated)) {
    if ((x === undefined) !== (y === undefined)) return false;
    if (x === undefined) return true;
  }
  if (f.repeated) return listEqual(f, x, y);
  if (f.kind === 'map') return mapEqual(f.value!, x, y);
  if (f.kind === 'object') return objectEqual(letter, x, y);
  return valueEqual(f, GO_TYPES[`${type}.${key}`]?.type, x, y);
}

/** A slice: nil and empty are the same; items compared in order as values of their type. */
function listEqual(item: ValueSchema, a: unknown, b: unknown): boolean {
  const x = a ?? [];
  const y = b ?? [];
  if (!Array.isArray(x) || !Array.isArray(y)) return untypedEqual(a, b);
  if (x.length !== y.length) return false;
  return x.every((v, i) => valueEqual(item, undefined, v, y[i]));
}

/** A map: nil and empty are the same; the same keys, each value compared as its type. */
function mapEqual(value: ValueSchema, a: unknown, b: unknown): boolean {
  const x = a ?? {};
  const y = b ?? {};
  if (!isObject(x) || !isObject(y)) return untypedEqual(a, b);
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  return keys.every((k) => k in y && valueEqual(value, undefined, x[k], y[k]));
}

/**
 * Free-form content: raw bytes (a RawExtension, FieldsV1) compared as their text; a map of string
 * lists (a CertificateSigningRequest's extra, map[string]ExtraValue) with nil and empty the same.
 */
function objectEqual(letter: string | undefined, a: unknown, b: unknown): boolean {
  if (letter === 's') return mapEqual({ kind: 'string', format: 'list' }, a, b);
  return JSON.stringify(a) === JSON.stringify(b);
}

/** One value of a field's type: absent or null is that type's zero value. */
function valueEqual(v: ValueSchema, goType: string | undefined, a: unknown, b: unknown): boolean {
  switch (v.kind) {
    case 'message':
      return structEqual(v.type!, a, b);
    case 'string':
      if (v.format === 'list') return listEqual({ kind: 'string' }, a, b);
      if (v.format === 'quantity') return quantityEqual(a, b);
      if (goType === 'v1.Time' || goType === 'v1.MicroTime') return timeEqual(a, b);
      return (a ?? '') === (b ?? '');
    case 'int':
    case 'double':
      return (a ?? 0) === (b ?? 0);
    case 'bool':
      return (a ?? false) === (b ?? false);
    case 'value':
      // (intstr.IntOrString: a kind and a value; its zero is the int 0)
      return (a ?? 0) === (b ?? 0);
    default:
      return untypedEqual(a, b);
  }
}

/** resource.Quantity: by value (Cmp), an unset one being 0. */
function quantityEqual(a: unknown, b: unknown): boolean {
  const x = a === undefined || a === null ? '0' : typeof a === 'number' ? String(a) : a;
  const y = b === undefined || b === null ? '0' : typeof b === 'number' ? String(b) : b;
  if (!isValidQuantity(x) || !isValidQuantity(y)) return x === y;
  return compareQuantities(x as string, y as string) === 0;
}

const ZERO_TIME = BigInt(Date.parse('0001-01-01T00:00:00Z')) * 1_000_000n;
const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/i;

/** metav1.Time and MicroTime: the same instant (UTC() ==), the zero time being absent or null. */
function timeEqual(a: unknown, b: unknown): boolean {
  const x = instant(a);
  const y = instant(b);
  if (x === undefined || y === undefined) return a === b;
  return x === y;
}

/** Nanoseconds since the epoch, as text; '' for the zero time; undefined for no stamp at all. */
function instant(v: unknown): string | undefined {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') return undefined;
  const m = STAMP.exec(v);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]!.toUpperCase()}`);
  if (Number.isNaN(ms)) return undefined;
  const ns = BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
  // (Go's zero time.Time, 0001-01-01T00:00:00Z, is what null decodes to)
  return ns === ZERO_TIME ? '' : `${ns}`;
}
