// cleanupAll removes the node's recorded pods cgroup whole: a pod cgroup no sandbox record names
// any more (its removal failed while a process was still exiting), with a process still in it,
// goes with its QoS tier and the root; before, the tier and the root stayed behind for good.
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupAll } from '../../pkg/runtime/index.js';
import { cgroupExists, cgroupLayout, PODS_CGROUP_RECORD, removeCgroup } from '../../pkg/runtime/cgroups.js';
import { isRoot, tempRoot, waitFor } from './helpers.js';

describe.skipIf(!isRoot || cgroupLayout().mode === 'v2')('cleanupAll and the pods cgroup (root, cgroup v1)', () => {
  it('removes a leftover pod cgroup in a QoS tier, killing what runs in it, then the tier and the root', async () => {
    const root = await tempRoot();
    const podsCgroup = `/tskube-cleanup-${Math.random().toString(36).slice(2, 6)}`;
    const pod = `${podsCgroup}/besteffort/podleftover`;
    const sleeper = spawn('sleep', ['300'], { stdio: 'ignore' });
    try {
      for (const h of cgroupLayout().hierarchies) {
        // (the controllers pod cgroups are made in, as ensurePodCgroup makes them)
        if (!h.controllers.some((c) => ['cpu', 'cpuacct', 'memory', 'pids'].includes(c))) continue;
        await fsp.mkdir(join(h.mount, pod), { recursive: true });
        await fsp.writeFile(join(h.mount, pod, 'cgroup.procs'), String(sleeper.pid));
      }
      await fsp.writeFile(join(root, PODS_CGROUP_RECORD), `${podsCgroup}\n`);
      await cleanupAll(root);
      await waitFor(async () => sleeper.exitCode !== null || sleeper.signalCode !== null, 5000, 'the leftover process killed');
      expect(sleeper.signalCode).toBe('SIGKILL');
      expect(await cgroupExists(podsCgroup)).toEqual([]);
    } finally {
      // (on a failure too: the cgroups this test made, after their process)
      sleeper.kill('SIGKILL');
      await waitFor(async () => sleeper.exitCode !== null || sleeper.signalCode !== null, 5000, 'the process gone').catch(() => {});
      await removeCgroup(podsCgroup).catch(() => {});
      await fsp.rm(root, { recursive: true, force: true });
    }
  });
});
