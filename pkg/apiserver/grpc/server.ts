// The gRPC frontend (tskube.api.v1.Api): the same verbs as REST over the same registry, with
// the same authentication (Bearer token in metadata, else a client certificate of the cluster CA)
// and authorization; watch is a server stream.
import * as grpc from '@grpc/grpc-js';
import { Counter } from 'prom-client';
import { recordWatchEvent } from '../request-metrics.js';
import {
  ApiService,
  type CreateRequest,
  type DeleteRequest,
  type GetRequest,
  type ListRequest,
  type ObjectResponse,
  type PatchRequest,
  type UpdateRequest,
  type WatchRequest,
  type WatchResponse,
} from '../../api/generated/tskube/api/v1/api.js';
import type { KubeObject } from '../../api/types.js';
import { logger } from '../../util/log.js';
import { loopbackContext } from '../loopback.js';
import type { Authorizer } from '../authorizer.js';
import * as errors from '../errors.js';
import { ApiError } from '../errors.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, timeoutError } from '../rest/request-deadline.js';
import { certificateUser } from '../certificate-user.js';
import { bindPod, deleteObject, deleteOptionsFrom, patchObject, writableSubresource, type PatchType } from '../registry/operations.js';
import { checkFieldManager } from '../registry/field-manager.js';
import { findResource, poddisruptionbudgets, pods as podsResource, type ResourceInfo } from '../registry/resources.js';
import type { ResourceRegistry } from '../registry/resource-registry.js';
import { getScale, patchScale, replaceScale } from '../registry/scale.js';
import { evictPod } from '../registry/eviction.js';
import { METRICS_GROUP_VERSION, serveMetrics } from '../rest/metrics-api.js';
import type { NodeProxyDeps } from '../rest/node-proxy.js';
import type { FieldValidation, RequestContext, Store, UserInfo } from '../registry/store.js';
import { writtenJson } from '../raw-object.js';
import { buildMatcher } from '../rest/selection.js';
import { validateListOptions } from '../rest/list-options.js';
import type { TokenRequests } from '../token-request.js';
import { joinHostPort } from '../../util/host-port.js';
import { queueWaitLimitMs, type Admission, type FlowDispatcher } from '../flowcontrol-dispatch.js';
import { selectedName } from '../flowcontrol-work-estimate.js';

const log = logger('grpc');

const grpcRequests = new Counter({
  name: 'apiserver_grpc_requests_total',
  help: 'gRPC requests by method, resource and result code.',
  labelNames: ['method', 'resource', 'code'],
});

const httpToGrpc: Record<number, grpc.status> = {
  400: grpc.status.INVALID_ARGUMENT,
  401: grpc.status.UNAUTHENTICATED,
  403: grpc.status.PERMISSION_DENIED,
  404: grpc.status.NOT_FOUND,
  405: grpc.status.UNIMPLEMENTED,
  409: grpc.status.ABORTED,
  410: grpc.status.OUT_OF_RANGE,
  413: grpc.status.RESOURCE_EXHAUSTED,
  429: grpc.status.RESOURCE_EXHAUSTED,
  415: grpc.status.INVALID_ARGUMENT,
  422: grpc.status.INVALID_ARGUMENT,
  500: grpc.status.INTERNAL,
  503: grpc.status.UNAVAILABLE,
  504: grpc.status.DEADLINE_EXCEEDED,
};

/**
 * A gRPC error whose details carry the Kubernetes Status as JSON in `k8s-status` metadata, and
 * when to retry, if the Status says so, in `retry-after` (whole seconds, as REST's header).
 */
function toServiceError(e: unknown): Partial<grpc.ServiceError> {
  const err = e instanceof ApiError ? e : errors.internal(e instanceof Error ? e.message : String(e), e);
  const md = new grpc.Metadata();
  md.set('k8s-status', JSON.stringify(err.toStatus()));
  const after = err.details?.retryAfterSeconds;
  if (after && after > 0) md.set('retry-after', String(after));
  return { code: httpToGrpc[err.code] ?? grpc.status.UNKNOWN, details: err.message, metadata: md };
}

