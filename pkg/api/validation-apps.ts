// apps/v1 validation (pkg/apis/apps/validation): ReplicaSet and Deployment specs, their pod
// templates (validated as pods, under spec.template), selectors and rolling-update parameters.
import { forbidden, invalid, notSupported, required, goStringMap, goStrings, VerbatimValue, type FieldError } from './field-error.js';
import { goIntOrString, intOrPercentValue, percentOf, validateIntOrPercent } from './int-or-percent.js';
import { labelSelectorFromObject, matchesLabelSelector } from './selectors.js';
import { semanticEqual } from './semantic-equal.js';
import type { Deployment, LabelSelector, PodTemplate, PodTemplateSpec, ReplicaSet } from './types.js';
import { validateLabelSelector } from './validation-affinity.js';
import { nonNegative, validateAnnotations, validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './validation-meta.js';
import { validatePodDeletionCost, validateTemplatePodSpec } from './validation-pod.js';

const isEmptySelector = (s: LabelSelector) => !Object.keys(s.matchLabels ?? {}).length && !(s.matchExpressions ?? []).length;

/** The selector is required, not empty, and selects the template's labels. */
export function validateSelectorAndTemplate(selector: LabelSelector | undefined, template: PodTemplateSpec | undefined, path: string, kind: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!selector) {
    errs.push(required(`${path}.selector`));
  } else {
    errs.push(...validateLabelSelector(selector, `${path}.selector`));
    // (ValidateStatefulSetSpec words it otherwise, with a full stop)
    const why = kind === 'statefulset' ? 'empty selector is not valid for statefulset.' : `empty selector is invalid for ${kind}`;
    if (isEmptySelector(selector)) errs.push(invalid(`${path}.selector`, goLabelSelector(selector), why));
  }
  if (!template) {
    errs.push(required(`${path}.template`));
    return errs;
  }
  const labels = template.metadata?.labels ?? {};
  if (selector && !errs.length) {
    let matches = false;
    try {
      matches = matchesLabelSelector(labelSelectorFromObject(selector), labels);
    } catch {
      // reported by validateLabelSelector
    }
    if (!matches) errs.push(invalid(`${path}.template.metadata.labels`, goStringMap(labels), '`selector` does not match template `labels`'));
  }
  // (a Deployment's template is checked as its ReplicaSets' is; ValidateDaemonSetSpec and
  // ValidateStatefulSetSpec name their own kind in the activeDeadlineSeconds message)
  const named = kind === 'daemonset' ? 'DaemonSet' : kind === 'statefulset' ? 'StatefulSet' : 'ReplicaSet';
  errs.push(...validatePodTemplateSpecForReplicaSet(template, `${path}.template`, named));
  return errs;
}

/**
 * ValidatePodTemplateSpec's checks of the template's metadata. Its labels and annotations are
 * reported at <template>.labels and <template>.annotations, not under metadata, as
 * ValidatePodTemplateSpec names them (fldPath.Child("labels")); the pod-specific annotations
 * (ValidatePodSpecificAnnotations) are checked as on a pod.
 */
export function validateTemplateMeta(t: PodTemplateSpec | undefined, path: string): FieldError[] {
  return [...validateLabels(t?.metadata?.labels, `${path}.labels`), ...validateAnnotations(t?.metadata?.annotations, `${path}.annotations`), ...validatePodDeletionCost(t?.metadata?.annotations, `${path}.annotations`)];
}

/** ValidatePodTemplateSpecForReplicaSet (and ForRC, with its kind in the message): labels, annotations, the pod spec; restartPolicy Always only. */
export function validatePodTemplateSpecForReplicaSet(t: PodTemplateSpec, path: string, kind = 'ReplicaSet'): FieldError[] {
  const errs = validateTemplateMeta(t, path);
  errs.push(...validateTemplatePodSpec(t.spec, `${path}.spec`));
  const policy = t.spec?.restartPolicy;
  if (policy && policy !== 'Always') errs.push(notSupported(`${path}.spec.restartPolicy`, policy, ['Always']));
  if (t.spec?.activeDeadlineSeconds != null) errs.push(forbidden(`${path}.spec.activeDeadlineSeconds`, `activeDeadlineSeconds in ${kind} is not Supported`));
  return errs;
}

/** ValidatePodTemplateSpec: labels, annotations and the pod spec (any restartPolicy; no ephemeral containers). */
function validatePodTemplateSpec(t: PodTemplateSpec | undefined, path: string): FieldError[] {
  return [...validateTemplateMeta(t, path), ...validateTemplatePodSpec(t?.spec, `${path}.spec`)];
}

/** core/v1 PodTemplate (ValidatePodTemplate). */
export function validatePodTemplate(pt: PodTemplate): FieldError[] {
  return [...validateObjectMeta(pt.metadata, true, 'metadata'), ...validatePodTemplateSpec(pt.template, 'template')];
}

export function validatePodTemplateUpdate(pt: PodTemplate, old: PodTemplate): FieldError[] {
  return [...validateObjectMetaUpdate(pt.metadata, old.metadata, true), ...validatePodTemplateSpec(pt.template, 'template')];
}

