// InterPodAffinity, as kube-scheduler's plugin of that name. PreFilter counts, per topology pair
// (topologyKey, value), (a) existing pods whose required anti-affinity terms match the incoming
// pod, (b) pods matching all of the incoming pod's required affinity terms, (c) pods matching
// each of its required anti-affinity terms; Filter reads the node's labels against those counts.
// PreScore sums the weights of preferred terms in both directions (and existing pods' required
// affinity terms at hardPodAffinityWeight) per topology pair; Score adds up a node's pairs.
import { MaxNodeScore, StateKey, Status, type ClonableState, type CycleState, type FilterPlugin, type PreFilterPlugin, type PreScorePlugin, type ScorePlugin } from '../framework.js';
import type { Node, Pod } from '../framework.js';
import type { ClusterLister } from '../cluster-lister.js';
import type { NodeInfo } from '../node-info.js';
import { podAffinityInfo, podMatchesAllTerms, termMatches, TopologyCounts, withResolvedNamespaces, type AffinityTerm, type PodAffinityInfo } from './affinity-terms.js';

export const InterPodAffinityName = 'InterPodAffinity';
export const ErrReasonAffinityRulesNotMatch = "node(s) didn't match pod affinity rules";
export const ErrReasonAntiAffinityRulesNotMatch = "node(s) didn't match pod anti-affinity rules";
export const ErrReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules";

/** kube-scheduler's default InterPodAffinityArgs.hardPodAffinityWeight. */
export const hardPodAffinityWeight = 1;

const labelsOf = (n: Node): Record<string, string> => n.metadata?.labels ?? {};

/** Adds `delta` at the node's pair for each term the pod matches (anti-affinity counting). */
function countEachTerm(m: TopologyCounts, terms: AffinityTerm[], pod: Pod, nsLabels: Record<string, string> | undefined, node: Node, delta: number): void {
  const labels = labelsOf(node);
  for (const t of terms) {
    const v = labels[t.topologyKey];
    if (v !== undefined && termMatches(t, pod, nsLabels)) m.add(t.topologyKey, v, delta);
  }
}

/** Adds `delta` at the node's pair of every term when the pod matches all of them (affinity counting). */
function countAllTerms(m: TopologyCounts, terms: AffinityTerm[], pod: Pod, node: Node, delta: number): void {
  if (!podMatchesAllTerms(terms, pod)) return;
  const labels = labelsOf(node);
  for (const t of terms) {
    const v = labels[t.topologyKey];
    if (v !== undefined) m.add(t.topologyKey, v, delta);
  }
}

class PreFilterState implements ClonableState {
  constructor(
    readonly pod: Pod,
    /** The incoming pod's terms, namespaceSelector resolved. */
    readonly terms: PodAffinityInfo,
    /** Labels of the incoming pod's namespace (existing pods' namespaceSelectors look at them). */
    readonly nsLabels: Record<string, string> | undefined,
    readonly existingAntiAffinity: TopologyCounts,
    readonly affinity: TopologyCounts,
    readonly antiAffinity: TopologyCounts,
  ) {}

  clone(): this {
    return new PreFilterState(this.pod, this.terms, this.nsLabels, this.existingAntiAffinity.clone(), this.affinity.clone(), this.antiAffinity.clone()) as this;
  }

  /** A pod added (+1) to or removed (-1) from a node. */
  update(other: Pod, node: Node, delta: number): void {
    countEachTerm(this.existingAntiAffinity, podAffinityInfo(other).requiredAntiAffinity, this.pod, this.nsLabels, node, delta);
    countAllTerms(this.affinity, this.terms.requiredAffinity, other, node, delta);
    countEachTerm(this.antiAffinity, this.terms.requiredAntiAffinity, other, undefined, node, delta);
  }
}

const preFilterKey = new StateKey<PreFilterState>('PreFilter' + InterPodAffinityName);

/** Scores per topology pair: key → value → sum of weights. */
type TopologyScore = Map<string, Map<string, number>>;

