// The horizontal pod autoscaler's replica calculator (pkg/controller/podautoscaler/
// replica_calculator.go): from the pods of the target and their metrics, the replica count
// that brings the average back to the target. A change within the tolerance (10%) is none;
// pods being deleted or failed are ignored; pending pods, and for CPU pods not yet Ready (or
// whose sample predates their readiness), are "unready"; pods without metrics are "missing".
// When either kind exists, the ratio is computed again assuming the least favourable usage for
// the move (missing pods at 100% of their request on a scale down, 0% on a scale up; unready
// ones at 0% on a scale up), and a move that would change direction is not made.
import { quantityToMilli } from '../api/quantity.js';
import type { Container, KubeObject, Pod } from '../api/types.js';

type P = Pod & KubeObject;

/** One pod's usage: a milli-value (millicores, millibytes) sampled at `timestamp` over `windowMs`. */
export interface PodMetric {
  value: number;
  timestamp: number;
  windowMs: number;
}

/** Metrics by pod name. */
export type PodMetricsInfo = Map<string, PodMetric>;

export interface CalculatorConfig {
  /** Changes of the usage ratio within this fraction of 1 are no change (--horizontal-pod-autoscaler-tolerance, 0.1). */
  tolerance: number;
  /** A pod's CPU samples this long after its start may be unrepresentative (--horizontal-pod-autoscaler-cpu-initialization-period, 5 min). */
  cpuInitializationPeriodMs: number;
  /** A pod unready this soon after its start is taken as never ready yet (--horizontal-pod-autoscaler-initial-readiness-delay, 30 s). */
  delayOfInitialReadinessStatusMs: number;
  now: () => number;
}

export interface PodGroups {
  readyPodCount: number;
  unready: Set<string>;
  missing: Set<string>;
  ignored: Set<string>;
}

const time = (t: string | undefined) => (t ? Date.parse(t) : NaN);

/** groupPods: which pods count, which wait, which have no metrics, which are left out. */
export function groupPods(pods: P[], metrics: PodMetricsInfo, resource: string, cfg: CalculatorConfig): PodGroups {
  const g: PodGroups = { readyPodCount: 0, unready: new Set(), missing: new Set(), ignored: new Set() };
  for (const pod of pods) {
    const name = pod.metadata!.name!;
    if (pod.metadata?.deletionTimestamp || pod.status?.phase === 'Failed') {
      g.ignored.add(name);
      continue;
    }
    if (pod.status?.phase === 'Pending') {
      g.unready.add(name);
      continue;
    }
    const metric = metrics.get(name);
    if (!metric) {
      g.missing.add(name);
      continue;
    }
    if (resource === 'cpu') {
      const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
      const started = time(pod.status?.startTime);
      let unready: boolean;
      if (!ready || Number.isNaN(started)) unready = true;
      else if (started + cfg.cpuInitializationPeriodMs > cfg.now()) {
        // Still initializing: unready, or sampled (in part) before it became ready.
        unready = ready.status === 'False' || metric.timestamp < time(ready.lastTransitionTime) + metric.windowMs;
      } else {
        // Unready and never ready since its start.
        unready = ready.status === 'False' && started + cfg.delayOfInitialReadinessStatusMs > time(ready.lastTransitionTime);
      }
      if (unready) {
        g.unready.add(name);
        continue;
      }
    }
    g.readyPodCount++;
  }
  return g;
}

/** calculatePodRequests: each pod's request of `resource` (milli), over its containers and sidecars, or one container. */
export function podRequests(pods: P[], resource: string, container = ''): Map<string, number> {
  const out = new Map<string, number>();
  for (const pod of pods) {
    const containers: Container[] = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')];
    let sum = 0;
    for (const c of containers) {
      if (container && c.name !== container) continue;
      const req = c.resources?.requests?.[resource];
      if (req === undefined) throw new Error(`missing request for ${resource} in container ${c.name} of Pod ${pod.metadata!.name}`);
      sum += quantityToMilli(req);
    }
    out.set(pod.metadata!.name!, sum);
  }
  return out;
}

