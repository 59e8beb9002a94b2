// The arithmetic of the DaemonSet controller (k8s.io/kubernetes/pkg/controller/daemon): which
// nodes should run a daemon pod, the pod for one node (the tolerations Kubernetes adds to daemon
// pods, a required node affinity on the node's name that the scheduler honours), what a node's
// pods need (create, delete), which old pods a rolling update replaces now, and the status.
import { omitZero } from '../api/omitempty.js';
import { templateGeneration } from '../api/daemonset-template-generation.js';
import { isSchedulingTaint, findUntoleratedTaint, podMatchesNodeSelectorAndAffinity } from '../api/scheduling.js';
import { scaledValue, type IntOrString } from '../api/int-or-percent.js';
import type { DaemonSet, KubeObject, Node, Pod, PodSpec, Toleration } from '../api/types.js';
import { CONTROLLER_REVISION_HASH } from './controller-history.js';
import { podFromTemplate } from './pod-template.js';
import { isPodAvailable, isPodReady } from './pod-ranking.js';

export type DS = DaemonSet & KubeObject;
export type P = Pod & KubeObject;
export type N = Node & KubeObject;

/** The deprecated label daemon pods still carry: the DaemonSet's template generation when they were made. */
export const POD_TEMPLATE_GENERATION = 'pod-template-generation';

const exists = (key: string, effect: string): Toleration => ({ key, operator: 'Exists', effect });

/** AddOrUpdateDaemonPodTolerations: what daemon pods tolerate whatever their template says. */
export function daemonTolerations(spec: PodSpec): Toleration[] {
  const want = [
    exists('node.kubernetes.io/not-ready', 'NoExecute'),
    exists('node.kubernetes.io/unreachable', 'NoExecute'),
    exists('node.kubernetes.io/disk-pressure', 'NoSchedule'),
    exists('node.kubernetes.io/memory-pressure', 'NoSchedule'),
    exists('node.kubernetes.io/pid-pressure', 'NoSchedule'),
    exists('node.kubernetes.io/unschedulable', 'NoSchedule'),
    ...(spec.hostNetwork ? [exists('node.kubernetes.io/network-unavailable', 'NoSchedule')] : []),
  ];
  const out = [...(spec.tolerations ?? [])];
  for (const t of want) {
    // MatchToleration (same key, operator, value, effect) is replaced: a tolerationSeconds goes.
    const i = out.findIndex((o) => o.key === t.key && (o.operator ?? 'Equal') === t.operator && (o.value ?? '') === '' && o.effect === t.effect);
    if (i >= 0) out[i] = t;
    else out.push(t);
  }
  return out;
}

/** The pod the DaemonSet runs on `nodeName`; nodeName is left to the scheduler (matchFields metadata.name). */
export function newDaemonPod(ds: DS, nodeName: string, hash: string): P {
  const pod = podFromTemplate(ds, ds.spec?.template, 'apps/v1', 'DaemonSet');
  const spec = pod.spec!;
  // (CreatePodTemplate: the template generation, not metadata.generation, which moves with any spec change)
  const generation = templateGeneration(ds);
  pod.metadata!.labels = { ...pod.metadata!.labels, [CONTROLLER_REVISION_HASH]: hash, ...(generation !== undefined ? { [POD_TEMPLATE_GENERATION]: String(generation) } : {}) };
  spec.tolerations = daemonTolerations(spec);
  const nodeAffinity = ((spec.affinity ??= {}).nodeAffinity ??= {});
  // ReplaceDaemonSetPodNodeNameNodeAffinity: the node's name replaces any required terms (the controller checked them).
  nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }] };
  return pod;
}

/** The node a daemon pod is for: its nodeName, or before scheduling the node its affinity names. */
export function targetNode(p: P): string | undefined {
  if (p.spec?.nodeName) return p.spec.nodeName;
  for (const term of p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    const f = term.matchFields?.find((r) => r.key === 'metadata.name' && r.operator === 'In' && r.values?.length === 1);
    if (f) return f.values![0];
  }
  return undefined;
}

export interface Placement {
  /** A daemon pod should be created here if there is none. */
  shouldRun: boolean;
  /** A daemon pod already here may stay (a NoSchedule taint added later does not evict it). */
  shouldContinueRunning: boolean;
}

