// String functions: the standard ones (contains, startsWith, endsWith, matches, size) and
// cel-go's strings extension as Kubernetes enables it (charAt, indexOf, lastIndexOf, lowerAscii,
// upperAscii, replace, split, substring, trim, join, reverse, format, strings.quote). Indexes count code
// points. Regular expressions are RE2's, run in linear time by our own engine (re2-vm.ts); the
// regex functions charge the step budget by input length × program size, as cel-go does.
import { CelEvalError, noSuchOverload } from './errors.js';
import { compileRE2, type RE2 } from './re2-vm.js';
import { CelUint, checkInt, display, typeName, type CelValue } from './values.js';

const str = (v: CelValue | undefined): string => {
  if (typeof v !== 'string') throw noSuchOverload();
  return v;
};
const int = (v: CelValue | undefined): number => {
  if (typeof v !== 'bigint') throw noSuchOverload();
  return Number(v);
};
const cps = (s: string) => [...s];

/** Charges the evaluation's step budget (the regex functions' work grows with input × pattern). */
export type Charge = (steps: number) => void;

const codePoints = (s: string): number[] => Array.from(s, (c) => c.codePointAt(0)!);

/** cel-go's cost of one pass of a regex over a string: ceil((1 + length) × 0.1) × ceil(program size × 0.25). */
const regexCost = (length: number, re: RE2) => Math.ceil((1 + length) * 0.1) * Math.ceil(re.size * 0.25);

/** Thread steps of our engine one budget step pays for. */
const THREAD_STEPS_PER_STEP = 8;

/**
 * Charges a regex search: cel-go's cost up front (input length × program size), then any work
 * the engine does beyond what that paid for, as it goes (a budget stops a search midway).
 */
function regexMeter(length: number, re: RE2, charge: Charge): (threadSteps: number) => void {
  const upfront = regexCost(length, re);
  charge(upfront);
  let allowance = upfront * THREAD_STEPS_PER_STEP;
  return (steps) => {
    allowance -= steps;
    if (allowance < 0) {
      charge(Math.ceil(-allowance / THREAD_STEPS_PER_STEP));
      allowance = 0;
    }
  };
}

/** s.matches(re): whether RE2 pattern `re` matches anywhere in `s` (linear time). */
export function regexMatches(s: string, pattern: string, charge: Charge = () => {}): boolean {
  const re = compileRE2(pattern);
  const cps = codePoints(s);
  return re.exec(cps, 0, true, regexMeter(cps.length, re, charge)) !== undefined;
}

/**
 * The leftmost-first matches of `pattern` in `s` as Go's FindAllString finds them (an empty match
 * right after a match is skipped), at most `limit` (negative: all).
 */
export function regexFindAll(s: string, pattern: string, limit: number, charge: Charge = () => {}): string[] {
  const re = compileRE2(pattern);
  const cps = codePoints(s);
  // UTF-16 offset of each code point, to cut substrings
  const offsets: number[] = [];
  for (let i = 0, o = 0; i <= cps.length; i++) {
    offsets.push(o);
    o += (cps[i] ?? 0) > 0xffff ? 2 : 1;
  }
  const meter = regexMeter(cps.length, re, charge);
  const out: string[] = [];
  let prevEnd = -1;
  for (let pos = 0; pos <= cps.length && (limit < 0 || out.length < limit); ) {
    const m = re.exec(cps, pos, false, meter);
    if (!m) break;
    let accept = true;
    if (m[1] === m[0]) {
      if (m[0] === prevEnd) accept = false; // no empty match right after a match
      pos = m[1] + 1;
    } else {
      pos = m[1];
    }
    prevEnd = m[1];
    if (accept) out.push(s.slice(offsets[m[0]], offsets[m[1]]));
  }
  return out;
}

function indexOf(s: string, sub: string, from: number, last: boolean): bigint {
  const a = cps(s);
  const b = cps(sub);
  if (from < 0 || from > a.length) throw new CelEvalError(`index out of range: ${from}`);
  const matchesAt = (i: number) => b.every((c, j) => a[i + j] === c);
  if (last) {
    for (let i = Math.min(from, a.length - b.length); i >= 0; i--) if (matchesAt(i)) return BigInt(i);
  } else {
    for (let i = from; i + b.length <= a.length; i++) if (matchesAt(i)) return BigInt(i);
  }
  return -1n;
}

