import { describe, expect, it } from 'vitest';
import { eventLoopBusy, reduceMemory, startMemoryReducer } from './memory-reducer.js';

/** Allocates about `mb` MB on the V8 heap (arrays of doubles), kept by the returned array. */
function garbage(mb: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < mb * 1024; i++) out.push(Array.from({ length: 128 }, (_, k) => k + i + 0.5));
  return out;
}

describe('memory reducer', () => {
  it('a reduction collects what is no longer referenced', () => {
    let junk: number[][] | undefined = garbage(48);
    const held = process.memoryUsage().heapUsed;
    expect(junk.length).toBeGreaterThan(0);
    junk = undefined;
    reduceMemory();
    expect(held - process.memoryUsage().heapUsed).toBeGreaterThan(32 << 20);
  });

  it('runs only after the heap grew and the process is quiet', async () => {
    let busy = true;
    let asked = 0;
    const stop = startMemoryReducer(() => (asked++, busy), { intervalMs: 20, growthBytes: 16 << 20, minGapMs: 0 });
    try {
      await new Promise((r) => setTimeout(r, 100));
      expect(asked).toBe(0); // no growth yet: busy() is not even consulted
      let junk: number[][] | undefined = garbage(48);
      await new Promise((r) => setTimeout(r, 100));
      expect(asked).toBeGreaterThan(0); // grown, but busy
      const whileBusy = process.memoryUsage().heapUsed;
      junk = undefined;
      busy = false;
      await new Promise((r) => setTimeout(r, 200));
      expect(junk).toBeUndefined();
      expect(whileBusy - process.memoryUsage().heapUsed).toBeGreaterThan(32 << 20);
    } finally {
      stop();
    }
  });
});

describe('eventLoopBusy', () => {
  it('is true after a spell of running JavaScript and false after a quiet one', async () => {
    const busy = eventLoopBusy(0.05);
    const until = Date.now() + 60;
    while (Date.now() < until) {
      // spin
    }
    expect(busy()).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(busy()).toBe(false);
  });
});
