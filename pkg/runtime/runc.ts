// A thin runc client: every call runs `runc --root <ours> ...` so our containers never mix
// with anyone else's and cleanup can find all of them.
import { execFile } from 'node:child_process';
import { NotFoundError, RuntimeError } from './errors.js';

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

  async start(id: string): Promise<void> {
    await this.run(['start', id]);
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
