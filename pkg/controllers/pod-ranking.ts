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

/** The annotation by which a user says which of a ReplicaSet's pods should go first on scale-down. */
export const POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

/**
 * GetDeletionCostFromPodAnnotations: the pod's deletion cost, an int32; 0 when it has none or
 * the value is not one (a leading "+" or zero as in "+1" and "007", a fraction, past int32).
 */
export function deletionCost(p: P): number {
  const v = p.metadata?.annotations?.[POD_DELETION_COST];
  if (v === undefined || !/^(-|0$|[1-9])/.test(v) || !/^-?[0-9]+$/.test(v)) return 0;
  const n = Number(v);
  return n >= -2147483648 && n <= 2147483647 ? n + 0 : 0;
}

/**
 * logarithmicRankDiff: how two times compare at `now` when only the power of two of their age
 * (in nanoseconds, as Go's time.Duration) counts; negative when `t1` is the younger.
 */
function logarithmicRankDiff(t1: number, t2: number, now: number): number {
  const r = (t: number) => (now - t > 0 ? Math.floor(Math.log2((now - t) * 1e6)) : -1);
  return r(t1) - r(t2);
}

/**
 * Two times, newer (or unset) first, as afterOrZero; with `now` (LogarithmicScaleDown, on by
 * default) times of the same power-of-two age are equal and the pods' UIDs decide, so that a
 * scale-down does not always take the very newest of pods started together.
 */
function newerFirst(a: P, b: P, at: number, bt: number, now: number | undefined): number {
  if (!at || !bt || now === undefined) return !at || !bt ? (at ? 1 : -1) : bt - at;
  const diff = logarithmicRankDiff(at, bt, now);
  if (diff !== 0) return diff;
  const au = a.metadata?.uid ?? '';
  const bu = b.metadata?.uid ?? '';
  return au < bu ? -1 : au > bu ? 1 : 0;
}

/**
 * Negative when `a` should be deleted before `b`. With `ranked` (ActivePodsWithRanks.Less, the
 * ReplicaSet controller's order): unscheduled before scheduled; Pending < Unknown < Running; not
 * ready before ready; a lower pod-deletion-cost first; more pods of the set on the same node
 * first (`rank`); ready for less time first; more restarts first; newer first, the two ages
 * compared by their power of two at `ranked.now`. Without it (a Job's ActivePods.Less): no cost
 * step, and exact times.
 */
export function comparePodsForDeletion(a: P, b: P, rank: (p: P) => number = () => 0, ranked?: { now: number }): number {
  const an = a.spec?.nodeName ? 1 : 0;
  const bn = b.spec?.nodeName ? 1 : 0;
  if (an !== bn) return an - bn;
  const ap = phaseRank[a.status?.phase ?? 'Pending'] ?? 0;
  const bp = phaseRank[b.status?.phase ?? 'Pending'] ?? 0;
  if (ap !== bp) return ap - bp;
  const ar = isPodReady(a) ? 1 : 0;
  const br = isPodReady(b) ? 1 : 0;
  if (ar !== br) return ar - br;
  if (ranked) {
    const ac = deletionCost(a);
    const bc = deletionCost(b);
    if (ac !== bc) return ac - bc;
  }
  const ak = rank(a);
  const bk = rank(b);
  if (ak !== bk) return bk - ak;
  if (ar && br) {
    const at = time(readyCondition(a)?.lastTransitionTime);
    const bt = time(readyCondition(b)?.lastTransitionTime);
    if (at !== bt) return newerFirst(a, b, at, bt, ranked?.now);
  }
  const rs = restarts(b) - restarts(a);
  if (rs !== 0) return rs;
  const ac = time(a.metadata?.creationTimestamp);
  const bc = time(b.metadata?.creationTimestamp);
  return ac === bc ? 0 : newerFirst(a, b, ac, bc, ranked?.now);
}

/**
 * The `n` pods to delete first. `ranked` sorts as a ReplicaSet scaling down does
 * (getPodsToDelete's ActivePodsWithRanks at `now`: pod-deletion-cost, logarithmic ages, and a pod
 * ranked by how many of the `related` pods, those of every ReplicaSet with the same owner, are
 * active on its node, more first; a ReplicaSet with no owner has none, so no pod ranks above
 * another); without it as a Job does (ActivePods: no cost, no node rank, exact times).
 */
export function podsToDelete(pods: P[], n: number, opts: { ranked?: boolean; now?: number; related?: P[] } = {}): P[] {
  const perNode = new Map<string, number>();
  if (opts.ranked) for (const p of opts.related ?? []) if (isPodActive(p)) perNode.set(p.spec?.nodeName ?? '', (perNode.get(p.spec?.nodeName ?? '') ?? 0) + 1);
  const rank = (p: P) => perNode.get(p.spec?.nodeName ?? '') ?? 0;
  const ranked = opts.ranked ? { now: opts.now ?? Date.now() } : undefined;
  return [...pods].sort((a, b) => comparePodsForDeletion(a, b, rank, ranked)).slice(0, Math.max(0, n));
}
