// The horizontal pod autoscaler controller (pkg/controller/podautoscaler/horizontal.go): every
// sync period, for each HorizontalPodAutoscaler, read its target's scale subresource, compute
// a replica count per metric from the pods the scale's selector matches (Resource and
// ContainerResource metrics from metrics.k8s.io through the API client; the custom and external
// metrics APIs are not served here), take the highest, temper it (stabilization, bounds, rate
// limits: hpa-scaling.ts), write the scale when it changes, and report in the status: current
// and desired replicas, current metrics, lastScaleTime, and the AbleToScale, ScalingActive and
// ScalingLimited conditions; SuccessfulRescale and failure events on the autoscaler.
import { API_KINDS } from '../api/kinds.js';
import { formatMilli, quantityToMilli } from '../api/quantity.js';
import { formatLabelSelector, matchesLabelSelector, parseLabelSelector, type ParsedLabelSelector } from '../api/selectors.js';
import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerCondition, KubeObject, MetricSpec, MetricStatus, MetricTarget, MetricValueStatus, Pod } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import type { EventSink } from '../client/event-sink.js';
import { recordEvent } from '../client/events.js';
import { keyOf, type Informer } from '../client/informer.js';
import { HorizontalPodAutoscalers } from '../client/rest-client.js';
import { logger } from '../util/log.js';
import { rfc3339Now } from '../util/time.js';
import { minReplicasOf, ScaleHistory } from './hpa-scaling.js';
import { apiPodMetrics, resourceMetrics, type PodMetricsLister } from './metrics-client.js';
import { rawResourceReplicas, resourceReplicas, type CalculatorConfig } from './replica-calculator.js';
import { updateStatus } from './status-update.js';
import { WorkQueue } from './work-queue.js';

const log = logger('horizontal-pod-autoscaler');
const SOURCE = { component: 'horizontal-pod-autoscaler' };

type HPA = HorizontalPodAutoscaler & KubeObject;
type P = Pod & KubeObject;
type Scale = KubeObject & { spec?: { replicas?: number }; status?: { replicas?: number; selector?: string } };

export interface HorizontalConfig {
  /** How often each autoscaler is reconciled (--horizontal-pod-autoscaler-sync-period, 15 s). */
  syncPeriodMs: number;
  /** --horizontal-pod-autoscaler-tolerance (0.1). */
  tolerance: number;
  /** --horizontal-pod-autoscaler-downscale-stabilization (5 min). */
  downscaleStabilizationMs: number;
  /** --horizontal-pod-autoscaler-cpu-initialization-period (5 min). */
  cpuInitializationPeriodMs: number;
  /** --horizontal-pod-autoscaler-initial-readiness-delay (30 s). */
  initialReadinessDelayMs: number;
  now?: () => number;
}

export const defaultHorizontalConfig: HorizontalConfig = {
  syncPeriodMs: 15_000,
  tolerance: 0.1,
  downscaleStabilizationMs: 300_000,
  cpuInitializationPeriodMs: 300_000,
  initialReadinessDelayMs: 30_000,
};

export interface HorizontalInformers {
  hpas: Informer<HPA>;
  pods: Informer<P>;
}

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

/** setCondition: the transition time moves only when the status does. */
function setCondition(hpa: HPA, type: string, status: 'True' | 'False', reason: string, message: string): void {
  const st = (hpa.status ??= {});
  const conditions = (st.conditions ??= []);
  const old = conditions.find((c) => c.type === type);
  const next: HorizontalPodAutoscalerCondition = { type, status, lastTransitionTime: old && old.status === status ? old.lastTransitionTime : rfc3339Now(), reason, message };
  st.conditions = old ? conditions.map((c) => (c === old ? next : c)) : [...conditions, next];
}

export class HorizontalController {
  readonly queue: WorkQueue;
  private readonly history: ScaleHistory;
  private readonly calc: CalculatorConfig;
  /** The selector each autoscaler last used (hpaSelectors), to find pods claimed by two. */
  private readonly selectors = new Map<string, ParsedLabelSelector>();

