// The apiserver against a real etcd: CRUD of every kind, optimistic concurrency, Status bodies,
// selectors, graceful deletion, persistence across restarts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Events, Leases, Namespaces, Nodes, Pods, StatusError, type RestClient } from '../../pkg/client/rest-client.js';
import type { KubeObject } from '../../pkg/api/types.js';
import { callWithWarnings, eventually, freezeEtcd, node, pod, rawRequest, startControlPlane, statusCode, type TestControlPlane, failure } from '../helpers/control-plane.js';
import { hasKubectl, kubectlOk } from '../helpers/kubectl.js';

let cp: TestControlPlane;
let admin: RestClient;
const cacheDir = mkdtempSync(join(tmpdir(), 'kubectl-cache-'));

beforeAll(async () => {
  cp = await startControlPlane();
  admin = cp.admin;
});
afterAll(async () => {
  await cp?.stop();
  rmSync(cacheDir, { recursive: true, force: true });
});

describe('bootstrap', () => {
  it('creates the default namespaces', async () => {
    const list = await admin.list(Namespaces);
    const names = list.items.map((n) => n.metadata?.name);
    expect(names).toEqual(expect.arrayContaining(['default', 'kube-system', 'kube-node-lease', 'kube-public']));
    for (const ns of list.items) expect((ns.status as { phase?: string }).phase).toBe('Active');
  });
});

