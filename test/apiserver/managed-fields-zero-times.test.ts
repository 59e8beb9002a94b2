// managedFields with Go's zero values as 1.32 records them: a create is compared with the type's
// zero object, so a Deployment's template creationTimestamp: null (already null there) is nobody's
// and the structs and lists that object holds get no "."; a pod condition's `lastProbeTime: null`
// is `f:lastProbeTime`; and kubectl apply --server-side of a manifest from kubectl create
// --dry-run=client -o yaml owns the template's creationTimestamp, shared without a conflict.
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../pkg/api/types.js';
import { Deployments, Pods } from '../../pkg/client/rest-client.js';
import { eventually, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;
beforeAll(async () => {
  cp = await startControlPlane();
});
afterAll(async () => {
  await cp?.stop();
});

type Fields = Record<string, Record<string, Record<string, Record<string, unknown>>>>;
const templateMeta = (o: KubeObject, manager: string) => (o.metadata?.managedFields?.find((e) => e.manager === manager)?.fieldsV1 as Fields | undefined)?.['f:spec']?.['f:template']?.['f:metadata'];
const deployment = (name: string, templateMetadata: Record<string, unknown>) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: { selector: { matchLabels: { app: name } }, template: { metadata: { ...templateMetadata, labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
});

describe('null zero times in managedFields', () => {
  it("a created Deployment's entry is 1.32's: nothing Go's zero Deployment already holds is the creator's", async () => {
    // The body kubectl create deployment zt-create --image=busybox sends (its Go struct as JSON).
    const body = {
      kind: 'Deployment',
      apiVersion: 'apps/v1',
      metadata: { name: 'zt-create', creationTimestamp: null, labels: { app: 'zt-create' } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'zt-create' } },
        template: { metadata: { creationTimestamp: null, labels: { app: 'zt-create' } }, spec: { containers: [{ name: 'busybox', image: 'busybox', resources: {} }] } },
        strategy: {},
      },
      status: {},
    };
    const d = await cp.admin.request<KubeObject>(cp.admin.path(Deployments, 'default'), { method: 'POST', body, query: { fieldManager: 'kubectl-create' } });
    expect((d as { spec: { template: { metadata: Record<string, unknown> } } }).spec.template.metadata).toEqual({ creationTimestamp: null, labels: { app: 'zt-create' } });
    // As a 1.32 cluster records it: the create is compared with the zero Deployment (create.go's
    // scope.Creater.New), which has spec.strategy {}, the template's metadata {creationTimestamp:
    // null} and spec {containers: null}: no "." on them, and the template's null creationTimestamp
    // is nobody's.
    expect(d.metadata?.managedFields?.map((e) => [e.manager, e.operation, e.fieldsV1])).toEqual([
      [
        'kubectl-create',
        'Update',
        {
          'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
          'f:spec': {
            'f:progressDeadlineSeconds': {},
            'f:replicas': {},
            'f:revisionHistoryLimit': {},
            'f:selector': {},
            'f:strategy': { 'f:rollingUpdate': { '.': {}, 'f:maxSurge': {}, 'f:maxUnavailable': {} }, 'f:type': {} },
            'f:template': {
              'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
              'f:spec': {
                'f:containers': {
                  'k:{"name":"busybox"}': { '.': {}, 'f:image': {}, 'f:imagePullPolicy': {}, 'f:name': {}, 'f:resources': {}, 'f:terminationMessagePath': {}, 'f:terminationMessagePolicy': {} },
                },
                'f:dnsPolicy': {},
                'f:restartPolicy': {},
                'f:schedulerName': {},
                'f:securityContext': {},
                'f:terminationGracePeriodSeconds': {},
              },
            },
          },
        },
      ],
    ]);
  });

  it('server-side apply owns an applied creationTimestamp: null, shared by two appliers without a conflict', async () => {
    const apply = (manager: string, body: unknown) =>
      cp.admin.request<KubeObject>(cp.admin.path(Deployments, 'default', 'zt-apply'), { method: 'PATCH', contentType: 'application/apply-patch+yaml', query: { fieldManager: manager }, body });
    const first = await apply('kubectl', deployment('zt-apply', { creationTimestamp: null }));
    expect(templateMeta(first, 'kubectl')).toEqual({ 'f:creationTimestamp': {}, 'f:labels': { 'f:app': {} } });
    const second = await apply('other', deployment('zt-apply', { creationTimestamp: null }));
    expect(templateMeta(second, 'other')).toEqual({ 'f:creationTimestamp': {}, 'f:labels': { 'f:app': {} } });
    // kubectl stops applying it: other still owns it, and it stays
    const third = await apply('kubectl', deployment('zt-apply', {}));
    expect(templateMeta(third, 'kubectl')).toEqual({ 'f:labels': { 'f:app': {} } });
    expect(templateMeta(third, 'other')).toHaveProperty('f:creationTimestamp');
  });

  it("a pod condition's lastProbeTime: null is its writer's field", async () => {
    await cp.admin.create(Pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'zt-pod' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    const p = await cp.admin.request<KubeObject>(cp.admin.path(Pods, 'default', 'zt-pod', 'status'), {
      method: 'PATCH',
      contentType: 'application/strategic-merge-patch+json',
      query: { fieldManager: 'kubelet' },
      body: { status: { conditions: [{ type: 'Ready', status: 'False', lastProbeTime: null, lastTransitionTime: '2026-12-03T00:00:00Z' }] } },
    });
    const status = (p.metadata?.managedFields?.find((e) => e.manager === 'kubelet')?.fieldsV1 as Fields)['f:status']!;
    expect(status['f:conditions']!['k:{"type":"Ready"}']).toEqual({ '.': {}, 'f:lastProbeTime': {}, 'f:lastTransitionTime': {}, 'f:status': {}, 'f:type': {} });
  });

  it('an object stored by an older tskube, without the zero fields, takes a write that changes nothing as no write', async () => {
    // As tskube stored a pod status before it filled Go's zero values: no lastProbeTime, no ready, restartCount or imageID.
    const stored = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'zt-old',
        namespace: 'default',
        uid: '6f1c2b1e-0000-4000-8000-000000000001',
        creationTimestamp: '2026-12-01T00:00:00Z',
        managedFields: [
          { manager: 'kubectl-create', operation: 'Update', apiVersion: 'v1', time: '2026-12-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } } },
          { manager: 'kubelet', operation: 'Update', apiVersion: 'v1', time: '2026-12-01T00:00:01Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:status': { 'f:conditions': { 'k:{"type":"Ready"}': { '.': {}, 'f:lastTransitionTime': {}, 'f:status': {}, 'f:type': {} } }, 'f:containerStatuses': {}, 'f:phase': {} } }, subresource: 'status' },
        ],
      },
      spec: { containers: [{ name: 'c', image: 'busybox', resources: {}, terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'Always' }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', securityContext: {}, schedulerName: 'default-scheduler', enableServiceLinks: true, preemptionPolicy: 'PreemptLowerPriority', priority: 0, serviceAccountName: 'default', serviceAccount: 'default', tolerations: [] },
      status: { phase: 'Running', qosClass: 'BestEffort', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-12-01T00:00:01Z' }], containerStatuses: [{ name: 'c', state: { running: { startedAt: '2026-12-01T00:00:01Z' } }, lastState: {}, image: 'busybox' }] },
    };
    const etcd = new Etcd3({ hosts: cp.server.etcdEndpoints });
    try {
      await etcd.put('/registry/pods/default/zt-old').value(JSON.stringify(stored));
    } finally {
      etcd.close();
    }
    const before = await eventually(() => cp.admin.get(Pods, 'default', 'zt-old'));
    // A status write of what it holds already (a kubelet's periodic sync): 1.32 decodes the old
    // object with its zero values, finds the same bytes and writes nothing.
    const same = await cp.admin.request<KubeObject>(cp.admin.path(Pods, 'default', 'zt-old', 'status'), {
      method: 'PATCH',
      contentType: 'application/merge-patch+json',
      query: { fieldManager: 'kubelet' },
      body: { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-12-01T00:00:01Z', lastProbeTime: null }] } },
    });
    expect(same.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    expect(same.metadata?.managedFields).toEqual(stored.metadata.managedFields);
    // A write that changes something is stored with the zero values, and moves only what it changed.
    const changed = await cp.admin.request<KubeObject>(cp.admin.path(Pods, 'default', 'zt-old', 'status'), {
      method: 'PATCH',
      contentType: 'application/merge-patch+json',
      query: { fieldManager: 'other' },
      body: { status: { phase: 'Succeeded' } },
    });
    expect(changed.metadata?.resourceVersion).not.toBe(before.metadata?.resourceVersion);
    expect((changed.status as { containerStatuses: unknown[] }).containerStatuses[0]).toMatchObject({ ready: false, restartCount: 0, imageID: '' });
    expect(changed.metadata?.managedFields?.find((e) => e.manager === 'other')?.fieldsV1).toEqual({ 'f:status': { 'f:phase': {} } });
    // (the kubelet keeps its condition, lastProbeTime not among its fields as it never wrote one, and the atomic containerStatuses)
    expect(changed.metadata?.managedFields?.find((e) => e.manager === 'kubelet')?.fieldsV1).toEqual({ 'f:status': { 'f:conditions': { 'k:{"type":"Ready"}': { '.': {}, 'f:lastTransitionTime': {}, 'f:status': {}, 'f:type': {} } }, 'f:containerStatuses': {} } });
  });

  it('a status PUT that leaves out the fields Go writes at their zero value changes nothing there: no owner moves', async () => {
    await cp.admin.create(Pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'zt-put' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    const statusPath = cp.admin.path(Pods, 'default', 'zt-put', 'status');
    const kubelet = await cp.admin.request<KubeObject>(statusPath, {
      method: 'PATCH',
      contentType: 'application/strategic-merge-patch+json',
      query: { fieldManager: 'kubelet' },
      body: { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-12-03T00:00:00Z' }], containerStatuses: [{ name: 'c', image: 'busybox', imageID: '', state: { running: { startedAt: '2026-12-03T00:00:00Z' } } }] } },
    });
    // (stored with Go's zero values: the condition's lastProbeTime: null, the container's ready: false and restartCount: 0)
    expect((kubelet.status as { conditions: unknown[] }).conditions[0]).toHaveProperty('lastProbeTime', null);
    expect((kubelet.status as { containerStatuses: unknown[] }).containerStatuses[0]).toMatchObject({ ready: false, restartCount: 0 });
    // Another client PUTs the status back as a non-Go client writes it: the same values, the zero ones left out.
    const put = structuredClone(kubelet) as KubeObject & { status: { phase?: string; conditions: Record<string, unknown>[]; containerStatuses: Record<string, unknown>[] } };
    delete put.status.conditions[0]!.lastProbeTime;
    for (const k of ['ready', 'restartCount', 'imageID', 'lastState']) delete put.status.containerStatuses[0]![k];
    put.status.phase = 'Succeeded';
    const after = await cp.admin.request<KubeObject>(statusPath, { method: 'PUT', body: put, query: { fieldManager: 'other' } });
    const fields = (o: KubeObject, manager: string) => o.metadata?.managedFields?.find((e) => e.manager === manager)?.fieldsV1 as Fields | undefined;
    // the writer owns what it changed, the phase; the kubelet keeps the rest, lastProbeTime and the atomic containerStatuses included
    expect(fields(after, 'other')).toEqual({ 'f:status': { 'f:phase': {} } });
    expect(fields(after, 'kubelet')!['f:status']!['f:conditions']!['k:{"type":"Ready"}']).toHaveProperty('f:lastProbeTime');
    expect(fields(after, 'kubelet')!['f:status']).toHaveProperty('f:containerStatuses');
  });
});
