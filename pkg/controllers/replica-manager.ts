// The replica manager behind the ReplicaSet and ReplicationController controllers
// (kube-controller-manager's replicaset controller, which its replication controller wraps):
// keeps the number of active pods an owner's selector matches and controls at spec.replicas. It
// creates pods from the template (named <owner>-<5 random chars>, controlled by the owner),
// deletes the least valuable first, adopts matching orphans, releases pods that stopped
// matching, and writes status, with a ReplicaFailure condition while creating or deleting fails.
// Expectations keep a lagging informer from causing a second create or delete. What differs
// between the two kinds (API group, selector shape) is a ReplicatedKind.
import { omitZero } from '../api/omitempty.js';
import type { KubeObject, Pod, PodTemplateSpec, ReplicaSetCondition, ReplicaSetStatus } from '../api/types.js';
import type { ApiClient, ResourceRef } from '../client/api-client.js';
import type { EventSink } from '../client/event-sink.js';
import { recordEvent } from '../client/events.js';
import { keyOf, type Informer } from '../client/informer.js';
import { Pods } from '../client/rest-client.js';
import { logger } from '../util/log.js';
import { rfc3339Now } from '../util/time.js';
import { claimObjects, controllerOf } from './controller-ref.js';
import { podFromTemplate as podFromTemplateOf } from './pod-template.js';
import { Expectations } from './expectations.js';
import { isPodActive, isPodAvailable, isPodReady, podsToDelete } from './pod-ranking.js';
import { updateStatus } from './status-update.js';
import { WorkQueue } from './work-queue.js';
import { createPods, deletePods, type PodControl } from './pod-control.js';

/** At most this many pods are created or deleted in one sync (burstReplicas). */
const BURST_REPLICAS = 500;

/** What the manager needs of a ReplicaSet or ReplicationController: the fields both have. */
export type Replicated = KubeObject & {
  spec?: { replicas?: number; minReadySeconds?: number; template?: PodTemplateSpec };
  status?: ReplicaSetStatus;
};
type P = Pod & KubeObject;

/** The kind a manager controls. */
export interface ReplicatedKind<T extends Replicated> {
  kind: string;
  apiVersion: string;
  ref: ResourceRef;
  /** The component name in logs, events and the work queue (`replicaset-controller`). */
  component: string;
  /** Whether the owner's selector selects the pod. */
  selects(owner: T, pod: P): boolean;
}

export interface ReplicaInformers<T extends Replicated> {
  owners: Informer<T>;
  pods: Informer<P>;
}

/** The condition a ReplicaSet or ReplicationController carries while creating or deleting its pods fails. */
export const REPLICA_FAILURE = 'ReplicaFailure';

/** The pods an owner would create: its template, its controller reference, generateName `<owner>-`. */
export function podFromTemplate<T extends Replicated>(kind: ReplicatedKind<T>, owner: T): P {
  return podFromTemplateOf(owner, owner.spec?.template, kind.apiVersion, kind.kind);
}

/**
 * The status an owner's pods give it (calculateStatus); `manageError`, when creating or deleting
 * pods failed this sync, sets ReplicaFailure (FailedCreate/FailedDelete), and a sync without one
 * clears it.
 */
export function replicaStatus(rs: Replicated, pods: P[], now: number, manageError?: unknown): ReplicaSetStatus {
  const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
  const minReady = rs.spec?.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const p of pods) {
    const labels = p.metadata?.labels ?? {};
    if (Object.entries(templateLabels).every(([k, v]) => labels[k] === v)) fullyLabeled++;
    if (isPodReady(p)) {
      ready++;
      if (isPodAvailable(p, minReady, now)) available++;
    }
  }
  const status: ReplicaSetStatus = {
    replicas: pods.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
    observedGeneration: rs.metadata?.generation ?? 0,
  };
  let conditions: ReplicaSetCondition[] = rs.status?.conditions ?? [];
  const failing = conditions.some((c) => c.type === REPLICA_FAILURE);
  if (manageError && !failing) {
    const diff = pods.length - (rs.spec?.replicas ?? 1);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    const message = manageError instanceof Error ? manageError.message : String(manageError);
    conditions = [...conditions, { type: REPLICA_FAILURE, status: 'True', lastTransitionTime: rfc3339Now(), reason, message }];
  } else if (!manageError && failing) {
    conditions = conditions.filter((c) => c.type !== REPLICA_FAILURE);
  }
  if (conditions.length) status.conditions = conditions;
  // (replicas is always there; the other counts are omitempty)
  return omitZero(status, ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration']);
}

