// Resource verbs over HTTP: get, list, watch, create, update, patch, delete, deletecollection,
// the pod binding and eviction subresources and the subresources that write part of an object
// (status, ephemeralcontainers), in the Kubernetes REST dialect; a resource served over another
// version's storage (VersionView) is converted on the way in and out.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../../api/types.js';
import * as errors from '../errors.js';
import { validateListOptions } from './list-options.js';
import { ApiError, isNotFound } from '../errors.js';
import { recordWatchEvent } from '../request-metrics.js';
import { apiVersionOf, poddisruptionbudgets, returnsDeletedObject, verbsOf, type ResourceInfo } from '../registry/resources.js';
import { evictPod } from '../registry/eviction.js';
import { patchView, viewIn, viewOut, viewOutRaw } from '../registry/version-view.js';
import { bindPod, checkApplyConfig, deleteObject, invalidApplyType, deleteOptionsFrom, patchObject, patchTypeOfMedia, writableSubresource } from '../registry/operations.js';
import { decodeAs, failWatch, Store, type DeleteOptions, type RequestContext } from '../registry/store.js';
import { getScale, patchScale, replaceScale } from '../registry/scale.js';
import type { EventType } from '../watch-cache.js';
import { RawObject, writtenJson } from '../raw-object.js';
import { decodeRequestBody } from './protobuf-body.js';
import { decodeDeleteOptionsBody } from './delete-options.js';
import { checkWatchMedia, decodeBody, partialMismatch, partialObjectMetadata, readBody, responseShape, sendJson, sendJsonList, sendJsonText, sendYaml, successStatus, wantsTable } from './http-util.js';
import { scalePrinter, toTable } from './table.js';
import { customPrinter } from './custom-columns.js';
import type { TokenRequests } from '../token-request.js';
import { buildMatcher } from './selection.js';
import { parseFieldSelector } from '../../api/selectors.js';
import { loopbackContext } from '../loopback.js';

/** Who writes a budget's status for the eviction subresource (kube-apiserver's loopback client). */
const evictionCtx: RequestContext = loopbackContext();

/** Objects larger than this are refused, as etcd would refuse the write (1.5 MiB). */
export const maxObjectBytes = 1536 * 1024;

export interface ResourceRequest {
  verb: string;
  resource: ResourceInfo;
  store: Store;
  /** Every store, for subresources that touch other resources (pods/eviction reads PodDisruptionBudgets). */
  stores: Map<ResourceInfo, Store>;
  namespace?: string;
  name?: string;
  subresource?: string;
  query: URLSearchParams;
  ctx: RequestContext;
  /** serviceaccounts/<name>/token. */
  tokenRequests?: TokenRequests;
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
  // (the answer's form is settled before anything is done: a 406 writes nothing)
  responseShape(req);
  if (r.subresource === 'scale' && r.resource.subresources.includes('scale')) return scale(req, res, r);
  switch (r.verb) {
    case 'get': {
      writableSubresource(r.resource, r.subresource, 'get');
      const obj = await store.getAt(r.namespace, r.name!, query.get('resourceVersion') ?? undefined, ctx.deadline);
      return respondObject(req, res, r, 200, viewOut(r.resource, obj));
    }
    case 'list':
      return list(req, res, r);
    case 'watch':
      return watch(req, res, r, hooks);
    case 'create': {
      const body = await readObject(req);
      if (r.subresource === 'binding') {
        await bindPod(store, r.namespace, r.name!, body, ctx);
        return sendJson(res, 201, successStatus(201));
      }
      if (r.subresource === 'eviction' && r.resource.name === 'pods') {
        await evictPod({ pods: store, pdbs: r.stores.get(poddisruptionbudgets)! }, r.namespace!, r.name!, body, ctx, { ...evictionCtx, warnings: [] });
        return sendJson(res, 201, successStatus(201));
      }
      if (r.subresource === 'token' && r.resource.name === 'serviceaccounts' && r.tokenRequests) {
        return sendJson(res, 201, await r.tokenRequests.create(r.namespace, r.name!, body, ctx), ctx.warnings);
      }
      if (r.subresource) throw errors.methodNotSupported(`${r.resource.name}/${r.subresource}`, 'create');
      const obj = await store.create(r.namespace, viewIn(r.resource, body, ctx), ctx, undefined, true);
      return respondObject(req, res, r, 201, viewOut(r.resource, obj));
    }
    case 'update': {
      const body = await readObject(req);
      const obj = await store.update(r.namespace, r.name!, viewIn(r.resource, body, ctx), ctx, writableSubresource(r.resource, r.subresource, r.verb));
      return respondObject(req, res, r, 200, viewOut(r.resource, obj));
    }
    case 'patch':
      return patch(req, res, r);
    case 'delete': {
      const opts = await deleteOptions(req, query, ctx);
      const { deleted, obj } = await deleteObject(store, r.namespace, r.name!, opts, ctx);
      if (deleted && !returnsDeletedObject(r.resource)) {
        // (finalizeDelete's Status: its details' kind is the resource, and it is never a Table)
        const m = obj.metadata ?? {};
        const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: m.name, ...(r.resource.group ? { group: r.resource.group } : {}), kind: r.resource.name, uid: m.uid } };
        const shape = responseShape(req);
        return shape.as === 'Object' && shape.yaml ? sendYaml(res, 200, status, ctx.warnings) : sendJson(res, 200, status, ctx.warnings);
      }
      // (202 only for a kept object and orphanDependents: false, as 1.32's DeleteResource answers:
      // its comment says it would do so always were it not for existing clients)
      return respondObject(req, res, r, !deleted && opts.cascadeRequested ? 202 : 200, viewOut(r.resource, obj));
    }
    case 'deletecollection': {
      if (!verbsOf(r.resource).includes('deletecollection')) throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
      const opts = await deleteOptions(req, query, ctx);
      const matches = buildMatcher(r.resource, query);
      // (DeleteCollection lists with the request's options: a limit deletes one page, its continue
      // token answered; the answer is the first page's list, with its resourceVersion)
      const { items, rev, continueToken } = await store.list(r.namespace, { matches, limit: intParam(query, 'limit'), continueToken: query.get('continue') ?? undefined, deadline: ctx.deadline });
      const deleted: KubeObject[] = [];
      for (const raw of items) {
        const item = raw.obj;
        try {
          deleted.push(viewOut(r.resource, (await store.delete(item.metadata?.namespace, item.metadata!.name!, opts, ctx)).obj));
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
      return sendJson(res, 200, { kind: r.resource.listKind, apiVersion: apiVersionOf(r.resource), metadata: { resourceVersion: String(rev), ...(continueToken ? { continue: continueToken } : {}) }, items: deleted }, ctx.warnings);
    }
    default:
      throw errors.methodNotSupported(r.resource.name, r.verb);
  }
}

