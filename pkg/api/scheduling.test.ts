import { describe, expect, it } from 'vitest';
import { findUntoleratedTaint, isSchedulingTaint, nodeSelectorTermsMatch, podMatchesNodeSelectorAndAffinity, preferredNodeAffinityScore, toleratesTaint } from './scheduling.js';
import type { Node, Pod } from './types.js';

const node: Node = { metadata: { name: 'n1', labels: { zone: 'a', disk: 'ssd', cores: '8' } } };

describe('toleratesTaint', () => {
  const taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
  it.each([
    [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }, true],
    [{ key: 'dedicated', value: 'gpu' }, true],
    [{ key: 'dedicated', operator: 'Exists' }, true],
    [{ operator: 'Exists' }, true],
    [{ key: 'dedicated', operator: 'Equal', value: 'cpu' }, false],
    [{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, false],
    [{ key: 'other', operator: 'Exists' }, false],
    [{ key: 'dedicated', operator: 'Bogus' }, false],
  ])('%j → %s', (tol, want) => {
    expect(toleratesTaint(tol, taint)).toBe(want);
  });

  it('finds the first untolerated scheduling taint', () => {
    const taints = [
      { key: 'a', effect: 'PreferNoSchedule' },
      { key: 'b', effect: 'NoSchedule' },
      { key: 'c', effect: 'NoExecute' },
    ];
    expect(findUntoleratedTaint(taints, [{ key: 'b', operator: 'Exists' }], isSchedulingTaint)?.key).toBe('c');
    expect(findUntoleratedTaint(taints, [{ operator: 'Exists' }], isSchedulingTaint)).toBeUndefined();
  });
});

describe('node affinity', () => {
  const pod = (spec: Pod['spec']): Pod => ({ spec });
  it('matches nodeSelector and required terms', () => {
    expect(podMatchesNodeSelectorAndAffinity(pod({ nodeSelector: { zone: 'a' } }), node)).toBe(true);
    expect(podMatchesNodeSelectorAndAffinity(pod({ nodeSelector: { zone: 'b' } }), node)).toBe(false);
    const req = (terms: any[]) => pod({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } });
    expect(podMatchesNodeSelectorAndAffinity(req([{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }]), node)).toBe(true);
    expect(podMatchesNodeSelectorAndAffinity(req([{ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }]), node)).toBe(true);
    expect(podMatchesNodeSelectorAndAffinity(req([{ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['4'] }, { key: 'gpu', operator: 'DoesNotExist' }] }]), node)).toBe(true);
    expect(podMatchesNodeSelectorAndAffinity(req([{ matchExpressions: [{ key: 'cores', operator: 'Lt', values: ['4'] }] }]), node)).toBe(false);
    expect(podMatchesNodeSelectorAndAffinity(req([{}]), node)).toBe(false);
    expect(podMatchesNodeSelectorAndAffinity(req([]), node)).toBe(false);
    expect(nodeSelectorTermsMatch(node, [{ matchExpressions: [{ key: 'disk', operator: 'Exists' }] }])).toBe(true);
  });

  it('scores preferred terms by weight', () => {
    const p = pod({
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 10, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
            { weight: 5, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] } },
          ],
        },
      },
    });
    expect(preferredNodeAffinityScore(p, node)).toBe(10);
  });
});