export function validateReplicaSet(rs: ReplicaSet): FieldError[] {
  const s = rs.spec ?? {};
  return [
    ...validateObjectMeta(rs.metadata, true, 'metadata'),
    ...nonNegative(s.replicas, 'spec.replicas'),
    ...nonNegative(s.minReadySeconds, 'spec.minReadySeconds'),
    // (ValidateReplicaSetSpec says "empty selector is invalid for deployment" too)
    ...validateSelectorAndTemplate(s.selector, s.template, 'spec', 'deployment'),
  ];
}

/**
 * A *metav1.LabelSelector bad value as Kubernetes prints it: ErrorBody dereferences the pointer
 * and LabelSelector's String has a pointer receiver, so Go's %#v of the struct is what users see
 * (v1.LabelSelector{MatchLabels:map[string]string{"app":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}).
 */
export function goLabelSelector(s: LabelSelector | undefined | null): VerbatimValue | null {
  if (!s) return null;
  const values = (v: string[] | undefined) => (v ? goStrings(v).text : '[]string(nil)');
  const exprs = s.matchExpressions
    ? `[]v1.LabelSelectorRequirement{${s.matchExpressions.map((e) => `v1.LabelSelectorRequirement{Key:${JSON.stringify(e.key ?? '')}, Operator:${JSON.stringify(e.operator ?? '')}, Values:${values(e.values)}}`).join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return new VerbatimValue(`v1.LabelSelector{MatchLabels:${goStringMap(s.matchLabels).text}, MatchExpressions:${exprs}}`);
}

/** ValidateImmutableField on the selector: apiequality.Semantic.DeepEqual, so a client's key order or a null member is no change. */
export const selectorImmutable = (next: LabelSelector | undefined, old: LabelSelector | undefined): FieldError[] =>
  semanticEqual(next, old, 'LabelSelector') ? [] : [invalid('spec.selector', goLabelSelector(next), 'field is immutable')];

export function validateReplicaSetUpdate(rs: ReplicaSet, old: ReplicaSet): FieldError[] {
  return [...validateObjectMetaUpdate(rs.metadata, old.metadata, true), ...validateReplicaSet(rs).filter((e) => !e.field.startsWith('metadata')), ...selectorImmutable(rs.spec?.selector, old.spec?.selector)];
}

function validateStrategy(d: Deployment): FieldError[] {
  const st = d.spec?.strategy ?? {};
  const path = 'spec.strategy';
  const errs: FieldError[] = [];
  if (st.type !== 'Recreate' && st.type !== 'RollingUpdate') {
    // (ValidateDeploymentStrategy reports the whole strategy, printed as Go's %#v of the internal
    // struct, a pointer as an address; the DaemonSet's and StatefulSet's do the same)
    const ru = `(*apps.RollingUpdateDeployment)(${st.rollingUpdate ? '0xc000010000' : 'nil'})`;
    errs.push(notSupported(path, new VerbatimValue(`apps.DeploymentStrategy{Type:${JSON.stringify(st.type ?? '')}, RollingUpdate:${ru}}`), ['Recreate', 'RollingUpdate']));
    return errs;
  }
  if (st.type === 'Recreate') {
    if (st.rollingUpdate) errs.push(forbidden(`${path}.rollingUpdate`, "may not be specified when strategy `type` is 'Recreate'"));
    return errs;
  }
  const ru = st.rollingUpdate;
  if (!ru) return errs;
  const p = `${path}.rollingUpdate`;
  // (ValidateRollingUpdateDeployment runs every check: a bad value counts as 0 in the next ones,
  // and only maxUnavailable has the 100% ceiling, a surge may be larger)
  errs.push(...validateIntOrPercent(ru.maxUnavailable, `${p}.maxUnavailable`), ...validateIntOrPercent(ru.maxSurge, `${p}.maxSurge`));
  if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) errs.push(invalid(`${p}.maxUnavailable`, goIntOrString(ru.maxUnavailable ?? 0), 'may not be 0 when `maxSurge` is 0'));
  if ((percentOf(ru.maxUnavailable) ?? 0) > 100) errs.push(invalid(`${p}.maxUnavailable`, goIntOrString(ru.maxUnavailable), 'must not be greater than 100%'));
  return errs;
}

export function validateDeployment(d: Deployment): FieldError[] {
  const s = d.spec ?? {};
  const errs = [
    ...validateObjectMeta(d.metadata, true, 'metadata'),
    ...nonNegative(s.replicas, 'spec.replicas'),
    ...validateSelectorAndTemplate(s.selector, s.template, 'spec', 'deployment'),
    ...validateStrategy(d),
    ...nonNegative(s.minReadySeconds, 'spec.minReadySeconds'),
    ...nonNegative(s.revisionHistoryLimit, 'spec.revisionHistoryLimit'),
  ];
  if (s.progressDeadlineSeconds != null) {
    const before = errs.length;
    errs.push(...nonNegative(s.progressDeadlineSeconds, 'spec.progressDeadlineSeconds'));
    if (errs.length === before && s.progressDeadlineSeconds <= (s.minReadySeconds ?? 0)) {
      errs.push(invalid('spec.progressDeadlineSeconds', s.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
    }
  }
  return errs;
}

export function validateDeploymentUpdate(d: Deployment, old: Deployment): FieldError[] {
  return [...validateObjectMetaUpdate(d.metadata, old.metadata, true), ...validateDeployment(d).filter((e) => !e.field.startsWith('metadata')), ...selectorImmutable(d.spec?.selector, old.spec?.selector)];
}
