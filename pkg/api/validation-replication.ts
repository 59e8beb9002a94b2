// core/v1 ReplicationController validation (pkg/apis/core/validation ValidateReplicationController*):
// a non-empty map selector that selects the template's labels, a template valid for a
// controller (restartPolicy Always, no activeDeadlineSeconds), non-negative counts; the selector
// may change on update (unlike apps/v1's).
import { invalid, required, goStringMap, type FieldError } from './field-error.js';
import type { ReplicationController } from './types.js';
import { validatePodTemplateSpecForReplicaSet } from './validation-apps.js';
import { nonNegative, validateObjectMeta, validateObjectMetaUpdate } from './validation-meta.js';

export function validateReplicationController(rc: ReplicationController): FieldError[] {
  const s = rc.spec ?? {};
  const errs = [...validateObjectMeta(rc.metadata, true, 'metadata'), ...nonNegative(s.minReadySeconds, 'spec.minReadySeconds')];
  const selector = s.selector ?? {};
  if (!Object.keys(selector).length) errs.push(required('spec.selector'));
  errs.push(...nonNegative(s.replicas, 'spec.replicas'));
  const t = s.template;
  if (!t) {
    errs.push(required('spec.template'));
    return errs;
  }
  const labels = t.metadata?.labels ?? {};
  if (Object.keys(selector).length && !Object.entries(selector).every(([k, v]) => labels[k] === v)) {
    errs.push(invalid('spec.template.metadata.labels', goStringMap(labels), '`selector` does not match template `labels`'));
  }
  errs.push(...validatePodTemplateSpecForReplicaSet(t, 'spec.template', 'ReplicationController'));
  return errs;
}

export function validateReplicationControllerUpdate(rc: ReplicationController, old: ReplicationController): FieldError[] {
  return [...validateObjectMetaUpdate(rc.metadata, old.metadata, true), ...validateReplicationController(rc).filter((e) => !e.field.startsWith('metadata'))];
}

/** ValidateReplicationControllerStatus: counts non-negative and none above status.replicas; available not above ready. */
export function validateReplicationControllerStatus(rc: ReplicationController): FieldError[] {
  const st = rc.status ?? {};
  const p = 'status';
  const errs = [
    ...nonNegative(st.replicas, `${p}.replicas`),
    ...nonNegative(st.fullyLabeledReplicas, `${p}.fullyLabeledReplicas`),
    ...nonNegative(st.readyReplicas, `${p}.readyReplicas`),
    ...nonNegative(st.availableReplicas, `${p}.availableReplicas`),
    ...nonNegative(st.observedGeneration, `${p}.observedGeneration`),
  ];
  const replicas = st.replicas ?? 0;
  const msg = 'cannot be greater than status.replicas';
  if ((st.fullyLabeledReplicas ?? 0) > replicas) errs.push(invalid(`${p}.fullyLabeledReplicas`, st.fullyLabeledReplicas, msg));
  if ((st.readyReplicas ?? 0) > replicas) errs.push(invalid(`${p}.readyReplicas`, st.readyReplicas, msg));
  if ((st.availableReplicas ?? 0) > replicas) errs.push(invalid(`${p}.availableReplicas`, st.availableReplicas, msg));
  if ((st.availableReplicas ?? 0) > (st.readyReplicas ?? 0)) errs.push(invalid(`${p}.availableReplicas`, st.availableReplicas, 'cannot be greater than readyReplicas'));
  return errs;
}
