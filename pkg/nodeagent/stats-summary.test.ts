// The Summary API's shape from a fake sample: containers grouped into their pods (sums, the pod's
// network), CPU rates only where the usage sampler has one, and the node's own figures.
import { describe, expect, it } from 'vitest';
import { ContainerState, type ContainerStatus } from '../runtime/types.js';
import type { MetricsSample } from './container-metrics.js';
import { statsSummary, type NodeFacts } from './stats-summary.js';
import type { UsageReport } from './usage.js';

const status = (id: string, name: string, pod: string, startedAt: string): ContainerStatus => ({
  id, sandboxId: `s-${pod}`, metadata: { name, attempt: 0 }, state: ContainerState.Running, createdAt: '2026-01-01T00:00:00Z', startedAt,
  image: 'busybox', imageRef: '', logPath: '', pid: 42,
  labels: { 'io.kubernetes.container.name': name, 'io.kubernetes.pod.name': pod, 'io.kubernetes.pod.namespace': 'default', 'io.kubernetes.pod.uid': `uid-${pod}` }, annotations: {},
});
const stats = (cpuNs: number, ws: number, limit = 0) => ({
  cpuNs, cpuUserNs: 0, cpuSystemNs: 0, cfsPeriods: 0, cfsThrottledPeriods: 0, cfsThrottledNs: 0,
  memoryUsageBytes: ws + 100, memoryWorkingSetBytes: ws, memoryRssBytes: ws - 10, memoryCacheBytes: 100,
  memoryLimitBytes: limit, cpuQuotaUs: 0, cpuPeriodUs: 100000, cpuShares: 2, cgroupPath: '/x',
});

const sample: MetricsSample = {
  at: Date.parse('2026-01-01T00:01:00Z'),
  node: { cpuNs: 9e11, memoryWorkingSetBytes: 0 },
  containers: [
    { status: status('c2', 'side', 'web', '2026-01-01T00:00:05Z'), stats: stats(2e9, 2000, 4000) },
    { status: status('c1', 'app', 'web', '2026-01-01T00:00:02Z'), stats: stats(5e9, 1000) },
    { status: status('c3', 'main', 'fresh', '2026-01-01T00:00:59Z'), stats: stats(1e6, 500) },
  ],
  pods: [{ namespace: 'default', name: 'web', cgroupPath: '/x', interfaces: [{ name: 'eth0', rxBytes: 10, rxPackets: 1, rxErrors: 0, rxDropped: 0, txBytes: 20, txPackets: 1, txErrors: 1, txDropped: 0 }] }],
  errors: 0,
};
const usage: UsageReport = {
  timestamp: '2026-01-01T00:01:00Z',
  windowSeconds: 1,
  node: { cpuNanoCores: 250_000_000, memoryWorkingSetBytes: 0 },
  // (fresh started between the sampler's two samples: no rate yet)
  pods: [{ namespace: 'default', name: 'web', uid: 'uid-web', containers: [{ name: 'app', cpuNanoCores: 1000, memoryWorkingSetBytes: 1000 }, { name: 'side', cpuNanoCores: 500, memoryWorkingSetBytes: 2000 }] }],
};
const facts: NodeFacts = {
  nodeName: 'vm',
  bootTime: '2025-12-31T00:00:00.000Z',
  memory: { capacity: 10_000, workingSet: 4_000, usage: 6_000, rss: 3_000 },
  nodeFs: { capacityBytes: 1000, availableBytes: 400, inodes: 50, inodesFree: 20 },
  imageFs: { capacityBytes: 2000, availableBytes: 1500, inodes: 10, inodesFree: 9 },
  pids: { max: 4194304, running: 321 },
  interfaces: [{ name: 'eth0', rxBytes: 1, rxPackets: 1, rxErrors: 0, rxDropped: 0, txBytes: 2, txPackets: 1, txErrors: 0, txDropped: 0 }],
};

