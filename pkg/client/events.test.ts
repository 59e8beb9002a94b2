import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KubeObject } from '../api/types.js';
import type { ApiClient } from './api-client.js';
import { EVENT_RETRY, newEvent, recordEvent } from './events.js';
import { StatusError } from './rest-client.js';

/** An ApiClient that keeps events in a map and logs each write. */
function fakeClient() {
  const events = new Map<string, KubeObject & { count?: number; lastTimestamp?: string }>();
  const writes: string[] = [];
  const client = {
    async create(_ref: unknown, _ns: string, obj: KubeObject) {
      writes.push(`create ${(obj as { reason?: string }).reason}`);
      events.set(obj.metadata!.name!, structuredClone(obj));
      return obj;
    },
    async patch(_ref: unknown, _ns: string, name: string, patch: { count: number; lastTimestamp: string; message?: string }) {
      writes.push(`patch count=${patch.count}`);
      const e = events.get(name);
      if (!e) throw Object.assign(new Error('not found'), { code: 404 });
      Object.assign(e, patch);
      return e;
    },
  } as unknown as ApiClient;
  return { client, events, writes };
}

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default', uid: 'u1' } } as KubeObject;
const kubelet = { component: 'kubelet', host: 'n1' };

describe('recordEvent', () => {
  it('lets a source write 25 events about one object, then one per 5 minutes (client-go\'s spam filter)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const { client, writes } = fakeClient();
      for (let i = 0; i < 30; i++) await recordEvent(client, pod, kubelet, 'Warning', 'Unhealthy', 'Readiness probe failed');
      expect(writes).toHaveLength(25);
      // Another object, or another source, has buckets of its own.
      await recordEvent(client, { ...pod, metadata: { ...pod.metadata, name: 'db', uid: 'u2' } }, kubelet, 'Normal', 'Pulled', 'pulled');
      await recordEvent(client, pod, { component: 'default-scheduler' }, 'Normal', 'Scheduled', 'assigned');
      expect(writes.slice(25)).toEqual(['create Pulled', 'create Scheduled']);
      vi.advanceTimersByTime(299_000);
      await recordEvent(client, pod, kubelet, 'Warning', 'Unhealthy', 'Readiness probe failed');
      expect(writes).toHaveLength(27);
      vi.advanceTimersByTime(2_000);
      await recordEvent(client, pod, kubelet, 'Warning', 'Unhealthy', 'Readiness probe failed');
      // The dropped ones were counted all the same (EventCorrelate counts before it filters):
      // this is the 32nd time it happened.
      expect(writes.at(-1)).toBe('patch count=32');
      // An event first seen while the bucket is empty is created, once let through, with the
      // count it has reached.
      await recordEvent(client, pod, kubelet, 'Warning', 'BackOff', 'Back-off restarting failed container');
      vi.advanceTimersByTime(300_000);
      await recordEvent(client, pod, kubelet, 'Warning', 'BackOff', 'Back-off restarting failed container');
      expect(writes.slice(-2)).toEqual(['patch count=2', 'create BackOff']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('combines the 10th and later different messages of one object and reason into one event (client-go\'s aggregator)', async () => {
    const { client, events, writes } = fakeClient();
    const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-1', namespace: 'default', uid: 'r1' } } as KubeObject;
    const controller = { component: 'replicaset-controller' };
    for (let i = 1; i <= 12; i++) await recordEvent(client, rs, controller, 'Normal', 'SuccessfulCreate', `Created pod: web-1-${i}`);
    // nine on their own, then one combined event counted for the rest, saying the latest message
    expect(writes).toEqual([...Array.from({ length: 10 }, () => 'create SuccessfulCreate'), 'patch count=2', 'patch count=3']);
    const messages = [...events.values()].map((e) => (e as { message?: string }).message);
    expect(messages.slice(0, 9)).toEqual(Array.from({ length: 9 }, (_, i) => `Created pod: web-1-${i + 1}`));
    expect(messages[9]).toBe('(combined from similar events): Created pod: web-1-12');
    expect([...events.values()][9]!.count).toBe(3);
    // (EventAggregate builds the combined event afresh: no reporting fields)
    expect([...events.values()][9]).toMatchObject({ reportingComponent: '', reportingInstance: '', source: { component: 'replicaset-controller' } });
  });

  it('counts a repeated event on the first one instead of writing it again', async () => {
    const { client, events, writes } = fakeClient();
    for (let i = 0; i < 3; i++) await recordEvent(client, pod, kubelet, 'Warning', 'BackOff', 'Back-off restarting failed container');
    await recordEvent(client, pod, kubelet, 'Normal', 'Pulled', 'pulled');
    expect(writes).toEqual(['create BackOff', 'patch count=2', 'patch count=3', 'create Pulled']);
    expect([...events.values()].map((e) => [(e as { reason?: string }).reason, e.count])).toEqual([['BackOff', 3], ['Pulled', 1]]);
  });

  it('counts an event recorded again while the first write is still in flight', async () => {
    const { client, events, writes } = fakeClient();
    const slow = { ...client, create: async (ref: unknown, ns: string, obj: KubeObject) => (await new Promise((r) => setTimeout(r, 30)), client.create(ref as never, ns, obj)) } as ApiClient;
    await Promise.all([1, 2, 3].map(() => recordEvent(slow, pod, kubelet, 'Warning', 'FailedMount', 'configmap "c" not found')));
    expect(writes).toEqual(['create FailedMount', 'patch count=2', 'patch count=3']);
    expect([...events.values()].map((e) => e.count)).toEqual([3]);
  });

  it('tells apart other objects, sources and messages, and writes a new event when the old one is gone', async () => {
    const { client, events, writes } = fakeClient();
    await recordEvent(client, pod, kubelet, 'Warning', 'Failed', 'm1');
    await recordEvent(client, pod, kubelet, 'Warning', 'Failed', 'm2');
    await recordEvent(client, pod, { component: 'kubelet', host: 'n2' }, 'Warning', 'Failed', 'm1');
    await recordEvent(client, { ...pod, metadata: { ...pod.metadata, uid: 'u2' } }, kubelet, 'Warning', 'Failed', 'm1');
    expect(writes.filter((w) => w.startsWith('create'))).toHaveLength(4);
    const first = [...events.keys()][0];
    events.clear(); // expired by the apiserver
    await recordEvent(client, pod, kubelet, 'Warning', 'Failed', 'm1');
    expect(writes.slice(-2)).toEqual(['patch count=2', 'create Failed']);
    expect(events.size).toBe(1);
    // (recreated under its name with its count, as client-go's recordEvent does after a 404)
    expect([...events.keys()]).toEqual([first]);
    expect([...events.values()][0]!.count).toBe(2);
  });

  describe('when the apiserver does not take it', () => {
    afterEach(() => vi.useRealTimers());

    /** A client whose creates fail with `errors` in turn, then succeed. */
    function failing(...errors: Error[]) {
      const f = fakeClient();
      const create = f.client.create.bind(f.client);
      let calls = 0;
      f.client.create = (async (ref: never, ns: string, obj: KubeObject) => {
        calls++;
        const e = errors.shift();
        if (e) throw e;
        return create(ref, ns, obj);
      }) as ApiClient['create'];
      return { ...f, calls: () => calls };
    }

    it('tries a write the server never answered again in the background, 10 s apart, without holding the caller', async () => {
      vi.useFakeTimers();
      const f = failing(new Error('connect ECONNREFUSED'), new StatusError(503, undefined, 'gRPC create: 14 UNAVAILABLE'));
      expect(await recordEvent(f.client, pod, kubelet, 'Normal', 'Scheduled', 'assigned')).toBeUndefined();
      expect(f.calls()).toBe(1);
      await vi.advanceTimersByTimeAsync(EVENT_RETRY.intervalMs); // the first retry: within one interval
      expect(f.calls()).toBe(2);
      await vi.advanceTimersByTimeAsync(EVENT_RETRY.intervalMs);
      expect(f.calls()).toBe(3);
      expect(f.writes).toEqual(['create Scheduled']);
      // once written, the same event counts on it
      await recordEvent(f.client, pod, kubelet, 'Normal', 'Scheduled', 'assigned');
      expect(f.writes).toEqual(['create Scheduled', 'patch count=2']);
    });

    it('gives up after 12 tries, and never retries what the server refused', async () => {
      vi.useFakeTimers();
      const down = failing(...Array.from({ length: 20 }, () => new Error('socket hang up')));
      await recordEvent(down.client, pod, kubelet, 'Normal', 'Pulled', 'pulled');
      await vi.advanceTimersByTimeAsync(EVENT_RETRY.intervalMs * 20);
      expect(down.calls()).toBe(EVENT_RETRY.maxTries);
      const refused = failing(new StatusError(422, undefined, 'invalid'));
      await recordEvent(refused.client, pod, kubelet, 'Normal', 'Pulled', 'pulled');
      await vi.advanceTimersByTimeAsync(EVENT_RETRY.intervalMs * 3);
      expect(refused.calls()).toBe(1);
    });
  });
});

describe('newEvent', () => {
  it('names the resourceVersion of the object it is about (ref.GetReference), and none of a reference without one (the kubelet\'s node)', () => {
    const at = { ...pod, metadata: { ...pod.metadata, resourceVersion: '42' } } as KubeObject;
    expect(newEvent(at, kubelet, 'Normal', 'Pulled', 'pulled', 'spec.containers{main}').involvedObject).toEqual({ apiVersion: 'v1', kind: 'Pod', name: 'web', namespace: 'default', uid: 'u1', resourceVersion: '42', fieldPath: 'spec.containers{main}' });
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'n1' } } as KubeObject;
    expect(newEvent(node, kubelet, 'Normal', 'Starting', 'Starting kubelet.').involvedObject).not.toHaveProperty('resourceVersion');
  });
});

