// The runtime's pod sandboxes: their records (rediscovered on open, those that lost their
// namespaces marked not ready), creation with the handler's runc and, for a shared PID
// namespace, the pod's init; status and list; stop and removal after the pod's containers.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { logger } from '../util/log.js';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from './errors.js';
import { podInitAlive, startPodInit, stopPodInit } from './pod-init.js';
import type { Runc } from './runc.js';
import { ensureNsDir, releaseStoppedSandbox, setupSandbox, teardownSandbox, updateHosts, type SandboxRecord } from './sandbox.js';
import { loadAll, matchLabels, newId, writeJson } from './state.js';
import { mountsUnder } from './syscalls.js';
import { SandboxState, type PodSandboxConfig, type PodSandboxStatus, type SandboxFilter } from './types.js';

const log = logger('runtime');

/** The handler of sandboxes that name none (containerd's default runtime). */
export const DEFAULT_HANDLER = 'runc';

export interface SandboxManagerDeps {
  /** Sandbox records live under here, one directory each. */
  sandboxDir: string;
  /** The bind mounts of the sandboxes' namespaces. */
  nsDir: string;
  /** The container logs' root: a sandbox's logs directory goes with it. */
  logsDir: string;
  /** The runc of a handler (undefined: no such handler). */
  handler(name: string): Runc | undefined;
  /** The runc of a sandbox's handler. */
  runcOf(sandboxId: string): Runc;
  /** Stop (grace 0) or remove the containers of a sandbox. */
  stopContainers(sandboxId: string): Promise<void>;
  removeContainers(sandboxId: string): Promise<void>;
}

export class SandboxManager {
  private readonly sandboxes = new Map<string, SandboxRecord>();

  constructor(private readonly d: SandboxManagerDeps) {}

  /** Loads the records on disk. */
  async load(): Promise<void> {
    await ensureNsDir(this.d.nsDir);
    for (const s of await loadAll<SandboxRecord>(this.d.sandboxDir, 'sandbox.json')) this.sandboxes.set(s.id, s);
    await this.markLost();
  }

  /**
   * A sandbox whose namespace files are no longer mounted lost its namespaces: the machine
   * rebooted (or someone removed them). It is NotReady from now on, so the node agent makes the
   * pod a new one, as the kubelet does when containerd reports a sandbox gone after a reboot.
   */
  private async markLost(): Promise<void> {
    const mounted = new Set(await mountsUnder('/'));
    for (const s of this.sandboxes.values()) {
      if (s.state !== SandboxState.Ready) continue;
      const lost = [s.netnsPath, s.ipcnsPath, s.utsnsPath].filter((f) => f && !mounted.has(f));
      if (s.init && !podInitAlive(s.init)) lost.push('pid (its init is gone)');
      if (!lost.length) continue;
      s.state = SandboxState.NotReady;
      await this.save(s).catch(() => {});
      log.warn('sandbox lost its namespaces (a reboot?); marked not ready', { sandbox: s.id, pod: `${s.config.namespace}/${s.config.name}`, missing: lost });
    }
  }

  /** The sandbox by id or unique prefix (NotFound when none). */
  get(id: string): SandboxRecord {
    const s = this.sandboxes.get(id) ?? [...this.sandboxes.values()].find((x) => id.length >= 6 && x.id.startsWith(id));
    if (!s) throw new NotFoundError(`sandbox "${id}": not found`);
    return s;
  }

  /** The sandbox by exact id, if there is one. */
  find(id: string): SandboxRecord | undefined {
    return this.sandboxes.get(id);
  }

  private async save(s: SandboxRecord): Promise<void> {
    await writeJson(join(s.dir, 'sandbox.json'), s);
  }

