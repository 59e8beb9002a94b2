// ObjectMeta's owner references and finalizers through the API, with 1.32's 422 texts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { core, CustomResourceDefinitions, Deployments, Leases, Namespaces, RuntimeClasses, type RestClient } from '../../pkg/client/rest-client.js';
import { eventually, failure, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;
let admin: RestClient;
const ConfigMaps = core('configmaps');

beforeAll(async () => {
  cp = await startControlPlane();
  admin = cp.admin;
});
afterAll(async () => {
  await cp?.stop();
});

const configMap = (name: string, metadata: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...metadata } });
const refused = async (p: Promise<unknown>) => {
  const e = await failure(p);
  return [e.code, e.message];
};

describe('owner references', () => {
  it('names a reference field without an index', async () => {
    expect(await refused(admin.create(ConfigMaps, 'default', configMap('nameless-owner', { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: '', uid: 'u1' }] })))).toEqual([
      422,
      'ConfigMap "nameless-owner" is invalid: metadata.ownerReferences.name: Invalid value: "": name must not be empty',
    ]);
  });

  it('refuses an Event as an owner', async () => {
    const ref = { apiVersion: 'v1', kind: 'Event', name: 'ev', uid: 'u2', blockOwnerDeletion: false };
    expect(await refused(admin.create(ConfigMaps, 'default', configMap('event-owned', { ownerReferences: [ref] })))).toEqual([
      422,
      'ConfigMap "event-owned" is invalid: metadata.ownerReferences: Invalid value: v1.OwnerReference{APIVersion:"v1", Kind:"Event", Name:"ev", UID:"u2", Controller:(*bool)(nil), BlockOwnerDeletion:(*bool)(false)}: /v1, Kind=Event is disallowed from being an owner',
    ]);
  });

  it('names both controllers when two claim the object', async () => {
    const ref = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', name, uid: `uid-${name}`, controller: true });
    const e = await failure(admin.create(ConfigMaps, 'default', configMap('two-controllers', { ownerReferences: [ref('a'), ref('b')] })));
    expect(e.code).toBe(422);
    expect(e.message).toMatch(/^ConfigMap "two-controllers" is invalid: metadata\.ownerReferences: Invalid value: \[\]v1\.OwnerReference\{.*\}: Only one reference can have Controller set to true\. Found "true" in references for ConfigMap\/a and ConfigMap\/b$/);
  });
});

describe('finalizers', () => {
  it('takes a finalizer twice, and reports one that is not a qualified name at the list', async () => {
    const twice = await admin.create(ConfigMaps, 'default', configMap('finalized-twice', { finalizers: ['example.com/a', 'example.com/a'] }));
    expect(twice.metadata?.finalizers).toEqual(['example.com/a', 'example.com/a']);
    await admin.patch(ConfigMaps, 'default', 'finalized-twice', { metadata: { finalizers: null } });
    await admin.delete(ConfigMaps, 'default', 'finalized-twice');
    const [code, message] = await refused(admin.create(ConfigMaps, 'default', configMap('bad-finalizer', { finalizers: ['example.com/a b'] })));
    expect(code).toBe(422);
    expect(message).toMatch(/^ConfigMap "bad-finalizer" is invalid: metadata\.finalizers: Invalid value: "example\.com\/a b": name part must consist of /);
  });

  it('refuses orphan with foregroundDeletion', async () => {
    expect(await refused(admin.create(ConfigMaps, 'default', configMap('both-ways', { finalizers: ['orphan', 'foregroundDeletion'] })))).toEqual([
      422,
      'ConfigMap "both-ways" is invalid: metadata.finalizers: Invalid value: []string{"orphan", "foregroundDeletion"}: finalizer orphan and foregroundDeletion cannot be both set',
    ]);
  });

  it('refuses an unqualified finalizer that is not a standard one on core-validated kinds, at its index; Leases and RuntimeClasses take it', async () => {
    const why = 'name is neither a standard finalizer name nor is it fully qualified';
    expect(await refused(admin.create(ConfigMaps, 'default', configMap('nodomain', { finalizers: ['kubernetes', 'nodomain'] })))).toEqual([
      422,
      `ConfigMap "nodomain" is invalid: metadata.finalizers[1]: Invalid value: "nodomain": ${why}`,
    ]);
    // apps validation imports core's ValidateObjectMeta too.
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'nodomain', finalizers: ['nodomain'] }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } };
    expect(await refused(admin.create(Deployments, 'default', deployment))).toEqual([422, `Deployment.apps "nodomain" is invalid: metadata.finalizers[0]: Invalid value: "nodomain": ${why}`]);
    // A namespace's spec.finalizers are reported at the list (ValidateNamespace).
    expect(await refused(admin.create(Namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'nodomain' }, spec: { finalizers: ['nodomain'] } }))).toEqual([
      422,
      `Namespace "nodomain" is invalid: spec.finalizers: Invalid value: "nodomain": ${why}`,
    ]);
    // coordination.k8s.io and node.k8s.io validate metadata with apimachinery's checks alone.
    const lease = await admin.create(Leases, 'default', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'nodomain', finalizers: ['nodomain'] }, spec: {} });
    expect(lease.metadata?.finalizers).toEqual(['nodomain']);
    await admin.patch(Leases, 'default', 'nodomain', { metadata: { finalizers: null } });
    await admin.delete(Leases, 'default', 'nodomain');
    const rc = await admin.create(RuntimeClasses, undefined, { apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'nodomain', finalizers: ['nodomain'] }, handler: 'runc' });
    expect(rc.metadata?.finalizers).toEqual(['nodomain']);
    await admin.patch(RuntimeClasses, undefined, 'nodomain', { metadata: { finalizers: null } });
    await admin.delete(RuntimeClasses, undefined, 'nodomain');
  });

  it('lets a custom resource, and its CRD, carry an unqualified finalizer (apiextensions uses the generic checks)', async () => {
    await admin.create(CustomResourceDefinitions, undefined, {
      metadata: { name: 'widgets.meta.example.com', finalizers: ['nodomain'] },
      spec: { group: 'meta.example.com', scope: 'Namespaced', names: { plural: 'widgets', kind: 'Widget' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
    });
    const Widgets = { group: 'meta.example.com', version: 'v1', resource: 'widgets', namespaced: true };
    const w = await eventually(() => admin.create(Widgets, 'default', { apiVersion: 'meta.example.com/v1', kind: 'Widget', metadata: { name: 'w', finalizers: ['nodomain'] } }), { what: 'the Widget served' });
    expect(w.metadata?.finalizers).toEqual(['nodomain']);
    await admin.patch(Widgets, 'default', 'w', { metadata: { finalizers: null } });
  });
});
