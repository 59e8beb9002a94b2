// YAML as kubectl's -o yaml writes it: sigs.k8s.io/yaml's JSONToYAML, that is go-yaml v2's
// encoder and libyaml's emitter. Keys in go-yaml's order (numbers in a key compared as numbers,
// a letter after any other character), a sequence in a mapping not indented, and a string plain
// when YAML 1.1 would read it back as that string, else double-quoted ("y", "0644", a timestamp);
// the emitter then falls back to single quotes (or double, for a character it must escape) where
// plain is not allowed, writes a string with a line break as a literal block, and breaks a long
// plain or quoted string at a space once its line is past 80 columns (best_width).
import { resolvePlain } from './yaml11.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const bestWidth = 80;
const isMap = (v: unknown): v is { [k: string]: Json } => !!v && typeof v === 'object' && !Array.isArray(v);

/** go-yaml v2's keyList.Less for string keys. */
export function goKeyLess(a: string, b: string): boolean {
  const ar = [...a];
  const br = [...b];
  const letter = (c: string) => /\p{L}/u.test(c);
  const digit = (c: string | undefined) => c !== undefined && /\p{Nd}/u.test(c);
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) continue;
    const al = letter(ar[i]!);
    const bl = letter(br[i]!);
    if (al && bl) return ar[i]! < br[i]!;
    if (al || bl) return bl;
    let an = 0;
    let bn = 0;
    if (ar[i] === '0' || br[i] === '0') {
      for (let j = i - 1; j >= 0 && digit(ar[j]); j--) {
        if (ar[j] !== '0') {
          an = 1;
          bn = 1;
          break;
        }
      }
    }
    let ai = i;
    let bi = i;
    for (; ai < ar.length && digit(ar[ai]); ai++) an = an * 10 + Number(ar[ai]);
    for (; bi < br.length && digit(br[bi]); bi++) bn = bn * 10 + Number(br[bi]);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ar[i]! < br[i]!;
  }
  return ar.length < br.length;
}

/** go-yaml v2's parseTimestamp formats (a YYYY- start): unquoted, such a string would come back as a time. */
const timestamp = /^\d{4}-\d{1,2}-\d{1,2}(?:[Tt]\d{1,2}:\d{1,2}:\d{1,2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})|[ ]\d{1,2}:\d{1,2}:\d{1,2}(?:\.\d+)?)?$/;
const base60Float = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

/** encoder.stringv: plain only when the text would be read back as this string. */
const canUsePlain = (s: string) => resolvePlain(s).tag === 'str' && !timestamp.test(s) && !base60Float.test(s);

const isPrintable = (c: number) => c === 0x0a || (c >= 0x20 && c <= 0x7e) || c === 0x85 || (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff) || c >= 0x10000;
const isBreak = (c: string | undefined) => c === '\n' || c === '\r' || c === '\u0085' || c === '\u2028' || c === '\u2029';
const isBlankz = (c: string | undefined) => c === undefined || c === ' ' || c === '\t' || isBreak(c);

/** yaml_emitter_analyze_scalar: where plain (block context) and single quotes are allowed. */
function analyze(s: string): { plain: boolean; single: boolean } {
  if (s === '') return { plain: false, single: true };
  const cs = [...s];
  let indicators = s.startsWith('---') || s.startsWith('...');
  let special = false;
  let lineBreaks = false;
  let leadingSpace = false;
  let trailingSpace = false;
  let leadingBreak = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  let precededByWhitespace = true;
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i]!;
    const followed = isBlankz(cs[i + 1]);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(c)) indicators = true;
      if ((c === '?' || c === ':' || c === '-') && followed) indicators = true;
    } else if ((c === ':' && followed) || (c === '#' && precededByWhitespace)) indicators = true;
    if (!isPrintable(c.codePointAt(0)!)) special = true;
    if (isBreak(c)) lineBreaks = true;
    if (c === ' ') {
      if (i === 0) leadingSpace = true;
      if (i === cs.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(c)) {
      if (i === 0) leadingBreak = true;
      if (i === cs.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousBreak = true;
      previousSpace = false;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlankz(c);
  }
  let plain = !(leadingSpace || leadingBreak || trailingSpace || trailingBreak || breakSpace || spaceBreak || special || lineBreaks || indicators);
  const single = !(breakSpace || spaceBreak || special);
  return { plain, single };
}

/** Writes `s` from `column`, breaking at a space (not before another) once past best_width; continuation lines at `indent`. */
function folded(s: string, column: number, indent: number, quote: '' | "'" | '"', breaks: boolean): string {
  const cs = [...s];
  let out = quote;
  let col = column + quote.length;
  let spaces = false;
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i]!;
    if (c === ' ') {
      const inner = quote === '' || (i > 0 && i < cs.length - 1);
      if (breaks && !spaces && col > bestWidth && inner && (quote === '"' || cs[i + 1] !== ' ')) {
        out += `\n${' '.repeat(indent)}`;
        col = indent;
        // (a double-quoted string escapes a space that would start the next line)
        if (quote === '"' && cs[i + 1] === ' ') {
          out += '\\';
          col++;
        }
      } else {
        out += ' ';
        col++;
      }
      spaces = true;
      continue;
    }
    const text = quote === "'" && c === "'" ? "''" : quote === '"' ? escape(c) : c;
    out += text;
    col += text.length;
    spaces = false;
  }
  return out + quote;
}

