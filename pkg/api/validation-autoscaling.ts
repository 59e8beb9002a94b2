// autoscaling validation (pkg/apis/autoscaling/validation) of a HorizontalPodAutoscaler in its
// v2 form (an autoscaling/v1 object is converted first, as Kubernetes validates the internal
// version): scale target, replica bounds, each metric source with its target, and the behavior.
import { forbidden, invalid, notSupported, required, type FieldError } from './field-error.js';
import { isQualifiedName } from './names.js';
import { isValidQuantity, parseQuantity, QUANTITY_FORMAT_MESSAGE } from './quantity.js';
import type { CrossVersionObjectReference, HPAScalingRules, HorizontalPodAutoscaler, HorizontalPodAutoscalerStatus, MetricIdentifier, MetricSpec, MetricTarget } from './types.js';
import { dnsLabel, nonNegative, validateObjectMeta, validateObjectMetaUpdate } from './validation-meta.js';

export const METRIC_SOURCE_TYPES = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
const SELECT_POLICIES = ['Disabled', 'Max', 'Min'];
const POLICY_TYPES = ['Percent', 'Pods'];
const MAX_PERIOD_SECONDS = 1800;
const MAX_STABILIZATION_WINDOW_SECONDS = 3600;

/** IsValidPathSegmentName: no "." or "..", no "/" or "%". */
function pathSegment(v: string, path: string): FieldError[] {
  if (v === '.' || v === '..') return [invalid(path, v, `may not be '${v}'`)];
  return ['/', '%'].filter((c) => v.includes(c)).map((c) => invalid(path, v, `may not contain '${c}'`));
}

function validateReference(ref: CrossVersionObjectReference | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!ref?.kind) errs.push(required(`${path}.kind`));
  else errs.push(...pathSegment(ref.kind, `${path}.kind`));
  if (!ref?.name) errs.push(required(`${path}.name`));
  else errs.push(...pathSegment(ref.name, `${path}.name`));
  return errs;
}

/** ValidateContainerResourceName: qualified, and a standard container resource unless prefixed. */
function resourceName(name: string | undefined, path: string): FieldError[] {
  if (!name) return [required(path, 'must specify a resource name')];
  const errs = isQualifiedName(name).map((m) => invalid(path, name, m));
  if (!name.includes('/') && !['cpu', 'memory', 'ephemeral-storage'].includes(name) && !name.startsWith('hugepages-')) errs.push(invalid(path, name, 'must be a standard resource for containers'));
  return errs;
}

const positiveQuantity = (q: string | undefined, path: string): FieldError[] => {
  if (q === undefined || q === '') return [];
  if (!isValidQuantity(q)) return [invalid(path, q, QUANTITY_FORMAT_MESSAGE)];
  return parseQuantity(q) > 0 ? [] : [invalid(path, q, 'must be positive')];
};

function validateTarget(t: MetricTarget | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!t?.type) errs.push(required(`${path}.type`, 'must specify a metric target type'));
  if (t?.type !== 'Utilization' && t?.type !== 'Value' && t?.type !== 'AverageValue') errs.push(invalid(`${path}.type`, t?.type ?? '', 'must be either Utilization, Value, or AverageValue'));
  errs.push(...positiveQuantity(t?.value, `${path}.value`), ...positiveQuantity(t?.averageValue, `${path}.averageValue`));
  if (t?.averageUtilization != null && t.averageUtilization < 1) errs.push(invalid(`${path}.averageUtilization`, t.averageUtilization, 'must be greater than 0'));
  return errs;
}

function validateIdentifier(id: MetricIdentifier | undefined, path: string): FieldError[] {
  if (!id?.name) return [required(`${path}.name`, 'must specify a metric name')];
  return pathSegment(id.name, `${path}.name`);
}

const has = (v: unknown) => v !== undefined && v !== null && v !== '';

