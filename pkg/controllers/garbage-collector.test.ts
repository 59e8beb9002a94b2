// The garbage collector's owner/dependent graph against fake informers (no API calls are made:
// the queue is stopped before anything is processed).
import { describe, expect, it, vi } from 'vitest';
import type { KubeObject } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import { EventSink } from '../client/event-sink.js';
import { keyOf, type Informer, type InformerHandlers } from '../client/informer.js';
import { GarbageCollector, defaultMonitored } from './garbage-collector.js';

class FakeInformer {
  readonly items = new Map<string, KubeObject>();
  private handlers: InformerHandlers<KubeObject>[] = [];
  on(h: InformerHandlers<KubeObject>): void {
    this.handlers.push(h);
  }
  list(): KubeObject[] {
    return [...this.items.values()];
  }
  get(k: string): KubeObject | undefined {
    return this.items.get(k);
  }
  add(o: KubeObject): void {
    this.items.set(keyOf(o), o);
    for (const h of this.handlers) h.add?.(o);
  }
  remove(o: KubeObject): void {
    this.items.delete(keyOf(o));
    for (const h of this.handlers) h.delete?.(o);
  }
}

const obj = (name: string, uid: string, owners: { kind: string; apiVersion: string; name: string; uid: string }[] = [], namespace = 'default'): KubeObject =>
  ({ metadata: { name, namespace, uid, ...(owners.length ? { ownerReferences: owners } : {}) } }) as KubeObject;

