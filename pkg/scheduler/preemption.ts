// Preemption, as kube-scheduler's DefaultPreemption plugin decides it: when no node fits a pod,
// find the nodes where removing pods of lower priority would make it fit (dry runs on copies of
// the node and the cycle state), keep on each node as few victims as possible (the pods a
// PodDisruptionBudget protects are given back first, then the most important), then pick the
// node with the fewest budget violations and whose victims matter least. The
// scheduler then nominates the pod to that node and deletes the victims.
import { labelSelectorFromObject, matchesLabelSelector } from '../api/selectors.js';
import type { Pod, PodDisruptionBudget } from '../api/types.js';
import { Code, runFilters, type CycleState, type FilterPlugin, type PostFilterPlugin, type PreFilterPlugin, type Status } from './framework.js';
import { podKey, type NodeInfo } from './node-info.js';

/** The reason a victim carries in its DisruptionTarget condition. */
export const PREEMPTION_REASON = 'PreemptionByScheduler';

export const podPriority = (p: Pod): number => p.spec?.priority ?? 0;

const startTime = (p: Pod): number => Date.parse(p.status?.startTime ?? p.metadata?.creationTimestamp ?? '') || 0;

/** kube's MoreImportantPod: higher priority, then the one that started first. */
export function moreImportant(a: Pod, b: Pod): boolean {
  const pa = podPriority(a);
  const pb = podPriority(b);
  if (pa !== pb) return pa > pb;
  return startTime(a) < startTime(b);
}

/** A pod being deleted because the scheduler preempted it. */
export function terminatingByPreemption(p: Pod): boolean {
  if (!p.metadata?.deletionTimestamp) return false;
  return (p.status?.conditions ?? []).some((c) => c.type === 'DisruptionTarget' && c.status === 'True' && c.reason === PREEMPTION_REASON);
}

export interface Candidate {
  node: string;
  /** Most important first. */
  victims: Pod[];
  /** How many victims a PodDisruptionBudget would not let go (NumPDBViolations). */
  pdbViolations?: number;
}

/** What a dry run needs: the profile's plugins, the pods nominated to a node, and the PodDisruptionBudgets. */
export interface DryRunPlugins {
  preFilter: PreFilterPlugin[];
  filter: FilterPlugin[];
  nominated?(node: string, pod: Pod): Pod[];
  pdbs?(): PodDisruptionBudget[];
}

/**
 * kube's filterPodsWithPDBViolation: walking `pods` (most important first), each one a budget of
 * its namespace selects (not already in its disruptedPods) takes one of the disruptions it
 * allows; a pod that takes more than a budget has left would violate it.
 */
export function podsViolatingPDBs(pods: Pod[], pdbs: PodDisruptionBudget[]): Set<Pod> {
  const allowed = pdbs.map((b) => b.status?.disruptionsAllowed ?? 0);
  const selectors = pdbs.map((b) => {
    try {
      return labelSelectorFromObject(b.spec?.selector);
    } catch {
      return undefined; // (an invalid selector matches no pod)
    }
  });
  const violating = new Set<Pod>();
  for (const p of pods) {
    const labels = p.metadata?.labels ?? {};
    // (a pod without labels matches no budget)
    if (!Object.keys(labels).length) continue;
    pdbs.forEach((b, i) => {
      const sel = selectors[i];
      // (a nil or empty selector matches nothing here)
      if (b.metadata?.namespace !== p.metadata?.namespace || !sel || sel.nothing || !sel.requirements.length || !matchesLabelSelector(sel, labels)) return;
      if (Object.prototype.hasOwnProperty.call(b.status?.disruptedPods ?? {}, p.metadata?.name ?? '')) return;
      if (--allowed[i]! < 0) violating.add(p);
    });
  }
  return violating;
}

/**
 * Why `pod` may not preempt at all, in kube-scheduler's words (podEligibleToPreemptOthers): not
 * with preemptionPolicy Never, and not again while pods it preempted on its nominated node are
 * still terminating. Undefined when it may.
 */
export function notEligibleToPreempt(pod: Pod, nodes: ReadonlyMap<string, NodeInfo>, statuses: ReadonlyMap<string, Status>): string | undefined {
  if (pod.spec?.preemptionPolicy === 'Never') return 'not eligible due to preemptionPolicy=Never.';
  const nominated = pod.status?.nominatedNodeName;
  if (!nominated) return undefined;
  if (statuses.get(nominated)?.code === Code.UnschedulableAndUnresolvable) return undefined;
  const info = nodes.get(nominated);
  if (!info) return undefined;
  const prio = podPriority(pod);
  for (const { pod: p } of info.pods.values()) if (podPriority(p) < prio && terminatingByPreemption(p)) return 'not eligible due to a terminating pod on the nominated node.';
  return undefined;
}

export const eligibleToPreempt = (pod: Pod, nodes: ReadonlyMap<string, NodeInfo>, statuses: ReadonlyMap<string, Status>): boolean => !notEligibleToPreempt(pod, nodes, statuses);

/** A node's verdict in a preemption that found no candidate (kube-scheduler's words). */
export const NO_VICTIMS = 'No preemption victims found for incoming pod';
export const NOT_HELPFUL = 'Preemption is not helpful for scheduling';

/**
 * The fewest pods to remove from `node` so that `pod` fits, or undefined when removing every
 * lower-priority pod is not enough (selectVictimsOnNode); then `why` hears the node's reasons, as
 * upstream's status for the node. Pods whose removal would violate a PodDisruptionBudget are
 * given back first; `out` hears how many of them stay victims.
 */
