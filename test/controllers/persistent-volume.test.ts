// Persistent volumes against a real apiserver+etcd, controller manager (PV binder, local-path
// provisioner, protection controllers, StatefulSet controller, garbage collector) and scheduler,
// with Node objects made through the API (announcing local-path directories as node agents do) and
// a fake kubelet: binding to static volumes (class, size, access modes, selector, pre-binding),
// phases, reclaim (Retain, Delete), the protection finalizers, the scheduler's refusals (missing,
// unbound Immediate and ReadWriteOncePod claims in use) and its
// WaitForFirstConsumer binding and provisioning, expansion, and StatefulSet claims with their
// retention policies.
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../pkg/api/types.js';
import { Events, Nodes, PersistentVolumeClaims, PersistentVolumes, Pods, StatefulSets, StatusError, StorageClasses } from '../../pkg/client/rest-client.js';
import { Scheduler } from '../../pkg/scheduler/scheduler.js';
import { eventually, node, pod, sleep, type TestControlPlane } from '../helpers/control-plane.js';
import { claim, hostPathVolume, storageClass } from '../helpers/storage.js';
import { fakeKubelet, startWithControllers, statefulSet } from '../helpers/workloads.js';

let cp: TestControlPlane;
let env: Awaited<ReturnType<typeof startWithControllers>> | undefined;
let sched: Scheduler | undefined;
let kubelet: { stop(): Promise<void> } | undefined;

