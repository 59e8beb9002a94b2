// The REST frontend: HTTPS in the Kubernetes dialect, bearer-token authentication,
// authorization, discovery, OpenAPI, /metrics and health endpoints, routed to the registry.
import { createHash } from 'node:crypto';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { DEFAULT_CIPHERS, type TLSSocket } from 'node:tls';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Gauge, register } from 'prom-client';
import type { KubeObject } from '../../api/types.js';
import { logger } from '../../util/log.js';
import { serveMetricsPage } from '../../util/prom-text.js';
import { isLogsPath, serveLogs } from './logs-handler.js';
import type { Authorizer } from '../authorizer.js';
import type { FlowRequest } from '../flowcontrol-config.js';
import { webhookSecondsOf } from '../admission-metrics.js';
import { queueWaitLimitMs, type Admission, type Flow } from '../flowcontrol-dispatch.js';
import { selectedName } from '../flowcontrol-work-estimate.js';
import * as errors from '../errors.js';
import { ANONYMOUS_USER, AUTHENTICATED_GROUP, UNAUTHENTICATED_GROUP, hasImpersonationHeaders, impersonate } from '../impersonation.js';
import { ApiError } from '../errors.js';
import { APISERVER_COMPONENT, healthRequestLabels, inflightStarted, longRunningRequest, longRunningStarted, recordAuthentication, recordDroppedRequest, recordRequest, recordRequestTermination, resourceRequestLabels, type RequestLabels } from '../request-metrics.js';
import { certificateUser } from '../certificate-user.js';
import { JWKS_PATH, OPENID_CONFIGURATION_PATH } from '../../serviceaccount/issuer-discovery.js';
import { writeOptionErrors } from './write-options.js';
import { apiVersionOf, pods, storageOf, type ResourceInfo } from '../registry/resources.js';
import { matchBindingsPath, serveBinding } from './bindings.js';
import type { ResourceRegistry } from '../registry/resource-registry.js';
import type { FieldValidation, RequestContext, Store, UserInfo } from '../registry/store.js';
import { aggregatedDiscovery, aggregatedDiscoveryType, apiGroup, apiGroupList, apiResourceList, apiVersions, serverVersion, wantedAggregatedDiscovery } from './discovery.js';
import { handleResource } from './handlers.js';
import { CustomOpenAPI } from './custom-openapi.js';
import { OPENAPI_V2_PROTOBUF } from '../../api/openapi-v2.js';
import type { TokenRequests } from '../token-request.js';
import { answerReview, matchReviewPath, reviewAttributes } from './access-review.js';
import type { TokenReviewer } from '../token-review.js';
import { matchMetricsPath, serveMetrics } from './metrics-api.js';
import { methodVerb, readBody, sendJson, sendStatus, splitTarget, wantsTable, wantsYaml } from './http-util.js';
import { matchComponentStatusPath, serveComponentStatuses, type ComponentStatusDeps } from './component-status.js';
import { matchAPIServicePath, serveAPIServices, type APIServiceDeps } from './api-services.js';
import { decodeRequestBody } from './protobuf-body.js';
import { armDeadline, DEFAULT_REQUEST_TIMEOUT_MS, isLongRunning, requestDeadlineMs, timeoutError } from './request-deadline.js';
import { matchHealthPath, serveHealth, type HealthChecks } from './health-checks.js';
import { matchPodSubresource, proxyLogs, proxyUpgrade, refuseWithoutUpgrade, writeUpgradeError } from './node-proxy.js';
import { matchProxyPath, serveProxy, upgradeProxy, type ProxyDeps } from './proxy.js';
import type { Duplex } from 'node:stream';

const log = logger('apiserver');

/**
 * The user of the request's client certificate (certificate-user.ts), undefined without one. The
 * TLS layer checked the chain at the handshake; a certificate it did not verify is a failed login.
 */
function requestCertificateUser(req: IncomingMessage): UserInfo | undefined {
  const sock = req.socket as TLSSocket;
  if (typeof sock.getPeerCertificate !== 'function') return undefined;
  const peer = sock.getPeerCertificate();
  if (!peer || !Object.keys(peer).length) return undefined;
  // A certificate the client CA did not sign (or expired) is a failed login, as in kube: 401.
  if (!sock.authorized) throw errors.unauthorized();
  return certificateUser(peer);
}

/** The query part of a request target, with its '?' ('' when none). */
const queryOf = (target = ''): string => (target.includes('?') ? target.slice(target.indexOf('?')) : '');

/**
 * The metric labels of a request to one of the resource routes, from its parsed path (group,
 * version, namespace, name, subresource) and method; `resource` names what the path's own route serves.
 */
function routeLabels(req: IncomingMessage, p: ParsedPath | undefined, query: URLSearchParams, resource?: string): RequestLabels {
  return resourceRequestLabels({
    method: req.method ?? 'GET',
    query,
    contentType: req.headers['content-type'],
    group: p?.group ?? '',
    version: p?.version ?? '',
    resource: resource ?? p?.resource ?? '',
    subresource: p?.subresource,
    namespace: p?.namespace,
    name: p?.name,
    watchPrefix: p?.watchPrefix,
  });
}

