// Pod states the workload controllers count by (k8s.io/kubernetes/pkg/controller: IsPodActive,
// podutil.IsPodReady/IsPodAvailable) and the order a ReplicaSet deletes pods in when it scales
// down (ActivePodsWithRanks): the least valuable pod first.
import type { KubeObject, Pod } from '../api/types.js';

type P = Pod & KubeObject;

/** Not terminal and not being deleted. */
export const isPodActive = (p: P) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && !p.metadata?.deletionTimestamp;

const readyCondition = (p: P) => p.status?.conditions?.find((c) => c.type === 'Ready');

export const isPodReady = (p: P) => readyCondition(p)?.status === 'True';

/** Ready for at least minReadySeconds at `now`. */
export function isPodAvailable(p: P, minReadySeconds: number, now: number): boolean {
  const c = readyCondition(p);
  if (c?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= now;
}

const phaseRank: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
const time = (t: string | undefined) => (t ? Date.parse(t) : 0);
const restarts = (p: P) => Math.max(0, ...(p.status?.containerStatuses ?? []).map((c) => c.restartCount ?? 0));

/**
 * Negative when `a` should be deleted before `b` (ActivePodsWithRanks.Less): unscheduled before
 * scheduled; Pending < Unknown < Running; not ready before ready; more pods of the set on the
 * same node first (`rank`); ready for less time first; more restarts first; newer first.
 */
export function comparePodsForDeletion(a: P, b: P, rank: (p: P) => number = () => 0): number {
  const an = a.spec?.nodeName ? 1 : 0;
  const bn = b.spec?.nodeName ? 1 : 0;
  if (an !== bn) return an - bn;
  const ap = phaseRank[a.status?.phase ?? 'Pending'] ?? 0;
  const bp = phaseRank[b.status?.phase ?? 'Pending'] ?? 0;
  if (ap !== bp) return ap - bp;
  const ar = isPodReady(a) ? 1 : 0;
  const br = isPodReady(b) ? 1 : 0;
  if (ar !== br) return ar - br;
  const ak = rank(a);
  const bk = rank(b);
  if (ak !== bk) return bk - ak;
  if (ar && br) {
    const at = time(readyCondition(a)?.lastTransitionTime);
    const bt = time(readyCondition(b)?.lastTransitionTime);
    if (at !== bt) return bt - at;
  }
  const rs = restarts(b) - restarts(a);
  if (rs !== 0) return rs;
  return time(b.metadata?.creationTimestamp) - time(a.metadata?.creationTimestamp);
}

/** The `n` pods to delete first; pods that share a node with more of `pods` rank as less valuable. */
export function podsToDelete(pods: P[], n: number): P[] {
  const perNode = new Map<string, number>();
  for (const p of pods) if (p.spec?.nodeName) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
  const rank = (p: P) => (p.spec?.nodeName ? perNode.get(p.spec.nodeName)! : 0);
  return [...pods].sort((a, b) => comparePodsForDeletion(a, b, rank)).slice(0, Math.max(0, n));
}
