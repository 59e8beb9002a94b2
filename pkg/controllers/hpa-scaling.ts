// How the horizontal pod autoscaler tempers a proposed replica count (pkg/controller/
// podautoscaler/horizontal.go: normalizeDesiredReplicas and ...WithBehaviors): recent
// recommendations stabilize it (by default a scale down takes the highest recommendation of the
// last 5 minutes), then it is kept within minReplicas..maxReplicas and within the scale-up
// limit (twice the current replicas, at least 4) or, with a behavior, within its policies over
// their periods. Each step says why, for the AbleToScale and ScalingLimited conditions.
import type { HPAScalingRules, HorizontalPodAutoscaler, HorizontalPodAutoscalerBehavior } from '../api/types.js';

interface Recommendation {
  replicas: number;
  at: number;
}

interface ScaleEvent {
  change: number;
  at: number;
}

export interface Normalized {
  replicas: number;
  /** AbleToScale (True) reason and message. */
  ableToScale: { reason: string; message: string };
  /** ScalingLimited status, reason and message. */
  limited: { status: 'True' | 'False'; reason: string; message: string };
}

const READY = { reason: 'ReadyForNewScale', message: 'recommended size matches current size' };
const DOWN_STABILIZED = { reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' };
const UP_STABILIZED = { reason: 'ScaleUpStabilized', message: 'recent recommendations were lower than current one, applying the lowest recent recommendation' };
const WITHIN = { reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
const TOO_FEW = { reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
const TOO_MANY = { reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' };
const UP_LIMIT = { reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' };
const DOWN_LIMIT = { reason: 'ScaleDownLimit', message: 'the desired replica count is decreasing faster than the maximum scale rate' };

/** calculateScaleUpLimit: without a behavior, at most double (and at least 4) per step. */
export const scaleUpLimit = (current: number) => Math.max(2 * current, 4);

/** The recommendations and scale events of each autoscaler (by namespace/name), kept in memory as the controller does. */
export class ScaleHistory {
  private readonly recommendations = new Map<string, Recommendation[]>();
  private readonly ups = new Map<string, ScaleEvent[]>();
  private readonly downs = new Map<string, ScaleEvent[]>();

  constructor(
    /** --horizontal-pod-autoscaler-downscale-stabilization (5 min). */
    private readonly downscaleStabilizationMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** recordInitialRecommendation: the current replicas, the first time an autoscaler is seen. */
  recordInitial(key: string, current: number): void {
    if (!this.recommendations.has(key)) this.recommendations.set(key, [{ replicas: current, at: this.now() }]);
  }

  forget(key: string): void {
    this.recommendations.delete(key);
    this.ups.delete(key);
    this.downs.delete(key);
  }

  /** Records `replicas` as the newest recommendation, reusing the slot of one older than every window. */
  private record(key: string, replicas: number, oldIndex: number): void {
    const recs = this.recommendations.get(key) ?? [];
    const rec = { replicas, at: this.now() };
    if (oldIndex >= 0) recs[oldIndex] = rec;
    else recs.push(rec);
    this.recommendations.set(key, recs);
  }

  /** Without a behavior: stabilize down over the window, then clamp to the bounds and the scale-up limit. */
  normalize(key: string, current: number, desired: number, min: number, max: number): Normalized {
    const cutoff = this.now() - this.downscaleStabilizationMs;
    let stabilized = desired;
    let old = -1;
    (this.recommendations.get(key) ?? []).forEach((r, i) => {
      if (r.at < cutoff) old = i;
      else if (r.replicas > stabilized) stabilized = r.replicas;
    });
    this.record(key, desired, old);
    const ableToScale = stabilized !== desired ? DOWN_STABILIZED : READY;
    const upLimit = scaleUpLimit(current);
    const ceiling = max > upLimit ? { n: upLimit, why: UP_LIMIT } : { n: max, why: TOO_MANY };
    let replicas = stabilized;
    let why = WITHIN;
    if (stabilized < min) [replicas, why] = [min, TOO_FEW];
    else if (stabilized > ceiling.n) [replicas, why] = [ceiling.n, ceiling.why];
    return { replicas, ableToScale, limited: { status: replicas === stabilized ? 'False' : 'True', ...why } };
  }

  /** With a behavior (defaults filled by the apiserver): stabilize both ways, then limit the rate by the policies. */
  normalizeWithBehavior(key: string, behavior: HorizontalPodAutoscalerBehavior, current: number, desired: number, min: number, max: number): Normalized {
    const up = behavior.scaleUp ?? {};
    const down = behavior.scaleDown ?? {};
    const now = this.now();
    const upCutoff = now - (up.stabilizationWindowSeconds ?? 0) * 1000;
    const downCutoff = now - (down.stabilizationWindowSeconds ?? this.downscaleStabilizationMs / 1000) * 1000;
    let upRec = desired;
    let downRec = desired;
    let old = -1;
    (this.recommendations.get(key) ?? []).forEach((r, i) => {
      if (r.at > upCutoff) upRec = Math.min(upRec, r.replicas);
      if (r.at > downCutoff) downRec = Math.max(downRec, r.replicas);
      if (r.at < upCutoff && r.at < downCutoff) old = i;
    });
    let stabilized = Math.max(current, upRec);
    stabilized = Math.min(stabilized, downRec);
    this.record(key, desired, old);
    const ableToScale = stabilized === desired ? READY : desired >= current ? UP_STABILIZED : DOWN_STABILIZED;
    let replicas = stabilized;
    let why = WITHIN;
    if (stabilized > current) {
      const limit = Math.max(current, this.limitOf(key, current, up, 1));
      const ceiling = max > limit ? { n: limit, why: UP_LIMIT } : { n: max, why: TOO_MANY };
      if (stabilized > ceiling.n) [replicas, why] = [ceiling.n, ceiling.why];
    } else if (stabilized < current) {
      const limit = Math.min(current, this.limitOf(key, current, down, -1));
      const floor = min < limit ? { n: limit, why: DOWN_LIMIT } : { n: min, why: TOO_FEW };
      if (stabilized < floor.n) [replicas, why] = [floor.n, floor.why];
    }
    return { replicas, ableToScale, limited: { status: replicas === stabilized ? 'False' : 'True', ...why } };
  }

  /** The replicas changed (up or down) within the last `periodSeconds`. */
  private changed(events: ScaleEvent[] | undefined, periodSeconds: number): number {
    const cutoff = this.now() - periodSeconds * 1000;
    return (events ?? []).filter((e) => e.at > cutoff).reduce((a, e) => a + e.change, 0);
  }

  /** The replicas at the start of each policy's period, and what the policy then allows; Max takes the largest, Min the smallest. */
  private limitOf(key: string, current: number, rules: HPAScalingRules, direction: 1 | -1): number {
    if (rules.selectPolicy === 'Disabled') return current;
    const proposals = (rules.policies ?? []).map((p) => {
      const start = current - this.changed(this.ups.get(key), p.periodSeconds ?? 0) + this.changed(this.downs.get(key), p.periodSeconds ?? 0);
      const v = p.value ?? 0;
      if (p.type === 'Pods') return start + direction * v;
      return direction > 0 ? Math.ceil(start * (1 + v / 100)) : Math.trunc(start * (1 - v / 100));
    });
    if (!proposals.length) return current;
    // For a scale up the largest change is the largest count; for a scale down the smallest.
    const widest = (rules.selectPolicy ?? 'Max') === 'Max';
    return direction > 0 === widest ? Math.max(...proposals) : Math.min(...proposals);
  }

  /** storeScaleEvent: only autoscalers with a behavior count their changes; events older than the longest period go. */
  storeScaleEvent(key: string, behavior: HorizontalPodAutoscalerBehavior | undefined, prev: number, next: number): void {
    if (!behavior || prev === next) return;
    const upward = next > prev;
    const rules = (upward ? behavior.scaleUp : behavior.scaleDown) ?? {};
    const longest = Math.max(0, ...(rules.policies ?? []).map((p) => p.periodSeconds ?? 0));
    const cutoff = this.now() - longest * 1000;
    const map = upward ? this.ups : this.downs;
    map.set(key, [...(map.get(key) ?? []).filter((e) => e.at > cutoff), { change: Math.abs(next - prev), at: this.now() }]);
  }
}

/** The autoscaler's minReplicas (default 1). */
export const minReplicasOf = (hpa: HorizontalPodAutoscaler) => hpa.spec?.minReplicas ?? 1;
