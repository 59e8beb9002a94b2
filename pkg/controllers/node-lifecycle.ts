// The node lifecycle controller: a node whose Lease has not been renewed for the grace period
// (40 s) gets Ready=Unknown and the taint node.kubernetes.io/unreachable:NoExecute (not-ready
// when Ready=False); pods on it are marked not ready, and evicted once their toleration of the
// taint runs out (DefaultTolerationSeconds gives 300 s). When the node reports Ready again the
// taint goes. As the taint eviction controller, any NoExecute taint of a node, Ready or not (one
// a user set too), evicts the pods that do not tolerate it, those with tolerationSeconds once
// they have run out. As TaintNodesByCondition, a node reporting MemoryPressure, DiskPressure or
// PIDPressure gets the matching node.kubernetes.io/*-pressure:NoSchedule taint (at once, on the
// node's update), removed when the condition goes back to False.
import type { KubeObject } from '../api/types.js';
import { Informer } from '../client/informer.js';
import type { ApiClient } from '../client/api-client.js';
import { isNotFound, Nodes, Pods, StatusError } from '../client/rest-client.js';
import { logger } from '../util/log.js';
import { recordEvent } from '../client/events.js';
import { rfc3339 } from '../util/time.js';
import { isTerminalPhase } from '../api/pod-phase.js';
import { recordNodeEviction, recordTaintEvictionDeletion, recordZones, updateAllNodesHealthDuration, updateNodeHealthDuration } from './node-lifecycle-metrics.js';

const log = logger('node-lifecycle');


export const unreachableTaint = 'node.kubernetes.io/unreachable';
export const notReadyTaint = 'node.kubernetes.io/not-ready';

/** The NoSchedule taint of each pressure condition (part of Kubernetes' nodeConditionToTaintKeyStatusMap). */
export const PRESSURE_TAINTS: Record<string, string> = {
  MemoryPressure: 'node.kubernetes.io/memory-pressure',
  DiskPressure: 'node.kubernetes.io/disk-pressure',
  PIDPressure: 'node.kubernetes.io/pid-pressure',
};
export const unschedulableTaint = 'node.kubernetes.io/unschedulable';
/** nodeConditionToTaintKeyStatusMap: the NoSchedule taint of a condition in a status. */
const CONDITION_TAINTS: Record<string, Record<string, string>> = {
  Ready: { False: notReadyTaint, Unknown: unreachableTaint },
  MemoryPressure: { True: PRESSURE_TAINTS.MemoryPressure! },
  DiskPressure: { True: PRESSURE_TAINTS.DiskPressure! },
  NetworkUnavailable: { True: 'node.kubernetes.io/network-unavailable' },
  PIDPressure: { True: PRESSURE_TAINTS.PIDPressure! },
};
const noScheduleKeys = new Set([unschedulableTaint, ...Object.values(CONDITION_TAINTS).flatMap((m) => Object.values(m))]);

/**
 * doNoScheduleTaintingPass: `current` with the NoSchedule taints the node's conditions call for
 * (not-ready, unreachable, pressure, network-unavailable) and node.kubernetes.io/unschedulable
 * while it is cordoned, and none of those it does not call for; others kept as they are.
 */
export function conditionTaints(current: Taint[], conditions: Condition[], now: number, unschedulable = false): Taint[] {
  const want = new Set(conditions.map((c) => CONDITION_TAINTS[c.type]?.[c.status]).filter((k): k is string => !!k));
  if (unschedulable) want.add(unschedulableTaint);
  const kept = current.filter((t) => !(noScheduleKeys.has(t.key) && t.effect === 'NoSchedule' && !want.has(t.key)));
  for (const key of want) if (!kept.some((t) => t.key === key && t.effect === 'NoSchedule')) kept.push({ key, effect: 'NoSchedule', timeAdded: rfc3339(now) });
  return kept;
}

interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

export interface NodeLifecycleConfig {
  gracePeriodMs: number;
  monitorPeriodMs: number;
  /** How long a node that never posted a Ready condition is given from its creation (--node-startup-grace-period, 60 s). */
  startupGracePeriodMs?: number;
  now?: () => number;
}


/** Whether a toleration matches a taint (Kubernetes' ToleratesTaint). */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.operator === 'Exists') return !t.key || t.key === taint.key;
  return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
}

