// client-go's workqueue metrics as kube-controller-manager 1.32 serves them
// (component-base/metrics/prometheus/workqueue/metrics.go, client-go util/workqueue/metrics.go):
// depth, adds, the time a key waits and the time its sync takes, retries, and the work in
// progress (unfinished work, the longest running processor), each labelled with the queue's name
// as the 1.32 controller names it, so the controller-manager dashboard's panels read them.
import { Counter, Gauge, Histogram } from 'prom-client';
import { alpha } from '../util/metric-help.js';

/** ExponentialBuckets(10e-9, 10, 10), multiplied out as Go does (1e-08 ... 9.999999999999999e-06 ... 10). */
const BUCKETS = Array.from({ length: 10 }).reduce<number[]>((b, _, i) => [...b, i ? b[i - 1]! * 10 : 10e-9], []);

/**
 * The 1.32 queue names of tskube's queues: kube-controller-manager's controllers name theirs
 * (workqueue.TypedRateLimitingQueueConfig.Name) differently from our log names.
 */
const UPSTREAM_NAMES: Record<string, string> = {
  'clusterrole-aggregation': 'ClusterRoleAggregator',
  csrsigning: 'certificate',
  endpoints: 'endpoint',
  endpointslice: 'endpoint_slice',
  'endpointslice-mirroring': 'endpoint_slice_mirroring',
  'ephemeral-volume': 'ephemeral_volume',
  'garbage-collector': 'garbage_collector_attempt_to_delete',
  'pv-claims': 'claims',
  'pv-volumes': 'volumes',
  'pv-protection': 'pvprotection',
  'pvc-protection': 'pvcprotection',
  replication: 'replicationmanager',
  'root-ca-cert-publisher': 'root_ca_cert_publisher',
  'service-lb': 'service',
  'serviceaccount-tokens': 'serviceaccount_tokens_service',
  'stale-pod-disruption': 'stale_pod_disruption',
  'ttl-after-finished': 'ttl_jobs_to_delete',
};
export const metricName = (queue: string) => UPSTREAM_NAMES[queue] ?? queue;

const depth = new Gauge({ name: 'workqueue_depth', help: alpha('Current depth of workqueue'), labelNames: ['name'] });
const adds = new Counter({ name: 'workqueue_adds_total', help: alpha('Total number of adds handled by workqueue'), labelNames: ['name'] });
const latency = new Histogram({ name: 'workqueue_queue_duration_seconds', help: alpha('How long in seconds an item stays in workqueue before being requested.'), labelNames: ['name'], buckets: BUCKETS });
const workDuration = new Histogram({ name: 'workqueue_work_duration_seconds', help: alpha('How long in seconds processing an item from workqueue takes.'), labelNames: ['name'], buckets: BUCKETS });
const retries = new Counter({ name: 'workqueue_retries_total', help: alpha('Total number of retries handled by workqueue'), labelNames: ['name'] });

/** The queues whose work in progress the two gauges below report, at each scrape. */
const live = new Set<QueueMetrics>();
new Gauge({
  name: 'workqueue_unfinished_work_seconds',
  help: alpha("How many seconds of work has done that is in progress and hasn't been observed by work_duration. Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases."),
  labelNames: ['name'],
  collect() {
    for (const q of live) this.set({ name: q.name }, q.inProgress().total);
  },
});
new Gauge({
  name: 'workqueue_longest_running_processor_seconds',
  help: alpha('How many seconds has the longest running processor for workqueue been running.'),
  labelNames: ['name'],
  collect() {
    for (const q of live) this.set({ name: q.name }, q.inProgress().longest);
  },
});

/** One queue's metrics (client-go's defaultQueueMetrics): add, get, done, retry. */
export class QueueMetrics {
  readonly name: string;
  /** When each waiting key was added, and when each key being processed was taken (performance.now()). */
  private readonly added = new Map<string, number>();
  private readonly started = new Map<string, number>();

  constructor(queue: string) {
    this.name = metricName(queue);
    depth.set({ name: this.name }, 0);
    adds.inc({ name: this.name }, 0);
    retries.inc({ name: this.name }, 0);
    live.add(this);
  }

  /** A key is queued (or marked to be queued again once its processing ends). */
  add(key: string): void {
    adds.inc({ name: this.name });
    depth.inc({ name: this.name });
    if (!this.added.has(key)) this.added.set(key, performance.now());
  }

  /** A worker takes the key. */
  get(key: string): void {
    depth.dec({ name: this.name });
    const at = this.added.get(key);
    this.added.delete(key);
    const now = performance.now();
    if (at !== undefined) latency.observe({ name: this.name }, (now - at) / 1000);
    this.started.set(key, now);
  }

  /** The key's sync has ended. */
  done(key: string): void {
    const at = this.started.get(key);
    this.started.delete(key);
    if (at !== undefined) workDuration.observe({ name: this.name }, (performance.now() - at) / 1000);
  }

  retry(): void {
    retries.inc({ name: this.name });
  }

  /** The queue is shut down: nothing waits in it any more. */
  stopped(): void {
    depth.set({ name: this.name }, 0);
    this.added.clear();
    live.delete(this);
  }

  /** The seconds of every sync in progress, and of the longest. */
  inProgress(): { total: number; longest: number } {
    const now = performance.now();
    let total = 0;
    let longest = 0;
    for (const at of this.started.values()) {
      total += (now - at) / 1000;
      longest = Math.max(longest, (now - at) / 1000);
    }
    return { total, longest };
  }
}
