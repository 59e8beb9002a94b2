// A DELETE's DeleteOptions body decoded as 1.32's DeleteResource and DeleteCollection decode it
// (handlers/delete.go: DecoderToVersion(...).Decode into metav1.DeleteOptions). Any error of that
// decoding is a plain Go error, which ErrorToAPIStatus answers as a 500 without a reason (1.35
// made them 400s: kubernetes#133358).
import { ApiError } from '../errors.js';
import { decodeRequestBody } from './protobuf-body.js';

/** The struct SimpleMetaFactory.Interpret decodes a body's apiVersion and kind into, as reflect names it. */
const FIND_KIND = 'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }';

/** A decoding error served as it is: no Status behind it. */
const plain = (message: string) => new ApiError(500, '', message);

/** What encoding/json calls a JSON value it cannot put in a Go type (UnmarshalTypeError.Value). */
function jsonValueName(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? 'number' : `number ${v}`;
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : 'string';
}

/** The Go type of each DeleteOptions member, with whether a JSON value fits it. */
const MEMBERS: Record<string, { type: string; fits: (v: unknown) => boolean }> = {
  gracePeriodSeconds: { type: 'int64', fits: (v) => typeof v === 'number' && Number.isInteger(v) },
  orphanDependents: { type: 'bool', fits: (v) => typeof v === 'boolean' },
  propagationPolicy: { type: 'v1.DeletionPropagation', fits: (v) => typeof v === 'string' },
  ignoreStoreReadErrorWithClusterBreakingPotential: { type: 'bool', fits: (v) => typeof v === 'boolean' },
  preconditions: { type: 'v1.Preconditions', fits: (v) => typeof v === 'object' && !Array.isArray(v) },
  dryRun: { type: '[]string', fits: Array.isArray },
};

/**
 * The first value of the wrong type, as encoding/json reports it ('json: cannot unmarshal string
 * into Go struct field DeleteOptions.gracePeriodSeconds of type int64'), in the body's order;
 * null fits any member (a nil pointer, slice or the zero value).
 */
export function deleteOptionsTypeError(body: Record<string, unknown>): string | undefined {
  const err = (v: unknown, struct: string, field: string, type: string) => `json: cannot unmarshal ${jsonValueName(v)} into Go struct field ${struct}.${field} of type ${type}`;
  for (const [k, v] of Object.entries(body)) {
    const m = MEMBERS[k];
    if (!m || v === null || v === undefined) continue;
    if (!m.fits(v)) return err(v, 'DeleteOptions', k, m.type);
    if (k === 'dryRun') {
      const bad = (v as unknown[]).find((x) => x !== null && typeof x !== 'string');
      if (bad !== undefined) return err(bad, 'DeleteOptions', k, 'string');
    }
    if (k === 'preconditions') {
      for (const [pk, pv] of Object.entries(v as Record<string, unknown>)) {
        if ((pk === 'uid' || pk === 'resourceVersion') && pv !== null && typeof pv !== 'string') return err(pv, 'Preconditions', `preconditions.${pk}`, pk === 'uid' ? 'types.UID' : 'string');
      }
    }
  }
  return undefined;
}

/**
 * A DeleteOptions body of one byte or more, decoded as the handler's DecoderToVersion decodes it:
 * whitespace alone is no empty body there. The JSON serializer's Interpret fails on it; a YAML
 * body of whitespace is null, decoded into empty options. A member of the wrong type is the
 * decoder's error.
 */
export function decodeDeleteOptionsBody(raw: Buffer, contentType: string): Record<string, unknown> {
  if (!raw.toString('utf8').trim()) {
    const media = contentType.split(';')[0]!.trim().toLowerCase();
    if (media === 'application/yaml') return {};
    if (media === '' || media === 'application/json') throw plain("couldn't get version/kind; json parse error: unexpected end of JSON input");
  }
  const body = decodeRequestBody(raw, contentType) as Record<string, unknown>;
  // (Interpret reads apiVersion and kind into a struct first: JSON that is no object fails there)
  if (body !== null && (typeof body !== 'object' || Array.isArray(body))) throw plain(`couldn't get version/kind; json parse error: json: cannot unmarshal ${jsonValueName(body).split(' ')[0]} into Go value of type ${FIND_KIND}`);
  const why = body ? deleteOptionsTypeError(body) : undefined;
  if (why) throw plain(why);
  return body;
}
