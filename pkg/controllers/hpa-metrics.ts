// The replica count an autoscaler's metrics ask for (horizontal.go's computeReplicasForMetrics):
// the scale's selector validated (and no other autoscaler claiming its pods), a proposal per
// metric (Resource and ContainerResource from metrics.k8s.io; the custom and external metrics
// APIs are not served here), the highest of them, and the ScalingActive condition.
import { formatMilli, quantityToMilli } from '../api/quantity.js';
import { formatLabelSelector, matchesLabelSelector, parseLabelSelector, type ParsedLabelSelector } from '../api/selectors.js';
import type { KubeObject, MetricSpec, MetricStatus, MetricTarget, MetricValueStatus, Pod } from '../api/types.js';
import { setCondition, type HPA } from './hpa-status.js';
import { resourceMetrics, type PodMetricsLister } from './metrics-client.js';
import { rawResourceReplicas, resourceReplicas, type CalculatorConfig } from './replica-calculator.js';

type P = Pod & KubeObject;

/** The target's scale subresource, as far as the metrics need it. */
export type Scale = KubeObject & { spec?: { replicas?: number }; status?: { replicas?: number; selector?: string } };

/** A failed metric: the condition it sets (ScalingActive=False) and the error. */
class MetricError extends Error {
  constructor(
    readonly reason: string,
    readonly cause: Error,
    message: string,
  ) {
    super(message);
  }
}

interface Proposal {
  replicas: number;
  metric: string;
  status: MetricStatus;
}

export interface MetricReplicasDeps {
  /** Every pod (the informer's list). */
  pods(): P[];
  podMetrics: PodMetricsLister;
  calc: CalculatorConfig;
  event(hpa: HPA, type: string, reason: string, message: string): void;
}

export class MetricReplicas {
  /** The selector each autoscaler last used (hpaSelectors), to find pods claimed by two. */
  private readonly selectors = new Map<string, ParsedLabelSelector>();

  constructor(private readonly d: MetricReplicasDeps) {}

  /** The autoscaler is gone: its pods are no longer claimed. */
  forget(key: string): void {
    this.selectors.delete(key);
  }

