import { describe, expect, it } from 'vitest';
import type { CgroupStats } from '../runtime/cgroup-stats.js';
import { ContainerState, type ContainerStatus } from '../runtime/types.js';
import { cadvisorMetrics, machineInfo, parseNetDev, resourceMetrics, type MetricsSample } from './container-metrics.js';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

const stats = (o: Partial<CgroupStats & { cgroupPath: string }> = {}): CgroupStats & { cgroupPath: string } => ({
  cpuNs: 2.5e9, cpuUserNs: 2e9, cpuSystemNs: 5e8, cfsPeriods: 10, cfsThrottledPeriods: 7, cfsThrottledNs: 3e8,
  memoryUsageBytes: 3000, memoryWorkingSetBytes: 2000, memoryRssBytes: 1500, memoryCacheBytes: 1000,
  memoryLimitBytes: 0, cpuQuotaUs: 0, cpuPeriodUs: 100000, cpuShares: 2, cgroupPath: '/tskube/podu1/c1', ...o,
});

const status = (id: string, name: string, pod: string): ContainerStatus => ({
  id, sandboxId: 's1', metadata: { name, attempt: 0 }, state: ContainerState.Running, createdAt: '', startedAt: '2025-12-01T10:00:00Z',
  image: 'busybox:1.36', imageRef: '', logPath: '', pid: 42,
  labels: { 'io.kubernetes.container.name': name, 'io.kubernetes.pod.name': pod, 'io.kubernetes.pod.namespace': 'ns"1', 'io.kubernetes.pod.uid': 'u1' }, annotations: {},
});

const sample: MetricsSample = {
  at: 1764583200000,
  node: { cpuNs: 1e10, memoryWorkingSetBytes: 5000 },
  containers: [
    { status: status('c1', 'app', 'web'), stats: stats({ cpuQuotaUs: 5000, memoryLimitBytes: 67108864 }) },
    { status: status('c2', 'side', 'web'), stats: stats({ cpuNs: 5e8, memoryWorkingSetBytes: 100, cgroupPath: '/tskube/podu1/c2' }) },
  ],
  pods: [{ namespace: 'ns"1', name: 'web', cgroupPath: '/tskube/podu1', interfaces: [{ name: 'eth0', rxBytes: 100, rxPackets: 2, rxErrors: 0, rxDropped: 1, txBytes: 50, txPackets: 1, txErrors: 0, txDropped: 0 }] }],
  errors: 0,
};