/** NodeShouldRunDaemonPod: nodeSelector and node affinity match, and every taint is tolerated. */
export function nodeShouldRunDaemonPod(node: N, ds: DS): Placement {
  const pod = newDaemonPod(ds, node.metadata!.name!, '');
  const templateNode = ds.spec?.template?.spec?.nodeName;
  const affinityOnly = { ...pod, spec: { ...pod.spec, affinity: ds.spec?.template?.spec?.affinity } } as P;
  if ((templateNode && templateNode !== node.metadata?.name) || !podMatchesNodeSelectorAndAffinity(affinityOnly, node)) return { shouldRun: false, shouldContinueRunning: false };
  const taints = node.spec?.taints ?? [];
  const tolerations = pod.spec?.tolerations ?? [];
  if (!findUntoleratedTaint(taints, tolerations, isSchedulingTaint)) return { shouldRun: true, shouldContinueRunning: true };
  return { shouldRun: false, shouldContinueRunning: !findUntoleratedTaint(taints, tolerations, (t) => t.effect === 'NoExecute') };
}

const created = (p: P) => Date.parse(p.metadata?.creationTimestamp ?? '') || 0;
export const isUpdated = (p: P, hash: string) => p.metadata?.labels?.[CONTROLLER_REVISION_HASH] === hash;

/** podByCreationTimestampAndPhase: pods bound to their node first, then the oldest, then by name. */
export const byCreationTimestampAndPhase = (a: P, b: P) =>
  Number(!a.spec?.nodeName) - Number(!b.spec?.nodeName) || created(a) - created(b) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');

/**
 * The daemon pods a node has for the controller (getNodesToDaemonPods with includeDeletedTerminal
 * false): a pod that has ended and is being deleted is gone already; one still shutting down is
 * not — it still holds the node's ports and counts in the status until it is gone.
 */
