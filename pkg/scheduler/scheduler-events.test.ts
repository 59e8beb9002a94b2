import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KubeObject, Pod } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import { StatusError } from '../client/rest-client.js';
import { SchedulerEvents } from './scheduler-events.js';

const pod: Pod = { metadata: { name: 'web', namespace: 'default', uid: 'u1' } };

/** A client whose first `failures` creates fail as `error` does. */
function client(failures: number, error: () => Error) {
  const created: string[] = [];
  let calls = 0;
  const c = {
    async create(_ref: unknown, _ns: string, ev: KubeObject) {
      if (calls++ < failures) throw error();
      created.push((ev as { reason?: string }).reason!);
      return ev;
    },
  } as unknown as ApiClient;
  return { c, created, calls: () => calls };
}

afterEach(() => vi.useRealTimers());

describe('SchedulerEvents', () => {
  it('tries an event again while the apiserver does not take it (down, restarting)', async () => {
    vi.useFakeTimers();
    const { c, created, calls } = client(2, () => new Error('connect ECONNREFUSED'));
    const events = new SchedulerEvents(c, { schedulerName: 'default-scheduler', identity: 'me' });
    events.event(pod, 'Normal', 'Scheduled', 'Successfully assigned default/web to n1');
    await vi.advanceTimersByTimeAsync(10_000); // the first retry, after a random part of 10 s
    expect(calls()).toBe(2);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(created).toEqual(['Scheduled']);
    events.stop();
  });

  it('does not try again what the apiserver refused (4xx), nor once stopped', async () => {
    vi.useFakeTimers();
    const refused = client(5, () => new StatusError(422, 'Invalid', 'bad'));
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
