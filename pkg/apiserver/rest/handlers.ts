// Resource verbs over HTTP: get, list, watch, create, update, patch, delete, deletecollection,
// and the pod binding subresource, in the Kubernetes REST dialect.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../../api/types.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from '../../api/patch.js';
import * as errors from '../errors.js';
import { ApiError } from '../errors.js';
import { apiVersionOf, type ResourceInfo } from '../registry/resources.js';
import { clone, Store, type DeleteOptions, type RequestContext } from '../registry/store.js';
import type { EventType } from '../watch-cache.js';
import { decodeBody, readBody, sendJson, successStatus, wantsTable } from './http-util.js';
import { toTable } from './table.js';
import { buildMatcher } from './selection.js';

/** Objects larger than this are refused, as etcd would refuse the write (1.5 MiB). */
export const maxObjectBytes = 1536 * 1024;

export interface ResourceRequest {
  verb: string;
  resource: ResourceInfo;
  store: Store;
  namespace?: string;
  name?: string;
  subresource?: string;
  query: URLSearchParams;
  ctx: RequestContext;
}

export interface WatchHooks {
  opened(resource: string): void;
  closed(resource: string): void;
}

const boolParam = (q: URLSearchParams, k: string) => ['1', 'true'].includes(q.get(k) ?? '');

function intParam(q: URLSearchParams, k: string): number | undefined {
  const v = q.get(k);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw errors.badRequest(`invalid value for ${k}: "${v}"`);
  return n;
}

export async function handleResource(req: IncomingMessage, res: ServerResponse, r: ResourceRequest, hooks: WatchHooks): Promise<void> {
  const { store, ctx, query } = r;
  switch (r.verb) {
    case 'get': {
      if (r.subresource && r.subresource !== 'status') throw errors.methodNotSupported(r.resource.name + '/' + r.subresource, 'get');
      const obj = await store.get(r.namespace, r.name!);
      return respondObject(req, res, r, 200, obj);
    }
    case 'list':
      return list(req, res, r);
    case 'watch':
      return watch(req, res, r, hooks);
    case 'create': {
      const body = await readObject(req);
      if (r.subresource === 'binding') return bind(res, r, body);
      if (r.subresource) throw errors.methodNotSupported(`${r.resource.name}/${r.subresource}`, 'create');
      const obj = await store.create(r.namespace, body, ctx);
      return respondObject(req, res, r, 201, obj);
    }
    case 'update': {
      const body = await readObject(req);
      const obj = await store.update(r.namespace, r.name!, body, ctx, statusOnly(r));
      return respondObject(req, res, r, 200, obj);
    }
    case 'patch':
      return patch(req, res, r);
    case 'delete': {
      if (r.resource.name === 'namespaces') return deleteNamespace(req, res, r);
      const opts = await deleteOptions(req, query);
      const out = await store.delete(r.namespace, r.name!, opts, ctx);
      return respondObject(req, res, r, 200, out.obj);
    }
    case 'deletecollection': {
      const opts = await deleteOptions(req, query);
      const matches = buildMatcher(r.resource, query);
      const { items } = await store.list(r.namespace, { matches });
      const deleted: KubeObject[] = [];
      for (const item of items) {
        try {
          deleted.push((await store.delete(item.metadata?.namespace, item.metadata!.name!, opts, ctx)).obj);
        } catch (e) {
          if (!(e instanceof ApiError && e.code === 404)) throw e;
        }
      }
      return sendJson(res, 200, { kind: r.resource.listKind, apiVersion: apiVersionOf(r.resource), metadata: {}, items: deleted }, ctx.warnings);
    }
    default:
      throw errors.methodNotSupported(r.resource.name, r.verb);
  }
}

const statusOnly = (r: ResourceRequest): 'status' | undefined => {
  if (!r.subresource) return undefined;
  if (r.subresource === 'status') return 'status';
  throw errors.methodNotSupported(`${r.resource.name}/${r.subresource}`, r.verb);
};

async function readObject(req: IncomingMessage): Promise<KubeObject> {
  const body = await readBody(req);
  if (body.length > maxObjectBytes) throw errors.tooLarge(`Request entity too large: limit is ${maxObjectBytes}`);
  const obj = decodeBody(body, req.headers['content-type'] ?? 'application/json');
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw errors.badRequest('the request body must be a JSON object');
  return obj as KubeObject;
}

function respondObject(req: IncomingMessage, res: ServerResponse, r: ResourceRequest, code: number, obj: KubeObject): void {
  if (wantsTable(req)) return sendJson(res, code, toTable(r.resource.name, [obj], { resourceVersion: obj.metadata?.resourceVersion }, r.query.get('includeObject') ?? 'Metadata'), r.ctx.warnings);
  sendJson(res, code, obj, r.ctx.warnings);
}

