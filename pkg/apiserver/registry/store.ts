// The generic registry store: Kubernetes verb semantics (create, get, list, update, patch,
// delete, deletecollection, watch) for any resource, over Storage and its WatchCache.
import { randomUUID } from 'node:crypto';
import type { FieldError } from '../../api/field-error.js';
import type { KubeObject } from '../../api/types.js';
import { warningsOnCreate, warningsOnUpdate } from './warnings.js';
import { dedupOwnerReferences } from './owner-references.js';
import { decodeStrict } from '../../api/schema-validate.js';
import { lacksZeroFields, omitEmptyFields } from '../../api/omitempty.js';
import * as errors from '../errors.js';
import { ApiError } from '../errors.js';
import { CompactedError, encode, Storage, type Holdings, type Versioned, type WriteResult } from '../storage.js';
import { RawObject, stripResourceVersion, withResourceVersion, writtenJson } from '../raw-object.js';
import { matchAll } from '../rest/selection.js';
import { TooOldError, WatchCache, type WatchFilter, type WatchSink } from '../watch-cache.js';
import { decodeContinue, encodeContinue } from './continue-token.js';
import { updateTracker, type FieldTracker } from './field-manager.js';
import { clone, deletePath, randomSuffix, setTypeMeta } from './object-helpers.js';
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER, type DeleteOptions, type DeleteResult, type ListOptions, type Mutator, type PropagationPolicy, type RequestContext, type Subresource } from './request-types.js';

export type { DeleteOptions, DeleteResult, FieldValidation, ListOptions, Mutator, RequestContext, Subresource, UserInfo } from './request-types.js';
export { clone, deletePath } from './object-helpers.js';
import { etcdKey, etcdPrefix, type ResourceInfo } from './resources.js';
import type { LeaseManager } from '../lease-manager.js';
import type { Allocator } from './service-allocator.js';
import type { AdmissionChain, AdmissionRequest } from '../admission.js';
import { rfc3339, rfc3339Now } from '../../util/time.js';
import { isTerminalPhase } from '../../api/pod-phase.js';

/**
 * The bytes an update's result is compared with to tell a write that changes nothing: those
 * stored, or once asDecoded filled the old object, that object as the write would store it.
 */
function storedBytes(current: Versioned, old: KubeObject): string {
  return current.json !== undefined && old === current.obj ? stripResourceVersion(current.json) : encode(old);
}

export class Store {
  readonly prefix: string;
  /** The etcd revision of this store's latest successful update, for read-your-writes through the watch cache. */
  lastWriteRev = 0;

  constructor(
    readonly storage: Storage,
    readonly resource: ResourceInfo,
    readonly cache: WatchCache,
    private readonly namespaceCheck: (ns: string, ctx: RequestContext, target: { group: string; resource: string; name?: string }) => Promise<void>,
    /** Objects of this resource expire (events: --event-ttl): every write renews the TTL. */
    private readonly expiry?: { ttlSeconds: number; leases: LeaseManager },
    /** Objects of this resource hold allocations (Services: cluster IPs, node ports). */
    private readonly allocator?: Allocator,
    admission?: AdmissionChain,
  ) {
    this.prefix = etcdPrefix(resource);
    this.admission = admission?.handles(resource.name) ? admission : undefined;
  }

  /** The admission plugins, when any looks at this resource. */
  private readonly admission: AdmissionChain | undefined;

  key(namespace: string | undefined, name: string): string {
    return etcdKey(this.resource, namespace, name);
  }

  /** The etcd lease a write attaches, if objects of this resource expire. */
  private lease(): Promise<string | undefined> | undefined {
    return this.expiry?.leases.leaseFor(this.expiry.ttlSeconds);
  }

  private notFound(name: string): ApiError {
    return errors.notFound(this.resource.group, this.resource.name, name);
  }

  /** `deadline`: the request's (epoch ms), past which its etcd reads are given up. */
  async getVersioned(namespace: string | undefined, name: string, deadline?: number): Promise<Versioned> {
    const v = await this.storage.get(this.key(namespace, name), deadline);
    if (!v) throw this.notFound(name);
    return v;
  }

  async get(namespace: string | undefined, name: string, deadline?: number): Promise<KubeObject> {
    return (await this.getVersioned(namespace, name, deadline)).obj;
  }

  /**
   * GET with the request's resourceVersion, as Cacher.Get serves it: none reads etcd; one is
   * read from the watch cache once the cache has reached it (waiting up to 3 s, then 504 Too
   * large resource version), so 0 or an older one gets what the cache holds now.
   */
  async getAt(namespace: string | undefined, name: string, resourceVersion: string | undefined, deadline?: number): Promise<KubeObject> {
    // (a cache still being built hands every GET to etcd: ResilientWatchCacheInitialization)
    if (!resourceVersion || !this.cache.isReady) return this.get(namespace, name, deadline);
    // (APIObjectVersioner.ParseResourceVersion's error reaches the client unconverted: a 500 with no reason)
    if (!/^\d+$/.test(resourceVersion)) {
      throw new ApiError(500, '', `resourceVersion: Invalid value: ${JSON.stringify(resourceVersion)}: strconv.ParseUint: parsing ${JSON.stringify(resourceVersion)}: invalid syntax`);
    }
    const rv = Number(resourceVersion);
    if (rv > this.cache.revision && !(await this.cache.waitFor(rv))) throw errors.tooLargeResourceVersion(resourceVersion, this.cache.revision);
    const key = this.key(namespace, name);
    const found = this.cache.list({ keyPrefix: key, exactKey: key, matches: matchAll }).items[0];
    if (!found) throw this.notFound(name);
    return found.obj;
  }

