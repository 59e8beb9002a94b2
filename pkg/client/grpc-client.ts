// A client of the gRPC frontend (tskube.api.v1.Api) implementing ApiClient, as RestClient does:
// objects travel as Kubernetes JSON, errors carry the server's Status (metadata k8s-status), and
// a watch resolves once the server has accepted it (its response headers), or rejects with the
// Status; once accepted, a failure (410 when the resourceVersion is too old) is an ERROR event
// carrying the Status, as over REST, so informers treat both frontends alike.
import { isIP } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { ApiClient as GeneratedClient, type ListResponse, type ObjectResponse, type WatchResponse } from '../api/generated/tskube/api/v1/api.js';
import type { KubeObject } from '../api/types.js';
import type { ApiClient, DeleteOpts, ListQuery, ListResult, PatchType, ResourceRef, WatchEvent, WatchHandle, WatchQuery } from './api-client.js';
import type { ClusterConfig } from './kubeconfig.js';
import { evictionOf, MAX_RETRIES, StatusError } from './rest-client.js';
import { GRPC_AS_REST, recordClientRequest } from './client-metrics.js';
import { logger } from '../util/log.js';

const log = logger('grpc-client');

type Method = 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete';

export interface GrpcClientOptions {
  caCert: string;
  /** A bearer token; without one the client certificate is the credential. */
  token?: string;
  clientCert?: string;
  clientKey?: string;
  serverName?: string;
  userAgent?: string;
  /**
   * The most a unary call may take, its retries and their waits included (client-go's
   * rest.Config.Timeout, the request's context deadline): 60 s, as RestClient's requests, by default.
   */
  timeoutMs?: number;
}

/** RestClient's timeout of a request that is not a watch. */
const DEFAULT_TIMEOUT_MS = 60_000;

export class GrpcApiClient implements ApiClient {
  private client: GeneratedClient;
  private md: grpc.Metadata;
  /** Watch streams open on the current channel: cancelled when the client certificate changes. */
  private readonly streams = new Set<grpc.ClientReadableStream<WatchResponse>>();

  /** `serverName` is checked against the serving certificate; an IP address is checked as "localhost" (always a SAN of ours). */
  /** `userAgent`'s part before `/` is the default field manager of this client's writes. */
  /** The client certificate and key channels are made with (the options', or the latest rotated pair). */
  private pair: { cert?: string; key?: string };

  constructor(readonly address: string, private readonly opts: GrpcClientOptions) {
    this.pair = { cert: opts.clientCert, key: opts.clientKey };
    this.client = this.channel(opts.clientCert, opts.clientKey);
    this.md = new grpc.Metadata();
    if (opts.token) this.md.set('authorization', `Bearer ${opts.token}`);
  }

  private channel(cert: string | undefined, key: string | undefined): GeneratedClient {
    const creds = grpc.credentials.createSsl(Buffer.from(this.opts.caCert), key ? Buffer.from(key) : null, cert ? Buffer.from(cert) : null);
    const host = this.address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    const serverName = this.opts.serverName ?? (isIP(host) ? 'localhost' : undefined);
    return new GeneratedClient(this.address, creds, {
      'grpc.primary_user_agent': this.opts.userAgent ?? 'tsctl/0.1.0',
      ...(serverName ? { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName } : {}),
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.max_receive_message_length': 256 << 20,
    });
  }

  static fromConfig(c: ClusterConfig, userAgent?: string): GrpcApiClient {
    if (!c.grpcServer) throw new Error(`${c.source}: no gRPC server named`);
    const pair = c.clientCert && c.clientKey;
    if (!c.caCert || (!c.token && !pair)) throw new Error(`${c.source}: the gRPC frontend needs the cluster CA and a bearer token or a client certificate`);
    return new GrpcApiClient(c.grpcServer, { caCert: c.caCert, token: c.token, ...(pair ? { clientCert: c.clientCert, clientKey: c.clientKey } : {}), userAgent });
  }

  /**
   * Uses a new client certificate from now on, as RestClient's: calls go over a new channel that
   * handshakes with it, and the old channel's watches are cancelled (their informers watch again
   * on the new one) before it is closed, as the kubelet's transport closes every connection after
   * a rotation. Calls in flight on the old channel finish there.
   */
  setClientCertificate(cert: string, key: string): void {
    this.pair = { cert, key };
    this.closeAllConnections();
  }

