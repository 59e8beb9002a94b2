// PEM text: the blocks of one type in a file or field (a CA bundle's certificates, a
// CertificateSigningRequest's request), found by their BEGIN and END lines. The one reader for
// the places that take certificates and requests apart without an openssl process.

/** A block of `type` from its BEGIN line to its END line, the base64 between them captured. */
const blockPattern = (type: string, flags = '') => new RegExp(`-----BEGIN ${type}-----([\\s\\S]*?)-----END ${type}-----`, flags);

/** The blocks of `type` ('CERTIFICATE', 'CERTIFICATE REQUEST') in `text`, each whole from its BEGIN line to its END line, in order. */
export function pemBlocks(text: string, type: string): string[] {
  return text.match(blockPattern(type, 'g')) ?? [];
}

/** The DER bytes of the first block of `type` in `text` (its base64 body decoded), undefined when there is none. */
export function firstPemBlockBytes(text: string, type: string): Buffer | undefined {
  const m = blockPattern(type).exec(text);
  return m ? Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64') : undefined;
}
