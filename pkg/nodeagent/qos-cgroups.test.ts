// The pods cgroup's QoS layout: where each pod's cgroup goes, the tiers' cpu.shares and the
// root's node allocatable limits, as the 1.32 kubelet's container manager sets them.
import { describe, expect, it } from 'vitest';
import type { Container, Pod } from '../api/types.js';
import { cpuSharesToWeight } from '../runtime/cgroups.js';
import { sandboxConfig } from './container-config.js';
import { burstableCpuShares, milliCPUToShares, nodeAllocatableCgroupConfig, nodePidLimit, qosCgroupParent } from './qos-cgroups.js';

const c = (name: string, requests?: Record<string, string>, limits?: Record<string, string>): Container => ({ name, image: 'busybox', resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) } });
const pod = (uid: string, containers: Container[], o: { overhead?: Record<string, string>; initContainers?: Container[] } = {}): Pod => ({
  metadata: { name: uid, namespace: 'default', uid },
  spec: { containers, initContainers: o.initContainers ?? [], ...(o.overhead ? { overhead: o.overhead } : {}) },
});

describe('QoS cgroups', () => {
  it('puts a Guaranteed pod in the pods cgroup itself, Burstable and BestEffort ones in their tiers', () => {
    expect(qosCgroupParent('/tskube', 'Guaranteed')).toBe('/tskube');
    expect(qosCgroupParent('/tskube', 'Burstable')).toBe('/tskube/burstable');
    expect(qosCgroupParent('/tskube/', 'BestEffort')).toBe('/tskube/besteffort');
    // the sandbox's cgroup parent is the tier the agent gives it
    const be = pod('u1', [c('a')]);
    expect(sandboxConfig(be, { attempt: 0, dnsServers: [], cgroupParent: '/tskube/besteffort' }).cgroupParent).toBe('/tskube/besteffort');
  });

  it('converts milli-CPUs to shares as MilliCPUToShares: 1024 a CPU, at least 2, at most 262144', () => {
    expect(milliCPUToShares(0)).toBe(2);
    expect(milliCPUToShares(1)).toBe(2);
    expect(milliCPUToShares(100)).toBe(102);
    expect(milliCPUToShares(4000)).toBe(4096);
    expect(milliCPUToShares(1_000_000)).toBe(262_144);
  });

  it('gives the burstable tier the shares of its pods\' cpu requests summed, overhead and init containers as PodRequests counts them', () => {
    const guaranteed = pod('g', [c('a', { cpu: '1', memory: '64Mi' }, { cpu: '1', memory: '64Mi' })]);
    const bestEffort = pod('b', [c('a')]);
    const burstable1 = pod('x', [c('a', { cpu: '100m' })], { overhead: { cpu: '50m' } });
    // an init container's larger request wins over the app containers' sum
    const burstable2 = pod('y', [c('a', { cpu: '100m' })], { initContainers: [c('i', { cpu: '300m' })] });
    const memoryOnly = pod('z', [c('a', { memory: '10Mi' })]);
    expect(burstableCpuShares([])).toBe(2);
    expect(burstableCpuShares([guaranteed, bestEffort, memoryOnly])).toBe(2);
    expect(burstableCpuShares([guaranteed, burstable1])).toBe(Math.floor((150 * 1024) / 1000));
    expect(burstableCpuShares([burstable1, burstable2, memoryOnly, bestEffort])).toBe(Math.floor((450 * 1024) / 1000));
  });

  it('limits the pods cgroup to node allocatable: memory, cpu as shares, the task limit as pids', () => {
    expect(nodeAllocatableCgroupConfig({ milliCPU: 4000, memoryBytes: 8 * 1024 ** 3, pids: 4_194_304 })).toEqual({ cpuShares: 4096, memoryLimitInBytes: 8 * 1024 ** 3, pidsLimit: 4_194_304 });
    expect(nodeAllocatableCgroupConfig({ milliCPU: 2000, memoryBytes: 1024 })).toEqual({ cpuShares: 2048, memoryLimitInBytes: 1024 });
  });

  it('takes the smaller of kernel.pid_max and kernel.threads-max as the node\'s task limit', () => {
    const files: Record<string, string> = { '/proc/sys/kernel/pid_max': '4194304\n', '/proc/sys/kernel/threads-max': '126542\n' };
    const read = (f: string) => {
      if (!(f in files)) throw new Error('ENOENT');
      return files[f]!;
    };
    expect(nodePidLimit(read)).toBe(126_542);
    delete files['/proc/sys/kernel/threads-max'];
    expect(nodePidLimit(read)).toBe(4_194_304);
    delete files['/proc/sys/kernel/pid_max'];
    expect(nodePidLimit(read)).toBeUndefined();
  });

  it('maps shares onto cgroup v2 weights as runc does', () => {
    expect(cpuSharesToWeight(2)).toBe(1);
    expect(cpuSharesToWeight(1024)).toBe(39);
    expect(cpuSharesToWeight(262_144)).toBe(10_000);
  });
});
