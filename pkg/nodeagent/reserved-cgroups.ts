// The reserved cgroups of --enforce-node-allocatable, as the 1.32 kubelet's container manager
// enforces them (node_container_manager_linux.go enforceNodeAllocatableCgroups,
// enforceExistingCgroup, getCgroupConfig): with "system-reserved" the cgroup named by
// --system-reserved-cgroup, with "kube-reserved" that of --kube-reserved-cgroup, gets the limits of
// its reservation: cpu.shares from its cpu, its memory as the memory limit, its pid as pids.max
// (ephemeral-storage is no cgroup's to limit); with "system-reserved-compressible" or
// "kube-reserved-compressible" (1.32, kubernetes#125982) only its cpu, so that the OS's or
// Kubernetes' daemons are weighted against the pods but never OOM-killed nor kept from forking for
// a reservation. The cgroup must exist already in every hierarchy
// the kubelet checks (cgroupManager.Validate); the kubelet never makes it, and a cgroup that is
// missing, or a reservation that cannot be written, stops it at start ("Failed to start
// ContainerManager") after a FailedNodeAllocatableEnforcement event.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { quantityToMilli, quantityToValue } from '../api/quantity.js';
import { cgroupLayout, cpuSharesToWeight, type CgroupMode } from '../runtime/cgroups.js';
import { milliCPUToShares } from './qos-cgroups.js';

/** The cgroup hierarchies as the agent found them (cgroupLayout); tests give their own. */
export interface CgroupHierarchies {
  mode: CgroupMode;
  hierarchies: { mount: string; controllers: string[] }[];
  /** The unified hierarchy's mount when mode is v2 (/sys/fs/cgroup). */
  unifiedMount?: string;
}

/** The v1 controllers whose hierarchies the kubelet's Validate looks in (its allowlist; hugetlb only when mounted). */
const VALIDATED_V1 = ['cpu', 'cpuacct', 'cpuset', 'memory', 'systemd', 'pids', 'hugetlb'] as const;
/** The controllers a v2 cgroup must have enabled (getSupportedUnifiedControllers, less those the root lacks). */
const NEEDED_V2 = ['cpu', 'cpuset', 'hugetlb', 'memory', 'pids'] as const;

/** Limits as the kubelet's ResourceConfig carries them: each only when the reservation names its resource. */
export interface ReservedCgroupConfig {
  cpuShares?: number;
  memoryBytes?: number;
  pidsLimit?: number;
}

export class CgroupEnforcementError extends Error {}

/** A cgroupfs name's components (ParseCgroupfsToCgroupName), '/a/b' → ['a', 'b']. */
export function cgroupNameComponents(name: string): string[] {
  return name.split('/').filter(Boolean);
}

/** How the kubelet's messages print a CgroupName (%q of its components): ["system.slice"]. */
export function cgroupNameQ(name: string): string {
  return `[${cgroupNameComponents(name).map((c) => JSON.stringify(c)).join(' ')}]`;
}

/**
 * getCgroupConfig of a reservation: undefined for none (a nil ResourceList); with
 * `compressibleOnly` (the -compressible enforcements) its cpu alone.
 */
export function reservedCgroupConfig(rl: Record<string, string> | undefined, compressibleOnly = false): ReservedCgroupConfig | undefined {
  if (!rl) return undefined;
  const rc: ReservedCgroupConfig = {};
  if (rl.memory !== undefined && !compressibleOnly) rc.memoryBytes = quantityToValue(rl.memory);
  if (rl.cpu !== undefined) rc.cpuShares = milliCPUToShares(quantityToMilli(rl.cpu));
  if (rl.pid !== undefined && !compressibleOnly) rc.pidsLimit = quantityToValue(rl.pid);
  return rc;
}

function defaultHierarchies(): CgroupHierarchies {
  const l = cgroupLayout();
  return { mode: l.mode, hierarchies: l.hierarchies.map((h) => ({ mount: h.mount, controllers: h.controllers.map((c) => c.replace(/^name=/, '')) })), unifiedMount: '/sys/fs/cgroup' };
}

