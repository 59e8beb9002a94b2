// The DaemonSet controller (kube-controller-manager's daemonset controller): one pod per
// eligible node — nodes whose labels match the template's nodeSelector and node affinity and
// whose taints the pod tolerates. Pods carry a required node affinity on their node's name and
// are bound by the scheduler. New nodes get a pod; pods on nodes that stop qualifying (or are
// gone) are deleted; a template change rolls out node by node (RollingUpdate: maxUnavailable,
// maxSurge) or waits for pods to be deleted (OnDelete). Revisions are ControllerRevisions.
import type { KubeObject } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import type { EventSink } from '../client/event-sink.js';
import { recordEvent } from '../client/events.js';
import { keyOf, type Informer } from '../client/informer.js';
import { DaemonSets, Pods } from '../client/rest-client.js';
import { logger } from '../util/log.js';
import { CONTROLLER_REVISION_HASH, syncHistory, type CR } from './controller-history.js';
import { claimObjects, controllerOf, selectorMatches } from './controller-ref.js';
import { daemonSetStatus, FailedPodBackoff, newDaemonPod, nodeShouldRunDaemonPod, podsShouldBeOnNode, rollingLimits, rollingUpdateStep, targetNode, type DS, type N, type P, type Placement } from './daemonset-util.js';
import { Expectations } from './expectations.js';
import { isPodAvailable, isPodReady } from './pod-ranking.js';
import { updateStatus } from './status-update.js';
import { createPods, deletePods, type PodControl } from './pod-control.js';
import { WorkQueue } from './work-queue.js';

const log = logger('daemonset-controller');
const SOURCE = { component: 'daemonset-controller' };

export interface DaemonSetInformers {
  daemonsets: Informer<DS>;
  pods: Informer<P>;
  nodes: Informer<N>;
  revisions: Informer<CR>;
}

/** A node change that can change where daemon pods belong. */
const nodeChanged = (n: N, old: N) =>
  JSON.stringify([n.metadata?.labels, n.spec?.taints, n.spec?.unschedulable]) !== JSON.stringify([old.metadata?.labels, old.spec?.taints, old.spec?.unschedulable]);

export class DaemonSetController {
  readonly queue: WorkQueue;
  private readonly expectations = new Expectations();
  private readonly failedBackoff = new FailedPodBackoff();
  /** Until the nodes have listed, a sync would take every daemon pod for one on a vanished node. */
  private nodesListed = false;

  constructor(
    private readonly client: ApiClient,
    private readonly informers: DaemonSetInformers,
    private readonly events: EventSink,
  ) {
    this.queue = new WorkQueue('daemonset', (key) => this.sync(key));
    void informers.nodes.hasSynced().then(() => {
      this.nodesListed = true;
      this.enqueueAll();
    });
    informers.daemonsets.on({
      add: (ds) => this.queue.add(keyOf(ds)),
      update: (ds) => this.queue.add(keyOf(ds)),
      delete: (ds) => {
        this.expectations.delete(keyOf(ds));
        this.queue.add(keyOf(ds));
      },
    });
    informers.pods.on({
      add: (p) => this.podChanged(p, undefined, 'add'),
      update: (p, old) => this.podChanged(p, old, 'update'),
      delete: (p) => this.podChanged(p, undefined, 'delete'),
    });
    informers.nodes.on({
      add: () => this.enqueueAll(),
      update: (n, old) => nodeChanged(n, old) && this.enqueueAll(),
      delete: () => this.enqueueAll(),
    });
  }

  start(): void {
    this.enqueueAll();
  }

  stop(): void {
    this.queue.stop();
  }

  private enqueueAll(): void {
    for (const ds of this.informers.daemonsets.list()) this.queue.add(keyOf(ds));
  }

  private podChanged(p: P, old: P | undefined, what: 'add' | 'update' | 'delete'): void {
    const ref = controllerOf(p);
    if (!ref) {
      // An orphan: DaemonSets that may adopt it.
      for (const ds of this.informers.daemonsets.list()) if (ds.metadata?.namespace === p.metadata?.namespace && selects(ds, p)) this.queue.add(keyOf(ds));
      return;
    }
    if (ref.kind !== 'DaemonSet') return;
    const key = `${p.metadata!.namespace}/${ref.name}`;
    if (what === 'add' && !p.metadata?.deletionTimestamp) this.expectations.creationObserved(key);
    if (what === 'delete' || (p.metadata?.deletionTimestamp && !old?.metadata?.deletionTimestamp)) this.expectations.deletionObserved(key, p.metadata!.uid!);
    this.queue.add(key);
    // A pod that turns ready is looked at again once minReadySeconds have passed.
    if (old && isPodReady(p) && !isPodReady(old)) {
      const min = this.informers.daemonsets.get(key)?.spec?.minReadySeconds ?? 0;
      if (min > 0) this.queue.addAfter(key, min * 1000 + 1000);
    }
  }