describe('pods', () => {
  it('create fills uid, creationTimestamp, resourceVersion, defaults and clears status (no generation: 1.32 keeps none for pods)', async () => {
    const base = pod('p1') as { spec: Record<string, unknown> };
    const created = await admin.create(Pods, 'default', { ...base, spec: { ...base.spec, hostUsers: false }, status: { phase: 'Running', podIP: '1.2.3.4' } });
    const m = created.metadata!;
    expect(m.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(m.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(m.generation).toBeUndefined();
    expect(Number(m.resourceVersion)).toBeGreaterThan(0);
    expect((created.status as { phase?: string; podIP?: string }).phase).toBe('Pending');
    expect((created.status as { podIP?: string }).podIP).toBeUndefined();
    const spec = created.spec as { restartPolicy?: string; terminationGracePeriodSeconds?: number; schedulerName?: string; containers: { imagePullPolicy?: string }[] };
    expect(spec.restartPolicy).toBe('Always');
    expect(spec.terminationGracePeriodSeconds).toBe(30);
    expect(spec.schedulerName).toBe('default-scheduler');
    expect(spec.containers[0]!.imagePullPolicy).toBe('IfNotPresent');
    // (user namespaces are a feature gate Kubernetes 1.32 leaves off: its apiserver drops hostUsers)
    expect('hostUsers' in spec).toBe(false);
    const got = await admin.get(Pods, 'default', 'p1');
    expect(got.metadata?.resourceVersion).toBe(m.resourceVersion);
    // Re-sent with the field (a manifest applied again), it is no change.
    const again = await admin.update(Pods, 'default', 'p1', { ...got, spec: { ...(got.spec as object), hostUsers: false } });
    expect(again.metadata?.resourceVersion).toBe(m.resourceVersion);
  });

  it('create of an existing name is 409 AlreadyExists with a Status body', async () => {
    const e = await failure(admin.create(Pods, 'default', pod('p1')));
    expect(e.code).toBe(409);
    expect(e.status).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'AlreadyExists', code: 409, details: { name: 'p1', kind: 'pods' } });
    expect(e.message).toBe('pods "p1" already exists');
  });

  it('get of a missing object is 404 NotFound', async () => {
    const e = await failure(admin.get(Pods, 'default', 'nope'));
    expect(e.code).toBe(404);
    expect(e.status).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'pods "nope" not found', code: 404 });
  });

  it('update with a stale resourceVersion is 409 Conflict; a pod gets no generation from a request', async () => {
    const cur = await admin.get(Pods, 'default', 'p1');
    const labelled = await admin.update(Pods, 'default', 'p1', { ...cur, metadata: { ...cur.metadata, labels: { app: 'p1', tier: 'web' }, generation: 7 } });
    expect(labelled.metadata?.generation).toBeUndefined();
    expect(Number(labelled.metadata?.resourceVersion)).toBeGreaterThan(Number(cur.metadata?.resourceVersion));
    const e = await failure(admin.update(Pods, 'default', 'p1', { ...cur, metadata: { ...cur.metadata, labels: { app: 'stale' } } }));
    expect(e.code).toBe(409);
    expect(e.reason).toBe('Conflict');
    expect(e.message).toContain('the object has been modified');
    const spec = structuredClone(labelled.spec) as { containers: { image: string }[] };
    spec.containers[0]!.image = 'busybox:1.37';
    const imaged = await admin.update(Pods, 'default', 'p1', { ...labelled, spec });
    expect(imaged.metadata?.generation).toBeUndefined();
  });

  it('metadata.generation as 1.32 keeps it: only kinds whose strategy tracks it; a client\'s kept on create elsewhere, never taken on update; bumped by a deletion request', async () => {
    const deployments = { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true };
    const d = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'gen', labels: { app: 'gen' }, generation: 9, finalizers: ['example.com/hold'] }, spec: { replicas: 1, selector: { matchLabels: { app: 'gen' } }, template: { metadata: { labels: { app: 'gen' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } } } };
    const made = await admin.create(deployments, 'default', d);
    expect(made.metadata?.generation).toBe(1);
    // (a deployment's annotations count too: kubectl rollout's change-cause; labels do not)
    const annotated = await admin.patch(deployments, 'default', 'gen', { metadata: { annotations: { 'kubernetes.io/change-cause': 'x' } } });
    expect(annotated.metadata?.generation).toBe(2);
    const labelled = await admin.patch(deployments, 'default', 'gen', { metadata: { labels: { tier: 'web' } } });
    expect(labelled.metadata?.generation).toBe(2);
    // The first deletion request is a new generation; the object stays for its finalizer.
    const deleting = await admin.delete(deployments, 'default', 'gen');
    expect(deleting.metadata?.generation).toBe(3);
    await admin.patch(deployments, 'default', 'gen', { metadata: { finalizers: null } });
    // A ConfigMap keeps none, but one a client gives on create stays (BeforeCreate leaves it).
    const cm = await admin.create({ group: '', version: 'v1', resource: 'configmaps', namespaced: true }, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'gen', generation: 4 }, data: { a: 'b' } });
    expect(cm.metadata?.generation).toBe(4);
    const plain = await admin.create({ group: '', version: 'v1', resource: 'configmaps', namespaced: true }, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'gen-plain' }, data: { a: 'b' } });
    expect(plain.metadata?.generation).toBeUndefined();
    const changed = await admin.patch({ group: '', version: 'v1', resource: 'configmaps', namespaced: true }, 'default', 'gen-plain', { metadata: { generation: 3 }, data: { a: 'c' } });
    expect(changed.metadata?.generation).toBeUndefined();
  });

  it('an update changing an immutable pod field is 422 Invalid naming spec', async () => {
    const cur = await admin.get(Pods, 'default', 'p1');
    const spec = structuredClone(cur.spec) as { containers: { name: string; command?: string[] }[] };
    spec.containers[0]!.command = ['sleep', '1'];
    const e = await failure(admin.update(Pods, 'default', 'p1', { ...cur, spec }));
    expect(e.code).toBe(422);
    expect(e.reason).toBe('Invalid');
    expect(e.message).toContain('spec: Forbidden: pod updates may not change fields');
  });

  it("a patch that cannot be applied fails as patch.go's: 400 for a malformed one, a bare 422 for a JSON patch, the merge library's 500 for a strategic one", async () => {
    const notList = await failure(admin.patch(Pods, 'default', 'p1', { op: 'add' }, 'json'));
    // (decoded strictly into patch.go's []jsonPatchOp unless fieldValidation is Ignore, when the library's jsonpatch.Patch tells it)
    expect([notList.code, notList.message]).toEqual([400, 'error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp']);
    const ignored = await failure(admin.request(`${admin.path(Pods, 'default')}/p1?fieldValidation=Ignore`, { method: 'PATCH', body: '{"op":"add"}', contentType: 'application/json-patch+json' }));
    expect([ignored.code, ignored.message]).toEqual([400, 'json: cannot unmarshal object into Go value of type jsonpatch.Patch']);
    const notOp = await failure(admin.patch(Pods, 'default', 'p1', ['add'], 'json'));
    expect(notOp.message).toBe('error decoding patch: json: cannot unmarshal string into Go value of type handlers.jsonPatchOp');
    const test = await failure(admin.patch(Pods, 'default', 'p1', [{ op: 'test', path: '/metadata/name', value: 'other' }], 'json'));
    expect([test.code, test.reason, test.message]).toEqual([422, 'Invalid', 'the server rejected our request due to an error in our request']);
    const merge = await failure(admin.patch(Pods, 'default', 'p1', [1], 'merge'));
    // (decoded strictly into a map first in Warn, the default: kubectl patch --type=merge -p x)
    expect([merge.code, merge.reason, merge.message]).toEqual([400, 'BadRequest', 'error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}']);
    const mergeString = await failure(admin.patch(Pods, 'default', 'p1', '"x"', 'merge'));
    expect([mergeString.code, mergeString.message]).toEqual([400, 'error decoding patch: json: cannot unmarshal string into Go value of type map[string]interface {}']);
    const mergeNull = await failure(admin.request(`${admin.path(Pods, 'default')}/p1`, { method: 'PATCH', body: 'null', contentType: 'application/merge-patch+json' }));
    expect([mergeNull.code, mergeNull.message]).toEqual([500, 'Invalid JSON Patch']);
    const mergeIgnored = await failure(admin.request(`${admin.path(Pods, 'default')}/p1?fieldValidation=Ignore`, { method: 'PATCH', body: '3', contentType: 'application/merge-patch+json' }));
    expect([mergeIgnored.code, mergeIgnored.message]).toEqual([500, 'Invalid JSON Patch']);
    // (strategicPatchObject's decoding into a map, a BadRequest; kubectl patch -p x sends "x")
    const smpString = await failure(admin.patch(Pods, 'default', 'p1', '"x"', 'strategic'));
    expect([smpString.code, smpString.reason, smpString.message]).toEqual([400, 'BadRequest', 'json: cannot unmarshal string into Go value of type map[string]interface {}']);
    const smpList = await failure(admin.patch(Pods, 'default', 'p1', [1], 'strategic'));
    expect([smpList.code, smpList.message]).toEqual([400, 'json: cannot unmarshal array into Go value of type map[string]interface {}']);
    const smpNull = await admin.request<KubeObject>(`${admin.path(Pods, 'default')}/p1`, { method: 'PATCH', body: 'null', contentType: 'application/strategic-merge-patch+json' });
    expect(smpNull.metadata?.name).toBe('p1');
    // A value of the wrong type is the unstructured converter's error, a 422 naming the patch as Go's %v prints it
    const smpType = await failure(admin.patch(Pods, 'default', 'p1', { spec: { containers: 'x' } }, 'strategic'));
    expect([smpType.code, smpType.reason, smpType.message]).toEqual([422, 'Invalid', ' "" is invalid: patch: Invalid value: "map[spec:map[containers:x]]": cannot restore slice from string']);
    const smpNumber = await failure(admin.patch(Pods, 'default', 'p1', { spec: { containers: [{ name: 'main', image: 1 }] } }, 'strategic'));
    expect(smpNumber.message).toBe(' "" is invalid: patch: Invalid value: "map[spec:map[containers:[map[image:1 name:main]]]]": cannot convert int64 to string');
    const smpInt = await failure(admin.patch(Pods, 'default', 'p1', { spec: { activeDeadlineSeconds: 'x' } }, 'strategic'));
    expect(smpInt.message).toBe(' "" is invalid: patch: Invalid value: "map[spec:map[activeDeadlineSeconds:x]]": unrecognized type: int64');
    const smpStruct = await failure(admin.patch(Pods, 'default', 'p1', { spec: { securityContext: 'x' } }, 'strategic'));
    expect(smpStruct.message).toBe(' "" is invalid: patch: Invalid value: "map[spec:map[securityContext:x]]": cannot restore struct from: string');
    // A merge or JSON patch's result is decoded by the JSON decoder: its error, a 422 naming the patched document
    const current = await admin.get(Pods, 'default', 'p1');
    const mergeType = await failure(admin.patch(Pods, 'default', 'p1', { spec: { containers: 'x' } }, 'merge'));
    expect([mergeType.code, mergeType.reason, mergeType.status?.details?.causes]).toEqual([422, 'Invalid', [{ reason: 'FieldValueInvalid', field: 'patch', message: expect.stringMatching(/^Invalid value: "\{\\"apiVersion\\":\\"v1\\",\\"kind\\":\\"Pod\\",\\"metadata\\":\{/) }]]);
    // (the document as json-patch v4 writes it: the top level and spec, which the patch opened, by
    // key; metadata and status as encoding/json wrote the Go struct, in its field order)
    const quoted = /^ "" is invalid: patch: Invalid value: ("\{.*\}"): json: cannot unmarshal string into Go struct field PodSpec\.spec\.containers of type \[\]v1\.Container$/.exec(mergeType.message);
    const doc = JSON.parse(JSON.parse(quoted![1]!)) as Record<string, Record<string, unknown>>;
    const inOrder = (o: object, order: string[]) => order.filter((k) => k in o);
    expect(Object.keys(doc)).toEqual(Object.keys(doc).sort());
    expect(Object.keys(doc.spec!)).toEqual(Object.keys(current.spec as object).sort());
    expect(doc.spec!.containers).toBe('x');
    const META_ORDER = ['name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields'];
    expect(Object.keys(doc.metadata!)).toEqual(inOrder(current.metadata!, META_ORDER));
    const STATUS_ORDER = ['observedGeneration', 'phase', 'conditions', 'message', 'reason', 'nominatedNodeName', 'hostIP', 'hostIPs', 'podIP', 'podIPs', 'startTime', 'initContainerStatuses', 'containerStatuses', 'qosClass', 'ephemeralContainerStatuses', 'resize', 'resourceClaimStatuses'];
    expect(Object.keys(doc.status!)).toEqual(inOrder(current.status as object, STATUS_ORDER));
    expect(Object.keys(doc.status!).length).toBeGreaterThan(1);
    const jsonType = await failure(admin.patch(Pods, 'default', 'p1', [{ op: 'add', path: '/spec/activeDeadlineSeconds', value: 'x' }], 'json'));
    expect([jsonType.code, jsonType.reason]).toEqual([422, 'Invalid']);
    expect(jsonType.message).toMatch(/^ "" is invalid: patch: Invalid value: "\{.*\\"activeDeadlineSeconds\\":\\"x\\".*\}": json: cannot unmarshal string into Go struct field PodSpec\.spec\.activeDeadlineSeconds of type int64$/);
    const noKey = await failure(admin.patch(Pods, 'default', 'p1', { spec: { containers: [{ image: 'x' }] } }, 'strategic'));
    expect([noKey.code, noKey.message]).toEqual([500, 'map: map[image:x] does not contain declared merge key: name']);
    const directive = await failure(admin.patch(Pods, 'default', 'p1', { metadata: { labels: { $patch: 'bogus' } } }, 'strategic'));
    expect([directive.code, directive.message]).toEqual([500, 'unknown patch type: bogus in map: map[$patch:bogus]']);
  });

  it("a patch bringing an unknown field under fieldValidation=Strict is patch.go's 422 naming the patch, not a 400 about the object", async () => {
    const strict = (contentType: string, body: string) => failure(admin.request(`${admin.path(Pods, 'default')}/p1?fieldValidation=Strict`, { method: 'PATCH', body, contentType }));
    const smp = await strict('application/strategic-merge-patch+json', '{"spec":{"bogus":1}}');
    expect([smp.code, smp.reason, smp.message]).toEqual([422, 'Invalid', ' "" is invalid: patch: Invalid value: "map[spec:map[bogus:1]]": strict decoding error: unknown field "spec.bogus"']);
    expect(smp.status?.details?.causes).toEqual([{ reason: 'FieldValueInvalid', field: 'patch', message: 'Invalid value: "map[spec:map[bogus:1]]": strict decoding error: unknown field "spec.bogus"' }]);
    const merge = await strict('application/merge-patch+json', '{"spec":{"bogus":1}}');
    expect([merge.code, merge.reason]).toEqual([422, 'Invalid']);
    expect(merge.message).toMatch(/^ "" is invalid: patch: Invalid value: "\{\\"apiVersion\\":\\"v1\\",\\"kind\\":\\"Pod\\",\\"metadata\\":\{\\"name\\":\\"p1\\",.*\\"spec\\":\{.*\\"bogus\\":1,.*\}": strict decoding error: unknown field "spec\.bogus"$/);
    const json = await strict('application/json-patch+json', '[{"op":"add","path":"/spec/bogus","value":1}]');
    expect([json.code, json.message]).toEqual([422, merge.message]);
    // (in Warn, kubectl's default, it is a warning and the patch goes through)
    expect((await callWithWarnings(cp, 'PATCH', `${admin.path(Pods, 'default')}/p1?fieldValidation=Warn`, { spec: { bogus: 1 } }, 'application/merge-patch+json')).code).toBe(200);
  });

  it('an invalid pod is 422 with one cause per field', async () => {
    const bad = pod('Bad_Name');
    (bad.spec as { containers: unknown[] }).containers = [];
    const e = await failure(admin.create(Pods, 'default', bad));
    expect(e.code).toBe(422);
    const causes = (e.status?.details as { causes: { field: string }[] }).causes.map((c) => c.field);
    expect(causes).toEqual(expect.arrayContaining(['metadata.name', 'spec.containers']));
  });

  it('an unknown field is 400 with fieldValidation=Strict, pruned with Ignore', async () => {
    const body = pod('p-unknown');
    (body.spec as { containers: Record<string, unknown>[] }).containers[0]!.imagePullPolicyy = 'Always';
    const e = await failure(admin.create(Pods, 'default', body));
    expect(e.code).toBe(400);
    expect(e.message).toContain('Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].imagePullPolicyy"');
    // (the message names the version the object was sent in, as Kubernetes': v2 for autoscaling/v2)
    const hpa = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd' }, maxReplicas: 2, bogus: 1 } };
    expect((await failure(admin.create({ group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers', namespaced: true }, 'default', hpa))).message).toContain('HorizontalPodAutoscaler in version "v2" cannot be handled as a HorizontalPodAutoscaler: strict decoding error: unknown field "spec.bogus"');
    const created = await admin.create(Pods, 'default', body, { fieldValidation: 'Ignore' });
    expect((created.spec as { containers: Record<string, unknown>[] }).containers[0]!.imagePullPolicyy).toBeUndefined();
    await admin.delete(Pods, 'default', 'p-unknown');
  });

  it('a mistyped body is 400 naming the field; malformed JSON is 400', async () => {
    const body = pod('p-typed');
    (body.spec as { containers: Record<string, unknown>[] }).containers[0]!.ports = [{ containerPort: 'eighty' }];
    const e = await failure(admin.create(Pods, 'default', body));
    expect(e.code).toBe(400);
    // Go's decoder's words (the first wrong value stops it); the cause keeps our indexed path.
    expect(e.message).toBe('Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32');
    expect(e.status?.details?.causes?.[0]).toMatchObject({ field: 'spec.containers[0].ports[0].containerPort', reason: 'FieldValueTypeInvalid' });
    const e2 = await failure(admin.request(admin.path(Pods, 'default'), { method: 'POST', body: '{"apiVersion": "v1", "kind": ', contentType: 'application/json' }));
    expect(e2.code).toBe(400);
    expect(e2.status).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
  });

  it('takes numbers for quantities (cpu: 1) and stores them as strings', async () => {
    const body = pod('p-numeric-quantity');
    (body.spec as { containers: Record<string, unknown>[] }).containers[0]!.resources = { limits: { cpu: 1, memory: 134217728 }, requests: { cpu: 0.5 } };
    const created = await admin.create<KubeObject & { spec: { containers: { resources: unknown }[] } }>(Pods, 'default', body);
    expect(created.spec.containers[0]!.resources).toEqual({ limits: { cpu: '1', memory: '134217728' }, requests: { cpu: '500m', memory: '134217728' } });
    await admin.delete(Pods, 'default', 'p-numeric-quantity', { gracePeriodSeconds: 0 });
  });

  it('a subresource the resource does not have is 404, as an unknown route', async () => {
    for (const path of ['/api/v1/namespaces/default/pods/p1/resize', '/api/v1/namespaces/default/configmaps/x/status', '/api/v1/nodes/n/binding']) {
      const e = await failure(admin.request(path));
      expect(e.code).toBe(404);
      expect(e.message).toBe('the server could not find the requested resource');
    }
  });

  it('routes as kube-apiserver installs them: 405 for a method a path has no route for, 404 for extra segments', async () => {
    const cms = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };
    const cm = (name: string, namespace = 'default') => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { a: 'b' } });
    await admin.create(cms, 'default', cm('routed'));
    for (const [method, path] of [['POST', '/api/v1/configmaps'], ['POST', '/api/v1/namespaces/default/configmaps/routed'], ['PUT', '/api/v1/namespaces/default/configmaps'], ['PATCH', '/api/v1/namespaces/default/configmaps'], ['DELETE', '/api/v1/configmaps']] as const) {
      const e = await failure(admin.request(path, { method, body: cm('other'), contentType: method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' }));
      expect([method, path, e.code, e.message]).toEqual([method, path, 405, 'the server does not allow this method on the requested resource']);
    }
    const extra = await failure(admin.request('/api/v1/namespaces/default/pods/p1/status/extra'));
    expect(extra.code).toBe(404);
    // Dry runs: an existing name conflicts; dryRun takes only All.
    const again = await failure(admin.create(cms, 'default', cm('routed'), { dryRun: 'All' }));
    expect(again.code).toBe(409);
    const bad = await failure(admin.create(cms, 'default', cm('never'), { dryRun: 'Foo' }));
    expect([bad.code, bad.message]).toEqual([422, 'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Foo"}: supported values: "All"']);
    await failure(admin.get(cms, 'default', 'never'));
    // The other options of a write are validated alike (every problem at once); a read takes none of them.
    const opts = await failure(admin.create(cms, 'default', cm('never'), { fieldManager: 'a\tb', fieldValidation: 'Bogus' }));
    expect([opts.code, opts.message]).toEqual([422, 'CreateOptions.meta.k8s.io "" is invalid: [fieldManager: Invalid value: "a\\tb": invalid character U+0009 (at position 1), fieldValidation: Unsupported value: "Bogus": supported values: "", "Ignore", "Strict", "Warn"]']);
    const long = await failure(admin.request('/api/v1/namespaces/default/configmaps/routed', { method: 'PUT', body: await admin.get(cms, 'default', 'routed'), query: { fieldManager: 'é'.repeat(65) } }));
    expect([long.code, long.message]).toEqual([422, 'UpdateOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes']);
    const forced = await failure(admin.request('/api/v1/namespaces/default/configmaps/routed', { method: 'PATCH', body: { data: { c: 'd' } }, contentType: 'application/merge-patch+json', query: { force: 'false' } }));
    expect([forced.code, forced.message]).toEqual([422, 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch']);
    const unmanaged = await failure(admin.request('/api/v1/namespaces/default/configmaps/routed', { method: 'PATCH', body: cm('routed'), contentType: 'application/apply-patch+yaml' }));
    expect([unmanaged.code, unmanaged.message]).toEqual([422, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch']);
    expect((await admin.request<KubeObject>('/api/v1/namespaces/default/configmaps/routed', { query: { fieldValidation: 'Bogus', fieldManager: 'a\tb' } })).metadata?.name).toBe('routed');
    // An update's body in another namespace is refused, not moved.
    const cur = await admin.get(cms, 'default', 'routed');
    const moved = await failure(admin.update(cms, 'default', 'routed', { ...cur, metadata: { ...cur.metadata, namespace: 'kube-system' } }));
    expect([moved.code, moved.message]).toEqual([400, 'the namespace of the provided object does not match the namespace sent on the request']);
    // A body whose kind is another's, or whose media type has no decoder.
    const secret = await failure(admin.create(cms, 'default', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } }));
    expect(secret.message).toBe('Secret in version "v1" cannot be handled as a ConfigMap: converting (v1.Secret) to (core.ConfigMap): unknown conversion');
    const text = await failure(admin.request('/api/v1/namespaces/default/configmaps', { method: 'POST', body: JSON.stringify(cm('t')), contentType: 'text/plain' }));
    expect([text.code, text.status?.reason]).toEqual([415, 'UnsupportedMediaType']);
    // A PATCH in a media type that is not a patch type names the patch types, as PatchResource does.
    for (const contentType of ['application/json', 'text/plain']) {
      const notPatch = await failure(admin.request('/api/v1/namespaces/default/configmaps/routed', { method: 'PATCH', body: { data: { c: 'd' } }, contentType }));
      expect([notPatch.code, notPatch.message]).toEqual([415, 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml']);
    }
    // A removed ConfigMap is answered with finalizeDelete's Status (its store does not return
    // the object); a Service, whose store does, with the object.
    const uid = (await admin.get(cms, 'default', 'routed')).metadata?.uid;
    expect(await admin.delete<Record<string, unknown>>(cms, 'default', 'routed')).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: 'routed', kind: 'configmaps', uid } });
    const svcs = { group: '', version: 'v1', resource: 'services', namespaced: true };
    await admin.create(svcs, 'default', { metadata: { name: 'returned' }, spec: { ports: [{ port: 80 }] } });
    expect(await admin.delete(svcs, 'default', 'returned')).toMatchObject({ kind: 'Service', metadata: { name: 'returned' } });
  });

  it('lists at exactly a resourceVersion (Exact, or a page of one) and validates the list options', async () => {
    const cms = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };
    const made = await admin.create(cms, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'then' } });
    const rv = made.metadata!.resourceVersion!;
    await admin.delete(cms, 'default', 'then');
    const names = (l: { items: KubeObject[] }) => l.items.map((i) => i.metadata?.name);
    expect(names(await admin.list(cms, 'default', { resourceVersion: rv, resourceVersionMatch: 'Exact' }))).toContain('then');
    expect(names(await admin.list(cms, 'default', { resourceVersion: rv, limit: 10 }))).toContain('then');
    expect(names(await admin.list(cms, 'default', { resourceVersion: rv, resourceVersionMatch: 'NotOlderThan' }))).not.toContain('then');
    const invalid = async (q: Record<string, string>, message: string) => {
      const e = await failure(admin.list(cms, 'default', q));
      expect([e.code, e.message]).toEqual([422, `ListOptions.meta.k8s.io "" is invalid: ${message}`]);
    };
    await invalid({ resourceVersionMatch: 'Exact' }, 'resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided');
    await invalid({ resourceVersion: '0', resourceVersionMatch: 'Exact' }, 'resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
    await invalid({ resourceVersion: '1', resourceVersionMatch: 'Foo' }, 'resourceVersionMatch: Unsupported value: "Foo": supported values: "Exact", "NotOlderThan", ""');
    await invalid({ sendInitialEvents: 'true' }, 'sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list');
  });

  it('answers in the form Accept asks: PartialObjectMetadata(List) for metadata clients, YAML, and 406 for none it can make', async () => {
    const cms = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };
    await admin.create(cms, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'meta-only', labels: { a: 'b' } }, data: { secret: 'x' } });
    // client-go's metadata client: protobuf first (not made here), then JSON
    const listAccept = 'application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
    const list = await admin.request<{ kind: string; apiVersion: string; metadata: { resourceVersion: string }; items: Record<string, unknown>[] }>('/api/v1/namespaces/default/configmaps', { accept: listAccept });
    expect(list).toMatchObject({ kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1' });
    const item = list.items.find((i) => (i.metadata as { name: string }).name === 'meta-only')!;
    expect(item).toEqual({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: expect.objectContaining({ name: 'meta-only', labels: { a: 'b' } }) });
    const one = await admin.request<Record<string, unknown>>('/api/v1/namespaces/default/configmaps/meta-only', { accept: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta1' });
    expect(one).toMatchObject({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1beta1' });
    expect(one.data).toBeUndefined();
    const mismatch = await failure(admin.request('/api/v1/namespaces/default/configmaps/meta-only', { accept: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1' }));
    expect(mismatch.code).toBe(406);
    const asYaml = await admin.request<string>('/api/v1/namespaces/default/configmaps/meta-only', { accept: 'application/yaml' });
    expect(asYaml).toMatch(/^apiVersion: v1\n(.*\n)*kind: ConfigMap\n/);
    // YAML as 1.32's yaml serializer writes it (go-yaml v2 through sigs.k8s.io/yaml), lists too
    const long = 'word '.repeat(20).trim();
    await admin.create(cms, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'yaml-words' }, data: { yes: 'yes', cron: '*/1 * * * *', a10: '0644', a9: long } });
    const wantData = `data:\n  a9: word word word word word word word word word word word word word word word word\n    word word word word\n  a10: "0644"\n  cron: '*/1 * * * *'\n  "yes": "yes"\n`;
    expect(await admin.request<string>('/api/v1/namespaces/default/configmaps/yaml-words', { accept: 'application/yaml' })).toContain(`apiVersion: v1\n${wantData}kind: ConfigMap\n`);
    const yamlList = await admin.request<string>('/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Dyaml-words', { accept: 'application/yaml' });
    expect(yamlList).toMatch(/^apiVersion: v1\nitems:\n- apiVersion: v1\n/);
    expect(yamlList).toContain(`  data:\n    a9: word`);
    expect(yamlList).toContain(`\n    a10: "0644"\n    cron: '*/1 * * * *'\n    "yes": "yes"\n  kind: ConfigMap\n`);
    // (a watch has no YAML: the yaml serializer has no stream serializer; the refusal is YAML too)
    const yamlWatch = await failure(admin.request('/api/v1/namespaces/default/configmaps?watch=1', { accept: 'application/yaml' }));
    expect(yamlWatch.code).toBe(406);
    const missing = await admin.request<string>('/api/v1/namespaces/default/configmaps/no-such', { accept: 'application/yaml' }).catch((e: unknown) => e);
    expect(String((missing as { message?: string }).message ?? missing)).toContain('not found');
    const html = await failure(admin.request('/api/v1/namespaces/default/configmaps/meta-only', { accept: 'text/html' }));
    expect([html.code, html.message]).toEqual([406, 'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf']);
    // A 406 is settled before the write.
    const refused = await failure(admin.request('/api/v1/namespaces/default/configmaps', { method: 'POST', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'not-made' } }, accept: 'text/html' }));
    expect(refused.code).toBe(406);
    expect((await failure(admin.get(cms, 'default', 'not-made'))).code).toBe(404);
    // A metadata-only watch gets each object as PartialObjectMetadata.
    const seen: Record<string, unknown>[] = [];
    const w = await admin.watch(cms, 'default', { resourceVersion: list.metadata.resourceVersion, fieldSelector: 'metadata.name=meta-only' }, (e) => seen.push(e.object as unknown as Record<string, unknown>), 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1');
    await admin.delete(cms, 'default', 'meta-only');
    await eventually(async () => seen.length > 0 || undefined, { what: 'the DELETED event' });
    w.stop();
    expect(seen[0]).toMatchObject({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'meta-only' } });
    expect(seen[0]!.data).toBeUndefined();
  });

  it('an empty map or list of metadata is not kept (omitempty), nor owned', async () => {
    const cms = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };
    await admin.create(cms, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'empties', labels: { a: 'b' } } });
    const patched = await admin.patch(cms, 'default', 'empties', { metadata: { annotations: {}, labels: null, finalizers: [] } });
    expect(patched.metadata).not.toHaveProperty('annotations');
    expect(patched.metadata).not.toHaveProperty('labels');
    expect(patched.metadata).not.toHaveProperty('finalizers');
    expect(JSON.stringify(patched.metadata?.managedFields ?? [])).not.toContain('f:annotations');
    await admin.delete(cms, 'default', 'empties');
  });

  it('WatchList: sendInitialEvents=true gives the state, then a bookmark marking its end, then what follows', async () => {
    const cms = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };
    await admin.create(cms, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'wl-1' } });
    const events: { type: string; name?: string; annotations?: Record<string, string> }[] = [];
    const q = { allowWatchBookmarks: true, sendInitialEvents: 'true', resourceVersionMatch: 'NotOlderThan', labelSelector: '' } as unknown as Parameters<RestClient['watch']>[2];
    const w = await admin.watch(cms, 'default', q, (e) => events.push({ type: e.type, name: e.object.metadata?.name, annotations: e.object.metadata?.annotations }));
    await eventually(async () => events.some((e) => e.type === 'BOOKMARK') || undefined, { what: 'the initial-events-end bookmark' });
    const end = events.findIndex((e) => e.type === 'BOOKMARK');
    expect(events.slice(0, end).map((e) => `${e.type} ${e.name}`)).toContain('ADDED wl-1');
    expect(events[end]!.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
    await admin.create(cms, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'wl-2' } });
    await eventually(async () => events.slice(end).some((e) => e.type === 'ADDED' && e.name === 'wl-2') || undefined, { what: 'a later event' });
    w.stop();
    // (a consistent start: an object written just before the request is always in the initial
    // events, not only once the cache's etcd watch has caught up)
    for (let i = 0; i < 20; i++) {
      await admin.create(cms, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `wl-r${i}` } });
      const seen: string[] = [];
      let done = false;
      const w2 = await admin.watch(cms, 'default', q, (e) => {
        if (e.type === 'BOOKMARK') done = true;
        else if (!done) seen.push(e.object.metadata?.name ?? '');
      });
      await eventually(async () => done || undefined, { what: 'the initial-events-end bookmark' });
      w2.stop();
      expect(seen).toContain(`wl-r${i}`);
    }
    for (let i = 0; i < 20; i++) await admin.delete(cms, 'default', `wl-r${i}`);
    // A later write of another resource takes etcd past every configmap revision: the start is
    // still prompt (it timed out with a 504 ERROR event, waiting for a configmap event at that revision).
    await admin.create(Leases, 'default', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'wl-later-write' } });
    const types: string[] = [];
    const started = Date.now();
    const w3 = await admin.watch(cms, 'default', q, (e) => types.push(e.type));
    await eventually(async () => types.includes('BOOKMARK') || types.includes('ERROR') || undefined, { what: 'the initial-events-end bookmark' });
    w3.stop();
    expect([types.includes('ERROR'), Date.now() - started < 1500]).toEqual([false, true]);
    await admin.delete(Leases, 'default', 'wl-later-write');
    const bad = await failure(admin.request('/api/v1/namespaces/default/configmaps?watch=1&sendInitialEvents=true'));
    expect(bad.message).toBe('ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
    for (const n of ['wl-1', 'wl-2']) await admin.delete(cms, 'default', n);
  });

  it('deletecollection with a limit deletes one page and answers its continue token', async () => {
    const cms = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };
    for (const n of ['dc-1', 'dc-2', 'dc-3']) await admin.create(cms, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: n, labels: { grp: 'dc' } } });
    const page = await admin.request<{ metadata: { continue?: string }; items: KubeObject[] }>('/api/v1/namespaces/default/configmaps?labelSelector=grp%3Ddc&limit=1', { method: 'DELETE' });
    expect(page.items.map((i) => i.metadata?.name)).toEqual(['dc-1']);
    expect(page.metadata.continue).toBeTruthy();
    expect((await admin.list(cms, 'default', { labelSelector: 'grp=dc' })).items.map((i) => i.metadata?.name)).toEqual(['dc-2', 'dc-3']);
    await admin.request('/api/v1/namespaces/default/configmaps?labelSelector=grp%3Ddc', { method: 'DELETE' });
  });

  it('an object being deleted takes no new finalizer', async () => {
    const cms = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };
    await admin.create(cms, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held', finalizers: ['example.com/a'] } });
    await admin.delete(cms, 'default', 'held');
    const e = await failure(admin.patch(cms, 'default', 'held', { metadata: { finalizers: ['example.com/a', 'example.com/b'] } }));
    expect([e.code, e.message]).toEqual([422, 'ConfigMap "held" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/b"}']);
    await admin.patch(cms, 'default', 'held', { metadata: { finalizers: null } });
  });

  it('takes pod-level resources and drops them, as 1.32 with PodLevelResources off', async () => {
    const body = pod('p-pod-resources');
    (body.spec as Record<string, unknown>).resources = { limits: { cpu: '1' } };
    const made = await admin.create(Pods, 'default', body);
    expect(made.spec).not.toHaveProperty('resources');
    await admin.delete(Pods, 'default', 'p-pod-resources', { gracePeriodSeconds: 0 });
  });

  it('creating in a missing namespace is 404', async () => {
    const e = await failure(admin.create(Pods, 'nowhere', pod('p2')));
    expect(e.code).toBe(404);
    expect(e.message).toBe('namespaces "nowhere" not found');
  });

  it('merge, JSON and strategic merge patches', async () => {
    const merged = await admin.patch(Pods, 'default', 'p1', { metadata: { labels: { tier: null, track: 'stable' } } }, 'merge');
    expect(merged.metadata?.labels).toEqual({ app: 'p1', track: 'stable' });
    const jsonPatched = await admin.patch(Pods, 'default', 'p1', [{ op: 'add', path: '/metadata/annotations', value: { note: 'x' } }], 'json');
    expect(jsonPatched.metadata?.annotations).toEqual({ note: 'x' });
    const e = await failure(admin.patch(Pods, 'default', 'p1', [{ op: 'test', path: '/metadata/name', value: 'other' }], 'json'));
    expect(e.code).toBe(422);
    // the patched object's resourceVersion is the precondition, whatever kind of patch set it
    const stale = await failure(admin.patch(Pods, 'default', 'p1', [{ op: 'replace', path: '/metadata/resourceVersion', value: '1' }, { op: 'add', path: '/metadata/annotations/lost', value: 'y' }], 'json'));
    expect(stale.code).toBe(409);
    expect((await admin.get(Pods, 'default', 'p1')).metadata?.annotations).toEqual({ note: 'x' });
    const rv = jsonPatched.metadata?.resourceVersion;
    const pinned = await admin.patch(Pods, 'default', 'p1', [{ op: 'replace', path: '/metadata/resourceVersion', value: rv }, { op: 'add', path: '/metadata/annotations/kept', value: 'y' }], 'json');
    expect(pinned.metadata?.annotations).toEqual({ note: 'x', kept: 'y' });
    const sm = await admin.patch(Pods, 'default', 'p1', { spec: { containers: [{ name: 'main', image: 'busybox:1.38' }] } }, 'strategic');
    const cs = (sm.spec as { containers: { name: string; image: string; command: string[] }[] }).containers;
    expect(cs).toHaveLength(1);
    expect(cs[0]).toMatchObject({ name: 'main', image: 'busybox:1.38', command: ['sleep', '3600'] });
  });

  it('label and field selectors filter lists', async () => {
    await admin.create(Pods, 'default', { ...pod('sel-a'), metadata: { name: 'sel-a', labels: { app: 'sel', color: 'red' } } });
    await admin.create(Pods, 'default', { ...pod('sel-b'), metadata: { name: 'sel-b', labels: { app: 'sel', color: 'blue' } } });
    const names = async (q: { labelSelector?: string; fieldSelector?: string }) => (await admin.list(Pods, 'default', q)).items.map((p) => p.metadata?.name).sort();
    expect(await names({ labelSelector: 'app=sel' })).toEqual(['sel-a', 'sel-b']);
    expect(await names({ labelSelector: 'app=sel,color!=red' })).toEqual(['sel-b']);
    expect(await names({ labelSelector: 'color in (red,green)' })).toEqual(['sel-a']);
    expect(await names({ labelSelector: '!color' })).not.toContain('sel-a');
    expect(await names({ fieldSelector: 'metadata.name=sel-b' })).toEqual(['sel-b']);
    expect(await names({ fieldSelector: 'metadata.namespace=default,status.phase=Pending,metadata.name=sel-a' })).toEqual(['sel-a']);
    await admin.bind('default', 'sel-a', 'node-x');
    expect(await names({ fieldSelector: 'spec.nodeName=node-x' })).toEqual(['sel-a']);
    expect(await names({ fieldSelector: 'spec.host=node-x' })).toEqual(['sel-a']);
    expect(await names({ fieldSelector: 'spec.nodeName=', labelSelector: 'app=sel' })).toEqual(['sel-b']);
    const e = await failure(admin.list(Pods, 'default', { fieldSelector: 'spec.bogus=1' }));
    expect(e.code).toBe(400);
    expect(e.message).toContain('field label not supported: spec.bogus');
    const e2 = await failure(admin.list(Pods, 'default', { labelSelector: 'a in (b' }));
    expect(e2.code).toBe(400);
    expect(e2.message).toBe("unable to parse requirement: found '', expected: ',' or ')'");
    // labels.Parse's and fields.ParseSelector's own words, with no prefix of ours
    expect((await failure(admin.list(Pods, 'default', { labelSelector: 'a=b=c' }))).message).toBe("found '=', expected: ',' or 'end of string'");
    expect((await failure(admin.list(Pods, 'default', { fieldSelector: 'bogus' }))).message).toBe("invalid selector: 'bogus'; can't understand 'bogus'");
    expect(await names({ fieldSelector: 'metadata.name=sel-b,' })).toEqual(['sel-b']);
    // a kind with no field-label conversion func: DefaultMetaV1FieldSelectorConversion's words
    const ConfigMaps = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };
    const e3 = await failure(admin.list(ConfigMaps, 'default', { fieldSelector: 'status.phase=Running' }));
    expect(e3.code).toBe(400);
    expect(e3.message).toBe('"status.phase" is not a known field selector: only "metadata.name", "metadata.namespace"');
  });

  it('lists page with limit and continue', async () => {
    for (let i = 0; i < 7; i++) await admin.create(Pods, 'default', { ...pod(`page-${i}`), metadata: { name: `page-${i}`, labels: { page: 'yes' } } });
    const seen: string[] = [];
    let cont: string | undefined;
    do {
      const page = await admin.list(Pods, 'default', { labelSelector: 'page=yes', limit: 3, continue: cont });
      expect(page.items.length).toBeLessThanOrEqual(3);
      // (with a selector, the number remaining is not known: left out, as Kubernetes does)
      expect(page.metadata).not.toHaveProperty('remainingItemCount');
      seen.push(...page.items.map((p) => p.metadata!.name!));
      cont = page.metadata.continue;
    } while (cont);
    expect(seen).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4', 'page-5', 'page-6']);
  });

  it('a large list is streamed: chunked, an item per line, the same items as paging gives; kubectl reads it', async () => {
    await admin.create(Namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'biglist' } });
    // 400 pods of about 3.5 KB: past the 1 MB where lists stop being one string.
    const note = 'x'.repeat(2500);
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < 400) {
          const name = `big-${String(next++).padStart(3, '0')}`;
          await admin.create(Pods, 'biglist', { ...pod(name), metadata: { name, annotations: { note, multiline: 'a\nb' } } });
        }
      }),
    );
    const raw = await rawRequest(cp, '/api/v1/namespaces/biglist/pods');
    expect(raw.headers['content-length']).toBeUndefined();
    expect(raw.headers['transfer-encoding']).toBe('chunked');
    const lines = raw.body.split('\n');
    expect(lines[0]).toMatch(/^\{"kind":"PodList","apiVersion":"v1","metadata":\{"resourceVersion":"\d+"\},"items":\[$/);
    expect(lines.at(-1)).toBe(']}');
    expect(lines).toHaveLength(402);
    const whole = JSON.parse(raw.body) as { items: KubeObject[] };
    expect(whole.items.map((p) => p.metadata?.name)).toEqual(Array.from({ length: 400 }, (_, i) => `big-${String(i).padStart(3, '0')}`));
    expect(whole.items[7]!.metadata?.annotations?.multiline).toBe('a\nb');

    const listed = await admin.list(Pods, 'biglist');
    expect(listed.kind).toBe('PodList');
    expect(Number(listed.metadata.resourceVersion)).toBeGreaterThan(0);
    expect(listed.items).toEqual(whole.items);
    const paged: KubeObject[] = [];
    const remaining: (number | undefined)[] = [];
    let cont: string | undefined;
    do {
      const page = await admin.list(Pods, 'biglist', { limit: 150, continue: cont });
      paged.push(...page.items);
      remaining.push((page.metadata as { remainingItemCount?: number }).remainingItemCount);
      cont = page.metadata.continue;
    } while (cont);
    // Without a selector each page but the last says how many remain (remainingItemCount).
    expect(remaining).toEqual([250, 100, undefined]);
    // ... from etcd too (a list at a resourceVersion with a limit), across namespaces, where the
    // watch cache's bookkeeping key sorts first and is no object
    const everywhere = await admin.list(Pods, undefined);
    const atRv = await admin.list(Pods, undefined, { limit: 150, resourceVersion: everywhere.metadata.resourceVersion });
    expect(atRv.items).toHaveLength(150);
    expect((atRv.metadata as { remainingItemCount?: number }).remainingItemCount).toBe(everywhere.items.length - 150);
    expect(paged.map((p) => p.metadata?.uid)).toEqual(listed.items.map((p) => p.metadata?.uid));
    if (hasKubectl) {
      const names = await kubectlOk(cp.kubeconfig, cacheDir, ['get', 'pods', '-n', 'biglist', '-o', 'name']);
      expect(names.trim().split('\n')).toHaveLength(400);
    }
    await admin.delete(Namespaces, undefined, 'biglist');
  });

  it('binding sets nodeName and PodScheduled once; a second bind is 409', async () => {
    await admin.create(Pods, 'default', pod('bindme'));
    await admin.bind('default', 'bindme', 'node-1');
    const p = await admin.get(Pods, 'default', 'bindme');
    expect((p.spec as { nodeName?: string }).nodeName).toBe('node-1');
    expect((p.status as { conditions?: { type: string; status: string }[] }).conditions).toContainEqual(expect.objectContaining({ type: 'PodScheduled', status: 'True' }));
    const e = await failure(admin.bind('default', 'bindme', 'node-2'));
    expect(e.code).toBe(409);
    expect(e.message).toContain('is already assigned to node "node-1"');
  });

  it('status subresource changes status (and metadata), never spec', async () => {
    const cur = await admin.get(Pods, 'default', 'bindme');
    const spec = cur.spec as { activeDeadlineSeconds?: number };
    const updated = await admin.update(Pods, 'default', 'bindme', { ...cur, metadata: { ...cur.metadata, labels: { hacked: 'yes' } }, spec: { ...spec, activeDeadlineSeconds: 5 }, status: { ...(cur.status as object), phase: 'Running', podIP: '10.244.0.5' } }, 'status');
    expect((updated.status as { phase: string }).phase).toBe('Running');
    expect((updated.spec as { activeDeadlineSeconds?: number }).activeDeadlineSeconds).toBe(spec.activeDeadlineSeconds);
    // (podStatusStrategy.PrepareForUpdate resets spec, not the labels and annotations sent)
    expect(updated.metadata?.labels).toEqual({ hacked: 'yes' });
    const viaMain = await admin.update(Pods, 'default', 'bindme', { ...updated, status: { phase: 'Failed' } });
    expect((viaMain.status as { phase: string }).phase).toBe('Running');
    const patched = await admin.patch(Pods, 'default', 'bindme', { status: { podIP: '10.244.0.6' } }, 'merge', 'status');
    expect((patched.status as { podIP: string }).podIP).toBe('10.244.0.6');
    // (PodCondition's times are metav1.Time values: a condition written without them is stored with nulls, as Go encodes them)
    const conditioned = await admin.patch(Pods, 'default', 'bindme', { status: { conditions: [{ type: 'example.com/gate', status: 'True' }] } }, 'strategic', 'status');
    const conds = (conditioned.status as { conditions: Record<string, unknown>[] }).conditions;
    expect(conds.find((c) => c.type === 'example.com/gate')).toEqual({ type: 'example.com/gate', status: 'True', lastProbeTime: null, lastTransitionTime: null });
    expect(conds.find((c) => c.type === 'PodScheduled')).toMatchObject({ lastProbeTime: null });
  });

  it('deleting a bound pod is graceful until the node confirms with grace 0', async () => {
    const deleted = await admin.delete(Pods, 'default', 'bindme');
    expect(deleted.metadata?.deletionTimestamp).toBeTruthy();
    expect(deleted.metadata?.deletionGracePeriodSeconds).toBe(30);
    const still = await admin.get(Pods, 'default', 'bindme');
    expect(still.metadata?.deletionTimestamp).toBeTruthy();
    // A shorter grace period shortens it; a longer one does not lengthen it.
    const shorter = await admin.delete(Pods, 'default', 'bindme', { gracePeriodSeconds: 5 });
    expect(shorter.metadata?.deletionGracePeriodSeconds).toBe(5);
    const longer = await admin.delete(Pods, 'default', 'bindme', { gracePeriodSeconds: 60 });
    expect(longer.metadata?.deletionGracePeriodSeconds).toBe(5);
    await cp.nodeClient('node-1').delete(Pods, 'default', 'bindme', { gracePeriodSeconds: 0 });
    expect((await failure(admin.get(Pods, 'default', 'bindme'))).code).toBe(404);
  });

  it('deleting an unbound pod is immediate; preconditions are checked', async () => {
    await admin.create(Pods, 'default', pod('unbound'));
    const e = await failure(admin.delete(Pods, 'default', 'unbound', { preconditions: { uid: 'not-the-uid' } }));
    expect(e.code).toBe(409);
    await admin.delete(Pods, 'default', 'unbound');
    expect((await failure(admin.get(Pods, 'default', 'unbound'))).code).toBe(404);
  });

  it('deletecollection deletes what matches', async () => {
    const res = await admin.request<{ metadata: { resourceVersion?: string }; items: KubeObject[] }>(admin.path(Pods, 'default'), { method: 'DELETE', query: { labelSelector: 'page=yes' } });
    expect(res.items).toHaveLength(7);
    // (Store.DeleteCollection answers the list it deleted from, resourceVersion and all)
    expect(Number(res.metadata.resourceVersion)).toBeGreaterThan(0);
    expect((await admin.list(Pods, 'default', { labelSelector: 'page=yes' })).items).toHaveLength(0);
  });
});

