// Per-container monitor: Debian's conmon, as CRI-O uses it. conmon runs `runc create`, reports
// the container pid over a sync pipe, holds the container's stdio, writes the CRI log file and,
// when the container exits, its exit code to <exit-dir>/<id> (and `oom` to its persist dir when
// the kernel OOM-killed it). It daemonizes, so containers outlive the process that made them.
import { spawn } from 'node:child_process';
import { closeSync, constants as fsConstants, openSync, promises as fsp, writeSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { posixSpawn, posixSpawnAvailable } from '../util/posix-spawn.js';
import { RuntimeError } from './errors.js';
import type { Runc } from './runc.js';
export { alive } from './proc.js';

export const CONMON = process.env.TSKUBE_CONMON ?? '/usr/bin/conmon';

export interface MonitorPaths {
  /** Container state dir: holds exit/, persist/, pidfiles. */
  dir: string;
  bundle: string;
  logPath: string;
  socketDir: string;
}

export function exitFile(p: Pick<MonitorPaths, 'dir'>, id: string): string {
  return join(p.dir, 'exit', id);
}
export function oomFile(p: Pick<MonitorPaths, 'dir'>): string {
  return join(p.dir, 'persist', 'oom');
}
export function conmonPidFile(p: Pick<MonitorPaths, 'dir'>): string {
  return join(p.dir, 'conmon.pid');
}

/**
 * How the container's stdio is set up: `tty` gives it a terminal (conmon holds the master and
 * logs what the terminal shows), `stdin` keeps a stdin pipe open (as Kubernetes' `stdin: true`:
 * reads wait for input instead of seeing end-of-file), left open when a client detaches unless
 * `stdinOnce`. Attached clients reach stdio through conmon's attach socket (attach-socket.ts).
 */
export interface ConmonStdio {
  tty?: boolean;
  stdin?: boolean;
  /** Close stdin when the first attached client detaches, instead of leaving it open. */
  stdinOnce?: boolean;
}

/** Start conmon, which runs `runc create`; resolves with the container's init pid. */
export async function createWithConmon(runc: Runc, id: string, p: MonitorPaths, logSizeMax: number, stdio: ConmonStdio = {}): Promise<number> {
  await Promise.all([fsp.mkdir(join(p.dir, 'exit'), { recursive: true }), fsp.mkdir(join(p.dir, 'persist'), { recursive: true }), fsp.mkdir(p.socketDir, { recursive: true })]);
  const args = [
    '--api-version', '1', '-c', id, '-u', id, '-n', id,
    '-r', runc.binary, ...runc.globalArgs().flatMap((a) => ['--runtime-arg', a]),
    '-b', p.bundle, '-p', join(p.dir, 'pid'), '-P', conmonPidFile(p),
    '-l', `k8s-file:${p.logPath}`, '--log-size-max', String(logSizeMax),
    '--exit-dir', join(p.dir, 'exit'), '--persist-dir', join(p.dir, 'persist'),
    '--socket-dir-path', p.socketDir, '--log-level', 'error', '--no-sync-log',
    ...(stdio.tty ? ['--terminal'] : []),
    ...(stdio.stdin ? ['--stdin', ...(stdio.stdinOnce ? [] : ['--leave-stdin-open'])] : []),
  ];
  return new Promise((resolve, reject) => {
    // conmon also drops an "oom" file in its working directory: keep that inside the container's dir.
    const env = { ...process.env, _OCI_SYNCPIPE: '3' };
    let sync: Socket | NodeJS.ReadableStream;
    let stderr: Socket | NodeJS.ReadableStream;
    let release = () => {};
    try {
      if (posixSpawnAvailable() && process.env.TSKUBE_SPAWN !== 'node') {
        const child = posixSpawn(CONMON, args, { env, cwd: p.dir, detached: true, extraPipes: 1 });
        [sync, stderr] = [child.extra[0]!, child.stderr];
      } else {
        const child = spawn(CONMON, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], env, detached: true, cwd: p.dir });
        [sync, stderr] = [child.stdio[3] as NodeJS.ReadableStream, child.stderr!];
        child.on('error', (e) => finish(new RuntimeError(`container ${id}: conmon: ${e.message}`, { cause: e })));
        release = () => child.unref();
      }
    } catch (e) {
      return reject(new RuntimeError(`container ${id}: conmon: ${(e as Error).message}`, { cause: e }));
    }
    let buf = '';
    let err = '';
    let done = false;
    function finish(e: Error | undefined, pid?: number) {
      if (done) return;
      done = true;
      (sync as Socket).destroy();
      (stderr as Socket).destroy();
      release();
      if (e) reject(e);
      else resolve(pid!);
    }
    stderr.on('data', (b: Buffer) => (err += b.toString()));
    sync.on('data', (b: Buffer) => {
      buf += b.toString();
      const m = /\{[^}]*\}/.exec(buf);
      if (!m) return;
      const msg = JSON.parse(m[0]) as { data: number; message?: string };
      if (msg.data > 0) finish(undefined, msg.data);
      else finish(new RuntimeError(`container ${id}: create: ${(msg.message ?? err).trim() || 'runc create failed'}`));
    });
    sync.on('end', () => finish(new RuntimeError(`container ${id}: conmon exited without reporting a pid: ${err.trim()}`)));
    sync.on('error', (e: Error) => finish(new RuntimeError(`container ${id}: conmon sync pipe: ${e.message}`, { cause: e })));
  });
}

/**
 * Resizes a container's terminal through conmon's control FIFO (`<dir>/ctl`, messages
 * "<type> <height> <width>", type 1 a resize). Without a reader (conmon gone) it does nothing.
 */
export function resizeConmonTerminal(dir: string, size: { width: number; height: number }): void {
  let fd: number | undefined;
  try {
    fd = openSync(join(dir, 'ctl'), fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
    writeSync(fd, `1 ${Math.trunc(size.height)} ${Math.trunc(size.width)}\n`);
  } catch {
    // conmon has gone (ENXIO: no reader) or its FIFO is full: the container is ending
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The exit code conmon recorded, with the file's mtime as the finish time; undefined while running. */
export async function readExit(p: Pick<MonitorPaths, 'dir'>, id: string): Promise<{ code: number; at: Date } | undefined> {
  try {
    const f = exitFile(p, id);
    const [txt, st] = await Promise.all([fsp.readFile(f, 'utf8'), fsp.stat(f)]);
    if (txt.trim() === '') return undefined;
    return { code: Number(txt.trim()), at: st.mtime };
  } catch {
    return undefined;
  }
}

export async function readPid(file: string): Promise<number | undefined> {
  try {
    const n = Number((await fsp.readFile(file, 'utf8')).trim());
    return n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Wait until conmon wrote the exit file (polling; fs.watch on a dir is not reliable everywhere). */
export async function waitExit(p: Pick<MonitorPaths, 'dir'>, id: string, timeoutMs: number): Promise<{ code: number; at: Date } | undefined> {
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  for (;;) {
    const e = await readExit(p, id);
    if (e) return e;
    if (Date.now() >= deadline) return undefined;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 50);
  }
}
