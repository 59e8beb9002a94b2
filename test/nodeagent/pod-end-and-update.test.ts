// Pods that have ended on a real node (run to completion, failed, past their deadline, evicted)
// give their address back: once the containers have stopped, the agent tears down the pod's
// network and stops its sandbox, as the kubelet's KillPodSandbox does for a terminal pod; the
// status keeps its podIP and logs still read; PodReadyToStartContainers turns False; deleting
// the pod removes the rest. Without it every completed Job pod or evicted pod held one of the
// podCIDR's addresses until deleted, and a node ran out of them. And a running pod whose
// container image is updated (kubectl set image) gets that container restarted with the new
// image, as the kubelet restarts a container whose definition changed. A mirror pod bound to a
// node without static pods is an orphan: deleted, as the kubelet does.
import { readdirSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Events, Nodes, Pods } from '../../pkg/client/rest-client.js';
import { HostLocalIpam } from '../../pkg/network/ipam.js';
import { DEFAULT_EVICTION_HARD, defaultEvictionSettings } from '../../pkg/nodeagent/eviction-thresholds.js';
import { podUidLabel } from '../../pkg/nodeagent/container-labels.js';
import { ContainerState, SandboxState } from '../../pkg/runtime/types.js';
import { eventually } from '../helpers/control-plane.js';
import { busyboxPod, ctr, image, podStatus, startCluster, type Cluster } from './harness.js';

const podCIDR = '10.199.6.0/25';
let c: Cluster;

beforeAll(async () => {
  c = await startCluster({ podCIDR, agent: { eviction: { ...defaultEvictionSettings(), monitoringIntervalMs: 500, pressureTransitionPeriod: '1s' } } });
}, 120_000);
afterAll(async () => {
  await c?.stop();
});

/** The addresses the node's IPAM has handed out, by sandbox id. */
const allocated = async () => new Set((await new HostLocalIpam(join(c.cfg.dataDir, 'network'), podCIDR).list()).map((a) => a.sandboxId));
const sandboxesOf = async (uid: string) => c.agent.runtime.listPodSandbox({ labelSelector: { [podUidLabel]: uid } });
const cond = (st: { conditions?: { type: string; status: string }[] }, type: string) => st.conditions?.find((x) => x.type === type)?.status;

describe('ended pods', () => {
  // (pods of their own, found by their uid and sandbox ids: the three run at once; the eviction
  // below, which would take any pod, runs after them on its own)
  it.concurrent.each([
    ['done', { restartPolicy: 'Never', containers: [ctr('app', 'echo finished')] }, 'Succeeded'],
    ['with-sidecar', { restartPolicy: 'OnFailure', initContainers: [ctr('log', 'sleep 3600', { restartPolicy: 'Always' })], containers: [ctr('app', 'echo finished; exit 0')] }, 'Succeeded'],
    ['late', { restartPolicy: 'Always', activeDeadlineSeconds: 2, containers: [ctr('app', 'echo finished; sleep 3600')] }, 'Failed'],
  ])('%s: its address goes back to the pool once it has ended; podIP and logs stay', async (name, spec, phase) => {
    const created = await c.cp.admin.create(Pods, 'default', busyboxPod(name, spec));
    const uid = created.metadata!.uid!;
    const running = await eventually(async () => {
      const s = await sandboxesOf(uid);
      return s[0]?.ip ? s[0] : undefined;
    }, { timeoutMs: 60_000, what: `${name}'s sandbox` });
    expect((await allocated()).has(running!.id)).toBe(true);
    const st = await eventually(async () => {
      const s = await podStatus(c, name);
      return s.phase === phase && cond(s, 'PodReadyToStartContainers') === 'False' ? s : undefined;
    }, { timeoutMs: 60_000, what: `${name} ${phase} with its sandbox released` });
    expect(st!.podIP).toBe(running!.ip);
    expect((await allocated()).has(running!.id)).toBe(false);
    expect((await sandboxesOf(uid)).map((s) => s.state)).toEqual([SandboxState.NotReady]);
    expect(await c.cp.admin.request(`/api/v1/namespaces/default/pods/${name}/log?container=app`)).toBe('finished\n');
    // (no new sandbox is made for it later)
    await new Promise((r) => setTimeout(r, 1500));
    expect((await sandboxesOf(uid)).length).toBe(1);
    await c.cp.admin.delete(Pods, 'default', name, { gracePeriodSeconds: 0 });
    await eventually(async () => (await sandboxesOf(uid)).length === 0, { timeoutMs: 30_000, what: `${name}'s sandbox removed` });
  }, 120_000);

  it('evicted: its address goes back to the pool once its containers have stopped', async () => {
    // (4 MiB in a memory-backed emptyDir: memory the eviction must give back)
    const volumes = [{ name: 'mem', emptyDir: { medium: 'Memory' } }];
    const created = await c.cp.admin.create(Pods, 'default', busyboxPod('evicted', { volumes, containers: [ctr('app', 'dd if=/dev/zero of=/mem/f bs=1M count=4 && echo finished; sleep 3600', { volumeMounts: [{ name: 'mem', mountPath: '/mem' }] })] }));
    const uid = created.metadata!.uid!;
    const running = await eventually(async () => {
      const s = await sandboxesOf(uid);
      return s[0]?.ip && (await podStatus(c, 'evicted')).phase === 'Running' ? s[0] : undefined;
    }, { timeoutMs: 60_000, what: 'evicted running' });
    try {
      c.agent.setEvictionSettings({ ...c.cfg.eviction, evictionHard: [`memory.available<${Math.floor(totalmem() / 1048576)}Mi`] });
      const st = await eventually(async () => {
        const s = await podStatus(c, 'evicted');
        return s.reason === 'Evicted' && cond(s, 'PodReadyToStartContainers') === 'False' ? s : undefined;
      }, { timeoutMs: 60_000, what: 'evicted with its sandbox released' });
      expect(st!.phase).toBe('Failed');
      expect(st!.podIP).toBe(running!.ip);
      expect((await allocated()).has(running!.id)).toBe(false);
      const memDir = c.agent.runtime.ephemeralStoragePaths().sandboxVolume(running!.id, 'mem');
      await eventually(() => readdirSync(memDir).length === 0, { timeoutMs: 10_000, what: 'the memory-backed emptyDir emptied' });
    } finally {
      c.agent.setEvictionSettings({ ...c.cfg.eviction, evictionHard: DEFAULT_EVICTION_HARD });
      // (until the condition clears, new BestEffort pods would be rejected)
      await eventually(async () => ((await c.cp.admin.get(Nodes, undefined, 'e2e-node')).status as { conditions?: { type: string; status: string }[] }).conditions?.find((x) => x.type === 'MemoryPressure')?.status === 'False', { timeoutMs: 15_000, what: 'MemoryPressure False' });
    }
    await c.cp.admin.delete(Pods, 'default', 'evicted', { gracePeriodSeconds: 0 });
    await eventually(async () => (await sandboxesOf(uid)).length === 0, { timeoutMs: 30_000, what: 'evicted sandbox removed' });
  }, 120_000);
});

