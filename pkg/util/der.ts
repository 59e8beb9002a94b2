// A DER reader for the few places that read X.509 structures without an openssl process: the
// elements of one level of encoding (tag byte and content), as Go's encoding/asn1 walks them,
// refusing what is not DER with its errors.

/** One DER element: its tag byte and the bytes of its content. */
export type Der = { tag: number; body: Buffer };

/** The elements `buf` holds one after another (the children of a SEQUENCE's or SET's content). */
export function derElements(buf: Buffer): Der[] {
  const out: Der[] = [];
  let i = 0;
  while (i < buf.length) {
    if (i + 2 > buf.length) throw new Error('asn1: syntax error: data truncated');
    const tag = buf[i++]!;
    let len = buf[i++]!;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 4) throw new Error('asn1: syntax error: indefinite length found (not DER)');
      len = 0;
      for (let k = 0; k < n; k++) len = len * 256 + buf[i++]!;
    }
    if (i + len > buf.length) throw new Error('asn1: syntax error: data truncated');
    out.push({ tag, body: buf.subarray(i, i + len) });
    i += len;
  }
  return out;
}
