// Go's `omitempty`: a status written by a Kubernetes controller leaves out the counts that are
// zero (Deployment, ReplicaSet and Job statuses), so ours do too; and what a request gives empty
// or null is gone once the apiserver decoded it into the Go struct (omitEmptyFields).
import goFieldsJson from './go-omitempty.json' with { type: 'json' };
import goTypesJson from './go-types.json' with { type: 'json' };
import { CRD_TIME_FIELDS, crdGoFields } from './crd-go-fields.js';
import { goTimeJson } from './go-time.js';
import { deepEqual } from './json-equal.js';
import { fieldsOfMessage, type FieldSchema } from './schema.js';
import { isObject } from './json-object.js';

/** `obj` without the `keys` whose value is 0 (the rest shared). */
export function omitZero<T extends object>(obj: T, keys: readonly (keyof T)[]): T {
  const out = { ...obj };
  for (const k of keys) if (out[k] === 0) delete out[k];
  return out;
}

/**
 * How encoding/json writes each field of a built-in type once decoded into its Go struct
 * (scripts/gen-go-types.ts from k8s.io/api v0.32.9's json tags): only the letters that differ from
 * what the field's kind makes likely (`s` a list or map, `p` a message, `z` anything else).
 */
const GO_FIELDS = goFieldsJson as Record<string, Record<string, string> | undefined>;

/** The Go type of fields whose type is not the plain one (scripts/gen-go-types.ts): here, which are metav1.Time or MicroTime. */
const GO_TYPES = goTypesJson as Record<string, { type: string } | undefined>;

/** The zero value encoding/json writes for a scalar of this kind (a Quantity's "0", an IntOrString's 0). */
function zeroOf(f: FieldSchema): unknown {
  if (f.kind === 'string') return f.format === 'quantity' ? '0' : '';
  if (f.kind === 'bool') return false;
  if (f.kind === 'int' || f.kind === 'double' || f.kind === 'value') return 0;
  return null;
}

/**
 * An object of a built-in kind as 1.32 stores and serves it once its JSON went through the Go
 * struct (json.Unmarshal, then encoding with the struct's json tags), in place: a null or empty
 * omitempty pointer, slice or map is gone (`nodeSelector: null`, `env: []`, `annotations: {}` of a
 * template), as is an omitempty scalar at its zero value (a template's `name: ""`, `hostPort: 0`);
 * a null given for a scalar that is always written is its zero value; a struct by value left out
 * or given null is there as Go's zero struct (a container's `resources: {}`, a Service's
 * `status.loadBalancer: {}`, a Deployment's `strategy: {}` before defaulting); a pointer's value stays
 * whatever it is (`securityContext: {}`, `replicas: 0`), as do a zero time's null (a template's
 * `creationTimestamp: null`) and free-form content (a RawExtension, a CEL object). A time stamp is
 * written as metav1.Time (UTC, whole seconds) or MicroTime (UTC, six fractional digits) writes it
 * back, whatever zone or fraction it was sent with. Fields of ours
 * the Go struct does not have, and messages with no Go struct, are left as they are. The
 * top-level `metadata.managedFields: []` stays: it asks the field manager to reset ownership.
 *
 * `stored`: the object as written to storage and read back, as 1.32 stores built-in kinds as
 * protobuf, which keeps no empty list or map apart from none: a list or map without omitempty
 * given empty is then nil, written null (a Role's `rules: []`, an EndpointSlice's `endpoints: []`);
 * and every field without omitempty the object left out is there at its zero value, as encoding/json
 * writes the decoded struct (a container status's `restartCount: 0`, `ready: false` and `image: ""`,
 * a node's `daemonEndpoints.kubeletEndpoint.Port: 0`, an EndpointSlice's `ports: null`).
 */
