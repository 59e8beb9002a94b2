// Node-pressure eviction and image GC on a real node agent: a memory.available hard threshold
// above the machine's memory puts the node under MemoryPressure (condition, taint), BestEffort
// pods are evicted before Guaranteed ones and new ones are not scheduled; with the threshold
// gone the condition returns to False after the transition period. Image GC thresholds below
// the disk's usage remove an image once no container uses it. Pressure comes from configured
// thresholds only: nothing fills the memory or the disk.
import { totalmem } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Events, Nodes, Pods, type WatchEvent } from '../../pkg/client/rest-client.js';
import { DEFAULT_EVICTION_HARD, defaultEvictionSettings } from '../../pkg/nodeagent/eviction-thresholds.js';
import { eventually } from '../helpers/control-plane.js';
import { busyboxPod, ctr, image, podStatus, startCluster, type Cluster } from './harness.js';

let c: Cluster;

interface NodeView {
  spec?: { taints?: { key: string; effect: string }[] };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[] };
}
const node = async () => (await c.cp.admin.get(Nodes, undefined, 'e2e-node')) as NodeView;
const condition = async (type: string) => (await node()).status?.conditions?.find((x) => x.type === type);
const tainted = async (key: string) => ((await node()).spec?.taints ?? []).some((t) => t.key === key && t.effect === 'NoSchedule');
const events = async (name: string, reason: string) => (await c.cp.admin.list(Events, 'default', { fieldSelector: `involvedObject.name=${name},reason=${reason}` })).items as { message?: string }[];

beforeAll(async () => {
  c = await startCluster({
    podCIDR: '10.199.4.0/24',
    controllers: {},
    agent: { eviction: { ...defaultEvictionSettings(), monitoringIntervalMs: 500, pressureTransitionPeriod: '3s' } },
  });
}, 120_000);

afterAll(async () => {
  await c?.stop();
}, 60_000);

