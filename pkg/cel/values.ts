// CEL values in JavaScript: int is a bigint (int64, overflow checked), uint a CelUint, double a
// number, string a string, bytes a Uint8Array, bool a boolean, null null, list an array, map a
// CelMap; timestamps and durations are nanosecond bigints in their own classes; types are
// CelType. Equality is CEL's heterogeneous equality (1 == 1u == 1.0, other mixed types unequal).
import { CelEvalError, noSuchOverload, overflow } from './errors.js';

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
export const UINT64_MAX = 2n ** 64n - 1n;

export class CelUint {
  constructor(readonly v: bigint) {}
}

/** A point in time: nanoseconds since the Unix epoch (years 0001 to 9999). */
export class CelTimestamp {
  constructor(readonly ns: bigint) {}
}

/** A signed span of time in nanoseconds (about ±290 years). */
export class CelDuration {
  constructor(readonly ns: bigint) {}
}

export class CelType {
  constructor(readonly name: string) {}
}

/** An optional value (`a.?b`, `optional.of(x)`, a rule's optionalOldSelf): `value` undefined when none. */
export class CelOptional {
  constructor(readonly value?: CelValue) {}
  static readonly NONE = new CelOptional();
}

/**
 * Lists whose order does not matter for equality (x-kubernetes-list-type set, and map keyed by
 * the given fields), as Kubernetes compares them.
 */
const unorderedLists = new WeakMap<object, { type: 'set' | 'map'; keys: string[] }>();
export function markUnordered(list: CelValue[], type: 'set' | 'map', keys: string[] = []): CelValue[] {
  unorderedLists.set(list, { type, keys });
  return list;
}

/** A list's x-kubernetes-list-type when it is set or map (with the map's key fields). */
export const listKind = (list: CelValue[]): { type: 'set' | 'map'; keys: string[] } | undefined => unorderedLists.get(list);

/** Implemented by extension values (quantity, url): compared with `equals`, typed by `typeName`. */
export interface CelObject {
  readonly typeName: string;
  equals(other: unknown): boolean;
}

/** An extension value with methods of its own (Kubernetes' authorizer): `callMethod` throws noSuchOverload for what it lacks. */
export interface CelReceiver {
  callMethod(fn: string, args: CelValue[]): CelValue;
}
export const isReceiver = (v: unknown): v is CelReceiver => typeof v === 'object' && v !== null && typeof (v as { callMethod?: unknown }).callMethod === 'function';

export type CelValue = null | boolean | bigint | number | string | Uint8Array | CelUint | CelTimestamp | CelDuration | CelType | CelOptional | CelMap | CelValue[] | CelObject;

/** A map with int, uint, bool or string keys (int and uint keys of equal value are one key). */
export class CelMap {
  private readonly entries = new Map<string, [CelValue, CelValue]>();

  static keyOf(k: CelValue): string {
    if (typeof k === 'string') return `s${k}`;
    if (typeof k === 'bigint') return `n${k}`;
    if (k instanceof CelUint) return `n${k.v}`;
    if (typeof k === 'boolean') return `b${k}`;
    if (typeof k === 'number' && Number.isInteger(k)) return `n${BigInt(k)}`;
    throw new CelEvalError(`unsupported key type: ${typeName(k)}`);
  }

  set(k: CelValue, v: CelValue): void {
    this.entries.set(CelMap.keyOf(k), [k, v]);
  }
  get(k: CelValue): CelValue | undefined {
    if (typeof k === 'number' && !Number.isInteger(k)) return undefined;
    return this.entries.get(CelMap.keyOf(k))?.[1];
  }
  has(k: CelValue): boolean {
    return this.get(k) !== undefined;
  }
  get size(): number {
    return this.entries.size;
  }
  keys(): CelValue[] {
    return [...this.entries.values()].map((e) => e[0]);
  }
  pairs(): [CelValue, CelValue][] {
    return [...this.entries.values()];
  }
}

export const isList = (v: unknown): v is CelValue[] => Array.isArray(v);

export function typeName(v: CelValue | undefined): string {
  if (v === null) return 'null_type';
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return 'double';
    case 'string':
      return 'string';
  }
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof CelUint) return 'uint';
  if (v instanceof CelTimestamp) return 'google.protobuf.Timestamp';
  if (v instanceof CelDuration) return 'google.protobuf.Duration';
  if (v instanceof CelType) return 'type';
  if (v instanceof CelOptional) return 'optional_type';
  if (v instanceof CelMap) return 'map';
  if (Array.isArray(v)) return 'list';
  if (v && typeof v === 'object' && 'typeName' in v) return v.typeName;
  return 'unknown';
}

