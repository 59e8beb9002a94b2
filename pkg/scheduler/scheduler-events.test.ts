import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KubeObject, Pod } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import { StatusError } from '../client/rest-client.js';
import { SchedulerEvents } from './scheduler-events.js';

const pod: Pod = { metadata: { name: 'web', namespace: 'default', uid: 'u1' } };

/** A client whose first `failures` creates fail as `error` does. */
function client(failures: number, error: () => Error) {
  const created: string[] = [];
  const bodies: KubeObject[] = [];
  const patches: { name: string; patch: unknown }[] = [];
  let calls = 0;
  const c = {
    async create(_ref: unknown, _ns: string, ev: KubeObject) {
      if (calls++ < failures) throw error();
      created.push((ev as { reason?: string }).reason!);
      bodies.push(ev);
      return ev;
    },
    async patch(_ref: unknown, _ns: string, name: string, patch: unknown) {
      patches.push({ name, patch });
      return {};
    },
  } as unknown as ApiClient;
  return { c, created, bodies, patches, calls: () => calls };
}

afterEach(() => vi.useRealTimers());

describe('SchedulerEvents', () => {
  it("writes events as kube-scheduler's events.k8s.io recorder: eventTime, action, reporting controller and instance; a repeat is a series", async () => {
    vi.useFakeTimers();
    const { c, bodies, patches } = client(0, () => new Error('never'));
    const events = new SchedulerEvents(c, { schedulerName: 'default-scheduler' });
    events.event(pod, 'Warning', 'FailedScheduling', '0/1 nodes are available: 1 Insufficient cpu.');
    await vi.advanceTimersByTimeAsync(0);
    expect(bodies).toHaveLength(1);
    const ev = bodies[0] as Record<string, unknown>;
    expect(ev).toMatchObject({ reason: 'FailedScheduling', action: 'Scheduling', type: 'Warning', reportingComponent: 'default-scheduler', involvedObject: { kind: 'Pod', name: 'web', namespace: 'default', uid: 'u1', apiVersion: 'v1' } });
    expect(ev.reportingInstance).toMatch(/^default-scheduler-./);
    expect(ev.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect((ev.metadata as { name: string }).name).toMatch(/^web\.[0-9a-f]{16}$/);
    for (const k of ['count', 'firstTimestamp', 'lastTimestamp', 'source']) expect(ev).not.toHaveProperty(k);
    // The second occurrence (another note too) makes a series of 2 at once; later ones only count,
    // written when the series is refreshed or ends.
    events.event(pod, 'Warning', 'FailedScheduling', '0/2 nodes are available');
    await vi.advanceTimersByTimeAsync(0);
    expect(patches).toEqual([{ name: (ev.metadata as { name: string }).name, patch: { series: { count: 2, lastObservedTime: expect.any(String) } } }]);
    events.event(pod, 'Warning', 'FailedScheduling', 'x');
    events.event(pod, 'Warning', 'FailedScheduling', 'y');
    await vi.advanceTimersByTimeAsync(0);
    expect(patches).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(13 * 60_000);
    expect(patches.at(-1)!.patch).toEqual({ series: { count: 4, lastObservedTime: expect.any(String) } });
    expect(bodies).toHaveLength(1);
    // Once the series ended, the next occurrence is a new event.
    events.event(pod, 'Warning', 'FailedScheduling', 'z');
    await vi.advanceTimersByTimeAsync(0);
    expect(bodies).toHaveLength(2);
    events.stop();
  });

  it('tries an event again while the apiserver does not take it (down, restarting)', async () => {
    vi.useFakeTimers();
    const { c, created, calls } = client(2, () => new Error('connect ECONNREFUSED'));
    const events = new SchedulerEvents(c, { schedulerName: 'default-scheduler' });
    events.event(pod, 'Normal', 'Scheduled', 'Successfully assigned default/web to n1');
    await vi.advanceTimersByTimeAsync(10_000); // the first retry, after a random part of 10 s
    expect(calls()).toBe(2);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(created).toEqual(['Scheduled']);
    events.stop();
  });

  it('does not try again what the apiserver refused (4xx), nor once stopped', async () => {
    vi.useFakeTimers();
    const refused = client(5, () => new StatusError(422, { kind: 'Status', status: 'Failure', reason: 'Invalid', code: 422 }, 'bad'));
    const events = new SchedulerEvents(refused.c, { schedulerName: 'default-scheduler' });
    events.event(pod, 'Normal', 'Scheduled', 'x');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(refused.calls()).toBe(1);
    const down = client(5, () => new Error('socket hang up'));
    const stopping = new SchedulerEvents(down.c, { schedulerName: 'default-scheduler' });
    stopping.event(pod, 'Normal', 'Scheduled', 'x');
    await vi.advanceTimersByTimeAsync(0);
    stopping.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(down.calls()).toBe(1);
  });
});