/** A Resource or ContainerResource source: a utilization or an average value, not both. */
function validateResourceTarget(t: MetricTarget | undefined, path: string): FieldError[] {
  const errs = validateTarget(t, `${path}.target`);
  if (!has(t?.averageUtilization) && !has(t?.averageValue)) errs.push(required(`${path}.target.averageUtilization`, 'must set either a target raw value or a target utilization'));
  if (has(t?.averageUtilization) && has(t?.averageValue)) errs.push(forbidden(`${path}.target.averageValue`, 'may not set both a target raw value and a target utilization'));
  return errs;
}

/** The source of the metric's type only, and valid. */
function validateSource(m: MetricSpec, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const present = (['object', 'external', 'pods', 'resource', 'containerResource'] as const).filter((k) => m[k] != null);
  const first = present[0];
  if (first === 'object') {
    const o = m.object!;
    errs.push(...validateReference(o.describedObject, `${path}.object.describedObject`), ...validateIdentifier(o.metric, `${path}.object.metric`), ...validateTarget(o.target, `${path}.object.target`));
    if (!has(o.target?.value) && !has(o.target?.averageValue)) errs.push(required(`${path}.object.target.averageValue`, 'must set either a target value or averageValue'));
  } else if (first === 'external') {
    const e = m.external!;
    errs.push(...validateIdentifier(e.metric, `${path}.external.metric`), ...validateTarget(e.target, `${path}.external.target`));
    if (!has(e.target?.value) && !has(e.target?.averageValue)) errs.push(required(`${path}.external.target.averageValue`, 'must set either a target value for metric or a per-pod target'));
    if (has(e.target?.value) && has(e.target?.averageValue)) errs.push(forbidden(`${path}.external.target.value`, 'may not set both a target value for metric and a per-pod target'));
  } else if (first === 'pods') {
    const p = m.pods!;
    errs.push(...validateIdentifier(p.metric, `${path}.pods.metric`), ...validateTarget(p.target, `${path}.pods.target`));
    if (!has(p.target?.averageValue)) errs.push(required(`${path}.pods.target.averageValue`, 'must specify a positive target averageValue'));
  } else if (first === 'resource') {
    errs.push(...resourceName(m.resource!.name, `${path}.resource.name`), ...validateResourceTarget(m.resource!.target, `${path}.resource`));
  } else if (first === 'containerResource') {
    const c = m.containerResource!;
    errs.push(...resourceName(c.name, `${path}.containerResource.name`));
    if (!c.container) errs.push(required(`${path}.containerResource.container`, 'must specify a container'));
    else errs.push(...dnsLabel(c.container, `${path}.containerResource.container`));
    errs.push(...validateResourceTarget(c.target, `${path}.containerResource`));
  }
  const expected = m.type ? m.type.charAt(0).toLowerCase() + m.type.slice(1) : '';
  if (METRIC_SOURCE_TYPES.includes(m.type ?? '') && !present.includes(expected as (typeof present)[number])) {
    errs.push(required(`${path}.${expected}`, 'must populate information for the given metric source'));
  }
  if (present.length > 1) for (const k of present.filter((k) => k !== expected).sort()) errs.push(forbidden(`${path}.${k}`, 'must populate the given metric source only'));
  return errs;
}

function validateMetric(m: MetricSpec, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!m.type) errs.push(required(`${path}.type`, 'must specify a metric source type'));
  if (!METRIC_SOURCE_TYPES.includes(m.type ?? '')) errs.push(notSupported(`${path}.type`, m.type ?? '', METRIC_SOURCE_TYPES));
  errs.push(...validateSource(m, path));
  return errs;
}

