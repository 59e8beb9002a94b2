// The node's pods cgroup in QoS tiers, as the 1.32 kubelet lays it out (cgroupfs driver,
// --cgroups-per-qos, --enforce-node-allocatable=pods): a Guaranteed pod's cgroup in the pods
// cgroup itself, a Burstable one's under burstable/, a BestEffort one's under besteffort/;
// besteffort at 2 cpu.shares, burstable at the shares of its pods' cpu requests (updated when
// the next pod cgroup is made after one goes); the root limited to node allocatable, announced
// by a NodeAllocatableEnforced event on the Node; an earlier --cgroup-root's pods cgroup removed
// once its pods are gone, and all of it gone when the cluster stops.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../pkg/api/types.js';
import { parseQuantity } from '../../pkg/api/quantity.js';
import { Events, Nodes, Pods } from '../../pkg/client/rest-client.js';
import { nodePidLimit } from '../../pkg/nodeagent/qos-cgroups.js';
import { cgroupExists, cgroupLayout, controllerMount } from '../../pkg/runtime/cgroups.js';
import { eventually, failure } from '../helpers/control-plane.js';
import { busyboxPod, ctr, podStatus, startCluster, type Cluster } from './harness.js';

let c: Cluster;
const v1 = cgroupLayout().mode !== 'v2';

beforeAll(async () => {
  c = await startCluster({ podCIDR: '10.199.91.0/24' });
}, 120_000);
afterAll(async () => {
  await c?.stop();
});

/** A file of a cgroup under the node's pods cgroup, in the controller's hierarchy. */
const cg = (controller: string, rel: string, file = '') => join(controllerMount(controller)!, c.cfg.cgroupRoot, rel, file);
const read = (controller: string, rel: string, file: string) => readFileSync(cg(controller, rel, file), 'utf8').trim();

const running = (name: string) =>
  eventually(async () => {
    const st = await podStatus(c, name);
    return st.phase === 'Running' && st.containerStatuses?.every((s) => s.state.running) ? st : undefined;
  }, { timeoutMs: 60_000, what: `${name} running` });

const create = async (name: string, resources?: Record<string, Record<string, string>>) =>
  (await c.cp.admin.create<Pod>(Pods, 'default', busyboxPod(name, { containers: [ctr('main', 'exec sleep 3600', resources ? { resources } : {})] }))).metadata!.uid!;