  constructor(
    private readonly client: ApiClient,
    private readonly informers: HorizontalInformers,
    private readonly events: EventSink,
    private readonly cfg: HorizontalConfig = defaultHorizontalConfig,
    private readonly podMetrics: PodMetricsLister = apiPodMetrics(client),
  ) {
    const now = cfg.now ?? Date.now;
    this.history = new ScaleHistory(cfg.downscaleStabilizationMs, now);
    this.calc = { tolerance: cfg.tolerance, cpuInitializationPeriodMs: cfg.cpuInitializationPeriodMs, delayOfInitialReadinessStatusMs: cfg.initialReadinessDelayMs, now };
    this.queue = new WorkQueue('horizontalpodautoscaler', (key) => this.sync(key));
    // A new autoscaler is reconciled at once; changes (its own status writes among them) wait for the next period.
    informers.hpas.on({
      add: (h) => this.queue.add(keyOf(h)),
      update: (h) => this.queue.addAfter(keyOf(h), cfg.syncPeriodMs),
      delete: (h) => {
        this.history.forget(keyOf(h));
        this.selectors.delete(keyOf(h));
      },
    });
  }

  start(): void {
    for (const h of this.informers.hpas.list()) this.queue.add(keyOf(h));
  }

  stop(): void {
    this.queue.stop();
  }

  async sync(key: string): Promise<void> {
    const cached = this.informers.hpas.get(key);
    if (!cached) return;
    // Failures are retried on the next period too (the fixed-interval rate limiter of Kubernetes' HPA queue), not sooner.
    try {
      await this.reconcile(structuredClone(cached), key);
    } catch (e) {
      log.warn('failed to reconcile HorizontalPodAutoscaler', { hpa: key, err: (e as Error).message });
    } finally {
      this.queue.addAfter(key, this.cfg.syncPeriodMs);
    }
  }

