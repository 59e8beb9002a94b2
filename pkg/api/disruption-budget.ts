// What the eviction subresource and the disruption controller share about PodDisruptionBudgets
// (k8s.io/component-helpers/apps/poddisruptionbudget and apimeta.SetStatusCondition): which
// pods a budget selects, and its DisruptionAllowed condition.
import { rfc3339Now } from '../util/time.js';
import { labelSelectorFromObject, matchesLabelSelector } from './selectors.js';
import type { Condition, KubeObject, Pod, PodDisruptionBudget } from './types.js';

export const DISRUPTION_ALLOWED = 'DisruptionAllowed';
export const SUFFICIENT_PODS = 'SufficientPods';
export const INSUFFICIENT_PODS = 'InsufficientPods';
export const SYNC_FAILED = 'SyncFailed';

export type PDB = PodDisruptionBudget & KubeObject;

/** The Ready condition is True (podutil.IsPodReady, what a budget counts as healthy). */
export const isPodReady = (p: Pod) => !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

/**
 * The budget selects the pod: same namespace and its selector matches. An empty selector
 * selects every pod (policy/v1); no selector, or one that does not parse, selects none.
 */
export function budgetSelects(pdb: PDB, pod: KubeObject): boolean {
  if (pdb.metadata?.namespace !== pod.metadata?.namespace || !pdb.spec?.selector) return false;
  try {
    return matchesLabelSelector(labelSelectorFromObject(pdb.spec.selector), pod.metadata?.labels ?? {});
  } catch {
    return false;
  }
}

/**
 * apimeta.SetStatusCondition: adds the condition or updates the one of its type; the transition
 * time changes only with the status.
 */
export function setStatusCondition(conditions: Condition[], c: Omit<Condition, 'lastTransitionTime'> & { lastTransitionTime?: string }): Condition[] {
  const i = conditions.findIndex((x) => x.type === c.type);
  if (i < 0) return [...conditions, { ...c, message: c.message ?? '', lastTransitionTime: c.lastTransitionTime ?? rfc3339Now() }];
  const old = conditions[i]!;
  const next: Condition = { ...old, status: c.status, reason: c.reason, message: c.message ?? '', observedGeneration: c.observedGeneration };
  if (old.status !== c.status) next.lastTransitionTime = c.lastTransitionTime ?? rfc3339Now();
  return conditions.map((x, j) => (j === i ? next : x));
}

/** UpdateDisruptionAllowedCondition: True/SufficientPods while disruptions are allowed, else False/InsufficientPods. */
export function updateDisruptionAllowedCondition(pdb: PDB): void {
  const st = (pdb.status ??= {});
  const allowed = (st.disruptionsAllowed ?? 0) > 0;
  st.conditions = setStatusCondition(st.conditions ?? [], {
    type: DISRUPTION_ALLOWED,
    status: allowed ? 'True' : 'False',
    reason: allowed ? SUFFICIENT_PODS : INSUFFICIENT_PODS,
    message: '',
    observedGeneration: st.observedGeneration ?? 0,
  });
}

/** ConditionsAreUpToDate: the condition agrees with disruptionsAllowed and the observed generation is current. */
export function conditionsAreUpToDate(pdb: PDB): boolean {
  const st = pdb.status ?? {};
  const c = st.conditions?.find((x) => x.type === DISRUPTION_ALLOWED);
  if (!c || (st.observedGeneration ?? 0) !== (pdb.metadata?.generation ?? 0)) return false;
  return (st.disruptionsAllowed ?? 0) > 0 ? c.status === 'True' && c.reason === SUFFICIENT_PODS : c.status === 'False' && c.reason === INSUFFICIENT_PODS;
}
