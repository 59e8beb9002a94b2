// One scheduling cycle's choice of a node (kube-scheduler's schedulePod): PreFilter, Filter over
// enough feasible nodes (from a rotating start, nominated pods counted), PostFilter (preemption)
// when none fits, then PreScore, Score with normalisation and weights, and a uniform pick among
// the best.
import type { Pod, PodDisruptionBudget } from '../api/types.js';
import { Code, CycleState, runFilters, StateKey, Status, type FilterPlugin, type PostFilterHandle, type PostFilterResult, type Profile } from './framework.js';
import type { NodeInfo } from './node-info.js';
import { preemptionAttempts, preemptionVictims } from './metrics.js';
import type { Nominator } from './scheduler-nominator.js';

/** Where the cycle leaves a PostFilter's (preemption's) answer for the scheduler to act on. */
export const postFilterKey = new StateKey<PostFilterResult>('PostFilterResult');

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

export class NodeFinder {
  /** Where the next cycle's filtering starts (kube-scheduler's nextStartNodeIndex). */
  private nextStart = 0;
  /** The score list handed to each plugin, reused across plugins and cycles. */
  private scoreBuf: { node: string; score: number }[] = [];

  constructor(
    private readonly profile: Profile,
    /** kube-scheduler's percentageOfNodesToScore; 0 means adaptive. */
    private readonly percentageOfNodesToScore: number,
    private readonly nominator: Nominator,
    /** The PodDisruptionBudgets, for preemption. */
    private readonly pdbs: () => PodDisruptionBudget[] = () => [],
  ) {}

  /** Filter and score over `all` (the nodes of `nodes`): the chosen node's name, or a Status saying why none fits. */
  find(state: CycleState, pod: Pod, nodes: ReadonlyMap<string, NodeInfo>, all: NodeInfo[]): string | Status {
    const p = this.profile;
    if (!all.length) return Status.unschedulable('', 'no nodes available to schedule pods');
    for (const pl of p.preFilter) {
      const st = pl.preFilter(state, pod, all);
      if (st.code === Code.Skip) state.skipFilter.add(pl.name);
      else if (!st.ok) {
        // (every node carries the PreFilter's verdict; preemption still says its word)
        const statuses = new Map(all.map((n) => [n.name, st]));
        return new Status(st.code, [`0/${nodes.size} nodes are available: ${st.reasons.join(', ')}.${this.postFilter(state, pod, statuses, nodes, all)}`], pl.name);
      }
    }
    const filters = p.filter.filter((pl) => !state.skipFilter.has(pl.name));
    const feasible: NodeInfo[] = [];
    const statuses = new Map<string, Status>();
    // NodeAffinity's PreFilterResult: a pod pinned to nodes by name (a DaemonSet's pods) is
    // filtered on those only; the others are told "didn't satisfy plugin(s) [NodeAffinity]"
    // (SetAbsentNodesStatus), so the message counts them as one reason.
    const pinned = pinnedNodeNames(pod);
    if (pinned) {
      if (!pinned.size) return Status.unresolvable('NodeAffinity', `0/${nodes.size} nodes are available: pod affinity terms conflict.${this.postFilter(state, pod, new Map(all.map((n) => [n.name, Status.unresolvable('NodeAffinity', 'pod affinity terms conflict')])), nodes, all)}`);
      const absent = Status.unresolvable('NodeAffinity', "node(s) didn't satisfy plugin(s) [NodeAffinity]");
      for (const n of all) if (!pinned.has(n.name)) statuses.set(n.name, absent);
      all = all.filter((n) => pinned.has(n.name));
      if (!all.length) return new Status(Code.UnschedulableAndUnresolvable, [failureMessage(nodes.size, statuses) + this.postFilter(state, pod, statuses, nodes, [...nodes.values()])]);
    }
    const want = numFeasibleNodesToFind(all.length, this.percentageOfNodesToScore);
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
      // (kube-scheduler's FitError: the filters' reasons, then what the PostFilter said when it could not help)
      return new Status(Code.Unschedulable, [failureMessage(nodes.size, statuses) + this.postFilter(state, pod, statuses, nodes, pinned ? [...nodes.values()] : all)]);
    }
    if (feasible.length === 1) return feasible[0]!.name;
    return this.score(state, pod, feasible, all);
  }

  /**
   * Runs the PostFilter plugins (preemption) once no node fits: a nomination is left in the
   * cycle state for the scheduler to act on; otherwise what they said, to end the message with.
   */
  private postFilter(state: CycleState, pod: Pod, statuses: ReadonlyMap<string, Status>, nodes: ReadonlyMap<string, NodeInfo>, all: NodeInfo[]): string {
    const p = this.profile;
    const filters = p.filter.filter((pl) => !state.skipFilter.has(pl.name));
    const handle: PostFilterHandle = { nodes, nodeList: all, preFilter: p.preFilter, filter: filters, nominated: (node, pod) => this.nominator.for(node, pod), pdbs: this.pdbs };
    let said = '';
    for (const pl of p.postFilter) {
      // (DefaultPreemption counts each PostFilter run, and the victims of the candidate it picks)
      preemptionAttempts.inc();
      const res = pl.postFilter(state, pod, statuses, handle);
      if (typeof res !== 'string') {
        preemptionVictims.observe(res.victims.length);
        state.write(postFilterKey, res);
        break;
      }
      if (res) said += ` ${res}`;
    }
    return said;
  }

  /**
   * A node's filter verdict with the pods nominated to it counted as placed, then without them
   * (kube-scheduler's RunFilterPluginsWithNominatedPods): both must pass.
   */
  private filterWithNominated(filters: FilterPlugin[], state: CycleState, pod: Pod, n: NodeInfo): Status {
    const nominated = this.nominator.size ? this.nominator.for(n.name, pod) : [];
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

  /** PreScore and Score the feasible nodes; the best one's name (uniform among ties). */
  private score(state: CycleState, pod: Pod, feasible: NodeInfo[], all: NodeInfo[]): string {
    const p = this.profile;
    for (const pl of p.preScore) pl.preScore(state, pod, feasible, all);
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

  private scoreBuffer(n: number): { node: string; score: number }[] {
    while (this.scoreBuf.length < n) this.scoreBuf.push({ node: '', score: 0 });
    this.scoreBuf.length = n;
    return this.scoreBuf;
  }
}

/**
 * NodeAffinity's PreFilter result: the node names every required term pins by
 * `matchFields metadata.name In` (ORed across terms, ANDed within one); undefined when some term
 * does not pin (every node may do), an empty set when the terms contradict themselves.
 */
export function pinnedNodeNames(pod: Pod): Set<string> | undefined {
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms?.length) return undefined;
  let names: Set<string> | undefined;
  for (const t of terms) {
    let term: Set<string> | undefined;
    for (const r of t.matchFields ?? []) {
      if (r.key !== 'metadata.name' || r.operator !== 'In') continue;
      const s = new Set(r.values ?? []);
      term = term ? new Set([...term].filter((x) => s.has(x))) : s;
    }
    if (!term) return undefined;
    names = new Set([...(names ?? []), ...term]);
  }
  return names;
}
