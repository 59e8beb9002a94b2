// The garbage collector's owner/dependent graph against fake informers (no API calls are made:
// the queue is stopped before anything is processed).
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
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

const obj = (name: string, uid: string, owners: { kind: string; apiVersion: string; name: string; uid: string }[] = []): KubeObject =>
  ({ metadata: { name, namespace: 'default', uid, ...(owners.length ? { ownerReferences: owners } : {}) } }) as KubeObject;

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
});