/** Go's strings.Replace: at most n replacements (all when negative); an empty `from` matches before each code point and at the end. */
function replace(s: string, from: string, to: string, n: number): string {
  if (n === 0 || from === to) return s;
  if (from === '') {
    const chars = cps(s);
    const m = n < 0 ? chars.length + 1 : n;
    let out = '';
    for (let i = 0; i <= chars.length; i++) out += (i < m ? to : '') + (chars[i] ?? '');
    return out;
  }
  if (n < 0) return s.split(from).join(to);
  let out = '';
  let rest = s;
  for (let i = 0; i < n; i++) {
    const at = rest.indexOf(from);
    if (at < 0) break;
    out += rest.slice(0, at) + to;
    rest = rest.slice(at + from.length);
  }
  return out + rest;
}

function split(s: string, sep: string, n: number): string[] {
  if (n === 0) return [];
  const parts = sep === '' ? cps(s) : s.split(sep);
  if (n < 0 || parts.length <= n) return parts;
  return [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}

function quote(s: string): string {
  const esc: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '\\': '\\\\', '"': '\\"' };
  return `"${[...s].map((c) => esc[c] ?? c).join('')}"`;
}

/** A formatting clause's argument as text: %s of any value, %d of ints, %f/%e of numbers, %x/%o/%b. */
function formatClause(verb: string, precision: number | undefined, v: CelValue): string {
  const num = (): number => {
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    if (v instanceof CelUint) return Number(v.v);
    throw new CelEvalError(`error during formatting: ${verb === 'f' ? 'fixed-point' : 'scientific'} clause can only be used on doubles, was given ${typeName(v)}`);
  };
  const int = (): bigint => {
    if (typeof v === 'bigint') return v;
    if (v instanceof CelUint) return v.v;
    if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
    throw new CelEvalError(`error during formatting: integer clause can only be used on integers, was given ${typeName(v)}`);
  };
  switch (verb) {
    case 's':
      return typeof v === 'string' ? v : v instanceof CelUint ? String(v.v) : display(v);
    case 'd':
      return String(int());
    case 'f':
      return formatFixed(num(), precision ?? 6);
    case 'e':
      return formatExponent(num(), precision ?? 6);
    case 'x':
    case 'X': {
      const t = typeof v === 'string' ? Buffer.from(v).toString('hex') : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : int().toString(16);
      return verb === 'X' ? t.toUpperCase() : t;
    }
    case 'o':
      return int().toString(8);
    case 'b':
      return typeof v === 'boolean' ? String(v) : int().toString(2);
    default:
      throw new CelEvalError(`could not parse formatting clause: unrecognized formatting clause "${verb}"`);
  }
}

/** Go's limit on a formatting precision (fmt's tooLarge). */
const MAX_PRECISION = 1_000_000;

/** A finite double as D × 10^-k exactly (D ≥ 0, k ≥ 0). */
function exactDecimal(n: number): { d: bigint; k: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(n));
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  let exp = biased - 1075;
  if (biased === 0) exp = -1074;
  else mant |= 1n << 52n;
  return exp >= 0 ? { d: mant << BigInt(exp), k: 0 } : { d: mant * 5n ** BigInt(-exp), k: -exp };
}

/** round(d / 10^drop), halves to even (as Go's strconv rounds the exact value). */
function roundDigits(d: bigint, drop: number): bigint {
  if (drop <= 0) return d * 10n ** BigInt(-drop);
  const div = 10n ** BigInt(drop);
  const q = d / div;
  const r2 = (d % div) * 2n;
  return r2 > div || (r2 === div && q % 2n === 1n) ? q + 1n : q;
}

const nonFinite = (n: number) => (Number.isNaN(n) ? 'NaN' : n > 0 ? 'Infinity' : '-Infinity');
const signOf = (n: number) => (n < 0 || Object.is(n, -0) ? '-' : '');

function checkPrecision(p: number): void {
  if (p > MAX_PRECISION) throw new CelEvalError(`error during formatting: precision ${p} too large`);
}

/** %.<p>f of any precision, digits exact as Go prints them (0.5 → "0", 2.5 → "2" at %.0f). */
function formatFixed(n: number, p: number): string {
  if (!Number.isFinite(n)) return nonFinite(n);
  checkPrecision(p);
  const { d, k } = exactDecimal(n);
  const digits = roundDigits(d, k - p).toString().padStart(p + 1, '0');
  const int = digits.slice(0, digits.length - p);
  return `${signOf(n)}${int}${p ? `.${digits.slice(digits.length - p)}` : ''}`;
}