export function selectVictimsOnNode(state: CycleState, pod: Pod, node: NodeInfo, plugins: DryRunPlugins, why?: (reasons: string[]) => void, out?: { pdbViolations: number }): Pod[] | undefined {
  const s = state.clone();
  const n = node.clone();
  const prio = podPriority(pod);
  const filters = plugins.filter.filter((pl) => !s.skipFilter.has(pl.name));
  const remove = (p: Pod) => {
    n.removePod(podKey(p));
    for (const pl of plugins.preFilter) if (!s.skipFilter.has(pl.name)) pl.preFilterExtensions?.removePod(s, pod, p, n);
  };
  const add = (p: Pod) => {
    n.addPod(p, false);
    for (const pl of plugins.preFilter) if (!s.skipFilter.has(pl.name)) pl.preFilterExtensions?.addPod(s, pod, p, n);
  };
  // Pods nominated here with a priority at least this pod's keep their room in the dry run too.
  for (const p of plugins.nominated?.(n.name, pod) ?? []) add(p);
  const potential = [...n.pods.values()].map((e) => e.pod).filter((p) => podPriority(p) < prio);
  if (!potential.length) {
    why?.([NO_VICTIMS]);
    return undefined;
  }
  for (const p of potential) remove(p);
  const without = runFilters(filters, s, pod, n);
  if (!without.ok) {
    why?.(without.reasons);
    return undefined;
  }
  // Give back the most important pods first, those a budget protects before the others; what
  // no longer lets the pod fit stays a victim.
  const byImportance = (a: Pod, b: Pod) => (moreImportant(a, b) ? -1 : moreImportant(b, a) ? 1 : 0);
  potential.sort(byImportance);
  const violating = podsViolatingPDBs(potential, plugins.pdbs?.() ?? []);
  const victims: Pod[] = [];
  let violations = 0;
  for (const p of [...potential.filter((v) => violating.has(v)), ...potential.filter((v) => !violating.has(v))]) {
    add(p);
    if (!runFilters(filters, s, pod, n).ok) {
      remove(p);
      victims.push(p);
      if (violating.has(p)) violations++;
    }
  }
  if (out) out.pdbViolations = violations;
  // (most important first again, when the two groups interleave)
  if (violating.size && violating.size < potential.length) victims.sort(byImportance);
  return victims;
}

/**
 * Candidates on every node that failed for a reason preemption can help with (Unschedulable);
 * `verdicts`, when given, hears why each other node is none.
 */
export function findCandidates(state: CycleState, pod: Pod, nodes: readonly NodeInfo[], statuses: ReadonlyMap<string, Status>, plugins: DryRunPlugins, verdicts?: Map<string, string[]>): Candidate[] {
  const out: Candidate[] = [];
  for (const n of nodes) {
    if (statuses.get(n.name)?.code !== Code.Unschedulable) {
      verdicts?.set(n.name, [NOT_HELPFUL]);
      continue;
    }
    const counted = { pdbViolations: 0 };
    const victims = selectVictimsOnNode(state, pod, n, plugins, (reasons) => verdicts?.set(n.name, reasons), counted);
    if (victims?.length) out.push({ node: n.name, victims, pdbViolations: counted.pdbViolations });
  }
  return out;
}

/**
 * kube's pickOneNodeForPreemption: the fewest PodDisruptionBudget violations, then the lowest
 * highest-priority victim, then the lowest sum of priorities, then the fewest victims, then the
 * node whose highest-priority victims started last.
 */
export function pickCandidate(cands: Candidate[]): Candidate | undefined {
  const keys = (c: Candidate): number[] => {
    const top = podPriority(c.victims[0]!);
    const sum = c.victims.reduce((s, v) => s + podPriority(v) + 2 ** 31, 0);
    const earliestTop = Math.min(...c.victims.filter((v) => podPriority(v) === top).map(startTime));
    return [c.pdbViolations ?? 0, top, sum, c.victims.length, -earliestTop];
  };
  const compare = (a: number[], b: number[]) => {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return 0;
  };
  let best: Candidate | undefined;
  let bestKeys: number[] = [];
  for (const c of cands) {
    const k = keys(c);
    if (!best || compare(k, bestKeys) < 0) {
      best = c;
      bestKeys = k;
    }
  }
  return best;
}

/**
 * The DefaultPreemption PostFilter plugin: the node to nominate and its victims, or why
 * preemption cannot help (`preemption: 0/3 nodes are available: 1 Preemption is not helpful for
 * scheduling, 2 No preemption victims found for incoming pod.`), as its status message.
 */
export const defaultPreemption: PostFilterPlugin = {
  name: 'DefaultPreemption',
  postFilter(state, pod, statuses, h) {
    const refused = notEligibleToPreempt(pod, h.nodes, statuses);
    if (refused) return `preemption: ${refused}`;
    const verdicts = new Map<string, string[]>();
    const best = pickCandidate(findCandidates(state, pod, h.nodeList, statuses, h, verdicts));
    if (best) return { nominatedNode: best.node, victims: best.victims };
    const counts = new Map<string, number>();
    for (const reasons of verdicts.values()) for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
    const parts = [...counts].map(([v, n]) => `${n} ${v}`).sort();
    return `preemption: 0/${h.nodeList.length} nodes are available: ${parts.join(', ')}.`;
  },
};
