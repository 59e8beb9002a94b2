// kube-apiserver's request metrics as 1.32 names and labels them
// (staging/src/k8s.io/apiserver/pkg/endpoints/metrics/metrics.go): apiserver_request_total,
// apiserver_request_duration_seconds, apiserver_request_sli_duration_seconds,
// apiserver_response_sizes and apiserver_longrunning_requests, with the verb, dry_run, group,
// version, resource, subresource, scope and component labels kubernetes-mixin's recording rules
// and dashboards select on (verb=~"LIST|GET", verb=~"POST|PUT|PATCH|DELETE", scope=~"resource|",
// le="1"/"5"/"30" of the SLI histogram). Only what 1.32 instruments is recorded: requests routed
// to a resource's handler (InstrumentRouteFunc) and the health checks' root paths; a request
// refused by authentication or authorization, or one for a path nothing serves, is not.
import { Counter, Gauge, Histogram } from 'prom-client';
import '../util/build-info-metric.js';
import { alpha, stable } from '../util/metric-help.js';

/** APIServerComponent: the component label of every request kube-apiserver serves itself. */
export const APISERVER_COMPONENT = 'apiserver';

/** requestLatencies' buckets ("customized significantly" for the API call latency SLO). */
export const REQUEST_DURATION_BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];
/** requestSliLatencies' buckets. */
export const REQUEST_SLI_BUCKETS = [0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];
/** responseSizes' buckets: ExponentialBuckets(1000, 10, 7), 1 KB to 1 GB. */
export const RESPONSE_SIZE_BUCKETS = Array.from({ length: 7 }, (_, i) => 1000 * 10 ** i);

const requestLabels = ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component'] as const;
const sliLabels = ['verb', 'group', 'version', 'resource', 'subresource', 'scope', 'component'] as const;

const requestTotal = new Counter({
  name: 'apiserver_request_total',
  help: stable('Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.'),
  labelNames: [...requestLabels, 'code'],
});
const requestDuration = new Histogram({
  name: 'apiserver_request_duration_seconds',
  help: stable('Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.'),
  labelNames: requestLabels,
  buckets: REQUEST_DURATION_BUCKETS,
});
const requestSliDuration = new Histogram({
  name: 'apiserver_request_sli_duration_seconds',
  help: alpha('Response latency distribution (not counting webhook duration and priority & fairness queue wait times) in seconds for each verb, group, version, resource, subresource, scope and component.'),
  labelNames: sliLabels,
  buckets: REQUEST_SLI_BUCKETS,
});
const responseSizes = new Histogram({
  name: 'apiserver_response_sizes',
  help: stable('Response size distribution in bytes for each group, version, verb, resource, subresource, scope and component.'),
  labelNames: sliLabels,
  buckets: RESPONSE_SIZE_BUCKETS,
});
const longRunning = new Gauge({
  name: 'apiserver_longrunning_requests',
  help: stable('Gauge of all active long-running apiserver requests broken out by verb, group, version, resource, scope and component. Not all requests are tracked this way.'),
  labelNames: sliLabels,
});

/** What a request is, as RequestInfo and the installer's route tell the metrics. */
export interface RequestInfo {
  method: string;
  /** The request's query (watch, dryRun). */
  query: URLSearchParams;
  contentType?: string;
  group: string;
  version: string;
  resource: string;
  subresource?: string;
  /** The namespace in the path (a namespaced resource listed across namespaces has none). */
  namespace?: string;
  name?: string;
  /** The legacy /watch/ path prefix. */
  watchPrefix?: boolean;
  component?: string;
}

/** The labels 1.32's MonitorRequest records a request under (code aside). */
export type RequestLabels = Record<(typeof requestLabels)[number], string>;

/** The connect subresources, reported with the verb CONNECT whatever the method (validConnectRequests). */
const CONNECT_SUBRESOURCES = new Set(['log', 'exec', 'portforward', 'attach', 'proxy']);
/** validRequestMethods: any other verb is reported as "other". */
const VALID_VERBS = new Set(['APPLY', 'CONNECT', 'CREATE', 'DELETE', 'DELETECOLLECTION', 'GET', 'LIST', 'PATCH', 'POST', 'PROXY', 'PUT', 'UPDATE', 'WATCH', 'WATCHLIST']);

/**
 * The route's scope as installer.go gives it: "resource" for a path naming an object (a proxy's
 * trailing path included) and for every POST, else "namespace" for a namespaced resource in a
 * namespace, else "cluster" (a cluster-scoped resource, or a namespaced one across namespaces).
 */
export function requestScope(r: Pick<RequestInfo, 'method' | 'namespace' | 'name'>): string {
  if (r.name || r.method.toUpperCase() === 'POST') return 'resource';
  return r.namespace ? 'namespace' : 'cluster';
}