describe('stats summary', () => {
  it('groups containers into pods, sums them, and gives CPU rates only where there is one', () => {
    const s = statsSummary(sample, usage, facts);
    const time = '2026-01-01T00:01:00.000Z';
    expect(s.pods.map((p) => p.podRef)).toEqual([{ name: 'fresh', namespace: 'default', uid: 'uid-fresh' }, { name: 'web', namespace: 'default', uid: 'uid-web' }]);
    const web = s.pods[1]!;
    expect(web.startTime).toBe('2026-01-01T00:00:02Z');
    expect(web.containers.map((c) => c.name)).toEqual(['app', 'side']);
    expect(web.containers[1]).toEqual({ name: 'side', startTime: '2026-01-01T00:00:05Z', cpu: { time, usageNanoCores: 500, usageCoreNanoSeconds: 2e9 }, memory: { time, availableBytes: 2000, usageBytes: 2100, workingSetBytes: 2000, rssBytes: 1990 } });
    expect(web.cpu).toEqual({ time, usageNanoCores: 1500, usageCoreNanoSeconds: 7e9 });
    expect(web.memory).toEqual({ time, usageBytes: 3200, workingSetBytes: 3000, rssBytes: 2980 });
    expect(web.network).toEqual({ time, name: 'eth0', rxBytes: 10, rxErrors: 0, txBytes: 20, txErrors: 1, interfaces: [{ name: 'eth0', rxBytes: 10, rxErrors: 0, txBytes: 20, txErrors: 1 }] });
    const fresh = s.pods[0]!;
    expect(fresh.cpu).toEqual({ time, usageCoreNanoSeconds: 1e6 });
    expect(fresh.network).toBeUndefined();
  });

  it('reports the node: CPU, memory, filesystems, process limit', () => {
    const n = statsSummary(sample, usage, facts).node;
    expect(n).toMatchObject({ nodeName: 'vm', startTime: '2025-12-31T00:00:00.000Z', cpu: { usageNanoCores: 250_000_000, usageCoreNanoSeconds: 9e11 }, rlimit: { maxpid: 4194304, curproc: 321 } });
    expect(n.memory).toMatchObject({ availableBytes: 6_000, usageBytes: 6_000, workingSetBytes: 4_000, rssBytes: 3_000 });
    expect(n.fs).toMatchObject({ capacityBytes: 1000, availableBytes: 400, usedBytes: 600, inodes: 50, inodesFree: 20, inodesUsed: 30 });
    expect(n.runtime.imageFs).toMatchObject({ usedBytes: 500, inodesUsed: 1 });
    expect(n.network?.name).toBe('eth0');
    expect(n).not.toHaveProperty('systemContainers');
  });

  it('reports the pods cgroup as the "pods" system container, its CPU rate the pods\' once each has one', () => {
    const podsCgroup = { startTime: '2026-01-01T00:00:00Z', cpuNs: 8e9, memoryUsageBytes: 9000, memoryWorkingSetBytes: 7000, memoryRssBytes: 6000, memoryLimitBytes: 10_000 };
    const time = '2026-01-01T00:01:00.000Z';
    const n = statsSummary(sample, usage, { ...facts, podsCgroup }).node;
    // (fresh has no rate yet)
    expect(n.systemContainers).toEqual([{ name: 'pods', startTime: '2026-01-01T00:00:00Z', cpu: { time, usageCoreNanoSeconds: 8e9 }, memory: { time, availableBytes: 3000, usageBytes: 9000, workingSetBytes: 7000, rssBytes: 6000 } }]);
    const web = { ...sample, containers: sample.containers.filter((c) => c.status.labels['io.kubernetes.pod.name'] === 'web') };
    expect(statsSummary(web, usage, { ...facts, podsCgroup }).node.systemContainers![0]!.cpu).toEqual({ time, usageNanoCores: 1500, usageCoreNanoSeconds: 8e9 });
    // the kubelet's JSON order: right after nodeName
    expect(Object.keys(n).slice(0, 2)).toEqual(['nodeName', 'systemContainers']);
  });
});
