// Node agent metrics, named, labelled and bucketed as the 1.32 kubelet's where one exists
// (pkg/kubelet/metrics/metrics.go), with component-base's stability prefix on each help text.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import '../util/build-info-metric.js';
import { alpha } from '../util/metric-help.js';

/** metrics.DefBuckets (prometheus.DefBuckets). */
const DEF_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** metrics.ExponentialBuckets(start, factor, count). */
const exponential = (start: number, factor: number, count: number) => Array.from({ length: count }, (_, i) => start * factor ** i);

export const podStartDuration = new Histogram({
  name: 'kubelet_pod_start_duration_seconds',
  help: alpha('Duration in seconds from kubelet seeing a pod for the first time to the pod starting to run'),
  buckets: [0.5, 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, 45, 60, 120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800, 2700, 3600],
});
export const podWorkerDuration = new Histogram({
  name: 'kubelet_pod_worker_duration_seconds',
  help: alpha('Duration in seconds to sync a single pod. Broken down by operation type: create, update, or sync'),
  labelNames: ['operation_type'],
  buckets: DEF_BUCKETS,
});
export const runningPods = new Gauge({ name: 'kubelet_running_pods', help: alpha('Number of pods that have a running pod sandbox') });
export const runningContainers = new Gauge({ name: 'kubelet_running_containers', help: alpha('Number of containers currently running'), labelNames: ['container_state'] });
export const podWorkerErrors = new Counter({ name: 'kubelet_pod_worker_errors_total', help: 'Pod sync attempts that failed.' });
const startedPods = new Counter({ name: 'kubelet_started_pods_total', help: alpha('Cumulative number of pods started') });
const startedPodsErrors = new Counter({ name: 'kubelet_started_pods_errors_total', help: alpha('Cumulative number of errors when starting pods') });
const startedContainers = new Counter({ name: 'kubelet_started_containers_total', help: alpha('Cumulative number of containers started'), labelNames: ['container_type'] });
const startedContainersErrors = new Counter({ name: 'kubelet_started_containers_errors_total', help: alpha('Cumulative number of errors when starting containers'), labelNames: ['container_type', 'code'] });
/** SyncPod's StartedPodsTotal: a sandbox about to be created; its StartedPodsErrorsTotal when that failed. */
export const recordPodStart = (): void => void startedPods.inc();
export const recordPodStartError = (): void => void startedPodsErrors.inc();
/** SyncPod's start(): StartedContainersTotal by container type (container, init_container, ephemeral_container), and the attempt's error code if it failed. */
export function recordContainerStart(containerType: string, errorCode?: string): void {
  startedContainers.inc({ container_type: containerType });
  if (errorCode) startedContainersErrors.inc({ container_type: containerType, code: errorCode });
}
/**
 * RestartedPodTotal: pods started again under the UID of an instance that was still stopping
 * (the kubelet's HandlePodCleanups restarts them once SyncKnownPods has purged the old worker),
 * static "true" and API pods "" (never "false"). Housekeeping adds both counts every pass, so both
 * series are there, at 0, from the agent's start.
 */
const restartedPods = new Counter({
  name: 'kubelet_restarted_pods_total',
  help: alpha('Number of pods that have been restarted because they were deleted and recreated with the same UID while the kubelet was watching them (common for static pods, extremely uncommon for API pods)'),
  labelNames: ['static'],
});
export function recordRestartedPods(staticPods: number, apiPods = 0): void {
  restartedPods.inc({ static: 'true' }, staticPods);
  restartedPods.inc({ static: '' }, apiPods);
}
/** The eviction manager's Evictions: a pod evicted, by the signal whose threshold (or local storage limit) it was evicted for. */
const evictionsTotal = new Counter({ name: 'kubelet_evictions', help: alpha('Cumulative number of pod evictions by eviction signal'), labelNames: ['eviction_signal'] });
export const recordEviction = (signal: string): void => void evictionsTotal.inc({ eviction_signal: signal });
export const plegRelistDuration = new Histogram({ name: 'kubelet_pleg_relist_duration_seconds', help: alpha('Duration in seconds for relisting pods in PLEG.'), buckets: DEF_BUCKETS });
export const plegRelistInterval = new Histogram({ name: 'kubelet_pleg_relist_interval_seconds', help: alpha('Interval in seconds between relisting in PLEG.'), buckets: DEF_BUCKETS });
export const plegLastSeen = new Gauge({ name: 'kubelet_pleg_last_seen_seconds', help: alpha('Timestamp in seconds when PLEG was last seen active.') });
const nodeNameGauge = new Gauge({ name: 'kubelet_node_name', help: alpha("The node's name. The count is always 1."), labelNames: ['node'] });
/** kubelet_node_name{node} 1, as the kubelet sets it at start (what the mixin counts kubelets and joins nodes by). */
export const setNodeName = (node: string) => nodeNameGauge.set({ node }, 1);
export const runtimeOps = new Histogram({
  name: 'kubelet_runtime_operations_duration_seconds',
  help: alpha('Duration in seconds of runtime operations. Broken down by operation type.'),
  labelNames: ['operation_type'],
  buckets: exponential(0.005, 2.5, 14),
});
const runtimeOpsTotal = new Counter({ name: 'kubelet_runtime_operations_total', help: alpha('Cumulative number of runtime operations by operation type.'), labelNames: ['operation_type'] });
const runtimeOpsErrors = new Counter({ name: 'kubelet_runtime_operations_errors_total', help: alpha('Cumulative number of runtime operation errors by operation type.'), labelNames: ['operation_type'] });
export const networkOps = new Histogram({
  name: 'kubelet_network_operations_duration_seconds',
  help: 'Duration in seconds of pod network set-up and teardown.',
  labelNames: ['operation_type'],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
});