const printerOf = (r: ResourceInfo) => (r.custom ? customPrinter(r) : r.name);

async function readObject(req: IncomingMessage): Promise<KubeObject> {
  const body = await readBody(req);
  if (body.length > maxObjectBytes) throw errors.tooLarge(`Request entity too large: limit is ${maxObjectBytes}`);
  const contentType = req.headers['content-type'] ?? 'application/json';
  const obj = decodeRequestBody(body, contentType);
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw errors.badRequest('the request body must be a JSON object');
  return obj as KubeObject;
}

/** A meta.k8s.io answer (Table...) in the version asked for. */
const inVersion = (o: Record<string, unknown>, version: string) => (version === 'v1' ? o : { ...o, apiVersion: `meta.k8s.io/${version}` });

function respondObject(req: IncomingMessage, res: ServerResponse, r: ResourceRequest, code: number, obj: KubeObject): void {
  const shape = responseShape(req);
  if (shape.as === 'Table') return sendJson(res, code, inVersion(toTable(printerOf(r.resource), [obj], { resourceVersion: obj.metadata?.resourceVersion }, r.query.get('includeObject') ?? 'Metadata'), shape.version), r.ctx.warnings);
  if (shape.as === 'PartialObjectMetadata') return sendJson(res, code, partialObjectMetadata(obj, shape.version), r.ctx.warnings);
  if (shape.as === 'PartialObjectMetadataList') throw partialMismatch(shape.as, r.resource.kind, false);
  if (shape.as === 'Object' && shape.yaml) return sendYaml(res, code, obj, r.ctx.warnings);
  const written = writtenJson.get(obj);
  if (written !== undefined) return sendJsonText(res, code, written, r.ctx.warnings);
  sendJson(res, code, obj, r.ctx.warnings);
}

