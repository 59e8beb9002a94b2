// Detached JWS signatures of the cluster-info ConfigMap (k8s.io/cluster-bootstrap/token/jws,
// ComputeDetachedSignature): HS256 keyed by a bootstrap token's secret, with the token's id as
// `kid`, serialized compact with the content left out ("header..signature"), so that a joining
// node holding the token can check the kubeconfig it reads anonymously before trusting it.
import { createHmac, timingSafeEqual } from 'node:crypto';

const b64url = (b: Buffer) => b.toString('base64url');

/** The detached compact JWS of `content` (go-jose's protected header: alg, then kid). */
export function computeDetachedSignature(content: string, tokenId: string, tokenSecret: string): string {
  const header = b64url(Buffer.from(JSON.stringify({ alg: 'HS256', kid: tokenId })));
  const signature = b64url(createHmac('sha256', tokenSecret).update(`${header}.${b64url(Buffer.from(content))}`).digest());
  return `${header}..${signature}`;
}

/** DetachedTokenIsValid: whether `detached` is the signature of `content` under the token. */
export function detachedTokenIsValid(detached: string, content: string, tokenId: string, tokenSecret: string): boolean {
  const want = Buffer.from(computeDetachedSignature(content, tokenId, tokenSecret));
  const got = Buffer.from(detached);
  return got.length === want.length && timingSafeEqual(got, want);
}
