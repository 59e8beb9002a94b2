// Node-pressure eviction and image GC on a real node agent: a memory.available hard threshold
// above the machine's memory puts the node under MemoryPressure (condition, taint), BestEffort
// pods are evicted before Guaranteed ones and new ones are not scheduled; with the threshold
// gone the condition returns to False after the transition period. DiskPressure and PIDPressure
// likewise; image GC thresholds below the disk's usage remove an image once no container uses
// it. Pressure comes from configured thresholds, or from filling a 48 MiB tmpfs made the agent's
// data dir: nothing fills the machine's memory or disk. The periodic container GC removes an
// evicted pod's containers.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseQuantity } from '../../pkg/api/quantity.js';
import { Events, Nodes, Pods, type WatchEvent } from '../../pkg/client/rest-client.js';
import { buildImageFromDirs } from '../../pkg/runtime/image-build.js';
import { DEFAULT_EVICTION_HARD, defaultEvictionSettings } from '../../pkg/nodeagent/eviction-thresholds.js';
import { eventually } from '../helpers/control-plane.js';
import { hasKubectl, kubectlOk } from '../helpers/kubectl.js';
import { busyboxPod, ctr, image, podStatus, startCluster, type Cluster } from './harness.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'kubectl-cache-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

interface NodeView {
  spec?: { taints?: { key: string; effect: string }[] };
  status?: { capacity?: Record<string, string>; allocatable?: Record<string, string>; conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[] };
}
/** What each block reads of its own cluster's node: its own, as the two blocks run at once. */
function nodeViews(cluster: () => Cluster) {
  const node = async () => (await cluster().cp.admin.get(Nodes, undefined, 'e2e-node')) as NodeView;
  return {
    node,
    condition: async (type: string) => (await node()).status?.conditions?.find((x) => x.type === type),
    tainted: async (key: string) => ((await node()).spec?.taints ?? []).some((t) => t.key === key && t.effect === 'NoSchedule'),
    events: async (name: string, reason: string) => (await cluster().cp.admin.list(Events, 'default', { fieldSelector: `involvedObject.name=${name},reason=${reason}` })).items as { message?: string }[],
  };
}

