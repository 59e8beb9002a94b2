// The kubelet's container metrics for Prometheus: /metrics/cadvisor (cAdvisor's container_* series:
// CPU, CFS throttling, memory, limits, start time, and each pod's network) and /metrics/resource
// (the stable resource metrics metrics-server reads: node, pod and container CPU and working set).
// Read from each running container's cgroup and its pod's network namespace at scrape time, with
// the sample's time on every series, as the kubelet sends them.
import { readFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { cgroupStats, type CgroupStats } from '../runtime/cgroup-stats.js';
import { ContainerState, SandboxState, type ContainerStatus, type PodSandboxStatus } from '../runtime/types.js';
import { containerNameLabel, podNameLabel, podNamespaceLabel, podUidLabel } from './container-labels.js';
import { nodeCpuNs, nodeMemoryBytes } from './usage.js';
import { goFloat } from '../util/prom-text.js';

export interface MetricsRuntime {
  listContainers(): Promise<ContainerStatus[]>;
  listPodSandbox(): Promise<PodSandboxStatus[]>;
  containerCgroupStats(id: string): Promise<CgroupStats & { cgroupPath: string }>;
}

/** One interface's counters from /proc/<pid>/net/dev. */
export interface InterfaceCounters {
  name: string;
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDropped: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDropped: number;
}

export interface MetricsSample {
  /** When it was read, ms since the epoch. */
  at: number;
  node: { cpuNs: number; memoryWorkingSetBytes: number };
  containers: { status: ContainerStatus; stats: CgroupStats & { cgroupPath: string } }[];
  /** Each pod with its own network namespace: its interfaces (lo left out). */
  pods: { namespace: string; name: string; cgroupPath: string; interfaces: InterfaceCounters[] }[];
  /** A container whose stats could not be read (resource_scrape_error). */
  errors: number;
  /**
   * The cgroups above the containers that cAdvisor watches too, the kubelet's cgroup roots: the
   * pods cgroup, its QoS tiers and each pod's cgroup (with the pod's namespace and name).
   */
  cgroups?: { id: string; namespace: string; pod: string; stats: CgroupStats }[];
  /** The machine as cAdvisor's machine collector reports it (machine_cpu_cores, machine_memory_bytes). */
  machine?: MachineInfo;
}

/** What cAdvisor's machine collector reports, labelled with the machine's identities (baseLabelsNames). */
export interface MachineInfo {
  /** Logical CPUs (NumCores). */
  cores: number;
  /** MemTotal of /proc/meminfo, in bytes. */
  memoryBytes: number;
  ids: { boot_id: string; machine_id: string; system_uuid: string };
}

let machine: Promise<MachineInfo> | undefined;
/**
 * The machine's cores, memory and identities, read once as cAdvisor reads them: /etc/machine-id
 * (or dbus's), /sys/class/dmi/id/product_uuid, /proc/sys/kernel/random/boot_id; an unreadable one
 * is empty.
 */
export function machineInfo(): Promise<MachineInfo> {
  const text = (path: string) => readFile(path, 'utf8').then((t) => t.trim(), () => '');
  machine ??= (async () => {
    const meminfo = await text('/proc/meminfo');
    const kb = Number(/^MemTotal:\s+(\d+)\s*kB/m.exec(meminfo)?.[1] ?? 0);
    return {
      cores: cpus().length,
      memoryBytes: kb ? kb * 1024 : totalmem(),
      ids: { boot_id: await text('/proc/sys/kernel/random/boot_id'), machine_id: (await text('/etc/machine-id')) || (await text('/var/lib/dbus/machine-id')), system_uuid: await text('/sys/class/dmi/id/product_uuid') },
    };
  })();
  return machine;
}

/** /proc/net/dev: two header lines, then `name: rx bytes packets errs drop fifo frame compressed multicast tx bytes packets errs drop ...`. */
export function parseNetDev(text: string): InterfaceCounters[] {
  const out: InterfaceCounters[] = [];
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    if (f.length < 16) continue;
    out.push({ name: m[1]!, rxBytes: f[0]!, rxPackets: f[1]!, rxErrors: f[2]!, rxDropped: f[3]!, txBytes: f[8]!, txPackets: f[9]!, txErrors: f[10]!, txDropped: f[11]! });
  }
  return out;
}

