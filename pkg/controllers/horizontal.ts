// The horizontal pod autoscaler controller (pkg/controller/podautoscaler/horizontal.go): every
// sync period, for each HorizontalPodAutoscaler, read its target's scale subresource, compute
// a replica count per metric from the pods the scale's selector matches (Resource and
// ContainerResource metrics from metrics.k8s.io through the API client; the custom and external
// metrics APIs are not served here), take the highest, temper it (stabilization, bounds, rate
// limits: hpa-scaling.ts), write the scale when it changes, and report in the status: current
// and desired replicas, current metrics, lastScaleTime, and the AbleToScale, ScalingActive and
// ScalingLimited conditions; SuccessfulRescale and failure events on the autoscaler.
import { API_KINDS } from '../api/kinds.js';
import type { KubeObject, MetricStatus, Pod } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import type { EventSink } from '../client/event-sink.js';
import { recordEvent } from '../client/events.js';
import { keyOf, type Informer } from '../client/informer.js';
import { HorizontalPodAutoscalers } from '../client/rest-client.js';
import { logger } from '../util/log.js';
import { MetricReplicas, type Scale } from './hpa-metrics.js';
import { minReplicasOf, ScaleHistory } from './hpa-scaling.js';
import { setCondition, setStatus, type HPA } from './hpa-status.js';
import { apiPodMetrics, type PodMetricsLister } from './metrics-client.js';
import { updateStatus } from './status-update.js';
import { WorkQueue } from './work-queue.js';

const log = logger('horizontal-pod-autoscaler');
const SOURCE = { component: 'horizontal-pod-autoscaler' };

type P = Pod & KubeObject;

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

export class HorizontalController {
  readonly queue: WorkQueue;
  private readonly history: ScaleHistory;
  /** The replica counts the metrics ask for. */
  private readonly metrics: MetricReplicas;

  constructor(
    private readonly client: ApiClient,
    private readonly informers: HorizontalInformers,
    private readonly events: EventSink,
    private readonly cfg: HorizontalConfig = defaultHorizontalConfig,
    podMetrics: PodMetricsLister = apiPodMetrics(client),
  ) {
    const now = cfg.now ?? Date.now;
    this.history = new ScaleHistory(cfg.downscaleStabilizationMs, now);
    this.metrics = new MetricReplicas({
      pods: () => informers.pods.list(),
      podMetrics,
      calc: { tolerance: cfg.tolerance, cpuInitializationPeriodMs: cfg.cpuInitializationPeriodMs, delayOfInitialReadinessStatusMs: cfg.initialReadinessDelayMs, now },
      event: (hpa, type, reason, message) => this.event(hpa, type, reason, message),
    });
    this.queue = new WorkQueue('horizontalpodautoscaler', (key) => this.sync(key));
    // A new autoscaler is reconciled at once; changes (its own status writes among them) wait for the next period.
    informers.hpas.on({
      add: (h) => this.queue.add(keyOf(h)),
      update: (h) => this.queue.addAfter(keyOf(h), cfg.syncPeriodMs),
      delete: (h) => {
        this.history.forget(keyOf(h));
        this.metrics.forget(keyOf(h));
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

  /** A failure is being reported: the status it set is written if it can be (the failure is what the caller throws). */
  private async writeStatusOnFailure(hpa: HPA, original: string, key: string): Promise<void> {
    await this.writeStatus(hpa, original).catch((err) => log.warn('status update failed', { hpa: key, err }));
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
      await this.writeStatusOnFailure(hpa, original, key);
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
      const computed = await this.metrics.compute(hpa, scale, key);
      statuses = computed.statuses;
      if (computed.replicas === -1) {
        setStatus(hpa, current, hpa.status?.desiredReplicas ?? 0, statuses, false);
        await this.writeStatusOnFailure(hpa, original, key);
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
        setStatus(hpa, current, hpa.status?.desiredReplicas ?? 0, statuses, false);
        await this.writeStatusOnFailure(hpa, original, key);
        throw new Error(`failed to rescale ${reference}: ${msg}`, { cause: e });
      }
      setCondition(hpa, 'AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desired}`);
      this.event(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${reason}`);
      this.history.storeScaleEvent(key, spec.behavior, current, desired);
      log.info('rescaled', { hpa: key, from: current, to: desired, reason });
    } else {
      desired = current;
    }
    setStatus(hpa, current, desired, statuses, rescale);
    await this.writeStatus(hpa, original);
    if (metricsError) throw metricsError;
  }
}
