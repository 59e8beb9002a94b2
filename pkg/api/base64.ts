// Base64 as Kubernetes decodes []byte fields from JSON (Go's encoding/json with
// base64.StdEncoding): the standard alphabet, padding required, CR and LF ignored, and Go's
// error text, `illegal base64 data at input byte N`, N being the offset of the first bad byte.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALID = new Uint8Array(128);
for (const c of ALPHABET) VALID[c.charCodeAt(0)] = 1;

const isNewline = (c: number) => c === 10 || c === 13;

/** Go's CorruptInputError offset for `s`, or -1 when StdEncoding decodes it. */
export function base64ErrorOffset(s: string): number {
  let i = 0;
  const n = s.length;
  for (;;) {
    // One quantum: up to four symbols, newlines skipped.
    for (let j = 0; j < 4; j++) {
      if (i === n) return j === 0 ? -1 : i - j;
      const c = s.charCodeAt(i++);
      if (c < 128 && VALID[c]) continue;
      if (isNewline(c)) {
        j--;
        continue;
      }
      if (c !== 61 /* = */ || j < 2) return i - 1;
      if (j === 2) {
        while (i < n && isNewline(s.charCodeAt(i))) i++;
        if (i === n) return n;
        if (s.charCodeAt(i) !== 61) return i - 1;
        i++;
      }
      while (i < n && isNewline(s.charCodeAt(i))) i++;
      return i < n ? i : -1;
    }
  }
}

/** `illegal base64 data at input byte N`, or undefined for valid base64. */
export function base64Error(s: string): string | undefined {
  const at = base64ErrorOffset(s);
  return at < 0 ? undefined : `illegal base64 data at input byte ${at}`;
}

/** The number of bytes valid base64 text decodes to. */
export function base64DecodedLength(s: string): number {
  let symbols = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 && VALID[c]) symbols++;
  }
  return Math.floor((symbols * 3) / 4);
}
