// Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource): "100m", "0.5", "1Gi",
// "512Mi", "1e3", "1k", "1M". Parsing is exact (BigInt rationals) so that "0.1" is 100 milli,
// not 100.00000000000001; results are plain numbers, rounded up as Kubernetes' Value() and
// MilliValue() do.

/** ParseQuantity's error (ErrFormatWrong), which decoding and validation report. */
export const QUANTITY_FORMAT_MESSAGE = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

export class QuantityError extends Error {
  constructor(public readonly input: string) {
    super(QUANTITY_FORMAT_MESSAGE);
    this.name = 'QuantityError';
  }
}

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** An exact rational value: num / den (den > 0). */
interface Rational {
  num: bigint;
  den: bigint;
  format: QuantityFormat;
}

const decimalSuffix: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const binarySuffix: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

const re = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?\d+))?$/;

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

/**
 * `fn` remembered by its text argument, for at most 1024 texts (then it starts over): the same
 * few quantities ("100m", "128Mi") come in every pod, and a BigInt parse is most of a pod's
 * defaulting and validation otherwise. Only results are kept (a throw is not), never mutated.
 */
function memoByText<T>(fn: (s: string) => T): (s: string) => T {
  const seen = new Map<string, T>();
  return (s) => {
    let v = seen.get(s);
    if (v === undefined) {
      v = fn(s);
      if (seen.size >= 1024) seen.clear();
      seen.set(s, v);
    }
    return v;
  };
}

const parseRational: (s: string) => Readonly<Rational> = memoByText(parseRationalUncached);

function parseRationalUncached(s: string): Rational {
  if (typeof s !== 'string') throw new QuantityError(String(s));
  const m = re.exec(s.trim() === s ? s : '');
  if (!m) throw new QuantityError(s);
  const [, sign, numStr, suffix = '', exp] = m;
  const [intPart, fracPart = ''] = numStr.split('.');
  let num = BigInt((intPart || '0') + fracPart);
  let den = pow10(fracPart.length);
  if (sign === '-') num = -num;
  let format: QuantityFormat = 'DecimalSI';
  let e10 = 0;
  if (exp !== undefined) {
    format = 'DecimalExponent';
    e10 = Number(exp);
    if (Math.abs(e10) > 100) throw new QuantityError(s);
  } else if (suffix in binarySuffix) {
    format = 'BinarySI';
    num *= 1n << BigInt(binarySuffix[suffix]);
  } else {
    e10 = decimalSuffix[suffix];
  }
  if (e10 >= 0) num *= pow10(e10);
  else den *= pow10(-e10);
  return { num, den, format };
}

function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a > 0n ? q + 1n : q;
}

/** The quantity in base units (cores, bytes) as a float; throws QuantityError when malformed. */
export function parseQuantity(s: string): number {
  const r = parseRational(s);
  return Number(r.num) / Number(r.den);
}

/** Milli-units rounded up, like Quantity.MilliValue(): "100m" → 100, "0.5" → 500, "1" → 1000. */
export function quantityToMilli(s: string): number {
  const r = parseRational(s);
  return Number(ceilDiv(r.num * 1000n, r.den));
}

/** Whole units rounded up, like Quantity.Value(): "1Gi" → 1073741824, "100m" → 1. */
export function quantityToValue(s: string): number {
  const r = parseRational(s);
  return Number(ceilDiv(r.num, r.den));
}

/** The format a quantity was written in (what Kubernetes keeps when it re-serialises it). */
export function quantityFormat(s: string): QuantityFormat {
  return parseRational(s).format;
}

export function isValidQuantity(s: unknown): boolean {
  if (typeof s !== 'string') return false;
  try {
    parseRational(s);
    return true;
  } catch {
    return false;
  }
}

/** Compares two quantities exactly: negative when a < b, 0 when equal, positive when a > b. */
export function compareQuantities(a: string, b: string): number {
  const x = parseRational(a);
  const y = parseRational(b);
  const d = x.num * y.den - y.num * x.den;
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/** Formats milli-units as Kubernetes would print a DecimalSI quantity: 1500 → "1500m", 2000 → "2". */
export function formatMilli(milli: number): string {
  if (!Number.isInteger(milli)) milli = Math.ceil(milli);
  return milli % 1000 === 0 ? formatQuantity(milli / 1000, 'DecimalSI') : `${milli}m`;
}

/**
 * Formats a whole number of base units: BinarySI picks the largest binary suffix that divides
 * it exactly (1073741824 → "1Gi"), DecimalSI the largest decimal one (3000 → "3k").
 */
export function formatQuantity(value: number, format: QuantityFormat = 'DecimalSI'): string {
  if (!Number.isFinite(value)) throw new RangeError(`cannot format ${value} as a quantity`);
  if (!Number.isInteger(value)) return formatMilli(Math.ceil(value * 1000));
  if (value === 0) return '0';
  const v = BigInt(value);
  const abs = v < 0n ? -v : v;
  if (format === 'BinarySI') {
    for (const [suf, shift] of Object.entries(binarySuffix).reverse()) {
      const unit = 1n << BigInt(shift);
      if (abs % unit === 0n) return `${v / unit}${suf}`;
    }
    // Not a multiple of 1Ki: Kubernetes falls back to decimal notation.
  }
  for (const suf of ['E', 'P', 'T', 'G', 'M', 'k']) {
    const unit = pow10(decimalSuffix[suf]);
    if (abs % unit === 0n) return `${v / unit}${suf}`;
  }
  return String(v);
}

/** Rounds up to nano precision, as Kubernetes does when it parses a quantity. */
function toNano(r: Readonly<Rational>): bigint {
  return ceilDiv(r.num * 1_000_000_000n, r.den);
}

/**
 * The canonical form Kubernetes stores and prints a quantity in: "0.5" → "500m", "1000m" → "1",
 * "1.5Gi" → "1536Mi", "1e3" → "1e3", "2048" → "2048", "0.5Ki" → "512". Throws QuantityError.
 */
export function canonicalQuantity(s: string): string {
  return canonical(s);
}

const canonical = memoByText(canonicalUncached);

function canonicalUncached(s: string): string {
  const r = parseRational(s);
  let nano = toNano(r);
  if (nano === 0n) return '0';
  let format = r.format;
  if (format === 'BinarySI') {
    const whole = nano % 1_000_000_000n === 0n;
    const abs = nano < 0n ? -nano : nano;
    if (abs < 1024n * 1_000_000_000n || !whole) format = 'DecimalSI';
  }
  const neg = nano < 0n;
  if (neg) nano = -nano;
  const sign = neg ? '-' : '';
  if (format === 'BinarySI') {
    let v = nano / 1_000_000_000n;
    let exp = 0;
    while (exp < 6 && v % 1024n === 0n) {
      v /= 1024n;
      exp++;
    }
    return `${sign}${v}${['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'][exp]}`;
  }
  // Decimal: the largest exponent (a multiple of 3, from -9) that leaves an integer mantissa.
  let mant = nano;
  let exp = -9;
  while (mant % 1000n === 0n && exp < 18) {
    mant /= 1000n;
    exp += 3;
  }
  if (format === 'DecimalExponent') return exp === 0 ? `${sign}${mant}` : `${sign}${mant}e${exp}`;
  const suffix: Record<number, string> = { [-9]: 'n', [-6]: 'u', [-3]: 'm', 0: '', 3: 'k', 6: 'M', 9: 'G', 12: 'T', 15: 'P', 18: 'E' };
  return `${sign}${mant}${suffix[exp]}`;
}
