// The StatefulSet controller against a real apiserver+etcd, controller manager and scheduler,
// with Node objects created through the API and a fake kubelet whose readiness and delete
// confirmations the test holds back: pods created in order, each waiting for the one before
// to be Running and Ready; scale down from the highest ordinal, one at a time; Parallel; a
// rolling update from the highest ordinal down honouring the partition; revisions in status.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../pkg/api/types.js';
import { ControllerRevisions, Events, Nodes, Pods, StatefulSets } from '../../pkg/client/rest-client.js';
import { Scheduler } from '../../pkg/scheduler/scheduler.js';
import { eventually, node, sleep, type TestControlPlane } from '../helpers/control-plane.js';
import { fakeKubelet, startWithControllers, statefulSet } from '../helpers/workloads.js';

let cp: TestControlPlane;
let env: Awaited<ReturnType<typeof startWithControllers>> | undefined;
let sched: Scheduler | undefined;
let kubelet: { stop(): Promise<void> } | undefined;
let ready: (p: KubeObject) => boolean = () => true;
let confirmDelete: (p: KubeObject) => boolean = () => true;

beforeAll(async () => {
  env = await startWithControllers('rest', { nodeMonitorGracePeriodMs: 600_000 });
  cp = env.cp;
  sched = new Scheduler(cp.admin, { leaderElect: false, queue: { initialBackoffMs: 100, maxBackoffMs: 500, unschedulableFlushMs: 1000 } });
  await sched.start();
  kubelet = fakeKubelet(cp.admin, (p) => ready(p), (p) => confirmDelete(p));
  for (const n of ['n1', 'n2']) await cp.admin.create(Nodes, undefined, node(n));
}, 60_000);
afterAll(async () => {
  await kubelet?.stop();
  await sched?.stop();
  await env?.stop();
});

