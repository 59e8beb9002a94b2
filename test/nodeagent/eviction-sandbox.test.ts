// What an ended pod keeps on the node, as under the 1.32 kubelet and containerd. Once its
// containers have stopped its sandbox is stopped: the veth goes (CNI DEL), the network, IPC and
// UTS namespaces go (containerd's StopPodSandbox: the pause exits, the netns is removed) and the
// pod cgroup goes (SyncTerminatedPod's pcm.Destroy); the stopped sandbox's record stays. For a
// pod the agent evicted the periodic container GC then removes its containers and that record
// (kuberuntime_gc.go evictContainers, evictSandboxes with ShouldPodContentBeRemoved), while the
// pod object stays Failed with reason Evicted; a pod that ended by itself (restartPolicy Never)
// keeps its stopped sandbox and containers until it is deleted; its emptyDirs' data goes when it ends.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pods } from '../../pkg/client/rest-client.js';
import { hostVethName } from '../../pkg/network/index.js';
import { defaultEvictionSettings } from '../../pkg/nodeagent/eviction-thresholds.js';
import { cgroupLayout } from '../../pkg/runtime/cgroups.js';
import { ContainerState, SandboxState, type PodSandboxStatus } from '../../pkg/runtime/types.js';
import { eventually } from '../helpers/control-plane.js';
import { busyboxPod, ctr, podStatus, startCluster, type Cluster } from './harness.js';

let c: Cluster;
beforeAll(async () => {
  c = await startCluster({
    podCIDR: '10.199.131.0/24',
    // (container GC hourly until a test asks for it: what an ended pod keeps is looked at first)
    agent: { eviction: { ...defaultEvictionSettings(), monitoringIntervalMs: 500, containerGCPeriodMs: 3_600_000 } },
  });
}, 120_000);
afterAll(async () => {
  await c?.stop();
}, 60_000);

const uidOf = async (name: string) => (await c.cp.admin.get(Pods, 'default', name)).metadata!.uid!;
const sandboxesOf = async (uid: string) => c.agent.runtime.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': uid } });
const containersOf = async (uid: string) => c.agent.runtime.listContainers({ labelSelector: { 'io.kubernetes.pod.uid': uid } });

/** What of a sandbox the kernel holds: its pinned namespaces, its host veth, its pod cgroup (in every hierarchy). */
function held(s: PodSandboxStatus): string[] {
  const out: string[] = [];
  for (const f of [s.netnsPath, s.ipcnsPath, s.utsnsPath]) if (f && existsSync(f)) out.push(f);
  if (existsSync(join('/sys/class/net', hostVethName(s.id)))) out.push(`veth ${hostVethName(s.id)}`);
  for (const h of cgroupLayout().hierarchies) if (existsSync(join(h.mount, s.cgroupParent))) out.push(join(h.mount, s.cgroupParent));
  return out;
}

