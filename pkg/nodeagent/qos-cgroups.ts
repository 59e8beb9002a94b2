// The node's pods cgroup and its QoS tiers, laid out as the 1.32 kubelet's container manager does
// with --cgroups-per-qos (the default), the cgroupfs driver and --enforce-node-allocatable=pods:
// the pods cgroup (--cgroup-root here; the kubelet's "kubepods") holds the cgroups of Guaranteed
// pods itself, those of Burstable pods under burstable/ and of BestEffort pods under besteffort/
// (qos_container_manager_linux.go, pod_container_manager_linux.go). The root is capped at the
// node allocatable for pods (node_container_manager_linux.go): its memory, cpu.shares for its cpu
// and pids.max at the node's task limit, so that pods together cannot take the memory or PIDs
// the node itself needs. besteffort keeps the minimum cpu.shares, so its pods get CPU only when
// no one else wants it; burstable has the shares of its pods' cpu requests, brought up to date
// before a pod cgroup is made and every minute (UpdateCgroups), so that a busy Burstable pod
// cannot take CPU from a Guaranteed one beyond what the Burstable pods requested.
import { promises as fsp, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { effectivePodRequests, podQOSClass, type QOSClass } from '../api/defaults.js';
import type { Pod } from '../api/types.js';
import { cgroupLayout, cgroupPids, controllerMount, ensurePodCgroup, podCgroupPath, PODS_CGROUP_RECORD, removeCgroup, removePodsCgroup } from '../runtime/cgroups.js';
import { cgroupStats } from '../runtime/cgroup-stats.js';
import type { LinuxResources } from '../runtime/types.js';
import { logger } from '../util/log.js';

const log = logger('nodeagent');

/** The kubelet's MinShares and MaxShares (helpers_linux.go). */
export const MIN_SHARES = 2;
const MAX_SHARES = 262_144;
/** How often the tiers are brought up to date besides when a pod cgroup is made (periodicQOSCgroupUpdateInterval). */
const QOS_UPDATE_MS = 60_000;

/** The kubelet's MilliCPUToShares: 1024 shares a CPU, no fewer than 2 nor more than 262144. */
export function milliCPUToShares(milliCPU: number): number {
  if (milliCPU === 0) return MIN_SHARES;
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, Math.floor((milliCPU * 1024) / 1000)));
}

/** The cgroup a pod's cgroup goes under (GetPodContainerName): the root for a Guaranteed pod, its QoS tier's otherwise. */
export function qosCgroupParent(root: string, qos: QOSClass): string {
  const r = root.replace(/\/+$/, '');
  if (qos === 'Guaranteed') return r || '/';
  return `${r}/${qos.toLowerCase()}`;
}

/** The burstable tier's cpu.shares (setCPUCgroupConfig): the shares of the cpu requests of the active Burstable pods, summed. */
export function burstableCpuShares(pods: Pod[]): number {
  let milli = 0;
  for (const p of pods) if (podQOSClass(p) === 'Burstable') milli += effectivePodRequests(p).cpu ?? 0;
  return milliCPUToShares(milli);
}

/** Amounts of cpu (milli-CPUs), memory (bytes) and tasks. */
export interface NodeAmounts {
  milliCPU: number;
  memoryBytes: number;
  pids?: number;
}

/**
 * The pods cgroup's limits (getCgroupConfig of getNodeAllocatableInternalAbsolute): node
 * allocatable for pods, which is the capacity less --system-reserved and --kube-reserved
 * (`reserved`, each never below 0), not less the hard eviction thresholds (the Node's allocatable
 * leaves those out as well; pods may use the memory above it until the eviction manager acts):
 * memory, cpu as shares, and the node's task limit less the reserved pids as pids.max.
 */
export function nodeAllocatableCgroupConfig(capacity: NodeAmounts, reserved: Partial<NodeAmounts> = {}): LinuxResources {
  const less = (a: number, b = 0) => Math.max(0, a - b);
  const r: LinuxResources = { cpuShares: milliCPUToShares(less(capacity.milliCPU, reserved.milliCPU)), memoryLimitInBytes: less(capacity.memoryBytes, reserved.memoryBytes) };
  if (capacity.pids) r.pidsLimit = less(capacity.pids, reserved.pids);
  return r;
}

