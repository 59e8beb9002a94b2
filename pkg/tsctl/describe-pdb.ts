// tsctl describe for PodDisruptionBudgets, as kubectl 1.32's describePodDisruptionBudgetV1
// writes them: minAvailable or else maxUnavailable, the selector, then the status counts; in
// tab-ended cells for ./tabwriter.ts.
import type { LabelSelector, PodDisruptionBudget } from '../api/types.js';
import { selectorString } from './describe-deployment.js';

/** The lines of describe pdb up to its events. */
export function describePodDisruptionBudget(pdb: PodDisruptionBudget): string[] {
  const meta = pdb.metadata ?? {};
  const spec = pdb.spec ?? {};
  const status = pdb.status;
  const out = [`Name:\t${meta.name ?? ''}`, `Namespace:\t${meta.namespace ?? ''}`];
  // (an IntOrString's String(): the number, or the percentage as written)
  if (spec.minAvailable !== undefined && spec.minAvailable !== null) out.push(`Min available:\t${spec.minAvailable}`);
  else if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) out.push(`Max unavailable:\t${spec.maxUnavailable}`);
  // (metav1.FormatLabelSelector: "<none>" for an empty selector, which selects every pod)
  out.push(`Selector:\t${spec.selector ? selectorString(spec.selector as LabelSelector & Parameters<typeof selectorString>[0]) || '<none>' : '<unset>'}`);
  out.push('Status:', `    Allowed disruptions:\t${status?.disruptionsAllowed ?? 0}`, `    Current:\t${status?.currentHealthy ?? 0}`, `    Desired:\t${status?.desiredHealthy ?? 0}`, `    Total:\t${status?.expectedPods ?? 0}`);
  return out;
}
