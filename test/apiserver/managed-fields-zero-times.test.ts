// managedFields count a null zero time as a field, as 1.32 records them: a Deployment created
// without template metadata times has `f:creationTimestamp: {}` under its template's f:metadata
// (the template stores Go's `creationTimestamp: null`), a pod condition's `lastProbeTime: null`
// is `f:lastProbeTime`, and kubectl apply --server-side of a manifest from kubectl create
// --dry-run=client -o yaml owns the template's creationTimestamp, shared without a conflict.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../pkg/api/types.js';
import { Deployments, Pods } from '../../pkg/client/rest-client.js';
import { startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

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
  it("a created Deployment's template creationTimestamp is its creator's field", async () => {
    const d = await cp.admin.request<KubeObject>(cp.admin.path(Deployments, 'default'), { method: 'POST', body: deployment('zt-create', {}), query: { fieldManager: 'kubectl-create' } });
    expect((d as { spec: { template: { metadata: Record<string, unknown> } } }).spec.template.metadata).toEqual({ creationTimestamp: null, labels: { app: 'zt-create' } });
    expect(templateMeta(d, 'kubectl-create')).toEqual({ '.': {}, 'f:creationTimestamp': {}, 'f:labels': { '.': {}, 'f:app': {} } });
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
});
