// API Priority and Fairness' metrics as kube-apiserver 1.32 names, labels and buckets them
// (staging/src/k8s.io/apiserver/pkg/util/flowcontrol/metrics/metrics.go): the executing and
// queued requests and seats, dispatched and rejected (by reason) counts per flow schema and
// priority level, the wait and execution durations, each level's nominal, lower, upper and
// current seats and the seat demand figures its current seats were derived from (borrowing).
// Per request only numbers move (counts, and a bucket of a histogram kept here); prom-client's
// series are written at scrape time.
import { Counter, Gauge, register } from 'prom-client';
import { alpha, beta } from '../util/metric-help.js';
import type { RejectReason } from './flowcontrol-queueset.js';

/** requestDurationSecondsBuckets. */
const DURATION_BUCKETS = [0, 0.005, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30];
/** work_estimated_seats' buckets (a request takes at most 10 seats). */
const SEATS_BUCKETS = [1, 2, 4, 10];
/** request_queue_length_after_enqueue's buckets (queueLengthBuckets). */
const QUEUE_LENGTH_BUCKETS = [0, 10, 25, 50, 100, 250, 500, 1000];
/** watch_count_samples' buckets. */
const WATCH_COUNT_BUCKETS = [0, 1, 10, 100, 1000, 10000];

/** One histogram series: its counts per bucket (not cumulated), sum and count. */
export class Buckets {
  private readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(
    readonly labels: Record<string, string>,
    private readonly bounds = DURATION_BUCKETS,
  ) {
    this.counts = new Array<number>(bounds.length).fill(0);
  }