async function list(req: IncomingMessage, res: ServerResponse, r: ResourceRequest): Promise<void> {
  const q = r.query;
  const matches = buildMatcher(r.resource, q);
  const out = await r.store.list(r.namespace, {
    matches,
    limit: intParam(q, 'limit'),
    continueToken: q.get('continue') ?? undefined,
    resourceVersion: q.get('resourceVersion') ?? undefined,
    resourceVersionMatch: q.get('resourceVersionMatch') ?? undefined,
  });
  const listMeta: Record<string, unknown> = { resourceVersion: String(out.rev) };
  if (out.continueToken) listMeta.continue = out.continueToken;
  if (wantsTable(req)) return sendJson(res, 200, toTable(r.resource.name, out.items, listMeta, q.get('includeObject') ?? 'Metadata'));
  const items = out.items.map((o) => {
    const { apiVersion: _a, kind: _k, ...rest } = o;
    return rest;
  });
  sendJson(res, 200, { kind: r.resource.listKind, apiVersion: apiVersionOf(r.resource), metadata: listMeta, items });
}

function watch(req: IncomingMessage, res: ServerResponse, r: ResourceRequest, hooks: WatchHooks): void {
  const q = r.query;
  const matches = buildMatcher(r.resource, q);
  const table = wantsTable(req);
  const includeObject = q.get('includeObject') ?? 'Metadata';
  let name = r.name;
  const fs = q.get('fieldSelector') ?? '';
  const byName = /^metadata\.name==?([^,]+)$/.exec(fs);
  if (!name && byName) name = byName[1];
  const timeoutSec = intParam(q, 'timeoutSeconds') ?? 1800 + Math.floor(Math.random() * 1800);
  let closed = false;
  let first = true;
  let lastRv = '';
  const ensureHead = () => {
    if (!res.headersSent) res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  };
  const write = (type: EventType, obj: KubeObject) => {
    if (closed) return;
    ensureHead();
    if (obj.metadata?.resourceVersion) lastRv = obj.metadata.resourceVersion;
    const payload = table && type !== 'BOOKMARK' && type !== 'ERROR' ? toTable(r.resource.name, [obj], { resourceVersion: obj.metadata?.resourceVersion }, includeObject, first) : obj;
    first = false;
    res.write(JSON.stringify({ type, object: payload }) + '\n');
    // A client that does not read is cut off rather than buffered without bound.
    if (res.writableLength > 32 * 1024 * 1024) close();
  };
  let stop: (() => void) | undefined;
  const timers: NodeJS.Timeout[] = [];
  const close = () => {
    if (closed) return;
    closed = true;
    stop?.();
    for (const t of timers) clearTimeout(t);
    hooks.closed(r.resource.name);
    res.end();
  };
  // A resourceVersion that is too old fails here, before any header: HTTP 410 with a Status.
  stop = r.store.watch(r.namespace, q.get('resourceVersion') ?? undefined, { matches, name }, {
    send: (type, obj) => write(type, obj),
    close: () => close(),
  });
  if (closed) {
    stop();
    return;
  }
  ensureHead();
  res.flushHeaders();
  hooks.opened(r.resource.name);
  req.on('close', close);
  res.on('error', close);
  timers.push(setTimeout(close, timeoutSec * 1000));
  if (boolParam(q, 'allowWatchBookmarks')) {
    const bookmark = () => {
      if (closed) return;
      const rv = String(Math.max(Number(lastRv || 0), r.store.cache.revision));
      write('BOOKMARK', { kind: r.resource.kind, apiVersion: apiVersionOf(r.resource), metadata: { resourceVersion: rv } });
      timers.push(setTimeout(bookmark, 10_000));
    };
    timers.push(setTimeout(bookmark, 10_000));
  }
}

