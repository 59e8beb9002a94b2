import { describe, expect, it } from 'vitest';
import { evictionMessage, rankForEviction, type PodUsage } from './eviction-ranking.js';
import { mem, pod } from './eviction-fixtures.js';

const Mi = 1024 * 1024;

describe('eviction ranking', () => {
  it('memory: usage above requests first, then lower priority, then larger usage above requests', () => {
    const pods = [pod('within', { memRequest: '100Mi' }), pod('low-prio-over', { memRequest: '10Mi', priority: -5 }), pod('big-over'), pod('small-over'), pod('high-prio-over', { priority: 1000 })];
    const usage = mem([['within', 50 * Mi], ['low-prio-over', 20 * Mi], ['big-over', 300 * Mi], ['small-over', 30 * Mi], ['high-prio-over', 900 * Mi]]);
    expect(rankForEviction(pods, usage, 'memory.available').map((p) => p.metadata!.name)).toEqual(['low-prio-over', 'big-over', 'small-over', 'high-prio-over', 'within']);
  });

  it('never ranks critical pods: static or mirror pods, priority >= 2000000000', () => {
    const pods = [pod('critical', { priority: 2_000_001_000 }), pod('mirror', { annotations: { 'kubernetes.io/config.mirror': 'x' } }), pod('normal')];
    expect(rankForEviction(pods, mem([['critical', 900 * Mi], ['mirror', 900 * Mi], ['normal', 1]]), 'memory.available').map((p) => p.metadata!.name)).toEqual(['normal']);
  });

  it('disk ranks by ephemeral-storage usage above requests; PIDs by priority', () => {
    const a = pod('a');
    const b = pod('b', { priority: -1 });
    const usage = new Map<string, PodUsage>([['uid-a', { memory: new Map(), disk: 5000 }], ['uid-b', { memory: new Map(), disk: 10 }]]);
    expect(rankForEviction([a, b], usage, 'nodefs.available').map((p) => p.metadata!.name)).toEqual(['b', 'a']);
    expect(rankForEviction([a, b], usage, 'pid.available').map((p) => p.metadata!.name)).toEqual(['b', 'a']);
  });

  it('words the message as the kubelet does', () => {
    const p = pod('p');
    expect(evictionMessage(p, mem([['p', 50 * Mi]]).get('uid-p'), 'memory.available', 100 * Mi, 90 * Mi)).toBe(
      'The node was low on resource: memory. Threshold quantity: 100Mi, available: 90Mi. Container c was using 50Mi, request is 0, has larger consumption of memory.',
    );
    expect(evictionMessage(pod('q', { memRequest: '64Mi' }), mem([['q', 10 * Mi]]).get('uid-q'), 'memory.available', 100 * Mi, 90 * Mi)).toBe('The node was low on resource: memory. Threshold quantity: 100Mi, available: 90Mi.');
    expect(evictionMessage(p, undefined, 'nodefs.available', 10 * 1024 ** 3, 5 * 1024 ** 3)).toBe('The node was low on resource: ephemeral-storage. Threshold quantity: 10Gi, available: 5Gi.');
  });
});