export function omitEmptyFields(typeName: string, obj: unknown, stored = false): void {
  if (!isObject(obj) || !planOf(typeName)) return;
  const mf = (obj.metadata as { managedFields?: unknown } | undefined)?.managedFields;
  walkStruct(typeName, obj, stored);
  if (Array.isArray(mf) && mf.length === 0 && isObject(obj.metadata)) obj.metadata.managedFields = mf;
}

/** How one field of a Go struct is written, and the struct type to walk into below it (if any). */
interface FieldPlan {
  letter: string;
  f: FieldSchema;
  /** The message type of the field's value, or of its list items or map values. */
  child: string | undefined;
  /** A metav1.Time (`second`) or MicroTime (`micro`), written back in UTC at its precision. */
  time?: 'second' | 'micro';
}

/** A type's fields by JSON name, and its structs by value with their types. */
interface TypePlan {
  fields: Map<string, FieldPlan>;
  valueStructs: [string, string][];
  /** The fields encoding/json always writes (no omitempty, not a struct by value), with their zero value. */
  always: [string, FieldPlan][];
}

/** Plans by type name, made on first use (null: no Go struct known). Every write walks them. */
const plans = new Map<string, TypePlan | null>();

function planOf(typeName: string): TypePlan | null {
  let plan = plans.get(typeName);
  if (plan !== undefined) return plan;
  const letters = GO_FIELDS[typeName];
  // (a CustomResourceDefinition's structs: not in the proto schema, from their own table)
  const rows = letters ? undefined : crdGoFields(typeName);
  if (!letters && !rows) {
    plans.set(typeName, null);
    return null;
  }
  const fields = new Map<string, FieldPlan>();
  for (const [key, letter, f] of rows ?? [...fieldsOfMessage(typeName)].map(([k, f]): [string, string, FieldSchema] => [k, letters![k] ?? (f.repeated || f.kind === 'map' ? 's' : f.kind === 'message' ? 'p' : 'z'), f])) {
    const child = f.kind === 'message' ? f.type : f.kind === 'map' && f.value?.kind === 'message' ? f.value.type : undefined;
    const goType = rows ? (CRD_TIME_FIELDS.has(`${typeName}.${key}`) ? 'v1.Time' : undefined) : GO_TYPES[`${typeName}.${key}`]?.type;
    const time = goType === 'v1.Time' ? 'second' : goType === 'v1.MicroTime' ? 'micro' : undefined;
    fields.set(key, time ? { letter, f, child, time } : { letter, f, child });
  }
  const valueStructs: [string, string][] = [];
  const always: [string, FieldPlan][] = [];
  // (in the letters' order for a built-in kind: filled fields come out where they always did)
  for (const key of letters ? Object.keys(letters) : fields.keys()) {
    const p = fields.get(key);
    if (!p) continue;
    if (p.letter === 'v' && p.f.type) valueStructs.push([key, p.f.type]);
    else if (ALWAYS_WRITTEN.has(p.letter)) always.push([key, p]);
  }
  plan = { fields, valueStructs, always };
  plans.set(typeName, plan);
  return plan;
}

function walkStruct(typeName: string, obj: Record<string, unknown>, stored: boolean): void {
  const plan = planOf(typeName);
  if (plan) walkPlanned(plan, obj, stored);
}

