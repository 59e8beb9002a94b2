// The arithmetic of the StatefulSet controller (k8s.io/kubernetes/pkg/controller/statefulset):
// pod identities (<set>-<ordinal>, hostname and subdomain, the pod-name and pod-index labels),
// which revision an ordinal gets, and one sync's plan — OrderedReady creates ordinals in order
// and waits for each to be Running and Ready, removes the highest first and one at a time;
// Parallel does both at once; RollingUpdate replaces pods from the highest ordinal down to the
// partition, one at a time, waiting for each to be healthy. The status follows the pods.
import type { KubeObject, Pod, PodTemplateSpec, StatefulSet } from '../api/types.js';
import { CONTROLLER_REVISION_HASH } from './controller-history.js';
import { podFromTemplate } from './pod-template.js';
import { withClaimVolumes } from './statefulset-claims.js';
import { isPodAvailable, isPodReady } from './pod-ranking.js';

export type STS = StatefulSet & KubeObject;
export type P = Pod & KubeObject;

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

/** The ordinal of a pod named `<set>-<n>`, or undefined when the pod is not one of the set's. */
export function ordinalOf(setName: string, podName: string | undefined): number | undefined {
  if (!podName?.startsWith(`${setName}-`)) return undefined;
  const rest = podName.slice(setName.length + 1);
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : undefined;
}

export const startOrdinal = (set: STS) => set.spec?.ordinals?.start ?? 0;
export const revisionOfPod = (p: P) => p.metadata?.labels?.[CONTROLLER_REVISION_HASH];
const terminating = (p: P) => !!p.metadata?.deletionTimestamp;
const finished = (p: P) => p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded';
const runningAndReady = (p: P) => p.status?.phase === 'Running' && isPodReady(p);

/** The pod of `ordinal` from `template` at `revision` (newStatefulSetPod + the revision label), with its claims' volumes. */
export function newStatefulSetPod(set: STS, template: PodTemplateSpec, ordinal: number, revision: string): P {
  const name = `${set.metadata!.name}-${ordinal}`;
  const pod = podFromTemplate(set, template, 'apps/v1', 'StatefulSet');
  delete pod.metadata!.generateName;
  pod.metadata!.name = name;
  pod.metadata!.labels = { ...pod.metadata!.labels, [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal), [CONTROLLER_REVISION_HASH]: revision };
  pod.spec!.hostname = name;
  if (set.spec?.serviceName) pod.spec!.subdomain = set.spec.serviceName;
  withClaimVolumes(set, pod, ordinal);
  return pod;
}

export interface Revisions {
  current: string;
  update: string;
}

/** Which revision a new pod of `ordinal` gets: below the partition the current one, else the update. */
export function revisionForOrdinal(set: STS, ordinal: number, rev: Revisions): string {
  const st = set.spec?.updateStrategy;
  if (st?.type !== 'RollingUpdate' && st?.type !== undefined) return rev.update;
  const index = ordinal - startOrdinal(set);
  const below = st?.rollingUpdate?.partition != null ? index < st.rollingUpdate.partition : index < (set.status?.currentReplicas ?? 0);
  return below ? rev.current : rev.update;
}

export interface Plan {
  create: { ordinal: number; revision: string }[];
  delete: P[];
  /** Pods whose identity labels are to be put back (UpdateStatefulPod). */
  update: P[];
}

/**
 * The pod still carries its identity (identityMatches): its statefulset.kubernetes.io/pod-name
 * label names it. A user who removes or changes that label — the one a per-pod Service selects —
 * gets it back, with the pod-index label (updateIdentity).
 */
export const identityMatches = (set: STS, p: P) => p.metadata?.labels?.[POD_NAME_LABEL] === p.metadata?.name && p.metadata?.namespace === set.metadata?.namespace;

/** The labels updateIdentity puts back on a pod of the set. */
export function identityLabels(set: STS, p: P): Record<string, string> {
  const name = p.metadata!.name!;
  return { [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinalOf(set.metadata!.name!, name)) };
}

/**
 * One sync of the set's pods (updateStatefulSet): `healthy` is Running, Ready and available.
 * Pods of the set are those named `<set>-<n>`; the others are left alone.
 */
