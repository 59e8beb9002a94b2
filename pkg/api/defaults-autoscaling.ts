// autoscaling/v2 defaults (SetDefaults_HorizontalPodAutoscaler): minReplicas 1, an 80% CPU
// utilization target when no metric is given, and, when a behavior is given, its missing rules
// and policies filled in from Kubernetes' default scale-up and scale-down rules (the scale-down
// stabilization window stays unset: the controller's --horizontal-pod-autoscaler-downscale-stabilization applies).
import type { HPAScalingRules, HorizontalPodAutoscaler, MetricSpec } from './types.js';

/** The CPU utilization target of an autoscaler that names no metric (autoscaling.DefaultCPUUtilization). */
export const DEFAULT_CPU_UTILIZATION = 80;

export const defaultCPUMetric = (): MetricSpec => ({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } });

/** At most 4 pods or 100% more every 15 s, whichever is more; no stabilization. */
const defaultScaleUp = (): HPAScalingRules => ({
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
});

/** Down to 0% (100% fewer) every 15 s; the stabilization window is the controller's. */
const defaultScaleDown = (): HPAScalingRules => ({ selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });

/** copyHPAScalingRules: the given rules' set fields over the defaults. */
function withDefaults(given: HPAScalingRules | undefined, defaults: HPAScalingRules): HPAScalingRules {
  if (!given) return defaults;
  return {
    ...(given.stabilizationWindowSeconds != null ? { stabilizationWindowSeconds: given.stabilizationWindowSeconds } : defaults.stabilizationWindowSeconds != null ? { stabilizationWindowSeconds: defaults.stabilizationWindowSeconds } : {}),
    selectPolicy: given.selectPolicy || defaults.selectPolicy,
    policies: given.policies ?? defaults.policies,
  };
}

export function defaultHorizontalPodAutoscaler(hpa: HorizontalPodAutoscaler): HorizontalPodAutoscaler {
  const spec = (hpa.spec ??= {});
  spec.minReplicas ??= 1;
  if (!spec.metrics?.length) spec.metrics = [defaultCPUMetric()];
  if (spec.behavior) {
    spec.behavior.scaleUp = withDefaults(spec.behavior.scaleUp, defaultScaleUp());
    spec.behavior.scaleDown = withDefaults(spec.behavior.scaleDown, defaultScaleDown());
  }
  return hpa;
}