const exists = (p: string) => fsp.access(p).then(() => true, () => false);

/**
 * cgroupManager.Validate: on v1 the cgroup's directory in each mounted hierarchy of the
 * allowlisted controllers ('cgroup ["x"] has some missing paths: /sys/fs/cgroup/cpu/x, ...'),
 * on v2 the controllers the kubelet needs enabled in it.
 */
export async function validateCgroup(name: string, h: CgroupHierarchies = defaultHierarchies()): Promise<void> {
  const rel = `/${cgroupNameComponents(name).join('/')}`;
  if (h.mode === 'v2') {
    const dir = join(h.unifiedMount ?? '/sys/fs/cgroup', rel);
    let enabled: string[];
    try {
      enabled = (await fsp.readFile(join(dir, 'cgroup.controllers'), 'utf8')).trim().split(/\s+/).filter(Boolean);
    } catch (e) {
      throw new CgroupEnforcementError(`could not read controllers for cgroup ${cgroupNameQ(name)}: open ${join(dir, 'cgroup.controllers')}: ${errnoText(e)}`);
    }
    const available = await fsp.readFile(join(h.unifiedMount ?? '/sys/fs/cgroup', 'cgroup.controllers'), 'utf8').then((t) => t.trim().split(/\s+/), () => [...NEEDED_V2]);
    const missing = NEEDED_V2.filter((c) => available.includes(c) && !enabled.includes(c));
    if (missing.length) throw new CgroupEnforcementError(`cgroup ${cgroupNameQ(name)} has some missing controllers: ${missing.join(', ')}`);
    return;
  }
  const missing: string[] = [];
  for (const c of VALIDATED_V1) {
    const hier = h.hierarchies.find((x) => x.controllers.includes(c));
    if (!hier) continue;
    const p = join(hier.mount, rel);
    if (!(await exists(p))) missing.push(p);
  }
  if (missing.length) throw new CgroupEnforcementError(`cgroup ${cgroupNameQ(name)} has some missing paths: ${missing.join(', ')}`);
}

/** Go's text of a system call's errno, as an *os.PathError prints it. */
function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const texts: Record<string, string> = { ENOENT: 'no such file or directory', EBUSY: 'device or resource busy', EINVAL: 'invalid argument', EACCES: 'permission denied', EPERM: 'operation not permitted' };
  return (code && texts[code]) ?? (e as Error).message;
}

/** libcontainer's cgroups.WriteFile: 'failed to write "100": write <file>: invalid argument'. */
async function writeCgroupFile(file: string, value: string): Promise<void> {
  try {
    await fsp.writeFile(file, value);
  } catch (e) {
    const err = new CgroupEnforcementError(`failed to write ${JSON.stringify(value)}: write ${file}: ${errnoText(e)}`);
    (err as { code?: string }).code = (e as NodeJS.ErrnoException).code;
    throw err;
  }
}

/**
 * cgroupManager.Update of the limits on an existing cgroup, in the order libcontainer's fs
 * manager sets its controllers (memory, cpu, pids). A memory limit below what the cgroup already
 * uses is refused by the kernel with EBUSY, told as libcontainer's setMemory tells it.
 */
