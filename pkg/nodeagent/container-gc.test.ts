import { describe, expect, it } from 'vitest';
import { ContainerGC, type GCPod } from './container-gc.js';

/** A pod worker as the collector sees it: `ended` pods give up their containers once. */
function pod(name: string, opts: { evicted?: boolean; ended?: boolean }, removed: string[]): GCPod {
  let left = opts.ended ? 1 : 0;
  return {
    evicted: opts.evicted ?? false,
    removeEndedContainers: async () => {
      const n = left;
      left = 0;
      if (n) removed.push(name);
      return n;
    },
  };
}

describe('container GC', () => {
  it('the periodic pass removes the containers of the pods this agent evicted; the disk-pressure reclaim those of every ended pod', async () => {
    const removed: string[] = [];
    const pods = [pod('evicted', { evicted: true, ended: true }, removed), pod('succeeded', { ended: true }, removed), pod('running', {}, removed), pod('evicted-stopping', { evicted: true }, removed)];
    const gc = new ContainerGC(() => pods.values());
    // (GarbageCollect with evictNonDeletedPods false: ShouldPodContentBeRemoved, IsEvicted)
    expect(await gc.garbageCollect()).toBe(1);
    expect(removed).toEqual(['evicted']);
    expect(await gc.garbageCollect()).toBe(0);
    // (DeleteAllUnusedContainers: ShouldPodRuntimeBeRemoved, any pod that has ended)
    expect(await gc.deleteAllUnusedContainers()).toBe(1);
    expect(removed).toEqual(['evicted', 'succeeded']);
  });
});