beforeAll(async () => {
  env = await startWithControllers('rest', { nodeMonitorGracePeriodMs: 600_000 });
  cp = env.cp;
  sched = new Scheduler(cp.admin, { leaderElect: false, queue: { initialBackoffMs: 100, maxBackoffMs: 500, unschedulableFlushMs: 1000 } });
  await sched.start();
  kubelet = fakeKubelet(cp.admin);
  for (const n of ['n1', 'n2']) {
    const obj = node(n);
    obj.metadata = { ...(obj.metadata as object), annotations: { 'tskube.io/local-path-dir': `/var/lib/tskube-test/${n}/storage` } };
    await cp.admin.create(Nodes, undefined, obj);
  }
  await cp.admin.create(StorageClasses, undefined, storageClass('manual', { provisioner: 'kubernetes.io/no-provisioner' }));
  await cp.admin.create(StorageClasses, undefined, storageClass('local', { provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' }));
  await cp.admin.create(StorageClasses, undefined, storageClass('growing', { provisioner: 'tskube.io/local-path', volumeBindingMode: 'WaitForFirstConsumer', allowVolumeExpansion: true }));
}, 60_000);
afterAll(async () => {
  await kubelet?.stop();
  await sched?.stop();
  await env?.stop();
});

type Obj = KubeObject & { spec: Record<string, any>; status: Record<string, any> };
const getClaim = async (name: string) => (await cp.admin.get(PersistentVolumeClaims, 'default', name)) as Obj;
const getVolume = async (name: string) => (await cp.admin.get(PersistentVolumes, undefined, name)) as Obj;
const gone = async (p: Promise<unknown>) => p.then(() => false, (e) => e instanceof StatusError && e.code === 404);
const phaseOf = (get: () => Promise<Obj>, phase: string) => eventually(async () => ((await get()).status?.phase === phase ? get() : undefined), { timeoutMs: 20_000, what: phase });
const eventsOf = async (name: string) => (await cp.admin.list(Events, 'default', { fieldSelector: `involvedObject.name=${name}` })).items.map((e) => `${e.reason}: ${e.message}`);
const manualVolume = (name: string, size: string, spec: Record<string, unknown> = {}, labels?: Record<string, string>) => {
  const v = hostPathVolume(name, size, ['ReadWriteOnce'], { storageClassName: 'manual', ...spec });
  if (labels) v.metadata!.labels = labels;
  return v;
};

describe('binding static volumes (Immediate)', () => {
  it('binds a claim to the smallest Available volume of its class that fits, and sets both phases', async () => {
    for (const [n, size] of [['pv-1g', '1Gi'], ['pv-5g', '5Gi'], ['pv-3g', '3Gi']] as const) await cp.admin.create(PersistentVolumes, undefined, manualVolume(n, size));
    await phaseOf(() => getVolume('pv-1g'), 'Available');
    const c = await cp.admin.create(PersistentVolumeClaims, 'default', claim('two-gigs', '2Gi', { storageClassName: 'manual' }));
    const bound = await phaseOf(() => getClaim('two-gigs'), 'Bound');
    expect(bound.spec.volumeName).toBe('pv-3g');
    expect(bound.status).toEqual({ phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '3Gi' } });
    expect(bound.metadata?.annotations).toMatchObject({ 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' });
    const pv = await phaseOf(() => getVolume('pv-3g'), 'Bound');
    expect(pv.spec.claimRef).toMatchObject({ kind: 'PersistentVolumeClaim', namespace: 'default', name: 'two-gigs', uid: c.metadata?.uid });
  });

  it('honours the claim\'s selector and a claim\'s or volume\'s pre-binding', async () => {
    await cp.admin.create(PersistentVolumes, undefined, manualVolume('pv-gold', '8Gi', {}, { tier: 'gold' }));
    await cp.admin.create(PersistentVolumeClaims, 'default', claim('gold', '1Gi', { storageClassName: 'manual', selector: { matchLabels: { tier: 'gold' } } }));
    expect((await phaseOf(() => getClaim('gold'), 'Bound')).spec.volumeName).toBe('pv-gold');
    // A claim naming its volume binds to it, larger than needed though it is.
    await cp.admin.create(PersistentVolumes, undefined, manualVolume('pv-named', '4Gi'));
    await cp.admin.create(PersistentVolumeClaims, 'default', claim('named', '1Gi', { storageClassName: 'manual', volumeName: 'pv-named' }));
    const named = await phaseOf(() => getClaim('named'), 'Bound');
    expect(named.metadata?.annotations?.['pv.kubernetes.io/bound-by-controller']).toBeUndefined();
    // A volume pre-bound to a claim by name waits for it (Available), then binds to it.
    await cp.admin.create(PersistentVolumes, undefined, manualVolume('pv-reserved', '6Gi', { claimRef: { namespace: 'default', name: 'late' } }));
    await phaseOf(() => getVolume('pv-reserved'), 'Available');
    await cp.admin.create(PersistentVolumeClaims, 'default', claim('late', '1Gi', { storageClassName: 'manual' }));
    expect((await phaseOf(() => getClaim('late'), 'Bound')).spec.volumeName).toBe('pv-reserved');
    // Nothing fits: Pending, with the external provisioner's event.
    await cp.admin.create(PersistentVolumeClaims, 'default', claim('huge', '100Gi', { storageClassName: 'manual' }));
    await eventually(async () => (await eventsOf('huge')).some((e) => e.startsWith("ExternalProvisioning: Waiting for a volume to be created either by the external provisioner 'kubernetes.io/no-provisioner'")), { timeoutMs: 10_000 });
    expect((await getClaim('huge')).status.phase).toBe('Pending');
  });

  it('releases a Retain volume and fails a Delete one it did not make; a claim whose volume goes is Lost', async () => {
    await cp.admin.delete(PersistentVolumeClaims, 'default', 'two-gigs');
    const released = await phaseOf(() => getVolume('pv-3g'), 'Released');
    expect(released.spec.claimRef.name).toBe('two-gigs');
    await cp.admin.create(PersistentVolumes, undefined, manualVolume('pv-del', '1Gi', { persistentVolumeReclaimPolicy: 'Delete' }, { use: 'del' }));
    await cp.admin.create(PersistentVolumeClaims, 'default', claim('del', '1Gi', { storageClassName: 'manual', selector: { matchLabels: { use: 'del' } } }));
    await phaseOf(() => getClaim('del'), 'Bound');
    await cp.admin.delete(PersistentVolumeClaims, 'default', 'del');
    const failed = await phaseOf(() => getVolume('pv-del'), 'Failed');
    expect(failed.status.message).toContain('tskube deletes only the volumes its tskube.io/local-path provisioner made');
    // The volume of a bound claim deleted by force (its finalizer taken off): the claim is Lost.
    await cp.admin.delete(PersistentVolumes, undefined, 'pv-gold');
    expect((await getVolume('pv-gold')).metadata?.deletionTimestamp).toBeDefined();
    await cp.admin.patch(PersistentVolumes, undefined, 'pv-gold', { metadata: { finalizers: null } }, 'merge');
    await eventually(() => gone(getVolume('pv-gold')));
    await phaseOf(() => getClaim('gold'), 'Lost');
    await eventually(async () => (await eventsOf('gold')).includes('ClaimLost: Bound claim has lost its PersistentVolume. Data on the volume is lost!'));
  });
});

describe('protection', () => {
  it('keeps a claim while a scheduled pod uses it, and a volume while it is bound', async () => {
    await cp.admin.create(Pods, 'default', pod('user', { spec: { containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'named' } }] } }));
    await eventually(async () => ((await cp.admin.get(Pods, 'default', 'user')).spec as { nodeName?: string }).nodeName);
    await cp.admin.delete(PersistentVolumes, undefined, 'pv-named');
    await cp.admin.delete(PersistentVolumeClaims, 'default', 'named');
    await sleep(1500);
    const terminating = await getClaim('named');
    expect(terminating.metadata?.deletionTimestamp).toBeDefined();
    expect(terminating.metadata?.finalizers).toEqual(['kubernetes.io/pvc-protection']);
    expect((await getVolume('pv-named')).metadata?.finalizers).toEqual(['kubernetes.io/pv-protection']);
    await cp.admin.delete(Pods, 'default', 'user');
    await eventually(() => gone(getClaim('named')), { timeoutMs: 15_000, what: 'claim gone' });
    await eventually(() => gone(getVolume('pv-named')), { timeoutMs: 15_000, what: 'volume gone once released' });
  });
});

describe('scheduling', () => {
  const podStatus = async (name: string) => ((await cp.admin.get(Pods, 'default', name)).status ?? {}) as { conditions?: { type: string; status: string; message?: string }[] };
  const unschedulable = (name: string) => eventually(async () => (await podStatus(name)).conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False')?.message, { timeoutMs: 10_000 });
  const withClaim = (name: string, claimName: string) => pod(name, { spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'v', persistentVolumeClaim: { claimName } }] } });

  it('refuses a pod whose claim is missing or unbound and Immediate, with kube-scheduler\'s messages', async () => {
    await cp.admin.create(Pods, 'default', withClaim('no-claim', 'nope'));
    expect(await unschedulable('no-claim')).toBe('0/2 nodes are available: persistentvolumeclaim "nope" not found. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.');
    await cp.admin.create(Pods, 'default', withClaim('unbound', 'huge'));
    expect(await unschedulable('unbound')).toBe('0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.');
    // The claim comes: the pod is scheduled.
    await cp.admin.create(PersistentVolumes, undefined, manualVolume('pv-for-nope', '1Gi'));
    await cp.admin.create(PersistentVolumeClaims, 'default', claim('nope', '1Gi', { storageClassName: 'manual' }));
    await eventually(async () => ((await cp.admin.get(Pods, 'default', 'no-claim')).spec as { nodeName?: string }).nodeName, { timeoutMs: 15_000 });
  });

  it('lets one pod at a time use a ReadWriteOncePod claim', async () => {
    await cp.admin.create(PersistentVolumes, undefined, hostPathVolume('pv-rwop', '1Gi', ['ReadWriteOncePod'], { storageClassName: 'manual' }));
    await cp.admin.create(PersistentVolumeClaims, 'default', claim('solo', '1Gi', { storageClassName: 'manual', accessModes: ['ReadWriteOncePod'] }));
    await phaseOf(() => getClaim('solo'), 'Bound');
    await cp.admin.create(Pods, 'default', withClaim('solo-1', 'solo'));
    await eventually(async () => ((await cp.admin.get(Pods, 'default', 'solo-1')).spec as { nodeName?: string }).nodeName, { timeoutMs: 15_000 });
    await cp.admin.create(Pods, 'default', withClaim('solo-2', 'solo'));
    expect(await unschedulable('solo-2')).toBe('0/2 nodes are available: node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.');
    await cp.admin.delete(Pods, 'default', 'solo-1');
    await eventually(async () => ((await cp.admin.get(Pods, 'default', 'solo-2')).spec as { nodeName?: string }).nodeName, { timeoutMs: 15_000, what: 'solo-2 scheduled once solo-1 is gone' });
  });

  it('binds a WaitForFirstConsumer claim to a local volume on the node its pod can go to', async () => {
    const local = hostPathVolume('pv-local-n2', '2Gi', ['ReadWriteOnce'], { storageClassName: 'local', hostPath: undefined, local: { path: '/mnt/disk' }, nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n2'] }] }] } } });
    await cp.admin.create(PersistentVolumes, undefined, local);
    await cp.admin.create(PersistentVolumeClaims, 'default', claim('wffc-static', '1Gi', { storageClassName: 'local' }));
    await eventually(async () => (await eventsOf('wffc-static')).includes('WaitForFirstConsumer: waiting for first consumer to be created before binding'));
    expect((await getClaim('wffc-static')).status.phase).toBe('Pending');
    await cp.admin.create(Pods, 'default', withClaim('local-user', 'wffc-static'));
    const placed = await eventually(async () => ((await cp.admin.get(Pods, 'default', 'local-user')).spec as { nodeName?: string }).nodeName, { timeoutMs: 15_000 });
    expect(placed).toBe('n2');
    expect((await phaseOf(() => getClaim('wffc-static'), 'Bound')).spec.volumeName).toBe('pv-local-n2');
    expect((await getVolume('pv-local-n2')).metadata?.annotations?.['pv.kubernetes.io/bound-by-controller']).toBe('yes');
  });

  it('provisions a local-path volume on the node chosen for the first pod; the claim can then grow; Delete removes it', async () => {
    const c = await cp.admin.create(PersistentVolumeClaims, 'default', claim('dyn', '1Gi', { storageClassName: 'growing' }));
    await cp.admin.create(Pods, 'default', withClaim('dyn-user', 'dyn'));
    const nodeName = await eventually(async () => ((await cp.admin.get(Pods, 'default', 'dyn-user')).spec as { nodeName?: string }).nodeName, { timeoutMs: 15_000 });
    const bound = await phaseOf(() => getClaim('dyn'), 'Bound');
    expect(bound.metadata?.annotations).toMatchObject({ 'volume.kubernetes.io/selected-node': nodeName, 'volume.kubernetes.io/storage-provisioner': 'tskube.io/local-path' });
    const pvName = `pvc-${c.metadata?.uid}`;
    expect(bound.spec.volumeName).toBe(pvName);
    const pv = await getVolume(pvName);
    expect(pv.metadata?.annotations?.['pv.kubernetes.io/provisioned-by']).toBe('tskube.io/local-path');
    expect(pv.spec).toMatchObject({
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: 'growing',
      hostPath: { path: `/var/lib/tskube-test/${nodeName}/storage/${pvName}_default_dyn`, type: 'DirectoryOrCreate' },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [nodeName] }] }] } },
      claimRef: { name: 'dyn', namespace: 'default', uid: c.metadata?.uid },
    });
    await eventually(async () => (await eventsOf('dyn')).includes(`ProvisioningSucceeded: Successfully provisioned volume ${pvName}`), { what: 'ProvisioningSucceeded event' });
    // (from the provisioner, as an external provisioner's events are, not from the PV controller:
    // a spam-filter budget of their own that the claim's WaitForFirstConsumer events cannot use up)
    const provisioned = (await cp.admin.list(Events, 'default', { fieldSelector: 'involvedObject.name=dyn,reason=ProvisioningSucceeded' })).items[0] as { source?: { component?: string } };
    expect(provisioned.source?.component).toBe(`tskube.io/local-path_${hostname()}`);
    // and the controller said first that it waits for that provisioner, as for any external one
    expect(await eventsOf('dyn')).toContain("ExternalProvisioning: Waiting for a volume to be created either by the external provisioner 'tskube.io/local-path' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.");
    // Expansion: the class allows it; the volume and the claim's capacity follow the request.
    await cp.admin.patch(PersistentVolumeClaims, 'default', 'dyn', { spec: { resources: { requests: { storage: '3Gi' } } } });
    await eventually(async () => (await getClaim('dyn')).status.capacity?.storage === '3Gi', { timeoutMs: 15_000, what: 'expanded' });
    expect((await getVolume(pvName)).spec.capacity.storage).toBe('3Gi');
    // Pod and claim gone: the volume is deleted (Delete), no node agent having made its directory.
    await cp.admin.delete(Pods, 'default', 'dyn-user');
    await cp.admin.delete(PersistentVolumeClaims, 'default', 'dyn');
    await eventually(() => gone(getVolume(pvName)), { timeoutMs: 20_000, what: 'provisioned volume deleted' });
  });
});

