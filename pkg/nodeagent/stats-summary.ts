// The kubelet's Summary API (/stats/summary, statsapi.Summary): the node's CPU, memory, network,
// filesystems and process limits, and each running pod's containers, CPU, memory and network,
// in the JSON tools read it in (metrics-server's older path, k9s, `kubectl get --raw
// /api/v1/nodes/NODE/proxy/stats/summary`). Built from the same samples as /metrics/cadvisor and
// the metrics API: cgroup counters, the pods' /proc/<pid>/net/dev, /proc and statfs.
import { containerNameLabel, podNameLabel, podNamespaceLabel, podUidLabel } from './container-labels.js';
import type { InterfaceCounters, MetricsSample } from './container-metrics.js';
import type { FsStats } from './eviction-signals.js';
import type { UsageReport } from './usage.js';

interface CpuStats {
  time: string;
  usageNanoCores?: number;
  usageCoreNanoSeconds: number;
}

interface MemoryStats {
  time: string;
  availableBytes?: number;
  usageBytes: number;
  workingSetBytes: number;
  rssBytes: number;
}

interface NetworkStats {
  time: string;
  name: string;
  rxBytes: number;
  rxErrors: number;
  txBytes: number;
  txErrors: number;
  interfaces: { name: string; rxBytes: number; rxErrors: number; txBytes: number; txErrors: number }[];
}

interface FsSummary {
  time: string;
  availableBytes: number;
  capacityBytes: number;
  usedBytes: number;
  inodesFree: number;
  inodes: number;
  inodesUsed: number;
}

export interface ContainerSummary {
  name: string;
  startTime: string;
  cpu: CpuStats;
  memory: MemoryStats;
}

export interface PodSummary {
  podRef: { name: string; namespace: string; uid: string };
  startTime: string;
  containers: ContainerSummary[];
  cpu: CpuStats;
  memory: MemoryStats;
  network?: NetworkStats;
}

export interface Summary {
  node: {
    nodeName: string;
    /** The node's system containers: "pods", the pods cgroup (GetSystemContainersStats). */
    systemContainers?: ContainerSummary[];
    startTime: string;
    cpu: CpuStats;
    memory: MemoryStats;
    network?: NetworkStats;
    fs: FsSummary;
    runtime: { imageFs: FsSummary };
    rlimit: { time: string; maxpid: number; curproc: number };
  };
  pods: PodSummary[];
}

/** What the node itself reports beside the containers' sample. */
export interface NodeFacts {
  nodeName: string;
  /** When the node booted (RFC 3339). */
  bootTime: string;
  memory: { capacity: number; workingSet: number; usage: number; rss: number };
  nodeFs: FsStats;
  imageFs: FsStats;
  pids: { max: number; running: number };
  /** The node's interfaces (lo and the pods' host ends left out). */
  interfaces: InterfaceCounters[];
  /** The pods cgroup's own counters and when it was made, when it could be read (qos-cgroups.ts). */
  podsCgroup?: { startTime: string; cpuNs: number; memoryUsageBytes: number; memoryWorkingSetBytes: number; memoryRssBytes: number; memoryLimitBytes: number };
}

const fsSummary = (time: string, s: FsStats): FsSummary => ({
  time,
  availableBytes: s.availableBytes,
  capacityBytes: s.capacityBytes,
  usedBytes: Math.max(0, s.capacityBytes - s.availableBytes),
  inodesFree: s.inodesFree,
  inodes: s.inodes,
  inodesUsed: Math.max(0, s.inodes - s.inodesFree),
});

