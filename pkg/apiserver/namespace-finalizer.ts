// The namespace finalizer (the namespace controller's deleter, run in the apiserver): a
// terminating namespace has its content deleted; while some remains, its status conditions say
// what (NamespaceContentRemaining: "Some resources are remaining: pods. has 2 resource
// instances", NamespaceFinalizersRemaining: which finalizers hold objects), as Kubernetes'
// namespace controller writes them for `kubectl describe ns`; once empty, it is removed (or, if
// other spec finalizers remain, only "kubernetes" leaves spec.finalizers). A namespace whose
// spec.finalizers were cleared through namespaces/NAME/finalize goes at once, content or not.
import type { KubeObject } from '../api/types.js';
import { logger } from '../util/log.js';
import type { ResourceInfo } from './registry/resources.js';
import type { RequestContext, Store } from './registry/store.js';

const log = logger('namespace-finalizer');

/** The spec finalizer by which the namespace's content is this finalizer's to delete. */
const KUBERNETES_FINALIZER = 'kubernetes';

export interface NamespaceCondition {
  type: string;
  status: 'True' | 'False';
  lastTransitionTime?: string;
  reason: string;
  message: string;
}

/** The conditions the namespace controller maintains, in its order, with their "ok" reason and message. */
const CONDITIONS: [type: string, okReason: string, okMessage: string][] = [
  ['NamespaceDeletionDiscoveryFailure', 'ResourcesDiscovered', 'All resources successfully discovered'],
  ['NamespaceDeletionGroupVersionParsingFailure', 'ParsedGroupVersions', 'All legacy kube types successfully parsed'],
  ['NamespaceDeletionContentFailure', 'ContentDeleted', 'All content successfully deleted, may be waiting on finalization'],
  ['NamespaceContentRemaining', 'ContentRemoved', 'All content successfully removed'],
  ['NamespaceFinalizersRemaining', 'ContentHasNoFinalizers', 'All content-preserving finalizers finished'],
];

/** What a pass found still in the namespace: objects by "resource.group", objects by finalizer. */
export interface RemainingContent {
  resources: Map<string, number>;
  finalizers: Map<string, number>;
}

const counts = (m: Map<string, number>, text: (key: string, n: number) => string) =>
  [...m].filter(([, n]) => n > 0).map(([k, n]) => text(k, n)).sort().join(', ');

/**
 * The namespace's conditions after a pass (Kubernetes' updateConditions): each condition the
 * pass found true, the others in their ok form; a condition keeps its lastTransitionTime unless
 * its status changes. Returns undefined when nothing changed.
 */
