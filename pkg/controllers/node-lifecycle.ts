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
import { Nodes, Pods, StatusError } from '../client/rest-client.js';
import { Counter, Gauge } from 'prom-client';
import { logger } from '../util/log.js';
import { recordEvent } from '../client/events.js';
import { rfc3339 } from '../util/time.js';
import { isTerminalPhase } from '../api/pod-phase.js';

const log = logger('node-lifecycle');

const evictions = new Counter({ name: 'node_lifecycle_evictions_total', help: 'Pods evicted for NoExecute taints by the taint manager.' });
const unhealthyNodes = new Gauge({ name: 'node_lifecycle_unhealthy_nodes', help: 'Nodes whose Ready condition is not True.' });

export const unreachableTaint = 'node.kubernetes.io/unreachable';
export const notReadyTaint = 'node.kubernetes.io/not-ready';

/** The NoSchedule taint of each pressure condition (Kubernetes' nodeConditionToTaintKeyStatusMap). */
export const PRESSURE_TAINTS: Record<string, string> = {
  MemoryPressure: 'node.kubernetes.io/memory-pressure',
  DiskPressure: 'node.kubernetes.io/disk-pressure',
  PIDPressure: 'node.kubernetes.io/pid-pressure',
};
const pressureKeys = new Set(Object.values(PRESSURE_TAINTS));

/** `current` with the pressure taints the conditions call for, and no others. */
export function conditionTaints(current: Taint[], conditions: Condition[], now: number): Taint[] {
  const want = new Set(Object.entries(PRESSURE_TAINTS).filter(([type]) => conditions.some((c) => c.type === type && c.status === 'True')).map(([, key]) => key));
  const kept = current.filter((t) => !(pressureKeys.has(t.key) && t.effect === 'NoSchedule' && !want.has(t.key)));
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
  now?: () => number;
}


/** Whether a toleration matches a taint (Kubernetes' ToleratesTaint). */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.operator === 'Exists') return !t.key || t.key === taint.key;
  return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
}

/**
 * When a pod on a node with these NoExecute taints must go: undefined if it tolerates them all
 * forever, otherwise the earliest deadline (ms since epoch; 0 means now).
 */
export function evictionTime(taints: Taint[], tolerations: Toleration[], now: number): number | undefined {
  let at: number | undefined;
  for (const taint of taints) {
    if (taint.effect !== 'NoExecute') continue;
    // (the first toleration that matches a taint is the one used, as GetMatchingTolerations picks it)
    const used = tolerations.find((t) => tolerates(t, taint));
    if (!used) return 0;
    if (used.tolerationSeconds === undefined || used.tolerationSeconds === null) continue; // tolerated for ever
    const added = taint.timeAdded ? Date.parse(taint.timeAdded) : now;
    const due = added + Math.max(0, used.tolerationSeconds) * 1000;
    at = at === undefined ? due : Math.min(at, due);
  }
  return at;
}