describe('other kinds', () => {
  it('nodes: create, status subresource, update, delete', async () => {
    const n = await admin.create(Nodes, undefined, node('n1'));
    expect(n.metadata?.namespace).toBeUndefined();
    const st = await admin.patch(Nodes, undefined, 'n1', { status: { conditions: [{ type: 'Ready', status: 'False', reason: 'Test' }] } }, 'merge', 'status');
    expect((st.status as { conditions: { status: string }[] }).conditions[0]!.status).toBe('False');
    const cordoned = await admin.patch(Nodes, undefined, 'n1', { spec: { unschedulable: true } }, 'merge');
    expect((cordoned.spec as { unschedulable: boolean }).unschedulable).toBe(true);
    expect((await admin.list(Nodes, undefined, { fieldSelector: 'spec.unschedulable=true' })).items).toHaveLength(1);
    await admin.delete(Nodes, undefined, 'n1');
    expect((await failure(admin.get(Nodes, undefined, 'n1'))).code).toBe(404);
  });

  it('leases: create, update with concurrency, list', async () => {
    const l = await admin.create(Leases, 'kube-node-lease', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n1' }, spec: { holderIdentity: 'n1', leaseDurationSeconds: 40 } });
    const renewed = await admin.update(Leases, 'kube-node-lease', 'n1', { ...l, spec: { ...(l.spec as object), renewTime: '2026-11-22T10:00:00.000000Z' } });
    expect((renewed.spec as { renewTime: string }).renewTime).toBe('2026-11-22T10:00:00.000000Z');
    expect((await failure(admin.update(Leases, 'kube-node-lease', 'n1', l))).code).toBe(409);
    expect((await admin.list(Leases, 'kube-node-lease')).items.map((x) => x.metadata?.name)).toContain('n1');
    await admin.delete(Leases, 'kube-node-lease', 'n1');
  });

  it('events: create, field selectors on involvedObject, delete', async () => {
    await admin.create(Events, 'default', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'p1.1' },
      involvedObject: { kind: 'Pod', namespace: 'default', name: 'p1', uid: 'u1' },
      reason: 'Scheduled',
      message: 'Successfully assigned default/p1 to n1',
      type: 'Normal',
      source: { component: 'default-scheduler' },
      count: 1,
      firstTimestamp: '2026-11-22T10:00:00Z',
      lastTimestamp: '2026-11-22T10:00:00Z',
    });
    const evs = await admin.list(Events, 'default', { fieldSelector: 'involvedObject.name=p1,involvedObject.kind=Pod' });
    expect(evs.items.map((e) => (e as { reason?: string }).reason)).toEqual(['Scheduled']);
    await admin.delete(Events, 'default', 'p1.1');
  });

  it('namespaces: create, terminate with content, protected ones refuse deletion', async () => {
    await admin.create(Namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
    await admin.create(Pods, 'team-a', pod('inside'));
    const del = await admin.delete(Namespaces, undefined, 'team-a');
    expect((del.status as { phase: string }).phase).toBe('Terminating');
    const e = await failure(admin.create(Pods, 'team-a', pod('late')));
    expect(e.code).toBe(403);
    // (NamespaceLifecycle's cause, by which a controller tells this refusal from others)
    expect((e.status?.details as { causes?: unknown[] }).causes).toEqual([{ reason: 'NamespaceTerminating', message: 'namespace team-a is being terminated', field: 'metadata.namespace' }]);
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await admin.get(Namespaces, undefined, 'team-a');
      } catch (err) {
        if (err instanceof StatusError && err.code === 404) break;
        throw err;
      }
      if (Date.now() > deadline) throw new Error('namespace team-a was not finalized');
      await new Promise((r) => setTimeout(r, 200));
    }
    expect((await failure(admin.get(Pods, 'team-a', 'inside'))).code).toBe(404);
    const forbidden = await failure(admin.delete(Namespaces, undefined, 'kube-system'));
    expect(forbidden.code).toBe(403);
  });

  it('namespaces: a delete checks its preconditions, writes nothing in a dry run, sets no deletionGracePeriodSeconds, and puts Foreground\'s finalizer on', async () => {
    // (1.32's namespace REST Delete; tskube ignored the DeleteOptions, so kubectl delete ns --dry-run=server deleted the namespace)
    const ns = await admin.create(Namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'opts-a' } });
    const uid = ns.metadata!.uid!;
    expect((await failure(admin.delete(Namespaces, undefined, 'opts-a', { preconditions: { uid: 'abc' } }))).message).toBe(`Operation cannot be fulfilled on namespaces "opts-a": Precondition failed: UID in precondition: abc, UID in object meta: ${uid}`);
    expect((await failure(admin.delete(Namespaces, undefined, 'opts-a', { preconditions: { resourceVersion: '1' } }))).message).toBe(`Operation cannot be fulfilled on namespaces "opts-a": Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: ${ns.metadata!.resourceVersion}`);
    const dry = await admin.request<KubeObject>('/api/v1/namespaces/opts-a', { method: 'DELETE', body: { kind: 'DeleteOptions', apiVersion: 'v1', dryRun: ['All'] }, contentType: 'application/json' });
    expect((dry.status as { phase: string }).phase).toBe('Terminating');
    const after = await admin.get(Namespaces, undefined, 'opts-a');
    expect([after.metadata?.deletionTimestamp, (after.status as { phase: string }).phase]).toEqual([undefined, 'Active']);
    await admin.create(Pods, 'opts-a', pod('held'));
    const del = await admin.delete(Namespaces, undefined, 'opts-a', { preconditions: { uid }, propagationPolicy: 'Foreground' });
    expect([del.metadata?.deletionGracePeriodSeconds, del.metadata?.finalizers, !!del.metadata?.deletionTimestamp]).toEqual([undefined, ['foregroundDeletion'], true]);
    // (a second delete changes nothing)
    const again = await admin.delete(Namespaces, undefined, 'opts-a', { propagationPolicy: 'Background' });
    expect([again.metadata?.deletionTimestamp, again.metadata?.finalizers]).toEqual([del.metadata?.deletionTimestamp, ['foregroundDeletion']]);
    // (no garbage collector runs here: the finalizer holds the emptied namespace until it goes)
    await eventually(async () => (await failure(admin.get(Pods, 'opts-a', 'held'))).code === 404);
    await admin.patch(Namespaces, undefined, 'opts-a', { metadata: { finalizers: null } });
    await eventually(async () => (await failure(admin.get(Namespaces, undefined, 'opts-a'))).code === 404, { what: 'opts-a finalized' });
  });

  it('namespaces: the kubernetes finalizer is added after the user\'s on create, and spec.finalizers change only through /finalize', async () => {
    const ns = await admin.create(Namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fin-a' }, spec: { finalizers: ['example.com/x'] } });
    expect(ns.spec).toEqual({ finalizers: ['example.com/x', 'kubernetes'] });
    const patched = await admin.patch(Namespaces, undefined, 'fin-a', { spec: { finalizers: ['foo.io/bar'] }, metadata: { labels: { a: 'b' } } });
    expect(patched.spec).toEqual({ finalizers: ['example.com/x', 'kubernetes'] });
    expect(patched.metadata?.labels).toMatchObject({ a: 'b' });
    // /finalize takes them, each checked at its index (ValidateNamespaceFinalizeUpdate)
    const finalize = (finalizers: string[]) => admin.request<KubeObject>('/api/v1/namespaces/fin-a/finalize', { method: 'PUT', body: { ...patched, spec: { finalizers } }, contentType: 'application/json' });
    expect((await failure(finalize(['kubernetes', 'nodomain']))).message).toBe('Namespace "fin-a" is invalid: spec.finalizers[1]: Invalid value: "nodomain": name is neither a standard finalizer name nor is it fully qualified');
    expect((await finalize(['kubernetes'])).spec).toEqual({ finalizers: ['kubernetes'] });
    await admin.delete(Namespaces, undefined, 'fin-a');
  });
});

