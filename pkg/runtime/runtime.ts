// The runtime: CRI-shaped sandboxes and containers over runc + conmon, images from
// ImageManager. State lives under `root` so a new instance picks up where a dead one left.
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { logger } from '../util/log.js';
import { cgroupPids, cpuUsageNs, memoryWorkingSetBytes, oomKilled, removeCgroup } from './cgroups.js';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError, RuntimeError } from './errors.js';
import { ImageManager } from './image-service.js';
import { connectAttachSocket, type AttachConnection } from './attach-socket.js';
import { alive, conmonPidFile, createWithConmon, oomFile, readExit, readPid, resizeConmonTerminal, waitExit } from './monitor.js';
import { buildSpec, capabilities, resolveUser } from './oci-spec.js';
import { hostDevices } from './host-devices.js';
import { parseLogLine, readLogFile } from './logs.js';
import { Runc } from './runc.js';
import { startTtyExec, type BundleProcess } from './exec-tty.js';
import { ensureNsDir, setupSandbox, teardownSandbox, updateHosts, type SandboxRecord } from './sandbox.js';
import { mountRootfs, unmountRootfs } from './snapshots.js';
import { podInitAlive, podPidNamespace, startPodInit, stopPodInit } from './pod-init.js';
import { loadAll, matchLabels, newId, normalizeSignal, writeJson, type ContainerRecord } from './state.js';
import { MNT_DETACH, mountsUnder, umount } from './syscalls.js';
import { localhostProfile, runtimeDefaultProfile, type OciSeccomp } from './seccomp.js';
import {
  ContainerState, SandboxState,
  type AttachOptions, type AttachSession, type ContainerConfig, type ContainerStats, type ContainerFilter, type ContainerStatus, type ExecOptions, type ExecSession, type ExecSyncResult,
  type PodSandboxConfig, type PodSandboxStatus, type ReadLogsOptions, type RuntimeService, type SandboxFilter,
} from './types.js';

const log = logger('runtime');
export const DEFAULT_ROOT = '/var/lib/tskube/runtime';
const DEFAULT_LOG_SIZE_MAX = 10 << 20;

export interface RuntimeOptions {
  /** State root; default /var/lib/tskube/runtime. */
  root?: string;
  /** Where seccomp profiles of type Localhost are read from; default <root>/seccomp. */
  seccompDir?: string;
  /**
   * Runtime handlers besides `runc` (containerd's runtimes), by name: the path of a
   * runc-compatible binary (same command line and state directory as runc) that runs the
   * containers of sandboxes asking for that handler.
   */
  handlers?: Record<string, string>;
}

/** The handler of sandboxes that name none (containerd's default runtime). */
export const DEFAULT_HANDLER = 'runc';

export class Runtime extends ImageManager implements RuntimeService {
  readonly runc: Runc;
  /** One runc client per runtime handler; all share the runc root. */
  private readonly handlers = new Map<string, Runc>();
  private readonly sandboxes = new Map<string, SandboxRecord>();
  private readonly containers = new Map<string, ContainerRecord>();
  private readonly sandboxDir: string;
  private readonly containerDir: string;
  private readonly nsDir: string;
  /** Localhost seccomp profiles live here. */
  readonly seccompDir: string;

  private constructor(root: string, seccompDir?: string, handlers: Record<string, string> = {}) {
    super(root);
    this.runc = new Runc(join(root, 'runc'));
    this.handlers.set(DEFAULT_HANDLER, this.runc);
    for (const [name, binary] of Object.entries(handlers)) this.handlers.set(name, new Runc(this.runc.root, binary));
    this.sandboxDir = join(root, 'sandboxes');
    this.containerDir = join(root, 'containers');
    this.nsDir = join(root, 'ns');
    this.seccompDir = seccompDir ?? join(root, 'seccomp');
    this.inUse = async () => new Set([...this.containers.values()].flatMap((c) => c.diffIds));
  }