type Pod = KubeObject & { spec: { hostname?: string; subdomain?: string } };
const allPods = async (selector: string) => (await cp.admin.list(Pods, 'default', { labelSelector: selector })).items as Pod[];
const names = (pods: Pod[]) => pods.map((p) => p.metadata!.name!).sort();
const isReady = (p: KubeObject) => ((p.status as { conditions?: { type: string; status: string }[] }).conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
const status = async (name: string) => (await cp.admin.get(StatefulSets, 'default', name)).status as Record<string, any>;
const rev = (p: KubeObject) => p.metadata!.labels!['controller-revision-hash'];
const named = (...n: string[]) => (p: KubeObject) => n.includes(p.metadata!.name!);

describe('StatefulSet controller', () => {
  it('creates web-0, web-1, web-2 in order, each after the one before is Running and Ready', async () => {
    ready = () => false;
    const set = await cp.admin.create(StatefulSets, 'default', statefulSet('web', 3));
    const [p0] = await eventually(async () => {
      const ps = await allPods('app=web');
      return ps.length ? ps : undefined;
    });
    await sleep(1000);
    expect(names(await allPods('app=web'))).toEqual(['web-0']);
    expect(p0!.spec).toMatchObject({ hostname: 'web-0', subdomain: 'web' });
    expect(p0!.metadata?.labels).toMatchObject({ app: 'web', 'statefulset.kubernetes.io/pod-name': 'web-0', 'apps.kubernetes.io/pod-index': '0' });
    expect(p0!.metadata?.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: set.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
    ready = named('web-0');
    await eventually(async () => (names(await allPods('app=web')).length === 2 ? true : undefined));
    await sleep(1000);
    expect(names(await allPods('app=web'))).toEqual(['web-0', 'web-1']);
    ready = () => true;
    const st = await eventually(async () => {
      const s = await status('web');
      return s.readyReplicas === 3 ? s : undefined;
    });
    expect(names(await allPods('app=web'))).toEqual(['web-0', 'web-1', 'web-2']);
    expect(st).toMatchObject({ replicas: 3, readyReplicas: 3, availableReplicas: 3, currentReplicas: 3, updatedReplicas: 3, observedGeneration: 1, collisionCount: 0 });
    expect(st.currentRevision).toBe(st.updateRevision);
    expect(st.updateRevision).toBe(rev(p0!));
    expect(st.updateRevision).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
    const crs = (await cp.admin.list(ControllerRevisions, 'default', { labelSelector: 'app=web' })).items;
    expect(crs.map((c) => c.metadata?.name)).toEqual([st.updateRevision]);
    // (the revision holds the template as 1.32's getPatch encodes it: its metadata with creationTimestamp: null)
    expect((crs[0] as KubeObject & { data: { spec: { template: { metadata: unknown } } } }).data.spec.template.metadata).toEqual({ creationTimestamp: null, labels: { app: 'web' } });
  });

  it('scales down through the scale subresource from the highest ordinal, one at a time', async () => {
    confirmDelete = () => false;
    await cp.admin.patch(StatefulSets, 'default', 'web', { spec: { replicas: 1 } }, 'merge', 'scale');
    const deleting = async () => (await allPods('app=web')).filter((p) => p.metadata?.deletionTimestamp);
    await eventually(async () => ((await deleting()).length ? true : undefined));
    await sleep(1000);
    expect(names(await deleting())).toEqual(['web-2']);
    confirmDelete = () => true;
    await eventually(async () => (names(await allPods('app=web')).join() === 'web-0' ? true : undefined), { timeoutMs: 15_000 });
    // (the status follows once the controller has seen the deletion: under load, a moment later)
    await eventually(async () => {
      const s = await status('web');
      return s.replicas === 1 && s.readyReplicas === 1 ? true : undefined;
    }, { timeoutMs: 10_000, what: 'status: replicas 1, readyReplicas 1' });
    await cp.admin.patch(StatefulSets, 'default', 'web', { spec: { replicas: 3 } }, 'merge', 'scale');
    await eventually(async () => ((await status('web')).readyReplicas === 3 ? true : undefined), { timeoutMs: 15_000 });
  });

  it('rolls a template change from the highest ordinal down, honouring the partition', async () => {
    const oldRev = (await status('web')).currentRevision as string;
    await cp.admin.patch(StatefulSets, 'default', 'web', { spec: { updateStrategy: { rollingUpdate: { partition: 2 } }, template: { metadata: { annotations: { version: '2' } } } } });
    const newRev = await eventually(async () => {
      const s = await status('web');
      return s.updatedReplicas === 1 && s.readyReplicas === 3 && s.updateRevision !== oldRev ? (s.updateRevision as string) : undefined;
    });
    await sleep(1000);
    const pods = await allPods('app=web');
    expect(pods.map((p) => [p.metadata!.name, rev(p)]).sort()).toEqual([
      ['web-0', oldRev],
      ['web-1', oldRev],
      ['web-2', newRev],
    ]);
    expect(await status('web')).toMatchObject({ currentRevision: oldRev, updateRevision: newRev, currentReplicas: 2, updatedReplicas: 1 });
    // Partition 0: web-1 next, and web-0 only once web-1 is ready at the new revision.
    ready = (p) => rev(p) !== newRev || p.metadata!.name === 'web-2';
    await cp.admin.patch(StatefulSets, 'default', 'web', { spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } });
    await eventually(async () => ((await allPods('app=web')).some((p) => p.metadata!.name === 'web-1' && rev(p) === newRev) ? true : undefined));
    await sleep(1000);
    const mid = await allPods('app=web');
    expect(mid.find((p) => p.metadata!.name === 'web-0')!.metadata?.deletionTimestamp).toBeUndefined();
    expect(rev(mid.find((p) => p.metadata!.name === 'web-0')!)).toBe(oldRev);
    ready = () => true;
    const done = await eventually(async () => {
      const s = await status('web');
      return s.updatedReplicas === 3 && s.readyReplicas === 3 && s.currentRevision === newRev ? s : undefined;
    }, { timeoutMs: 20_000 });
    // Generations: create 1, two scales 2-3, the template 4, the partition 5.
    expect(done).toMatchObject({ currentReplicas: 3, updateRevision: newRev, observedGeneration: 5 });
    const crs = (await cp.admin.list(ControllerRevisions, 'default', { labelSelector: 'app=web' })).items as (KubeObject & { revision: number })[];
    expect(crs.map((c) => [c.metadata?.name, c.revision]).sort()).toEqual([
      [oldRev, 1],
      [newRev, 2],
    ]);
  }, 60_000);

  it('Parallel creates every pod at once, and the set takes its pods and revisions when deleted', async () => {
    ready = () => false;
    await cp.admin.create(StatefulSets, 'default', statefulSet('par', 3, { podManagementPolicy: 'Parallel' }));
    await eventually(async () => (names(await allPods('app=par')).join() === 'par-0,par-1,par-2' ? true : undefined));
    expect((await allPods('app=par')).some(isReady)).toBe(false);
    ready = () => true;
    await cp.admin.delete(StatefulSets, 'default', 'par');
    await eventually(async () => ((await allPods('app=par')).length === 0 ? true : undefined), { timeoutMs: 20_000, what: 'the garbage collector to delete the pods' });
    await eventually(async () => ((await cp.admin.list(ControllerRevisions, 'default', { labelSelector: 'app=par' })).items.length === 0 ? true : undefined));
  }, 40_000);

  it("puts back a pod's identity labels when a user changes them, and says so in an event", async () => {
    ready = () => true;
    await cp.admin.create(StatefulSets, 'default', statefulSet('ident', 1));
    await eventually(async () => ((await allPods('app=ident')).some(isReady) ? true : undefined));
    await cp.admin.patch(Pods, 'default', 'ident-0', { metadata: { labels: { 'statefulset.kubernetes.io/pod-name': 'other', 'apps.kubernetes.io/pod-index': null } } }, 'merge');
    const fixed = await eventually(async () => {
      const p = await cp.admin.get(Pods, 'default', 'ident-0');
      return p.metadata?.labels?.['statefulset.kubernetes.io/pod-name'] === 'ident-0' ? p : undefined;
    });
    expect(fixed.metadata?.labels).toMatchObject({ 'statefulset.kubernetes.io/pod-name': 'ident-0', 'apps.kubernetes.io/pod-index': '0' });
    const events = await eventually(async () => {
      const es = (await cp.admin.list(Events, 'default')).items as (KubeObject & { reason?: string; message?: string })[];
      const e = es.find((x) => x.reason === 'SuccessfulUpdate' && (x as { involvedObject?: { name?: string } }).involvedObject?.name === 'ident');
      return e;
    });
    expect(events.message).toBe('update Pod ident-0 in StatefulSet ident successful');
  }, 30_000);
});