describe('aggregated discovery', () => {
  const get = (path: string, headers: Record<string, string>) => rawRequest(cp, path, { headers });

  it('serves v2 and v2beta1 with an ETag, and 304 to a client that has the document (ServeHTTPWithETag)', async () => {
    const beta = await get('/apis', { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList' });
    expect(beta.status).toBe(200);
    expect(beta.headers['content-type']).toBe('application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList');
    expect(JSON.parse(beta.body).apiVersion).toBe('apidiscovery.k8s.io/v2beta1');
    const v2 = await get('/api', { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' });
    expect(v2.headers).toMatchObject({ etag: expect.stringMatching(/^"[0-9A-F]{64}"$/), vary: 'Accept', 'cache-control': 'public' });
    const again = await get('/api', { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList', 'If-None-Match': v2.headers.etag as string });
    expect([again.status, again.body]).toEqual([304, '']);
  });
});

describe('DeleteOptions', () => {
  it('are refused as meta.k8s.io DeleteOptions, naming the group as upstream\'s delete handler does', async () => {
    const ConfigMaps = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };
    await admin.create(ConfigMaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'del-opts' } });
    const path = `${admin.path(ConfigMaps, 'default')}/del-opts`;
    const both = await failure(admin.request(path, { method: 'DELETE', body: JSON.stringify({ orphanDependents: true, propagationPolicy: 'Foreground' }), contentType: 'application/json' }));
    expect(both.code).toBe(422);
    expect(both.message).toBe('DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: "Foreground": orphanDependents and deletionPropagation cannot be both set');
    expect(both.status?.details).toMatchObject({ group: 'meta.k8s.io', kind: 'DeleteOptions' });
    const bogus = await failure(admin.request(`${path}?propagationPolicy=Bogus`, { method: 'DELETE' }));
    expect(bogus.message).toBe('DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Bogus": supported values: "Foreground", "Background", "Orphan", "nil"');
    // (an empty policy is set, in the query or the body, and refused: ValidateDeleteOptions)
    const empty = await failure(admin.request(`${path}?propagationPolicy=`, { method: 'DELETE' }));
    expect([empty.code, empty.message]).toEqual([422, 'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "": supported values: "Foreground", "Background", "Orphan", "nil"']);
    const emptyBody = await failure(admin.request(path, { method: 'DELETE', body: '{"propagationPolicy":""}', contentType: 'application/json' }));
    expect([emptyBody.code, emptyBody.message]).toEqual([422, empty.message]);
    // (a body of whitespace is a body, which the JSON serializer cannot read: 1.32's 500)
    const blank = await failure(admin.request(`${path}?propagationPolicy=Background`, { method: 'DELETE', body: ' \n', contentType: 'application/json' }));
    expect([blank.code, blank.message]).toEqual([500, "couldn't get version/kind; json parse error: unexpected end of JSON input"]);
    expect((await admin.get(ConfigMaps, 'default', 'del-opts')).metadata?.name).toBe('del-opts');
    await admin.delete(ConfigMaps, 'default', 'del-opts');
  });

  it('answer 202 Accepted for orphanDependents: false when the object stays (its finalizers), 200 otherwise, as DeleteResource does', async () => {
    const ConfigMaps = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };
    const path = (n: string) => `${admin.path(ConfigMaps, 'default')}/${n}`;
    await admin.create(ConfigMaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held-a', finalizers: ['example.com/hold'] } });
    await admin.create(ConfigMaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held-b', finalizers: ['example.com/hold'] } });
    await admin.create(ConfigMaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain' } });
    const accepted = await callWithWarnings(cp, 'DELETE', path('held-a'), { orphanDependents: false });
    expect([accepted.code, (accepted.body.metadata as { deletionTimestamp?: string }).deletionTimestamp]).toEqual([202, expect.any(String)]);
    expect((await callWithWarnings(cp, 'DELETE', path('held-b'), { propagationPolicy: 'Background' })).code).toBe(200);
    expect((await callWithWarnings(cp, 'DELETE', path('plain'), { orphanDependents: false })).code).toBe(200);
    for (const n of ['held-a', 'held-b']) await admin.patch(ConfigMaps, 'default', n, { metadata: { finalizers: null } });
  });

  it('are read from the query when there is no body, orphanDependents too', async () => {
    const ConfigMaps = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };
    await admin.create(ConfigMaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'q-orphan' } });
    const path = `${admin.path(ConfigMaps, 'default')}/q-orphan`;
    const both = await failure(admin.request(`${path}?orphanDependents=true&propagationPolicy=Background`, { method: 'DELETE' }));
    expect(both.message).toBe('DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: "Background": orphanDependents and deletionPropagation cannot be both set');
    // (no garbage collector here takes the orphan finalizer off)
    const kept = await admin.request<KubeObject>(`${path}?orphanDependents=true`, { method: 'DELETE' });
    expect(kept.metadata?.finalizers).toEqual(['orphan']);
    await admin.patch(ConfigMaps, 'default', 'q-orphan', { metadata: { finalizers: null } });
  });

  it('are the body\'s when there is one, the query\'s ignored (dryRun too), as DeleteResource decodes them', async () => {
    const ConfigMaps = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };
    const path = (n: string) => `${admin.path(ConfigMaps, 'default')}/${n}`;
    for (const n of ['b-orphan', 'b-dry', 'b-bad']) await admin.create(ConfigMaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: n } });
    const body = (o: unknown) => ({ method: 'DELETE', body: JSON.stringify(o), contentType: 'application/json' });
    // (Orphan from the body: the orphan finalizer holds it, whatever the query says)
    const orphaned = await admin.request<KubeObject>(`${path('b-orphan')}?propagationPolicy=Background&gracePeriodSeconds=0`, body({ propagationPolicy: 'Orphan' }));
    expect(orphaned.metadata?.finalizers).toEqual(['orphan']);
    await admin.patch(ConfigMaps, 'default', 'b-orphan', { metadata: { finalizers: null } });
    // (the query's dryRun, even a bad one, is not looked at: the object goes)
    await admin.request(`${path('b-dry')}?dryRun=All`, body({}));
    expect((await failure(admin.get(ConfigMaps, 'default', 'b-dry'))).code).toBe(404);
    await admin.create(ConfigMaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b-dry' } });
    await admin.request(`${path('b-dry')}?dryRun=Bogus`, body({ kind: 'DeleteOptions', apiVersion: 'v1' }));
    expect((await failure(admin.get(ConfigMaps, 'default', 'b-dry'))).code).toBe(404);
    // (the body's dryRun is validated as ValidateDeleteOptions does, with its other problems)
    const bad = await failure(admin.request(path('b-bad'), body({ dryRun: ['Bogus'], orphanDependents: true, propagationPolicy: 'Sometimes' })));
    expect(bad.code).toBe(422);
    expect(bad.message).toBe(
      'DeleteOptions.meta.k8s.io "" is invalid: [propagationPolicy: Invalid value: "Sometimes": orphanDependents and deletionPropagation cannot be both set, propagationPolicy: Unsupported value: "Sometimes": supported values: "Foreground", "Background", "Orphan", "nil", dryRun: Unsupported value: []string{"Bogus"}: supported values: "All"]',
    );
    await admin.request(path('b-bad'), body({ dryRun: ['All'] }));
    expect((await admin.get(ConfigMaps, 'default', 'b-bad')).metadata?.deletionTimestamp).toBeUndefined();
    const q = await failure(admin.request(`${path('b-bad')}?dryRun=Bogus`, { method: 'DELETE' }));
    expect(q.message).toBe('DeleteOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Bogus"}: supported values: "All"');
    await admin.delete(ConfigMaps, 'default', 'b-bad');
  });
});