/** %.<p>e of any precision: d.ddd…e±XX, digits exact as Go prints them. */
function formatExponent(n: number, p: number): string {
  if (!Number.isFinite(n)) return nonFinite(n);
  checkPrecision(p);
  const { d, k } = exactDecimal(n);
  let q: bigint;
  let e: number;
  if (d === 0n) {
    q = 0n;
    e = 0;
  } else {
    const len = d.toString().length;
    q = roundDigits(d, len - (p + 1));
    e = len - 1 - k;
    if (q.toString().length > p + 1) {
      q /= 10n; // 9.99… rounded up to 10.0…
      e++;
    }
  }
  const digits = q.toString().padStart(p + 1, '0');
  const exp = `${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  return `${signOf(n)}${digits[0]}${p ? `.${digits.slice(1)}` : ''}e${exp}`;
}

/** cel-go's string.format(list): %s %d %f %e %x %X %o %b with an optional .precision, %% for %. */
function format(template: string, args: CelValue): string {
  if (!Array.isArray(args)) throw noSuchOverload();
  let i = 0;
  return template.replace(/%(?:\.(\d+))?([a-zA-Z%])?/g, (_clause, prec: string | undefined, verb: string | undefined) => {
    if (verb === '%' && prec === undefined) return '%';
    if (!verb) throw new CelEvalError('could not parse formatting clause: unexpected end of string');
    if (i >= args.length) throw new CelEvalError(`index ${i} out of range`);
    return formatClause(verb, prec === undefined ? undefined : Number(prec), args[i++]!);
  });
}

type Fn = (t: CelValue, ...a: CelValue[]) => CelValue;

/** Methods on strings (receiver first); each checks its arity and argument types. */
export const STRING_METHODS: Record<string, Fn> = {
  contains: (s, x) => str(s).includes(str(x)),
  startsWith: (s, x) => str(s).startsWith(str(x)),
  endsWith: (s, x) => str(s).endsWith(str(x)),
  matches: (s, re) => regexMatches(str(s), str(re)),
  charAt: (s, i) => {
    const a = cps(str(s));
    const n = int(i);
    if (n < 0 || n > a.length) throw new CelEvalError(`index out of range: ${n}`);
    return a[n] ?? '';
  },
  indexOf: (s, sub, from) => indexOf(str(s), str(sub), from === undefined ? 0 : int(from), false),
  lastIndexOf: (s, sub, from) => indexOf(str(s), str(sub), from === undefined ? cps(str(s)).length : int(from), true),
  lowerAscii: (s) => str(s).replace(/[A-Z]/g, (c) => c.toLowerCase()),
  upperAscii: (s) => str(s).replace(/[a-z]/g, (c) => c.toUpperCase()),
  replace: (s, a, b, n) => replace(str(s), str(a), str(b), n === undefined ? -1 : int(n)),
  split: (s, sep, n) => split(str(s), str(sep), n === undefined ? -1 : int(n)),
  substring: (s, start, end) => {
    const a = cps(str(s));
    const b = int(start);
    const e = end === undefined ? a.length : int(end);
    if (b < 0 || b > a.length) throw new CelEvalError(`index out of range: ${b}`);
    if (e < 0 || e > a.length) throw new CelEvalError(`index out of range: ${e}`);
    if (b > e) throw new CelEvalError(`invalid substring range. start: ${b}, end: ${e}`);
    return a.slice(b, e).join('');
  },
  trim: (s) => str(s).replace(/^[\s\u0085\u00a0]+|[\s\u0085\u00a0]+$/gu, ''),
  reverse: (s) => cps(str(s)).reverse().join(''),
  format: (s, args) => format(str(s), args ?? null),
  // Kubernetes' regex library.
  find: (s, re) => regexFindAll(str(s), str(re), 1)[0] ?? '',
  findAll: (s, re, n) => regexFindAll(str(s), str(re), n === undefined ? -1 : int(n)),
};

/** list(string).join([separator]). */
export function joinList(list: CelValue, sep?: CelValue): string {
  if (!Array.isArray(list)) throw noSuchOverload();
  return list.map(str).join(sep === undefined ? '' : str(sep));
}

export const STRING_FUNCTIONS: Record<string, (...a: CelValue[]) => CelValue> = {
  'strings.quote': (s) => quote(str(s)),
  matches: (s, re) => STRING_METHODS.matches!(s!, re!),
};

/** size() of a string in code points. */
export const stringSize = (s: string): bigint => checkInt(BigInt(cps(s).length));
