// policy/v1 validation (pkg/apis/policy/validation): a PodDisruptionBudget's minAvailable or
// maxUnavailable (never both; counts or percentages up to 100%), its selector and
// unhealthyPodEvictionPolicy; its status (non-negative counts, meta/v1 conditions).
import { invalid, notSupported, required, tooLong, type FieldError } from './field-error.js';
import { goIntOrString, percentOf, validateIntOrPercent } from './int-or-percent.js';
import { isQualifiedName } from './names.js';
import type { Condition, PodDisruptionBudget, PodDisruptionBudgetStatus } from './types.js';
import { validateLabelSelector } from './validation-affinity.js';
import { nonNegative, validateObjectMeta, validateObjectMetaUpdate } from './validation-meta.js';

export const UNHEALTHY_POD_EVICTION_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'];

/** ValidatePositiveIntOrPercent and IsNotMoreThan100Percent. */
function budget(v: unknown, path: string): FieldError[] {
  if (v === undefined || v === null) return [];
  const errs = validateIntOrPercent(v, path);
  if (!errs.length && (percentOf(v as string) ?? 0) > 100) errs.push(invalid(path, goIntOrString(v), 'must not be greater than 100%'));
  return errs;
}

export function validatePodDisruptionBudget(pdb: PodDisruptionBudget): FieldError[] {
  const s = pdb.spec ?? {};
  const errs = validateObjectMeta(pdb.metadata, true, 'metadata');
  const set = (v: unknown) => v !== undefined && v !== null;
  if (set(s.minAvailable) && set(s.maxUnavailable)) errs.push(invalid('spec', s, 'minAvailable and maxUnavailable cannot be both set'));
  errs.push(...budget(s.minAvailable, 'spec.minAvailable'), ...budget(s.maxUnavailable, 'spec.maxUnavailable'));
  if (s.selector) errs.push(...validateLabelSelector(s.selector, 'spec.selector'));
  if (s.unhealthyPodEvictionPolicy && !UNHEALTHY_POD_EVICTION_POLICIES.includes(s.unhealthyPodEvictionPolicy)) {
    errs.push(notSupported('spec.unhealthyPodEvictionPolicy', s.unhealthyPodEvictionPolicy, UNHEALTHY_POD_EVICTION_POLICIES));
  }
  return errs;
}

/** The spec may change (policy/v1); metadata follows the usual update rules. */
export function validatePodDisruptionBudgetUpdate(pdb: PodDisruptionBudget, old: PodDisruptionBudget): FieldError[] {
  return [...validateObjectMetaUpdate(pdb.metadata, old.metadata, true), ...validatePodDisruptionBudget(pdb).filter((e) => !e.field.startsWith('metadata'))];
}

export function validatePodDisruptionBudgetStatus(status: PodDisruptionBudgetStatus | undefined): FieldError[] {
  const st = status ?? {};
  return [
    ...validateConditions(st.conditions, 'status.conditions'),
    ...nonNegative(st.disruptionsAllowed, 'status.disruptionsAllowed'),
    ...nonNegative(st.currentHealthy, 'status.currentHealthy'),
    ...nonNegative(st.desiredHealthy, 'status.desiredHealthy'),
    ...nonNegative(st.expectedPods, 'status.expectedPods'),
  ];
}

const CONDITION_STATUSES = ['False', 'True', 'Unknown'];
const CONDITION_REASON = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;

/** meta/v1 ValidateConditions: qualified types, known statuses, a transition time, a CamelCase reason, bounded message. */
export function validateConditions(conditions: Condition[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (conditions ?? []).forEach((c, i) => {
    const p = `${path}[${i}]`;
    const type = c.type ?? '';
    for (const m of isQualifiedName(type)) errs.push(invalid(`${p}.type`, type, m));
    if (seen.has(type)) errs.push({ type: 'FieldValueDuplicate', field: `${p}.type`, badValue: type, detail: '' });
    seen.add(type);
    if (!CONDITION_STATUSES.includes(c.status ?? '')) errs.push(notSupported(`${p}.status`, c.status ?? '', CONDITION_STATUSES));
    errs.push(...nonNegative(c.observedGeneration, `${p}.observedGeneration`));
    if (!c.lastTransitionTime) errs.push(required(`${p}.lastTransitionTime`, 'must be set'));
    const reason = c.reason ?? '';
    if (!reason) errs.push(required(`${p}.reason`, 'must be set'));
    else {
      if (!CONDITION_REASON.test(reason)) errs.push(invalid(`${p}.reason`, reason, `a condition reason must start with alphabetic character, optionally followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName',  or 'ReasonA,ReasonB',  or 'ReasonA:ReasonB', regex used for validation is '[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?')`));
      if (reason.length > 1024) errs.push(tooLong(`${p}.reason`, '', 1024));
    }
    if ((c.message ?? '').length > 32768) errs.push(tooLong(`${p}.message`, '', 32768));
  });
  return errs;
}
