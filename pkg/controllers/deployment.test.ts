// The Deployment controller's rolling update against a fake client: each step the controller
// syncs once, then a fake ReplicaSet controller makes pods exist and (one step later) be
// available. The step-by-step totals must stay within maxSurge and maxUnavailable.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/types.js';
import type { ApiClient, ResourceRef } from '../client/api-client.js';
import { EventSink } from '../client/event-sink.js';
import type { Informer } from '../client/informer.js';
import { StatusError } from '../client/rest-client.js';
import { DeploymentController } from './deployment.js';
import type { D, RS } from './deployment-util.js';

class FakeStore {
  readonly objects = new Map<string, Map<string, KubeObject>>();
  private rv = 1;
  of(resource: string): Map<string, KubeObject> {
    let m = this.objects.get(resource);
    if (!m) this.objects.set(resource, (m = new Map()));
    return m;
  }
  put(resource: string, o: KubeObject): KubeObject {
    const c = structuredClone(o);
    c.metadata!.resourceVersion = String(++this.rv);
    c.metadata!.uid ??= `uid-${c.metadata!.name}`;
    c.metadata!.creationTimestamp ??= new Date(Date.UTC(2026, 0, 1, 0, 0, this.rv)).toISOString();
    this.of(resource).set(`${c.metadata!.namespace}/${c.metadata!.name}`, c);
    return structuredClone(c);
  }
}

function fakeClient(store: FakeStore): ApiClient {
  const key = (ns: string | undefined, name: string) => `${ns}/${name}`;
  return {
    async get(ref: ResourceRef, ns: string | undefined, name: string) {
      return structuredClone(store.of(ref.resource).get(key(ns, name))) as never;
    },
    async create(ref: ResourceRef, ns: string | undefined, obj: unknown) {
      const o = obj as KubeObject;
      if (store.of(ref.resource).has(key(ns, o.metadata!.name!))) throw new Error('exists');
      return store.put(ref.resource, { ...o, metadata: { ...o.metadata, namespace: ns, generation: 1 } }) as never;
    },
    async update(ref: ResourceRef, ns: string | undefined, name: string, obj: unknown, sub?: string) {
      const cur = store.of(ref.resource).get(key(ns, name))!;
      const o = obj as KubeObject;
      if (o.metadata?.resourceVersion && o.metadata.resourceVersion !== cur.metadata!.resourceVersion) throw Object.assign(new Error('conflict'), { code: 409 });
      // (an apps/v1 status write takes the status and the body's annotations, as the apiserver's)
      const next = sub === 'status' ? { ...cur, metadata: { ...cur.metadata, annotations: o.metadata?.annotations }, status: o.status } : { ...o, status: cur.status };
      return store.put(ref.resource, next) as never;
    },
    async patch(ref: ResourceRef, ns: string | undefined, name: string, patch: unknown) {
      const cur = store.of(ref.resource).get(key(ns, name))!;
      const ann = (patch as KubeObject).metadata?.annotations ?? {};
      return store.put(ref.resource, { ...cur, metadata: { ...cur.metadata, annotations: { ...cur.metadata!.annotations, ...ann } } }) as never;
    },
    async delete(ref: ResourceRef, ns: string | undefined, name: string) {
      const o = store.of(ref.resource).get(key(ns, name));
      store.of(ref.resource).delete(key(ns, name));
      return o as never;
    },
    list: async () => ({ items: [], metadata: {} }) as never,
    bind: async () => ({}),
    createSubresource: async () => Promise.reject(new Error('not used')),
    evict: async () => Promise.reject(new Error('not used')),
    watch: async () => ({ done: Promise.resolve(), stop() {} }),
    close() {},
  };
}

const fakeInformer = <T extends KubeObject>(store: FakeStore, resource: string) =>
  ({
    on() {
      return this;
    },
    list: () => [...store.of(resource).values()].map((o) => structuredClone(o)),
    get: (k: string) => structuredClone(store.of(resource).get(k)),
  }) as unknown as Informer<T>;

/** The ReplicaSet controller's effect: pods exist at once, and become available one step later. */
function settleReplicaSets(store: FakeStore, availableNow: boolean): void {
  for (const rs of store.of('replicasets').values() as Iterable<RS>) {
    const want = rs.spec?.replicas ?? 0;
    const had = rs.status?.replicas ?? 0;
    const available = availableNow ? Math.min(want, had) : Math.min(want, rs.status?.availableReplicas ?? 0);
    rs.status = { replicas: want, readyReplicas: available, availableReplicas: available, observedGeneration: rs.metadata?.generation ?? 1 };
  }
}

