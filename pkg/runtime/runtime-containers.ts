// The runtime's containers after creation: start, the state read back from conmon's exit file
// (exit code, OOM kill, a monitor that died), status and list, stop with the stop signal and
// SIGKILL, and removal of runc state, cgroup, rootfs and files.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { logger } from '../util/log.js';
import { cgroupPids, cpuUsageNs, memoryWorkingSetBytes, oomKilled, removeCgroup } from './cgroups.js';
import { cgroupStats, type CgroupStats } from './cgroup-stats.js';
import { FailedPreconditionError, NotFoundError, RuntimeError } from './errors.js';
import { alive, oomFile, readExit, waitExit } from './monitor.js';
import type { Runc } from './runc.js';
import { loadAll, matchLabels, writeJson, type ContainerRecord } from './state.js';
import { unmountRootfs } from './snapshots.js';
import { MNT_DETACH, umount } from './syscalls.js';
import { ContainerState, type ContainerFilter, type ContainerStats, type ContainerStatus } from './types.js';

const log = logger('runtime');

export interface ContainerManagerDeps {
  /** Container records live under here, one directory each. */
  containerDir: string;
  /** conmon's attach sockets. */
  sockDir: string;
  /** The default handler's runc: it starts containers in-process, and its state dir is everyone's. */
  runc: Runc;
  runcOf(sandboxId: string): Runc;
  /** Whether a sandbox runs an init of its own (a shared PID namespace). */
  sandboxHasInit(sandboxId: string): boolean;
}

export class ContainerManager {
  readonly containers = new Map<string, ContainerRecord>();

  constructor(private readonly d: ContainerManagerDeps) {}

  /** Loads the records on disk and brings them up to date. */
  async load(): Promise<void> {
    for (const c of await loadAll<ContainerRecord>(this.d.containerDir, 'container.json')) this.containers.set(c.id, c);
    await Promise.all([...this.containers.values()].map((c) => this.refresh(c)));
  }

  /** The container by id or unique prefix (NotFound when none). */
  get(id: string): ContainerRecord {
    const c = this.containers.get(id) ?? [...this.containers.values()].find((x) => id.length >= 6 && x.id.startsWith(id));
    if (!c) throw new NotFoundError(`container "${id}": not found`);
    return c;
  }

  /** The container, which must be running (FailedPrecondition otherwise). */
  running(id: string): ContainerRecord {
    const c = this.get(id);
    if (c.state !== ContainerState.Running) throw new FailedPreconditionError(`container "${c.config.name}" (${c.id}): not running`);
    return c;
  }

  ofSandbox(sandboxId: string): ContainerRecord[] {
    return [...this.containers.values()].filter((c) => c.sandboxId === sandboxId);
  }

  async save(c: ContainerRecord): Promise<void> {
    await writeJson(join(c.dir, 'container.json'), c);
  }

  async start(id: string): Promise<void> {
    const c = this.get(id);
    if (c.state !== ContainerState.Created) throw new FailedPreconditionError(`container "${c.config.name}" (${c.id}): is ${c.state}, not created`);
    const startedAt = new Date().toISOString();
    if (c.startError) {
      // (as containerd reports a task that could not be created: exited 128, never started)
      Object.assign(c, { state: ContainerState.Exited, exitCode: 128, reason: 'StartError', message: c.startError, startedAt: new Date(0).toISOString(), finishedAt: startedAt });
      await this.save(c);
      throw new RuntimeError(c.startError);
    }
    // (runc's exec FIFO is read in-process; another handler's binary starts its containers itself)
    const runc = this.d.runcOf(c.sandboxId);
    if (runc === this.d.runc) await runc.start(c.id, c.pid);
    else await runc.run(['start', c.id]);
    c.state = ContainerState.Running;
    c.startedAt = startedAt;
    await this.save(c);
  }

  /** Bring a created/running record up to date from conmon's exit file and the cgroup's OOM count. */
  async refresh(c: ContainerRecord): Promise<void> {
    if (c.state === ContainerState.Exited) return;
    let exit = await readExit({ dir: c.dir }, c.id);
    if (!exit) {
      // Still being created (the record is listed before conmon has reported), or still running.
      if (c.conmonPid === undefined || alive(c.conmonPid) || alive(c.pid)) return;
      // conmon writes the exit file and then exits: a read just before the write found none.
      exit = await readExit({ dir: c.dir }, c.id);
    }
    if (exit) {
      c.exitCode = exit.code;
      c.finishedAt = exit.at.toISOString();
      if (!c.startedAt || c.startedAt > c.finishedAt) c.startedAt = c.finishedAt;
      const oom = (await fsp.access(oomFile({ dir: c.dir })).then(() => true, () => false)) || (exit.code !== 0 && (await oomKilled(c.cgroupPath)));
      c.reason = oom ? 'OOMKilled' : exit.code === 0 ? 'Completed' : 'Error';
    } else {
      // Its monitor died with it (a reboot, a power loss): nobody saw how it ended. containerd's
      // CRI reports such a container, when it finds its task gone, as exited 255 for reason
      // Unknown (unknownExitCode, unknownExitReason), which the kubelet shows as its last state.
      c.exitCode = 255;
      c.finishedAt = new Date().toISOString();
      c.reason = 'Unknown';
    }
    c.state = ContainerState.Exited;
    await this.save(c);
    await this.killLeftovers(c);
  }

