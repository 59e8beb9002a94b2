// What the node agent writes of a pod, and when, as 1.32's kubelet: a status when a sync starts
// (before the sandbox and containers), the conditions in the kubelet's order, a deleted pod's
// terminal status before it goes, and the events of a sync. On a real single-node cluster (runc,
// kernel networking).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { core, Events, Pods, StatusError } from '../../pkg/client/rest-client.js';
import type { WatchEvent } from '../../pkg/client/api-client.js';
import { hasKubectl, kubectlAt } from '../helpers/kubectl.js';
import { eventually } from '../helpers/control-plane.js';
import { busyboxPod, ctr, podStatus, startCluster, watchPod, type Cluster } from './harness.js';
import { join } from 'node:path';

let c: Cluster;

beforeAll(async () => {
  c = await startCluster({ podCIDR: '10.199.41.0/24' });
}, 120_000);
afterAll(async () => {
  await c?.stop();
});

type Status = Awaited<ReturnType<typeof podStatus>> & { startTime?: string; conditions?: { type: string; status: string; reason?: string; lastProbeTime?: unknown }[] };
const status = (name: string) => podStatus(c, name) as Promise<Status>;
const create = (name: string, spec: Record<string, unknown>, metadata: Record<string, unknown> = {}) => {
  const pod = busyboxPod(name, spec) as { metadata: Record<string, unknown> };
  return c.cp.admin.create(Pods, 'default', { ...pod, metadata: { ...pod.metadata, ...metadata } });
};
const phaseIs = (name: string, phase: string) => eventually(async () => ((await status(name)).phase === phase ? true : undefined), { timeoutMs: 30_000, what: `${name} ${phase}` });
const gone = (name: string) =>
  eventually(async () => c.cp.admin.get(Pods, 'default', name).then(() => false, (e: unknown) => e instanceof StatusError && e.code === 404), { timeoutMs: 30_000, what: `${name} gone` });
const cond = (st: Status, type: string) => st.conditions?.find((x) => x.type === type);

