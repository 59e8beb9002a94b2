import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/types.js';
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

  it('counts sidecar and init container requests (and the overhead) as the kubelet\'s PodRequests does', () => {
    // A sidecar requesting 512Mi and using 500Mi is within the pod's request: the pod without requests goes first.
    const withSidecar: Pod = {
      metadata: { name: 'mesh', namespace: 'default', uid: 'uid-mesh' },
      spec: { initContainers: [{ name: 'proxy', image: 'x', restartPolicy: 'Always', resources: { requests: { memory: '512Mi' } } }], containers: [{ name: 'c', image: 'x' }] },
    };
    // An init container's request is the pod's when larger than the app containers' sum.
    const withInit: Pod = {
      metadata: { name: 'migrate', namespace: 'default', uid: 'uid-migrate' },
      spec: { initContainers: [{ name: 'init', image: 'x', resources: { requests: { memory: '1Gi' } } }], containers: [{ name: 'c', image: 'x', resources: { requests: { memory: '10Mi' } } }] },
    };
    // The overhead is added to a non-zero request: 100Mi + 100Mi covers 150Mi.
    const withOverhead: Pod = { ...pod('rc', { memRequest: '100Mi' }), spec: { ...pod('rc', { memRequest: '100Mi' }).spec, overhead: { memory: '100Mi' } } };
    const usage = new Map<string, PodUsage>([
      ['uid-mesh', { memory: new Map([['proxy', 500 * Mi], ['c', 1 * Mi]]) }],
      ['uid-migrate', { memory: new Map([['c', 200 * Mi]]) }],
      ['uid-rc', { memory: new Map([['c', 150 * Mi]]) }],
      ['uid-plain', { memory: new Map([['c', 5 * Mi]]) }],
    ]);
    const ranked = rankForEviction([withSidecar, withInit, withOverhead, pod('plain')], usage, 'memory.available').map((p) => p.metadata!.name);
    expect(ranked[0]).toBe('plain');
    expect(ranked.slice(1)).toEqual(['mesh', 'rc', 'migrate']); // (all within their requests: the closest to its request first)
    // The message names a sidecar over its own request too.
    expect(evictionMessage(withSidecar, { memory: new Map([['proxy', 600 * Mi]]) }, 'memory.available', 100 * Mi, 90 * Mi)).toBe(
      'The node was low on resource: memory. Threshold quantity: 100Mi, available: 90Mi. Container proxy was using 600Mi, request is 512Mi, has larger consumption of memory. ',
    );
  });

  it('words the message as the kubelet does', () => {
    const p = pod('p');
    expect(evictionMessage(p, mem([['p', 50 * Mi]]).get('uid-p'), 'memory.available', 100 * Mi, 90 * Mi)).toBe(
      'The node was low on resource: memory. Threshold quantity: 100Mi, available: 90Mi. Container c was using 50Mi, request is 0, has larger consumption of memory. ',
    );
    expect(evictionMessage(pod('q', { memRequest: '64Mi' }), mem([['q', 10 * Mi]]).get('uid-q'), 'memory.available', 100 * Mi, 90 * Mi)).toBe('The node was low on resource: memory. Threshold quantity: 100Mi, available: 90Mi. ');
    expect(evictionMessage(p, undefined, 'nodefs.available', 10 * 1024 ** 3, 5 * 1024 ** 3)).toBe('The node was low on resource: ephemeral-storage. Threshold quantity: 10Gi, available: 5Gi. ');
    // (disk: each container's writable layer and logs against its own request)
    expect(evictionMessage(p, { memory: new Map(), containerDisk: new Map([['c', 3 * Mi]]) }, 'nodefs.available', 10 * 1024 ** 3, 5 * 1024 ** 3)).toBe(
      'The node was low on resource: ephemeral-storage. Threshold quantity: 10Gi, available: 5Gi. Container c was using 3Mi, request is 0, has larger consumption of ephemeral-storage. ',
    );
  });
});
