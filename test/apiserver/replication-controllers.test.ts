// core/v1 ReplicationControllers against apiserver+etcd: Kubernetes' defaults (selector and
// labels from the template, replicas 1), validation with its messages and paths (422), a
// mutable selector, status validation on the status subresource, the scale subresource, the
// kubectl table, discovery and OpenAPI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../pkg/api/types.js';
import { Namespaces, ReplicationControllers, ResourceQuotas } from '../../pkg/client/rest-client.js';
import { failure, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;
beforeAll(async () => {
  cp = await startControlPlane();
});
afterAll(async () => {
  await cp?.stop();
});

type Spec = Record<string, any>;
const spec = (o: KubeObject) => o.spec as Spec;
const rc = (name: string, extra: Spec = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ReplicationController',
  metadata: { name },
  spec: { template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'] }] } }, ...extra },
});
type Table = { columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] };

describe('ReplicationControllers', () => {
  it('defaults the selector, the labels and replicas from the template, and the template as a pod spec', async () => {
    const got = await cp.admin.create(ReplicationControllers, 'default', rc('defaults'));
    expect(spec(got).selector).toEqual({ app: 'defaults' });
    expect(spec(got).replicas).toBe(1);
    expect(got.metadata?.labels).toEqual({ app: 'defaults' });
    expect(spec(got).template.spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30 });
    // (ReplicationControllerStatus.replicas has no omitempty: Go writes it at 0)
    expect(got.status).toEqual({ replicas: 0 });
    expect(got.metadata?.generation).toBe(1);
    // Given ones are kept; replicas 0 is a value.
    const own = await cp.admin.create(ReplicationControllers, 'default', { ...rc('own', { replicas: 0, selector: { app: 'own' } }), metadata: { name: 'own', labels: { team: 'a' } } });
    expect(spec(own)).toMatchObject({ replicas: 0, selector: { app: 'own' } });
    expect(own.metadata?.labels).toEqual({ team: 'a' });
  });

  it('rejects bad specs with 422 and Kubernetes field paths', async () => {
    const noLabels = rc('nolabels');
    delete spec(noLabels).template.metadata;
    const cases: [KubeObject, string[]][] = [
      [noLabels, ['ReplicationController "nolabels" is invalid', 'spec.selector: Required value']],
      [{ ...rc('notpl'), spec: { selector: { app: 'x' } } }, ['spec.template: Required value']],
      [rc('mismatch', { selector: { app: 'other' } }), ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"mismatch"}: `selector` does not match template `labels`']],
      [rc('neg', { replicas: -1 }), ['spec.replicas: Invalid value: -1: must be greater than or equal to 0']],
      [rc('minready', { minReadySeconds: -5 }), ['spec.minReadySeconds: Invalid value: -5: must be greater than or equal to 0']],
    ];
    const never = rc('never');
    spec(never).template.spec.restartPolicy = 'Never';
    spec(never).template.spec.activeDeadlineSeconds = 10;
    cases.push([never, ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"', 'spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicationController is not Supported']]);
    const badName = rc('badname');
    spec(badName).template.spec.containers[0].name = 'Bad_Name';
    cases.push([badName, ['spec.template.spec.containers[0].name: Invalid value: "Bad_Name"']]);
    for (const [obj, messages] of cases) {
      const e = await failure(cp.admin.create(ReplicationControllers, 'default', obj));
      expect(e.code, messages[0]).toBe(422);
      for (const m of messages) expect(e.message).toContain(m);
    }
    const unknown = rc('unknown');
    spec(unknown).replica = 3;
    expect((await failure(cp.admin.create(ReplicationControllers, 'default', unknown))).message).toContain('unknown field "spec.replica"');
  });

  it('lets the selector change (unlike apps/v1), bumps generation on spec changes, and validates status', async () => {
    await cp.admin.create(ReplicationControllers, 'default', rc('mut'));
    const moved = await cp.admin.patch(ReplicationControllers, 'default', 'mut', { spec: { selector: { app: 'mut', tier: 'x' }, template: { metadata: { labels: { app: 'mut', tier: 'x' } } } } });
    expect(spec(moved).selector).toEqual({ app: 'mut', tier: 'x' });
    expect(moved.metadata?.generation).toBe(2);
    const labeled = await cp.admin.patch(ReplicationControllers, 'default', 'mut', { metadata: { labels: { y: 'z' } }, status: { replicas: 7 } });
    expect(labeled.metadata?.generation).toBe(2);
    expect(labeled.status).toEqual({ replicas: 0 });
    const st = await cp.admin.update(ReplicationControllers, 'default', 'mut', { ...labeled, status: { replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 1, availableReplicas: 1, observedGeneration: 2 } }, 'status');
    expect(st.status).toMatchObject({ replicas: 2, readyReplicas: 1 });
    const bad = await failure(cp.admin.update(ReplicationControllers, 'default', 'mut', { ...st, status: { replicas: 1, readyReplicas: 2, availableReplicas: 3 } }, 'status'));
    expect(bad.code).toBe(422);
    expect(bad.message).toContain('status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas');
    expect(bad.message).toContain('status.availableReplicas: Invalid value: 3: cannot be greater than readyReplicas');
  });

  it('serves the scale subresource as autoscaling/v1 Scale with the map selector', async () => {
    await cp.admin.create(ReplicationControllers, 'default', rc('sc', { replicas: 2, selector: { app: 'sc' } }));
    const s = await cp.admin.request<KubeObject>(cp.admin.path(ReplicationControllers, 'default', 'sc', 'scale'));
    expect(s).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'sc', namespace: 'default' }, spec: { replicas: 2 }, status: { replicas: 0, selector: 'app=sc' } });
    const patched = await cp.admin.patch(ReplicationControllers, 'default', 'sc', { spec: { replicas: 5 } }, 'merge', 'scale');
    expect(patched).toMatchObject({ kind: 'Scale', spec: { replicas: 5 } });
    expect(spec(await cp.admin.get(ReplicationControllers, 'default', 'sc')).replicas).toBe(5);
    const put = await cp.admin.update(ReplicationControllers, 'default', 'sc', { ...patched, spec: { replicas: 4 } }, 'scale');
    expect(put).toMatchObject({ spec: { replicas: 4 } });
    expect((await failure(cp.admin.update(ReplicationControllers, 'default', 'sc', { ...patched, spec: { replicas: 1 } }, 'scale'))).code).toBe(409);
    const neg = await failure(cp.admin.patch(ReplicationControllers, 'default', 'sc', { spec: { replicas: -1 } }, 'merge', 'scale'));
    expect(neg.code).toBe(422);
    expect(neg.message).toContain('spec.replicas: Invalid value: -1: must be greater than or equal to 0');
  });

  it('prints NAME DESIRED CURRENT READY AGE (wide: containers, images, selector)', async () => {
    const t = await cp.admin.request<Table>(cp.admin.path(ReplicationControllers, 'default', 'sc'), { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    expect(t.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers', 'Images', 'Selector']);
    expect(t.rows[0]!.cells.slice(0, 4)).toEqual(['sc', 4, 0, 0]);
    expect(t.rows[0]!.cells.slice(5)).toEqual(['main', 'busybox:1.36', 'app=sc']);
  });

  it('selects by status.replicas, and a quota counts ReplicationControllers', async () => {
    await cp.admin.update(ReplicationControllers, 'default', 'mut', { ...(await cp.admin.get(ReplicationControllers, 'default', 'mut')), status: { replicas: 2 } }, 'status');
    const two = await cp.admin.list(ReplicationControllers, 'default', { fieldSelector: 'status.replicas=2' });
    expect(two.items.map((o) => o.metadata?.name)).toEqual(['mut']);
    const bad = await failure(cp.admin.list(ReplicationControllers, 'default', { fieldSelector: 'spec.replicas=2' }));
    expect(bad.code).toBe(400);
    await cp.admin.create(Namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'rc-quota' } });
    await cp.admin.create(ResourceQuotas, 'rc-quota', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'rcs' }, spec: { hard: { replicationcontrollers: '1' } } });
    await cp.admin.create(ReplicationControllers, 'rc-quota', rc('first'));
    const over = await failure(cp.admin.create(ReplicationControllers, 'rc-quota', rc('second')));
    expect(over.code).toBe(403);
    expect(over.message).toContain('exceeded quota: rcs, requested: replicationcontrollers=1, used: replicationcontrollers=1, limited: replicationcontrollers=1');
  });

  it('is in discovery as rc (category all) with status and scale, and in OpenAPI', async () => {
    const list = await cp.admin.request<{ resources: { name: string; shortNames?: string[]; categories?: string[]; kind: string; group?: string; namespaced: boolean }[] }>('/api/v1');
    const byName = new Map(list.resources.map((r) => [r.name, r]));
    expect(byName.get('replicationcontrollers')).toMatchObject({ kind: 'ReplicationController', shortNames: ['rc'], categories: ['all'], namespaced: true });
    expect(byName.get('replicationcontrollers/status')).toMatchObject({ kind: 'ReplicationController' });
    expect(byName.get('replicationcontrollers/scale')).toMatchObject({ kind: 'Scale', group: 'autoscaling' });
    const openapi = await cp.admin.request<{ paths: Record<string, unknown>; components: { schemas: Record<string, { properties?: Record<string, any>; required?: string[] }> } }>('/openapi/v3/api/v1');
    expect(openapi.paths['/api/v1/namespaces/{namespace}/replicationcontrollers/{name}/scale']).toBeDefined();
    const def = openapi.components.schemas['io.k8s.api.core.v1.ReplicationControllerSpec']!;
    expect(def.properties?.selector).toMatchObject({ type: 'object', additionalProperties: { type: 'string' } });
    expect(openapi.components.schemas['io.k8s.api.core.v1.ReplicationControllerList']?.required).toEqual(['items']);
  });
});