async function list(req: IncomingMessage, res: ServerResponse, r: ResourceRequest): Promise<void> {
  const q = r.query;
  validateListOptions(q, false);
  const matches = buildMatcher(r.resource, q);
  const out = await r.store.list(r.namespace, {
    matches,
    limit: intParam(q, 'limit'),
    continueToken: q.get('continue') ?? undefined,
    resourceVersion: q.get('resourceVersion') ?? undefined,
    resourceVersionMatch: q.get('resourceVersionMatch') ?? undefined,
    deadline: r.ctx.deadline,
  });
  const listMeta: Record<string, unknown> = { resourceVersion: String(out.rev) };
  if (out.continueToken) listMeta.continue = out.continueToken;
  if (out.remaining !== undefined) listMeta.remainingItemCount = out.remaining;
  if (r.resource.view) out.items = out.items.map((i) => viewOutRaw(r.resource, i));
  const shape = responseShape(req);
  if (shape.as === 'Table') return sendJson(res, 200, inVersion(toTable(printerOf(r.resource), out.items.map((i) => i.obj), listMeta, q.get('includeObject') ?? 'Metadata'), shape.version));
  if (shape.as === 'PartialObjectMetadata') throw partialMismatch(shape.as, r.resource.listKind, true);
  if (shape.as === 'PartialObjectMetadataList') {
    return sendJson(res, 200, { kind: 'PartialObjectMetadataList', apiVersion: `meta.k8s.io/${shape.version}`, metadata: listMeta, items: out.items.map((i) => partialObjectMetadata(i.obj, shape.version)) });
  }
  if (shape.as === 'Object' && shape.yaml) return sendYaml(res, 200, { kind: r.resource.listKind, apiVersion: apiVersionOf(r.resource), metadata: listMeta, items: out.items.map((i) => i.obj) });
  // Items are sent as stored (with apiVersion and kind, which clients accept), spliced into the
  // list without parsing or re-serialising them.
  const head = `{"kind":${JSON.stringify(r.resource.listKind)},"apiVersion":${JSON.stringify(apiVersionOf(r.resource))},"metadata":${JSON.stringify(listMeta)},"items":[`;
  await sendJsonList(res, head, out.items.map((i) => i.json), ']}');
}

/**
 * A watch. With sendInitialEvents=true (WatchList): the state at a revision not older than the one
 * asked for, as ADDED events, then (with bookmarks allowed) a bookmark annotated
 * `k8s.io/initial-events-end: "true"` at that revision, then what follows; with
 * sendInitialEvents=false and no resourceVersion, what follows only.
 */