  /**
   * LIST. Without resourceVersion: a consistent read, served from the watch cache once it has
   * caught up with etcd (see WatchCache.syncToLatest), or from etcd if it cannot; a limit gives
   * the first page from the cache and a continue token for the rest, which etcd serves at the
   * same revision. With a resourceVersion: from the watch cache. With a continue token: etcd.
   */
  /** Objects of a namespace whose field selector field `field` is `value`, from the watch cache (no etcd read). */
  cachedByField(namespace: string, field: string, value: string): RawObject[] {
    return this.cache.list({ keyPrefix: `${this.prefix}${namespace}/`, matches: (o) => o.fields[field] === value }).items;
  }

  /**
   * A page that does not hold the rest says how many objects remain (remainingItemCount) when
   * nothing is selected, as Kubernetes does: with a selector the count is not known.
   */
  async list(namespace: string | undefined, opts: ListOptions): Promise<{ items: RawObject[]; rev: number; continueToken?: string; remaining?: number }> {
    const scope = namespace && this.resource.namespaced ? `${this.prefix}${namespace}/` : this.prefix;
    const selectsAll = opts.matches === matchAll;
    if (!opts.resourceVersion && !opts.continueToken && (await this.cache.syncToLatest())) {
      const snap = this.cache.list({ keyPrefix: scope, matches: opts.matches });
      const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
      if (!limit || snap.items.length <= limit) return snap;
      const continueToken = encodeContinue(snap.rev, snap.keys[limit - 1]! + '\0', scope);
      return { items: snap.items.slice(0, limit), rev: snap.rev, continueToken, remaining: selectsAll ? snap.items.length - limit : undefined };
    }
    // (a resourceVersion is digits: checked once here for every path below)
    if (opts.resourceVersion && !/^\d+$/.test(opts.resourceVersion)) throw errors.badRequest(`invalid resourceVersion: "${opts.resourceVersion}"`);
    if (opts.continueToken && opts.resourceVersion && opts.resourceVersion !== '0') throw errors.badRequest('specifying resource version is not allowed when using continue');
    // A list at exactly a resourceVersion (resourceVersionMatch=Exact, or a page of one given
    // without a match: the legacy semantics) is read from etcd at that revision.
    const exact = opts.resourceVersion && opts.resourceVersion !== '0' && !opts.continueToken && (opts.resourceVersionMatch === 'Exact' || (!opts.resourceVersionMatch && opts.limit)) ? Number(opts.resourceVersion) : 0;
    if (opts.resourceVersion && !opts.continueToken && (!opts.limit || opts.resourceVersion === '0') && !exact) {
      const rv = Number(opts.resourceVersion);
      if (rv > 0 && !(await this.cache.waitFor(rv))) {
        throw errors.tooLargeResourceVersion(opts.resourceVersion, this.cache.revision);
      }
      await this.cache.waitReady();
      return this.cache.list({ keyPrefix: scope, matches: opts.matches });
    }
    let startKey: string | undefined;
    let revision = 0;
    if (exact) {
      if (exact > this.cache.revision && !(await this.cache.waitFor(exact))) {
        throw errors.tooLargeResourceVersion(opts.resourceVersion!, this.cache.revision);
      }
      revision = exact;
    }
    if (opts.continueToken) {
      const c = decodeContinue(opts.continueToken, scope);
      startKey = c.start;
      // (-1: at the latest revision, which the answer and its own token then carry)
      revision = c.rv > 0 ? c.rv : 0;
    }
    const items: RawObject[] = [];
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const fieldsOf = (o: KubeObject) => this.resource.fields(o);
    let rev = revision;
    for (;;) {
      const page = await this.storage.list(scope, { startKey, revision: rev, limit: limit ? Math.max(limit, 100) : 2000, deadline: opts.deadline }).catch((e) => {
        if (e instanceof CompactedError && exact) throw errors.gone('The resourceVersion for the provided list is too old.');
        if (e instanceof CompactedError) throw expiredContinue(encodeContinue(-1, startKey!, scope));
        throw e;
      });
      rev = rev || page.rev; // a continuation reads at its token's revision and reports that one
      for (const [i, v] of page.items.entries()) {
        if (!selectsAll && !opts.matches(v.selectable(fieldsOf))) continue;
        items.push(v.compact());
        if (limit && items.length === limit) {
          const f = v.selectable(fieldsOf).fields;
          v.compact();
          const lastKey = this.key(f['metadata.namespace'] || undefined, f['metadata.name']!);
          const more = page.more || i < page.items.length - 1;
          if (!more) return { items, rev };
          // (selecting all: what etcd counted from this page's start, less what was taken from it)
          const remaining = selectsAll ? page.count - (i + 1) : undefined;
          return { items, rev, continueToken: encodeContinue(rev, lastKey + '\0', scope), remaining };
        }
      }
      if (!page.more || !page.lastKey) return { items, rev };
      startKey = page.lastKey + '\0';
    }
  }

