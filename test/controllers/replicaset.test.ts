// The ReplicaSet controller against a real apiserver+etcd: pods created from the template with
// a controller reference, status from pod readiness (pods are marked Ready through the status
// subresource as a node agent would), scale down deleting the least valuable pods first,
// adoption of matching orphans and release of pods whose labels stop matching.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../pkg/api/types.js';
import { Events, Nodes, Pods, ReplicaSets } from '../../pkg/client/rest-client.js';
import { eventually, node, pod, sleep, type TestControlPlane } from '../helpers/control-plane.js';
import { markReady, replicaSet, startWithControllers } from '../helpers/workloads.js';

let cp: TestControlPlane;
let env: Awaited<ReturnType<typeof startWithControllers>> | undefined;

beforeAll(async () => {
  env = await startWithControllers();
  cp = env.cp;
});
afterAll(async () => {
  await env?.stop();
});

const podsOf = async (selector: string) => (await cp.admin.list(Pods, 'default', { labelSelector: selector })).items.filter((p) => !p.metadata?.deletionTimestamp);
const status = async (name: string) => (await cp.admin.get(ReplicaSets, 'default', name)).status as Record<string, number>;

describe('ReplicaSet controller', () => {
  it('creates pods named <rs>-<5 chars> that the ReplicaSet controls, and reports their readiness', async () => {
    const rs = await cp.admin.create(ReplicaSets, 'default', replicaSet('web', 3));
    const pods = await eventually(async () => ((await podsOf('app=web')).length === 3 ? podsOf('app=web') : undefined));
    for (const p of pods) {
      expect(p.metadata?.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect(p.metadata?.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
      expect((p.spec as { containers: { image: string }[] }).containers[0]!.image).toBe('busybox:1.36');
    }
    await markReady(cp.admin, pods[0]!);
    await markReady(cp.admin, pods[1]!);
    const st = await eventually(async () => {
      const s = await status('web');
      return s.readyReplicas === 2 ? s : undefined;
    });
    expect(st).toEqual({ replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 2, availableReplicas: 2, observedGeneration: 1 });
    const events = await eventually(async () => {
      const evs = (await cp.admin.list(Events, 'default', { fieldSelector: 'involvedObject.name=web,reason=SuccessfulCreate' })).items;
      return evs.length === 3 ? evs : undefined;
    });
    expect(events[0]).toMatchObject({ involvedObject: { kind: 'ReplicaSet', name: 'web' }, type: 'Normal' });
    expect(String(events[0]!.message)).toMatch(/^Created pod: web-/);
  });

  it('replaces a deleted pod, and on scale down deletes the not-ready pod before ready ones', async () => {
    const before = await podsOf('app=web');
    const notReady = before.find((p) => !((p.status as { conditions?: { type: string; status: string }[] }).conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'))!;
    const ready = before.filter((p) => p !== notReady);
    await cp.admin.delete(Pods, 'default', ready[0]!.metadata!.name!);
    const after = await eventually(async () => {
      const ps = await podsOf('app=web');
      return ps.length === 3 && !ps.some((p) => p.metadata?.name === ready[0]!.metadata!.name) ? ps : undefined;
    });
    const fresh = after.find((p) => !before.some((b) => b.metadata?.uid === p.metadata?.uid))!;
    expect(fresh).toBeDefined();
    // ready[1] is the only ready pod: scaling to 1 keeps it.
    await cp.admin.patch(ReplicaSets, 'default', 'web', { spec: { replicas: 1 } }, 'merge', 'scale');
    const left = await eventually(async () => {
      const ps = await podsOf('app=web');
      return ps.length === 1 ? ps : undefined;
    });
    expect(left[0]!.metadata?.uid).toBe(ready[1]!.metadata?.uid);
    await sleep(300);
    expect(await podsOf('app=web')).toHaveLength(1);
    await eventually(async () => (await status('web')).replicas === 1);
  });

  it('adopts a matching orphan pod and releases a pod whose labels stop matching', async () => {
    const rs = await cp.admin.create(ReplicaSets, 'default', replicaSet('adopt', 2));
    await eventually(async () => (await podsOf('app=adopt')).length === 2);
    // An orphan with the labels: adopted, and one pod too many is deleted.
    await cp.admin.create(Pods, 'default', pod('orphan', { metadata: { name: 'orphan', labels: { app: 'adopt' } } }));
    await eventually(async () => {
      const ps = await podsOf('app=adopt');
      return ps.length === 2 && ps.every((p) => p.metadata?.ownerReferences?.[0]?.uid === rs.metadata?.uid);
    });
    // A pod relabelled out of the selector is released and replaced.
    const [victim] = await podsOf('app=adopt');
    await cp.admin.patch(Pods, 'default', victim!.metadata!.name!, { metadata: { labels: { app: 'elsewhere' } } });
    const released = await eventually(async () => {
      const p = await cp.admin.get(Pods, 'default', victim!.metadata!.name!);
      return p.metadata?.ownerReferences === undefined ? p : undefined;
    });
    expect(released.metadata?.labels).toEqual({ app: 'elsewhere' });
    await eventually(async () => (await podsOf('app=adopt')).length === 2);
  });

  it('on scale down deletes the pod with the lowest pod-deletion-cost first, however long it has been ready', async () => {
    await cp.admin.create(ReplicaSets, 'default', replicaSet('cost', 3));
    const pods = await eventually(async () => ((await podsOf('app=cost')).length === 3 ? podsOf('app=cost') : undefined));
    // Ready for an hour, half an hour and a minute: without a cost the newest-ready would go.
    const hour = 3600_000;
    for (const [i, ago] of [hour, hour / 2, 60_000].entries()) await markReady(cp.admin, pods[i]!, new Date(Date.now() - ago));
    await eventually(async () => (await status('cost')).readyReplicas === 3);
    await cp.admin.patch(Pods, 'default', pods[0]!.metadata!.name!, { metadata: { annotations: { 'controller.kubernetes.io/pod-deletion-cost': '-100' } } });
    await cp.admin.patch(ReplicaSets, 'default', 'cost', { spec: { replicas: 2 } }, 'merge', 'scale');
    const left = await eventually(async () => {
      const ps = await podsOf('app=cost');
      return ps.length === 2 ? ps : undefined;
    });
    expect(left.map((p) => p.metadata!.uid).sort()).toEqual([pods[1]!.metadata!.uid, pods[2]!.metadata!.uid].sort());
  });

  it("on scale down prefers the pod on the node most crowded with the pods of its owner's other ReplicaSets", async () => {
    for (const n of ['rel-n1', 'rel-n2']) await cp.admin.create(Nodes, undefined, node(n));
    const ConfigMaps = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };
    const owner = await cp.admin.create(ConfigMaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'rel-owner' } });
    const ownedBy = { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'rel-owner', uid: owner.metadata!.uid!, controller: true }] };
    const hour = 3600_000;
    // The old set's pods: one on each node, the one on rel-n1 ready for longer (without the rank, the newer-ready one on rel-n2 would go).
    const old: KubeObject[] = [];
    for (const [name, nodeName, ago] of [['rel-old-1', 'rel-n1', hour], ['rel-old-2', 'rel-n2', 60_000]] as const) {
      const p = await cp.admin.create(Pods, 'default', pod(name, { metadata: { name, labels: { app: 'rel', v: 'old' } }, spec: { nodeName, containers: [{ name: 'main', image: 'busybox:1.36' }] } }));
      await markReady(cp.admin, p, new Date(Date.now() - ago));
      old.push(p);
    }
    // The new set's two pods, both on rel-n1.
    for (const name of ['rel-new-1', 'rel-new-2']) await cp.admin.create(Pods, 'default', pod(name, { metadata: { name, labels: { app: 'rel', v: 'new' } }, spec: { nodeName: 'rel-n1', containers: [{ name: 'main', image: 'busybox:1.36' }] } }));
    await cp.admin.create(ReplicaSets, 'default', { ...replicaSet('rel-new', 2, { app: 'rel', v: 'new' }), metadata: { name: 'rel-new', ...ownedBy } });
    await cp.admin.create(ReplicaSets, 'default', { ...replicaSet('rel-old', 2, { app: 'rel', v: 'old' }), metadata: { name: 'rel-old', ...ownedBy } });
    await eventually(async () => (await podsOf('app=rel')).filter((p) => p.metadata?.ownerReferences?.length).length === 4);
    await eventually(async () => (await status('rel-old')).readyReplicas === 2);
    await cp.admin.patch(ReplicaSets, 'default', 'rel-old', { spec: { replicas: 1 } }, 'merge', 'scale');
    const left = await eventually(async () => {
      const ps = await podsOf('app=rel,v=old');
      return ps.length === 1 ? ps : undefined;
    });
    expect(left[0]!.metadata?.name).toBe('rel-old-2');
  });

  it('never creates more pods than asked for while the informer lags (expectations)', async () => {
    await cp.admin.create(ReplicaSets, 'default', replicaSet('burst', 20));
    // Poke the ReplicaSet repeatedly while its pods are being created (each poke is a sync with
    // the pod informer behind the creates): no extra pods appear.
    for (let i = 0; i < 5; i++) await cp.admin.patch(ReplicaSets, 'default', 'burst', { metadata: { labels: { poke: String(i) } } });
    await eventually(async () => (await podsOf('app=burst')).length === 20, { timeoutMs: 20_000 });
    await sleep(1000);
    expect(await podsOf('app=burst')).toHaveLength(20);
  });
});

export type { KubeObject };