async function watch(req: IncomingMessage, res: ServerResponse, r: ResourceRequest, hooks: WatchHooks): Promise<void> {
  const q = r.query;
  validateListOptions(q, true);
  const matches = buildMatcher(r.resource, q);
  const fs = q.get('fieldSelector') ?? '';
  // (ListResource: a watch of one name takes a field selector only if it selects that name)
  if (r.name && fs && parseFieldSelector(fs).requirements.find((t) => t.field === 'metadata.name' && t.op === '=')?.value !== r.name) {
    throw errors.badRequest("fieldSelector metadata.name doesn't match requested name");
  }
  const sendInitialEvents = q.get('sendInitialEvents');
  let fromRv = q.get('resourceVersion') ?? undefined;
  // (what fails once the watch is accepted is an ERROR event of a 200 stream, as from Cacher.Watch)
  let failure: ApiError | undefined;
  if (sendInitialEvents === 'true') {
    // (digits only, as strconv.ParseUint takes them: not "1e5" or "0x10", which Number would)
    if (fromRv && !/^\d+$/.test(fromRv)) throw errors.badRequest(`invalid resourceVersion: "${fromRv}"`);
    const want = Number(fromRv || 0);
    const cache = r.store.cache;
    if (!fromRv) {
      // (no resourceVersion: a consistent start, as the cacher's with ConsistentListFromCache: the
      // cache is brought to etcd's current revision first, as for a consistent LIST, so an object
      // written before the request is in it)
      if (!(await cache.syncToLatest())) failure = errors.tooLargeResourceVersion(await r.store.storage.currentRevision().catch(() => cache.revision + 1), cache.revision);
    } else if (want > cache.revision && !(await cache.waitFor(want))) {
      failure = errors.tooLargeResourceVersion(fromRv, cache.revision);
    }
    fromRv = undefined;
  } else if (sendInitialEvents === 'false' && (!fromRv || fromRv === '0')) {
    fromRv = String(r.store.cache.revision);
  }
  // (the watch's stream serializer is negotiated once it is set up: ListResource's serveWatchHandler)
  checkWatchMedia(req);
  const shape = responseShape(req);
  const table = shape.as === 'Table';
  // (a metadata-only watch sends each object as PartialObjectMetadata)
  const partial = shape.as === 'PartialObjectMetadata' || shape.as === 'PartialObjectMetadataList' ? shape.version : undefined;
  const includeObject = q.get('includeObject') ?? 'Metadata';
  let name = r.name;
  const byName = /^metadata\.name==?([^,]+)$/.exec(fs);
  // (a name alone is a key only within one namespace, or for cluster-scoped kinds)
  if (!name && byName && (r.namespace || !r.resource.namespaced)) name = byName[1];
  // (ListResource: 0 is no timeout given, so the server's own 30 to 60 minutes; a negative one ends the watch at once)
  const timeoutSec = intParam(q, 'timeoutSeconds') || 1800 + Math.floor(Math.random() * 1800);
  let closed = false;
  let first = true;
  let lastRv = '';
  const ensureHead = () => {
    if (!res.headersSent) res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  };
  let corked = false;
  const write = (type: EventType, stored: RawObject) => {
    if (closed) return;
    const raw = type === 'BOOKMARK' || type === 'ERROR' ? stored : viewOutRaw(r.resource, stored);
    ensureHead();
    // Events that arrive together (one etcd watch response) leave in one TLS record and one
    // syscall: cork until the event loop's check phase.
    if (!corked) {
      corked = true;
      res.cork();
      setImmediate(() => {
        corked = false;
        if (!closed) res.uncork();
      });
    }
    lastRv = String(raw.rev);
    let line: string;
    if (table && type !== 'BOOKMARK' && type !== 'ERROR') {
      const obj = raw.obj;
      const payload = toTable(printerOf(r.resource), [obj], { resourceVersion: obj.metadata?.resourceVersion }, includeObject, first);
      line = JSON.stringify({ type, object: payload }) + '\n';
    } else if (partial && type !== 'ERROR') {
      // (bookmarks too: a metadata client's decoder knows only meta.k8s.io kinds)
      line = JSON.stringify({ type, object: partialObjectMetadata(raw.obj, partial) }) + '\n';
    } else {
      line = `{"type":"${type}","object":${raw.json}}\n`;
    }
    res.write(line);
    // (apiserver_watch_events_total and _sizes, by the kind the watch serves)
    recordWatchEvent(r.resource, Buffer.byteLength(line));
    first = false;
    // A client that does not read is cut off rather than buffered without bound.
    if (res.writableLength > 32 * 1024 * 1024) close();
  };
  let stop: (() => void) | undefined;
  const timers: NodeJS.Timeout[] = [];
  let opened = false;
  const close = () => {
    if (closed) return;
    closed = true;
    stop?.();
    for (const t of timers) clearTimeout(t);
    if (opened) hooks.closed(r.resource.name);
    res.end();
  };
  if (failure) return failWatch({ send: write, close }, failure);
  // (a resourceVersion older than the cache's window is an ERROR event too, sent from here)
  stop = r.store.watch(r.namespace, fromRv, { matches, name }, {
    send: (type, obj) => write(type, obj),
    close: () => close(),
  });
  if (closed) {
    stop();
    return;
  }
  // (the snapshot was sent as the watch began: its revision is the cache's now)
  if (sendInitialEvents === 'true' && boolParam(q, 'allowWatchBookmarks')) {
    write('BOOKMARK', RawObject.fromObject({ kind: r.resource.kind, apiVersion: apiVersionOf(r.resource), metadata: { annotations: { 'k8s.io/initial-events-end': 'true' } } }, r.store.cache.revision));
  }
  ensureHead();
  res.flushHeaders();
  hooks.opened(r.resource.name);
  opened = true;
  req.on('close', close);
  res.on('error', close);
  timers.push(setTimeout(close, timeoutSec * 1000));
  if (boolParam(q, 'allowWatchBookmarks')) {
    const bookmark = () => {
      if (closed) return;
      const rv = String(Math.max(Number(lastRv || 0), r.store.cache.revision));
      write('BOOKMARK', RawObject.fromObject({ kind: r.resource.kind, apiVersion: apiVersionOf(r.resource), metadata: {} }, Number(rv)));
      timers.push(setTimeout(bookmark, 10_000));
    };
    timers.push(setTimeout(bookmark, 10_000));
  }
}

/**
 * The patch types a resource takes, in the order PatchResource's 415 lists them (the installer's
 * supportedTypes): custom resources have no patch strategies to merge lists by, so no strategic
 * merge patch (as apiextensions-apiserver).
 */
function patchMediaTypes(r: ResourceRequest): string[] {
  return r.resource.custom
    ? ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml']
    : ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];
}

