// The nominator: which nominated pods a pod must leave room for, and which a preemptor displaces.
import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/types.js';
import { Nominator } from './scheduler-nominator.js';

const pod = (name: string, priority: number): Pod => ({ metadata: { name, namespace: 'default' }, spec: { priority, containers: [] } });
const names = (ps: Pod[]) => ps.map((p) => p.metadata!.name).sort();

describe('nominator', () => {
  it('keeps one node per pod, and counts the nominated pods of equal or higher priority, not the pod itself', () => {
    const n = new Nominator();
    const [low, mid, high] = [pod('low', 1), pod('mid', 5), pod('high', 10)];
    n.set(low, 'a');
    n.set(mid, 'a');
    n.set(high, 'b');
    n.set(high, 'a'); // moved: no longer on b
    expect(names(n.for('a', mid))).toEqual(['high']);
    expect(names(n.for('a', pod('other', 5)))).toEqual(['high', 'mid']);
    expect(n.for('b', low)).toEqual([]);
    expect(names(n.displacedBy('a', high))).toEqual(['low', 'mid']);
    n.set(mid, undefined);
    n.set(low, undefined);
    n.set(high, undefined);
    expect(n.size).toBe(0);
  });
});
