// API Priority and Fairness' dispatching, as kube-apiserver 1.32 runs it (staging/src/k8s.io/
// apiserver/pkg/util/flowcontrol: apf_controller.go, apf_filter.go, dropped_requests_tracker.go;
// pkg/server/filters/priority-and-fairness.go):
// - the server's concurrency limit (--max-requests-inflight 400 + --max-mutating-requests-inflight
//   200 = 600 seats) is divided among the priority levels by nominalConcurrencyShares: NominalCL =
//   ceil(ServerCL * NCS / sum of every level's NCS); levels lend (lendablePercent) and borrow
//   (borrowingLimitPercent) seats by their seat demand, the current limits shared out again every
//   10 s (flowcontrol-borrowing.ts; the adjustment is made by the first request after the period);
// - an exempt level executes everything at once; a Limited one through its QueueSet
//   (flowcontrol-queueset.ts), by shuffle sharding on the flow (the FlowSchema's name and its
//   distinguisher: the user's name ByUser, the namespace ByNamespace);
// - a request not served gets 429 'Too many requests, please try again later.' with Retry-After
//   (1 s, doubling while a level keeps dropping 3 a second or more, to 32 s, and down by one when
//   it calms: the DroppedRequestsTracker) and the X-Kubernetes-PF-* headers;
// - the apiserver_flowcontrol_* metrics 1.32's dashboards read (flowcontrol-metrics.ts).
import { createHash } from 'node:crypto';
import type { FlowSchema, PriorityLevelConfiguration } from '../api/types.js';
import type { FlowRequest } from './flowcontrol-config.js';
import { borrowing, levelLimits, statsOf, type FlowStats } from './flowcontrol-metrics.js';
import { allocateSeats, BORROWING_ADJUSTMENT_MS, DemandStats, levelBounds, SeatDemand, type AllocItem, type LevelBounds } from './flowcontrol-borrowing.js';
import { finalPhase, levelMaxSeats, listSeats, selectedName } from './flowcontrol-work-estimate.js';
import { WatchTracker } from './flowcontrol-watch-tracker.js';
import { dealHand, FlowRequestState, QueueSet, realClock, RequestPhase, type FinalPhase, type QueueSetClock, type QueueSetConfig, type RejectReason } from './flowcontrol-queueset.js';

/** --max-requests-inflight (400) + --max-mutating-requests-inflight (200): the seats APF divides. */
export const SERVER_CONCURRENCY_LIMIT = 600;

/**
 * The seats APF divides, from kube-apiserver's two flags: ServerRunOptions.Validate refuses a
 * negative one, BuildPriorityAndFairness a sum that is not positive (their words).
 */
export function serverConcurrencyLimit(maxRequestsInflight: number, maxMutatingRequestsInflight: number): number {
  if (maxRequestsInflight < 0) throw new Error('--max-requests-inflight can not be negative value');
  if (maxMutatingRequestsInflight < 0) throw new Error('--max-mutating-requests-inflight can not be negative value');
  const sum = maxRequestsInflight + maxMutatingRequestsInflight;
  if (sum <= 0) throw new Error(`invalid configuration: MaxRequestsInFlight=${maxRequestsInflight} and MaxMutatingRequestsInFlight=${maxMutatingRequestsInflight}; they must add up to something positive`);
  return sum;
}

/** The longest a request may wait in its queue, whatever its deadline. */
const MAX_WAIT_MS = 60_000;

/**
 * getRequestWaitContext: how long a request may wait in its queue: a quarter of its deadline
 * (the default request timeout's quarter for a watch, which has none), at most a minute.
 */
export function queueWaitLimitMs(deadlineMs: number): number {
  return Math.min(deadlineMs / 4, MAX_WAIT_MS);
}

/** DroppedRequestsTracker for one level: the Retry-After its dropped requests are told. */
export class DroppedRequests {
  private history: { unix: number; count: number }[] = [];
  private currentUnix = 0;
  private currentCount = 0;
  retryAfter = 1;
  private updatedUnix = 0;

