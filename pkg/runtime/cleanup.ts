// cleanupAll: remove every trace a runtime root left (processes, runc state, mounts, pod
// cgroups, pinned namespaces, files). Used by `tsctl down` and by tests, even after a crash.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { PODS_CGROUP_RECORD, QOS_TIERS, cgroupPids, removeCgroup, removeIfEmpty, removePodsCgroup } from './cgroups.js';
import { alive, conmonPidFile, readPid } from './monitor.js';
import { Runc } from './runc.js';
import type { SandboxRecord } from './sandbox.js';
import { loadAll, type ContainerRecord } from './state.js';
import { MNT_DETACH, umount, unmountAll } from './syscalls.js';
import { DEFAULT_ROOT } from './runtime.js';

export async function cleanupAll(root: string = DEFAULT_ROOT): Promise<void> {
  const runc = new Runc(join(root, 'runc'));
  const containers = await loadAll<ContainerRecord>(join(root, 'containers'), 'container.json');
  const sandboxes = await loadAll<SandboxRecord>(join(root, 'sandboxes'), 'sandbox.json');
  // 1. Processes: container inits (SIGKILL empties their pid namespaces), then monitors.
  for (const c of containers) {
    if (c.pid && alive(c.pid)) tryKill(c.pid);
  }
  for (const s of sandboxes) for (const pid of await cgroupPids(s.cgroupPath)) tryKill(pid);
  for (const c of containers) {
    const pid = c.conmonPid ?? (await readPid(conmonPidFile({ dir: c.dir })));
    if (pid && alive(pid)) {
      const end = Date.now() + 2000;
      while (alive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      if (alive(pid)) tryKill(pid);
    }
  }
  // 2. runc state (also removes the container cgroups).
  const listed = await runc.list().catch(() => []);
  for (const st of listed) await runc.delete(st.id, true).catch(() => {});
  // 3. Pinned namespaces, pod cgroups.
  for (const s of sandboxes) {
    for (const f of [s.netnsPath, s.ipcnsPath, s.utsnsPath]) {
      umount(f, MNT_DETACH);
      await fsp.rm(f, { force: true });
    }
    for (const pid of await cgroupPids(s.cgroupPath)) tryKill(pid);
    await removeCgroup(s.cgroupPath).catch(() => {});
  }
  for (const c of containers) await removeCgroup(c.cgroupPath).catch(() => {});
  for (const parent of new Set(sandboxes.map((s) => s.cgroupPath.replace(/\/[^/]+$/, '')).filter(Boolean))) {
    await removeIfEmpty(parent);
    // (a QoS tier's pods cgroup too, one an earlier --cgroup-root of the agent left with this pod)
    if ((QOS_TIERS as readonly string[]).includes(parent.replace(/^.*\//, ''))) await removePodsCgroup(parent.replace(/\/[^/]+$/, ''));
  }
  // The node agent's pods cgroup with its QoS tiers (burstable pods' parent is a tier), and
  // whatever is still in it: a pod cgroup whose removal failed (a process still exiting) while
  // its sandbox record went has no record left to find it by, and kept the tiers and the root.
  // The recorded root is this runtime's own, so all of it goes.
  const podsCgroup = await fsp.readFile(join(root, PODS_CGROUP_RECORD), 'utf8').then((t) => t.trim(), () => '');
  if (podsCgroup && podsCgroup !== '/') {
    for (const pid of await cgroupPids(podsCgroup)) tryKill(pid);
    await removeCgroup(podsCgroup).catch(() => {});
  }
  // 4. Every mount under the root (overlay roots, tmpfs volumes, the ns dir), deepest first.
  await unmountAll(root);
  await fsp.rm(root, { recursive: true, force: true });
}

function tryKill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
