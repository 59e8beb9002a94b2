// A typed-enough REST client for the Kubernetes dialect: CRUD, patch, subresources, streaming
// watch, and errors carrying the server's Status.
import { Agent, request } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { KubeObject } from '../api/types.js';
import type { ApiClient, DeleteOpts, ListQuery, ListResult, PatchType, ResourceRef, WatchEvent, WatchHandle, WatchQuery } from './api-client.js';
import type { ClusterConfig } from './kubeconfig.js';
import { recordClientRequest } from './client-metrics.js';
import { Http1Pool } from './http1.js';
import { genericServerResponse, statusOfBody } from './response-error.js';
import { logger } from '../util/log.js';

const log = logger('rest-client');

/** client-go's Request maxRetries: how many times an answer asking for a retry is retried. */
export const MAX_RETRIES = 10;

export type { ApiClient, ListResult, ResourceRef, WatchEvent, WatchHandle } from './api-client.js';

export const core = (resource: string, namespaced = true): ResourceRef => ({ group: '', version: 'v1', resource, namespaced });
export const Pods = core('pods');
export const Nodes = core('nodes', false);
export const Namespaces = core('namespaces', false);
export const Events = core('events');
export const Leases: ResourceRef = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespaced: true };
export const CustomResourceDefinitions: ResourceRef = { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions', namespaced: false };
export const ReplicationControllers: ResourceRef = { group: '', version: 'v1', resource: 'replicationcontrollers', namespaced: true };
export const ReplicaSets: ResourceRef = { group: 'apps', version: 'v1', resource: 'replicasets', namespaced: true };
export const Deployments: ResourceRef = { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true };
export const Jobs: ResourceRef = { group: 'batch', version: 'v1', resource: 'jobs', namespaced: true };
export const CronJobs: ResourceRef = { group: 'batch', version: 'v1', resource: 'cronjobs', namespaced: true };
export const DaemonSets: ResourceRef = { group: 'apps', version: 'v1', resource: 'daemonsets', namespaced: true };
export const StatefulSets: ResourceRef = { group: 'apps', version: 'v1', resource: 'statefulsets', namespaced: true };
export const ControllerRevisions: ResourceRef = { group: 'apps', version: 'v1', resource: 'controllerrevisions', namespaced: true };
export const PersistentVolumes = core('persistentvolumes', false);
export const PersistentVolumeClaims = core('persistentvolumeclaims');
export const StorageClasses: ResourceRef = { group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses', namespaced: false };
export const FlowSchemas: ResourceRef = { group: 'flowcontrol.apiserver.k8s.io', version: 'v1', resource: 'flowschemas', namespaced: false };
export const PriorityLevelConfigurations: ResourceRef = { group: 'flowcontrol.apiserver.k8s.io', version: 'v1', resource: 'prioritylevelconfigurations', namespaced: false };
export const CSIDrivers: ResourceRef = { group: 'storage.k8s.io', version: 'v1', resource: 'csidrivers', namespaced: false };
export const CSINodes: ResourceRef = { group: 'storage.k8s.io', version: 'v1', resource: 'csinodes', namespaced: false };
export const CSIStorageCapacities: ResourceRef = { group: 'storage.k8s.io', version: 'v1', resource: 'csistoragecapacities', namespaced: true };
export const VolumeAttachments: ResourceRef = { group: 'storage.k8s.io', version: 'v1', resource: 'volumeattachments', namespaced: false };
export const Services = core('services');
export const ServiceAccounts = core('serviceaccounts');
export const EndpointsRef = core('endpoints');
export const LimitRanges = core('limitranges');
export const ResourceQuotas = core('resourcequotas');
export const NetworkPolicies: ResourceRef = { group: 'networking.k8s.io', version: 'v1', resource: 'networkpolicies', namespaced: true };
export const ValidatingWebhookConfigurations: ResourceRef = { group: 'admissionregistration.k8s.io', version: 'v1', resource: 'validatingwebhookconfigurations', namespaced: false };
export const ValidatingAdmissionPolicies: ResourceRef = { group: 'admissionregistration.k8s.io', version: 'v1', resource: 'validatingadmissionpolicies', namespaced: false };
export const ValidatingAdmissionPolicyBindings: ResourceRef = { group: 'admissionregistration.k8s.io', version: 'v1', resource: 'validatingadmissionpolicybindings', namespaced: false };
export const MutatingWebhookConfigurations: ResourceRef = { group: 'admissionregistration.k8s.io', version: 'v1', resource: 'mutatingwebhookconfigurations', namespaced: false };
export const CertificateSigningRequests: ResourceRef = { group: 'certificates.k8s.io', version: 'v1', resource: 'certificatesigningrequests', namespaced: false };
export const PriorityClasses: ResourceRef = { group: 'scheduling.k8s.io', version: 'v1', resource: 'priorityclasses', namespaced: false };
export const RuntimeClasses: ResourceRef = { group: 'node.k8s.io', version: 'v1', resource: 'runtimeclasses', namespaced: false };
export const EndpointSlices: ResourceRef = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', namespaced: true };
export const PodDisruptionBudgets: ResourceRef = { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets', namespaced: true };
export const HorizontalPodAutoscalers: ResourceRef = { group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers', namespaced: true };
/** metrics.k8s.io/v1beta1 PodMetrics (served by the apiserver from the node agents; list only). */
export const PodMetricsRef: ResourceRef = { group: 'metrics.k8s.io', version: 'v1beta1', resource: 'pods', namespaced: true };

/** The policy/v1 Eviction of a pod. */
export const evictionOf = (namespace: string, pod: string, deleteOptions?: DeleteOpts) => ({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod, namespace }, ...(deleteOptions ? { deleteOptions: { kind: 'DeleteOptions', apiVersion: 'v1', ...deleteOptions } } : {}) });
export const Ingresses: ResourceRef = { group: 'networking.k8s.io', version: 'v1', resource: 'ingresses', namespaced: true };
export const IngressClasses: ResourceRef = { group: 'networking.k8s.io', version: 'v1', resource: 'ingressclasses', namespaced: false };
const rbac = (resource: string, namespaced: boolean): ResourceRef => ({ group: 'rbac.authorization.k8s.io', version: 'v1', resource, namespaced });
export const Roles = rbac('roles', true);
export const ClusterRoles = rbac('clusterroles', false);
export const RoleBindings = rbac('rolebindings', true);
export const ClusterRoleBindings = rbac('clusterrolebindings', false);

/** A metav1.Status as the server sent it, with the members callers read typed. */
export type StatusBody = Record<string, unknown> & {
  reason?: string;
  message?: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: { reason?: string; message?: string; field?: string }[]; retryAfterSeconds?: number };
};

export class StatusError extends Error {
  /** The seconds the server asked to wait before trying again (gRPC's `retry-after`), if it did. */
  retryAfter?: number;
  constructor(readonly code: number, readonly status: StatusBody | undefined, message: string) {
    super(message);
    this.name = 'StatusError';
  }
  get reason(): string | undefined {
    return this.status?.reason;
  }
}

/** Whether a client call failed because the object (or its namespace) is not there: a 404 StatusError, as apierrors.IsNotFound answers for a Status of code 404. */
export function isNotFound(e: unknown): e is StatusError {
  return e instanceof StatusError && e.code === 404;
}

export interface RequestOptions {
  method?: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  accept?: string;
  timeoutMs?: number;
}

export class RestClient implements ApiClient {
  private agent: Agent;
  /**
   * Watches hold their connection for as long as they run: they get an agent of their own with
   * no socket limit, or a client with many informers (the garbage collector watches every kind)
   * would use up the pool and its ordinary requests would wait for good.
   */
  private watchAgent: Agent;
  /**
   * Requests whose answer is read whole (everything but lists and watches) go through a lean
   * HTTP/1.1 pool of their own: node:https's request machinery costs several times the CPU for the
   * same bytes (pkg/client/http1.ts), and a small cluster's client shares its cores with the
   * apiserver and etcd.
   */
  private pool: Http1Pool;
  readonly url: URL;

  /** Sent as User-Agent; its part before `/` is the default field manager of this client's writes. */
  readonly userAgent: string;

  /** Sent with every request (e.g. Impersonate-User, Impersonate-Group: an array repeats the header). */
  private readonly headers: Record<string, string | string[]>;

  /** The server's host as a socket is dialled: an IPv6 address without the URL's brackets. */
  private readonly hostname: string;

  constructor(readonly config: ClusterConfig, opts: { maxSockets?: number; userAgent?: string; headers?: Record<string, string | string[]> } = {}) {
    this.url = new URL(config.server);
    this.hostname = this.url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.headers = opts.headers ?? {};
    this.userAgent = opts.userAgent ?? 'tsctl/0.1.0';
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: opts.maxSockets ?? 64,
      ca: config.caCert,
      cert: config.clientCert,
      key: config.clientKey,
      rejectUnauthorized: !config.insecureSkipTLSVerify,
    });
    this.watchAgent = new Agent({ keepAlive: false, ca: config.caCert, cert: config.clientCert, key: config.clientKey, rejectUnauthorized: !config.insecureSkipTLSVerify });
    this.maxSockets = opts.maxSockets ?? 64;
    this.pair = { cert: config.clientCert, key: config.clientKey };
    this.pool = this.newPool();
  }

  private newPool(): Http1Pool {
    const { cert, key } = this.pair;
    return new Http1Pool({ host: this.hostname, port: Number(this.url.port || 443), ca: this.config.caCert, cert, key, rejectUnauthorized: !this.config.insecureSkipTLSVerify, maxSockets: this.maxSockets });
  }

  private readonly maxSockets: number;
  /** The client certificate and key connections are made with (the kubeconfig's, or the latest rotated pair). */
  private pair: { cert?: string; key?: string };

  /**
   * Uses a new client certificate and key from now on, as the kubelet's transport does when its
   * certificate manager rotates (pkg/kubelet/certificate/transport.go updateTransport): every open
   * connection, watches included, is closed so that the next request handshakes with the new pair.
   */
  setClientCertificate(cert: string, key: string): void {
    this.pair = { cert, key };
    this.closeAllConnections();
  }

  /**
   * Closes every open connection (requests and watches under way fail; informers watch again) and
   * dials afresh from now on, as the kubelet's connrotation dialer's CloseAll after repeated
   * heartbeat failures: a connection the apiserver's end no longer answers on is not reused.
   */
  closeAllConnections(): void {
    const old = [this.agent, this.watchAgent];
    const oldPool = this.pool;
    const c = this.config;
    const { cert, key } = this.pair;
    this.agent = new Agent({ keepAlive: true, maxSockets: this.maxSockets, ca: c.caCert, cert, key, rejectUnauthorized: !c.insecureSkipTLSVerify });
    this.watchAgent = new Agent({ keepAlive: false, ca: c.caCert, cert, key, rejectUnauthorized: !c.insecureSkipTLSVerify });
    this.pool = this.newPool();
    for (const a of old) a.destroy();
    oldPool.destroy();
  }

  close(): void {
    this.agent.destroy();
    this.watchAgent.destroy();
    this.pool.destroy();
  }

  path(ref: ResourceRef, namespace?: string, name?: string, subresource?: string): string {
    const base = ref.group ? `/apis/${ref.group}/${ref.version ?? 'v1'}` : `/api/${ref.version ?? 'v1'}`;
    let p = base;
    if (ref.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
    p += `/${ref.resource}`;
    if (name) p += `/${encodeURIComponent(name)}`;
    if (subresource) p += `/${subresource}`;
    return p;
  }

  /**
   * Sends a request and gives its answer's head, retrying as client-go's request and withRetry do
   * (rest/request.go, with_retry.go IsNextRetry and checkWait):
   * - an answer that asks for a retry: a 429 or a 5xx whose Retry-After is a whole number of
   *   seconds is sent again, its body (held whole, so safe to resend whatever the method) the same,
   *   after that many seconds;
   * - a GET (never a write, which may have been done) whose connection was reset or closed before
   *   its answer came (isErrRetryableFunc: net.IsConnectionReset, net.IsProbableEOF) is sent again
   *   after a second, as the artificial Retry-After: 1 of retryAfterResponse;
   * up to MAX_RETRIES times in all; the answer or error after the last retry, or any other, is the
   * caller's, an error naming the previous attempt's when it differs (WrapPreviousError). The
   * retries stay within the request's timeout, as client-go's within its context's deadline: one
   * whose wait would end past it is not made, and a retry may be silent only for the time left.
   */
  private open(path: string, o: RequestOptions): Promise<IncomingMessage> {
    // (a refused answer's body is read and dropped: its connection is reused)
    return this.withRetries(path, o, (timeoutMs) => this.send(path, { ...o, timeoutMs }), (res) => res.resume());
  }

  /** As open, for an answer read whole through the lean pool. */
  private openWhole(path: string, o: RequestOptions): Promise<WholeAnswer> {
    return this.withRetries(path, o, (timeoutMs) => this.sendWhole(path, { ...o, timeoutMs }), () => {});
  }

  private async withRetries<R extends Answered>(path: string, o: RequestOptions, send: (timeoutMs: number | undefined) => Promise<R>, drop: (res: R) => void): Promise<R> {
    const deadline = o.timeoutMs ? performance.now() + o.timeoutMs : Infinity;
    const method = o.method ?? 'GET';
    let previous: Error | undefined;
    for (let attempt = 1; ; attempt++) {
      let res: R;
      try {
        res = await send(attempt === 1 || deadline === Infinity ? o.timeoutMs : Math.max(1, Math.ceil(deadline - performance.now())));
      } catch (e) {
        const err = e as Error;
        if (method !== 'GET' || attempt > MAX_RETRIES || !isConnectionResetOrEOF(err) || performance.now() + 1000 > deadline) throw wrapPreviousError(err, previous);
        previous = err;
        await new Promise((r) => setTimeout(r, 1000));
        log.debug(`Got a Retry-After 1s response for attempt ${attempt} to ${this.url.origin}${path}`, { err: err.message });
        continue;
      }
      const wait = attempt <= MAX_RETRIES ? retryAfterSeconds(res) : undefined;
      if (wait === undefined || performance.now() + wait * 1000 > deadline) return res;
      drop(res);
      await new Promise((r) => setTimeout(r, wait * 1000));
      log.debug(`Got a Retry-After ${wait}s response for attempt ${attempt} to ${this.url.origin}${path}`, { code: res.statusCode });
    }
  }

  /** A request's path with its query, its method, headers and body as sent. */
  private prepare(path: string, o: RequestOptions) {
    let q = '';
    if (o.query) {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(o.query)) if (v !== undefined && v !== '') qs.set(k, String(v));
      q = qs.toString();
    }
    const body = o.body === undefined ? undefined : typeof o.body === 'string' || Buffer.isBuffer(o.body) ? o.body : JSON.stringify(o.body);
    const headers: Record<string, string | string[]> = { ...this.headers, Accept: o.accept ?? 'application/json', 'User-Agent': this.userAgent };
    if (this.config.token) headers.Authorization = `Bearer ${this.config.token}`;
    if (body !== undefined) {
      headers['Content-Type'] = o.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    return { fullPath: path + (q ? `?${q}` : ''), method: o.method ?? 'GET', headers, body };
  }

  /** Sends a request through the lean pool and reads its answer whole. */
  private async sendWhole(path: string, o: RequestOptions): Promise<WholeAnswer> {
    const { fullPath, method, headers, body } = this.prepare(path, o);
    // (rest_client_* metrics: counted and timed when the answer arrives, or the request fails)
    const started = performance.now();
    try {
      const r = await this.pool.request({ method, path: fullPath, headers, body, timeoutMs: o.timeoutMs });
      recordClientRequest(method, this.url.host, r.status, (performance.now() - started) / 1000);
      return { statusCode: r.status, headers: r.headers, text: r.body.toString('utf8') };
    } catch (e) {
      recordClientRequest(method, this.url.host, undefined, (performance.now() - started) / 1000);
      throw new Error(`${method} ${this.url.origin}${path}: ${(e as Error).message}`, { cause: e });
    }
  }

  private send(path: string, o: RequestOptions): Promise<IncomingMessage> {
    const { fullPath, method, headers, body } = this.prepare(path, o);
    // (rest_client_* metrics: counted and timed when the answer's head arrives, or the request fails)
    const started = performance.now();
    const host = this.url.host;
    return new Promise((resolve, reject) => {
      const req = request(
        { protocol: 'https:', hostname: this.hostname, port: this.url.port || 443, path: fullPath, method, headers, agent: o.query?.watch ? this.watchAgent : this.agent, timeout: o.timeoutMs },
        (res) => {
          recordClientRequest(method, host, res.statusCode, (performance.now() - started) / 1000);
          resolve(res);
        },
      );
      req.on('error', (e) => {
        recordClientRequest(method, host, undefined, (performance.now() - started) / 1000);
        reject(new Error(`${method} ${this.url.origin}${path}: ${e.message}`, { cause: e }));
      });
      req.on('timeout', () => req.destroy(new Error('request timed out')));
      if (body !== undefined) req.end(body);
      else req.end();
    });
  }

  async request<T = unknown>(path: string, o: RequestOptions = {}): Promise<T> {
    const res = await this.openWhole(path, { timeoutMs: 60_000, ...o });
    return answer<T>(res, res.text, o.method ?? 'GET', path);
  }

  get<T = KubeObject>(ref: ResourceRef, namespace: string | undefined, name: string, subresource?: string): Promise<T> {
    return this.request<T>(this.path(ref, namespace, name, subresource));
  }

  /**
   * A list. The apiserver streams a large one with each item on a line of its own (JSON allows
   * the whitespace, and serialised JSON has no raw newline): items are parsed as their lines
   * come, while the rest is still being sent, instead of in one JSON.parse of 25 MB at the end.
   * Any other body is parsed whole.
   */
  async list<T = KubeObject>(ref: ResourceRef, namespace?: string, q: ListQuery = {}): Promise<ListResult<T>> {
    const res = await this.open(this.path(ref, namespace), { query: { ...q }, timeoutMs: 60_000 });
    res.setEncoding('utf8');
    let text = '';
    let head: string | undefined;
    let lines = res.statusCode === 200 ? undefined : false;
    const items: T[] = [];
    for await (const c of res as AsyncIterable<string>) {
      text += c;
      if (lines === undefined) {
        const nl = text.indexOf('\n');
        if (nl < 0) continue;
        lines = text.slice(0, nl).endsWith('"items":[');
        if (lines) {
          head = text.slice(0, nl);
          text = text.slice(nl + 1);
        }
      }
      if (!lines) continue;
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        const end = text.charCodeAt(nl - 1) === 44 /* , */ ? nl - 1 : nl;
        if (end > start) items.push(JSON.parse(text.slice(start, end)) as T);
        start = nl + 1;
      }
      text = text.slice(start);
    }
    if (!lines) return answer<ListResult<T>>(res, text, 'GET', this.path(ref, namespace));
    const list = JSON.parse(head + text) as ListResult<T>;
    list.items = items;
    return list;
  }

  create<T = KubeObject>(ref: ResourceRef, namespace: string | undefined, obj: unknown, q: Record<string, string> = {}): Promise<T> {
    return this.request<T>(this.path(ref, namespace), { method: 'POST', body: obj, query: { fieldValidation: 'Strict', ...q } });
  }

  update<T = KubeObject>(ref: ResourceRef, namespace: string | undefined, name: string, obj: unknown, subresource?: string): Promise<T> {
    return this.request<T>(this.path(ref, namespace, name, subresource), { method: 'PUT', body: obj, query: { fieldValidation: 'Strict' } });
  }

  patch<T = KubeObject>(ref: ResourceRef, namespace: string | undefined, name: string, patch: unknown, type: PatchType = 'merge', subresource?: string): Promise<T> {
    const ct = { merge: 'application/merge-patch+json', json: 'application/json-patch+json', strategic: 'application/strategic-merge-patch+json', apply: 'application/apply-patch+yaml' }[type];
    return this.request<T>(this.path(ref, namespace, name, subresource), { method: 'PATCH', body: patch, contentType: ct, query: { fieldValidation: 'Strict', ...(type === 'apply' ? { fieldManager: 'tsctl' } : {}) } });
  }

  delete<T = KubeObject>(ref: ResourceRef, namespace: string | undefined, name: string, opts: DeleteOpts = {}): Promise<T> {
    return this.request<T>(this.path(ref, namespace, name), { method: 'DELETE', body: { kind: 'DeleteOptions', apiVersion: 'v1', ...opts } });
  }

  createSubresource<T = KubeObject>(ref: ResourceRef, namespace: string | undefined, name: string, subresource: string, obj: unknown): Promise<T> {
    return this.request<T>(this.path(ref, namespace, name, subresource), { method: 'POST', body: obj });
  }

  bind(namespace: string, pod: string, node: string, uid?: string): Promise<unknown> {
    return this.request(this.path(Pods, namespace, pod, 'binding'), {
      method: 'POST',
      body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: pod, namespace, ...(uid ? { uid } : {}) }, target: { apiVersion: 'v1', kind: 'Node', name: node } },
    });
  }

  evict(namespace: string, pod: string, deleteOptions?: DeleteOpts): Promise<unknown> {
    return this.request(this.path(Pods, namespace, pod, 'eviction'), { method: 'POST', body: evictionOf(namespace, pod, deleteOptions) });
  }

  /**
   * Streams watch events to `onEvent`. A watch the server refuses is thrown as StatusError; one
   * it accepted and cannot serve (410: the resourceVersion is too old) is an ERROR event with the
   * Status, delivered to onEvent. `done` resolves when the server ends the stream.
   */
  async watch<T = KubeObject>(ref: ResourceRef, namespace: string | undefined, q: WatchQuery, onEvent: (e: WatchEvent<T>) => void, accept?: string): Promise<WatchHandle> {
    const path = this.path(ref, namespace);
    const res = await this.open(path, { query: { watch: 1, ...q }, accept });
    if ((res.statusCode ?? 0) >= 400) throw errorOfAnswer(res, await bodyText(res), 'GET', path);
    let buf = '';
    const done = new Promise<void>((resolve) => {
      res.on('data', (chunk: Buffer) => {
        buf += chunk.toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim()) onEvent(JSON.parse(line) as WatchEvent<T>);
        }
      });
      res.on('end', () => resolve());
      res.on('close', () => resolve());
      res.on('error', () => resolve());
    });
    return { done, stop: () => res.destroy() };
  }
}