export function planSync(set: STS, pods: P[], rev: Revisions, healthy: (p: P) => boolean): Plan {
  const plan: Plan = { create: [], delete: [], update: [] };
  const setName = set.metadata!.name!;
  const start = startOrdinal(set);
  const end = start + (set.spec?.replicas ?? 1);
  const monotonic = set.spec?.podManagementPolicy !== 'Parallel';
  const byOrdinal = new Map<number, P>();
  const condemned: P[] = [];
  for (const p of pods) {
    const o = ordinalOf(setName, p.metadata?.name);
    if (o === undefined) continue;
    if (o >= start && o < end) byOrdinal.set(o, p);
    else condemned.push(p);
  }
  condemned.sort((a, b) => ordinalOf(setName, b.metadata?.name)! - ordinalOf(setName, a.metadata?.name)!);

  for (let o = start; o < end; o++) {
    const p = byOrdinal.get(o);
    if (p && finished(p) && !terminating(p)) {
      plan.delete.push(p);
      if (monotonic) return plan;
      continue;
    }
    if (!p) {
      plan.create.push({ ordinal: o, revision: revisionForOrdinal(set, o, rev) });
      if (monotonic) return plan;
      continue;
    }
    if (monotonic && (terminating(p) || !healthy(p))) return plan;
    // (processReplica: once the pod is waited for, its identity is checked)
    if (!identityMatches(set, p)) plan.update.push(p);
  }

  // Condemned pods go from the highest ordinal; in order, only when the rest is healthy.
  const firstUnhealthy = [...condemned].reverse().find((p) => !healthy(p));
  for (const p of condemned) {
    if (terminating(p)) {
      if (monotonic) return plan;
      continue;
    }
    if (monotonic && !runningAndReady(p) && p !== firstUnhealthy) return plan;
    plan.delete.push(p);
    if (monotonic) return plan;
  }
  if (plan.create.length || plan.delete.length) return plan;

  // RollingUpdate: from the highest ordinal down to the partition, one pod at a time.
  const st = set.spec?.updateStrategy;
  if (st?.type === 'OnDelete') return plan;
  const partition = st?.rollingUpdate?.partition ?? 0;
  for (let o = end - 1; o >= start + partition; o--) {
    const p = byOrdinal.get(o);
    if (!p) continue;
    if (revisionOfPod(p) !== rev.update && !terminating(p)) {
      plan.delete.push(p);
      return plan;
    }
    if (!healthy(p)) return plan;
  }
  return plan;
}

/** The set's status from its pods (updateStatefulSetStatus with completeRollingUpdate). */
export function statefulSetStatus(set: STS, pods: P[], rev: Revisions, now: number): NonNullable<StatefulSet['status']> {
  const minReady = set.spec?.minReadySeconds ?? 0;
  const status: NonNullable<StatefulSet['status']> = {
    observedGeneration: set.metadata?.generation ?? 0,
    replicas: 0,
    readyReplicas: 0,
    currentReplicas: 0,
    updatedReplicas: 0,
    currentRevision: rev.current,
    updateRevision: rev.update,
    availableReplicas: 0,
  };
  for (const p of pods) {
    status.replicas!++;
    if (runningAndReady(p)) {
      status.readyReplicas!++;
      if (isPodAvailable(p, minReady, now)) status.availableReplicas!++;
    }
    if (terminating(p)) continue;
    if (revisionOfPod(p) === rev.current) status.currentReplicas!++;
    if (revisionOfPod(p) === rev.update) status.updatedReplicas!++;
  }
  if (set.spec?.updateStrategy?.type !== 'OnDelete' && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas) {
    status.currentReplicas = status.updatedReplicas;
    status.currentRevision = status.updateRevision;
  }
  // (updateStatefulSet always sets it, a non-nil pointer: collisionCount: 0 is served)
  status.collisionCount = set.status?.collisionCount ?? 0;
  if (set.status?.conditions?.length) status.conditions = set.status.conditions;
  return status;
}

/** Running, Ready and ready for minReadySeconds. */
export const isHealthy = (set: STS, now: number) => (p: P) => runningAndReady(p) && isPodAvailable(p, set.spec?.minReadySeconds ?? 0, now);