describe.runIf(v1)('QoS cgroups on the node', () => {
  it('limits the pods cgroup to node allocatable and announces it on the Node', async () => {
    expect(c.cfg.cgroupRoot).not.toBe('/tskube');
    const node = await c.cp.admin.get<{ status?: { capacity?: Record<string, string> } }>(Nodes, undefined, 'e2e-node');
    // capacity less system- and kube-reserved (none), not less the hard eviction thresholds
    expect(Number(read('memory', '', 'memory.limit_in_bytes'))).toBe(parseQuantity(node.status!.capacity!.memory!));
    expect(Number(read('cpu', '', 'cpu.shares'))).toBe(Math.min(262_144, cpus().length * 1024));
    expect(read('pids', '', 'pids.max')).toBe(String(nodePidLimit()));
    expect(read('cpu', 'besteffort', 'cpu.shares')).toBe('2');
    const events = await eventually(async () => {
      const list = (await c.cp.admin.list(Events, 'default', { fieldSelector: 'involvedObject.kind=Node,involvedObject.name=e2e-node,reason=NodeAllocatableEnforced' })).items as { type?: string; message?: string }[];
      return list.length ? list : undefined;
    }, { what: 'NodeAllocatableEnforced event' });
    expect(events.map((e) => [e.type, e.message])).toEqual([['Normal', 'Updated Node Allocatable limit across pods']]);
  });

  it('puts each pod in its QoS tier, with the burstable shares of its pods\' requests, until one goes', async () => {
    const guaranteed = await create('qos-g', { limits: { cpu: '100m', memory: '32Mi' } });
    const burstable1 = await create('qos-b1', { requests: { cpu: '200m' } });
    const burstable2 = await create('qos-b2', { requests: { cpu: '300m', memory: '16Mi' }, limits: { memory: '64Mi' } });
    const bestEffort = await create('qos-be');
    for (const n of ['qos-g', 'qos-b1', 'qos-b2', 'qos-be']) await running(n);

    for (const controller of ['cpu', 'memory', 'pids']) {
      expect(existsSync(cg(controller, `pod${guaranteed}`))).toBe(true);
      expect(existsSync(cg(controller, `burstable/pod${burstable1}`))).toBe(true);
      expect(existsSync(cg(controller, `burstable/pod${burstable2}`))).toBe(true);
      expect(existsSync(cg(controller, `besteffort/pod${bestEffort}`))).toBe(true);
      // (nothing in the default pods cgroup, which a `tsctl up` cluster beside the tests uses)
      expect(existsSync(join(controllerMount(controller)!, 'tskube', `pod${guaranteed}`))).toBe(false);
    }
    // the pods' own limits are where they were: a Burstable pod whose containers all limit memory
    expect(Number(read('memory', `pod${guaranteed}`, 'memory.limit_in_bytes'))).toBe(32 * 1024 * 1024);
    expect(Number(read('memory', `burstable/pod${burstable2}`, 'memory.limit_in_bytes'))).toBe(64 * 1024 * 1024);
    expect(read('cpu', `burstable/pod${burstable1}`, 'cpu.shares')).toBe(String(Math.floor((200 * 1024) / 1000)));
    expect(read('cpu', `besteffort/pod${bestEffort}`, 'cpu.shares')).toBe('2');
    // 200m + 300m of Burstable requests; BestEffort keeps the minimum
    expect(read('cpu', 'burstable', 'cpu.shares')).toBe('512');
    expect(read('cpu', 'besteffort', 'cpu.shares')).toBe('2');

    // What reads a pod's cgroup follows it into its tier: the container's cAdvisor stats.
    const st = await podStatus(c, 'qos-b1');
    const id = st.containerStatuses![0]!.containerID!.replace(/^[a-z]+:\/\//, '');
    const stats = await c.agent.runtime.containerCgroupStats(id);
    expect(stats.cgroupPath).toBe(`${c.cfg.cgroupRoot}/burstable/pod${burstable1}/${id}`);
    expect(stats.cpuShares).toBe(204);
    // The Summary API's "pods" system container is the pods cgroup, its pods' memory within it.
    const summary = await c.cp.admin.request<{ node: { systemContainers?: { name: string; memory: { workingSetBytes: number; availableBytes?: number }; cpu: { usageCoreNanoSeconds: number } }[] } }>('/api/v1/nodes/e2e-node/proxy/stats/summary');
    const pods = summary.node.systemContainers?.find((s) => s.name === 'pods');
    expect(pods?.memory.workingSetBytes).toBeGreaterThan(0);
    expect(pods?.memory.availableBytes).toBe(Number(read('memory', '', 'memory.limit_in_bytes')) - pods!.memory.workingSetBytes);
    expect(pods?.cpu.usageCoreNanoSeconds).toBeGreaterThan(0);
    // cAdvisor's series cover the pods cgroup, its tiers and each pod's cgroup (container="").
    const cadvisor = await c.cp.admin.request<string>('/api/v1/nodes/e2e-node/proxy/metrics/cadvisor', { accept: 'text/plain' });
    expect(cadvisor).toContain(`container_spec_cpu_shares{container="",id="${c.cfg.cgroupRoot}/burstable",image="",name="",namespace="",pod=""} 512 `);
    expect(cadvisor).toMatch(new RegExp(`container_memory_working_set_bytes\\{container="",id="${c.cfg.cgroupRoot}/besteffort/pod${bestEffort}",image="",name="",namespace="default",pod="qos-be"\\} [1-9]`));

    // A Burstable pod goes: its cgroup with it, and the tier's shares drop when the next pod cgroup is made.
    await c.cp.admin.delete(Pods, 'default', 'qos-b2');
    await eventually(async () => (await failure(c.cp.admin.get(Pods, 'default', 'qos-b2'))).code === 404, { timeoutMs: 30_000, what: 'qos-b2 gone' });
    expect(existsSync(cg('cpu', `burstable/pod${burstable2}`))).toBe(false);
    await create('qos-be2');
    await running('qos-be2');
    expect(read('cpu', 'burstable', 'cpu.shares')).toBe('204');
  });

  const roots: string[] = [];
  it('removes orphaned pod cgroups, and the pods cgroup of an earlier --cgroup-root once the pods deleted while the agent was down are gone', async () => {
    roots.push(c.cfg.cgroupRoot);
    await c.stopAgent();
    for (const n of ['qos-g', 'qos-b1', 'qos-be', 'qos-be2']) await c.cp.admin.delete(Pods, 'default', n, { gracePeriodSeconds: 0 });
    c.cfg.cgroupRoot = `${roots[0]}-moved`;
    roots.push(c.cfg.cgroupRoot);
    // A pod cgroup no sandbox has (a crash between making it and recording the sandbox) goes too.
    for (const controller of ['cpu', 'cpuacct', 'memory', 'pids']) mkdirSync(cg(controller, 'burstable/pod0000-orphan'), { recursive: true });
    await c.startAgent();
    await eventually(async () => (await cgroupExists(roots[0]!)).length === 0, { timeoutMs: 30_000, what: 'the earlier pods cgroup removed' });
    expect(await cgroupExists(`${c.cfg.cgroupRoot}/burstable/pod0000-orphan`)).toEqual([]);
    expect(read('cpu', 'besteffort', 'cpu.shares')).toBe('2');
  });

  it('kills a running pod whose cgroup is not in the current layout and starts it again in its tier, as SyncPod; a restartPolicy Never one only ends', async () => {
    const pod = (name: string, extra: Record<string, unknown> = {}) => busyboxPod(name, { terminationGracePeriodSeconds: 1, ...extra, containers: [ctr('main', 'exec sleep 3600', { resources: { requests: { cpu: '100m' } } })] });
    const uid = (await c.cp.admin.create<Pod>(Pods, 'default', pod('qos-move'))).metadata!.uid!;
    const never = (await c.cp.admin.create<Pod>(Pods, 'default', pod('qos-move-never', { restartPolicy: 'Never' }))).metadata!.uid!;
    await running('qos-move');
    await running('qos-move-never');
    const before = c.cfg.cgroupRoot;
    expect(existsSync(cg('cpu', `burstable/pod${uid}`))).toBe(true);
    // the agent comes back with another --cgroup-root, its pods running under the one before
    await c.stopAgent();
    c.cfg.cgroupRoot = `${roots[0]}-again`;
    roots.push(c.cfg.cgroupRoot);
    await c.startAgent();
    const st = await eventually(async () => {
      const s = await podStatus(c, 'qos-move');
      return s.containerStatuses?.[0]?.restartCount === 1 && s.containerStatuses[0].state.running ? s : undefined;
    }, { timeoutMs: 60_000, what: 'qos-move started again' });
    expect(st.phase).toBe('Running');
    for (const controller of ['cpu', 'memory', 'pids']) expect(existsSync(cg(controller, `burstable/pod${uid}`))).toBe(true);
    expect(await cgroupExists(`${before}/burstable/pod${uid}`)).toEqual([]);
    const reasons = async (name: string) => ((await c.cp.admin.list(Events, 'default', { fieldSelector: `involvedObject.name=${name}` })).items as { reason?: string; message?: string }[]).map((e) => `${e.reason}: ${e.message}`);
    expect(await reasons('qos-move')).toEqual(expect.arrayContaining(['Killing: Stopping container main', 'SandboxChanged: Pod sandbox changed, it will be killed and re-created.']));
    // restartPolicy Never: killed, not made again (its container ran), so it fails
    const ended = await eventually(async () => {
      const s = await podStatus(c, 'qos-move-never');
      return s.phase === 'Failed' ? s : undefined;
    }, { timeoutMs: 60_000, what: 'qos-move-never Failed' });
    expect(ended.containerStatuses?.[0]?.state.terminated).toBeDefined();
    expect(await reasons('qos-move-never')).not.toContain('SandboxChanged: Pod sandbox changed, it will be killed and re-created.');
    expect(await cgroupExists(`${c.cfg.cgroupRoot}/burstable/pod${never}`)).toEqual([]);
    // the pods cgroup before, once its last pod is gone (the ended one keeps its cgroup until
    // deleted), when the tiers are next brought up to date: before the next pod cgroup is made
    await c.cp.admin.delete(Pods, 'default', 'qos-move-never');
    await eventually(async () => (await failure(c.cp.admin.get(Pods, 'default', 'qos-move-never'))).code === 404, { timeoutMs: 30_000, what: 'qos-move-never gone' });
    await eventually(async () => (await cgroupExists(`${before}/burstable/pod${never}`)).length === 0, { timeoutMs: 30_000, what: "qos-move-never's cgroup removed" });
    await create('qos-move-next');
    await running('qos-move-next');
    await eventually(async () => (await cgroupExists(before)).length === 0, { timeoutMs: 10_000, what: 'the earlier pods cgroup removed' });
  });

  it('removes the pods cgroup and its tiers with the cluster', async () => {
    await c.stop();
    for (const root of roots) {
      expect(await cgroupExists(`${root}/burstable`)).toEqual([]);
      expect(await cgroupExists(`${root}/besteffort`)).toEqual([]);
      expect(await cgroupExists(root)).toEqual([]);
    }
  });
});
