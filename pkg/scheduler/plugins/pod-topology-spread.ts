// PodTopologySpread, as kube-scheduler's plugin of that name. PreFilter counts, for each hard
// constraint (whenUnsatisfiable DoNotSchedule), the matching pods of the pod's namespace in every
// domain (topology pair) of the eligible nodes (nodeAffinityPolicy Honor: nodes passing the pod's
// node selector and required node affinity; nodeTaintsPolicy Honor: nodes whose NoSchedule and
// NoExecute taints it tolerates); Filter rejects a node where placing the pod would take
// `matching + self - global minimum` past maxSkew (the minimum counts 0 while fewer than
// minDomains domains exist). PreScore and Score rank nodes by the matching pods in their domains
// for soft constraints (ScheduleAnyway), or for kube-scheduler's system defaults when the pod has
// no constraints and a Service, ReplicaSet or StatefulSet selects it.
import { findUntoleratedTaint, isSchedulingTaint, podMatchesNodeSelectorAndAffinity } from '../../api/scheduling.js';
import { labelSelectorFromObject, matchesLabelSelector, type ParsedLabelSelector } from '../../api/selectors.js';
import type { TopologySpreadConstraint } from '../../api/types.js';
import { MaxNodeScore, StateKey, Status, type ClonableState, type CycleState, type FilterPlugin, type PreFilterPlugin, type PreScorePlugin, type ScorePlugin } from '../framework.js';
import type { Node, Pod } from '../framework.js';
import type { ClusterLister } from '../cluster-lister.js';
import type { NodeInfo } from '../node-info.js';

export const PodTopologySpreadName = 'PodTopologySpread';
export const ErrReasonConstraintsNotMatch = "node(s) didn't match pod topology spread constraints";
export const ErrReasonNodeLabelNotMatch = ErrReasonConstraintsNotMatch + ' (missing required label)';

const hostnameKey = 'kubernetes.io/hostname';

/** kube-scheduler's system default constraints (defaultingType System). */
export const systemDefaultConstraints: TopologySpreadConstraint[] = [
  { topologyKey: hostnameKey, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 3 },
  { topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 5 },
];

interface Constraint {
  maxSkew: number;
  topologyKey: string;
  selector: ParsedLabelSelector;
  minDomains: number;
  honorNodeAffinity: boolean;
  honorTaints: boolean;
}

const nothing: ParsedLabelSelector = { requirements: [], nothing: true };

/** The pod's constraints with the given whenUnsatisfiable, selectors parsed (matchLabelKeys added). */
function constraintsOf(cs: TopologySpreadConstraint[], podLabels: Record<string, string>, action: string): Constraint[] {
  const out: Constraint[] = [];
  for (const c of cs) {
    if (c.whenUnsatisfiable !== action) continue;
    let selector: ParsedLabelSelector;
    try {
      selector = labelSelectorFromObject(c.labelSelector);
    } catch {
      selector = nothing;
    }
    const keys = (c.matchLabelKeys ?? []).filter((k) => k in podLabels);
    if (keys.length && !selector.nothing) selector = { requirements: [...selector.requirements, ...keys.map((k) => ({ key: k, operator: 'In' as const, values: [podLabels[k]!] }))] };
    out.push({
      maxSkew: c.maxSkew ?? 1,
      topologyKey: c.topologyKey ?? '',
      selector,
      minDomains: c.minDomains ?? 1,
      honorNodeAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
      honorTaints: (c.nodeTaintsPolicy ?? 'Ignore') === 'Honor',
    });
  }
  return out;
}

const hasAllKeys = (labels: Record<string, string>, cs: Constraint[]) => cs.every((c) => c.topologyKey in labels);

/** Whether the node counts for the constraint (its nodeAffinityPolicy and nodeTaintsPolicy). */
function nodeIncluded(c: Constraint, pod: Pod, node: Node): boolean {
  if (c.honorNodeAffinity && !podMatchesNodeSelectorAndAffinity(pod, node)) return false;
  if (c.honorTaints && findUntoleratedTaint(node.spec?.taints ?? [], pod.spec?.tolerations ?? [], isSchedulingTaint)) return false;
  return true;
}

/** Pods of the namespace, not terminating, that the selector matches (an empty selector counts none). */
function countMatching(n: NodeInfo, selector: ParsedLabelSelector, ns: string): number {
  if (selector.nothing || !selector.requirements.length) return 0;
  let count = 0;
  for (const e of n.pods.values()) {
    const p = e.pod;
    if (p.metadata?.deletionTimestamp || (p.metadata?.namespace ?? 'default') !== ns) continue;
    if (matchesLabelSelector(selector, p.metadata?.labels)) count++;
  }
  return count;
}

