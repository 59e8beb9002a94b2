// An autoscaler's status as the controller writes it: conditions whose transition time moves
// only when their status does, and the replica counts, current metrics and lastScaleTime.
import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerCondition, KubeObject, MetricStatus } from '../api/types.js';
import { rfc3339Now } from '../util/time.js';

export type HPA = HorizontalPodAutoscaler & KubeObject;

/** setCondition: the transition time moves only when the status does. */
export function setCondition(hpa: HPA, type: string, status: 'True' | 'False', reason: string, message: string): void {
  const st = (hpa.status ??= {});
  const conditions = (st.conditions ??= []);
  const old = conditions.find((c) => c.type === type);
  const next: HorizontalPodAutoscalerCondition = { type, status, lastTransitionTime: old && old.status === status ? old.lastTransitionTime : rfc3339Now(), reason, message };
  st.conditions = old ? conditions.map((c) => (c === old ? next : c)) : [...conditions, next];
}

/** setStatus: replicas, metrics and (when it rescaled now) lastScaleTime; the conditions are kept. */
export function setStatus(hpa: HPA, current: number, desired: number, metrics: MetricStatus[], rescaled: boolean): void {
  const st = hpa.status ?? {};
  hpa.status = {
    // (1.32's HorizontalPodAutoscalers keep no generation, so none is observed)
    ...(hpa.metadata?.generation !== undefined ? { observedGeneration: hpa.metadata.generation } : {}),
    ...(current ? { currentReplicas: current } : {}),
    desiredReplicas: desired,
    ...(rescaled ? { lastScaleTime: rfc3339Now() } : st.lastScaleTime ? { lastScaleTime: st.lastScaleTime } : {}),
    // (currentMetrics has no omitempty: none is null, as the apiserver stores it, so an unchanged
    // status compares equal to the stored one and is not written again)
    currentMetrics: metrics.length ? metrics : (null as never),
    ...(st.conditions ? { conditions: st.conditions } : {}),
  };
}
