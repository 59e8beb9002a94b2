// A memory reducer for long-running servers. V8 grows its heap during a burst (10k pod creates)
// and keeps the capacity afterwards; glibc keeps freed malloc chunks in its arenas. Neither is
// handed back on its own in Node, which sends V8 no idle notifications. When the process has
// gone quiet after growing, this runs one full, compacting GC and then malloc_trim(0) (and one
// more GC 5 s later if the young generation is still large or the heap's capacity is still well
// above its live data), so that
// RSS follows the live data instead of the high-water mark. Cheap when idle: one
// process.memoryUsage() per tick; at most one collection per `minGapMs`.
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { openLibc } from './libc.js';
import { logger } from './log.js';

const log = logger('memory');

export interface MemoryReducerOptions {
  /** How often to look (ms). */
  intervalMs: number;
  /**
   * Collect when the heap's capacity, or the process's RSS, is this many bytes above what it was
   * after the last collection.
   */
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
    // A full, compacting GC. (This V8, 11.3, has no memory-reducing flavour to ask for: gc() with
    // an options object runs a scavenge.)
    gcFn = runInNewContext('gc') as () => void;
  }
  return gcFn;
}

/** V8's window for the allocation rate that decides whether a full GC shrinks the young generation. */
const youngShrinkQuietMs = 5_100;
/** A young generation this small is left as it is. */
const youngSmallBytes = 4 << 20;

/** Bytes V8 has committed to the young generation (both semi-spaces). */
function youngGenerationBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
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
  // RSS counts too: a collection in a lull of a burst sets the baseline high, and what the burst
  // adds after it (a few large LISTs) can stay under growthBytes of heap while RSS is 40 MB up.
  let baseline = process.memoryUsage();
  let last = 0;
  const collect = (msg: string): number => {
    const m = process.memoryUsage();
    const t0 = performance.now();
    const youngBefore = youngGenerationBytes();
    reduceMemory();
    last = Date.now();
    baseline = process.memoryUsage();
    const young = youngGenerationBytes();
    const mb = (b: number) => Math.round(b / 2 ** 20);
    log.info(msg, {
      ms: Math.round(performance.now() - t0),
      rssBeforeMb: mb(m.rss),
      rssAfterMb: mb(baseline.rss),
      heapTotalBeforeMb: mb(m.heapTotal),
      heapTotalMb: mb(baseline.heapTotal),
      heapUsedMb: mb(baseline.heapUsed),
      youngBeforeMb: mb(youngBefore),
      youngMb: mb(young),
    });
    return young;
  };
  // V8 gives back the young generation's semi-spaces (up to 2 x --max-semi-space-size) only in a
  // full GC when allocation over its last 5 s was low; the first collection after a burst comes
  // too soon for that. When it leaves the young generation large, one more runs 5 s later.
  let youngTimer: NodeJS.Timeout | undefined;
  const timer = setInterval(() => {
    // busy() is asked every tick, so that it speaks of the last interval only.
    const quiet = !busy();
    const m = process.memoryUsage();
    const grown = m.heapTotal - baseline.heapTotal >= o.growthBytes || m.rss - baseline.rss >= o.growthBytes;
    if (!quiet || !grown || Date.now() - last < o.minGapMs) return;
    const young = collect('heap compacted after a burst');
    // (a full GC evacuates only the pages it picks as fragmented; sweeping then frees the rest,
    // and a second one can compact what the first left: the heap's capacity after one collection
    // came out 30 MB apart from run to run over the same live data)
    const slack = baseline.heapTotal - young - baseline.heapUsed;
    if (young <= youngSmallBytes && slack < o.growthBytes) return;
    clearTimeout(youngTimer);
    youngTimer = setTimeout(() => collect(young > youngSmallBytes ? 'young generation shrunk after a burst' : 'heap compacted again after a burst'), youngShrinkQuietMs);
    youngTimer.unref();
  }, o.intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    clearTimeout(youngTimer);
  };
}
