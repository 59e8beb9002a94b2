import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { distRoot } from '../tsctl/cluster.js';
import { setLogLevel } from './log.js';
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
    // Each collection logs one line; the test counts them.
    setLogLevel('info');
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const collections = () => write.mock.calls.filter(([chunk]) => String(chunk).includes('heap compacted after a burst')).length;
    let busy = false;
    const stop = startMemoryReducer(() => busy, { intervalMs: 20, growthBytes: 16 << 20, minGapMs: 0 });
    try {
      await new Promise((r) => setTimeout(r, 100));
      expect(collections()).toBe(0); // quiet, but nothing grew
      busy = true;
      let junk: number[][] | undefined = garbage(48);
      expect(junk.length).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 100));
      expect(collections()).toBe(0); // grown, but busy
      const whileBusy = process.memoryUsage().heapUsed;
      junk = undefined;
      busy = false;
      await new Promise((r) => setTimeout(r, 200));
      expect(collections()).toBe(1);
      expect(junk).toBeUndefined();
      expect(whileBusy - process.memoryUsage().heapUsed).toBeGreaterThan(32 << 20);
    } finally {
      stop();
      write.mockRestore();
      setLogLevel('warn');
    }
  });
});

describe('memory reducer and memory outside the heap', () => {
  it('runs when RSS grew though the heap did not (buffers, malloc)', async () => {
    let busy = true;
    const stop = startMemoryReducer(() => busy, { intervalMs: 20, growthBytes: 16 << 20, minGapMs: 0 });
    try {
      let big: Buffer | undefined = Buffer.alloc(48 << 20, 1);
      await new Promise((r) => setTimeout(r, 100));
      const held = process.memoryUsage().rss;
      expect(big.length).toBe(48 << 20);
      big = undefined;
      busy = false;
      await new Promise((r) => setTimeout(r, 300));
      expect(big).toBeUndefined();
      expect(held - process.memoryUsage().rss).toBeGreaterThan(32 << 20);
    } finally {
      stop();
    }
  });
});

describe('memory reducer and the young generation', () => {
  it('gives back the semi-spaces a burst grew (node --max-semi-space-size=16)', { timeout: 20_000 }, () => {
    // A child process, for the V8 flag; it runs the built module.
    const script = `
      import { getHeapSpaceStatistics } from 'node:v8';
      import { startMemoryReducer } from ${JSON.stringify(join(distRoot, 'pkg/util/memory-reducer.js'))};
      const young = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
      let busy = true;
      const stop = startMemoryReducer(() => busy, { intervalMs: 100, growthBytes: 8 << 20, minGapMs: 0 });
      const live = [];
      for (let i = 0; i < 300000; i++) { live.push({ a: 'x' + i, b: [i] }); for (let k = 0; k < 10; k++) [k, 'y' + k + i]; }
      const grown = young();
      busy = false;
      await new Promise((r) => setTimeout(r, 6000));
      stop();
      console.log(JSON.stringify({ grown, after: young(), live: live.length }));`;
    const out = execFileSync(process.execPath, ['--max-semi-space-size=16', '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, TSKUBE_LOG_LEVEL: 'warn' } });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { grown: number; after: number; live: number };
    expect(r.live).toBe(300000);
    expect(r.grown).toBeGreaterThan(16 << 20);
    expect(r.after).toBeLessThanOrEqual(4 << 20);
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
    // (a second: whatever else the test worker runs meanwhile, a few ms of RPC or GC, stays under 5%)
    await new Promise((r) => setTimeout(r, 1000));
    expect(busy()).toBe(false);
  });
});