/**
 * How long a pod on a node with these NoExecute taints may stay: undefined if it tolerates them
 * all forever, otherwise the shortest tolerationSeconds in ms (0: it must go now). As the taint
 * eviction controller's processPodOnNode, the time counts from when the pod was first seen under
 * them, not from the taints' timeAdded.
 */
export function tolerationMs(taints: Taint[], tolerations: Toleration[]): number | undefined {
  let min: number | undefined;
  for (const taint of taints) {
    if (taint.effect !== 'NoExecute') continue;
    // (the first toleration that matches a taint is the one used, as GetMatchingTolerations picks it)
    const used = tolerations.find((t) => tolerates(t, taint));
    if (!used) return 0;
    if (used.tolerationSeconds === undefined || used.tolerationSeconds === null) continue; // tolerated for ever
    const ms = Math.max(0, used.tolerationSeconds) * 1000;
    min = min === undefined ? ms : Math.min(min, ms);
  }
  return min;
}

/** A zone's state (ComputeZoneState): every node not Ready is a full disruption; more than 2 and at least 55% a partial one. */
/**
 * What the controller's events about a Node refer to: recordNodeEvent and RecordNodeStatusChange
 * build the ObjectReference by hand (apiVersion v1, kind Node, name, uid), without the
 * resourceVersion that an object's own reference carries.
 */
export function nodeEventRef(node: KubeObject): KubeObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name: node.metadata?.name, uid: node.metadata?.uid } } as KubeObject;
}

export function zoneState(readyStatuses: string[]): 'Normal' | 'PartialDisruption' | 'FullDisruption' {
  const notReady = readyStatuses.filter((s) => s !== 'True').length;
  if (notReady > 0 && notReady === readyStatuses.length) return 'FullDisruption';
  if (notReady > 2 && notReady / readyStatuses.length >= UNHEALTHY_ZONE_THRESHOLD) return 'PartialDisruption';
  return 'Normal';
}
const UNHEALTHY_ZONE_THRESHOLD = 0.55;
/** Zones of more nodes than this keep tainting, slowly, in a partial disruption (largeClusterThreshold); smaller ones stop. */
const LARGE_CLUSTER_THRESHOLD = 50;

/** The zone a node is in (GetZoneKey: region and zone labels; "" with neither). */
const zoneOf = (n: KubeObject) => {
  const l = n.metadata?.labels ?? {};
  const region = l['topology.kubernetes.io/region'] ?? l['failure-domain.beta.kubernetes.io/region'] ?? '';
  const zone = l['topology.kubernetes.io/zone'] ?? l['failure-domain.beta.kubernetes.io/zone'] ?? '';
  return region || zone ? `${region}:\0:${zone}` : '';
};

export class NodeLifecycleController {
  private nodes: Informer;
  private leases: Informer;
  private pods: Informer;
  private probe = new Map<string, { leaseRv: string; heartbeat: string; at: number; node: KubeObject }>();
  /** Pods under NoExecute taints they tolerate for a while: when each was first seen so (the taint eviction queue's CreatedAt). */
  private scheduled = new Map<string, { since: number; pod: KubeObject }>();
  /** Whether every node is not Ready (the "master disruption mode": no taint-based eviction). */
  private allDisrupted = false;
  /** The zones of the last pass (zoneStates' keys), whose gauges go to empty when they are gone. */
  private zones = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private now: () => number;

  constructor(private readonly client: ApiClient, private readonly cfg: NodeLifecycleConfig) {
    this.now = cfg.now ?? Date.now;
    this.nodes = new Informer(client, Nodes);
    this.leases = new Informer(client, { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespaced: true }, { namespace: 'kube-node-lease' });
    this.pods = new Informer(client, Pods);
  }

  async start(): Promise<void> {
    this.nodes.start();
    this.leases.start();
    this.pods.start();
    await Promise.all([this.nodes.hasSynced(), this.leases.hasSynced(), this.pods.hasSynced()]);
    if (this.stopped) return; // (stopped while listing: no monitor pass, no eviction)
    const onNode = (n: KubeObject) => {
      void this.taintByConditions(n).catch((e) => log.warn('tainting by conditions failed', { node: n.metadata?.name, err: e }));
      void this.evictOn(n.metadata?.name);
    };
    this.nodes.on({ add: onNode, update: onNode });
    // (a pod bound to a node with NoExecute taints is judged when it arrives there, or its tolerations change)
    const onPod = (p: KubeObject) => {
      const nodeName = (p.spec as { nodeName?: string } | undefined)?.nodeName;
      if (nodeName && !p.metadata?.deletionTimestamp && !this.evicting.has(p.metadata?.uid ?? '')) void this.evictOn(nodeName);
    };
    this.pods.on({ add: onPod, update: onPod });
    const tick = async () => {
      try {
        await this.monitor();
      } catch (e) {
        log.warn('monitor pass failed', { err: e });
      }
      if (!this.stopped) this.timer = setTimeout(() => void tick(), this.cfg.monitorPeriodMs);
    };
    void tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    this.nodes.stop();
    this.leases.stop();
    this.pods.stop();
  }

