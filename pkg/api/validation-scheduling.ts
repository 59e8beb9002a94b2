// scheduling.k8s.io/v1 PriorityClass: defaults, the system classes, and Kubernetes'
// ValidatePriorityClass / ValidatePriorityClassUpdate.
import { forbidden, invalid, type FieldError } from './field-error.js';
import type { PriorityClass } from './types.js';
import { oneOf, validateObjectMeta, validateObjectMetaUpdate } from './validation-meta.js';

/** The most a user-defined PriorityClass may be worth (HighestUserDefinablePriority). */
export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;
export const SYSTEM_PRIORITY_CLASS_PREFIX = 'system-';
export const PREEMPTION_POLICIES = ['Never', 'PreemptLowerPriority'];

/** The classes the apiserver creates at start and will not delete (SystemPriorityClasses). */
export const SYSTEM_PRIORITY_CLASSES: PriorityClass[] = [
  {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name: 'system-node-critical' },
    value: 2_000_001_000,
    description: 'Used for system critical pods that must not be moved from their current node.',
  },
  {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name: 'system-cluster-critical' },
    value: 2_000_000_000,
    description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
  },
];

export function defaultPriorityClass(pc: PriorityClass): void {
  pc.preemptionPolicy ||= 'PreemptLowerPriority';
}

/** Why `pc` is not one of the system classes as they are defined (IsKnownSystemPriorityClass). */
function systemClassMismatch(pc: PriorityClass): string | undefined {
  const name = pc.metadata?.name ?? '';
  const known = SYSTEM_PRIORITY_CLASSES.find((s) => s.metadata!.name === name);
  if (!known) return `${name} is not a known system priority class`;
  if ((pc.value ?? 0) !== known.value) return `value of ${name} PriorityClass must be ${known.value}`;
  if ((pc.globalDefault ?? false) !== (known.globalDefault ?? false)) return `globalDefault of ${name} PriorityClass must be ${known.globalDefault ?? false}`;
  return undefined;
}

export function validatePriorityClass(pc: PriorityClass): FieldError[] {
  const errs = validateObjectMeta(pc.metadata, false, 'metadata');
  const name = pc.metadata?.name ?? '';
  if (name.startsWith(SYSTEM_PRIORITY_CLASS_PREFIX)) {
    const why = systemClassMismatch(pc);
    if (why) errs.push(forbidden('metadata.name', `priority class names with '${SYSTEM_PRIORITY_CLASS_PREFIX}' prefix are reserved for system use only. error: ${why}`));
  } else if ((pc.value ?? 0) > HIGHEST_USER_DEFINABLE_PRIORITY) {
    errs.push(forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
  }
  if (pc.preemptionPolicy) errs.push(...oneOf(pc.preemptionPolicy, PREEMPTION_POLICIES, 'preemptionPolicy'));
  return errs;
}

export function validatePriorityClassUpdate(pc: PriorityClass, old: PriorityClass): FieldError[] {
  const errs = validateObjectMetaUpdate(pc.metadata, old.metadata, false, 'metadata');
  if ((pc.value ?? 0) !== (old.value ?? 0)) errs.push(forbidden('value', 'may not be changed in an update.'));
  if ((pc.preemptionPolicy ?? '') !== (old.preemptionPolicy ?? '')) errs.push(invalid('preemptionPolicy', pc.preemptionPolicy, 'field is immutable'));
  return errs;
}
