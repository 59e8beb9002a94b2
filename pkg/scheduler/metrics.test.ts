import { register } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/types.js';
import { CycleState, Status } from './framework.js';
import { bindPod, type BindingDeps } from './scheduler-binding.js';
import { Scheduler } from './scheduler.js';
import type { ApiClient } from '../client/api-client.js';
import type { KubeObject, Node } from '../api/types.js';

const pod = (name: string): Pod => ({ metadata: { name, namespace: 'default' }, spec: { containers: [] } }) as Pod;
const deps = (bound: Status): BindingDeps => ({
  profile: { preBind: [], bind: [{ name: 'DefaultBinder', bind: async () => bound }], reserve: [] } as unknown as BindingDeps['profile'],
  queue: { done: () => {}, retryLater: () => {} },
  cfg: { schedulerName: 'metrics-test-scheduler', scheduledEvents: false },
  forget: () => {},
  event: () => {},
});
const value = (text: string, series: string) => {
  const i = text.indexOf(`\n${series} `);
  return i < 0 ? undefined : Number(text.slice(i + series.length + 2).split('\n')[0]);
};

describe("kube-scheduler 1.32's metrics", () => {
  it('a binding is an attempt by result and profile, its cycle timed to the bind, its SLI by attempts', async () => {
    // (unit test files share a worker's registry: the profile is this file's, the rest are deltas)
    const before = await register.metrics();
    const delta = (text: string, series: string) => (value(text, series) ?? 0) - (value(before, series) ?? 0);
    const cycleStart = performance.now() - 20;
    await bindPod(deps(Status.success), new CycleState(), pod('a'), 'n1', Date.now() - 3000, { started: cycleStart, attempt: 3 });
    await bindPod(deps(Status.success), new CycleState(), pod('b'), 'n1', Date.now(), { started: performance.now(), attempt: 16 });
    await bindPod(deps(Status.error('DefaultBinder', 'conflict')), new CycleState(), pod('c'), 'n1', Date.now(), { started: performance.now(), attempt: 1 });
    const text = await register.metrics();

    expect(text).toContain(
      "# HELP scheduler_schedule_attempts_total [STABLE] Number of attempts to schedule pods, by the result. 'unschedulable' means a pod could not be scheduled, while 'error' means an internal scheduler problem.\n# TYPE scheduler_schedule_attempts_total counter\n",
    );
    expect(value(text, 'scheduler_schedule_attempts_total{result="scheduled",profile="metrics-test-scheduler"}')).toBe(2);
    expect(value(text, 'scheduler_schedule_attempts_total{result="error",profile="metrics-test-scheduler"}')).toBe(1);
    expect(text).toContain('# HELP scheduler_scheduling_attempt_duration_seconds [STABLE] Scheduling attempt latency in seconds (scheduling algorithm + binding)\n');
    expect(value(text, 'scheduler_scheduling_attempt_duration_seconds_count{result="scheduled",profile="metrics-test-scheduler"}')).toBe(2);
    // (the first cycle began 20 ms before its bind: it is not in the 16 ms bucket)
    expect(value(text, 'scheduler_scheduling_attempt_duration_seconds_bucket{le="0.016",result="scheduled",profile="metrics-test-scheduler"}')).toBe(1);
    expect(value(text, 'scheduler_scheduling_attempt_duration_seconds_bucket{le="16.384",result="scheduled",profile="metrics-test-scheduler"}')).toBe(2);
    expect(value(text, 'scheduler_scheduling_attempt_duration_seconds_count{result="error",profile="metrics-test-scheduler"}')).toBe(1);

    expect(text).toContain('# HELP scheduler_pod_scheduling_sli_duration_seconds [BETA] E2e latency for a pod being scheduled, from the time the pod enters the scheduling queue and might involve multiple scheduling attempts.\n');
    expect(delta(text, 'scheduler_pod_scheduling_sli_duration_seconds_bucket{le="2.56",attempts="3"}')).toBe(0);
    expect(delta(text, 'scheduler_pod_scheduling_sli_duration_seconds_bucket{le="5.12",attempts="3"}')).toBe(1);
    expect(delta(text, 'scheduler_pod_scheduling_sli_duration_seconds_count{attempts="15+"}')).toBe(1);
    expect(delta(text, 'scheduler_pod_scheduling_sli_duration_seconds_bucket{le="5242.88",attempts="15+"}')).toBe(1);
    expect(delta(text, 'scheduler_pod_scheduling_attempts_bucket{le="4"}')).toBe(1);
    expect(delta(text, 'scheduler_pod_scheduling_attempts_bucket{le="8"}')).toBe(1);
    expect(delta(text, 'scheduler_pod_scheduling_attempts_count')).toBe(2);
    expect(text).toContain("# HELP scheduler_pending_pods [STABLE] Number of pending pods, by the queue type. 'active' means number of pods in activeQ;");
    expect(text).toContain('# HELP scheduler_preemption_attempts_total [STABLE] Total preemption attempts in the cluster till now\n');
    expect(text).toMatch(/^scheduler_preemption_victims_bucket\{le="64"\} \d+$/m);
  });

  it('times the scheduling algorithm of an attempt that found a node, not of one that did not', async () => {
    const count = async () => value(await register.metrics(), 'scheduler_scheduling_algorithm_duration_seconds_count') ?? 0;
    const before = await count();
    const s = new Scheduler({ bind: async () => ({}), patch: async () => ({}), create: async () => ({}), update: async () => ({}), get: async () => ({}) } as unknown as ApiClient, { schedulerName: 'metrics-test-scheduler' } as never);
    const h = s as unknown as { upsertNode(n: Node & KubeObject): void; queue: { close(): void } };
    const wants = (name: string) => ({ metadata: { name, namespace: 'default', uid: name }, spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '100m' } } }] } }) as Pod;
    s.scheduleOne(wants('nowhere'), Date.now());
    expect(await count()).toBe(before);
    h.upsertNode({ metadata: { name: 'n1' }, status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] } } as Node & KubeObject);
    s.scheduleOne(wants('placed'), Date.now());
    expect(await count()).toBe(before + 1);
    expect(await register.metrics()).toContain('# HELP scheduler_scheduling_algorithm_duration_seconds [ALPHA] Scheduling algorithm latency in seconds\n');
    h.queue.close();
  });
});
