import { describe, expect, it } from 'vitest';
import { observe, readNodeMemory, readNodePids, type NodeStatsReader } from './eviction-signals.js';

const files = (m: Record<string, string>) => async (p: string) => {
  if (!(p in m)) throw new Error(`ENOENT ${p}`);
  return m[p]!;
};
const meminfo = 'MemTotal:       2048000 kB\nMemFree:         512000 kB\nMemAvailable:   1024000 kB\n';

describe('eviction signals', () => {
  it('memory.available from the v1 root cgroup: capacity minus (usage - total_inactive_file)', async () => {
    const read = files({
      '/proc/meminfo': meminfo,
      '/sys/fs/cgroup/memory/memory.usage_in_bytes': '1000000000\n',
      '/sys/fs/cgroup/memory/memory.stat': 'cache 5\ninactive_file 1\ntotal_rss 300000000\ntotal_inactive_file 200000000\n',
    });
    expect(await readNodeMemory(read, false)).toEqual({ capacity: 2048000 * 1024, workingSet: 800_000_000, usage: 1_000_000_000, rss: 300_000_000 });
  });

  it('memory.available on cgroup v2: MemTotal - MemFree minus the root inactive_file', async () => {
    const read = files({ '/proc/meminfo': meminfo, '/sys/fs/cgroup/memory.stat': 'anon 1\ninactive_file 102400000\n' });
    expect(await readNodeMemory(read, true)).toEqual({ capacity: 2048000 * 1024, workingSet: (2048000 - 512000) * 1024 - 102400000, usage: (2048000 - 512000) * 1024, rss: 1 });
  });

  it('pid.available: the smaller of pid_max and threads-max, minus the tasks', async () => {
    const read = files({ '/proc/sys/kernel/pid_max': '4194304\n', '/proc/sys/kernel/threads-max': '32768\n', '/proc/loadavg': '0.10 0.20 0.30 2/768 12345\n' });
    expect(await readNodePids(read)).toEqual({ max: 32768, running: 768 });
  });

  it('observes every signal, nodefs and imagefs from their own directories', async () => {
    const seen: string[] = [];
    const reader: NodeStatsReader = {
      memory: async () => ({ capacity: 1000, workingSet: 900 }),
      pids: async () => ({ max: 100, running: 40 }),
      fs: async (p) => (seen.push(p), p === '/data' ? { capacityBytes: 500, availableBytes: 50, inodes: 80, inodesFree: 8 } : { capacityBytes: 300, availableBytes: 200, inodes: 30, inodesFree: 20 }),
    };
    const o = await observe(reader, '/data', '/data/runtime');
    expect(seen.sort()).toEqual(['/data', '/data/runtime']);
    expect(Object.fromEntries(o)).toEqual({
      'memory.available': { available: 100, capacity: 1000 },
      'nodefs.available': { available: 50, capacity: 500 },
      'nodefs.inodesFree': { available: 8, capacity: 80 },
      'imagefs.available': { available: 200, capacity: 300 },
      'imagefs.inodesFree': { available: 20, capacity: 30 },
      'pid.available': { available: 60, capacity: 100 },
    });
  });
});