describe('image updates', () => {
  it.each([
    ['app', (img: string) => ({ containers: [ctr('app', 'sleep 3600', { image: img })] }), '/spec/containers/0/image'],
    ['sidecar', (img: string) => ({ initContainers: [ctr('app', 'sleep 3600', { image: img, restartPolicy: 'Always' })], containers: [ctr('main', 'sleep 3600')] }), '/spec/initContainers/0/image'],
  ])('a running %s container is restarted with the image the pod is updated to', async (kind, spec, path) => {
    const next = 'tskube.local/busybox:e2e-next';
    await c.agent.runtime.buildBusybox(next);
    const name = `upd-${kind}`;
    const created = await c.cp.admin.create(Pods, 'default', busyboxPod(name, spec(image)));
    const uid = created.metadata!.uid!;
    const statuses = async () => {
      const s = (await podStatus(c, name)) as { containerStatuses?: { name: string; image: string; restartCount: number; state: { running?: unknown } }[]; initContainerStatuses?: { name: string; image: string; restartCount: number; state: { running?: unknown } }[] };
      return [...(s.initContainerStatuses ?? []), ...(s.containerStatuses ?? [])].find((x) => x.name === 'app');
    };
    await eventually(async () => (await statuses())?.state.running !== undefined, { timeoutMs: 60_000, what: `${name} running` });
    await c.cp.admin.patch(Pods, 'default', name, [{ op: 'replace', path, value: next }], 'json');
    const st = await eventually(async () => {
      const x = await statuses();
      return x?.restartCount === 1 && x.state.running !== undefined ? x : undefined;
    }, { timeoutMs: 60_000, what: `${name} restarted with ${next}` });
    expect(st!.image).toBe(next);
    const running = (await c.agent.runtime.listContainers({ labelSelector: { [podUidLabel]: uid, 'io.kubernetes.container.name': 'app' } })).filter((x) => x.state === ContainerState.Running);
    expect(running.map((x) => x.image)).toEqual([next]);
    await eventually(async () => (await c.cp.admin.list(Events, 'default', { fieldSelector: `involvedObject.name=${name},reason=Killing` })).items.some((e) => (e as { message?: string }).message === 'Container app definition changed, will be restarted'), { what: 'Killing event' });
    await c.cp.admin.delete(Pods, 'default', name, { gracePeriodSeconds: 0 });
  }, 120_000);
});

describe('orphaned mirror pods', () => {
  it('a mirror pod bound to a node without static pods is deleted, never run', async () => {
    await c.cp.admin.create(Pods, 'default', { ...busyboxPod('copied-mirror', { nodeName: 'e2e-node', containers: [ctr('c', 'sleep 3600')] }), metadata: { name: 'copied-mirror', annotations: { 'kubernetes.io/config.mirror': 'x' } } });
    await eventually(async () => !(await c.cp.admin.list(Pods, 'default')).items.some((p) => p.metadata?.name === 'copied-mirror'), { timeoutMs: 30_000, what: 'orphaned mirror pod deleted' });
    expect((await c.agent.runtime.listContainers()).filter((x) => x.labels['io.kubernetes.pod.name'] === 'copied-mirror')).toEqual([]);
  }, 60_000);
});
