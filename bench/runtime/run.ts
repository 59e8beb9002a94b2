// Benchmark: create + start + stop + remove of a container whose image is present, next to
// plain `runc run` of the same bundle (the floor), interleaved in one run.
// Usage: npx vite-node bench/runtime/run.ts [--runs 100] [--out bench/results/runtime.json]
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Runtime, cleanupAll } from '../../pkg/runtime/index.js';
import { mountRootfs, unmountRootfs } from '../../pkg/runtime/snapshots.js';

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

function runcRun(runc: string, root: string, bundle: string, id: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(runc, ['--root', root, 'run', '-b', bundle, id], { stdio: 'ignore' });
    c.on('error', reject);
    c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`runc run exited ${code}`))));
  });
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

    // The floor's bundle: the very spec our runtime generated, over its own overlay root.
    const probe = await rt.createContainer(sb, { name: 'probe', ...config });
    const spec = JSON.parse(await fsp.readFile(join(root, 'containers', probe, 'config.json'), 'utf8'));
    await rt.removeContainer(probe);
    const bundle = join(root, 'floor');
    const img = await rt.images.get('busybox:bench');
    const rootfs = await mountRootfs(bundle, await rt.unpack(img));
    spec.root.path = rootfs.merged;
    const runcRoot = join(root, 'runc-floor');

    const ours: number[] = [];
    const floor: number[] = [];
    const phases = { create: [] as number[], start: [] as number[], stop: [] as number[], remove: [] as number[] };
    for (let i = 0; i < runs + warmup; i++) {
      spec.linux.cgroupsPath = `${dirname(spec.linux.cgroupsPath)}/floor-${i}`;
      await fsp.writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
      let t = performance.now();
      await runcRun(rt.runc.binary, runcRoot, bundle, `floor-${i}`);
      const f = performance.now() - t;

      t = performance.now();
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
    await unmountRootfs(bundle);
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