function walkPlanned(plan: TypePlan, obj: Record<string, unknown>, stored: boolean): void {
  for (const key of Object.keys(obj)) {
    const p = plan.fields.get(key);
    if (!p) continue; // (unknown fields are strict decoding's)
    let v = obj[key];
    if (p.time && typeof v === 'string') {
      v = obj[key] = goTimeJson(v, p.time === 'micro');
      // (Go's zero time, which a Time or MicroTime held by value writes as null: IsZero)
      if (p.letter === 'T' && (v === ZERO_TIME || v === ZERO_MICRO_TIME)) v = obj[key] = null;
      // A pointer to Go's zero time is kept by omitempty (the pointer is set) and written null too,
      // as stored and served (a pod's startTime: null); the next write decodes that null to no
      // pointer, and the first pass drops it then. Not before storing: defaulting and validation
      // see the stamp that was sent.
      else if (stored && p.letter === 'p' && (v === ZERO_TIME || v === ZERO_MICRO_TIME)) {
        obj[key] = null;
        continue;
      }
    }
    switch (p.letter) {
      case 'p':
        if (v === null) {
          delete obj[key];
          continue;
        }
        break;
      case 'v':
        // (null decodes to nothing: the struct stays Go's zero struct, filled below)
        if (v === null) delete obj[key];
        break;
      case 's':
        if (v === null || (Array.isArray(v) && v.length === 0) || (isObject(v) && isEmptyObject(v))) {
          delete obj[key];
          continue;
        }
        break;
      case 'z':
        if (v === null || v === '' || v === 0 || v === false) {
          delete obj[key];
          continue;
        }
        break;
      case 'Z':
        if (v === null) obj[key] = zeroOf(p.f);
        continue;
      case 'S':
        if (stored && ((Array.isArray(v) && v.length === 0) || (isObject(v) && isEmptyObject(v)))) {
          obj[key] = null;
          continue;
        }
        break;
      default:
        // P, T, -: written as they are
        break;
    }
    if (p.child === undefined || typeof v !== 'object' || v === null) continue;
    const child = planOf(p.child);
    if (!child) continue;
    if (Array.isArray(v)) {
      for (const item of v) if (isObject(item)) walkPlanned(child, item, stored);
    } else if (p.f.kind === 'map') {
      for (const k in v) {
        const item = (v as Record<string, unknown>)[k];
        if (isObject(item)) walkPlanned(child, item, stored);
      }
    } else {
      walkPlanned(child, v as Record<string, unknown>, stored);
    }
  }
  // A struct by value the object left out is there as Go's zero struct.
  for (const [key, type] of plan.valueStructs) if (obj[key] === undefined) obj[key] = zeroStruct(type);
  // Once stored, a field Go always writes that the object left out is there at its zero value (a
  // container status's restartCount: 0, a condition's lastProbeTime: null). Not before: defaulting
  // and validation look at what was sent, and the create's field manager compares against Go's zero
  // object, where these fields are zero too.
  if (stored) for (const [key, p] of plan.always) if (obj[key] === undefined) obj[key] = zeroField(p);
}

const ZERO_TIME = '0001-01-01T00:00:00Z';
const ZERO_MICRO_TIME = '0001-01-01T00:00:00.000000Z';

/** The letters of fields encoding/json always writes, whatever their value (see go-omitempty.json). */
const ALWAYS_WRITTEN = new Set(['Z', 'S', 'P', 'T']);

/** What encoding/json writes for a field it always writes at its zero value: a scalar's zero, else (slice, map, pointer, time) null. */
const zeroField = (p: FieldPlan): unknown => (p.letter === 'Z' ? zeroOf(p.f) : null);

function isEmptyObject(v: Record<string, unknown>): boolean {
  for (const _ in v) return false;
  return true;
}

/**
 * A Go struct at its zero value as encoding/json writes it: its structs by value as their own
 * zero structs, its scalars without omitempty at their zero values, its slices, maps, pointers
 * and times without omitempty null, everything omitempty left out (ResourceRequirements `{}`, a
 * DaemonSetStatus's four counts 0, a RoleRef's three "", an ObjectMeta's `creationTimestamp: null`).
 */
function zeroStruct(typeName: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const plan = planOf(typeName);
  if (!plan) return out;
  // (the plan's fields in the schema's order: the zero struct's keys come out as they always did)
  for (const [key, p] of plan.fields) {
    if (p.letter === 'v' && p.f.type) out[key] = zeroStruct(p.f.type);
    else if (ALWAYS_WRITTEN.has(p.letter)) out[key] = zeroField(p);
  }
  return out;
}

/** goZeroMembers by type name, made on first use (null: nothing Go always writes, or no Go struct). */
const zeroMembers = new Map<string, ReadonlyMap<string, unknown> | null>();