  /** Open (or create) the runtime at `root`, rediscovering sandboxes and containers on disk. */
  static async open(opts: RuntimeOptions = {}): Promise<Runtime> {
    const rt = new Runtime(opts.root ?? DEFAULT_ROOT, opts.seccompDir, opts.handlers);
    await rt.init();
    return rt;
  }

  override async init(): Promise<void> {
    await super.init();
    await Promise.all([this.sandboxDir, this.containerDir, join(this.root, 'logs'), join(this.root, 'sock'), this.runc.root].map((d) => fsp.mkdir(d, { recursive: true })));
    await ensureNsDir(this.nsDir);
    for (const s of await loadAll<SandboxRecord>(this.sandboxDir, 'sandbox.json')) this.sandboxes.set(s.id, s);
    await this.markLostSandboxes();
    for (const c of await loadAll<ContainerRecord>(this.containerDir, 'container.json')) this.containers.set(c.id, c);
    await Promise.all([...this.containers.values()].map((c) => this.refresh(c)));
  }

  // ---- sandboxes ----

  /**
   * A sandbox whose namespace files are no longer mounted lost its namespaces: the machine
   * rebooted (or someone removed them). It is NotReady from now on, so the node agent makes the
   * pod a new one, as the kubelet does when containerd reports a sandbox gone after a reboot.
   */
  private async markLostSandboxes(): Promise<void> {
    const mounted = new Set(await mountsUnder('/'));
    for (const s of this.sandboxes.values()) {
      if (s.state !== SandboxState.Ready) continue;
      const lost = [s.netnsPath, s.ipcnsPath, s.utsnsPath].filter((f) => f && !mounted.has(f));
      if (s.init && !podInitAlive(s.init)) lost.push('pid (its init is gone)');
      if (!lost.length) continue;
      s.state = SandboxState.NotReady;
      await this.saveSandbox(s).catch(() => {});
      log.warn('sandbox lost its namespaces (a reboot?); marked not ready', { sandbox: s.id, pod: `${s.config.namespace}/${s.config.name}`, missing: lost });
    }
  }

  private sandbox(id: string): SandboxRecord {
    const s = this.sandboxes.get(id) ?? [...this.sandboxes.values()].find((x) => id.length >= 6 && x.id.startsWith(id));
    if (!s) throw new NotFoundError(`sandbox "${id}": not found`);
    return s;
  }

  private async saveSandbox(s: SandboxRecord): Promise<void> {
    await writeJson(join(s.dir, 'sandbox.json'), s);
  }

  /** The runtime handlers this runtime has (what a RuntimeClass's handler may name on this node). */
  runtimeHandlers(): string[] {
    return [...this.handlers.keys()];
  }

  /** The runc of a sandbox's handler (the default one for a handler no longer configured). */
  private runcOf(sandboxId: string): Runc {
    return this.handlers.get(this.sandboxes.get(sandboxId)?.config.runtimeHandler || DEFAULT_HANDLER) ?? this.runc;
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    if (!config.name || !config.namespace || !config.uid) throw new InvalidArgumentError('sandbox: name, namespace and uid are required');
    // containerd's words for a handler it has no runtime for (nothing is made)
    const handler = config.runtimeHandler || DEFAULT_HANDLER;
    if (!this.handlers.has(handler)) throw new NotFoundError(`failed to get sandbox runtime: no runtime for "${handler}" is configured`);
    for (const s of this.sandboxes.values()) {
      if (s.config.uid === config.uid && (s.config.attempt ?? 0) === (config.attempt ?? 0)) {
        throw new AlreadyExistsError(`pod "${config.namespace}/${config.name}": sandbox attempt ${config.attempt ?? 0} exists (${s.id})`);
      }
    }
    const id = newId();
    const s = await setupSandbox(id, config, join(this.sandboxDir, id), this.nsDir);
    if (config.sharedPid && !config.hostNamespaces?.pid) {
      try {
        s.init = await startPodInit(this.handlers.get(handler)!, id, join(s.dir, 'init'), `${s.cgroupPath}/init`, { network: s.netnsPath, ipc: s.ipcnsPath, uts: s.utsnsPath });
      } catch (e) {
        await teardownSandbox(s).catch(() => {});
        throw e;
      }
    }
    await this.saveSandbox(s);
    this.sandboxes.set(id, s);
    log.info('sandbox ready', { sandbox: id, pod: `${config.namespace}/${config.name}`, netns: s.netnsPath });
    return id;
  }