// (these two blocks wait on grace periods and a postStart hook, each test with a pod of its own
// found by its name: neighbouring concurrent blocks, all three tests run at once)
describe.concurrent('a deleted pod', () => {
  it('gets its terminal status once its containers have stopped: a killed sleep is Failed, 137 Error; a finalizer keeps it so', async () => {
    await create('held', { containers: [ctr('main', 'sleep 3600')] }, { finalizers: ['example.com/hold'] });
    await phaseIs('held', 'Running');
    await c.cp.admin.delete(Pods, 'default', 'held');
    // (sh as PID 1 ignores SIGTERM: the grace period of 1 s ends with SIGKILL)
    const st = await eventually(async () => {
      const s = await status('held');
      return s.phase === 'Failed' ? s : undefined;
    }, { timeoutMs: 30_000, what: 'held Failed' });
    expect(st.containerStatuses![0]!.state.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
    expect(st.containerStatuses![0]!.ready).toBe(false);
    expect(cond(st, 'Ready')).toMatchObject({ status: 'False', reason: 'PodFailed' });
    expect(cond(st, 'ContainersReady')).toMatchObject({ status: 'False', reason: 'PodFailed' });
    expect(cond(st, 'PodReadyToStartContainers')?.status).toBe('False');
    if (hasKubectl) {
      const out = await kubectlAt(c.cp.kubeconfig, join(c.cfg.dataDir, 'kubecache'), ['get', 'pod', 'held', '--no-headers']);
      expect(out.out).toMatch(/^held\s+0\/1\s+Error\s+0\s/);
    }
    // The node is done with it: the status stays as it ended (no worker comes back to rewrite it).
    await new Promise((r) => setTimeout(r, 1500));
    expect((await status('held')).containerStatuses![0]!.state.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
    await c.cp.admin.patch(Pods, 'default', 'held', { metadata: { finalizers: null } }, 'merge');
    await gone('held');
  });

  it('is seen ending (Succeeded when its containers exit 0 on SIGTERM) before it is deleted', async () => {
    const seen: string[] = [];
    const w = await watchPod(c, 'graceful', (e: WatchEvent) => {
      const p = e.object as { metadata?: { deletionTimestamp?: string }; status?: { phase?: string } };
      seen.push(`${e.type}:${p.status?.phase ?? ''}${p.metadata?.deletionTimestamp ? ':deleting' : ''}`);
    });
    await create('graceful', { terminationGracePeriodSeconds: 10, containers: [ctr('main', 'trap "exit 0" TERM; sleep 3600 & wait')] });
    await phaseIs('graceful', 'Running');
    await c.cp.admin.delete(Pods, 'default', 'graceful');
    await gone('graceful');
    await eventually(() => seen.some((s) => s.startsWith('DELETED')));
    w.stop();
    const deleted = seen.findIndex((s) => s.startsWith('DELETED'));
    expect(seen.slice(0, deleted)).toContain('MODIFIED:Succeeded:deleting');
    expect(seen[deleted]).toBe('DELETED:Succeeded:deleting');
  });
});

describe.concurrent('the status while a pod starts', () => {
  it('is written before the containers are: Pending, waiting ContainerCreating, host IP, start time, conditions in the kubelet\'s order', async () => {
    await create('slow-hook', { containers: [ctr('main', 'sleep 3600', { lifecycle: { postStart: { exec: { command: ['sleep', '6'] } } } })] });
    const st = await eventually(async () => {
      const s = await status('slow-hook');
      return s.containerStatuses?.length ? s : undefined;
    }, { timeoutMs: 5000, what: 'a container status while the postStart hook runs' });
    expect(st.phase).toBe('Pending');
    expect(st.containerStatuses![0]!.state.waiting?.reason).toBe('ContainerCreating');
    expect(st.hostIP).toBe('127.0.0.1');
    expect(st.startTime).toEqual(expect.any(String));
    expect(cond(st, 'Initialized')?.status).toBe('True');
    expect(cond(st, 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady' });
    expect(cond(st, 'PodReadyToStartContainers')).toBeDefined();
    await phaseIs('slow-hook', 'Running');
    const running = await status('slow-hook');
    // PodScheduled (the binding's) last, as 1.32's status manager re-appends its own; its lastProbeTime kept
    expect(running.conditions!.map((x) => x.type)).toEqual(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);
    expect(cond(running, 'PodScheduled')).toHaveProperty('lastProbeTime', null);
    expect(running.startTime).toBe(st.startTime);
    await c.cp.admin.delete(Pods, 'default', 'slow-hook');
  });
});

describe('the events of a sync', () => {
  type Ev = { type?: string; reason?: string; message?: string; count?: number; involvedObject?: { resourceVersion?: string; fieldPath?: string } };
  const eventsOf = async (name: string) => (await c.cp.admin.list(Events, 'default', { fieldSelector: `involvedObject.name=${name}` })).items as Ev[];

  it('warn of a missing imagePullSecret though the image is present (FailedToRetrieveImagePullSecret), naming the pod\'s resourceVersion as every kubelet event', async () => {
    await create('nopull', { imagePullSecrets: [{ name: 'nosuchpull' }], containers: [ctr('main', 'sleep 3600')] });
    await phaseIs('nopull', 'Running');
    const events = await eventually(async () => {
      const evs = await eventsOf('nopull');
      return evs.some((e) => e.reason === 'FailedToRetrieveImagePullSecret') && evs.some((e) => e.reason === 'Started') ? evs : undefined;
    }, { what: 'the pull secret warning' });
    expect(events.find((e) => e.reason === 'FailedToRetrieveImagePullSecret')).toMatchObject({ type: 'Warning', message: 'Unable to retrieve some image pull secrets (nosuchpull); attempting to pull the image may not succeed.' });
    for (const e of events.filter((x) => x.reason !== 'Scheduled')) expect(e.involvedObject?.resourceVersion, e.reason).toMatch(/^\d+$/);
    expect(events.find((e) => e.reason === 'Started')!.involvedObject).toMatchObject({ fieldPath: 'spec.containers{main}' });
    await c.cp.admin.delete(Pods, 'default', 'nopull');
  });

  it('say a secret volume item names a key the Secret lacks in the secret plugin\'s words', async () => {
    await c.cp.admin.create(core('secrets'), 'default', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'onekey' }, stringData: { user: 'u' } });
    await create('nokey', { volumes: [{ name: 's', secret: { secretName: 'onekey', items: [{ key: 'nokey', path: 'k' }] } }], containers: [ctr('main', 'sleep 3600', { volumeMounts: [{ name: 's', mountPath: '/s' }] })] });
    const mount = await eventually(async () => (await eventsOf('nokey')).find((e) => e.reason === 'FailedMount'), { what: 'FailedMount' });
    expect(mount.message).toBe('MountVolume.SetUp failed for volume "s" : references non-existent secret key: nokey');
    await c.cp.admin.delete(Pods, 'default', 'nokey');
  });
});