/** Reads every running container's cgroup, each pod's interfaces, and the node's CPU and memory. */
export async function sampleMetrics(rt: MetricsRuntime, podsCgroup?: { root: string; tiers: string[] }): Promise<MetricsSample> {
  const [containers, sandboxes, cpuNs, memory, machine] = await Promise.all([rt.listContainers(), rt.listPodSandbox(), nodeCpuNs(), nodeMemoryBytes(), machineInfo()]);
  const running = containers.filter((c) => c.state === ContainerState.Running);
  const failed: string[] = [];
  const read = await Promise.all(
    running.map(async (status) => {
      try {
        return { status, stats: await rt.containerCgroupStats(status.id) };
      } catch {
        failed.push(status.id);
        return undefined;
      }
    }),
  );
  // (one that stopped between the list and the read is no error)
  const stillRunning = failed.length ? new Set((await rt.listContainers().catch(() => [])).filter((c) => c.state === ContainerState.Running).map((c) => c.id)) : new Set();
  const errors = failed.filter((id) => stillRunning.has(id)).length;
  const sampled = read.filter((x) => x !== undefined);
  const pods: MetricsSample['pods'] = [];
  for (const s of sandboxes) {
    if (!s.netnsPath) continue; // hostNetwork: the node's interfaces are not the pod's
    const pid = running.find((c) => c.sandboxId === s.id && c.pid)?.pid;
    if (!pid) continue;
    const text = await readFile(`/proc/${pid}/net/dev`, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const cgroupPath = sampled.find((x) => x.status.sandboxId === s.id)?.stats.cgroupPath.replace(/\/[^/]+$/, '') ?? '';
    pods.push({ namespace: s.metadata.namespace, name: s.metadata.name, cgroupPath, interfaces: parseNetDev(text).filter((i) => i.name !== 'lo') });
  }
  // (the pods cgroup, its tiers, then each ready pod's cgroup; one gone meanwhile is left out)
  let cgroups: MetricsSample['cgroups'];
  if (podsCgroup) {
    const wanted = [podsCgroup.root, ...podsCgroup.tiers].map((id) => ({ id, namespace: '', pod: '' }));
    for (const s of sandboxes) if (s.state === SandboxState.Ready && s.cgroupParent) wanted.push({ id: s.cgroupParent, namespace: s.metadata.namespace, pod: s.metadata.name });
    const readStats = await Promise.all(wanted.map(async (w) => ({ ...w, stats: await cgroupStats(w.id).catch(() => undefined) })));
    cgroups = readStats.filter((x): x is typeof x & { stats: CgroupStats } => x.stats !== undefined);
  }
  return { at: Date.now(), node: { cpuNs, memoryWorkingSetBytes: memory }, containers: sampled, pods, errors, ...(cgroups ? { cgroups } : {}), machine };
}

/** A label value in the text exposition format. */
const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labels = (l: Record<string, string>) => `{${Object.entries(l).map(([k, v]) => `${k}="${esc(v)}"`).join(',')}}`;
const seconds = (ns: number) => ns / 1e9;

/** Families in the exposition format: HELP, TYPE, then each series with the sample's time. */
class Exposition {
  private out: string[] = [];
  constructor(private readonly at: number) {}

  family(name: string, type: 'counter' | 'gauge', help: string, series: [Record<string, string>, string | number][]): void {
    if (!series.length) return;
    this.out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    // (values as cAdvisor's client_golang writes them: 1.0612736e+07, not 10612736)
    for (const [l, v] of series) this.out.push(`${name}${Object.keys(l).length ? labels(l) : ''} ${typeof v === 'number' ? goFloat(v) : v} ${this.at}`);
  }

  text(): string {
    return this.out.length ? `${this.out.join('\n')}\n` : '';
  }
}

/** What a container's series are labelled with in cAdvisor's output, as the kubelet serves it. */
function cadvisorLabels(c: MetricsSample['containers'][number]): Record<string, string> {
  const l = c.status.labels;
  return { container: l[containerNameLabel] ?? c.status.metadata.name, id: c.stats.cgroupPath, image: c.status.image, name: c.status.id, namespace: l[podNamespaceLabel] ?? '', pod: l[podNameLabel] ?? '' };
}

const startSeconds = (c: ContainerStatus) => (c.startedAt ? Date.parse(c.startedAt) / 1000 : undefined);

/** /metrics/cadvisor: the container_* series dashboards and `kubectl top`-like queries use. */
export function cadvisorMetrics(s: MetricsSample): string {
  const e = new Exposition(s.at);
  const per = (f: (x: MetricsSample['containers'][number]) => number | string | undefined, extra: Record<string, string> = {}) =>
    s.containers.flatMap((c) => {
      const v = f(c);
      return v === undefined ? [] : [[{ ...cadvisorLabels(c), ...extra }, v] as [Record<string, string>, string | number]];
    });
  // A series of each container's cgroup, then of the cgroups above it (the pods cgroup, its tiers,
  // the pods'), which cAdvisor reports with empty container, image and name labels.
  const all = (g: (x: CgroupStats) => number | string | undefined, extra: Record<string, string> = {}) => [
    ...per((c) => g(c.stats), extra),
    ...(s.cgroups ?? []).flatMap((k) => {
      const v = g(k.stats);
      return v === undefined ? [] : [[{ container: '', id: k.id, image: '', name: '', namespace: k.namespace, pod: k.pod, ...extra }, v] as [Record<string, string>, string | number]];
    }),
  ];
  e.family('container_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed in seconds.', all((x) => seconds(x.cpuNs), { cpu: 'total' }));
  e.family('container_cpu_user_seconds_total', 'counter', 'Cumulative user cpu time consumed in seconds.', all((x) => seconds(x.cpuUserNs)));
  e.family('container_cpu_system_seconds_total', 'counter', 'Cumulative system cpu time consumed in seconds.', all((x) => seconds(x.cpuSystemNs)));
  e.family('container_cpu_cfs_periods_total', 'counter', 'Number of elapsed enforcement period intervals.', all((x) => (x.cpuQuotaUs ? x.cfsPeriods : undefined)));
  e.family('container_cpu_cfs_throttled_periods_total', 'counter', 'Number of throttled period intervals.', all((x) => (x.cpuQuotaUs ? x.cfsThrottledPeriods : undefined)));
  e.family('container_cpu_cfs_throttled_seconds_total', 'counter', 'Total time duration the container has been throttled.', all((x) => (x.cpuQuotaUs ? seconds(x.cfsThrottledNs) : undefined)));
  e.family('container_memory_usage_bytes', 'gauge', 'Current memory usage in bytes, including all memory regardless of when it was accessed', all((x) => x.memoryUsageBytes));
  e.family('container_memory_working_set_bytes', 'gauge', 'Current working set in bytes.', all((x) => x.memoryWorkingSetBytes));
  e.family('container_memory_rss', 'gauge', 'Size of RSS in bytes.', all((x) => x.memoryRssBytes));
  e.family('container_memory_cache', 'gauge', 'Number of bytes of page cache memory.', all((x) => x.memoryCacheBytes));
  e.family('container_spec_memory_limit_bytes', 'gauge', 'Memory limit for the container.', all((x) => x.memoryLimitBytes));
  e.family('container_spec_cpu_quota', 'gauge', 'CPU quota of the container.', all((x) => x.cpuQuotaUs || undefined));
  e.family('container_spec_cpu_period', 'gauge', 'CPU period of the container.', all((x) => x.cpuPeriodUs));
  e.family('container_spec_cpu_shares', 'gauge', 'CPU share of the container.', all((x) => x.cpuShares));
  e.family('container_start_time_seconds', 'gauge', 'Start time of the container since unix epoch in seconds.', per((c) => startSeconds(c.status)));
  e.family('container_last_seen', 'gauge', 'Last time a container was seen by the exporter', all(() => s.at / 1000));
  // A pod's network is its sandbox's: cAdvisor reports it on the pod's own cgroup (container="").
  const net = (f: (i: InterfaceCounters) => number) =>
    s.pods.flatMap((p) => p.interfaces.map((i) => [{ container: '', id: p.cgroupPath, image: '', interface: i.name, name: '', namespace: p.namespace, pod: p.name }, f(i)] as [Record<string, string>, number]));
  e.family('container_network_receive_bytes_total', 'counter', 'Cumulative count of bytes received', net((i) => i.rxBytes));
  e.family('container_network_receive_packets_total', 'counter', 'Cumulative count of packets received', net((i) => i.rxPackets));
  e.family('container_network_receive_errors_total', 'counter', 'Cumulative count of errors encountered while receiving', net((i) => i.rxErrors));
  e.family('container_network_receive_packets_dropped_total', 'counter', 'Cumulative count of packets dropped while receiving', net((i) => i.rxDropped));
  e.family('container_network_transmit_bytes_total', 'counter', 'Cumulative count of bytes transmitted', net((i) => i.txBytes));
  e.family('container_network_transmit_packets_total', 'counter', 'Cumulative count of packets transmitted', net((i) => i.txPackets));
  e.family('container_network_transmit_errors_total', 'counter', 'Cumulative count of errors encountered while transmitting', net((i) => i.txErrors));
  e.family('container_network_transmit_packets_dropped_total', 'counter', 'Cumulative count of packets dropped while transmitting', net((i) => i.txDropped));
  // (cAdvisor's machine collector, which the kubelet registers on the same path)
  if (s.machine) {
    e.family('machine_cpu_cores', 'gauge', 'Number of logical CPU cores.', [[s.machine.ids, s.machine.cores]]);
    e.family('machine_memory_bytes', 'gauge', 'Amount of memory installed on the machine.', [[s.machine.ids, s.machine.memoryBytes]]);
  }
  return e.text();
}

/** /metrics/resource: the kubelet's stable resource metrics (what metrics-server scrapes). */
export function resourceMetrics(s: MetricsSample): string {
  const e = new Exposition(s.at);
  const containers = newestPodOfEachName(s.containers);
  const byContainer = (f: (x: MetricsSample['containers'][number]) => number | string | undefined) =>
    containers.flatMap((c) => {
      const v = f(c);
      const l = c.status.labels;
      return v === undefined ? [] : [[{ container: l[containerNameLabel] ?? c.status.metadata.name, namespace: l[podNamespaceLabel] ?? '', pod: l[podNameLabel] ?? '' }, v] as [Record<string, string>, string | number]];
    });
  const pods = new Map<string, { namespace: string; pod: string; cpuNs: number; memory: number }>();
  for (const c of containers) {
    const namespace = c.status.labels[podNamespaceLabel] ?? '';
    const pod = c.status.labels[podNameLabel] ?? '';
    const p = pods.get(`${namespace}/${pod}`) ?? { namespace, pod, cpuNs: 0, memory: 0 };
    p.cpuNs += c.stats.cpuNs;
    p.memory += c.stats.memoryWorkingSetBytes;
    pods.set(`${namespace}/${pod}`, p);
  }
  const byPod = (f: (p: { cpuNs: number; memory: number }) => string | number) => [...pods.values()].map((p) => [{ namespace: p.namespace, pod: p.pod }, f(p)] as [Record<string, string>, string | number]);
  e.family('container_cpu_usage_seconds_total', 'counter', '[STABLE] Cumulative cpu time consumed by the container in core-seconds', byContainer((c) => seconds(c.stats.cpuNs)));
  e.family('container_memory_working_set_bytes', 'gauge', '[STABLE] Current working set of the container in bytes', byContainer((c) => c.stats.memoryWorkingSetBytes));
  e.family('container_start_time_seconds', 'gauge', '[STABLE] Start time of the container since unix epoch in seconds', byContainer((c) => startSeconds(c.status)));
  e.family('node_cpu_usage_seconds_total', 'counter', '[STABLE] Cumulative cpu time consumed by the node in core-seconds', [[{}, seconds(s.node.cpuNs)]]);
  e.family('node_memory_working_set_bytes', 'gauge', '[STABLE] Current working set of the node in bytes', [[{}, s.node.memoryWorkingSetBytes]]);
  e.family('pod_cpu_usage_seconds_total', 'counter', '[STABLE] Cumulative cpu time consumed by the pod in core-seconds', byPod((p) => seconds(p.cpuNs)));
  e.family('pod_memory_working_set_bytes', 'gauge', '[STABLE] Current working set of the pod in bytes', byPod((p) => p.memory));
  e.family('resource_scrape_error', 'gauge', '[STABLE] 1 if there was an error while getting container metrics, 0 otherwise', [[{}, s.errors ? 1 : 0]]);
  return e.text();
}

/**
 * The containers of one pod per namespace and name: these series have no UID, and a pod force-
 * deleted and made again under its name can still be stopping beside its successor. The newer
 * (its latest container start) is the one reported.
 */
function newestPodOfEachName(containers: MetricsSample['containers']): MetricsSample['containers'] {
  const newest = new Map<string, { uid: string; started: string }>();
  for (const c of containers) {
    const l = c.status.labels;
    const key = `${l[podNamespaceLabel] ?? ''}/${l[podNameLabel] ?? ''}`;
    const started = c.status.startedAt ?? '';
    const cur = newest.get(key);
    if (!cur || started > cur.started) newest.set(key, { uid: l[podUidLabel] ?? '', started });
  }
  return containers.filter((c) => newest.get(`${c.status.labels[podNamespaceLabel] ?? ''}/${c.status.labels[podNameLabel] ?? ''}`)?.uid === (c.status.labels[podUidLabel] ?? ''));
}
