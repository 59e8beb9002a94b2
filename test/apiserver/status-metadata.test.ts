// What a status write (PUT or PATCH .../status) keeps of the metadata it sends, kind by kind, as
// 1.32's status strategies decide: the Node, Namespace, PersistentVolume, PersistentVolumeClaim,
// ResourceQuota, PodDisruptionBudget and HorizontalPodAutoscaler ones reset spec alone, so the
// write's labels, annotations and finalizers are kept (owned by its status entry) and checked as
// each kind's status validation checks them; a Namespace keeps its name label and Active phase,
// and a PersistentVolume its phase's transition time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../pkg/api/types.js';
import { CronJobs, HorizontalPodAutoscalers, Namespaces, Nodes, PersistentVolumeClaims, PersistentVolumes, PodDisruptionBudgets, ResourceQuotas, type ResourceRef } from '../../pkg/client/rest-client.js';
import { failure, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;
beforeAll(async () => {
  cp = await startControlPlane();
});
afterAll(async () => {
  await cp?.stop();
});

const statusPatch = (ref: ResourceRef, ns: string | undefined, name: string, body: unknown, manager = 'status-writer') =>
  cp.admin.request<KubeObject>(cp.admin.path(ref, ns, name, 'status'), { method: 'PATCH', body, contentType: 'application/merge-patch+json', query: { fieldManager: manager } });

const entryOf = (o: KubeObject, manager: string) => o.metadata?.managedFields?.find((e) => e.manager === manager && e.subresource === 'status');

describe('status writes keep the metadata they send', () => {
  const kinds: [string, ResourceRef, string | undefined, KubeObject][] = [
    // (with a label its creator owns: a Node created with nothing anyone owns has no managedFields,
    // and 1.32's skipNonAppliedManager then tracks no update of it, status writes included)
    ['Node', Nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'sm-node', labels: { 'kubernetes.io/hostname': 'sm-node' } } }],
    ['Namespace', Namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sm-ns' } }],
    ['PersistentVolume', PersistentVolumes, undefined, { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'sm-pv' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/sm-pv' } } }],
    ['PersistentVolumeClaim', PersistentVolumeClaims, 'default', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'sm-pvc' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    ['ResourceQuota', ResourceQuotas, 'default', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'sm-quota' }, spec: { hard: { pods: '5' } } }],
    ['PodDisruptionBudget', PodDisruptionBudgets, 'default', { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'sm-pdb' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'x' } } } }],
    ['HorizontalPodAutoscaler', HorizontalPodAutoscalers, 'default', { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'sm-hpa' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'x' }, maxReplicas: 3 } }],
  ];

  it.each(kinds)('a %s status write keeps its labels, annotations and finalizers, owned by its status entry, and never its spec', async (_kind, ref, ns, obj) => {
    const made = await cp.admin.create(ref, ns, obj);
    const name = made.metadata!.name!;
    const got = await statusPatch(ref, ns, name, { metadata: { labels: { seen: 'yes' }, annotations: { note: 'x' }, finalizers: ['example.com/hold'] }, spec: { bogus: true } });
    expect(got.metadata?.labels).toMatchObject({ seen: 'yes' });
    expect([got.metadata?.annotations, got.metadata?.finalizers]).toEqual([{ note: 'x' }, ['example.com/hold']]);
    expect(got.spec).toEqual(made.spec);
    expect(entryOf(got, 'status-writer')?.fieldsV1).toMatchObject({ 'f:metadata': { 'f:annotations': { 'f:note': {} }, 'f:labels': { 'f:seen': {} }, 'f:finalizers': {} } });
    // A bad label is refused as on the main resource.
    const bad = await failure(statusPatch(ref, ns, name, { metadata: { labels: { 'a b': 'c' } } }));
    expect([bad.code, bad.message]).toEqual([422, expect.stringContaining('metadata.labels: Invalid value: "a b"')]);
    await statusPatch(ref, ns, name, { metadata: { finalizers: null } });
    await cp.admin.delete(ref, ns, name);
  });

  it('a Namespace status write keeps the name label and an Active phase (SetDefaults_Namespace), and its phase must agree with the deletion', async () => {
    await cp.admin.create(Namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sm-ns2' } });
    const cur = await cp.admin.get(Namespaces, undefined, 'sm-ns2');
    const put = await cp.admin.update(Namespaces, undefined, 'sm-ns2', { ...cur, metadata: { ...cur.metadata, labels: { team: 'a' } }, status: {} }, 'status');
    expect(put.metadata?.labels).toEqual({ team: 'a', 'kubernetes.io/metadata.name': 'sm-ns2' });
    expect(put.status).toEqual({ phase: 'Active' });
    const bad = await failure(statusPatch(Namespaces, undefined, 'sm-ns2', { status: { phase: 'Terminating' } }));
    expect([bad.code, bad.message]).toEqual([422, 'Namespace "sm-ns2" is invalid: status.Phase: Invalid value: "Terminating": may only be \'Active\' if `deletionTimestamp` is empty']);
  });

  it('a namespaces/finalize write keeps the metadata it sends too (namespaceFinalizeStrategy resets status alone), owned by its entry', async () => {
    await cp.admin.create(Namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sm-ns3', labels: { team: 'a' } } });
    const cur = await cp.admin.get(Namespaces, undefined, 'sm-ns3');
    const body = { ...cur, metadata: { ...cur.metadata, labels: { team: 'b' }, annotations: { note: 'x' } }, spec: { finalizers: [] }, status: { phase: 'Terminating' } };
    const got = await cp.admin.request<KubeObject>(cp.admin.path(Namespaces, undefined, 'sm-ns3', 'finalize'), { method: 'PUT', body, query: { fieldManager: 'finalizer' } });
    expect([got.metadata?.labels, got.metadata?.annotations, got.spec, got.status]).toEqual([{ team: 'b', 'kubernetes.io/metadata.name': 'sm-ns3' }, { note: 'x' }, {}, { phase: 'Active' }]);
    const entry = got.metadata?.managedFields?.find((e) => e.manager === 'finalizer' && e.subresource === 'finalize');
    expect(entry?.fieldsV1).toMatchObject({ 'f:metadata': { 'f:annotations': { 'f:note': {} }, 'f:labels': { 'f:team': {} } } });
    const bad = await failure(cp.admin.request(cp.admin.path(Namespaces, undefined, 'sm-ns3', 'finalize'), { method: 'PUT', body: { ...body, metadata: { ...got.metadata, managedFields: undefined, labels: { 'a b': 'c' } } } }));
    expect([bad.code, bad.message]).toEqual([422, expect.stringContaining('metadata.labels: Invalid value: "a b"')]);
  });

  it('a PersistentVolume status write that leaves out the transition time keeps it while the phase stays, and gets a new one when the phase changes', async () => {
    const made = await cp.admin.create(PersistentVolumes, undefined, { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'sm-pv2' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/sm-pv2' } } });
    const since = (made.status as { lastPhaseTransitionTime: string }).lastPhaseTransitionTime;
    const cur = await cp.admin.get(PersistentVolumes, undefined, 'sm-pv2');
    const same = await cp.admin.update(PersistentVolumes, undefined, 'sm-pv2', { ...cur, status: { phase: 'Pending', message: 'waiting' } }, 'status');
    expect(same.status).toEqual({ phase: 'Pending', message: 'waiting', lastPhaseTransitionTime: since });
    // (a time the writer sets with a phase change is its own)
    const own = await statusPatch(PersistentVolumes, undefined, 'sm-pv2', { status: { phase: 'Available', lastPhaseTransitionTime: '2020-01-02T03:04:05Z' } });
    expect((own.status as { lastPhaseTransitionTime: string }).lastPhaseTransitionTime).toBe('2020-01-02T03:04:05Z');
    const moved = await statusPatch(PersistentVolumes, undefined, 'sm-pv2', { status: { phase: 'Released', lastPhaseTransitionTime: null } });
    expect((moved.status as { lastPhaseTransitionTime: string }).lastPhaseTransitionTime).not.toBe('2020-01-02T03:04:05Z');
  });

  it('a ResourceQuota status write is checked as ValidateResourceQuotaStatusUpdate checks it', async () => {
    await cp.admin.create(ResourceQuotas, 'default', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'sm-quota2' }, spec: { hard: { pods: '5' } } });
    const bad = await failure(statusPatch(ResourceQuotas, 'default', 'sm-quota2', { status: { hard: { pods: '5' }, used: { pods: '-1', bogus: '1' } } }));
    expect([bad.code, bad.message]).toEqual([
      422,
      'ResourceQuota "sm-quota2" is invalid: [status.used[pods]: Invalid value: "-1": must be greater than or equal to 0, status.used[bogus]: Invalid value: "bogus": must be a standard resource type or fully qualified, status.used[bogus]: Invalid value: "bogus": must be a standard resource for quota]',
    ]);
  });

  it('a CronJob status write is checked only as every update is (cronJobStatusStrategy.ValidateUpdate checks nothing)', async () => {
    const cj = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'sm-cj' }, spec: { schedule: '0 0 1 1 *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x' }] } } } } } };
    await cp.admin.create(CronJobs, 'default', cj);
    const got = await statusPatch(CronJobs, 'default', 'sm-cj', { metadata: { finalizers: ['unqualified'] } });
    expect(got.metadata?.finalizers).toEqual(['unqualified']);
    await statusPatch(CronJobs, 'default', 'sm-cj', { metadata: { finalizers: null } });
  });
});