describe('StatefulSet volumeClaimTemplates', () => {
  const template = { metadata: { name: 'data', labels: { tier: 'db' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
  const claimsOf = async (set: string) => (await cp.admin.list(PersistentVolumeClaims, 'default', { labelSelector: `app=${set}` })).items.map((c) => c.metadata!.name!).sort();

  it('creates a claim per ordinal before its pod, mounted as the template\'s volume; Retain keeps them after the set', async () => {
    await cp.admin.create(StatefulSets, 'default', statefulSet('db', 2, { volumeClaimTemplates: [template] }));
    await eventually(async () => (await claimsOf('db')).length === 2, { timeoutMs: 20_000, what: 'two claims' });
    expect(await claimsOf('db')).toEqual(['data-db-0', 'data-db-1']);
    const c0 = await getClaim('data-db-0');
    expect(c0.metadata?.labels).toEqual({ tier: 'db', app: 'db' });
    expect(c0.metadata?.ownerReferences).toBeUndefined();
    expect(c0.spec.storageClassName).toBe('local-path');
    const p0 = await cp.admin.get(Pods, 'default', 'db-0');
    expect((p0.spec as { volumes: unknown[] }).volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: 'data-db-0' } });
    await phaseOf(() => getClaim('data-db-1'), 'Bound');
    await cp.admin.delete(StatefulSets, 'default', 'db');
    await eventually(async () => (await cp.admin.list(Pods, 'default', { labelSelector: 'app=db' })).items.length === 0, { timeoutMs: 20_000 });
    await sleep(1000);
    expect(await claimsOf('db')).toEqual(['data-db-0', 'data-db-1']);
  });

  it('deletes the claims of scaled-away ordinals (whenScaled Delete) and all of them with the set (whenDeleted Delete)', async () => {
    const set = await cp.admin.create(StatefulSets, 'default', statefulSet('cache', 2, { podManagementPolicy: 'Parallel', volumeClaimTemplates: [template], persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' } }));
    await eventually(async () => (await claimsOf('cache')).length === 2, { timeoutMs: 20_000 });
    const owners = (await getClaim('data-cache-0')).metadata?.ownerReferences;
    expect(owners).toEqual([{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'cache', uid: set.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
    await cp.admin.patch(StatefulSets, 'default', 'cache', { spec: { replicas: 1 } });
    await eventually(async () => (await claimsOf('cache')).join() === 'data-cache-0', { timeoutMs: 30_000, what: 'data-cache-1 deleted with its pod' });
    await cp.admin.delete(StatefulSets, 'default', 'cache');
    await eventually(async () => (await claimsOf('cache')).length === 0, { timeoutMs: 30_000, what: 'claims deleted with the set' });
  });
});
