// Pure scheduling predicates over API objects, as in k8s.io/component-helpers: whether a
// toleration tolerates a taint, and whether a node satisfies a pod's nodeSelector and required
// node affinity. Shared by the scheduler, the node lifecycle controller and the node agent.
import { matchesRequirement } from './selectors.js';
import type { Node, NodeSelectorRequirement, NodeSelectorTerm, Pod, Taint, Toleration } from './types.js';

/** Kubernetes' Toleration.ToleratesTaint. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? '') {
    case 'Exists':
      return true;
    case '':
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

/** The first taint (of those `filter` keeps) that no toleration tolerates, or undefined. */
export function findUntoleratedTaint(taints: Taint[], tolerations: Toleration[], filter: (t: Taint) => boolean = () => true): Taint | undefined {
  return taints.find((taint) => filter(taint) && !tolerations.some((t) => toleratesTaint(t, taint)));
}

/** Taints with the effects the scheduler filters on (NoSchedule and NoExecute). */
export const isSchedulingTaint = (t: Taint) => t.effect === 'NoSchedule' || t.effect === 'NoExecute';

function requirementMatches(r: NodeSelectorRequirement, values: Record<string, string>): boolean {
  return matchesRequirement({ key: r.key ?? '', operator: r.operator ?? '', values: r.values ?? [] }, values);
}

/** One term: all of its expressions (on labels) and fields (metadata.name) hold; an empty term matches nothing. */
export function nodeSelectorTermMatches(node: Node, term: NodeSelectorTerm): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (!exprs.length && !fields.length) return false;
  const labels = node.metadata?.labels ?? {};
  const nodeFields = { 'metadata.name': node.metadata?.name ?? '' };
  return exprs.every((r) => requirementMatches(r, labels)) && fields.every((r) => requirementMatches(r, nodeFields));
}

/** Terms are ORed; an empty list matches nothing. */
export function nodeSelectorTermsMatch(node: Node, terms: NodeSelectorTerm[]): boolean {
  return terms.some((t) => nodeSelectorTermMatches(node, t));
}

/** The pod's nodeSelector and requiredDuringSchedulingIgnoredDuringExecution node affinity both hold. */
export function podMatchesNodeSelectorAndAffinity(pod: Pod, node: Node): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  return nodeSelectorTermsMatch(node, required.nodeSelectorTerms ?? []);
}

/** Sum of the weights of the preferred node affinity terms the node matches (for scoring). */
export function preferredNodeAffinityScore(pod: Pod, node: Node): number {
  let score = 0;
  for (const p of pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
    if (p.preference && nodeSelectorTermMatches(node, p.preference)) score += p.weight ?? 0;
  }
  return score;
}