async function patch(req: IncomingMessage, res: ServerResponse, r: ResourceRequest): Promise<void> {
  const media = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  const type = patchTypeOfMedia[media];
  if (!type || !patchMediaTypes(r).includes(media)) throw errors.unsupportedMediaType(patchMediaTypes(r));
  const raw = await readBody(req);
  if (raw.length > maxObjectBytes) throw errors.tooLarge(`Request entity too large: limit is ${maxObjectBytes}`);
  const sub = writableSubresource(r.resource, r.subresource, r.verb);
  // (server-side apply goes to the store directly when versions differ only in apiVersion:
  // custom resources, whose store takes each version's bodies, in the URL's version only)
  const body = decodeBody(raw, media);
  const view = r.resource.view;
  // (the main resource only: a view's configurations carry no status to apply to .../status)
  if (type === 'apply' && view?.applyConfig && !sub && view.storage !== r.resource && !r.resource.custom) {
    // Server-side apply through another version: the configuration is checked as that version's,
    // then applied as the stored version's (ownership in its field paths).
    const config = checkApplyConfig(r.resource, body);
    decodeAs(r.resource, config, r.ctx);
    const out = await patchObject(r.store, r.namespace, r.name!, 'apply', view.applyConfig(config), r.ctx, sub);
    return respondObject(req, res, r, out.created ? 201 : 200, viewOut(r.resource, out.obj));
  }
  if (view && (type !== 'apply' || (view.storage !== r.resource && !r.resource.custom))) {
    return respondObject(req, res, r, 200, await patchView(r.store, r.resource, r.namespace, r.name!, type, body, r.ctx, sub));
  }
  const applied = body as KubeObject | null;
  if (type === 'apply' && r.resource.custom && applied?.apiVersion && applied.apiVersion !== apiVersionOf(r.resource)) {
    throw invalidApplyType(applied);
  }
  const out = await patchObject(r.store, r.namespace, r.name!, type, body, r.ctx, sub);
  respondObject(req, res, r, out.created ? 201 : 200, viewOut(r.resource, out.obj));
}

/** GET, PUT and PATCH of the scale subresource (autoscaling/v1 Scale). */
async function scale(req: IncomingMessage, res: ServerResponse, r: ResourceRequest): Promise<void> {
  const reply = (obj: KubeObject) => sendJson(res, 200, obj, r.ctx.warnings);
  switch (r.verb) {
    case 'get': {
      const obj = await getScale(r.store, r.namespace, r.name!);
      if (wantsTable(req)) return sendJson(res, 200, toTable(scalePrinter, [obj], { resourceVersion: obj.metadata?.resourceVersion }, r.query.get('includeObject') ?? 'Metadata'));
      return reply(obj);
    }
    case 'update':
      return reply(await replaceScale(r.store, r.namespace, r.name!, await readObject(req), r.ctx));
    case 'patch': {
      const media = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
      const type = patchTypeOfMedia[media];
      if (!type || !patchMediaTypes(r).includes(media)) throw errors.unsupportedMediaType(patchMediaTypes(r));
      const raw = await readBody(req);
      return reply(await patchScale(r.store, r.namespace, r.name!, type, decodeBody(raw, media), r.ctx));
    }
    default:
      throw errors.methodNotSupported(`${r.resource.name}/scale`, r.verb);
  }
}

/**
 * A DELETE's options as 1.32's DeleteResource and DeleteCollection take them: from the body when
 * there is one, the query's options (dryRun too) then ignored; from the query when there is none.
 */
async function deleteOptions(req: IncomingMessage, q: URLSearchParams, ctx: RequestContext): Promise<DeleteOptions> {
  const raw = await readBody(req, 64 * 1024);
  if (raw.length) {
    const opts = deleteOptionsFrom(decodeDeleteOptionsBody(raw, req.headers['content-type'] ?? 'application/json'));
    ctx.dryRun = !!opts.dryRun;
    return opts;
  }
  return deleteOptionsFrom(deleteOptionsQuery(q));
}

/**
 * DeleteOptions from the query, as 1.32's Convert_url_Values_To_v1_DeleteOptions reads them: a
 * propagationPolicy given at all is set, its first value even when empty (ValidateDeleteOptions
 * then refuses ""), and ?orphanDependents=true orphans.
 */
export function deleteOptionsQuery(q: URLSearchParams): Record<string, unknown> {
  const fromQuery: Record<string, unknown> = { dryRun: q.getAll('dryRun') };
  const grace = intParam(q, 'gracePeriodSeconds');
  if (grace !== undefined) fromQuery.gracePeriodSeconds = grace;
  if (q.has('propagationPolicy')) fromQuery.propagationPolicy = q.get('propagationPolicy');
  // (?orphanDependents=true orphans, and beside a propagationPolicy it is refused)
  const orphan = q.get('orphanDependents');
  if (orphan === 'true' || orphan === 'false') fromQuery.orphanDependents = orphan === 'true';
  return fromQuery;
}