  /**
   * POST. `track` records field ownership (default: an Update by the request's field manager).
   * `adopt`: the body is the caller's to give away (freshly decoded), so it is not copied.
   */
  async create(namespace: string | undefined, body: KubeObject, ctx: RequestContext, track?: FieldTracker, adopt = false): Promise<KubeObject> {
    const r = this.resource;
    const obj = adopt ? body : clone(body);
    this.checkKind(obj);
    this.decode(obj, ctx);
    this.throughGoTypes(obj);
    const meta = (obj.metadata ??= {});
    if (r.namespaced) {
      if (meta.namespace && namespace && meta.namespace !== namespace) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace ?? meta.namespace ?? 'default';
      await this.namespaceCheck(meta.namespace, ctx, { group: this.resource.group, resource: this.resource.name, name: meta.name });
    } else {
      delete meta.namespace;
    }
    // (the base is cut to 58 characters, so the name fits a DNS label: SimpleNameGenerator)
    if (!meta.name && meta.generateName) meta.name = meta.generateName.slice(0, 58) + randomSuffix();
    if (ctx.requireName !== undefined && meta.name !== ctx.requireName) {
      throw errors.forbidden(ctx.user.name, 'create', r.group, r.name, meta.namespace, meta.name, `may only create the object named "${ctx.requireName}"`);
    }
    meta.uid = randomUUID();
    meta.creationTimestamp = rfc3339Now();
    // (kinds that keep no generation leave the client's, as BeforeCreate does)
    if (r.generationChanged) meta.generation = 1;
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    try {
      r.prepareForCreate(obj, ctx.warnings);
    } catch (e) {
      // Defaulting can trip over values validation rejects (a bad quantity): report those.
      const errs = ctx.validateAs ? ctx.validateAs(obj, undefined) : r.validate(obj);
      if (errs.length) throw errors.invalid(r.kind, r.group, meta.name ?? '', errs);
      throw e;
    }
    // Ownership is recorded before mutating admission, as create.go calls the field manager
    // first: what admission adds (a token volume, default tolerations) belongs to nobody.
    // Duplicate owner references go before it and again after admission (a server-side
    // apply's create is a PATCH: after admission only).
    if (!track) dedupOwnerReferences(obj, ctx.warnings, false);
    (track ?? updateTracker(r, ctx, undefined))(undefined, obj);
    r.afterFieldManager?.(obj);
    const review: AdmissionRequest | undefined = this.admission && { operation: 'CREATE', resource: r, name: meta.name ?? '', namespace: meta.namespace, obj, ctx };
    if (review) await this.admission!.admit(review);
    dedupOwnerReferences(obj, ctx.warnings, true);
    const errs = ctx.validateAs ? ctx.validateAs(obj, undefined) : r.validate(obj);
    if (errs.length) throw errors.invalid(r.kind, r.group, meta.name ?? '', errs);
    // (BeforeCreate: the strategy's WarningsOnCreate once the object is valid, dry runs too)
    ctx.warnings.push(...warningsOnCreate(r, obj));
    if (review) await this.admission!.validate(review);
    this.throughGoTypes(obj, true);
    setTypeMeta(r, obj);
    const key = this.key(meta.namespace, meta.name!);
    if (ctx.dryRun) {
      // (DryRunnableStorage.Create: a dry run of an existing name conflicts as the real one would)
      const existing = await this.storage.get(key, ctx.deadline);
      if (existing) throw this.alreadyExists(meta.name!, existing);
      await this.dryRunHolding(obj, undefined);
      return obj;
    }
    const lease = await this.lease();
    let data = '';
    const res = await this.writeHolding(obj, undefined, (holdings) => {
      data = encode(obj);
      this.cache.expectWrite(key, data, obj);
      return this.storage.create(key, data, lease, holdings, ctx.deadline);
    });
    if (!res.ok) throw this.alreadyExists(meta.name!, await this.storage.get(key, ctx.deadline).catch(() => undefined));
    return this.written(obj, data, res.rev);
  }

  /**
   * 409 AlreadyExists, as Store.Create reports it: when the object in the way is being deleted
   * (a namespace still Terminating, an object held by a finalizer) the message starts with
   * `object is being deleted: `, so `kubectl create ns x` right after deleting x says why.
   */
  private alreadyExists(name: string, existing: Versioned | undefined): ApiError {
    const e = errors.alreadyExists(this.resource.group, this.resource.name, name);
    if (existing?.obj.metadata?.deletionTimestamp) e.message = `object is being deleted: ${e.message}`;
    return e;
  }

