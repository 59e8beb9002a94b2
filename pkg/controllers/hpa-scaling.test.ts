// Tempering of the autoscaler's proposals over a fake clock: the downscale stabilization window
// (a scale down takes the highest recommendation of the window), the bounds and the scale-up
// limit with the condition reasons, and behaviors: scale-up stabilization, Pods and Percent
// policies over their periods, Min/Max/Disabled select policies.
import { describe, expect, it } from 'vitest';
import type { HorizontalPodAutoscalerBehavior } from '../api/types.js';
import { ScaleHistory } from './hpa-scaling.js';

function clock(start = Date.parse('2026-06-01T12:00:00Z')) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('without a behavior', () => {
  it('holds a scale down at the highest recommendation of the stabilization window, then lets it go', () => {
    const c = clock();
    const h = new ScaleHistory(300_000, c.now);
    h.recordInitial('d/x', 5);
    let n = h.normalize('d/x', 5, 2, 1, 10);
    expect(n).toMatchObject({ replicas: 5, ableToScale: { reason: 'ScaleDownStabilized' }, limited: { status: 'False', reason: 'DesiredWithinRange' } });
    c.advance(60_000);
    expect(h.normalize('d/x', 5, 3, 1, 10).replicas).toBe(5);
    // five minutes after the initial 5 it has aged out; the highest left in the window is 3
    c.advance(241_000);
    n = h.normalize('d/x', 5, 2, 1, 10);
    expect(n.replicas).toBe(3);
    c.advance(61_000);
    expect(h.normalize('d/x', 3, 2, 1, 10)).toMatchObject({ replicas: 2, ableToScale: { reason: 'ReadyForNewScale' } });
  });

  it('a short window (as configured) releases at once', () => {
    const c = clock();
    const h = new ScaleHistory(1000, c.now);
    h.recordInitial('d/x', 5);
    c.advance(1500);
    expect(h.normalize('d/x', 5, 2, 1, 10).replicas).toBe(2);
  });

  it('scales up at once, at most to twice the replicas (at least 4), then maxReplicas', () => {
    const h = new ScaleHistory(300_000, clock().now);
    expect(h.normalize('d/x', 1, 10, 1, 20)).toMatchObject({ replicas: 4, limited: { status: 'True', reason: 'ScaleUpLimit' } });
    expect(h.normalize('d/y', 5, 30, 1, 20)).toMatchObject({ replicas: 10, limited: { status: 'True', reason: 'ScaleUpLimit' } });
    expect(h.normalize('d/z', 5, 30, 1, 8)).toMatchObject({ replicas: 8, limited: { status: 'True', reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' } });
    expect(h.normalize('d/w', 2, 3, 1, 8)).toMatchObject({ replicas: 3, limited: { status: 'False', reason: 'DesiredWithinRange' } });
  });

  it('never goes below minReplicas', () => {
    const h = new ScaleHistory(0, clock().now);
    expect(h.normalize('d/x', 3, 1, 2, 8)).toMatchObject({ replicas: 2, limited: { status: 'True', reason: 'TooFewReplicas' } });
  });
});

describe('with a behavior', () => {
  const defaults: HorizontalPodAutoscalerBehavior = {
    scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] },
    scaleDown: { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
  };

  it('stabilizes scale down over the controller window when the behavior leaves it unset, and over its own when set', () => {
    const c = clock();
    const h = new ScaleHistory(300_000, c.now);
    h.recordInitial('d/x', 6);
    expect(h.normalizeWithBehavior('d/x', defaults, 6, 2, 1, 10)).toMatchObject({ replicas: 6, ableToScale: { reason: 'ScaleDownStabilized' } });
    const h2 = new ScaleHistory(300_000, c.now);
    h2.recordInitial('d/x', 6);
    c.advance(11_000);
    const quick = { ...defaults, scaleDown: { ...defaults.scaleDown, stabilizationWindowSeconds: 10 } };
    expect(h2.normalizeWithBehavior('d/x', quick, 6, 2, 1, 10).replicas).toBe(2);
  });

  it('stabilizes scale up over scaleUp.stabilizationWindowSeconds (the lowest recent recommendation)', () => {
    const c = clock();
    const h = new ScaleHistory(0, c.now);
    const b = { ...defaults, scaleUp: { ...defaults.scaleUp, stabilizationWindowSeconds: 60 } };
    h.recordInitial('d/x', 2);
    expect(h.normalizeWithBehavior('d/x', b, 2, 5, 1, 10)).toMatchObject({ replicas: 2, ableToScale: { reason: 'ScaleUpStabilized' } });
    c.advance(61_000);
    expect(h.normalizeWithBehavior('d/x', b, 2, 5, 1, 10).replicas).toBe(5);
  });

  it('limits the rate by the policies over their periods, counting changes already made', () => {
    const c = clock();
    const h = new ScaleHistory(0, c.now);
    const onePerMinute: HorizontalPodAutoscalerBehavior = { scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] }, scaleDown: defaults.scaleDown };
    expect(h.normalizeWithBehavior('d/x', onePerMinute, 2, 8, 1, 10)).toMatchObject({ replicas: 3, limited: { status: 'True', reason: 'ScaleUpLimit' } });
    h.storeScaleEvent('d/x', onePerMinute, 2, 3);
    c.advance(30_000);
    // the minute's one pod is spent: stay at 3
    expect(h.normalizeWithBehavior('d/x', onePerMinute, 3, 8, 1, 10).replicas).toBe(3);
    c.advance(31_000);
    expect(h.normalizeWithBehavior('d/x', onePerMinute, 3, 8, 1, 10).replicas).toBe(4);
  });

  it('Max takes the policy allowing the most change, Min the least; Disabled allows none', () => {
    const h = new ScaleHistory(0, clock().now);
    const policies = [{ type: 'Pods', value: 2, periodSeconds: 60 }, { type: 'Percent', value: 50, periodSeconds: 60 }];
    const up = (selectPolicy: string) => ({ scaleUp: { stabilizationWindowSeconds: 0, selectPolicy, policies }, scaleDown: defaults.scaleDown });
    // from 10: +2 → 12, +50% → 15
    expect(h.normalizeWithBehavior('d/a', up('Max'), 10, 30, 1, 40).replicas).toBe(15);
    expect(h.normalizeWithBehavior('d/b', up('Min'), 10, 30, 1, 40).replicas).toBe(12);
    expect(h.normalizeWithBehavior('d/c', up('Disabled'), 10, 30, 1, 40)).toMatchObject({ replicas: 10, limited: { reason: 'ScaleUpLimit' } });
    const down = (selectPolicy: string) => ({ scaleUp: defaults.scaleUp, scaleDown: { stabilizationWindowSeconds: 0, selectPolicy, policies } });
    // from 10: -2 → 8, -50% → 5
    expect(h.normalizeWithBehavior('d/d', down('Max'), 10, 1, 1, 40)).toMatchObject({ replicas: 5, limited: { reason: 'ScaleDownLimit' } });
    expect(h.normalizeWithBehavior('d/e', down('Min'), 10, 1, 1, 40).replicas).toBe(8);
    // within the policy, minReplicas still bounds it
    expect(h.normalizeWithBehavior('d/f', down('Max'), 10, 1, 7, 40)).toMatchObject({ replicas: 7, limited: { reason: 'TooFewReplicas' } });
  });
});