  observe(v: number): void {
    this.sum += v;
    this.count++;
    for (let i = 0; i < this.bounds.length; i++) {
      if (v <= this.bounds[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }

  /** The series' samples as prom-client's histograms give them (cumulative buckets, +Inf, _sum, _count). */
  samples(name: string): { metricName: string; labels: Record<string, string | number>; value: number }[] {
    let acc = 0;
    type Sample = { metricName: string; labels: Record<string, string | number>; value: number };
    const out: Sample[] = this.bounds.map((le, i) => ({ metricName: `${name}_bucket`, labels: { le, ...this.labels }, value: (acc += this.counts[i]!) }));
    out.push({ metricName: `${name}_bucket`, labels: { le: '+Inf', ...this.labels }, value: this.count });
    out.push({ metricName: `${name}_sum`, labels: { ...this.labels }, value: this.sum });
    out.push({ metricName: `${name}_count`, labels: { ...this.labels }, value: this.count });
    return out;
  }
}

/** One FlowSchema's requests at one level: what the series report. */
export interface FlowStats {
  labels: { flow_schema: string; priority_level: string };
  executing: number;
  executingSeats: number;
  waiting: number;
  waitingSeats: number;
  dispatched: number;
  /** Dispatch attempts of its requests that found too few seats free (request_dispatch_no_accommodation_total). */
  noAccommodation: number;
  rejected: Record<RejectReason, number>;
  /** request_wait_duration_seconds by execute ("true": it was enqueued; "false": refused at once). */
  waitExecuted: Buckets;
  waitRejected: Buckets;
  /** request_execution_seconds by type. */
  execRegular: Buckets;
  execWatch: Buckets;
  /** work_estimated_seats. */
  seats: Buckets;
  /** watch_count_samples: the watches each write's event goes to. */
  watchCount: Buckets;
  /** request_queue_length_after_enqueue: its queue's length as each request joins it. */
  queueLength: Buckets;
}

/** Process-wide, as 1.32's metrics registry is: counters survive configuration changes. */
const stats = new Map<string, FlowStats>();
/** A priority level's seats (SetPriorityLevelConfiguration) and its last borrowing adjustment (NotePriorityLevelConcurrencyAdjustment). */
export interface LevelFigures {
  nominal: number;
  lower: number;
  upper: number;
  current: number;
  highWatermark: number;
  average: number;
  stdev: number;
  smoothed: number;
  target: number;
}
/** Each priority level's figures, by name. */
export const levelLimits = new Map<string, LevelFigures>();
/** seat_fair_frac: the fair fraction of the last adjustment. */
export const borrowing = { fairFrac: 0 };

export function statsOf(fs: string, pl: string): FlowStats {
  const key = `${pl}\0${fs}`;
  let s = stats.get(key);
  if (!s) {
    const labels = { flow_schema: fs, priority_level: pl };
    s = {
      labels,
      executing: 0,
      executingSeats: 0,
      waiting: 0,
      waitingSeats: 0,
      dispatched: 0,
      noAccommodation: 0,
      rejected: { 'queue-full': 0, 'concurrency-limit': 0, 'time-out': 0 },
      waitExecuted: new Buckets({ ...labels, execute: 'true' }),
      waitRejected: new Buckets({ ...labels, execute: 'false' }),
      execRegular: new Buckets({ ...labels, type: 'regular' }),
      execWatch: new Buckets({ ...labels, type: 'watch' }),
      seats: new Buckets(labels, SEATS_BUCKETS),
      watchCount: new Buckets(labels, WATCH_COUNT_BUCKETS),
      queueLength: new Buckets(labels, QUEUE_LENGTH_BUCKETS),
    };
    stats.set(key, s);
  }
  return s;
}

const flowLabels = ['flow_schema', 'priority_level'];
function gaugeOfFlows(name: string, help: string, value: (s: FlowStats) => number): void {
  new Gauge({
    name,
    help,
    labelNames: flowLabels,
    collect() {
      this.reset();
      for (const s of stats.values()) this.set(s.labels, value(s));
    },
  });
}
gaugeOfFlows('apiserver_flowcontrol_current_executing_requests', beta('Number of requests in initial (for a WATCH) or any (for a non-WATCH) execution stage in the API Priority and Fairness subsystem'), (s) => s.executing);
gaugeOfFlows('apiserver_flowcontrol_current_executing_seats', beta('Concurrency (number of seats) occupied by the currently executing (initial stage for a WATCH, any stage otherwise) requests in the API Priority and Fairness subsystem'), (s) => s.executingSeats);
gaugeOfFlows('apiserver_flowcontrol_current_inqueue_requests', beta('Number of requests currently pending in queues of the API Priority and Fairness subsystem'), (s) => s.waiting);
gaugeOfFlows('apiserver_flowcontrol_current_inqueue_seats', alpha('Number of seats currently pending in queues of the API Priority and Fairness subsystem'), (s) => s.waitingSeats);
new Counter({
  name: 'apiserver_flowcontrol_dispatched_requests_total',
  help: beta('Number of requests executed by API Priority and Fairness subsystem'),
  labelNames: flowLabels,
  collect() {
    this.reset();
    for (const s of stats.values()) if (s.dispatched) this.inc(s.labels, s.dispatched);
  },
});
new Counter({
  name: 'apiserver_flowcontrol_request_dispatch_no_accommodation_total',
  help: alpha('Number of times a dispatch attempt resulted in a non accommodation due to lack of available seats'),
  labelNames: flowLabels,
  collect() {
    this.reset();
    for (const s of stats.values()) if (s.noAccommodation) this.inc(s.labels, s.noAccommodation);
  },
});
new Counter({
  name: 'apiserver_flowcontrol_rejected_requests_total',
  help: beta('Number of requests rejected by API Priority and Fairness subsystem'),
  labelNames: [...flowLabels, 'reason'],
  collect() {
    this.reset();
    for (const s of stats.values()) {
      for (const [reason, n] of Object.entries(s.rejected)) if (n) this.inc({ ...s.labels, reason }, n);
    }
  },
});
function gaugeOfLevels(name: string, help: string, value: (f: LevelFigures) => number): void {
  new Gauge({
    name,
    help,
    labelNames: ['priority_level'],
    collect() {
      this.reset();
      for (const [priority_level, f] of levelLimits) this.set({ priority_level }, value(f));
    },
  });
}
gaugeOfLevels('apiserver_flowcontrol_nominal_limit_seats', beta('Nominal number of execution seats configured for each priority level'), (f) => f.nominal);
gaugeOfLevels('apiserver_flowcontrol_lower_limit_seats', alpha('Configured lower bound on number of execution seats available to each priority level'), (f) => f.lower);
gaugeOfLevels('apiserver_flowcontrol_upper_limit_seats', alpha('Configured upper bound on number of execution seats available to each priority level'), (f) => f.upper);
gaugeOfLevels('apiserver_flowcontrol_current_limit_seats', alpha('current derived number of execution seats available to each priority level'), (f) => f.current);
gaugeOfLevels('apiserver_flowcontrol_demand_seats_high_watermark', alpha('High watermark, over last adjustment period, of demand_seats'), (f) => f.highWatermark);
gaugeOfLevels('apiserver_flowcontrol_demand_seats_average', alpha('Time-weighted average, over last adjustment period, of demand_seats'), (f) => f.average);
gaugeOfLevels('apiserver_flowcontrol_demand_seats_stdev', alpha('Time-weighted standard deviation, over last adjustment period, of demand_seats'), (f) => f.stdev);
gaugeOfLevels('apiserver_flowcontrol_demand_seats_smoothed', alpha('Smoothed seat demands'), (f) => f.smoothed);
gaugeOfLevels('apiserver_flowcontrol_target_seats', alpha('Seat allocation targets'), (f) => f.target);
new Gauge({
  name: 'apiserver_flowcontrol_seat_fair_frac',
  help: alpha("Fair fraction of server's concurrency to allocate to each priority level that can use it"),
  collect() {
    this.set(borrowing.fairFrac);
  },
});

/** A histogram family whose series are FlowStats' buckets (those observed at least once), read at scrape time. */
function histogramOfFlows(name: string, help: string, series: (s: FlowStats) => Buckets[]): void {
  register.registerMetric({
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    get: async () => {
      const values = [];
      for (const s of stats.values()) for (const b of series(s)) if (b.count) values.push(...b.samples(name));
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
    reset: () => {},
  } as unknown as Parameters<typeof register.registerMetric>[0]);
}
histogramOfFlows('apiserver_flowcontrol_request_wait_duration_seconds', beta('Length of time a request spent waiting in its queue'), (s) => [s.waitExecuted, s.waitRejected]);
histogramOfFlows('apiserver_flowcontrol_request_execution_seconds', alpha('Duration of initial stage (for a WATCH) or any (for a non-WATCH) stage of request execution in the API Priority and Fairness subsystem'), (s) => [s.execRegular, s.execWatch]);
histogramOfFlows('apiserver_flowcontrol_request_queue_length_after_enqueue', alpha('Length of queue in the API Priority and Fairness subsystem, as seen by each request after it is enqueued'), (s) => [s.queueLength]);
histogramOfFlows('apiserver_flowcontrol_watch_count_samples', alpha('count of watchers for mutating requests in API Priority and Fairness'), (s) => [s.watchCount]);
histogramOfFlows('apiserver_flowcontrol_work_estimated_seats', alpha('Number of estimated seats (maximum of initial and final seats) associated with requests in API Priority and Fairness'), (s) => [s.seats]);