  /**
   * A write with the allocations obj holds (claimed) and old no longer does (released), in one
   * etcd transaction. A value the allocator picked that another writer took first is picked
   * again; one the client asked for that is taken is the allocator's 422.
   */
  private async writeHolding(obj: KubeObject, old: KubeObject | undefined, write: (h: Holdings | undefined) => Promise<WriteResult>): Promise<WriteResult> {
    const a = this.allocator;
    if (!a) return write(undefined);
    const picked = new Set<string>();
    const avoid = new Set<string>();
    const holder = `${this.resource.name}/${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
    for (let attempt = 0; ; attempt++) {
      for (const k of await a.allocate(obj, old, avoid)) picked.add(k);
      const now = a.keysOf(obj);
      const before = old ? a.keysOf(old) : [];
      const res = await write({ claim: now.filter((k) => !before.includes(k)), release: before.filter((k) => !now.includes(k)), holder });
      if (res.ok || !res.taken?.length) return res;
      const requested = res.taken.find((k) => !picked.has(k));
      if (requested || attempt >= 20) throw a.takenError(obj, requested ?? res.taken[0]!, !requested);
      for (const k of res.taken) avoid.add(k);
    }
  }

  /** A dry run allocates too (nothing is written), and a requested value another object holds is its 422. */
  private async dryRunHolding(obj: KubeObject, old: KubeObject | undefined): Promise<void> {
    const a = this.allocator;
    if (!a) return;
    const picked = new Set(await a.allocate(obj, old, new Set()));
    const before = old ? a.keysOf(old) : [];
    const requested = a.keysOf(obj).filter((k) => !picked.has(k) && !before.includes(k));
    const taken = await this.storage.existing(requested);
    if (taken.length) throw a.takenError(obj, taken[0]!, false);
  }

  /** What deleting obj releases. */
  private released(obj: KubeObject): Holdings | undefined {
    return this.allocator ? { claim: [], release: this.allocator.keysOf(obj), holder: '' } : undefined;
  }

  /** Bookkeeping after a successful write: the revision and the reply's JSON. */
  private written(obj: KubeObject, data: string, rev: number): KubeObject {
    obj.metadata!.resourceVersion = this.noteWrite(rev);
    writtenJson.set(obj, withResourceVersion(data, rev));
    return obj;
  }

  /** Records a write of this resource at rev (what read-your-writes waits for); returns its resourceVersion. */
  private noteWrite(rev: number): string {
    if (rev > this.lastWriteRev) this.lastWriteRev = rev;
    return String(rev);
  }

  /** PUT of the object or of a subresource that writes part of it. */
  async update(namespace: string | undefined, name: string, body: KubeObject, ctx: RequestContext, subresource?: Subresource): Promise<KubeObject> {
    const obj = clone(body);
    this.checkKind(obj);
    this.decode(obj, ctx);
    if (obj.metadata?.name && obj.metadata.name !== name) {
      throw errors.badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    }
    // (EnsureObjectNamespaceMatchesRequestNamespace: a body's other namespace is refused)
    if (this.resource.namespaced && namespace && obj.metadata?.namespace && obj.metadata.namespace !== namespace) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    // (a PUT drops duplicate owner references before admission too; a PATCH after it only)
    if (!subresource) dedupOwnerReferences(obj, ctx.warnings, false);
    const wantRv = obj.metadata?.resourceVersion;
    if (!wantRv && !this.resource.allowUnconditionalUpdate) {
      throw errors.invalid(this.resource.kind, this.resource.group, name, [{ type: 'FieldValueInvalid', field: 'metadata.resourceVersion', badValue: '', detail: 'must be specified for an update' }]);
    }
    return this.guaranteedUpdate(namespace, name, ctx, subresource, (current) => {
      if (wantRv && wantRv !== current.metadata?.resourceVersion) throw this.conflict(name);
      return obj;
    });
  }

  conflict(name: string): ApiError {
    return errors.conflict(this.resource.group, this.resource.name, name, 'the object has been modified; please apply your changes to the latest version and try again');
  }

  /**
   * Read-modify-write with an etcd precondition, retried while the object changes under us
   * (unless the mutator itself pinned a resourceVersion and raised a conflict). The first
   * attempt starts from the watch cache's copy, as kube-apiserver's GuaranteedUpdate does with
   * its cached suggestion: the precondition catches a stale copy, and a failure or a no-op
   * computed from the cached copy is checked again against etcd before it is believed. Field
   * ownership is recorded by `track` (default: an Update by the request's field manager),
   * except for server-internal transitions.
   */
  async guaranteedUpdate(namespace: string | undefined, name: string, ctx: RequestContext, subresource: Subresource | 'internal' | undefined, mutate: Mutator, track?: FieldTracker): Promise<KubeObject> {
    const key = this.key(namespace, name);
    let current: Versioned | undefined = this.cache.peek(key);
    let fromCache = current !== undefined;
    if (!current) current = await this.storage.get(key, ctx.deadline);
    for (let attempt = 0; ; attempt++) {
      if (!current) throw this.notFound(name);
      let outcome: Attempt;
      try {
        outcome = await this.tryUpdate(key, name, ctx, subresource, mutate, current, fromCache, track);
      } catch (e) {
        if (!fromCache) throw e;
        outcome = { retryWith: await this.storage.get(key, ctx.deadline) };
      }
      if ('done' in outcome) return outcome.done;
      if (attempt > 50) throw this.conflict(name);
      fromCache = false;
      current = outcome.retryWith;
    }
  }

  /** One attempt of guaranteedUpdate: the written object, or what to retry with. */
  private async tryUpdate(key: string, name: string, ctx: RequestContext, subresource: Subresource | 'internal' | undefined, mutate: Mutator, current: Versioned, fromCache: boolean, track: FieldTracker | undefined): Promise<Attempt> {
    const r = this.resource;
    const old = this.asDecoded(current.obj);
    // Fresh copies parse the JSON again when it is at hand (cheaper than a JSON round trip).
    const copy = (): KubeObject => (current.json !== undefined ? (JSON.parse(current.json) as KubeObject) : clone(old));
    const draft = copy();
    const out = await mutate(draft);
    // A mutator that returns its draft hands over a private copy; anything else is copied.
    const next = out === draft ? out : clone(out);
    this.checkKind(next);
    this.throughGoTypes(next);
    let meta = (next.metadata ??= {});
    const oldMeta = old.metadata!;
    // Identity and server-owned metadata cannot change.
    meta.name = oldMeta.name;
    if (r.namespaced) meta.namespace = oldMeta.namespace;
    else delete meta.namespace;
    if (meta.uid && meta.uid !== oldMeta.uid) {
      throw errors.invalid(r.kind, r.group, name, [{ type: 'FieldValueInvalid', field: 'metadata.uid', badValue: meta.uid, detail: 'field is immutable' }]);
    }
    meta.uid = oldMeta.uid;
    meta.creationTimestamp = oldMeta.creationTimestamp;
    if (subresource !== 'internal') {
      meta.deletionTimestamp = oldMeta.deletionTimestamp;
      meta.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
    }
    if (meta.deletionTimestamp === undefined) delete meta.deletionTimestamp;
    if (meta.deletionGracePeriodSeconds === undefined) delete meta.deletionGracePeriodSeconds;
    // (BeforeUpdate: requests cannot set generation)
    if (oldMeta.generation === undefined) delete meta.generation;
    else meta.generation = oldMeta.generation;
    let errs: FieldError[];
    const review: AdmissionRequest | undefined = this.admission && subresource !== 'internal' && !ctx.withoutAdmission ? { operation: 'UPDATE', resource: r, subresource, name, namespace: oldMeta.namespace, obj: next, old, ctx } : undefined;
    if (subresource === 'internal') {
      // Server-side transitions (binding, deletion bookkeeping) that bypass update rules.
      errs = [];
    } else if (subresource) {
      // A subresource owns its part only (status, spec.ephemeralContainers): the rest of the
      // object, most metadata included, stays as it was.
      const strategy = r.writable[subresource];
      if (!strategy) throw errors.methodNotSupported(`${r.name}/${subresource}`, 'update');
      const sentRv = meta.resourceVersion;
      const kept = copy();
      kept.metadata = { ...oldMeta };
      strategy.take(next, kept);
      Object.assign(next, kept);
      for (const k of Object.keys(next)) if (!(k in kept)) delete next[k];
      meta = next.metadata!;
      (track ?? updateTracker(r, ctx, subresource))(old, next);
      if (review) await this.admission!.admit(review);
      // (a status strategy's PrepareForUpdate never bumps the generation)
      if (subresource !== 'status' && r.generationChanged?.(next, old)) meta.generation = (oldMeta.generation ?? 0) + 1;
      errs = strategy.validateUpdate(next, old, sentRv);
    } else {
      r.prepareForUpdate(next, old);
      // (the field manager runs before mutating admission: update.go's first transformer)
      (track ?? updateTracker(r, ctx, subresource))(old, next);
      if (review) await this.admission!.admit(review);
      dedupOwnerReferences(next, ctx.warnings, true);
      if (r.generationChanged?.(next, old)) meta.generation = (oldMeta.generation ?? 0) + 1;
      errs = ctx.validateAs ? ctx.validateAs(next, old) : r.validateUpdate(next, old);
    }
    if (errs.length) throw errors.invalid(r.kind, r.group, name, errs);
    // (BeforeUpdate: the strategy's WarningsOnUpdate; a subresource's strategy has none)
    if (!subresource) ctx.warnings.push(...warningsOnUpdate(r, next, old));
    if (review) await this.admission!.validate(review);
    this.throughGoTypes(next, true);
    setTypeMeta(r, next);
    if (ctx.dryRun) {
      await this.dryRunHolding(next, old);
      return { done: next };
    }
    // Deletion finishes when the last finalizer goes and a deletion was requested.
    if (subresource !== 'internal' && r.name !== 'namespaces' && meta.deletionTimestamp && !(meta.finalizers?.length) && (r.name !== 'pods' || meta.deletionGracePeriodSeconds === 0)) {
      if (encode(next) === storedBytes(current, old)) return fromCache ? { retryWith: await this.storage.get(key, ctx.deadline) } : { done: old };
      const del = await this.storage.delete(key, current.rev, this.released(old), ctx.deadline);
      if (del.ok) return { done: { ...next, metadata: { ...meta, resourceVersion: this.noteWrite(del.rev) } } };
      return { retryWith: del.current };
    }
    const lease = await this.lease();
    let data = '';
    let unchanged = false;
    const res = await this.writeHolding(next, old, async (holdings) => {
      // A write that changes nothing is not made (kube-apiserver compares the encoded bytes too).
      data = encode(next);
      if (data === storedBytes(current, old)) {
        unchanged = true;
        return { ok: true, rev: current.rev };
      }
      this.cache.expectWrite(key, data, next);
      return this.storage.update(key, data, current.rev, lease, holdings, ctx.deadline);
    });
    if (unchanged) return fromCache ? { retryWith: await this.storage.get(key, ctx.deadline) } : { done: old };
    if (res.ok) return { done: this.written(next, data, res.rev) };
    return { retryWith: res.current };
  }

  /**
   * Admission of an object created through a subresource that is not this resource's own kind (an
   * Eviction through pods/eviction), as the create handler runs it around the subresource's REST:
   * `phase` admit (mutating, before it looks at the object) or validate (its createValidation).
   */
  async admitSubresourceCreate(phase: 'admit' | 'validate', review: Omit<AdmissionRequest, 'operation' | 'resource'>): Promise<void> {
    return this.admitSubresource(phase, { ...review, operation: 'CREATE' });
  }

  /** The same for any operation (an UPDATE of deployments/scale with autoscaling/v1 Scales). */
  async admitSubresource(phase: 'admit' | 'validate', review: Omit<AdmissionRequest, 'resource'>): Promise<void> {
    if (!this.admission) return;
    const req: AdmissionRequest = { ...review, resource: this.resource };
    await (phase === 'admit' ? this.admission.admit(req) : this.admission.validate(req));
  }

  /**
   * DELETE. Pods bound to a node are deleted gracefully: deletionTimestamp and
   * deletionGracePeriodSeconds are set and the node's agent confirms with grace 0.
   */
  async delete(namespace: string | undefined, name: string, opts: DeleteOptions, ctx: RequestContext): Promise<DeleteResult> {
    const r = this.resource;
    const key = this.key(namespace, name);
    let current = await this.storage.get(key, ctx.deadline);
    if (current && this.admission && !ctx.withoutAdmission) await this.admission.validate({ operation: 'DELETE', resource: r, name, namespace, old: current.obj, ctx });
    for (;;) {
      if (!current) throw this.notFound(name);
      const obj = current.obj;
      const meta = obj.metadata!;
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== meta.uid) {
        throw errors.conflict(r.group, r.name, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${meta.uid}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== meta.resourceVersion) {
        throw errors.conflict(r.group, r.name, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${meta.resourceVersion}`);
      }
      const grace = this.gracePeriod(obj, opts.gracePeriodSeconds);
      const finalizers = deletionFinalizers(meta.finalizers ?? [], opts.propagationPolicy, defaultPropagationPolicy(r));
      const finalizersChange = finalizers.join('\0') !== (meta.finalizers ?? []).join('\0');
      const hasFinalizers = finalizers.length > 0;
      if (grace > 0 || hasFinalizers) {
        // Graceful: record the request; shorten an earlier one, never lengthen it.
        const next = clone(obj);
        const nm = next.metadata!;
        if (finalizersChange) nm.finalizers = finalizers;
        const requested = rfc3339(Date.now() + grace * 1000);
        const prevGrace = nm.deletionGracePeriodSeconds;
        if (nm.deletionTimestamp && prevGrace !== undefined && prevGrace <= grace && !finalizersChange) {
          return { deleted: false, obj };
        }
        // The first deletion request bumps a generation there is (BeforeDelete, markAsDeleting):
        // controllers see their object is going.
        if (!nm.deletionTimestamp && (nm.generation ?? 0) > 0) nm.generation! += 1;
        nm.deletionTimestamp = nm.deletionTimestamp && prevGrace !== undefined && prevGrace <= grace ? nm.deletionTimestamp : requested;
        nm.deletionGracePeriodSeconds = grace;
        if (ctx.dryRun || opts.dryRun) return { deleted: false, obj: next };
        if (grace === 0 && !hasFinalizers) {
          // fall through to the immediate delete below
        } else {
          const res = await this.storage.update(key, encode(next), current.rev, await this.lease(), undefined, ctx.deadline);
          if (res.ok) {
            nm.resourceVersion = this.noteWrite(res.rev);
            return { deleted: false, obj: next };
          }
          current = res.current;
          continue;
        }
      }
      if (ctx.dryRun || opts.dryRun) return { deleted: true, obj };
      const res = await this.storage.delete(key, current.rev, this.released(obj), ctx.deadline);
      if (res.ok) {
        return { deleted: true, obj: { ...obj, metadata: { ...meta, resourceVersion: this.noteWrite(res.rev) } } };
      }
      current = res.current;
    }
  }

  /** The grace period Kubernetes would apply: only bound, non-terminal pods wait. */
  private gracePeriod(obj: KubeObject, requested: number | undefined): number {
    if (this.resource.name !== 'pods') return 0;
    const spec = (obj.spec ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
    const phase = (obj.status as { phase?: string } | undefined)?.phase;
    if (!spec.nodeName) return 0;
    if (isTerminalPhase(phase)) return 0;
    const g = requested ?? spec.terminationGracePeriodSeconds ?? 30;
    return Math.max(0, g);
  }

  /**
   * WATCH. Once a watch is accepted, what the cache cannot serve (a resourceVersion older than
   * its window) is told as Cacher.Watch tells it: one ERROR event carrying the Status, then the
   * end of the stream (newErrWatcher), not as an error of the request.
   */
  watch(namespace: string | undefined, fromRv: string | undefined, filter: Omit<WatchFilter, 'keyPrefix'> & { name?: string }, sink: WatchSink): () => void {
    const keyPrefix = namespace && this.resource.namespaced ? `${this.prefix}${namespace}/` : this.prefix;
    const exactKey = filter.name ? this.key(namespace, filter.name) : undefined;
    let rv: number | undefined;
    if (fromRv !== undefined && fromRv !== '') {
      rv = Number(fromRv);
      if (!Number.isInteger(rv) || rv < 0) throw errors.badRequest(`invalid resourceVersion: "${fromRv}"`);
    }
    // (ResilientWatchCacheInitialization: a cache being (re)built turns watches away, to come back in a second)
    if (!this.cache.isReady) throw errors.tooManyRequests('storage is (re)initializing', 1);
    try {
      return this.cache.watch(rv, { keyPrefix, exactKey, matches: filter.matches }, sink);
    } catch (e) {
      if (!(e instanceof TooOldError)) throw e;
      failWatch(sink, errors.gone(e.message));
      return () => {};
    }
  }

  /**
   * A built-in kind's object as its Go struct leaves it (omitEmptyFields): what a body, a patch,
   * an applied configuration's merge or our own defaults give null or empty where Go's omitempty
   * drops it is gone before defaulting, field tracking and validation see it, and again before
   * it is written (`stored`: with protobuf storage's nil for an empty list without omitempty).
   * Custom resources are not Go types: their content stays as sent. A CustomResourceDefinition is
   * one (apiextensions/v1's), walked by its own table (crd-go-fields.ts).
   */
  private throughGoTypes(obj: KubeObject, stored = false): void {
    if (!this.resource.custom) omitEmptyFields(this.resource.typeName, obj, stored);
  }

  /**
   * The stored object as 1.32 decodes it before an update compares against it: one that lacks a
   * struct by value or a field Go always writes (written before tskube filled them) is filled in
   * a copy, as the stored pass fills a write, so an update giving Go's `resources: {}` is no change
   * to an immutable field and bumps no generation, and one that changes nothing is no write.
   */
  private asDecoded(obj: KubeObject): KubeObject {
    if (this.resource.custom || !lacksZeroFields(this.resource.typeName, obj)) return obj;
    const c = clone(obj);
    omitEmptyFields(this.resource.typeName, c, true);
    return c;
  }

  /** Decoding: unknown fields are rejected (Strict), reported (Warn) or dropped (Ignore). */
  decode(obj: KubeObject, ctx: RequestContext): void {
    decodeAs(this.resource, obj, ctx);
  }

  private checkKind(obj: KubeObject): void {
    if (obj.apiVersion && obj.kind === this.resource.kind && this.resource.apiVersions?.includes(obj.apiVersion)) return;
    checkKindOf(this.resource, obj);
  }
}