  async setPodSandboxIP(id: string, ip: string): Promise<void> {
    const s = this.sandbox(id);
    s.ip = ip;
    await updateHosts(s);
    await this.saveSandbox(s);
  }

  /** Stop every container of the pod (SIGKILL after its own grace of 0) and mark it not ready. */
  async stopPodSandbox(id: string): Promise<void> {
    const s = this.sandboxes.get(id);
    if (!s) return;
    await Promise.all([...this.containers.values()].filter((c) => c.sandboxId === id).map((c) => this.stopContainer(c.id, 0)));
    if (s.init) await stopPodInit(this.runcOf(s.id), s.init);
    s.state = SandboxState.NotReady;
    await this.saveSandbox(s);
  }

  async removePodSandbox(id: string): Promise<void> {
    const s = this.sandboxes.get(id);
    if (!s) return;
    for (const c of [...this.containers.values()].filter((x) => x.sandboxId === id)) await this.removeContainer(c.id);
    if (s.init) await stopPodInit(this.runcOf(s.id), s.init);
    await teardownSandbox(s);
    await fsp.rm(join(this.root, 'logs', id), { recursive: true, force: true });
    this.sandboxes.delete(id);
    log.info('sandbox removed', { sandbox: id });
  }

  /** A sandbox whose shared PID namespace lost its init (killed, OOM) is dead: not ready from now on, as the kubelet treats a dead pause container. */
  private async checkInit(s: SandboxRecord): Promise<void> {
    if (s.state !== SandboxState.Ready || !s.init || podInitAlive(s.init)) return;
    s.state = SandboxState.NotReady;
    await this.saveSandbox(s).catch(() => {});
    log.warn('sandbox init (shared PID namespace) is gone; marked not ready', { sandbox: s.id, pod: `${s.config.namespace}/${s.config.name}` });
  }

  private sandboxStatus(s: SandboxRecord): PodSandboxStatus {
    return {
      id: s.id,
      metadata: { name: s.config.name, namespace: s.config.namespace, uid: s.config.uid, attempt: s.config.attempt ?? 0 },
      state: s.state,
      createdAt: s.createdAt,
      netnsPath: s.netnsPath,
      ipcnsPath: s.ipcnsPath,
      utsnsPath: s.utsnsPath,
      ip: s.ip,
      cgroupParent: s.cgroupPath,
      labels: s.config.labels ?? {},
      annotations: s.config.annotations ?? {},
    };
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    const s = this.sandbox(id);
    await this.checkInit(s);
    return this.sandboxStatus(s);
  }

  async listPodSandbox(f: SandboxFilter = {}): Promise<PodSandboxStatus[]> {
    for (const s of this.sandboxes.values()) await this.checkInit(s);
    return [...this.sandboxes.values()]
      .filter((s) => (!f.id || s.id.startsWith(f.id)) && (!f.state || s.state === f.state) && matchLabels(s.config.labels, f.labelSelector))
      .map((s) => this.sandboxStatus(s));
  }

  // ---- containers ----

  private container(id: string): ContainerRecord {
    const c = this.containers.get(id) ?? [...this.containers.values()].find((x) => id.length >= 6 && x.id.startsWith(id));
    if (!c) throw new NotFoundError(`container "${id}": not found`);
    return c;
  }

  private async saveContainer(c: ContainerRecord): Promise<void> {
    await writeJson(join(c.dir, 'container.json'), c);
  }

