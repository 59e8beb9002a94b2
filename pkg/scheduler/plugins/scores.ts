// Score plugins: NodeResourcesLeastAllocated, NodeResourcesBalancedAllocation, NodeAffinity
// (preferred terms), TaintToleration (PreferNoSchedule taints, fewer is better).
import { preferredNodeAffinityScore, toleratesTaint } from '../../api/scheduling.js';
import { MaxNodeScore, StateKey, type CycleState, type ScorePlugin } from '../framework.js';
import type { Pod } from '../framework.js';
import { podRequests, type NodeInfo, type Resources } from '../node-info.js';

const reqKey = new StateKey<Resources>('score-requests');

// kube-scheduler scores pods without requests as if they asked for 100m CPU and 200 MiB.
const defaultMilliCPU = 100;
const defaultMemory = 200 * 1024 * 1024;

function requests(state: CycleState, pod: Pod): Resources {
  let r = state.read(reqKey);
  if (!r) {
    r = podRequests(pod);
    r = { ...r, milliCPU: r.milliCPU || defaultMilliCPU, memory: r.memory || defaultMemory };
    state.write(reqKey, r);
  }
  return r;
}

function fractions(state: CycleState, pod: Pod, n: NodeInfo): { cpu: number; mem: number } {
  const r = requests(state, pod);
  const cpu = n.allocatable.milliCPU ? (n.requested.milliCPU + r.milliCPU) / n.allocatable.milliCPU : 1;
  const mem = n.allocatable.memory ? (n.requested.memory + r.memory) / n.allocatable.memory : 1;
  return { cpu: Math.min(cpu, 1), mem: Math.min(mem, 1) };
}

export const leastAllocated: ScorePlugin = {
  name: 'NodeResourcesLeastAllocated',
  weight: 1,
  score(state, pod, n) {
    const f = fractions(state, pod, n);
    return Math.round(((1 - f.cpu) * MaxNodeScore + (1 - f.mem) * MaxNodeScore) / 2);
  },
};

export const balancedAllocation: ScorePlugin = {
  name: 'NodeResourcesBalancedAllocation',
  weight: 1,
  score(state, pod, n) {
    const f = fractions(state, pod, n);
    // Two resources: the standard deviation is |a-b|/2.
    return Math.round((1 - Math.abs(f.cpu - f.mem) / 2) * MaxNodeScore);
  },
};

function normalize(scores: { score: number }[], reverse: boolean): void {
  const max = Math.max(0, ...scores.map((s) => s.score));
  for (const s of scores) {
    const v = max > 0 ? (s.score * MaxNodeScore) / max : 0;
    s.score = Math.round(reverse ? MaxNodeScore - v : v);
  }
}

export const nodeAffinityScore: ScorePlugin = {
  name: 'NodeAffinity',
  weight: 2,
  score: (_s, pod, n) => preferredNodeAffinityScore(pod, n.node),
  normalizeScore: (_s, _p, scores) => normalize(scores, false),
};

export const taintTolerationScore: ScorePlugin = {
  name: 'TaintToleration',
  weight: 3,
  score(_s, pod, n) {
    const tols = (pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    return (n.node.spec?.taints ?? []).filter((t) => t.effect === 'PreferNoSchedule' && !tols.some((tol) => toleratesTaint(tol, t))).length;
  },
  normalizeScore: (_s, _p, scores) => normalize(scores, true),
};
