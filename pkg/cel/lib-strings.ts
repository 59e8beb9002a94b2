// String functions: the standard ones (contains, startsWith, endsWith, matches, size) and
// cel-go's strings extension as Kubernetes enables it (charAt, indexOf, lastIndexOf, lowerAscii,
// upperAscii, replace, split, substring, trim, join, reverse, format, strings.quote). Indexes count code
// points. Regular expressions are RE2 syntax run by JavaScript's RegExp: the common subset
// (classes, anchors, groups, (?i) flags anywhere, (?P<name>...)) behaves alike.
import { CelEvalError, noSuchOverload } from './errors.js';
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

const regexCache = new Map<string, RegExp>();

/**
 * RE2 syntax JavaScript lacks, rewritten: flag groups `(?i)` / `(?i:...)` anywhere (their flags
 * then apply to the whole expression, which is exact where they lead it, as they usually do),
 * `(?P<name>`, `\z` and `\A`.
 */
function translateRE2(pattern: string): { body: string; flags: string } {
  let body = '';
  let flags = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const n = pattern[i + 1] ?? '';
      body += n === 'z' ? '$(?![\\s\\S])' : n === 'A' ? '^' : c + n;
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      body += c;
      continue;
    }
    if (c === '[') inClass = true;
    const group = c === '(' ? /^\(\?([imsU-]+)([):])/.exec(pattern.slice(i)) : null;
    if (group) {
      const on = group[1]!.split('-')[0]!;
      for (const f of on) if (f !== 'U' && !flags.includes(f)) flags += f;
      body += group[2] === ':' ? '(?:' : '';
      i += group[0].length - 1;
      continue;
    }
    if (pattern.startsWith('(?P<', i)) {
      body += '(?<';
      i += 3;
      continue;
    }
    body += c;
  }
  return { body, flags };
}

/** RE2 pattern → JavaScript RegExp (cached); invalid patterns are CEL errors. */
export function compileRegex(pattern: string, global = false): RegExp {
  const key = `${global ? 'g' : ''}${pattern}`;
  let re = regexCache.get(key);
  if (re) return re;
  const { body, flags } = translateRE2(pattern);
  try {
    re = new RegExp(body, `${global ? 'g' : ''}u${flags}`);
  } catch (e) {
    throw new CelEvalError(`error parsing regexp: ${(e as Error).message}`);
  }
  if (regexCache.size > 512) regexCache.clear();
  regexCache.set(key, re);
  return re;
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

function replace(s: string, from: string, to: string, n: number): string {
  if (n < 0) return s.split(from).join(to);
  let out = '';
  let rest = s;
  for (let i = 0; i < n; i++) {
    const at = rest.indexOf(from);
    if (at < 0) break;
    out += rest.slice(0, at) + to;
    rest = rest.slice(at + from.length);
    if (from === '') {
      out += rest.slice(0, 1);
      rest = rest.slice(1);
    }
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
      return num().toExponential(precision ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
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

const formatFixed = (n: number, p: number) => (Number.isNaN(n) ? 'NaN' : !Number.isFinite(n) ? (n > 0 ? 'Infinity' : '-Infinity') : n.toFixed(p));

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
  matches: (s, re) => compileRegex(str(re)).test(str(s)),
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
  find: (s, re) => str(s).match(compileRegex(str(re)))?.[0] ?? '',
  findAll: (s, re, n) => {
    const all = [...str(s).matchAll(compileRegex(str(re), true))].map((m) => m[0]);
    const limit = n === undefined ? -1 : int(n);
    return limit < 0 ? all : all.slice(0, limit);
  },
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
