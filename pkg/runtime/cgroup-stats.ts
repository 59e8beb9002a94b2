// What cAdvisor reads of a container's cgroup for the kubelet's /metrics/cadvisor and
// /metrics/resource: CPU time (user and system), CFS throttling, memory usage, working set, RSS
// and cache, and the limits the cgroup enforces. cgroup v1 (the controllers here) and v2.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { cgroupLayout, controllerMount, workingSetOf } from './cgroups.js';

export interface CgroupStats {
  cpuNs: number;
  cpuUserNs: number;
  cpuSystemNs: number;
  /** CFS enforcement periods, those throttled, and the time throttled (ns). */
  cfsPeriods: number;
  cfsThrottledPeriods: number;
  cfsThrottledNs: number;
  memoryUsageBytes: number;
  /** Usage minus inactive file cache: what the kubelet evicts and metrics-server reports by. */
  memoryWorkingSetBytes: number;
  memoryRssBytes: number;
  memoryCacheBytes: number;
  /** 0 when unlimited (as container_spec_memory_limit_bytes reports it). */
  memoryLimitBytes: number;
  /** CFS quota and period in microseconds (quota 0: none); shares (v2: converted from cpu.weight). */
  cpuQuotaUs: number;
  cpuPeriodUs: number;
  cpuShares: number;
}

/** `key value` lines (memory.stat, cpu.stat, cpuacct.stat) as numbers. */
export function parseKeyValues(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out.set(k, Number(v));
  }
  return out;
}

/** USER_HZ: cpuacct.stat counts in 10 ms ticks. */
const TICK_NS = 10_000_000;
/** The v1 memory limit the kernel reports for "unlimited" (page-rounded LONG_MAX) and above. */
const V1_UNLIMITED = 2 ** 62;

/** Stats from the v1 files: cpuacct.usage, cpuacct.stat, cpu.stat, cpu.cfs_*, cpu.shares, memory.*. */
export function statsFromV1(f: Record<string, string | undefined>): CgroupStats {
  const acct = parseKeyValues(f['cpuacct.stat'] ?? '');
  const cpu = parseKeyValues(f['cpu.stat'] ?? '');
  const mem = parseKeyValues(f['memory.stat'] ?? '');
  const usage = num(f['memory.usage_in_bytes']);
  const limit = num(f['memory.limit_in_bytes']);
  const quota = Number((f['cpu.cfs_quota_us'] ?? '').trim());
  return {
    cpuNs: num(f['cpuacct.usage']),
    cpuUserNs: (acct.get('user') ?? 0) * TICK_NS,
    cpuSystemNs: (acct.get('system') ?? 0) * TICK_NS,
    cfsPeriods: cpu.get('nr_periods') ?? 0,
    cfsThrottledPeriods: cpu.get('nr_throttled') ?? 0,
    cfsThrottledNs: cpu.get('throttled_time') ?? 0,
    memoryUsageBytes: usage,
    memoryWorkingSetBytes: workingSetOf(usage, f['memory.stat'] ?? '', false),
    memoryRssBytes: mem.get('total_rss') ?? 0,
    memoryCacheBytes: mem.get('total_cache') ?? 0,
    memoryLimitBytes: limit >= V1_UNLIMITED ? 0 : limit,
    cpuQuotaUs: quota > 0 ? quota : 0,
    cpuPeriodUs: num(f['cpu.cfs_period_us']),
    cpuShares: num(f['cpu.shares']),
  };
}

/** Stats from the v2 files: cpu.stat, cpu.max, cpu.weight, memory.current, memory.stat, memory.max. */
export function statsFromV2(f: Record<string, string | undefined>): CgroupStats {
  const cpu = parseKeyValues(f['cpu.stat'] ?? '');
  const mem = parseKeyValues(f['memory.stat'] ?? '');
  const usage = num(f['memory.current']);
  const [quota, period] = (f['cpu.max'] ?? 'max 100000').trim().split(/\s+/);
  const weight = num(f['cpu.weight']);
  const max = (f['memory.max'] ?? 'max').trim();
  return {
    cpuNs: (cpu.get('usage_usec') ?? 0) * 1000,
    cpuUserNs: (cpu.get('user_usec') ?? 0) * 1000,
    cpuSystemNs: (cpu.get('system_usec') ?? 0) * 1000,
    cfsPeriods: cpu.get('nr_periods') ?? 0,
    cfsThrottledPeriods: cpu.get('nr_throttled') ?? 0,
    cfsThrottledNs: (cpu.get('throttled_usec') ?? 0) * 1000,
    memoryUsageBytes: usage,
    memoryWorkingSetBytes: workingSetOf(usage, f['memory.stat'] ?? '', true),
    memoryRssBytes: mem.get('anon') ?? 0,
    memoryCacheBytes: mem.get('file') ?? 0,
    memoryLimitBytes: max === 'max' ? 0 : Number(max),
    cpuQuotaUs: quota === 'max' || quota === undefined ? 0 : Number(quota),
    cpuPeriodUs: Number(period ?? 100000),
    // (the kubelet's and runc's conversion, inverted: weight = 1 + (shares - 2) * 9999 / 262142)
    cpuShares: weight ? Math.round(2 + ((weight - 1) * 262142) / 9999) : 0,
  };
}

function num(s: string | undefined): number {
  const n = Number((s ?? '').trim());
  return Number.isFinite(n) ? n : 0;
}

const V1_FILES: [controller: string, file: string][] = [
  ['cpuacct', 'cpuacct.usage'],
  ['cpuacct', 'cpuacct.stat'],
  ['cpu', 'cpu.stat'],
  ['cpu', 'cpu.cfs_quota_us'],
  ['cpu', 'cpu.cfs_period_us'],
  ['cpu', 'cpu.shares'],
  ['memory', 'memory.usage_in_bytes'],
  ['memory', 'memory.limit_in_bytes'],
  ['memory', 'memory.stat'],
];
const V2_FILES = ['cpu.stat', 'cpu.max', 'cpu.weight', 'memory.current', 'memory.stat', 'memory.max'];

/** The stats of the cgroup at `path` (relative to each hierarchy); throws when it is gone. */
export async function cgroupStats(path: string): Promise<CgroupStats> {
  const v2 = cgroupLayout().mode === 'v2';
  const files: Record<string, string | undefined> = {};
  // (a file a kernel lacks reads as absent; the cgroup itself missing is an error)
  const read = (file: string) => fsp.readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));
  if (v2) {
    await Promise.all(V2_FILES.map(async (name) => (files[name] = await read(join('/sys/fs/cgroup', path, name)))));
    if (files['cpu.stat'] === undefined) throw new Error(`cgroup ${path} not found`);
    return statsFromV2(files);
  }
  await Promise.all(V1_FILES.map(async ([controller, name]) => (files[name] = await read(join(controllerMount(controller) ?? '', path, name)))));
  if (files['cpuacct.usage'] === undefined) throw new Error(`cgroup ${path} not found`);
  return statsFromV1(files);
}