  /** One pass over every node: health, zone disruption, taints, pod readiness and evictions. */
  async monitor(): Promise<void> {
    const started = performance.now();
    try {
      await this.monitorNodeHealth();
    } finally {
      updateAllNodesHealthDuration.observe((performance.now() - started) / 1000);
    }
  }

  private async monitorNodeHealth(): Promise<void> {
    const now = this.now();
    const nodes = this.nodes.list();
    const health: { node: KubeObject; readyStatus: string; hasReady: boolean }[] = [];
    for (const node of nodes) {
      const nodeStarted = performance.now();
      const name = node.metadata!.name!;
      const status = (node.status ?? {}) as { conditions?: Condition[] };
      const ready = status.conditions?.find((c) => c.type === 'Ready');
      const lease = this.leases.get(`kube-node-lease/${name}`);
      const leaseRv = lease?.metadata?.resourceVersion ?? '';
      const heartbeat = ready?.lastHeartbeatTime ?? '';
      let p = this.probe.get(name);
      // A node seen for the first time (or again, after a restart of this controller) is announced, as Kubernetes' controller does.
      if (!p) await this.event(node, 'Normal', 'RegisteredNode', `Node ${name} event: Registered Node ${name} in Controller`);
      // Like kube-controller-manager, health is judged by our own clock: when did we last see a
      // renewal (the lease's resourceVersion or the Ready heartbeat) change? A node that never
      // posted a Ready condition and has no lease counts from its creation (tryUpdateNodeHealth's
      // probeTimestamp for it), so one that has been silent for long goes Unknown at once.
      if (!p || p.leaseRv !== leaseRv || p.heartbeat !== heartbeat) {
        const created = Date.parse(node.metadata?.creationTimestamp ?? '');
        p = { leaseRv, heartbeat, at: !p && !ready && !lease && Number.isFinite(created) ? Math.min(now, created) : now, node };
      }
      p.node = node;
      this.probe.set(name, p);
      let readyStatus = ready?.status ?? 'Unknown';
      // (a node whose kubelet never posted its status gets the startup grace period instead)
      const grace = ready ? this.cfg.gracePeriodMs : (this.cfg.startupGracePeriodMs ?? 60_000);
      let hasReady = !!ready;
      if (now - p.at > grace && (!ready || readyStatus !== 'Unknown')) {
        hasReady = (await this.markUnknown(node, now)) || hasReady;
        readyStatus = 'Unknown';
      }
      health.push({ node, readyStatus, hasReady });
      updateNodeHealthDuration.observe((performance.now() - nodeStarted) / 1000);
    }
    // handleDisruption: with every node of every zone not Ready (one node down on a single-node
    // cluster, or the control plane cut off from all of them) the fault is more likely ours than
    // theirs: NoExecute taints are lifted and nobody is evicted until a node is Ready again. A
    // small zone mostly down (partial disruption) gets no new ones.
    const byZone = new Map<string, string[]>();
    for (const h of health) byZone.set(zoneOf(h.node), [...(byZone.get(zoneOf(h.node)) ?? []), h.readyStatus]);
    const states = new Map([...byZone].map(([z, st]) => [z, zoneState(st)]));
    recordZones(byZone, this.zones);
    const allDisrupted = states.size > 0 && [...states.values()].every((st) => st === 'FullDisruption');
    if (allDisrupted !== this.allDisrupted) {
      log.warn(allDisrupted ? 'Controller detected that all Nodes are not-Ready. Entering master disruption mode.' : 'Controller detected that some Nodes are Ready. Exiting master disruption mode.');
      this.allDisrupted = allDisrupted;
    }
    for (const { node, readyStatus, hasReady } of health) {
      const name = node.metadata!.name!;
      // A node that never posted a Ready condition (still within its startup grace) is neither
      // tainted nor are its pods told anything, as monitorNodeHealth does without a
      // currentReadyCondition: only its own taints count (a cordon's, a user's NoExecute).
      if (!hasReady) {
        await this.taintByConditions(node);
        await this.evictByTaints(name, this.evictionTaints(node), now);
        continue;
      }
      const zone = zoneOf(node);
      const noExecute = allDisrupted ? 'lift' : states.get(zone) === 'PartialDisruption' && (byZone.get(zone)?.length ?? 0) <= LARGE_CLUSTER_THRESHOLD ? 'hold' : 'normal';
      const taints = await this.reconcileTaints(node, readyStatus, now, noExecute);
      if (readyStatus !== 'True') await this.markPodsNotReady(name, now);
      // The taint eviction controller: any NoExecute taint, the node's own or one a user set
      // (kubectl taint nodes n key=value:NoExecute), evicts the pods that do not tolerate it.
      await this.evictByTaints(name, taints, now);
    }
    for (const [name, p] of this.probe) {
      if (this.nodes.get(name)) continue;
      this.probe.delete(name);
      await this.event(p.node, 'Normal', 'RemovingNode', `Node ${name} event: Removing Node ${name} from Controller`);
    }
    // (pods no longer on a tainted node: their scheduled eviction is cancelled, and said so)
    for (const [key, s] of this.scheduled) {
      if (this.seen.has(key)) continue;
      this.scheduled.delete(key);
      if (this.pods.get(key) && !this.pods.get(key)!.metadata?.deletionTimestamp) await this.taintEvent(s.pod, 'Normal', 'TaintManagerEviction', `Cancelling deletion of Pod ${key}`);
    }
    this.seen.clear();
    for (const [uid, key] of this.evicting) {
      const p = this.pods.get(key);
      if (!p || p.metadata?.uid !== uid || p.metadata?.deletionTimestamp) this.evicting.delete(uid);
    }
  }

