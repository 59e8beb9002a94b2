// The scheduling queue: active (by priority, then arrival), backoff (1 s doubling to 10 s per
// failed attempt) and unschedulable pools. Unschedulable pods come back when a cluster event
// could help them (node added or updated, pod deleted or ended, a bound pod relabelled, the pod
// itself changed), or after five minutes at the latest.
import type { Pod } from '../api/types.js';
import { deepEqual } from '../api/json-equal.js';
import { podKey } from './node-info.js';

interface Entry {
  pod: Pod;
  attempts: number;
  /** When the pod first entered the queue (for the scheduling SLI). */
  firstSeen: number;
  added: number;
}

export interface QueueOptions {
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Unschedulable pods are retried after this long even without an event. */
  unschedulableFlushMs: number;
}

/**
 * kube-scheduler's defaults: podInitialBackoffSeconds 1, podMaxBackoffSeconds 10, and
 * DefaultPodMaxInUnschedulablePodsDuration, 5 minutes, after which flushUnschedulablePodsLeftover
 * tries a parked pod again without an event (so a pod that cannot fit gets its next
 * FailedScheduling then, not every minute).
 */
export const defaultQueueOptions: QueueOptions = { initialBackoffMs: 1000, maxBackoffMs: 10_000, unschedulableFlushMs: 5 * 60_000 };

/**
 * Whether a pending pod changed in a way that may make it schedulable, as kube-scheduler's
 * isPodUpdated judges: anything but its resourceVersion, generation, managedFields, finalizers and
 * status (bar resourceClaimStatuses). The scheduler's own PodScheduled=False write or a
 * nominatedNodeName is not such a change: upstream's queue leaves the pod in unschedulablePods
 * (with queueing hints too, no plugin registers for a status-only update), so a pod that does not
 * fit gets one FailedScheduling, not a second attempt and event a backoff later.
 */
export function isPodUpdated(old: Pod, pod: Pod): boolean {
  const strip = (p: Pod) => ({
    ...p,
    metadata: { ...p.metadata, resourceVersion: undefined, generation: undefined, managedFields: undefined, finalizers: undefined },
    status: { resourceClaimStatuses: (p.status as { resourceClaimStatuses?: unknown } | undefined)?.resourceClaimStatuses },
  });
  return !deepEqual(strip(old), strip(pod));
}

