import { describe, expect, it } from 'vitest';
import { ContainerState, type ContainerStatus } from '../runtime/types.js';
import { UsageSampler } from './usage.js';

/** A runtime whose containers burn `millicores` each, in real time. */
function fakeRuntime(containers: { id: string; pod: string; name: string; millicores: number }[]) {
  const t0 = Date.now();
  return {
    containers,
    async listContainers() {
      return containers.map((c) => ({ id: c.id, state: ContainerState.Running, metadata: { name: c.name, attempt: 0 }, labels: { 'io.kubernetes.pod.name': c.pod, 'io.kubernetes.pod.namespace': 'default', 'io.kubernetes.pod.uid': `uid-${c.pod}`, 'io.kubernetes.container.name': c.name } }) as unknown as ContainerStatus);
    },
    async containerStats(id: string) {
      const c = containers.find((x) => x.id === id)!;
      return { cpuNs: (Date.now() - t0) * 1e6 * (c.millicores / 1000), memoryWorkingSetBytes: 5 << 20 };
    },
  };
}

describe('usage for kubectl top', () => {
  it('gives CPU as a rate over two samples, per container and grouped by pod, and the node\'s own figures', async () => {
    const rt = fakeRuntime([{ id: 'a', pod: 'web', name: 'app', millicores: 250 }, { id: 'b', pod: 'web', name: 'side', millicores: 0 }]);
    const s = new UsageSampler(rt);
    const r = await s.report(); // no earlier sample: two, a second apart
    expect(r.windowSeconds).toBeGreaterThanOrEqual(1);
    expect(r.pods).toHaveLength(1);
    const app = r.pods[0]!.containers.find((c) => c.name === 'app')!;
    expect(app.cpuNanoCores / 1e6).toBeGreaterThan(200);
    expect(app.cpuNanoCores / 1e6).toBeLessThan(300);
    expect(r.pods[0]!.containers.find((c) => c.name === 'side')!.cpuNanoCores).toBe(0);
    expect(app.memoryWorkingSetBytes).toBe(5 << 20);
    expect(r.node.memoryWorkingSetBytes).toBeGreaterThan(0);
    expect(r.node.cpuNanoCores).toBeGreaterThanOrEqual(0);
  });

  it('reuses the previous sample when it is recent, and samples again when a container is new', async () => {
    const rt = fakeRuntime([{ id: 'a', pod: 'web', name: 'app', millicores: 100 }]);
    const s = new UsageSampler(rt);
    await s.report();
    await new Promise((r) => setTimeout(r, 1100));
    let t = Date.now();
    const again = await s.report();
    expect(Date.now() - t).toBeLessThan(500); // no second wait
    expect(again.windowSeconds).toBeGreaterThanOrEqual(1);
    rt.containers.push({ id: 'c', pod: 'new', name: 'fresh', millicores: 500 });
    await new Promise((r) => setTimeout(r, 1100));
    t = Date.now();
    const withNew = await s.report();
    expect(Date.now() - t).toBeGreaterThanOrEqual(900); // sampled twice for the new container
    expect(withNew.pods.map((p) => p.name).sort()).toEqual(['new', 'web']);
  });
});
