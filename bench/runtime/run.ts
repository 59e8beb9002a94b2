// Benchmark: create + start + stop + remove of a container whose image is present, next to
// plain `runc run` of the same bundle (the floor), interleaved in one run.
// Usage: npx vite-node bench/runtime/run.ts [--runs 100] [--out bench/results/runtime.json]
import { promises as fsp } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Runtime, cleanupAll } from '../../pkg/runtime/index.js';
import { prepareFloor } from './floor.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
  const r = (n: number) => Math.round(n * 100) / 100;
  return { median: r(q(0.5)), p99: r(q(0.99)), mean: r(s.reduce((a, b) => a + b, 0) / s.length), min: r(s[0]), max: r(s[s.length - 1]) };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the runtime benchmark needs root');
  const runs = Number(arg('runs', '100'));
  const warmup = 5;
  const out = arg('out', 'bench/results/runtime.json');
  const root = await fsp.mkdtemp(join(tmpdir(), 'tsk-bench-'));
  try {
    const rt = await Runtime.open({ root });
    await rt.buildBusybox('busybox:bench');
    const sb = await rt.runPodSandbox({ name: 'bench', namespace: 'default', uid: `bench-${process.pid}`, hostname: 'bench' });
    const config = { image: 'busybox:bench', command: ['true'] };

    // The floor: `runc run` of the very spec our runtime generates, over its own overlay root.
    const floorRunner = await prepareFloor(rt, root, 'busybox:bench');

    const ours: number[] = [];
    const floor: number[] = [];
    const phases = { create: [] as number[], start: [] as number[], stop: [] as number[], remove: [] as number[] };
    for (let i = 0; i < runs + warmup; i++) {
      const f = await floorRunner.runOnce();

      let t = performance.now();
      const id = await rt.createContainer(sb, { name: `c${i}`, ...config });
      const t1 = performance.now();
      await rt.startContainer(id);
      const t2 = performance.now();
      await rt.stopContainer(id, 10);
      const t3 = performance.now();
      await rt.removeContainer(id);
      const t4 = performance.now();
      if (i < warmup) continue;
      floor.push(f);
      ours.push(t4 - t);
      phases.create.push(t1 - t);
      phases.start.push(t2 - t1);
      phases.stop.push(t3 - t2);
      phases.remove.push(t4 - t3);
    }
    await floorRunner.close();
    await rt.removePodSandbox(sb);

    const result = {
      benchmark: 'runtime: create+start+stop+remove of busybox `true` (image present) vs `runc run` of the same bundle',
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
      runs,
      unit: 'ms',
      tskube: stats(ours),
      runcRun: stats(floor),
      ratioMedian: Math.round((stats(ours).median / stats(floor).median) * 100) / 100,
      ratioP99: Math.round((stats(ours).p99 / stats(floor).p99) * 100) / 100,
      phasesMedian: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, stats(v).median])),
      target: 'tskube median <= 2x runc run median',
    };
    await fsp.mkdir(dirname(out), { recursive: true });
    await fsp.writeFile(out, JSON.stringify(result, null, 2) + '\n');
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await cleanupAll(root);
  }
}

await main();
