// --system-reserved and --kube-reserved: parsed as the 1.32 kubelet's parseResourceList, left out
// of the Node's allocatable with the hard eviction thresholds (GetNodeAllocatableReservation),
// out of the pods cgroup's limits without them (getNodeAllocatableAbsolute), and refused at
// start when they exceed the capacity (validateNodeAllocatable).
import { statfsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { ApiClient } from '../client/api-client.js';
import { defaultAgentConfig } from './agent-config.js';
import { NodeStatusManager, type NodeStatusConfig, type NodeStatusSources } from './agent-node-status.js';
import { kubeletConfigz } from './configz.js';
import { parseEvictionSettings, defaultEvictionSettings } from './eviction-thresholds.js';
import { parseReservation, podsCgroupReservation, reservationMap, reservedAmount, validateEnforceNodeAllocatable, validateNodeAllocatable } from './node-allocatable.js';
import { nodeResources } from './node-pressure.js';
import { nodeAllocatableCgroupConfig } from './qos-cgroups.js';

describe('--system-reserved and --kube-reserved', () => {
  it('read ResourceName=Quantity pairs as ConfigurationMap, with parseResourceList\'s errors under the flag', () => {
    expect(reservationMap(['cpu=200m', ' memory = 500Mi', 'pid'])).toEqual({ cpu: '200m', memory: '500Mi', pid: '' });
    expect(parseReservation('system-reserved', reservationMap(['cpu=200m', 'memory=500Mi', 'ephemeral-storage=1Gi', 'pid=1000']))).toEqual({ cpu: '200m', memory: '500Mi', 'ephemeral-storage': '1Gi', pid: '1000' });
    expect(parseReservation('kube-reserved', {})).toBeUndefined();
    expect(() => parseReservation('system-reserved', { 'nvidia.com/gpu': '1' })).toThrow('--system-reserved value failed to parse: cannot reserve "nvidia.com/gpu" resource');
    expect(() => parseReservation('kube-reserved', { pods: '10' })).toThrow('--kube-reserved value failed to parse: cannot reserve "pods" resource');
    expect(() => parseReservation('kube-reserved', { cpu: 'abc' })).toThrow(`--kube-reserved value failed to parse: failed to parse quantity "abc" for "cpu" resource: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
    expect(() => parseReservation('kube-reserved', { memory: '-1Gi' })).toThrow('--kube-reserved value failed to parse: resource quantity for "memory" cannot be negative: -1Gi');
    // both add up: cpu in milli-CPUs, the rest in whole units
    const r = { systemReserved: { cpu: '1.5', memory: '500Mi' }, kubeReserved: { cpu: '600m', memory: '1G', pid: '100' } };
    expect(reservedAmount(r, 'cpu')).toBe(2100);
    expect(reservedAmount(r, 'memory')).toBe(500 * 1024 ** 2 + 1e9);
    expect(reservedAmount(r, 'pid')).toBe(100);
    expect(reservedAmount({}, 'ephemeral-storage')).toBe(0);
  });

  it('come off the Node\'s allocatable with the hard eviction threshold: cpu as DecimalSI, memory and storage as BinarySI', () => {
    const gi = 1024 ** 3;
    const s = statfsSync('/tmp');
    const storage = s.blocks * s.bsize;
    const pressure = { eviction: { hardThreshold: (signal: string) => (signal === 'memory.available' ? 100 * 1024 ** 2 : 0) } } as unknown as Parameters<typeof nodeResources>[2];
    const r = nodeResources(8 * gi, '/tmp', pressure, [], { memory: 512 * 1024 ** 2 + 1024 ** 3, 'ephemeral-storage': storage - 1024 });
    // 8Gi less 1.5Gi reserved and 100Mi: 6556Mi; capacity stays 8Gi
    expect(r.capacity.memory).toBe('8Gi');
    expect(r.allocatable.memory).toBe('6556Mi');
    expect(r.allocatable['ephemeral-storage']).toBe('1Ki');
    // more reserved than there is: 0, never negative
    expect(nodeResources(8 * gi, '/tmp', undefined, [], { memory: 9 * gi }).allocatable.memory).toBe('0');

    const cfg: NodeStatusConfig = { ...defaultAgentConfig('n1'), dataDir: '/tmp', systemReserved: { cpu: '200m', memory: '500Mi' }, kubeReserved: { cpu: '100m', memory: '1Gi' } };
    const sources = { pressure: () => undefined, node: () => undefined } as unknown as NodeStatusSources;
    const { capacity, allocatable } = new NodeStatusManager({} as ApiClient, cfg, sources).resources();
    const milli = cpus().length * 1000 - 300;
    expect(allocatable.cpu).toBe(milli % 1000 ? `${milli}m` : String(milli / 1000));
    expect(capacity.cpu).toBe(String(cpus().length));
    const memKi = Math.floor(totalmem() / 1024) - 500 * 1024 - 1024 * 1024;
    expect(allocatable.memory).toBe(memKi % 1024 ? `${memKi}Ki` : memKi % (1024 * 1024) ? `${memKi / 1024}Mi` : `${memKi / 1024 / 1024}Gi`);
    expect(allocatable.pods).toBe('110');
  });

  it('come off the pods cgroup\'s limits, the hard eviction threshold not', () => {
    expect(nodeAllocatableCgroupConfig({ milliCPU: 4000, memoryBytes: 8 * 1024 ** 3, pids: 32768 }, { milliCPU: 500, memoryBytes: 1024 ** 3, pids: 768 })).toEqual({ cpuShares: 3584, memoryLimitInBytes: 7 * 1024 ** 3, pidsLimit: 32000 });
    expect(nodeAllocatableCgroupConfig({ milliCPU: 1000, memoryBytes: 1024 }, { milliCPU: 2000, memoryBytes: 2048 })).toEqual({ cpuShares: 2, memoryLimitInBytes: 0 });
  });

  it('are refused at start beyond the capacity, with validateNodeAllocatable\'s message', () => {
    const hard = parseEvictionSettings(defaultEvictionSettings()).thresholds;
    const cap = { cpu: 2000, memory: 1024 ** 3, 'ephemeral-storage': 100 * 1024 ** 3 };
    expect(validateNodeAllocatable({ systemReserved: { cpu: '1', memory: '500Mi' } }, hard, cap)).toBeUndefined();
    // 1.5 + 600m > 2; 1000Mi + 100Mi (memory.available) > 1Gi
    expect(validateNodeAllocatable({ systemReserved: { cpu: '1.5', memory: '1000Mi' }, kubeReserved: { cpu: '600m' } }, hard, cap)).toBe(
      'invalid Node Allocatable configuration. Resource "cpu" has a reservation of {{2100 -3} {<nil>}  DecimalSI} but capacity of {{2000 -3} {<nil>}  DecimalSI}. Expected capacity >= reservation. ' +
        'Resource "memory" has a reservation of {{1153433600 0} {<nil>}  BinarySI} but capacity of {{1073741824 0} {<nil>}  BinarySI}. Expected capacity >= reservation.',
    );
    // the nodefs.available percentage counts in bytes of the capacity, a float32 fraction as the kubelet's (10% of 100Gi is 10737418400)
    expect(validateNodeAllocatable({ kubeReserved: { 'ephemeral-storage': '95Gi' } }, hard, cap)).toContain('Resource "ephemeral-storage" has a reservation of {{112742891680 0} {<nil>}  BinarySI} but capacity of {{107374182400 0} {<nil>}  BinarySI}');
  });

  it('are told by /configz as systemReserved and kubeReserved', () => {
    const cfg = { ...defaultAgentConfig('n1'), systemReserved: { cpu: '200m' }, kubeReserved: { memory: '1Gi' } };
    expect(kubeletConfigz(cfg, { address: '0.0.0.0', port: 10250, clusterDNS: [] }).kubeletconfig).toMatchObject({ systemReserved: { cpu: '200m' }, kubeReserved: { memory: '1Gi' } });
    expect(kubeletConfigz(defaultAgentConfig('n1'), { address: '0.0.0.0', port: 10250, clusterDNS: [] }).kubeletconfig).not.toHaveProperty('systemReserved');
  });
});

describe('--enforce-node-allocatable (ValidateKubeletConfiguration)', () => {
  it('takes pods, none, and system-reserved or kube-reserved with their cgroup', () => {
    expect(validateEnforceNodeAllocatable(['pods'], '', '')).toBeUndefined();
    expect(validateEnforceNodeAllocatable(['none'], '', '')).toBeUndefined();
    expect(validateEnforceNodeAllocatable([], '', '')).toBeUndefined();
    expect(validateEnforceNodeAllocatable(['pods', 'system-reserved', 'kube-reserved'], '/system.slice', '/kube.slice')).toBeUndefined();
  });
  it('leaves the reservations out of the pods cgroup only with pods', () => {
    const r = { systemReserved: { cpu: '500m', memory: '1Gi' }, kubeReserved: { pid: '100' } };
    expect(podsCgroupReservation(r)).toEqual({ milliCPU: 500, memoryBytes: 1 << 30, pids: 100 });
    expect(podsCgroupReservation({ ...r, enforceNodeAllocatable: ['pods'] })).toEqual({ milliCPU: 500, memoryBytes: 1 << 30, pids: 100 });
    expect(podsCgroupReservation({ ...r, enforceNodeAllocatable: ['none'] })).toEqual({});
    expect(podsCgroupReservation({ ...r, enforceNodeAllocatable: [] })).toEqual({});
  });
  it("refuses with the kubelet's words, several errors as an aggregate", () => {
    expect(validateEnforceNodeAllocatable(['system-reserved'], '', '')).toBe('invalid configuration: systemReservedCgroup (--system-reserved-cgroup) must be specified when "system-reserved" or "system-reserved-compressible" included in enforceNodeAllocatable (--enforce-node-allocatable)');
    expect(validateEnforceNodeAllocatable(['kube-reserved-compressible'], '/s', '')).toBe('invalid configuration: kubeReservedCgroup (--kube-reserved-cgroup) must be specified when "kube-reserved" or "kube-reserved-compressible" included in enforceNodeAllocatable (--enforce-node-allocatable)');
    expect(validateEnforceNodeAllocatable(['pods', 'system-reserved-compressible', 'kube-reserved-compressible'], '/s', '/k')).toBeUndefined();
    expect(validateEnforceNodeAllocatable(['system-reserved-compressible', 'system-reserved', 'pods', 'pods'], '/s', '')).toBe(
      '[invalid configuration: both "system-reserved" and "system-reserved-compressible" cannot be specified together in enforceNodeAllocatable (--enforce-node-allocatable), invalid configuration: duplicated enforcements "pods" in enforceNodeAllocatable (--enforce-node-allocatable)]',
    );
    expect(validateEnforceNodeAllocatable(['none', 'pods'], '', '')).toBe('invalid configuration: enforceNodeAllocatable (--enforce-node-allocatable) may not contain additional enforcements when "none" is specified');
    expect(validateEnforceNodeAllocatable(['podz', 'kube-reserved'], '', '')).toBe(
      '[invalid configuration: option "podz" specified for enforceNodeAllocatable (--enforce-node-allocatable). Valid options are "pods", "system-reserved", "system-reserved-compressible", "kube-reserved", "kube-reserved-compressible" or "none", invalid configuration: kubeReservedCgroup (--kube-reserved-cgroup) must be specified when "kube-reserved" or "kube-reserved-compressible" included in enforceNodeAllocatable (--enforce-node-allocatable)]',
    );
  });
});
