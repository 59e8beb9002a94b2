// apps/v1 DaemonSet, StatefulSet and ControllerRevision against apiserver+etcd: defaults,
// validation with Kubernetes' messages and paths, what an update may change, the StatefulSet's
// scale subresource, tables, discovery and OpenAPI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../pkg/api/types.js';
import { ControllerRevisions, DaemonSets, StatefulSets } from '../../pkg/client/rest-client.js';
import { failure, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { daemonSet, statefulSet } from '../helpers/workloads.js';

let cp: TestControlPlane;
beforeAll(async () => {
  cp = await startControlPlane();
});
afterAll(async () => {
  await cp?.stop();
});

const spec = (o: KubeObject) => o.spec as Record<string, any>;
type Table = { columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] };
const tableOf = (path: string) => cp.admin.request<Table>(path, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });

describe('DaemonSet', () => {
  it('is defaulted as Kubernetes does', async () => {
    const got = await cp.admin.create(DaemonSets, 'default', daemonSet('ds-defaults'));
    expect(spec(got)).toMatchObject({ revisionHistoryLimit: 10, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } } });
    expect(spec(got).template.spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst' });
    // (DaemonSetStatus' four counters have no omitempty: Go writes them at 0)
    expect(got.status).toEqual({ currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 });
    const od = await cp.admin.create(DaemonSets, 'default', daemonSet('ds-ondelete', {}, { updateStrategy: { type: 'OnDelete' } }));
    expect(spec(od).updateStrategy).toEqual({ type: 'OnDelete' });
  });

  it('rejects bad specs with 422 and field paths', async () => {
    const noSel = daemonSet('nosel');
    delete spec(noSel).selector;
    const mismatch = daemonSet('mismatch');
    spec(mismatch).selector = { matchLabels: { app: 'other' } };
    const never = daemonSet('never', { restartPolicy: 'Never' });
    const cases: [KubeObject, string][] = [
      [noSel, 'spec.selector: Required value'],
      [mismatch, 'DaemonSet.apps "mismatch" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"mismatch"}: `selector` does not match template `labels`'],
      [never, 'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'],
      [daemonSet('zero', {}, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } }), 'spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0'],
      // (maxSurge alone meets maxUnavailable defaulted to 1: 1.32 wants maxUnavailable: 0 with it)
      [daemonSet('surge', {}, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } }), 'DaemonSet.apps "surge" is invalid: spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:""}: may not be set when maxUnavailable is non-zero'],
      [daemonSet('pct', {}, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '150%' } } }), 'spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%'],
      [daemonSet('kind', {}, { updateStrategy: { type: 'Sometimes' } }), 'spec.updateStrategy: Unsupported value: apps.DaemonSetUpdateStrategy{Type:"Sometimes", RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}: supported values: "RollingUpdate", "OnDelete"'],
    ];
    for (const [obj, message] of cases) {
      const e = await failure(cp.admin.create(DaemonSets, 'default', obj));
      expect(e.code, message).toBe(422);
      expect(e.message).toContain(message);
    }
  });

  it('keeps the selector immutable and bumps generation on template changes', async () => {
    await cp.admin.create(DaemonSets, 'default', daemonSet('ds-imm'));
    const e = await failure(cp.admin.patch(DaemonSets, 'default', 'ds-imm', { spec: { selector: { matchLabels: { app: 'ds-imm', x: 'y' } }, template: { metadata: { labels: { x: 'y' } } } } }));
    expect(e.code).toBe(422);
    expect(e.message).toContain('spec.selector: Invalid value');
    const changed = await cp.admin.patch(DaemonSets, 'default', 'ds-imm', { spec: { template: { metadata: { annotations: { v: '2' } } } } });
    expect(changed.metadata?.generation).toBe(2);
    // (DaemonSets have no scale subresource: no route)
    const scale = await failure(cp.admin.request(cp.admin.path(DaemonSets, 'default', 'ds-imm', 'scale')));
    expect(scale.code).toBe(404);
  });

  it('switches to OnDelete by a merge patch of the type alone, keeping the rollingUpdate', async () => {
    await cp.admin.create(DaemonSets, 'default', daemonSet('ds-to-ondelete'));
    const patched = await cp.admin.patch(DaemonSets, 'default', 'ds-to-ondelete', { spec: { updateStrategy: { type: 'OnDelete' } } }, 'merge');
    expect(spec(patched).updateStrategy).toEqual({ type: 'OnDelete', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  });

  it('serves its template generation as deprecated.daemonset.template.generation, moved only by template changes', async () => {
    const gen = (o: KubeObject) => o.metadata?.annotations?.['deprecated.daemonset.template.generation'];
    const created = await cp.admin.create(DaemonSets, 'default', daemonSet('ds-tgen'));
    expect(gen(created)).toBe('1');
    // A strategy change moves metadata.generation only.
    const strategy = await cp.admin.patch(DaemonSets, 'default', 'ds-tgen', { spec: { updateStrategy: { rollingUpdate: { maxUnavailable: 2 } } } });
    expect([strategy.metadata?.generation, gen(strategy)]).toEqual([2, '1']);
    const template = await cp.admin.patch(DaemonSets, 'default', 'ds-tgen', { spec: { template: { metadata: { annotations: { v: '2' } } } } });
    expect([template.metadata?.generation, gen(template)]).toEqual([3, '2']);
    // Neither an update nor a status write sets it.
    const annotated = await cp.admin.patch(DaemonSets, 'default', 'ds-tgen', { metadata: { annotations: { 'deprecated.daemonset.template.generation': '7', other: 'x' } } });
    expect([gen(annotated), annotated.metadata?.annotations?.other]).toEqual(['2', 'x']);
    const status = await cp.admin.patch(DaemonSets, 'default', 'ds-tgen', { metadata: { annotations: { 'deprecated.daemonset.template.generation': '9' } }, status: { numberReady: 0 } }, 'merge', 'status');
    expect(gen(status)).toBe('2');
    // A creating client's value is taken (one below 1 becomes 1).
    const given = daemonSet('ds-tgen-given');
    given.metadata!.annotations = { 'deprecated.daemonset.template.generation': '5' };
    expect(gen(await cp.admin.create(DaemonSets, 'default', given))).toBe('5');
    // Server-side apply: applying, then applying the same config again, keeps it.
    const apply = (config: KubeObject) =>
      cp.admin.request<KubeObject>(cp.admin.path(DaemonSets, 'default', 'ds-tgen-ssa'), { method: 'PATCH', body: config, contentType: 'application/apply-patch+yaml', query: { fieldManager: 'kubectl' } });
    const config = { apiVersion: 'apps/v1', kind: 'DaemonSet', ...daemonSet('ds-tgen-ssa') };
    expect(gen(await apply(config))).toBe('1');
    expect(gen(await apply(config))).toBe('1');
    spec(config).template.metadata.annotations = { v: '2' };
    expect(gen(await apply(config))).toBe('2');
  });
});

