import { describe, expect, it, vi } from 'vitest';
import { WorkQueue } from './work-queue.js';

describe('WorkQueue', () => {
  it('dedups queued keys and never syncs one key twice at once; a key added while it syncs runs again after', async () => {
    const calls: string[] = [];
    let running = 0;
    let maxRunning = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue('t', async (k) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      calls.push(k);
      if (calls.length === 1) await gate;
      running--;
    });
    q.add('a');
    q.add('a');
    await new Promise((r) => setImmediate(r));
    q.add('a'); // while 'a' is processing
    release();
    await q.idle();
    await new Promise((r) => setImmediate(r));
    await q.idle();
    expect(calls).toEqual(['a', 'a']);
    expect(maxRunning).toBe(1);
    q.stop();
  });

  it('retries a failing key with growing delays until it succeeds', async () => {
    const times: number[] = [];
    const q = new WorkQueue('t', async () => {
      times.push(Date.now());
      if (times.length < 4) throw new Error('boom');
    }, { baseDelayMs: 10 });
    q.add('k');
    await new Promise((r) => setTimeout(r, 300));
    expect(times.length).toBe(4);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(9);
    expect(gaps[2]).toBeGreaterThanOrEqual(39);
    q.stop();
  });

  it('addAfter of a waiting key keeps the earlier time: a later one does not delay it, an earlier one brings it forward', async () => {
    vi.useFakeTimers();
    try {
      const calls: number[] = [];
      const t0 = Date.now();
      const q = new WorkQueue('t', async () => void calls.push(Date.now() - t0));
      q.addAfter('k', 600_000);
      q.addAfter('k', 10_000);
      q.addAfter('k', 20_000);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(calls).toEqual([10_000]);
      await vi.advanceTimersByTimeAsync(600_000);
      expect(calls).toEqual([10_000]);
      q.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('addAfter beyond what a Node timer holds (a yearly CronJob) waits the whole time, not a millisecond', async () => {
    vi.useFakeTimers();
    try {
      const calls: number[] = [];
      const q = new WorkQueue('t', async () => void calls.push(Date.now()));
      const day = 86_400_000;
      q.addAfter('k', 40 * day);
      await vi.advanceTimersByTimeAsync(30 * day);
      expect(calls).toEqual([]);
      await vi.advanceTimersByTimeAsync(10 * day);
      expect(calls).toHaveLength(1);
      q.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
