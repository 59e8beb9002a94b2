// The Status a REST client makes of an error answer that carries none, as client-go does
// (staging/src/k8s.io/client-go/rest/request.go transformResponse, newUnstructuredResponseError,
// Result.Error; apimachinery/pkg/api/errors NewGenericServerResponse): a 429 from a proxy, a 503
// with a text body, a 500 whose JSON is no Status. What a user sees is then kubectl's words, such
// as "the server has received too many requests and has asked us to try again later (get pods p)".
import yaml from 'js-yaml';

/** maxUnstructuredResponseTextBytes: how much of a text body the message keeps. */
const MAX_TEXT_BYTES = 2048;

/** The headers of an answer that matter here, names in lower case. */
export type AnswerHeaders = Record<string, string | string[] | undefined>;

/** A metav1.Status as JSON. */
export type GenericStatus = {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason?: string;
  details: { group?: string; kind?: string; name?: string; causes: { reason: string; message: string }[]; retryAfterSeconds?: number };
  code: number;
};

/** The Content-Type's media type, lower case; '' without one. */
function mediaType(headers: AnswerHeaders): string {
  const ct = headers['content-type'];
  const v = Array.isArray(ct) ? ct[0] : ct;
  return (v ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * The Status an error answer (code outside 200-206) carries, if its body is one: client-go decodes
 * a JSON or YAML body (the Content-Type's; JSON, its own, when there is none) and takes a Status
 * whose status is Failure (Result.Error); any other body is no Status.
 */
export function statusOfBody(headers: AnswerHeaders, text: string): Record<string, unknown> | undefined {
  const media = mediaType(headers);
  if (media !== '' && media !== 'application/json' && media !== 'application/yaml') return undefined;
  try {
    const v = (media === 'application/yaml' ? yaml.load(text) : JSON.parse(text)) as unknown;
    if (v && typeof v === 'object' && (v as { kind?: unknown }).kind === 'Status' && (v as { status?: unknown }).status === 'Failure') return v as Record<string, unknown>;
  } catch {
    // (not JSON: no Status)
  }
  return undefined;
}

/** The resource and name a request's path names (client-go's r.resource and r.resourceName), if it is an API path. */
export function resourceOfPath(path: string): { group: string; resource: string; name: string } | undefined {
  const segs = path.split('?')[0]!.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 3) (group = ''), (rest = segs.slice(2));
  else if (segs[0] === 'apis' && segs.length >= 4) (group = segs[1]!), (rest = segs.slice(3));
  else return undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  return { group, resource: rest[0]!, name: rest[1] ?? '' };
}

/**
 * NewGenericServerResponse, as newUnstructuredResponseError calls it: the code's reason and
 * message (the server's own text kept for 403, 415 and a 406 that has one, quoted in a 5xx's),
 * "(verb resource name)" after it for an API path, the body's text as an UnexpectedServerResponse
 * cause ("unknown" when the body is not text), and the Retry-After seconds.
 */
export function genericServerResponse(code: number, method: string, path: string, headers: AnswerHeaders, text: string): GenericStatus {
  const media = mediaType(headers);
  // (isTextResponse: no Content-Type, or a text/ one)
  const body = Buffer.byteLength(text) > MAX_TEXT_BYTES ? Buffer.from(text).subarray(0, MAX_TEXT_BYTES).toString('utf8') : text;
  const serverMessage = media === '' || media.startsWith('text/') ? body.trim() : 'unknown';
  let reason: string | undefined;
  let message = `the server responded with the status code ${code} but did not return more information`;
  switch (code) {
    case 409:
      reason = method === 'POST' ? 'AlreadyExists' : 'Conflict';
      message = 'the server reported a conflict';
      break;
    case 404:
      reason = 'NotFound';
      message = 'the server could not find the requested resource';
      break;
    case 400:
      reason = 'BadRequest';
      message = 'the server rejected our request for an unknown reason';
      break;
    case 401:
      reason = 'Unauthorized';
      message = 'the server has asked for the client to provide credentials';
      break;
    case 403:
      reason = 'Forbidden';
      message = serverMessage;
      break;
    case 406:
      reason = 'NotAcceptable';
      message = serverMessage === '' || serverMessage === 'unknown' ? 'the server was unable to respond with a content type that the client supports' : serverMessage;
      break;
    case 415:
      reason = 'UnsupportedMediaType';
      message = serverMessage;
      break;
    case 405:
      reason = 'MethodNotAllowed';
      message = 'the server does not allow this method on the requested resource';
      break;
    case 422:
      reason = 'Invalid';
      message = 'the server rejected our request due to an error in our request';
      break;
    case 503:
      reason = 'ServiceUnavailable';
      message = 'the server is currently unable to handle the request';
      break;
    case 504:
      reason = 'Timeout';
      message = 'the server was unable to return a response in the time allotted, but may still be processing the request';
      break;
    case 429:
      reason = 'TooManyRequests';
      message = 'the server has received too many requests and has asked us to try again later';
      break;
    default:
      if (code >= 500) {
        reason = 'InternalError';
        message = `an error on the server (${JSON.stringify(serverMessage)}) has prevented the request from succeeding`;
      }
  }
  const r = resourceOfPath(path);
  if (r) message += ` (${method.toLowerCase()} ${r.group ? `${r.resource}.${r.group}` : r.resource}${r.name ? ` ${r.name}` : ''})`;
  const h = headers['retry-after'];
  const retryAfter = typeof h === 'string' && /^[+-]?\d+$/.test(h) ? Number(h) : 0;
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    ...(reason ? { reason } : {}),
    details: {
      ...(r?.group ? { group: r.group } : {}),
      ...(r ? { kind: r.resource } : {}),
      ...(r?.name ? { name: r.name } : {}),
      causes: [{ reason: 'UnexpectedServerResponse', message: serverMessage }],
      ...(retryAfter ? { retryAfterSeconds: retryAfter } : {}),
    },
    code,
  };
}
