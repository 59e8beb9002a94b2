// apps/v1 ReplicaSet and Deployment against apiserver+etcd: defaults, validation with
// Kubernetes' messages and paths, generation, the scale subresource, tables, discovery, and
// DELETE with propagationPolicy (the garbage collector's finalizers).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../pkg/api/types.js';
import { Deployments, ReplicaSets } from '../../pkg/client/rest-client.js';
import { callWithWarnings, failure, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { deployment, replicaSet } from '../helpers/workloads.js';

let cp: TestControlPlane;
beforeAll(async () => {
  cp = await startControlPlane();
});
afterAll(async () => {
  await cp?.stop();
});

const spec = (o: KubeObject) => o.spec as Record<string, any>;

describe('apps/v1 kinds', () => {
  it('defaults a Deployment as Kubernetes does, the template with the pod spec defaults', async () => {
    const d = deployment('defaults', 2);
    delete spec(d).replicas;
    const got = await cp.admin.create(Deployments, 'default', d);
    expect(spec(got)).toMatchObject({ replicas: 1, revisionHistoryLimit: 10, progressDeadlineSeconds: 600, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } });
    expect(spec(got).template.spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30, schedulerName: 'default-scheduler' });
    expect(spec(got).template.spec.containers[0]).toMatchObject({ imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log' });
    expect(spec(got).template.spec.tolerations).toBeUndefined();
    expect(got.metadata?.generation).toBe(1);
    const rs = await cp.admin.create(ReplicaSets, 'default', replicaSet('rs-defaults', 0));
    expect(spec(rs).replicas).toBe(0);
  });

  it('rejects bad specs with 422 and Kubernetes field paths', async () => {
    const cases: [KubeObject, string][] = [
      [{ ...deployment('nosel'), spec: { ...spec(deployment('nosel')), selector: undefined } }, 'spec.selector: Required value'],
      [{ ...deployment('mismatch'), spec: { ...spec(deployment('mismatch')), selector: { matchLabels: { app: 'other' } } } }, 'Deployment.apps "mismatch" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"mismatch"}: `selector` does not match template `labels`'],
      [deployment('neg', -1), 'spec.replicas: Invalid value: -1: must be greater than or equal to 0'],
      [deployment('surge', 1, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } }), 'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0'],
      [deployment('pct', 1, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '120%' } } }), 'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: must not be greater than 100%'],
      [deployment('recreate', 1, { strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } }), "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"],
      [deployment('deadline', 1, { minReadySeconds: 10, progressDeadlineSeconds: 5 }), 'spec.progressDeadlineSeconds: Invalid value: 5: must be greater than minReadySeconds'],
    ];
    for (const [obj, message] of cases) {
      const e = await failure(cp.admin.create(Deployments, 'default', obj));
      expect(e.code, message).toBe(422);
      expect(e.message).toContain(message);
    }
    const bad = replicaSet('badtpl');
    spec(bad).template.spec.restartPolicy = 'Never';
    spec(bad).template.spec.containers[0].name = 'Bad_Name';
    const e = await failure(cp.admin.create(ReplicaSets, 'default', bad));
    expect(e.message).toContain('spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"');
    expect(e.message).toContain('spec.template.spec.containers[0].name: Invalid value: "Bad_Name"');
    const unknown = deployment('unknown');
    spec(unknown).replica = 3;
    const u = await failure(cp.admin.create(Deployments, 'default', unknown));
    expect(u.message).toContain('unknown field "spec.replica"');
  });

  it('bumps generation on spec changes only, keeps the selector immutable and status to the status subresource', async () => {
    const d = await cp.admin.create(Deployments, 'default', deployment('gen', 1));
    const labeled = await cp.admin.patch(Deployments, 'default', 'gen', { metadata: { labels: { x: 'y' } }, status: { replicas: 7 } });
    expect(labeled.metadata?.generation).toBe(1);
    expect(labeled.status).toEqual({});
    const scaled = await cp.admin.patch(Deployments, 'default', 'gen', { spec: { replicas: 3 } });
    expect(scaled.metadata?.generation).toBe(2);
    const e = await failure(cp.admin.patch(Deployments, 'default', 'gen', { spec: { selector: { matchLabels: { app: 'gen', tier: 'x' } }, template: { metadata: { labels: { app: 'gen', tier: 'x' } } } } }));
    expect(e.code).toBe(422);
    expect(e.message).toContain('spec.selector: Invalid value');
    expect(e.message).toContain('field is immutable');
    const st = await cp.admin.update(Deployments, 'default', 'gen', { ...scaled, status: { replicas: 2, observedGeneration: 2 } }, 'status');
    expect(st.status).toMatchObject({ replicas: 2, observedGeneration: 2 });
    expect(d.metadata?.uid).toBe(st.metadata?.uid);
    // A status write takes the body's annotations (deploymentStatusStrategy resets only spec and
    // labels) without a new generation; its spec and labels are the stored ones.
    const annotated = await cp.admin.patch(Deployments, 'default', 'gen', { metadata: { annotations: { note: 'by status' }, labels: { x: 'z' } }, spec: { replicas: 9 } }, 'merge', 'status');
    expect([annotated.metadata?.annotations?.note, annotated.metadata?.labels?.x, (annotated.spec as { replicas: number }).replicas, annotated.metadata?.generation]).toEqual(['by status', 'y', 3, 2]);
    // A PUT of the same spec with its keys in another order (client-go writes Go's struct order)
    // and a null for an absent field is no spec change (Semantic.DeepEqual), so no new generation.
    const reversed = (v: unknown): unknown => (Array.isArray(v) ? v.map(reversed) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)])) : v);
    const relabeled = { ...annotated, metadata: { ...annotated.metadata, labels: { x: 'w' } }, spec: { ...(reversed(annotated.spec) as object), paused: null } };
    const put = await cp.admin.update(Deployments, 'default', 'gen', relabeled);
    expect([put.metadata?.labels?.x, put.metadata?.generation]).toEqual(['w', 2]);
  });

  it('serves the scale subresource as autoscaling/v1 Scale (GET, PUT, merge PATCH)', async () => {
    await cp.admin.create(Deployments, 'default', deployment('sc', 2));
    const s = await cp.admin.request<KubeObject>(cp.admin.path(Deployments, 'default', 'sc', 'scale'));
    expect(s).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 2 }, status: { replicas: 0, selector: 'app=sc' } });
    const patched = await cp.admin.patch(Deployments, 'default', 'sc', { spec: { replicas: 5 } }, 'merge', 'scale');
    expect(patched).toMatchObject({ kind: 'Scale', spec: { replicas: 5 } });
    expect(spec(await cp.admin.get(Deployments, 'default', 'sc')).replicas).toBe(5);
    const put = await cp.admin.update(Deployments, 'default', 'sc', { ...patched, spec: { replicas: 4 } }, 'scale');
    expect(put).toMatchObject({ spec: { replicas: 4 } });
    const stale = await failure(cp.admin.update(Deployments, 'default', 'sc', { ...patched, spec: { replicas: 1 } }, 'scale'));
    expect(stale.code).toBe(409);
    const neg = await failure(cp.admin.patch(Deployments, 'default', 'sc', { spec: { replicas: -1 } }, 'merge', 'scale'));
    expect(neg.code).toBe(422);
    expect(neg.message).toContain('Scale.autoscaling "sc" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
    // (status.selector is LabelSelectorAsSelector(...).String(): a matchExpressions In of one
    // value stays set-based, as the HPA and kubectl get rs -o wide see it)
    const rs = replicaSet('sc-expr', 0);
    spec(rs).selector = { matchExpressions: [{ key: 'app', operator: 'In', values: ['sc-expr'] }] };
    await cp.admin.create(ReplicaSets, 'default', rs);
    const rsScale = await cp.admin.request<KubeObject>(cp.admin.path(ReplicaSets, 'default', 'sc-expr', 'scale'));
    expect(rsScale.status).toEqual({ replicas: 0, selector: 'app in (sc-expr)' });
    // (an unknown field of a Scale body is dropped with a warning when no fieldValidation is asked: Warn)
    const warned = await callWithWarnings(cp, 'PATCH', cp.admin.path(Deployments, 'default', 'sc', 'scale'), { spec: { replicas: 3, bogus: 1 } }, 'application/merge-patch+json');
    expect([warned.code, warned.warnings, (warned.body.spec as { replicas: number }).replicas]).toEqual([200, ['unknown field "spec.bogus"'], 3]);
    // (a body that does not decode is a 400 of its own, with no ValidateScale error after it)
    const undecodable = await failure(cp.admin.update(Deployments, 'default', 'sc', { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'sc' }, spec: { replicas: 'x' } }, 'scale'));
    expect([undecodable.code, undecodable.message]).toEqual([400, 'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal string into Go struct field ScaleSpec.spec.replicas of type int32']);
  });

  it('lists apps in discovery with the all category and the scale subresource', async () => {
    const list = await cp.admin.request<{ resources: { name: string; shortNames?: string[]; categories?: string[]; kind: string; group?: string }[] }>('/apis/apps/v1');
    const byName = new Map(list.resources.map((r) => [r.name, r]));
    expect(byName.get('deployments')).toMatchObject({ kind: 'Deployment', shortNames: ['deploy'], categories: ['all'] });
    expect(byName.get('replicasets')).toMatchObject({ kind: 'ReplicaSet', shortNames: ['rs'], categories: ['all'] });
    expect(byName.get('deployments/scale')).toMatchObject({ kind: 'Scale', group: 'autoscaling' });
    const openapi = await cp.admin.request<{ paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } }>('/openapi/v3/apis/apps/v1');
    expect(openapi.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale']).toBeDefined();
    expect(openapi.components.schemas['io.k8s.api.apps.v1.Deployment']).toBeDefined();
    expect(openapi.components.schemas['io.k8s.api.autoscaling.v1.Scale']).toBeDefined();
  });

  it('DELETE with Foreground or Orphan keeps the object with the GC finalizer; Background removes it', async () => {
    await cp.admin.create(ReplicaSets, 'default', replicaSet('fg', 0));
    const fg = await cp.admin.delete(ReplicaSets, 'default', 'fg', { propagationPolicy: 'Foreground' });
    expect(fg.metadata).toMatchObject({ finalizers: ['foregroundDeletion'], deletionGracePeriodSeconds: 0 });
    expect(fg.metadata?.deletionTimestamp).toBeTruthy();
    await cp.admin.create(ReplicaSets, 'default', replicaSet('or', 0));
    const or = await cp.admin.delete(ReplicaSets, 'default', 'or', { propagationPolicy: 'Orphan' });
    expect(or.metadata?.finalizers).toEqual(['orphan']);
    // Background on an object waiting for its finalizer drops it, and the object goes.
    await cp.admin.delete(ReplicaSets, 'default', 'or', { propagationPolicy: 'Background' });
    expect((await failure(cp.admin.get(ReplicaSets, 'default', 'or'))).code).toBe(404);
    const bad = await failure(cp.admin.delete(ReplicaSets, 'default', 'fg', { propagationPolicy: 'Sideways' as never }));
    expect(bad.code).toBe(422);
    expect(bad.message).toContain('Unsupported value: "Sideways"');
  });
});