  async createContainer(sandboxId: string, config: ContainerConfig, _sandboxConfig?: PodSandboxConfig): Promise<string> {
    const s = this.sandbox(sandboxId);
    if (s.state !== SandboxState.Ready) throw new FailedPreconditionError(`sandbox "${sandboxId}": not ready`);
    const attempt = config.attempt ?? 0;
    for (const c of this.containers.values()) {
      if (c.sandboxId === sandboxId && c.config.name === config.name && (c.config.attempt ?? 0) === attempt) {
        throw new AlreadyExistsError(`pod "${s.config.namespace}/${s.config.name}": container "${config.name}" attempt ${attempt} exists (${c.id})`);
      }
    }
    const img = await this.images.get(config.image);
    const imageConfig = await this.images.config(img);
    const lowers = await this.unpack(img);
    const id = newId();
    const dir = join(this.containerDir, id);
    const undo: (() => Promise<unknown> | unknown)[] = [];
    try {
      await fsp.mkdir(dir, { recursive: true });
      undo.push(() => fsp.rm(dir, { recursive: true, force: true }));
      const rootfs = await mountRootfs(dir, lowers);
      undo.push(() => unmountRootfs(dir));
      const sc = config.securityContext ?? {};
      let user: { uid: number; gid: number; additionalGids?: number[] };
      if (sc.runAsUser !== undefined) user = { uid: sc.runAsUser, gid: sc.runAsGroup ?? 0 };
      else {
        const [passwd, group] = await Promise.all(['etc/passwd', 'etc/group'].map((f) => fsp.readFile(join(rootfs.merged, f), 'utf8').catch(() => '')));
        user = resolveUser(imageConfig.config?.User, passwd, group);
        if (sc.runAsGroup !== undefined) user.gid = sc.runAsGroup;
      }
      if (sc.supplementalGroups?.length) user.additionalGids = sc.supplementalGroups;
      const cgroupPath = `${s.cgroupPath}/${id}`;
      const spec = buildSpec({
        image: imageConfig,
        container: config,
        rootfs: rootfs.merged,
        user,
        hostname: s.hostname,
        namespaces: { network: s.netnsPath, ipc: s.ipcnsPath, uts: s.utsnsPath, hostPid: !!s.config.hostNamespaces?.pid, pid: this.pidNamespaceFor(s, config) },
        cgroupsPath: cgroupPath,
        etcFiles: { hosts: join(s.dir, 'hosts'), hostname: join(s.dir, 'hostname'), resolvConf: join(s.dir, 'resolv.conf') },
        volumes: s.volumes,
        shmPath: s.shmPath,
        seccomp: await this.seccompFor(config),
        hostDevices: config.securityContext?.privileged ? await hostDevices() : undefined,
      });
      await writeJson(join(dir, 'config.json'), spec);
      const ownsLog = !config.logPath;
      const logPath = config.logPath ?? join(this.root, 'logs', sandboxId, `${config.name}_${attempt}.log`);
      await fsp.mkdir(dirname(logPath), { recursive: true });
      const rec: ContainerRecord = {
        id,
        sandboxId,
        config,
        state: ContainerState.Created,
        createdAt: new Date().toISOString(),
        image: config.image,
        imageRef: imageRefOf(img.name, img.indexDigest ?? img.manifestDigest),
        imageId: img.configDigest,
        diffIds: img.diffIds,
        dir,
        logPath,
        ownsLog,
        cgroupPath,
        stopSignal: normalizeSignal(config.stopSignal ?? imageConfig.config?.StopSignal),
      };
      this.containers.set(id, rec);
      undo.push(() => this.containers.delete(id));
      const runc = this.runcOf(sandboxId);
      undo.push(() => runc.delete(id, true));
      rec.pid = await createWithConmon(runc, id, { dir, bundle: dir, logPath, socketDir: join(this.root, 'sock') }, config.logSizeMax ?? DEFAULT_LOG_SIZE_MAX, { tty: config.tty, stdin: config.stdin, stdinOnce: config.stdinOnce });
      rec.conmonPid = await readPid(conmonPidFile({ dir }));
      await this.saveContainer(rec);
      return id;
    } catch (e) {
      for (const u of undo.reverse()) await Promise.resolve().then(u).catch(() => {});
      throw new RuntimeError(`pod "${s.config.namespace}/${s.config.name}": container "${config.name}": ${(e as Error).message}`, { cause: e });
    }
  }

