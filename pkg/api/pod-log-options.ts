// PodLogOptions as the query of GET pods/NAME/log carries them (tailLines, limitBytes,
// sinceSeconds, sinceTime, timestamps, follow, previous), read and validated as Kubernetes'
// ValidatePodLogOptions does. The apiserver refuses bad options before it asks the node; the
// node agent reads the same query into what its log reader takes.
import { forbidden, invalid, type FieldError } from './field-error.js';
import { goTimeParseError, RFC3339 } from './go-time.js';

export interface PodLogOptions {
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  limitBytes?: number;
  sinceSeconds?: number;
  /** sinceTime, in ms since the epoch. */
  sinceTime?: number;
}

/**
 * A query value that is not what its option takes: the conversion's own error, which the
 * apiserver answers as a 400 (getRequestOptions' BadRequest) and the kubelet as "Unable to decode query."
 */
export class LogOptionsParseError extends Error {}

/** Convert_Slice_string_To_Pointer_int64: strconv.ParseInt of the first value, base 10. */
function integer(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (!/^[+-]?\d+$/.test(v)) throw new LogOptionsParseError(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  const n = BigInt(v);
  if (n > 2n ** 63n - 1n || n < -(2n ** 63n)) throw new LogOptionsParseError(`strconv.ParseInt: parsing ${JSON.stringify(v)}: value out of range`);
  return Number(n);
}

/** Convert_Slice_string_To_bool: only "0" and "false" (any case) are false; any other value, "" too, is true. */
function bool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null) return false;
  return !(v === '0' || v.toLowerCase() === 'false');
}

/**
 * metav1.Time's UnmarshalQueryParameter: "" and "null" are the zero time (still a sinceTime),
 * anything else time.Parse with RFC 3339 or its error.
 */
function time(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (v === '' || v === 'null') return Date.parse('0001-01-01T00:00:00Z');
  const why = goTimeParseError(v, RFC3339);
  if (why) throw new LogOptionsParseError(why);
  return Date.parse(v);
}

/**
 * Reads the options from a pods/log query as the url.Values conversion of PodLogOptions does,
 * field by field in its order (the first bad value is the error); throws LogOptionsParseError.
 */
export function parsePodLogOptions(q: URLSearchParams): PodLogOptions {
  const follow = bool(q, 'follow');
  const previous = bool(q, 'previous');
  const sinceSeconds = integer(q, 'sinceSeconds');
  const sinceTime = time(q, 'sinceTime');
  const timestamps = bool(q, 'timestamps');
  const tailLines = integer(q, 'tailLines');
  const limitBytes = integer(q, 'limitBytes');
  return { follow, previous, timestamps, tailLines, limitBytes, sinceSeconds, sinceTime };
}

/** Kubernetes' ValidatePodLogOptions. */
export function validatePodLogOptions(o: PodLogOptions): FieldError[] {
  const errs: FieldError[] = [];
  if (o.tailLines !== undefined && o.tailLines < 0) errs.push(invalid('tailLines', o.tailLines, 'must be greater than or equal to 0'));
  if (o.limitBytes !== undefined && o.limitBytes < 1) errs.push(invalid('limitBytes', o.limitBytes, 'must be greater than 0'));
  if (o.sinceSeconds !== undefined && o.sinceTime !== undefined) errs.push(forbidden('', 'at most one of `sinceTime` or `sinceSeconds` may be specified'));
  else if (o.sinceSeconds !== undefined && o.sinceSeconds < 1) errs.push(invalid('sinceSeconds', o.sinceSeconds, 'must be greater than 0'));
  return errs;
}

/** The earliest time a line may have, from sinceSeconds or sinceTime (undefined: from the start). */
export function logsSince(o: PodLogOptions, now = Date.now()): Date | undefined {
  if (o.sinceTime !== undefined) return new Date(o.sinceTime);
  if (o.sinceSeconds !== undefined) return new Date(now - o.sinceSeconds * 1000);
  return undefined;
}