async function bind(res: ServerResponse, r: ResourceRequest, binding: KubeObject): Promise<void> {
  if (r.resource.name !== 'pods') throw errors.methodNotSupported(r.resource.name, 'bind');
  const target = (binding as { target?: { name?: string; kind?: string } }).target;
  if (!target?.name) {
    throw errors.invalid('Binding', '', r.name!, [{ type: 'FieldValueRequired', field: 'target.name', detail: '' }]);
  }
  if (target.kind && target.kind !== 'Node') {
    throw errors.invalid('Binding', '', r.name!, [{ type: 'FieldValueNotSupported', field: 'target.kind', badValue: target.kind, detail: 'supported values: "Node"' }]);
  }
  const wantUid = binding.metadata?.uid;
  await r.store.guaranteedUpdate(r.namespace, r.name!, r.ctx, 'internal', (pod) => {
    const spec = (pod.spec ??= {}) as { nodeName?: string };
    if (wantUid && wantUid !== pod.metadata?.uid) throw errors.conflict('', 'pods', r.name!, 'Precondition failed: UID mismatch');
    if (pod.metadata?.deletionTimestamp) throw errors.conflict('', 'pods', r.name!, 'pod is being deleted, cannot be assigned to a host');
    if (spec.nodeName) throw errors.conflict('', 'pods', r.name!, `pod ${r.name} is already assigned to node "${spec.nodeName}"`);
    spec.nodeName = target.name;
    const status = (pod.status ??= {}) as { conditions?: Record<string, unknown>[] };
    const conds = (status.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
    conds.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') });
    status.conditions = conds;
    return pod;
  });
  sendJson(res, 201, successStatus(201));
}

async function patch(req: IncomingMessage, res: ServerResponse, r: ResourceRequest): Promise<void> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  const raw = await readBody(req);
  if (raw.length > maxObjectBytes) throw errors.tooLarge(`Request entity too large: limit is ${maxObjectBytes}`);
  const patchBody = decodeBody(raw, type);
  const sub = statusOnly(r);
  const apply = (current: KubeObject): KubeObject => {
    let next: unknown;
    try {
      switch (type) {
        case 'application/merge-patch+json':
          next = applyMergePatch(current, patchBody);
          break;
        case 'application/json-patch+json':
          if (!Array.isArray(patchBody)) throw errors.badRequest('a JSON patch must be an array of operations');
          next = applyJsonPatch(current, patchBody);
          break;
        case 'application/strategic-merge-patch+json':
        case 'application/apply-patch+yaml':
          next = applyStrategicMergePatch(current, patchBody, r.resource.typeName);
          break;
        default:
          throw errors.unsupportedMediaType(type || '(none)');
      }
    } catch (e) {
      if (e instanceof ApiError) throw e;
      throw new ApiError(422, 'Invalid', `the patch could not be applied: ${(e as Error).message}`);
    }
    if (!next || typeof next !== 'object' || Array.isArray(next)) throw errors.badRequest('the patch did not produce an object');
    const obj = next as KubeObject;
    r.store.decode(obj, r.ctx);
    const pinned = (patchBody as KubeObject | null)?.metadata?.resourceVersion;
    if (!Array.isArray(patchBody) && pinned && pinned !== current.metadata?.resourceVersion) throw r.store.conflict(r.name!);
    return obj;
  };
  if (type === 'application/apply-patch+yaml') {
    // Server-side apply, simplified: create when absent, otherwise merge strategically.
    try {
      await r.store.getVersioned(r.namespace, r.name!);
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) {
        const created = await r.store.create(r.namespace, { ...(patchBody as KubeObject), metadata: { ...(patchBody as KubeObject).metadata, name: r.name } }, r.ctx);
        return respondObject(req, res, r, 201, created);
      }
      throw e;
    }
  }
  const obj = await r.store.guaranteedUpdate(r.namespace, r.name!, r.ctx, sub, apply);
  respondObject(req, res, r, 200, obj);
}

async function deleteOptions(req: IncomingMessage, q: URLSearchParams): Promise<DeleteOptions> {
  const opts: DeleteOptions = {};
  const raw = await readBody(req, 64 * 1024);
  if (raw.length && raw.toString().trim()) {
    const body = decodeBody(raw, req.headers['content-type'] ?? 'application/json') as Record<string, unknown>;
    if (body && typeof body === 'object') {
      if (body.gracePeriodSeconds !== undefined && body.gracePeriodSeconds !== null) {
        if (typeof body.gracePeriodSeconds !== 'number') throw errors.badRequest('DeleteOptions.gracePeriodSeconds must be an integer');
        opts.gracePeriodSeconds = body.gracePeriodSeconds;
      }
      if (body.preconditions && typeof body.preconditions === 'object') opts.preconditions = body.preconditions as DeleteOptions['preconditions'];
      if (Array.isArray(body.dryRun) && body.dryRun.includes('All')) opts.dryRun = true;
    }
  }
  const g = intParam(q, 'gracePeriodSeconds');
  if (g !== undefined) opts.gracePeriodSeconds = g;
  if (opts.gracePeriodSeconds !== undefined && opts.gracePeriodSeconds < 0) opts.gracePeriodSeconds = 1;
  return opts;
}

export const protectedNamespaces = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

async function deleteNamespace(req: IncomingMessage, res: ServerResponse, r: ResourceRequest): Promise<void> {
  await deleteOptions(req, r.query);
  if (protectedNamespaces.has(r.name!)) {
    throw new ApiError(403, 'Forbidden', `namespaces "${r.name}" is forbidden: this namespace may not be deleted`, { name: r.name, kind: 'namespaces' });
  }
  // Terminating: the namespace controller empties it, then removes it.
  const obj = await r.store.guaranteedUpdate(undefined, r.name!, r.ctx, 'internal', (ns) => {
    const meta = ns.metadata!;
    meta.deletionTimestamp ??= new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    meta.deletionGracePeriodSeconds = 0;
    ns.status = { ...(ns.status as object), phase: 'Terminating' };
    return ns;
  });
  respondObject(req, res, r, 200, clone(obj));
}
