// Kubernetes' CEL libraries (k8s.io/apiserver/pkg/cel/library) that CRD rules use: lists
// (isSorted, sum, min, max, indexOf, lastIndexOf), sets (sets.contains, sets.equivalent,
// sets.intersects), quantities (quantity(), isQuantity(), compareTo, isGreaterThan, isLessThan,
// asInteger, asApproximateFloat, sign, isInteger, add, sub) and urls (url(), isURL(),
// getScheme, getHost, getHostname, getPort, getEscapedPath, getQuery).
import { compareQuantities, isValidQuantity, parseQuantity, QUANTITY_FORMAT_MESSAGE, quantityToMilli } from '../api/quantity.js';
import { CelEvalError, noSuchOverload } from './errors.js';
import { canonicalKey, CelMap, celCompare, celEquals, checkInt, CelDuration, CelUint, type CelObject, type CelValue } from './values.js';
import { checkDuration } from './lib-time.js';

const list = (v: CelValue | undefined): CelValue[] => {
  if (!Array.isArray(v)) throw noSuchOverload();
  return v;
};

export class CelQuantity implements CelObject {
  readonly typeName = 'kubernetes.Quantity';
  constructor(readonly text: string) {}
  equals(o: unknown): boolean {
    return o instanceof CelQuantity && compareQuantities(this.text, o.text) === 0;
  }
}

export class CelURL implements CelObject {
  readonly typeName = 'kubernetes.URL';
  constructor(readonly url: URL, readonly text: string) {}
  equals(o: unknown): boolean {
    return o instanceof CelURL && o.text === this.text;
  }
}

function parseURL(s: string): CelURL {
  // Kubernetes takes absolute URIs and absolute paths (url.ParseRequestURI).
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(s) && !s.startsWith('/')) throw new CelEvalError(`URL parse error during conversion from string: parse "${s}": invalid URI for request`);
  try {
    return new CelURL(new URL(s, s.startsWith('/') ? 'http://relative.invalid' : undefined), s);
  } catch {
    throw new CelEvalError(`URL parse error during conversion from string: parse "${s}": invalid URI for request`);
  }
}

const quantity = (v: CelValue | undefined): CelQuantity => {
  if (!(v instanceof CelQuantity)) throw noSuchOverload();
  return v;
};
const url = (v: CelValue | undefined): CelURL => {
  if (!(v instanceof CelURL)) throw noSuchOverload();
  return v;
};

/** The sum of a list of ints, uints, doubles or durations (0 of the element type when empty). */
function sum(l: CelValue[]): CelValue {
  if (!l.length) return 0n;
  const first = l[0]!;
  if (typeof first === 'bigint') return checkInt(l.reduce<bigint>((a, b) => (typeof b === 'bigint' ? checkInt(a + b) : bad()), 0n));
  if (first instanceof CelUint) return new CelUint(l.reduce<bigint>((a, b) => (b instanceof CelUint ? a + b.v : bad()), 0n));
  if (typeof first === 'number') return l.reduce<number>((a, b) => (typeof b === 'number' ? a + b : bad()), 0);
  if (first instanceof CelDuration) return checkDuration(l.reduce<bigint>((a, b) => (b instanceof CelDuration ? a + b.ns : bad()), 0n));
  return bad();
}
const bad = (): never => {
  throw noSuchOverload();
};

function extreme(l: CelValue[], name: string, sign: number): CelValue {
  if (!l.length) throw new CelEvalError(`${name} called on empty list`);
  return l.reduce((a, b) => (celCompare(b, a) * sign > 0 ? b : a));
}

function quantityAdd(a: CelQuantity, b: CelValue, sign: 1 | -1): CelQuantity {
  const milli = (q: string) => quantityToMilli(q);
  const other = b instanceof CelQuantity ? milli(b.text) : typeof b === 'bigint' ? Number(b) * 1000 : bad();
  const total = milli(a.text) + sign * other;
  return new CelQuantity(total % 1000 === 0 ? String(total / 1000) : `${total}m`);
}

type Fn = (t: CelValue, ...a: CelValue[]) => CelValue;