/** Whether a request's labels make it long-running (RecordLongRunning): a watch or a connect. */
const longRunningVerb = (l: RequestLabels) => l.verb === 'WATCH' || l.verb === 'CONNECT';
let requestsServed = 0;
/** Requests answered so far (the memory reducer's measure of a quiet spell). */
export const requestCount = () => requestsServed;

const registeredWatchers = new Gauge({
  name: 'apiserver_registered_watchers',
  help: 'Number of currently registered watchers for a given resource.',
  labelNames: ['resource'],
});

export interface RestServerDeps {
  stores: Map<ResourceInfo, Store>;
  /** The resources served (built-in and those of Established CRDs). */
  registry: ResourceRegistry;
  /** componentstatuses (`kubectl get cs`). */
  componentStatus?: ComponentStatusDeps;
  /** apiregistration.k8s.io/v1 apiservices (`kubectl get apiservices`), read-only. */
  apiServices?: APIServiceDeps;
  /** Where pods/log, exec, attach, portforward and the proxy subresources go. */
  nodeProxy?: ProxyDeps;
  authenticate(token: string): Promise<UserInfo | undefined>;
  /** Answers TokenReviews (authentication.k8s.io/v1). */
  reviewToken?: TokenReviewer;
  authorizer: Authorizer;
  /** Requests without credentials run as system:anonymous (kube-apiserver's --anonymous-auth). */
  anonymous?: boolean;
  /** The named checks of /healthz, /livez and /readyz. */
  health: HealthChecks;
  /** serviceaccounts/<name>/token. */
  tokenRequests?: TokenRequests;
  /** Service account issuer discovery: the OIDC provider configuration and the JWK set. */
  issuerDiscovery?: () => { configuration: Record<string, unknown>; jwks: Record<string, unknown> };
  /** Extra non-resource handlers (e.g. pods/log proxy); return true when handled. */
  extra?: (req: IncomingMessage, res: ServerResponse, user: UserInfo, url: URL) => Promise<boolean>;
  /** API Priority and Fairness: the flow a request belongs to, and its admission (flowcontrol-dispatch.ts). */
  flowControl?: { classify(r: FlowRequest): Flow | undefined; admit(flow: Flow, r: FlowRequest, waitMs: number, watch: boolean, query?: URLSearchParams, name?: string): Admission };
  /** Handlers that run before authentication (join bootstrap); return true when handled. */
  /** Endpoints served without credentials; false (at once, for every other path) when not one of them. */
  unauthenticated?: (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean> | false;
  /** The longest a request that is not long-running may take (kube-apiserver's --request-timeout; default 60 s). */
  requestTimeoutMs?: number;
  /** The directory /logs/ serves (kube-apiserver's /var/log); none with --enable-logs-handler=false. */
  logsDir?: string;
}

export interface ParsedPath {
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
  watchPrefix: boolean;
  /** Segments after the subresource (a proxy's path; no route for anything else). */
  rest?: string[];
}

/** Splits /api/v1/namespaces/ns/pods/name/status and /apis/g/v/... into their parts. */
export function parseResourcePath(path: string): ParsedPath | undefined {
  const segs = path.split('/').filter(Boolean).map(decodeURIComponent);
  let group = '';
  let version: string;
  let rest: string[];
  if (segs[0] === 'api') {
    if (!segs[1]) return undefined;
    version = segs[1];
    rest = segs.slice(2);
  } else if (segs[0] === 'apis') {
    if (!segs[1] || !segs[2]) return undefined;
    group = segs[1];
    version = segs[2];
    rest = segs.slice(3);
  } else return undefined;
  let watchPrefix = false;
  if (rest[0] === 'watch') {
    watchPrefix = true;
    rest = rest.slice(1);
  }
  if (!rest.length) return undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize'))) {
    return { group, version, namespace: rest[1], resource: rest[2]!, name: rest[3], subresource: rest[4], watchPrefix, ...(rest.length > 5 ? { rest: rest.slice(5) } : {}) };
  }
  return { group, version, resource: rest[0]!, name: rest[1], subresource: rest[2], watchPrefix, ...(rest.length > 3 ? { rest: rest.slice(3) } : {}) };
}

/**
 * The labels of a request that did not reach its route (one the apiserver ended in self-defense),
 * from its RequestInfo: a resource request's as its route's, a non-resource one with its path as
 * the subresource (RecordRequestTermination; RecordDroppedRequest leaves that empty).
 */
function requestInfoLabels(req: IncomingMessage, p: ParsedPath | undefined, q: URLSearchParams, path: string): RequestLabels {
  if (p) return routeLabels(req, p, q);
  return { ...healthRequestLabels(req.method ?? 'GET', path, q), component: APISERVER_COMPONENT };
}

/** A request priority and fairness rejected: counted as a 429 and as a termination, as the APF filter counts it. */
function recordRejected(req: IncomingMessage, parsePath: () => ParsedPath | undefined, q: URLSearchParams, path: string): void {
  let p: ParsedPath | undefined;
  try {
    p = parsePath();
  } catch {
    p = undefined;
  }
  const labels = requestInfoLabels(req, p, q, path);
  recordDroppedRequest(p ? labels : { ...labels, subresource: '' });
  recordRequestTermination(labels, 429);
}