export class NodeLifecycleController {
  private nodes: Informer;
  private leases: Informer;
  private pods: Informer;
  private probe = new Map<string, { leaseRv: string; heartbeat: string; at: number }>();
  /** node, key, value, effect -> when a NoExecute taint without timeAdded was first seen. */
  private taintSeen = new Map<string, number>();
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
    const onNode = (n: KubeObject) => void this.taintByConditions(n).catch((e) => log.warn('tainting by conditions failed', { node: n.metadata?.name, err: e }));
    this.nodes.on({ add: onNode, update: onNode });
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
    this.nodes.stop();
    this.leases.stop();
    this.pods.stop();
  }

  /** One pass over every node: health, taints, pod readiness and evictions. */
  async monitor(): Promise<void> {
    const now = this.now();
    let unhealthy = 0;
    for (const node of this.nodes.list()) {
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
      // renewal (the lease's resourceVersion or the Ready heartbeat) change?
      if (!p || p.leaseRv !== leaseRv || p.heartbeat !== heartbeat) {
        p = { leaseRv, heartbeat, at: now };
        this.probe.set(name, p);
      }
      let readyStatus = ready?.status ?? 'Unknown';
      if (now - p.at > this.cfg.gracePeriodMs && readyStatus !== 'Unknown') {
        await this.markUnknown(node, now);
        readyStatus = 'Unknown';
      }
      if (readyStatus !== 'True') unhealthy++;
      const taints = await this.reconcileTaints(node, readyStatus, now);
      if (readyStatus !== 'True') await this.markPodsNotReady(name, now);
      // The taint eviction controller: any NoExecute taint, the node's own or one a user set
      // (kubectl taint nodes n key=value:NoExecute), evicts the pods that do not tolerate it.
      await this.evictByTaints(name, this.withTimesAdded(name, taints, now), now);
    }
    unhealthyNodes.set(unhealthy);
    for (const name of this.probe.keys()) if (!this.nodes.get(name)) this.probe.delete(name);
    for (const k of this.taintSeen.keys()) if (!this.nodes.get(k.split('\0')[0]!)) this.taintSeen.delete(k);
  }

  /**
   * NoExecute taints with the time they were added: their timeAdded, or, for one set without it,
   * when this controller first saw it (as the taint manager times a toleration from when it sees
   * the pod on the tainted node).
   */
  private withTimesAdded(nodeName: string, taints: Taint[], now: number): Taint[] {
    const keys = new Set<string>();
    const out = taints.map((t) => {
      if (t.effect !== 'NoExecute' || t.timeAdded) return t;
      const k = [nodeName, t.key, t.value ?? '', t.effect].join('\0');
      keys.add(k);
      if (!this.taintSeen.has(k)) this.taintSeen.set(k, now);
      return { ...t, timeAdded: rfc3339(this.taintSeen.get(k)!) };
    });
    for (const k of this.taintSeen.keys()) if (k.startsWith(`${nodeName}\0`) && !keys.has(k)) this.taintSeen.delete(k);
    return out;
  }

  private async markUnknown(node: KubeObject, now: number): Promise<void> {
    const name = node.metadata!.name!;
    const conds = ((node.status as { conditions?: Condition[] } | undefined)?.conditions ?? []).map((c) =>
      c.status === 'Unknown'
        ? c
        : { ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: rfc3339(now) },
    );
    if (!conds.some((c) => c.type === 'Ready')) conds.push({ type: 'Ready', status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.', lastTransitionTime: rfc3339(now) });
    log.warn('node stopped renewing its lease; marking it Unknown', { node: name });
    await this.client.patch(Nodes, undefined, name, { status: { conditions: conds } }, 'strategic', 'status').catch((e) => log.warn('could not mark node unknown', { node: name, err: e }));
    await this.event(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
  }

  private async reconcileTaints(node: KubeObject, readyStatus: string, now: number): Promise<Taint[]> {
    const spec = (node.spec ?? {}) as { taints?: Taint[] };
    const current = spec.taints ?? [];
    const want = readyStatus === 'Unknown' ? unreachableTaint : readyStatus === 'False' ? notReadyTaint : undefined;
    const kept = current.filter((t) => !((t.key === unreachableTaint || t.key === notReadyTaint) && t.effect === 'NoExecute' && t.key !== want));
    if (want && !kept.some((t) => t.key === want && t.effect === 'NoExecute')) kept.push({ key: want, effect: 'NoExecute', timeAdded: rfc3339(now) });
    const all = conditionTaints(kept, (node.status as { conditions?: Condition[] } | undefined)?.conditions ?? [], now);
    return (await this.patchTaints(node, current, all)) ? all : current;
  }

  /** TaintNodesByCondition's pass for one node: only the pressure taints change. */
  private async taintByConditions(node: KubeObject): Promise<void> {
    const current = ((node.spec ?? {}) as { taints?: Taint[] }).taints ?? [];
    await this.patchTaints(node, current, conditionTaints(current, (node.status as { conditions?: Condition[] } | undefined)?.conditions ?? [], this.now()));
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

  /** MarkPodsNotReady: the node cannot vouch for its pods any more. */
  private async markPodsNotReady(nodeName: string, now: number): Promise<void> {
    for (const pod of this.podsOn(nodeName, true)) {
      const status = (pod.status ?? {}) as { conditions?: Condition[] };
      if (status.conditions?.find((c) => c.type === 'Ready')?.status !== 'True') continue;
      const conds = (status.conditions ?? []).map((c) => (c.type === 'Ready' || c.type === 'ContainersReady' ? { ...c, status: 'False', lastTransitionTime: rfc3339(now) } : c));
      await this.client.patch(Pods, pod.metadata!.namespace, pod.metadata!.name!, { status: { conditions: conds } }, 'merge', 'status').catch((e) => log.warn('could not mark pod not ready', { pod: `${pod.metadata!.namespace}/${pod.metadata!.name}`, err: e }));
    }
  }

  /** Deletes the pods on the node whose tolerations of its NoExecute taints have run out (or that have none). */
  private async evictByTaints(nodeName: string, taints: Taint[], now: number): Promise<void> {
    if (!taints.some((t) => t.effect === 'NoExecute')) return;
    // (ended pods too: the taint eviction controller deletes every pod bound to the node)
    for (const pod of this.podsOn(nodeName, false)) {
      const spec = (pod.spec ?? {}) as { tolerations?: Toleration[] };
      const status = (pod.status ?? {}) as { conditions?: Condition[] };
      const ref = `${pod.metadata!.namespace}/${pod.metadata!.name}`;
      const at = evictionTime(taints, spec.tolerations ?? [], now);
      if (at === undefined || at > now) continue;
      log.info('evicting pod for a NoExecute taint', { pod: ref, node: nodeName });
      const conds = (status.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget');
      conds.push({ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint', lastTransitionTime: rfc3339(now) });
      try {
        await this.client.patch(Pods, pod.metadata!.namespace, pod.metadata!.name!, { status: { conditions: conds } }, 'merge', 'status');
        await this.client.delete(Pods, pod.metadata!.namespace, pod.metadata!.name!);
        evictions.inc();
        await this.event(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${ref}`);
      } catch (e) {
        if (!(e instanceof StatusError && e.code === 404)) log.warn('eviction failed', { pod: ref, err: e });
      }
    }
  }

  private async event(obj: KubeObject, type: string, reason: string, message: string): Promise<void> {
    await recordEvent(this.client, obj, { component: 'node-controller' }, type, reason, message);
  }
}
