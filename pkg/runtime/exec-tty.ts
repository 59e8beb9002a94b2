// Exec with a terminal. `runc exec --tty` (not detached) creates a pty inside the container
// (from the container's own devpts), makes it the process's controlling terminal in a new
// session, and relays between it and runc's own console, which must be a terminal: we give runc
// the slave end of a host pty and keep the master. runc puts that console in raw mode, copies
// its size to the container's pty at start and again on every SIGWINCH. So, per session:
//
//   client <-> master (here) <-> host pty slave = runc's stdio <-> runc <-> container pty <-> process
//
// Why not hand a host pty to the process directly (runc exec without --tty)? runc 1.1 only
// passes its stdio through when detached, and a detached exec loses the exit status (the process
// is reparented away from us); and the process would have no controlling terminal, and `tty`
// would not find its host /dev/pts/N inside the container's devpts.
import { spawn } from 'node:child_process';
import { closeSync, readFileSync, rmSync } from 'node:fs';
import { constants } from 'node:os';
import { PassThrough, Writable } from 'node:stream';
import { ReadStream } from 'node:tty';
import { logger } from '../util/log.js';
import { openPty, setWinSize } from './pty.js';
import type { Runc } from './runc.js';
import type { ExecSession, TerminalSize } from './types.js';

const log = logger('runtime');
/** The terminal's EOF character (VEOF, ^D): what ending a tty session's stdin sends. */
const EOT = Buffer.from([4]);

export interface TtyExecParams {
  runc: Runc;
  containerId: string;
  /** `runc exec` options before the container id (--env, --user). */
  options: string[];
  cmd: string[];
  /** Where runc writes the process's pid (removed when the session ends). */
  pidFile: string;
  size?: TerminalSize;
  stdin: boolean;
}

export function startTtyExec(p: TtyExecParams): ExecSession {
  const pty = openPty(p.size);
  const args = [...p.runc.globalArgs(), 'exec', '--tty', '--pid-file', p.pidFile, ...p.options, p.containerId, ...p.cmd];
  let child;
  try {
    child = spawn(p.runc.binary, args, { stdio: [pty.slave, pty.slave, 'pipe'] });
  } catch (e) {
    closeSync(pty.master);
    throw new Error(`exec ${p.containerId}: start runc: ${(e as Error).message}`, { cause: e });
  } finally {
    // runc holds the slave now; ours must go, or the master would never see the hang-up.
    closeSync(pty.slave);
  }
  const master = new ReadStream(pty.master);
  // `ended`: the master fd is closed (or closing); its number may be reused, so no more ioctls.
  let ended = false;
  const stdout = new PassThrough();
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
    rmSync(p.pidFile, { force: true });
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
      const pid = sig === 'SIGKILL' ? readPid(p.pidFile) : undefined;
      try {
        if (pid) process.kill(pid, sig);
        else child.kill(sig);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      }
    },
  };
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

