// Duplicate owner references: the apiserver's handlers drop them with a warning
// (dedupOwnerReferencesAndAddWarning in k8s.io/apiserver's endpoints/handlers/rest.go), once
// before mutating admission for a create or an update (not a patch) and once after it for all
// three, so that `kubectl apply` of a manifest naming its owner twice stores one reference.
import type { KubeObject, OwnerReference } from '../../api/types.js';

const BEFORE = '.metadata.ownerReferences contains duplicate entries; API server dedups owner references in 1.20+, and may reject such requests as early as 1.24; please fix your requests; duplicate UID(s) observed: ';
const AFTER = '.metadata.ownerReferences contains duplicate entries after mutating admission happens; API server dedups owner references in 1.20+, and may reject such requests as early as 1.24; please fix your requests; duplicate UID(s) observed: ';

/** apiequality.Semantic.DeepEqual of two references: an unset pointer differs from false. */
const same = (a: OwnerReference, b: OwnerReference) =>
  a.apiVersion === b.apiVersion && a.kind === b.kind && a.name === b.name && a.uid === b.uid && a.controller === b.controller && a.blockOwnerDeletion === b.blockOwnerDeletion;

/**
 * dedupOwnerReferences: a reference equal in every field to an earlier one goes (one with the
 * same uid but another field different stays); the warning lists the duplicates' uids.
 */
export function dedupOwnerReferences(obj: KubeObject, warnings: string[], afterMutatingAdmission: boolean): void {
  const refs = obj.metadata?.ownerReferences;
  if (!Array.isArray(refs) || refs.length < 2) return;
  const kept: OwnerReference[] = [];
  const duplicates: string[] = [];
  for (const r of refs) {
    if (kept.some((k) => same(k, r))) duplicates.push(r.uid ?? '');
    else kept.push(r);
  }
  if (!duplicates.length) return;
  warnings.push((afterMutatingAdmission ? AFTER : BEFORE) + duplicates.join(', '));
  obj.metadata!.ownerReferences = kept;
}
