// Containers outlive the process that started them: the owner is killed with SIGKILL, and a new
// runtime instance on the same root finds the running container, the exit code of the one that
// ended meanwhile, and its logs.
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainerState, Runtime, cleanupAll } from '../../pkg/runtime/index.js';
import { cgroupExists, removeCgroup } from '../../pkg/runtime/cgroups.js';
import { netnsName } from '../../pkg/runtime/sandbox.js';
import { hostSnapshot, isRoot, tempRoot, waitFor } from './helpers.js';

const VITE_NODE = join(process.cwd(), 'node_modules/.bin/vite-node');
/**
 * The cgroup the owner's pod cgroup goes under: the test's own, as test clusters' /tskube-e2e-*,
 * removed after it. The default /tskube is the running cluster's pods cgroup (whose agent takes a
 * pod cgroup it has no sandbox for as an orphan and kills what runs in it), and on a machine
 * without one the test left it behind, empty, once its pod cgroup went.
 */
const CGROUP_PARENT = `/tskube-e2e-restart-${process.pid}`;

describe.skipIf(!isRoot)('runtime restart (root)', () => {
  let root: string;
  let layout: string;

  beforeAll(async () => {
    root = await tempRoot();
    const builder = await Runtime.open({ root: await tempRoot() });
    try {
      await builder.buildBusybox('busybox:conformance');
      layout = join(await tempRoot('tsk-layout-'), 'busybox.tar');
      await builder.exportImage('busybox:conformance', layout);
    } finally {
      await cleanupAll(builder.root);
    }
  });
  afterAll(async () => {
    if (root) await cleanupAll(root);
    await removeCgroup(CGROUP_PARENT).catch(() => {});
    if (layout) await fsp.rm(join(layout, '..'), { recursive: true, force: true });
  });

  it('finds running containers and exit codes of those that ended while nobody watched', async () => {
    const before = hostSnapshot(root);
    const child = spawn(VITE_NODE, ['test/runtime/fixtures/owner.ts', root, layout, CGROUP_PARENT], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let err = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    let ids: { sandbox: string; long: string; short: string; pid: number };
    try {
      ids = await waitFor(async () => {
        if (child.exitCode !== null) throw new Error(`owner exited ${child.exitCode}: ${err}`);
        const line = out.split('\n').find((l) => l.startsWith('{'));
        return line ? (JSON.parse(line) as typeof ids) : undefined;
      }, 60_000, 'the owner to start its containers');
    } finally {
      process.kill(-child.pid!, 'SIGKILL');
    }
    await new Promise((r) => child.once('exit', r));

    // The short container ends while no runtime process exists.
    await new Promise((r) => setTimeout(r, 2500));

    const rt = await Runtime.open({ root });
    const sandboxes = await rt.listPodSandbox();
    expect(sandboxes.map((s) => s.id)).toEqual([ids.sandbox]);
    const long = await rt.containerStatus(ids.long);
    expect(long.state).toBe(ContainerState.Running);
    const short = await rt.containerStatus(ids.short);
    expect(short).toMatchObject({ state: ContainerState.Exited, exitCode: 7, reason: 'Error' });
    let shortLogs = '';
    for await (const l of rt.readLogs(ids.short)) shortLogs += l;
    expect(shortLogs).toBe('before\nafter\n');
    // Output of the survivor kept flowing into its log while the owner was dead.
    const ticks = async () => {
      let s = '';
      for await (const l of rt.readLogs(ids.long)) s += l;
      return s.split('\n').filter(Boolean).length;
    };
    const n = await ticks();
    expect(n).toBeGreaterThan(10);
    await waitFor(async () => (await ticks()) > n, 5000, 'more log lines');
    expect((await rt.execSync(ids.long, ['hostname'])).stdout).toBe('survivor\n');

    await rt.stopContainer(ids.long, 0);
    expect(await rt.containerStatus(ids.long)).toMatchObject({ state: ContainerState.Exited, exitCode: 137 });
    const cg = sandboxes[0].cgroupParent;
    expect(cg).toBe(`${CGROUP_PARENT}/podowner-${ids.pid}`);
    expect(hostSnapshot(root).netns).toContain(netnsName(ids.sandbox));
    await rt.removePodSandbox(ids.sandbox);
    const after = hostSnapshot(root);
    expect(after.mountsUnder).toEqual(before.mountsUnder.length ? before.mountsUnder : [join(root, 'ns')]);
    // (its own is gone; a running cluster's pods' come and go meanwhile)
    expect(after.netns).not.toContain(netnsName(ids.sandbox));
    expect(await cgroupExists(cg)).toEqual([]);
    expect(after.monitors.filter((p) => !before.monitors.includes(p))).toEqual([]);
  });
});
