// HorizontalPodAutoscaler between autoscaling/v2 (how it is stored) and autoscaling/v1 (what
// kubectl 1.32's `kubectl autoscale` writes), as Kubernetes' autoscaling/v1 conversion does:
// v1 has only a CPU utilization target, so the other metrics, the behavior, the current metrics
// and the conditions ride in annotations (autoscaling.alpha.kubernetes.io/...) in v1's own
// (v2beta1-style) shapes, and come back from them when a v1 object is written.
import { defaultCPUMetric } from './defaults-autoscaling.js';
import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerBehavior, HorizontalPodAutoscalerCondition, HorizontalPodAutoscalerV1, KubeObject, LabelSelector, MetricSpec, MetricStatus } from './types.js';

export const METRICS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/metrics';
export const CURRENT_METRICS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/current-metrics';
export const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';
export const BEHAVIOR_ANNOTATION = 'autoscaling.alpha.kubernetes.io/behavior';
const ROUND_TRIP = [METRICS_ANNOTATION, CURRENT_METRICS_ANNOTATION, CONDITIONS_ANNOTATION, BEHAVIOR_ANNOTATION];

type Obj = Record<string, unknown>;
type Ref = { kind?: string; name?: string; apiVersion?: string };

const defined = (o: Obj): Obj => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null && v !== ''));

/** A v2 metric in autoscaling/v1's MetricSpec shape (targetAverageUtilization, metricName, ...). */
function metricSpecToV1(m: MetricSpec): Obj {
  const t = (x: { target?: { value?: string; averageValue?: string; averageUtilization?: number } } | undefined) => x?.target ?? {};
  switch (m.type) {
    case 'Resource':
      return { type: m.type, resource: defined({ name: m.resource?.name, targetAverageUtilization: t(m.resource).averageUtilization, targetAverageValue: t(m.resource).averageValue }) };
    case 'ContainerResource':
      return { type: m.type, containerResource: defined({ name: m.containerResource?.name, container: m.containerResource?.container, targetAverageUtilization: t(m.containerResource).averageUtilization, targetAverageValue: t(m.containerResource).averageValue }) };
    case 'Pods':
      return { type: m.type, pods: defined({ metricName: m.pods?.metric?.name, selector: m.pods?.metric?.selector, targetAverageValue: t(m.pods).averageValue }) };
    case 'Object':
      return { type: m.type, object: defined({ target: m.object?.describedObject, metricName: m.object?.metric?.name, selector: m.object?.metric?.selector, targetValue: t(m.object).value, averageValue: t(m.object).averageValue }) };
    case 'External':
      return { type: m.type, external: defined({ metricName: m.external?.metric?.name, metricSelector: m.external?.metric?.selector, targetValue: t(m.external).value, targetAverageValue: t(m.external).averageValue }) };
    default:
      return { type: m.type };
  }
}

/** The v2 target of a v1 metric: Utilization when a utilization is given, else Value or AverageValue. */
function target(utilization: unknown, value: unknown, averageValue: unknown): Obj {
  if (utilization != null) return { type: 'Utilization', averageUtilization: utilization };
  if (value != null) return defined({ type: 'Value', value, averageValue });
  return defined({ type: 'AverageValue', averageValue });
}

function metricSpecFromV1(m: Obj): MetricSpec {
  const s = (k: string) => (m[k] ?? {}) as Obj;
  const id = (name: unknown, selector: unknown) => defined({ name, selector: selector as LabelSelector | undefined });
  switch (m.type) {
    case 'Resource':
      return { type: 'Resource', resource: { name: s('resource').name as string, target: target(s('resource').targetAverageUtilization, undefined, s('resource').targetAverageValue) } } as MetricSpec;
    case 'ContainerResource': {
      const c = s('containerResource');
      return { type: 'ContainerResource', containerResource: { name: c.name, container: c.container, target: target(c.targetAverageUtilization, undefined, c.targetAverageValue) } } as MetricSpec;
    }
    case 'Pods':
      return { type: 'Pods', pods: { metric: id(s('pods').metricName, s('pods').selector), target: target(undefined, undefined, s('pods').targetAverageValue) } } as MetricSpec;
    case 'Object': {
      const o = s('object');
      return { type: 'Object', object: { describedObject: o.target as Ref, metric: id(o.metricName, o.selector), target: target(undefined, o.targetValue, o.averageValue) } } as MetricSpec;
    }
    case 'External': {
      const e = s('external');
      return { type: 'External', external: { metric: id(e.metricName, e.metricSelector), target: target(undefined, e.targetValue, e.targetAverageValue) } } as MetricSpec;
    }
    default:
      return { type: m.type as string };
  }
}