export const presentPods = (pods: P[]) => pods.filter((p) => !(p.metadata?.deletionTimestamp && (p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded')));

export interface NodeActions {
  create: boolean;
  delete: P[];
}

/**
 * podsShouldBeOnNode: what a node's daemon pods need. A node gets a pod only when it has none
 * (a pod still terminating is waited for, unless surge allows a second pod); failed pods go, and
 * the next sync replaces them; of several, the oldest stays — with surge, the oldest old and the
 * oldest new pod.
 */
export function podsShouldBeOnNode(placement: Placement, pods: P[], hash: string, surge: boolean): NodeActions {
  const present = presentPods(pods);
  if (!present.length) return { create: placement.shouldRun, delete: [] };
  const live = present.filter((p) => !p.metadata?.deletionTimestamp);
  if (!placement.shouldContinueRunning) return { create: false, delete: live };
  const failed = live.filter((p) => p.status?.phase === 'Failed');
  const running = live.filter((p) => p.status?.phase !== 'Failed').sort(byCreationTimestampAndPhase);
  const del = [...failed];
  let keep: P[];
  if (surge) {
    const oldest = (xs: P[]) => xs.slice(0, 1);
    keep = [...oldest(running.filter((p) => !isUpdated(p, hash))), ...oldest(running.filter((p) => isUpdated(p, hash)))];
  } else keep = running.slice(0, 1);
  del.push(...running.filter((p) => !keep.includes(p)));
  // (without surge a node whose pods are all failing or terminating waits for them to go)
  return { create: surge && placement.shouldRun && keep.length === 0, delete: del };
}

/**
 * failedPodsBackoff (flowcontrol.Backoff, 1 s doubling to 15 min): deleting a node's failed
 * daemon pod starts or doubles its back-off, and until it has passed the next failed pod there
 * is left alone — a kubelet that rejects every pod is not fought in a hot loop. Keyed as
 * failedPodsBackoffKey: the DaemonSet's uid, its observed generation and the node.
 */
export class FailedPodBackoff {
  private readonly entries = new Map<string, { delayMs: number; at: number }>();

  constructor(
    private readonly initialMs = 1000,
    private readonly maxMs = 15 * 60_000,
  ) {}

  static key(ds: DS, node: string): string {
    return `${ds.metadata?.uid}/${ds.status?.observedGeneration ?? 0}/${node}`;
  }

  /** How long the key is still backing off at `now` (IsInBackOffSinceUpdate), 0 when not. */
  remaining(key: string, now: number): number {
    const e = this.entries.get(key);
    return e ? Math.max(0, e.at + e.delayMs - now) : 0;
  }

  /** A failed pod is deleted now (Next): the back-off starts, or doubles while recent. */
  next(key: string, now: number): void {
    for (const [k, e] of this.entries) if (now - e.at > 2 * this.maxMs) this.entries.delete(k);
    const e = this.entries.get(key);
    this.entries.set(key, { delayMs: e ? Math.min(e.delayMs * 2, this.maxMs) : this.initialMs, at: now });
  }
}

export interface RollingLimits {
  maxUnavailable: number;
  maxSurge: number;
}

/** maxUnavailable and maxSurge as counts of `desired` nodes (percentages rounded up). */
export function rollingLimits(ds: DS, desired: number): RollingLimits {
  const ru = ds.spec?.updateStrategy?.rollingUpdate ?? {};
  const maxSurge = scaledValue(ru.maxSurge as IntOrString | undefined, desired, true);
  const maxUnavailable = scaledValue(ru.maxUnavailable as IntOrString | undefined, desired, true);
  // Both zero is refused by validation; a percentage of too few nodes still allows one.
  return { maxSurge, maxUnavailable: maxUnavailable === 0 && maxSurge === 0 ? 1 : maxUnavailable };
}

export interface RollingStep {
  /** Old pods to delete now (their nodes get the new pod after). */
  delete: P[];
  /** Nodes that get a new pod beside their old one (surge). */
  createOn: string[];
}

/**
 * rollingUpdate: per node its new and old pod. Without surge, old pods that are not available go
 * at once and available ones while fewer than maxUnavailable nodes lack an available pod; with
 * surge, up to maxSurge nodes get a new pod first and lose the old one once the new is available.
 */
export function rollingUpdateStep(nodeToPods: Map<string, P[]>, hash: string, limits: RollingLimits, available: (p: P) => boolean): RollingStep {
  const step: RollingStep = { delete: [], createOn: [] };
  const nodes = [...nodeToPods.keys()].sort();
  if (limits.maxSurge > 0) {
    let surging = 0;
    for (const n of nodes) {
      const pods = nodeToPods.get(n)!.filter((p) => !p.metadata?.deletionTimestamp);
      if (pods.some((p) => isUpdated(p, hash)) && pods.some((p) => !isUpdated(p, hash))) surging++;
    }
    for (const n of nodes) {
      const pods = nodeToPods.get(n)!.filter((p) => !p.metadata?.deletionTimestamp);
      const newPod = pods.find((p) => isUpdated(p, hash));
      const oldPod = pods.find((p) => !isUpdated(p, hash));
      if (!oldPod) continue;
      if (newPod) {
        if (available(newPod)) step.delete.push(oldPod);
      } else if (!available(oldPod)) step.delete.push(oldPod);
      else if (surging < limits.maxSurge) {
        step.createOn.push(n);
        surging++;
      }
    }
    return step;
  }
  let unavailable = 0;
  const replaceNow: P[] = [];
  const candidates: P[] = [];
  for (const n of nodes) {
    const pods = nodeToPods.get(n)!.filter((p) => !p.metadata?.deletionTimestamp);
    const newPod = pods.find((p) => isUpdated(p, hash));
    const oldPod = pods.find((p) => !isUpdated(p, hash));
    if (pods.length > 1 || pods.length === 0) {
      unavailable++;
      continue;
    }
    if (newPod) {
      if (!available(newPod)) unavailable++;
    } else if (!available(oldPod!)) replaceNow.push(oldPod!);
    else candidates.push(oldPod!);
  }
  const room = Math.min(candidates.length, Math.max(0, limits.maxUnavailable - unavailable));
  step.delete = [...replaceNow, ...candidates.slice(0, room)];
  return step;
}

/** The DaemonSet's status from its nodes' placements and pods. */
export function daemonSetStatus(ds: DS, placements: Map<string, Placement>, nodeToPods: Map<string, P[]>, hash: string, now: number): NonNullable<DaemonSet['status']> {
  let desired = 0;
  let current = 0;
  let misscheduled = 0;
  let ready = 0;
  let available = 0;
  let updated = 0;
  const minReady = ds.spec?.minReadySeconds ?? 0;
  for (const [node, placement] of placements) {
    // (a pod still terminating counts, as in updateDaemonSetStatus: while an old pod shuts
    // down its node is scheduled, and still misscheduled)
    const pods = presentPods(nodeToPods.get(node) ?? []);
    if (placement.shouldRun) desired++;
    if (!pods.length) continue;
    if (!placement.shouldRun) {
      misscheduled++;
      continue;
    }
    current++;
    // The pod that counts: the first bound, oldest one.
    const pod = [...pods].sort(byCreationTimestampAndPhase)[0]!;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReady, now)) available++;
    }
    if (isUpdated(pod, hash)) updated++;
  }
  const status: NonNullable<DaemonSet['status']> = {
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    desiredNumberScheduled: desired,
    numberReady: ready,
    observedGeneration: ds.metadata?.generation ?? 0,
    updatedNumberScheduled: updated,
    numberAvailable: available,
    numberUnavailable: Math.max(0, desired - available),
  };
  if (ds.status?.collisionCount !== undefined) status.collisionCount = ds.status.collisionCount;
  if (ds.status?.conditions?.length) status.conditions = ds.status.conditions;
  // (the first four counts are always there; these are omitempty)
  return omitZero(status, ['observedGeneration', 'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable']);
}
