// One priority level's dispatcher, as 1.32's queueset (staging/src/k8s.io/apiserver/pkg/util/
// flowcontrol/fairqueuing/queueset/queueset.go) runs it:
// - no queues (an exempt level, or a Limited level answering Reject): a request executes at once
//   while its seats fit under the concurrency limit (always, when exempt), else is rejected
//   ("concurrency-limit");
// - queues (limitResponse Queue): the request is dealt a hand of queues by shuffle sharding on its
//   flow (shufflesharding.Dealer), joins the one of them with the least work waiting, or is
//   rejected ("queue-full") when the level's seats are all taken and that queue is at its
//   queueLengthLimit; then as many requests are dispatched as seats allow, each time from the
//   queue whose oldest request has the least virtual finish time (fair queuing for server
//   requests: the progress meter R advances by the seats in use shared among the active queues;
//   a queue's next dispatch R grows by each request's work, corrected by what it really took);
// - a request still queued when its wait limit passes (a quarter of its deadline) leaves its
//   queue and is rejected ("time-out").
// A request occupies the seats its work estimate gives it (1, or more for a large list; a write
// that many watches want, the seats of its final phase too), from dispatch until it finishes, or,
// a write with a final phase, until that phase's additional latency has passed after it.

/** What the dispatcher needs of time: milliseconds, and timers (a fake in tests). */
export interface QueueSetClock {
  now(): number;
  setTimer(ms: number, fn: () => void): unknown;
  clearTimer(handle: unknown): void;
}