function metricStatusToV1(m: MetricStatus): Obj {
  const c = (x: { current?: { value?: string; averageValue?: string; averageUtilization?: number } } | undefined) => x?.current ?? {};
  switch (m.type) {
    case 'Resource':
      return { type: m.type, resource: defined({ name: m.resource?.name, currentAverageUtilization: c(m.resource).averageUtilization, currentAverageValue: c(m.resource).averageValue }) };
    case 'ContainerResource':
      return { type: m.type, containerResource: defined({ name: m.containerResource?.name, container: m.containerResource?.container, currentAverageUtilization: c(m.containerResource).averageUtilization, currentAverageValue: c(m.containerResource).averageValue }) };
    case 'Pods':
      return { type: m.type, pods: defined({ metricName: m.pods?.metric?.name, selector: m.pods?.metric?.selector, currentAverageValue: c(m.pods).averageValue }) };
    case 'Object':
      return { type: m.type, object: defined({ target: m.object?.describedObject, metricName: m.object?.metric?.name, selector: m.object?.metric?.selector, currentValue: c(m.object).value, averageValue: c(m.object).averageValue }) };
    case 'External':
      return { type: m.type, external: defined({ metricName: m.external?.metric?.name, metricSelector: m.external?.metric?.selector, currentValue: c(m.external).value, currentAverageValue: c(m.external).averageValue }) };
    default:
      return { type: m.type };
  }
}

function metricStatusFromV1(m: Obj): MetricStatus {
  const s = (k: string) => (m[k] ?? {}) as Obj;
  const id = (name: unknown, selector: unknown) => defined({ name, selector });
  const cur = (utilization: unknown, value: unknown, averageValue: unknown) => defined({ averageUtilization: utilization, value, averageValue });
  switch (m.type) {
    case 'Resource':
      return { type: 'Resource', resource: { name: s('resource').name, current: cur(s('resource').currentAverageUtilization, undefined, s('resource').currentAverageValue) } } as MetricStatus;
    case 'ContainerResource': {
      const c = s('containerResource');
      return { type: 'ContainerResource', containerResource: { name: c.name, container: c.container, current: cur(c.currentAverageUtilization, undefined, c.currentAverageValue) } } as MetricStatus;
    }
    case 'Pods':
      return { type: 'Pods', pods: { metric: id(s('pods').metricName, s('pods').selector), current: cur(undefined, undefined, s('pods').currentAverageValue) } } as MetricStatus;
    case 'Object': {
      const o = s('object');
      return { type: 'Object', object: { describedObject: o.target, metric: id(o.metricName, o.selector), current: cur(undefined, o.currentValue, o.averageValue) } } as MetricStatus;
    }
    case 'External': {
      const e = s('external');
      return { type: 'External', external: { metric: id(e.metricName, e.metricSelector), current: cur(undefined, e.currentValue, e.currentAverageValue) } } as MetricStatus;
    }
    default:
      return { type: m.type as string };
  }
}

const isCPUUtilization = (m: MetricSpec) => m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.target?.averageUtilization != null;

function parseAnnotation<T>(annotations: Record<string, string>, key: string): T | undefined {
  const text = annotations[key];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined; // no worse than the annotation being absent
  }
}