  /** Pods under NoExecute taints they tolerate for a while, in this pass. */
  private seen = new Set<string>();
  /** Pods this controller has started to delete, by uid (to their namespace/name), until they are seen being deleted or gone. */
  private evicting = new Map<string, string>();
  /** A node's pending look at pods whose toleration runs out at `due`. */
  private timers = new Map<string, { due: number; timer: NodeJS.Timeout }>();

  /**
   * tryUpdateNodeHealth past the grace period: Ready and the pressure conditions become Unknown
   * (NetworkUnavailable is the control plane's, left alone); those the kubelet never posted are
   * added as Unknown.
   */
  private async markUnknown(node: KubeObject, now: number): Promise<boolean> {
    const name = node.metadata!.name!;
    const conds = [...((node.status as { conditions?: Condition[] } | undefined)?.conditions ?? [])];
    const wasReady = conds.find((c) => c.type === 'Ready')?.status === 'True';
    for (const type of ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure']) {
      const i = conds.findIndex((c) => c.type === type);
      if (i < 0) conds.push({ type, status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.', lastHeartbeatTime: node.metadata?.creationTimestamp, lastTransitionTime: rfc3339(now) });
      else if (conds[i]!.status !== 'Unknown') conds[i] = { ...conds[i]!, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: rfc3339(now) };
    }
    log.warn(conds.some((c) => c.reason === 'NodeStatusNeverUpdated') ? 'node never posted its status; marking it Unknown' : 'node stopped renewing its lease; marking it Unknown', { node: name });
    try {
      await this.client.patch(Nodes, undefined, name, { status: { conditions: conds } }, 'strategic', 'status');
    } catch (e) {
      log.warn('could not mark node unknown', { node: name, err: e });
      return false;
    }
    // (said only when it was Ready, as monitorNodeHealth records the change from True)
    if (wasReady) await this.event(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
    return true;
  }

  /**
   * The node's taints for its state: the NoExecute not-ready/unreachable taint (unless eviction
   * is held: none added; or lifted: none kept), and doNoScheduleTaintingPass's NoSchedule ones.
   */
  private async reconcileTaints(node: KubeObject, readyStatus: string, now: number, noExecute: 'normal' | 'hold' | 'lift'): Promise<Taint[]> {
    const spec = (node.spec ?? {}) as { taints?: Taint[]; unschedulable?: boolean };
    const current = spec.taints ?? [];
    const isNodeTaint = (t: Taint) => (t.key === unreachableTaint || t.key === notReadyTaint) && t.effect === 'NoExecute';
    const want = noExecute === 'lift' ? undefined : readyStatus === 'Unknown' ? unreachableTaint : readyStatus === 'False' ? notReadyTaint : undefined;
    const kept = current.filter((t) => !(isNodeTaint(t) && t.key !== want));
    const tainting = !!want && noExecute === 'normal' && !kept.some((t) => t.key === want && t.effect === 'NoExecute');
    if (tainting) kept.push({ key: want, effect: 'NoExecute', timeAdded: rfc3339(now) });
    // (the conditions as this pass judged them: Ready may have just gone Unknown)
    const conditions = ((node.status as { conditions?: Condition[] } | undefined)?.conditions ?? []).filter((c) => c.type !== 'Ready');
    conditions.push({ type: 'Ready', status: readyStatus });
    const all = conditionTaints(kept, conditions, now, !!spec.unschedulable);
    if (!(await this.patchTaints(node, current, all))) return current;
    // (doNoExecuteTaintingPass counts each node it taints, or swaps the taint of, in its zone)
    if (tainting) recordNodeEviction(zoneOf(node));
    return all;
  }

  /** doNoScheduleTaintingPass for one node, on its update: only the NoSchedule taints of its conditions and cordon change. */
  private async taintByConditions(node: KubeObject): Promise<void> {
    const spec = (node.spec ?? {}) as { taints?: Taint[]; unschedulable?: boolean };
    const current = spec.taints ?? [];
    await this.patchTaints(node, current, conditionTaints(current, (node.status as { conditions?: Condition[] } | undefined)?.conditions ?? [], this.now(), !!spec.unschedulable));
  }

  /** Writes the node's taints when they changed; false on a conflict (retried with the fresh object). */
  private async patchTaints(node: KubeObject, current: Taint[], taints: Taint[]): Promise<boolean> {
    if (JSON.stringify(taints) === JSON.stringify(current)) return true;
    const name = node.metadata!.name!;
    try {
      await this.client.patch(Nodes, undefined, name, { metadata: { resourceVersion: node.metadata!.resourceVersion }, spec: { taints: taints.length ? taints : null } }, 'merge');
      const added = taints.filter((t) => !current.some((c) => c.key === t.key && c.effect === t.effect)).map((t) => `${t.key}:${t.effect}`);
      const removed = current.filter((c) => !taints.some((t) => c.key === t.key && c.effect === t.effect)).map((t) => `${t.key}:${t.effect}`);
      log.info('node taints updated', { node: name, added, removed });
    } catch (e) {
      if (!(e instanceof StatusError && e.code === 409)) throw e;
      return false;
    }
    return true;
  }

  /** The pods of a node not being deleted already; with `running`, only those that have not ended. */
  private podsOn(nodeName: string, running: boolean) {
    return this.pods.list().filter((pod) => {
      const spec = (pod.spec ?? {}) as { nodeName?: string };
      return spec.nodeName === nodeName && !pod.metadata?.deletionTimestamp && (!running || !isTerminalPhase((pod.status as { phase?: string } | undefined)?.phase));
    });
  }

  /** MarkPodsNotReady: the node cannot vouch for its pods any more: Ready goes False, and each pod is told. */
  private async markPodsNotReady(nodeName: string, now: number): Promise<void> {
    for (const pod of this.podsOn(nodeName, true)) {
      const status = (pod.status ?? {}) as { conditions?: Condition[] };
      if (status.conditions?.find((c) => c.type === 'Ready')?.status !== 'True') continue;
      const conds = (status.conditions ?? []).map((c) => (c.type === 'Ready' ? { ...c, status: 'False', lastTransitionTime: rfc3339(now) } : c));
      try {
        await this.client.patch(Pods, pod.metadata!.namespace, pod.metadata!.name!, { status: { conditions: conds } }, 'merge', 'status');
        await this.event(pod, 'Warning', 'NodeNotReady', 'Node is not ready');
      } catch (e) {
        log.warn('could not mark pod not ready', { pod: `${pod.metadata!.namespace}/${pod.metadata!.name}`, err: e });
      }
    }
  }

  /**
   * The taint eviction controller: deletes the pods on the node that do not tolerate its
   * NoExecute taints, and those that tolerate them for a while once that has run out since they
   * were first seen so.
   */
  private async evictByTaints(nodeName: string, taints: Taint[], now: number): Promise<void> {
    if (!taints.some((t) => t.effect === 'NoExecute')) {
      // The taints went before the tolerations ran out: the deletions are cancelled, and said so.
      for (const [key, s] of this.scheduled) {
        if ((s.pod.spec as { nodeName?: string } | undefined)?.nodeName !== nodeName) continue;
        this.scheduled.delete(key);
        this.seen.delete(key);
        if (this.pods.get(key) && !this.pods.get(key)!.metadata?.deletionTimestamp) await this.taintEvent(s.pod, 'Normal', 'TaintManagerEviction', `Cancelling deletion of Pod ${key}`);
      }
      return;
    }
    let nextDue: number | undefined;
    // (ended pods too: the taint eviction controller deletes every pod bound to the node)
    for (const pod of this.podsOn(nodeName, false)) {
      const spec = (pod.spec ?? {}) as { tolerations?: Toleration[] };
      const status = (pod.status ?? {}) as { conditions?: Condition[] };
      const ref = `${pod.metadata!.namespace}/${pod.metadata!.name}`;
      const uid = pod.metadata?.uid ?? ref;
      // (a node's update, a pod's and the monitor pass may look at the same pod at once: one deletes it)
      if (this.evicting.has(uid)) continue;
      const allowed = tolerationMs(taints, spec.tolerations ?? []);
      if (allowed === undefined) continue;
      if (allowed > 0) {
        this.seen.add(ref);
        const since = this.scheduled.get(ref)?.since ?? now;
        this.scheduled.set(ref, { since, pod });
        if (since + allowed > now) {
          nextDue = Math.min(nextDue ?? Infinity, since + allowed);
          continue;
        }
      }
      this.scheduled.delete(ref);
      this.seen.delete(ref);
      this.evicting.set(uid, ref);
      log.info('evicting pod for a NoExecute taint', { pod: ref, node: nodeName });
      const conds = (status.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget');
      conds.push({ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint', lastTransitionTime: rfc3339(now) });
      try {
        await this.client.patch(Pods, pod.metadata!.namespace, pod.metadata!.name!, { status: { conditions: conds } }, 'merge', 'status');
        await this.client.delete(Pods, pod.metadata!.namespace, pod.metadata!.name!);
        recordTaintEvictionDeletion();
        await this.taintEvent(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${ref}`);
      } catch (e) {
        if (!isNotFound(e)) log.warn('eviction failed', { pod: ref, err: e });
      }
    }
    // The taint eviction queue fires each pod's deletion when its toleration runs out, not at the next pass.
    if (nextDue !== undefined) this.wakeAt(nodeName, nextDue);
  }

  /** Looks at the node's pods again at `due` (one timer a node, the earliest wanted). */
  private wakeAt(nodeName: string, due: number): void {
    const t = this.timers.get(nodeName);
    if (t && t.due <= due) return;
    if (t) clearTimeout(t.timer);
    const timer = setTimeout(() => {
      this.timers.delete(nodeName);
      if (!this.stopped) void this.evictOn(nodeName);
    }, Math.max(0, due - this.now()) + 5);
    this.timers.set(nodeName, { due, timer });
  }

  /**
   * The taint eviction controller's handleNodeUpdate and handlePodUpdate: the node's pods are
   * looked at as soon as its taints or a pod bound to it change, not at the next monitor pass.
   */
  private async evictOn(nodeName: string | undefined): Promise<void> {
    const node = nodeName ? this.nodes.get(nodeName) : undefined;
    if (!node) return;
    await this.evictByTaints(nodeName!, this.evictionTaints(node), this.now()).catch((e) => log.warn('taint eviction failed', { node: nodeName, err: e }));
  }

  /** The node's NoExecute taints as they stand; the node controller's own not while every node is down (they are being lifted). */
  private evictionTaints(node: KubeObject): Taint[] {
    const taints = ((node.spec ?? {}) as { taints?: Taint[] }).taints ?? [];
    return this.allDisrupted ? taints.filter((t) => !((t.key === unreachableTaint || t.key === notReadyTaint) && t.effect === 'NoExecute')) : taints;
  }

  private async taintEvent(obj: KubeObject, type: string, reason: string, message: string): Promise<void> {
    await recordEvent(this.client, obj, { component: 'taint-eviction-controller' }, type, reason, message);
  }

  private async event(obj: KubeObject, type: string, reason: string, message: string): Promise<void> {
    await recordEvent(this.client, obj.metadata?.namespace ? obj : nodeEventRef(obj), { component: 'node-controller' }, type, reason, message);
  }
}