  /**
   * Moves to a new channel, which dials afresh, and cancels the old one's watches (their informers
   * watch again on the new one) before closing it: the kubelet's connrotation CloseAll after
   * repeated heartbeat failures. Unary calls in flight on the old channel end there (keepalive
   * fails them on a dead connection).
   */
  closeAllConnections(): void {
    const old = this.client;
    this.client = this.channel(this.pair.cert, this.pair.key);
    for (const s of [...this.streams]) s.cancel();
    this.streams.clear();
    old.close();
  }

  close(): void {
    this.client.close();
  }

  /**
   * A unary call, retried as RestClient retries a request (client-go's request() and withRetry):
   * a refusal whose Status is 429 or 5xx and that says when to retry (the server's `retry-after`,
   * whole seconds) is made again after that wait; a read (get, list) whose connection was reset or
   * dropped before its answer (isErrRetryableFunc's GET on net.IsConnectionReset or
   * net.IsProbableEOF) is made again after a second; up to MAX_RETRIES times in all. A write is
   * never made again after a lost connection, since it may have been done. The retries stay within
   * the call's timeout, as client-go's stop at the request's context deadline: one whose wait
   * would end past it is not made (the caller gets the last answer), and a retry carries the time
   * left as its deadline. (The first try has none: a timer per call costs, and keepalive pings
   * find a dead connection.)
   */
  private call<Res>(method: Method, req: object): Promise<Res> {
    const deadline = Date.now() + (this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    return this.retrying(method, deadline, method === 'get' || method === 'list', (attempt) => this.callOnce<Res>(method, req, attempt > 1 ? deadline : undefined));
  }

  /**
   * Makes `once` (attempt 1, 2, ...) until it succeeds or may not be retried: a refusal that says
   * when (429 or 5xx with retry-after) after that wait, a lost connection of a read after a second,
   * up to MAX_RETRIES times and never past `deadline`; the last error names an earlier lost
   * connection's (WrapPreviousError).
   */
  private async retrying<T>(what: string, deadline: number, read: boolean, once: (attempt: number) => Promise<T>): Promise<T> {
    let previous: StatusError | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        return await once(attempt);
      } catch (e) {
        const lost = read && isConnectionResetOrEOF(e);
        let wait = attempt > MAX_RETRIES ? undefined : lost ? 1 : retryAfterOf(e);
        if (wait !== undefined && Date.now() + wait * 1000 >= deadline) wait = undefined;
        if (wait === undefined) throw wrapPreviousError(e, previous);
        if (lost) previous = e as StatusError;
        await new Promise((r) => setTimeout(r, wait * 1000));
        log.debug(`Got a Retry-After ${wait}s response for attempt ${attempt} to ${this.address} ${what}`, lost ? { err: (e as Error).message } : { code: (e as StatusError).code });
      }
    }
  }

  private callOnce<Res>(method: Method, req: object, deadline?: number): Promise<Res> {
    const fn = (this.client as unknown as Record<string, (req: object, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown>)[method]!;
    const started = performance.now();
    return new Promise((resolve, reject) => {
      // No deadline on a first try (a timer per call costs): keepalive pings find a dead connection, which fails its calls.
      fn.call(this.client, req, this.md, deadline === undefined ? {} : { deadline }, (err, res) => {
        const failed = err ? toStatusError(err, method) : undefined;
        this.record(method, failed, started);
        return failed ? reject(failed) : resolve(res);
      });
    });
  }

  /** rest_client_* metrics of a call, as the REST request it stands for; one that got no Status answered nothing ("<error>"). */
  private record(method: string, failed: Error | undefined, started: number): void {
    const rest = GRPC_AS_REST[method]!;
    const code = !failed ? rest.code : failed instanceof StatusError && failed.status ? failed.code : undefined;
    recordClientRequest(rest.method, this.address, code, (performance.now() - started) / 1000);
  }

  private target(ref: ResourceRef, namespace?: string) {
    return { group: ref.group ?? '', version: ref.version ?? 'v1', resource: ref.resource, namespace: ref.namespaced ? (namespace ?? '') : '' };
  }

  async get<T = KubeObject>(ref: ResourceRef, namespace: string | undefined, name: string, subresource = ''): Promise<T> {
    const res = await this.call<ObjectResponse>('get', { ...this.target(ref, namespace), name, subresource });
    return JSON.parse(res.objectJson ?? '{}') as T;
  }

  async list<T = KubeObject>(ref: ResourceRef, namespace?: string, q: ListQuery = {}): Promise<ListResult<T>> {
    const res = await this.call<ListResponse>('list', { ...this.target(ref, namespace), labelSelector: q.labelSelector ?? '', fieldSelector: q.fieldSelector ?? '', resourceVersion: q.resourceVersion ?? '', resourceVersionMatch: q.resourceVersionMatch ?? '', limit: q.limit ?? 0, continue: q.continue ?? '' });
    return { items: (res.itemsJson ?? []).map((j) => JSON.parse(j) as T), metadata: { resourceVersion: res.resourceVersion ?? '', ...(res.continue ? { continue: res.continue } : {}) } };
  }

  async create<T = KubeObject>(ref: ResourceRef, namespace: string | undefined, obj: unknown, q: Record<string, string> = {}): Promise<T> {
    const res = await this.call<ObjectResponse>('create', { ...this.target(ref, namespace), objectJson: JSON.stringify(obj), fieldValidation: q.fieldValidation ?? 'Strict', fieldManager: q.fieldManager ?? '', dryRun: q.dryRun === 'All' });
    return JSON.parse(res.objectJson ?? '{}') as T;
  }

  async update<T = KubeObject>(ref: ResourceRef, namespace: string | undefined, name: string, obj: unknown, subresource = ''): Promise<T> {
    const res = await this.call<ObjectResponse>('update', { ...this.target(ref, namespace), name, subresource, objectJson: JSON.stringify(obj), fieldValidation: 'Strict' });
    return JSON.parse(res.objectJson ?? '{}') as T;
  }

  async patch<T = KubeObject>(ref: ResourceRef, namespace: string | undefined, name: string, patch: unknown, patchType: PatchType = 'merge', subresource = '', opts: { fieldManager?: string; force?: boolean; dryRun?: boolean } = {}): Promise<T> {
    const res = await this.call<ObjectResponse>('patch', { ...this.target(ref, namespace), name, subresource, patchType, patchJson: JSON.stringify(patch), fieldValidation: 'Strict', ...opts });
    return JSON.parse(res.objectJson ?? '{}') as T;
  }

  async delete<T = KubeObject>(ref: ResourceRef, namespace: string | undefined, name: string, opts: DeleteOpts = {}): Promise<T> {
    const res = await this.call<ObjectResponse>('delete', {
      ...this.target(ref, namespace),
      name,
      gracePeriodSeconds: opts.gracePeriodSeconds,
      preconditionUid: opts.preconditions?.uid ?? '',
      preconditionResourceVersion: opts.preconditions?.resourceVersion ?? '',
      propagationPolicy: opts.propagationPolicy ?? '',
    });
    return JSON.parse(res.objectJson ?? '{}') as T;
  }

  async createSubresource<T = KubeObject>(ref: ResourceRef, namespace: string | undefined, name: string, subresource: string, obj: unknown): Promise<T> {
    const res = await this.call<ObjectResponse>('create', { ...this.target(ref, namespace), name, subresource, objectJson: JSON.stringify(obj) });
    return JSON.parse(res.objectJson || '{}') as T;
  }

  async evict(namespace: string, pod: string, deleteOptions?: DeleteOpts): Promise<unknown> {
    const res = await this.call<ObjectResponse>('create', { group: '', version: 'v1', resource: 'pods', namespace, name: pod, subresource: 'eviction', objectJson: JSON.stringify(evictionOf(namespace, pod, deleteOptions)) });
    return JSON.parse(res.objectJson ?? '{}');
  }

  async bind(namespace: string, pod: string, node: string, uid?: string): Promise<unknown> {
    const res = await this.call<ObjectResponse>('create', {
      group: '',
      version: 'v1',
      resource: 'pods',
      namespace,
      name: pod,
      subresource: 'binding',
      objectJson: JSON.stringify({ apiVersion: 'v1', kind: 'Binding', metadata: { name: pod, namespace, ...(uid ? { uid } : {}) }, target: { apiVersion: 'v1', kind: 'Node', name: node } }),
    });
    return JSON.parse(res.objectJson || '{}');
  }

  /** A watch, whose start is retried as a read's: after a refusal that says when, or a second after a lost connection (client-go's Watch retries net.IsProbableEOF). */
  async watch<T = KubeObject>(ref: ResourceRef, namespace: string | undefined, q: WatchQuery, onEvent: (e: WatchEvent<T>) => void): Promise<WatchHandle> {
    // (a watch's only deadline is its timeoutSeconds, as the typed client's Watch sets Timeout from it)
    const deadline = q.timeoutSeconds ? Date.now() + q.timeoutSeconds * 1000 : Infinity;
    return this.retrying('watch', deadline, true, () => this.watchOnce(ref, namespace, q, onEvent));
  }

  private watchOnce<T>(ref: ResourceRef, namespace: string | undefined, q: WatchQuery, onEvent: (e: WatchEvent<T>) => void): Promise<WatchHandle> {
    const stream = this.client.watch(
      { ...this.target(ref, namespace), resourceVersion: q.resourceVersion ?? '', labelSelector: q.labelSelector ?? '', fieldSelector: q.fieldSelector ?? '', allowWatchBookmarks: !!q.allowWatchBookmarks, sendInitialEvents: false, timeoutSeconds: q.timeoutSeconds ?? 0 },
      this.md,
    );
    this.streams.add(stream);
    const forget = () => this.streams.delete(stream);
    for (const ev of ['end', 'error', 'close']) stream.on(ev, forget);
    let started = false;
    const opened = performance.now();
    return new Promise<WatchHandle>((resolveStart, rejectStart) => {
      const done = new Promise<void>((resolveDone) => {
        stream.on('metadata', () => {
          if (started) return;
          started = true;
          this.record('watch', undefined, opened);
          resolveStart({ done, stop: () => stream.cancel() });
        });
        stream.on('data', (ev: WatchResponse) => onEvent({ type: ev.type as WatchEvent['type'], object: JSON.parse(ev.objectJson ?? '{}') as T }));
        stream.on('end', () => resolveDone());
        stream.on('error', (e: grpc.ServiceError) => {
          if (!started) {
            started = true;
            const failed = toStatusError(e, 'watch');
            this.record('watch', failed, opened);
            rejectStart(failed);
          }
          resolveDone();
        });
      });
    });
  }
}

