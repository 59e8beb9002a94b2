// The strategies' WarningsOnCreate and WarningsOnUpdate against the real apiserver: Warning
// headers for pods, workload templates, claims and custom resources' finalizers, as 1.32 sends
// them (kubectl prints each as `Warning: ...`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callWithWarnings, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;
beforeAll(async () => {
  cp = await startControlPlane();
});
afterAll(async () => {
  await cp?.stop(true);
});

const call = (method: string, path: string, body?: unknown, type?: string) => callWithWarnings(cp, method, path, body, type);
const container = { name: 'c', image: 'busybox:1.36', command: ['sleep', '3600'], resources: { requests: { memory: '100m' } }, env: [{ name: 'A', value: '1' }, { name: 'A', value: '2' }] };

describe('warnings on write', () => {
  it('a pod: its name, fractional bytes and an env var defined twice; none on update', async () => {
    const made = await call('POST', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'warn.pod' }, spec: { containers: [container], nodeSelector: { 'beta.kubernetes.io/arch': 'amd64' } } });
    expect(made.code).toBe(201);
    expect(made.warnings).toEqual([
      "metadata.name: this is used in the Pod's hostname, which can result in surprising behavior; a DNS label is recommended: [must not contain dots]",
      'spec.nodeSelector[beta.kubernetes.io/arch]: deprecated since v1.14; use "kubernetes.io/arch" instead',
      'spec.containers[0].resources.requests[memory]: fractional byte value "100m" is invalid, must be an integer',
      'spec.containers[0].env[1]: hides previous definition of "A", which may be dropped when using apply',
    ]);
    const labelled = await call('PATCH', '/api/v1/namespaces/default/pods/warn.pod', { metadata: { labels: { a: 'b' } } }, 'application/merge-patch+json');
    expect([labelled.code, labelled.warnings]).toEqual([200, []]);
  });

  it('a Deployment: its name and its template under spec.template, again only when the template changes', async () => {
    const body = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'warn.deploy' }, spec: { selector: { matchLabels: { app: 'w' } }, template: { metadata: { labels: { app: 'w' } }, spec: { containers: [container] } } } };
    const made = await call('POST', '/apis/apps/v1/namespaces/default/deployments', body);
    expect(made.code).toBe(201);
    expect(made.warnings).toEqual([
      'metadata.name: this is used in Pod names and hostnames, which can result in surprising behavior; a DNS label is recommended: [must not contain dots]',
      'spec.template.spec.containers[0].resources.requests[memory]: fractional byte value "100m" is invalid, must be an integer',
      'spec.template.spec.containers[0].env[1]: hides previous definition of "A", which may be dropped when using apply',
    ]);
    const scaled = await call('PATCH', '/apis/apps/v1/namespaces/default/deployments/warn.deploy', { spec: { replicas: 2 } }, 'application/merge-patch+json');
    expect([scaled.code, scaled.warnings]).toEqual([200, []]);
    const changed = await call('PATCH', '/apis/apps/v1/namespaces/default/deployments/warn.deploy', { spec: { template: { metadata: { labels: { app: 'w', v: '2' } } } } }, 'application/merge-patch+json');
    expect(changed.warnings).toHaveLength(2);
    // (a dry run is warned of too)
    const dry = await call('POST', '/apis/apps/v1/namespaces/default/deployments?dryRun=All', { ...body, metadata: { name: 'warn-dry' } });
    expect([dry.code, dry.warnings.length]).toEqual([201, 2]);
  });

  it('a claim asking for a fractional number of bytes, with the beta storage class annotation', async () => {
    const made = await call('POST', '/api/v1/namespaces/default/persistentvolumeclaims', {
      apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'warn-claim', annotations: { 'volume.beta.kubernetes.io/storage-class': 'x' } },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1.5' } } },
    });
    expect(made.code).toBe(201);
    expect(made.warnings).toEqual([
      'metadata.annotations[volume.beta.kubernetes.io/storage-class]: deprecated since v1.8; use "storageClassName" attribute instead',
      'spec.resources.requests[storage]: fractional byte value "1500m" is invalid, must be an integer',
    ]);
  });

  it('a custom resource given a finalizer without a path', async () => {
    const crd = await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'gadgets.warn.example.com' },
      spec: { group: 'warn.example.com', names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' }, scope: 'Namespaced', versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
    });
    expect(crd.code).toBe(201);
    let made = { code: 0, warnings: [] as string[] };
    for (let i = 0; i < 50 && made.code !== 201; i++) {
      made = await call('POST', '/apis/warn.example.com/v1/namespaces/default/gadgets', { apiVersion: 'warn.example.com/v1', kind: 'Gadget', metadata: { name: 'g', finalizers: ['cleanup', 'example.com', 'example.com/ok'] } });
      if (made.code !== 201) await new Promise((r) => setTimeout(r, 100));
    }
    expect(made.warnings).toEqual([
      'metadata.finalizers: "cleanup": prefer a domain-qualified finalizer name to avoid accidental conflicts with other finalizer writers',
      'metadata.finalizers: "example.com": prefer a domain-qualified finalizer name including a path (/) to avoid accidental conflicts with other finalizer writers',
    ]);
    // (only finalizers an update adds)
    const again = await call('PATCH', '/apis/warn.example.com/v1/namespaces/default/gadgets/g', { metadata: { labels: { a: 'b' } } }, 'application/merge-patch+json');
    expect([again.code, again.warnings]).toEqual([200, []]);
  });

  it('duplicate owner references are dropped with a warning: before admission on create and update, after it on a patch', async () => {
    // (dedupOwnerReferencesAndAddWarning: the same reference twice is stored once; the same uid with another field is kept)
    const ns = await call('GET', '/api/v1/namespaces/default');
    const ref = { apiVersion: 'v1', kind: 'Namespace', name: 'default', uid: (ns.body.metadata as { uid: string }).uid };
    const before = `.metadata.ownerReferences contains duplicate entries; API server dedups owner references in 1.20+, and may reject such requests as early as 1.24; please fix your requests; duplicate UID(s) observed: ${ref.uid}`;
    const made = await call('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dup-owners', ownerReferences: [ref, ref, { ...ref, controller: false }] } });
    expect([made.code, made.warnings, (made.body.metadata as { ownerReferences: unknown[] }).ownerReferences]).toEqual([201, [before], [ref, { ...ref, controller: false }]]);
    const put = await call('PUT', '/api/v1/namespaces/default/configmaps/dup-owners', { ...made.body, metadata: { ...(made.body.metadata as object), ownerReferences: [ref, ref] } });
    expect([put.code, put.warnings, (put.body.metadata as { ownerReferences: unknown[] }).ownerReferences]).toEqual([200, [before], [ref]]);
    const patched = await call('PATCH', '/api/v1/namespaces/default/configmaps/dup-owners', { metadata: { ownerReferences: [ref, ref] } }, 'application/merge-patch+json');
    expect([patched.code, patched.warnings, (patched.body.metadata as { ownerReferences: unknown[] }).ownerReferences]).toEqual([200, [before.replace('duplicate entries;', 'duplicate entries after mutating admission happens;')], [ref]]);
  });
});
