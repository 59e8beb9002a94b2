// Builders for the scheduler plugins' unit tests: nodes, pods, a snapshot of NodeInfos, a fake
// ClusterLister, the Filter verdict of every node after a PreFilter and the scores after PreScore.
import { labelSelectorFromObject, matchesLabelSelector, type ParsedLabelSelector } from '../../pkg/api/selectors.js';
import type { Node, Pod, PodSpec } from '../../pkg/api/types.js';
import type { ClusterLister } from '../../pkg/scheduler/cluster-lister.js';
import { Code, CycleState, type FilterPlugin, type PreFilterPlugin, type PreScorePlugin, type ScorePlugin, type Status } from '../../pkg/scheduler/framework.js';
import { NodeInfo } from '../../pkg/scheduler/node-info.js';

export function testNode(name: string, labels: Record<string, string> = {}, spec: Node['spec'] = {}): Node {
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
    spec,
    status: { allocatable: { cpu: '8', memory: '16Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

export function testPod(name: string, labels: Record<string, string> = {}, spec: Partial<PodSpec> = {}, namespace = 'default'): Pod {
  return { metadata: { name, namespace, labels, uid: `uid-${namespace}-${name}` }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } };
}

/** NodeInfos for the nodes, with each pod placed on the node named in its spec.nodeName. */
export function snapshot(nodes: Node[], pods: Pod[]): NodeInfo[] {
  const infos = nodes.map((n) => new NodeInfo(n));
  for (const p of pods) infos.find((i) => i.name === p.spec?.nodeName)!.addPod(p, false);
  return infos;
}

export const on = (pod: Pod, node: string): Pod => ({ ...pod, spec: { ...pod.spec!, nodeName: node } });

/** A ClusterLister over fixed namespaces and a fixed default selector. */
export function fakeLister(namespaces: Record<string, Record<string, string>> = {}, defaultSelector?: (pod: Pod) => ParsedLabelSelector | undefined): ClusterLister {
  return {
    namespaceLabels: (ns) => namespaces[ns] ?? (ns === 'default' ? {} : undefined),
    namespacesMatching: (sel) => Object.entries(namespaces).filter(([, l]) => matchesLabelSelector(sel, l)).map(([n]) => n),
    defaultSelector: (pod) => defaultSelector?.(pod),
  };
}

export const selectorOf = (matchLabels: Record<string, string>) => labelSelectorFromObject({ matchLabels });

export interface Verdicts {
  /** PreFilter's status. */
  pre: Status;
  /** node → Filter status (absent when PreFilter skipped). */
  byNode: Map<string, Status>;
  state: CycleState;
}

/** Runs PreFilter then Filter on every node, as the scheduler does. */
export function runFilter(pl: PreFilterPlugin & FilterPlugin, pod: Pod, nodes: NodeInfo[], state = new CycleState()): Verdicts {
  const pre = pl.preFilter(state, pod, nodes);
  const byNode = new Map<string, Status>();
  if (!state.skipFilter.has(pl.name)) for (const n of nodes) byNode.set(n.name, pl.filter(state, pod, n));
  return { pre, byNode, state };
}

/** Filter verdicts from a given state (e.g. after PreFilterExtensions), as comparable codes and reasons. */
export function filterAll(pl: FilterPlugin, state: CycleState, pod: Pod, nodes: NodeInfo[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of nodes) {
    const st = pl.filter(state, pod, n);
    out[n.name] = `${st.code}:${st.reasons.join(',')}`;
  }
  return out;
}

/** PreScore then Score and NormalizeScore over the feasible nodes: node → score, or 'skip'. */
export function runScore(pl: PreScorePlugin & ScorePlugin, pod: Pod, feasible: NodeInfo[], all: NodeInfo[] = feasible): Record<string, number> | 'skip' {
  const state = new CycleState();
  const st = pl.preScore(state, pod, feasible, all);
  if (st.code === Code.Skip) return 'skip';
  const scores = feasible.map((n) => ({ node: n.name, score: pl.score(state, pod, n) }));
  pl.normalizeScore?.(state, pod, scores);
  return Object.fromEntries(scores.map((s) => [s.node, s.score]));
}
