// A parser for RE2 regular expression syntax (as Go's regexp/syntax with its Perl flags reads
// it): literals and escapes (\d \w \s and their negations, \pL and \p{Greek}, \x{...}, octal,
// \Q...\E, escaped punctuation), [...] classes with ranges, negation and [[:alpha:]] POSIX
// classes, `.`, anchors ^ $ \A \z \b \B, groups (capturing, (?:...), (?P<name>...),
// (?<name>...)), alternation, * + ? {m} {m,} {m,n} (at most 1000) and their lazy forms, and
// the flags i, m, s, U, set for the rest of a group or scoped (?i:...). What RE2 refuses
// (backreferences, lookaround, possessive repeats) is refused with Go's wording:
// `error parsing regexp: invalid escape sequence: `\1``.
import { CelEvalError } from './errors.js';

/** A test of one code point (a literal, a class, or `.`). */
export type CharTest = (cp: number) => boolean;

export type AssertKind = 'bot' | 'eot' | 'bol' | 'eol' | 'wordb' | 'nwordb';

export type ReNode =
  | { t: 'char'; test: CharTest }
  | { t: 'cat'; xs: ReNode[] }
  | { t: 'alt'; xs: ReNode[] }
  | { t: 'rep'; min: number; max: number; greedy: boolean; x: ReNode }
  | { t: 'assert'; kind: AssertKind };

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  U: boolean;
}

/** RE2's limits: a counted repetition at most 1000, nesting at most 1000 deep. */
export const MAX_REPEAT = 1000;
const MAX_NESTING = 1000;

const regexpError = (code: string, arg: string) => new CelEvalError(`error parsing regexp: ${code}: \`${arg}\``);

const lowerCp = (cp: number): number => {
  const s = String.fromCodePoint(cp).toLowerCase();
  return s.length === 1 || (s.length === 2 && s.codePointAt(0)! > 0xffff) ? s.codePointAt(0)! : cp;
};
const upperCp = (cp: number): number => {
  const s = String.fromCodePoint(cp).toUpperCase();
  return s.length === 1 || (s.length === 2 && s.codePointAt(0)! > 0xffff) ? s.codePointAt(0)! : cp;
};
/** `test` under case folding (simple folds: the code point, its lower and upper case). */
const folded = (test: CharTest): CharTest => (cp) => test(cp) || test(lowerCp(cp)) || test(upperCp(cp));

type Range = [number, number];
const inRanges = (ranges: Range[]) => (cp: number) => ranges.some(([lo, hi]) => cp >= lo && cp <= hi);

const DIGIT: Range[] = [[0x30, 0x39]];
const SPACE: Range[] = [[0x09, 0x0a], [0x0c, 0x0d], [0x20, 0x20]];
const WORD: Range[] = [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]];
const PERL_CLASSES: Record<string, Range[]> = { d: DIGIT, s: SPACE, w: WORD };

const POSIX_CLASSES: Record<string, Range[]> = {
  alnum: [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]],
  alpha: [[0x41, 0x5a], [0x61, 0x7a]],
  ascii: [[0, 0x7f]],
  blank: [[0x09, 0x09], [0x20, 0x20]],
  cntrl: [[0, 0x1f], [0x7f, 0x7f]],
  digit: DIGIT,
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [[0x21, 0x2f], [0x3a, 0x40], [0x5b, 0x60], [0x7b, 0x7e]],
  space: [[0x09, 0x0d], [0x20, 0x20]],
  upper: [[0x41, 0x5a]],
  word: WORD,
  xdigit: [[0x30, 0x39], [0x41, 0x46], [0x61, 0x66]],
};

