// The continue token of a paged LIST: the etcd revision of the first page and the key to
// resume after (relative to the listed prefix), unpadded base64url JSON as Kubernetes encodes
// it (storage/continue.go). A token's revision of -1 continues at the latest revision: the
// token an expired one's 410 offers.
import { posix } from 'node:path';
import * as errors from '../errors.js';

export function encodeContinue(rv: number, start: string, scope: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: start.slice(scope.length) })).toString('base64url');
}

/** DecodeContinue, refused as the etcd store refuses it: 400 `invalid continue token: <why>`, in Go's words. */
export function decodeContinue(token: string, scope: string): { rv: number; start: string } {
  const invalid = (why: string) => errors.badRequest(`invalid continue token: continue key is not valid${why}`);
  const data = rawUrlBase64(token);
  if (typeof data === 'number') throw invalid(`: illegal base64 data at input byte ${data}`);
  let c: unknown;
  try {
    c = JSON.parse(data.toString('utf8'));
  } catch (e) {
    throw invalid(`: ${goJsonError(data.toString('utf8'), e as Error)}`);
  }
  // (json.Unmarshal into the token's struct: null and fields it does not know leave zero values)
  if (c !== null && (typeof c !== 'object' || Array.isArray(c))) throw invalid(`: json: cannot unmarshal ${goJsonType(c)} into Go value of type storage.continueToken`);
  const t = (c ?? {}) as { v?: unknown; rv?: unknown; start?: unknown };
  for (const [field, want, got] of [['v', 'string', t.v], ['start', 'string', t.start]] as const) {
    if (got !== undefined && got !== null && typeof got !== want) throw invalid(`: json: cannot unmarshal ${goJsonType(got)} into Go struct field continueToken.${field} of type string`);
  }
  if (t.rv !== undefined && t.rv !== null && (typeof t.rv !== 'number' || !Number.isInteger(t.rv))) {
    throw invalid(`: json: cannot unmarshal ${typeof t.rv === 'number' ? 'number' : goJsonType(t.rv)}${typeof t.rv === 'number' ? ` ${t.rv}` : ''} into Go struct field continueToken.rv of type int64`);
  }
  const v = (t.v as string | undefined) ?? '';
  if (v !== 'meta.k8s.io/v1') throw invalid(`: server does not recognize this encoded version ${v}`);
  const rv = (t.rv as number | undefined) ?? 0;
  if (rv === 0) throw invalid(': incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  const start = (t.start as string | undefined) ?? '';
  if (!start) throw invalid(': encoded start key empty (version meta.k8s.io/v1)');
  // A start that path.Clean would change could reach above the listed prefix (`../`): refused.
  const key = start.startsWith('/') ? start : `/${start}`;
  if (posix.normalize(key) !== key || (key.length > 1 && key.endsWith('/'))) throw invalid(`: ${start}`);
  return { rv, start: scope + key.slice(1) };
}

const URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * base64.RawURLEncoding.DecodeString: the bytes, or the offset Go's CorruptInputError names
 * (the first byte outside the alphabet, padding included; or a lone last character). Go skips
 * CR and LF.
 */
function rawUrlBase64(s: string): Buffer | number {
  let quantum = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '\r' || ch === '\n') continue;
    if (!URL_ALPHABET.includes(ch) || s.charCodeAt(i) > 127) return Buffer.byteLength(s.slice(0, i));
    quantum = (quantum + 1) % 4;
  }
  if (quantum === 1) {
    // (the lone character's offset: the last one that is not a line break)
    let i = s.length - 1;
    while (s[i] === '\r' || s[i] === '\n') i--;
    return Buffer.byteLength(s.slice(0, i));
  }
  return Buffer.from(s.replace(/[\r\n]/g, ''), 'base64url');
}

/** The JSON kind Go's decoder names in an UnmarshalTypeError. */
function goJsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

/** encoding/json's syntax errors for the usual cases: text that is no JSON, or JSON cut short. */
function goJsonError(text: string, e: Error): string {
  const trimmed = text.trim();
  if (!trimmed || /Unexpected end|Unterminated|end of JSON/i.test(e.message)) return 'unexpected end of JSON input';
  const first = trimmed[0]!;
  if (!'{["-0123456789tfn'.includes(first)) return `invalid character ${goQuoteChar(first)} looking for beginning of value`;
  return e.message;
}

const goQuoteChar = (c: string) => (c === "'" ? `'\\''` : c === '"' ? `'"'` : /[\x20-\x7e]/.test(c) ? `'${c}'` : `'\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}'`);