export async function updateCgroup(name: string, rc: ReservedCgroupConfig, h: CgroupHierarchies = defaultHierarchies()): Promise<void> {
  const rel = `/${cgroupNameComponents(name).join('/')}`;
  if (h.mode === 'v2') {
    const dir = join(h.unifiedMount ?? '/sys/fs/cgroup', rel);
    if (rc.memoryBytes) await writeCgroupFile(join(dir, 'memory.max'), String(rc.memoryBytes));
    if (rc.cpuShares) await writeCgroupFile(join(dir, 'cpu.weight'), String(cpuSharesToWeight(rc.cpuShares)));
    if (rc.pidsLimit) await writeCgroupFile(join(dir, 'pids.max'), rc.pidsLimit < 0 ? 'max' : String(rc.pidsLimit));
    return;
  }
  const dirOf = (c: string) => {
    const hier = h.hierarchies.find((x) => x.controllers.includes(c));
    return hier ? join(hier.mount, rel) : undefined;
  };
  const mem = dirOf('memory');
  if (mem && rc.memoryBytes) {
    try {
      await writeCgroupFile(join(mem, 'memory.limit_in_bytes'), String(rc.memoryBytes));
    } catch (e) {
      if ((e as { code?: string }).code !== 'EBUSY') throw e;
      const read = (f: string) => fsp.readFile(join(mem, f), 'utf8').then((t) => t.trim(), () => '0');
      throw new CgroupEnforcementError(`unable to set memory limit to ${rc.memoryBytes} (current usage: ${await read('memory.usage_in_bytes')}, peak usage: ${await read('memory.max_usage_in_bytes')})`);
    }
  }
  const cpu = dirOf('cpu');
  if (cpu && rc.cpuShares) await writeCgroupFile(join(cpu, 'cpu.shares'), String(rc.cpuShares));
  const pids = dirOf('pids');
  if (pids && rc.pidsLimit) await writeCgroupFile(join(pids, 'pids.max'), rc.pidsLimit < 0 ? 'max' : String(rc.pidsLimit));
}

/** enforceExistingCgroup: the reservation's limits (its cpu alone when `compressibleOnly`) on the cgroup, which must exist. */
export async function enforceExistingCgroup(name: string, rl: Record<string, string> | undefined, h: CgroupHierarchies = defaultHierarchies(), compressibleOnly = false): Promise<void> {
  const rc = reservedCgroupConfig(rl, compressibleOnly);
  if (!rc) throw new CgroupEnforcementError(`${cgroupNameQ(name)} cgroup is not configured properly`);
  await validateCgroup(name, h);
  await updateCgroup(name, rc, h);
}

export interface ReservedEnforcement {
  enforceNodeAllocatable?: string[];
  systemReserved?: Record<string, string>;
  kubeReserved?: Record<string, string>;
  systemReservedCgroup?: string;
  kubeReservedCgroup?: string;
}

/**
 * The system-reserved then the kube-reserved part of enforceNodeAllocatableCgroups. Each success
 * is a NodeAllocatableEnforced event ('Updated limits on system reserved cgroup /system.slice');
 * the first failure a FailedNodeAllocatableEnforcement event and the error that stops the agent
 * ('Failed to enforce System Reserved Cgroup Limits on "/system.slice": cgroup ["system.slice"]
 * has some missing paths: ...').
 */
export async function enforceReservedCgroups(
  cfg: ReservedEnforcement,
  nodeEvent: (type: 'Normal' | 'Warning', reason: string, message: string) => void,
  h?: CgroupHierarchies,
): Promise<void> {
  const keys = cfg.enforceNodeAllocatable ?? ['pods'];
  const system = { name: 'system reserved', cgroup: cfg.systemReservedCgroup ?? '', rl: cfg.systemReserved };
  const kube = { name: 'kube reserved', cgroup: cfg.kubeReservedCgroup ?? '', rl: cfg.kubeReserved };
  // (in enforceNodeAllocatableCgroups' order; the -compressible ones limit the cpu alone)
  const parts = [
    { key: 'system-reserved', what: 'System Reserved', compressible: false, ...system },
    { key: 'kube-reserved', what: 'Kube Reserved', compressible: false, ...kube },
    { key: 'system-reserved-compressible', what: 'System Reserved Compressible', compressible: true, ...system },
    { key: 'kube-reserved-compressible', what: 'Kube Reserved Compressible', compressible: true, ...kube },
  ];
  for (const p of parts) {
    if (!keys.includes(p.key)) continue;
    try {
      await enforceExistingCgroup(p.cgroup, p.rl, h, p.compressible);
    } catch (e) {
      const message = `Failed to enforce ${p.what} Cgroup Limits on ${JSON.stringify(p.cgroup)}: ${(e as Error).message}`;
      nodeEvent('Warning', 'FailedNodeAllocatableEnforcement', message);
      throw new CgroupEnforcementError(message, { cause: e });
    }
    nodeEvent('Normal', 'NodeAllocatableEnforced', `Updated limits on ${p.name} cgroup ${p.cgroup}`);
  }
}
