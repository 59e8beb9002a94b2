// The autoscaler's status as the controller computes it, against the status as the apiserver stores it.
import { describe, expect, it } from 'vitest';
import { omitEmptyFields } from '../api/omitempty.js';
import { setCondition, setStatus, type HPA } from './hpa-status.js';

const hpa = (): HPA => ({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: 'default' }, spec: { maxReplicas: 3, scaleTargetRef: { kind: 'Deployment', name: 'web' } } });

describe('setStatus', () => {
  it('computes an unchanged status with no metrics as the apiserver stored it (currentMetrics: null), so it is not written again', () => {
    const a = hpa();
    setStatus(a, 1, 1, [], false);
    setCondition(a, 'AbleToScale', 'True', 'SucceededGetScale', 'the HPA controller was able to get the target\'s current scale');
    const stored = structuredClone(a);
    omitEmptyFields('HorizontalPodAutoscaler', stored, true);
    const original = JSON.stringify(stored.status);
    setStatus(stored, 1, 1, [], false);
    expect(JSON.stringify(stored.status)).toBe(original);
  });
});
