// Validation and defaults of ServiceAccounts and TokenRequests (Kubernetes' ValidateServiceAccount,
// ValidateTokenRequest, SetDefaults_TokenRequestSpec), and of the serviceAccountToken source of
// projected volumes (validateProjectionSources).
import { invalid, required, type FieldError } from './field-error.js';
import type { ServiceAccount, TokenRequest } from './types.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './validation-meta.js';

/** A requested token lifetime shorter than this is refused (10 minutes). */
export const MIN_TOKEN_EXPIRATION_SECONDS = 10 * 60;
/** Nor longer than 2^32 seconds. */
const MAX_TOKEN_EXPIRATION_SECONDS = 2 ** 32;
/** A TokenRequest or a projected token without expirationSeconds gets one hour. */
export const DEFAULT_TOKEN_EXPIRATION_SECONDS = 3600;

export function validateServiceAccount(sa: ServiceAccount): FieldError[] {
  return validateObjectMeta(sa.metadata, true, 'metadata');
}

export function validateServiceAccountUpdate(sa: ServiceAccount, old: ServiceAccount): FieldError[] {
  return validateObjectMetaUpdate(sa.metadata, old.metadata, true, 'metadata');
}

/** The bounds every requested token lifetime must respect, at `path`. */
export function validateExpirationSeconds(seconds: number | undefined, path: string): FieldError[] {
  const s = seconds ?? 0;
  if (s < MIN_TOKEN_EXPIRATION_SECONDS) return [invalid(path, s, 'may not specify a duration less than 10 minutes')];
  if (s > MAX_TOKEN_EXPIRATION_SECONDS) return [invalid(path, s, 'may not specify a duration larger than 2^32 seconds')];
  return [];
}

export function defaultTokenRequest(tr: TokenRequest): TokenRequest {
  const spec = (tr.spec ??= {});
  if (spec.expirationSeconds === undefined || spec.expirationSeconds === null) spec.expirationSeconds = DEFAULT_TOKEN_EXPIRATION_SECONDS;
  return tr;
}

export function validateTokenRequest(tr: TokenRequest): FieldError[] {
  return validateExpirationSeconds(tr.spec?.expirationSeconds, 'spec.expirationSeconds');
}

/** A projected volume's serviceAccountToken source, at `path`; a missing path is told at `pathField`. */
export function validateTokenProjection(p: { expirationSeconds?: number; path?: string }, path: string, pathField = `${path}.path`): FieldError[] {
  const errs = validateExpirationSeconds(p.expirationSeconds, `${path}.expirationSeconds`);
  if (!p.path) errs.push(required(pathField));
  return errs;
}