/** Methods on lists, quantities and urls. */
export const KUBERNETES_METHODS: Record<string, Fn> = {
  isSorted: (l) => list(l).every((x, i, a) => i === 0 || celCompare(a[i - 1]!, x) <= 0),
  sum: (l) => sum(list(l)),
  min: (l) => extreme(list(l), 'min', -1),
  max: (l) => extreme(list(l), 'max', 1),
  isGreaterThan: (a, b) => compareQuantities(quantity(a).text, quantity(b).text) > 0,
  isLessThan: (a, b) => compareQuantities(quantity(a).text, quantity(b).text) < 0,
  compareTo: (a, b) => BigInt(compareQuantities(quantity(a).text, quantity(b).text)),
  asApproximateFloat: (q) => parseQuantity(quantity(q).text),
  asInteger: (q) => {
    const milli = quantityToMilli(quantity(q).text);
    if (milli % 1000 !== 0 || !Number.isSafeInteger(milli / 1000)) throw new CelEvalError('cannot convert value to integer');
    return BigInt(milli / 1000);
  },
  isInteger: (q) => {
    const milli = quantityToMilli(quantity(q).text);
    return milli % 1000 === 0 && Number.isSafeInteger(milli / 1000);
  },
  sign: (q) => BigInt(Math.sign(parseQuantity(quantity(q).text))),
  add: (a, b) => quantityAdd(quantity(a), b, 1),
  sub: (a, b) => quantityAdd(quantity(a), b, -1),
  getScheme: (u) => url(u).url.protocol.replace(/:$/, ''),
  getHost: (u) => (url(u).text.startsWith('/') ? '' : url(u).url.host),
  getHostname: (u) => (url(u).text.startsWith('/') ? '' : url(u).url.hostname.replace(/^\[|\]$/g, '')),
  getPort: (u) => (url(u).text.startsWith('/') ? '' : url(u).url.port),
  getEscapedPath: (u) => url(u).url.pathname,
  getQuery: (u) => {
    const m = new CelMap();
    for (const k of new Set(url(u).url.searchParams.keys())) m.set(k, url(u).url.searchParams.getAll(k));
    return m;
  },
};

/** indexOf / lastIndexOf on a list (the string forms live with the string functions). */
export function listIndexOf(l: CelValue[], x: CelValue, last: boolean): bigint {
  if (!last) return BigInt(l.findIndex((e) => celEquals(e, x)));
  for (let i = l.length - 1; i >= 0; i--) if (celEquals(l[i]!, x)) return BigInt(i);
  return -1n;
}

/** Global functions of the Kubernetes libraries. */
export const KUBERNETES_FUNCTIONS: Record<string, (...a: CelValue[]) => CelValue> = {
  quantity: (s) => {
    if (typeof s !== 'string') return bad();
    if (!isValidQuantity(s)) throw new CelEvalError(QUANTITY_FORMAT_MESSAGE);
    return new CelQuantity(s);
  },
  isQuantity: (s) => (typeof s === 'string' ? isValidQuantity(s) : bad()),
  url: (s) => (typeof s === 'string' ? parseURL(s) : bad()),
  isURL: (s) => {
    if (typeof s !== 'string') return bad();
    try {
      parseURL(s);
      return true;
    } catch {
      return false;
    }
  },
  'sets.contains': (a, b) => setFunction('sets.contains', a, b),
  'sets.intersects': (a, b) => setFunction('sets.intersects', a, b),
  'sets.equivalent': (a, b) => setFunction('sets.equivalent', a, b),
};

/**
 * Membership in list `l` in O(1) per lookup by canonical keys; values without one (NaN,
 * quantities, nested set lists) are compared pairwise, each comparison charged.
 */
function membership(l: CelValue[], charge: (n: number) => void): (x: CelValue) => boolean {
  const keys = new Set<string>();
  const unkeyed: CelValue[] = [];
  for (const y of l) {
    const k = canonicalKey(y);
    if (k === undefined) unkeyed.push(y);
    else keys.add(k);
  }
  return (x) => {
    const k = canonicalKey(x);
    if (k !== undefined && keys.has(k)) return true;
    const pool = k === undefined ? l : unkeyed;
    charge(pool.length);
    return pool.some((y) => celEquals(x, y));
  };
}

/** sets.contains(a, b), sets.intersects(a, b), sets.equivalent(a, b) in linear time. */
export function setFunction(fn: string, a: CelValue, b: CelValue, charge: (n: number) => void = () => {}): boolean {
  const la = list(a);
  const lb = list(b); // (their sizes are charged by the evaluator)
  const inA = membership(la, charge);
  switch (fn) {
    case 'sets.contains':
      return lb.every(inA);
    case 'sets.intersects':
      return lb.some(inA);
    default:
      return lb.every(inA) && la.every(membership(lb, charge));
  }
}