describe('DeploymentController rolling update (fake client)', () => {
  it('replaces 4 pods within maxSurge 1 and maxUnavailable 1, and records revisions', async () => {
    const store = new FakeStore();
    const client = fakeClient(store);
    const informers = { deployments: fakeInformer<D>(store, 'deployments'), replicasets: fakeInformer<RS>(store, 'replicasets'), pods: fakeInformer(store, 'pods') };
    const ctl = new DeploymentController(client, informers as never, new EventSink());
    ctl.queue.stop();
    const template = (image: string) => ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } });
    store.put('deployments', {
      metadata: { name: 'web', namespace: 'default', generation: 1 },
      spec: { replicas: 4, selector: { matchLabels: { app: 'web' } }, template: template('v1'), strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } }, revisionHistoryLimit: 10, progressDeadlineSeconds: 600 },
    });
    // First rollout: one ReplicaSet at revision 1.
    for (let i = 0; i < 5; i++) {
      await ctl.sync('default/web');
      settleReplicaSets(store, true);
    }
    const first = [...store.of('replicasets').values()] as RS[];
    expect(first).toHaveLength(1);
    expect(first[0]!.spec?.replicas).toBe(4);
    expect(first[0]!.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    settleReplicaSets(store, true);
    // New template: step until done, checking the bounds.
    const d = store.of('deployments').get('default/web')!;
    store.put('deployments', { ...d, metadata: { ...d.metadata, generation: 2 }, spec: { ...(d.spec as object), template: template('v2') } });
    const steps: { total: number; available: number }[] = [];
    for (let i = 0; i < 30; i++) {
      await ctl.sync('default/web');
      const sets = [...store.of('replicasets').values()] as RS[];
      steps.push({ total: sets.reduce((n, rs) => n + (rs.spec?.replicas ?? 0), 0), available: sets.reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0) });
      settleReplicaSets(store, i % 2 === 1);
    }
    expect(Math.max(...steps.map((s) => s.total))).toBe(5);
    expect(Math.min(...steps.map((s) => s.available))).toBeGreaterThanOrEqual(3);
    const sets = [...store.of('replicasets').values()] as RS[];
    const byRev = Object.fromEntries(sets.map((rs) => [rs.metadata!.annotations!['deployment.kubernetes.io/revision'], rs]));
    expect(byRev['1']!.spec?.replicas).toBe(0);
    expect(byRev['2']!.spec?.replicas).toBe(4);
    expect(byRev['2']!.metadata?.name).toBe(`web-${byRev['2']!.metadata!.labels!['pod-template-hash']}`);
    const final = store.of('deployments').get('default/web')!;
    expect(final.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    expect(final.status).toMatchObject({ replicas: 4, updatedReplicas: 4, availableReplicas: 4, observedGeneration: 2 });
  });
});

describe('DeploymentController progress reporting (fake client)', () => {
  const setup = (progressDeadlineSeconds: number, refuse?: Error) => {
    const store = new FakeStore();
    const client = fakeClient(store);
    if (refuse) {
      const create = client.create.bind(client);
      client.create = (async (ref: ResourceRef, ns: string | undefined, obj: unknown) => {
        if (ref.resource === 'replicasets') throw refuse;
        return create(ref, ns, obj as never);
      }) as typeof client.create;
    }
    const informers = { deployments: fakeInformer<D>(store, 'deployments'), replicasets: fakeInformer<RS>(store, 'replicasets'), pods: fakeInformer(store, 'pods') };
    const events = new EventSink();
    const ctl = new DeploymentController(client, informers as never, events);
    ctl.queue.stop();
    store.put('deployments', {
      metadata: { name: 'web', namespace: 'default', generation: 1 },
      spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'v1' }] } }, progressDeadlineSeconds },
    });
    const conditions = () => ((store.of('deployments').get('default/web') as D).status?.conditions ?? []).map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message }));
    return { store, ctl, events, conditions };
  };

  it('reports no Progressing condition when progressDeadlineSeconds is MaxInt32 (HasProgressDeadline)', async () => {
    for (const [deadline, want] of [
      [600, ['Available', 'Progressing']],
      [2147483647, ['Available']],
    ] as const) {
      const { store, ctl, conditions } = setup(deadline);
      for (let i = 0; i < 4; i++) {
        await ctl.sync('default/web');
        settleReplicaSets(store, true);
      }
      expect(conditions().map((c) => c.type).sort()).toEqual(want);
    }
  });

  it('says a refused ReplicaSet create with Progressing False ReplicaSetCreateError and a Warning event, but not a terminating namespace', async () => {
    const why = 'replicasets.apps "web-x" is forbidden: exceeded quota: q, requested: count/replicasets.apps=1, used: count/replicasets.apps=0, limited: count/replicasets.apps=0';
    const refused = setup(600, new StatusError(403, { kind: 'Status', reason: 'Forbidden', message: why }, why));
    await expect(refused.ctl.sync('default/web')).rejects.toThrow('exceeded quota');
    await refused.events.flush();
    const progressing = refused.conditions().find((c) => c.type === 'Progressing');
    expect(progressing).toMatchObject({ status: 'False', reason: 'ReplicaSetCreateError' });
    expect(progressing!.message).toMatch(/^Failed to create new replica set "web-[a-z0-9]+": replicasets\.apps "web-x" is forbidden: exceeded quota/);
    const events = [...refused.store.of('events').values()] as { type?: string; reason?: string; message?: string }[];
    expect(events).toEqual([expect.objectContaining({ type: 'Warning', reason: 'ReplicaSetCreateError', message: progressing!.message })]);

    const msg = 'replicasets.apps "web-x" is forbidden: unable to create new content in namespace default because it is being terminated';
    const status = { kind: 'Status', reason: 'Forbidden', message: msg, details: { causes: [{ reason: 'NamespaceTerminating', message: 'namespace default is being terminated', field: 'metadata.namespace' }] } };
    const closing = setup(600, new StatusError(403, status, msg));
    await expect(closing.ctl.sync('default/web')).rejects.toThrow('being terminated');
    await closing.events.flush();
    expect(closing.conditions().some((c) => c.reason === 'ReplicaSetCreateError')).toBe(false);
    expect([...closing.store.of('events').values()]).toEqual([]);
  });
});
