// --enforce-node-allocatable=system-reserved,kube-reserved: the reserved cgroups get their
// reservation's limits as the 1.32 kubelet's enforceExistingCgroup writes them, and a cgroup that
// is missing stops the agent with the kubelet's words. Hierarchies here are plain directories.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CgroupEnforcementError, enforceReservedCgroups, reservedCgroupConfig, type CgroupHierarchies } from './reserved-cgroups.js';

let root: string;
let h: CgroupHierarchies;
const V1 = ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids', 'systemd'];

/** A cgroup directory in the given controllers' hierarchies, with the files the kernel would show. */
function mkcgroup(name: string, controllers = V1): void {
  for (const c of controllers) {
    const d = join(root, c, name);
    mkdirSync(d, { recursive: true });
    if (c === 'cpu') writeFileSync(join(d, 'cpu.shares'), '1024');
    if (c === 'memory') writeFileSync(join(d, 'memory.limit_in_bytes'), '9223372036854771712');
    if (c === 'pids') writeFileSync(join(d, 'pids.max'), 'max');
  }
}
const read = (c: string, name: string, f: string) => readFileSync(join(root, c, name, f), 'utf8');

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'tsk-reserved-'));
  h = { mode: 'v1', hierarchies: V1.map((c) => ({ mount: join(root, c), controllers: [c] })) };
  for (const c of V1) mkdirSync(join(root, c));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('reserved cgroups (enforceNodeAllocatableCgroups)', () => {
  it('limits each reserved cgroup to its reservation: cpu shares, memory, pids; ephemeral-storage is left out', async () => {
    mkcgroup('sys.slice');
    mkcgroup('kube/agent');
    const events: string[] = [];
    await enforceReservedCgroups(
      {
        enforceNodeAllocatable: ['pods', 'system-reserved', 'kube-reserved'],
        systemReserved: { cpu: '500m', memory: '1Gi', pid: '1000', 'ephemeral-storage': '1Gi' },
        systemReservedCgroup: '/sys.slice',
        kubeReserved: { cpu: '100m' },
        kubeReservedCgroup: '/kube/agent',
      },
      (type, reason, message) => events.push(`${type} ${reason} ${message}`),
      h,
    );
    expect(read('cpu', 'sys.slice', 'cpu.shares')).toBe('512');
    expect(read('memory', 'sys.slice', 'memory.limit_in_bytes')).toBe(String(1 << 30));
    expect(read('pids', 'sys.slice', 'pids.max')).toBe('1000');
    // (only what the reservation names is written)
    expect(read('cpu', 'kube/agent', 'cpu.shares')).toBe('102');
    expect(read('memory', 'kube/agent', 'memory.limit_in_bytes')).toBe('9223372036854771712');
    expect(read('pids', 'kube/agent', 'pids.max')).toBe('max');
    expect(events).toEqual(['Normal NodeAllocatableEnforced Updated limits on system reserved cgroup /sys.slice', 'Normal NodeAllocatableEnforced Updated limits on kube reserved cgroup /kube/agent']);
  });

  it('limits only the cpu with system-reserved-compressible and kube-reserved-compressible, after the others, with their own failure words', async () => {
    mkcgroup('sys.slice');
    mkcgroup('kube/agent');
    const events: string[] = [];
    const cfg = {
      enforceNodeAllocatable: ['pods', 'system-reserved-compressible', 'kube-reserved-compressible'],
      systemReserved: { cpu: '500m', memory: '1Gi', pid: '1000' },
      systemReservedCgroup: '/sys.slice',
      kubeReserved: { cpu: '100m', memory: '256Mi' },
      kubeReservedCgroup: '/kube/agent',
    };
    await enforceReservedCgroups(cfg, (type, reason, message) => events.push(`${type} ${reason} ${message}`), h);
    expect([read('cpu', 'sys.slice', 'cpu.shares'), read('memory', 'sys.slice', 'memory.limit_in_bytes'), read('pids', 'sys.slice', 'pids.max')]).toEqual(['512', '9223372036854771712', 'max']);
    expect([read('cpu', 'kube/agent', 'cpu.shares'), read('memory', 'kube/agent', 'memory.limit_in_bytes')]).toEqual(['102', '9223372036854771712']);
    expect(events).toEqual(['Normal NodeAllocatableEnforced Updated limits on system reserved cgroup /sys.slice', 'Normal NodeAllocatableEnforced Updated limits on kube reserved cgroup /kube/agent']);
    const err = await enforceReservedCgroups({ ...cfg, enforceNodeAllocatable: ['kube-reserved', 'system-reserved-compressible'], systemReservedCgroup: '/nope' }, () => {}, h).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/^Failed to enforce System Reserved Compressible Cgroup Limits on "\/nope": cgroup \["nope"\] has some missing paths: /);
    // (kube-reserved, before it, was enforced in full)
    expect(read('memory', 'kube/agent', 'memory.limit_in_bytes')).toBe(String(256 << 20));
  });

  it('leaves the cgroups alone without system-reserved or kube-reserved in --enforce-node-allocatable', async () => {
    mkcgroup('sys.slice');
    const events: string[] = [];
    await enforceReservedCgroups({ systemReserved: { cpu: '500m' }, systemReservedCgroup: '/sys.slice' }, (t, r, m) => events.push(m), h);
    await enforceReservedCgroups({ enforceNodeAllocatable: ['pods', 'kube-reserved'], systemReserved: { cpu: '500m' }, systemReservedCgroup: '/sys.slice', kubeReserved: {}, kubeReservedCgroup: '/sys.slice' }, (t, r, m) => events.push(m), h);
    expect(read('cpu', 'sys.slice', 'cpu.shares')).toBe('1024');
    expect(events).toEqual(['Updated limits on kube reserved cgroup /sys.slice']);
  });

  it('fails as the kubelet does when the cgroup is missing from a hierarchy it checks', async () => {
    // (made in cpu, memory and pids alone, as `cgcreate -g cpu,memory,pids:/sys.slice` would)
    mkcgroup('sys.slice', ['cpu', 'memory', 'pids']);
    const events: string[] = [];
    const err = await enforceReservedCgroups({ enforceNodeAllocatable: ['pods', 'system-reserved'], systemReserved: { cpu: '1' }, systemReservedCgroup: '/sys.slice' }, (t, r, m) => events.push(`${t} ${r} ${m}`), h).catch((e: Error) => e);
    expect(err).toBeInstanceOf(CgroupEnforcementError);
    const message = `Failed to enforce System Reserved Cgroup Limits on "/sys.slice": cgroup ["sys.slice"] has some missing paths: ${join(root, 'cpuacct/sys.slice')}, ${join(root, 'cpuset/sys.slice')}, ${join(root, 'systemd/sys.slice')}`;
    expect((err as Error).message).toBe(message);
    expect(events).toEqual([`Warning FailedNodeAllocatableEnforcement ${message}`]);
    // (nothing was written before the check failed)
    expect(read('cpu', 'sys.slice', 'cpu.shares')).toBe('1024');
  });

  it('fails for a kube-reserved cgroup that does not exist, after limiting the system-reserved one', async () => {
    mkcgroup('sys.slice');
    const events: string[] = [];
    const err = await enforceReservedCgroups(
      { enforceNodeAllocatable: ['system-reserved', 'kube-reserved'], systemReserved: { memory: '100Mi' }, systemReservedCgroup: '/sys.slice', kubeReserved: { memory: '100Mi' }, kubeReservedCgroup: '/kubelet.slice' },
      (t, r, m) => events.push(`${t} ${r}`),
      h,
    ).catch((e: Error) => e);
    expect((err as Error).message).toBe(`Failed to enforce Kube Reserved Cgroup Limits on "/kubelet.slice": cgroup ["kubelet.slice"] has some missing paths: ${V1.slice(0, 3).concat('memory', 'systemd', 'pids').map((c) => join(root, c, 'kubelet.slice')).join(', ')}`);
    expect(read('memory', 'sys.slice', 'memory.limit_in_bytes')).toBe(String(100 << 20));
    expect(events).toEqual(['Normal NodeAllocatableEnforced', 'Warning FailedNodeAllocatableEnforcement']);
  });

  it('refuses to enforce a reservation that was not given (a nil ResourceList)', async () => {
    mkcgroup('sys.slice');
    const err = await enforceReservedCgroups({ enforceNodeAllocatable: ['system-reserved'], systemReservedCgroup: '/sys.slice' }, () => {}, h).catch((e: Error) => e);
    expect((err as Error).message).toBe('Failed to enforce System Reserved Cgroup Limits on "/sys.slice": ["sys.slice"] cgroup is not configured properly');
  });

  it('on cgroup v2 checks the cgroup\'s enabled controllers and writes cpu.weight, memory.max and pids.max', async () => {
    const uni = join(root, 'unified');
    mkdirSync(join(uni, 'sys.slice'), { recursive: true });
    writeFileSync(join(uni, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    writeFileSync(join(uni, 'sys.slice', 'cgroup.controllers'), 'cpu memory\n');
    const v2: CgroupHierarchies = { mode: 'v2', hierarchies: [], unifiedMount: uni };
    const cfg = { enforceNodeAllocatable: ['system-reserved'], systemReserved: { cpu: '1', memory: '1Gi', pid: '100' }, systemReservedCgroup: '/sys.slice' };
    const err = await enforceReservedCgroups(cfg, () => {}, v2).catch((e: Error) => e);
    expect((err as Error).message).toBe('Failed to enforce System Reserved Cgroup Limits on "/sys.slice": cgroup ["sys.slice"] has some missing controllers: cpuset, pids');
    const missing = await enforceReservedCgroups({ ...cfg, systemReservedCgroup: '/nope' }, () => {}, v2).catch((e: Error) => e);
    expect((missing as Error).message).toBe(`Failed to enforce System Reserved Cgroup Limits on "/nope": could not read controllers for cgroup ["nope"]: open ${join(uni, 'nope/cgroup.controllers')}: no such file or directory`);
    writeFileSync(join(uni, 'sys.slice', 'cgroup.controllers'), 'cpuset cpu memory pids\n');
    await enforceReservedCgroups(cfg, () => {}, v2);
    expect(readFileSync(join(uni, 'sys.slice', 'cpu.weight'), 'utf8')).toBe('39');
    expect(readFileSync(join(uni, 'sys.slice', 'memory.max'), 'utf8')).toBe(String(1 << 30));
    expect(readFileSync(join(uni, 'sys.slice', 'pids.max'), 'utf8')).toBe('100');
  });

  it('reads a reservation as getCgroupConfig: shares from milli-CPUs, memory and pid as values', () => {
    expect(reservedCgroupConfig(undefined)).toBeUndefined();
    expect(reservedCgroupConfig({})).toEqual({});
    expect(reservedCgroupConfig({ cpu: '1.5', memory: '500Mi', pid: '1k', 'ephemeral-storage': '1Gi' })).toEqual({ cpuShares: 1536, memoryBytes: 500 << 20, pidsLimit: 1000 });
    expect(reservedCgroupConfig({ cpu: '1.5', memory: '500Mi', pid: '1k' }, true)).toEqual({ cpuShares: 1536 });
    expect(reservedCgroupConfig({ memory: '500Mi' }, true)).toEqual({});
  });
});
