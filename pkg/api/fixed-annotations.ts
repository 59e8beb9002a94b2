// Annotations a pod keeps from its creation (ValidatePodSpecificAnnotationUpdates): an update may
// neither add one with the key (prefix) nor change or take one away.
import { forbidden, type FieldError } from './field-error.js';
import type { Pod } from './types.js';

/** The errors of an update of annotations keyed by `prefix`, named `what` in 1.32's words ("mirror pod annotation", "AppArmor annotations"). */
export function fixedAnnotationUpdates(pod: Pod, old: Pod, prefix: string, what: string): FieldError[] {
  const next = pod.metadata?.annotations ?? {};
  const prev = old.metadata?.annotations ?? {};
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(prev)) {
    if (k.startsWith(prefix) && next[k] !== v) errs.push(forbidden(`metadata.annotations[${k}]`, `may not remove or update ${what}`));
  }
  for (const k of Object.keys(next)) {
    if (k.startsWith(prefix) && !(k in prev)) errs.push(forbidden(`metadata.annotations[${k}]`, `may not add ${what}`));
  }
  return errs;
}
