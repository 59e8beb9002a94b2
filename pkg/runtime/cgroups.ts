// cgroups: the pod cgroup (`<parent>/pod<uid>`) with one cgroup per container under it (runc
// creates and limits those). v1 controllers here; v2 (unified) handled structurally.
import { promises as fsp, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LinuxResources } from './types.js';

export type CgroupMode = 'v1' | 'hybrid' | 'v2';

interface Hierarchy {
  mount: string;
  controllers: string[];
}

let cached: { mode: CgroupMode; hierarchies: Hierarchy[] } | undefined;

/** Detect the layout from /proc/self/mountinfo: cgroup2 at /sys/fs/cgroup is v2; v1 mounts (with or without a unified one) are v1/hybrid. */
export function cgroupLayout(): { mode: CgroupMode; hierarchies: Hierarchy[] } {
  if (cached) return cached;
  const hierarchies: Hierarchy[] = [];
  let unifiedRoot = false;
  let unifiedAny = false;
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const parts = line.split(' ');
    const sep = parts.indexOf('-');
    if (sep < 0) continue;
    const fstype = parts[sep + 1];
    const mountPoint = parts[4];
    if (fstype === 'cgroup2') {
      unifiedAny = true;
      if (mountPoint === '/sys/fs/cgroup') unifiedRoot = true;
      hierarchies.push({ mount: mountPoint, controllers: ['unified'] });
    } else if (fstype === 'cgroup') {
      const opts = (parts[sep + 3] ?? '').split(',');
      hierarchies.push({ mount: mountPoint, controllers: opts.filter((o) => !['rw', 'ro', 'relatime', 'nosuid', 'nodev', 'noexec'].includes(o)) });
    }
  }
  const mode: CgroupMode = unifiedRoot ? 'v2' : unifiedAny ? 'hybrid' : 'v1';
  cached = { mode, hierarchies };
  return cached;
}

export function controllerMount(controller: string): string | undefined {
  const { mode, hierarchies } = cgroupLayout();
  if (mode === 'v2') return '/sys/fs/cgroup';
  return hierarchies.find((h) => h.controllers.includes(controller))?.mount;
}

