// A memory reducer for long-running servers. V8 grows its heap during a burst (10k pod creates)
// and keeps the capacity afterwards; glibc keeps freed malloc chunks in its arenas. Neither is
// handed back on its own in Node, which sends V8 no idle notifications. When the process has
// gone quiet after growing, this runs one full, compacting GC and then malloc_trim(0), so that
// RSS follows the live data instead of the high-water mark. Cheap when idle: one
// process.memoryUsage() per tick; at most one collection per `minGapMs`.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { openLibc } from './libc.js';
import { logger } from './log.js';

const log = logger('memory');

export interface MemoryReducerOptions {
  /** How often to look (ms). */
  intervalMs: number;
  /** Collect when the heap holds this many more bytes than it did after the last collection. */
  growthBytes: number;
  /** Never collect more often than this (ms). */
  minGapMs: number;
}

export const defaultMemoryReducer: MemoryReducerOptions = { intervalMs: 5_000, growthBytes: 24 << 20, minGapMs: 10_000 };

let gcFn: (() => void) | undefined;
let trimFn: ((pad: number) => number) | undefined;

function collector(): () => void {
  if (!gcFn) {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as (opts?: object) => void;
    // The 'last-resort' flavour is V8's memory-reducing collection, which gives back
    // young-generation and pooled pages; a plain full GC after it collects whatever that one
    // left (on its own it does not reliably collect everything in this V8).
    gcFn = () => {
      gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
      gc();
    };
  }
  return gcFn;
}

function trim(): void {
  try {
    trimFn ??= openLibc().func('int malloc_trim(size_t pad)') as (pad: number) => number;
    trimFn(0);
  } catch {
    // not glibc: nothing to trim
  }
}

/** Runs one full GC and returns freed malloc memory to the system. */
export function reduceMemory(): void {
  collector()();
  trim();
}

/**
 * A busy() for processes without a request count: the event loop's utilisation since the last
 * call above `threshold` (0.05: more than 5% of the time running JavaScript).
 */
export function eventLoopBusy(threshold = 0.05): () => boolean {
  let last = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, last).utilization > threshold;
    last = now;
    return busy;
  };
}

/**
 * Starts the reducer; `busy()` says whether the process is in the middle of work (the caller's
 * own measure, e.g. requests in the last interval), so collections wait for a quiet spell.
 */
export function startMemoryReducer(busy: () => boolean, o: MemoryReducerOptions = defaultMemoryReducer): () => void {
  let baseline = process.memoryUsage().heapTotal;
  let last = 0;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    if (m.heapTotal - baseline < o.growthBytes || Date.now() - last < o.minGapMs || busy()) return;
    const before = m.rss;
    const t0 = performance.now();
    reduceMemory();
    last = Date.now();
    const after = process.memoryUsage();
    baseline = after.heapTotal;
    log.info('heap compacted after a burst', { ms: Math.round(performance.now() - t0), rssBeforeMb: Math.round(before / 2 ** 20), rssAfterMb: Math.round(after.rss / 2 ** 20), heapUsedMb: Math.round(after.heapUsed / 2 ** 20) });
  }, o.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
