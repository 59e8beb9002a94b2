// HorizontalPodAutoscaler between autoscaling/v2 (how it is stored) and autoscaling/v1 (what
// kubectl 1.32's `kubectl autoscale` writes), as Kubernetes' autoscaling/v1 conversion does:
// v1 has only a CPU utilization target, so the other metrics, the behavior, the current metrics
// and the conditions ride in annotations (autoscaling.alpha.kubernetes.io/...) in v1's own
// (v2beta1-style) shapes, and come back from them when a v1 object is written.
import { defaultCPUMetric } from './defaults-autoscaling.js';
import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerBehavior, HorizontalPodAutoscalerCondition, HorizontalPodAutoscalerV1, KubeObject, LabelSelector, MetricSpec, MetricStatus, ObjectMeta } from './types.js';

export const METRICS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/metrics';
export const CURRENT_METRICS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/current-metrics';
export const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';
export const BEHAVIOR_ANNOTATION = 'autoscaling.alpha.kubernetes.io/behavior';
const ROUND_TRIP = [METRICS_ANNOTATION, CURRENT_METRICS_ANNOTATION, CONDITIONS_ANNOTATION, BEHAVIOR_ANNOTATION];

type Obj = Record<string, unknown>;
type Ref = { kind?: string; name?: string; apiVersion?: string };

const defined = (o: Obj): Obj => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null && v !== ''));

/** Which side of a metric: a spec's target or a status's current value (their v1 fields are prefixed alike). */
type Side = 'target' | 'current';
type Values = { value?: string; averageValue?: string; averageUtilization?: number };

