import { describe, expect, it } from 'vitest';
import { INIT_SCRIPT, podInitAlive, podInitSpec, processStartTime } from './pod-init.js';

describe('podInitSpec', () => {
  it('runs the reaping loop unprivileged in a read-only root of its own, in the pod namespaces it has', () => {
    const s = podInitSpec('/sb/init/rootfs', '/tskube/podx/init', { network: '/run/netns/tsk-1', ipc: '/ns/1.ipc', uts: '' }, '/bb');
    expect(s.process.args).toEqual(['/bin/sh', '-c', INIT_SCRIPT]);
    expect(s.process.user).toEqual({ uid: 65535, gid: 65535 });
    expect(s.process.capabilities).toEqual({ bounding: [], effective: [], permitted: [] });
    expect(s.process.noNewPrivileges).toBe(true);
    expect(s.root).toEqual({ path: '/sb/init/rootfs', readonly: true });
    // A new PID namespace (the pod's) and mount namespace; the node's UTS ('') is left out.
    expect(s.linux.namespaces).toEqual([{ type: 'pid' }, { type: 'mount' }, { type: 'network', path: '/run/netns/tsk-1' }, { type: 'ipc', path: '/ns/1.ipc' }]);
    expect(s.mounts.filter((m) => m.source === '/bb').every((m) => m.options?.includes('ro'))).toBe(true);
    expect(s.linux.cgroupsPath).toBe('/tskube/podx/init');
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
