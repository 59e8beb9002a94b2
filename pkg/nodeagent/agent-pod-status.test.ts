// The status manager resends a status whose patch failed (the apiserver was restarting) without
// waiting for the pod to report something new, backing off 1 s doubling to 10 s; a 404 or 409 is
// not retried; forget() and stop() end the retries.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Pod } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import { StatusError } from '../client/rest-client.js';
import { PodStatusManager, type ReportedPod } from './agent-pod-status.js';
import { computeStatus } from './pod-status.js';
import { applyStrategicMergePatch } from '../api/patch.js';
import type { KubeObject } from '../api/types.js';

const pod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', uid: 'u1' },
  spec: { nodeName: 'n1', containers: [{ name: 'main', image: 'busybox' }] },
} as Pod;

const view: ReportedPod = {
  uid: 'u1',
  key: 'default/web',
  deleted: false,
  pod,
  sandbox: undefined,
  podIP: '',
  records: new Map(),
  terminationMessages: new Map(),
  latest: () => undefined,
  previous: () => undefined,
};

/** A client whose status patches fail with `failures` errors first, then succeed; it counts them. */
function flakyClient(failures: Error[]): { client: ApiClient; patches: () => number } {
  let calls = 0;
  const client = {
    patch: async () => {
      const e = failures[calls++];
      if (e) throw e;
      return {};
    },
  } as unknown as ApiClient;
  return { client, patches: () => calls };
}

const unavailable = () => new Error('gRPC patch: 14 UNAVAILABLE: No connection established');