/**
 * The members 1.32's typed value of a `typeName` struct always has, with their zero values: its
 * structs by value (their zero structs), its fields without omitempty (a scalar's zero, else null),
 * as structured-merge-diff reads the decoded Go struct (value.NewValueReflect honours the json
 * tags: only omitempty fields at their zero value are missing). Undefined for a type with none.
 * The values are shared: never change them.
 */
export function goZeroMembers(typeName: string): ReadonlyMap<string, unknown> | undefined {
  let m = zeroMembers.get(typeName);
  if (m === undefined) {
    const plan = planOf(typeName);
    const out = new Map<string, unknown>();
    if (plan) {
      for (const [key, type] of plan.valueStructs) out.set(key, zeroStruct(type));
      for (const [key, p] of plan.always) out.set(key, zeroField(p));
    }
    m = out.size ? out : null;
    zeroMembers.set(typeName, m);
  }
  return m ?? undefined;
}

/** The Go message type below field `key` of struct `typeName`: of its value, list items or map values (`map`). */
export interface GoChild {
  type: string;
  map: boolean;
}

/** goChildOf by type, then field (null: none). */
const goChildren = new Map<string, Map<string, GoChild | null>>();

export function goChildOf(typeName: string, key: string): GoChild | undefined {
  let byKey = goChildren.get(typeName);
  if (!byKey) goChildren.set(typeName, (byKey = new Map()));
  let c = byKey.get(key);
  if (c === undefined) {
    const p = planOf(typeName)?.fields.get(key);
    c = p?.child && planOf(p.child) ? { type: p.child, map: p.f.kind === 'map' } : null;
    byKey.set(key, c);
  }
  return c ?? undefined;
}

/**
 * Whether `a` and `b` are the same once decoded into Go type `typeName` (a value of it; a list of
 * them; a map of them when `map`), as structured-merge-diff compares two typed values: a field Go
 * always writes that one of them leaves out, or gives null, is its zero value there (a container
 * status without restartCount is one with restartCount: 0); an omitempty field given null is none.
 */
export function goValueEqual(a: unknown, b: unknown, typeName: string, map = false): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!goValueEqual(a[i], b[i], typeName)) return false;
    return true;
  }
  if (!isObject(a) || !isObject(b)) return deepEqual(a, b);
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  if (map) {
    for (const k of keys) if (!goValueEqual(a[k] ?? undefined, b[k] ?? undefined, typeName)) return false;
    return true;
  }
  const zero = goZeroMembers(typeName);
  if (zero) for (const k of zero.keys()) keys.add(k);
  for (const k of keys) {
    const z = zero?.get(k);
    const va = a[k] ?? z;
    const vb = b[k] ?? z;
    const c = goChildOf(typeName, k);
    if (!(c ? goValueEqual(va, vb, c.type, c.map) : deepEqual(va, vb))) return false;
  }
  return true;
}

/**
 * Whether an object read from storage lacks a struct by value or a field its Go type always
 * writes (one written before tskube filled them, or by a path outside the store): an update
 * compares against the old object as 1.32 decodes it, so such an object is filled in a copy first.
 */
export function lacksZeroFields(typeName: string, obj: unknown): boolean {
  return isObject(obj) && lacks(typeName, obj);
}

function lacks(typeName: string, obj: Record<string, unknown>): boolean {
  const plan = planOf(typeName);
  if (!plan) return false;
  for (const key of Object.keys(obj)) {
    const p = plan.fields.get(key);
    if (p?.child === undefined) continue;
    const v = obj[key];
    const items = Array.isArray(v) ? v : isObject(v) && p.f.kind === 'map' ? Object.values(v) : [v];
    for (const item of items) if (isObject(item) && lacks(p.child, item)) return true;
  }
  for (const [key] of plan.valueStructs) if (!isObject(obj[key])) return true;
  for (const [key] of plan.always) if (obj[key] === undefined) return true;
  return false;
}