describe('container metrics', () => {
  it('parses /proc/net/dev', () => {
    const text = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     140       2    0    0    0     0          0         0      140       2    0    0    0     0       0          0
  eth0:    9386      71    1    3    0     0          0         0     1506      17    2    4    0     0       0          0
`;
    expect(parseNetDev(text)).toEqual([
      { name: 'lo', rxBytes: 140, rxPackets: 2, rxErrors: 0, rxDropped: 0, txBytes: 140, txPackets: 2, txErrors: 0, txDropped: 0 },
      { name: 'eth0', rxBytes: 9386, rxPackets: 71, rxErrors: 1, rxDropped: 3, txBytes: 1506, txPackets: 17, txErrors: 2, txDropped: 4 },
    ]);
  });

  it('writes cAdvisor\'s series with its labels and the sample time; throttling and quota only under a quota', () => {
    const text = cadvisorMetrics(sample);
    expect(text).toContain('# TYPE container_cpu_usage_seconds_total counter\n');
    expect(text).toContain('container_cpu_usage_seconds_total{container="app",id="/tskube/podu1/c1",image="busybox:1.36",name="c1",namespace="ns\\"1",pod="web",cpu="total"} 2.5 1764583200000\n');
    expect(text).toContain('container_spec_cpu_quota{container="app",id="/tskube/podu1/c1",image="busybox:1.36",name="c1",namespace="ns\\"1",pod="web"} 5000 1764583200000\n');
    expect(text).not.toContain('container_spec_cpu_quota{container="side"');
    expect(text).toContain('container_cpu_cfs_throttled_seconds_total{container="app",id="/tskube/podu1/c1",image="busybox:1.36",name="c1",namespace="ns\\"1",pod="web"} 0.3 ');
    expect(text.match(/^container_cpu_cfs_throttled_periods_total\{/gm)).toHaveLength(1);
    expect(text).toContain('container_spec_memory_limit_bytes{container="side",id="/tskube/podu1/c2",image="busybox:1.36",name="c2",namespace="ns\\"1",pod="web"} 0 ');
    expect(text).toContain('container_start_time_seconds{container="app",id="/tskube/podu1/c1",image="busybox:1.36",name="c1",namespace="ns\\"1",pod="web"} 1.7645832e+09 ');
    expect(text).toContain('container_network_receive_packets_dropped_total{container="",id="/tskube/podu1",image="",interface="eth0",name="",namespace="ns\\"1",pod="web"} 1 1764583200000\n');
    // every series line is NAME{...} VALUE TIMESTAMP
    for (const line of text.trim().split('\n')) if (!line.startsWith('#')) expect(line).toMatch(/^[a-z_]+\{.*\} [0-9.e+-]+ 1764583200000$/);
  });

  it('writes the series of the pods cgroup, its QoS tiers and the pods\' cgroups with empty container labels, as cAdvisor watching the kubelet\'s cgroup root', () => {
    const cgroups: MetricsSample['cgroups'] = [
      { id: '/tskube', namespace: '', pod: '', stats: stats({ memoryLimitBytes: 8 * 1024 ** 3, cpuShares: 4096 }) },
      { id: '/tskube/burstable', namespace: '', pod: '', stats: stats({ cpuShares: 512 }) },
      { id: '/tskube/burstable/podu1', namespace: 'ns"1', pod: 'web', stats: stats({ cpuNs: 3e9, cpuShares: 204 }) },
    ];
    const text = cadvisorMetrics({ ...sample, cgroups });
    expect(text).toContain(`container_spec_memory_limit_bytes{container="",id="/tskube",image="",name="",namespace="",pod=""} 8.589934592e+09 1764583200000\n`);
    expect(text).toContain('container_spec_cpu_shares{container="",id="/tskube/burstable",image="",name="",namespace="",pod=""} 512 1764583200000\n');
    expect(text).toContain('container_cpu_usage_seconds_total{container="",id="/tskube/burstable/podu1",image="",name="",namespace="ns\\"1",pod="web",cpu="total"} 3 1764583200000\n');
    // (each family lists the containers first, then the cgroups above them)
    expect(text.match(/^container_memory_working_set_bytes\{/gm)).toHaveLength(5);
    // without them (the resource metrics' sample) only the containers
    expect(cadvisorMetrics(sample).match(/^container_memory_working_set_bytes\{/gm)).toHaveLength(2);
  });

  it("writes cAdvisor's machine series, labelled with the machine's identities, read as cAdvisor reads them", async () => {
    const ids = { boot_id: 'b', machine_id: 'm', system_uuid: '' };
    const text = cadvisorMetrics({ ...sample, machine: { cores: 8, memoryBytes: 16e9, ids } });
    expect(text).toContain('# HELP machine_cpu_cores Number of logical CPU cores.\n# TYPE machine_cpu_cores gauge\nmachine_cpu_cores{boot_id="b",machine_id="m",system_uuid=""} 8 1764583200000\n');
    expect(text).toContain('# HELP machine_memory_bytes Amount of memory installed on the machine.\n# TYPE machine_memory_bytes gauge\nmachine_memory_bytes{boot_id="b",machine_id="m",system_uuid=""} 1.6e+10 1764583200000\n');
    const real = await machineInfo();
    expect(real.cores).toBe(cpus().length);
    expect(real.memoryBytes).toBeGreaterThan(0);
    expect(real.ids.boot_id).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
  });

  it('writes the resource metrics: containers, pods summed, the node, and the scrape error', () => {
    const text = resourceMetrics({ ...sample, errors: 1 });
    expect(text).toContain('container_memory_working_set_bytes{container="side",namespace="ns\\"1",pod="web"} 100 1764583200000\n');
    expect(text).toContain('pod_cpu_usage_seconds_total{namespace="ns\\"1",pod="web"} 3 1764583200000\n');
    expect(text).toContain('pod_memory_working_set_bytes{namespace="ns\\"1",pod="web"} 2100 1764583200000\n');
    expect(text).toContain('node_cpu_usage_seconds_total 10 1764583200000\n');
    expect(text).toContain('node_memory_working_set_bytes 5000 1764583200000\n');
    expect(text).toContain('# HELP resource_scrape_error [STABLE] 1 if there was an error while getting container metrics, 0 otherwise\n# TYPE resource_scrape_error gauge\nresource_scrape_error 1 1764583200000\n');
  });

  it('reports one pod per name in the resource metrics: the newer of two with the same name', () => {
    const old = status('c0', 'app', 'web');
    old.labels['io.kubernetes.pod.uid'] = 'old-uid';
    old.startedAt = '2025-11-30T10:00:00Z';
    const text = resourceMetrics({ ...sample, containers: [{ status: old, stats: stats({ cpuNs: 9e9 }) }, ...sample.containers] });
    expect(text.match(/^container_cpu_usage_seconds_total\{container="app"/gm)).toHaveLength(1);
    expect(text).toContain('pod_cpu_usage_seconds_total{namespace="ns\\"1",pod="web"} 3 1764583200000\n');
  });
});
