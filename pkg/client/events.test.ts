import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/types.js';
import type { ApiClient } from './api-client.js';
import { recordEvent } from './events.js';

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
    async patch(_ref: unknown, _ns: string, name: string, patch: { count: number; lastTimestamp: string }) {
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
    events.clear(); // expired by the apiserver
    await recordEvent(client, pod, kubelet, 'Warning', 'Failed', 'm1');
    expect(writes.slice(-2)).toEqual(['patch count=2', 'create Failed']);
    expect(events.size).toBe(1);
  });
});
