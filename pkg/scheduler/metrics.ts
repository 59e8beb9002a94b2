// Scheduler metrics, named as kube-scheduler's.
import { Counter, Gauge, Histogram } from 'prom-client';

export const scheduleAttempts = new Counter({
  name: 'scheduler_schedule_attempts_total',
  help: 'Number of attempts to schedule pods, by the result.',
  labelNames: ['result', 'profile'],
});

export const schedulingSli = new Histogram({
  name: 'scheduler_pod_scheduling_sli_duration_seconds',
  help: 'E2e latency for a pod being scheduled, from the time the pod enters the scheduling queue until it is bound.',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
});

export const attemptDuration = new Histogram({
  name: 'scheduler_scheduling_attempt_duration_seconds',
  help: 'Scheduling attempt latency (filter, score, assume; not the bind), by result.',
  labelNames: ['result'],
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
});

export const pendingPods = new Gauge({
  name: 'scheduler_pending_pods',
  help: 'Number of pending pods, by the queue type.',
  labelNames: ['queue'],
});

export const eventsDropped = new Counter({
  name: 'scheduler_events_dropped_total',
  help: 'Events not recorded because the event queue (1000) was full.',
});