/**
 * A request that is not long-running gets a deadline (--request-timeout, 60 s by default, or the
 * client's shorter ?timeout=): past it, a 504 Timeout Status, however long its storage or
 * webhooks still take; its etcd calls end there too. Returns the deadline (epoch ms), none for a
 * long-running request.
 */
function armRequestDeadline(req: IncomingMessage, res: ServerResponse, parsePath: () => ParsedPath | undefined, q: URLSearchParams, maxMs: number): number | undefined {
  let p: ParsedPath | undefined;
  try {
    p = parsePath();
  } catch {
    p = undefined; // (a path that does not decode: refused by the handlers, in time)
  }
  if (isLongRunning(q, p?.subresource, !!p?.watchPrefix)) return undefined;
  const ms = requestDeadlineMs(q, maxMs);
  // (the timeout filter's postTimeoutFn: counted in apiserver_request_terminations_total; an
  // answer already begun is cut, and counted too)
  armDeadline(res, ms, (r, begun) => {
    recordRequestTermination(requestInfoLabels(req, p, q, (req.url ?? '/').split('?')[0]!), 504);
    if (!begun) sendStatus(r, timeoutError(req.method ?? 'GET'), [], wantsYaml(req));
  });
  return Date.now() + ms;
}

/**
 * Whether kube-apiserver has a route for `method` on this path (its installer registers LIST and
 * WATCH only on the all-namespaces path of a namespaced resource, POST, GET and DELETE on a
 * collection, GET, PUT, PATCH and DELETE on an object): a 405 otherwise.
 */
function methodRouted(method: string, p: ParsedPath, namespaced: boolean): boolean {
  if (p.subresource) return true; // (each subresource's handler says which verbs it takes)
  if (namespaced && !p.namespace) return method === 'GET' || method === 'HEAD';
  if (p.name) return method !== 'POST';
  return method !== 'PUT' && method !== 'PATCH';
}

function verbOf(method: string, p: ParsedPath, q: URLSearchParams): string {
  // (RequestInfo: ?watch turns a GET of a collection into a watch; an object's own path stays a
  // get, and only the legacy /watch/ prefix watches one name)
  const watch = p.watchPrefix || (!p.name && ['1', 'true'].includes(q.get('watch') ?? ''));
  if (method === 'GET' || method === 'HEAD') return watch ? 'watch' : p.name ? 'get' : 'list';
  if (method === 'DELETE' && !p.name) return 'deletecollection';
  return methodVerb(method);
}

export class RestServer {
  private server: Server | undefined;
  /** Every TCP connection, TLS handshake still under way or upgraded (exec, port-forward) included: close() ends them all. */
  private readonly sockets = new Set<Duplex>();
  /** Requests under way that are not long-running (close() waits for them), and who waits. */
  private inflight = 0;
  private drained: (() => void) | undefined;

  private readonly openapi: CustomOpenAPI;

  constructor(private readonly deps: RestServerDeps) {
    this.openapi = new CustomOpenAPI(deps.registry);
  }