describe('GarbageCollector graph', () => {
  it('forgets an owner once it and its dependents are gone (no entry per deleted owner kept for good)', () => {
    const informers = new Map(defaultMonitored.map((m) => [m.ref.resource, new FakeInformer()]));
    const gc = new GarbageCollector({} as ApiClient, informers as unknown as Map<string, Informer>);
    gc.stop();
    const rsInf = informers.get('replicasets')!;
    const podInf = informers.get('pods')!;
    const graph = gc as unknown as { dependents: Map<string, Set<string>>; byUid: Map<string, unknown> };
    for (let i = 0; i < 50; i++) {
      const rs = obj(`rs-${i}`, `rs-uid-${i}`);
      rsInf.add(rs);
      const pods = [0, 1].map((j) => obj(`rs-${i}-${j}`, `pod-uid-${i}-${j}`, [{ kind: 'ReplicaSet', apiVersion: 'apps/v1', name: `rs-${i}`, uid: `rs-uid-${i}` }]));
      for (const p of pods) podInf.add(p);
      expect(graph.dependents.get(`rs-uid-${i}`)?.size).toBe(2);
      rsInf.remove(rs);
      for (const p of pods) podInf.remove(p);
    }
    expect(graph.byUid.size).toBe(0);
    expect(graph.dependents.size).toBe(0);
  });

  it('monitors the custom resources of every CRD, again in the new version when the served one changes, and no more once the CRD is gone', async () => {
    const informers = new Map(defaultMonitored.map((m) => [m.ref.resource, new FakeInformer()]));
    let served = ['v1'];
    const watched: string[] = [];
    const crd = () => ({ metadata: { name: 'widgets.parts.example.com' }, spec: { group: 'parts.example.com', scope: 'Namespaced', names: { plural: 'widgets', kind: 'Widget' }, versions: served.map((name) => ({ name, served: true })) } });
    const client = {
      list: async (ref: { resource: string; version: string }) => (ref.resource === 'customresourcedefinitions' ? { items: served.length ? [crd()] : [], metadata: {} } : (watched.push(`${ref.resource}/${ref.version}`), { items: [], metadata: { resourceVersion: '1' } })),
      watch: async () => ({ done: new Promise<void>(() => {}), stop: () => {} }),
    } as unknown as ApiClient;
    const gc = new GarbageCollector(client, informers as unknown as Map<string, Informer>);
    const sync = () => (gc as unknown as { syncCustomMonitors(): Promise<void> }).syncCustomMonitors();
    const monitors = (gc as unknown as { monitors: Map<string, { m: { apiVersion: string } }> }).monitors;
    await sync();
    expect(monitors.get('parts.example.com/Widget')?.m.apiVersion).toBe('parts.example.com/v1');
    served = ['v2'];
    await sync();
    expect(monitors.get('parts.example.com/Widget')?.m.apiVersion).toBe('parts.example.com/v2');
    served = [];
    await sync();
    expect(monitors.has('parts.example.com/Widget')).toBe(false);
    // (the built-in kinds stay)
    expect(monitors.has('/Pod')).toBe(true);
    await new Promise((r) => setTimeout(r, 10));
    expect(watched).toEqual(['widgets/v1', 'widgets/v2']);
    gc.stop();
  });

  it('looks for new CRDs every recheck period it is given (10 s by default)', async () => {
    vi.useFakeTimers();
    const gcs: GarbageCollector[] = [];
    try {
      let crds: unknown[] = [];
      const client = {
        list: async (ref: { resource: string }) => (ref.resource === 'customresourcedefinitions' ? { items: crds, metadata: {} } : { items: [], metadata: { resourceVersion: '1' } }),
        watch: async () => ({ done: new Promise<void>(() => {}), stop: () => {} }),
      } as unknown as ApiClient;
      const start = (recheckMs?: number) => {
        const informers = new Map(defaultMonitored.map((m) => [m.ref.resource, new FakeInformer()]));
        const gc = new GarbageCollector(client, informers as unknown as Map<string, Informer>, defaultMonitored, new EventSink(), recheckMs);
        gcs.push(gc);
        gc.start();
        return (gc as unknown as { monitors: Map<string, unknown> }).monitors;
      };
      const short = start(1000);
      const standard = start();
      await vi.advanceTimersByTimeAsync(10);
      crds = [{ metadata: { name: 'widgets.parts.example.com' }, spec: { group: 'parts.example.com', scope: 'Namespaced', names: { plural: 'widgets', kind: 'Widget' }, versions: [{ name: 'v1', served: true }] } }];
      await vi.advanceTimersByTimeAsync(1000);
      expect(short.has('parts.example.com/Widget')).toBe(true);
      expect(standard.has('parts.example.com/Widget')).toBe(false);
      await vi.advanceTimersByTimeAsync(9000);
      expect(standard.has('parts.example.com/Widget')).toBe(true);
    } finally {
      for (const gc of gcs) gc.stop();
      vi.useRealTimers();
    }
  });

  it('warns once per reference to a namespaced owner of another namespace, whichever of the two is seen first', async () => {
    const informers = new Map(defaultMonitored.map((m) => [m.ref.resource, new FakeInformer()]));
    const created: KubeObject[] = [];
    const client = { create: async (_ref: unknown, _ns: string, ev: KubeObject) => (created.push(ev), { ...ev, metadata: { ...ev.metadata, name: `e${created.length}` } }) } as unknown as ApiClient;
    const sink = new EventSink();
    const gc = new GarbageCollector(client, informers as unknown as Map<string, Informer>, defaultMonitored, sink);
    gc.stop();
    const cms = informers.get('configmaps')!;
    const ref = { kind: 'ConfigMap', apiVersion: 'v1', name: 'other', uid: 'owner-uid' };
    cms.add(obj('early', 'early-uid', [ref], 'ns-g'));
    cms.add(obj('same-ns', 'same-uid', [ref], 'ns-o'));
    expect(created).toHaveLength(0);
    const owner = obj('other', 'owner-uid', [], 'ns-o');
    cms.add(owner); // first seen after two dependents: only the one elsewhere is wrong
    cms.add(owner); // seen again: nothing new
    cms.add(obj('late', 'late-uid', [ref], 'ns-h')); // a dependent added once the owner is known
    await sink.flush();
    expect(created.map((e) => [e.type, e.reason, (e.involvedObject as { kind: string; name: string }).kind, (e.involvedObject as { name: string }).name, e.message])).toEqual([
      ['Warning', 'OwnerRefInvalidNamespace', 'ConfigMap', 'early', 'ownerRef [v1/ConfigMap, namespace: ns-g, name: other, uid: owner-uid] does not exist in namespace "ns-g"'],
      ['Warning', 'OwnerRefInvalidNamespace', 'ConfigMap', 'late', 'ownerRef [v1/ConfigMap, namespace: ns-h, name: other, uid: owner-uid] does not exist in namespace "ns-h"'],
    ]);
  });
});