class PreFilterState implements ClonableState {
  /** Global minimum per topology key; dropped when a count changes. */
  private mins = new Map<string, number>();

  constructor(
    readonly constraints: Constraint[],
    /** topologyKey → domain value → matching pods (every eligible domain has an entry, 0 included). */
    readonly counts: Map<string, Map<string, number>>,
  ) {}

  clone(): this {
    const counts = new Map<string, Map<string, number>>();
    for (const [k, m] of this.counts) counts.set(k, new Map(m));
    return new PreFilterState(this.constraints, counts) as this;
  }

  minMatching(c: Constraint): number {
    const domains = this.counts.get(c.topologyKey);
    // Fewer eligible domains than minDomains: the global minimum is taken as 0.
    if (!domains || domains.size < c.minDomains) return 0;
    let min = this.mins.get(c.topologyKey);
    if (min === undefined) {
      min = Infinity;
      for (const v of domains.values()) if (v < min) min = v;
      this.mins.set(c.topologyKey, min);
    }
    return min;
  }

  /** A pod added (+1) to or removed (-1) from a node (kube-scheduler's updateWithPod). */
  update(other: Pod, incoming: Pod, node: Node, delta: number): void {
    if ((other.metadata?.namespace ?? 'default') !== (incoming.metadata?.namespace ?? 'default')) return;
    const labels = node.metadata?.labels ?? {};
    if (!hasAllKeys(labels, this.constraints)) return;
    for (const c of this.constraints) {
      if (!matchesLabelSelector(c.selector, other.metadata?.labels) || !nodeIncluded(c, incoming, node)) continue;
      const m = this.counts.get(c.topologyKey)!;
      const v = labels[c.topologyKey]!;
      m.set(v, (m.get(v) ?? 0) + delta);
      this.mins.delete(c.topologyKey);
    }
  }
}

const preFilterKey = new StateKey<PreFilterState>('PreFilter' + PodTopologySpreadName);

interface PreScoreState {
  constraints: Constraint[];
  /** Nodes lacking a topology key of the pod's own constraints: they score 0. */
  ignored: Set<string>;
  /** Matching pods per domain for the non-hostname keys (hostname counts are taken in Score). */
  counts: Map<string, Map<string, number>>;
  /** log(domains + 2) per constraint. */
  weights: number[];
}

const preScoreKey = new StateKey<PreScoreState>('PreScore' + PodTopologySpreadName);

