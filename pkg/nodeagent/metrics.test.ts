import { register } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ContainerState, type ContainerStatus, type PodSandboxStatus } from '../runtime/types.js';
import { Pleg } from './agent-pleg.js';
import { podUidLabel } from './container-labels.js';
import { probeRegistry, runtimeOps, setNodeName, timed } from './metrics.js';

const container = (id: string, uid: string, state: ContainerState) => ({ id, state, labels: { [podUidLabel]: uid } }) as unknown as ContainerStatus;
const value = (text: string, series: string) => {
  const m = new RegExp(`^${series.replace(/[{}[\]()."+|]/g, '\\$&')} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};

describe("the node agent's /metrics, as the 1.32 kubelet's", () => {
  it('counts containers by container_state and times each relist and the interval between them (GenericPLEG)', async () => {
    let containers = [container('a', 'u1', ContainerState.Running), container('b', 'u1', ContainerState.Exited), container('c', 'u2', ContainerState.Running)];
    const sandboxes = [{ id: 's1', state: 'SANDBOX_READY' }, { id: 's2', state: 'SANDBOX_READY' }] as unknown as PodSandboxStatus[];
    const pleg = new Pleg({ listContainers: async () => containers, listPodSandbox: async () => sandboxes }, () => {});
    // (unit test files share a worker's registry: counts are deltas)
    const before = await register.metrics();
    const delta = (text: string, series: string) => (value(text, series) ?? 0) - (value(before, series) ?? 0);
    await pleg.relist();
    let text = await register.metrics();
    expect(text).toContain('# HELP kubelet_running_containers [ALPHA] Number of containers currently running\n# TYPE kubelet_running_containers gauge\n');
    expect(value(text, 'kubelet_running_containers{container_state="running"}')).toBe(2);
    expect(value(text, 'kubelet_running_containers{container_state="exited"}')).toBe(1);
    expect(value(text, 'kubelet_running_pods')).toBe(2);
    expect(text).toContain('# HELP kubelet_running_pods [ALPHA] Number of pods that have a running pod sandbox\n');

    containers = [container('a', 'u1', ContainerState.Running), container('d', 'u1', ContainerState.Created)];
    await pleg.relist();
    text = await register.metrics();
    expect(value(text, 'kubelet_running_containers{container_state="running"}')).toBe(1);
    expect(value(text, 'kubelet_running_containers{container_state="exited"}')).toBe(0);
    expect(value(text, 'kubelet_running_containers{container_state="created"}')).toBe(1);
    expect(delta(text, 'kubelet_pleg_relist_duration_seconds_count')).toBe(2);
    expect(delta(text, 'kubelet_pleg_relist_interval_seconds_count')).toBe(1);
    expect(text).toContain('# HELP kubelet_pleg_relist_duration_seconds [ALPHA] Duration in seconds for relisting pods in PLEG.\n');
    expect(text).toMatch(/^kubelet_pleg_relist_duration_seconds_bucket\{le="0.005"\} \d+$/m);
    expect(value(text, 'kubelet_pleg_last_seen_seconds')).toBeGreaterThan(Date.now() / 1000 - 60);
  });

  it('names the node, counts runtime operations and their errors, and buckets as 1.32', async () => {
    setNodeName('n1');
    await timed(runtimeOps, 'metrics_test_op', async () => 1);
    await expect(timed(runtimeOps, 'metrics_test_op', async () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    const text = await register.metrics();
    expect(text).toContain("# HELP kubelet_node_name [ALPHA] The node's name. The count is always 1.\n# TYPE kubelet_node_name gauge\n");
    expect(value(text, 'kubelet_node_name{node="n1"}')).toBe(1);
    expect(value(text, 'kubelet_runtime_operations_total{operation_type="metrics_test_op"}')).toBe(2);
    expect(value(text, 'kubelet_runtime_operations_errors_total{operation_type="metrics_test_op"}')).toBe(1);
    const les = (name: string) => [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"`, 'gm'))].map((m) => m[1]);
    expect(les('kubelet_pod_start_duration_seconds')).toEqual(['0.5', '1', '2', '3', '4', '5', '6', '8', '10', '20', '30', '45', '60', '120', '180', '240', '300', '360', '480', '600', '900', '1200', '1800', '2700', '3600', '+Inf']);
    expect(text).toContain('# HELP kubelet_pod_start_duration_seconds [ALPHA] Duration in seconds from kubelet seeing a pod for the first time to the pod starting to run\n');
    expect(text).toContain('# HELP kubelet_pod_worker_duration_seconds [ALPHA] Duration in seconds to sync a single pod. Broken down by operation type: create, update, or sync\n');
    expect(text).toMatch(/^kubelet_runtime_operations_duration_seconds_bucket\{le="0.005",operation_type="metrics_test_op"\} \d+$/m);
    expect(text).toMatch(/^kubelet_runtime_operations_duration_seconds_bucket\{le="0.03125",operation_type="metrics_test_op"\} \d+$/m);
  });

  it("labels /metrics/probes' help texts with 1.32's stability levels", async () => {
    const text = await probeRegistry.metrics();
    expect(text).toContain('# HELP prober_probe_total [BETA] Cumulative number of a liveness, readiness or startup probe for a container by result.\n');
    expect(text).toContain('# HELP prober_probe_duration_seconds [ALPHA] Duration in seconds for a probe response.\n');
  });
});
