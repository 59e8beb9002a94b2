// The streams of running containers: exec (runc exec, or with a tty through a pty), attach to
// conmon's socket with what the log already holds, and the container's log as it grows.
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { connectAttachSocket, type AttachConnection } from './attach-socket.js';
import { ExecStartError, execStartFailure, FailedPreconditionError, InvalidArgumentError, RuntimeError } from './errors.js';
import { startTtyExec, type BundleProcess } from './exec-tty.js';
import { parseLogLine, readLogFile } from './logs.js';
import { resizeConmonTerminal } from './monitor.js';
import type { Runc } from './runc.js';
import type { ContainerRecord } from './state.js';
import { ContainerState, type AttachOptions, type AttachSession, type ExecOptions, type ExecSession, type ExecSyncResult, type ReadLogsOptions } from './types.js';

/** What the streams need of the containers. */
export interface StreamHost {
  /** The container by id (NotFound when none). */
  get(id: string): ContainerRecord;
  /** The container, which must be running (FailedPrecondition otherwise). */
  running(id: string): ContainerRecord;
  /** Whether the container is still there (not removed). */
  has(id: string): boolean;
  /** Brings a record up to date (has it exited?). */
  refresh(c: ContainerRecord): Promise<void>;
  runcOf(sandboxId: string): Runc;
}

/** Output an execSync keeps, stdout and stderr together (the kubelet reads 10 KiB of a probe's). */
const EXEC_SYNC_OUTPUT_LIMIT = 1 << 20;

/** Execs started by this process, naming their pid files. */
let execCount = 0;

export class ContainerStreams {
  constructor(private readonly h: StreamHost) {}

  async execSync(id: string, cmd: string[], timeoutSec = 0): Promise<ExecSyncResult> {
    const s = await this.exec(id, cmd);
    // (read to the end, but kept only up to a limit: a chatty probe command must not fill the agent's heap)
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let kept = 0;
    const keep = (into: Buffer[]) => (b: Buffer) => {
      if (kept >= EXEC_SYNC_OUTPUT_LIMIT) return;
      const part = b.subarray(0, EXEC_SYNC_OUTPUT_LIMIT - kept);
      kept += part.length;
      into.push(part);
    };
    s.stdout.on('data', keep(out));
    s.stderr.on('data', keep(err));
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    if (timeoutSec > 0) {
      timer = setTimeout(() => {
        timedOut = true;
        s.kill('SIGKILL');
      }, timeoutSec * 1000);
    }
    let exitCode: number;
    try {
      exitCode = await s.exitCode.finally(() => timer && clearTimeout(timer));
    } catch (e) {
      // A command that could not be started has no exit code: ExecSync's gRPC error, which an
      // exec probe reports as errored (not counted) and a hook as its failure.
      if (e instanceof ExecStartError) throw new ExecStartError(`rpc error: code = Unknown desc = ${e.message}`, { cause: e });
      throw e;
    }
    return { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), exitCode, ...(timedOut ? { timedOut } : {}) };
  }

  async exec(id: string, cmd: string[], opts: ExecOptions = {}): Promise<ExecSession> {
    const c = await this.stillRunning(id);
    if (!cmd.length) throw new InvalidArgumentError('exec: empty command');
    if (opts.tty) {
      try {
        const bundle = JSON.parse(await fsp.readFile(join(c.dir, 'config.json'), 'utf8')) as { process: BundleProcess };
        return startTtyExec({ runc: this.h.runcOf(c.sandboxId), containerId: c.id, bundleProcess: bundle.process, cmd, env: opts.env, user: opts.user, size: opts.size, stdin: !!opts.stdin, stateDir: c.dir });
      } catch (e) {
        throw new RuntimeError(`container "${c.config.name}" (${c.id}): exec with tty: ${(e as Error).message}`, { cause: e });
      }
    }
    const options: string[] = [];
    for (const e of opts.env ?? []) options.push('--env', e);
    if (opts.user) options.push('--user', `${opts.user.uid}:${opts.user.gid}`);
    // runc writes the exec'd process's pid here: a kill goes to it, not only to runc, which
    // cannot pass SIGKILL on (a timed-out probe command would otherwise run on in the container).
    const execId = `exec-${process.pid}-${++execCount}`;
    const pidFile = join(c.dir, `${execId}.pid`);
    options.push('--pid-file', pidFile);
    // runc's own errors go to a log of their own, so stderr is the process's alone, and a
    // command that could not be started is told apart from one that exited.
    const logFile = join(c.dir, `${execId}.log`);
    const runc = this.h.runcOf(c.sandboxId);
    const child = spawn(runc.binary, [...runc.globalArgs(), '--log', logFile, '--log-format', 'json', 'exec', ...options, c.id, ...cmd], { stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    // Input for a process that has exited or closed its stdin (yes | kubectl exec -i ... -- head -1)
    // fails with EPIPE: it is dropped, as the kubelet's copy into the exec's stdin ends; unheard,
    // the error would end the node agent.
    child.stdin?.on('error', () => {});
    const exitCode = new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, sig) => resolve(code ?? (sig ? 128 + (({ SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[sig] ?? 1) : 1)));
    })
      .then(async (code) => {
        const failed = code === 255 ? await execStartFailure(logFile, execId) : undefined;
        if (failed) throw failed;
        return code;
      })
      .finally(() => Promise.all([fsp.rm(pidFile, { force: true }), fsp.rm(logFile, { force: true })]).catch(() => {}));
    const kill = (sig: NodeJS.Signals = 'SIGKILL') => {
      void fsp
        .readFile(pidFile, 'utf8')
        .then((pid) => process.kill(Number(pid.trim()), sig))
        .catch(() => {}) // not started yet, or gone already
        .finally(() => child.kill(sig));
    };
    // runc also prints its reason on stderr (`exec failed: ...`) when the command could not be
    // started: such a chunk is held until the exit says whether it was runc's (dropped) or the process's.
    const stderr = new PassThrough();
    let held: Buffer | undefined;
    child.stderr!.on('data', (b: Buffer) => {
      if (held) {
        stderr.write(Buffer.concat([held, b]));
        held = undefined;
      } else if (b.subarray(0, 12).toString() === 'exec failed:') held = b;
      else stderr.write(b);
    });
    child.stderr!.on('end', () => {
      void exitCode
        .then(
          () => held && stderr.write(held),
          () => {},
        )
        .finally(() => stderr.end());
    });
    return { stdin: child.stdin, stdout: child.stdout!, stderr, exitCode, kill, resize: () => {} };
  }

  async attach(id: string, opts: AttachOptions = {}): Promise<AttachSession> {
    const c = await this.stillRunning(id);
    const what = `container "${c.config.name}" (${c.id})`;
    // (stdin asked of a container made without it is not wired, as containerd's ContainerIO.Attach: output still streams)
    const withStdin = !!opts.stdin && !!c.config.stdin;
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
      stdin: withStdin ? conn.stdin : null,
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
    const c = this.h.get(id);
    return readLogFile(c.logPath, opts, async () => {
      if (!this.h.has(c.id)) return true;
      await this.h.refresh(c);
      return c.state === ContainerState.Exited;
    });
  }

  /** The container, running as its record says and still running once brought up to date. */
  private async stillRunning(id: string): Promise<ContainerRecord> {
    const c = this.h.running(id);
    await this.h.refresh(c);
    if (c.state !== ContainerState.Running) throw new FailedPreconditionError(`container "${c.config.name}" (${c.id}): not running`);
    return c;
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
