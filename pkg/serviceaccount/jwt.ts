// Compact JWS (RFC 7515) signed JSON Web Tokens (RFC 7519), as Kubernetes' service account tokens
// are: RS256 with an RSA key or ES256 with a P-256 key, from node:crypto. Only these two
// algorithms are accepted, and only the one that matches the verifying key, so a token cannot
// choose "none" or an HMAC keyed with the public key.
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

export type JwtAlgorithm = 'RS256' | 'ES256';

export interface JwtHeader {
  alg: string;
  kid?: string;
  typ?: string;
}

/** The registered claims Kubernetes uses, and whatever private claims a token carries. */
export interface JwtClaims {
  iss?: string;
  sub?: string;
  /** One audience or several (RFC 7519 allows both forms). */
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
  jti?: string;
  [claim: string]: unknown;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** The JWS algorithm of a key: RS256 for RSA, ES256 for P-256; other keys are refused. */
export function algorithmOf(key: KeyObject): JwtAlgorithm {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new Error(`service account keys must be RSA or EC P-256, not ${key.asymmetricKeyType ?? key.type}`);
}

/**
 * The key id Kubernetes puts in the header: the unpadded base64url SHA-256 of the public key's
 * DER (PKIX) encoding, so verifiers can tell keys apart after a rotation.
 */
export function keyId(key: KeyObject): string {
  let id = keyIds.get(key);
  if (id === undefined) {
    const pub = key.type === 'private' ? createPublicKey(key) : key;
    id = createHash('sha256').update(pub.export({ format: 'der', type: 'spki' })).digest('base64url');
    keyIds.set(key, id);
  }
  return id;
}
const keyIds = new WeakMap<KeyObject, string>();

/** Signs `claims` with a private key: `header.payload.signature`, each part base64url. */
export function signJwt(claims: JwtClaims, key: KeyObject): string {
  const alg = algorithmOf(key);
  const head = b64url(JSON.stringify({ alg, kid: keyId(key) }));
  const body = b64url(JSON.stringify(claims));
  const input = `${head}.${body}`;
  // ES256 signatures are r||s (IEEE P1363), not DER, in JWS.
  const sig = sign('sha256', Buffer.from(input), alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key);
  return `${input}.${b64url(sig)}`;
}

export class JwtError extends Error {
  override name = 'JwtError';
}

/** Whether `token` has the shape of a compact JWS (three base64url parts); says nothing of its validity. */
export function looksLikeJwt(token: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token);
}

/** The claims of a token, unverified: for choosing which authenticator should verify it. */
export function unverifiedClaims(token: string): JwtClaims | undefined {
  if (!looksLikeJwt(token)) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as unknown;
    return claims && typeof claims === 'object' && !Array.isArray(claims) ? (claims as JwtClaims) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks the signature against any of `keys` (public keys) and returns the claims. Throws a
 * JwtError for a malformed token, an algorithm other than the key's, or a bad signature; the
 * time and audience claims are the caller's to check.
 */
export function verifyJwt(token: string, keys: KeyObject[]): { header: JwtHeader; claims: JwtClaims } {
  if (!looksLikeJwt(token)) throw new JwtError('malformed token');
  const [h, b, s] = token.split('.') as [string, string, string];
  let header: JwtHeader;
  let claims: JwtClaims;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as JwtHeader;
    claims = JSON.parse(Buffer.from(b, 'base64url').toString('utf8')) as JwtClaims;
  } catch {
    throw new JwtError('malformed token');
  }
  if (!header || typeof header !== 'object' || !claims || typeof claims !== 'object' || Array.isArray(claims)) throw new JwtError('malformed token');
  const input = Buffer.from(`${h}.${b}`);
  const sig = Buffer.from(s, 'base64url');
  for (const key of keys) {
    const alg = algorithmOf(key);
    if (header.alg !== alg) continue;
    if (header.kid && header.kid !== keyId(key)) continue;
    const ok = verify('sha256', input, alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key, sig);
    if (ok) return { header, claims };
  }
  throw new JwtError('invalid signature');
}