// The two blocks run at once, each on a cluster of its own (its own node, runtime, data dir and
// podCIDR): what one does to its node (a threshold, a full filesystem) the other's agent never sees.
// Inside each, the tests run one after another, each on what the one before left.
describe.concurrent('node-pressure eviction', () => {
  let c: Cluster;
  const { node, condition, tainted, events } = nodeViews(() => c);
  beforeAll(async () => {
    c = await startCluster({
      podCIDR: '10.199.4.0/24',
      controllers: {},
      // (container GC once an hour: the evicted pods' stopped containers are what keeps the image in use below)
      agent: { eviction: { ...defaultEvictionSettings(), monitoringIntervalMs: 500, pressureTransitionPeriod: '3s', containerGCPeriodMs: 3_600_000 } },
    });
  }, 120_000);

  afterAll(async () => {
    await c?.stop();
  }, 60_000);
  // (a test that fails midway must not leave its threshold for the next: every pod after it would be evicted or refused)
  afterEach(() => c?.agent.setEvictionSettings({ ...c.cfg.eviction, evictionHard: DEFAULT_EVICTION_HARD }));

  it.sequential('under MemoryPressure taints the node, evicts BestEffort before Guaranteed, keeps new BestEffort pods off, and recovers after the transition period', async () => {
    await c.cp.admin.create(Pods, 'default', busyboxPod('best-effort', { containers: [ctr('c', 'sleep 3600')] }));
    const res = { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '100m', memory: '64Mi' } };
    await c.cp.admin.create(Pods, 'default', busyboxPod('guaranteed', { containers: [ctr('c', 'sleep 3600', { resources: res })] }));
    for (const name of ['best-effort', 'guaranteed']) await eventually(async () => (await podStatus(c, name)).phase === 'Running', { timeoutMs: 30_000, what: `${name} running` });
    expect((await condition('MemoryPressure'))?.status).toBe('False');
    // Allocatable leaves out the hard thresholds: 100Mi of memory, 10% of the data dir's filesystem.
    const st = (await node()).status!;
    expect(parseQuantity(st.allocatable!.memory!)).toBe(parseQuantity(st.capacity!.memory!) - 100 * 1024 * 1024);
    expect(parseQuantity(st.allocatable!['ephemeral-storage']!)).toBeCloseTo(parseQuantity(st.capacity!['ephemeral-storage']!) * 0.9, -5);

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
      expect(be.message).toMatch(new RegExp(`^The node was low on resource: memory\\. Threshold quantity: ${threshold}, available: \\d+(Ki|Mi)?\\. Container c was using \\d+\\w*, request is 0, has larger consumption of memory\\. $`));
      const dt = (be.conditions as { type: string; status: string; reason?: string }[]).find((x) => x.type === 'DisruptionTarget');
      expect(dt).toMatchObject({ status: 'True', reason: 'TerminationByKubelet' });
      expect((be.containerStatuses ?? [])[0]?.state.terminated).toBeDefined();
      expect((await podStatus(c, 'guaranteed')).reason).toBe('Evicted');
      await eventually(async () => (await events('best-effort', 'Evicted')).some((e) => e.message === be.message), { what: 'Evicted event' });
      await eventually(async () => (await events('e2e-node', 'EvictionThresholdMet')).some((e) => e.message === 'Attempting to reclaim memory'), { what: 'EvictionThresholdMet event' });
      await eventually(async () => (await events('e2e-node', 'NodeHasInsufficientMemory')).length > 0, { what: 'NodeHasInsufficientMemory event' });

      if (hasKubectl) {
        const nodeText = await kubectlOk(c.cp.kubeconfig, cacheDir, ['describe', 'node', 'e2e-node']);
        expect(nodeText).toMatch(/Taints:\s+node\.kubernetes\.io\/memory-pressure:NoSchedule/);
        expect(nodeText).toMatch(/MemoryPressure\s+True\s.*KubeletHasInsufficientMemory\s+kubelet has insufficient memory available/);
        const podText = await kubectlOk(c.cp.kubeconfig, cacheDir, ['describe', 'pod', 'best-effort']);
        expect(podText).toMatch(/Status:\s+Failed/);
        expect(podText).toMatch(/Reason:\s+Evicted/);
        expect(podText).toMatch(/Warning\s+Evicted\s.*The node was low on resource: memory/);
      }

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

  it.sequential('under DiskPressure reclaims unused images first, then evicts for ephemeral-storage, and rejects new pods bound to the node', async () => {
    expect((await podStatus(c, 'newcomer')).phase).toBe('Running');
    c.agent.setEvictionSettings({ ...c.cfg.eviction, evictionHard: ['imagefs.available<100%'] });
    await eventually(async () => (await condition('DiskPressure'))?.status === 'True', { timeoutMs: 10_000, what: 'DiskPressure True' });
    expect((await condition('DiskPressure'))).toMatchObject({ reason: 'KubeletHasDiskPressure', message: 'kubelet has disk pressure' });
    await eventually(() => tainted('node.kubernetes.io/disk-pressure'), { timeoutMs: 10_000, what: 'disk-pressure taint' });
    await eventually(async () => (await podStatus(c, 'newcomer')).reason === 'Evicted', { timeoutMs: 15_000, what: 'newcomer evicted' });
    expect((await podStatus(c, 'newcomer')).message).toMatch(/^The node was low on resource: ephemeral-storage\. Threshold quantity: \d+\w*, available: \d+\w*\. (Container c was using \d+\w*, request is 0, has larger consumption of ephemeral-storage\. )?$/);
    await eventually(async () => (await events('e2e-node', 'EvictionThresholdMet')).some((e) => e.message === 'Attempting to reclaim ephemeral-storage'), { what: 'EvictionThresholdMet event' });
    // The image is still used by the (stopped) containers of the evicted pods: reclaim kept it.
    expect((await c.agent.runtime.listImages()).length).toBeGreaterThan(0);
    // A pod bound straight to the node is rejected by the agent's admission.
    await c.cp.admin.create(Pods, 'default', busyboxPod('bound', { nodeName: 'e2e-node', containers: [ctr('c', 'sleep 3600')] }));
    await eventually(async () => (await podStatus(c, 'bound')).phase === 'Failed', { timeoutMs: 10_000, what: 'bound pod rejected' });
    expect(await podStatus(c, 'bound')).toMatchObject({ reason: 'Evicted', message: 'Pod was rejected: The node had condition: [DiskPressure]. ' });
    c.agent.setEvictionSettings({ ...c.cfg.eviction, evictionHard: DEFAULT_EVICTION_HARD });
    await eventually(async () => (await condition('DiskPressure'))?.status === 'False', { timeoutMs: 15_000, what: 'DiskPressure False' });
    await eventually(async () => !(await tainted('node.kubernetes.io/disk-pressure')), { timeoutMs: 10_000, what: 'disk-pressure taint removed' });
  }, 60_000);

  it.sequential('under PIDPressure evicts the pod with more processes first', async () => {
    await c.cp.admin.create(Pods, 'default', busyboxPod('few', { containers: [ctr('c', 'sleep 3600')] }));
    await c.cp.admin.create(Pods, 'default', busyboxPod('many', { containers: [ctr('c', 'sleep 3600 & sleep 3600 & sleep 3600 & sleep 3600 & wait')] }));
    for (const name of ['few', 'many']) await eventually(async () => (await podStatus(c, name)).phase === 'Running', { timeoutMs: 30_000, what: `${name} running` });
    const failedOrder: string[] = [];
    const w = await c.cp.admin.watch(Pods, 'default', {}, (e: WatchEvent) => {
      const p = e.object as { metadata?: { name?: string }; status?: { phase?: string } };
      if (['few', 'many'].includes(p.metadata!.name!) && p.status?.phase === 'Failed' && !failedOrder.includes(p.metadata!.name!)) failedOrder.push(p.metadata!.name!);
    });
    try {
      c.agent.setEvictionSettings({ ...c.cfg.eviction, evictionHard: ['pid.available<100%'] });
      await eventually(async () => (await condition('PIDPressure'))?.status === 'True', { timeoutMs: 10_000, what: 'PIDPressure True' });
      expect(await condition('PIDPressure')).toMatchObject({ reason: 'KubeletHasInsufficientPID', message: 'kubelet has insufficient PID available' });
      await eventually(() => tainted('node.kubernetes.io/pid-pressure'), { timeoutMs: 10_000, what: 'pid-pressure taint' });
      await eventually(() => failedOrder.length === 2, { timeoutMs: 30_000, what: 'both pods evicted' });
      expect(failedOrder).toEqual(['many', 'few']);
      expect((await podStatus(c, 'many')).message).toMatch(/^The node was low on resource: pids\. Threshold quantity: \d+, available: \d+\. $/);
    } finally {
      w.stop();
      c.agent.setEvictionSettings({ ...c.cfg.eviction, evictionHard: DEFAULT_EVICTION_HARD });
    }
    await eventually(async () => (await condition('PIDPressure'))?.status === 'False', { timeoutMs: 15_000, what: 'PIDPressure False' });
  }, 60_000);

  it.sequential('image GC removes an image once no container uses it, not before', async () => {
    const hasImage = async () => (await c.agent.runtime.listImages()).some((i) => i.repoTags.some((t) => t.includes('busybox:e2e')));
    expect(await hasImage()).toBe(true);
    // Usage above 1% (any real disk) is over the high threshold: every unused image may go.
    c.agent.setEvictionSettings({ ...c.cfg.eviction, imageGCHighThresholdPercent: 1, imageGCLowThresholdPercent: 0, imageMinimumGCAge: '1s', imageGCPeriodMs: 500 });
    await new Promise((r) => setTimeout(r, 3000));
    expect(await hasImage()).toBe(true); // the evicted pods' stopped containers still use it
    for (const name of ['newcomer', 'best-effort', 'guaranteed', 'bound', 'few', 'many']) await c.cp.admin.delete(Pods, 'default', name, { gracePeriodSeconds: 0 });
    await eventually(async () => !(await hasImage()), { timeoutMs: 30_000, what: `${image} removed` });
    await eventually(async () => (await events('e2e-node', 'FreeDiskSpaceFailed')).some((e) => /^Failed to garbage collect required amount of images\. Attempted to free \d+ bytes, but only found \d+ bytes eligible to free\.$/.test(e.message ?? '')), { what: 'FreeDiskSpaceFailed event' });
  }, 60_000);
});

describe.concurrent('disk pressure on a small filesystem (a 48 MiB tmpfs as the data dir)', () => {
  let c: Cluster;
  const { condition, tainted, events } = nodeViews(() => c);
  const filler = (n: number) => join(c.cfg.dataDir, `filler-${n}`);
  /** Takes space with a plain file until `fraction` of the filesystem is left. */
  const fillTo = (n: number, fraction: number) => {
    const s = statfsSync(c.cfg.dataDir);
    const bytes = s.bavail * s.bsize - Math.floor(s.blocks * s.bsize * fraction);
    if (bytes > 0) writeFileSync(filler(n), Buffer.alloc(bytes));
  };

  beforeAll(async () => {
    c = await startCluster({
      podCIDR: '10.199.14.0/24',
      controllers: {},
      dataDirTmpfsBytes: 48 << 20,
      // Image GC only detects images here (a high threshold of 100%): what removes one is the eviction manager's reclaim.
      agent: { eviction: { ...defaultEvictionSettings(), monitoringIntervalMs: 500, pressureTransitionPeriod: '3s', imageMinimumGCAge: '1s', imageGCHighThresholdPercent: 100, imageGCLowThresholdPercent: 100, imageGCPeriodMs: 500 } },
    });
  }, 120_000);

  afterAll(async () => {
    await c?.stop();
  }, 60_000);

  it.sequential('reclaims an unused image first, evicts the pod using the most disk when that is not enough, and recovers once the evicted pod\'s emptyDir is freed', async () => {
    // An unused image of 6 MiB of incompressible data (its blob and its unpacked layer both take room).
    const src = mkdtempSync(join(tmpdir(), 'filler-image-'));
    try {
      writeFileSync(join(src, 'blob'), randomBytes(6 << 20));
      const rec = await buildImageFromDirs(c.agent.runtime.images, 'tskube.local/filler:1', [src], { Env: ['PATH=/bin'] });
      await c.agent.runtime.unpack(rec);
    } finally {
      rmSync(src, { recursive: true, force: true });
    }
    const hasFiller = async () => (await c.agent.runtime.listImages()).some((i) => i.repoTags.some((t) => t.includes('filler:1')));
    expect(await hasFiller()).toBe(true);
    await c.cp.admin.create(Pods, 'default', busyboxPod('writer', { containers: [ctr('c', 'dd if=/dev/zero of=/data/f bs=1M count=6 && sleep 3600', { volumeMounts: [{ name: 'data', mountPath: '/data' }] })], volumes: [{ name: 'data', emptyDir: {} }] }));
    await eventually(async () => (await podStatus(c, 'writer')).phase === 'Running', { timeoutMs: 30_000, what: 'writer running' });
    await new Promise((r) => setTimeout(r, 2000)); // (image GC has seen the image more than --image-minimum-gc-age ago; dd is done)

    // 8% left: below nodefs.available<10% (and imagefs.available<15%, the same filesystem).
    // Removing the unused image is enough: no pod is evicted.
    fillTo(1, 0.08);
    await eventually(async () => (await condition('DiskPressure'))?.status === 'True', { timeoutMs: 10_000, what: 'DiskPressure True' });
    await eventually(() => tainted('node.kubernetes.io/disk-pressure'), { timeoutMs: 10_000, what: 'disk-pressure taint' });
    await eventually(async () => !(await hasFiller()), { timeoutMs: 10_000, what: 'unused image removed' });
    // The image's record goes before its blob and unpacked layer (12 MiB): the second fill must
    // measure the filesystem after they are gone, or their removal lifts it above the threshold
    // again and nothing is evicted (a CI run in about a dozen failed that way).
    const freeFraction = () => {
      const f = statfsSync(c.cfg.dataDir);
      return f.bavail / f.blocks;
    };
    // (both: 8% + 2 × 12.5% is 33%; the blob alone lifts it to 20.5%, so waiting for 20% let a
    // later removal of the layer lift the second fill above the threshold too)
    await eventually(() => freeFraction() > 0.28, { timeoutMs: 10_000, what: 'the unused image\'s files removed' });
    await eventually(async () => (await events('e2e-node', 'EvictionThresholdMet')).some((e) => e.message === 'Attempting to reclaim ephemeral-storage'), { what: 'EvictionThresholdMet event' });
    expect((await podStatus(c, 'writer')).phase).toBe('Running');
    expect((await c.agent.runtime.listImages()).some((i) => i.repoTags.some((t) => t.includes('busybox:e2e')))).toBe(true); // in use

    // 8% left again, nothing left to reclaim: the pod goes, with the kubelet's message.
    fillTo(2, 0.08);
    await eventually(async () => (await podStatus(c, 'writer')).reason === 'Evicted', { timeoutMs: 30_000, what: 'writer evicted' });
    const st = await podStatus(c, 'writer');
    expect(st.phase).toBe('Failed');
    expect(st.message).toMatch(/^The node was low on resource: ephemeral-storage\. Threshold quantity: \d+\w*, available: \d+\w*\. (Container c was using \d+\w*, request is 0, has larger consumption of ephemeral-storage\. )?$/);

    // Its 6 MiB emptyDir went with it: above 15% free again, DiskPressure ends after the
    // transition period with the fillers still there, and the taint goes.
    await eventually(async () => (await condition('DiskPressure'))?.status === 'False', { timeoutMs: 15_000, what: 'DiskPressure False' });
    expect(freeFraction()).toBeGreaterThan(0.15);
    rmSync(filler(1));
    rmSync(filler(2));
    await eventually(async () => !(await tainted('node.kubernetes.io/disk-pressure')), { timeoutMs: 10_000, what: 'disk-pressure taint removed' });
  }, 90_000);
  // (a failure above leaves its fillers behind: the next test must not start under disk pressure)
  afterEach(() => {
    for (const n of [1, 2, 3]) rmSync(filler(n), { force: true });
  });
  it.sequential('evicts pods over their emptyDir sizeLimit or ephemeral-storage limits, whatever the thresholds', async () => {
    const write = 'dd if=/dev/zero of=FILE bs=1M count=2 && sleep 3600';
    await c.cp.admin.create(Pods, 'default', busyboxPod('over-dir', { containers: [ctr('c', write.replace('FILE', '/data/f'), { volumeMounts: [{ name: 'data', mountPath: '/data' }] })], volumes: [{ name: 'data', emptyDir: { sizeLimit: '1Mi' } }] }));
    await c.cp.admin.create(Pods, 'default', busyboxPod('over-limit', { containers: [ctr('c', write.replace('FILE', '/tmp/f'), { resources: { limits: { 'ephemeral-storage': '1Mi' } } })] }));
    await c.cp.admin.create(Pods, 'default', busyboxPod('within', { containers: [ctr('c', write.replace('FILE', '/tmp/f'), { resources: { limits: { 'ephemeral-storage': '10Mi' } } })] }));
    await eventually(async () => (await podStatus(c, 'over-dir')).reason === 'Evicted', { timeoutMs: 30_000, what: 'over-dir evicted' });
    expect(await podStatus(c, 'over-dir')).toMatchObject({ phase: 'Failed', message: 'Usage of EmptyDir volume "data" exceeds the limit "1Mi". ' });
    await eventually(async () => (await podStatus(c, 'over-limit')).reason === 'Evicted', { timeoutMs: 30_000, what: 'over-limit evicted' });
    expect(await podStatus(c, 'over-limit')).toMatchObject({ phase: 'Failed', message: 'Pod ephemeral local storage usage exceeds the total limit of containers 1Mi. ' });
    await eventually(async () => (await events('over-limit', 'Evicted')).length > 0, { what: 'Evicted event' });
    await eventually(async () => (await podStatus(c, 'within')).phase === 'Running', { timeoutMs: 30_000, what: 'within running' });
    await new Promise((r) => setTimeout(r, 1500)); // passes enough to have seen its 2 MiB (under its 10Mi)
    expect(await podStatus(c, 'within')).toMatchObject({ phase: 'Running' });
    expect((await condition('DiskPressure'))?.status).toBe('False');
  }, 60_000);

  it.sequential('reclaims the containers of ended pods before evicting anything: their statuses stay, they never start again, and they can still be deleted', async () => {
    // (the pods the test above evicted have ended too: their containers go as well, 2 MiB in one's /tmp)
    // (when that test ran; once it has stopped: an evicted container gets the kubelet's 2-second
    // minimum grace, so it may still be running as this test starts, and its sandbox goes after it)
    const stopped = (s: Awaited<ReturnType<typeof podStatus>> | undefined) =>
      !s || ((s.containerStatuses ?? []).every((x) => x.state?.terminated) && !(s.conditions ?? []).some((x) => x.type === 'PodReadyToStartContainers' && x.status === 'True'));
    await eventually(async () => stopped(await podStatus(c, 'over-limit').catch(() => undefined)) || undefined, { timeoutMs: 15_000, what: "over-limit's container stopped" });
    const overLimitBefore = await podStatus(c, 'over-limit').catch(() => undefined);
    await c.cp.admin.create(Pods, 'default', busyboxPod('done', { restartPolicy: 'Never', containers: [ctr('c', 'dd if=/dev/zero of=/big bs=1M count=8 && echo finished')] }));
    await c.cp.admin.create(Pods, 'default', busyboxPod('keeper', { containers: [ctr('c', 'sleep 3600')] }));
    await eventually(async () => (await podStatus(c, 'done')).phase === 'Succeeded', { timeoutMs: 30_000, what: 'done Succeeded' });
    await eventually(async () => (await podStatus(c, 'keeper')).phase === 'Running', { timeoutMs: 30_000, what: 'keeper running' });
    // (its sandbox released after the Succeeded status: PodReadyToStartContainers False is the last the agent writes)
    await eventually(async () => (await podStatus(c, 'done')).conditions?.find((x) => x.type === 'PodReadyToStartContainers')?.status === 'False', { timeoutMs: 15_000, what: 'done\'s sandbox released' });
    const doneBefore = await podStatus(c, 'done');
    const doneUid = (await c.cp.admin.get(Pods, 'default', 'done')).metadata!.uid!;
    const containersOf = async (uid: string) => (await c.agent.runtime.listContainers()).filter((x) => x.labels['io.kubernetes.pod.uid'] === uid);
    expect(await containersOf(doneUid)).toHaveLength(1);

    // 8% left: the ended pods' writable layers (8 MiB in done's) are enough; no pod is evicted.
    fillTo(3, 0.08);
    await eventually(async () => (await containersOf(doneUid)).length === 0, { timeoutMs: 10_000, what: 'done\'s container removed' });
    await eventually(async () => (await condition('DiskPressure'))?.status === 'False', { timeoutMs: 15_000, what: 'DiskPressure False' });
    expect(statfsSync(c.cfg.dataDir).bavail / statfsSync(c.cfg.dataDir).blocks).toBeGreaterThan(0.15);
    expect((await podStatus(c, 'keeper')).phase).toBe('Running');
    expect((await events('keeper', 'Evicted')).length).toBe(0);
    // The statuses are what the containers last reported, and done is not started again.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await podStatus(c, 'done')).toEqual(doneBefore);
    expect(doneBefore.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    if (overLimitBefore) expect(await podStatus(c, 'over-limit')).toEqual(overLimitBefore);
    expect(await containersOf(doneUid)).toHaveLength(0);
    // Its logs went with its container: as the kubelet, a 200 whose body is the runtime's refusal.
    const logs = await c.cp.admin.request('/api/v1/namespaces/default/pods/done/log', { accept: 'text/plain' });
    expect(logs).toBe(`unable to retrieve container logs for ${doneBefore.containerStatuses![0]!.containerID}`);

    await c.cp.admin.delete(Pods, 'default', 'done');
    await eventually(async () => !(await c.cp.admin.list(Pods, 'default')).items.some((p) => p.metadata?.name === 'done'), { timeoutMs: 15_000, what: 'done deleted' });
  }, 90_000);

  it.sequential('the periodic container GC removes the containers of a pod the agent evicted, not those of a pod that ended by itself', async () => {
    const containersOf = async (name: string) => {
      const uid = (await c.cp.admin.get(Pods, 'default', name)).metadata!.uid!;
      return (await c.agent.runtime.listContainers()).filter((x) => x.labels['io.kubernetes.pod.uid'] === uid);
    };
    await c.cp.admin.create(Pods, 'default', busyboxPod('ended', { restartPolicy: 'Never', containers: [ctr('c', 'echo bye')] }));
    await eventually(async () => (await podStatus(c, 'ended')).phase === 'Succeeded', { timeoutMs: 30_000, what: 'ended Succeeded' });
    // (the kubelet's ContainerGCPeriod is a minute: every half second here)
    c.agent.setEvictionSettings({ ...c.cfg.eviction, containerGCPeriodMs: 500 });
    try {
      await c.cp.admin.create(Pods, 'default', busyboxPod('evictee', { containers: [ctr('c', 'dd if=/dev/zero of=/data/f bs=1M count=2 && sleep 3600', { volumeMounts: [{ name: 'data', mountPath: '/data' }] })], volumes: [{ name: 'data', emptyDir: { sizeLimit: '1Mi' } }] }));
      await eventually(async () => (await podStatus(c, 'evictee')).reason === 'Evicted', { timeoutMs: 30_000, what: 'evictee evicted' });
      await eventually(async () => (await containersOf('evictee')).length === 0, { timeoutMs: 15_000, what: 'the evicted pod\'s container removed' });
      // Its status stays what its container last reported, and its logs went with it.
      const st = await podStatus(c, 'evictee');
      expect(st).toMatchObject({ phase: 'Failed', reason: 'Evicted' });
      expect(st.containerStatuses?.[0]?.state?.terminated).toBeDefined();
      const logs = await c.cp.admin.request('/api/v1/namespaces/default/pods/evictee/log', { accept: 'text/plain' });
      expect(logs).toBe(`unable to retrieve container logs for ${st.containerStatuses![0]!.containerID}`);
      // A pod that ended by itself keeps its container (its logs) until it is deleted.
      await new Promise((r) => setTimeout(r, 1500));
      expect(await containersOf('ended')).toHaveLength(1);
      expect(await c.cp.admin.request('/api/v1/namespaces/default/pods/ended/log', { accept: 'text/plain' })).toBe('bye\n');
    } finally {
      c.agent.setEvictionSettings({ ...c.cfg.eviction, containerGCPeriodMs: 60_000 });
    }
  }, 60_000);
});
