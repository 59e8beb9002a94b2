// A rate-limited work queue in the manner of client-go's workqueue: a key is queued at most
// once, never handed to two workers at the same time (a key added while being processed is
// queued again when it is done), and a key whose sync failed comes back after a per-key
// exponential backoff (5 ms doubling to 1000 s) until it succeeds and is forgotten.
import { logger } from '../util/log.js';
import { QueueMetrics } from './work-queue-metrics.js';

const log = logger('work-queue');

/** A sync that is to be tried again with back-off but is no failure to warn of (certificates.IgnorableError). */
export class IgnorableError extends Error {}

export interface WorkQueueOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Keys synced at once. */
  workers?: number;
}

enum State {
  Running,
  Stopped,
}

/** Invariants: a key is in at most one of `queued` and `processing`, except when re-added (`dirty`) during processing. */
/** The longest delay a Node timer keeps (2^31-1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class WorkQueue {
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; due: number }>();
  private state = State.Running;
  private active = 0;
  private idleWaiters: (() => void)[] = [];
  /** client-go's workqueue_* metrics of this queue. */
  private readonly metrics: QueueMetrics;

  constructor(
    private readonly name: string,
    private readonly sync: (key: string) => Promise<void>,
    private readonly opts: WorkQueueOptions = {},
  ) {
    this.metrics = new QueueMetrics(name);
  }

  add(key: string): void {
    if (this.state !== State.Running) return;
    // (counted once until it is taken, as client-go counts a key entering its dirty set)
    if (this.processing.has(key)) {
      if (!this.dirty.has(key)) this.metrics.add(key);
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.metrics.add(key);
    this.queued.add(key);
    this.pump();
  }

  /**
   * Adds `key` after `ms`. A key already waiting is added at the earlier of the two times, as
   * client-go's delaying queue: a later addAfter does not delay it, an earlier one brings it
   * forward (a deadline shortened by an edit is not held up by the old one).
   */
  addAfter(key: string, ms: number): void {
    if (this.state !== State.Running) return;
    if (ms <= 0) return this.add(key);
    const due = Date.now() + ms;
    const waiting = this.timers.get(key);
    if (waiting) {
      if (waiting.due <= due) return;
      clearTimeout(waiting.timer);
    }
    this.arm(key, due);
  }

  /**
   * A timer for `key` at `due`. Node's setTimeout takes at most 2^31-1 ms (about 24.8 days; more
   * fires at once): a later time (a yearly CronJob) is reached in steps.
   */
  private arm(key: string, due: number): void {
    const timer = setTimeout(() => {
      if (Date.now() < due) return this.arm(key, due);
      this.timers.delete(key);
      this.add(key);
    }, Math.min(due - Date.now(), MAX_TIMER_MS));
    this.timers.set(key, { timer, due });
  }

  /** Re-adds a failed key after its backoff. */
  addRateLimited(key: string): void {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    this.metrics.retry();
    const delay = Math.min((this.opts.baseDelayMs ?? 5) * 2 ** n, this.opts.maxDelayMs ?? 1_000_000);
    this.addAfter(key, delay);
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  get length(): number {
    return this.queued.size;
  }

  /** Resolves when nothing is queued or being processed (timers aside); for tests. */
  idle(): Promise<void> {
    if (!this.queued.size && !this.active) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  stop(): void {
    this.state = State.Stopped;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    this.queued.clear();
    this.dirty.clear();
    this.metrics.stopped();
  }

  private pump(): void {
    const workers = this.opts.workers ?? 5;
    while (this.state === State.Running && this.active < workers && this.queued.size) {
      const key = this.queued.values().next().value as string;
      this.queued.delete(key);
      this.metrics.get(key);
      this.processing.add(key);
      this.active++;
      void this.run(key);
    }
    if (!this.queued.size && !this.active) for (const w of this.idleWaiters.splice(0)) w();
  }

  private async run(key: string): Promise<void> {
    try {
      await this.sync(key);
      this.forget(key);
    } catch (e) {
      // A conflict (409) is optimistic concurrency at work: the retry reads the newer object. An
      // IgnorableError is a state expected to pass (a permission granted later), not a failure.
      const quiet = (e as { code?: unknown }).code === 409 || e instanceof IgnorableError;
      log[quiet ? 'debug' : 'warn']('sync failed; retrying with backoff', { queue: this.name, key, err: e, failures: (this.failures.get(key) ?? 0) + 1 });
      this.addRateLimited(key);
    } finally {
      this.metrics.done(key);
      this.processing.delete(key);
      this.active--;
      // (queued again, already counted when it was added during its processing)
      if (this.dirty.delete(key) && this.state === State.Running && !this.queued.has(key)) this.queued.add(key);
      this.pump();
    }
  }
}