/** What the retries read of an answer: its code and headers. */
interface Answered {
  statusCode?: number;
  headers: Record<string, string | string[] | undefined>;
}

/** An answer read whole. */
interface WholeAnswer extends Answered {
  statusCode: number;
  text: string;
}

/**
 * A response's whole body, decoded as it arrives (a 25 MB list is mostly decoded by the time its
 * last piece comes). Listeners rather than the stream's async iterator, which costs every request
 * a promise per chunk and its end-of-stream machinery. A body cut short (the connection closed
 * before its end) is an error, as the iterator's premature close was.
 */
function bodyText(res: IncomingMessage): Promise<string> {
  res.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let text = '';
    let ended = false;
    res.on('data', (c: string) => {
      text += c;
    });
    res.on('end', () => {
      ended = true;
      resolve(text);
    });
    res.on('error', reject);
    res.on('close', () => {
      if (!ended) reject(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    });
  });
}

/**
 * isErrRetryableFunc's test of a GET that failed: its connection was reset (net.IsConnectionReset:
 * ECONNRESET, which Node also gives a connection closed before any answer, "socket hang up", Go's
 * EOF) or was found closed when the request was written (net.IsProbableEOF's "broken connection").
 */
function isConnectionResetOrEOF(e: Error): boolean {
  const code = (e.cause as { code?: string } | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

/** WrapPreviousError: the last attempt's error, naming an earlier attempt's when it differs ("... - error from a previous attempt: ..."). */
function wrapPreviousError(err: Error, previous: Error | undefined): Error {
  if (!previous || previous.message === err.message) return err;
  // (the previous error's own words, without the method and URL it was wrapped in, as url.Error is unwrapped)
  const inner = previous.cause instanceof Error ? previous.cause.message : previous.message;
  return new Error(`${err.message} - error from a previous attempt: ${inner}`, { cause: err.cause ?? err });
}

/** checkWait: the seconds a 429 or 5xx answer's Retry-After asks a client to wait (an integer, as strconv.Atoi reads it); undefined for any other. */
function retryAfterSeconds(res: Answered): number | undefined {
  const code = res.statusCode ?? 0;
  if (code !== 429 && code < 500) return undefined;
  const h = res.headers['retry-after'];
  if (typeof h !== 'string' || !/^[+-]?\d+$/.test(h)) return undefined;
  return Math.max(0, Number(h));
}

/** A response's body as JSON (or as text, if it is not JSON); a 4xx or 5xx is thrown as StatusError. */
function answer<T>(res: Answered, text: string, method: string, path: string): T {
  if ((res.statusCode ?? 0) >= 400) throw errorOfAnswer(res, text, method, path);
  try {
    return (text ? JSON.parse(text) : undefined) as T;
  } catch {
    return text as T;
  }
}

/**
 * The StatusError of an error answer, as client-go's transformResponse and Result.Error make it:
 * the Status its body is, or, when it is none (a proxy's 429, a text 503, JSON that is no Status),
 * the one NewGenericServerResponse builds for the code, method and path (response-error.ts).
 */
function errorOfAnswer(res: Answered, text: string, method: string, path: string): StatusError {
  const code = res.statusCode ?? 0;
  const status = statusOfBody(res.headers, text) ?? genericServerResponse(code, method, path, res.headers, text);
  return new StatusError(code, status, typeof status.message === 'string' ? status.message : '');
}
