// The apiserver's CustomResourceDefinition controllers in one loop (apiextensions-apiserver's
// naming, establishing and finalizing controllers): each CRD's names are checked against the
// other CRDs of its group (NamesAccepted), its resources are served (a watch cache and store per
// CRD, registered for routing and discovery) and it is marked Established; a CRD being deleted
// is Terminating until every object of its resources is deleted, then its cleanup finalizer goes
// and the resources stop being served.
import type { KubeObject } from '../api/types.js';
import { CRD_CLEANUP_FINALIZER, type CRDCondition, type CRDNames, type CustomResourceDefinition } from '../api/validation-crd.js';
import { logger } from '../util/log.js';
import { rfc3339Now } from '../util/time.js';
import { isNotFound } from './errors.js';
import { customResourcesOf } from './registry/custom-resources.js';
import type { ResourceRegistry } from './registry/resource-registry.js';
import { etcdPrefix, type ResourceInfo } from './registry/resources.js';
import type { RequestContext, Store } from './registry/store.js';
import { matchAll } from './rest/selection.js';
import type { WatchCache } from './watch-cache.js';

const log = logger('crd-controller');

export interface CRDControllerDeps {
  crds: Store;
  registry: ResourceRegistry;
  stores: Map<ResourceInfo, Store>;
  /** A watch cache over `r`'s etcd prefix, started. */
  openCache(r: ResourceInfo): Promise<WatchCache>;
  /** The store of custom resource `r` over `cache`. */
  makeStore(r: ResourceInfo, cache: WatchCache): Store;
  ctx(): RequestContext;
}

interface Served {
  cache: WatchCache;
  prefix: string;
  storage: ResourceInfo;
  /** What the resources were built from (spec, accepted names, terminating): unchanged, they are kept. */
  basis: string;
  /** The versions' selectableFields the cache computes field-selector fields by. */
  selectable: string;
}

const condition = (type: string, status: CRDCondition['status'], reason: string, message: string): CRDCondition => ({ type, status, reason, message });