describe('system namespaces', () => {
  it('kube-node-lease may be deleted, and comes back (the system namespaces controller); default, kube-system and kube-public may not', async () => {
    const quick = await startControlPlane({ systemNamespacesIntervalMs: 300 });
    try {
      const c = quick.admin;
      const del = await c.delete(Namespaces, undefined, 'kube-node-lease');
      expect((del.status as { phase: string }).phase).toBe('Terminating');
      const old = del.metadata!.uid;
      await eventually(async () => (await c.get(Namespaces, undefined, 'kube-node-lease').catch(() => undefined))?.metadata?.uid !== old && (await c.get(Namespaces, undefined, 'kube-node-lease')).status, { timeoutMs: 15_000, what: 'kube-node-lease made again' });
      for (const name of ['default', 'kube-system', 'kube-public']) expect((await failure(c.delete(Namespaces, undefined, name))).message).toBe(`namespaces "${name}" is forbidden: this namespace may not be deleted`);
    } finally {
      await quick.stop(true);
    }
  });
});

describe('persistence', () => {
  it('the embedded etcd keeps data across an apiserver restart', async () => {
    const before = await admin.create(Pods, 'default', pod('survivor'));
    await cp.restart();
    const after = await admin.get(Pods, 'default', 'survivor');
    expect(after.metadata?.uid).toBe(before.metadata?.uid);
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
  });

  it('the supervisor restarts an embedded etcd that dies (its Unix socket left behind)', async () => {
    const etcd = (cp.server as unknown as { etcd: { pid?: number; restartCount: number; clientEndpoint: string } }).etcd;
    // The apiserver reaches its embedded etcd over a Unix socket; a killed etcd leaves the file,
    // which the restarted one could not bind.
    expect(etcd.clientEndpoint).toMatch(/^unix:\/\/\/.*etcd\.sock:0$/);
    const socketPath = decodeURIComponent(new URL(etcd.clientEndpoint).pathname);
    expect(statSync(socketPath).isSocket()).toBe(true);
    const pid = etcd.pid!;
    process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await admin.create(Pods, 'default', pod(`after-crash-${Date.now()}`));
        break;
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 300));
      }
    }
    expect(etcd.restartCount).toBeGreaterThanOrEqual(1);
    expect(etcd.pid).not.toBe(pid);
    expect((await admin.get(Pods, 'default', 'survivor')).metadata?.name).toBe('survivor');
  });

  it('while etcd does not answer (frozen), requests end at their deadline with 1.32\'s 504 Timeout, not hang; answered again once it is back', async () => {
    const timed = async (p: Promise<unknown>) => {
      const t = Date.now();
      const e = await p.then(() => undefined, (x: unknown) => x);
      return { ms: Date.now() - t, status: e instanceof StatusError ? e.status : String(e) };
    };
    const thaw = await freezeEtcd(cp);
    try {
      const query = { timeout: '2s' };
      const [read, write, list] = await Promise.all([
        timed(admin.request('/api/v1/namespaces/default/pods/survivor', { query })),
        timed(admin.request('/api/v1/namespaces/default/pods', { method: 'POST', body: pod('frozen'), query })),
        timed(admin.request('/api/v1/namespaces/default/pods', { query })),
      ]);
      for (const r of [read, write, list]) expect(r.ms).toBeLessThan(10_000);
      expect(read.status).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Timeout: request did not complete within the allotted timeout', reason: 'Timeout', details: {}, code: 504 });
      expect(list.status).toMatchObject({ reason: 'Timeout', code: 504 });
      expect(write.status).toMatchObject({ message: 'Timeout: request did not complete within requested timeout - context deadline exceeded', reason: 'Timeout', code: 504 });
      expect(await statusCode(admin.request('/api/v1/namespaces/default/pods', { query: { timeout: 'soon' } }))).toBe(400);
    } finally {
      thaw();
    }
    await eventually(async () => (await admin.get(Pods, 'default', 'survivor').catch(() => undefined))?.metadata?.name === 'survivor', { timeoutMs: 60_000, what: 'reads answered again' });
  });
});

