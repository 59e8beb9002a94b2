import { describe, expect, it } from 'vitest';
import { hpaApplyConfigFromV1 } from './hpa-conversion.js';

describe('hpaApplyConfigFromV1', () => {
  it('converts only what the configuration sets: the CPU target as a metric, no default metric, no status', () => {
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };
    expect(hpaApplyConfigFromV1({ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' }, spec: { scaleTargetRef: ref, maxReplicas: 4, targetCPUUtilizationPercentage: 60 }, status: { currentReplicas: 1, desiredReplicas: 2 } })).toEqual({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'h' },
      spec: { scaleTargetRef: ref, maxReplicas: 4, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }] },
    });
    expect(hpaApplyConfigFromV1({ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h', labels: { a: 'b' } } })).toEqual({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h', labels: { a: 'b' } } });
    expect(hpaApplyConfigFromV1({ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', spec: { maxReplicas: 2 } } as never).spec).toEqual({ maxReplicas: 2 });
  });

  it('reads the round-trip annotations as hpaFromV1 does: other metrics first, behavior into spec; the annotations are not kept', () => {
    const memory = { type: 'Resource', resource: { name: 'memory', targetAverageUtilization: 70 } };
    const behavior = { scaleDown: { stabilizationWindowSeconds: 60 } };
    const out = hpaApplyConfigFromV1({
      apiVersion: 'autoscaling/v1',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'h', annotations: { 'autoscaling.alpha.kubernetes.io/metrics': JSON.stringify([memory]), 'autoscaling.alpha.kubernetes.io/behavior': JSON.stringify(behavior), team: 'a' } },
      spec: { maxReplicas: 3, targetCPUUtilizationPercentage: 50 },
    } as never);
    expect(out.metadata).toEqual({ name: 'h', annotations: { team: 'a' } });
    expect(out.spec).toEqual({
      maxReplicas: 3,
      metrics: [
        { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 70 } } },
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
      ],
      behavior,
    });
  });
});
