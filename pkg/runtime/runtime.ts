// The runtime: CRI-shaped sandboxes and containers over runc + conmon, images from
// ImageManager. State lives under `root` so a new instance picks up where a dead one left.
// This is the facade and its wiring: sandboxes (runtime-sandboxes.ts), container creation
// (runtime-container-create.ts), the containers' lifecycle (runtime-containers.ts) and their
// streams (runtime-streams.ts), all sharing the runc of each runtime handler.
import type { CgroupStats } from './cgroup-stats.js';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { ImageManager } from './image-service.js';
import { Runc } from './runc.js';
import { createContainer } from './runtime-container-create.js';
import { ContainerManager } from './runtime-containers.js';
import { DEFAULT_HANDLER, SandboxManager } from './runtime-sandboxes.js';
import { ContainerStreams } from './runtime-streams.js';
import type {
  AttachOptions, AttachSession, ContainerConfig, ContainerStats, ContainerFilter, ContainerStatus, ExecOptions, ExecSession, ExecSyncResult,
  PodSandboxConfig, PodSandboxStatus, ReadLogsOptions, RuntimeService, SandboxFilter,
} from './types.js';

export { DEFAULT_HANDLER } from './runtime-sandboxes.js';
export const DEFAULT_ROOT = '/var/lib/tskube/runtime';

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

export class Runtime extends ImageManager implements RuntimeService {
  readonly runc: Runc;
  /** One runc client per runtime handler; all share the runc root. */
  private readonly handlers = new Map<string, Runc>();
  private readonly sandboxes: SandboxManager;
  private readonly containers: ContainerManager;
  private readonly streams: ContainerStreams;
  private readonly sandboxDir: string;
  private readonly containerDir: string;
  /** Localhost seccomp profiles live here. */
  readonly seccompDir: string;

  private constructor(root: string, seccompDir?: string, handlers: Record<string, string> = {}) {
    super(root);
    this.runc = new Runc(join(root, 'runc'));
    this.handlers.set(DEFAULT_HANDLER, this.runc);
    for (const [name, binary] of Object.entries(handlers)) this.handlers.set(name, new Runc(this.runc.root, binary));
    this.sandboxDir = join(root, 'sandboxes');
    this.containerDir = join(root, 'containers');
    this.seccompDir = seccompDir ?? join(root, 'seccomp');
    const runcOf = (sandboxId: string) => this.runcOf(sandboxId);
    this.containers = new ContainerManager({
      containerDir: this.containerDir,
      sockDir: join(root, 'sock'),
      runc: this.runc,
      runcOf,
      sandboxHasInit: (id) => !!this.sandboxes.find(id)?.init,
    });
    this.sandboxes = new SandboxManager({
      sandboxDir: this.sandboxDir,
      nsDir: join(root, 'ns'),
      logsDir: join(root, 'logs'),
      handler: (name) => this.handlers.get(name),
      runcOf,
      stopContainers: async (id) => void (await Promise.all(this.containers.ofSandbox(id).map((c) => this.containers.stop(c.id, 0)))),
      removeContainers: async (id) => {
        for (const c of this.containers.ofSandbox(id)) await this.containers.remove(c.id);
      },
    });
    const containers = this.containers;
    this.streams = new ContainerStreams({
      get: (id) => containers.get(id),
      running: (id) => containers.running(id),
      has: (id) => containers.containers.has(id),
      refresh: (c) => containers.refresh(c),
      runcOf,
    });
    this.inUse = async () => new Set([...this.containers.containers.values()].flatMap((c) => c.diffIds));
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
    await this.sandboxes.load();
    await this.containers.load();
  }

  /** The runtime handlers this runtime has (what a RuntimeClass's handler may name on this node). */
  runtimeHandlers(): string[] {
    return [...this.handlers.keys()];
  }

  /** The runc of a sandbox's handler (the default one for a handler no longer configured). */
  private runcOf(sandboxId: string): Runc {
    return this.handlers.get(this.sandboxes.find(sandboxId)?.config.runtimeHandler || DEFAULT_HANDLER) ?? this.runc;
  }

  // ---- sandboxes ----

  runPodSandbox(config: PodSandboxConfig): Promise<string> {
    return this.sandboxes.run(config);
  }

  setPodSandboxIP(id: string, ip: string): Promise<void> {
    return this.sandboxes.setIP(id, ip);
  }

  /** Stop every container of the pod (SIGKILL after its own grace of 0) and mark it not ready. */
  stopPodSandbox(id: string): Promise<void> {
    return this.sandboxes.stop(id);
  }

  removePodSandbox(id: string): Promise<void> {
    return this.sandboxes.remove(id);
  }

  podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    return this.sandboxes.status(id);
  }

  listPodSandbox(f: SandboxFilter = {}): Promise<PodSandboxStatus[]> {
    return this.sandboxes.list(f);
  }

  // ---- containers ----

  async createContainer(sandboxId: string, config: ContainerConfig, _sandboxConfig?: PodSandboxConfig): Promise<string> {
    return createContainer({
      containerDir: this.containerDir,
      logsDir: join(this.root, 'logs'),
      sockDir: join(this.root, 'sock'),
      seccompDir: this.seccompDir,
      image: async (ref) => {
        const record = await this.images.get(ref);
        const config = await this.images.config(record);
        return { record, config, lowers: await this.unpack(record) };
      },
      runcOf: (id) => this.runcOf(id),
      containers: this.containers.containers,
      save: (c) => this.containers.save(c),
    }, this.sandboxes.get(sandboxId), config);
  }

  startContainer(id: string): Promise<void> {
    return this.containers.start(id);
  }

  containerStatus(id: string): Promise<ContainerStatus> {
    return this.containers.status(id);
  }

  listContainers(f: ContainerFilter = {}): Promise<ContainerStatus[]> {
    return this.containers.list(f);
  }

  /** STOPSIGNAL (or SIGTERM), wait up to timeoutSec, then SIGKILL. */
  stopContainer(id: string, timeoutSec: number): Promise<void> {
    return this.containers.stop(id, timeoutSec);
  }

  /** Kill if needed, then remove runc state, cgroup, rootfs mount, files. */
  removeContainer(id: string): Promise<void> {
    return this.containers.remove(id);
  }

  containerStats(id: string): Promise<ContainerStats> {
    return this.containers.stats(id);
  }

  /** CPU, throttling, memory and limits of a running container's cgroup, as cAdvisor reports them. */
  containerCgroupStats(id: string): Promise<CgroupStats & { cgroupPath: string }> {
    return this.containers.cgroupStats(id);
  }

  /** Where a container's writes land (its overlay upper dir) and a sandbox's emptyDir volumes: what counts as their ephemeral storage. */
  ephemeralStoragePaths(): { containerUpper: (id: string) => string; sandboxVolume: (id: string, name: string) => string } {
    return { containerUpper: (id) => join(this.containerDir, id, 'upper'), sandboxVolume: (id, name) => join(this.sandboxDir, id, 'volumes', name) };
  }

  // ---- exec, attach and logs ----

  execSync(id: string, cmd: string[], timeoutSec = 0): Promise<ExecSyncResult> {
    return this.streams.execSync(id, cmd, timeoutSec);
  }

  exec(id: string, cmd: string[], opts: ExecOptions = {}): Promise<ExecSession> {
    return this.streams.exec(id, cmd, opts);
  }

  attach(id: string, opts: AttachOptions = {}): Promise<AttachSession> {
    return this.streams.attach(id, opts);
  }

  readLogs(id: string, opts: ReadLogsOptions = {}): AsyncIterable<string> {
    return this.streams.readLogs(id, opts);
  }
}