interface Target {
  group?: string;
  version?: string;
  resource?: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export interface GrpcDeps {
  stores: Map<ResourceInfo, Store>;
  /** Built-in resources and those of Established CRDs (without it, the built-in ones only). */
  registry?: ResourceRegistry;
  /** For the metrics API (metrics.k8s.io lists, as the horizontal pod autoscaler reads them). */
  nodeProxy?: NodeProxyDeps;
  authenticate(token: string): Promise<UserInfo | undefined>;
  authorizer: Authorizer;
  /** serviceaccounts/<name>/token. */
  tokenRequests?: TokenRequests;
  /** The deadline of a unary call (default 60 s, a REST request's without ?timeout=). */
  requestTimeoutMs?: number;
  /** API Priority and Fairness, shared with the REST frontend (its seats are the server's). */
  flowControl?: Pick<FlowDispatcher, 'classify' | 'admit'>;
}

/** A call's passage through API Priority and Fairness: its admission, once it has one. */
interface FlowPassage {
  admission?: Admission;
  /** The call: cancelled while it waits, it leaves its queue. */
  readonly call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>;
  /** The longest it may wait in its queue. */
  readonly waitMs: number;
  /** A list's or watch's query, for its seats. */
  readonly query?: URLSearchParams;
}

/** The REST method a unary verb stands for: its timeout Status is that method's. */
const verbMethod: Record<string, string> = { create: 'POST', update: 'PUT', patch: 'PATCH', delete: 'DELETE', deletecollection: 'DELETE' };

export class GrpcServer {
  private server = new grpc.Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });

  constructor(private readonly deps: GrpcDeps) {
    const list = this.unary<ListRequest>('list', async (req, t, ctx) => {
      const q = new URLSearchParams({ labelSelector: req.labelSelector ?? '', fieldSelector: req.fieldSelector ?? '' });
      // (the same ListOptions as a REST list's, checked the same way)
      for (const [k, v] of [['resourceVersion', req.resourceVersion], ['resourceVersionMatch', req.resourceVersionMatch], ['continue', req.continue]] as const) if (v) q.set(k, v);
      validateListOptions(q, false);
      const out = await t.store.list(t.namespace, {
        matches: buildMatcher(t.store.resource, q),
        limit: req.limit || undefined,
        continueToken: req.continue || undefined,
        resourceVersion: req.resourceVersion || undefined,
        resourceVersionMatch: req.resourceVersionMatch || undefined,
        deadline: ctx.deadline,
      });
      return { itemsJson: out.items.map((o) => o.json), resourceVersion: String(out.rev), continue: out.continueToken ?? '', remainingItemCount: out.remaining ?? 0 };
    });
    this.server.addService(ApiService, {
      get: this.unary<GetRequest>('get', async (req, t, ctx) => {
        const { store } = t;
        if (isScale(store, req.subresource)) return json(await getScale(store, t.namespace, req.name ?? ''));
        writableSubresource(store.resource, req.subresource || undefined, 'get');
        return json(await store.get(t.namespace, req.name ?? '', ctx.deadline));
      }),
      list: (call: grpc.ServerUnaryCall<ListRequest, unknown>, cb: grpc.sendUnaryData<unknown>) => (call.request.group === 'metrics.k8s.io' ? this.metricsList(call, cb) : list(call, cb)),
      create: this.unary<CreateRequest>('create', async (req, t, ctx) => {
        const body = parseObject(req.objectJson ?? '');
        if (req.subresource === 'binding') {
          await bindPod(t.store, t.namespace, req.name ?? '', body, ctx);
          return json({ kind: 'Status', apiVersion: 'v1', status: 'Success', code: 201 } as KubeObject);
        }
        if (req.subresource === 'eviction' && t.store.resource === podsResource) {
          await evictPod({ pods: t.store, pdbs: this.deps.stores.get(poddisruptionbudgets)! }, t.namespace ?? '', req.name ?? '', body, ctx, { ...ctx, ...loopbackContext() });
          return json({ kind: 'Status', apiVersion: 'v1', status: 'Success', code: 201 } as KubeObject);
        }
        if (req.subresource === 'token' && t.store.resource.name === 'serviceaccounts' && this.deps.tokenRequests) {
          return json(await this.deps.tokenRequests.create(t.namespace, req.name ?? '', body, ctx));
        }
        if (req.subresource) throw errors.methodNotSupported(`${t.store.resource.name}/${req.subresource}`, 'create');
        return json(await t.store.create(t.namespace, body, ctx, undefined, true));
      }),
      update: this.unary<UpdateRequest>('update', async (req, t, ctx) => {
        if (isScale(t.store, req.subresource)) return json(await replaceScale(t.store, t.namespace, req.name ?? '', parseObject(req.objectJson ?? ''), ctx));
        const sub = writableSubresource(t.store.resource, req.subresource || undefined, 'update');
        return json(await t.store.update(t.namespace, req.name ?? '', parseObject(req.objectJson ?? ''), ctx, sub));
      }),
      patch: this.unary<PatchRequest>('patch', async (req, t, ctx) => {
        const type = req.patchType as PatchType;
        if (!['merge', 'json', 'strategic', 'apply'].includes(type)) throw errors.badRequest(`unknown patchType "${req.patchType}"`);
        if (type === 'strategic' && t.store.resource.custom) throw errors.unsupportedMediaType(['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml']);
        let body: unknown;
        try {
          body = JSON.parse(req.patchJson ?? '');
        } catch (e) {
          throw errors.badRequest(`patchJson is not JSON: ${(e as Error).message}`);
        }
        if (isScale(t.store, req.subresource)) return json(await patchScale(t.store, t.namespace, req.name ?? '', type, body, ctx));
        const sub = writableSubresource(t.store.resource, req.subresource || undefined, 'patch');
        return json((await patchObject(t.store, t.namespace, req.name ?? '', type, body, ctx, sub)).obj);
      }),
      delete: this.unary<DeleteRequest>('delete', async (req, t, ctx) => {
        const opts = deleteOptionsFrom(
          {
            ...(req.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: req.gracePeriodSeconds } : {}),
            ...(req.preconditionUid || req.preconditionResourceVersion ? { preconditions: { uid: req.preconditionUid || undefined, resourceVersion: req.preconditionResourceVersion || undefined } } : {}),
            ...(req.propagationPolicy ? { propagationPolicy: req.propagationPolicy } : {}),
          },
        );
        // (our components read the object back, deleted or not; the REST frontend's Status is kubectl's)
        return json((await deleteObject(t.store, t.namespace, req.name ?? '', opts, ctx)).obj);
      }),
      watch: (call: grpc.ServerWritableStream<WatchRequest, WatchResponse>) => void this.watch(call),
    });
  }

  /** With a client CA, as the REST frontend: a client certificate it signed authenticates its CN and O; presenting none is allowed. */
  listen(host: string, port: number, cert: string, key: string, clientCA?: string): Promise<number> {
    const creds = clientCA ? new OptionalClientCertificate(cert, key, clientCA) : grpc.ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(cert), private_key: Buffer.from(key) }], false);
    return new Promise((resolve, reject) => {
      this.server.bindAsync(joinHostPort(host, port), creds, (err, bound) => (err ? reject(err) : resolve(bound)));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.tryShutdown(() => resolve());
      setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 2000).unref();
    });
  }

  /**
   * The caller, from the bearer token in the call's metadata, else from the client certificate
   * the connection presented (checked at each call, as REST checks it at each request).
   */
  private async user(call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>): Promise<UserInfo> {
    const auth = String(call.metadata.get('authorization')[0] ?? '');
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    const peer = !m ? call.getAuthContext()?.sslPeerCertificate : undefined;
    const user = m ? await this.deps.authenticate(m[1]!) : peer ? certificateUser(peer) : undefined;
    if (!user) throw errors.unauthorized();
    return { ...user, groups: [...user.groups, 'system:authenticated'] };
  }

  /** A list of metrics.k8s.io/v1beta1 pods or nodes (PodMetrics, NodeMetrics), as over REST. */
  private metricsList(call: grpc.ServerUnaryCall<ListRequest, unknown>, cb: grpc.sendUnaryData<unknown>): void {
    const req = call.request;
    // (API Priority and Fairness, as a REST list of metrics.k8s.io: classified after authentication)
    const passage: FlowPassage = { call, waitMs: queueWaitLimitMs(this.deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS), query: listQuery(req) };
    const run = async () => {
      const user = await this.user(call);
      const namespace = req.resource === 'pods' ? req.namespace || undefined : undefined;
      await this.admitFlow(passage, user, 'list', req, namespace);
      if (`${req.group}/${req.version}` !== METRICS_GROUP_VERSION || (req.resource !== 'pods' && req.resource !== 'nodes') || !this.deps.nodeProxy) {
        throw new ApiError(404, 'NotFound', `the server could not find the requested resource ${req.group}/${req.version}/${req.resource}`);
      }
      const out = await serveMetrics(this.deps.nodeProxy, user, { resource: req.resource, namespace }, new URLSearchParams({ labelSelector: req.labelSelector ?? '' }));
      return { itemsJson: (out.items as unknown[]).map((i) => JSON.stringify(i)), resourceVersion: '', continue: '', remainingItemCount: 0 };
    };
    const work = run();
    void work.then(finish, finish);
    function finish() {
      passage.admission?.finish();
    }
    work.then(
      (res) => {
        grpcRequests.inc({ method: 'list', resource: `${req.resource}.metrics.k8s.io`, code: 'OK' });
        cb(null, res);
      },
      (e) => {
        const se = toServiceError(e);
        grpcRequests.inc({ method: 'list', resource: `${req.resource}.metrics.k8s.io`, code: String(se.code) });
        cb(se as grpc.ServiceError);
      },
    );
  }

  /**
   * API Priority and Fairness for a call, as the REST frontend's admitFlow: it is classified as
   * the REST request it stands for (its user, verb and resource: the scheduler, controllers and
   * node agents meet the bootstrap schemas kube-scheduler, kube-controller-manager, system-nodes
   * as 1.32's REST clients do), then executes, waits in its level's queue, or is refused with 429
   * TooManyRequests, 'Too many requests, please try again later.', which goes out as
   * RESOURCE_EXHAUSTED with the level's Retry-After in `retry-after`.
   */
  private async admitFlow(passage: FlowPassage, user: UserInfo, verb: string, req: Target, namespace: string | undefined): Promise<void> {
    const fc = this.deps.flowControl;
    if (!fc) return;
    const r = { user, verb, resource: { group: req.group ?? '', resource: req.resource ?? '', subresource: req.subresource || undefined, namespace } };
    const flow = fc.classify(r);
    if (!flow) return;
    const apf = fc.admit(flow, r, flow.limited ? passage.waitMs : 0, verb === 'watch', passage.query, req.name || undefined);
    passage.admission = apf;
    if (apf.executing) return;
    const abandon = () => apf.abandon();
    passage.call.once('cancelled', abandon);
    const admitted = await apf.wait();
    passage.call.off('cancelled', abandon);
    if (!admitted) throw errors.tooManyRequests('Too many requests, please try again later.', Number(apf.retryAfter()));
  }

  /**
   * `deadline`: a unary call's (epoch ms), its etcd calls' too; none for a watch. `passage`: the
   * call goes through API Priority and Fairness after authentication, before authorization.
   */
  private async resolve(call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>, req: Target, verb: string, deadline?: number, passage?: FlowPassage): Promise<{ t: Target & { store: Store }; ctx: RequestContext }> {
    const full = await this.user(call);
    const find = this.deps.registry ? this.deps.registry.find.bind(this.deps.registry) : findResource;
    const resource = find(req.group ?? '', req.version || 'v1', req.resource ?? '');
    // (gRPC serves stored versions only: autoscaling/v1 autoscalers are autoscaling/v2 here, and
    // custom resources are served in their storage version)
    const store = resource && (!resource.view || resource.view.storage === resource) ? this.deps.stores.get(resource) : undefined;
    if (!resource || !store) throw new ApiError(404, 'NotFound', `the server could not find the requested resource ${req.group}/${req.version}/${req.resource}`);
    const namespace = resource.namespaced ? req.namespace || undefined : undefined;
    if (passage) await this.admitFlow(passage, full, verb, req, namespace);
    // (as REST: a list or watch whose fieldSelector requires metadata.name=x is authorized as a request for x)
    const fieldSelector = (req as { fieldSelector?: string }).fieldSelector;
    const authzName = req.name || (fieldSelector && (verb === 'list' || verb === 'watch') ? selectedName(fieldSelector) : undefined);
    const decision = await this.deps.authorizer.authorize(full, { verb, group: req.group ?? '', resource: req.resource ?? '', subresource: req.subresource || undefined, namespace, name: authzName }, async () => {
      if (!req.name) return undefined;
      return store.get(namespace, req.name).catch(() => undefined);
    });
    if (!decision.allowed) throw errors.forbidden(full.name, verb, req.group ?? '', req.subresource ? `${req.resource}/${req.subresource}` : req.resource ?? '', namespace, authzName, decision.reason);
    const r = req as Partial<{ dryRun: boolean; fieldValidation: string; fieldManager: string; force: boolean }>;
    const fv = (r.fieldValidation || 'Strict') as FieldValidation;
    const fieldManager = r.fieldManager || undefined;
    checkFieldManager(fieldManager);
    const ctx: RequestContext = {
      user: full,
      dryRun: !!r.dryRun,
      fieldValidation: fv,
      warnings: [],
      requireName: decision.requireName,
      fieldManager,
      userAgent: String(call.metadata.get('user-agent')[0] ?? ''),
      force: !!r.force,
      deadline,
    };
    return { t: { ...req, namespace: namespace ?? '', store }, ctx };
  }

  private unary<Req extends Target>(verb: string, fn: (req: Req, t: Target & { store: Store; namespace: string | undefined }, ctx: RequestContext) => Promise<unknown>) {
    return (call: grpc.ServerUnaryCall<Req, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      const req = call.request;
      const v = verb === 'create' && req.subresource ? 'create' : verb;
      // (the REST frontend's deadline: a call its storage or webhooks hold past it is answered
      // with the same 504 Timeout Status, and its late answer dropped)
      let timer: NodeJS.Timeout | undefined;
      const ms = this.deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(timeoutError(verbMethod[verb] ?? 'GET')), ms);
        timer.unref();
      });
      deadline.catch(() => {});
      // (API Priority and Fairness: a quarter of the deadline in a queue at most; the seat is held
      // until the work ends, past a deadline that answered first, as 1.32's timeout filter runs
      // outside the APF filter)
      const passage: FlowPassage = { call, waitMs: queueWaitLimitMs(ms), query: verb === 'list' ? listQuery(req as ListRequest) : undefined };
      const work = this.resolve(call, req, v, Date.now() + ms, passage).then(({ t, ctx }) => fn(req, { ...t, namespace: t.namespace || undefined }, ctx));
      if (this.deps.flowControl) void work.then(finish, finish);
      function finish() {
        passage.admission?.finish();
      }
      // (its etcd calls end there too, none left retrying)
      Promise.race([work, deadline])
        .finally(() => clearTimeout(timer))
        .then(
          (res) => {
            grpcRequests.inc({ method: verb, resource: req.resource ?? '', code: 'OK' });
            cb(null, res);
          },
          (e) => {
            const se = toServiceError(e);
            grpcRequests.inc({ method: verb, resource: req.resource ?? '', code: String(se.code) });
            if (!(e instanceof ApiError)) log.error('grpc request failed', { verb, err: e instanceof Error ? e.stack : String(e) });
            cb(se as grpc.ServiceError);
          },
        );
    };
  }

  private async watch(call: grpc.ServerWritableStream<WatchRequest, WatchResponse>): Promise<void> {
    const req = call.request;
    let stop: (() => void) | undefined;
    let closed = false;
    const end = () => {
      if (closed) return;
      closed = true;
      stop?.();
      passage.admission?.abandon();
      call.end();
    };
    // (API Priority and Fairness: a watch holds its seat while it is set up, and may wait a quarter
    // of the server's request timeout for it)
    const query = new URLSearchParams();
    if (req.sendInitialEvents) query.set('sendInitialEvents', 'true');
    if (req.fieldSelector) query.set('fieldSelector', req.fieldSelector);
    const passage: FlowPassage = { call, waitMs: queueWaitLimitMs(this.deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS), query };
    try {
      const { t } = await this.resolve(call, req, 'watch', undefined, passage);
      const q = new URLSearchParams({ labelSelector: req.labelSelector ?? '', fieldSelector: req.fieldSelector ?? '' });
      stop = t.store.watch(t.namespace || undefined, req.resourceVersion || undefined, { matches: buildMatcher(t.store.resource, q) }, {
        send: (type, obj) => {
          if (closed) return;
          call.write({ type, objectJson: obj.json });
          // (apiserver_watch_events_total and _sizes, as over REST: the JSON's length stands for its size)
          recordWatchEvent(t.store.resource, obj.json.length + type.length);
        },
        close: end,
      });
      // Headers now tell the client the watch has started. (A resourceVersion that is too old
      // has started it too, as over REST: its 410 Status came as an ERROR event, and the stream ended.)
      if (!closed) call.sendMetadata(new grpc.Metadata());
      // (its seat given back; it counts among its resource's watches until it closes)
      passage.admission?.finish();
      call.on('cancelled', end);
      call.on('close', end);
      if ((req.timeoutSeconds ?? 0) > 0) setTimeout(end, (req.timeoutSeconds ?? 0) * 1000).unref();
      if (req.allowWatchBookmarks) {
        // As over REST: a BOOKMARK with the cache's revision every 10 s, so clients resume close to now.
        const r = t.store.resource;
        const bookmarks = setInterval(() => {
          if (closed) return clearInterval(bookmarks);
          const meta = { resourceVersion: String(t.store.cache.revision) };
          call.write({ type: 'BOOKMARK', objectJson: JSON.stringify({ kind: r.kind, apiVersion: r.group ? `${r.group}/${r.version}` : r.version, metadata: meta }) });
        }, 10_000);
        bookmarks.unref();
        call.on('close', () => clearInterval(bookmarks));
      }
      grpcRequests.inc({ method: 'watch', resource: req.resource ?? '', code: 'OK' });
    } catch (e) {
      passage.admission?.abandon();
      passage.admission?.finish();
      const se = toServiceError(e);
      grpcRequests.inc({ method: 'watch', resource: req.resource ?? '', code: String(se.code) });
      // (emit, not destroy: a destroyed stream never sends its status)
      call.emit('error', Object.assign(new Error(se.details), se));
    }
  }
}