/**
 * handleCompactedErrorForPaging: a continuation whose revision was compacted away is 410, with a
 * token that goes on from the same key at the latest revision, for a client that accepts an
 * inconsistent list.
 */
function expiredContinue(token: string): ApiError {
  const err = errors.gone(
    'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, ' +
      'or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an ' +
      'inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
  );
  err.listMeta = { continue: token };
  return err;
}

/** Ends a watch with one ERROR event whose object is the error's Status (newErrWatcher). */
export function failWatch(sink: WatchSink, err: ApiError): void {
  sink.send('ERROR', new RawObject(JSON.stringify(err.toStatus()), 0));
  sink.close();
}

/** Strict decoding of `obj` as a `r` (its typeName): unknown fields rejected (Strict), reported (Warn) or dropped (Ignore). */
export function decodeAs(r: Pick<ResourceInfo, 'typeName' | 'kind' | 'group' | 'decode'> & { version?: string }, obj: KubeObject, ctx: RequestContext): void {
  // (custom resources too: apiextensions-apiserver's unstructuredSchemaCoercer writes their
  // metadata back through metav1.ObjectMeta, whose omitempty drops what is empty)
  dropEmptyMetadata(obj);
  if (r.decode) return r.decode(obj, ctx);
  const errs = decodeStrict(r.typeName, obj);
  reportDecoding(r, obj, errs, ctx);
}

