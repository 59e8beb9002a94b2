// The eviction signals measured on the node, as the kubelet's summary provider gives them:
// memory.available is capacity minus the root cgroup's working set (usage minus inactive file
// cache), nodefs.* is the filesystem of the agent's data dir, imagefs.* the image store's,
// pid.available the PID limit minus the tasks that exist.
import { readFile, statfs } from 'node:fs/promises';
import { cgroupLayout } from '../runtime/cgroups.js';
import type { Signal } from './eviction-thresholds.js';

export interface Observation {
  available: number;
  capacity: number;
}
export type Observations = Map<Signal, Observation>;

export interface FsStats {
  capacityBytes: number;
  availableBytes: number;
  inodes: number;
  inodesFree: number;
}

/** What the signals are read from; the real one reads cgroupfs, /proc and statfs, tests fake it. */
export interface NodeStatsReader {
  /** usage and rss too for the Summary API (fakes may leave them out). */
  memory(): Promise<{ capacity: number; workingSet: number; usage?: number; rss?: number }>;
  fs(path: string): Promise<FsStats>;
  pids(): Promise<{ max: number; running: number }>;
}

type ReadText = (path: string) => Promise<string>;

const statValue = (stat: string, key: string) => Number(new RegExp(`^${key} (\\d+)$`, 'm').exec(stat)?.[1] ?? 0);
const meminfoBytes = (info: string, key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(info)?.[1] ?? 0) * 1024;

/**
 * The node's memory capacity and working set from the root cgroup. v1: memory.usage_in_bytes
 * minus total_inactive_file; v2 (no usage file at the root): MemTotal - MemFree minus the root's
 * inactive_file, as cAdvisor computes it.
 */
export async function readNodeMemory(read: ReadText, v2: boolean, memoryMount = '/sys/fs/cgroup/memory'): Promise<{ capacity: number; workingSet: number; usage: number; rss: number }> {
  const info = await read('/proc/meminfo');
  const capacity = meminfoBytes(info, 'MemTotal');
  if (v2) {
    const stat = await read('/sys/fs/cgroup/memory.stat');
    const usage = capacity - meminfoBytes(info, 'MemFree');
    return { capacity, workingSet: Math.max(0, usage - statValue(stat, 'inactive_file')), usage, rss: statValue(stat, 'anon') };
  }
  const [usageText, stat] = await Promise.all([read(`${memoryMount}/memory.usage_in_bytes`), read(`${memoryMount}/memory.stat`)]);
  const usage = Number(usageText.trim());
  return { capacity, workingSet: Math.max(0, usage - statValue(stat, 'total_inactive_file')), usage, rss: statValue(stat, 'total_rss') };
}

/** The PID limit (the smaller of pid_max and threads-max) and the tasks that exist (/proc/loadavg's total). */
export async function readNodePids(read: ReadText): Promise<{ max: number; running: number }> {
  const [pidMax, threadsMax, loadavg] = await Promise.all([read('/proc/sys/kernel/pid_max'), read('/proc/sys/kernel/threads-max'), read('/proc/loadavg')]);
  const total = Number(/\d+\/(\d+)/.exec(loadavg)?.[1] ?? 0);
  return { max: Math.min(Number(pidMax.trim()), Number(threadsMax.trim())), running: total };
}

export const realStatsReader = (): NodeStatsReader => {
  const read: ReadText = (p) => readFile(p, 'utf8');
  const layout = cgroupLayout();
  const memoryMount = layout.hierarchies.find((h) => h.controllers.includes('memory'))?.mount ?? '/sys/fs/cgroup/memory';
  return {
    memory: () => readNodeMemory(read, layout.mode === 'v2', memoryMount),
    pids: () => readNodePids(read),
    async fs(path) {
      const s = await statfs(path);
      return { capacityBytes: s.blocks * s.bsize, availableBytes: s.bavail * s.bsize, inodes: s.files, inodesFree: s.ffree };
    },
  };
};

/** Every signal's observation: nodefs from `nodeDir`, imagefs from `imageDir` (the same filesystem or not). */
export async function observe(reader: NodeStatsReader, nodeDir: string, imageDir: string): Promise<Observations> {
  const [mem, nodefs, imagefs, pids] = await Promise.all([reader.memory(), reader.fs(nodeDir), reader.fs(imageDir), reader.pids()]);
  return new Map<Signal, Observation>([
    ['memory.available', { available: Math.max(0, mem.capacity - mem.workingSet), capacity: mem.capacity }],
    ['nodefs.available', { available: nodefs.availableBytes, capacity: nodefs.capacityBytes }],
    ['nodefs.inodesFree', { available: nodefs.inodesFree, capacity: nodefs.inodes }],
    ['imagefs.available', { available: imagefs.availableBytes, capacity: imagefs.capacityBytes }],
    ['imagefs.inodesFree', { available: imagefs.inodesFree, capacity: imagefs.inodes }],
    ['pid.available', { available: Math.max(0, pids.max - pids.running), capacity: pids.max }],
  ]);
}
