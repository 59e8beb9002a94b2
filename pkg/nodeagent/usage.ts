// Resource usage of the node and its pods for the metrics API (`kubectl top`), the part the
// kubelet's resource metrics and metrics-server play together: CPU is a rate, so usage is the
// difference of two samples of cumulative CPU time. A request reuses the sample the previous one
// took when it is between 1 s and 60 s old and covers every running container; otherwise it
// samples twice, a second apart.
import { readFile } from 'node:fs/promises';
import { ContainerState, type RuntimeService } from '../runtime/types.js';
import { containerNameLabel, podNameLabel, podNamespaceLabel, podUidLabel } from './container-labels.js';

interface Sample {
  at: number;
  nodeCpuNs: number;
  nodeMemoryBytes: number;
  containers: Map<string, { pod: string; namespace: string; uid: string; name: string; cpuNs: number; memory: number }>;
}

export interface UsageReport {
  timestamp: string;
  /** The span the CPU rates were measured over, in seconds. */
  windowSeconds: number;
  node: { cpuNanoCores: number; memoryWorkingSetBytes: number };
  pods: { namespace: string; name: string; uid: string; containers: { name: string; cpuNanoCores: number; memoryWorkingSetBytes: number }[] }[];
}

/** Busy CPU time of the whole node from /proc/stat (USER_HZ ticks are 10 ms). */
export async function nodeCpuNs(): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!;
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number) as number[];
  return (user! + nice! + system! + irq! + softirq! + (steal ?? 0)) * 10_000_000;
}

/** Memory in use on the node: total minus what the kernel reports available. */
export async function nodeMemoryBytes(): Promise<number> {
  const info = await readFile('/proc/meminfo', 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(info)?.[1] ?? 0) * 1024;
  return kb('MemTotal') - kb('MemAvailable');
}

export class UsageSampler {
  private last: Sample | undefined;

  constructor(private readonly runtime: Pick<RuntimeService, 'listContainers' | 'containerStats'>) {}

  private async sample(): Promise<Sample> {
    const containers: Sample['containers'] = new Map();
    const running = (await this.runtime.listContainers()).filter((c) => c.state === ContainerState.Running);
    await Promise.all(
      running.map(async (c) => {
        const st = await this.runtime.containerStats(c.id).catch(() => undefined);
        if (!st) return; // gone meanwhile
        containers.set(c.id, { pod: c.labels[podNameLabel] ?? '', namespace: c.labels[podNamespaceLabel] ?? '', uid: c.labels[podUidLabel] ?? '', name: c.labels[containerNameLabel] ?? c.metadata.name, cpuNs: st.cpuNs, memory: st.memoryWorkingSetBytes });
      }),
    );
    const [cpu, memory] = await Promise.all([nodeCpuNs(), nodeMemoryBytes()]);
    return { at: Date.now(), nodeCpuNs: cpu, nodeMemoryBytes: memory, containers };
  }

  async report(): Promise<UsageReport> {
    let prev = this.last;
    let now = await this.sample();
    // A container started since the last sample has no rate from it: sample twice then, so that
    // a pod just started shows up at once (metrics-server would need its next scrape).
    const fresh = prev && [...now.containers.keys()].some((id) => !prev!.containers.has(id));
    if (!prev || fresh || now.at - prev.at < 1000 || now.at - prev.at > 60_000) {
      prev = now;
      await new Promise((r) => setTimeout(r, 1000));
      now = await this.sample();
    }
    this.last = now;
    const seconds = (now.at - prev.at) / 1000;
    const rate = (a: number, b: number) => Math.max(0, Math.round((b - a) / seconds));
    const pods = new Map<string, UsageReport['pods'][number]>();
    for (const [id, c] of now.containers) {
      const before = prev.containers.get(id);
      if (!before) continue; // started between the samples: no rate yet, as metrics-server leaves it out
      const key = `${c.namespace}/${c.pod}/${c.uid}`;
      let p = pods.get(key);
      if (!p) pods.set(key, (p = { namespace: c.namespace, name: c.pod, uid: c.uid, containers: [] }));
      p.containers.push({ name: c.name, cpuNanoCores: rate(before.cpuNs, c.cpuNs), memoryWorkingSetBytes: c.memory });
    }
    return {
      timestamp: new Date(now.at).toISOString(),
      windowSeconds: Math.round(seconds * 1000) / 1000,
      node: { cpuNanoCores: rate(prev.nodeCpuNs, now.nodeCpuNs), memoryWorkingSetBytes: now.nodeMemoryBytes },
      pods: [...pods.values()],
    };
  }
}