  private event(hpa: HPA, type: string, reason: string, message: string): void {
    const obj = { ...hpa, apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' } as KubeObject;
    this.events.enqueue(() => recordEvent(this.client, obj, SOURCE, type, reason, message));
  }

  /** updateStatusIfNeeded. */
  private async writeStatus(hpa: HPA, original: string): Promise<void> {
    if (JSON.stringify(hpa.status ?? {}) === original) return;
    try {
      await updateStatus(this.client, HorizontalPodAutoscalers, hpa, hpa.status);
    } catch (e) {
      this.event(hpa, 'Warning', 'FailedUpdateStatus', (e as Error).message);
      throw new Error(`failed to update status for ${hpa.metadata!.name}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** The scale of the target: its resource from the kinds served (the RESTMapper's role), then its scale subresource. */
  private async targetScale(hpa: HPA): Promise<{ scale: Scale; ref: { group: string; version: string; resource: string; namespaced: true } }> {
    const t = hpa.spec?.scaleTargetRef ?? {};
    const av = t.apiVersion ?? '';
    const parts = av.split('/');
    if (parts.length > 2) throw new Error(`unexpected GroupVersion string: ${av}`);
    const group = parts.length === 2 ? parts[0]! : '';
    const kind = API_KINDS.find((k) => k.kind === t.kind && k.group === group);
    if (!kind) throw new Error(`unable to determine resource for scale target reference: no matches for kind "${t.kind}" in group "${group}"`);
    const ref = { group, version: kind.version, resource: kind.resource, namespaced: true as const };
    return { scale: await this.client.get<Scale>(ref, hpa.metadata!.namespace, t.name ?? '', 'scale'), ref };
  }

  private async reconcile(hpa: HPA, key: string): Promise<void> {
    const ns = hpa.metadata!.namespace!;
    const original = JSON.stringify(hpa.status ?? {});
    const spec = hpa.spec ?? {};
    const reference = `${spec.scaleTargetRef?.kind}/${ns}/${spec.scaleTargetRef?.name}`;
    let target: Awaited<ReturnType<HorizontalController['targetScale']>>;
    try {
      target = await this.targetScale(hpa);
    } catch (e) {
      const msg = (e as Error).message;
      this.event(hpa, 'Warning', 'FailedGetScale', msg);
      setCondition(hpa, 'AbleToScale', 'False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: ${msg}`);
      await this.writeStatus(hpa, original).catch((err) => log.warn('status update failed', { hpa: key, err }));
      throw new Error(`failed to query scale subresource for ${reference}: ${msg}`, { cause: e });
    }
    const { scale } = target;
    setCondition(hpa, 'AbleToScale', 'True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale");
    const current = scale.spec?.replicas ?? 0;
    this.history.recordInitial(key, current);
    const min = minReplicasOf(hpa);
    const max = spec.maxReplicas ?? 0;
    let desired = 0;
    let reason = '';
    let rescale = true;
    let statuses: MetricStatus[] = [];
    let metricsError: Error | undefined;
    if (current === 0 && min !== 0) {
      rescale = false;
      setCondition(hpa, 'ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero');
    } else if (current > max) {
      reason = 'Current number of replicas above Spec.MaxReplicas';
      desired = max;
    } else if (current < min) {
      reason = 'Current number of replicas below Spec.MinReplicas';
      desired = min;
    } else {
      const computed = await this.replicasForMetrics(hpa, scale, key);
      statuses = computed.statuses;
      if (computed.replicas === -1) {
        this.setStatus(hpa, current, hpa.status?.desiredReplicas ?? 0, statuses, false);
        await this.writeStatus(hpa, original).catch((err) => log.warn('status update failed', { hpa: key, err }));
        this.event(hpa, 'Warning', 'FailedComputeMetricsReplicas', computed.error!.message);
        throw new Error(`failed to compute desired number of replicas based on listed metrics for ${reference}: ${computed.error!.message}`);
      }
      metricsError = computed.error;
      desired = computed.replicas;
      if (desired > current) reason = `${computed.metric} above target`;
      if (desired < current) reason = 'All metrics below target';
      const n = spec.behavior ? this.history.normalizeWithBehavior(key, spec.behavior, current, desired, min, max) : this.history.normalize(key, current, desired, min, max);
      setCondition(hpa, 'AbleToScale', 'True', n.ableToScale.reason, n.ableToScale.message);
      setCondition(hpa, 'ScalingLimited', n.limited.status, n.limited.reason, n.limited.message);
      desired = n.replicas;
      rescale = desired !== current;
    }
    if (rescale) {
      try {
        await this.client.update(target.ref, ns, scale.metadata!.name!, { ...scale, spec: { ...scale.spec, replicas: desired } }, 'scale');
      } catch (e) {
        const msg = (e as Error).message;
        this.event(hpa, 'Warning', 'FailedRescale', `New size: ${desired}; reason: ${reason}; error: ${msg}`);
        setCondition(hpa, 'AbleToScale', 'False', 'FailedUpdateScale', `the HPA controller was unable to update the target scale: ${msg}`);
        this.setStatus(hpa, current, hpa.status?.desiredReplicas ?? 0, statuses, false);
        await this.writeStatus(hpa, original).catch((err) => log.warn('status update failed', { hpa: key, err }));
        throw new Error(`failed to rescale ${reference}: ${msg}`, { cause: e });
      }
      setCondition(hpa, 'AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desired}`);
      this.event(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${reason}`);
      this.history.storeScaleEvent(key, spec.behavior, current, desired);
      log.info('rescaled', { hpa: key, from: current, to: desired, reason });
    } else {
      desired = current;
    }
    this.setStatus(hpa, current, desired, statuses, rescale);
    await this.writeStatus(hpa, original);
    if (metricsError) throw metricsError;
  }

  private setStatus(hpa: HPA, current: number, desired: number, metrics: MetricStatus[], rescaled: boolean): void {
    const st = hpa.status ?? {};
    hpa.status = {
      observedGeneration: hpa.metadata?.generation ?? 1,
      ...(current ? { currentReplicas: current } : {}),
      desiredReplicas: desired,
      ...(rescaled ? { lastScaleTime: rfc3339Now() } : st.lastScaleTime ? { lastScaleTime: st.lastScaleTime } : {}),
      ...(metrics.length ? { currentMetrics: metrics } : {}),
      ...(st.conditions ? { conditions: st.conditions } : {}),
    };
  }

  /**
   * computeReplicasForMetrics: the highest proposal of the metrics that could be computed. When
   * every metric failed, or some failed and the others would scale down, replicas is -1 and the
   * first failure sets ScalingActive=False.
   */
  private async replicasForMetrics(hpa: HPA, scale: Scale, key: string): Promise<{ replicas: number; metric: string; statuses: MetricStatus[]; error?: Error }> {
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
        this.event(hpa, 'Warning', err.reason, err.cause.message);
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
      this.event(hpa, 'Warning', 'SelectorRequired', 'selector is required');
      setCondition(hpa, 'ScalingActive', 'False', 'InvalidSelector', "the HPA target's scale is missing a selector");
      throw new Error('selector is required');
    }
    let selector: ParsedLabelSelector;
    try {
      selector = parseLabelSelector(selectorText);
    } catch (e) {
      const msg = `couldn't convert selector into a corresponding internal selector object: ${(e as Error).message}`;
      this.event(hpa, 'Warning', 'InvalidSelector', msg);
      setCondition(hpa, 'ScalingActive', 'False', 'InvalidSelector', msg);
      throw new Error(msg);
    }
    this.selectors.set(key, selector);
    const ns = hpa.metadata!.namespace!;
    const pods = this.informers.pods.list().filter((p) => p.metadata?.namespace === ns && matchesLabelSelector(selector, p.metadata?.labels));
    const claiming = [...this.selectors].filter(([k, s]) => k.startsWith(`${ns}/`) && pods.some((p) => matchesLabelSelector(s, p.metadata?.labels))).map(([k]) => k.slice(ns.length + 1));
    if (claiming.length > 1) {
      const msg = `pods by selector ${selectorText} are controlled by multiple HPAs: [${claiming.sort().join(' ')}]`;
      this.event(hpa, 'Warning', 'AmbiguousSelector', msg);
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
    if (target.averageValue) {
      let got;
      try {
        const { metrics } = await resourceMetrics(this.podMetrics, resource, ns, labelSelector, container).catch((e) => {
          throw new Error(`unable to get metrics for resource ${resource}: ${(e as Error).message}`);
        });
        got = rawResourceReplicas(current, quantityToMilli(target.averageValue), resource, pods, metrics, this.calc);
      } catch (e) {
        throw new Error(`failed to get ${resource} usage: ${(e as Error).message}`);
      }
      return { replicas: got.replicas, current: { averageValue: formatMilli(got.usage) }, metric: `${resource} resource` };
    }
    if (target.averageUtilization == null) throw new Error('invalid resource metric source: neither an average utilization target nor an average value (usage) target was set');
    let got;
    try {
      const { metrics } = await resourceMetrics(this.podMetrics, resource, ns, labelSelector, container).catch((e) => {
        throw new Error(`unable to get metrics for resource ${resource}: ${(e as Error).message}`);
      });
      got = resourceReplicas(current, target.averageUtilization, resource, pods, metrics, this.calc, container);
    } catch (e) {
      throw new Error(`failed to get ${resource} utilization: ${(e as Error).message}`);
    }
    return { replicas: got.replicas, current: { averageUtilization: got.utilization, averageValue: formatMilli(got.rawUtilization) }, metric: `${resource} resource utilization (percentage of request)` };
  }
}