/** checkIfWatch: a watch parameter other than "0" and "false" (in any case), as Convert_Slice_string_To_bool. */
function watchAsked(q: URLSearchParams): boolean {
  const v = q.getAll('watch');
  return v.length > 0 && !['0', 'false'].includes(v[0]!.toLowerCase());
}

/**
 * The reported verb (CanonicalVerb, then cleanVerb): the HTTP method, GET of a collection as
 * LIST, a watch (?watch or /watch/) as WATCH, a server-side apply PATCH as APPLY, a connect
 * subresource as CONNECT, anything else "other". Writes are POST, PUT, PATCH and DELETE (a
 * collection's delete too), as the mixin's write selector expects, not create/update.
 */
export function reportedVerb(r: Pick<RequestInfo, 'method' | 'query' | 'contentType' | 'subresource' | 'watchPrefix'>, scope: string): string {
  let verb = r.method.toUpperCase();
  if (verb === 'GET' || verb === 'HEAD') verb = scope !== 'resource' && scope !== '' ? 'LIST' : 'GET';
  if (r.watchPrefix) return 'WATCH';
  if (verb === 'GET' || verb === 'LIST') {
    if (watchAsked(r.query)) verb = 'WATCH';
  }
  if (verb === 'PATCH' && (r.contentType ?? '').split(';')[0]!.trim() === 'application/apply-patch+yaml') verb = 'APPLY';
  if (r.subresource && CONNECT_SUBRESOURCES.has(r.subresource)) verb = 'CONNECT';
  return VALID_VERBS.has(verb) ? verb : 'other';
}

/** cleanDryRun: "" without it, the sorted distinct values when valid (All), "invalid" otherwise. */
export function dryRunLabel(q: URLSearchParams): string {
  const v = q.getAll('dryRun');
  if (!v.length) return '';
  if (v.some((x) => x !== 'All')) return 'invalid';
  return 'All';
}

/** The labels a resource request is recorded under. */
export function resourceRequestLabels(r: RequestInfo): RequestLabels {
  const scope = requestScope(r);
  return {
    verb: reportedVerb(r, scope),
    dry_run: dryRunLabel(r.query),
    group: r.group,
    version: r.version,
    resource: r.resource,
    subresource: r.subresource ?? '',
    scope,
    component: r.component ?? APISERVER_COMPONENT,
  };
}

/**
 * The labels of a health check's root path (/healthz, /livez, /readyz), which healthz.go
 * instruments with the path as its subresource, no group, resource or scope, no component.
 */
export function healthRequestLabels(method: string, path: string, query: URLSearchParams): RequestLabels {
  return { verb: reportedVerb({ method, query }, ''), dry_run: dryRunLabel(query), group: '', version: '', resource: '', subresource: path, scope: '', component: '' };
}

const sliOf = ({ dry_run: _d, ...rest }: RequestLabels) => rest;

/**
 * Records one finished request (MonitorRequest): its count by code and its latency; the SLI
 * latency for all but watches, which have no latency trackers, less `excludedSeconds` (its time
 * in admission webhooks and in its priority and fairness queue); the response size of reads.
 */
export function recordRequest(labels: RequestLabels, code: number, seconds: number, opts: { excludedSeconds?: number; responseBytes?: number } = {}): void {
  requestTotal.inc({ ...labels, code: String(code) });
  requestDuration.observe(labels, seconds);
  if (labels.verb !== 'WATCH') requestSliDuration.observe(sliOf(labels), Math.max(0, seconds - (opts.excludedSeconds ?? 0)));
  if ((labels.verb === 'GET' || labels.verb === 'LIST') && opts.responseBytes !== undefined) responseSizes.observe(sliOf(labels), opts.responseBytes);
}

const requestTerminations = new Counter({
  name: 'apiserver_request_terminations_total',
  help: alpha('Number of requests which apiserver terminated in self-defense.'),
  labelNames: [...sliLabels, 'code'],
});

/**
 * RecordRequestTermination: a request the apiserver ended in self-defense (the timeout filter's
 * 504 when its deadline passed, priority and fairness' 429), under the labels of its route (a
 * non-resource path as the subresource, with the apiserver component). Once per request at most.
 */
export function recordRequestTermination(labels: RequestLabels, code: number): void {
  requestTerminations.inc({ ...sliOf(labels), component: labels.component || APISERVER_COMPONENT, code: String(code) });
}

/** RecordDroppedRequest: a request priority and fairness rejected, counted in apiserver_request_total as a 429 (no latency). */
export function recordDroppedRequest(labels: RequestLabels): void {
  requestTotal.inc({ ...labels, code: '429' });
}

