// The ReplicaSet controller (kube-controller-manager's replicaset controller): keeps the number
// of active pods a ReplicaSet's selector matches and controls at spec.replicas. It creates pods
// from the template (named <rs>-<5 random chars>, controlled by the ReplicaSet), deletes the
// least valuable first, adopts matching orphans, releases pods that stopped matching, and
// writes status. Expectations keep a lagging informer from causing a second create or delete.
import type { KubeObject, Pod, ReplicaSet } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import type { EventSink } from '../client/event-sink.js';
import { recordEvent } from '../client/events.js';
import { keyOf, type Informer } from '../client/informer.js';
import { Pods, ReplicaSets } from '../client/rest-client.js';
import { logger } from '../util/log.js';
import { claimObjects, controllerOf, selectorMatches } from './controller-ref.js';
import { podFromTemplate as podFromTemplateOf } from './pod-template.js';
import { Expectations } from './expectations.js';
import { isPodActive, isPodAvailable, isPodReady, podsToDelete } from './pod-ranking.js';
import { updateStatus } from './status-update.js';
import { WorkQueue } from './work-queue.js';
import { createPods, deletePods, type PodControl } from './pod-control.js';

const log = logger('replicaset-controller');

/** At most this many pods are created or deleted in one sync (burstReplicas). */
const BURST_REPLICAS = 500;
const SOURCE = { component: 'replicaset-controller' };

type RS = ReplicaSet & KubeObject;
type P = Pod & KubeObject;

export interface ReplicaSetInformers {
  replicasets: Informer<RS>;
  pods: Informer<P>;
}

/** The pods a ReplicaSet would create: its template, its controller reference, generateName `<rs>-`. */
export function podFromTemplate(rs: RS): P {
  return podFromTemplateOf(rs, rs.spec?.template, 'apps/v1', 'ReplicaSet');
}

/** The status a ReplicaSet's pods give it (calculateStatus). */
export function replicaSetStatus(rs: RS, pods: P[], now: number): NonNullable<ReplicaSet['status']> {
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
  const status: NonNullable<ReplicaSet['status']> = {
    replicas: pods.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
    observedGeneration: rs.metadata?.generation ?? 0,
  };
  if (rs.status?.conditions?.length) status.conditions = rs.status.conditions;
  return status;
}

export class ReplicaSetController {
  readonly queue: WorkQueue;
  private readonly expectations = new Expectations();

  constructor(
    private readonly client: ApiClient,
    private readonly informers: ReplicaSetInformers,
    private readonly events: EventSink,
  ) {
    this.queue = new WorkQueue('replicaset', (key) => this.sync(key));
    informers.replicasets.on({
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
    for (const rs of this.informers.replicasets.list()) this.queue.add(keyOf(rs));
  }

  stop(): void {
    this.queue.stop();
  }

  private ownerKey(p: P): string | undefined {
    const ref = controllerOf(p);
    if (!ref || ref.kind !== 'ReplicaSet') return undefined;
    const key = `${p.metadata!.namespace}/${ref.name}`;
    const rs = this.informers.replicasets.get(key);
    return rs?.metadata?.uid === ref.uid ? key : undefined;
  }

  /** ReplicaSets in the pod's namespace whose selector matches it (for orphans). */
  private matchingSets(p: P): RS[] {
    return this.informers.replicasets.list().filter((rs) => rs.metadata?.namespace === p.metadata?.namespace && selects(rs, p));
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
      const min = this.informers.replicasets.get(key)?.spec?.minReadySeconds ?? 0;
      if (min > 0) this.queue.addAfter(key, min * 1000 + 1000);
    }
  }

  private podDeleted(p: P): void {
    const ref = controllerOf(p);
    if (!ref || ref.kind !== 'ReplicaSet') return;
    const key = `${p.metadata!.namespace}/${ref.name}`;
    this.expectations.deletionObserved(key, p.metadata!.uid!);
    this.queue.add(key);
  }

  async sync(key: string): Promise<void> {
    const cached = this.informers.replicasets.get(key);
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
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      matches: (o) => selects(rs, o as P),
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
    const status = replicaSetStatus(rs, pods, now);
    if (JSON.stringify(status) !== JSON.stringify(rs.status ?? {})) {
      await updateStatus(this.client, ReplicaSets, rs, status);
    }
    if (manageError) throw manageError;
    // Ready pods not yet available are looked at again when minReadySeconds have passed.
    const min = rs.spec?.minReadySeconds ?? 0;
    if (min > 0 && status.readyReplicas !== status.availableReplicas) this.queue.addAfter(key, min * 1000);
  }

  private async manageReplicas(key: string, rs: RS, pods: P[]): Promise<void> {
    const want = rs.spec?.replicas ?? 1;
    const diff = pods.length - want;
    const name = rs.metadata!.name!;
    const ns = rs.metadata!.namespace!;
    const ctl: PodControl = { client: this.client, expectations: this.expectations, key, namespace: ns, event: (type, reason, message) => this.event(rs, type, reason, message) };
    if (diff < 0) {
      const n = Math.min(-diff, BURST_REPLICAS);
      await createPods(ctl, Array.from({ length: n }, () => podFromTemplate(rs)));
      log.debug('created pods', { replicaset: key, count: n });
    } else if (diff > 0) {
      const victims = podsToDelete(pods, Math.min(diff, BURST_REPLICAS));
      await deletePods(ctl, victims);
      log.debug('deleted pods', { replicaset: `${ns}/${name}`, count: victims.length });
    }
  }

  private event(rs: RS, type: string, reason: string, message: string): void {
    const obj = { ...rs, apiVersion: 'apps/v1', kind: 'ReplicaSet' };
    this.events.enqueue(() => recordEvent(this.client, obj, SOURCE, type, reason, message));
  }
}

const selects = (rs: RS, p: P) => selectorMatches(rs.spec?.selector, p);
