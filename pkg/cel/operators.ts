// CEL's operators: arithmetic with int64/uint64 overflow errors (`integer overflow`,
// `division by zero`, `modulus by zero`), IEEE doubles, string/bytes/list concatenation,
// timestamp and duration arithmetic, comparisons across int/uint/double, equality and `in`.
import type { BinaryOp } from './ast.js';
import { CelEvalError, noSuchOverload } from './errors.js';
import { checkDuration, checkTimestamp } from './lib-time.js';
import { canonicalKey, CelDuration, CelMap, CelTimestamp, CelUint, celCompare, celEquals, checkInt, checkUint, INT64_MIN, listKind, markUnordered, traversalCost, type CelValue } from './values.js';

function add(a: CelValue, b: CelValue): CelValue {
  if (typeof a === 'bigint' && typeof b === 'bigint') return checkInt(a + b);
  if (a instanceof CelUint && b instanceof CelUint) return checkUint(a.v + b.v);
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (typeof a === 'string' && typeof b === 'string') return a + b;
  if (Array.isArray(a) && Array.isArray(b)) return concatLists(a, b);
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Uint8Array.from([...a, ...b]);
  if (a instanceof CelTimestamp && b instanceof CelDuration) return checkTimestamp(a.ns + b.ns);
  if (a instanceof CelDuration && b instanceof CelTimestamp) return checkTimestamp(a.ns + b.ns);
  if (a instanceof CelDuration && b instanceof CelDuration) return checkDuration(a.ns + b.ns);
  throw noSuchOverload();
}

/**
 * `a + b` of lists. As in Kubernetes, a list-type=set list gains the items of `b` it lacks (a
 * union), a list-type=map list has its items replaced by those of `b` with the same keys and
 * gains the others (a merge); the result keeps the list type.
 */
function concatLists(a: CelValue[], b: CelValue[]): CelValue[] {
  const kind = listKind(a);
  if (!kind) return [...a, ...b];
  const keyOf = (x: CelValue): string | undefined => {
    if (kind.type === 'set') return canonicalKey(x);
    if (!(x instanceof CelMap)) return undefined;
    const parts = kind.keys.map((k) => canonicalKey(x.get(k) ?? null));
    return parts.every((p) => p !== undefined) ? parts.join('\u0000') : undefined;
  };
  const out = [...a];
  const at = new Map<string, number>();
  a.forEach((x, i) => {
    const k = keyOf(x);
    if (k !== undefined && !at.has(k)) at.set(k, i);
  });
  for (const x of b) {
    const k = keyOf(x);
    const i = k === undefined ? undefined : at.get(k);
    if (i === undefined) {
      if (k !== undefined) at.set(k, out.length);
      out.push(x);
    } else if (kind.type === 'map') {
      out[i] = x;
    }
  }
  return markUnordered(out, kind.type, kind.keys);
}

/**
 * The steps an operator's work takes beyond its one node, growing with the sizes involved (as
 * cel-go charges them): equality per element (at every depth) and per ten characters of the
 * smaller operand, `in` a list per element compared, concatenation per element (per ten
 * characters or bytes for strings and bytes). Counting stops past `limit` (the budget left).
 */
export function binaryCost(op: BinaryOp, a: CelValue, b: CelValue, limit = Infinity): number {
  switch (op) {
    case '==':
    case '!=':
      return Math.min(traversalCost(a, limit), traversalCost(b, limit));
    case 'in':
      return Array.isArray(b) ? b.length * (1 + traversalCost(a, limit)) : 0;
    case '+':
      if (Array.isArray(a) && Array.isArray(b)) return a.length + b.length;
      if ((typeof a === 'string' && typeof b === 'string') || (a instanceof Uint8Array && b instanceof Uint8Array)) return Math.ceil((a.length + b.length) / 10);
      return 0;
    default:
      return 0;
  }
}

function sub(a: CelValue, b: CelValue): CelValue {
  if (typeof a === 'bigint' && typeof b === 'bigint') return checkInt(a - b);
  if (a instanceof CelUint && b instanceof CelUint) return checkUint(a.v - b.v);
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (a instanceof CelTimestamp && b instanceof CelTimestamp) return checkDuration(a.ns - b.ns);
  if (a instanceof CelTimestamp && b instanceof CelDuration) return checkTimestamp(a.ns - b.ns);
  if (a instanceof CelDuration && b instanceof CelDuration) return checkDuration(a.ns - b.ns);
  throw noSuchOverload();
}

function mul(a: CelValue, b: CelValue): CelValue {
  if (typeof a === 'bigint' && typeof b === 'bigint') return checkInt(a * b);
  if (a instanceof CelUint && b instanceof CelUint) return checkUint(a.v * b.v);
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  throw noSuchOverload();
}

function div(a: CelValue, b: CelValue): CelValue {
  if (typeof a === 'bigint' && typeof b === 'bigint') {
    if (b === 0n) throw new CelEvalError('division by zero');
    if (a === INT64_MIN && b === -1n) throw new CelEvalError('integer overflow');
    return a / b;
  }
  if (a instanceof CelUint && b instanceof CelUint) {
    if (b.v === 0n) throw new CelEvalError('division by zero');
    return new CelUint(a.v / b.v);
  }
  if (typeof a === 'number' && typeof b === 'number') return a / b;
  throw noSuchOverload();
}

function mod(a: CelValue, b: CelValue): CelValue {
  if (typeof a === 'bigint' && typeof b === 'bigint') {
    if (b === 0n) throw new CelEvalError('modulus by zero');
    if (a === INT64_MIN && b === -1n) throw new CelEvalError('integer overflow');
    return a % b;
  }
  if (a instanceof CelUint && b instanceof CelUint) {
    if (b.v === 0n) throw new CelEvalError('modulus by zero');
    return new CelUint(a.v % b.v);
  }
  throw noSuchOverload();
}

function contains(container: CelValue, x: CelValue): boolean {
  if (Array.isArray(container)) return container.some((e) => celEquals(e, x));
  if (container instanceof CelMap) {
    try {
      return container.has(x);
    } catch {
      return false;
    }
  }
  throw noSuchOverload();
}

/** Whether `celCompare` ordering holds, NaN comparing false. */
const ordered = (a: CelValue, b: CelValue, ok: (c: number) => boolean) => {
  const c = celCompare(a, b);
  return !Number.isNaN(c) && ok(c);
};

export function binary(op: BinaryOp, a: CelValue, b: CelValue): CelValue {
  switch (op) {
    case '==':
      return celEquals(a, b);
    case '!=':
      return !celEquals(a, b);
    case '<':
      return ordered(a, b, (c) => c < 0);
    case '<=':
      return ordered(a, b, (c) => c <= 0);
    case '>':
      return ordered(a, b, (c) => c > 0);
    case '>=':
      return ordered(a, b, (c) => c >= 0);
    case 'in':
      return contains(b, a);
    case '+':
      return add(a, b);
    case '-':
      return sub(a, b);
    case '*':
      return mul(a, b);
    case '/':
      return div(a, b);
    case '%':
      return mod(a, b);
  }
}

export function negate(v: CelValue): CelValue {
  if (typeof v === 'bigint') return checkInt(-v);
  if (typeof v === 'number') return -v;
  if (v instanceof CelDuration) return checkDuration(-v.ns);
  throw noSuchOverload();
}
