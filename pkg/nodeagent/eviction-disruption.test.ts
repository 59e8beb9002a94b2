// Which evictions carry the DisruptionTarget condition, as in 1.32's eviction manager: a
// threshold's eviction passes one (reason TerminationByKubelet, its message), a local storage
// limit's (an emptyDir over its sizeLimit, ephemeral-storage limits) passes none (evictPod with a
// nil condition); both are the kubelet's IsEvicted, whose containers the periodic GC removes.
import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/types.js';
import { EvictionManager } from './eviction-manager.js';
import type { PodUsage } from './eviction-ranking.js';
import { parseThresholds } from './eviction-thresholds.js';
import { PodWorker } from './pod-worker.js';
import { fakeWorkerDeps } from '../../test/helpers/fake-worker-deps.js';

const Mi = 1024 * 1024;

function manager(pods: Pod[], usage: Map<string, PodUsage>, memoryAvailable: number) {
  const evicted: { name: string; disruptionTarget: boolean }[] = [];
  const live = [...pods];
  const m = new EvictionManager(
    { thresholds: parseThresholds({ evictionHard: ['memory.available<100Mi'], evictionSoft: [], evictionSoftGracePeriod: [], evictionMinimumReclaim: [] }), pressureTransitionPeriodMs: 5000, maxPodGracePeriodSec: 0, podCleanupTimeoutMs: 1000 },
    {
      observe: async () => new Map([['memory.available', { available: memoryAvailable, capacity: 2000 * Mi }]]),
      activePods: () => live,
      podUsage: async () => usage,
      evict: async (p, _message, _grace, disruptionTarget) => {
        evicted.push({ name: p.metadata!.name!, disruptionTarget });
        live.splice(live.indexOf(p), 1);
      },
      reclaimNodeLevel: async () => {},
      nodeEvent: () => {},
      podEvent: () => {},
      conditionsChanged: () => {},
    },
  );
  return { m, evicted };
}

const withEmptyDir: Pod = { metadata: { name: 'scratch', namespace: 'default', uid: 'uid-scratch' }, spec: { containers: [{ name: 'c', image: 'x' }], volumes: [{ name: 'data', emptyDir: { sizeLimit: '1Mi' } }] } };
const plain: Pod = { metadata: { name: 'plain', namespace: 'default', uid: 'uid-plain' }, spec: { containers: [{ name: 'c', image: 'x' }] } };

describe('the DisruptionTarget condition of an eviction', () => {
  it('a threshold\'s eviction has it, a local storage limit\'s has not', async () => {
    const usage = new Map<string, PodUsage>([
      ['uid-scratch', { memory: new Map([['c', Mi]]), disk: 2 * Mi, containerDisk: new Map([['c', 0]]), volumes: new Map([['data', 2 * Mi]]) }],
      ['uid-plain', { memory: new Map([['c', 10 * Mi]]), disk: 0, containerDisk: new Map([['c', 0]]), volumes: new Map() }],
    ]);
    const local = manager([withEmptyDir, plain], usage, 1000 * Mi);
    expect((await local.m.synchronize())?.metadata?.name).toBe('scratch');
    expect(local.evicted).toEqual([{ name: 'scratch', disruptionTarget: false }]);

    const threshold = manager([plain], usage, 90 * Mi);
    expect((await threshold.m.synchronize())?.metadata?.name).toBe('plain');
    expect(threshold.evicted).toEqual([{ name: 'plain', disruptionTarget: true }]);
  });

  it('the worker of a pod evicted without the condition reports none, and is still the kubelet\'s IsEvicted', async () => {
    const d = fakeWorkerDeps();
    const local = new PodWorker(withEmptyDir, d);
    await local.evict('Usage of EmptyDir volume "data" exceeds the limit "1Mi". ', 0, 'Evicted', null);
    expect(local.disruption).toBeUndefined();
    expect(local.evicted).toBe(true);
    const byThreshold = new PodWorker(plain, d);
    await byThreshold.evict('The node was low on resource: memory. ', 0);
    expect(byThreshold.disruption).toEqual({ reason: 'TerminationByKubelet', message: 'The node was low on resource: memory. ' });
    expect(byThreshold.evicted).toBe(true);
    await Promise.all([local.stop(), byThreshold.stop()]);
  });
});