  record(unix: number): void {
    if (unix === this.currentUnix) {
      this.currentCount++;
      return;
    }
    this.history.push({ unix: this.currentUnix, count: this.currentCount });
    const keep = Math.min(2 * this.retryAfter, 32);
    while (this.history.length && unix - this.history[0]!.unix > keep) this.history.shift();
    this.currentUnix = unix;
    this.currentCount = 1;
    // (recomputed only as a new second begins, from the seconds before it)
    let dropped = 0;
    for (let i = this.history.length - 1; i >= 0; i--) {
      const h = this.history[i]!;
      if (unix - h.unix > this.retryAfter) break;
      if (h.unix < unix) dropped += h.count;
    }
    if (unix - this.updatedUnix >= this.retryAfter && dropped >= 3 * this.retryAfter) {
      this.retryAfter = Math.min(this.retryAfter * 2, 32);
      this.updatedUnix = unix;
    } else if (dropped < this.retryAfter && this.retryAfter > 1) this.retryAfter--;
  }
}

/** A priority level as the dispatcher keeps it, across configuration changes. */
class LevelState {
  set: QueueSet | undefined;
  readonly dropped = new DroppedRequests();
  /** The most seats one request may take here (0: the work estimator's own limit). */
  maxSeats = 0;
  /** Its nominal seats, floor and ceiling. */
  bounds: LevelBounds;
  /** Its current limit (currentCL), moved by borrowing. */
  currentCL: number;
  readonly demand: SeatDemand;
  readonly stats = new DemandStats();
  constructor(
    public pl: PriorityLevelConfiguration,
    bounds: LevelBounds,
    now: () => number,
  ) {
    this.bounds = bounds;
    this.currentCL = bounds.initialCL;
    this.demand = new SeatDemand(now);
  }
}

/** A FlowSchema's requests at its level: what a request's classification names (rebuilt when the configuration changes). */
export class Flow {
  readonly flowSchemaUID: string;
  readonly priorityLevelUID: string;
  readonly stats: FlowStats;
  private hands = new Map<string, readonly number[]>();
  constructor(
    readonly flowSchema: FlowSchema,
    readonly level: LevelState,
  ) {
    this.flowSchemaUID = flowSchema.metadata?.uid ?? '';
    this.priorityLevelUID = level.pl.metadata?.uid ?? '';
    this.stats = statsOf(flowSchema.metadata!.name!, level.pl.metadata!.name!);
  }

  /** Whether its level limits (is not exempt): only then does a request wait or get rejected. */
  get limited(): boolean {
    return !!this.level.set;
  }

  /** computeFlowDistinguisher and hashFlowID, dealt into the level's queues (cached per distinguisher). */
  hand(r: FlowRequest): readonly number[] | undefined {
    const q = this.level.pl.spec?.limited?.limitResponse?.queuing;
    if (!q || (q.queues ?? 0) <= 1) return undefined;
    const method = this.flowSchema.spec?.distinguisherMethod?.type;
    const d = method === 'ByUser' ? r.user.name : method === 'ByNamespace' ? (r.resource?.namespace ?? '') : '';
    let hand = this.hands.get(d);
    if (!hand) {
      const sum = createHash('sha256').update(this.flowSchema.metadata!.name!).update('\0').update(d).digest();
      hand = dealHand(sum.readBigUInt64LE(0), q.queues!, q.handSize ?? 8);
      if (this.hands.size >= 4096) this.hands.clear();
      this.hands.set(d, hand);
    }
    return hand;
  }
}

const EMPTY: readonly number[] = [0];