/**
 * Every field of ObjectMeta is omitempty in Go, so what a body gives empty is gone once decoded:
 * a null, an empty string (name, generateName, namespace, selfLink, uid, resourceVersion), a
 * generation of 0, an empty map or list (so neither stored nor owned).
 */
function dropEmptyMetadata(obj: KubeObject): void {
  const m = obj.metadata as Record<string, unknown> | undefined;
  if (!m || typeof m !== 'object') return;
  for (const [k, v] of Object.entries(m)) {
    // (a value of the wrong type stays, for the decoder to refuse; managedFields: [] stays too:
    // it asks for field ownership to be reset)
    const empty =
      v === null ||
      (v === '' && EMPTY_STRING_META.has(k)) ||
      (v === 0 && k === 'generation') ||
      ((k === 'labels' || k === 'annotations') && typeof v === 'object' && !Array.isArray(v) && Object.keys(v!).length === 0) ||
      ((k === 'finalizers' || k === 'ownerReferences') && Array.isArray(v) && v.length === 0);
    if (empty) delete m[k];
  }
}
const EMPTY_STRING_META = new Set(['name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion']);

/** Decoding errors: wrong types always fail; unknown fields fail (Strict), warn (Warn) or are dropped. */
export function reportDecoding(r: Pick<ResourceInfo, 'kind' | 'group'> & { version?: string }, obj: KubeObject, errs: FieldError[], ctx: RequestContext): void {
  if (!errs.length) return;
  const typeErrs = errs.filter((e) => e.type !== 'FieldValueUnknown');
  const unknown = errs.filter((e) => e.type === 'FieldValueUnknown');
  if (typeErrs.length || (unknown.length && ctx.fieldValidation === 'Strict')) {
    throw errors.invalid(r.kind, r.group, obj.metadata?.name ?? '', typeErrs.length ? typeErrs : unknown, r.version);
  }
  for (const u of unknown) {
    if (ctx.fieldValidation === 'Warn') ctx.warnings.push(`unknown field "${u.field}"`);
    deletePath(obj, u.field);
  }
}

