import { describe, expect, it } from 'vitest';
import { applyAffinityLabelKeys } from './pod-affinity-label-keys.js';
import type { Pod } from './types.js';

describe('applyAffinityLabelKeys', () => {
  it('adds In / NotIn requirements for the keys the pod has labels for, in every term with a selector', () => {
    const pod: Pod = {
      metadata: { name: 'p', labels: { app: 'web', rev: 'abc', tenant: 't1' } },
      spec: {
        containers: [],
        affinity: {
          podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone', labelSelector: { matchLabels: { app: 'web' } }, matchLabelKeys: ['rev', 'missing'] }] },
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { topologyKey: 'h', labelSelector: {}, mismatchLabelKeys: ['tenant'] } }],
            requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'h', matchLabelKeys: ['rev'] }],
          },
        },
      },
    };
    applyAffinityLabelKeys(pod);
    const a = pod.spec!.affinity!;
    expect(a.podAffinity!.requiredDuringSchedulingIgnoredDuringExecution![0]!.labelSelector).toEqual({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'rev', operator: 'In', values: ['abc'] }] });
    expect(a.podAntiAffinity!.preferredDuringSchedulingIgnoredDuringExecution![0]!.podAffinityTerm!.labelSelector).toEqual({ matchExpressions: [{ key: 'tenant', operator: 'NotIn', values: ['t1'] }] });
    // No selector: matches nothing, left so.
    expect(a.podAntiAffinity!.requiredDuringSchedulingIgnoredDuringExecution![0]!.labelSelector).toBeUndefined();
  });
});