describe('PodStatusManager', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('resends a failed status until it is written, backing off 1 s, 2 s, 4 s', async () => {
    const { client, patches } = flakyClient([unavailable(), unavailable(), unavailable()]);
    const m = new PodStatusManager(client, '10.0.0.1', (_p, uid) => uid);
    await m.report(view);
    expect(patches()).toBe(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(patches()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(patches()).toBe(2);
    await vi.advanceTimersByTimeAsync(2000);
    expect(patches()).toBe(3);
    await vi.advanceTimersByTimeAsync(4000);
    expect(patches()).toBe(4); // written
    await vi.advanceTimersByTimeAsync(60_000);
    expect(patches()).toBe(4);
    // Written once: the same status is not sent again.
    await m.report(view);
    expect(patches()).toBe(4);
  });

  it('waits at most 10 s between tries', async () => {
    const { client, patches } = flakyClient(Array.from({ length: 8 }, unavailable));
    const m = new PodStatusManager(client, '10.0.0.1', (_p, uid) => uid);
    await m.report(view);
    await vi.advanceTimersByTimeAsync(1000 + 2000 + 4000 + 8000);
    expect(patches()).toBe(5);
    await vi.advanceTimersByTimeAsync(9999);
    expect(patches()).toBe(5);
    await vi.advanceTimersByTimeAsync(1);
    expect(patches()).toBe(6);
    m.stop();
  });

  it('does not retry a 404 or a 409 (the pod is gone or replaced)', async () => {
    for (const code of [404, 409]) {
      const { client, patches } = flakyClient([new StatusError(code, undefined, 'no')]);
      const m = new PodStatusManager(client, '10.0.0.1', (_p, uid) => uid);
      await m.report(view);
      await vi.advanceTimersByTimeAsync(30_000);
      expect(patches()).toBe(1);
    }
  });

  it('stops retrying once the pod is forgotten, or the manager stopped', async () => {
    const a = flakyClient(Array.from({ length: 5 }, unavailable));
    const forgetting = new PodStatusManager(a.client, '10.0.0.1', (_p, uid) => uid);
    await forgetting.report(view);
    forgetting.forget('u1');
    await vi.advanceTimersByTimeAsync(30_000);
    expect(a.patches()).toBe(1);

    const b = flakyClient(Array.from({ length: 5 }, unavailable));
    const stopping = new PodStatusManager(b.client, '10.0.0.1', (_p, uid) => uid);
    await stopping.report(view);
    stopping.stop();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(b.patches()).toBe(1);
  });

  it('does not send a first status the API already holds (a restarted agent), but sends one that differs', async () => {
    const { client, patches } = flakyClient([]);
    const m = new PodStatusManager(client, '10.0.0.1', (_p, uid) => uid);
    const held = JSON.parse(JSON.stringify(computeStatus(view, '10.0.0.1'))) as Record<string, unknown>;
    // as the API returns it: keys in another order, transition times of its own
    // conditions in the order merged patches leave them (PodScheduled first, from the binding), one set by another controller
    const conditions = [...(held.conditions as { type: string }[])].reverse().map((c) => ({ ...c, lastTransitionTime: '2020-01-01T00:00:00Z' }));
    const reordered = Object.fromEntries(Object.entries({ ...held, conditions: [...conditions, { type: 'example.com/gate', status: 'True' }] }).reverse());
    await m.report({ ...view, pod: { ...pod, status: reordered } as Pod });
    expect(patches()).toBe(0);
    const other = new PodStatusManager(client, '10.0.0.1', (_p, uid) => uid);
    await other.report({ ...view, pod: { ...pod, status: { ...reordered, phase: 'Pending', podIP: '10.0.0.9' } } as Pod });
    expect(patches()).toBe(1);
    const third = new PodStatusManager(client, '10.0.0.1', (_p, uid) => uid);
    await third.report({ ...view, pod: { ...pod, status: { ...reordered, conditions: conditions.map((c) => (c.type === 'Ready' ? { ...c, status: 'True' } : c)) } } as Pod });
    expect(patches()).toBe(2);
  });

  it('reconcile writes the status again when the API holds another (someone overwrote it), and leaves it when it is the same', async () => {
    const { client, patches } = flakyClient([]);
    const m = new PodStatusManager(client, '10.0.0.1', (_p, uid) => uid);
    await m.report(view);
    expect(patches()).toBe(1);
    const written = JSON.parse(JSON.stringify(computeStatus(view, '10.0.0.1'))) as Pod['status'];
    m.reconcile([{ ...view, pod: { ...pod, status: written } }]);
    await vi.advanceTimersByTimeAsync(0);
    expect(patches()).toBe(1);
    m.reconcile([{ ...view, pod: { ...pod, status: { ...written, message: 'tampered' } } }]);
    await vi.advanceTimersByTimeAsync(0);
    expect(patches()).toBe(2);
    // a pod not reported yet, or being deleted, is not reconciled
    m.reconcile([{ ...view, uid: 'u2', pod: { ...pod, status: {} } }, { ...view, pod: { ...pod, metadata: { ...pod.metadata, deletionTimestamp: 'x' }, status: {} } }]);
    await vi.advanceTimersByTimeAsync(0);
    expect(patches()).toBe(2);
  });

  it('answers each differing API status once (a field no write can mend does not make it write every 10 s); True conditions drop a reason left behind', async () => {
    const bodies: { status: { conditions?: { type: string; reason?: unknown }[] } }[] = [];
    const client = { patch: async (_r: unknown, _ns: unknown, _n: unknown, body: never) => void bodies.push(body) } as unknown as ApiClient;
    const m = new PodStatusManager(client, '10.0.0.1', (_p, uid) => uid);
    await m.report(view);
    const written = JSON.parse(JSON.stringify(computeStatus(view, '10.0.0.1'))) as Pod['status'];
    // the node's conditions in the patch carry null reasons, so a merge by type removes an old one
    for (const c of bodies[0]!.status.conditions ?? []) if (['Initialized', 'Ready', 'ContainersReady', 'PodReadyToStartContainers'].includes(c.type)) expect(c).toHaveProperty('reason');
    const stuck = { ...view, pod: { ...pod, status: { ...written, nominatedNodeName: 'x', podIP: '10.9.9.9' } } };
    m.reconcile([stuck]);
    await vi.advanceTimersByTimeAsync(0);
    m.reconcile([stuck]);
    await vi.advanceTimersByTimeAsync(0);
    m.reconcile([stuck]);
    await vi.advanceTimersByTimeAsync(0);
    expect(bodies).toHaveLength(2);
  });

  describe('a deleted pod\'s terminal status', () => {
    const deleting: ReportedPod = { ...view, pod: { ...pod, metadata: { ...pod.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } } };

    it('is written (reports of a pod being deleted are not skipped), tried again until it is, and resolves once the API holds it', async () => {
      const { client, patches } = flakyClient([unavailable(), unavailable()]);
      const m = new PodStatusManager(client, '10.0.0.1', (_p, uid) => uid);
      let written: boolean | undefined;
      void m.reportTerminal(deleting).then((r) => (written = r));
      await vi.advanceTimersByTimeAsync(0);
      expect(patches()).toBe(1);
      await vi.advanceTimersByTimeAsync(1000);
      expect(patches()).toBe(2);
      expect(written).toBeUndefined();
      await vi.advanceTimersByTimeAsync(2000);
      expect(patches()).toBe(3);
      expect(written).toBe(true);
    });

    it('stops quietly when the pod is gone or replaced (404, 409), or the agent stops', async () => {
      for (const code of [404, 409]) {
        const { client, patches } = flakyClient([new StatusError(code, undefined, 'no')]);
        const m = new PodStatusManager(client, '10.0.0.1', (_p, uid) => uid);
        await expect(m.reportTerminal(deleting)).resolves.toBe(false);
        await vi.advanceTimersByTimeAsync(30_000);
        expect(patches()).toBe(1);
      }
      const { client } = flakyClient(Array.from({ length: 5 }, unavailable));
      const m = new PodStatusManager(client, '10.0.0.1', (_p, uid) => uid);
      const r = m.reportTerminal(deleting);
      await vi.advanceTimersByTimeAsync(0);
      m.stop();
      await vi.advanceTimersByTimeAsync(30_000);
      await expect(r).resolves.toBe(false);
    });

    it('is not written over once the pod is torn down (its worker without containers says nothing)', async () => {
      const { client, patches } = flakyClient([]);
      const m = new PodStatusManager(client, '10.0.0.1', (_p, uid) => uid);
      await m.report({ ...deleting, tornDown: true });
      expect(patches()).toBe(0);
    });
  });

  it('orders the conditions as 1.32 stores them ($setElementOrder/conditions), and leaves the lastProbeTime of those the API has', async () => {
    const bodies: { status: Record<string, unknown> }[] = [];
    const client = { patch: async (_r: unknown, _ns: unknown, _n: unknown, body: never) => void bodies.push(body) } as unknown as ApiClient;
    const m = new PodStatusManager(client, '10.0.0.1', (_p, uid) => uid);
    // as the binding and a load balancer's controller left it, and an earlier kubelet's write
    const held = { phase: 'Pending', conditions: [
      { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-01-01T00:00:00Z' },
      { type: 'example.com/lb', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-01-01T00:00:01Z' },
      { type: 'Ready', status: 'False', reason: 'ContainersNotReady', lastProbeTime: null, lastTransitionTime: '2026-01-01T00:00:02Z' },
    ] };
    const stored = { ...pod, status: held } as unknown as Pod; // (lastProbeTime null, as Go writes it; the type has an optional string)
    await m.report({ ...view, pod: stored });
    const patched = applyStrategicMergePatch(stored as KubeObject, bodies[0], 'Pod') as Pod;
    const conditions = patched.status!.conditions!;
    expect(conditions.map((c) => c.type)).toEqual(['example.com/lb', 'PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);
    for (const type of ['PodScheduled', 'example.com/lb', 'Ready']) expect(conditions.find((c) => c.type === type)).toHaveProperty('lastProbeTime', null);
    expect(conditions.find((c) => c.type === 'PodScheduled')).toMatchObject({ status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' });
  });
});
