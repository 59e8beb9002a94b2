// The disruption controller (kube-controller-manager's "disruption"): keeps each
// PodDisruptionBudget's status — expectedPods, desiredHealthy, currentHealthy,
// disruptionsAllowed, the approved evictions still pending (disruptedPods), observedGeneration
// and the DisruptionAllowed condition — which the eviction subresource spends. A budget whose
// status cannot be computed is set to allow nothing (SyncFailed), failing safe. It also turns a
// DisruptionTarget condition back to False on a pod that was not deleted within two minutes.
import { budgetSelects, type PDB } from '../api/disruption-budget.js';
import { API_KINDS } from '../api/kinds.js';
import type { Deployment, KubeObject, OwnerReference, Pod, ReplicaSet, ReplicationController, StatefulSet } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import type { EventSink } from '../client/event-sink.js';
import { recordEvent } from '../client/events.js';
import { keyOf, type Informer } from '../client/informer.js';
import { isNotFound, PodDisruptionBudgets, Pods, StatusError } from '../client/rest-client.js';
import { logger } from '../util/log.js';
import { rfc3339Now } from '../util/time.js';
import { controllerOf } from './controller-ref.js';
import { budgetStatus, countHealthyPods, expectedPodCount, failSafeStatus, pendingDisruptions, type ControllerFinder } from './disruption-util.js';
import { WorkQueue } from './work-queue.js';
import { isTerminalPhase } from '../api/pod-phase.js';

const log = logger('disruption-controller');
const SOURCE = { component: 'controllermanager' };

type P = Pod & KubeObject;
type RS = ReplicaSet & KubeObject;
type D = Deployment & KubeObject;
type STS = StatefulSet & KubeObject;

/** How long a DisruptionTarget condition may stay on a pod that is not being deleted (stalePodDisruptionTimeout). */
export const STALE_POD_DISRUPTION_TIMEOUT_MS = 2 * 60_000;

export interface DisruptionInformers {
  pdbs: Informer<PDB>;
  pods: Informer<P>;
  replicasets: Informer<RS>;
  replicationcontrollers: Informer<ReplicationController & KubeObject>;
  deployments: Informer<D>;
  statefulsets: Informer<STS>;
}

export interface DisruptionOptions {
  now?: () => number;
  stalePodDisruptionTimeoutMs?: number;
}

const groupOf = (ref: OwnerReference) => (ref.apiVersion?.includes('/') ? ref.apiVersion.split('/')[0]! : '');
const isKind = (ref: OwnerReference, kind: string, groups: string[]) => ref.kind === kind && groups.includes(groupOf(ref));

export class DisruptionController {
  readonly queue: WorkQueue;
  private readonly stale: WorkQueue;
  private readonly now: () => number;
  private readonly staleTimeoutMs: number;

  constructor(
    private readonly client: ApiClient,
    private readonly informers: DisruptionInformers,
    private readonly events: EventSink,
    opts: DisruptionOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.staleTimeoutMs = opts.stalePodDisruptionTimeoutMs ?? STALE_POD_DISRUPTION_TIMEOUT_MS;
    this.queue = new WorkQueue('disruption', (key) => this.sync(key));
    this.stale = new WorkQueue('stale-pod-disruption', (key) => this.syncStalePod(key));
    const budget = (b: PDB) => this.queue.add(keyOf(b));
    informers.pdbs.on({ add: budget, update: budget, delete: budget });
    informers.pods.on({ add: (p) => this.podChanged(p), update: (p) => this.podChanged(p), delete: (p) => this.podChanged(p, true) });
  }

  start(): void {
    for (const b of this.informers.pdbs.list()) this.queue.add(keyOf(b));
    for (const p of this.informers.pods.list()) this.checkStale(p);
  }

  stop(): void {
    this.queue.stop();
    this.stale.stop();
  }

