// node.k8s.io/v1 RuntimeClass: Kubernetes' ValidateRuntimeClass / ValidateRuntimeClassUpdate
// (pkg/apis/node/validation), with its messages. RuntimeClass has no defaults; its overhead
// quantities are stored in canonical form, as every Kubernetes quantity is.
import { canonicalize } from './defaults.js';
import { duplicate, invalid, type FieldError } from './field-error.js';
import { isDNS1123Label } from './names.js';
import type { RuntimeClass } from './types.js';
import { goToleration, validateTolerations } from './validation-affinity.js';
import { validateGenericObjectMeta, validateGenericObjectMetaUpdate, validateLabels, validateResourceList } from './validation-meta.js';

/** The handler the node agent runs pods with when they name no RuntimeClass (containerd's default). */
export const DEFAULT_RUNTIME_HANDLER = 'runc';

/** A pod's or RuntimeClass's overhead, checked as resource limits are (so under `<path>.limits`, as Kubernetes words it). */
export const validateOverhead = (overhead: Record<string, string> | undefined, path: string): FieldError[] => validateResourceList(overhead, `${path}.limits`);

/** Quantities as Kubernetes writes them back (1000m → 1), so the admission plugin copies canonical ones into pods. */
export function defaultRuntimeClass(rc: RuntimeClass): void {
  canonicalize(rc.overhead?.podFixed);
}

/** RuntimeClasses take apimachinery's lax ObjectMeta checks (node.k8s.io validation does not import core's). */
export function validateRuntimeClass(rc: RuntimeClass): FieldError[] {
  const errs = validateGenericObjectMeta(rc.metadata, false, 'metadata');
  // Required in the schema, and an empty handler fails the label check (no "Required value").
  const handler = rc.handler ?? '';
  for (const m of isDNS1123Label(handler)) errs.push(invalid('handler', handler, m));
  if (rc.overhead) errs.push(...validateOverhead(rc.overhead.podFixed, 'overhead'));
  if (rc.scheduling) {
    errs.push(...validateLabels(rc.scheduling.nodeSelector, 'scheduling.nodeSelector'));
    const tolerations = rc.scheduling.tolerations ?? [];
    errs.push(...validateTolerations(tolerations, 'scheduling.tolerations'));
    const seen = new Set<string>();
    tolerations.forEach((t, i) => {
      // The list keys: key, operator, value, effect.
      const k = JSON.stringify([t.key ?? '', t.operator ?? '', t.value ?? '', t.effect ?? '']);
      if (seen.has(k)) errs.push({ ...duplicate(`scheduling.tolerations[${i}]`, undefined), detail: goToleration(t) });
      seen.add(k);
    });
  }
  return errs;
}

export function validateRuntimeClassUpdate(rc: RuntimeClass, old: RuntimeClass): FieldError[] {
  // The strategy validates the new object whole, then what an update may not change.
  const errs = [...validateGenericObjectMetaUpdate(rc.metadata, old.metadata, false, 'metadata'), ...validateRuntimeClass(rc).filter((e) => !e.field.startsWith('metadata'))];
  if ((rc.handler ?? '') !== (old.handler ?? '')) errs.push(invalid('handler', rc.handler ?? '', 'field is immutable'));
  return errs;
}
