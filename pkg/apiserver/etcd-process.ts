// The embedded etcd: with no --etcd-servers the apiserver runs Debian's etcd as a child, on
// loopback only, with its data under the apiserver's data dir, and restarts it if it dies.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, fstatSync, readdirSync, readFileSync, readSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { logger } from '../util/log.js';

const log = logger('etcd');

export interface EmbeddedEtcdOptions {
  dataDir: string;
  clientPort: number;
  peerPort: number;
  binary?: string;
  /** Where etcd's own output goes; defaults to DATA_DIR/etcd.log. */
  logFile?: string;
  /** Go's GOMAXPROCS for etcd (default: half the cores, at least 1, unless GOMAXPROCS is set). */
  maxProcs?: number;
  /** The clock the restart back-off reads (tests). */
  now?: () => number;
}

/** The first restart's delay; each exit in a row adds as much, up to RESTART_DELAY_MAX_MS. */
const RESTART_DELAY_STEP_MS = 200;
const RESTART_DELAY_MAX_MS = 5000;
/**
 * A run this long ends a row of crashes: the next restart is the first of a new row. The rule of
 * tsctl up's supervisor (a component that ran a minute is started again after its first delay),
 * so the etcd inside the apiserver and the apiserver itself forget old crashes alike; it is
 * twelve times the longest delay, so a crash loop never looks stable.
 */
export const ETCD_STABLE_RUN_MS = 60_000;

/**
 * The embedded etcd shares its machine with the apiserver, scheduler, controllers and an agent.
 * With every core its own, Go's scheduler spins idle processors looking for work, which on a
 * small machine is CPU taken from the rest: on 2 cores, GOMAXPROCS=1 cut etcd's CPU per write
 * by a third (0.16 -> 0.10 ms per put, bench/apiserver) and raised its put rate.
 */
export function defaultEtcdMaxProcs(): number {
  return Math.max(1, Math.floor(availableParallelism() / 2));
}

/** The embedded etcd's Unix socket, in its working directory (etcd wants host:port). */
const SOCKET_NAME = 'etcd.sock:0';
/** sun_path holds 108 bytes with the terminating NUL. */
const MAX_SOCKET_PATH = 108;

enum State {
  Stopped,
  Running,
  Stopping,
}

/** Supervises one etcd child. Invariant: `child` is set exactly while state is Running or Stopping. */
export class EmbeddedEtcd {
  private child: ChildProcess | undefined;
  private state = State.Stopped;
  private restarts = 0;
  /** Exits since the last run of ETCD_STABLE_RUN_MS or more; the next delay grows with it. */
  private crashesInRow = 0;
  /** When the current child was started (opts.now's clock). */
  private startedAt = 0;
  private lastDelayMs = 0;
  /** The loopback TCP endpoint: for tools (etcdctl) and tests. */
  readonly endpoint: string;
  /**
   * The endpoint the apiserver itself uses: a Unix socket beside the data dir when its path fits
   * (a write or a watch event costs etcd and the apiserver less CPU than over TCP loopback), else
   * the TCP one. etcd names a unix listener host:port and makes it in its working directory.
   */
  readonly clientEndpoint: string;
  /** etcd's working directory, where it makes the socket. */
  private readonly socketDir: string;
  /** The socket's path, when it fits in sun_path (else etcd listens on TCP only). */
  private readonly socketPath: string | undefined;

  constructor(private readonly opts: EmbeddedEtcdOptions) {
    this.endpoint = `http://127.0.0.1:${opts.clientPort}`;
    this.socketDir = dirname(opts.dataDir);
    const socketPath = join(this.socketDir, SOCKET_NAME);
    this.socketPath = Buffer.byteLength(socketPath) < MAX_SOCKET_PATH ? socketPath : undefined;
    this.clientEndpoint = this.socketPath ? `unix://${encodeURI(this.socketPath)}` : this.endpoint;
  }

  get restartCount(): number {
    return this.restarts;
  }

  /** The delay before the latest restart. */
  get restartDelayMs(): number {
    return this.lastDelayMs;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    mkdirSync(this.opts.dataDir, { recursive: true, mode: 0o700 });
    // An apiserver killed with -9 leaves its etcd running; the new one takes over the data dir.
    await stopStaleEtcd(this.opts.dataDir);
    this.state = State.Running;
    this.spawnChild();
    await waitForPort(this.opts.clientPort, 30_000);
    log.info('embedded etcd ready', { endpoint: this.endpoint, dataDir: this.opts.dataDir, pid: this.child?.pid });
  }

