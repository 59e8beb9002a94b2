// PodLogOptions as the query of GET pods/NAME/log carries them (tailLines, limitBytes,
// sinceSeconds, sinceTime, timestamps, follow, previous), read and validated as Kubernetes'
// ValidatePodLogOptions does. The apiserver refuses bad options before it asks the node; the
// node agent reads the same query into what its log reader takes.
import { forbidden, invalid, type FieldError } from './field-error.js';

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

/** A query value that is not what its option takes (a 400, as Kubernetes' query decoding answers). */
export class LogOptionsParseError extends Error {}

function integer(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (!/^[+-]?\d+$/.test(v.trim())) throw new LogOptionsParseError(`couldn't parse ${name} "${v}": must be an integer`);
  return Number(v.trim());
}

function bool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null || v === '') return false;
  if (/^(true|1|t)$/i.test(v)) return true;
  if (/^(false|0|f)$/i.test(v)) return false;
  throw new LogOptionsParseError(`couldn't parse ${name} "${v}": must be a boolean`);
}

/** Reads the options from a pods/log query; throws LogOptionsParseError for a value of the wrong type. */
export function parsePodLogOptions(q: URLSearchParams): PodLogOptions {
  const sinceTimeText = q.get('sinceTime');
  let sinceTime: number | undefined;
  if (sinceTimeText !== null) {
    sinceTime = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(sinceTimeText) ? Date.parse(sinceTimeText) : NaN;
    if (Number.isNaN(sinceTime)) throw new LogOptionsParseError(`couldn't parse sinceTime "${sinceTimeText}": must be an RFC 3339 time`);
  }
  return {
    follow: bool(q, 'follow'),
    previous: bool(q, 'previous'),
    timestamps: bool(q, 'timestamps'),
    tailLines: integer(q, 'tailLines'),
    limitBytes: integer(q, 'limitBytes'),
    sinceSeconds: integer(q, 'sinceSeconds'),
    sinceTime,
  };
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