export class SchedulingQueue {
  private active: Entry[] = [];
  private activeKeys = new Set<string>();
  private backoff = new Map<string, { e: Entry; until: number }>();
  private unschedulable = new Map<string, { e: Entry; since: number }>();
  /** Pods being scheduled or bound right now: updates wait for them to come back. */
  private inFlight = new Map<string, Entry>();
  private waiters: ((e: Entry) => void)[] = [];
  private timer: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly opts: QueueOptions = defaultQueueOptions) {
    this.timer = setInterval(() => this.tick(), 200);
    this.timer.unref();
  }

  get counts(): { active: number; backoff: number; unschedulable: number } {
    return { active: this.active.length, backoff: this.backoff.size, unschedulable: this.unschedulable.size };
  }

  private push(e: Entry): void {
    const key = podKey(e.pod);
    if (this.activeKeys.has(key)) {
      const i = this.active.findIndex((x) => podKey(x.pod) === key);
      if (i >= 0) this.active[i] = e;
      return;
    }
    const w = this.waiters.shift();
    if (w) {
      this.inFlight.set(key, e);
      w(e);
      return;
    }
    const prio = e.pod.spec?.priority ?? 0;
    // Insert after every entry of higher or equal priority (FIFO within a priority).
    let i = this.active.length;
    while (i > 0 && (this.active[i - 1]!.pod.spec?.priority ?? 0) < prio) i--;
    this.active.splice(i, 0, e);
    this.activeKeys.add(key);
  }

  /**
   * A new or changed pending pod. `mayHelp` is false for a change that cannot make it schedulable
   * (see isPodUpdated): a parked pod takes the new version and stays parked.
   */
  add(pod: Pod, mayHelp = true): void {
    const key = podKey(pod);
    const flying = this.inFlight.get(key);
    if (flying) {
      flying.pod = pod;
      return;
    }
    const b = this.backoff.get(key);
    if (b) {
      b.e.pod = pod;
      return;
    }
    const u = this.unschedulable.get(key);
    if (u) {
      u.e.pod = pod;
      if (!mayHelp) return;
      // An update may make it schedulable: try again (after its backoff).
      this.unschedulable.delete(key);
      this.toBackoffOrActive(u.e);
      return;
    }
    const now = Date.now();
    this.push({ pod, attempts: 0, firstSeen: now, added: now });
  }

  delete(pod: Pod): void {
    const key = podKey(pod);
    if (this.activeKeys.delete(key)) this.active = this.active.filter((x) => podKey(x.pod) !== key);
    this.backoff.delete(key);
    this.unschedulable.delete(key);
    this.inFlight.delete(key);
  }

  /** Waits for the next pod to schedule. */
  pop(): Promise<{ pod: Pod; attempts: number; firstSeen: number }> {
    const e = this.active.shift();
    if (e) {
      const key = podKey(e.pod);
      this.activeKeys.delete(key);
      this.inFlight.set(key, e);
      return Promise.resolve(e);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The pod was bound (or vanished): forget it. */
  done(pod: Pod): void {
    this.inFlight.delete(podKey(pod));
  }

  private backoffMs(attempts: number): number {
    return Math.min(this.opts.initialBackoffMs * 2 ** Math.max(0, attempts - 1), this.opts.maxBackoffMs);
  }

  private toBackoffOrActive(e: Entry): void {
    const until = e.added + this.backoffMs(e.attempts);
    if (until > Date.now()) this.backoff.set(podKey(e.pod), { e, until });
    else this.push(e);
  }

  /** No node fits: park it until something changes. */
  unschedulableAgain(pod: Pod): void {
    const e = this.endFailedAttempt(pod);
    if (e) this.unschedulable.set(podKey(pod), { e, since: Date.now() });
  }

  /** A bind or an error: retry after backoff. */
  retryLater(pod: Pod): void {
    const e = this.endFailedAttempt(pod);
    if (e) this.backoff.set(podKey(pod), { e, until: Date.now() + this.backoffMs(e.attempts) });
  }

  /** The in-flight entry of a pod whose attempt failed, taken out of flight with the attempt counted; undefined if it is not in flight. */
  private endFailedAttempt(pod: Pod): Entry | undefined {
    const key = podKey(pod);
    const e = this.inFlight.get(key);
    if (!e) return undefined;
    this.inFlight.delete(key);
    e.attempts++;
    e.added = Date.now();
    return e;
  }

  /** A cluster event that may make parked pods schedulable. */
  moveAllToActiveOrBackoff(): void {
    for (const [key, u] of this.unschedulable) {
      this.unschedulable.delete(key);
      this.toBackoffOrActive(u.e);
    }
  }

  /** Like moveAllToActiveOrBackoff, for the unschedulable pods `pred` picks (an event that can help only those). */
  moveToActiveOrBackoffIf(pred: (pod: Pod) => boolean): void {
    if (!this.unschedulable.size) return;
    for (const [key, u] of this.unschedulable) {
      if (!pred(u.e.pod)) continue;
      this.unschedulable.delete(key);
      this.toBackoffOrActive(u.e);
    }
  }

  private tick(): void {
    if (this.closed) return;
    const now = Date.now();
    for (const [key, b] of this.backoff) {
      if (b.until <= now) {
        this.backoff.delete(key);
        this.push(b.e);
      }
    }
    for (const [key, u] of this.unschedulable) {
      if (now - u.since >= this.opts.unschedulableFlushMs) {
        this.unschedulable.delete(key);
        this.push(u.e);
      }
    }
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
  }
}