export class CRDController {
  private readonly served = new Map<string, Served>();
  private readonly queue = new Set<string>();
  private running: Promise<void> | undefined;
  private stopWatch: (() => void) | undefined;
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly deps: CRDControllerDeps) {}

  /** Starts following CRDs; resolves once every existing CRD has been reconciled once. */
  async start(): Promise<void> {
    const cache = this.deps.crds.cache;
    this.stopWatch = cache.watch(undefined, { keyPrefix: cache.prefix, matches: () => true }, {
      send: (type, raw) => {
        if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return;
        this.enqueue(raw.obj.metadata?.name ?? '');
        // Names another CRD of the group gave up may now be free (the naming controller requeues the group).
        if (type === 'DELETED' || raw.obj.metadata?.deletionTimestamp) this.enqueueRefused((raw.obj as CustomResourceDefinition).spec?.group);
      },
      close: () => {
        if (!this.stopped) log.warn('CRD watch ended');
      },
    });
    await this.drain();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopWatch?.();
    for (const t of this.timers) clearTimeout(t);
    await this.running?.catch(() => {});
    for (const name of [...this.served.keys()]) await this.unserve(name);
  }

  private enqueue(name: string): void {
    if (!name || this.stopped) return;
    this.queue.add(name);
    void this.drain();
  }

  /** Works the queue, one CRD at a time; resolves when it is empty. */
  private drain(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      while (this.queue.size && !this.stopped) {
        const name = this.queue.values().next().value as string;
        this.queue.delete(name);
        try {
          await this.reconcile(name);
        } catch (e) {
          log.error('CRD reconcile failed; retrying', { crd: name, err: e instanceof Error ? e.message : String(e) });
          this.later(name, 1000);
        }
      }
    })().finally(() => {
      this.running = undefined;
      if (this.queue.size && !this.stopped) void this.drain();
    });
    return this.running;
  }

  /** The CRDs of `group` whose names are not accepted. */
  private enqueueRefused(group: string | undefined): void {
    const { crds } = this.deps;
    for (const raw of crds.cache.list({ keyPrefix: crds.prefix, matches: matchAll }).items) {
      const o = raw.obj as CustomResourceDefinition;
      if (o.spec?.group === group && o.status?.conditions?.some((c) => c.type === 'NamesAccepted' && c.status === 'False')) this.enqueue(o.metadata?.name ?? '');
    }
  }

  private later(name: string, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.enqueue(name);
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private current(name: string): CustomResourceDefinition | undefined {
    const { crds } = this.deps;
    return crds.cache.peek(crds.key(undefined, name))?.obj as CustomResourceDefinition | undefined;
  }

  private async reconcile(name: string): Promise<void> {
    const crd = this.current(name);
    if (!crd) return this.unserve(name);
    if (crd.metadata?.deletionTimestamp) return this.finalize(crd);
    const conflict = this.namesConflict(crd);
    const accepted = conflict ? crd.status?.acceptedNames : crd.spec.names;
    const namesCondition = conflict ? condition('NamesAccepted', 'False', conflict.reason, conflict.message) : condition('NamesAccepted', 'True', 'NoConflicts', 'no conflicts found');
    // The names first, as 1.32's naming controller writes them apart from serving: a new CRD's
    // conditions (null as created) get an entry at once, not only once its resources are served
    // (kubectl wait --for=condition=Established right after apply fails on a null list).
    // (with Established as that controller leaves it: False, NotAccepted or Installing, until served)
    await this.writeStatus(name, (status) => {
      status.acceptedNames = accepted?.plural ? accepted : { plural: '', kind: '' };
      setCondition(status, namesCondition);
      const established = status.conditions?.find((c) => c.type === 'Established');
      if (conflict && !established) setCondition(status, condition('Established', 'False', 'NotAccepted', 'not all names are accepted'));
      else if (!conflict && established?.status !== 'True') setCondition(status, condition('Established', 'False', 'Installing', 'the initial names have been accepted'));
    });
    if (accepted?.plural) await this.serve({ ...crd, status: { ...crd.status, acceptedNames: accepted } });
    else await this.unserve(name);
    await this.writeStatus(name, (status) => {
      status.acceptedNames = accepted?.plural ? accepted : { plural: '', kind: '' };
      setCondition(status, namesCondition);
      if (accepted?.plural) setCondition(status, condition('Established', 'True', 'InitialNamesAccepted', 'the initial names have been accepted'));
      else setCondition(status, condition('Established', 'False', 'NotAccepted', 'not all names are accepted'));
    });
  }

  /** Why `crd`'s names cannot be accepted: another CRD of its group, or a built-in resource, has one of them. */
  private namesConflict(crd: CustomResourceDefinition): { reason: string; message: string } | undefined {
    const mine = crd.spec.names;
    const group = crd.spec.group;
    const taken: { names: CRDNames }[] = [];
    for (const r of this.deps.registry.all()) {
      if (r.group !== group || (r.custom && this.ownerOf(r) === crd.metadata?.name)) continue;
      taken.push({ names: { plural: r.name, singular: r.singularName, kind: r.kind, listKind: r.listKind, shortNames: r.shortNames } });
    }
    for (const other of this.deps.crds.cache.list({ keyPrefix: this.deps.crds.prefix, matches: matchAll }).items) {
      const o = other.obj as CustomResourceDefinition;
      if (o.metadata?.name === crd.metadata?.name || o.spec?.group !== group || !o.status?.acceptedNames?.plural) continue;
      taken.push({ names: o.status.acceptedNames });
    }
    for (const { names } of taken) {
      if (mine.plural && (names.plural === mine.plural || names.singular === mine.plural)) return { reason: 'PluralConflict', message: `"${mine.plural}" is already in use` };
      if (mine.singular && (names.plural === mine.singular || names.singular === mine.singular)) return { reason: 'SingularConflict', message: `"${mine.singular}" is already in use` };
      for (const s of mine.shortNames ?? []) if (names.shortNames?.includes(s)) return { reason: 'ShortNamesConflict', message: `"${s}" is already in use` };
      if (mine.kind && (names.kind === mine.kind || names.listKind === mine.kind)) return { reason: 'KindConflict', message: `"${mine.kind}" is already in use` };
      if (mine.listKind && (names.kind === mine.listKind || names.listKind === mine.listKind)) return { reason: 'ListKindConflict', message: `"${mine.listKind}" is already in use` };
    }
    return undefined;
  }

  private ownerOf(r: ResourceInfo): string | undefined {
    for (const name of this.deps.registry.customNames()) if (this.deps.registry.customOf(name)!.served.includes(r) || this.deps.registry.customOf(name)!.storage === r) return name;
    return undefined;
  }

  /** Serves `crd`'s resources, with fresh strategies (its schema may have changed) over its one watch cache. */
  private async serve(crd: CustomResourceDefinition, terminating = false): Promise<void> {
    const name = crd.metadata!.name!;
    const basis = JSON.stringify([crd.spec, crd.status?.acceptedNames, terminating]);
    let s = this.served.get(name);
    if (s?.basis === basis) return;
    const resources = customResourcesOf(crd, terminating);
    const storage = resources[0];
    if (!storage) return;
    const prefix = etcdPrefix(storage);
    // (the watch cache computes each object's field-selector fields once: a change of the
    // selectable fields takes a new cache, as a change of the storage prefix does)
    const selectable = JSON.stringify(crd.spec.versions.map((v) => v.selectableFields ?? []));
    if (s && (s.prefix !== prefix || s.selectable !== selectable)) {
      await this.unserve(name);
      s = undefined;
    }
    const cache = s?.cache ?? (await this.deps.openCache(storage));
    if (s) this.deps.stores.delete(s.storage);
    this.deps.stores.set(storage, this.deps.makeStore(storage, cache));
    this.served.set(name, { cache, prefix, storage, basis, selectable });
    const served = resources.filter((r) => crd.spec.versions.some((v) => v.name === r.version && v.served));
    this.deps.registry.setCustom(name, served, storage);
    if (!s) log.info('serving custom resources', { crd: name, versions: served.map((r) => r.version) });
  }

  private async unserve(name: string): Promise<void> {
    const s = this.served.get(name);
    this.deps.registry.removeCustom(name);
    if (!s) return;
    this.served.delete(name);
    this.deps.stores.delete(s.storage);
    await s.cache.stop();
    log.info('stopped serving custom resources', { crd: name });
  }

  /** A CRD being deleted: Terminating, its objects deleted, then its finalizer removed. */
  private async finalize(cached: CustomResourceDefinition): Promise<void> {
    const name = cached.metadata!.name!;
    // (read from etcd: the cache may not have seen the finalizer go, and the CRD with it)
    const crd = (await this.deps.crds.get(undefined, name).catch(() => undefined)) as CustomResourceDefinition | undefined;
    if (!crd) return this.unserve(name);
    if (!(crd.metadata?.finalizers ?? []).includes(CRD_CLEANUP_FINALIZER)) return;
    await this.writeStatus(name, (status) => {
      setCondition(status, condition('Terminating', 'True', 'InstanceDeletionInProgress', 'CustomResource deletion is in progress'));
      setCondition(status, condition('Established', 'False', 'Terminating', 'the CustomResourceDefinition is being deleted'));
    });
    // Served (again, after a restart) so that its objects can be found; creates are refused.
    await this.serve(crd, true);
    const s = this.served.get(name);
    const store = s && this.deps.stores.get(s.storage);
    if (store) {
      const { items } = await store.list(undefined, { matches: matchAll });
      for (const raw of items) {
        const m = raw.obj.metadata!;
        await store.delete(m.namespace, m.name!, {}, this.deps.ctx()).catch(ignoreNotFound);
      }
      const left = (await store.list(undefined, { matches: matchAll })).items.length;
      if (left) {
        log.info('waiting for custom resources to go', { crd: name, left });
        return this.later(name, 1000);
      }
    }
    await this.unserve(name);
    // (the cache's consistent-read marker, the last key under the resource's prefix; no read can
    // write it again once unserved)
    await s?.cache.removeMarker();
    await this.deps.crds
      .guaranteedUpdate(undefined, name, this.deps.ctx(), undefined, (cur) => {
        cur.metadata!.finalizers = (cur.metadata!.finalizers ?? []).filter((f) => f !== CRD_CLEANUP_FINALIZER);
        return cur;
      })
      .catch(ignoreNotFound);
  }

  /** Writes status changes through the status subresource; nothing when they change nothing. */
  private async writeStatus(name: string, change: (status: NonNullable<CustomResourceDefinition['status']>) => void): Promise<void> {
    const crd = this.current(name);
    if (!crd) return;
    const next = structuredClone(crd.status ?? {});
    change(next);
    if (JSON.stringify(stripTimes(next)) === JSON.stringify(stripTimes(crd.status ?? {}))) return;
    await this.deps.crds
      .guaranteedUpdate(undefined, name, this.deps.ctx(), 'status', (cur: KubeObject) => {
        const status = structuredClone((cur as CustomResourceDefinition).status ?? {});
        change(status);
        cur.status = status;
        return cur;
      })
      .catch(ignoreNotFound);
  }
}

function ignoreNotFound(e: unknown): void {
  if (!isNotFound(e)) throw e;
}

/** Sets `c`, keeping its lastTransitionTime when its status does not change. */
function setCondition(status: NonNullable<CustomResourceDefinition['status']>, c: CRDCondition): void {
  const conditions = (status.conditions ??= []);
  const i = conditions.findIndex((x) => x.type === c.type);
  const old = i >= 0 ? conditions[i] : undefined;
  const next = { ...c, lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : rfc3339Now() };
  if (i >= 0) conditions[i] = next;
  else conditions.push(next);
}

const stripTimes = (s: NonNullable<CustomResourceDefinition['status']>) => ({ ...s, conditions: (s.conditions ?? []).map(({ lastTransitionTime: _t, ...rest }) => rest) });