const preScoreKey = new StateKey<TopologyScore>('PreScore' + InterPodAffinityName);

function addScore(m: TopologyScore, terms: AffinityTerm[], pod: Pod, nsLabels: Record<string, string> | undefined, node: Node, weight: number | undefined, sign: number): void {
  const labels = labelsOf(node);
  for (const t of terms) {
    const v = labels[t.topologyKey];
    if (v === undefined || !termMatches(t, pod, nsLabels)) continue;
    let byValue = m.get(t.topologyKey);
    if (!byValue) m.set(t.topologyKey, (byValue = new Map()));
    byValue.set(v, (byValue.get(v) ?? 0) + (weight ?? t.weight) * sign);
  }
}

function satisfiesPodAffinity(s: PreFilterState, labels: Record<string, string>): boolean {
  let podsExist = true;
  for (const t of s.terms.requiredAffinity) {
    const v = labels[t.topologyKey];
    if (v === undefined) return false; // every topology label must be on the node
    if (s.affinity.get(t.topologyKey, v) <= 0) podsExist = false;
  }
  if (podsExist) return true;
  // The first of a series of pods with affinity to each other: no pod matches anywhere yet, and
  // the pod matches its own terms; let it in rather than leave it Pending for ever.
  return s.affinity.size === 0 && podMatchesAllTerms(s.terms.requiredAffinity, s.pod);
}

function satisfiesPodAntiAffinity(s: PreFilterState, labels: Record<string, string>): boolean {
  if (!s.antiAffinity.size) return true;
  for (const t of s.terms.requiredAntiAffinity) {
    const v = labels[t.topologyKey];
    if (v !== undefined && s.antiAffinity.get(t.topologyKey, v) > 0) return false;
  }
  return true;
}

function satisfiesExistingPodsAntiAffinity(s: PreFilterState, labels: Record<string, string>): boolean {
  if (!s.existingAntiAffinity.size) return true;
  for (const [key, values] of s.existingAntiAffinity.byKey) {
    const v = labels[key];
    if (v !== undefined && (values.get(v) ?? 0) > 0) return false;
  }
  return true;
}

