// API errors, one class per Kubernetes StatusReason, each turned into a `kind: Status` body
// with the HTTP code kubectl expects (k8s.io/apimachinery/pkg/api/errors).
import { fieldErrorBody, formatFieldError, type FieldError } from '../api/field-error.js';

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: { reason?: string; message: string; field?: string }[];
  retryAfterSeconds?: number;
}

export class ApiError extends Error {
  /** The Status's ListMeta: a continue token the client may use instead (an expired continue's). */
  listMeta?: { continue?: string };

  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ApiError';
  }

  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: this.listMeta ?? {},
      status: 'Failure',
      message: this.message,
      // (a Status a handler returns as its result, such as an eviction's 500, has no reason)
      ...(this.reason ? { reason: this.reason } : {}),
      ...(this.details ? { details: goDetails(this.details) } : {}),
      code: this.code,
    };
  }
}

/** Drops a struct's empty members, as omitempty does. */
const omitEmpty = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null && v !== '' && v !== 0 && !(Array.isArray(v) && !v.length))) as T;

/** StatusDetails as Go writes it: every member of it and of its causes omitempty (NewNotFound's empty group is left out). */
function goDetails(d: StatusDetails): StatusDetails {
  const out = omitEmpty({ ...d });
  if (out.causes) out.causes = out.causes.map((c) => omitEmpty({ ...c }));
  return out;
}

/** Whether an error is a 404 ApiError: the object (or its namespace) is not there, as apierrors.IsNotFound answers. */
export function isNotFound(e: unknown): e is ApiError {
  return e instanceof ApiError && e.code === 404;
}

const qualified = (group: string, resource: string) => (group ? `${resource}.${group}` : resource);

export const notFound = (group: string, resource: string, name: string) =>
  new ApiError(404, 'NotFound', `${qualified(group, resource)} "${name}" not found`, { name, group, kind: resource });

export const alreadyExists = (group: string, resource: string, name: string) =>
  new ApiError(409, 'AlreadyExists', `${qualified(group, resource)} "${name}" already exists`, { name, group, kind: resource });

export const conflict = (group: string, resource: string, name: string, why: string) =>
  new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(group, resource)} "${name}": ${why}`, { name, group, kind: resource });

export const badRequest = (message: string) => new ApiError(400, 'BadRequest', message);

export const methodNotSupported = (resource: string, verb: string, group = '') =>
  new ApiError(405, 'MethodNotAllowed', `${verb} is not supported on resources of kind "${qualified(group, resource)}"`, { ...(group ? { group } : {}), kind: resource });

export const ALL_PATCH_MEDIA = ['application/json', 'application/yaml', 'application/merge-patch+json', 'application/json-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];
/**
 * 415, as negotiation's errUnsupportedMediaType: the accepted types, not the one sent; `why`
 * adds what tskube cannot take of a type it otherwise serves (a protobuf field it does not decode).
 */
export const unsupportedMediaType = (accepted = ALL_PATCH_MEDIA, why?: string) =>
  new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}${why ? `; got ${why}` : ''}`);

export const gone = (message: string) => new ApiError(410, 'Expired', message);

/**
 * storage.NewTooLargeResourceVersionError: a read at a revision the cache has not reached within
 * its wait. A Timeout with a cause naming it, which client-go's reflector recognises (and falls
 * back from), retried after a second.
 */
export const tooLargeResourceVersion = (requested: number | string, current: number) =>
  // (given as the request's digits, it is printed as the uint64 it parses to, not a double rounded past 2^53)
  new ApiError(504, 'Timeout', `Timeout: Too large resource version: ${typeof requested === 'string' ? BigInt(requested).toString() : requested}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    retryAfterSeconds: 1,
  });

/** NewTooManyRequests: the message as given (no prefix), with when to retry. */
export const tooManyRequests = (message: string, retryAfterSeconds: number) => new ApiError(429, 'TooManyRequests', message, { retryAfterSeconds });

export const unauthorized = () => new ApiError(401, 'Unauthorized', 'Unauthorized');

/** `resource` may name a subresource (`pods/status`): the message says so, the object is the resource's (`pods "web"`), as Kubernetes'. */
export const forbidden = (user: string, verb: string, group: string, resource: string, namespace: string | undefined, name: string | undefined, why = '') =>
  admissionForbidden(group, resource.split('/')[0]!, name, `User "${user}" cannot ${verb} resource "${resource}" in API group "${group}"${namespace ? ` in the namespace "${namespace}"` : ' at the cluster scope'}${why ? `: ${why}` : ''}`);

/** A refused non-resource request: `forbidden: User "alice" cannot get path "/metrics"`. */
export const forbiddenPath = (user: string, verb: string, path: string, why = '') =>
  new ApiError(403, 'Forbidden', `forbidden: User "${user}" cannot ${verb} path "${path}"${why ? `: ${why}` : ''}`, {});

/** Kubernetes' NewForbidden, as admission plugins and the RBAC registry refuse: `pods "web" is forbidden: <why>`. */
export const admissionForbidden = (group: string, resource: string, name: string | undefined, why: string) =>
  new ApiError(403, 'Forbidden', `${qualified(group, resource)}${name ? ` "${name}"` : ''} is forbidden: ${why}`, { name, group, kind: resource });

export const tooLarge = (message: string) => new ApiError(413, 'RequestEntityTooLarge', message);

export const internal = (message: string, cause?: unknown) => new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, undefined, { cause });

export const unavailable = (message: string, cause?: unknown) => new ApiError(503, 'ServiceUnavailable', message, { retryAfterSeconds: 1 }, { cause });

/** A 422 Invalid (or, for decoding errors such as unknown fields, a 400 BadRequest) naming every bad field. */
export function invalid(kind: string, group: string, name: string, errs: FieldError[], version = 'v1'): ApiError {
  // As Kubernetes' NewInvalid: a cause's message is the error without its field (kubectl prints `field: message`).
  const causes = errs.map((e) => ({ reason: e.type, message: fieldErrorBody(e), field: e.field }));
  const onlyDecoding = errs.every((e) => e.type === 'FieldValueUnknown' || e.type === 'FieldValueTypeInvalid');
  if (onlyDecoding) {
    // Decoding failures are 400 BadRequest. A value of the wrong type stops Go's decoder, which
    // tells the first (`json: cannot unmarshal string into Go struct field ...`); unknown fields
    // are told together (`strict decoding error: unknown field "spec.foo", unknown field ...`).
    // Go's other decoding errors (base64, quantities) do not name the field: ours do.
    const typeErr = errs.find((e) => e.type === 'FieldValueTypeInvalid');
    // (a time stamp's error is time.Parse's own, also without the field)
    const why = !typeErr ? `strict decoding error: ${errs.map(formatFieldError).join(', ')}` : /^(json: |parsing time )/.test(typeErr.detail) ? typeErr.detail : formatFieldError(typeErr);
    return new ApiError(400, 'BadRequest', `${kind} in version "${version}" cannot be handled as a ${kind}: ${why}`, { name, group, kind, causes });
  }
  // Kubernetes qualifies the kind by its group: Deployment.apps "web" is invalid.
  // (ErrorList.ToAggregate: a message told twice is told once; the causes keep every error)
  const told = [...new Set(errs.map(formatFieldError))];
  const msg = `${group ? `${kind}.${group}` : kind} "${name}" is invalid: ${told.length === 1 ? told[0] : `[${told.join(', ')}]`}`;
  return new ApiError(422, 'Invalid', msg, { name, group, kind, causes });
}