  listen(opts: { host: string; port: number; cert: string; key: string; clientCA?: string }): Promise<number> {
    // As Go's crypto/tls, TLS 1.2 clients that send no signature_algorithms (busybox wget's own
    // TLS, in pods) are served: OpenSSL 3 would refuse them at its default security level, which
    // forbids the SHA-1 handshake signature such clients imply. The cipher list stays Node's.
    // With a client CA (kube-apiserver's --client-ca-file), a client certificate it signed
    // authenticates its CN as the user and its O entries as groups; presenting none is allowed.
    const clientAuth = opts.clientCA ? { requestCert: true, rejectUnauthorized: false, ca: opts.clientCA } : {};
    const server = createHttpsServer({ cert: opts.cert, key: opts.key, ciphers: `${DEFAULT_CIPHERS}:@SECLEVEL=0`, ...clientAuth }, (req, res) =>
      this.handle(req, res).catch((e: unknown) => {
        log.error('request handler failed', { method: req.method, url: req.url, err: e instanceof Error ? e.stack : String(e) });
        res.destroy();
      }),
    );
    server.on('connection', (sock: Duplex) => {
      this.sockets.add(sock);
      sock.once('close', () => this.sockets.delete(sock));
    });
    server.keepAliveTimeout = 120_000;
    server.headersTimeout = 130_000;
    server.requestTimeout = 0;
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.upgrade(req, socket, head));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        const addr = server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : opts.port);
      });
    });
  }

  /**
   * Stops listening and ends every connection. closeAllConnections() knows only HTTP requests:
   * a socket still in its TLS handshake (which may wait two minutes) or one upgraded for exec
   * would keep close() from returning, so every socket the server accepted is destroyed too.
   */
  /**
   * Stops serving as kube-apiserver's graceful termination does (its HTTP server's Shutdown after
   * the listener closes): no new connections, idle ones closed, the requests under way answered
   * (each ends by its deadline, so this waits at most the request timeout), and then the
   * long-running ones (watches, exec, port-forward) and every connection ended.
   */
  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    s.closeIdleConnections();
    if (this.inflight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
        timer.unref();
        this.drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.drained = undefined;
    }
    s.closeAllConnections();
    for (const sock of this.sockets) sock.destroy();
    this.sockets.clear();
    await closed;
  }

  /** Upgrade requests (kubectl exec over websockets) go to the pod's node agent. */
  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://localhost');
    // (an upgraded connect is counted as 1.32's route counts it: 101 when it has ended, with its
    // whole duration, and long-running while it lasts)
    // (or with the code of the Status written instead of the upgrade)
    const started = process.hrtime.bigint();
    let code = 101;
    const track = (labels: RequestLabels) => {
      const end = longRunningStarted(labels);
      socket.once('close', () => {
        end();
        recordRequest(labels, code, Number(process.hrtime.bigint() - started) / 1e9);
      });
    };
    try {
      const user = await this.user(req);
      const proxied = this.deps.nodeProxy && matchProxyPath(url.pathname);
      if (proxied) {
        track(routeLabels(req, parseResourcePath(url.pathname), url.searchParams));
        return await upgradeProxy(this.deps.nodeProxy!, this.deps.authorizer, req, socket, head, user, proxied, queryOf(req.url));
      }
      const podSub = matchPodSubresource(url.pathname);
      if (!podSub || podSub.sub === 'log' || !this.deps.nodeProxy) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      track(routeLabels(req, parseResourcePath(url.pathname), url.searchParams));
      await proxyUpgrade(this.deps.nodeProxy, req, socket, head, user, url, podSub.namespace, podSub.name, podSub.sub);
    } catch (e) {
      const err = e instanceof ApiError ? e : toApiError(e);
      code = err.code;
      writeUpgradeError(socket, err);
    }
  }

  /**
   * Who the request is from: its bearer token's user (401 for a token nobody has), or
   * system:anonymous without credentials when anonymous requests are enabled; then whoever it
   * impersonates, if it may. Authenticated users are in system:authenticated. An Authorization
   * header that is not `Bearer <token>` (Basic, an empty Bearer) is no credential at all, as
   * Kubernetes' bearertoken authenticator passes it by: the request is anonymous, not 401.
   */
  private async user(req: IncomingMessage): Promise<UserInfo> {
    const parts = (req.headers.authorization ?? '').trim().split(' ');
    const token = parts.length >= 2 && parts[0]!.toLowerCase() === 'bearer' ? parts[1]! : '';
    let user: UserInfo;
    // (authentication_attempts and friends, as WithAuthentication records them: a certificate the
    // client CA does not vouch for is an error, a token nobody has a failure)
    const started = performance.now();
    const attempt = (result: 'success' | 'failure' | 'error', name?: string) => recordAuthentication(result, name, (performance.now() - started) / 1000);
    let fromCert: UserInfo | undefined;
    try {
      fromCert = !token ? requestCertificateUser(req) : undefined;
    } catch (e) {
      attempt('error');
      throw e;
    }
    if (fromCert) {
      user = { ...fromCert, groups: [...fromCert.groups, AUTHENTICATED_GROUP] };
    } else if (!token && this.deps.anonymous) {
      user = { name: ANONYMOUS_USER, groups: [UNAUTHENTICATED_GROUP] };
    } else {
      let found: UserInfo | undefined;
      try {
        found = token ? await this.deps.authenticate(token) : undefined;
      } catch (e) {
        attempt('error');
        throw e;
      }
      if (!found) {
        attempt('failure');
        throw errors.unauthorized();
      }
      user = { ...found, groups: [...found.groups, AUTHENTICATED_GROUP] };
    }
    attempt('success', user.name);
    // (headersDistinct: each Impersonate-Group line is its own group, not joined with ", ")
    if (req.rawHeaders && !hasImpersonationHeaders(req.rawHeaders)) return user;
    return impersonate(user, req.headersDistinct ?? req.headers, this.deps.authorizer);
  }

  /** A non-resource request (discovery, OpenAPI, health, version, metrics) must be allowed its path. */
  /**
   * API Priority and Fairness (WithPriorityAndFairness, after authentication and impersonation,
   * before authorization): the request's flow and its admission, which executes now, waits in its
   * level's queue or is rejected; undefined when APF does not handle it (long-running requests
   * other than watches, a path that does not decode, no configuration yet).
   */
  private admitFlow(req: IncomingMessage, user: UserInfo, path: string, q: URLSearchParams, parsePath: () => ParsedPath | undefined): Admission | undefined {
    const fc = this.deps.flowControl;
    if (!fc) return undefined;
    let p: ParsedPath | undefined;
    try {
      p = parsePath();
    } catch {
      return undefined; // (a path that does not decode: left to the handlers to refuse)
    }
    const method = req.method ?? 'GET';
    const verb = p ? verbOf(method, p, q) : method.toLowerCase();
    const watch = verb === 'watch';
    // (the long-running check: exec, attach, log, port-forward and proxy are not APF's)
    if (!watch && p && isLongRunning(q, p.subresource, p.watchPrefix)) return undefined;
    const r: FlowRequest = p ? { user, verb, resource: { group: p.group, resource: p.resource, subresource: p.subresource, namespace: p.namespace } } : { user, verb, path };
    const flow = fc.classify(r);
    if (!flow) return undefined;
    // (getRequestWaitContext: a quarter of the request's deadline; a watch's of the server's request timeout)
    const max = this.deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const waitMs = flow.limited ? queueWaitLimitMs(watch ? max : requestDeadlineMs(q, max)) : 0;
    // (the work estimator's inputs: a list's query and name, for its seats)
    return fc.admit(flow, r, waitMs, watch, q, p?.name);
  }

  private authorizePath(req: IncomingMessage, user: UserInfo, path: string): void {
    const verb = (req.method ?? 'GET').toLowerCase();
    const d = this.deps.authorizer.authorizePath(user, verb, path);
    if (!d.allowed) throw errors.forbiddenPath(user.name, verb, path, d.reason);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const url = splitTarget(req.url ?? '/');
    const path = url.pathname;
    const fullUrl = () => new URL(req.url ?? '/', 'https://localhost');
    // (the request's metric labels, once it has reached a route 1.32 instruments: a resource's
    // handler, past authorization, or a health check; a long-running one is counted while it runs)
    let labels: RequestLabels | undefined;
    let endLongRunning: (() => void) | undefined;
    const route = (l: RequestLabels) => {
      labels = l;
      if (longRunningVerb(l)) endLongRunning = longRunningStarted(l);
    };
    let responseBytes = 0;
    const write = res.write;
    res.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
      if (chunk) responseBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : (chunk as Uint8Array).length;
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof res.write;
    const end = res.end;
    res.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
      if (chunk && typeof chunk !== 'function') responseBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : (chunk as Uint8Array).length;
      return (end as (...a: unknown[]) => ServerResponse).call(this, chunk, ...rest);
    } as typeof res.end;
    const method = (req.method ?? 'GET').toUpperCase();
    const endInflight = longRunningRequest(method, path, url.searchParams) ? undefined : inflightStarted(method !== 'GET' && method !== 'HEAD');
    if (endInflight) this.inflight++;
    // ('close' comes whether the answer was finished or the client went away mid-watch)
    // (API Priority and Fairness' admission: its seat is given back when the answer is done, a watch's once established)
    let apf: Admission | undefined;
    // (what apiserver_request_sli_duration_seconds leaves out, as 1.32's LatencyTrackers: the
    // request's time in its APF queue, and in admission webhooks, kept beside its RequestContext)
    let apfWaitSeconds = 0;
    let reqCtx: object | undefined;
    res.once('close', () => {
      apf?.abandon();
      apf?.finish();
      endInflight?.();
      if (endInflight && --this.inflight === 0) this.drained?.();
      requestsServed++;
      endLongRunning?.();
      if (labels) recordRequest(labels, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9, { responseBytes, excludedSeconds: apfWaitSeconds + webhookSecondsOf(reqCtx) });
    });
    // (a resource request's warnings: 1.32's recorder writes each as a header when it is added,
    // so a request refused afterwards still carries them, as kubectl shows above the error)
    let warnings: string[] = [];
    // (the path is parsed once, for the deadline, the flow schemas, the metrics and routing; a
    // path that does not decode throws again at each call)
    let parsed: { p: ParsedPath | undefined } | undefined;
    const parsePath = () => (parsed ??= { p: parseResourcePath(path) }).p;
    let deadline: number | undefined;
    try {
      // (kube-apiserver's WithRequestDeadline runs before authentication: a bad ?timeout= is 400 to anyone)
      deadline = armRequestDeadline(req, res, parsePath, url.searchParams, this.deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
      const unauthenticated = this.deps.unauthenticated?.(req, res, path);
      if (unauthenticated && (await unauthenticated)) return;
      const user = await this.user(req);
      apf = this.admitFlow(req, user, path, url.searchParams, parsePath);
      if (apf && !apf.executing) {
        const waitStarted = performance.now();
        const admitted = await apf.wait();
        apfWaitSeconds = (performance.now() - waitStarted) / 1000;
        if (!admitted) {
          recordRejected(req, parsePath, url.searchParams, path);
          return tooManyRequests(res, apf);
        }
      }
      if (apf) setFlowHeaders(res, apf.flow);
      if (isNonResourcePath(path)) this.authorizePath(req, user, path);
      const health = matchHealthPath(path);
      if (health && /^\/(healthz|livez|readyz)$/.test(path)) route(healthRequestLabels(req.method ?? 'GET', path, url.searchParams));
      if (health && (await serveHealth(this.deps.health, health, url.searchParams, res))) return;
      // (the version WebService's route is GET /: /version/ answers as /version does)
      if (path === '/version' || path === '/version/') return sendJson(res, 200, serverVersion);
      const discovery = this.deps.issuerDiscovery && issuerDiscoveryPath(path);
      if (discovery && this.deps.issuerDiscovery) {
        const d = this.deps.issuerDiscovery();
        const data = JSON.stringify(discovery === 'configuration' ? d.configuration : d.jwks);
        res.writeHead(200, { 'Content-Type': discovery === 'configuration' ? 'application/json' : 'application/jwk-set+json', 'Content-Length': String(Buffer.byteLength(data)), 'Cache-Control': 'public, max-age=3600' });
        res.end(data);
        return;
      }
      if (path === '/metrics') return await serveMetricsPage(register, res, log);
      if (this.deps.logsDir && isLogsPath(path)) return await serveLogs(this.deps.logsDir, path, url.searchParams.toString(), req, res);
      if (path === '/api' || path === '/api/' || path === '/apis' || path === '/apis/') {
        const legacy = path.startsWith('/api/') || path === '/api';
        // Aggregated discovery when the client takes it (kubectl 1.32 asks for it first), else the legacy documents.
        const aggregated = wantedAggregatedDiscovery(req.headers.accept);
        if (aggregated) {
          // (ServeHTTPWithETag: a quoted hash of the document, and 304 to a client that has it)
          const data = JSON.stringify(aggregatedDiscovery(legacy, this.deps.registry.all(), aggregated));
          const etag = JSON.stringify(createHash('sha256').update(data).digest('hex').toUpperCase());
          const headers = { ETag: etag, Vary: 'Accept', 'Cache-Control': 'public' };
          if (req.headers['if-none-match'] === etag) {
            res.writeHead(304, headers);
            res.end();
            return;
          }
          res.writeHead(200, { ...headers, 'Content-Type': aggregatedDiscoveryType(aggregated), 'Content-Length': String(Buffer.byteLength(data)) });
          res.end(data);
          return;
        }
        if (/apidiscovery\.k8s\.io/.test(req.headers.accept ?? '') && !/application\/json(,|$)/.test(req.headers.accept ?? '')) {
          throw new ApiError(406, 'NotAcceptable', 'only application/json discovery (plain, or aggregated apidiscovery.k8s.io/v2 or v2beta1) is served');
        }
        return sendJson(res, 200, legacy ? apiVersions() : apiGroupList(this.deps.registry.all()));
      }
      if (path === '/openapi/v3') return sendJson(res, 200, this.openapi.index());
      if (path.startsWith('/openapi/v3/')) {
        const doc = this.openapi.doc(path.slice('/openapi/v3/'.length));
        if (!doc) {
          // (the aggregator's specProxier.handleGroupVersion answers a path no spec serves with a
          // bare w.WriteHeader(404): kubectl reads 'the server could not find the requested resource')
          res.writeHead(404, { 'Content-Length': '0' });
          res.end();
          return;
        }
        return sendJson(res, 200, doc);
      }
      if (path === '/openapi/v2') {
        const v2 = this.openapi.v2();
        const proto = /protobuf/.test(req.headers.accept ?? '');
        const data = proto ? v2.proto : Buffer.from(v2.json);
        res.writeHead(200, { 'Content-Type': proto ? OPENAPI_V2_PROTOBUF : 'application/json', 'Content-Length': String(data.length), ETag: `"${v2.etag}"`, Vary: 'Accept' });
        res.end(data);
        return;
      }
      const segs = path.split('/').filter(Boolean);
      if (segs[0] === 'api' && segs.length === 2) {
        const list = apiResourceList('', segs[1]!, this.deps.registry.all());
        if (!list) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
        return sendJson(res, 200, list);
      }
      if (segs[0] === 'apis' && segs.length === 2) {
        const g = apiGroup(segs[1]!, this.deps.registry.all());
        if (!g) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
        return sendJson(res, 200, g);
      }
      if (segs[0] === 'apis' && segs.length === 3) {
        const list = apiResourceList(segs[1]!, segs[2]!, this.deps.registry.all());
        if (!list) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
        return sendJson(res, 200, list);
      }
      if (isNonResourcePath(path)) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      if (this.deps.extra && (await this.deps.extra(req, res, user, fullUrl()))) return;
      const cs = this.deps.componentStatus && matchComponentStatusPath(path);
      if (cs) {
        route(routeLabels(req, parsePath(), url.searchParams));
        return await serveComponentStatuses(this.deps.componentStatus!, user, req.method ?? 'GET', cs.name, wantsTable(req), res, url.searchParams);
      }
      const apis = this.deps.apiServices && matchAPIServicePath(path);
      if (apis) {
        route(routeLabels(req, parsePath(), url.searchParams));
        return await serveAPIServices(this.deps.apiServices!, user, req.method ?? 'GET', apis.name, wantsTable(req), res, url.searchParams);
      }
      const metrics = this.deps.nodeProxy && matchMetricsPath(path);
      if (metrics) {
        route(routeLabels(req, parsePath(), url.searchParams));
        if (req.method !== 'GET') throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
        return sendJson(res, 200, await serveMetrics(this.deps.nodeProxy!, user, metrics, fullUrl().searchParams));
      }
      const review = matchReviewPath(path);
      if (review) {
        const a = reviewAttributes(review.resource, review.namespace);
        route(routeLabels(req, parsePath(), url.searchParams, review.resource));
        if (req.method !== 'POST') throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
        const d = await this.deps.authorizer.authorize(user, a);
        if (!d.allowed) throw errors.forbidden(user.name, 'create', a.group, a.resource, a.namespace, undefined, d.reason);
        const body = decodeRequestBody(await readBody(req), req.headers['content-type'] ?? 'application/json');
        const load = async (a: { group?: string; resource?: string; namespace?: string; name?: string }) => {
          const r = a.name ? this.deps.registry.find(a.group ?? '', 'v1', a.resource ?? '') : undefined;
          return r ? ((await this.deps.stores.get(storageOf(r))!.get(r.namespaced ? a.namespace : undefined, a.name!).catch(() => undefined)) as KubeObject | undefined) : undefined;
        };
        return sendJson(res, 201, await answerReview(review.resource, user, body, review.namespace, { authorizer: this.deps.authorizer, load, reviewToken: this.deps.reviewToken }));
      }
      const binding = matchBindingsPath(path);
      if (binding) {
        route(routeLabels(req, parsePath(), url.searchParams));
        return await serveBinding(req, res, user, binding.namespace, fullUrl().searchParams, { authorizer: this.deps.authorizer, pods: this.deps.stores.get(pods)! });
      }
      const proxied = this.deps.nodeProxy && matchProxyPath(path);
      if (proxied) {
        route(routeLabels(req, parsePath(), url.searchParams));
        return await serveProxy(this.deps.nodeProxy!, this.deps.authorizer, req, res, user, proxied, queryOf(req.url));
      }
      const podSub = matchPodSubresource(path);
      if (podSub && this.deps.nodeProxy) {
        route(routeLabels(req, parsePath(), url.searchParams));
        if (podSub.sub !== 'log') return await refuseWithoutUpgrade(this.deps.nodeProxy, req, user, fullUrl(), podSub.namespace, podSub.name, podSub.sub);
        // (pods/log is a getter: its route has GET alone, and go-restful answers any other method 405)
        if (req.method !== 'GET') throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
        return await proxyLogs(this.deps.nodeProxy, req, res, user, fullUrl(), podSub.namespace, podSub.name);
      }
      const p = parsePath();
      const resource = p && this.deps.registry.find(p.group, p.version, p.resource);
      // kube-apiserver's WithAuthorization filter runs before its mux routes the request: a path
      // with no handler is refused to a user who may not use it (403 'forbidden: User "bob" cannot
      // get path "/logs"', 'foos is forbidden: User "bob" cannot list resource "foos" ...') and
      // is NotFound only to one who may, so what the server serves is not told to everyone.
      const notFound = async (status = 404) => {
        if (!p) this.authorizePath(req, user, path);
        else {
          const v = verbOf(req.method ?? 'GET', p, url.searchParams);
          const d = await this.deps.authorizer.authorize(user, { verb: v, group: p.group, resource: p.resource, subresource: p.subresource, namespace: p.namespace, name: p.name });
          if (!d.allowed) throw errors.forbidden(user.name, v, p.group, p.subresource ? `${p.resource}/${p.subresource}` : p.resource, p.namespace, p.name, d.reason);
        }
        return status === 405
          ? new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource')
          : new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      };
      if (!p || !resource) throw await notFound();
      if (p.namespace && !resource.namespaced) throw await notFound();
      // (a subresource the resource does not have, such as pods/resize with its gate off, is no route)
      if (p.subresource && !resource.subresources.includes(p.subresource)) throw await notFound();
      if (p.rest && p.subresource !== 'proxy') throw await notFound();
      if (!methodRouted(req.method ?? 'GET', p, resource.namespaced)) throw await notFound(405);
      const verb = verbOf(req.method ?? 'GET', p, url.searchParams);
      const store = this.deps.stores.get(storageOf(resource));
      if (!store) throw await notFound();
      if (resource.namespaced && !p.namespace && p.name) throw await notFound();
      // (RequestInfoFactory: a list or watch whose fieldSelector requires metadata.name=x is
      // authorized as a request for x, so that a role with resourceNames allows watching that object)
      const authzName = p.name ?? (verb === 'list' || verb === 'watch' ? selectedName(url.searchParams.get('fieldSelector') ?? '') : undefined);
      const decision = await this.deps.authorizer.authorize(user, { verb, group: p.group, resource: p.resource, subresource: p.subresource, namespace: p.namespace, name: authzName }, async () => {
        if (!p.name) return undefined;
        try {
          return (await store.get(p.namespace, p.name)) as KubeObject;
        } catch {
          return undefined;
        }
      });
      if (!decision.allowed) {
        throw errors.forbidden(user.name, verb, p.group, p.subresource ? `${p.resource}/${p.subresource}` : p.resource, p.namespace, authzName, decision.reason);
      }
      route(routeLabels(req, parsePath(), url.searchParams));
      const q = url.searchParams;
      const fv = q.get('fieldValidation') || 'Warn';
      const fieldManager = q.get('fieldManager') || undefined;
      const dryRun = q.getAll('dryRun');
      const optionErrors = writeOptionErrors(verb, q, req.headers['content-type']);
      if (optionErrors) throw errors.invalid(optionErrors.kind, 'meta.k8s.io', '', optionErrors.errs);
      const ctx: RequestContext = {
        user,
        dryRun: dryRun.includes('All'),
        fieldValidation: fv as FieldValidation,
        // (a deprecated CRD version's warning, on every request to it)
        warnings: resource.warning ? [resource.warning] : [],
        requireName: decision.requireName,
        validateAs: resource.view?.validate,
        // (an events.k8s.io/v1 write owns its fields under that version, in its names)
        apiVersion: storageOf(resource).managedFieldNames?.[apiVersionOf(resource)] ? apiVersionOf(resource) : undefined,
        fieldManager,
        userAgent: req.headers['user-agent'],
        force: q.get('force') === 'true',
        // (the etcd calls end with the request: none is left retrying after its 504)
        deadline,
      };
      warnings = ctx.warnings;
      reqCtx = ctx;
      await handleResource(req, res, { verb, resource, store, stores: this.deps.stores, namespace: p.namespace, name: p.name, subresource: p.subresource, query: q, ctx, tokenRequests: this.deps.tokenRequests }, {
        opened: (r) => {
          registeredWatchers.inc({ resource: r });
          apf?.finish();
        },
        closed: (r) => registeredWatchers.dec({ resource: r }),
      });
    } catch (e) {
      // (past the deadline what failed is the storage call it ended, no bug: the answer is the 504)
      const late = deadline !== undefined && Date.now() >= deadline;
      const err = late ? timeoutError(req.method ?? 'GET') : e instanceof ApiError ? e : toApiError(e);
      // A 5xx the code chose (503: no endpoints, a webhook down) is the cluster's state, not a bug:
      // its message says it all. Anything else that escaped is a bug, and its stack is wanted.
      if (late) log.info('request ended at its deadline', { method: req.method, path, err: e instanceof Error ? e.message : String(e) });
      else if (!(e instanceof ApiError)) log.error('request failed', { method: req.method, path, err: e instanceof Error ? e.stack : String(e) });
      else if (err.code >= 500) log.warn('request failed', { method: req.method, path, code: err.code, err: err.message });
      if (res.headersSent) {
        res.end();
        return;
      }
      try {
        sendStatus(res, err, warnings, wantsYaml(req));
      } catch (e2) {
        // (an answer Node cannot write, such as a header it refuses, must not take the server down)
        log.error('could not send the error', { method: req.method, path, err: e2 instanceof Error ? e2.message : String(e2) });
        res.destroy();
      }
    }
  }
}

