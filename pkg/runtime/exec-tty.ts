// Exec with a terminal. `runc exec --tty` (not detached) creates a pty inside the container
// (from the container's own devpts), makes it the process's controlling terminal in a new
// session, and relays between it and runc's own console, which must be a terminal: we give runc
// the slave end of a host pty and keep the master. runc puts that console in raw mode, copies
// its size to the container's pty at start and again on every SIGWINCH. So, per session:
//
//   client <-> master (here) <-> host pty slave = runc's stdio <-> runc <-> container pty <-> process
//
// The process is described by a process spec (`--process`), as containerd does, rather than by
// flags: its consoleSize is applied by runc init before the command starts. (runc's own initial
// resize comes only after the start, so a quick `stty size` could see 0 0.)
//
// Why not hand a host pty to the process directly (runc exec without --tty)? runc 1.1 only
// passes its stdio through when detached, and a detached exec loses the exit status (the process
// is reparented away from us); and the process would have no controlling terminal, and `tty`
// would not find its host /dev/pts/N inside the container's devpts.
//
// Line endings: runc clears ONLCR on the container's pty once it has received it, and counts on
// its console (ours) to turn \n into \r\n. A process that writes before runc got there has its
// output translated by its own pty already, and then again: \r\r\n. So our pty does not
// translate (ONLCR off; runc turns only OPOST back on) and CrlfStream ends lines instead: a \n
// not after a \r becomes \r\n. Either way, as with runc's own relay, the output modes the process
// sets on its terminal do not reach this translation.
import { spawn } from 'node:child_process';
import { closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { constants } from 'node:os';
import { Transform, Writable, type TransformCallback } from 'node:stream';
import { ReadStream } from 'node:tty';
import { logger } from '../util/log.js';
import { openPty, setWinSize } from './pty.js';
import type { Runc } from './runc.js';
import { execStartFailure } from './errors.js';
import { newId } from './state.js';
import type { ExecSession, TerminalSize } from './types.js';

const log = logger('runtime');
/** The terminal's EOF character (VEOF, ^D): what ending a tty session's stdin sends. */
const EOT = Buffer.from([4]);

/** The `process` of a container's config.json: the fields an exec changes, and the rest as is. */
export interface BundleProcess {
  args: string[];
  env?: string[];
  user: { uid: number; gid: number; additionalGids?: number[] };
  [field: string]: unknown;
}

export interface TtyExecParams {
  runc: Runc;
  containerId: string;
  /** The container's own process spec, which the exec's is derived from (what `runc exec` does). */
  bundleProcess: BundleProcess;
  cmd: string[];
  env?: string[];
  user?: { uid: number; gid: number };
  size?: TerminalSize;
  stdin: boolean;
  /** Where the session's process spec and pid file live while it runs. */
  stateDir: string;
}

/**
 * The exec's process spec: the container's, with the command, the extra env (and TERM=xterm
 * unless set, as containerd's CRI adds for a tty exec), the user, a terminal and its size.
 */
export function ttyProcessSpec(base: BundleProcess, cmd: string[], o: { env?: string[]; user?: { uid: number; gid: number }; size?: TerminalSize }): BundleProcess {
  const env = [...(base.env ?? []), ...(o.env ?? [])];
  if (!(o.env ?? []).some((e) => e.startsWith('TERM='))) env.push('TERM=xterm');
  const spec: BundleProcess = { ...base, terminal: true, args: cmd, env };
  if (o.user) spec.user = { ...base.user, uid: o.user.uid, gid: o.user.gid };
  if (o.size) spec.consoleSize = { height: o.size.height, width: o.size.width };
  else delete spec.consoleSize;
  return spec;
}

export function startTtyExec(p: TtyExecParams): ExecSession {
  const base = join(p.stateDir, `exec-${newId().slice(0, 16)}`);
  const specFile = `${base}.json`;
  const pidFile = `${base}.pid`;
  const logFile = `${pidFile}.log`;
  const removeFiles = () => {
    rmSync(specFile, { force: true });
    rmSync(pidFile, { force: true });
    rmSync(logFile, { force: true });
  };
  writeFileSync(specFile, JSON.stringify(ttyProcessSpec(p.bundleProcess, p.cmd, p)));
  let pty;
  try {
    pty = openPty(p.size);
  } catch (e) {
    removeFiles();
    throw e;
  }
  const args = [...p.runc.globalArgs(), '--log', logFile, '--log-format', 'json', 'exec', '--tty', '--pid-file', pidFile, '--process', specFile, p.containerId];
  let child;
  try {
    child = spawn(p.runc.binary, args, { stdio: [pty.slave, pty.slave, 'pipe'] });
  } catch (e) {
    closeSync(pty.master);
    removeFiles();
    throw new Error(`exec ${p.containerId}: start runc: ${(e as Error).message}`, { cause: e });
  } finally {
    // runc holds the slave now; ours must go, or the master would never see the hang-up.
    closeSync(pty.slave);
  }
  const master = new ReadStream(pty.master);
  // `ended`: the master fd is closed (or closing); its number may be reused, so no more ioctls.
  let ended = false;
  const stdout = new CrlfStream();
  master.on('error', (e: NodeJS.ErrnoException) => {
    // EIO is how a pty master reports that the last slave fd closed (runc exited).
    if (e.code !== 'EIO') log.warn('exec tty read failed', { container: p.containerId, err: e });
  });
  master.pipe(stdout, { end: false });
  const drained = new Promise<void>((resolve) => master.once('close', resolve)).then(() => {
    ended = true;
    stdout.end();
  });

  const stdin = p.stdin
    ? new Writable({
        write(chunk: Buffer, _enc, cb) {
          if (ended) return cb();
          master.write(chunk, () => cb());
        },
        final(cb) {
          if (ended) return cb();
          master.write(EOT, () => cb());
        },
      })
    : null;

  const exited = new Promise<number>((resolve) => {
    child.on('error', (e) => {
      log.warn('exec tty: runc failed to start', { container: p.containerId, err: e });
      resolve(126);
    });
    child.on('close', (code, sig) => resolve(code ?? (sig ? 128 + (constants.signals[sig] ?? 1) : 1)));
  });
  const exitCode = exited.then(async (code) => {
    // runc has exited, so its end of the pty is closed: what is left in the master is the
    // process's last output. Bounded, should something else hold the slave open.
    const timer = setTimeout(() => master.destroy(), 2000);
    await drained;
    clearTimeout(timer);
    const failed = code === 255 ? await execStartFailure(logFile, basename(pidFile, '.pid')) : undefined;
    removeFiles();
    if (failed) throw failed;
    return code;
  });

  return {
    stdin,
    stdout,
    stderr: child.stderr!,
    exitCode,
    resize(size) {
      if (ended || child.exitCode !== null || child.signalCode !== null) return;
      try {
        setWinSize(pty.master, size);
        child.kill('SIGWINCH');
      } catch (e) {
        log.warn('exec tty: resize failed', { container: p.containerId, err: e as Error });
      }
    },
    kill(sig = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // runc relays catchable signals to the process; SIGKILL goes to the process itself.
      const pid = sig === 'SIGKILL' ? readPid(pidFile) : undefined;
      try {
        if (pid) process.kill(pid, sig);
        else child.kill(sig);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      }
    },
  };
}

/** Ends lines with \r\n: a \n not preceded by \r (also across chunks) gets one. */
export class CrlfStream extends Transform {
  private lastWasCr = false;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const prevCr = this.lastWasCr;
    let extra = 0;
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === 0x0a && !(i > 0 ? chunk[i - 1] === 0x0d : prevCr)) extra++;
    if (chunk.length) this.lastWasCr = chunk[chunk.length - 1] === 0x0d;
    if (!extra) return cb(null, chunk);
    const out = Buffer.allocUnsafe(chunk.length + extra);
    let o = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b === 0x0a && !(i > 0 ? chunk[i - 1] === 0x0d : prevCr)) out[o++] = 0x0d;
      out[o++] = b;
    }
    cb(null, out);
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