  /** getPdbForPod: the budgets selecting a pod are synced again; more than one is worth a warning. */
  private podChanged(pod: P, deleted = false): void {
    const budgets = this.informers.pdbs
      .list()
      .filter((b) => budgetSelects(b, pod))
      .sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1));
    if (budgets.length > 1) {
      const m = pod.metadata!;
      this.event(pod, 'v1', 'Pod', 'Warning', 'MultiplePodDisruptionBudgets', `Pod "${m.namespace}"/"${m.name}" matches multiple PodDisruptionBudgets.  Chose "${budgets[0]!.metadata!.name}" arbitrarily.`);
    }
    for (const b of budgets) this.queue.add(keyOf(b));
    if (!deleted) this.checkStale(pod);
  }

  /** The finders of the pods' controllers' scale, in Kubernetes' order. */
  private finders(): ControllerFinder[] {
    const { replicasets, replicationcontrollers, deployments, statefulsets } = this.informers;
    const replicationController: ControllerFinder = async (ref, ns) => {
      if (!isKind(ref, 'ReplicationController', [''])) return undefined;
      const rc = replicationcontrollers.get(`${ns}/${ref.name}`);
      return rc?.metadata?.uid === ref.uid ? { uid: ref.uid!, scale: rc!.spec?.replicas ?? 1 } : undefined;
    };
    const rsOf = (ref: OwnerReference, ns: string) => {
      if (!isKind(ref, 'ReplicaSet', ['apps', 'extensions'])) return undefined;
      const rs = replicasets.get(`${ns}/${ref.name}`);
      return rs?.metadata?.uid === ref.uid ? rs : undefined;
    };
    const deployment: ControllerFinder = async (ref, ns) => {
      const owner = controllerOf(rsOf(ref, ns) ?? {});
      if (!owner || !isKind(owner, 'Deployment', ['apps', 'extensions'])) return undefined;
      const d = deployments.get(`${ns}/${owner.name}`);
      return d?.metadata?.uid === owner.uid ? { uid: owner.uid!, scale: d!.spec?.replicas ?? 1 } : undefined;
    };
    const replicaSet: ControllerFinder = async (ref, ns) => {
      const rs = rsOf(ref, ns);
      if (!rs || controllerOf(rs)?.kind === 'Deployment') return undefined;
      return { uid: ref.uid!, scale: rs.spec?.replicas ?? 1 };
    };
    const statefulSet: ControllerFinder = async (ref, ns) => {
      if (!isKind(ref, 'StatefulSet', ['apps'])) return undefined;
      const s = statefulsets.get(`${ns}/${ref.name}`);
      return s?.metadata?.uid === ref.uid ? { uid: ref.uid!, scale: s!.spec?.replicas ?? 1 } : undefined;
    };
    return [replicationController, deployment, replicaSet, statefulSet, (ref, ns) => this.scaleOf(ref, ns)];
  }

  /** getScaleController: any other kind through its scale subresource. */
  private async scaleOf(ref: OwnerReference, ns: string): Promise<{ uid: string; scale: number } | undefined> {
    const group = groupOf(ref);
    const kind = API_KINDS.find((k) => k.kind === ref.kind && k.group === group);
    if (!kind) throw new Error(`no matches for kind "${ref.kind}" in version "${ref.apiVersion}"`);
    if (!kind.subresources.includes('scale')) throw new Error(`${kind.resource}${group ? `.${group}` : ''} does not implement the scale subresource`);
    try {
      const scale = await this.client.get<KubeObject & { spec?: { replicas?: number } }>({ group, version: kind.version, resource: kind.resource, namespaced: true }, ns, ref.name!, 'scale');
      return scale.metadata?.uid === ref.uid ? { uid: ref.uid!, scale: scale.spec?.replicas ?? 0 } : undefined;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async sync(key: string): Promise<void> {
    const cached = this.informers.pdbs.get(key);
    if (!cached) return;
    const pdb = structuredClone(cached);
    try {
      await this.trySync(pdb);
    } catch (e) {
      // A conflict is the informer lagging a write: retried without failing safe.
      if (e instanceof StatusError && e.code === 409) throw e;
      const message = e instanceof Error ? e.message : String(e);
      log.warn('failed to sync PodDisruptionBudget', { pdb: key, err: message });
      await this.client.update(PodDisruptionBudgets, pdb.metadata!.namespace, pdb.metadata!.name!, { ...pdb, status: failSafeStatus(pdb, message) }, 'status');
      throw e;
    }
  }

  private async trySync(pdb: PDB): Promise<void> {
    const ns = pdb.metadata!.namespace!;
    const pods = this.informers.pods.list().filter((p) => budgetSelects(pdb, p));
    if (!pods.length) this.event(pdb, 'policy/v1', 'PodDisruptionBudget', 'Normal', 'NoPods', 'No matching pods found');
    let expected;
    try {
      expected = await expectedPodCount(pdb, pods, this.finders());
    } catch (e) {
      this.event(pdb, 'policy/v1', 'PodDisruptionBudget', 'Warning', 'CalculateExpectedPodCountFailed', `Failed to calculate the number of expected pods: ${(e as Error).message}`);
      throw e;
    }
    if (expected.unmanaged.length) {
      this.event(
        pdb,
        'policy/v1',
        'PodDisruptionBudget',
        'Warning',
        'UnmanagedPods',
        `Pods selected by this PodDisruptionBudget (selector: ${JSON.stringify(pdb.spec?.selector ?? {})}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`,
      );
    }
    const now = this.now();
    const pending = pendingDisruptions(pods, pdb, now);
    for (const p of pending.expired) this.event(p, 'v1', 'Pod', 'Warning', 'NotDeleted', `Pod was expected by PDB ${ns}/${pdb.metadata!.name} to be deleted but it wasn't`);
    const healthy = countHealthyPods(pods, pending.disrupted, now);
    const status = budgetStatus(pdb, healthy, expected.desiredHealthy, expected.expectedCount, pending.disrupted);
    if (status) await this.client.update(PodDisruptionBudgets, ns, pdb.metadata!.name!, { ...pdb, status }, 'status');
    if (pending.recheckAt !== undefined) this.queue.addAfter(keyOf(pdb), pending.recheckAt - now);
  }

  /** nonTerminatingPodHasStaleDisruptionCondition: when (ms from now) the pod's DisruptionTarget counts as stale, if it has one. */
  private staleIn(pod: P): number | undefined {
    if (pod.metadata?.deletionTimestamp) return undefined;
    const c = pod.status?.conditions?.find((x) => x.type === 'DisruptionTarget');
    const phase = pod.status?.phase;
    if (c?.status !== 'True' || c.reason === 'TerminationByKubelet' || isTerminalPhase(phase)) return undefined;
    const since = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : this.now();
    return Math.max(0, this.staleTimeoutMs - (this.now() - since));
  }

  private checkStale(pod: P): void {
    const wait = this.staleIn(pod);
    if (wait !== undefined) this.stale.addAfter(keyOf(pod), wait);
  }

  private async syncStalePod(key: string): Promise<void> {
    const pod = this.informers.pods.get(key);
    if (!pod) return;
    const wait = this.staleIn(pod);
    if (wait === undefined) return;
    if (wait > 0) return this.stale.addAfter(key, wait);
    const conditions = (pod.status?.conditions ?? []).map((c) => (c.type === 'DisruptionTarget' ? { type: c.type, status: 'False', lastProbeTime: null as never, lastTransitionTime: rfc3339Now() } : c));
    try {
      await this.client.update(Pods, pod.metadata!.namespace, pod.metadata!.name!, { ...pod, status: { ...pod.status, conditions } }, 'status');
      log.info('reset stale DisruptionTarget condition to False', { pod: key });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  private event(obj: KubeObject, apiVersion: string, kind: string, type: string, reason: string, message: string): void {
    const o = { ...obj, apiVersion, kind } as KubeObject;
    this.events.enqueue(() => recordEvent(this.client, o, SOURCE, type, reason, message));
  }
}