describe('StatefulSet', () => {
  it('is defaulted as Kubernetes does', async () => {
    const s = statefulSet('sts-defaults');
    delete spec(s).replicas;
    const got = await cp.admin.create(StatefulSets, 'default', s);
    expect(spec(got)).toMatchObject({
      replicas: 1,
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      revisionHistoryLimit: 10,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    });
    expect(spec(got).template.spec.restartPolicy).toBe('Always');
    expect(spec(got).template.metadata).toEqual({ creationTimestamp: null, labels: { app: 'sts-defaults' } });
    // A claim template as 1.32 writes it: named kind, Go's null creationTimestamp, a Pending status.
    const claims = await cp.admin.create(StatefulSets, 'default', statefulSet('sts-claims', 1, { volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] }));
    // (StatefulSetStatus' replicas and availableReplicas have no omitempty: Go writes them at 0, and a status write that leaves one out stores 0)
    expect(claims.status).toEqual({ replicas: 0, availableReplicas: 0 });
    const written = await cp.admin.patch(StatefulSets, 'default', 'sts-claims', { status: { replicas: null, currentReplicas: 1 } }, 'merge', 'status');
    expect(written.status).toEqual({ replicas: 0, availableReplicas: 0, currentReplicas: 1 });
    expect(spec(claims).volumeClaimTemplates).toEqual([
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', creationTimestamp: null }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeMode: 'Filesystem' }, status: { phase: 'Pending' } },
    ]);
    // MaxUnavailableStatefulSet is off in 1.32: a maxUnavailable given is dropped.
    const mu = statefulSet('sts-max-unavailable');
    spec(mu).updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: 1, maxUnavailable: 2 } };
    expect(spec(await cp.admin.create(StatefulSets, 'default', mu)).updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { partition: 1 } });
    const patched = await cp.admin.patch(StatefulSets, 'default', 'sts-max-unavailable', { spec: { updateStrategy: { rollingUpdate: { maxUnavailable: 2 } } } });
    expect(spec(patched).updateStrategy.rollingUpdate).toEqual({ partition: 1 });
  });

  it('rejects bad specs with 422, bad volumeClaimTemplates included', async () => {
    const cases: [KubeObject, string][] = [
      [statefulSet('policy', 1, { podManagementPolicy: 'Random' }), `spec.podManagementPolicy: Invalid value: "Random": must be 'OrderedReady' or 'Parallel'`],
      [statefulSet('strategy', 1, { updateStrategy: { type: 'Sometimes' } }), `spec.updateStrategy: Invalid value: apps.StatefulSetUpdateStrategy{Type:"Sometimes", RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}: must be 'RollingUpdate' or 'OnDelete'`],
      [statefulSet('partition', 1, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: -1 } } }), 'spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater than or equal to 0'],
      [statefulSet('ondelete', 1, { updateStrategy: { type: 'OnDelete', rollingUpdate: { partition: 1 } } }), `spec.updateStrategy.rollingUpdate: Invalid value: apps.RollingUpdateStatefulSetStrategy{Partition:1, MaxUnavailable:(*intstr.IntOrString)(nil)}: only allowed for updateStrategy 'RollingUpdate'`],
      [statefulSet('neg', -2), 'spec.replicas: Invalid value: -2: must be greater than or equal to 0'],
      [statefulSet('svc', 1, { serviceName: 'Bad.Name' }), 'spec.serviceName: Invalid value: "Bad.Name"'],
      [statefulSet('retain', 1, { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Keep' } }), 'spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: "Keep": supported values: "Retain", "Delete"'],
      [statefulSet('claims', 1, { volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'] } }] }), 'StatefulSet.apps "claims" is invalid: spec.volumeClaimTemplates[0].spec.resources[storage]: Required value'],
      [{ ...statefulSet('dotted.name'), metadata: { name: 'dotted.name' } }, 'metadata.name: Invalid value: "dotted.name"'],
    ];
    for (const [obj, message] of cases) {
      const e = await failure(cp.admin.create(StatefulSets, 'default', obj));
      expect(e.code, message).toBe(422);
      expect(e.message).toContain(message);
    }
  });

  it('lets an update change replicas, template, strategy but not serviceName or the policy', async () => {
    await cp.admin.create(StatefulSets, 'default', statefulSet('sts-upd', 1));
    const ok = await cp.admin.patch(StatefulSets, 'default', 'sts-upd', { spec: { replicas: 3, updateStrategy: { rollingUpdate: { partition: 2 } }, template: { metadata: { annotations: { v: '2' } } } } });
    expect(spec(ok)).toMatchObject({ replicas: 3, updateStrategy: { rollingUpdate: { partition: 2 } } });
    for (const change of [{ serviceName: 'other' }, { podManagementPolicy: 'Parallel' }]) {
      const e = await failure(cp.admin.patch(StatefulSets, 'default', 'sts-upd', { spec: change }));
      expect(e.code).toBe(422);
      expect(e.message).toContain("spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template'");
    }
  });

  it('serves the scale subresource', async () => {
    await cp.admin.create(StatefulSets, 'default', statefulSet('sts-scale', 2));
    const s = await cp.admin.request<KubeObject>(cp.admin.path(StatefulSets, 'default', 'sts-scale', 'scale'));
    expect(s).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 2 }, status: { replicas: 0, selector: 'app=sts-scale' } });
    await cp.admin.patch(StatefulSets, 'default', 'sts-scale', { spec: { replicas: 5 } }, 'merge', 'scale');
    expect(spec(await cp.admin.get(StatefulSets, 'default', 'sts-scale')).replicas).toBe(5);
  });
});

