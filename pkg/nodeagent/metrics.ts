// Node agent metrics, named as the kubelet's where one exists.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export const podStartDuration = new Histogram({
  name: 'kubelet_pod_start_duration_seconds',
  help: 'Duration in seconds from the pod being seen by the agent to all its containers started.',
  buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 3, 5, 10, 30, 60],
});
export const runningPods = new Gauge({ name: 'kubelet_running_pods', help: 'Number of pods that have a running pod sandbox.' });
export const runningContainers = new Gauge({ name: 'kubelet_running_containers', help: 'Number of containers currently running.' });
export const podWorkerErrors = new Counter({ name: 'kubelet_pod_worker_errors_total', help: 'Pod sync attempts that failed.' });
export const runtimeOps = new Histogram({
  name: 'kubelet_runtime_operations_duration_seconds',
  help: 'Duration in seconds of runtime operations, by operation type.',
  labelNames: ['operation_type'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
});
export const networkOps = new Histogram({
  name: 'kubelet_network_operations_duration_seconds',
  help: 'Duration in seconds of pod network set-up and teardown.',
  labelNames: ['operation_type'],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
});

export async function timed<T>(h: Histogram<'operation_type'>, op: string, fn: () => Promise<T>): Promise<T> {
  const end = h.startTimer({ operation_type: op });
  try {
    return await fn();
  } finally {
    end();
  }
}

/** The kubelet's /metrics/probes: probe results and durations, on a registry of their own. */
export const probeRegistry = new Registry();
const PROBE_LABELS = ['probe_type', 'container', 'pod', 'namespace', 'pod_uid'] as const;
export const probeTotal = new Counter({
  name: 'prober_probe_total',
  help: 'Cumulative number of a liveness, readiness or startup probe for a container by result.',
  labelNames: [...PROBE_LABELS, 'result'],
  registers: [probeRegistry],
});
export const probeDuration = new Histogram({
  name: 'prober_probe_duration_seconds',
  help: 'Duration in seconds for a probe response.',
  labelNames: PROBE_LABELS.filter((l) => l !== 'pod_uid'),
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [probeRegistry],
});