/** A pod's or the node's network: the first interface (eth0 in a pod) named, every one listed. */
function network(time: string, ifs: InterfaceCounters[]): NetworkStats | undefined {
  const first = ifs.find((i) => i.name === 'eth0') ?? ifs[0];
  if (!first) return undefined;
  const one = (i: InterfaceCounters) => ({ name: i.name, rxBytes: i.rxBytes, rxErrors: i.rxErrors, txBytes: i.txBytes, txErrors: i.txErrors });
  return { time, ...one(first), interfaces: ifs.map(one) };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * The Summary: `sample` gives each running container's cumulative CPU and memory, `usage` the
 * CPU rates (usageNanoCores) over its window; a container without a rate yet has none, as the
 * kubelet leaves the field out until it has two samples.
 */
export function statsSummary(sample: MetricsSample, usage: UsageReport, node: NodeFacts): Summary {
  const time = new Date(sample.at).toISOString();
  const rates = new Map<string, number>();
  for (const p of usage.pods) for (const c of p.containers) rates.set(`${p.namespace}/${p.name}/${c.name}`, c.cpuNanoCores);
  const pods = new Map<string, PodSummary>();
  for (const { status, stats } of sample.containers) {
    const l = status.labels;
    const namespace = l[podNamespaceLabel] ?? '';
    const name = l[podNameLabel] ?? '';
    // (by UID: a pod made again under its name is another pod)
    const key = `${namespace}/${name}/${l[podUidLabel] ?? ''}`;
    let pod = pods.get(key);
    if (!pod) {
      pod = { podRef: { name, namespace, uid: l[podUidLabel] ?? '' }, startTime: status.startedAt ?? status.createdAt, containers: [], cpu: { time, usageCoreNanoSeconds: 0 }, memory: { time, usageBytes: 0, workingSetBytes: 0, rssBytes: 0 } };
      pods.set(key, pod);
    }
    const cname = l[containerNameLabel] ?? status.metadata.name;
    const rate = rates.get(`${namespace}/${name}/${cname}`);
    pod.containers.push({
      name: cname,
      startTime: status.startedAt ?? status.createdAt,
      cpu: { time, ...(rate !== undefined ? { usageNanoCores: rate } : {}), usageCoreNanoSeconds: stats.cpuNs },
      memory: { time, ...(stats.memoryLimitBytes ? { availableBytes: Math.max(0, stats.memoryLimitBytes - stats.memoryWorkingSetBytes) } : {}), usageBytes: stats.memoryUsageBytes, workingSetBytes: stats.memoryWorkingSetBytes, rssBytes: stats.memoryRssBytes },
    });
    if (status.startedAt && status.startedAt < pod.startTime) pod.startTime = status.startedAt;
  }
  for (const pod of pods.values()) {
    const cs = pod.containers;
    const rated = cs.filter((c) => c.cpu.usageNanoCores !== undefined);
    pod.cpu = { time, ...(rated.length === cs.length ? { usageNanoCores: sum(cs.map((c) => c.cpu.usageNanoCores!)) } : {}), usageCoreNanoSeconds: sum(cs.map((c) => c.cpu.usageCoreNanoSeconds)) };
    pod.memory = { time, usageBytes: sum(cs.map((c) => c.memory.usageBytes)), workingSetBytes: sum(cs.map((c) => c.memory.workingSetBytes)), rssBytes: sum(cs.map((c) => c.memory.rssBytes)) };
    cs.sort((a, b) => a.name.localeCompare(b.name));
    const net = sample.pods.find((p) => p.namespace === pod.podRef.namespace && p.name === pod.podRef.name);
    if (net) pod.network = network(time, net.interfaces);
  }
  const m = node.memory;
  // The "pods" system container: the pods cgroup's own counters, as the kubelet reports its
  // kubepods; its CPU rate is the pods' together, once each has one.
  const pc = node.podsCgroup;
  const all = [...pods.values()];
  const podsRate = all.every((p) => p.cpu.usageNanoCores !== undefined) ? sum(all.map((p) => p.cpu.usageNanoCores!)) : undefined;
  const podsContainer: ContainerSummary | undefined = pc && {
    name: 'pods',
    startTime: pc.startTime,
    cpu: { time, ...(podsRate !== undefined ? { usageNanoCores: podsRate } : {}), usageCoreNanoSeconds: pc.cpuNs },
    memory: { time, ...(pc.memoryLimitBytes ? { availableBytes: Math.max(0, pc.memoryLimitBytes - pc.memoryWorkingSetBytes) } : {}), usageBytes: pc.memoryUsageBytes, workingSetBytes: pc.memoryWorkingSetBytes, rssBytes: pc.memoryRssBytes },
  };
  return {
    node: {
      nodeName: node.nodeName,
      ...(podsContainer ? { systemContainers: [podsContainer] } : {}),
      startTime: node.bootTime,
      cpu: { time, usageNanoCores: usage.node.cpuNanoCores, usageCoreNanoSeconds: sample.node.cpuNs },
      memory: { time, availableBytes: Math.max(0, m.capacity - m.workingSet), usageBytes: m.usage, workingSetBytes: m.workingSet, rssBytes: m.rss },
      ...(node.interfaces.length ? { network: network(time, node.interfaces) } : {}),
      fs: fsSummary(time, node.nodeFs),
      runtime: { imageFs: fsSummary(time, node.imageFs) },
      rlimit: { time, maxpid: node.pids.max, curproc: node.pids.running },
    },
    pods: [...pods.values()].sort((a, b) => `${a.podRef.namespace}/${a.podRef.name}`.localeCompare(`${b.podRef.namespace}/${b.podRef.name}`)),
  };
}