  /** The container's seccomp filter: none for Unconfined (the default) and for privileged containers. */
  private async seccompFor(c: ContainerConfig): Promise<OciSeccomp | undefined> {
    const p = c.securityContext?.seccomp;
    if (!p || c.securityContext?.privileged) return undefined;
    switch (p.type) {
      case 'RuntimeDefault':
        return runtimeDefaultProfile(capabilities(c));
      case 'Localhost':
        return localhostProfile(this.seccompDir, p.localhostProfile);
      default:
        return undefined;
    }
  }

  async startContainer(id: string): Promise<void> {
    const c = this.container(id);
    if (c.state !== ContainerState.Created) throw new FailedPreconditionError(`container "${c.config.name}" (${c.id}): is ${c.state}, not created`);
    const startedAt = new Date().toISOString();
    // (runc's exec FIFO is read in-process; another handler's binary starts its containers itself)
    const runc = this.runcOf(c.sandboxId);
    if (runc === this.runc) await runc.start(c.id, c.pid);
    else await runc.run(['start', c.id]);
    c.state = ContainerState.Running;
    c.startedAt = startedAt;
    await this.saveContainer(c);
  }

  /** Bring a created/running record up to date from conmon's exit file and the cgroup's OOM count. */
  private async refresh(c: ContainerRecord): Promise<void> {
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
      c.exitCode = 255;
      c.finishedAt = new Date().toISOString();
      c.reason = 'Error';
      c.message = 'container monitor (conmon) is gone and left no exit code';
    }
    c.state = ContainerState.Exited;
    await this.saveContainer(c);
    await this.killLeftovers(c);
  }

  /**
   * A container in a PID namespace it does not own (the pod's shared one, or a target's) leaves
   * its other processes running when its main process exits: nothing kills them as the end of a
   * namespace would. Kill what is left in its cgroup, as containerd's runc shim does
   * (ShouldKillAllOnExit), so a restart does not pile up the old attempt's children.
   */
  private async killLeftovers(c: ContainerRecord): Promise<void> {
    if (!c.config.pidNamespaceOf && !this.sandboxes.get(c.sandboxId)?.init) return;
    for (const pid of await cgroupPids(c.cgroupPath).catch(() => [])) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }

  private status(c: ContainerRecord): ContainerStatus {
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

  async containerStatus(id: string): Promise<ContainerStatus> {
    const c = this.container(id);
    await this.refresh(c);
    return this.status(c);
  }

  async listContainers(f: ContainerFilter = {}): Promise<ContainerStatus[]> {
    const out: ContainerStatus[] = [];
    for (const c of this.containers.values()) {
      if (f.id && !c.id.startsWith(f.id)) continue;
      if (f.sandboxId && c.sandboxId !== f.sandboxId) continue;
      if (!matchLabels(c.config.labels, f.labelSelector)) continue;
      await this.refresh(c);
      if (f.state && c.state !== f.state) continue;
      out.push(this.status(c));
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
  async stopContainer(id: string, timeoutSec: number): Promise<void> {
    const c = this.container(id);
    await this.refresh(c);
    if (c.state === ContainerState.Exited) return;
    if (timeoutSec > 0) {
      this.signal(c, c.stopSignal as NodeJS.Signals);
      if (await waitExit({ dir: c.dir }, c.id, timeoutSec * 1000)) return this.refresh(c);
    }
    this.signal(c, 'SIGKILL');
    if (!(await waitExit({ dir: c.dir }, c.id, 10_000))) {
      await this.runcOf(c.sandboxId).kill(c.id, 'KILL', true).catch(() => {});
      if (!(await waitExit({ dir: c.dir }, c.id, 5_000))) throw new RuntimeError(`container "${c.config.name}" (${c.id}): did not exit after SIGKILL`);
    }
    await this.refresh(c);
  }

  /** Kill if needed, then remove runc state, cgroup, rootfs mount, files. */
  async removeContainer(id: string): Promise<void> {
    let c: ContainerRecord;
    try {
      c = this.container(id);
    } catch {
      return;
    }
    await this.stopContainer(c.id, 0);
    if (c.conmonPid && alive(c.conmonPid)) await waitGone(c.conmonPid, 2000);
    await this.deleteRuncState(c);
    await unmountRootfs(c.dir);
    umount(join(c.dir, 'rootfs'), MNT_DETACH);
    await fsp.rm(c.dir, { recursive: true, force: true });
    await fsp.rm(join(this.root, 'sock', c.id), { force: true });
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
        await fsp.rm(join(this.runc.root, c.id), { recursive: true, force: true });
        return;
      } catch (e) {
        log.warn('in-process delete failed; using runc delete', { container: c.id, err: e as Error });
      }
    }
    await this.runcOf(c.sandboxId).delete(c.id, true);
  }

  // ---- exec and logs ----

  private running(id: string): ContainerRecord {
    const c = this.container(id);
    if (c.state !== ContainerState.Running) throw new FailedPreconditionError(`container "${c.config.name}" (${c.id}): not running`);
    return c;
  }

  async execSync(id: string, cmd: string[], timeoutSec = 0): Promise<ExecSyncResult> {
    const s = await this.exec(id, cmd);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    s.stdout.on('data', (b: Buffer) => out.push(b));
    s.stderr.on('data', (b: Buffer) => err.push(b));
    let timer: NodeJS.Timeout | undefined;
    if (timeoutSec > 0) timer = setTimeout(() => s.kill('SIGKILL'), timeoutSec * 1000);
    const exitCode = await s.exitCode.finally(() => timer && clearTimeout(timer));
    return { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), exitCode };
  }

  async exec(id: string, cmd: string[], opts: ExecOptions = {}): Promise<ExecSession> {
    const c = this.running(id);
    await this.refresh(c);
    if (c.state !== ContainerState.Running) throw new FailedPreconditionError(`container "${c.config.name}" (${c.id}): not running`);
    if (!cmd.length) throw new InvalidArgumentError('exec: empty command');
    if (opts.tty) {
      try {
        const bundle = JSON.parse(await fsp.readFile(join(c.dir, 'config.json'), 'utf8')) as { process: BundleProcess };
        return startTtyExec({ runc: this.runcOf(c.sandboxId), containerId: c.id, bundleProcess: bundle.process, cmd, env: opts.env, user: opts.user, size: opts.size, stdin: !!opts.stdin, stateDir: c.dir });
      } catch (e) {
        throw new RuntimeError(`container "${c.config.name}" (${c.id}): exec with tty: ${(e as Error).message}`, { cause: e });
      }
    }
    const options: string[] = [];
    for (const e of opts.env ?? []) options.push('--env', e);
    if (opts.user) options.push('--user', `${opts.user.uid}:${opts.user.gid}`);
    const runc = this.runcOf(c.sandboxId);
    const child = spawn(runc.binary, [...runc.globalArgs(), 'exec', ...options, c.id, ...cmd], { stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    const exitCode = new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, sig) => resolve(code ?? (sig ? 128 + (({ SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[sig] ?? 1) : 1)));
    });
    return { stdin: child.stdin, stdout: child.stdout!, stderr: child.stderr!, exitCode, kill: (sig = 'SIGKILL') => child.kill(sig), resize: () => {} };
  }

  /** Where a container's writes land (its overlay upper dir) and a sandbox's emptyDir volumes: what counts as their ephemeral storage. */
  ephemeralStoragePaths(): { containerUpper: (id: string) => string; sandboxVolume: (id: string, name: string) => string } {
    return { containerUpper: (id) => join(this.containerDir, id, 'upper'), sandboxVolume: (id, name) => join(this.sandboxDir, id, 'volumes', name) };
  }

  async containerStats(id: string): Promise<ContainerStats> {
    const c = this.running(id);
    try {
      const [cpuNs, memory] = await Promise.all([cpuUsageNs(c.cgroupPath), memoryWorkingSetBytes(c.cgroupPath)]);
      return { cpuNs, memoryWorkingSetBytes: memory };
    } catch (e) {
      throw new RuntimeError(`container "${c.config.name}" (${c.id}): stats: ${(e as Error).message}`, { cause: e });
    }
  }

  /**
   * The PID namespace a new container joins: the running container it targets (pidNamespaceOf),
   * else the pod's shared one (its init's), else none (a namespace of its own).
   */
  private pidNamespaceFor(s: SandboxRecord, config: ContainerConfig): string | undefined {
    if (!config.pidNamespaceOf) {
      if (!s.init) return undefined;
      if (!podInitAlive(s.init)) throw new FailedPreconditionError(`container "${config.name}": the pod's shared PID namespace is gone (its init exited)`);
      return podPidNamespace(s.init);
    }
    const t = this.containers.get(config.pidNamespaceOf);
    if (!t || t.state !== ContainerState.Running || !alive(t.pid)) throw new FailedPreconditionError(`container "${config.name}": target container ${config.pidNamespaceOf} is not running`);
    return `/proc/${t.pid}/ns/pid`;
  }

  async attach(id: string, opts: AttachOptions = {}): Promise<AttachSession> {
    const c = this.running(id);
    await this.refresh(c);
    const what = `container "${c.config.name}" (${c.id})`;
    if (c.state !== ContainerState.Running) throw new FailedPreconditionError(`${what}: not running`);
    if (opts.stdin && !c.config.stdin) throw new FailedPreconditionError(`${what}: stdin is not enabled for this container (stdin: true in its spec)`);
    // The log's length just before the socket connects: conmon sends a new client only what is
    // written after that, so the log's first `logged` bytes are what came before, none twice.
    const logged = opts.fromStart ? await fsp.stat(c.logPath).then((st) => st.size, () => 0) : 0;
    let conn: AttachConnection;
    try {
      conn = connectAttachSocket(c.dir);
    } catch (e) {
      throw new RuntimeError(`${what}: attach: ${(e as Error).message}`, { cause: e });
    }
    const earlier = logged ? await logPrefix(c.logPath, logged) : [];
    const tty = !!c.config.tty;
    return {
      earlier,
      tty,
      stdin: opts.stdin ? conn.stdin : null,
      stdout: conn.stdout,
      stderr: conn.stderr,
      closed: conn.closed,
      detach: () => conn.close(),
      resize: (size) => {
        if (tty) resizeConmonTerminal(c.dir, size);
      },
    };
  }

  readLogs(id: string, opts: ReadLogsOptions = {}): AsyncIterable<string> {
    const c = this.container(id);
    return readLogFile(c.logPath, opts, async () => {
      if (!this.containers.has(c.id)) return true;
      await this.refresh(c);
      return c.state === ContainerState.Exited;
    });
  }
}

/** The output in the first `bytes` of a CRI log file, as it was written: partial lines unjoined, full ones with their newline. */
async function logPrefix(path: string, bytes: number): Promise<{ stream: 'stdout' | 'stderr'; data: Buffer }[]> {
  const fh = await fsp.open(path, 'r').catch(() => undefined);
  if (!fh) return [];
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    const text = buf.subarray(0, bytesRead).toString('utf8');
    const out: { stream: 'stdout' | 'stderr'; data: Buffer }[] = [];
    for (const line of text.slice(0, text.lastIndexOf('\n') + 1).split('\n')) {
      const l = parseLogLine(line);
      if (l) out.push({ stream: l.stream, data: Buffer.from(l.tag === 'F' ? `${l.message}\n` : l.message) });
    }
    return out;
  } finally {
    await fh.close();
  }
}

function imageRefOf(name: string, digest: string): string {
  const at = name.indexOf('@');
  const base = at >= 0 ? name.slice(0, at) : name.replace(/:[^:/]+$/, '');
  return `${base}@${digest}`;
}

async function waitGone(pid: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (alive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
}