export const realClock: QueueSetClock = {
  now: () => performance.now(),
  setTimer: (ms, fn) => setTimeout(fn, ms).unref(),
  clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Why a request was not served (rejected_requests_total's reason label). */
export type RejectReason = 'queue-full' | 'concurrency-limit' | 'time-out';

export interface QueueSetConfig {
  /** The level's seats (its current limit); ignored when exempt. */
  concurrencyLimit: number;
  exempt: boolean;
  /** 0: no queuing (Reject); otherwise limitResponse.queuing. */
  queues: number;
  handSize: number;
  queueLengthLimit: number;
}

/** The seat-seconds one request is assumed to take until it finishes (estimatedServiceDuration, 3 ms). */
const ESTIMATED_SERVICE_SECONDS = 0.003;

/** What the dispatcher tells about a request's passage (the metrics' hooks). */
export interface QueueSetObserver {
  queued(req: FlowRequestState, delta: 1 | -1): void;
  /** +1: dispatched, its seats taken; -1: done executing (its seats are released apart). */
  executing(req: FlowRequestState, delta: 1 | -1): void;
  /** Its seats are given back (at once when done, or after its final phase's latency). */
  released(req: FlowRequestState): void;
  /** A dispatch attempt found too few seats free for it, the head of the queue picked. */
  notAccommodated?(req: FlowRequestState): void;
  rejected(req: FlowRequestState, reason: RejectReason): void;
}

/** A write's final phase (WorkEstimate's FinalSeats and AdditionalLatency): the seats its watchers' events take after it, and for how long. */
export interface FinalPhase {
  seats: number;
  ms: number;
}

class Queue {
  readonly waiting: FlowRequestState[] = [];
  /** The seats its waiting requests ask for. */
  waitingSeats = 0;
  /** R at which its next request may be dispatched (nextDispatchR). */
  nextDispatchR = 0;
  executing = 0;
  seatsInUse = 0;
  constructor(readonly index: number) {}
}

/** Where a request is: waiting in a queue, executing, finished, or rejected. */
export const enum RequestPhase {
  Waiting,
  Executing,
  Done,
  Rejected,
}

/** One request's passage through its level. `flow` is the caller's (the metrics' labels). */
export class FlowRequestState {
  phase = RequestPhase.Waiting;
  queue: Queue | undefined;
  /** R when it arrived (its queue's dispatch R is never below its oldest request's). */
  arrivalR = 0;
  arrivedAt = 0;
  startedAt = 0;
  timer: unknown;
  /** Called once: true when it may execute, false when rejected from its queue. */
  decided: ((execute: boolean) => void) | undefined;
  /** The seats it holds (MaxSeats: the larger of its initial and final seats). */
  readonly seats: number;
  constructor(
    readonly set: QueueSet,
    readonly flow: unknown,
    /** The seats of its execution (InitialSeats). */
    readonly initialSeats: number,
    readonly final?: FinalPhase,
  ) {
    this.seats = final && final.seats > initialSeats ? final.seats : initialSeats;
  }

  /** totalWork: seat-seconds it is charged at dispatch. */
  get work(): number {
    return this.initialSeats * ESTIMATED_SERVICE_SECONDS + (this.final ? (this.final.seats * this.final.ms) / 1000 : 0);
  }
}

/**
 * Dealer.Deal: the hand of `handSize` distinct queues out of `deckSize` a flow's hash picks
 * (each remainder of the hash divided by the shrinking deck, renumbered around those before it).
 */
export function dealHand(hash: bigint, deckSize: number, handSize: number): number[] {
  const remainders: number[] = [];
  for (let i = 0; i < handSize; i++) {
    const d = BigInt(deckSize - i);
    remainders.push(Number(hash % d));
    hash /= d;
  }
  const hand: number[] = [];
  for (let i = 0; i < handSize; i++) {
    let card = remainders[i]!;
    for (let j = i; j > 0; j--) if (card >= remainders[j - 1]!) card++;
    hand.push(card);
  }
  return hand;
}

export class QueueSet {
  private config: QueueSetConfig;
  private queues: Queue[] = [];
  /** The progress meter R, in seat-seconds per queue. */
  private currentR = 0;
  private lastRealTime: number;
  private robinIndex = -1;
  private enqueues = 0;
  seatsInUse = 0;
  /** The seats the waiting requests ask for, in all queues. */
  seatsWaiting = 0;
  requestsWaiting = 0;
  requestsExecuting = 0;
  /** Told the seat demand (seats in use plus seats waiting) after each change (the borrowing's integrator). */
  onDemand: ((seats: number) => void) | undefined;

  constructor(
    config: QueueSetConfig,
    private readonly clock: QueueSetClock,
    private readonly observer: QueueSetObserver,
  ) {
    this.config = config;
    this.lastRealTime = clock.now();
    this.setConfig(config);
  }

  get limit(): number {
    return this.config.concurrencyLimit;
  }

  get exempt(): boolean {
    return this.config.exempt;
  }

  /** A changed configuration (or concurrency limit): more queues are added at once; fewer leave the extra ones to drain (their requests still dispatch). */
  setConfig(config: QueueSetConfig): void {
    this.syncTime();
    this.config = config;
    while (this.queues.length < config.queues) this.queues.push(new Queue(this.queues.length));
    this.dispatchAsMuchAsPossible();
  }

  /**
   * A request arrives: returns its state, whose phase is Executing (go ahead), Waiting (await
   * `decided`) or Rejected (answer 429, its reason already told the observer). `hand` is the
   * flow's dealt queues (dealHand), unused without queues; `waitMs` how long it may wait.
   */
  start(flow: unknown, hand: readonly number[] | undefined, waitMs: number, initialSeats = 1, final?: FinalPhase): FlowRequestState {
    const req = new FlowRequestState(this, flow, initialSeats, final);
    const seats = req.seats;
    const c = this.config;
    if (c.exempt || c.queues < 1) {
      if (!c.exempt && !this.canAccommodate(seats)) {
        req.phase = RequestPhase.Rejected;
        this.observer.rejected(req, 'concurrency-limit');
        return req;
      }
      req.startedAt = req.arrivedAt = this.clock.now();
      this.execute(req);
      this.onDemand?.(this.seatsInUse + this.seatsWaiting);
      return req;
    }
    this.syncTime();
    const queue = this.queues[this.shortestQueue(hand ?? [0])]!;
    if (this.seatsInUse >= c.concurrencyLimit && queue.waiting.length >= c.queueLengthLimit) {
      req.phase = RequestPhase.Rejected;
      this.observer.rejected(req, 'queue-full');
      return req;
    }
    // (a queue that was idle starts at the current R)
    if (queue.waiting.length === 0 && queue.executing === 0) queue.nextDispatchR = this.currentR;
    req.queue = queue;
    req.arrivalR = this.currentR;
    req.arrivedAt = this.clock.now();
    queue.waiting.push(req);
    queue.waitingSeats += seats;
    this.seatsWaiting += seats;
    this.requestsWaiting++;
    this.observer.queued(req, 1);
    this.dispatchAsMuchAsPossible();
    this.onDemand?.(this.seatsInUse + this.seatsWaiting);
    if (req.phase === RequestPhase.Waiting) req.timer = this.clock.setTimer(waitMs, () => this.timeOut(req));
    return req;
  }

  /**
   * A request done executing gives its seats back, at once or, with a final phase, once its
   * additional latency has passed (finishRequestLocked); the queues dispatch into them.
   */
  finish(req: FlowRequestState): void {
    if (req.phase !== RequestPhase.Executing) return;
    this.syncTime();
    req.phase = RequestPhase.Done;
    this.requestsExecuting--;
    this.observer.executing(req, -1);
    const q = req.queue;
    if (q) {
      q.executing--;
      // (the queue is charged what the request really took instead of the estimate, for each of its initial seats)
      const took = (this.clock.now() - req.startedAt) / 1000;
      q.nextDispatchR += req.initialSeats * (took - ESTIMATED_SERVICE_SECONDS);
      this.boundNextDispatch(q);
    }
    if (req.final && req.final.ms > 0) req.timer = this.clock.setTimer(req.final.ms, () => this.release(req));
    else this.release(req);
  }

  private release(req: FlowRequestState): void {
    this.syncTime();
    this.seatsInUse -= req.seats;
    if (req.queue) req.queue.seatsInUse -= req.seats;
    this.observer.released(req);
    this.dispatchAsMuchAsPossible();
    this.onDemand?.(this.seatsInUse + this.seatsWaiting);
  }

  /** A waiting request gives up (its wait limit passed, or its client went away): rejected "time-out". */
  timeOut(req: FlowRequestState): void {
    if (req.phase !== RequestPhase.Waiting) return;
    this.syncTime();
    const q = req.queue!;
    const i = q.waiting.indexOf(req);
    if (i >= 0) q.waiting.splice(i, 1);
    q.waitingSeats -= req.seats;
    this.seatsWaiting -= req.seats;
    this.requestsWaiting--;
    req.phase = RequestPhase.Rejected;
    // (startedAt: when it gave up)
    req.startedAt = this.clock.now();
    this.observer.queued(req, -1);
    this.observer.rejected(req, 'time-out');
    this.boundNextDispatch(q);
    this.onDemand?.(this.seatsInUse + this.seatsWaiting);
    req.decided?.(false);
  }

  private canAccommodate(seats: number): boolean {
    if (this.config.exempt) return true;
    // (a request wider than the whole limit runs alone rather than never)
    if (seats > this.config.concurrencyLimit) return this.requestsExecuting === 0;
    return this.seatsInUse + seats <= this.config.concurrencyLimit;
  }

  private execute(req: FlowRequestState): void {
    req.phase = RequestPhase.Executing;
    this.seatsInUse += req.seats;
    this.requestsExecuting++;
    this.observer.executing(req, 1);
  }

  /** shuffleShardLocked: of the hand (visited from a rotating offset), the queue with the least work waiting. */
  private shortestQueue(hand: readonly number[]): number {
    const n = hand.length;
    const offset = this.enqueues++ % n;
    let best = -1;
    let min = Infinity;
    for (let i = 0; i < n; i++) {
      const idx = hand[(offset + i) % n]!;
      const work = this.queues[idx]!.waitingSeats;
      if (work < min) {
        min = work;
        best = idx;
      }
    }
    return best;
  }

  /** syncTimeLocked: R advances by the seats asked for (at most the limit) shared among the active queues. */
  private syncTime(): void {
    const now = this.clock.now();
    const dt = (now - this.lastRealTime) / 1000;
    this.lastRealTime = now;
    if (dt <= 0) return;
    let active = 0;
    let seats = 0;
    for (const q of this.queues) {
      if (q.waiting.length || q.executing) {
        active++;
        seats += q.waitingSeats + q.seatsInUse;
      }
    }
    if (active) this.currentR += (dt * Math.min(seats, this.config.concurrencyLimit)) / active;
  }

  /** boundNextDispatchLocked: a queue's next dispatch R is never below its oldest request's arrival R. */
  private boundNextDispatch(q: Queue): void {
    const oldest = q.waiting[0];
    if (oldest && q.nextDispatchR < oldest.arrivalR) q.nextDispatchR = oldest.arrivalR;
  }

  private dispatchAsMuchAsPossible(): void {
    while (this.requestsWaiting > 0 && this.seatsInUse < this.config.concurrencyLimit && this.dispatchOne());
  }

  /**
   * dispatchLocked with findDispatchQueueToBoundLocked: the queues in round-robin order from the
   * last one served, the first whose oldest request has the least virtual finish R; it goes when
   * its seats fit.
   */
  private dispatchOne(): boolean {
    const n = this.queues.length;
    let best: Queue | undefined;
    let min = Infinity;
    for (let i = 1; i <= n; i++) {
      const q = this.queues[(this.robinIndex + i) % n]!;
      if (!q.waiting.length) continue;
      const finishR = q.nextDispatchR + q.waiting[0]!.work;
      if (finishR < min) {
        min = finishR;
        best = q;
      }
    }
    if (!best) return false;
    if (!this.canAccommodate(best.waiting[0]!.seats)) {
      this.observer.notAccommodated?.(best.waiting[0]!);
      return false;
    }
    this.robinIndex = best.index;
    const req = best.waiting.shift()!;
    best.waitingSeats -= req.seats;
    this.seatsWaiting -= req.seats;
    this.requestsWaiting--;
    this.observer.queued(req, -1);
    if (req.timer !== undefined) this.clock.clearTimer(req.timer);
    req.startedAt = this.clock.now();
    best.executing++;
    best.seatsInUse += req.seats;
    best.nextDispatchR += req.work;
    this.boundNextDispatch(best);
    this.execute(req);
    req.decided?.(true);
    return true;
  }
}
