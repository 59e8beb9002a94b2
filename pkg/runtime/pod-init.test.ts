import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { INIT_SCRIPT, PAUSE_BINARY, initProgram, podInitAlive, podInitSpec, processStartTime } from './pod-init.js';

describe('podInitSpec', () => {
  it('runs pause as /pause unprivileged in a read-only root of its own, in the pod namespaces it has', () => {
    const s = podInitSpec('/sb/init/rootfs', '/tskube/podx/init', { network: '/run/netns/tsk-1', ipc: '/ns/1.ipc', uts: '' }, { pause: '/opt/pause' });
    expect(s.process.args).toEqual(['/pause']);
    expect(s.process.user).toEqual({ uid: 65535, gid: 65535 });
    expect(s.process.capabilities).toEqual({ bounding: [], effective: [], permitted: [] });
    expect(s.process.noNewPrivileges).toBe(true);
    expect(s.root).toEqual({ path: '/sb/init/rootfs', readonly: true });
    // A new PID namespace (the pod's) and mount namespace; the node's UTS ('') is left out.
    expect(s.linux.namespaces).toEqual([{ type: 'pid' }, { type: 'mount' }, { type: 'network', path: '/run/netns/tsk-1' }, { type: 'ipc', path: '/ns/1.ipc' }]);
    // The binary is the only file of the node's in its root, read-only.
    expect(s.mounts.filter((m) => m.type === 'bind')).toEqual([{ destination: '/pause', type: 'bind', source: '/opt/pause', options: ['rbind', 'ro', 'nosuid', 'nodev'] }]);
    expect(s.linux.cgroupsPath).toBe('/tskube/podx/init');
  });

  it('runs busybox sh\'s reaping loop when there is no pause binary', () => {
    const s = podInitSpec('/sb/init/rootfs', '/tskube/podx/init', { network: '/run/netns/tsk-1', ipc: '/ns/1.ipc', uts: '' }, { busybox: '/bb' });
    expect(s.process.args).toEqual(['/bin/sh', '-c', INIT_SCRIPT]);
    expect(s.process.user).toEqual({ uid: 65535, gid: 65535 });
    expect(s.mounts.filter((m) => m.type === 'bind').map((m) => [m.destination, m.source, m.options?.includes('ro')])).toEqual([['/bin/sh', '/bb', true], ['/bin/sleep', '/bb', true]]);
  });

  it('defaults to the pause binary of the build output', () => {
    expect(PAUSE_BINARY).toMatch(/\/dist\/bin\/pause$/);
    expect(podInitSpec('/r', '/c', { network: '', ipc: '', uts: '' }).mounts.find((m) => m.destination === '/pause')?.source).toBe(PAUSE_BINARY);
  });
});

describe('initProgram', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tskube-pod-init-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes the pause binary when it is executable', async () => {
    const pause = join(dir, 'pause');
    writeFileSync(pause, '');
    chmodSync(pause, 0o755);
    expect(await initProgram(pause, '/bb')).toEqual({ pause });
  });

  it('falls back to busybox with a warning naming the missing binary', async () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await initProgram(join(dir, 'missing'), '/bb')).toEqual({ busybox: '/bb' });
      const lines = write.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('pause binary missing'));
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'warn', pause: join(dir, 'missing') });
    } finally {
      write.mockRestore();
    }
  });
});

describe('pause.c', () => {
  let dir: string;
  let pause: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tskube-pause-'));
    pause = join(dir, 'pause');
    execFileSync('bash', ['scripts/build-pause.sh', pause]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Start pause, send it `signal` once it runs (a moment after its not-PID-1 warning, for its handlers), and return how it ended. */
  const endWith = (signal: NodeJS.Signals) =>
    new Promise<{ code: number | null; signal: string | null; err: string }>((resolve, reject) => {
      const child = spawn(pause, [], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d) => {
        err += d;
        if (err.includes('first process')) setTimeout(() => child.kill(signal), 50);
      });
      child.on('error', reject);
      child.on('exit', (code, sig) => resolve({ code, signal: sig, err }));
    });

  it('-v prints its version and exits 0, as pause.c does', () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(execFileSync(pause, ['-v'], { encoding: 'utf8' })).toBe(`pause.c tskube-${version}\n`);
    expect(execFileSync(pause, ['x', '-V'], { encoding: 'utf8' })).toMatch(/^pause\.c /);
  });

  it('is static: nothing to load in the sandbox\'s empty root', () => {
    expect(execFileSync('file', [pause], { encoding: 'utf8' })).toMatch(/statically linked/);
  });

  it('ends with status 0 on SIGTERM and SIGINT, and stays up otherwise', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const r = await endWith(signal);
      expect(r).toMatchObject({ code: 0, signal: null });
      expect(r.err).toContain('Shutting down, got signal: ');
    }
    // SIGHUP has no handler: it kills a pause that is not PID 1 (a PID 1 ignores it).
    expect(await endWith('SIGHUP')).toMatchObject({ code: null, signal: 'SIGHUP' });
  });

  it('reaps a child that ends, leaving no zombie', async () => {
    // sh starts a short sleep and becomes pause: the sleep is pause's child, as the orphans a
    // pod's containers leave become its children.
    const child = spawn('sh', ['-c', `sleep 0.5 & exec ${pause}`], { stdio: 'ignore' });
    try {
      const children = () => readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim();
      const state = (pid: string) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0];
      await vi.waitFor(() => expect(readlinkSync(`/proc/${child.pid}/exe`)).toBe(pause));
      const sleep = children();
      expect(sleep).toMatch(/^\d+$/);
      // Running, then gone: not left a zombie ('Z').
      await vi.waitFor(() => expect(children()).toBe(''), { timeout: 2000 });
      expect(() => state(sleep)).toThrow();
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('podInitAlive', () => {
  it('knows a process by pid and start time, so a reused pid is not taken for the init', () => {
    const startTime = processStartTime(process.pid)!;
    expect(startTime).toMatch(/^\d+$/);
    expect(podInitAlive({ id: 'x', pid: process.pid, startTime })).toBe(true);
    expect(podInitAlive({ id: 'x', pid: process.pid, startTime: String(Number(startTime) + 1) })).toBe(false);
    expect(podInitAlive({ id: 'x', pid: 2 ** 22 + 1, startTime })).toBe(false);
  });
});