  /**
   * A container in a PID namespace it does not own (the pod's shared one, or a target's) leaves
   * its other processes running when its main process exits: nothing kills them as the end of a
   * namespace would. Kill what is left in its cgroup, as containerd's runc shim does
   * (ShouldKillAllOnExit), so a restart does not pile up the old attempt's children.
   */
  private async killLeftovers(c: ContainerRecord): Promise<void> {
    if (!c.config.pidNamespaceOf && !this.d.sandboxHasInit(c.sandboxId)) return;
    for (const pid of await cgroupPids(c.cgroupPath).catch(() => [])) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }

  private statusOf(c: ContainerRecord): ContainerStatus {
    return {
      id: c.id,
      sandboxId: c.sandboxId,
      metadata: { name: c.config.name, attempt: c.config.attempt ?? 0 },
      state: c.state,
      createdAt: c.createdAt,
      startedAt: c.startedAt,
      finishedAt: c.finishedAt,
      exitCode: c.exitCode,
      reason: c.reason,
      message: c.message,
      image: c.image,
      imageRef: c.imageRef,
      logPath: c.logPath,
      pid: c.state === ContainerState.Exited ? undefined : c.pid,
      labels: c.config.labels ?? {},
      annotations: c.config.annotations ?? {},
    };
  }

  async status(id: string): Promise<ContainerStatus> {
    const c = this.get(id);
    await this.refresh(c);
    return this.statusOf(c);
  }

  async list(f: ContainerFilter = {}): Promise<ContainerStatus[]> {
    const out: ContainerStatus[] = [];
    for (const c of this.containers.values()) {
      if (f.id && !c.id.startsWith(f.id)) continue;
      if (f.sandboxId && c.sandboxId !== f.sandboxId) continue;
      if (!matchLabels(c.config.labels, f.labelSelector)) continue;
      await this.refresh(c);
      if (f.state && c.state !== f.state) continue;
      out.push(this.statusOf(c));
    }
    return out;
  }

  private signal(c: ContainerRecord, sig: NodeJS.Signals): void {
    try {
      process.kill(c.pid!, sig);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
  }

  /** STOPSIGNAL (or SIGTERM), wait up to timeoutSec, then SIGKILL. */
  async stop(id: string, timeoutSec: number): Promise<void> {
    const c = this.get(id);
    await this.refresh(c);
    if (c.state === ContainerState.Exited) return;
    if (timeoutSec > 0) {
      this.signal(c, c.stopSignal as NodeJS.Signals);
      if (await waitExit({ dir: c.dir }, c.id, timeoutSec * 1000)) return this.refresh(c);
    }
    this.signal(c, 'SIGKILL');
    if (!(await waitExit({ dir: c.dir }, c.id, 10_000))) {
      await this.d.runcOf(c.sandboxId).kill(c.id, 'KILL', true).catch(() => {});
      if (!(await waitExit({ dir: c.dir }, c.id, 5_000))) throw new RuntimeError(`container "${c.config.name}" (${c.id}): did not exit after SIGKILL`);
    }
    await this.refresh(c);
  }

  /** Kill if needed, then remove runc state, cgroup, rootfs mount, files. */
  async remove(id: string): Promise<void> {
    let c: ContainerRecord;
    try {
      c = this.get(id);
    } catch {
      return;
    }
    await this.stop(c.id, 0);
    if (c.conmonPid && alive(c.conmonPid)) await waitGone(c.conmonPid, 2000);
    await this.deleteRuncState(c);
    await unmountRootfs(c.dir);
    umount(join(c.dir, 'rootfs'), MNT_DETACH);
    await fsp.rm(c.dir, { recursive: true, force: true });
    await fsp.rm(join(this.d.sockDir, c.id), { force: true });
    if (c.ownsLog) await fsp.rm(c.logPath, { force: true });
    this.containers.delete(c.id);
  }

  /**
   * What `runc delete` does for a stopped container (no hooks here): remove its cgroup and its
   * state dir. Done in-process, it saves a runc spawn per removal; anything unexpected (the init
   * still alive, a busy cgroup) falls back to `runc delete --force`.
   */
  private async deleteRuncState(c: ContainerRecord): Promise<void> {
    if (c.state === ContainerState.Exited && !alive(c.pid)) {
      try {
        await removeCgroup(c.cgroupPath);
        await fsp.rm(join(this.d.runc.root, c.id), { recursive: true, force: true });
        return;
      } catch (e) {
        log.warn('in-process delete failed; using runc delete', { container: c.id, err: e as Error });
      }
    }
    await this.d.runcOf(c.sandboxId).delete(c.id, true);
  }

  async stats(id: string): Promise<ContainerStats> {
    const c = this.running(id);
    try {
      const [cpuNs, memory] = await Promise.all([cpuUsageNs(c.cgroupPath), memoryWorkingSetBytes(c.cgroupPath)]);
      return { cpuNs, memoryWorkingSetBytes: memory };
    } catch (e) {
      throw new RuntimeError(`container "${c.config.name}" (${c.id}): stats: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Everything cAdvisor reads of a running container's cgroup (the kubelet's /metrics/cadvisor). */
  async cgroupStats(id: string): Promise<CgroupStats & { cgroupPath: string }> {
    const c = this.running(id);
    try {
      return { ...(await cgroupStats(c.cgroupPath)), cgroupPath: c.cgroupPath };
    } catch (e) {
      throw new RuntimeError(`container "${c.config.name}" (${c.id}): stats: ${(e as Error).message}`, { cause: e });
    }
  }
}

async function waitGone(pid: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (alive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
}