export function podCgroupPath(parent: string | undefined, podUid: string): string {
  return `${(parent || '/tskube').replace(/\/$/, '')}/pod${podUid.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

async function writeIfExists(file: string, value: string): Promise<void> {
  try {
    await fsp.writeFile(file, value);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** cgroup v2's cpu.weight for cpu.shares, as runc's ConvertCPUSharesToCgroupV2Value (2..262144 onto 1..10000). */
export function cpuSharesToWeight(shares: number): number {
  return shares === 0 ? 0 : 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/** Create the pod cgroup in the cpu, cpuacct, memory and pids controllers (v2: the unified dir) with optional pod-level limits. */
export async function ensurePodCgroup(path: string, r?: LinuxResources): Promise<void> {
  const { mode } = cgroupLayout();
  if (mode === 'v2') {
    const dir = join('/sys/fs/cgroup', path);
    await fsp.mkdir(dir, { recursive: true });
    if (r?.cpuShares) await writeIfExists(join(dir, 'cpu.weight'), String(cpuSharesToWeight(r.cpuShares)));
    if (r?.cpuQuota) await writeIfExists(join(dir, 'cpu.max'), `${r.cpuQuota} ${r.cpuPeriod ?? 100000}`);
    if (r?.memoryLimitInBytes) await writeIfExists(join(dir, 'memory.max'), String(r.memoryLimitInBytes));
    if (r?.pidsLimit) await writeIfExists(join(dir, 'pids.max'), String(r.pidsLimit));
    return;
  }
  for (const c of ['cpu', 'cpuacct', 'memory', 'pids']) {
    const m = controllerMount(c);
    if (m) await fsp.mkdir(join(m, path), { recursive: true });
  }
  const cpu = controllerMount('cpu');
  const mem = controllerMount('memory');
  const pids = controllerMount('pids');
  if (cpu && r?.cpuShares) await writeIfExists(join(cpu, path, 'cpu.shares'), String(r.cpuShares));
  if (cpu && r?.cpuQuota) {
    await writeIfExists(join(cpu, path, 'cpu.cfs_period_us'), String(r.cpuPeriod ?? 100000));
    await writeIfExists(join(cpu, path, 'cpu.cfs_quota_us'), String(r.cpuQuota));
  }
  if (mem && r?.memoryLimitInBytes) await writeIfExists(join(mem, path, 'memory.limit_in_bytes'), String(r.memoryLimitInBytes));
  if (pids && r?.pidsLimit) await writeIfExists(join(pids, path, 'pids.max'), String(r.pidsLimit));
}

/** Remove a cgroup (and any children) from every hierarchy, deepest first. Retries briefly on EBUSY. */
export async function removeCgroup(path: string): Promise<void> {
  for (const h of cgroupLayout().hierarchies) {
    const base = join(h.mount, path);
    const dirs: string[] = [];
    const walk = async (d: string): Promise<void> => {
      let entries;
      try {
        entries = await fsp.readdir(d, { withFileTypes: true });
      } catch {
        return;
      }
      dirs.push(d);
      for (const e of entries) if (e.isDirectory()) await walk(join(d, e.name));
    };
    await walk(base);
    for (const d of dirs.sort((a, b) => b.length - a.length)) {
      for (let attempt = 0; ; attempt++) {
        try {
          await fsp.rmdir(d);
          break;
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') break;
          if (code !== 'EBUSY' || attempt >= 50) throw new Error(`remove cgroup ${d}: ${code}`, { cause: e });
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }
  }
}

/** Cgroup dirs named `path` in any hierarchy (for leak checks). */
export async function cgroupExists(path: string): Promise<string[]> {
  const found: string[] = [];
  for (const h of cgroupLayout().hierarchies) {
    const p = join(h.mount, path);
    if (await fsp.access(p).then(() => true, () => false)) found.push(p);
  }
  return found;
}

/** True when the kernel OOM-killed a process of this cgroup (v1 memory.oom_control oom_kill, v2 memory.events). */
export async function oomKilled(path: string): Promise<boolean> {
  const { mode } = cgroupLayout();
  const file = mode === 'v2' ? join('/sys/fs/cgroup', path, 'memory.events') : join(controllerMount('memory') ?? '/nonexistent', path, 'memory.oom_control');
  try {
    const m = /^oom_kill (\d+)$/m.exec(await fsp.readFile(file, 'utf8'));
    return !!m && Number(m[1]) > 0;
  } catch {
    return false;
  }
}

/** CPU time used by the cgroup in nanoseconds. */
export async function cpuUsageNs(path: string): Promise<number> {
  const { mode } = cgroupLayout();
  if (mode === 'v2') {
    const m = /^usage_usec (\d+)$/m.exec(await fsp.readFile(join('/sys/fs/cgroup', path, 'cpu.stat'), 'utf8'));
    return m ? Number(m[1]) * 1000 : 0;
  }
  return Number((await fsp.readFile(join(controllerMount('cpuacct') ?? '', path, 'cpuacct.usage'), 'utf8')).trim());
}

/**
 * The memory working set, as the kubelet and metrics-server count it: usage minus the inactive
 * file cache (which the kernel reclaims first), from memory.stat's counter for the hierarchy.
 */
export function workingSetOf(usage: number, memoryStat: string, v2: boolean): number {
  const inactive = Number(new RegExp(`^${v2 ? 'inactive_file' : 'total_inactive_file'} (\\d+)$`, 'm').exec(memoryStat)?.[1] ?? 0);
  return Math.max(0, usage - inactive);
}

/** The cgroup's memory working set (workingSetOf its usage and memory.stat). */
export async function memoryWorkingSetBytes(path: string): Promise<number> {
  const v2 = cgroupLayout().mode === 'v2';
  const dir = v2 ? join('/sys/fs/cgroup', path) : join(controllerMount('memory') ?? '', path);
  const [usage, stat] = await Promise.all([fsp.readFile(join(dir, v2 ? 'memory.current' : 'memory.usage_in_bytes'), 'utf8'), fsp.readFile(join(dir, 'memory.stat'), 'utf8')]);
  return workingSetOf(Number(usage.trim()), stat, v2);
}

/** PIDs of every process in the cgroup (pids controller, or unified). */
export async function cgroupPids(path: string): Promise<number[]> {
  const base = cgroupLayout().mode === 'v2' ? '/sys/fs/cgroup' : controllerMount('pids');
  if (!base) return [];
  const out: number[] = [];
  const walk = async (d: string): Promise<void> => {
    const txt = await fsp.readFile(join(d, 'cgroup.procs'), 'utf8').catch(() => '');
    for (const l of txt.split('\n')) if (l) out.push(Number(l));
    const entries = await fsp.readdir(d, { withFileTypes: true }).catch(() => []);
    for (const e of entries) if (e.isDirectory()) await walk(join(d, e.name));
  };
  await walk(join(base, path));
  return out;
}

/** Remove `path` from every hierarchy if it is empty (a shared parent such as /tskube); errors ignored. */
export async function removeIfEmpty(path: string): Promise<void> {
  for (const h of cgroupLayout().hierarchies) await fsp.rmdir(join(h.mount, path)).catch(() => {});
}

/** The QoS tiers under the node's pods cgroup, as the kubelet names them (Guaranteed pods sit in the root itself). */
export const QOS_TIERS = ['burstable', 'besteffort'] as const;

/**
 * The file in a runtime root where the node agent records its pods cgroup (--cgroup-root), so
 * that cleanupAll (tsctl down, the test harness, lab down) removes it and its tiers after the
 * pods, whatever root the agent was given.
 */
export const PODS_CGROUP_RECORD = 'pods-cgroup';

/** Remove the node's pods cgroup and its QoS tiers from every hierarchy once no pod is left in them. */
export async function removePodsCgroup(root: string): Promise<void> {
  for (const t of QOS_TIERS) await removeIfEmpty(`${root.replace(/\/$/, '')}/${t}`);
  await removeIfEmpty(root);
}
