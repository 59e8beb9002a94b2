import { register } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/types.js';
import { EvictionManager, type EvictionConfig } from './eviction-manager.js';
import type { Observations } from './eviction-signals.js';
import { parseThresholds, type Signal } from './eviction-thresholds.js';
import { mem, pod } from './eviction-fixtures.js';

const Mi = 1024 * 1024;

/** A manager over fakes: `avail` sets what each signal shows; the clock moves by hand. */
function setup(flags: { hard?: string[]; soft?: string[]; grace?: string[]; reclaim?: string[] }, pods: Pod[], opts: Partial<EvictionConfig> = {}) {
  const state = { now: 1_000_000, avail: new Map<Signal, number>([['memory.available', 1000 * Mi], ['nodefs.available', 500], ['pid.available', 1000]]), freedByReclaim: 0 };
  const log: string[] = [];
  const evicted: { name: string; message: string; grace: number }[] = [];
  let changes = 0;
  const live = [...pods];
  const m = new EvictionManager(
    { thresholds: parseThresholds({ evictionHard: flags.hard ?? [], evictionSoft: flags.soft ?? [], evictionSoftGracePeriod: flags.grace ?? [], evictionMinimumReclaim: flags.reclaim ?? [] }), pressureTransitionPeriodMs: 5000, maxPodGracePeriodSec: 0, podCleanupTimeoutMs: 1000, ...opts },
    {
      now: () => state.now,
      observe: async (): Promise<Observations> =>
        new Map([
          ['memory.available', { available: state.avail.get('memory.available')!, capacity: 2000 * Mi }],
          ['nodefs.available', { available: state.avail.get('nodefs.available')!, capacity: 1000 }],
          ['pid.available', { available: state.avail.get('pid.available')!, capacity: 1000 }],
        ]),
      activePods: () => live,
      podUsage: async () => mem(live.map((p) => [p.metadata!.name!, 10 * Mi])),
      evict: async (p, message, grace) => {
        evicted.push({ name: p.metadata!.name!, message, grace });
        live.splice(live.indexOf(p), 1);
      },
      reclaimNodeLevel: async (s) => {
        log.push(`reclaim ${s}`);
        state.avail.set('nodefs.available', state.avail.get('nodefs.available')! + state.freedByReclaim);
      },
      nodeEvent: (_t, reason, message) => log.push(`${reason}: ${message}`),
      podEvent: (p, _t, reason) => log.push(`${reason} ${p.metadata!.name}`),
      conditionsChanged: () => changes++,
    },
  );
  return { m, state, log, evicted, changes: () => changes };
}