/** int64 result or an `integer overflow` error. */
export function checkInt(v: bigint): bigint {
  if (v < INT64_MIN || v > INT64_MAX) throw overflow();
  return v;
}

export function checkUint(v: bigint): CelUint {
  if (v < 0n || v > UINT64_MAX) throw overflow();
  return new CelUint(v);
}

/** The numeric value of int, uint and double as a comparable pair, or undefined. */
function numeric(v: CelValue): { big?: bigint; dbl?: number } | undefined {
  if (typeof v === 'bigint') return { big: v };
  if (v instanceof CelUint) return { big: v.v };
  if (typeof v === 'number') return { dbl: v };
  return undefined;
}

/** -1, 0, 1, or NaN (a double NaN against anything) comparing two numbers of any numeric type. */
function compareNumeric(a: { big?: bigint; dbl?: number }, b: { big?: bigint; dbl?: number }): number {
  if (a.big !== undefined && b.big !== undefined) return a.big < b.big ? -1 : a.big > b.big ? 1 : 0;
  if (a.dbl !== undefined && b.dbl !== undefined) return a.dbl < b.dbl ? -1 : a.dbl > b.dbl ? 1 : a.dbl === b.dbl ? 0 : NaN;
  // One big, one double: compare exactly where the double is integral.
  const [big, dbl, flip] = a.big !== undefined ? [a.big, b.dbl!, 1] : [b.big!, a.dbl!, -1];
  if (Number.isNaN(dbl)) return NaN;
  if (dbl === Infinity) return -flip;
  if (dbl === -Infinity) return flip;
  const fl = Math.floor(dbl);
  const fb = BigInt(fl);
  const c = big < fb ? -1 : big > fb ? 1 : fl < dbl ? -1 : 0;
  return c * flip;
}

export function celEquals(a: CelValue, b: CelValue): boolean {
  const na = numeric(a);
  const nb = numeric(b);
  if (na && nb) return compareNumeric(na, nb) === 0;
  if (na || nb) return false;
  if (a === null || b === null) return a === b;
  if (typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a)) return Array.isArray(b) && listsEqual(a, b);
  if (a instanceof CelMap) {
    if (!(b instanceof CelMap) || a.size !== b.size) return false;
    return a.pairs().every(([k, v]) => {
      const o = b.get(k);
      return o !== undefined && celEquals(v, o);
    });
  }
  if (a instanceof Uint8Array) return b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
  if (a instanceof CelTimestamp) return b instanceof CelTimestamp && a.ns === b.ns;
  if (a instanceof CelDuration) return b instanceof CelDuration && a.ns === b.ns;
  if (a instanceof CelType) return b instanceof CelType && a.name === b.name;
  if (a instanceof CelOptional) return b instanceof CelOptional && (a.value === undefined || b.value === undefined ? a.value === b.value : celEquals(a.value, b.value));
  if ('equals' in a && typeof a.equals === 'function') return a.equals(b);
  return false;
}

function listsEqual(a: CelValue[], b: CelValue[]): boolean {
  if (a.length !== b.length) return false;
  const kind = unorderedLists.get(a) ?? unorderedLists.get(b);
  if (!kind) return a.every((x, i) => celEquals(x, b[i]!));
  // set and map lists: equal when each item equals an item of the other (map lists' items are
  // unique by their keys, so this is their keyed comparison too), in O(N) by canonical keys
  const ka = a.map(canonicalKey);
  const kb = b.map(canonicalKey);
  if (ka.every((k) => k !== undefined) && kb.every((k) => k !== undefined)) {
    const sa = new Set(ka);
    const sb = new Set(kb);
    return sa.size === sb.size && [...sa].every((k) => sb.has(k));
  }
  // values without a canonical key (NaN, quantities): pairwise, as before
  return a.every((x) => b.some((y) => celEquals(x, y))) && b.every((y) => a.some((x) => celEquals(x, y)));
}

/**
 * The work of reading all of `v` (comparing, hashing or printing it): one per list element and
 * map entry at every depth, one per ten characters or bytes. Stops counting once past `limit`
 * (values may share parts, so the full count can far exceed the memory they take).
 */
export function traversalCost(v: CelValue, limit = Infinity): number {
  let n = 0;
  const stack: CelValue[] = [v];
  while (stack.length && n <= limit) {
    const x = stack.pop()!;
    if (typeof x === 'string' || x instanceof Uint8Array) n += Math.floor(x.length / 10);
    else if (Array.isArray(x)) {
      n += x.length;
      for (const y of x) if (typeof y === 'object' || typeof y === 'string') stack.push(y);
    } else if (x instanceof CelMap) {
      n += x.size;
      for (const [k, y] of x.pairs()) stack.push(k, y);
    } else if (x instanceof CelOptional && x.value !== undefined) stack.push(x.value);
  }
  return n;
}