const storageOperations = new Histogram({
  name: 'storage_operation_duration_seconds',
  help: alpha('Storage operation duration'),
  labelNames: ['volume_plugin', 'operation_name', 'status', 'migrated'],
  buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 25, 50, 120, 300, 600],
});

/** What volume_manager_total_volumes counts of one pod: its volumes' plugins, wanted and set up. */
export interface PodVolumeStates {
  volumeStates(): { desired: string[]; mounted: string[] };
}
const trackedVolumes = new Set<PodVolumeStates>();
/**
 * pkg/kubelet/volumemanager/metrics totalVolumesCollector: at scrape time, the volumes of the
 * desired and actual states of the world by plugin (N/A when it is not known).
 */
new Gauge({
  name: 'volume_manager_total_volumes',
  help: alpha('Number of volumes in Volume Manager'),
  labelNames: ['plugin_name', 'state'],
  collect() {
    this.reset();
    const count = new Map<string, { plugin_name: string; state: string; n: number }>();
    const add = (plugin_name: string, state: string) => {
      const k = `${state}\0${plugin_name}`;
      const c = count.get(k) ?? { plugin_name, state, n: 0 };
      c.n++;
      count.set(k, c);
    };
    for (const t of trackedVolumes) {
      const s = t.volumeStates();
      for (const p of s.mounted) add(p, 'actual_state_of_world');
      for (const p of s.desired) add(p, 'desired_state_of_world');
    }
    for (const c of count.values()) this.set({ plugin_name: c.plugin_name, state: c.state }, c.n);
  },
});
/** Counts a pod's volumes in volume_manager_total_volumes until the returned function is called. */
export function trackVolumes(v: PodVolumeStates): () => void {
  trackedVolumes.add(v);
  return () => void trackedVolumes.delete(v);
}

/** The in-tree plugin that mounts a pod volume of this source, by the kubelet's plugin names. */
export function volumePluginOf(v: { configMap?: unknown; secret?: unknown; projected?: unknown; downwardAPI?: unknown; hostPath?: unknown; emptyDir?: unknown }): string | undefined {
  if (v.configMap) return 'kubernetes.io/configmap';
  if (v.secret) return 'kubernetes.io/secret';
  if (v.projected) return 'kubernetes.io/projected';
  if (v.downwardAPI) return 'kubernetes.io/downward-api';
  if (v.hostPath) return 'kubernetes.io/host-path';
  if (v.emptyDir) return 'kubernetes.io/empty-dir';
  return undefined;
}

/**
 * A volume's SetUp, timed as the kubelet's operation executor times its MountVolume operation
 * (storage_operation_duration_seconds, operation_name volume_mount, status success or
 * fail-unknown, migrated false). Returns what `fn` returns.
 */
export async function timedMount<T>(plugin: string | undefined, fn: () => Promise<T>): Promise<T> {
  if (!plugin) return fn();
  const started = performance.now();
  let status = 'fail-unknown';
  try {
    const out = await fn();
    status = 'success';
    return out;
  } finally {
    storageOperations.observe({ volume_plugin: plugin, operation_name: 'volume_mount', status, migrated: 'false' }, (performance.now() - started) / 1000);
  }
}

/** The kubelet's container states (kubecontainer.State) by the runtime's, as kubelet_running_containers labels them. */
const CONTAINER_STATES: Record<string, string> = { CONTAINER_CREATED: 'created', CONTAINER_RUNNING: 'running', CONTAINER_EXITED: 'exited', CONTAINER_UNKNOWN: 'unknown' };
const statesSeen = new Set<string>();
/**
 * kubelet_running_containers by container_state, as the PLEG's relist counts every container of
 * the runtime's pods (updateRunningPodAndContainerMetrics); a state counted before and gone now is 0.
 */
export function setContainerStates(states: Iterable<string>): void {
  const counts = new Map<string, number>();
  for (const s of states) {
    const label = CONTAINER_STATES[s] ?? 'unknown';
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  for (const label of counts.keys()) statesSeen.add(label);
  for (const label of statesSeen) runningContainers.set({ container_state: label }, counts.get(label) ?? 0);
}

/** Times one operation; a runtime operation is also counted, and counted as an error when it fails (kubelet's instrumentedRuntimeService). */
export async function timed<T>(h: Histogram<'operation_type'>, op: string, fn: () => Promise<T>): Promise<T> {
  const end = h.startTimer({ operation_type: op });
  if (h === runtimeOps) runtimeOpsTotal.inc({ operation_type: op });
  try {
    return await fn();
  } catch (e) {
    if (h === runtimeOps) runtimeOpsErrors.inc({ operation_type: op });
    throw e;
  } finally {
    end();
  }
}

/** The kubelet's /metrics/probes: probe results and durations, on a registry of their own. */
export const probeRegistry = new Registry();
const PROBE_LABELS = ['probe_type', 'container', 'pod', 'namespace', 'pod_uid'] as const;
export const probeTotal = new Counter({
  name: 'prober_probe_total',
  help: '[BETA] Cumulative number of a liveness, readiness or startup probe for a container by result.',
  labelNames: [...PROBE_LABELS, 'result'],
  registers: [probeRegistry],
});
export const probeDuration = new Histogram({
  name: 'prober_probe_duration_seconds',
  help: alpha('Duration in seconds for a probe response.'),
  labelNames: PROBE_LABELS.filter((l) => l !== 'pod_uid'),
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [probeRegistry],
});
