// Service account issuer discovery (kube-apiserver's ServiceAccountIssuerDiscovery, GA since
// 1.21): an OpenID Connect provider configuration at /.well-known/openid-configuration and the
// signing keys' JWK set at /openid/v1/jwks, so that a relying party outside the cluster can
// verify the tokens this apiserver issues. RBAC lets service accounts read them through the
// system:service-account-issuer-discovery ClusterRole.
import type { KeyObject } from 'node:crypto';
import { algorithmOf, keyId } from './jwt.js';

export const OPENID_CONFIGURATION_PATH = '/.well-known/openid-configuration';
export const JWKS_PATH = '/openid/v1/jwks';

/** The provider configuration (serviceaccount.openIDMetadata): the issuer and where its keys are. */
export function openIDConfiguration(issuer: string, jwksURI: string, keys: KeyObject[]): Record<string, unknown> {
  return {
    issuer,
    jwks_uri: jwksURI,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...new Set(keys.map((k) => algorithmOf(k)))].sort(),
  };
}

/** The public keys that verify service account tokens, as a JWK set (kid as tokens carry it). */
export function jwks(keys: KeyObject[]): { keys: Record<string, unknown>[] } {
  return { keys: keys.map((k) => ({ use: 'sig', kid: keyId(k), alg: algorithmOf(k), ...(k.export({ format: 'jwk' }) as Record<string, unknown>) })) };
}