  async run(config: PodSandboxConfig): Promise<string> {
    if (!config.name || !config.namespace || !config.uid) throw new InvalidArgumentError('sandbox: name, namespace and uid are required');
    // containerd's words for a handler it has no runtime for (nothing is made)
    const handler = config.runtimeHandler || DEFAULT_HANDLER;
    const runc = this.d.handler(handler);
    if (!runc) throw new NotFoundError(`failed to get sandbox runtime: no runtime for "${handler}" is configured`);
    for (const s of this.sandboxes.values()) {
      if (s.config.uid === config.uid && (s.config.attempt ?? 0) === (config.attempt ?? 0)) {
        throw new AlreadyExistsError(`pod "${config.namespace}/${config.name}": sandbox attempt ${config.attempt ?? 0} exists (${s.id})`);
      }
    }
    const id = newId();
    const s = await setupSandbox(id, config, join(this.d.sandboxDir, id), this.d.nsDir);
    if (config.sharedPid && !config.hostNamespaces?.pid) {
      try {
        s.init = await startPodInit(runc, id, join(s.dir, 'init'), `${s.cgroupPath}/init`, { network: s.netnsPath, ipc: s.ipcnsPath, uts: s.utsnsPath });
      } catch (e) {
        await teardownSandbox(s).catch(() => {});
        throw e;
      }
    }
    await this.save(s);
    this.sandboxes.set(id, s);
    log.info('sandbox ready', { sandbox: id, pod: `${config.namespace}/${config.name}`, netns: s.netnsPath });
    return id;
  }

  async setIP(id: string, ip: string): Promise<void> {
    const s = this.get(id);
    s.ip = ip;
    await updateHosts(s);
    await this.save(s);
  }

  /**
   * Stop every container of the pod (SIGKILL after its own grace of 0), mark it not ready and
   * release its namespaces, /dev/shm and pod cgroup (releaseStoppedSandbox): a stopped sandbox
   * holds nothing of the kernel's until it is removed, as under containerd.
   */
  async stop(id: string): Promise<void> {
    const s = this.sandboxes.get(id);
    if (!s) return;
    await this.d.stopContainers(id);
    if (s.init) await stopPodInit(this.d.runcOf(s.id), s.init);
    s.state = SandboxState.NotReady;
    await this.save(s);
    await releaseStoppedSandbox(s).catch((e: Error) => log.warn('releasing a stopped sandbox failed; what is left goes with its removal', { sandbox: id, err: e.message }));
  }

  async remove(id: string): Promise<void> {
    const s = this.sandboxes.get(id);
    if (!s) return;
    await this.d.removeContainers(id);
    if (s.init) await stopPodInit(this.d.runcOf(s.id), s.init);
    await teardownSandbox(s);
    await fsp.rm(join(this.d.logsDir, id), { recursive: true, force: true });
    this.sandboxes.delete(id);
    log.info('sandbox removed', { sandbox: id });
  }

  /** A sandbox whose shared PID namespace lost its init (killed, OOM) is dead: not ready from now on, as the kubelet treats a dead pause container. */
  private async checkInit(s: SandboxRecord): Promise<void> {
    if (s.state !== SandboxState.Ready || !s.init || podInitAlive(s.init)) return;
    s.state = SandboxState.NotReady;
    await this.save(s).catch(() => {});
    log.warn('sandbox init (shared PID namespace) is gone; marked not ready', { sandbox: s.id, pod: `${s.config.namespace}/${s.config.name}` });
  }

  private statusOf(s: SandboxRecord): PodSandboxStatus {
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

  async status(id: string): Promise<PodSandboxStatus> {
    const s = this.get(id);
    await this.checkInit(s);
    return this.statusOf(s);
  }

  async list(f: SandboxFilter = {}): Promise<PodSandboxStatus[]> {
    for (const s of this.sandboxes.values()) await this.checkInit(s);
    return [...this.sandboxes.values()]
      .filter((s) => (!f.id || s.id.startsWith(f.id)) && (!f.state || s.state === f.state) && matchLabels(s.config.labels, f.labelSelector))
      .map((s) => this.statusOf(s));
  }
}