/** The node's task limit, the kubelet's internal pid capacity (pidlimit.Stats): the smaller of kernel.pid_max and kernel.threads-max. */
export function nodePidLimit(read: (file: string) => string = (f) => readFileSync(f, 'utf8')): number | undefined {
  let limit: number | undefined;
  for (const f of ['/proc/sys/kernel/pid_max', '/proc/sys/kernel/threads-max']) {
    try {
      const v = Number(read(f).trim());
      if (Number.isInteger(v) && v > 0 && (limit === undefined || v < limit)) limit = v;
    } catch {
      // (unreadable: the other one, or none)
    }
  }
  return limit;
}

/** How the kubelet's message prints a cgroup name (%q of its CgroupName, the path's components): ["tskube"]. */
function cgroupNameQ(root: string): string {
  return `[${root.split('/').filter(Boolean).map((c) => JSON.stringify(c)).join(' ')}]`;
}

export interface QOSCgroupDeps {
  /** The node's capacity: cpu in milli-CPUs and memory in bytes. */
  capacity(): { milliCPU: number; memoryBytes: number };
  /** What --system-reserved and --kube-reserved set aside together (none when undefined). */
  reserved?(): Partial<NodeAmounts>;
  /** The pods the kubelet counts as active (activePods): the Burstable ones' cpu requests make the burstable tier's shares. */
  activePods(): Pod[];
  /** An event about the Node. */
  nodeEvent(type: 'Normal' | 'Warning', reason: string, message: string): void;
}

/** The pods cgroup and its QoS tiers of one node agent. */
export class QOSCgroups {
  private timer: NodeJS.Timeout | undefined;
  /** Updates run one at a time, in order. */
  private updating: Promise<void> = Promise.resolve();
  /** Whether node allocatable has been enforced on the root (and announced), or the last failure. */
  private enforced: true | Error | undefined;
  /** The pods cgroup an earlier run of the agent recorded, when it had another --cgroup-root. */
  private previousRoot: string | undefined;

  constructor(
    /** The pods cgroup (--cgroup-root), relative to each hierarchy. */
    readonly root: string,
    private readonly d: QOSCgroupDeps,
  ) {}

  /** The cgroup the pod's cgroup goes under. */
  parentOf(pod: Pod): string {
    return qosCgroupParent(this.root, podQOSClass(pod));
  }

  /** A QoS tier's cgroup. */
  tier(qos: 'Burstable' | 'BestEffort'): string {
    return qosCgroupParent(this.root, qos);
  }

  /**
   * Makes the pods cgroup with node allocatable's limits and the QoS tiers, and records the root
   * in the runtime's root for the clean-ups; then keeps the tiers up to date every minute.
   * Failing to limit the root does not stop the agent: it is retried with each update.
   */
  async start(runtimeRoot: string): Promise<void> {
    const record = join(runtimeRoot, PODS_CGROUP_RECORD);
    const previous = await fsp.readFile(record, 'utf8').then((t) => t.trim(), () => '');
    if (previous && previous !== this.root) this.previousRoot = previous;
    await fsp.writeFile(record, `${this.root}\n`);
    await this.update();
    this.timer = setInterval(() => void this.update().catch((e: Error) => log.warn('updating the QoS cgroups failed', { err: e.message })), QOS_UPDATE_MS);
  }

  /**
   * The NodeAllocatableEnforced event once the root is limited (recorded after the kubelet's
   * Starting), or FailedNodeAllocatableEnforcement with the failure, as enforceNodeAllocatableCgroups.
   */
  announce(): void {
    if (this.enforced === true) this.d.nodeEvent('Normal', 'NodeAllocatableEnforced', 'Updated Node Allocatable limit across pods');
    else if (this.enforced) this.d.nodeEvent('Warning', 'FailedNodeAllocatableEnforcement', `Failed to update Node Allocatable Limits ${cgroupNameQ(this.root)}: ${this.enforced.message}`);
  }

  /** Brings the tiers' cpu.shares up to date with the active pods (UpdateCgroups); before a pod cgroup is made, and every minute. */
  update(): Promise<void> {
    const next = this.updating.then(() => this.write());
    this.updating = next.catch(() => {});
    return next;
  }

  /**
   * Once the pods deleted while the agent was down are gone: the pods cgroup of an earlier run
   * under another --cgroup-root, with its tiers, when no pod is left in it (a pod still running
   * there keeps it, and cleanupAll removes it with its pod's tier).
   */
  async removeStale(): Promise<void> {
    if (this.previousRoot) await removePodsCgroup(this.previousRoot);
  }