describe('event expiry (--event-ttl)', () => {
  it('events go when their TTL runs out, and watchers see them deleted; other kinds stay', async () => {
    const short = await startControlPlane({ eventTTLSeconds: 2 });
    try {
      const c = short.admin;
      const event = (name: string) => ({ apiVersion: 'v1', kind: 'Event', metadata: { name }, involvedObject: { kind: 'Pod', namespace: 'default', name: 'p' }, reason: 'Test', message: 'expires', type: 'Normal' });
      const e1 = await c.create(Events, 'default', event('e1'));
      const e2 = await c.create(Events, 'default', event('e2'));
      await c.create(Pods, 'default', pod('stays'));
      const deleted: string[] = [];
      const w = await c.watch(Events, 'default', { resourceVersion: e2.metadata!.resourceVersion }, (ev) => {
        if (ev.type === 'DELETED') deleted.push(ev.object.metadata!.name!);
      });
      try {
        expect((await c.list(Events, 'default')).items.map((e) => e.metadata?.name).sort()).toEqual(['e1', 'e2']);
        // Lease TTL 2 s plus a reuse window of 1 s; etcd may round a short TTL up a little.
        const t0 = Date.now();
        await eventually(async () => (await c.list(Events, 'default')).items.length === 0 || undefined, { timeoutMs: 20_000, what: 'events to expire' });
        expect(Date.now() - t0).toBeGreaterThan(500);
        await eventually(() => deleted.length === 2 || undefined, { timeoutMs: 5000, what: 'DELETED events' });
        expect(deleted.sort()).toEqual(['e1', 'e2']);
        expect((await failure(c.get(Events, 'default', e1.metadata!.name!))).code).toBe(404);
        expect((await c.get(Pods, 'default', 'stays')).metadata?.name).toBe('stays');
      } finally {
        w.stop();
      }
    } finally {
      await short.stop();
    }
  });
});