/** A v2 metric (spec or status) in autoscaling/v1's shape (targetAverageUtilization, currentValue, metricName, ...). */
function metricToV1(metric: MetricSpec | MetricStatus, side: Side): Obj {
  const m = metric as Obj & { type?: string };
  const src = (key: string) => (m[key] ?? {}) as Obj & { metric?: { name?: string; selector?: unknown } };
  const v = (key: string) => ((src(key) as Record<string, unknown>)[side] ?? {}) as Values;
  const k = (field: string) => `${side}${field}`;
  switch (m.type) {
    case 'Resource':
      return { type: m.type, resource: defined({ name: src('resource').name, [k('AverageUtilization')]: v('resource').averageUtilization, [k('AverageValue')]: v('resource').averageValue }) };
    case 'ContainerResource': {
      const c = src('containerResource');
      return { type: m.type, containerResource: defined({ name: c.name, container: c.container, [k('AverageUtilization')]: v('containerResource').averageUtilization, [k('AverageValue')]: v('containerResource').averageValue }) };
    }
    case 'Pods':
      return { type: m.type, pods: defined({ metricName: src('pods').metric?.name, selector: src('pods').metric?.selector, [k('AverageValue')]: v('pods').averageValue }) };
    case 'Object':
      return { type: m.type, object: defined({ target: src('object').describedObject, metricName: src('object').metric?.name, selector: src('object').metric?.selector, [k('Value')]: v('object').value, averageValue: v('object').averageValue }) };
    case 'External':
      return { type: m.type, external: defined({ metricName: src('external').metric?.name, metricSelector: src('external').metric?.selector, [k('Value')]: v('external').value, [k('AverageValue')]: v('external').averageValue }) };
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

/** The v2 form of a v1 metric (spec or status). */
function metricFromV1(m: Obj, side: Side): Obj {
  const s = (key: string) => (m[key] ?? {}) as Obj;
  const f = (o: Obj, field: string) => o[`${side}${field}`];
  const values = (utilization: unknown, value: unknown, averageValue: unknown) => ({ [side]: side === 'target' ? target(utilization, value, averageValue) : defined({ averageUtilization: utilization, value, averageValue }) });
  const id = (name: unknown, selector: unknown) => defined({ name, selector: selector as LabelSelector | undefined });
  switch (m.type) {
    case 'Resource': {
      const r = s('resource');
      return { type: 'Resource', resource: { name: r.name, ...values(f(r, 'AverageUtilization'), undefined, f(r, 'AverageValue')) } };
    }
    case 'ContainerResource': {
      const c = s('containerResource');
      return { type: 'ContainerResource', containerResource: { name: c.name, container: c.container, ...values(f(c, 'AverageUtilization'), undefined, f(c, 'AverageValue')) } };
    }
    case 'Pods': {
      const p = s('pods');
      return { type: 'Pods', pods: { metric: id(p.metricName, p.selector), ...values(undefined, undefined, f(p, 'AverageValue')) } };
    }
    case 'Object': {
      const o = s('object');
      return { type: 'Object', object: { describedObject: o.target as Ref, metric: id(o.metricName, o.selector), ...values(undefined, f(o, 'Value'), o.averageValue) } };
    }
    case 'External': {
      const e = s('external');
      return { type: 'External', external: { metric: id(e.metricName, e.metricSelector), ...values(undefined, f(e, 'Value'), f(e, 'AverageValue')) } };
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

const withoutRoundTrip = (a: Record<string, string>) => Object.fromEntries(Object.entries(a).filter(([k]) => !ROUND_TRIP.includes(k)));

/** The metadata with these annotations (no field when there are none). */
function withAnnotations(meta: ObjectMeta | undefined, annotations: Record<string, string>): ObjectMeta {
  const out = { ...meta };
  if (Object.keys(annotations).length) out.annotations = annotations;
  else delete out.annotations;
  return out;
}

/** What both versions' specs share: the target and the replica bounds. */
const targetAndBounds = (spec: { scaleTargetRef?: Ref; minReplicas?: number; maxReplicas?: number }) => ({
  scaleTargetRef: spec.scaleTargetRef,
  ...(spec.minReplicas != null ? { minReplicas: spec.minReplicas } : {}),
  maxReplicas: spec.maxReplicas ?? 0,
});

/** The autoscaling/v1 form of a stored (v2) autoscaler. */
export function hpaToV1(hpa: HorizontalPodAutoscaler): HorizontalPodAutoscalerV1 & KubeObject {
  const spec = hpa.spec ?? {};
  const st = hpa.status ?? {};
  const annotations = withoutRoundTrip(hpa.metadata?.annotations ?? {});
  const metrics = spec.metrics ?? [];
  const other = metrics.filter((m) => !isCPUUtilization(m));
  if (other.length) annotations[METRICS_ANNOTATION] = JSON.stringify(other.map((m) => metricToV1(m, 'target')));
  if (st.currentMetrics?.length) annotations[CURRENT_METRICS_ANNOTATION] = JSON.stringify(st.currentMetrics.map((m) => metricToV1(m, 'current')));
  if (spec.behavior) annotations[BEHAVIOR_ANNOTATION] = JSON.stringify(spec.behavior);
  if (st.conditions?.length) annotations[CONDITIONS_ANNOTATION] = JSON.stringify(st.conditions);
  const cpu = metrics.filter(isCPUUtilization).pop();
  const cpuStatus = st.currentMetrics?.find((m) => m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.current?.averageUtilization != null);
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: withAnnotations(hpa.metadata, annotations),
    spec: {
      ...targetAndBounds(spec),
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
  if (Array.isArray(other)) metrics = [...other.map((m) => metricFromV1(m, 'target') as MetricSpec), ...metrics];
  // autoscaling/v1 had the CPU target as an implicit default in the controller; v2 states it.
  if (!metrics.length) metrics = [defaultCPUMetric()];
  let currentMetrics: MetricStatus[] | undefined = st.currentCPUUtilizationPercentage != null ? [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: st.currentCPUUtilizationPercentage } } }] : undefined;
  const current = parseAnnotation<Obj[]>(given, CURRENT_METRICS_ANNOTATION);
  if (Array.isArray(current)) currentMetrics = current.map((m) => metricFromV1(m, 'current') as MetricStatus);
  const behavior = parseAnnotation<HorizontalPodAutoscalerBehavior>(given, BEHAVIOR_ANNOTATION);
  const conditions = parseAnnotation<HorizontalPodAutoscalerCondition[]>(given, CONDITIONS_ANNOTATION);
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: withAnnotations(v1.metadata, withoutRoundTrip(given)),
    spec: {
      ...targetAndBounds(spec),
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

/**
 * A server-side apply configuration in autoscaling/v1, as the v2 configuration it stands for:
 * only what it sets (no default metric, no status, which a main-resource apply does not write),
 * so that field ownership follows what the applier named. The v1 CPU target becomes the v2 CPU
 * Utilization metric, after the metrics of Kubernetes' `autoscaling.alpha.kubernetes.io/metrics`
 * annotation, and its behavior annotation becomes spec.behavior, as hpaFromV1 reads them; the
 * round-trip annotations themselves are not stored.
 */
export function hpaApplyConfigFromV1(v1: HorizontalPodAutoscalerV1 & KubeObject): HorizontalPodAutoscaler & KubeObject {
  const out: HorizontalPodAutoscaler & KubeObject = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' };
  const given = v1.metadata?.annotations ?? {};
  if (v1.metadata) out.metadata = v1.metadata.annotations ? withAnnotations(v1.metadata, withoutRoundTrip(given)) : v1.metadata;
  const metrics: MetricSpec[] = [];
  const other = parseAnnotation<Obj[]>(given, METRICS_ANNOTATION);
  if (Array.isArray(other)) metrics.push(...other.map((m) => metricFromV1(m, 'target') as MetricSpec));
  const { targetCPUUtilizationPercentage: cpu, ...rest } = v1.spec ?? {};
  if (cpu != null) metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: cpu } } });
  const behavior = parseAnnotation<HorizontalPodAutoscalerBehavior>(given, BEHAVIOR_ANNOTATION);
  const hasBehavior = !!behavior && typeof behavior === 'object' && Object.keys(behavior).length > 0;
  if (v1.spec || metrics.length || hasBehavior) {
    out.spec = { ...(rest as HorizontalPodAutoscaler['spec']) };
    if (metrics.length) out.spec!.metrics = metrics;
    if (hasBehavior) out.spec!.behavior = behavior;
  }
  return out;
}