describe('node-pressure eviction', () => {
  it('under MemoryPressure taints the node, evicts BestEffort before Guaranteed, keeps new BestEffort pods off, and recovers after the transition period', async () => {
    await c.cp.admin.create(Pods, 'default', busyboxPod('best-effort', { containers: [ctr('c', 'sleep 3600')] }));
    const res = { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '100m', memory: '64Mi' } };
    await c.cp.admin.create(Pods, 'default', busyboxPod('guaranteed', { containers: [ctr('c', 'sleep 3600', { resources: res })] }));
    for (const name of ['best-effort', 'guaranteed']) await eventually(async () => (await podStatus(c, name)).phase === 'Running', { timeoutMs: 30_000, what: `${name} running` });
    expect((await condition('MemoryPressure'))?.status).toBe('False');

    // The order in which the pods fail, as the watch sees it.
    const failedOrder: string[] = [];
    const w = await c.cp.admin.watch(Pods, 'default', {}, (e: WatchEvent) => {
      const p = e.object as { metadata?: { name?: string }; status?: { phase?: string } };
      if (p.status?.phase === 'Failed' && !failedOrder.includes(p.metadata!.name!)) failedOrder.push(p.metadata!.name!);
    });
    try {
      const threshold = `${Math.floor(totalmem() / 1048576)}Mi`;
      c.agent.setEvictionSettings({ ...c.cfg.eviction, evictionHard: [`memory.available<${threshold}`] });
      await eventually(async () => (await condition('MemoryPressure'))?.status === 'True', { timeoutMs: 10_000, what: 'MemoryPressure True' });
      const mp = (await condition('MemoryPressure'))!;
      expect(mp.reason).toBe('KubeletHasInsufficientMemory');
      expect(mp.message).toBe('kubelet has insufficient memory available');
      await eventually(() => tainted('node.kubernetes.io/memory-pressure'), { timeoutMs: 10_000, what: 'memory-pressure taint' });

      await eventually(() => failedOrder.length === 2, { timeoutMs: 30_000, what: 'both pods evicted' });
      expect(failedOrder).toEqual(['best-effort', 'guaranteed']);
      const be = await podStatus(c, 'best-effort');
      expect(be.reason).toBe('Evicted');
      expect(be.message).toMatch(new RegExp(`^The node was low on resource: memory\\. Threshold quantity: ${threshold}, available: \\d+(Ki|Mi)?\\. Container c was using \\d+\\w*, request is 0, has larger consumption of memory\\.$`));
      const dt = (be.conditions as { type: string; status: string; reason?: string }[]).find((x) => x.type === 'DisruptionTarget');
      expect(dt).toMatchObject({ status: 'True', reason: 'TerminationByKubelet' });
      expect((be.containerStatuses ?? [])[0]?.state.terminated).toBeDefined();
      expect((await podStatus(c, 'guaranteed')).reason).toBe('Evicted');
      await eventually(async () => (await events('best-effort', 'Evicted')).some((e) => e.message === be.message), { what: 'Evicted event' });
      await eventually(async () => (await events('e2e-node', 'EvictionThresholdMet')).some((e) => e.message === 'Attempting to reclaim memory'), { what: 'EvictionThresholdMet event' });
      await eventually(async () => (await events('e2e-node', 'NodeHasInsufficientMemory')).length > 0, { what: 'NodeHasInsufficientMemory event' });

      // A new BestEffort pod is not scheduled onto the tainted node.
      await c.cp.admin.create(Pods, 'default', busyboxPod('newcomer', { containers: [ctr('c', 'sleep 3600')] }));
      await eventually(
        async () => ((await podStatus(c, 'newcomer')).conditions as { type: string; status: string; reason?: string; message?: string }[] | undefined)?.find((x) => x.type === 'PodScheduled' && x.status === 'False' && x.reason === 'Unschedulable' && /memory-pressure/.test(x.message ?? '')),
        { timeoutMs: 15_000, what: 'newcomer unschedulable' },
      );

      // The threshold goes: the condition holds for the transition period (3 s), then turns False.
      const t0 = Date.now();
      c.agent.setEvictionSettings({ ...c.cfg.eviction, evictionHard: DEFAULT_EVICTION_HARD });
      await eventually(async () => (await condition('MemoryPressure'))?.status === 'False', { timeoutMs: 15_000, what: 'MemoryPressure False' });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(2500);
      expect((await condition('MemoryPressure'))?.reason).toBe('KubeletHasSufficientMemory');
      await eventually(async () => !(await tainted('node.kubernetes.io/memory-pressure')), { timeoutMs: 10_000, what: 'taint removed' });
      await eventually(async () => (await podStatus(c, 'newcomer')).phase === 'Running', { timeoutMs: 30_000, what: 'newcomer running' });
    } finally {
      w.stop();
    }
  }, 120_000);

  it('image GC removes an image once no container uses it, not before', async () => {
    const hasImage = async () => (await c.agent.runtime.listImages()).some((i) => i.repoTags.some((t) => t.includes('busybox:e2e')));
    expect(await hasImage()).toBe(true);
    // Usage above 1% (any real disk) is over the high threshold: every unused image may go.
    c.agent.setEvictionSettings({ ...c.cfg.eviction, imageGCHighThresholdPercent: 1, imageGCLowThresholdPercent: 0, imageMinimumGCAge: '1s', imageGCPeriodMs: 500 });
    await new Promise((r) => setTimeout(r, 3000));
    expect(await hasImage()).toBe(true); // the running newcomer (and the evicted pods' containers) use it
    for (const name of ['newcomer', 'best-effort', 'guaranteed']) await c.cp.admin.delete(Pods, 'default', name, { gracePeriodSeconds: 0 });
    await eventually(async () => !(await hasImage()), { timeoutMs: 30_000, what: `${image} removed` });
    await eventually(async () => (await events('e2e-node', 'FreeDiskSpaceFailed')).some((e) => /^Failed to garbage collect required amount of images\. Attempted to free \d+ bytes, but only found \d+ bytes eligible to free\.$/.test(e.message ?? '')), { what: 'FreeDiskSpaceFailed event' });
  }, 60_000);
});