/** Records each request's passage in its flow's metrics. */
const observer = {
  queued(req: FlowRequestState, delta: 1 | -1) {
    const s = (req.flow as Flow).stats;
    s.waiting += delta;
    s.waitingSeats += delta * req.seats;
    // (ObserveQueueLength: as it joins, before any dispatch)
    if (delta === 1) s.queueLength.observe(req.queue!.waiting.length);
  },
  executing(req: FlowRequestState, delta: 1 | -1) {
    const s = (req.flow as Flow).stats;
    s.executing += delta;
    if (delta === 1) {
      s.executingSeats += req.seats;
      s.dispatched++;
      s.waitExecuted.observe((req.startedAt - req.arrivedAt) / 1000);
    }
  },
  released(req: FlowRequestState) {
    (req.flow as Flow).stats.executingSeats -= req.seats;
  },
  notAccommodated(req: FlowRequestState) {
    (req.flow as Flow).stats.noAccommodation++;
  },
  rejected(req: FlowRequestState, reason: RejectReason) {
    const s = (req.flow as Flow).stats;
    s.rejected[reason]++;
    // (apf_filter's Handle: a request that was enqueued observes its wait as execute "true", as req is not nil; one refused at once "false")
    if (reason === 'time-out') s.waitExecuted.observe((req.startedAt - req.arrivedAt) / 1000);
    else s.waitRejected.observe(0);
  },
};

/** One request's admission: executing now, waiting in a queue, or rejected. */
export class Admission {
  private finished = false;
  private readonly startedAt: number;
  constructor(
    readonly flow: Flow,
    private readonly state: FlowRequestState | undefined,
    private readonly watch: boolean,
    private readonly clock: QueueSetClock,
    /** The seats it takes (an exempt one's: its queue set's state knows a limited one's). */
    readonly seats: number,
    /** A watch's registration with the WatchTracker, made once it is established. */
    private readonly registerWatch?: () => () => void,
  ) {
    this.startedAt = clock.now();
  }

  /** The watch's registration's undoing, while it counts among its resource's watches. */
  private forgetWatch: (() => void) | undefined;
  private closed = false;

  /** Whether the request may execute now (exempt, or dispatched at once). */
  get executing(): boolean {
    return !this.state || this.state.phase === RequestPhase.Executing;
  }

  get rejected(): boolean {
    return !!this.state && this.state.phase === RequestPhase.Rejected;
  }

  /** Waits for a queued request's turn: true when it may execute, false when it timed out. */
  wait(): Promise<boolean> {
    const s = this.state;
    if (!s || s.phase !== RequestPhase.Waiting) return Promise.resolve(!this.rejected);
    return new Promise((resolve) => (s.decided = resolve));
  }

  /**
   * The request's connection closed: a request still waiting leaves its queue, a watch stops
   * counting among its resource's watches (WatchTracker's forget).
   */
  abandon(): void {
    this.closed = true;
    if (this.state?.phase === RequestPhase.Waiting) this.state.set.timeOut(this.state);
    this.forgetWatch?.();
  }

  /** The request's seat is given back (a watch's once it is established, when it starts counting among the watches); idempotent. */
  finish(): void {
    if (this.finished || !this.executing) return;
    this.finished = true;
    if (this.registerWatch && !this.closed) this.forgetWatch = this.registerWatch();
    const s = this.flow.stats;
    const seconds = (this.clock.now() - (this.state?.startedAt ?? this.startedAt)) / 1000;
    (this.watch ? s.execWatch : s.execRegular).observe(seconds);
    if (this.state) this.state.set.finish(this.state);
    else {
      s.executing--;
      s.executingSeats -= this.seats;
      this.flow.level.demand.add(-this.seats);
    }
  }

  /** The Retry-After (seconds) of a rejected request, whose drop is recorded against its level. */
  retryAfter(): string {
    const d = this.flow.level.dropped;
    d.record(Math.floor(Date.now() / 1000));
    return String(d.retryAfter);
  }
}

/** The dispatcher's view of the configuration objects: the classifier's schemas and levels. */
export interface FlowConfigSource {
  /** The schemas that take requests, in matching order, and the levels by name; `revision` changes with either. */
  current(): { revision: string; schemas: readonly FlowSchema[]; levels: ReadonlyMap<string, PriorityLevelConfiguration> };
  match(r: FlowRequest): FlowSchema | undefined;
}

const MUTATING_VERBS = new Set(['create', 'update', 'patch', 'delete']);

export class FlowDispatcher {
  /** The established watches, by resource, namespace and name (a write's watchers). */
  readonly watchers = new WatchTracker();
  private revision = '';
  private flows = new Map<string, Flow>();
  private levels = new Map<string, LevelState>();
  /** The sum of the levels' nominal seats, which borrowing shares out (nominalCLSum). */
  private nominalSum = 0;
  /** When the current limits were last shared out. */
  private adjustedAt: number;

