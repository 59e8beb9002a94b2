// The scheduler: informers keep a cache of nodes and pods; pending pods go through the scheduling
// queue and the framework's plugins; the chosen pod is assumed on its node at once (so the next
// pod sees the capacity) and bound asynchronously through pods/<name>/binding; a failed bind
// forgets it. Only the holder of the kube-system/kube-scheduler Lease schedules.
import type { KubeObject, Node, Pod } from '../api/types.js';
import { Informer } from '../client/informer.js';
import { LeaderElector, defaultIdentity } from '../client/leader-election.js';
import type { ApiClient } from '../client/api-client.js';
import { Events, Nodes, Pods, StatusError } from '../client/rest-client.js';
import { logger } from '../util/log.js';
import { EventSink } from '../client/event-sink.js';
import { newEvent } from '../client/events.js';
import { Code, CycleState, runFilters, StateKey, Status, type FilterPlugin, type PostFilterHandle, type PostFilterResult, type Profile } from './framework.js';
import { PREEMPTION_REASON, podPriority } from './preemption.js';
import { attemptDuration, eventsDropped, pendingPods, scheduleAttempts, schedulingSli } from './metrics.js';
import { NodeInfo, podKey } from './node-info.js';
import { defaultProfile } from './profile.js';
import { SchedulingQueue, defaultQueueOptions, type QueueOptions } from './queue.js';
import { rfc3339Now } from '../util/time.js';

const log = logger('scheduler');

/** Where findNode leaves a PostFilter's (preemption's) answer for scheduleOne to act on. */
const postFilterKey = new StateKey<PostFilterResult>('PostFilterResult');

export interface SchedulerConfig {
  schedulerName: string;
  leaderElect: boolean;
  leaseDurationSec: number;
  renewDeadlineSec: number;
  retryPeriodSec: number;
  /** kube-scheduler's percentageOfNodesToScore; 0 means adaptive. */
  percentageOfNodesToScore: number;
  /** Binds in flight at once. */
  parallelBinds: number;
  /** Emit Scheduled events (FailedScheduling events are always emitted). */
  scheduledEvents: boolean;
  queue: QueueOptions;
  identity?: string;
}

export const defaultSchedulerConfig: SchedulerConfig = {
  schedulerName: 'default-scheduler',
  leaderElect: true,
  leaseDurationSec: 15,
  renewDeadlineSec: 10,
  retryPeriodSec: 2,
  percentageOfNodesToScore: 0,
  parallelBinds: 32,
  scheduledEvents: true,
  queue: defaultQueueOptions,
};


/** How many feasible nodes to find before scoring (kube-scheduler's numFeasibleNodesToFind). */
export function numFeasibleNodesToFind(total: number, percentage: number): number {
  const minFeasible = 100;
  if (total < minFeasible) return total;
  let pct = percentage;
  if (pct <= 0) pct = Math.max(5, 50 - Math.floor(total / 125));
  return Math.max(minFeasible, Math.floor((total * pct) / 100));
}