function parseObject(text: string): KubeObject {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw errors.badRequest(`objectJson is not JSON: ${(e as Error).message}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw errors.badRequest('objectJson must be a JSON object');
  return v as KubeObject;
}

/** A list call's query as REST would carry it: what its seats are estimated from. */
function listQuery(req: ListRequest): URLSearchParams {
  const q = new URLSearchParams();
  if (req.labelSelector) q.set('labelSelector', req.labelSelector);
  if (req.fieldSelector) q.set('fieldSelector', req.fieldSelector);
  if (req.resourceVersion) q.set('resourceVersion', req.resourceVersion);
  if (req.limit) q.set('limit', String(req.limit));
  if (req.continue) q.set('continue', req.continue);
  return q;
}

/** The scale subresource (autoscaling/v1 Scale) of a resource that has one. */
const isScale = (store: Store, subresource: string | undefined) => subresource === 'scale' && store.resource.subresources.includes('scale');

const json = (obj: KubeObject): ObjectResponse => ({ objectJson: writtenJson.get(obj) ?? JSON.stringify(obj) });

/**
 * TLS that asks for a client certificate and takes a connection without one (Node's requestCert
 * with rejectUnauthorized off, as the REST frontend listens): createSsl's checkClientCertificate
 * would refuse every client that has only a token. A certificate the CA did not verify leaves the
 * call's auth context empty, so such a call is anonymous to user() and refused.
 */
class OptionalClientCertificate extends grpc.ServerCredentials {
  constructor(cert: string, key: string, ca: string) {
    super({ requestCert: true, rejectUnauthorized: false }, { ca: Buffer.from(ca), cert: [Buffer.from(cert)], key: [Buffer.from(key)] });
  }

  _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}