/** GetResourceUtilizationRatio: usage over requests of the pods that have both, in percent of the target. */
export function utilizationRatio(metrics: PodMetricsInfo, requests: Map<string, number>, targetUtilization: number): { ratio: number; utilization: number; rawAverage: number } {
  let used = 0;
  let requested = 0;
  let n = 0;
  for (const [name, m] of metrics) {
    const r = requests.get(name);
    if (r === undefined) continue; // a metric of a pod not listed: extraneous
    used += m.value;
    requested += r;
    n++;
  }
  if (requested === 0) throw new Error('no metrics returned matched known pods');
  const utilization = Math.trunc((used * 100) / requested);
  return { ratio: utilization / targetUtilization, utilization, rawAverage: Math.trunc(used / n) };
}

/** GetMetricUsageRatio: the average usage over the target average. */
export function usageRatio(metrics: PodMetricsInfo, targetUsage: number): { ratio: number; usage: number } {
  let total = 0;
  for (const m of metrics.values()) total += m.value;
  const usage = Math.trunc(total / metrics.size);
  return { ratio: usage / targetUsage, usage };
}

/**
 * The shared tail of both calculations: within tolerance nothing moves; otherwise the ratio times
 * the pods counted, or, with missing or unready pods, the ratio `recompute` gives once they are
 * filled in (`fillOnScaleDown` for a missing pod when scaling down, else 0).
 */
function decide(current: number, groups: PodGroups, ratio: number, recompute: () => number, tolerance: number, metrics: PodMetricsInfo, fillOnScaleDown: (pod: string) => number): number {
  const scaleUpWithUnready = groups.unready.size > 0 && ratio > 1;
  if (!scaleUpWithUnready && groups.missing.size === 0) {
    if (Math.abs(1 - ratio) <= tolerance) return current;
    return Math.ceil(ratio * groups.readyPodCount);
  }
  for (const name of groups.missing) metrics.set(name, { value: ratio < 1 ? fillOnScaleDown(name) : 0, timestamp: 0, windowMs: 0 });
  if (scaleUpWithUnready) for (const name of groups.unready) metrics.set(name, { value: 0, timestamp: 0, windowMs: 0 });
  const next = recompute();
  // Too small a change, or one that would reverse the direction: none.
  if (Math.abs(1 - next) <= tolerance || (ratio < 1 && next > 1) || (ratio > 1 && next < 1)) return current;
  const replicas = Math.ceil(next * metrics.size);
  if ((next < 1 && replicas > current) || (next > 1 && replicas < current)) return current;
  return replicas;
}

function readyMetrics(pods: P[], metrics: PodMetricsInfo, resource: string, cfg: CalculatorConfig): { groups: PodGroups; metrics: PodMetricsInfo } {
  if (!pods.length) throw new Error('no pods returned by selector while calculating replica count');
  const groups = groupPods(pods, metrics, resource, cfg);
  const kept = new Map([...metrics].filter(([name]) => !groups.ignored.has(name) && !groups.unready.has(name)));
  if (!kept.size) throw new Error('did not receive metrics for targeted pods (pods might be unready)');
  return { groups, metrics: kept };
}

/** GetResourceReplicas: a target utilization (percent of the pods' requests). */
export function resourceReplicas(current: number, targetUtilization: number, resource: string, pods: P[], allMetrics: PodMetricsInfo, cfg: CalculatorConfig, container = ''): { replicas: number; utilization: number; rawUtilization: number } {
  const { groups, metrics } = readyMetrics(pods, allMetrics, resource, cfg);
  const requests = podRequests(pods, resource, container);
  const { ratio, utilization, rawAverage } = utilizationRatio(metrics, requests, targetUtilization);
  // On a scale down a missing pod is taken to use its request, or the target when that is higher.
  const fallback = Math.max(100, targetUtilization);
  const replicas = decide(current, groups, ratio, () => utilizationRatio(metrics, requests, targetUtilization).ratio, cfg.tolerance, metrics, (pod) => Math.trunc(((requests.get(pod) ?? 0) * fallback) / 100));
  return { replicas, utilization, rawUtilization: rawAverage };
}

/** GetRawResourceReplicas (calcPlainMetricReplicas): a target average value (milli) per pod. */
export function rawResourceReplicas(current: number, targetAverage: number, resource: string, pods: P[], allMetrics: PodMetricsInfo, cfg: CalculatorConfig): { replicas: number; usage: number } {
  const { groups, metrics } = readyMetrics(pods, allMetrics, resource, cfg);
  const { ratio, usage } = usageRatio(metrics, targetAverage);
  const replicas = decide(current, groups, ratio, () => usageRatio(metrics, targetAverage).ratio, cfg.tolerance, metrics, () => targetAverage);
  return { replicas, usage };
}
