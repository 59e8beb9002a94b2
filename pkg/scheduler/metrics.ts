// Scheduler metrics, named, labelled and bucketed as kube-scheduler 1.32's
// (pkg/scheduler/metrics/metrics.go), with component-base's stability prefix on each help text.
import { Counter, Gauge, Histogram } from 'prom-client';
import { beta, stable } from '../util/metric-help.js';

/** metrics.ExponentialBuckets(start, factor, count). */
const exponential = (start: number, factor: number, count: number) => Array.from({ length: count }, (_, i) => start * factor ** i);

export const scheduleAttempts = new Counter({
  name: 'scheduler_schedule_attempts_total',
  help: stable("Number of attempts to schedule pods, by the result. 'unschedulable' means a pod could not be scheduled, while 'error' means an internal scheduler problem."),
  labelNames: ['result', 'profile'],
});

/** From the pod's first attempt to its binding, by the attempts it took ("15+" from 15 on). */
export const schedulingSli = new Histogram({
  name: 'scheduler_pod_scheduling_sli_duration_seconds',
  help: beta('E2e latency for a pod being scheduled, from the time the pod enters the scheduling queue and might involve multiple scheduling attempts.'),
  labelNames: ['attempts'],
  buckets: exponential(0.01, 2, 20),
});

/** One scheduling attempt, from the start of its cycle to its end: the binding for a scheduled pod. */
export const attemptDuration = new Histogram({
  name: 'scheduler_scheduling_attempt_duration_seconds',
  help: stable('Scheduling attempt latency in seconds (scheduling algorithm + binding)'),
  labelNames: ['result', 'profile'],
  buckets: exponential(0.001, 2, 15),
});

/** The scheduling algorithm (filter and score) of an attempt that found a node. */
export const schedulingAlgorithmDuration = new Histogram({
  name: 'scheduler_scheduling_algorithm_duration_seconds',
  help: '[ALPHA] Scheduling algorithm latency in seconds',
  buckets: exponential(0.001, 2, 15),
});

export const podSchedulingAttempts = new Histogram({
  name: 'scheduler_pod_scheduling_attempts',
  help: stable('Number of attempts to successfully schedule a pod.'),
  buckets: exponential(1, 2, 5),
});

export const pendingPods = new Gauge({
  name: 'scheduler_pending_pods',
  help: stable(
    "Number of pending pods, by the queue type. 'active' means number of pods in activeQ; 'backoff' means number of pods in backoffQ; 'unschedulable' means number of pods in unschedulablePods that the scheduler attempted to schedule and failed; 'gated' is the number of unschedulable pods that the scheduler never attempted to schedule because they are gated.",
  ),
  labelNames: ['queue'],
});

export const preemptionAttempts = new Counter({
  name: 'scheduler_preemption_attempts_total',
  help: stable('Total preemption attempts in the cluster till now'),
});

export const preemptionVictims = new Histogram({
  name: 'scheduler_preemption_victims',
  help: stable('Number of selected preemption victims'),
  buckets: exponential(1, 2, 7),
});

export const eventsDropped = new Counter({
  name: 'scheduler_events_dropped_total',
  help: 'Events not recorded because the event queue (1000) was full.',
});

/** getAttemptsLabel: the attempts as a number, "15+" from 15 on. */
export const attemptsLabel = (attempts: number) => (attempts >= 15 ? '15+' : String(attempts));

/** A pod bound after `attempts` attempts (metrics.PodScheduled, PodSchedulingAttempts, PodSchedulingSLIDuration). */
export function podScheduled(profile: string, cycleSeconds: number, attempts: number, sinceFirstAttemptSeconds: number): void {
  scheduleAttempts.inc({ result: 'scheduled', profile });
  attemptDuration.observe({ result: 'scheduled', profile }, cycleSeconds);
  podSchedulingAttempts.observe(attempts);
  schedulingSli.observe({ attempts: attemptsLabel(attempts) }, sinceFirstAttemptSeconds);
}

/** An attempt that ended without a binding: 'unschedulable' (no node fits) or 'error' (metrics.PodUnschedulable, PodScheduleError). */
export function podNotScheduled(result: 'unschedulable' | 'error', profile: string, cycleSeconds: number): void {
  scheduleAttempts.inc({ result, profile });
  attemptDuration.observe({ result, profile }, cycleSeconds);
}
