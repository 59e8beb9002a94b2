// kube-apiserver's deadline for requests that are not long-running (WithRequestDeadline and
// WithTimeoutForNonLongRunningRequests, staging/src/k8s.io/apiserver/pkg/endpoints/filters/
// request_deadline.go and pkg/server/filters/timeout.go): --request-timeout (1m0s), or the shorter
// ?timeout= the client asked for; past it the client gets a 504 Timeout Status, whatever the
// handler (an etcd that does not answer, a webhook) is still doing. Watches and the connect
// subresources (attach, exec, log, portforward, proxy) are long-running and have none.
import type { ServerResponse } from 'node:http';
import { ApiError } from '../errors.js';

/** kube-apiserver's --request-timeout default. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

/** The subresources kube-apiserver's BasicLongRunningRequestCheck names (verbs: watch, proxy). */
const LONG_RUNNING_SUBRESOURCES = new Set(['attach', 'exec', 'proxy', 'log', 'portforward']);

const GO_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds in a duration as Go's time.ParseDuration reads it; throws its error text. */
export function parseGoDuration(text: string): number {
  const quoted = JSON.stringify(text);
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (!s) throw new Error(`time: invalid duration ${quoted}`);
  let total = 0;
  while (s) {
    const num = /^(\d*)(\.(\d*))?/.exec(s)!;
    if (!num[1] && !num[3]) throw new Error(`time: invalid duration ${quoted}`);
    s = s.slice(num[0].length);
    const unit = /^[^\d.]*/.exec(s)![0];
    if (!unit) throw new Error(`time: missing unit in duration ${quoted}`);
    const ms = GO_UNITS[unit];
    if (ms === undefined) throw new Error(`time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}`);
    total += Number(`${num[1] || '0'}.${num[3] || '0'}`) * ms;
    s = s.slice(unit.length);
  }
  return sign * total;
}

/**
 * kube-apiserver's --request-timeout: a Go duration (pflag's DurationVar), not negative
 * (ServerRunOptions.Validate). Milliseconds; throws the flag error as kube-apiserver prints it.
 * Zero is accepted, as there: every request that is not long-running is then out of time at once.
 */
export function parseRequestTimeoutFlag(text: string): number {
  let ms: number;
  try {
    ms = parseGoDuration(text);
  } catch (e) {
    throw new Error(`invalid argument ${JSON.stringify(text)} for "--request-timeout" flag: ${(e as Error).message}`);
  }
  if (ms < 0) throw new Error('--request-timeout can not be negative value');
  return ms;
}

/**
 * Whether a request runs as long as it likes: a watch (?watch=true or a /watch/ path), a proxy,
 * or one of the connect subresources. `subresource` and `watchPath` are the parsed path's.
 */
export function isLongRunning(q: URLSearchParams, subresource: string | undefined, watchPath: boolean, proxyPath = false): boolean {
  const watch = q.get('watch');
  return watchPath || proxyPath || watch === 'true' || watch === '1' || (subresource !== undefined && LONG_RUNNING_SUBRESOURCES.has(subresource));
}

/**
 * The request's deadline in milliseconds: the server's maximum, or the client's ?timeout= when it
 * is shorter and above zero. A malformed one is 400, in parseTimeout's words.
 */
export function requestDeadlineMs(q: URLSearchParams, maxMs = DEFAULT_REQUEST_TIMEOUT_MS): number {
  const value = q.get('timeout');
  if (!value) return maxMs;
  let ms: number;
  try {
    ms = parseGoDuration(value);
  } catch (e) {
    throw new ApiError(400, 'BadRequest', `invalid timeout specified in the request URL - ${(e as Error).message}`);
  }
  return ms > 0 && ms < maxMs ? ms : maxMs;
}

/**
 * The Status a timed-out request gets: a write's is FinishRequest's (handlers/finisher), a read's
 * the timeout filter's. Both are NewTimeoutError's: 504, reason Timeout, no retry time.
 */
export function timeoutError(method: string): ApiError {
  const write = method === 'POST' || method === 'PUT' || method === 'PATCH' || method === 'DELETE';
  return new ApiError(504, 'Timeout', write ? 'Timeout: request did not complete within requested timeout - context deadline exceeded' : 'Timeout: request did not complete within the allotted timeout', {});
}

/**
 * Arms the deadline on a response: when it passes first, `answer` is called (the timeout filter's
 * postTimeoutFn, which records the termination) and writes the timeout Status, unless the handler
 * had begun its answer (`begun`): then the connection is cut, as Go's ErrAbortHandler. Whatever
 * the handler writes afterwards goes nowhere. Returns the disarm function.
 */
export function armDeadline(res: ServerResponse, ms: number, answer: (res: ServerResponse, begun: boolean) => void): () => void {
  const timer = setTimeout(() => {
    if (res.writableEnded) return;
    const begun = res.headersSent;
    answer(res, begun);
    if (begun) res.destroy();
    // (the handler goes on, as kube-apiserver's goroutine does: its answer is dropped)
    res.writeHead = (() => res) as typeof res.writeHead;
    res.setHeader = (() => res) as typeof res.setHeader;
    res.removeHeader = () => {};
    res.write = (() => true) as typeof res.write;
    res.end = (() => res) as typeof res.end;
    res.flushHeaders = () => {};
  }, ms);
  timer.unref();
  const disarm = () => clearTimeout(timer);
  res.once('close', disarm);
  return disarm;
}
