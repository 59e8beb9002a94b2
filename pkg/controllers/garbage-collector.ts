// The garbage collector (kube-controller-manager's garbagecollector): ownerReferences make a
// graph of owners and dependents. A dependent whose owners are all gone (by uid) is deleted;
// references to owners that are gone are dropped when a live owner remains. An owner deleted
// with propagationPolicy Orphan carries the `orphan` finalizer: its dependents lose their
// references to it, then the finalizer goes (and so does the owner). With Foreground it
// carries `foregroundDeletion`: its dependents are deleted (foreground too), and the finalizer
// goes once no dependent that blocks owner deletion is left. A namespaced owner can only own
// dependents of its own namespace: a reference to one elsewhere gets a Warning on the dependent
// and is looked up in the dependent's namespace, where it does not exist. Every deletable kind
// is watched (built-in ones and, from their CRDs, custom ones), as upstream's monitors are.
import type { KubeObject, OwnerReference } from '../api/types.js';
import type { ApiClient, ResourceRef } from '../client/api-client.js';
import { Informer, keyOf } from '../client/informer.js';
import { EventSink } from '../client/event-sink.js';
import { recordEvent } from '../client/events.js';
import { CustomResourceDefinitions, isNotFound, StatusError } from '../client/rest-client.js';
import { logger } from '../util/log.js';
import { WorkQueue } from './work-queue.js';

const log = logger('garbage-collector');
/** The garbage collector's event source in kube-controller-manager. */
const SOURCE = { component: 'garbage-collector-controller' };

export const FOREGROUND = 'foregroundDeletion';
export const ORPHAN = 'orphan';

/** A resource the collector watches, with the apiVersion and kind owner references name it by. */
export interface Monitored {
  ref: ResourceRef;
  apiVersion: string;
  kind: string;
}

const core = (resource: string, kind: string, namespaced = true): Monitored => ({ ref: { group: '', version: 'v1', resource, namespaced }, apiVersion: 'v1', kind });
const grouped = (group: string, version: string) => (resource: string, kind: string, namespaced = true): Monitored => ({ ref: { group, version, resource, namespaced }, apiVersion: `${group}/${version}`, kind });
const apps = grouped('apps', 'v1');
const batch = grouped('batch', 'v1');
const discovery = grouped('discovery.k8s.io', 'v1');
const rbac = grouped('rbac.authorization.k8s.io', 'v1');
const networking = grouped('networking.k8s.io', 'v1');
const storage = grouped('storage.k8s.io', 'v1');
const admission = grouped('admissionregistration.k8s.io', 'v1');

/**
 * Every built-in resource that can be listed, watched and deleted, as kube-controller-manager's
 * collector monitors every such resource discovery reports (GetDeletableResources), events aside
 * (DefaultIgnoredResources): a ServiceAccount, Role or Ingress owned by a custom resource is
 * collected as a pod owned by a ReplicaSet is. Custom resources are added from their CRDs.
 */
export const defaultMonitored: Monitored[] = [
  core('pods', 'Pod'),
  core('configmaps', 'ConfigMap'),
  core('secrets', 'Secret'),
  core('services', 'Service'),
  core('endpoints', 'Endpoints'),
  core('persistentvolumeclaims', 'PersistentVolumeClaim'),
  core('persistentvolumes', 'PersistentVolume', false),
  core('replicationcontrollers', 'ReplicationController'),
  core('serviceaccounts', 'ServiceAccount'),
  core('podtemplates', 'PodTemplate'),
  core('limitranges', 'LimitRange'),
  core('resourcequotas', 'ResourceQuota'),
  core('namespaces', 'Namespace', false),
  core('nodes', 'Node', false),
  apps('replicasets', 'ReplicaSet'),
  apps('deployments', 'Deployment'),
  batch('jobs', 'Job'),
  batch('cronjobs', 'CronJob'),
  apps('daemonsets', 'DaemonSet'),
  apps('statefulsets', 'StatefulSet'),
  apps('controllerrevisions', 'ControllerRevision'),
  discovery('endpointslices', 'EndpointSlice'),
  grouped('autoscaling', 'v2')('horizontalpodautoscalers', 'HorizontalPodAutoscaler'),
  grouped('policy', 'v1')('poddisruptionbudgets', 'PodDisruptionBudget'),
  grouped('coordination.k8s.io', 'v1')('leases', 'Lease'),
  networking('ingresses', 'Ingress'),
  networking('networkpolicies', 'NetworkPolicy'),
  networking('ingressclasses', 'IngressClass', false),
  rbac('roles', 'Role'),
  rbac('rolebindings', 'RoleBinding'),
  rbac('clusterroles', 'ClusterRole', false),
  rbac('clusterrolebindings', 'ClusterRoleBinding', false),
  storage('storageclasses', 'StorageClass', false),
  storage('csidrivers', 'CSIDriver', false),
  storage('csinodes', 'CSINode', false),
  storage('csistoragecapacities', 'CSIStorageCapacity'),
  storage('volumeattachments', 'VolumeAttachment', false),
  grouped('scheduling.k8s.io', 'v1')('priorityclasses', 'PriorityClass', false),
  grouped('node.k8s.io', 'v1')('runtimeclasses', 'RuntimeClass', false),
  grouped('certificates.k8s.io', 'v1')('certificatesigningrequests', 'CertificateSigningRequest', false),
  admission('mutatingwebhookconfigurations', 'MutatingWebhookConfiguration', false),
  admission('validatingwebhookconfigurations', 'ValidatingWebhookConfiguration', false),
  admission('validatingadmissionpolicies', 'ValidatingAdmissionPolicy', false),
  admission('validatingadmissionpolicybindings', 'ValidatingAdmissionPolicyBinding', false),
  grouped('apiextensions.k8s.io', 'v1')('customresourcedefinitions', 'CustomResourceDefinition', false),
];

