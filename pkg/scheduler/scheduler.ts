// The scheduler: informers keep a cache of nodes and pods (scheduler-cache.ts); pending pods go
// through the scheduling queue and the framework's plugins (scheduler-find-node.ts); the chosen
// pod is assumed on its node at once (so the next pod sees the capacity) and bound asynchronously
// (scheduler-binding.ts); a failed bind forgets it. A pod that fits nowhere may preempt others
// (preemption-prepare.ts, with the nominations of scheduler-nominator.ts). Only the holder of the
// kube-system/kube-scheduler Lease schedules.
import type { KubeObject, Node, PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from '../api/types.js';
import { Informer } from '../client/informer.js';
import { LeaderElector, defaultIdentity } from '../client/leader-election.js';
import type { ApiClient } from '../client/api-client.js';
import { Nodes, PersistentVolumeClaims, PersistentVolumes, Pods, StorageClasses } from '../client/rest-client.js';
import { logger } from '../util/log.js';
import { Code, CycleState, type Profile, type Status } from './framework.js';
import { pendingPods, podNotScheduled, schedulingAlgorithmDuration } from './metrics.js';
import { podKey, type NodeInfo } from './node-info.js';
import { prepareCandidate } from './preemption-prepare.js';
import { defaultProfile } from './profile.js';
import { InformerClusterLister } from './cluster-lister.js';
import { isPodUpdated, SchedulingQueue } from './queue.js';
import { deepEqual } from '../api/json-equal.js';
import { bindPod } from './scheduler-binding.js';
import { SchedulerCache } from './scheduler-cache.js';
import { defaultSchedulerConfig, type SchedulerConfig } from './scheduler-config.js';
import { SchedulerEvents } from './scheduler-events.js';
import { NodeFinder, postFilterKey } from './scheduler-find-node.js';
import { Nominator } from './scheduler-nominator.js';
import { volumeLister, volumeWriter } from './scheduler-volumes.js';
import { isPodTerminal } from '../api/pod-phase.js';

export { defaultSchedulerConfig, type SchedulerConfig } from './scheduler-config.js';

const log = logger('scheduler');
/** The leader election watchdog's tolerance past an unrenewed lease (kube-scheduler's NewLeaderHealthzAdaptor(time.Second * 20)). */
const LEADER_WATCHDOG_MS = 20_000;

/** One named health check: resolves when healthy, throws with the reason otherwise (healthz.HealthChecker). */
export interface HealthCheck {
  name: string;
  check(): void | Promise<void>;
}

export class Scheduler {
  private readonly cache = new SchedulerCache();
  /** Pending pods nominated to a node by preemption: their room is kept for them. */
  private readonly nominator = new Nominator();
  /** Pods held by their scheduling gates (the gated pods of the queue's metrics). */
  private readonly gated = new Set<string>();
  private podInformer: Informer<Pod & KubeObject>;
  private nodeInformer: Informer<Node & KubeObject>;
  /** Namespaces, Services, ReplicaSets and StatefulSets for inter-pod affinity and topology spread. */
  private lister: InformerClusterLister;
  private readonly profile: Profile;
  private readonly finder: NodeFinder;
  private queue: SchedulingQueue;
  private elector: LeaderElector | undefined;
  /** Set once the informers' first lists are handled (sched-handler-sync). */
  private handlersSynced = false;
  private leading = false;
  private running = false;
  private stopped = false;
  private bindsInFlight = 0;
  private bindSlots: (() => void)[] = [];
  private readonly events: SchedulerEvents;
  /** Claims, volumes and classes, for the volume plugins. */
  private readonly claimInformer: Informer<PersistentVolumeClaim & KubeObject>;
  private readonly volumeInformer: Informer<PersistentVolume & KubeObject>;
  private readonly classInformer: Informer<StorageClass & KubeObject>;
  readonly cfg: SchedulerConfig;

  constructor(private readonly client: ApiClient, cfg: Partial<SchedulerConfig> = {}, profile?: Profile) {
    this.cfg = { ...defaultSchedulerConfig, ...cfg };
    this.queue = new SchedulingQueue(this.cfg.queue);
    this.podInformer = new Informer(client, Pods);
    this.nodeInformer = new Informer(client, Nodes);
    this.lister = new InformerClusterLister(client);
    this.claimInformer = new Informer(client, PersistentVolumeClaims);
    this.volumeInformer = new Informer(client, PersistentVolumes);
    this.classInformer = new Informer(client, StorageClasses);
    const volumes = { claims: this.claimInformer, volumes: this.volumeInformer, classes: this.classInformer, pods: this.podInformer, nodes: this.cache.nodes };
    this.profile = profile ?? defaultProfile(client, this.lister, { lister: volumeLister(volumes), writer: volumeWriter(client) });
    this.finder = new NodeFinder(this.profile, this.cfg.percentageOfNodesToScore, this.nominator, () => this.lister.podDisruptionBudgets());
    this.events = new SchedulerEvents(client, this.cfg);
  }

  /** The nodes the scheduler knows, with the pods bound or assumed there. */
  get nodes(): ReadonlyMap<string, NodeInfo> {
    return this.cache.nodes;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  async start(): Promise<void> {
    this.nodeInformer.on({
      add: (n) => this.upsertNode(n),
      update: (n) => this.upsertNode(n),
      delete: (n) => {
        this.nodeSignatures.delete(n.metadata!.name!);
        this.removeNode(n.metadata!.name!);
      },
    });
    this.podInformer.on({ add: (p) => this.onPod(p), update: (p, old) => this.onPod(p, old), delete: (p) => this.onPodDeleted(p) });
    // A claim, volume or class that comes or changes may make a waiting pod schedulable.
    const retry = () => this.queue.moveAllToActiveOrBackoff();
    for (const inf of [this.claimInformer, this.volumeInformer, this.classInformer] as Informer[]) inf.on({ add: retry, update: retry, delete: retry });
    this.nodeInformer.start();
    this.podInformer.start();
    for (const inf of [this.claimInformer, this.volumeInformer, this.classInformer] as Informer[]) inf.start();
    await Promise.all([this.nodeInformer.hasSynced(), this.podInformer.hasSynced(), this.lister.start(), this.claimInformer.hasSynced(), this.volumeInformer.hasSynced(), this.classInformer.hasSynced()]);
    this.handlersSynced = true;
    if (!this.cfg.leaderElect) {
      this.startLeading();
      return;
    }
    this.elector = new LeaderElector(this.client, {
      namespace: 'kube-system',
      name: 'kube-scheduler',
      identity: this.cfg.identity ?? defaultIdentity(),
      leaseDurationSec: this.cfg.leaseDurationSec,
      renewDeadlineSec: this.cfg.renewDeadlineSec,
      retryPeriodSec: this.cfg.retryPeriodSec,
      onStartedLeading: () => this.startLeading(),
      onStoppedLeading: () => {
        this.leading = false;
        if (!this.stopped) this.cfg.onLeadershipLost?.();
      },
    });
    this.elector.start();
  }

  /**
   * kube-scheduler 1.32's health checks (cmd/kube-scheduler/app/server.go Run): /healthz has the
   * leader election watchdog (NewLeaderHealthzAdaptor(20 s), with leader election on), /livez none
   * (the ping check alone), /readyz the watchdog, shutdown, and sched-handler-sync, healthy once
   * the informers' first lists are handled.
   */
  healthChecks(): { healthz: HealthCheck[]; livez: HealthCheck[]; readyz: HealthCheck[] } {
    const watchdog: HealthCheck[] = this.cfg.leaderElect ? [{ name: 'leaderElection', check: () => this.elector?.check(LEADER_WATCHDOG_MS) }] : [];
    const shutdown: HealthCheck = {
      name: 'shutdown',
      check: () => {
        if (this.stopped) throw new Error('process is shutting down');
      },
    };
    const handlerSync: HealthCheck = {
      name: 'sched-handler-sync',
      check: () => {
        if (!this.handlersSynced) throw new Error('handlers are not fully synchronized');
      },
    };
    return { healthz: watchdog, livez: [], readyz: [...watchdog, shutdown, handlerSync] };
  }

  /** Stops scheduling; `release` gives up the lease at once (a crash would not). */
  async stop(release = true): Promise<void> {
    this.stopped = true;
    this.leading = false;
    this.queue.close();
    this.events.stop();
    await this.elector?.stop(release);
    this.podInformer.stop();
    this.nodeInformer.stop();
    this.lister.stop();
    for (const inf of [this.claimInformer, this.volumeInformer, this.classInformer] as Informer[]) inf.stop();
  }

  private startLeading(): void {
    this.leading = true;
    log.info('scheduling as leader', { nodes: this.cache.nodes.size });
    if (!this.running) void this.loop();
  }

  private removeNode(name: string): void {
    this.cache.removeNode(name);
  }

  /**
   * A node added, or changed in what scheduling reads (NodeSchedulingPropertiesChange: cordon,
   * allocatable, labels, taints, annotations, conditions' statuses), sends the waiting pods back
   * to the queue; a status post that only moves heartbeats does not.
   */
  private upsertNode(n: Node & KubeObject): void {
    this.cache.upsertNode(n);
    const name = n.metadata!.name!;
    const sig = JSON.stringify([n.spec?.unschedulable ?? false, n.status?.allocatable ?? {}, n.metadata?.labels ?? {}, n.spec?.taints ?? [], n.metadata?.annotations ?? {}, (n.status?.conditions ?? []).map((c) => [c.type, c.status])]);
    if (this.nodeSignatures.get(name) === sig) return;
    this.nodeSignatures.set(name, sig);
    this.queue.moveAllToActiveOrBackoff();
  }
  private readonly nodeSignatures = new Map<string, string>();

  private responsible(p: Pod): boolean {
    return (p.spec?.schedulerName ?? 'default-scheduler') === this.cfg.schedulerName;
  }

  private onPod(p: Pod & KubeObject, old?: Pod): void {
    const nodeName = p.spec?.nodeName;
    const terminal = isPodTerminal(p);
    this.nominator.set(p, nodeName || p.metadata?.deletionTimestamp ? undefined : p.status?.nominatedNodeName);
    if (nodeName) {
      // Bound (by us or anyone): account for it on its node; an assumed pod is now confirmed.
      const counted = this.cache.nodes.get(nodeName)?.pods.has(podKey(p)) ?? false;
      const newlyBound = this.cache.podBound(p, nodeName, terminal);
      this.queue.delete(p);
      // A pod newly on a node, or one there whose labels changed (AssignedPodUpdated with
      // UpdatePodLabel), can satisfy pending pods' pod affinity or even out their spread.
      const relabelled = !!old && !deepEqual(old.metadata?.labels ?? {}, p.metadata?.labels ?? {});
      if ((newlyBound || relabelled) && !terminal) this.queue.moveToActiveOrBackoffIf(waitsForOtherPods);
      // One that has just ended frees its node's room: kube-scheduler's pod informer watches only
      // pods not Succeeded or Failed, so it sees this as the pod's deletion (AssignedPodDelete) and
      // sends the waiting pods back at once, not at the next unschedulable flush.
      if (terminal && counted) this.queue.moveAllToActiveOrBackoff();
      return;
    }
    if (!this.responsible(p) || p.metadata?.deletionTimestamp || terminal) {
      this.gated.delete(podKey(p));
      return;
    }
    if (this.cache.isAssumed(p)) return; // bind in flight
    // The SchedulingGates PreEnqueue plugin: a gated pod waits outside the queue until its gates are removed.
    if (p.spec?.schedulingGates?.length) {
      this.gated.add(podKey(p));
      this.queue.delete(p);
      return;
    }
    this.gated.delete(podKey(p));
    // (an update only to its status — our own PodScheduled=False among them — leaves a parked pod parked)
    this.queue.add(p, !old || isPodUpdated(old, p));
  }

  private onPodDeleted(p: Pod & KubeObject): void {
    this.gated.delete(podKey(p));
    this.nominator.set(p, undefined);
    this.cache.podDeleted(p);
    this.queue.delete(p);
    this.queue.moveAllToActiveOrBackoff();
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (!this.stopped) {
        const c = this.queue.counts;
        pendingPods.set({ queue: 'active' }, c.active);
        pendingPods.set({ queue: 'backoff' }, c.backoff);
        pendingPods.set({ queue: 'unschedulable' }, c.unschedulable);
        pendingPods.set({ queue: 'gated' }, this.gated.size);
        const item = await this.queue.pop();
        if (this.stopped) return;
        if (!this.leading) {
          // Not the leader (any more): hand it back and wait.
          this.queue.retryLater(item.pod);
          await new Promise((r) => setTimeout(r, 500));
          continue;
        }
        await this.waitForBindSlot();
        this.scheduleOne(item.pod, item.firstSeen, item.attempts + 1);
      }
    } finally {
      this.running = false;
    }
  }

  private waitForBindSlot(): Promise<void> {
    if (this.bindsInFlight < this.cfg.parallelBinds) return Promise.resolve();
    return new Promise((r) => this.bindSlots.push(r));
  }

  /** One scheduling cycle (synchronous), then the bind (asynchronous); `attempt` counts this one. */
  scheduleOne(queued: Pod, firstSeen: number, attempt = 1): void {
    const key = podKey(queued);
    const pod = (this.podInformer.get(key) as Pod | undefined) ?? queued;
    if (pod.spec?.nodeName || pod.metadata?.deletionTimestamp) {
      this.queue.done(pod);
      return;
    }
    const started = performance.now();
    const state = new CycleState();
    const result = this.findNode(state, pod);
    if (typeof result !== 'string') {
      podNotScheduled(result.code === Code.Error ? 'error' : 'unschedulable', this.cfg.schedulerName, (performance.now() - started) / 1000);
      const message = result.reasons[0] ?? 'no nodes available to schedule pods';
      if (result.code === Code.Error) this.queue.retryLater(pod);
      else this.queue.unschedulableAgain(pod);
      void this.events.unschedulable(pod, message);
      const preemption = state.read(postFilterKey);
      if (preemption) void prepareCandidate({ client: this.client, schedulerName: this.cfg.schedulerName, nominator: this.nominator, event: this.event }, pod, preemption);
      return;
    }
    const node = result;
    // (SchedulingAlgorithmLatency: the algorithm of an attempt that found a node, as schedulingCycle records it)
    schedulingAlgorithmDuration.observe((performance.now() - started) / 1000);
    this.cache.assume(pod, node);
    for (const r of this.profile.reserve) r.reserve(state, pod, node);
    this.bindsInFlight++;
    void bindPod({ profile: this.profile, queue: this.queue, cfg: this.cfg, forget: (p, n) => this.cache.forget(p, n), event: this.event }, state, pod, node, firstSeen, { started, attempt }).finally(() => {
      this.bindsInFlight--;
      this.bindSlots.shift()?.();
    });
  }

  /** Filter and score: the chosen node's name, or a Status saying why none fits. */
  findNode(state: CycleState, pod: Pod): string | Status {
    return this.finder.find(state, pod, this.cache.nodes, this.cache.nodeList());
  }

  private readonly event = (pod: Pod, type: string, reason: string, message: string, related?: Pod): void => this.events.event(pod, type, reason, message, undefined, related);
}

/** The pod's placement depends on other pods (pod affinity, topology spread). */
const waitsForOtherPods = (p: Pod): boolean => !!(p.spec?.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length || p.spec?.topologySpreadConstraints?.length);