describe('the sandbox of an ended pod', () => {
  it('an evicted pod\'s sandbox gives up its namespaces, veth and cgroup, and the container GC removes it while the pod stays Failed/Evicted', async () => {
    // (the emptyDir outgrows its sizeLimit once the test has looked at the running sandbox)
    await c.cp.admin.create(Pods, 'default', busyboxPod('evictee', { containers: [ctr('c', 'while [ ! -e /data/go ]; do sleep 0.2; done; dd if=/dev/zero of=/data/f bs=1M count=2; sleep 3600', { volumeMounts: [{ name: 'data', mountPath: '/data' }] })], volumes: [{ name: 'data', emptyDir: { sizeLimit: '1Mi' } }] }));
    await eventually(async () => (await podStatus(c, 'evictee')).phase === 'Running', { timeoutMs: 60_000, what: 'evictee running' });
    const uid = await uidOf('evictee');
    const [running] = await sandboxesOf(uid);
    expect(running?.state).toBe(SandboxState.Ready);
    // (its netns, IPC and UTS namespaces, veth and pod cgroup: all there while it runs)
    const before = held(running!);
    expect(before.slice(0, 4)).toEqual([running!.netnsPath, running!.ipcnsPath, running!.utsnsPath, `veth ${hostVethName(running!.id)}`]);
    expect(before.length).toBeGreaterThan(4);

    const [ctrStatus] = await containersOf(uid);
    await c.agent.runtime.execSync(ctrStatus!.id, ['touch', '/data/go'], 10);
    await eventually(async () => (await podStatus(c, 'evictee')).reason === 'Evicted', { timeoutMs: 30_000, what: 'evictee evicted' });
    // Stopped: nothing of the kernel's is left, the record and the stopped container stay.
    await eventually(async () => (await sandboxesOf(uid))[0]?.state === SandboxState.NotReady, { timeoutMs: 15_000, what: 'its sandbox stopped' });
    // (the runtime marks the sandbox not ready, then releases what it holds, its pod cgroup last)
    await eventually(() => held(running!).length === 0, { timeoutMs: 10_000, what: "its sandbox's namespaces, veth and cgroup released" });
    expect(await containersOf(uid)).toMatchObject([{ state: ContainerState.Exited }]);

    // The periodic container GC (a minute under the kubelet; half a second here) takes the
    // containers, then the sandbox now without any.
    c.agent.setEvictionSettings({ ...c.cfg.eviction, containerGCPeriodMs: 500 });
    try {
      await eventually(async () => (await sandboxesOf(uid)).length === 0, { timeoutMs: 15_000, what: 'the evicted pod\'s sandbox removed' });
      expect(await containersOf(uid)).toEqual([]);
      // The pod object stays, Failed/Evicted, its status what it was (its IP too).
      const st = await podStatus(c, 'evictee');
      expect(st).toMatchObject({ phase: 'Failed', reason: 'Evicted', podIP: running!.ip });
      expect(st.containerStatuses?.[0]?.state?.terminated).toBeDefined();
      expect(st.conditions?.find((x) => x.type === 'PodReadyToStartContainers')?.status).toBe('False');
      // (an emptyDir over its sizeLimit: 1.32's evictPod adds no DisruptionTarget condition, as for a threshold)
      expect(st.conditions?.some((x) => x.type === 'DisruptionTarget')).toBe(false);
    } finally {
      c.agent.setEvictionSettings({ ...c.cfg.eviction, containerGCPeriodMs: 3_600_000 });
    }
    // An agent restarted with nothing of the pod left on the node starts nothing of it, and its
    // status keeps the pod IP it had.
    await c.restartAgent();
    await new Promise((r) => setTimeout(r, 3000));
    expect(await sandboxesOf(uid)).toEqual([]);
    expect(await containersOf(uid)).toEqual([]);
    expect(await podStatus(c, 'evictee')).toMatchObject({ phase: 'Failed', reason: 'Evicted', podIP: running!.ip });
    await c.cp.admin.delete(Pods, 'default', 'evictee', { gracePeriodSeconds: 0 });
  }, 120_000);

  it('a pod of restartPolicy Never that ended keeps its stopped sandbox and container until deleted, holding no namespace, veth or cgroup', async () => {
    const mounts = [{ name: 'disk', mountPath: '/disk' }, { name: 'mem', mountPath: '/mem' }];
    await c.cp.admin.create(Pods, 'default', busyboxPod('done', { restartPolicy: 'Never', volumes: [{ name: 'disk', emptyDir: {} }, { name: 'mem', emptyDir: { medium: 'Memory' } }], containers: [ctr('c', 'echo data > /disk/f; echo data > /mem/f; sleep 1; echo bye', { volumeMounts: mounts })] }));
    await eventually(async () => (await podStatus(c, 'done')).phase === 'Running', { timeoutMs: 60_000, what: 'done running' });
    const uid = await uidOf('done');
    const [running] = await sandboxesOf(uid);
    expect(held(running!).length).toBeGreaterThan(0);
    const volume = (name: string) => c.agent.runtime.ephemeralStoragePaths().sandboxVolume(running!.id, name);
    const mounted = (dir: string) => readFileSync('/proc/self/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === dir);
    await eventually(() => existsSync(join(volume('disk'), 'f')) && existsSync(join(volume('mem'), 'f')), { timeoutMs: 15_000, what: 'its emptyDirs written' });
    expect(mounted(volume('mem'))).toBe(true);
    await eventually(async () => (await podStatus(c, 'done')).phase === 'Succeeded', { timeoutMs: 30_000, what: 'done Succeeded' });
    await eventually(async () => (await sandboxesOf(uid))[0]?.state === SandboxState.NotReady, { timeoutMs: 15_000, what: 'its sandbox stopped' });
    // (the runtime marks the sandbox not ready, then releases what it holds, its pod cgroup last)
    await eventually(() => held(running!).length === 0, { timeoutMs: 10_000, what: "its sandbox's namespaces, veth and cgroup released" });
    // Its emptyDirs are torn down, as the kubelet's volume manager tears down a terminated pod's: the data gone, the tmpfs unmounted.
    expect(readdirSync(volume('disk'))).toEqual([]);
    expect(readdirSync(volume('mem'))).toEqual([]);
    expect(mounted(volume('mem'))).toBe(false);

    // With the periodic GC running, a pod that ended by itself keeps its sandbox and container (its logs).
    c.agent.setEvictionSettings({ ...c.cfg.eviction, containerGCPeriodMs: 500 });
    try {
      await new Promise((r) => setTimeout(r, 2000));
      expect(await sandboxesOf(uid)).toHaveLength(1);
      expect(await containersOf(uid)).toHaveLength(1);
      expect(await c.cp.admin.request('/api/v1/namespaces/default/pods/done/log', { accept: 'text/plain' })).toBe('bye\n');
    } finally {
      c.agent.setEvictionSettings({ ...c.cfg.eviction, containerGCPeriodMs: 3_600_000 });
    }
    // Deleted, it goes with everything of it.
    await c.cp.admin.delete(Pods, 'default', 'done');
    await eventually(async () => !(await c.cp.admin.list(Pods, 'default')).items.some((p) => p.metadata?.name === 'done'), { timeoutMs: 30_000, what: 'done deleted' });
    // (a terminal pod is deleted at once, without the agent: it removes the rest once it sees that)
    await eventually(async () => (await sandboxesOf(uid)).length === 0 && (await containersOf(uid)).length === 0, { timeoutMs: 15_000, what: 'done\'s sandbox and container removed' });
  }, 120_000);
});
