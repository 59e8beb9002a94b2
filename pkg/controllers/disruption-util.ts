// The arithmetic of the disruption controller (pkg/controller/disruption): how many pods a
// PodDisruptionBudget expects (the scale of the pods' controllers, when a percentage or
// maxUnavailable needs it), how many must stay healthy, how many are healthy now (Ready, not
// being deleted, not just evicted), which approved evictions are still pending, and the status
// that follows.
import { conditionsAreUpToDate, DISRUPTION_ALLOWED, isPodReady, setStatusCondition, SYNC_FAILED, updateDisruptionAllowedCondition, type PDB } from '../api/disruption-budget.js';
import { scaledValue, type IntOrString } from '../api/int-or-percent.js';
import type { KubeObject, OwnerReference, Pod, PodDisruptionBudgetStatus } from '../api/types.js';
import { controllerOf } from './controller-ref.js';

type P = Pod & KubeObject;

/** An approved eviction not followed by the pod's deletion within this long is forgotten (DeletionTimeout). */
export const DELETION_TIMEOUT_MS = 2 * 60_000;

/** The scale of the controller a pod's controllerRef names, if this finder knows the kind (podControllerFinder). */
export type ControllerFinder = (ref: OwnerReference, namespace: string) => Promise<{ uid: string; scale: number } | undefined>;

export interface Expected {
  expectedCount: number;
  desiredHealthy: number;
  /** Selected pods with no controller (the count cannot include them: an event says so). */
  unmanaged: string[];
}

/**
 * getExpectedScale: the sum of the scales of the pods' controllers (each counted once). A pod
 * with no controller is unmanaged; one whose controller no finder knows is an error.
 */
export async function expectedScale(pods: P[], finders: ControllerFinder[]): Promise<{ expectedCount: number; unmanaged: string[] }> {
  const scales = new Map<string, number>();
  const unmanaged: string[] = [];
  for (const pod of pods) {
    const ref = controllerOf(pod);
    if (!ref) {
      unmanaged.push(pod.metadata!.name!);
      continue;
    }
    if (scales.has(ref.uid!)) continue;
    let found: { uid: string; scale: number } | undefined;
    for (const find of finders) {
      found = await find(ref, pod.metadata!.namespace!);
      if (found) break;
    }
    if (!found) throw new Error(`found no controllers for pod "${pod.metadata!.name}"`);
    scales.set(found.uid, found.scale);
  }
  return { expectedCount: [...scales.values()].reduce((a, b) => a + b, 0), unmanaged };
}

/** getExpectedPodCount: an integer minAvailable counts the selected pods; anything else needs the controllers' scale. */
export async function expectedPodCount(pdb: PDB, pods: P[], finders: ControllerFinder[]): Promise<Expected> {
  const spec = pdb.spec ?? {};
  const maxUnavailable = spec.maxUnavailable as IntOrString | undefined | null;
  const minAvailable = spec.minAvailable as IntOrString | undefined | null;
  if (maxUnavailable !== undefined && maxUnavailable !== null) {
    const { expectedCount, unmanaged } = await expectedScale(pods, finders);
    const desiredHealthy = Math.max(0, expectedCount - scaledValue(maxUnavailable, expectedCount, true));
    return { expectedCount, desiredHealthy, unmanaged };
  }
  if (typeof minAvailable === 'number') return { expectedCount: pods.length, desiredHealthy: minAvailable, unmanaged: [] };
  if (typeof minAvailable === 'string') {
    const { expectedCount, unmanaged } = await expectedScale(pods, finders);
    return { expectedCount, desiredHealthy: scaledValue(minAvailable, expectedCount, true), unmanaged };
  }
  return { expectedCount: 0, desiredHealthy: 0, unmanaged: [] };
}

/**
 * buildDisruptedPodMap: the approved evictions still expected to happen (pods not yet being
 * deleted, approved less than DELETION_TIMEOUT_MS ago), when to look again, and the pods whose
 * eviction never came.
 */
export function pendingDisruptions(pods: P[], pdb: PDB, now: number): { disrupted: Record<string, string>; recheckAt?: number; expired: P[] } {
  const approved = pdb.status?.disruptedPods ?? {};
  const disrupted: Record<string, string> = {};
  const expired: P[] = [];
  let recheckAt: number | undefined;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const at = approved[pod.metadata!.name!];
    if (at === undefined) continue;
    const deadline = Date.parse(at) + DELETION_TIMEOUT_MS;
    if (deadline < now) {
      expired.push(pod);
      continue;
    }
    if (recheckAt === undefined || deadline < recheckAt) recheckAt = deadline;
    disrupted[pod.metadata!.name!] = at;
  }
  return { disrupted, recheckAt, expired };
}

/** countHealthyPods: Ready, not being deleted, and not about to be evicted. */
export function countHealthyPods(pods: P[], disrupted: Record<string, string>, now: number): number {
  let n = 0;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const at = disrupted[pod.metadata!.name!];
    if (at !== undefined && Date.parse(at) + DELETION_TIMEOUT_MS > now) continue;
    if (isPodReady(pod)) n++;
  }
  return n;
}

const sameMap = (a: Record<string, string> | undefined, b: Record<string, string>) => {
  const ka = Object.keys(a ?? {});
  return ka.length === Object.keys(b).length && ka.every((k) => a![k] === b[k]);
};

/**
 * updatePdbStatus: the status these counts give (no disruption while the budget expects no pod
 * yet), or undefined when the stored one already says so.
 */
export function budgetStatus(pdb: PDB, currentHealthy: number, desiredHealthy: number, expectedCount: number, disrupted: Record<string, string>): PodDisruptionBudgetStatus | undefined {
  let disruptionsAllowed = currentHealthy - desiredHealthy;
  if (expectedCount <= 0 || disruptionsAllowed <= 0) disruptionsAllowed = 0;
  const st = pdb.status ?? {};
  const generation = pdb.metadata?.generation ?? 0;
  if (
    (st.currentHealthy ?? 0) === currentHealthy &&
    (st.desiredHealthy ?? 0) === desiredHealthy &&
    (st.expectedPods ?? 0) === expectedCount &&
    (st.disruptionsAllowed ?? 0) === disruptionsAllowed &&
    sameMap(st.disruptedPods, disrupted) &&
    (st.observedGeneration ?? 0) === generation &&
    conditionsAreUpToDate(pdb)
  ) {
    return undefined;
  }
  const next: PDB = {
    ...pdb,
    status: {
      currentHealthy,
      desiredHealthy,
      expectedPods: expectedCount,
      disruptionsAllowed,
      ...(Object.keys(disrupted).length ? { disruptedPods: disrupted } : {}),
      observedGeneration: generation,
      conditions: st.conditions ?? [],
    },
  };
  updateDisruptionAllowedCondition(next);
  return next.status;
}

/** failSafe: no disruption allowed, DisruptionAllowed=False (SyncFailed) with the error. */
export function failSafeStatus(pdb: PDB, err: string): PodDisruptionBudgetStatus {
  const st = pdb.status ?? {};
  return { ...st, disruptionsAllowed: 0, conditions: setStatusCondition(st.conditions ?? [], { type: DISRUPTION_ALLOWED, status: 'False', reason: SYNC_FAILED, message: err, observedGeneration: st.observedGeneration ?? 0 }) };
}
