// The garbage collector against a real apiserver+etcd: Background deletion of a Deployment
// removes its ReplicaSets and pods; Foreground keeps the owner (finalizer foregroundDeletion)
// until its blocking dependents are gone; Orphan strips the dependents' references and keeps
// them; a dependent whose owner no longer exists (by uid) is deleted, and one with a live owner
// left only loses the dangling reference; a custom resource's dependents go with it; a
// dependent naming an owner of another namespace gets a Warning and is collected.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../pkg/api/types.js';
import { core, CustomResourceDefinitions, Deployments, EndpointSlices, Events, Jobs, Namespaces, Pods, ReplicaSets, ReplicationControllers, Services, StatusError } from '../../pkg/client/rest-client.js';
import { eventually, sleep, type TestControlPlane } from '../helpers/control-plane.js';
import { deployment, job, replicaSet, startWithControllers } from '../helpers/workloads.js';

let cp: TestControlPlane;
const ConfigMaps = core('configmaps');
let env: Awaited<ReturnType<typeof startWithControllers>> | undefined;

beforeAll(async () => {
  // The controllers talk gRPC here, as a cluster's controller manager does by default. (The
  // collector looks for new CRDs every second, not every 10 s: the custom resource tests wait on it.)
  env = await startWithControllers('grpc', { garbageCollectorRecheckMs: 1000 });
  cp = env.cp;
});
afterAll(async () => {
  await env?.stop();
});

const count = async (ref: typeof Pods, selector: string) => (await cp.admin.list(ref, 'default', { labelSelector: selector })).items.length;
const gone = async (ref: typeof Pods, name: string) => {
  try {
    await cp.admin.get(ref, 'default', name);
    return false;
  } catch (e) {
    return e instanceof StatusError && e.code === 404;
  }
};
const ownedConfigMap = (name: string, owners: KubeObject[], extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ownerReferences: owners.map((o) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata!.name, uid: o.metadata!.uid, blockOwnerDeletion: true })), ...extra },
  data: { k: 'v' },
});