/** A body's kind and apiVersion, when given, must be `r`'s. */
export function checkKindOf(r: Pick<ResourceInfo, 'kind' | 'group' | 'version'>, obj: KubeObject): void {
  // (transformDecodeError: the body's kind and version, then the kind it was to be decoded as)
  const version = (obj.apiVersion ?? '').split('/').pop() || r.version;
  if (obj.kind && obj.kind !== r.kind) {
    const internal = r.group ? r.group.split('.')[0] : 'core';
    throw errors.badRequest(`${obj.kind} in version "${version}" cannot be handled as a ${r.kind}: converting (${version}.${obj.kind}) to (${internal}.${r.kind}): unknown conversion`);
  }
  const av = r.group ? `${r.group}/${r.version}` : r.version;
  if (obj.apiVersion && obj.apiVersion !== av) {
    throw errors.badRequest(`${r.kind} in version "${version}" cannot be handled as a ${r.kind}: no kind "${r.kind}" is registered for version "${obj.apiVersion}" in scheme "pkg/api/legacyscheme/scheme.go:30"`);
  }
}

/**
 * The propagation a DELETE that names none gets (the strategies' DefaultGarbageCollectionPolicy):
 * Orphan for a core/v1 ReplicationController and a batch/v1 Job, kept by rcStrategy and
 * jobStrategy from before the apiserver cascaded deletes (a client-go or curl DELETE of a Job
 * leaves its pods running); Background for every other kind. kubectl always names one.
 */
