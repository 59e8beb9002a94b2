import { describe, expect, it } from 'vitest';
import type { PodDisruptionBudget } from '../api/types.js';
import { describePodDisruptionBudget } from './describe-pdb.js';
import { tabwrite } from './tabwriter.js';

describe('tsctl describe pdb', () => {
  it('prints minAvailable, the selector and the status counts, as kubectl 1.32 describePodDisruptionBudgetV1', () => {
    const pdb = {
      metadata: { name: 'pdb1', namespace: 'ns', labels: { a: 'b' } },
      spec: { minAvailable: '50%', selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['b', 'a'] }] } },
      status: { disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2 },
    } as unknown as PodDisruptionBudget;
    expect(tabwrite(describePodDisruptionBudget(pdb).join('\n')).split('\n')).toEqual([
      'Name:           pdb1',
      'Namespace:      ns',
      'Min available:  50%',
      'Selector:       app=web,tier notin (a,b)',
      'Status:',
      '    Allowed disruptions:  1',
      '    Current:              2',
      '    Desired:              1',
      '    Total:                2',
    ]);
  });

  it('prints maxUnavailable when there is no minAvailable, <none> for an empty selector and <unset> for none', () => {
    const pdb = { metadata: { name: 'p', namespace: 'ns' }, spec: { maxUnavailable: 1, selector: {} } } as unknown as PodDisruptionBudget;
    const lines = describePodDisruptionBudget(pdb);
    expect(lines.slice(2, 5)).toEqual(['Max unavailable:\t1', 'Selector:\t<none>', 'Status:']);
    expect(lines.at(-1)).toBe('    Total:\t0');
    expect(describePodDisruptionBudget({ metadata: { name: 'p' }, spec: {} } as unknown as PodDisruptionBudget)[2]).toBe('Selector:\t<unset>');
  });
});