  constructor(
    private readonly source: FlowConfigSource,
    private readonly serverConcurrencyLimit = SERVER_CONCURRENCY_LIMIT,
    private readonly clock: QueueSetClock = realClock,
    /** The ObjectCountTracker: the objects stored of a group's resource (undefined: not counted here). */
    private readonly objectCount: (group: string, resource: string) => number | undefined = () => undefined,
  ) {
    this.adjustedAt = clock.now();
  }

  /** The flow a request belongs to (its FlowSchema's at that schema's level); undefined before the configuration exists. */
  classify(r: FlowRequest): Flow | undefined {
    this.refresh();
    if (this.clock.now() - this.adjustedAt >= BORROWING_ADJUSTMENT_MS) this.adjustBorrowing();
    const fs = this.source.match(r);
    return fs && this.flows.get(fs.metadata!.name!);
  }

  /**
   * Admits a classified request: it executes, waits (up to waitMs) or is rejected. A list's (or
   * an initial-events watch's) seats are estimated from its query, name and the objects stored of
   * its resource (objectCount's, asked only when it matters).
   */
  admit(flow: Flow, r: FlowRequest, waitMs: number, watch: boolean, query?: URLSearchParams, name?: string): Admission {
    const level = flow.level;
    const res = r.resource;
    let seats = 1;
    let final: FinalPhase | undefined;
    if (res && (r.verb === 'list' || r.verb === 'watch')) {
      if (query) seats = listSeats(r.verb, name, query, () => this.objectCount(res.group, res.resource), level.maxSeats);
    } else if (res && MUTATING_VERBS.has(r.verb) && !(res.resource === 'serviceaccounts' && res.subresource === 'token' && res.group === '')) {
      // (isRequestExemptFromWatchEvents: a service account token's create makes no event)
      const watchers = this.watchers.interested(res.group, res.resource, res.namespace, name);
      flow.stats.watchCount.observe(watchers);
      final = finalPhase(watchers, level.maxSeats);
    }
    // (a watch is registered under its name, or the one its fieldSelector's metadata.name= gives it)
    const registerWatch = watch && res ? () => this.watchers.register(res.group, res.resource, res.namespace, name ?? selectedName(query?.get('fieldSelector') ?? '')) : undefined;
    flow.stats.seats.observe(final && final.seats > seats ? final.seats : seats);
    if (!level.set) {
      // (an exempt request's final phase is not held: its seats limit nothing)
      if (final && final.seats > seats) seats = final.seats;
      flow.stats.executing++;
      flow.stats.executingSeats += seats;
      flow.stats.dispatched++;
      level.demand.add(seats);
      return new Admission(flow, undefined, watch, this.clock, seats, registerWatch);
    }
    const state = level.set.start(flow, flow.hand(r) ?? EMPTY, waitMs, seats, final);
    return new Admission(flow, state, watch, this.clock, state.seats, registerWatch);
  }