/** The autoscaling/v1 form of a stored (v2) autoscaler. */
export function hpaToV1(hpa: HorizontalPodAutoscaler): HorizontalPodAutoscalerV1 & KubeObject {
  const spec = hpa.spec ?? {};
  const st = hpa.status ?? {};
  const annotations = Object.fromEntries(Object.entries(hpa.metadata?.annotations ?? {}).filter(([k]) => !ROUND_TRIP.includes(k)));
  const metrics = spec.metrics ?? [];
  const other = metrics.filter((m) => !isCPUUtilization(m));
  if (other.length) annotations[METRICS_ANNOTATION] = JSON.stringify(other.map(metricSpecToV1));
  if (st.currentMetrics?.length) annotations[CURRENT_METRICS_ANNOTATION] = JSON.stringify(st.currentMetrics.map(metricStatusToV1));
  if (spec.behavior) annotations[BEHAVIOR_ANNOTATION] = JSON.stringify(spec.behavior);
  if (st.conditions?.length) annotations[CONDITIONS_ANNOTATION] = JSON.stringify(st.conditions);
  const cpu = metrics.filter(isCPUUtilization).pop();
  const cpuStatus = st.currentMetrics?.find((m) => m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.current?.averageUtilization != null);
  const metadata = { ...hpa.metadata };
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  else delete metadata.annotations;
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata,
    spec: {
      scaleTargetRef: spec.scaleTargetRef,
      ...(spec.minReplicas != null ? { minReplicas: spec.minReplicas } : {}),
      maxReplicas: spec.maxReplicas ?? 0,
      ...(cpu ? { targetCPUUtilizationPercentage: cpu.resource!.target!.averageUtilization } : {}),
    },
    status: {
      ...(st.observedGeneration != null ? { observedGeneration: st.observedGeneration } : {}),
      ...(st.lastScaleTime ? { lastScaleTime: st.lastScaleTime } : {}),
      currentReplicas: st.currentReplicas ?? 0,
      desiredReplicas: st.desiredReplicas ?? 0,
      ...(cpuStatus ? { currentCPUUtilizationPercentage: cpuStatus.resource!.current!.averageUtilization } : {}),
    },
  };
}

/** The autoscaling/v2 form of an autoscaling/v1 autoscaler (its round-trip annotations taken back and dropped). */
export function hpaFromV1(v1: HorizontalPodAutoscalerV1 & KubeObject): HorizontalPodAutoscaler & KubeObject {
  const spec = v1.spec ?? {};
  const st = v1.status ?? {};
  const given = v1.metadata?.annotations ?? {};
  let metrics: MetricSpec[] = spec.targetCPUUtilizationPercentage != null ? [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage } } }] : [];
  const other = parseAnnotation<Obj[]>(given, METRICS_ANNOTATION);
  if (Array.isArray(other)) metrics = [...other.map(metricSpecFromV1), ...metrics];
  // autoscaling/v1 had the CPU target as an implicit default in the controller; v2 states it.
  if (!metrics.length) metrics = [defaultCPUMetric()];
  let currentMetrics: MetricStatus[] | undefined = st.currentCPUUtilizationPercentage != null ? [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: st.currentCPUUtilizationPercentage } } }] : undefined;
  const current = parseAnnotation<Obj[]>(given, CURRENT_METRICS_ANNOTATION);
  if (Array.isArray(current)) currentMetrics = current.map(metricStatusFromV1);
  const behavior = parseAnnotation<HorizontalPodAutoscalerBehavior>(given, BEHAVIOR_ANNOTATION);
  const conditions = parseAnnotation<HorizontalPodAutoscalerCondition[]>(given, CONDITIONS_ANNOTATION);
  const annotations = Object.fromEntries(Object.entries(given).filter(([k]) => !ROUND_TRIP.includes(k)));
  const metadata = { ...v1.metadata };
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  else delete metadata.annotations;
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata,
    spec: {
      scaleTargetRef: spec.scaleTargetRef,
      ...(spec.minReplicas != null ? { minReplicas: spec.minReplicas } : {}),
      maxReplicas: spec.maxReplicas ?? 0,
      metrics,
      ...(behavior && typeof behavior === 'object' && Object.keys(behavior).length ? { behavior } : {}),
    },
    status: {
      ...(st.observedGeneration != null ? { observedGeneration: st.observedGeneration } : {}),
      ...(st.lastScaleTime ? { lastScaleTime: st.lastScaleTime } : {}),
      ...(st.currentReplicas ? { currentReplicas: st.currentReplicas } : {}),
      desiredReplicas: st.desiredReplicas ?? 0,
      ...(currentMetrics ? { currentMetrics } : {}),
      ...(Array.isArray(conditions) && conditions.length ? { conditions } : {}),
    },
  };
}
