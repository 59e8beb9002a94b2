// Type conversions (int, uint, double, string, bytes, bool, duration, timestamp, type, dyn) and
// the type identifiers (`int`, `string`, `list`, ...) that `type(x) == int` compares against.
import { CelEvalError, noSuchOverload } from './errors.js';
import { checkDuration, checkTimestamp, formatDuration, formatTimestamp, parseDuration, parseTimestamp, SECONDS } from './lib-time.js';
import { CelDuration, CelTimestamp, CelType, CelUint, checkInt, checkUint, formatDouble, INT64_MAX, INT64_MIN, typeName, UINT64_MAX, type CelValue } from './values.js';
import { CelQuantity, CelURL } from './lib-kubernetes.js';
import { CelCIDR, CelIP } from './lib-net.js';

export const TYPE_NAMES = new Set(['int', 'uint', 'double', 'bool', 'string', 'bytes', 'list', 'map', 'null_type', 'type', 'dyn', 'optional_type', 'google.protobuf.Timestamp', 'google.protobuf.Duration']);

const rangeError = () => new CelEvalError('integer overflow');

function toInt(v: CelValue): bigint {
  if (typeof v === 'bigint') return v;
  if (v instanceof CelUint) {
    if (v.v > INT64_MAX) throw rangeError();
    return v.v;
  }
  if (typeof v === 'number') {
    // Doubles at or beyond ±2^63 do not fit (2^63 itself rounds from INT64_MAX).
    if (!Number.isFinite(v) || v >= 9223372036854775807 || v <= -9223372036854775808) throw rangeError();
    return BigInt(Math.trunc(v));
  }
  if (typeof v === 'string') {
    if (!/^[+-]?\d+$/.test(v)) throw new CelEvalError(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
    const n = BigInt(v);
    if (n < INT64_MIN || n > INT64_MAX) throw new CelEvalError(`strconv.ParseInt: parsing ${JSON.stringify(v)}: value out of range`);
    return n;
  }
  if (v instanceof CelTimestamp) return v.ns >= 0n ? v.ns / SECONDS : -((-v.ns + SECONDS - 1n) / SECONDS);
  if (v instanceof CelDuration) return v.ns;
  throw noSuchOverload();
}

function toUint(v: CelValue): CelUint {
  if (v instanceof CelUint) return v;
  if (typeof v === 'bigint') return checkUint(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0 || v >= 18446744073709551615) throw rangeError();
    return new CelUint(BigInt(Math.trunc(v)));
  }
  if (typeof v === 'string') {
    if (!/^\+?\d+$/.test(v) || BigInt(v) > UINT64_MAX) throw new CelEvalError(`strconv.ParseUint: parsing ${JSON.stringify(v)}: invalid syntax`);
    return new CelUint(BigInt(v));
  }
  throw noSuchOverload();
}

function toDouble(v: CelValue): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof CelUint) return Number(v.v);
  if (typeof v === 'string') {
    const t = v.trim() === v ? v : '';
    if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
    if (/^nan$/i.test(t)) return NaN;
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) throw new CelEvalError(`strconv.ParseFloat: parsing ${JSON.stringify(v)}: invalid syntax`);
    return Number(t);
  }
  throw noSuchOverload();
}

export function toStringValue(v: CelValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof CelUint) return String(v.v);
  if (typeof v === 'number') return formatDouble(v);
  if (v instanceof Uint8Array) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(v);
    } catch {
      throw new CelEvalError('invalid UTF-8 in bytes, cannot convert to string');
    }
  }
  if (v instanceof CelTimestamp) return formatTimestamp(v);
  if (v instanceof CelDuration) return formatDuration(v);
  if (v instanceof CelType) return v.name;
  if (v instanceof CelQuantity) return v.text;
  if (v instanceof CelURL) return v.text;
  if (v instanceof CelIP || v instanceof CelCIDR) return v.toString();
  throw noSuchOverload();
}

function toBool(v: CelValue): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
    if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
    throw new CelEvalError(`type conversion error from 'string' to 'bool'`);
  }
  throw noSuchOverload();
}

const one = (args: CelValue[]): CelValue => {
  if (args.length !== 1) throw noSuchOverload();
  return args[0]!;
};

/** The conversion functions, by name. */
export const CONVERSIONS: Record<string, (...args: CelValue[]) => CelValue> = {
  int: (...a) => checkInt(toInt(one(a))),
  uint: (...a) => toUint(one(a)),
  double: (...a) => toDouble(one(a)),
  string: (...a) => toStringValue(one(a)),
  bool: (...a) => toBool(one(a)),
  bytes: (...a) => {
    const v = one(a);
    if (v instanceof Uint8Array) return v;
    if (typeof v === 'string') return new TextEncoder().encode(v);
    throw noSuchOverload();
  },
  duration: (...a) => {
    const v = one(a);
    if (v instanceof CelDuration) return v;
    if (typeof v === 'string') return parseDuration(v);
    if (typeof v === 'bigint') return checkDuration(v);
    throw noSuchOverload();
  },
  timestamp: (...a) => {
    const v = one(a);
    if (v instanceof CelTimestamp) return v;
    if (typeof v === 'string') return parseTimestamp(v);
    if (typeof v === 'bigint') return checkTimestamp(v * SECONDS);
    throw noSuchOverload();
  },
  type: (...a) => new CelType(typeName(one(a))),
  dyn: (...a) => one(a),
};