  /** Digests the configuration when it changed (apf_controller's digestConfigObjects): limits, queues, flows. */
  private refresh(): void {
    const cfg = this.source.current();
    if (cfg.revision === this.revision) return;
    this.revision = cfg.revision;
    let shares = 0;
    for (const pl of cfg.levels.values()) shares += nominalShares(pl);
    const levels = new Map<string, LevelState>();
    let nominalSum = 0;
    // (whether the levels or their bounds changed: the seats are shared out again at once)
    let reshare = cfg.levels.size !== this.levels.size;
    for (const [name, pl] of cfg.levels) {
      const nominalCL = shares > 0 ? Math.ceil((this.serverConcurrencyLimit * nominalShares(pl)) / shares) : 0;
      const lp = pl.spec?.type === 'Exempt' ? pl.spec.exempt : pl.spec?.limited;
      const bounds = levelBounds(nominalCL, lp?.lendablePercent, pl.spec?.type === 'Exempt' ? undefined : pl.spec?.limited?.borrowingLimitPercent, this.serverConcurrencyLimit);
      const old = this.levels.get(name);
      const state = old ?? new LevelState(pl, bounds, () => this.clock.now());
      if (!old || old.bounds.nominalCL !== bounds.nominalCL || old.bounds.minCL !== bounds.minCL || old.bounds.maxCL !== bounds.maxCL) reshare = true;
      state.pl = pl;
      state.bounds = bounds;
      nominalSum += nominalCL;
      const queuing = pl.spec?.limited?.limitResponse?.type === 'Queue' ? pl.spec.limited.limitResponse.queuing : undefined;
      state.maxSeats = queuing ? levelMaxSeats(nominalCL, queuing.handSize ?? 8) : 0;
      const qc = queueSetConfig(pl, state.currentCL);
      if (qc.exempt) state.set = undefined;
      else if (state.set) state.set.setConfig(qc);
      else {
        state.set = new QueueSet(qc, this.clock, observer);
        state.set.onDemand = (seats) => state.demand.set(seats);
      }
      levels.set(name, state);
    }
    for (const name of this.levels.keys()) if (!levels.has(name)) levelLimits.delete(name);
    this.levels = levels;
    this.nominalSum = nominalSum;
    this.flows = new Map(cfg.schemas.map((fs) => [fs.metadata!.name!, new Flow(fs, levels.get(fs.spec!.priorityLevelConfiguration!.name!)!)]));
    // (finishQueueSetReconfigsLocked shares the seats out at once for a new configuration; the
    // classifier's revision also moves with its caches' progress, which changes nothing here)
    if (reshare) this.adjustBorrowing();
  }

  /**
   * updateBorrowingLocked: each level's demand of the period ending now updates its stats; its
   * floor is its lending floor, or its high watermark if that is between the lending floor and
   * its nominal seats; its target its smoothed demand (at least its floor); the nominal seats are
   * shared out by computeConcurrencyAllocation, each level's limit rounded (its previous limit
   * kept if the problem has no solution).
   */
  private adjustBorrowing(): void {
    this.adjustedAt = this.clock.now();
    const levels = [...this.levels.entries()];
    const items: AllocItem[] = levels.map(([, l]) => {
      l.stats.update(l.demand.reset());
      const floor = Math.max(l.bounds.minCL, Math.min(l.bounds.nominalCL, l.stats.highWatermark));
      return { lowerBound: floor, upperBound: l.bounds.maxCL, target: Math.max(floor, l.stats.smoothed) };
    });
    let allocs: number[];
    try {
      const a = allocateSeats(this.nominalSum, items);
      allocs = a.allocs;
      borrowing.fairFrac = a.fairFrac;
    } catch {
      allocs = levels.map(([, l]) => l.currentCL);
    }
    levels.forEach(([name, l], i) => {
      l.currentCL = Math.round(allocs[i]!);
      if (l.set && l.set.limit !== l.currentCL) l.set.setConfig(queueSetConfig(l.pl, l.currentCL));
      const st = l.stats;
      levelLimits.set(name, { nominal: l.bounds.nominalCL, lower: l.bounds.minCL, upper: l.bounds.maxCL, current: l.currentCL, highWatermark: st.highWatermark, average: st.average, stdev: st.deviation, smoothed: st.smoothed, target: items[i]!.target });
    });
  }
}

function nominalShares(pl: PriorityLevelConfiguration): number {
  return (pl.spec?.type === 'Exempt' ? pl.spec.exempt?.nominalConcurrencyShares : pl.spec?.limited?.nominalConcurrencyShares) ?? 0;
}

function queueSetConfig(pl: PriorityLevelConfiguration, nominalCL: number): QueueSetConfig {
  if (pl.spec?.type === 'Exempt') return { exempt: true, concurrencyLimit: nominalCL, queues: 0, handSize: 0, queueLengthLimit: 0 };
  const lr = pl.spec?.limited?.limitResponse;
  const q = lr?.type === 'Queue' ? lr.queuing : undefined;
  return { exempt: false, concurrencyLimit: nominalCL, queues: q ? (q.queues ?? 64) : 0, handSize: q?.handSize ?? 8, queueLengthLimit: q?.queueLengthLimit ?? 50 };
}