export function podTopologySpread(lister: ClusterLister): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin {
  /** The soft constraints: the pod's own, or the system defaults with its Services' and owner's selector. */
  function softConstraints(pod: Pod): { constraints: Constraint[]; system: boolean } {
    const own = pod.spec?.topologySpreadConstraints;
    if (own?.length) return { constraints: constraintsOf(own, pod.metadata?.labels ?? {}, 'ScheduleAnyway'), system: false };
    const selector = lister.defaultSelector(pod);
    if (!selector) return { constraints: [], system: true };
    return { constraints: constraintsOf(systemDefaultConstraints, {}, 'ScheduleAnyway').map((c) => ({ ...c, selector })), system: true };
  }

  return {
    name: PodTopologySpreadName,
    weight: 2,

    preFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]) {
      const own = pod.spec?.topologySpreadConstraints;
      // The system defaults are all ScheduleAnyway: without constraints of its own a pod has no hard ones.
      const constraints = own?.length ? constraintsOf(own, pod.metadata?.labels ?? {}, 'DoNotSchedule') : [];
      if (!constraints.length) {
        state.skipFilter.add(PodTopologySpreadName);
        return Status.skip;
      }
      const ns = pod.metadata?.namespace ?? 'default';
      const counts = new Map<string, Map<string, number>>();
      for (const c of constraints) counts.set(c.topologyKey, new Map());
      for (const n of nodes) {
        const labels = n.node.metadata?.labels ?? {};
        if (!hasAllKeys(labels, constraints)) continue;
        for (const c of constraints) {
          if (!nodeIncluded(c, pod, n.node)) continue;
          const m = counts.get(c.topologyKey)!;
          const v = labels[c.topologyKey]!;
          m.set(v, (m.get(v) ?? 0) + countMatching(n, c.selector, ns));
        }
      }
      state.write(preFilterKey, new PreFilterState(constraints, counts));
      return Status.success;
    },

    preFilterExtensions: {
      addPod(state, pod, toAdd, node) {
        state.read(preFilterKey)?.update(toAdd, pod, node.node, 1);
        return Status.success;
      },
      removePod(state, pod, toRemove, node) {
        state.read(preFilterKey)?.update(toRemove, pod, node.node, -1);
        return Status.success;
      },
    },

    filter(state, pod, n) {
      const s = state.read(preFilterKey);
      if (!s) return Status.error(PodTopologySpreadName, 'reading "PreFilterPodTopologySpread" from cycleState: not found');
      const labels = n.node.metadata?.labels ?? {};
      for (const c of s.constraints) {
        const v = labels[c.topologyKey];
        if (v === undefined) return Status.unresolvable(PodTopologySpreadName, ErrReasonNodeLabelNotMatch);
        const self = matchesLabelSelector(c.selector, pod.metadata?.labels) ? 1 : 0;
        const matching = s.counts.get(c.topologyKey)?.get(v) ?? 0;
        if (matching + self - s.minMatching(c) > c.maxSkew) return Status.unschedulable(PodTopologySpreadName, ErrReasonConstraintsNotMatch);
      }
      return Status.success;
    },

    preScore(state, pod, feasible, all) {
      const { constraints, system } = softConstraints(pod);
      if (!constraints.length || !feasible.length) {
        state.skipScore.add(PodTopologySpreadName);
        return Status.skip;
      }
      // Only the pod's own constraints need every topology key on a node: with the system
      // defaults a node without a zone label is still spread over by hostname.
      const requireAll = !system;
      const ignored = new Set<string>();
      const counts = new Map<string, Map<string, number>>();
      const domains = constraints.map(() => 0);
      for (const n of feasible) {
        const labels = n.node.metadata?.labels ?? {};
        if (requireAll && !hasAllKeys(labels, constraints)) {
          ignored.add(n.name);
          continue;
        }
        constraints.forEach((c, i) => {
          if (c.topologyKey === hostnameKey) return;
          let m = counts.get(c.topologyKey);
          if (!m) counts.set(c.topologyKey, (m = new Map()));
          const v = labels[c.topologyKey] ?? '';
          if (!m.has(v)) {
            m.set(v, 0);
            domains[i]!++;
          }
        });
      }
      const weights = constraints.map((c, i) => Math.log((c.topologyKey === hostnameKey ? feasible.length - ignored.size : domains[i]!) + 2));
      const ns = pod.metadata?.namespace ?? 'default';
      if (counts.size) {
        for (const n of all) {
          const labels = n.node.metadata?.labels ?? {};
          if (requireAll && !hasAllKeys(labels, constraints)) continue;
          for (const c of constraints) {
            const m = counts.get(c.topologyKey);
            const v = labels[c.topologyKey] ?? '';
            // Only domains of candidate nodes count (hostname counts are taken in Score).
            if (!m?.has(v) || !nodeIncluded(c, pod, n.node)) continue;
            m.set(v, m.get(v)! + countMatching(n, c.selector, ns));
          }
        }
      }
      state.write(preScoreKey, { constraints, ignored, counts, weights });
      return Status.success;
    },

    score(state, pod, n) {
      const s = state.read(preScoreKey);
      if (!s || s.ignored.has(n.name)) return 0;
      const labels = n.node.metadata?.labels ?? {};
      let score = 0;
      s.constraints.forEach((c, i) => {
        const v = labels[c.topologyKey];
        if (v === undefined) return;
        const count = c.topologyKey === hostnameKey ? countMatching(n, c.selector, pod.metadata?.namespace ?? 'default') : (s.counts.get(c.topologyKey)?.get(v) ?? 0);
        score += count * s.weights[i]! + (c.maxSkew - 1);
      });
      return Math.round(score);
    },

    // Fewer matching pods is better: the node with the least scores 100.
    normalizeScore(state, _pod, scores) {
      const s = state.read(preScoreKey);
      if (!s) return;
      let min = Infinity;
      let max = 0;
      for (const x of scores) {
        if (s.ignored.has(x.node)) continue;
        if (x.score < min) min = x.score;
        if (x.score > max) max = x.score;
      }
      for (const x of scores) {
        if (s.ignored.has(x.node)) x.score = 0;
        else if (max === 0) x.score = MaxNodeScore;
        else x.score = Math.trunc((MaxNodeScore * (max + min - x.score)) / max);
      }
    },
  };
}