/** The seconds a refused call's server asked to wait before trying again (checkWait: a 429 or 5xx with retry-after). */
function retryAfterOf(e: unknown): number | undefined {
  return e instanceof StatusError && (e.code === 429 || e.code >= 500) ? e.retryAfter : undefined;
}

/**
 * A call that failed because its connection was reset or dropped before the answer (no Status:
 * UNAVAILABLE with grpc-js's 'Connection dropped', a read's or write's ECONNRESET or EPIPE, or the
 * server's GOAWAY), as net.IsConnectionReset and net.IsProbableEOF see a REST request's; not a
 * connection that could not be made.
 */
function isConnectionResetOrEOF(e: unknown): boolean {
  if (!(e instanceof StatusError) || e.status) return false;
  const cause = e.cause as grpc.ServiceError | undefined;
  return cause?.code === grpc.status.UNAVAILABLE && /^Connection dropped$|ECONNRESET|EPIPE|^Write error|GOAWAY/.test(cause.details ?? '');
}

/** WrapPreviousError: the last attempt's error naming an earlier lost connection's when their words differ. */
function wrapPreviousError(e: unknown, previous: StatusError | undefined): unknown {
  if (!previous || !(e instanceof StatusError) || e.status || e.message === previous.message) return e;
  const inner = (previous.cause as grpc.ServiceError | undefined)?.details ?? previous.message;
  const wrapped = new StatusError(e.code, undefined, `${e.message} - error from a previous attempt: ${inner}`);
  wrapped.cause = e.cause;
  return wrapped;
}

function toStatusError(e: grpc.ServiceError, method: string): Error {
  const raw = e.metadata?.get('k8s-status')[0];
  if (raw) {
    const status = JSON.parse(String(raw)) as Record<string, unknown>;
    const err = new StatusError(Number(status.code), status, String(status.message));
    // (the server's retry hint, as REST's Retry-After header: whole seconds)
    const after = String(e.metadata.get('retry-after')[0] ?? '');
    if (/^\d+$/.test(after)) err.retryAfter = Number(after);
    return err;
  }
  // No Status: the call never reached the registry (connection refused, deadline), or its connection was lost: a 503 to retry.
  const err = new StatusError(503, undefined, `gRPC ${method}: ${e.message}`);
  err.cause = e;
  return err;
}
