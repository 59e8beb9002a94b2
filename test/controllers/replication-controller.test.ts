// The ReplicationController controller against a real apiserver+etcd and controller manager:
// pods named <rc>-<5 chars> controlled by the RC (v1), status from readiness, scale through the
// scale subresource removing the least valuable pod first, adoption of orphans, ReplicaFailure
// while a quota refuses pods, the garbage collector deleting or orphaning the pods, and a
// PodDisruptionBudget counting the RC's replicas.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../pkg/api/types.js';
import { Events, PodDisruptionBudgets, Pods, ReplicationControllers, ResourceQuotas, core } from '../../pkg/client/rest-client.js';
import { eventually, pod, sleep, type TestControlPlane } from '../helpers/control-plane.js';
import { markReady, readyAll, startWithControllers } from '../helpers/workloads.js';

let cp: TestControlPlane;
let env: Awaited<ReturnType<typeof startWithControllers>> | undefined;

beforeAll(async () => {
  env = await startWithControllers();
  cp = env.cp;
});
afterAll(async () => {
  await env?.stop();
});

/** An RC with no selector: it defaults from the template's labels. */
const rc = (name: string, replicas: number): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ReplicationController',
  metadata: { name },
  spec: { replicas, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'] }] } } },
});
const podsOf = async (app: string, ns = 'default') => (await cp.admin.list(Pods, ns, { labelSelector: `app=${app}` })).items.filter((p) => !p.metadata?.deletionTimestamp);
const status = async (name: string, ns = 'default') => (await cp.admin.get(ReplicationControllers, ns, name)).status as Record<string, unknown>;
const count = (app: string, n: number, ns = 'default') => eventually(async () => ((await podsOf(app, ns)).length === n ? podsOf(app, ns) : undefined), { timeoutMs: 15_000, what: `${n} pods of ${app}` });
const isReady = (p: KubeObject) => ((p.status as { conditions?: { type: string; status: string }[] }).conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

describe('ReplicationController controller', () => {
  it('creates pods named <rc>-<5 chars> it controls, reports status, and scales down the not-ready pod first', async () => {
    const made = await cp.admin.create(ReplicationControllers, 'default', rc('web', 3));
    expect((made.spec as { selector: unknown }).selector).toEqual({ app: 'web' });
    const pods = await count('web', 3);
    for (const p of pods) {
      expect(p.metadata?.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect(p.metadata?.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'ReplicationController', name: 'web', uid: made.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
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
    expect(events[0]).toMatchObject({ involvedObject: { kind: 'ReplicationController', name: 'web', apiVersion: 'v1' }, source: { component: 'replication-controller' } });

    await cp.admin.patch(ReplicationControllers, 'default', 'web', { spec: { replicas: 2 } }, 'merge', 'scale');
    const left = await count('web', 2);
    expect(left.every(isReady)).toBe(true);
    await sleep(300);
    expect(await podsOf('web')).toHaveLength(2);
    await eventually(async () => (await status('web')).replicas === 2 && (await status('web')).observedGeneration === 2);
  });

  it('adopts a matching orphan and releases a pod relabelled out of its selector', async () => {
    const owner = await cp.admin.create(ReplicationControllers, 'default', rc('adopt', 2));
    await count('adopt', 2);
    await cp.admin.create(Pods, 'default', pod('orphan', { metadata: { name: 'orphan', labels: { app: 'adopt' } } }));
    await eventually(async () => {
      const ps = await podsOf('adopt');
      return ps.length === 2 && ps.every((p) => p.metadata?.ownerReferences?.[0]?.uid === owner.metadata?.uid);
    });
    const [victim] = await podsOf('adopt');
    await cp.admin.patch(Pods, 'default', victim!.metadata!.name!, { metadata: { labels: { app: 'elsewhere' } } });
    await eventually(async () => (await cp.admin.get(Pods, 'default', victim!.metadata!.name!)).metadata?.ownerReferences === undefined);
    await count('adopt', 2);
  });

  it('reports ReplicaFailure (FailedCreate) while a quota refuses its pods, and clears it once they fit', async () => {
    await cp.admin.create(core('namespaces'), undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'rc-quota' } });
    await cp.admin.create(ResourceQuotas, 'rc-quota', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'pods' }, spec: { hard: { pods: '1' } } });
    await cp.admin.create(ReplicationControllers, 'rc-quota', rc('capped', 3));
    const failing = await eventually(async () => {
      const c = ((await status('capped', 'rc-quota')).conditions as { type: string; status: string; reason: string; message: string }[] | undefined)?.[0];
      return c ? c : undefined;
    }, { timeoutMs: 15_000, what: 'ReplicaFailure' });
    expect(failing).toMatchObject({ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate' });
    expect(failing.message).toMatch(/exceeded quota/);
    expect(await podsOf('capped', 'rc-quota')).toHaveLength(1);
    await cp.admin.patch(ResourceQuotas, 'rc-quota', 'pods', { spec: { hard: { pods: '10' } } });
    await count('capped', 3, 'rc-quota');
    await eventually(async () => (await status('capped', 'rc-quota')).conditions === undefined, { timeoutMs: 20_000, what: 'ReplicaFailure cleared' });
  });

  it('counts for a PodDisruptionBudget through the RC, and its pods go with it (background) or stay (orphan)', async () => {
    await cp.admin.create(ReplicationControllers, 'default', rc('guarded', 3));
    await count('guarded', 3);
    await readyAll(cp.admin, 'app=guarded');
    await cp.admin.create(PodDisruptionBudgets, 'default', { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'guarded' }, spec: { minAvailable: '50%', selector: { matchLabels: { app: 'guarded' } } } });
    await eventually(async () => {
      const st = ((await cp.admin.get(PodDisruptionBudgets, 'default', 'guarded')).status ?? {}) as Record<string, number>;
      return st.expectedPods === 3 && st.desiredHealthy === 2 && st.disruptionsAllowed === 1;
    }, { timeoutMs: 15_000, what: 'PDB status from the RC scale' });

    await cp.admin.delete(ReplicationControllers, 'default', 'guarded', { propagationPolicy: 'Orphan' });
    await eventually(async () => (await podsOf('guarded')).every((p) => !p.metadata?.ownerReferences?.length), { timeoutMs: 15_000, what: 'pods orphaned' });
    expect(await podsOf('guarded')).toHaveLength(3);

    await cp.admin.delete(ReplicationControllers, 'default', 'web', { propagationPolicy: 'Background' });
    await count('web', 0);
  });
});