describe('garbage collector', () => {
  it('Background: deleting a Deployment removes its ReplicaSet and pods', async () => {
    await cp.admin.create(Deployments, 'default', deployment('bg', 2));
    await eventually(async () => (await count(Pods, 'app=bg')) === 2 && (await count(ReplicaSets, 'app=bg')) === 1);
    await cp.admin.delete(Deployments, 'default', 'bg', { propagationPolicy: 'Background' });
    await eventually(async () => (await count(Pods, 'app=bg')) === 0 && (await count(ReplicaSets, 'app=bg')) === 0, { what: 'dependents of bg gone' });
  });

  it('Foreground: the owner stays, with foregroundDeletion, until its blocking dependents are gone', async () => {
    const rs = await cp.admin.create(ReplicaSets, 'default', replicaSet('fg', 2));
    await eventually(async () => (await count(Pods, 'app=fg')) === 2);
    // A dependent that cannot go yet (its own finalizer) holds the owner.
    await cp.admin.create(ConfigMaps, 'default', ownedConfigMap('fg-hold', [rs], { finalizers: ['example.com/hold'] }));
    const deleting = await cp.admin.delete(ReplicaSets, 'default', 'fg', { propagationPolicy: 'Foreground' });
    expect(deleting.metadata?.finalizers).toContain('foregroundDeletion');
    await eventually(async () => (await count(Pods, 'app=fg')) === 0, { what: 'pods of fg deleted' });
    const held = await eventually(async () => {
      const c = await cp.admin.get(ConfigMaps, 'default', 'fg-hold');
      return c.metadata?.deletionTimestamp ? c : undefined;
    });
    await sleep(300);
    expect((await cp.admin.get(ReplicaSets, 'default', 'fg')).metadata?.finalizers).toEqual(['foregroundDeletion']);
    await cp.admin.patch(ConfigMaps, 'default', 'fg-hold', { metadata: { resourceVersion: held.metadata?.resourceVersion, finalizers: null } });
    await eventually(() => gone(ReplicaSets, 'fg'), { what: 'fg gone after its last dependent' });
    expect(await gone(ConfigMaps, 'fg-hold')).toBe(true);
  });

  it('Orphan: dependents lose their reference and stay; the owner goes', async () => {
    await cp.admin.create(ReplicaSets, 'default', replicaSet('orph', 2));
    await eventually(async () => (await count(Pods, 'app=orph')) === 2);
    await cp.admin.delete(ReplicaSets, 'default', 'orph', { propagationPolicy: 'Orphan' });
    await eventually(() => gone(ReplicaSets, 'orph'), { what: 'orph gone' });
    const pods = (await cp.admin.list(Pods, 'default', { labelSelector: 'app=orph' })).items;
    expect(pods).toHaveLength(2);
    for (const p of pods) expect(p.metadata?.ownerReferences).toBeUndefined();
  });

  it('a ReplicationController or a Job deleted with no propagationPolicy orphans its pods, their kinds\' default; an explicit Background removes them', async () => {
    // 1.32's rcStrategy (core/v1) and jobStrategy (batch/v1) default to OrphanDependents, so a
    // client-go or curl DELETE leaves the pods running; tskube deleted them.
    const rc = await cp.admin.create(ReplicationControllers, 'default', {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'rc-def' },
      spec: { replicas: 2, template: { metadata: { labels: { app: 'rc-def' } }, spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] } } },
    });
    await cp.admin.create(Jobs, 'default', job('job-def', { parallelism: 2, completions: 2 }));
    await eventually(async () => (await count(Pods, 'app=rc-def')) === 2 && (await count(Pods, 'job-name=job-def')) === 2, { what: 'pods of rc-def and job-def' });
    const deleting = await cp.admin.delete(ReplicationControllers, 'default', 'rc-def');
    expect([deleting.metadata?.uid, deleting.metadata?.finalizers]).toEqual([rc.metadata?.uid, ['orphan']]);
    expect((await cp.admin.delete(Jobs, 'default', 'job-def')).metadata?.finalizers).toEqual(['orphan']);
    await eventually(async () => (await gone(ReplicationControllers as typeof Pods, 'rc-def')) && (await gone(Jobs as typeof Pods, 'job-def')), { what: 'rc-def and job-def gone' });
    await sleep(300);
    for (const sel of ['app=rc-def', 'job-name=job-def']) {
      const pods = (await cp.admin.list(Pods, 'default', { labelSelector: sel })).items;
      expect(pods.map((p) => [p.metadata?.deletionTimestamp, p.metadata?.ownerReferences])).toEqual([[undefined, undefined], [undefined, undefined]]);
    }
    // A named policy wins over the default (kubectl names Background unless told otherwise).
    await cp.admin.create(ReplicationControllers, 'default', {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'rc-bg' },
      spec: { replicas: 1, template: { metadata: { labels: { app: 'rc-bg' } }, spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] } } },
    });
    await eventually(async () => (await count(Pods, 'app=rc-bg')) === 1);
    await cp.admin.delete(ReplicationControllers, 'default', 'rc-bg', { propagationPolicy: 'Background' });
    await eventually(async () => (await count(Pods, 'app=rc-bg')) === 0 && (await gone(ReplicationControllers as typeof Pods, 'rc-bg')), { what: 'rc-bg and its pod gone' });
  });

  it('deletes a dependent whose owner does not exist (by uid), and drops only the dangling reference when a live owner remains', async () => {
    const live = await cp.admin.create(ConfigMaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'live-owner' } });
    const ghost = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'live-owner', uid: '00000000-0000-0000-0000-000000000000' } };
    await cp.admin.create(ConfigMaps, 'default', ownedConfigMap('dangling', [ghost]));
    await cp.admin.create(ConfigMaps, 'default', ownedConfigMap('half', [ghost, live]));
    await eventually(() => gone(ConfigMaps, 'dangling'), { what: 'dangling dependent collected' });
    const half = await eventually(async () => {
      const c = await cp.admin.get(ConfigMaps, 'default', 'half');
      return c.metadata?.ownerReferences?.length === 1 ? c : undefined;
    });
    expect(half.metadata?.ownerReferences?.[0]?.uid).toBe(live.metadata?.uid);
  });

  it('a Service owns what refers to it: a user\'s EndpointSlice and ConfigMap go with it', async () => {
    const svc = await cp.admin.create(Services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'owner-svc' }, spec: { ports: [{ port: 80 }] } });
    const ownerRef = { apiVersion: 'v1', kind: 'Service', name: 'owner-svc', uid: svc.metadata!.uid };
    await cp.admin.create(EndpointSlices, 'default', { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'owner-svc-manual', ownerReferences: [ownerRef], labels: { 'kubernetes.io/service-name': 'owner-svc' } }, addressType: 'IPv4', endpoints: [{ addresses: ['10.244.0.9'] }], ports: [{ port: 80 }] });
    await cp.admin.create(ConfigMaps, 'default', ownedConfigMap('svc-dependent', [{ ...svc, apiVersion: 'v1', kind: 'Service' } as KubeObject]));
    await sleep(300);
    expect(await gone(EndpointSlices as typeof Pods, 'owner-svc-manual')).toBe(false);
    await cp.admin.delete(Services, 'default', 'owner-svc');
    await eventually(async () => (await gone(EndpointSlices as typeof Pods, 'owner-svc-manual')) && (await gone(ConfigMaps, 'svc-dependent')), { what: 'the Service\'s dependents collected' });
  });

  it('a dependent whose owner lives in another namespace gets an OwnerRefInvalidNamespace Warning and is collected', async () => {
    for (const name of ['gc-owner-ns', 'gc-dep-ns']) await cp.admin.create(Namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    const owner = await cp.admin.create(ConfigMaps, 'gc-owner-ns', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other' } });
    const dep = await cp.admin.create(ConfigMaps, 'gc-dep-ns', ownedConfigMap('cross', [{ ...owner, apiVersion: 'v1', kind: 'ConfigMap' } as KubeObject]));
    await eventually(async () => {
      try {
        await cp.admin.get(ConfigMaps, 'gc-dep-ns', 'cross');
        return false;
      } catch (e) {
        return e instanceof StatusError && e.code === 404;
      }
    }, { what: 'the cross-namespace dependent collected' });
    const ev = await eventually(async () => (await cp.admin.list(Events, 'gc-dep-ns', { fieldSelector: 'involvedObject.name=cross' })).items.find((e) => e.reason === 'OwnerRefInvalidNamespace'), { what: 'the OwnerRefInvalidNamespace event' });
    const io = ev.involvedObject as Record<string, string>;
    expect([ev.type, ev.message, (ev.source as { component: string }).component, io.kind, io.apiVersion, io.uid]).toEqual([
      'Warning',
      `ownerRef [v1/ConfigMap, namespace: gc-dep-ns, name: other, uid: ${owner.metadata!.uid}] does not exist in namespace "gc-dep-ns"`,
      'garbage-collector-controller',
      'ConfigMap',
      'v1',
      dep.metadata!.uid,
    ]);
    // The owner itself is untouched.
    expect((await cp.admin.get(ConfigMaps, 'gc-owner-ns', 'other')).metadata?.uid).toBe(owner.metadata!.uid);
  });

  it('a custom resource owns what refers to it: deleting it collects its dependents', async () => {
    await cp.admin.create(CustomResourceDefinitions, undefined, {
      metadata: { name: 'apps.ops.example.com' },
      spec: { group: 'ops.example.com', scope: 'Namespaced', names: { plural: 'apps', kind: 'App' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
    });
    const Apps = { group: 'ops.example.com', version: 'v1', resource: 'apps', namespaced: true };
    const app = await eventually(() => cp.admin.create(Apps, 'default', { apiVersion: 'ops.example.com/v1', kind: 'App', metadata: { name: 'shop' }, spec: { size: 1 } }), { what: 'the App served' });
    await cp.admin.create(ConfigMaps, 'default', ownedConfigMap('shop-config', [app]));
    await sleep(500);
    expect(await gone(ConfigMaps, 'shop-config')).toBe(false);
    await cp.admin.delete(Apps as typeof Pods, 'default', 'shop');
    await eventually(() => gone(ConfigMaps, 'shop-config'), { what: 'the App\'s ConfigMap collected', timeoutMs: 25_000 });
  }, 40_000);

  it('dependents of every deletable kind are collected: a ServiceAccount, Role and Ingress of a ConfigMap, a custom resource of a custom resource', async () => {
    // 1.32's collector monitors every resource discovery lists with list, watch and delete
    // (events aside), custom resources included; tskube watched a fixed dozen kinds and left
    // the others' dependents in place for good.
    const owner = await cp.admin.create(ConfigMaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kinds-owner' } });
    const ownerReferences = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'kinds-owner', uid: owner.metadata!.uid }];
    const ServiceAccounts = core('serviceaccounts');
    const Roles = { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'roles', namespaced: true };
    const Ingresses = { group: 'networking.k8s.io', version: 'v1', resource: 'ingresses', namespaced: true };
    await cp.admin.create(ServiceAccounts, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'owned-sa', ownerReferences } });
    await cp.admin.create(Roles, 'default', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'owned-role', ownerReferences }, rules: [] });
    await cp.admin.create(Ingresses, 'default', { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'owned-ing', ownerReferences }, spec: { defaultBackend: { service: { name: 'x', port: { number: 80 } } } } });
    await cp.admin.create(CustomResourceDefinitions, undefined, {
      metadata: { name: 'widgets.parts.example.com' },
      spec: { group: 'parts.example.com', scope: 'Namespaced', names: { plural: 'widgets', kind: 'Widget' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
    });
    const Widgets = { group: 'parts.example.com', version: 'v1', resource: 'widgets', namespaced: true };
    const parent = await eventually(() => cp.admin.create(Widgets, 'default', { apiVersion: 'parts.example.com/v1', kind: 'Widget', metadata: { name: 'parent' } }), { what: 'Widgets served' });
    await cp.admin.create(Widgets, 'default', { apiVersion: 'parts.example.com/v1', kind: 'Widget', metadata: { name: 'child', ownerReferences: [{ apiVersion: 'parts.example.com/v1', kind: 'Widget', name: 'parent', uid: parent.metadata!.uid }] } });
    await sleep(500);
    expect(await gone(ServiceAccounts as typeof Pods, 'owned-sa')).toBe(false);
    await cp.admin.delete(ConfigMaps, 'default', 'kinds-owner');
    await cp.admin.delete(Widgets as typeof Pods, 'default', 'parent');
    await eventually(async () => (await gone(ServiceAccounts as typeof Pods, 'owned-sa')) && (await gone(Roles as typeof Pods, 'owned-role')) && (await gone(Ingresses as typeof Pods, 'owned-ing')), { what: 'the ConfigMap\'s dependents of other kinds collected' });
    await eventually(() => gone(Widgets as typeof Pods, 'child'), { what: 'the Widget owned by a Widget collected', timeoutMs: 25_000 });
    // Foreground deletion of those kinds ends too: their foregroundDeletion finalizer is the
    // collector's to take off (a ServiceAccount or custom resource deleted so stayed for good).
    await cp.admin.create(ServiceAccounts, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'fg-sa' } });
    await cp.admin.create(Widgets, 'default', { apiVersion: 'parts.example.com/v1', kind: 'Widget', metadata: { name: 'fg-widget' } });
    expect((await cp.admin.delete(ServiceAccounts, 'default', 'fg-sa', { propagationPolicy: 'Foreground' })).metadata?.finalizers).toEqual(['foregroundDeletion']);
    await cp.admin.delete(Widgets, 'default', 'fg-widget', { propagationPolicy: 'Foreground' });
    await eventually(async () => (await gone(ServiceAccounts as typeof Pods, 'fg-sa')) && (await gone(Widgets as typeof Pods, 'fg-widget')), { what: 'the foreground deletions done' });
  }, 40_000);
});