/** `invalid`: a cluster-scoped dependent names a namespaced owner; it is left alone (upstream's namespacedOwnerOfClusterScopedObjectErr). */
type OwnerState = 'absent' | 'solid' | 'waiting' | 'invalid';

/** How often dependents of owners the collector does not watch (custom resources) are checked again. */
const UNWATCHED_OWNER_RECHECK_MS = 10_000;

type CRDLite = { spec: { group: string; scope: string; names: { plural: string; kind: string }; versions: { name: string; served: boolean }[] } };

const hasFinalizer = (o: KubeObject, f: string) => !!o.metadata?.finalizers?.includes(f);
const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');

/** A monitor's key, and the first half of its items' queue keys: `group/Kind`. */
const kindKey = (apiVersion: string, kind: string) => `${groupOf(apiVersion)}/${kind}`;

export class GarbageCollector {
  readonly queue: WorkQueue;
  /** owner uid -> dependents' queue keys (`group/Kind|ns/name`). */
  private readonly dependents = new Map<string, Set<string>>();
  private readonly byUid = new Map<string, { m: Monitored; obj: KubeObject }>();
  /** The watched resources by `group/Kind`; `own`: an informer the collector made (and starts and stops); `custom`: one of a CRD's. */
  private readonly monitors = new Map<string, { m: Monitored; inf: Informer; own: boolean; custom?: boolean }>();
  private recheck: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Items are processed once the collector's own informers have listed (as upstream's workers wait for every monitor to sync): a foreground owner must not take a dependent not yet listed for none. */
  private ready: Promise<unknown> = Promise.resolve();
  /** The resources of custom kinds, by `group/Kind`, from the CRDs (refreshed at most every few seconds). */
  private customKinds: { at: number; byKind: Map<string, Monitored> } | undefined;

  constructor(
    private readonly client: ApiClient,
    informers: Map<string, Informer>,
    monitored: Monitored[] = defaultMonitored,
    private readonly events: EventSink = new EventSink(),
    /** How often new CRDs are looked for and dependents of unwatched owners checked again (tests shorten it). */
    private readonly recheckMs = UNWATCHED_OWNER_RECHECK_MS,
  ) {
    this.queue = new WorkQueue('garbage-collector', async (key) => {
      await this.ready;
      await this.process(key);
    });
    // Resources the other controllers do not watch get an informer of the collector's own.
    for (const m of monitored) this.monitor(m, informers.get(m.ref.resource));
  }

  private monitor(m: Monitored, shared: Informer | undefined, custom = false): Informer {
    const inf = shared ?? new Informer(this.client, m.ref);
    inf.on({
      add: (o) => this.observe(m, o, undefined),
      update: (o, old) => this.observe(m, o, old),
      delete: (o) => this.forget(m, o),
    });
    this.monitors.set(kindKey(m.apiVersion, m.kind), { m, inf, own: !shared, custom });
    return inf;
  }

  start(): void {
    for (const { m, inf, own } of this.monitors.values()) if (!own) for (const o of inf.list()) this.observe(m, o, undefined);
    const own = [...this.monitors.values()].filter((x) => x.own).map((x) => x.inf.start());
    this.ready = Promise.all(own.map((i) => i.hasSynced()));
    void this.syncCustomMonitors();
    // Owners of kinds not watched here give no delete event: their dependents are looked at
    // again from time to time, the owner fetched by kind. New custom kinds are monitored
    // (upstream's resyncMonitors, every 30 s there).
    this.recheck = setInterval(() => {
      for (const [uid, keys] of this.dependents) if (!this.byUid.has(uid)) for (const k of keys) this.queue.add(k);
      void this.syncCustomMonitors();
    }, this.recheckMs);
    this.recheck.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.recheck);
    this.queue.stop();
    for (const { inf, own } of this.monitors.values()) if (own) inf.stop();
  }

  /** Watches the custom resources of every CRD (their objects may be dependents too), and stops watching those whose CRD is gone. */
  private async syncCustomMonitors(): Promise<void> {
    const kinds = await this.customKindsNow();
    if (!kinds || this.stopped) return;
    // (a CRD gone, or now served in another version or scope: its monitor is made again)
    for (const [key, { m, inf, custom }] of this.monitors) {
      const now = kinds.get(key);
      if (!custom || (now && now.apiVersion === m.apiVersion && now.ref.namespaced === m.ref.namespaced)) continue;
      this.monitors.delete(key);
      inf.stop();
      for (const o of inf.list()) this.forget(m, o);
    }
    for (const [key, m] of kinds) if (!this.monitors.has(key)) this.monitor(m, undefined, true).start();
  }

  /** The CRDs' kinds, read afresh (undefined when they cannot be listed). */
  private async customKindsNow(): Promise<Map<string, Monitored> | undefined> {
    const byKind = new Map<string, Monitored>();
    try {
      for (const crd of (await this.client.list<KubeObject & CRDLite>(CustomResourceDefinitions)).items) {
        const { group, scope, names, versions } = crd.spec;
        const version = versions.find((v) => v.served)?.name;
        if (version) byKind.set(kindKey(`${group}/${version}`, names.kind), { ref: { group, version, resource: names.plural, namespaced: scope === 'Namespaced' }, apiVersion: `${group}/${version}`, kind: names.kind });
      }
    } catch (e) {
      log.warn('could not list CustomResourceDefinitions', { err: e instanceof Error ? e.message : String(e) });
      return undefined;
    }
    this.customKinds = { at: Date.now(), byKind };
    return byKind;
  }

  /** The resource of a custom kind (`group/Kind`, any served version), from the CRDs. */
  private async customKind(apiVersion: string, kind: string): Promise<Monitored | undefined> {
    if (!this.customKinds || Date.now() - this.customKinds.at > 5000) {
      if (!(await this.customKindsNow())) this.customKinds = { at: Date.now(), byKind: new Map() };
    }
    return this.customKinds!.byKind.get(kindKey(apiVersion, kind));
  }

  private key(m: Monitored, o: KubeObject): string {
    return `${kindKey(m.apiVersion, m.kind)}|${keyOf(o)}`;
  }

  private observe(m: Monitored, o: KubeObject, old: KubeObject | undefined): void {
    const uid = o.metadata!.uid!;
    const k = this.key(m, o);
    const seen = this.byUid.get(uid)?.obj;
    this.byUid.set(uid, { m, obj: o });
    const formerOwners = old?.metadata?.ownerReferences ?? [];
    // Like the graph builder, a reference to a namespaced owner of another namespace is reported
    // once: when the reference is added and its owner is known (addDependentToOwners), or when
    // the owner is first seen after its dependents (processGraphChanges).
    const known = new Set((seen ?? old)?.metadata?.ownerReferences?.map((r) => r.uid));
    for (const r of o.metadata?.ownerReferences ?? []) {
      const owner = this.byUid.get(r.uid!)?.obj;
      if (!known.has(r.uid) && owner && this.foreignOwner(owner, o)) this.reportInvalidNamespaceOwnerRef(m, o, r);
    }
    if (!seen && o.metadata?.namespace) {
      for (const d of this.dependentsOf(uid)) if (this.foreignOwner(o, d.obj)) this.reportInvalidNamespaceOwnerRef(d.m, d.obj, d.ref);
    }
    for (const r of formerOwners) this.unlink(r.uid!, k);
    for (const r of o.metadata?.ownerReferences ?? []) {
      let set = this.dependents.get(r.uid!);
      if (!set) this.dependents.set(r.uid!, (set = new Set()));
      set.add(k);
    }
    // An owner in foreground deletion may have lost a blocking dependent. (Only once the graph
    // is whole again: the queue may run the owner at once, and an owner looked at between the
    // unlink and the relink saw no dependents and dropped its foregroundDeletion finalizer, so
    // kubectl delete --cascade=foreground removed the owner before its dependents.)
    for (const r of formerOwners) this.enqueueUid(r.uid!);
    if (o.metadata?.ownerReferences?.length || (o.metadata?.deletionTimestamp && (hasFinalizer(o, FOREGROUND) || hasFinalizer(o, ORPHAN)))) this.queue.add(k);
    if (o.metadata?.deletionTimestamp) for (const r of o.metadata.ownerReferences ?? []) this.enqueueUid(r.uid!);
  }

  /** Whether `owner` is namespaced and in a namespace other than its dependent's (only cluster-scoped owners may be named from anywhere). */
  private foreignOwner(owner: KubeObject, dependent: KubeObject): boolean {
    const ns = owner.metadata?.namespace;
    return !!ns && ns !== dependent.metadata?.namespace;
  }

  /** graph_builder.go's reportInvalidNamespaceOwnerRef: a Warning on the dependent, naming the owner as if in the dependent's namespace. */
  private reportInvalidNamespaceOwnerRef(m: Monitored, dependent: KubeObject, r: OwnerReference): void {
    const ns = dependent.metadata?.namespace ?? '';
    const message = `ownerRef [${r.apiVersion ?? ''}/${r.kind ?? ''}, namespace: ${ns}, name: ${r.name ?? ''}, uid: ${r.uid ?? ''}] does not exist in namespace ${JSON.stringify(ns)}`;
    log.info('item references an owner but does not match namespaces', { item: `${m.kind} ${keyOf(dependent)}`, owner: r.uid });
    const involved = { ...dependent, apiVersion: m.apiVersion, kind: m.kind } as KubeObject;
    this.events.enqueue(() => recordEvent(this.client, involved, SOURCE, 'Warning', 'OwnerRefInvalidNamespace', message));
  }

  private forget(m: Monitored, o: KubeObject): void {
    const uid = o.metadata!.uid!;
    const k = this.key(m, o);
    this.byUid.delete(uid);
    for (const r of o.metadata?.ownerReferences ?? []) {
      this.unlink(r.uid!, k);
      this.enqueueUid(r.uid!);
    }
    // Its dependents lost an owner.
    for (const dk of this.dependents.get(uid) ?? []) this.queue.add(dk);
  }

  /** Drops a dependent from an owner's set, and the set once empty (or one entry per owner ever seen would stay). */
  private unlink(ownerUid: string, dependentKey: string): void {
    const set = this.dependents.get(ownerUid);
    if (set?.delete(dependentKey) && !set.size) this.dependents.delete(ownerUid);
  }

  private enqueueUid(uid: string): void {
    const o = this.byUid.get(uid);
    if (o) this.queue.add(this.key(o.m, o.obj));
  }

  private lookup(key: string): { m: Monitored; obj: KubeObject } | undefined {
    const [kind, rest] = key.split('|') as [string, string];
    const mon = this.monitors.get(kind);
    const obj = mon?.inf.get(rest);
    return mon && obj ? { m: mon.m, obj } : undefined;
  }

  private dependentsOf(uid: string): { m: Monitored; obj: KubeObject; ref: OwnerReference }[] {
    const out: { m: Monitored; obj: KubeObject; ref: OwnerReference }[] = [];
    for (const dk of this.dependents.get(uid) ?? []) {
      const d = this.lookup(dk);
      const ref = d?.obj.metadata?.ownerReferences?.find((r) => r.uid === uid);
      if (d && ref) out.push({ ...d, ref });
    }
    return out;
  }

  async process(key: string): Promise<void> {
    const item = this.lookup(key);
    if (!item) return;
    const { m, obj } = item;
    if (obj.metadata?.deletionTimestamp) {
      if (hasFinalizer(obj, ORPHAN)) return this.orphanDependents(m, obj);
      if (hasFinalizer(obj, FOREGROUND)) return this.deleteDependentsFirst(m, obj);
    }
    if (obj.metadata?.ownerReferences?.length) await this.attemptToDelete(m, obj);
  }

  /** attemptToDeleteItem: classify owners as absent, solid or waiting for their dependents. */
  private async attemptToDelete(m: Monitored, obj: KubeObject): Promise<void> {
    if (obj.metadata?.deletionTimestamp) return;
    const owners = obj.metadata?.ownerReferences ?? [];
    const states = await Promise.all(owners.map((r) => this.ownerState(r, obj.metadata?.namespace)));
    // (a cluster-scoped object naming a namespaced owner: an error a retry will not mend; the item is kept as it is)
    if (states.includes('invalid')) return;
    const dangling = owners.filter((_, i) => states[i] === 'absent');
    const waiting = owners.filter((_, i) => states[i] === 'waiting');
    const solid = owners.filter((_, i) => states[i] === 'solid');
    if (solid.length) {
      if (!dangling.length && !waiting.length) return;
      // Keep the object for its live owners; drop the references to the others.
      const gone = new Set([...dangling, ...waiting].map((r) => r.uid));
      await this.patchOwners(m, obj, owners.filter((r) => !gone.has(r.uid)));
      return;
    }
    // Owners waiting for their dependents: this one goes in the foreground too if it has dependents of its own.
    const policy = waiting.length && this.dependentsOf(obj.metadata!.uid!).length ? 'Foreground' : hasFinalizer(obj, ORPHAN) ? 'Orphan' : hasFinalizer(obj, FOREGROUND) ? 'Foreground' : 'Background';
    log.info('deleting object whose owners are gone', { object: `${m.kind} ${keyOf(obj)}`, policy });
    await this.delete(m, obj, policy);
  }

  /** Whether the owner a reference names exists with that uid, and whether it waits for its dependents. */
  private async ownerState(r: OwnerReference, namespace: string | undefined): Promise<OwnerState> {
    const cached = this.byUid.get(r.uid!)?.obj;
    // An owner seen in another namespace is not the dependent's: like isDangling, the name is
    // looked up in the dependent's namespace, where it is absent (or another object, by uid).
    if (cached && (!cached.metadata?.namespace || cached.metadata.namespace === namespace)) {
      return cached.metadata?.deletionTimestamp && hasFinalizer(cached, FOREGROUND) ? 'waiting' : 'solid';
    }
    const m = this.monitors.get(kindKey(r.apiVersion ?? '', r.kind ?? ''))?.m ?? (groupOf(r.apiVersion ?? '').includes('.') ? await this.customKind(r.apiVersion ?? '', r.kind ?? '') : undefined);
    // A kind the collector does not know cannot be looked up: never delete on its account.
    if (!m) return 'solid';
    if (m.ref.namespaced && !namespace) return 'invalid';
    try {
      const live = await this.client.get(m.ref, m.ref.namespaced ? namespace : undefined, r.name!);
      if (live.metadata?.uid !== r.uid) return 'absent';
      return live.metadata?.deletionTimestamp && hasFinalizer(live, FOREGROUND) ? 'waiting' : 'solid';
    } catch (e) {
      if (isNotFound(e)) return 'absent';
      throw e;
    }
  }

  private async orphanDependents(m: Monitored, owner: KubeObject): Promise<void> {
    const uid = owner.metadata!.uid!;
    for (const d of this.dependentsOf(uid)) {
      await this.patchOwners(d.m, d.obj, (d.obj.metadata?.ownerReferences ?? []).filter((r) => r.uid !== uid));
    }
    await this.removeFinalizer(m, owner, ORPHAN);
  }

  private async deleteDependentsFirst(m: Monitored, owner: KubeObject): Promise<void> {
    const deps = this.dependentsOf(owner.metadata!.uid!);
    for (const d of deps) {
      if (d.obj.metadata?.deletionTimestamp) continue;
      // A dependent with other live owners only loses this reference (attemptToDelete).
      await this.attemptToDelete(d.m, d.obj);
    }
    const blocking = deps.filter((d) => d.ref.blockOwnerDeletion);
    if (!blocking.length) await this.removeFinalizer(m, owner, FOREGROUND);
  }

  private async delete(m: Monitored, obj: KubeObject, policy: 'Foreground' | 'Background' | 'Orphan'): Promise<void> {
    try {
      await this.client.delete(m.ref, obj.metadata?.namespace, obj.metadata!.name!, { propagationPolicy: policy, preconditions: { uid: obj.metadata!.uid } });
    } catch (e) {
      if (!(e instanceof StatusError && (e.code === 404 || e.code === 409))) throw e;
    }
  }

  private async patchOwners(m: Monitored, obj: KubeObject, owners: OwnerReference[]): Promise<void> {
    const meta = obj.metadata!;
    try {
      await this.client.patch(m.ref, meta.namespace, meta.name!, { metadata: { uid: meta.uid, resourceVersion: meta.resourceVersion, ownerReferences: owners.length ? owners : null } }, 'merge');
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  private async removeFinalizer(m: Monitored, obj: KubeObject, finalizer: string): Promise<void> {
    const meta = obj.metadata!;
    const rest = (meta.finalizers ?? []).filter((f) => f !== finalizer);
    try {
      await this.client.patch(m.ref, meta.namespace, meta.name!, { metadata: { resourceVersion: meta.resourceVersion, finalizers: rest.length ? rest : null } }, 'merge');
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
