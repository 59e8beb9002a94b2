// A pod in a terminal phase stays there across an agent restart, as the kubelet's pod workers
// keep it: the agent that comes back finds the pod Failed (evicted, past its deadline) or
// Succeeded in the API with nothing of it running, and starts nothing, though the containers'
// restart policy is Always; the status it reports keeps the phase and the reason. A pod that
// ended in the API while the agent was away is ended on the node when it comes back: what still
// runs of it is stopped, and its containers' states are reported from the runtime, or as the
// kubelet's ContainerStatusUnknown when the runtime no longer has them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pods } from '../../pkg/client/rest-client.js';
import { ContainerState } from '../../pkg/runtime/types.js';
import { Runtime } from '../../pkg/runtime/runtime.js';
import { join } from 'node:path';
import { eventually } from '../helpers/control-plane.js';
import { busyboxPod, ctr, podStatus, startCluster, type Cluster } from './harness.js';

let c: Cluster;
beforeAll(async () => {
  c = await startCluster({ podCIDR: '10.199.46.0/24' });
}, 180_000);
afterAll(async () => {
  await c?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function running(uid: string): Promise<number> {
  return (await c.agent.runtime.listContainers({ labelSelector: { 'io.kubernetes.pod.uid': uid } })).filter((x) => x.state === ContainerState.Running).length;
}

describe('terminal pods across an agent restart', () => {
  it('an evicted pod and a pod past its deadline stay Failed, with nothing started again', async () => {
    const ev = (await c.cp.admin.create(Pods, 'default', busyboxPod('evicted', { containers: [ctr('main', 'sleep 3600')] }))) as { metadata: { uid: string } };
    const dl = (await c.cp.admin.create(Pods, 'default', busyboxPod('deadline', { activeDeadlineSeconds: 2, containers: [ctr('main', 'sleep 3600')] }))) as { metadata: { uid: string } };
    await eventually(async () => (await podStatus(c, 'evicted')).phase === 'Running', { timeoutMs: 60_000, what: 'evicted to run' });
    // What the node-pressure eviction manager does to the pod it picks.
    await c.agent.workers.get(ev.metadata.uid)!.evict('The node was low on resource: ephemeral-storage.', 0);
    await eventually(async () => (await podStatus(c, 'evicted')).reason === 'Evicted' && (await podStatus(c, 'deadline')).reason === 'DeadlineExceeded', { timeoutMs: 30_000, what: 'both pods Failed' });
    await eventually(async () => (await running(ev.metadata.uid)) + (await running(dl.metadata.uid)) === 0, { timeoutMs: 15_000, what: 'their containers stopped' });
    // (and reported so: an agent restarted before it wrote the terminated state leaves the last one it wrote)
    await eventually(async () => (await Promise.all(['evicted', 'deadline'].map(async (n) => !!(await podStatus(c, n)).containerStatuses?.[0]?.state?.terminated))).every(Boolean), { timeoutMs: 15_000, what: 'their containers reported terminated' });

    // (and their sandboxes released, the last the agent reports of an ended pod)
    const released = async (n: string) => (await podStatus(c, n)).conditions?.find((x) => x.type === 'PodReadyToStartContainers')?.status === 'False';
    await eventually(async () => (await released('evicted')) && (await released('deadline')), { timeoutMs: 15_000, what: 'their sandboxes released' });
    const versions = async () => Promise.all(['evicted', 'deadline'].map(async (n) => (await c.cp.admin.get(Pods, 'default', n)).metadata?.resourceVersion));
    const before = await versions();
    await c.restartAgent();
    await sleep(4000);
    // The restarted agent found what the API holds, and wrote nothing.
    expect(await versions()).toEqual(before);
    for (const [name, uid, reason] of [['evicted', ev.metadata.uid, 'Evicted'], ['deadline', dl.metadata.uid, 'DeadlineExceeded']] as const) {
      expect(await running(uid)).toBe(0);
      const st = await podStatus(c, name);
      expect(st).toMatchObject({ phase: 'Failed', reason });
      expect(st.containerStatuses?.[0]).toMatchObject({ restartCount: 0, state: { terminated: expect.anything() } });
    }
  }, 120_000);

  it('a pod that ended in the API while the agent was away is stopped, and its containers reported terminated', async () => {
    const a = (await c.cp.admin.create(Pods, 'default', busyboxPod('away-a', { containers: [ctr('main', 'sleep 3600')] }))) as { metadata: { uid: string } };
    const b = (await c.cp.admin.create(Pods, 'default', busyboxPod('away-b', { containers: [ctr('main', 'sleep 3600')] }))) as { metadata: { uid: string } };
    await eventually(async () => (await podStatus(c, 'away-a')).containerStatuses?.[0]?.state?.running !== undefined && (await podStatus(c, 'away-b')).containerStatuses?.[0]?.state?.running !== undefined, { timeoutMs: 60_000, what: 'both running' });
    await c.stopAgent();
    // While the agent is down: both pods end in the API (what an agent that died between writing
    // an eviction and stopping the containers leaves), and b's container leaves the runtime.
    for (const name of ['away-a', 'away-b']) await c.cp.admin.patch(Pods, 'default', name, { status: { phase: 'Failed', reason: 'Evicted', message: 'gone while away' } }, 'merge', 'status');
    const rt = await Runtime.open({ root: join(c.cfg.dataDir, 'runtime') });
    for (const x of await rt.listContainers({ labelSelector: { 'io.kubernetes.pod.uid': b.metadata.uid } })) {
      await rt.stopContainer(x.id, 0);
      await rt.removeContainer(x.id);
    }
    expect(await running(a.metadata.uid)).toBe(1);

    await c.startAgent();
    await eventually(async () => (await running(a.metadata.uid)) === 0, { timeoutMs: 30_000, what: 'a\'s container stopped' });
    await eventually(async () => !!(await podStatus(c, 'away-a')).containerStatuses?.[0]?.state?.terminated, { timeoutMs: 15_000, what: 'a\'s container reported terminated' });
    const sa = await podStatus(c, 'away-a');
    expect(sa).toMatchObject({ phase: 'Failed', reason: 'Evicted', message: 'gone while away' });
    expect(sa.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
    // its sandbox is released: no address held any more
    await eventually(async () => (await c.agent.runtime.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': a.metadata.uid } })).every((s) => s.state !== 'SANDBOX_READY'), { timeoutMs: 15_000, what: 'a\'s sandbox released' });
    await eventually(async () => !!(await podStatus(c, 'away-b')).containerStatuses?.[0]?.state?.terminated, { timeoutMs: 15_000, what: 'b\'s container reported terminated' });
    const sb = await podStatus(c, 'away-b');
    expect(sb).toMatchObject({ phase: 'Failed', reason: 'Evicted' });
    // as a kubelet reports an evicted pod whose container is gone: restarted as far as anyone knows
    expect(sb.containerStatuses?.[0]).toMatchObject({
      ready: false,
      restartCount: 1,
      state: { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated' } },
      lastState: { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was deleted.  The container used to be Running' } },
    });
    expect(sb.containerStatuses?.[0]).not.toHaveProperty('containerID');
    await sleep(2000);
    expect(await running(a.metadata.uid)).toBe(0);
    expect(await running(b.metadata.uid)).toBe(0);
  }, 120_000);
});