export class ReplicaManager<T extends Replicated> {
  readonly queue: WorkQueue;
  private readonly expectations = new Expectations();
  private readonly log;

  constructor(
    private readonly client: ApiClient,
    private readonly informers: ReplicaInformers<T>,
    private readonly events: EventSink,
    private readonly kind: ReplicatedKind<T>,
  ) {
    this.log = logger(kind.component);
    this.queue = new WorkQueue(kind.component.replace(/-controller$/, ''), (key) => this.sync(key));
    informers.owners.on({
      add: (rs) => this.queue.add(keyOf(rs)),
      update: (rs) => this.queue.add(keyOf(rs)),
      delete: (rs) => {
        this.expectations.delete(keyOf(rs));
        this.queue.add(keyOf(rs));
      },
    });
    informers.pods.on({
      add: (p) => this.podAdded(p),
      update: (p, old) => this.podUpdated(p, old),
      delete: (p) => this.podDeleted(p),
    });
  }

  start(): void {
    for (const rs of this.informers.owners.list()) this.queue.add(keyOf(rs));
  }

  stop(): void {
    this.queue.stop();
  }

  private ownerKey(p: P): string | undefined {
    const ref = controllerOf(p);
    if (!ref || ref.kind !== this.kind.kind) return undefined;
    const key = `${p.metadata!.namespace}/${ref.name}`;
    const rs = this.informers.owners.get(key);
    return rs?.metadata?.uid === ref.uid ? key : undefined;
  }

  /** Owners in the pod's namespace whose selector matches it (for orphans). */
  private matchingSets(p: P): T[] {
    return this.informers.owners.list().filter((rs) => rs.metadata?.namespace === p.metadata?.namespace && this.kind.selects(rs, p));
  }

  private podAdded(p: P): void {
    if (p.metadata?.deletionTimestamp) return this.podDeleted(p);
    const key = this.ownerKey(p);
    if (key) {
      this.expectations.creationObserved(key);
      this.queue.add(key);
      return;
    }
    if (!controllerOf(p)) for (const rs of this.matchingSets(p)) this.queue.add(keyOf(rs));
  }

  private podUpdated(p: P, old: P): void {
    if (p.metadata?.deletionTimestamp && !old.metadata?.deletionTimestamp) {
      // A graceful delete counts as the delete the controller expected.
      const key = this.ownerKey(p);
      if (key) this.expectations.deletionObserved(key, p.metadata.uid!);
    }
    const oldRef = controllerOf(old);
    if (oldRef && oldRef.uid !== controllerOf(p)?.uid) {
      const oldKey = `${old.metadata!.namespace}/${oldRef.name}`;
      this.queue.add(oldKey);
    }
    const key = this.ownerKey(p);
    if (key) this.queue.add(key);
    else if (!controllerOf(p)) for (const rs of this.matchingSets(p)) this.queue.add(keyOf(rs));
    // A pod that turns ready is checked again once minReadySeconds have passed.
    if (key && isPodReady(p) && !isPodReady(old)) {
      const min = this.informers.owners.get(key)?.spec?.minReadySeconds ?? 0;
      if (min > 0) this.queue.addAfter(key, min * 1000 + 1000);
    }
  }