  async sync(key: string): Promise<void> {
    const cached = this.informers.daemonsets.get(key);
    if (!cached) {
      this.expectations.delete(key);
      return;
    }
    const ds = structuredClone(cached);
    if (ds.metadata?.deletionTimestamp || !this.nodesListed) return;
    const ns = ds.metadata!.namespace!;
    const candidates = this.informers.pods.list().filter((p) => p.metadata?.namespace === ns);
    const pods = (await claimObjects(this.client, candidates, { owner: ds, apiVersion: 'apps/v1', kind: 'DaemonSet', matches: (o) => selects(ds, o as P), ref: Pods })) as P[];
    const liveHashes = new Set(pods.map((p) => p.metadata?.labels?.[CONTROLLER_REVISION_HASH]));
    const { hash } = await syncHistory(this.client, this.informers.revisions, { obj: ds, kind: 'DaemonSet' }, (r) => liveHashes.has(r.metadata?.labels?.[CONTROLLER_REVISION_HASH]));

    const nodes = this.informers.nodes.list();
    const nodeNames = new Set(nodes.map((n) => n.metadata!.name!));
    const nodeToPods = new Map<string, P[]>();
    const strays: P[] = [];
    for (const p of pods) {
      const n = targetNode(p);
      if (n && nodeNames.has(n)) nodeToPods.set(n, [...(nodeToPods.get(n) ?? []), p]);
      // (getUnscheduledPodsWithoutNode: only a pod not bound yet, whose node is gone, is ours to
      // delete; one bound to a vanished node is PodGC's, which marks it Failed with
      // DeletionByPodGC first; a pod with no node at all is left alone)
      else if (n && !p.spec?.nodeName && !p.metadata?.deletionTimestamp) strays.push(p);
    }
    const placements = new Map<string, Placement>(nodes.map((n) => [n.metadata!.name!, nodeShouldRunDaemonPod(n, ds)]));

    let manageError: unknown;
    if (this.expectations.satisfied(key)) {
      try {
        await this.manage(key, ds, placements, nodeToPods, strays, hash);
      } catch (e) {
        manageError = e;
      }
    }
    const now = Date.now();
    const status = daemonSetStatus(ds, placements, nodeToPods, hash, now);
    if (JSON.stringify(status) !== JSON.stringify(ds.status ?? {})) await updateStatus(this.client, DaemonSets, ds, status);
    if (manageError) throw manageError;
    const min = ds.spec?.minReadySeconds ?? 0;
    if (min > 0 && status.numberReady !== (status.numberAvailable ?? 0)) this.queue.addAfter(key, min * 1000);
  }

  /** Creates and deletes what the nodes need; then, with nothing else to do, one rolling-update step. */
  private async manage(key: string, ds: DS, placements: Map<string, Placement>, nodeToPods: Map<string, P[]>, strays: P[], hash: string): Promise<void> {
    const rolling = ds.spec?.updateStrategy?.type !== 'OnDelete';
    const desired = [...placements.values()].filter((p) => p.shouldRun).length;
    const limits = rolling ? rollingLimits(ds, desired) : { maxSurge: 0, maxUnavailable: 0 };
    const createOn: string[] = [];
    const toDelete: P[] = [...strays];
    const now = Date.now();
    for (const [node, placement] of placements) {
      const actions = podsShouldBeOnNode(placement, nodeToPods.get(node) ?? [], hash, limits.maxSurge > 0);
      if (actions.create) createOn.push(node);
      for (const p of actions.delete) {
        if (p.status?.phase === 'Failed' && placement.shouldContinueRunning) {
          const backoffKey = FailedPodBackoff.key(ds, node);
          const wait = this.failedBackoff.remaining(backoffKey, now);
          if (wait > 0) {
            this.queue.addAfter(key, wait);
            continue;
          }
          this.failedBackoff.next(backoffKey, now);
          this.event(ds, 'Warning', 'FailedDaemonPod', `Found failed daemon pod ${p.metadata!.namespace}/${p.metadata!.name} on node ${node}, will try to kill it`);
        }
        toDelete.push(p);
      }
    }
    if (!createOn.length && !toDelete.length && rolling) {
      const minReady = ds.spec?.minReadySeconds ?? 0;
      const eligible = new Map([...nodeToPods].filter(([n]) => placements.get(n)?.shouldRun));
      const step = rollingUpdateStep(eligible, hash, limits, (p) => isPodAvailable(p, minReady, now));
      createOn.push(...step.createOn);
      toDelete.push(...step.delete);
    }
    await this.syncNodes(key, ds, createOn, toDelete, hash);
  }

  /** Deletes, then creates (slow start); creation expectations stay set until the informer shows the pods. */
  private async syncNodes(key: string, ds: DS, createOn: string[], toDelete: P[], hash: string): Promise<void> {
    if (!createOn.length && !toDelete.length) return;
    const ctl: PodControl = { client: this.client, expectations: this.expectations, key, namespace: ds.metadata!.namespace!, event: (type, reason, message) => this.event(ds, type, reason, message) };
    let failure: unknown;
    if (toDelete.length) await deletePods(ctl, toDelete).catch((e) => (failure = e));
    if (createOn.length) await createPods(ctl, createOn.map((node) => newDaemonPod(ds, node, hash))).catch((e) => (failure ??= e));
    log.debug('synced nodes', { daemonset: key, created: createOn.length, deleted: toDelete.length });
    if (failure) throw failure;
  }

  private event(ds: DS, type: string, reason: string, message: string): void {
    const obj = { ...ds, apiVersion: 'apps/v1', kind: 'DaemonSet' } as KubeObject;
    this.events.enqueue(() => recordEvent(this.client, obj, SOURCE, type, reason, message));
  }
}

const selects = (ds: DS, p: P) => selectorMatches(ds.spec?.selector, p);
