// The crash-loop back-off of one container, against a fake pod context: the sequence of
// allowed restarts and waits.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ContainerStatus } from '../runtime/types.js';
import { restartAllowed } from './pod-worker-crash-loop.js';
import type { ContainerRecord, PodContext } from './pod-worker-deps.js';

const deps = { backoffBaseSec: 10, backoffMaxSec: 300 };
const c = { name: 'app', image: 'x' };

function fake() {
  const calls: string[] = [];
  const ctx: PodContext = {
    pod: { metadata: { name: 'p', namespace: 'default', uid: 'u' } },
    uid: 'u',
    key: 'default/p',
    podIP: '',
    event: (_type, reason) => calls.push(`event ${reason}`),
    retryIn: (ms) => calls.push(`retry ${Math.round(ms / 1000)}s`),
    kick: () => calls.push('kick'),
  };
  const rec: ContainerRecord = { notBefore: 0, delaySec: 0, ready: false, started: false, probers: [] };
  return { ctx, rec, calls };
}

/** An attempt that ran from `startedAgoMs` until `finishedAgoMs` before now. */
const exited = (startedAgoMs: number, finishedAgoMs: number): ContainerStatus =>
  ({ startedAt: new Date(Date.now() - startedAgoMs).toISOString(), finishedAt: new Date(Date.now() - finishedAgoMs).toISOString() }) as ContainerStatus;

describe('crash-loop back-off', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('restarts at once the first time, then waits 10 s, doubling', () => {
    const { ctx, rec, calls } = fake();
    expect(restartAllowed(deps, ctx, c, exited(1000, 0), rec)).toBe(true);
    expect(rec.delaySec).toBe(10);
    expect(restartAllowed(deps, ctx, c, exited(1000, 0), rec)).toBe(false);
    expect(rec.waiting?.reason).toBe('CrashLoopBackOff');
    expect(rec.waiting?.message).toBe('back-off 10s restarting failed container=app pod=p_default(u)');
    expect(calls).toEqual(['event BackOff', 'retry 10s']);
    // 10 s later: allowed, and the next wait is 20 s
    vi.advanceTimersByTime(10_000);
    expect(restartAllowed(deps, ctx, c, exited(11_000, 10_000), rec)).toBe(true);
    expect(rec.delaySec).toBe(20);
    expect(restartAllowed(deps, ctx, c, exited(1000, 0), rec)).toBe(false);
    expect(rec.waiting?.message).toContain('back-off 20s');
  });

  it('after an attempt that ran 10 minutes starts over: at once, then 10 s, and backs off again after that', () => {
    const { ctx, rec } = fake();
    Object.assign(rec, { notBefore: Date.now() - 11 * 60_000, delaySec: 80 });
    expect(restartAllowed(deps, ctx, c, exited(11 * 60_000, 0), rec)).toBe(true);
    // the next crash, soon after, waits the base delay (and does not restart at once for ever)
    vi.advanceTimersByTime(2000);
    expect(restartAllowed(deps, ctx, c, exited(1000, 0), rec)).toBe(false);
    expect(rec.waiting?.message).toContain('back-off 10s');
    vi.advanceTimersByTime(10_000);
    expect(restartAllowed(deps, ctx, c, exited(11_000, 10_000), rec)).toBe(true);
    expect(rec.delaySec).toBe(20);
  });
});