export const isWordChar = (cp: number | undefined): boolean => cp !== undefined && ((cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || cp === 0x5f || (cp >= 0x61 && cp <= 0x7a));

/** A Unicode class (`L`, `Lu`, `Greek`, `Any`) tested with JavaScript's \p on one code point. */
function unicodeClass(name: string): CharTest | undefined {
  if (name === 'Any') return () => true;
  if (!/^[A-Za-z_]+$/.test(name)) return undefined;
  for (const body of [name, `Script=${name}`]) {
    try {
      const re = new RegExp(`^\\p{${body}}$`, 'u');
      return (cp) => re.test(String.fromCodePoint(cp));
    } catch {
      // not this kind of name
    }
  }
  return undefined;
}

const isHex = (c: string | undefined) => c !== undefined && /^[0-9A-Fa-f]$/.test(c);

class ReParser {
  private pos = 0;
  private flags: Flags = { i: false, m: false, s: false, U: false };
  private depth = 0;
  private readonly names = new Set<string>();
  /** The pattern as code points (strings of one code point each). */
  private readonly c: string[];

  constructor(private readonly src: string) {
    this.c = [...src];
  }

  private get rest(): string {
    return this.c.slice(this.pos).join('');
  }

  parse(): ReNode {
    const node = this.alternation();
    if (this.pos < this.c.length) throw regexpError('unexpected )', this.src); // only ')' stops it early
    return node;
  }

  private alternation(): ReNode {
    const xs: ReNode[] = [this.concatenation()];
    while (this.c[this.pos] === '|') {
      this.pos++;
      xs.push(this.concatenation());
    }
    return xs.length === 1 ? xs[0]! : { t: 'alt', xs };
  }

  private concatenation(): ReNode {
    const xs: ReNode[] = [];
    /** Start of the repetition operator just read (for `a**`), or -1. */
    let lastRepeat = -1;
    while (this.pos < this.c.length) {
      const ch = this.c[this.pos]!;
      if (ch === '|' || ch === ')') break;
      const start = this.pos;
      if (ch === '*' || ch === '+' || ch === '?' || (ch === '{' && this.counted() !== undefined)) {
        const rep = ch === '{' ? this.counted()! : { min: ch === '+' ? 1 : 0, max: ch === '?' ? 1 : -1, len: 1 };
        this.pos += rep.len;
        let greedy = true;
        if (this.c[this.pos] === '?') {
          greedy = false;
          this.pos++;
        }
        const text = this.c.slice(start, this.pos).join('');
        if (lastRepeat >= 0) throw regexpError('invalid nested repetition operator', this.c.slice(lastRepeat, this.pos).join(''));
        const prev = xs.pop();
        if (!prev) throw regexpError('missing argument to repetition operator', text);
        if (rep.min > MAX_REPEAT || rep.max > MAX_REPEAT || (rep.max >= 0 && rep.max < rep.min)) throw regexpError('invalid repeat count', text);
        xs.push({ t: 'rep', min: rep.min, max: rep.max, greedy: greedy !== this.flags.U, x: prev });
        lastRepeat = start;
        continue;
      }
      lastRepeat = -1;
      const atom = this.atom();
      if (atom) xs.push(atom);
    }
    return xs.length === 1 ? xs[0]! : { t: 'cat', xs };
  }

  /** `{m}`, `{m,}`, `{m,n}` at the current position, or undefined (then `{` is a literal). */
  private counted(): { min: number; max: number; len: number } | undefined {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(this.c.slice(this.pos, this.pos + 24).join(''));
    if (!m) return undefined;
    const min = m[1]!.length > 5 ? MAX_REPEAT + 1 : Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? -1 : m[3]!.length > 5 ? MAX_REPEAT + 1 : Number(m[3]);
    return { min, max, len: m[0].length };
  }

  private literal(cp: number): ReNode {
    if (this.flags.i && lowerCp(cp) !== upperCp(cp)) {
      const l = lowerCp(cp);
      const u = upperCp(cp);
      return { t: 'char', test: (x) => x === cp || x === l || x === u || lowerCp(x) === l };
    }
    return { t: 'char', test: (x) => x === cp };
  }

  /** One atom; undefined for a flag group `(?i)` (which changes the flags and matches nothing). */
  private atom(): ReNode | undefined {
    const ch = this.c[this.pos]!;
    switch (ch) {
      case '(':
        return this.group();
      case '[':
        return this.charClass();
      case '.': {
        this.pos++;
        const s = this.flags.s;
        return { t: 'char', test: s ? () => true : (cp) => cp !== 0x0a };
      }
      case '^':
        this.pos++;
        return { t: 'assert', kind: this.flags.m ? 'bol' : 'bot' };
      case '$':
        this.pos++;
        return { t: 'assert', kind: this.flags.m ? 'eol' : 'eot' };
      case '\\':
        return this.escapeAtom();
      default:
        this.pos++;
        return this.literal(ch.codePointAt(0)!);
    }
  }

  private group(): ReNode | undefined {
    const start = this.pos;
    this.pos++; // (
    if (this.c[this.pos] === '?') {
      const next = this.c[this.pos + 1];
      if ((next === 'P' && this.c[this.pos + 2] === '<') || (next === '<' && this.c[this.pos + 2] !== '=' && this.c[this.pos + 2] !== '!')) {
        const nameStart = this.pos + (next === 'P' ? 3 : 2);
        const end = this.c.indexOf('>', nameStart);
        if (end < 0) throw regexpError('invalid named capture', this.c.slice(start).join(''));
        const name = this.c.slice(nameStart, end).join('');
        const text = this.c.slice(start, end + 1).join('');
        if (!/^[A-Za-z0-9_]+$/.test(name)) throw regexpError('invalid named capture', text);
        if (this.names.has(name)) throw regexpError('duplicate capture group name', name);
        this.names.add(name);
        this.pos = end + 1;
      } else {
        return this.flagGroup(start);
      }
    }
    return this.groupBody(this.flags);
  }

  /** `(?flags)` (for the rest of the enclosing group) or `(?flags:re)`. */
  private flagGroup(start: number): ReNode | undefined {
    this.pos++; // ?
    const flags = { ...this.flags };
    let negated = false;
    let any = false;
    for (;;) {
      const f = this.c[this.pos];
      if (f === undefined) throw regexpError('missing closing )', this.src);
      this.pos++;
      if (f === 'i' || f === 'm' || f === 's' || f === 'U') {
        flags[f] = !negated;
        any = true;
      } else if (f === '-' && !negated) {
        negated = true;
        any = false;
      } else if ((f === ')' || f === ':') && (any || !negated)) {
        if (f === ')') {
          this.flags = flags;
          return undefined;
        }
        const saved = this.flags;
        this.flags = flags;
        return this.groupBody(saved);
      } else {
        throw regexpError('invalid or unsupported Perl syntax', this.c.slice(start, this.pos).join(''));
      }
    }
  }

  /** The alternation up to `)`; the flags go back to `restore` after it. */
  private groupBody(restore: Flags): ReNode {
    if (++this.depth > MAX_NESTING) throw new CelEvalError('error parsing regexp: expression nests too deeply');
    const node = this.alternation();
    if (this.c[this.pos] !== ')') throw regexpError('missing closing )', this.src);
    this.pos++;
    this.depth--;
    this.flags = restore;
    return node;
  }

  /** `\x` outside a class: an assertion, a Perl or Unicode class, \Q...\E, or one code point. */
  private escapeAtom(): ReNode {
    const n = this.c[this.pos + 1];
    switch (n) {
      case 'A':
        this.pos += 2;
        return { t: 'assert', kind: 'bot' };
      case 'z':
        this.pos += 2;
        return { t: 'assert', kind: 'eot' };
      case 'b':
        this.pos += 2;
        return { t: 'assert', kind: 'wordb' };
      case 'B':
        this.pos += 2;
        return { t: 'assert', kind: 'nwordb' };
      case 'Q': {
        const end = this.rest.indexOf('\\E');
        const text = [...(end < 0 ? this.rest.slice(2) : this.rest.slice(2, end))];
        this.pos += end < 0 ? this.c.length : 2 + text.length + 2;
        this.pos = Math.min(this.pos, this.c.length);
        return { t: 'cat', xs: text.map((x) => this.literal(x.codePointAt(0)!)) };
      }
      default: {
        const test = this.escapeTest(false);
        return typeof test === 'number' ? this.literal(test) : { t: 'char', test: this.flags.i ? folded(test) : test };
      }
    }
  }

  /**
   * An escape at the current position (inside a class or not): a code point, or the test of a
   * class (\d \pL ...). Advances past it.
   */
  private escapeTest(inClass: boolean): number | CharTest {
    const start = this.pos;
    this.pos++; // backslash
    const n = this.c[this.pos];
    if (n === undefined) throw regexpError('trailing backslash at end of expression', '');
    this.pos++;
    const bad = () => regexpError('invalid escape sequence', this.c.slice(start, this.pos).join(''));
    const cls = PERL_CLASSES[n.toLowerCase()];
    if (cls && (n === n.toLowerCase() || PERL_CLASSES[n.toLowerCase()])) {
      const t = inRanges(cls);
      return n === n.toLowerCase() ? t : (cp) => !t(cp);
    }
    switch (n) {
      case 'p':
      case 'P': {
        let name: string;
        if (this.c[this.pos] === '{') {
          const end = this.c.indexOf('}', this.pos);
          if (end < 0) throw regexpError('invalid character class range', this.c.slice(start).join(''));
          name = this.c.slice(this.pos + 1, end).join('');
          this.pos = end + 1;
        } else {
          name = this.c[this.pos] ?? '';
          if (!name) throw bad();
          this.pos++;
        }
        let negate = n === 'P';
        if (name.startsWith('^')) {
          negate = !negate;
          name = name.slice(1);
        }
        const t = unicodeClass(name);
        if (!t) throw regexpError('invalid character class range', this.c.slice(start, this.pos).join(''));
        return negate ? (cp) => !t(cp) : t;
      }
      case 'a':
        return 7;
      case 'f':
        return 12;
      case 't':
        return 9;
      case 'n':
        return 10;
      case 'r':
        return 13;
      case 'v':
        return 11;
      case 'x': {
        if (this.c[this.pos] === '{') {
          const end = this.c.indexOf('}', this.pos);
          const hex = end < 0 ? '' : this.c.slice(this.pos + 1, end).join('');
          if (!/^[0-9A-Fa-f]{1,8}$/.test(hex) || parseInt(hex, 16) > 0x10ffff) {
            this.pos = end < 0 ? this.c.length : end + 1;
            throw bad();
          }
          this.pos = end + 1;
          return parseInt(hex, 16);
        }
        const h = this.c.slice(this.pos, this.pos + 2);
        if (h.length < 2 || !h.every(isHex)) {
          this.pos = Math.min(this.pos + 2, this.c.length);
          throw bad();
        }
        this.pos += 2;
        return parseInt(h.join(''), 16);
      }
      default:
        break;
    }
    // Octal: \0 with up to two more digits, or \1-\7 followed by an octal digit (a lone \1 would
    // be a backreference, which RE2 does not have).
    if (n >= '0' && n <= '7' && (n === '0' || (this.c[this.pos] ?? '') >= '0' && (this.c[this.pos] ?? '') <= '7')) {
      let digits = n;
      while (digits.length < 3 && (this.c[this.pos] ?? '') >= '0' && (this.c[this.pos] ?? '') <= '7') digits += this.c[this.pos++];
      return parseInt(digits, 8);
    }
    const cp = n.codePointAt(0)!;
    if (cp < 0x80 && !/[0-9A-Za-z]/.test(n)) return cp; // escaped punctuation
    void inClass;
    throw bad();
  }

  /** `[...]`: ranges, escapes, POSIX classes, negation; folded under (?i). */
  private charClass(): ReNode {
    const start = this.pos;
    this.pos++; // [
    let negate = false;
    if (this.c[this.pos] === '^') {
      negate = true;
      this.pos++;
    }
    const ranges: Range[] = [];
    const tests: CharTest[] = [];
    let first = true;
    const missing = () => regexpError('missing closing ]', this.c.slice(start).join(''));
    /** One code point of a range end, or a class test. */
    const item = (): number | CharTest => {
      const ch = this.c[this.pos];
      if (ch === undefined) throw missing();
      if (ch === '\\') return this.escapeTest(true);
      this.pos++;
      return ch.codePointAt(0)!;
    };
    for (;;) {
      const ch = this.c[this.pos];
      if (ch === undefined) throw missing();
      if (ch === ']' && !first) break;
      first = false;
      if (ch === '[' && this.c[this.pos + 1] === ':') {
        // (a bounded look ahead: the longest name is 6 letters)
        const m = /^\[:(\^?)([a-z]+):\]/.exec(this.c.slice(this.pos, this.pos + 12).join(''));
        if (m) {
          const cls = POSIX_CLASSES[m[2]!];
          if (!cls) throw regexpError('invalid character class range', m[0]);
          const t = inRanges(cls);
          tests.push(m[1] ? (cp) => !t(cp) : t);
          this.pos += [...m[0]].length;
          continue;
        }
      }
      const rangeStart = this.pos;
      const lo = item();
      if (typeof lo !== 'number') {
        tests.push(lo);
        continue;
      }
      if (this.c[this.pos] === '-' && this.c[this.pos + 1] !== undefined && this.c[this.pos + 1] !== ']') {
        this.pos++;
        const hi = item();
        if (typeof hi !== 'number' || hi < lo) throw regexpError('invalid character class range', this.c.slice(rangeStart, this.pos).join(''));
        ranges.push([lo, hi]);
      } else {
        ranges.push([lo, lo]);
      }
    }
    this.pos++; // ]
    const inR = inRanges(ranges);
    const base: CharTest = tests.length ? (cp) => inR(cp) || tests.some((t) => t(cp)) : inR;
    const test = this.flags.i ? folded(base) : base;
    return { t: 'char', test: negate ? (cp) => !test(cp) : test };
  }
}

/** Parses an RE2 pattern; throws CelEvalError `error parsing regexp: ...` for what RE2 refuses. */
export function parseRE2(pattern: string): ReNode {
  return new ReParser(pattern).parse();
}