  private podDeleted(p: P): void {
    const ref = controllerOf(p);
    if (!ref || ref.kind !== this.kind.kind) return;
    const key = `${p.metadata!.namespace}/${ref.name}`;
    this.expectations.deletionObserved(key, p.metadata!.uid!);
    this.queue.add(key);
  }

  async sync(key: string): Promise<void> {
    const cached = this.informers.owners.get(key);
    if (!cached) {
      this.expectations.delete(key);
      return;
    }
    const rs = structuredClone(cached);
    const needsSync = this.expectations.satisfied(key);
    const ns = rs.metadata!.namespace!;
    const candidates = this.informers.pods.list().filter((p) => p.metadata?.namespace === ns && isPodActive(p));
    const pods = (await claimObjects(this.client, candidates, {
      owner: rs,
      apiVersion: this.kind.apiVersion,
      kind: this.kind.kind,
      matches: (o) => this.kind.selects(rs, o as P),
      ref: Pods,
    })) as P[];
    let manageError: unknown;
    if (needsSync && !rs.metadata?.deletionTimestamp) {
      try {
        await this.manageReplicas(key, rs, pods);
      } catch (e) {
        manageError = e;
      }
    }
    const now = Date.now();
    const status = replicaStatus(rs, pods, now, manageError);
    if (JSON.stringify(status) !== JSON.stringify(rs.status ?? {})) {
      await updateStatus(this.client, this.kind.ref, rs, status);
    }
    if (manageError) throw manageError;
    // Ready pods not yet available are looked at again when minReadySeconds have passed.
    const min = rs.spec?.minReadySeconds ?? 0;
    if (min > 0 && status.readyReplicas !== status.availableReplicas) this.queue.addAfter(key, min * 1000);
  }

  private async manageReplicas(key: string, rs: T, pods: P[]): Promise<void> {
    const want = rs.spec?.replicas ?? 1;
    const diff = pods.length - want;
    const name = rs.metadata!.name!;
    const ns = rs.metadata!.namespace!;
    const ctl: PodControl = { client: this.client, expectations: this.expectations, key, namespace: ns, event: (type, reason, message) => this.event(rs, type, reason, message) };
    if (diff < 0) {
      const n = Math.min(-diff, BURST_REPLICAS);
      await createPods(ctl, Array.from({ length: n }, () => podFromTemplate(this.kind, rs)));
      this.log.debug('created pods', { owner: key, count: n });
    } else if (diff > 0) {
      // (getPodsToDelete sorts by ActivePodsWithRanks: pod-deletion-cost, the pods of the
      // owner's other ReplicaSets on the same node, logarithmic ages)
      const victims = podsToDelete(pods, Math.min(diff, BURST_REPLICAS), { ranked: true, related: this.relatedPods(rs) });
      await deletePods(ctl, victims);
      this.log.debug('deleted pods', { owner: `${ns}/${name}`, count: victims.length });
    }
  }

  /**
   * getIndirectlyRelatedPods: the pods selected by each ReplicaSet with the same owner as `owner`
   * (itself too), each once; none when it has no owner.
   */
  private relatedPods(owner: T): P[] {
    const ref = controllerOf(owner);
    if (!ref) return [];
    const ns = owner.metadata!.namespace;
    const sets = this.informers.owners.list().filter((o) => o.metadata?.namespace === ns && controllerOf(o)?.uid === ref.uid);
    const pods = this.informers.pods.list().filter((p) => p.metadata?.namespace === ns);
    const seen = new Set<string | undefined>();
    const out: P[] = [];
    for (const set of sets) {
      for (const p of pods) {
        if (seen.has(p.metadata?.uid) || !this.kind.selects(set, p)) continue;
        seen.add(p.metadata?.uid);
        out.push(p);
      }
    }
    return out;
  }

  private event(rs: T, type: string, reason: string, message: string): void {
    const obj = { ...rs, apiVersion: this.kind.apiVersion, kind: this.kind.kind };
    this.events.enqueue(() => recordEvent(this.client, obj, { component: this.kind.component }, type, reason, message));
  }
}