function validateRules(rules: HPAScalingRules | undefined, path: string): FieldError[] {
  if (!rules) return [];
  const errs: FieldError[] = [];
  const w = rules.stabilizationWindowSeconds;
  if (w != null && w < 0) errs.push(invalid(`${path}.stabilizationWindowSeconds`, w, 'must be greater than or equal to zero'));
  if (w != null && w > MAX_STABILIZATION_WINDOW_SECONDS) errs.push(invalid(`${path}.stabilizationWindowSeconds`, w, `must be less than or equal to ${MAX_STABILIZATION_WINDOW_SECONDS}`));
  if (rules.selectPolicy && !SELECT_POLICIES.includes(rules.selectPolicy)) errs.push(notSupported(`${path}.selectPolicy`, rules.selectPolicy, SELECT_POLICIES));
  if (!rules.policies?.length) errs.push(required(`${path}.policies`, 'must specify at least one Policy'));
  (rules.policies ?? []).forEach((p, i) => {
    const pp = `${path}.policies[${i}]`;
    if (!POLICY_TYPES.includes(p.type ?? '')) errs.push(notSupported(`${pp}.type`, p.type ?? '', POLICY_TYPES));
    if ((p.value ?? 0) <= 0) errs.push(invalid(`${pp}.value`, p.value ?? 0, 'must be greater than zero'));
    if ((p.periodSeconds ?? 0) <= 0) errs.push(invalid(`${pp}.periodSeconds`, p.periodSeconds ?? 0, 'must be greater than zero'));
    if ((p.periodSeconds ?? 0) > MAX_PERIOD_SECONDS) errs.push(invalid(`${pp}.periodSeconds`, p.periodSeconds, `must be less than or equal to ${MAX_PERIOD_SECONDS}`));
  });
  return errs;
}

export function validateHorizontalPodAutoscalerSpec(hpa: HorizontalPodAutoscaler, minReplicasLowerBound = 1): FieldError[] {
  const s = hpa.spec ?? {};
  const errs: FieldError[] = [];
  const min = s.minReplicas;
  const max = s.maxReplicas ?? 0;
  if (min != null && min < minReplicasLowerBound) errs.push(invalid('spec.minReplicas', min, `must be greater than or equal to ${minReplicasLowerBound}`));
  if (max < 1) errs.push(invalid('spec.maxReplicas', max, 'must be greater than 0'));
  if (min != null && max < min) errs.push(invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  errs.push(...validateReference(s.scaleTargetRef, 'spec.scaleTargetRef'));
  (s.metrics ?? []).forEach((m, i) => errs.push(...validateMetric(m, `spec.metrics[${i}]`)));
  if (min === 0 && !(s.metrics ?? []).some((m) => m.type === 'Object' || m.type === 'External')) {
    errs.push(forbidden('spec.metrics', 'must specify at least one Object or External metric to support scaling to zero replicas'));
  }
  if (s.behavior) errs.push(...validateRules(s.behavior.scaleUp, 'spec.behavior.scaleUp'), ...validateRules(s.behavior.scaleDown, 'spec.behavior.scaleDown'));
  return errs;
}

export function validateHorizontalPodAutoscaler(hpa: HorizontalPodAutoscaler): FieldError[] {
  return [...validateObjectMeta(hpa.metadata, true, 'metadata'), ...validateHorizontalPodAutoscalerSpec(hpa)];
}

/** An object already at minReplicas 0 may stay there (scale-to-zero objects made when it was allowed). */
export function validateHorizontalPodAutoscalerUpdate(hpa: HorizontalPodAutoscaler, old: HorizontalPodAutoscaler): FieldError[] {
  const lower = old.spec?.minReplicas === 0 ? 0 : 1;
  return [...validateObjectMetaUpdate(hpa.metadata, old.metadata, true), ...validateHorizontalPodAutoscalerSpec(hpa, lower)];
}

export function validateHorizontalPodAutoscalerStatus(status: HorizontalPodAutoscalerStatus | undefined): FieldError[] {
  return [...nonNegative(status?.currentReplicas, 'status.currentReplicas'), ...nonNegative(status?.desiredReplicas, 'status.desiredReplicas')];
}