  /**
   * The pod cgroups in the pods cgroup and its tiers that no sandbox has (one whose making was
   * cut short by a crash, or left by a teardown that was): what still runs in them is killed and
   * they are removed, as the kubelet's cleanupOrphanedPodCgroups does for pods no longer running.
   * `kept`: the pod cgroups of the runtime's sandboxes; `podUids`: the pods the agent knows,
   * whose cgroups a worker may be making right now (the kubelet's possibly running pods), asked
   * again for each cgroup so that a pod arriving meanwhile keeps its own.
   * Returns those removed.
   */
  async removeOrphanPodCgroups(kept: Set<string>, podUids: () => Iterable<string>): Promise<string[]> {
    const known = (name: string) => [...podUids()].some((uid) => podCgroupPath('/', uid).slice(1) === name);
    const mount = cgroupLayout().mode === 'v2' ? '/sys/fs/cgroup' : controllerMount('cpu');
    if (!mount) return [];
    const removed: string[] = [];
    for (const parent of [qosCgroupParent(this.root, 'Guaranteed'), qosCgroupParent(this.root, 'Burstable'), qosCgroupParent(this.root, 'BestEffort')]) {
      const entries = await fsp.readdir(join(mount, parent), { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        const path = `${parent}/${e.name}`;
        if (!e.isDirectory() || !e.name.startsWith('pod') || kept.has(path) || known(e.name)) continue;
        for (const pid of await cgroupPids(path).catch(() => [])) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        await removeCgroup(path).then(
          () => removed.push(path),
          (err: Error) => log.warn('cannot remove an orphaned pod cgroup', { cgroup: path, err: err.message }),
        );
      }
    }
    if (removed.length) log.info('removed orphaned pod cgroups', { cgroups: removed });
    return removed;
  }

  /** Ends the periodic updates; resolves once the one under way (if any) has ended. */
  stop(): Promise<void> {
    clearInterval(this.timer);
    return this.updating;
  }

  /** The pods cgroup's counters and when it was made (its directory's change time), for the Summary's "pods" system container; undefined when unreadable. */
  async stats(): Promise<{ startTime: string; cpuNs: number; memoryUsageBytes: number; memoryWorkingSetBytes: number; memoryRssBytes: number; memoryLimitBytes: number } | undefined> {
    try {
      const s = await cgroupStats(this.root);
      const dir = cgroupLayout().mode === 'v2' ? join('/sys/fs/cgroup', this.root) : join(controllerMount('cpu') ?? '/sys/fs/cgroup/cpu', this.root);
      const made = (await fsp.stat(dir)).ctime;
      return { startTime: made.toISOString().replace(/\.\d+Z$/, 'Z'), cpuNs: s.cpuNs, memoryUsageBytes: s.memoryUsageBytes, memoryWorkingSetBytes: s.memoryWorkingSetBytes, memoryRssBytes: s.memoryRssBytes, memoryLimitBytes: s.memoryLimitBytes };
    } catch {
      return undefined;
    }
  }

  private async write(): Promise<void> {
    if (this.enforced !== true) {
      const announced = this.enforced !== undefined;
      try {
        await ensurePodCgroup(this.root, nodeAllocatableCgroupConfig({ ...this.d.capacity(), pids: nodePidLimit() }, this.d.reserved?.()));
        this.enforced = true;
      } catch (e) {
        this.enforced = e as Error;
        log.warn('cannot limit the pods cgroup to node allocatable', { cgroup: this.root, err: (e as Error).message });
      }
      // (a retry's outcome is announced at once; the first waits for announce())
      if (announced) this.announce();
    }
    await ensurePodCgroup(qosCgroupParent(this.root, 'BestEffort'), { cpuShares: MIN_SHARES });
    await ensurePodCgroup(qosCgroupParent(this.root, 'Burstable'), { cpuShares: burstableCpuShares(this.d.activePods()) });
    // (an earlier --cgroup-root's pods cgroup once its last pod has moved out: a pod still running
    // there at start is killed and made again under this root, its old cgroup removed first)
    if (this.previousRoot) await removePodsCgroup(this.previousRoot).catch(() => {});
  }
}
