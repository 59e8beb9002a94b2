// A thin runc client: every call runs `runc --root <ours> ...` so our containers never mix
// with anyone else's and cleanup can find all of them.
import { execFile } from 'node:child_process';
import { closeSync, constants as fsConstants, openSync, promises as fsp } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { FailedPreconditionError, NotFoundError, RuntimeError } from './errors.js';
import { alive } from './proc.js';

export const RUNC = process.env.TSKUBE_RUNC ?? '/usr/sbin/runc';

export interface RuncState {
  id: string;
  pid: number;
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  bundle: string;
}

export class Runc {
  constructor(readonly root: string, readonly binary = RUNC) {}

  /** Global args (before the subcommand), also handed to conmon as --runtime-arg. */
  globalArgs(): string[] {
    return ['--root', this.root];
  }

  run(args: string[], timeoutMs = 30_000): Promise<{ stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      execFile(this.binary, [...this.globalArgs(), ...args], { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
        if (!err) return resolve({ stdout, stderr });
        const msg = (stderr || stdout || err.message).trim().replace(/^time="[^"]*" level=\w+ msg="(.*)"$/m, '$1');
        if (/does not exist|not found/i.test(msg)) reject(new NotFoundError(`runc ${args[0]} ${args[args.length - 1]}: ${msg}`, { cause: err }));
        else reject(new RuntimeError(`runc ${args.join(' ')}: ${msg}`, { cause: err }));
      });
    });
  }

  async state(id: string): Promise<RuncState | undefined> {
    try {
      return JSON.parse((await this.run(['state', id])).stdout) as RuncState;
    } catch (e) {
      if (e instanceof NotFoundError) return undefined;
      throw e;
    }
  }

  async list(): Promise<RuncState[]> {
    const out = (await this.run(['list', '--format', 'json'])).stdout.trim();
    return out && out !== 'null' ? (JSON.parse(out) as RuncState[]) : [];
  }

  /**
   * Start a created container. What `runc start` does (runc 1.x, libcontainer's exec()) is done
   * in-process: the container's init waits in runc's exec FIFO (<root>/<id>/exec.fifo) until a
   * reader opens it, writes one byte and execs the container's process; start opens the FIFO,
   * reads that byte and removes the FIFO (runc then reports the container running). That saves a
   * fork of this process and a runc start-up per container. When the FIFO is not there (another
   * runc layout, or not in the created state) `runc start` runs and gives runc's own answer;
   * an init that is gone before it was started is refused as runc refuses it.
   */
  async start(id: string, pid?: number): Promise<void> {
    // (without the init's pid a dead init could not be told from a slow one: runc decides)
    if (!pid) return void (await this.run(['start', id]));
    const fifo = join(this.root, id, 'exec.fifo');
    let fd: number;
    try {
      // Non-blocking: opening a FIFO's read end does not wait for a writer, and epoll reports no
      // hang-up until a writer has come and gone.
      fd = openSync(fifo, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
    } catch {
      return void (await this.run(['start', id]));
    }
    const data = await readFifo(fd, pid);
    if (data === 0) throw new FailedPreconditionError(`container ${id}: cannot start a container that has stopped`);
    await fsp.rm(fifo, { force: true });
  }

  async kill(id: string, signal: string, all = false): Promise<void> {
    await this.run(['kill', ...(all ? ['--all'] : []), id, signal]);
  }

  async delete(id: string, force = false): Promise<void> {
    try {
      await this.run(['delete', ...(force ? ['--force'] : []), id]);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
  }
}

/** Bytes read from the exec FIFO until its writer closes it, or until `pid` (the init) is gone without writing. */
function readFifo(fd: number, pid: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let sock: Socket;
    try {
      sock = new Socket({ fd, readable: true, writable: false });
    } catch (e) {
      closeSync(fd);
      return reject(new RuntimeError(`exec FIFO: ${(e as Error).message}`, { cause: e }));
    }
    let n = 0;
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const done = (e?: Error) => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      sock.destroy();
      if (e) reject(new RuntimeError(`exec FIFO: ${e.message}`, { cause: e }));
      else resolve(n);
    };
    sock.on('data', (b: Buffer) => (n += b.length));
    sock.on('end', () => done());
    sock.on('error', done);
    // runc's own check: an init that died without ever opening its end never makes EOF arrive.
    timer = setInterval(() => {
      if (!alive(pid)) setTimeout(() => done(), 20);
    }, 100);
  });
}