/** yaml_emitter_write_double_quoted_scalar's escapes. */
function escape(c: string): string {
  const named: Record<string, string> = { '\0': '\\0', '\x07': '\\a', '\b': '\\b', '\t': '\\t', '\n': '\\n', '\x0b': '\\v', '\f': '\\f', '\r': '\\r', '\x1b': '\\e', '"': '\\"', '\\': '\\\\', '\u0085': '\\N', '\u00a0': '\\_', '\u2028': '\\L', '\u2029': '\\P' };
  if (named[c]) return named[c]!;
  const code = c.codePointAt(0)!;
  if (isPrintable(code) && code !== 0xfeff) return c;
  return code <= 0xff ? `\\x${code.toString(16).toUpperCase().padStart(2, '0')}` : code <= 0xffff ? `\\u${code.toString(16).toUpperCase().padStart(4, '0')}` : `\\U${code.toString(16).toUpperCase().padStart(8, '0')}`;
}

/** A literal block (|, |-, |+, with an indentation hint for a leading space) at `indent`. */
function literal(s: string, indent: number): string {
  const cs = [...s];
  const hint = cs[0] === ' ' || isBreak(cs[0]) ? '2' : '';
  const last = cs[cs.length - 1];
  const chomp = !isBreak(last) ? '-' : cs.length === 1 || isBreak(cs[cs.length - 2]) ? '+' : '';
  const body = (isBreak(last) ? s.slice(0, -1) : s).split('\n').map((l) => (l ? `${' '.repeat(indent)}${l}` : ''));
  return `|${hint}${chomp}\n${body.join('\n')}`;
}

/** A string at `column` as a value whose continuation lines go at `indent` (or as a key: no breaks, no blocks). */
function stringScalar(s: string, column: number, indent: number, key: boolean): string {
  if (s.includes('\n') && !key) {
    // (a literal block unless a character has to be escaped, or a space ends a line)
    const { single } = analyze(s);
    if (single && !/ \n|\n /.test(s) && !s.endsWith(' ')) return literal(s, indent);
    return folded(s, column, indent, '"', true);
  }
  if (canUsePlain(s)) {
    const { plain, single } = analyze(s);
    if (plain && s !== '') return folded(s, column, indent, '', !key);
    if (single) return folded(s, column, indent, "'", !key);
  }
  return folded(s, column, indent, '"', !key);
}

function scalar(v: Json, column: number, indent: number, key = false): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return String(v);
  return stringScalar(v as string, column, indent, key);
}

/** A block mapping with its keys at column `indent`, its first key written at `firstColumn` (after "- "). */
function mapping(m: { [k: string]: Json }, indent: number, firstColumn = indent): string {
  const keys = Object.keys(m).sort((a, b) => (goKeyLess(a, b) ? -1 : goKeyLess(b, a) ? 1 : 0));
  return keys
    .map((k, i) => {
      const start = i === 0 ? firstColumn : indent;
      const keyText = scalar(k, start, indent, true);
      return `${i === 0 ? '' : ' '.repeat(indent)}${keyText}:${value(m[k]!, start + keyText.length + 1, indent, true)}`;
    })
    .join('\n');
}

/** A block sequence with its "-" at column `indent`, the first written at `firstColumn`. */
function sequence(l: Json[], indent: number, firstColumn = indent): string {
  return l.map((item, i) => `${i === 0 ? '' : ' '.repeat(indent)}-${value(item, (i === 0 ? firstColumn : indent) + 1, indent, false)}`).join('\n');
}

/**
 * What follows "key:" or "-" written up to `column`, in a collection at `indent`: a scalar or an
 * empty collection on the line (a scalar's further lines at indent + 2), a mapping's keys at
 * indent + 2, a sequence in a mapping at the mapping's own indent (go-yaml does not indent it),
 * a collection in a sequence on the line of its "-".
 */
function value(v: Json, column: number, indent: number, inMapping: boolean): string {
  const inner = indent + 2;
  if (Array.isArray(v) && v.length) return inMapping ? `\n${' '.repeat(indent)}${sequence(v, indent)}` : ` ${sequence(v, inner, column + 1)}`;
  if (isMap(v) && Object.keys(v).length) return inMapping ? `\n${' '.repeat(inner)}${mapping(v, inner)}` : ` ${mapping(v, inner, column + 1)}`;
  if (Array.isArray(v)) return ' []';
  if (isMap(v)) return ' {}';
  return ` ${scalar(v, column + 1, inner)}`;
}

/** `v` (decoded JSON) as kubectl -o yaml prints it, ending in a newline. */
export function goYaml(v: unknown): string {
  const j = JSON.parse(JSON.stringify(v ?? null)) as Json;
  if (isMap(j) && Object.keys(j).length) return `${mapping(j, 0)}\n`;
  if (Array.isArray(j) && j.length) return `${sequence(j, 0)}\n`;
  return `${value(j, -1, -2, false).slice(1)}\n`;
}