  private spawnChild(): void {
    const o = this.opts;
    const logPath = o.logFile ?? join(o.dataDir, '..', 'etcd.log');
    const fd = openSync(logPath, 'a');
    // etcd does not remove a socket file left by an etcd that was killed: bind would fail.
    if (this.socketPath) rmSync(this.socketPath, { force: true });
    const args = [
      '--name', 'tskube',
      '--data-dir', o.dataDir,
      '--listen-client-urls', [`http://127.0.0.1:${o.clientPort}`, ...(this.socketPath ? [`unix://${SOCKET_NAME}`] : [])].join(','),
      '--advertise-client-urls', `http://127.0.0.1:${o.clientPort}`,
      '--listen-peer-urls', `http://127.0.0.1:${o.peerPort}`,
      '--initial-advertise-peer-urls', `http://127.0.0.1:${o.peerPort}`,
      '--initial-cluster', `tskube=http://127.0.0.1:${o.peerPort}`,
      '--quota-backend-bytes', String(4 * 1024 * 1024 * 1024),
      '--snapshot-count', '10000',
      '--log-level', 'warn',
      '--logger', 'zap',
    ];
    const child = spawn(o.binary ?? '/usr/bin/etcd', args, { cwd: this.socketDir, stdio: ['ignore', fd, fd], env: { GOMAXPROCS: String(o.maxProcs ?? defaultEtcdMaxProcs()), ...process.env, ETCD_UNSUPPORTED_ARCH: '' } });
    closeSync(fd);
    this.child = child;
    const now = o.now ?? Date.now;
    this.startedAt = now();
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      if (this.state !== State.Running) return;
      this.restarts++;
      const upMs = now() - this.startedAt;
      if (upMs >= ETCD_STABLE_RUN_MS) this.crashesInRow = 0;
      this.crashesInRow++;
      const delayMs = Math.min(RESTART_DELAY_MAX_MS, RESTART_DELAY_STEP_MS * this.crashesInRow);
      this.lastDelayMs = delayMs;
      // (why, from its own log: a port taken, a data dir it cannot use)
      const why = code ? lastEtcdError(logPath) : undefined;
      log.warn('embedded etcd exited; restarting', { code, signal, restarts: this.restarts, upMs, delayMs, ...(why ? { err: why } : {}) });
      setTimeout(() => {
        if (this.state === State.Running) this.spawnChild();
      }, delayMs);
    });
  }

  async stop(): Promise<void> {
    this.state = State.Stopping;
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    this.child = undefined;
    this.state = State.Stopped;
  }
}

/** Stops any etcd still serving `dataDir` (left by an apiserver that was killed). */
export async function stopStaleEtcd(dataDir: string): Promise<void> {
  const stale: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      const i = argv.indexOf('--data-dir');
      if (/etcd$/.test(argv[0] ?? '') && i >= 0 && argv[i + 1] === dataDir) stale.push(Number(p));
    } catch {
      // gone
    }
  }
  for (const pid of stale) {
    log.warn('stopping an etcd left running by a previous apiserver', { pid, dataDir });
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      continue;
    }
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      try {
        process.kill(pid, 0);
      } catch {
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // exited
    }
  }
}

/** The last error etcd logged (its zap JSON lines' msg and error), from the tail of its log. */
function lastEtcdError(logPath: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(logPath, 'r');
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(size, 8192));
    readSync(fd, buf, 0, buf.length, size - buf.length);
    for (const line of buf.toString('utf8').split('\n').reverse()) {
      if (!/"level":"(error|fatal|panic)"/.test(line)) continue;
      try {
        const e = JSON.parse(line) as { msg?: string; error?: string };
        return [e.msg, e.error].filter(Boolean).join(': ');
      } catch {
        return line.slice(0, 300);
      }
    }
  } catch {
    // no log to read
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return undefined;
}

export function waitForPort(port: number, timeoutMs: number, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const sock = createConnection({ port, host });
      sock.once('connect', () => {
        sock.destroy();
        resolve();
      });
      sock.once('error', () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listening on ${host}:${port} after ${timeoutMs} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}