describe('eviction manager', () => {
  it('holds a pressure condition for the transition period after the threshold was last met', async () => {
    const t = setup({ hard: ['memory.available<100Mi'] }, []);
    await t.m.synchronize();
    expect(t.m.hasCondition('MemoryPressure')).toBe(false);
    t.state.avail.set('memory.available', 90 * Mi);
    await t.m.synchronize();
    expect(t.m.hasCondition('MemoryPressure')).toBe(true);
    expect(t.changes()).toBe(1);
    t.state.avail.set('memory.available', 500 * Mi);
    t.state.now += 4000;
    await t.m.synchronize();
    expect(t.m.hasCondition('MemoryPressure')).toBe(true); // 4 s < 5 s
    t.state.now += 1500;
    await t.m.synchronize();
    expect(t.m.hasCondition('MemoryPressure')).toBe(false);
    expect(t.m.conditions.get('MemoryPressure')!.since).toBe(t.state.now);
    expect(t.changes()).toBe(2);
    expect(t.m.hasCondition('DiskPressure')).toBe(false);
  });

  it('hard threshold: evicts one pod a pass, ranked, with grace period 0 and the kubelet message', async () => {
    const evictions = async () => Number(/^kubelet_evictions\{eviction_signal="memory\.available"\} (\d+)$/m.exec(await register.metrics())?.[1] ?? 0);
    const before = await evictions();
    const t = setup({ hard: ['memory.available<100Mi'] }, [pod('guaranteed', { memRequest: '64Mi' }), pod('best-effort'), pod('critical', { priority: 2_000_000_000 })]);
    t.state.avail.set('memory.available', 90 * Mi);
    expect((await t.m.synchronize())?.metadata?.name).toBe('best-effort');
    expect(t.evicted).toEqual([{ name: 'best-effort', grace: 0, message: 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 90Mi. Container c was using 10Mi, request is 0, has larger consumption of memory. ' }]);
    expect(t.log).toEqual(['EvictionThresholdMet: Attempting to reclaim memory', 'Evicted best-effort']);
    expect((await t.m.synchronize())?.metadata?.name).toBe('guaranteed');
    expect(await t.m.synchronize()).toBeUndefined(); // the critical pod stays
    expect(t.evicted.map((e) => e.name)).toEqual(['best-effort', 'guaranteed']);
    // (each counted under its signal, as the eviction manager's Evictions metric)
    expect(await evictions()).toBe(before + 2);
  });

  it('soft threshold: the condition at once, evictions only after the grace period, with min(pod grace, max)', async () => {
    const p = pod('p');
    p.spec!.terminationGracePeriodSeconds = 60;
    const t = setup({ soft: ['memory.available<200Mi'], grace: ['memory.available=30s'] }, [p], { maxPodGracePeriodSec: 20 });
    t.state.avail.set('memory.available', 150 * Mi);
    expect(await t.m.synchronize()).toBeUndefined();
    expect(t.m.hasCondition('MemoryPressure')).toBe(true);
    t.state.now += 29_000;
    expect(await t.m.synchronize()).toBeUndefined();
    t.state.now += 1000;
    expect((await t.m.synchronize())?.metadata?.name).toBe('p');
    expect(t.evicted[0]!.grace).toBe(20);
  });

  it('disk: reclaims node-level resources first and evicts no pod when that was enough', async () => {
    const t = setup({ hard: ['nodefs.available<10%'] }, [pod('a')]);
    t.state.avail.set('nodefs.available', 50);
    t.state.freedByReclaim = 100;
    expect(await t.m.synchronize()).toBeUndefined();
    expect(t.m.hasCondition('DiskPressure')).toBe(true);
    expect(t.log).toEqual(['EvictionThresholdMet: Attempting to reclaim ephemeral-storage', 'reclaim nodefs.available']);
    expect(t.evicted).toEqual([]);
    // Not enough freed: a pod goes.
    t.state.avail.set('nodefs.available', 20);
    t.state.freedByReclaim = 10;
    expect((await t.m.synchronize())?.metadata?.name).toBe('a');
  });

  it('disk: after the node-level reclaim every threshold must be clear, a soft one within its grace period included', async () => {
    // (1.32's reclaimNodeLevelResources evaluates m.config.Thresholds, grace periods ignored)
    const t = setup({ hard: ['nodefs.available<10%'], soft: ['nodefs.available<20%'], grace: ['nodefs.available=1m'] }, [pod('a')]);
    t.state.avail.set('nodefs.available', 50);
    t.state.freedByReclaim = 100;
    // 150 of 1000 left: the hard threshold is clear, the soft one (its grace period not yet run) is not.
    expect((await t.m.synchronize())?.metadata?.name).toBe('a');
    expect(t.log).toEqual(['EvictionThresholdMet: Attempting to reclaim ephemeral-storage', 'reclaim nodefs.available', 'Evicted a']);
  });

  it('a met threshold stays met until the minimum reclaim is also freed', async () => {
    const t = setup({ hard: ['memory.available<100Mi'], reclaim: ['memory.available=50Mi'] }, [], { pressureTransitionPeriodMs: 0 });
    t.state.avail.set('memory.available', 90 * Mi);
    await t.m.synchronize();
    t.state.avail.set('memory.available', 120 * Mi);
    t.state.now += 1000;
    await t.m.synchronize();
    expect(t.m.hasCondition('MemoryPressure')).toBe(true); // 120Mi < 100Mi + 50Mi
    t.state.avail.set('memory.available', 160 * Mi);
    t.state.now += 1000;
    await t.m.synchronize();
    expect(t.m.hasCondition('MemoryPressure')).toBe(false);
  });

  it('admits only non-BestEffort (or tolerating) pods under memory pressure, none under disk pressure, critical pods always', async () => {
    const t = setup({ hard: ['memory.available<100Mi', 'pid.available<10'] }, []);
    expect(t.m.admit(pod('be'))).toBeUndefined();
    t.state.avail.set('memory.available', 90 * Mi);
    await t.m.synchronize();
    const burstable = pod('b', { memRequest: '1Mi' });
    const tolerating = pod('t');
    tolerating.spec!.tolerations = [{ key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' }];
    expect(t.m.admit(pod('be'))).toBe('The node had condition: [MemoryPressure]. ');
    expect(t.m.admit(burstable)).toBeUndefined();
    expect(t.m.admit(tolerating)).toBeUndefined();
    // (an Equal toleration of the taint with no value tolerates it too, as Kubernetes' ToleratesTaint)
    tolerating.spec!.tolerations = [{ key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' }];
    expect(t.m.admit(tolerating)).toBeUndefined();
    tolerating.spec!.tolerations = [{ key: 'node.kubernetes.io/disk-pressure', operator: 'Exists' }];
    expect(t.m.admit(tolerating)).toBe('The node had condition: [MemoryPressure]. ');
    t.state.avail.set('pid.available', 5);
    await t.m.synchronize();
    expect(t.m.admit(burstable)).toBe('The node had condition: [MemoryPressure PIDPressure]. ');
    expect(t.m.admit(pod('c', { priority: 2_000_000_000 }))).toBeUndefined();
  });
});