export function deletionConditions(current: NamespaceCondition[], found: RemainingContent, now: string): NamespaceCondition[] | undefined {
  const failing = new Map<string, { reason: string; message: string }>();
  const resources = counts(found.resources, (gr, n) => `${gr} has ${n} resource instances`);
  if (resources) failing.set('NamespaceContentRemaining', { reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${resources}` });
  const finalizers = counts(found.finalizers, (f, n) => `${f} in ${n} resource instances`);
  if (finalizers) failing.set('NamespaceFinalizersRemaining', { reason: 'SomeFinalizersRemain', message: `Some content in the namespace has finalizers remaining: ${finalizers}` });
  const next = current.map((c) => ({ ...c }));
  let changed = false;
  for (const [type, okReason, okMessage] of CONDITIONS) {
    const f = failing.get(type);
    const want = { status: f ? ('True' as const) : ('False' as const), reason: f?.reason ?? okReason, message: f?.message ?? okMessage };
    const old = next.find((c) => c.type === type);
    if (!old) {
      next.push({ type, ...want, lastTransitionTime: now });
      changed = true;
    } else if (old.status !== want.status || old.reason !== want.reason || old.message !== want.message) {
      if (old.status !== want.status) old.lastTransitionTime = now;
      Object.assign(old, want);
      changed = true;
    }
  }
  return changed ? next : undefined;
}

export interface NamespaceFinalizerDeps {
  namespaces: Store;
  /** Every resource's store (the namespaced ones are emptied). */
  stores: Iterable<[ResourceInfo, Store]>;
  /** Removes the emptied namespace itself. */
  remove(name: string): Promise<void>;
  ctx(): RequestContext;
  now(): string;
}

/** One pass over the terminating namespaces. */
export async function finalizeNamespaces(d: NamespaceFinalizerDeps): Promise<void> {
  const ns = d.namespaces;
  const terminating = ns.cache.list({ keyPrefix: ns.prefix, matches: () => true }).items.map((r) => r.obj).filter((o) => !!o.metadata?.deletionTimestamp);
  for (const namespace of terminating) {
    const name = namespace.metadata!.name!;
    const specFinalizers = (namespace.spec as { finalizers?: string[] } | undefined)?.finalizers ?? [];
    if (!specFinalizers.includes(KUBERNETES_FINALIZER)) {
      // Its content is no longer ours to delete (finalize took "kubernetes" away, as users do
      // with a stuck namespace): it goes once no other finalizer holds it.
      if (!specFinalizers.length && !namespace.metadata?.finalizers?.length) await removeNamespace(d, name);
      continue;
    }
    const found: RemainingContent = { resources: new Map(), finalizers: new Map() };
    for (const [r, store] of d.stores) {
      if (!r.namespaced) continue;
      const objs = store.cache.list({ keyPrefix: `${store.prefix}${name}/`, matches: () => true }).items.map((x) => x.obj);
      if (!objs.length) continue;
      found.resources.set(`${r.name}.${r.group}`, objs.length);
      for (const o of objs) {
        for (const f of o.metadata?.finalizers ?? []) found.finalizers.set(f, (found.finalizers.get(f) ?? 0) + 1);
        if (o.metadata?.deletionTimestamp) continue;
        // (Background, as the namespace deleter's DeleteOptions name it: a Job or a
        // ReplicationController would otherwise orphan its pods first, their kinds' default)
        await store.delete(name, o.metadata!.name!, { propagationPolicy: 'Background' }, d.ctx()).catch(() => {});
      }
    }
    if (found.resources.size === 0) {
      if (specFinalizers.length === 1 && !namespace.metadata?.finalizers?.length) await removeNamespace(d, name);
      else {
        // (deleteAllContent writes the conditions of its last pass too, all in their ok form, before
        // finalizeNamespace: a namespace other finalizers still hold says its content is gone)
        await writeConditions(d, namespace, found).catch((e) => log.warn('could not write the conditions of a terminating namespace', { name, err: e }));
        await dropKubernetesFinalizer(d, name);
      }
      continue;
    }
    await writeConditions(d, namespace, found).catch((e) => log.warn('could not write the conditions of a terminating namespace', { name, err: e }));
  }
}

async function removeNamespace(d: NamespaceFinalizerDeps, name: string): Promise<void> {
  await d.remove(name);
  log.info('namespace finalized', { name });
}

/** Emptied, but other spec finalizers hold it: ours goes, theirs stay (it stays Terminating until they finish). */
async function dropKubernetesFinalizer(d: NamespaceFinalizerDeps, name: string): Promise<void> {
  await d.namespaces.guaranteedUpdate(undefined, name, d.ctx(), 'internal', (cur) => {
    const spec = (cur.spec ??= {}) as { finalizers?: string[] };
    spec.finalizers = (spec.finalizers ?? []).filter((f) => f !== KUBERNETES_FINALIZER);
    if (!spec.finalizers.length) delete spec.finalizers;
    return cur;
  });
}

async function writeConditions(d: NamespaceFinalizerDeps, namespace: KubeObject, found: RemainingContent): Promise<void> {
  const status = (namespace.status ?? {}) as { conditions?: NamespaceCondition[] };
  if (!deletionConditions(status.conditions ?? [], found, d.now())) return;
  await d.namespaces.guaranteedUpdate(undefined, namespace.metadata!.name!, d.ctx(), 'internal', (cur) => {
    const st = ((cur.status ??= {}) as { conditions?: NamespaceCondition[] });
    const next = deletionConditions(st.conditions ?? [], found, d.now());
    if (next) st.conditions = next;
    return cur;
  });
}
