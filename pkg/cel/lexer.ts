// The CEL lexer: identifiers, int/uint/double literals (decimal and hex), strings and bytes
// (quoted with ' or ", triple-quoted, raw with an r prefix, bytes with a b prefix, with CEL's
// escapes), operators and punctuation; `//` comments and whitespace are skipped.
import { CelCompileError } from './errors.js';

export type TokenKind = 'ident' | 'int' | 'uint' | 'double' | 'string' | 'bytes' | 'op' | 'eof';

export interface Token {
  kind: TokenKind;
  /** The operator or identifier text; for literals the source text. */
  text: string;
  offset: number;
  value?: bigint | number | string | Uint8Array;
}

const OPERATORS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '+', '-', '*', '/', '%', '?', ':', '.', ',', '[', ']', '(', ')', '{', '}'];
const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', "'": "'", '"': '"', '`': '`', '?': '?' };

const fail = (source: string, offset: number, detail: string): never => {
  throw new CelCompileError([{ offset, detail: `Syntax error: ${detail}` }], source);
};

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
      i++;
      continue;
    }
    if (src.startsWith('//', i)) {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    const start = i;
    const prefix = /^(?:[rR][bB]?|[bB][rR]?)(?=['"])/.exec(src.slice(i, i + 3))?.[0] ?? '';
    if (prefix || c === '"' || c === "'") {
      i += prefix.length;
      const raw = /r/i.test(prefix);
      const bytes = /b/i.test(prefix);
      const q = src[i]!;
      const triple = src.startsWith(q.repeat(3), i);
      const close = triple ? q.repeat(3) : q;
      i += close.length;
      const { text, end } = readString(src, i, close, raw, bytes, start);
      i = end;
      out.push(bytes ? { kind: 'bytes', text: src.slice(start, i), offset: start, value: encodeBytes(text) } : { kind: 'string', text: src.slice(start, i), offset: start, value: text });
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      out.push(readNumber(src, i));
      i += out[out.length - 1]!.text.length;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      while (i < src.length && /[A-Za-z0-9_]/.test(src[i]!)) i++;
      out.push({ kind: 'ident', text: src.slice(start, i), offset: start });
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (!op) fail(src, i, `token recognition error at: '${c}'`);
    out.push({ kind: 'op', text: op!, offset: i });
    i += op!.length;
  }
  out.push({ kind: 'eof', text: '<EOF>', offset: src.length });
  return out;
}

function readNumber(src: string, i: number): Token {
  const rest = src.slice(i);
  const hex = /^0[xX][0-9a-fA-F]+([uU])?/.exec(rest);
  if (hex) {
    const digits = hex[0].replace(/[uU]$/, '');
    return { kind: hex[1] ? 'uint' : 'int', text: hex[0], offset: i, value: BigInt(digits) };
  }
  const dbl = /^(?:[0-9]*\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+)/.exec(rest);
  if (dbl) return { kind: 'double', text: dbl[0], offset: i, value: Number(dbl[0]) };
  const int = /^[0-9]+([uU])?/.exec(rest)!;
  const digits = int[0].replace(/[uU]$/, '');
  return { kind: int[1] ? 'uint' : 'int', text: int[0], offset: i, value: BigInt(digits) };
}

/** Reads a string body up to `close`, decoding escapes unless raw. Bytes keep \x and octal escapes as single bytes (marked). */
function readString(src: string, i: number, close: string, raw: boolean, bytes: boolean, start: number): { text: string; end: number } {
  let text = '';
  for (;;) {
    if (i >= src.length) fail(src, start, 'unterminated string literal');
    if (src.startsWith(close, i)) return { text, end: i + close.length };
    const c = src[i]!;
    if (close.length === 1 && (c === '\n' || c === '\r')) fail(src, start, 'unterminated string literal');
    if (c !== '\\' || raw) {
      if (raw && c === '\\' && src[i + 1] === close[0]) {
        text += c + close[0];
        i += 2;
        continue;
      }
      text += c;
      i++;
      continue;
    }
    const e = src[i + 1] ?? '';
    if (SIMPLE_ESCAPES[e] !== undefined) {
      text += SIMPLE_ESCAPES[e];
      i += 2;
      continue;
    }
    let m: RegExpExecArray | null;
    if ((m = /^[xX]([0-9a-fA-F]{2})/.exec(src.slice(i + 1)))) {
      text += bytes ? byteMark(parseInt(m[1]!, 16)) : String.fromCodePoint(parseInt(m[1]!, 16));
      i += 4;
    } else if ((m = /^u([0-9a-fA-F]{4})/.exec(src.slice(i + 1))) && !bytes) {
      text += String.fromCodePoint(parseInt(m[1]!, 16));
      i += 6;
    } else if ((m = /^U([0-9a-fA-F]{8})/.exec(src.slice(i + 1))) && !bytes) {
      const cp = parseInt(m[1]!, 16);
      if (cp > 0x10ffff) fail(src, i, 'invalid unicode code point');
      text += String.fromCodePoint(cp);
      i += 10;
    } else if ((m = /^([0-3][0-7]{2})/.exec(src.slice(i + 1)))) {
      text += bytes ? byteMark(parseInt(m[1]!, 8)) : String.fromCodePoint(parseInt(m[1]!, 8));
      i += 4;
    } else {
      fail(src, i, `invalid escape sequence '\\${e}'`);
    }
  }
}

// Bytes escapes stand for one byte each, not a UTF-8 encoded code point: they travel through
// the decoded text in the private use area and come out as that byte.
const byteMark = (b: number) => String.fromCodePoint(0xf0000 + b);

function encodeBytes(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xf0000 && cp <= 0xf00ff) out.push(cp - 0xf0000);
    else out.push(...new TextEncoder().encode(ch));
  }
  return Uint8Array.from(out);
}