/**
 * A string that two values share exactly when they are equal by CEL's equality (1 == 1u == 1.0,
 * maps regardless of order), or undefined for values with no such key (NaN, extension objects,
 * set and map lists): used to compare and merge large lists in linear time.
 */
export function canonicalKey(v: CelValue): string | undefined {
  if (v === null) return 'z';
  switch (typeof v) {
    case 'boolean':
      return v ? 't' : 'f';
    case 'bigint':
      return `n${v}`;
    case 'number':
      if (Number.isNaN(v)) return undefined;
      return Number.isInteger(v) ? `n${BigInt(v)}` : `d${v}`;
    case 'string':
      return `s${JSON.stringify(v)}`;
  }
  if (v instanceof CelUint) return `n${v.v}`;
  if (v instanceof Uint8Array) return `y${Buffer.from(v).toString('hex')}`;
  if (v instanceof CelTimestamp) return `T${v.ns}`;
  if (v instanceof CelDuration) return `D${v.ns}`;
  if (v instanceof CelType) return `Y${v.name}`;
  if (v instanceof CelOptional) {
    if (v.value === undefined) return 'o';
    const k = canonicalKey(v.value);
    return k === undefined ? undefined : `O${k}`;
  }
  const all = (xs: CelValue[]): string[] | undefined => {
    const out: string[] = [];
    for (const x of xs) {
      const k = canonicalKey(x);
      if (k === undefined) return undefined;
      out.push(k);
    }
    return out;
  };
  if (Array.isArray(v)) {
    // (a set or map list equals a plain list in any order, a plain list only in its order: no
    // one key can stand for both, so nested unordered lists take the pairwise path)
    const items = unorderedLists.has(v) ? undefined : all(v);
    return items && `[${items.join(',')}]`;
  }
  if (v instanceof CelMap) {
    const entries: string[] = [];
    for (const [k, x] of v.pairs()) {
      const kk = canonicalKey(k);
      const kx = canonicalKey(x);
      if (kk === undefined || kx === undefined) return undefined;
      entries.push(`${kk}:${kx}`);
    }
    return `{${entries.sort().join(',')}}`;
  }
  return undefined;
}

const isSurrogate = (u: number) => u >= 0xd800 && u <= 0xdfff;

/**
 * Strings ordered by code point, as Go orders them (by UTF-8 bytes): UTF-16 order differs where
 * a surrogate pair (U+10000 and up) meets a code unit from U+E000 to U+FFFF.
 */
function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length < b.length ? -1 : 1;
  const x = a.charCodeAt(i);
  const y = b.charCodeAt(i);
  if (isSurrogate(x) && !isSurrogate(y) && y >= 0xe000) return 1;
  if (isSurrogate(y) && !isSurrogate(x) && x >= 0xe000) return -1;
  return x < y ? -1 : 1;
}

/** Ordering for <, <=, >, >= (numbers across int/uint/double, strings, bytes, bools, times). */
export function celCompare(a: CelValue, b: CelValue): number {
  const na = numeric(a);
  const nb = numeric(b);
  if (na && nb) return compareNumeric(na, nb);
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return a.length - b.length;
  }
  if ((a instanceof CelTimestamp && b instanceof CelTimestamp) || (a instanceof CelDuration && b instanceof CelDuration)) return a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0;
  throw noSuchOverload();
}

/** A double printed as CEL and Go print it (1.0 → "1", 1e21 → "1e+21"). */
export function formatDouble(d: number): string {
  if (Number.isNaN(d)) return 'NaN';
  if (!Number.isFinite(d)) return d > 0 ? '+Inf' : '-Inf';
  const s = String(d);
  return s.replace(/e\+?(-?)(\d)$/, 'e$1$2').replace(/e(\d)/, 'e+$1');
}

/** A value rendered for messages (`[1, 2]`, `{"a": 1}`), close to cel-go's String(). */
export function display(v: CelValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return String(v);
  if (typeof v === 'number') return formatDouble(v);
  if (v === null) return 'null';
  if (typeof v === 'boolean') return String(v);
  if (v instanceof CelUint) return `${v.v}u`;
  if (Array.isArray(v)) return `[${v.map(display).join(', ')}]`;
  if (v instanceof CelMap) return `{${v.pairs().map(([k, x]) => `${display(k)}: ${display(x)}`).join(', ')}}`;
  if (v instanceof CelType) return v.name;
  if (v instanceof CelOptional) return v.value === undefined ? 'optional.none()' : `optional.of(${display(v.value)})`;
  return typeName(v);
}
