// --enforce-node-allocatable=pods,system-reserved with --system-reserved-cgroup, on the real
// cgroup hierarchies: the node agent limits the existing system-reserved cgroup to
// --system-reserved (cpu.shares, memory.limit_in_bytes, pids.max) and announces it on the Node,
// as the 1.32 kubelet's enforceNodeAllocatableCgroups does; a kube-reserved cgroup that does not
// exist stops the agent's start with the kubelet's error. The test's cgroups are its own and go.
import { mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQuantity } from '../../pkg/api/quantity.js';
import { Events, Nodes } from '../../pkg/client/rest-client.js';
import { CgroupEnforcementError } from '../../pkg/nodeagent/reserved-cgroups.js';
import { cgroupLayout, controllerMount } from '../../pkg/runtime/cgroups.js';
import { eventually } from '../helpers/control-plane.js';
import { startCluster, type Cluster } from './harness.js';

const v1 = cgroupLayout().mode !== 'v2';
const sysCgroup = `/tsk-sysres-${process.pid}`;
/** The hierarchies the kubelet's Validate looks in. */
const checked = ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids', 'name=systemd'];
const dirs = () => cgroupLayout().hierarchies.filter((h) => h.controllers.some((c) => checked.includes(c))).map((h) => join(h.mount, sysCgroup));
let c: Cluster;

beforeAll(async () => {
  if (!v1) return;
  for (const d of dirs()) mkdirSync(d, { recursive: true });
  c = await startCluster({
    podCIDR: '10.199.93.0/24',
    agent: { enforceNodeAllocatable: ['pods', 'system-reserved'], systemReserved: { cpu: '250m', memory: '256Mi', pid: '500' }, systemReservedCgroup: sysCgroup },
  });
}, 120_000);
afterAll(async () => {
  await c?.stop();
  for (const d of v1 ? dirs() : []) {
    try {
      rmdirSync(d);
    } catch {
      // (not made)
    }
  }
});

const read = (controller: string, cgroup: string, file: string) => readFileSync(join(controllerMount(controller)!, cgroup, file), 'utf8').trim();

describe.runIf(v1)('reserved cgroups on the node', () => {
  it('limits the system-reserved cgroup to --system-reserved and the pods cgroup to the capacity less it', async () => {
    expect(read('cpu', sysCgroup, 'cpu.shares')).toBe('256');
    expect(read('memory', sysCgroup, 'memory.limit_in_bytes')).toBe(String(256 << 20));
    expect(read('pids', sysCgroup, 'pids.max')).toBe('500');
    const node = await c.cp.admin.get<{ status?: { capacity?: Record<string, string> } }>(Nodes, undefined, 'e2e-node');
    expect(Number(read('memory', c.cfg.cgroupRoot, 'memory.limit_in_bytes'))).toBe(parseQuantity(node.status!.capacity!.memory!) - (256 << 20));
    const events = await eventually(async () => {
      const list = (await c.cp.admin.list(Events, 'default', { fieldSelector: 'involvedObject.kind=Node,involvedObject.name=e2e-node,reason=NodeAllocatableEnforced' })).items as { message?: string }[];
      return list.length >= 2 ? list : undefined;
    }, { what: 'NodeAllocatableEnforced events' });
    expect(events.map((e) => e.message).sort()).toEqual(['Updated Node Allocatable limit across pods', `Updated limits on system reserved cgroup ${sysCgroup}`]);
  });

  it('stops the agent\'s start when the kube-reserved cgroup does not exist', async () => {
    await c.stopAgent();
    const missing = `/tsk-kuberes-missing-${process.pid}`;
    Object.assign(c.cfg, { enforceNodeAllocatable: ['pods', 'system-reserved', 'kube-reserved'], kubeReserved: { cpu: '100m' }, kubeReservedCgroup: missing });
    const err = await c.startAgent().then(() => undefined, (e: Error) => e);
    expect(err).toBeInstanceOf(CgroupEnforcementError);
    expect(err!.message).toMatch(new RegExp(`^Failed to enforce Kube Reserved Cgroup Limits on "${missing}": cgroup \\["${missing.slice(1)}"\\] has some missing paths: ${controllerMount('cpu')}${missing}, `));
    // (the agent is left stopped: the cluster's stop() stops it again, harmlessly)
    Object.assign(c.cfg, { enforceNodeAllocatable: ['pods', 'system-reserved'], kubeReserved: undefined, kubeReservedCgroup: undefined });
    await c.agent.stop();
  });
});