export function interPodAffinity(lister: ClusterLister): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin {
  const nsLabelsOf = (pod: Pod) => lister.namespaceLabels(pod.metadata?.namespace ?? 'default');
  return {
    name: InterPodAffinityName,
    weight: 2,

    preFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]) {
      const own = podAffinityInfo(pod);
      const existingAntiAffinity = new TopologyCounts();
      let nsLabels: Record<string, string> | undefined;
      let nsLooked = false;
      for (const n of nodes) {
        if (!n.podsWithRequiredAntiAffinity.size) continue;
        if (!nsLooked) {
          nsLabels = nsLabelsOf(pod);
          nsLooked = true;
        }
        for (const p of n.podsWithRequiredAntiAffinity.values()) countEachTerm(existingAntiAffinity, podAffinityInfo(p).requiredAntiAffinity, pod, nsLabels, n.node, 1);
      }
      // Nothing required either way: every node passes (kube-scheduler skips too).
      if (!existingAntiAffinity.size && !own.requiredAffinity.length && !own.requiredAntiAffinity.length) {
        state.skipFilter.add(InterPodAffinityName);
        return Status.skip;
      }
      if (!nsLooked) nsLabels = nsLabelsOf(pod);
      const terms: PodAffinityInfo = { ...own, requiredAffinity: withResolvedNamespaces(own.requiredAffinity, lister), requiredAntiAffinity: withResolvedNamespaces(own.requiredAntiAffinity, lister) };
      const s = new PreFilterState(pod, terms, nsLabels, existingAntiAffinity, new TopologyCounts(), new TopologyCounts());
      if (terms.requiredAffinity.length || terms.requiredAntiAffinity.length) {
        for (const n of nodes) {
          for (const e of n.pods.values()) {
            countAllTerms(s.affinity, terms.requiredAffinity, e.pod, n.node, 1);
            countEachTerm(s.antiAffinity, terms.requiredAntiAffinity, e.pod, undefined, n.node, 1);
          }
        }
      }
      state.write(preFilterKey, s);
      return Status.success;
    },

    preFilterExtensions: {
      addPod(state, _pod, toAdd, node) {
        state.read(preFilterKey)?.update(toAdd, node.node, 1);
        return Status.success;
      },
      removePod(state, _pod, toRemove, node) {
        state.read(preFilterKey)?.update(toRemove, node.node, -1);
        return Status.success;
      },
    },

    filter(state, _pod, n) {
      const s = state.read(preFilterKey);
      if (!s) return Status.error(InterPodAffinityName, 'reading "PreFilterInterPodAffinity" from cycleState: not found');
      const labels = labelsOf(n.node);
      if (!satisfiesPodAffinity(s, labels)) return Status.unresolvable(InterPodAffinityName, ErrReasonAffinityRulesNotMatch);
      if (!satisfiesPodAntiAffinity(s, labels)) return Status.unschedulable(InterPodAffinityName, ErrReasonAntiAffinityRulesNotMatch);
      if (!satisfiesExistingPodsAntiAffinity(s, labels)) return Status.unschedulable(InterPodAffinityName, ErrReasonExistingAntiAffinityRulesNotMatch);
      return Status.success;
    },

    preScore(state, pod, _feasible, all) {
      const own = podAffinityInfo(pod);
      const hasConstraints = own.preferredAffinity.length > 0 || own.preferredAntiAffinity.length > 0;
      const preferredAffinity = hasConstraints ? withResolvedNamespaces(own.preferredAffinity, lister) : own.preferredAffinity;
      const preferredAntiAffinity = hasConstraints ? withResolvedNamespaces(own.preferredAntiAffinity, lister) : own.preferredAntiAffinity;
      const scores: TopologyScore = new Map();
      let nsLabels: Record<string, string> | undefined;
      let nsLooked = false;
      for (const n of all) {
        // Without preferred terms of its own, only pods with affinity terms can score the pod.
        if (!hasConstraints && !n.podsWithAffinity.size) continue;
        const node = n.node;
        if (!Object.keys(labelsOf(node)).length) continue;
        if (!nsLooked) {
          nsLabels = nsLabelsOf(pod);
          nsLooked = true;
        }
        const existing = hasConstraints ? [...n.pods.values()].map((e) => e.pod) : n.podsWithAffinity.values();
        for (const p of existing) {
          addScore(scores, preferredAffinity, p, undefined, node, undefined, 1);
          addScore(scores, preferredAntiAffinity, p, undefined, node, undefined, -1);
          const theirs = podAffinityInfo(p);
          if (hardPodAffinityWeight > 0) addScore(scores, theirs.requiredAffinity, pod, nsLabels, node, hardPodAffinityWeight, 1);
          addScore(scores, theirs.preferredAffinity, pod, nsLabels, node, undefined, 1);
          addScore(scores, theirs.preferredAntiAffinity, pod, nsLabels, node, undefined, -1);
        }
      }
      if (!scores.size) {
        state.skipScore.add(InterPodAffinityName);
        return Status.skip;
      }
      state.write(preScoreKey, scores);
      return Status.success;
    },

    score(state, _pod, n) {
      const scores = state.read(preScoreKey);
      if (!scores) return 0;
      const labels = labelsOf(n.node);
      let total = 0;
      for (const [key, values] of scores) {
        const v = labels[key];
        if (v !== undefined) total += values.get(v) ?? 0;
      }
      return total;
    },

    normalizeScore(state, _pod, scores) {
      if (!state.read(preScoreKey)) return;
      let min = Infinity;
      let max = -Infinity;
      for (const s of scores) {
        if (s.score > max) max = s.score;
        if (s.score < min) min = s.score;
      }
      const diff = max - min;
      for (const s of scores) s.score = diff > 0 ? Math.trunc((MaxNodeScore * (s.score - min)) / diff) : 0;
    },
  };
}
