// CEL's operators: arithmetic with int64/uint64 overflow errors (`integer overflow`,
// `division by zero`, `modulus by zero`), IEEE doubles, string/bytes/list concatenation,
// timestamp and duration arithmetic, comparisons across int/uint/double, equality and `in`.
import type { BinaryOp } from './ast.js';
import { CelEvalError, noSuchOverload } from './errors.js';
import { checkDuration, checkTimestamp } from './lib-time.js';
import { CelDuration, CelMap, CelTimestamp, CelUint, celCompare, celEquals, checkInt, checkUint, INT64_MIN, type CelValue } from './values.js';

function add(a: CelValue, b: CelValue): CelValue {
  if (typeof a === 'bigint' && typeof b === 'bigint') return checkInt(a + b);
  if (a instanceof CelUint && b instanceof CelUint) return checkUint(a.v + b.v);
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (typeof a === 'string' && typeof b === 'string') return a + b;
  if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Uint8Array.from([...a, ...b]);
  if (a instanceof CelTimestamp && b instanceof CelDuration) return checkTimestamp(a.ns + b.ns);
  if (a instanceof CelDuration && b instanceof CelTimestamp) return checkTimestamp(a.ns + b.ns);
  if (a instanceof CelDuration && b instanceof CelDuration) return checkDuration(a.ns + b.ns);
  throw noSuchOverload();
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
