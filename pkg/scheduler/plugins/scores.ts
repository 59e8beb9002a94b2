// Score plugins: NodeResourcesLeastAllocated, NodeResourcesBalancedAllocation, NodeAffinity
// (preferred terms), TaintToleration (PreferNoSchedule taints, fewer is better).
import { preferredNodeAffinityScore, toleratesTaint } from '../../api/scheduling.js';
import { MaxNodeScore, StateKey, Status, type CycleState, type PreScorePlugin, type ScorePlugin } from '../framework.js';
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

/** Scratch for fractions (scoring runs for hundreds of nodes per pod; nothing is kept across calls). */
const frac = { cpu: 0, mem: 0 };

function fractions(state: CycleState, pod: Pod, n: NodeInfo): { cpu: number; mem: number } {
  const r = requests(state, pod);
  const cpu = n.allocatable.milliCPU ? (n.requested.milliCPU + r.milliCPU) / n.allocatable.milliCPU : 1;
  const mem = n.allocatable.memory ? (n.requested.memory + r.memory) / n.allocatable.memory : 1;
  frac.cpu = Math.min(cpu, 1);
  frac.mem = Math.min(mem, 1);
  return frac;
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
  let max = 0;
  for (const s of scores) if (s.score > max) max = s.score;
  for (const s of scores) {
    const v = max > 0 ? (s.score * MaxNodeScore) / max : 0;
    s.score = Math.round(reverse ? MaxNodeScore - v : v);
  }
}

export const nodeAffinityScore: ScorePlugin & PreScorePlugin = {
  name: 'NodeAffinity',
  weight: 2,
  // Without preferred terms every node scores the same: skip it (as kube-scheduler does).
  preScore(state, pod) {
    if (pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length) return Status.success;
    state.skipScore.add('NodeAffinity');
    return Status.skip;
  },
  score: (_s, pod, n) => preferredNodeAffinityScore(pod, n.node),
  normalizeScore: (_s, _p, scores) => normalize(scores, false),
};

const preferTolerationsKey = new StateKey<NonNullable<NonNullable<Pod['spec']>['tolerations']>>('TaintToleration-prefer');

export const taintTolerationScore: ScorePlugin = {
  name: 'TaintToleration',
  weight: 3,
  score(state, pod, n) {
    const taints = n.node.spec?.taints;
    if (!taints?.length) return 0;
    let tols = state.read(preferTolerationsKey);
    if (!tols) state.write(preferTolerationsKey, (tols = (pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule')));
    let n2 = 0;
    for (const t of taints) if (t.effect === 'PreferNoSchedule' && !tols.some((tol) => toleratesTaint(tol, t))) n2++;
    return n2;
  },
  normalizeScore: (_s, _p, scores) => normalize(scores, true),
};