/**
 * Paths that name no resource, authorized by path (nonResourceURLs): health, version, metrics,
 * OpenAPI, and discovery down to a group-version (/api, /api/v1, /apis, /apis/apps/v1).
 */
/** Which issuer discovery document a path asks for (the trailing slash is served too, as kube-apiserver does). */
function issuerDiscoveryPath(path: string): 'configuration' | 'jwks' | undefined {
  const p = path.endsWith('/') ? path.slice(0, -1) : path;
  return p === OPENID_CONFIGURATION_PATH ? 'configuration' : p === JWKS_PATH ? 'jwks' : undefined;
}

export function isNonResourcePath(path: string): boolean {
  // (resource paths, most requests, start /api/v1/namespaces/ or /apis/<group>/<version>/<resource>: more segments than discovery has)
  if (path.startsWith('/api/v1/namespaces/')) return false;
  if (issuerDiscoveryPath(path)) return true;
  if (/^\/(healthz|livez|readyz|version|metrics|openapi|logs)(\/|$)/.test(path)) return true;
  const segs = path.split('/').filter(Boolean);
  return (segs[0] === 'api' && segs.length <= 2) || (segs[0] === 'apis' && segs.length <= 3) || segs.length === 0;
}

/** setResponseHeaders: the UIDs (not names) of the FlowSchema and priority level a request matched. */
function setFlowHeaders(res: ServerResponse, flow: Flow): void {
  res.setHeader('X-Kubernetes-PF-PriorityLevel-UID', flow.priorityLevelUID);
  res.setHeader('X-Kubernetes-PF-FlowSchema-UID', flow.flowSchemaUID);
}

/** tooManyRequests: APF's 429, written as Go's http.Error writes it (plain text), with Retry-After and the flow's headers. */
function tooManyRequests(res: ServerResponse, apf: Admission): void {
  if (res.headersSent || res.destroyed) return;
  setFlowHeaders(res, apf.flow);
  const body = 'Too many requests, please try again later.\n';
  res.writeHead(429, { 'Retry-After': apf.retryAfter(), 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(body);
}

function toApiError(e: unknown): ApiError {
  const err = e as Error & { retryable?: boolean };
  if (err?.name === 'StorageError' || err?.name === 'CompactedError') return errors.unavailable(`storage unavailable: ${err.message}`, e);
  return errors.internal(err?.message ?? String(e), e);
}
