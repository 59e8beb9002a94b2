// Custom resources and the aggregated ClusterRoles, with the controller manager running: a
// ClusterRole labelled rbac.authorization.k8s.io/aggregate-to-view (as operators ship for their
// CRDs) adds its rules to `view`, so a user bound to view reads the custom resources; without
// it, view does not cover them. cluster-admin covers them from the start.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterRoleBindings, ClusterRoles, CustomResourceDefinitions, RestClient, RoleBindings, type ResourceRef } from '../../pkg/client/rest-client.js';
import { eventually, failure, type TestControlPlane } from '../helpers/control-plane.js';
import { startWithControllers } from '../helpers/workloads.js';

let cp: TestControlPlane;
let env: Awaited<ReturnType<typeof startWithControllers>> | undefined;

beforeAll(async () => {
  env = await startWithControllers('rest');
  cp = env.cp;
});
afterAll(async () => {
  await env?.stop();
});

const Gadgets: ResourceRef = { group: 'toys.example.com', version: 'v1', resource: 'gadgets', namespaced: true };
const as = (user: string, groups: string[] = []) => new RestClient(cp.config, { headers: { 'Impersonate-User': user, ...(groups.length ? { 'Impersonate-Group': groups } : {}) } });

describe('custom resources and aggregated roles', () => {
  it('view covers a CRD once a role aggregated to it names the resource; cluster-admin always', async () => {
    await cp.admin.create(CustomResourceDefinitions, undefined, {
      metadata: { name: 'gadgets.toys.example.com' },
      spec: { group: 'toys.example.com', scope: 'Namespaced', names: { plural: 'gadgets', kind: 'Gadget' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
    });
    await eventually(() => cp.admin.create(Gadgets, 'default', { apiVersion: 'toys.example.com/v1', kind: 'Gadget', metadata: { name: 'g1' } }), { what: 'gadgets served' });
    await cp.admin.create(RoleBindings, 'default', { metadata: { name: 'viewer' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'viewer', apiGroup: 'rbac.authorization.k8s.io' }] });
    const viewer = as('viewer');
    await cp.admin.create(ClusterRoleBindings, undefined, { metadata: { name: 'root-admin' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'User', name: 'root', apiGroup: 'rbac.authorization.k8s.io' }] });
    const root = as('root');
    try {
      await eventually(async () => (await failure(viewer.list(Gadgets, 'default'))).status?.code === 403, { what: 'view does not cover gadgets' });
      expect((await eventually(() => root.list(Gadgets, 'default'), { what: 'cluster-admin lists gadgets' })).items).toHaveLength(1);
      await cp.admin.create(ClusterRoles, undefined, {
        metadata: { name: 'gadgets-view', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } },
        rules: [{ apiGroups: ['toys.example.com'], resources: ['gadgets'], verbs: ['get', 'list', 'watch'] }],
      });
      await eventually(() => viewer.list(Gadgets, 'default'), { what: 'view aggregated the gadgets rule', timeoutMs: 15_000 });
      expect((await failure(viewer.create(Gadgets, 'default', { apiVersion: 'toys.example.com/v1', kind: 'Gadget', metadata: { name: 'g2' } }))).status?.code).toBe(403);
    } finally {
      viewer.close();
      root.close();
    }
  });
});