  /**
   * computeReplicasForMetrics: the highest proposal of the metrics that could be computed. When
   * every metric failed, or some failed and the others would scale down, replicas is -1 and the
   * first failure sets ScalingActive=False.
   */
  async compute(hpa: HPA, scale: Scale, key: string): Promise<{ replicas: number; metric: string; statuses: MetricStatus[]; error?: Error }> {
    const specs = hpa.spec?.metrics ?? [];
    const statuses: MetricStatus[] = specs.map(() => ({ type: '' }));
    let selector: ParsedLabelSelector;
    let pods: P[];
    try {
      ({ selector, pods } = this.podsOf(hpa, scale.status?.selector ?? '', key));
    } catch (e) {
      return { replicas: -1, metric: '', statuses: [], error: e as Error };
    }
    let replicas = 0;
    let metric = '';
    let invalid = 0;
    let first: MetricError | undefined;
    for (const [i, m] of specs.entries()) {
      try {
        const p = await this.replicasForMetric(hpa, m, scale.spec?.replicas ?? 0, selector, pods);
        statuses[i] = p.status;
        if (replicas === 0 || p.replicas > replicas) [replicas, metric] = [p.replicas, p.metric];
      } catch (e) {
        const err = e instanceof MetricError ? e : new MetricError('FailedGetResourceMetric', e as Error, (e as Error).message);
        this.d.event(hpa, 'Warning', err.reason, err.cause.message);
        first ??= err;
        invalid++;
      }
    }
    const error = first ? new Error(`invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${first.message}`) : undefined;
    if (first && (invalid >= specs.length || replicas < (scale.spec?.replicas ?? 0))) {
      setCondition(hpa, 'ScalingActive', 'False', first.reason, `the HPA was unable to compute the replica count: ${first.cause.message}`);
      return { replicas: -1, metric: '', statuses, error };
    }
    setCondition(hpa, 'ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${metric}`);
    return { replicas, metric, statuses, error };
  }

  /** validateAndParseSelector: the scale's selector, the pods it matches, and no other autoscaler claiming them. */
  private podsOf(hpa: HPA, selectorText: string, key: string): { selector: ParsedLabelSelector; pods: P[] } {
    if (!selectorText) {
      this.d.event(hpa, 'Warning', 'SelectorRequired', 'selector is required');
      setCondition(hpa, 'ScalingActive', 'False', 'InvalidSelector', "the HPA target's scale is missing a selector");
      throw new Error('selector is required');
    }
    let selector: ParsedLabelSelector;
    try {
      selector = parseLabelSelector(selectorText);
    } catch (e) {
      const msg = `couldn't convert selector into a corresponding internal selector object: ${(e as Error).message}`;
      this.d.event(hpa, 'Warning', 'InvalidSelector', msg);
      setCondition(hpa, 'ScalingActive', 'False', 'InvalidSelector', msg);
      throw new Error(msg);
    }
    this.selectors.set(key, selector);
    const ns = hpa.metadata!.namespace!;
    const pods = this.d.pods().filter((p) => p.metadata?.namespace === ns && matchesLabelSelector(selector, p.metadata?.labels));
    const claiming = [...this.selectors].filter(([k, s]) => k.startsWith(`${ns}/`) && pods.some((p) => matchesLabelSelector(s, p.metadata?.labels))).map(([k]) => k.slice(ns.length + 1));
    if (claiming.length > 1) {
      const msg = `pods by selector ${selectorText} are controlled by multiple HPAs: [${claiming.sort().join(' ')}]`;
      this.d.event(hpa, 'Warning', 'AmbiguousSelector', msg);
      setCondition(hpa, 'ScalingActive', 'False', 'AmbiguousSelector', msg);
      throw new Error(msg);
    }
    return { selector, pods };
  }

  /** computeReplicasForMetric for one metric source. */
  private async replicasForMetric(hpa: HPA, m: MetricSpec, current: number, selector: ParsedLabelSelector, pods: P[]): Promise<Proposal> {
    const ns = hpa.metadata!.namespace!;
    const labelSelector = formatLabelSelector(selector);
    const custom = (reason: string, api: string, name: string | undefined) => {
      const cause = new Error(`unable to get metric ${name ?? ''}: unable to fetch metrics from ${api} API: the server could not find the requested resource`);
      return new MetricError(reason, cause, `failed to get ${reason === 'FailedGetPodsMetric' ? 'pods' : reason === 'FailedGetObjectMetric' ? 'object' : 'external'} metric value: ${cause.message}`);
    };
    switch (m.type) {
      case 'Resource':
      case 'ContainerResource': {
        const src = m.type === 'Resource' ? m.resource : m.containerResource;
        const container = m.type === 'ContainerResource' ? (m.containerResource?.container ?? '') : '';
        const name = src?.name ?? '';
        try {
          const { replicas, current: value, metric } = await this.resourceProposal(src?.target ?? {}, name, ns, labelSelector, container, current, pods);
          const status: MetricStatus =
            m.type === 'Resource' ? { type: 'Resource', resource: { name, current: value } } : { type: 'ContainerResource', containerResource: { name, container, current: value } };
          return { replicas, metric: m.type === 'ContainerResource' ? metric.replace('resource utilization', 'container resource utilization') : metric, status };
        } catch (e) {
          const reason = m.type === 'Resource' ? 'FailedGetResourceMetric' : 'FailedGetContainerResourceMetric';
          throw new MetricError(reason, e as Error, `failed to get ${name}${m.type === 'ContainerResource' ? ' container' : ''} resource metric value: ${(e as Error).message}`);
        }
      }
      case 'Pods':
        throw custom('FailedGetPodsMetric', 'custom metrics', m.pods?.metric?.name);
      case 'Object':
        throw custom('FailedGetObjectMetric', 'custom metrics', m.object?.metric?.name);
      case 'External':
        throw custom('FailedGetExternalMetric', 'external metrics', m.external?.metric?.name);
      default: {
        const cause = new Error(`unknown metric source type "${m.type}"`);
        throw new MetricError('InvalidMetricSourceType', cause, cause.message);
      }
    }
  }

  /** computeStatusForResourceMetricGeneric: an average value target or a utilization target. */
  private async resourceProposal(target: MetricTarget, resource: string, ns: string, labelSelector: string, container: string, current: number, pods: P[]): Promise<{ replicas: number; current: MetricValueStatus; metric: string }> {
    const usage = () =>
      resourceMetrics(this.d.podMetrics, resource, ns, labelSelector, container).then(
        (r) => r.metrics,
        (e) => {
          throw new Error(`unable to get metrics for resource ${resource}: ${(e as Error).message}`);
        },
      );
    if (target.averageValue) {
      let got;
      try {
        const metrics = await usage();
        got = rawResourceReplicas(current, quantityToMilli(target.averageValue), resource, pods, metrics, this.d.calc);
      } catch (e) {
        throw new Error(`failed to get ${resource} usage: ${(e as Error).message}`);
      }
      return { replicas: got.replicas, current: { averageValue: formatMilli(got.usage) }, metric: `${resource} resource` };
    }
    if (target.averageUtilization == null) throw new Error('invalid resource metric source: neither an average utilization target nor an average value (usage) target was set');
    let got;
    try {
      const metrics = await usage();
      got = resourceReplicas(current, target.averageUtilization, resource, pods, metrics, this.d.calc, container);
    } catch (e) {
      throw new Error(`failed to get ${resource} utilization: ${(e as Error).message}`);
    }
    return { replicas: got.replicas, current: { averageUtilization: got.utilization, averageValue: formatMilli(got.rawUtilization) }, metric: `${resource} resource utilization (percentage of request)` };
  }
}
