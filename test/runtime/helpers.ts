// Shared fixtures of the runtime suites: a throwaway docker-registry on 127.0.0.1, temp roots,
// and a snapshot of host state (mounts, cgroups, netns files, processes) for leak checks.
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const isRoot = process.getuid?.() === 0;
export const REGISTRY_BIN = '/usr/bin/docker-registry';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Registry {
  host: string;
  storage: string;
  stop(): Promise<void>;
}

/**
 * Debian's docker-registry with filesystem storage in a temp dir, loopback only. No auth, or
 * with `tokenRealm` the registry's "silly" token auth: a request without credentials gets a
 * Bearer challenge naming that realm, and any bearer token is then accepted, so the token
 * server at the realm (the test's own) decides who may pull.
 */
export async function startRegistry(opts: { tokenRealm?: string } = {}): Promise<Registry> {
  const dir = await fsp.mkdtemp(join(tmpdir(), 'tsk-registry-'));
  const port = await freePort();
  const storage = join(dir, 'storage');
  const config = `version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: ${storage}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${port}
${opts.tokenRealm ? `auth:\n  silly:\n    realm: ${opts.tokenRealm}\n    service: tskube-test\n` : ''}`;
  await fsp.writeFile(join(dir, 'config.yml'), config);
  const child: ChildProcess = spawn(REGISTRY_BIN, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const host = `127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    await fsp.rm(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(`http://${host}/v2/`);
      if (res.status === 200 || (opts.tokenRealm && res.status === 401)) return { host, storage, stop };
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`docker-registry did not start: ${stderr}`);
}

export async function tempRoot(prefix = 'tsk-rt-'): Promise<string> {
  return fsp.mkdtemp(join(tmpdir(), prefix));
}

function mountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter(Boolean);
}

/**
 * Processes called one of `names` whose command line, or their parent's, names `root`: a runtime
 * root's conmons and runcs (a runc init's is its runc's or its conmon's), not a running cluster's.
 */
function processesNamed(names: string[], root: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const comm = readFileSync(`/proc/${p}/comm`, 'utf8').trim();
      const state = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]?.[0];
      if (!names.includes(comm) || state === 'Z') continue;
      const ppid = /^PPid:\s*(\d+)$/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1];
      const namesRoot = (pid: string | undefined) => pid !== undefined && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(root);
      if (namesRoot(p) || namesRoot(ppid)) out.push(Number(p));
    } catch {
      // gone
    }
  }
  return out;
}

function listDir(d: string): string[] {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}

export interface HostSnapshot {
  mounts: number;
  mountsUnder: string[];
  netns: string[];
  podCgroups: Record<string, string[]>;
  monitors: number[];
}

/** What the runtime could leak: mounts (total and under `root`), /run/netns/tsk-*, pod cgroups under `cgroupParent`, conmon/runc processes of `root`. */
export function hostSnapshot(root: string, cgroupParent = 'tskube'): HostSnapshot {
  const mps = mountPoints();
  const podCgroups: Record<string, string[]> = {};
  for (const c of ['cpu', 'memory', 'pids', 'cpuacct', 'devices', 'freezer', 'blkio', 'cpuset', 'systemd', 'unified']) {
    podCgroups[c] = listDir(`/sys/fs/cgroup/${c}/${cgroupParent}`).filter((n) => n.startsWith('pod'));
  }
  return {
    mounts: mps.length,
    mountsUnder: mps.filter((m) => m.startsWith(root)),
    netns: listDir('/run/netns').filter((n) => n.startsWith('tsk-')),
    podCgroups,
    monitors: processesNamed(['conmon', 'runc', 'runc:[2:INIT]'], root),
  };
}

export async function waitFor<T>(fn: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
