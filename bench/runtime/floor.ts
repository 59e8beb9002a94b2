// The floor for runtime and pod-startup benchmarks: plain `runc run` of busybox `true`, from the
// very OCI spec our runtime generates, over its own overlay root. Shared by bench/runtime and
// bench/podstartup so that both measure it in their own run.
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { Runtime } from '../../pkg/runtime/index.js';
import { mountRootfs, unmountRootfs } from '../../pkg/runtime/snapshots.js';

export interface Floor {
  /** Times one `runc run` (create, start, exit, delete) in ms. */
  runOnce(): Promise<number>;
  close(): Promise<void>;
}

function runcRun(runc: string, root: string, bundle: string, id: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(runc, ['--root', root, 'run', '-b', bundle, id], { stdio: 'ignore' });
    c.on('error', reject);
    c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`runc run exited ${code}`))));
  });
}

/** Builds the floor's bundle in `root` (a runtime state dir the caller cleans up) from `image`. */
export async function prepareFloor(rt: Runtime, root: string, image: string): Promise<Floor> {
  const sb = await rt.runPodSandbox({ name: 'floor', namespace: 'default', uid: `floor-${process.pid}`, hostname: 'floor' });
  const probe = await rt.createContainer(sb, { name: 'probe', image, command: ['true'] });
  const spec = JSON.parse(await fsp.readFile(join(root, 'containers', probe, 'config.json'), 'utf8'));
  await rt.removeContainer(probe);
  const bundle = join(root, 'floor');
  const rootfs = await mountRootfs(bundle, await rt.unpack((await rt.images.get(image))!));
  spec.root.path = rootfs.merged;
  const runcRoot = join(root, 'runc-floor');
  let i = 0;
  return {
    async runOnce() {
      const id = `floor-${i++}`;
      spec.linux.cgroupsPath = `${dirname(spec.linux.cgroupsPath)}/${id}`;
      await fsp.writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
      const t = performance.now();
      await runcRun(rt.runc.binary, runcRoot, bundle, id);
      return performance.now() - t;
    },
    async close() {
      await unmountRootfs(bundle);
      await rt.removePodSandbox(sb);
    },
  };
}