export function defaultPropagationPolicy(r: Pick<ResourceInfo, 'group' | 'name'>): PropagationPolicy {
  return (r.group === '' && r.name === 'replicationcontrollers') || (r.group === 'batch' && r.name === 'jobs') ? 'Orphan' : 'Background';
}

/**
 * The garbage collector's finalizers after a delete with `policy` (deletionFinalizersForGarbageCollection):
 * Orphan adds `orphan`, Foreground adds `foregroundDeletion`, Background removes both. With no
 * policy a finalizer of the two already there is kept, as shouldOrphanDependents and
 * shouldDeleteDependents look at it before the kind's default; otherwise the default applies.
 */
export function deletionFinalizers(current: string[], policy: PropagationPolicy | undefined, defaultPolicy: PropagationPolicy = 'Background'): string[] {
  if (!policy) {
    if (current.includes(ORPHAN_FINALIZER) || current.includes(FOREGROUND_FINALIZER)) return current;
    policy = defaultPolicy;
  }
  const rest = current.filter((f) => f !== ORPHAN_FINALIZER && f !== FOREGROUND_FINALIZER);
  if (policy === 'Orphan') return [...rest, ORPHAN_FINALIZER];
  if (policy === 'Foreground') return [...rest, FOREGROUND_FINALIZER];
  return rest;
}

type Attempt = { done: KubeObject } | { retryWith: Versioned | undefined };