/** RecordLongRunning: a watch or connect request counted while it runs; returns its end. */
export function longRunningStarted(labels: RequestLabels): () => void {
  const l = sliOf(labels);
  longRunning.inc(l);
  let done = false;
  return () => {
    if (done) return;
    done = true;
    longRunning.dec(l);
  };
}

const inflight = new Gauge({
  name: 'apiserver_current_inflight_requests',
  help: stable('Maximal number of currently used inflight request limit of this apiserver per request kind in last second.'),
  labelNames: ['request_kind'],
});
type RequestKind = 'readOnly' | 'mutating';
const executing: Record<RequestKind, number> = { readOnly: 0, mutating: 0 };
const watermark: Record<RequestKind, number> = { readOnly: 0, mutating: 0 };
let watermarkTimer: NodeJS.Timeout | undefined;

/**
 * A request starts executing (not a watch or a connect, which are long-running): counted in
 * apiserver_current_inflight_requests, which reports each second the most that executed at once
 * during the last one, by request kind (the APF filter's watermarks, UpdateInflightRequestMetrics).
 * Returns its end.
 */
export function inflightStarted(mutating: boolean): () => void {
  if (!watermarkTimer) {
    for (const k of ['readOnly', 'mutating'] as const) inflight.set({ request_kind: k }, 0);
    watermarkTimer = setInterval(() => {
      for (const k of ['readOnly', 'mutating'] as const) {
        inflight.set({ request_kind: k }, watermark[k]);
        watermark[k] = executing[k];
      }
    }, 1000).unref();
  }
  const kind: RequestKind = mutating ? 'mutating' : 'readOnly';
  executing[kind]++;
  watermark[kind] = Math.max(watermark[kind], executing[kind]);
  let done = false;
  return () => {
    if (done) return;
    done = true;
    executing[kind]--;
  };
}

/** Whether a request is long-running by its method, path and query: a watch, or a connect subresource. */
export function longRunningRequest(method: string, path: string, query: URLSearchParams): boolean {
  if (/^\/apis?\/(?:[^/]+\/)?[^/]+\/watch\//.test(path)) return true;
  if (['GET', 'HEAD'].includes(method.toUpperCase()) && watchAsked(query)) return true;
  return /\/(exec|attach|portforward|proxy|log)(\/|$)/.test(path) && /^\/apis?\//.test(path);
}

const watchEvents = new Counter({
  name: 'apiserver_watch_events_total',
  help: alpha('Number of events sent in watch clients'),
  labelNames: ['group', 'version', 'kind'],
});
const watchEventSizes = new Histogram({
  name: 'apiserver_watch_events_sizes',
  help: alpha('Watch event size distribution in bytes'),
  labelNames: ['group', 'version', 'kind'],
  buckets: Array.from({ length: 8 }, (_, i) => 1024 * 2 ** i),
});

/** One event (bookmarks too) written to a watch of a resource of this kind, `bytes` long (serveWatch and watchEncoder). */
export function recordWatchEvent(kind: { group: string; version: string; kind: string }, bytes: number): void {
  const l = { group: kind.group, version: kind.version, kind: kind.kind };
  watchEvents.inc(l);
  watchEventSizes.observe(l, bytes);
}

const authenticatedUsers = new Counter({ name: 'authenticated_user_requests', help: alpha('Counter of authenticated requests broken out by username.'), labelNames: ['username'] });
const authenticationAttempts = new Counter({ name: 'authentication_attempts', help: alpha('Counter of authenticated attempts.'), labelNames: ['result'] });
const authenticationDuration = new Histogram({
  name: 'authentication_duration_seconds',
  help: alpha('Authentication duration in seconds broken out by result.'),
  labelNames: ['result'],
  buckets: Array.from({ length: 15 }, (_, i) => 0.001 * 2 ** i),
});

/** compressUsername: the few known identities by name, an email address as email_id, anyone else other. */
export function compressUsername(name: string): string {
  if (['admin', 'client', 'kube_proxy', 'kubelet', 'system:serviceaccount:kube-system:default'].includes(name)) return name;
  return name.includes('@') ? 'email_id' : 'other';
}

/**
 * One authentication (the WithAuthentication filter's recordAuthenticationMetrics): success with
 * the user it found (anonymous included), failure for credentials nobody vouches for, error when
 * they could not be checked.
 */
export function recordAuthentication(result: 'success' | 'failure' | 'error', username: string | undefined, seconds: number): void {
  if (result === 'success' && username !== undefined) authenticatedUsers.inc({ username: compressUsername(username) });
  authenticationAttempts.inc({ result });
  authenticationDuration.observe({ result }, seconds);
}