describe('ControllerRevision', () => {
  it('stores data and a revision, and its data is immutable', async () => {
    const cr = await cp.admin.create(ControllerRevisions, 'default', { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'web-abc' }, data: { spec: { template: { metadata: { labels: { a: 'b' } } } } }, revision: 1 });
    expect(cr).toMatchObject({ revision: 1, data: { spec: { template: { metadata: { labels: { a: 'b' } } } } } });
    const e = await failure(cp.admin.patch(ControllerRevisions, 'default', 'web-abc', { data: { spec: { x: 1 } } }));
    expect(e.code).toBe(422);
    expect(e.message).toContain('data: Invalid value');
    const relabeled = await cp.admin.patch(ControllerRevisions, 'default', 'web-abc', { revision: 3 });
    expect((relabeled as { revision?: number }).revision).toBe(3);
  });
});

describe('tables, discovery, OpenAPI', () => {
  it('prints kubectl get columns', async () => {
    const ds = await tableOf('/apis/apps/v1/namespaces/default/daemonsets');
    expect(ds.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Node Selector', 'Age', 'Containers', 'Images', 'Selector']);
    await cp.admin.create(DaemonSets, 'default', daemonSet('ds-table', { nodeSelector: { disk: 'ssd' } }));
    const row = (await tableOf('/apis/apps/v1/namespaces/default/daemonsets/ds-table')).rows[0]!.cells;
    expect(row.slice(0, 7)).toEqual(['ds-table', 0, 0, 0, 0, 0, 'disk=ssd']);
    const sts = await tableOf('/apis/apps/v1/namespaces/default/statefulsets/sts-scale');
    expect(sts.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Ready', 'Age', 'Containers', 'Images']);
    expect(sts.rows[0]!.cells.slice(0, 2)).toEqual(['sts-scale', '0/5']);
    const cr = await tableOf('/apis/apps/v1/namespaces/default/controllerrevisions');
    expect(cr.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Controller', 'Revision', 'Age']);
  });

  it('lists the kinds in discovery (all category, short names, subresources) and OpenAPI', async () => {
    const list = await cp.admin.request<{ resources: { name: string; shortNames?: string[]; categories?: string[]; kind: string; group?: string }[] }>('/apis/apps/v1');
    const byName = new Map(list.resources.map((r) => [r.name, r]));
    expect(byName.get('daemonsets')).toMatchObject({ kind: 'DaemonSet', shortNames: ['ds'], categories: ['all'] });
    expect(byName.get('statefulsets')).toMatchObject({ kind: 'StatefulSet', shortNames: ['sts'], categories: ['all'] });
    expect(byName.get('controllerrevisions')).toMatchObject({ kind: 'ControllerRevision' });
    expect(byName.get('controllerrevisions')?.categories ?? []).not.toContain('all');
    expect(byName.get('statefulsets/scale')).toMatchObject({ kind: 'Scale', group: 'autoscaling' });
    expect(byName.get('daemonsets/status')).toBeDefined();
    expect(byName.get('daemonsets/scale')).toBeUndefined();
    const openapi = await cp.admin.request<{ paths: Record<string, unknown>; components: { schemas: Record<string, { required?: string[] }> } }>('/openapi/v3/apis/apps/v1');
    expect(openapi.paths['/apis/apps/v1/namespaces/{namespace}/statefulsets/{name}/scale']).toBeDefined();
    expect(openapi.paths['/apis/apps/v1/namespaces/{namespace}/daemonsets/{name}/status']).toBeDefined();
    expect(openapi.components.schemas['io.k8s.api.apps.v1.DaemonSetSpec']?.required).toEqual(['selector', 'template']);
    expect(openapi.components.schemas['io.k8s.api.apps.v1.StatefulSetStatus']).toBeDefined();
    expect(openapi.components.schemas['io.k8s.api.apps.v1.ControllerRevision']).toBeDefined();
  });
});