/** `0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu.` */
export function failureMessage(total: number, statuses: Map<string, Status>): string {
  const counts = new Map<string, number>();
  for (const st of statuses.values()) for (const r of st.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  const parts = [...counts.entries()].map(([r, n]) => `${n} ${r}`).sort();
  return `0/${total} nodes are available: ${parts.join(', ')}.`;
}

export class Scheduler {
  readonly nodes = new Map<string, NodeInfo>();
  /** `nodes` as an array, rebuilt only when a node comes or goes (not once per pod). */
  private nodeList: NodeInfo[] | undefined;
  /** podKey → node, for pods assumed but not yet seen bound. */
  private assumed = new Map<string, string>();
  /**
   * Pending pods nominated to a node (status.nominatedNodeName, set when they preempted pods
   * there), by node: filtering a pod of lower or equal priority counts them as if placed, so
   * the room their victims free is kept for them.
   */
  private nominated = new Map<string, Map<string, Pod>>();
  private podInformer: Informer<Pod & KubeObject>;
  private nodeInformer: Informer<Node & KubeObject>;
  private queue: SchedulingQueue;
  private elector: LeaderElector | undefined;
  private leading = false;
  private running = false;
  private stopped = false;
  private bindsInFlight = 0;
  private bindSlots: (() => void)[] = [];
  private nextStart = 0;
  private failedEvents = new Map<string, { name: string; count: number }>();
  private readonly events = new EventSink(1000, () => eventsDropped.inc());
  readonly cfg: SchedulerConfig;

  constructor(private readonly client: ApiClient, cfg: Partial<SchedulerConfig> = {}, private readonly profile: Profile = defaultProfile(client)) {
    this.cfg = { ...defaultSchedulerConfig, ...cfg };
    this.queue = new SchedulingQueue(this.cfg.queue);
    this.podInformer = new Informer(client, Pods);
    this.nodeInformer = new Informer(client, Nodes);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  async start(): Promise<void> {
    this.nodeInformer.on({
      add: (n) => this.upsertNode(n),
      update: (n) => this.upsertNode(n),
      delete: (n) => this.removeNode(n.metadata!.name!),
    });
    this.podInformer.on({ add: (p) => this.onPod(p), update: (p) => this.onPod(p), delete: (p) => this.onPodDeleted(p) });
    this.nodeInformer.start();
    this.podInformer.start();
    await Promise.all([this.nodeInformer.hasSynced(), this.podInformer.hasSynced()]);
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
      },
    });
    this.elector.start();
  }

  /** Stops scheduling; `release` gives up the lease at once (a crash would not). */
  async stop(release = true): Promise<void> {
    this.stopped = true;
    this.leading = false;
    this.queue.close();
    await this.elector?.stop(release);
    this.podInformer.stop();
    this.nodeInformer.stop();
  }

  private startLeading(): void {
    this.leading = true;
    log.info('scheduling as leader', { nodes: this.nodes.size });
    if (!this.running) void this.loop();
  }

  private removeNode(name: string): void {
    this.nodes.delete(name);
    this.nodeList = undefined;
  }

  private upsertNode(n: Node & KubeObject): void {
    const name = n.metadata!.name!;
    const info = this.nodes.get(name);
    if (info) info.setNode(n);
    else {
      this.nodes.set(name, new NodeInfo(n));
      this.nodeList = undefined;
    }
    this.queue.moveAllToActiveOrBackoff();
  }

  private responsible(p: Pod): boolean {
    return (p.spec?.schedulerName ?? 'default-scheduler') === this.cfg.schedulerName;
  }

  private onPod(p: Pod & KubeObject): void {
    const key = podKey(p);
    const nodeName = p.spec?.nodeName;
    const terminal = p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
    this.setNominated(p, nodeName || p.metadata?.deletionTimestamp ? undefined : p.status?.nominatedNodeName);
    if (nodeName) {
      // Bound (by us or anyone): account for it on its node; an assumed pod is now confirmed.
      const was = this.assumed.get(key);
      if (was && was !== nodeName) this.nodes.get(was)?.removePod(key);
      this.assumed.delete(key);
      const info = this.nodes.get(nodeName);
      if (terminal) info?.removePod(key);
      else info?.addPod(p, false);
      this.queue.delete(p);
      return;
    }
    if (!this.responsible(p) || p.metadata?.deletionTimestamp || terminal) return;
    if (this.assumed.has(key)) return; // bind in flight
    this.queue.add(p);
  }

  private onPodDeleted(p: Pod & KubeObject): void {
    const key = podKey(p);
    this.setNominated(p, undefined);
    const node = p.spec?.nodeName ?? this.assumed.get(key);
    if (node) this.nodes.get(node)?.removePod(key);
    this.assumed.delete(key);
    this.queue.delete(p);
    this.queue.moveAllToActiveOrBackoff();
  }

  /** Records (or, with no node, forgets) the node a pending pod is nominated to. */
  private setNominated(p: Pod, node: string | undefined): void {
    const key = podKey(p);
    for (const [n, pods] of this.nominated) {
      if (n === node || !pods.delete(key)) continue;
      if (!pods.size) this.nominated.delete(n);
    }
    if (!node) return;
    let pods = this.nominated.get(node);
    if (!pods) this.nominated.set(node, (pods = new Map()));
    pods.set(key, p);
  }

  /** Pods nominated to `node` that `pod` must leave room for: of its priority or higher, not itself. */
  private nominatedFor(node: string, pod: Pod): Pod[] {
    const pods = this.nominated.get(node);
    if (!pods) return [];
    const key = podKey(pod);
    const prio = podPriority(pod);
    return [...pods.entries()].filter(([k, p]) => k !== key && podPriority(p) >= prio).map(([, p]) => p);
  }

  /**
   * A node's filter verdict with the pods nominated to it counted as placed, then without them
   * (kube-scheduler's RunFilterPluginsWithNominatedPods): both must pass.
   */
  private filterWithNominated(filters: FilterPlugin[], state: CycleState, pod: Pod, n: NodeInfo): Status {
    const nominated = this.nominated.size ? this.nominatedFor(n.name, pod) : [];
    if (nominated.length) {
      const s = state.clone();
      const c = n.clone();
      for (const p of nominated) {
        c.addPod(p, true);
        for (const pl of this.profile.preFilter) if (!s.skipFilter.has(pl.name)) pl.preFilterExtensions?.addPod(s, pod, p, c);
      }
      const st = runFilters(filters, s, pod, c);
      if (!st.ok) return st;
    }
    return runFilters(filters, state, pod, n);
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (!this.stopped) {
        const c = this.queue.counts;
        pendingPods.set({ queue: 'active' }, c.active);
        pendingPods.set({ queue: 'backoff' }, c.backoff);
        pendingPods.set({ queue: 'unschedulable' }, c.unschedulable);
        const item = await this.queue.pop();
        if (this.stopped) return;
        if (!this.leading) {
          // Not the leader (any more): hand it back and wait.
          this.queue.retryLater(item.pod);
          await new Promise((r) => setTimeout(r, 500));
          continue;
        }
        await this.waitForBindSlot();
        this.scheduleOne(item.pod, item.firstSeen);
      }
    } finally {
      this.running = false;
    }
  }

  private waitForBindSlot(): Promise<void> {
    if (this.bindsInFlight < this.cfg.parallelBinds) return Promise.resolve();
    return new Promise((r) => this.bindSlots.push(r));
  }

  /** One scheduling cycle (synchronous), then the bind (asynchronous). */
  scheduleOne(queued: Pod, firstSeen: number): void {
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
      attemptDuration.observe({ result: result.code === Code.Error ? 'error' : 'unschedulable' }, (performance.now() - started) / 1000);
      scheduleAttempts.inc({ result: result.code === Code.Error ? 'error' : 'unschedulable', profile: this.cfg.schedulerName });
      const message = result.reasons[0] ?? 'no nodes available to schedule pods';
      if (result.code === Code.Error) this.queue.retryLater(pod);
      else this.queue.unschedulableAgain(pod);
      void this.reportUnschedulable(pod, message);
      const preemption = state.read(postFilterKey);
      if (preemption) void this.preempt(pod, preemption);
      return;
    }
    const node = result;
    // Assume: the next cycle sees this pod's requests on the node before the bind returns.
    const assumedPod: Pod = { ...pod, spec: { ...pod.spec!, nodeName: node } };
    this.nodes.get(node)?.addPod(assumedPod, true);
    this.assumed.set(key, node);
    for (const r of this.profile.reserve) r.reserve(state, pod, node);
    attemptDuration.observe({ result: 'scheduled' }, (performance.now() - started) / 1000);
    this.bindsInFlight++;
    void this.bind(state, pod, node, firstSeen).finally(() => {
      this.bindsInFlight--;
      this.bindSlots.shift()?.();
    });
  }

  /** Filter and score: the chosen node's name, or a Status saying why none fits. */
  findNode(state: CycleState, pod: Pod): string | Status {
    const p = this.profile;
    const all = (this.nodeList ??= [...this.nodes.values()]);
    for (const pl of p.preFilter) {
      const st = pl.preFilter(state, pod, all);
      if (st.code === Code.Skip) state.skipFilter.add(pl.name);
      else if (!st.ok) return new Status(st.code, [`0/${this.nodes.size} nodes are available: ${st.reasons.join(', ')}.`], pl.name);
    }
    if (!all.length) return Status.unschedulable('', 'no nodes available to schedule pods');
    const want = numFeasibleNodesToFind(all.length, this.cfg.percentageOfNodesToScore);
    const filters = p.filter.filter((pl) => !state.skipFilter.has(pl.name));
    const feasible: NodeInfo[] = [];
    const statuses = new Map<string, Status>();
    const start = this.nextStart % all.length;
    let visited = 0;
    for (let i = 0; i < all.length && feasible.length < want; i++) {
      const n = all[(start + i) % all.length]!;
      visited++;
      const st = this.filterWithNominated(filters, state, pod, n);
      if (st.ok) feasible.push(n);
      else statuses.set(n.name, st);
    }
    this.nextStart = start + visited;
    if (!feasible.length) {
      const handle: PostFilterHandle = { nodes: this.nodes, nodeList: all, preFilter: p.preFilter, filter: filters, nominated: (node, pod) => this.nominatedFor(node, pod) };
      for (const pl of p.postFilter) {
        const res = pl.postFilter(state, pod, statuses, handle);
        if (res) {
          state.write(postFilterKey, res);
          break;
        }
      }
      return new Status(Code.Unschedulable, [failureMessage(all.length, statuses)]);
    }
    if (feasible.length === 1) return feasible[0]!.name;
    for (const pl of p.preScore) pl.preScore(state, pod, feasible);
    // Totals by position in `feasible` (scores keep that order). The score list handed to
    // each plugin is reused across plugins and cycles: hundreds of nodes are scored per pod.
    const totals = new Float64Array(feasible.length);
    const scores = this.scoreBuffer(feasible.length);
    for (const pl of p.score) {
      if (state.skipScore.has(pl.name)) continue;
      for (let i = 0; i < feasible.length; i++) {
        const s = scores[i]!;
        s.node = feasible[i]!.name;
        s.score = pl.score(state, pod, feasible[i]!);
      }
      pl.normalizeScore?.(state, pod, scores);
      for (let i = 0; i < scores.length; i++) totals[i]! += scores[i]!.score * pl.weight;
    }
    let bestScore = -Infinity;
    let ties = 0;
    let chosen = 0;
    for (let i = 0; i < totals.length; i++) {
      const score = totals[i]!;
      if (score > bestScore) {
        bestScore = score;
        chosen = i;
        ties = 1;
      } else if (score === bestScore && Math.random() * ++ties < 1) chosen = i; // uniform among ties (reservoir)
    }
    return feasible[chosen]!.name;
  }

  private scoreBuf: { node: string; score: number }[] = [];

  private scoreBuffer(n: number): { node: string; score: number }[] {
    while (this.scoreBuf.length < n) this.scoreBuf.push({ node: '', score: 0 });
    this.scoreBuf.length = n;
    return this.scoreBuf;
  }

  private async bind(state: CycleState, pod: Pod, node: string, firstSeen: number): Promise<void> {
    const key = podKey(pod);
    let st: Status = Status.error('', 'no bind plugin');
    for (const pl of this.profile.bind) {
      st = await pl.bind(pod, node);
      if (st.code !== Code.Skip) break;
    }
    if (st.ok) {
      this.queue.done(pod);
      scheduleAttempts.inc({ result: 'scheduled', profile: this.cfg.schedulerName });
      schedulingSli.observe((Date.now() - firstSeen) / 1000);
      if (this.cfg.scheduledEvents) this.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${key} to ${node}`);
      return;
    }
    // Forget the assumption; retry later unless someone else bound it.
    for (const r of this.profile.reserve) r.unreserve(state, pod, node);
    if (this.assumed.get(key) === node) {
      this.assumed.delete(key);
      this.nodes.get(node)?.removePod(key);
    }
    scheduleAttempts.inc({ result: 'error', profile: this.cfg.schedulerName });
    log.warn('bind failed', { pod: key, node, reason: st.reasons.join('; ') });
    if (st.code === Code.UnschedulableAndUnresolvable) this.queue.done(pod);
    else this.queue.retryLater(pod);
  }

  /**
   * Acts on preemption's dry run, as kube-scheduler's prepareCandidate: the pod is nominated to
   * the node (it is retried when the victims are gone), each victim gets a DisruptionTarget
   * condition, a Preempted event and a graceful delete, and pods of lower priority nominated to
   * that node lose their nomination.
   */
  private async preempt(pod: Pod, res: PostFilterResult): Promise<void> {
    const key = podKey(pod);
    const node = res.nominatedNode;
    log.info('preempting', { pod: key, node, victims: res.victims.map(podKey) });
    const prio = podPriority(pod);
    const displaced = [...(this.nominated.get(node)?.values() ?? [])].filter((p) => podKey(p) !== key && podPriority(p) < prio);
    this.setNominated(pod, node);
    const setNomination = (p: Pod, to: string | null) =>
      this.client.patch(Pods, p.metadata!.namespace!, p.metadata!.name!, { status: { nominatedNodeName: to } }, 'merge', 'status').catch((e) => {
        if (!(e instanceof StatusError && e.code === 404)) log.warn('could not set nominatedNodeName', { pod: podKey(p), err: e });
      });
    await setNomination(pod, node);
    await Promise.all(
      res.victims.map(async (v) => {
        const ns = v.metadata!.namespace!;
        const name = v.metadata!.name!;
        const conditions = (v.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget');
        conditions.push({ type: 'DisruptionTarget', status: 'True', reason: PREEMPTION_REASON, message: `${this.cfg.schedulerName}: preempting to accommodate a higher priority pod`, lastProbeTime: undefined, lastTransitionTime: rfc3339Now() });
        try {
          await this.client.patch(Pods, ns, name, { status: { conditions } }, 'merge', 'status');
          await this.client.delete(Pods, ns, name, { preconditions: { uid: v.metadata!.uid } });
          this.event(v, 'Normal', 'Preempted', `Preempted by pod ${pod.metadata?.uid} on node ${node}`);
        } catch (e) {
          if (!(e instanceof StatusError && (e.code === 404 || e.code === 409))) log.warn('could not preempt', { victim: `${ns}/${name}`, err: e });
        }
      }),
    );
    for (const p of displaced) {
      this.setNominated(p, undefined);
      await setNomination(p, null);
    }
  }

  private async reportUnschedulable(pod: Pod, message: string): Promise<void> {
    const key = podKey(pod);
    const ns = pod.metadata!.namespace!;
    const name = pod.metadata!.name!;
    const cond = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (!cond || cond.status !== 'False' || cond.message !== message) {
      const conditions = (pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
      conditions.push({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: undefined, lastTransitionTime: rfc3339Now() });
      await this.client.patch(Pods, ns, name, { status: { conditions } }, 'merge', 'status').catch((e) => {
        if (!(e instanceof StatusError && e.code === 404)) log.warn('could not set PodScheduled=False', { pod: key, err: e });
      });
    }
    this.event(pod, 'Warning', 'FailedScheduling', message);
  }

  /** Events, best effort: queued to one writer (see EventSink); a flood of them must not slow binds. */
  private event(pod: Pod, type: string, reason: string, message: string): void {
    const ns = pod.metadata!.namespace!;
    const dedup = `${podKey(pod)}/${reason}`;
    this.events.enqueue(async () => {
      const now = rfc3339Now();
      try {
        const prev = reason === 'FailedScheduling' ? this.failedEvents.get(dedup) : undefined;
        if (prev) {
          prev.count++;
          await this.client.patch(Events, ns, prev.name, { count: prev.count, lastTimestamp: now, message }, 'merge');
          return;
        }
        const ev = await this.client.create(Events, ns, newEvent(pod as KubeObject, { component: this.cfg.schedulerName, instance: this.cfg.identity ?? defaultIdentity() }, type, reason, message));
        if (reason === 'FailedScheduling') this.failedEvents.set(dedup, { name: ev.metadata!.name!, count: 1 });
      } catch (e) {
        if (reason === 'FailedScheduling') this.failedEvents.delete(dedup);
        log.debug('event not recorded', { err: e });
      }
    });
  }
}

