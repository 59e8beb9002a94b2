// CustomResourceDefinitions against the real apiserver and etcd: the CRD's validation and
// status (NamesAccepted, Established, storedVersions), its resources served as soon as it is
// Established (CRUD, selectors, optimistic concurrency, merge and JSON patches, 415 for strategic
// merge patches), pruning, defaulting and schema validation, the status and scale subresources,
// two versions over one storage, discovery and OpenAPI, and deletion of the CRD deleting its objects.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdClient } from '../../pkg/apiserver/etcd-client.js';
import { core, CustomResourceDefinitions, Namespaces, RestClient, RoleBindings, Roles, type ResourceRef } from '../../pkg/client/rest-client.js';
import type { KubeObject } from '../../pkg/api/types.js';
import { eventually, failure, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { hasKubectl, kubectlAt } from '../helpers/kubectl.js';
import { join } from 'node:path';

let cp: TestControlPlane;
let admin: RestClient;

beforeAll(async () => {
  cp = await startControlPlane({ grpcPort: -1 }, { serviceAccountControllers: false });
  admin = cp.admin;
});
afterAll(async () => {
  await cp?.stop();
});

const GROUP = 'stable.example.com';
const CronTabs: ResourceRef = { group: GROUP, version: 'v1', resource: 'crontabs', namespaced: true };
const CronTabsV2: ResourceRef = { ...CronTabs, version: 'v2' };

const schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['cronSpec'],
      properties: {
        cronSpec: { type: 'string', pattern: '^(\\S+ ){4}\\S+$' },
        image: { type: 'string', default: 'busybox' },
        replicas: { type: 'integer', minimum: 0, maximum: 10, default: 1 },
        mode: { type: 'string', enum: ['Fast', 'Slow'] },
        port: { 'x-kubernetes-int-or-string': true },
        extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        ports: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, port: { type: 'integer' } } } },
      },
    },
    status: { type: 'object', properties: { replicas: { type: 'integer' }, selector: { type: 'string' }, phase: { type: 'string' } } },
  },
};

const crontabCRD = (versions = [{ name: 'v1', served: true, storage: true }]) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `crontabs.${GROUP}` },
  spec: {
    group: GROUP,
    scope: 'Namespaced',
    names: { plural: 'crontabs', kind: 'CronTab', shortNames: ['ct'] },
    versions: versions.map((v) => ({
      ...v,
      schema: { openAPIV3Schema: schema },
      subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } },
      additionalPrinterColumns: [
        { name: 'Spec', type: 'string', jsonPath: '.spec.cronSpec' },
        { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
        { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      ],
    })),
  },
});

const established = (name: string) =>
  eventually(
    async () => {
      const crd = await admin.get<KubeObject & { status: { conditions: { type: string; status: string }[] } }>(CustomResourceDefinitions, undefined, name);
      if (!crd.status.conditions.some((c) => c.type === 'Established' && c.status === 'True')) throw new Error('not established');
      return crd;
    },
    { what: `${name} Established` },
  );

const tab = (name: string, spec: Record<string, unknown> = { cronSpec: '* * * * */5' }, extra: Record<string, unknown> = {}) => ({ apiVersion: `${GROUP}/v1`, kind: 'CronTab', metadata: { name, ...extra }, spec });

describe('CustomResourceDefinitions', () => {
  it('are validated as Kubernetes does', async () => {
    const bad = crontabCRD();
    bad.metadata.name = 'wrong.example.com';
    expect((await failure(admin.create(CustomResourceDefinitions, undefined, bad))).message).toContain('metadata.name: Invalid value: "wrong.example.com": must be spec.names.plural+"."+spec.group');
    const two = crontabCRD([
      { name: 'v1', served: true, storage: true },
      { name: 'v2', served: true, storage: true },
    ]);
    const err = await failure(admin.create(CustomResourceDefinitions, undefined, two));
    expect(err.status?.code).toBe(422);
    expect(err.message).toContain('must have exactly one version marked as storage version');
    const scope = { ...crontabCRD(), spec: { ...crontabCRD().spec, scope: 'Global' } };
    expect((await failure(admin.create(CustomResourceDefinitions, undefined, scope))).message).toContain('spec.scope: Unsupported value: "Global"');
    const webhook = { ...crontabCRD(), spec: { ...crontabCRD().spec, conversion: { strategy: 'Webhook' } } };
    expect((await failure(admin.create(CustomResourceDefinitions, undefined, webhook))).message).toContain('webhook conversion is not supported');
    const noType = crontabCRD();
    noType.spec.versions[0]!.schema = { openAPIV3Schema: { type: 'object', properties: { spec: { properties: {} } } } as never };
    expect((await failure(admin.create(CustomResourceDefinitions, undefined, noType))).message).toContain('spec.validation.openAPIV3Schema.properties[spec].type: Required value');
    const unknown = { ...crontabCRD(), spec: { ...crontabCRD().spec, bogus: 1 } };
    expect((await failure(admin.create(CustomResourceDefinitions, undefined, unknown))).message).toContain('unknown field "spec.bogus"');
  });

  it('with a schema outside the OpenAPI subset Kubernetes takes are refused with every reason, as 1.32 words them', async () => {
    const bad = crontabCRD();
    bad.spec.versions[0]!.schema = { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', uniqueItems: true, 'x-kubernetes-preserve-unknown-fields': false } } } as never };
    const err = await failure(admin.create(CustomResourceDefinitions, undefined, bad));
    expect(err.status?.code).toBe(422);
    expect(err.message).toBe(
      `CustomResourceDefinition.apiextensions.k8s.io "crontabs.${GROUP}" is invalid: [spec.validation.openAPIV3Schema.properties[spec].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic, spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined]`,
    );
  });

  it('are defaulted, Established, and their resources served at once', async () => {
    const created = await admin.create<KubeObject>(CustomResourceDefinitions, undefined, crontabCRD());
    expect(created.metadata?.finalizers).toEqual(['customresourcecleanup.apiextensions.k8s.io']);
    expect(created.spec).toMatchObject({ names: { singular: 'crontab', listKind: 'CronTabList' }, conversion: { strategy: 'None' } });
    const crd = await established(`crontabs.${GROUP}`);
    expect(crd.status).toMatchObject({ acceptedNames: { plural: 'crontabs', kind: 'CronTab', shortNames: ['ct'] }, storedVersions: ['v1'] });
    expect(crd.status.conditions.find((c) => c.type === 'NamesAccepted')).toMatchObject({ status: 'True', reason: 'NoConflicts' });
    const groups = await admin.request<{ groups: { name: string; preferredVersion: { version: string } }[] }>('/apis');
    expect(groups.groups.find((g) => g.name === GROUP)?.preferredVersion.version).toBe('v1');
    const list = await admin.request<{ resources: { name: string; kind: string; shortNames?: string[]; namespaced: boolean }[] }>(`/apis/${GROUP}/v1`);
    expect(list.resources.map((r) => r.name).sort()).toEqual(['crontabs', 'crontabs/scale', 'crontabs/status']);
    expect(list.resources[0]).toMatchObject({ kind: 'CronTab', shortNames: ['ct'], namespaced: true });
    const index = await admin.request<{ paths: Record<string, unknown> }>('/openapi/v3');
    expect(Object.keys(index.paths)).toEqual(expect.arrayContaining([`apis/${GROUP}/v1`, 'apis/apiextensions.k8s.io/v1']));
    const doc = await admin.request<{ paths: Record<string, { patch?: Record<string, unknown> }>; components: { schemas: Record<string, unknown> } }>(`/openapi/v3/apis/${GROUP}/v1`);
    const item = doc.paths[`/apis/${GROUP}/v1/namespaces/{namespace}/crontabs/{name}`]!.patch!;
    expect(item['x-kubernetes-group-version-kind']).toEqual({ group: GROUP, kind: 'CronTab', version: 'v1' });
    expect(Object.keys((item.requestBody as { content: object }).content)).not.toContain('application/strategic-merge-patch+json');
    expect(doc.components.schemas['com.example.stable.v1.CronTab']).toMatchObject({ 'x-kubernetes-group-version-kind': [{ group: GROUP, kind: 'CronTab', version: 'v1' }] });
  });

  it('are stored as apiextensions/v1\'s Go structs leave them: empties gone, what is always written there', async () => {
    const crd = crontabCRD();
    crd.metadata.name = `gadgets.${GROUP}`;
    Object.assign(crd.spec, { names: { plural: 'gadgets', kind: 'Gadget', shortNames: [], categories: null }, preserveUnknownFields: false });
    Object.assign(crd.spec.versions[0]!, { deprecated: false, selectableFields: [], additionalPrinterColumns: [{ name: 'Spec', type: 'string', jsonPath: '.spec.cronSpec', priority: 0, description: '' }] });
    const created = await admin.create<KubeObject & { spec: Record<string, any> }>(CustomResourceDefinitions, undefined, crd);
    // (the answer to the create, before the CRD controller ran: conditions null, names "")
    expect(created.status).toEqual({ conditions: null, acceptedNames: { plural: '', kind: '' }, storedVersions: ['v1'] });
    expect(created.spec.names).toEqual({ plural: 'gadgets', singular: 'gadget', kind: 'Gadget', listKind: 'GadgetList' });
    expect(created.spec.preserveUnknownFields).toBeUndefined();
    expect(Object.keys(created.spec.versions[0]).sort()).toEqual(['additionalPrinterColumns', 'name', 'schema', 'served', 'storage', 'subresources']);
    expect(created.spec.versions[0].additionalPrinterColumns).toEqual([{ name: 'Spec', type: 'string', jsonPath: '.spec.cronSpec' }]);
    await admin.delete(CustomResourceDefinitions, undefined, `gadgets.${GROUP}`);
  });

  it('a CRD whose kind another CRD of the group has is not accepted', async () => {
    await admin.create(CustomResourceDefinitions, undefined, { ...crontabCRD(), metadata: { name: `othertabs.${GROUP}` }, spec: { ...crontabCRD().spec, names: { plural: 'othertabs', singular: 'othertab', kind: 'CronTab' } } });
    const crd = await eventually(async () => {
      const c = await admin.get<KubeObject & { status: { conditions: { type: string; status: string; message: string }[] } }>(CustomResourceDefinitions, undefined, `othertabs.${GROUP}`);
      const names = c.status.conditions.find((x) => x.type === 'NamesAccepted');
      if (!names) throw new Error('not yet');
      return c;
    });
    expect(crd.status.conditions.find((c) => c.type === 'NamesAccepted')).toMatchObject({ status: 'False', reason: 'KindConflict', message: '"CronTab" is already in use' });
    expect(crd.status.conditions.find((c) => c.type === 'Established')).toMatchObject({ status: 'False' });
    expect((await failure(admin.list({ ...CronTabs, resource: 'othertabs' }, 'default'))).status?.code).toBe(404);
  });

  it('CRUD with selectors, optimistic concurrency and patches, stored under /registry/<group>/<plural>', async () => {
    const a = await admin.create<KubeObject>(CronTabs, 'default', tab('a', { cronSpec: '* * * * */5' }, { labels: { app: 'x' } }));
    expect(a).toMatchObject({ apiVersion: `${GROUP}/v1`, kind: 'CronTab', spec: { cronSpec: '* * * * */5', image: 'busybox', replicas: 1 } });
    await admin.create(CronTabs, 'default', tab('b'));
    expect((await admin.list(CronTabs, 'default', { labelSelector: 'app=x' })).items.map((i) => i.metadata?.name)).toEqual(['a']);
    expect((await admin.list(CronTabs, 'default', { fieldSelector: 'metadata.name=b' })).items.map((i) => i.metadata?.name)).toEqual(['b']);
    expect((await admin.list(CronTabs, undefined, { fieldSelector: 'metadata.namespace=default' })).items).toHaveLength(2);
    expect((await failure(admin.list(CronTabs, 'default', { fieldSelector: 'spec.image=x' }))).message).toContain('field label not supported: spec.image');
    const stale = { ...a, spec: { ...(a.spec as object), image: 'nginx' } };
    const updated = await admin.update<KubeObject>(CronTabs, 'default', 'a', stale);
    expect(updated.spec).toMatchObject({ image: 'nginx' });
    expect((await failure(admin.update(CronTabs, 'default', 'a', stale))).status?.code).toBe(409);
    const noRv = { ...a, metadata: { name: 'a' } };
    expect((await failure(admin.update(CronTabs, 'default', 'a', noRv))).message).toContain('metadata.resourceVersion: Invalid value: "": must be specified for an update');
    expect((await admin.patch<KubeObject>(CronTabs, 'default', 'a', { spec: { mode: 'Fast' } }, 'merge')).spec).toMatchObject({ mode: 'Fast', image: 'nginx' });
    expect((await admin.patch<KubeObject>(CronTabs, 'default', 'a', [{ op: 'replace', path: '/spec/replicas', value: 3 }], 'json')).spec).toMatchObject({ replicas: 3 });
    const smp = await failure(admin.patch(CronTabs, 'default', 'a', { spec: { mode: 'Slow' } }, 'strategic'));
    expect(smp.status?.code).toBe(415);
    const etcd = new EtcdClient(cp.server.etcdEndpoints);
    try {
      const got = await etcd.range({ key: Buffer.from(`/registry/${GROUP}/crontabs/default/a`) });
      expect(JSON.parse(Buffer.from(got.kvs![0]!.value!).toString())).toMatchObject({ kind: 'CronTab', spec: { mode: 'Fast' } });
    } finally {
      etcd.close();
    }
    const table = await admin.request<{ columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] }>(`/apis/${GROUP}/v1/namespaces/default/crontabs`, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Spec', 'Replicas', 'Age']);
    expect(table.rows[0]!.cells.slice(0, 3)).toEqual(['a', '* * * * */5', 3]);
    await admin.delete(CronTabs, 'default', 'b');
    expect((await failure(admin.get(CronTabs, 'default', 'b'))).message).toBe(`crontabs.${GROUP} "b" not found`);
  });

  it('prunes unknown fields (Strict: 400 naming them), defaults and validates against the schema', async () => {
    const strict = await failure(admin.create(CronTabs, 'default', tab('u', { cronSpec: '* * * * *', foo: 1 })));
    expect(strict.status?.code).toBe(400);
    expect(strict.message).toContain('unknown field "spec.foo"');
    const pruned = await admin.create<KubeObject>(CronTabs, 'default', tab('u', { cronSpec: '* * * * *', foo: 1, extra: { any: { thing: true } } }), { fieldValidation: 'Ignore' });
    expect(pruned.spec).toEqual({ cronSpec: '* * * * *', image: 'busybox', replicas: 1, extra: { any: { thing: true } } });
    const cases: [Record<string, unknown>, string][] = [
      [{ cronSpec: '* * * * *', replicas: 'two' }, 'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"'],
      [{ cronSpec: '* * * * *', replicas: 11 }, 'spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10'],
      [{ cronSpec: 'nope' }, `spec.cronSpec: Invalid value: "nope": spec.cronSpec in body should match '^(\\S+ ){4}\\S+$'`],
      [{ cronSpec: '* * * * *', mode: 'Medium' }, 'spec.mode: Unsupported value: "Medium": supported values: "Fast", "Slow"'],
      [{ cronSpec: "* * * * *", port: 1.5 }, "spec.port: Invalid value: \"number\""],
      [{ image: 'x' }, 'spec.cronSpec: Required value'],
    ];
    for (const [spec, msg] of cases) {
      const err = await failure(admin.create(CronTabs, 'default', tab('bad', spec)));
      expect(err.status?.code, msg).toBe(422);
      expect(err.message).toContain(`CronTab.${GROUP} "bad" is invalid`);
      expect(err.message).toContain(msg);
    }
    // (a merge patch bringing an unknown field under Strict: patch.go's 422 naming the patched
    // document, the custom resource an unstructured map there, every key sorted)
    const patched = await failure(admin.request(`${admin.path(CronTabs, 'default')}/u?fieldValidation=Strict`, { method: 'PATCH', body: '{"spec":{"zz":{"b":1,"a":2}}}', contentType: 'application/merge-patch+json' }));
    expect([patched.code, patched.reason]).toEqual([422, 'Invalid']);
    expect(patched.message).toMatch(/^ "" is invalid: patch: Invalid value: "\{\\"apiVersion\\":.*\\"spec\\":\{\\"cronSpec\\":\\"\* \* \* \* \*\\",\\"extra\\":\{\\"any\\":\{\\"thing\\":true\}\},\\"image\\":\\"busybox\\",\\"replicas\\":1,\\"zz\\":\{\\"a\\":2,\\"b\\":1\}\}\}": strict decoding error: unknown field "spec\.zz"$/);
    await admin.delete(CronTabs, 'default', 'u');
  });

  it('server-side apply owns the fields the schema describes, lists of type map by key', async () => {
    const apply = (manager: string, spec: Record<string, unknown>, force = false) =>
      admin.request<KubeObject>(`/apis/${GROUP}/v1/namespaces/default/crontabs/ssa`, {
        method: 'PATCH',
        contentType: 'application/apply-patch+yaml',
        body: { apiVersion: `${GROUP}/v1`, kind: 'CronTab', metadata: { name: 'ssa' }, spec },
        query: { fieldManager: manager, fieldValidation: 'Strict', ...(force ? { force: 'true' } : {}) },
      });
    await apply('alice', { cronSpec: '* * * * *', ports: [{ name: 'http', port: 80 }] });
    const both = await apply('bob', { cronSpec: '* * * * *', ports: [{ name: 'metrics', port: 9090 }] });
    expect((both.spec as { ports: unknown[] }).ports).toEqual([{ name: 'http', port: 80 }, { name: 'metrics', port: 9090 }]);
    const conflict = await failure(apply('bob', { cronSpec: '* * * * *', ports: [{ name: 'metrics', port: 9090 }, { name: 'http', port: 8080 }] }));
    expect(conflict.status?.code).toBe(409);
    expect(conflict.message).toContain('conflict with "alice": .spec.ports[name="http"].port');
    const dropped = await apply('alice', { cronSpec: '* * * * *' });
    expect((dropped.spec as { ports: unknown[] }).ports).toEqual([{ name: 'metrics', port: 9090 }]);
    // A field the schema does not declare, or of another type, is structured-merge-diff's typing
    // error (a 500 without a reason) before any pruning or strict decoding, as in 1.32.
    const typo = await failure(apply('alice', { cronSpec: '* * * * *', replicaz: 2 }));
    expect([typo.status?.code, typo.message]).toEqual([500, `failed to create typed patch object (/ssa; ${GROUP}/v1, Kind=CronTab): .spec.replicaz: field not declared in schema`]);
    const two = await failure(apply('alice', { cronSpec: '* * * * *', replicas: 'two', ports: [{ name: 'http', port: 80 }, { name: 'http', port: 81 }] }));
    expect(two.message).toBe(
      `failed to create typed patch object (/ssa; ${GROUP}/v1, Kind=CronTab): errors:\n  .spec.replicas: expected numeric (int or float), got string\n  .spec.ports: duplicate entries for key [name="http"]`,
    );
    await admin.delete(CronTabs, 'default', 'ssa');
  });

  it('the status subresource owns status; scale reads and writes the CRD paths', async () => {
    await admin.create(CronTabs, 'default', { ...tab('s'), status: { phase: 'Ignored' } });
    const got = await admin.get<KubeObject>(CronTabs, 'default', 's');
    expect(got.status).toBeUndefined();
    const withStatus = await admin.update<KubeObject>(CronTabs, 'default', 's', { ...got, spec: { cronSpec: '1 1 1 1 1' }, status: { replicas: 2, selector: 'app=s' } }, 'status');
    expect(withStatus.status).toEqual({ replicas: 2, selector: 'app=s' });
    expect(withStatus.spec).toMatchObject({ cronSpec: '* * * * */5' });
    expect(withStatus.metadata?.generation).toBe(1);
    const main = await admin.patch<KubeObject>(CronTabs, 'default', 's', { spec: { replicas: 4 }, status: { replicas: 9 } }, 'merge');
    expect(main.status).toEqual({ replicas: 2, selector: 'app=s' });
    expect(main.metadata?.generation).toBe(2);
    const scale = await admin.get<KubeObject>(CronTabs, 'default', 's', 'scale');
    expect(scale).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 4 }, status: { replicas: 2, selector: 'app=s' } });
    await admin.patch(CronTabs, 'default', 's', { spec: { replicas: 7 } }, 'merge', 'scale');
    expect((await admin.get<KubeObject>(CronTabs, 'default', 's')).spec).toMatchObject({ replicas: 7 });
  });

  it('watch with a label selector from a resourceVersion', async () => {
    const start = await admin.list(CronTabs, 'default');
    const seen: string[] = [];
    const w = await admin.watch<KubeObject>(CronTabs, 'default', { resourceVersion: start.metadata.resourceVersion, labelSelector: 'watch=yes' }, (e) => seen.push(`${e.type} ${e.object.metadata?.name}`));
    try {
      await admin.create(CronTabs, 'default', tab('w1', undefined, { labels: { watch: 'yes' } }));
      await admin.create(CronTabs, 'default', tab('w2'));
      await admin.delete(CronTabs, 'default', 'w1');
      await eventually(() => seen.length >= 2, { what: 'two events' });
      expect(seen).toEqual(['ADDED w1', 'DELETED w1']);
    } finally {
      w.stop();
    }
    await admin.delete(CronTabs, 'default', 'w2');
  });

  it('RBAC rules name the group and resource', async () => {
    const alice = new RestClient(cp.config, { headers: { 'Impersonate-User': 'alice' } });
    try {
      const denied = await failure(alice.list(CronTabs, 'default'));
      expect(denied.status?.code).toBe(403);
      expect(denied.message).toBe(`crontabs.${GROUP} is forbidden: User "alice" cannot list resource "crontabs" in API group "${GROUP}" in the namespace "default"`);
      await admin.create(Roles, 'default', { metadata: { name: 'crontab-reader' }, rules: [{ apiGroups: [GROUP], resources: ['crontabs'], verbs: ['get', 'list'] }] });
      await admin.create(RoleBindings, 'default', { metadata: { name: 'alice-crontabs' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'crontab-reader' }, subjects: [{ kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' }] });
      await eventually(() => alice.list(CronTabs, 'default'), { what: 'alice may list crontabs' });
      expect((await failure(alice.create(CronTabs, 'default', tab('alice')))).status?.code).toBe(403);
      expect((await failure(alice.get(CronTabs, 'default', 's', 'status'))).status?.code).toBe(403);
    } finally {
      alice.close();
    }
  });

  it('deleting a namespace deletes its custom resources', async () => {
    await admin.create(Namespaces, undefined, { metadata: { name: 'tabs' } });
    await admin.create(CronTabs, 'tabs', tab('in-ns'));
    await admin.delete(Namespaces, undefined, 'tabs');
    await eventually(() => failure(admin.get(Namespaces, undefined, 'tabs')).then((e) => e.status?.code === 404), { what: 'namespace tabs gone', timeoutMs: 20_000 });
    expect((await admin.list(CronTabs, 'tabs')).items).toEqual([]);
  });

  it('object count quotas (count/<plural>.<group>) hold custom resources', async () => {
    await admin.create(Namespaces, undefined, { metadata: { name: 'quota' } });
    await admin.create(core('resourcequotas'), 'quota', { metadata: { name: 'tabs' }, spec: { hard: { [`count/crontabs.${GROUP}`]: '1' } } });
    await eventually(async () => {
      const q = await admin.get<KubeObject & { status?: { used?: Record<string, string> } }>(core('resourcequotas'), 'quota', 'tabs');
      return q.status?.used?.[`count/crontabs.${GROUP}`] === '0';
    }, { what: 'the quota counted', timeoutMs: 20_000 });
    await admin.create(CronTabs, 'quota', tab('one'));
    const refused = await failure(admin.create(CronTabs, 'quota', tab('two')));
    expect(refused.status?.code).toBe(403);
    expect(refused.message).toContain(`exceeded quota: tabs, requested: count/crontabs.${GROUP}=1, used: count/crontabs.${GROUP}=1, limited: count/crontabs.${GROUP}=1`);
  });

  it('node credentials cannot touch custom resources', async () => {
    const node = cp.nodeClient('n1');
    expect((await failure(node.list(CronTabs, 'default'))).status?.code).toBe(403);
    expect((await failure(node.create(CronTabs, 'default', tab('n')))).status?.code).toBe(403);
  });

  it('serves a second version over the same storage (conversion None), storedVersions kept', async () => {
    const current = await admin.get<KubeObject & { spec: { versions: unknown[] } }>(CustomResourceDefinitions, undefined, `crontabs.${GROUP}`);
    const versions = crontabCRD([
      { name: 'v1', served: true, storage: false, deprecated: true } as { name: string; served: boolean; storage: boolean },
      { name: 'v2', served: true, storage: true },
    ]).spec.versions;
    // v2 knows a color, which v1 does not.
    const v2Schema = structuredClone(schema) as typeof schema & { properties: { spec: { properties: Record<string, unknown> } } };
    v2Schema.properties.spec.properties.color = { type: 'string', enum: ['red', 'blue'] };
    // A default added to the storage version shows on objects stored before it.
    (v2Schema.properties.spec.properties.mode as Record<string, unknown>).default = 'Slow';
    versions[1]!.schema = { openAPIV3Schema: v2Schema };
    // A field selector may name spec.mode (selectableFields, GA in 1.32); a path to nothing is refused.
    const bad = structuredClone(versions);
    (bad[1] as Record<string, unknown>).selectableFields = [{ jsonPath: '.spec.missing' }];
    expect((await failure(admin.update(CustomResourceDefinitions, undefined, `crontabs.${GROUP}`, { ...current, spec: { ...current.spec, versions: bad } }))).message).toContain('spec.versions[1].selectableFields[0].jsonPath: Invalid value: ".spec.missing": is an invalid path: does not refer to a valid field');
    (versions[1] as Record<string, unknown>).selectableFields = [{ jsonPath: '.spec.mode' }];
    await admin.update(CustomResourceDefinitions, undefined, `crontabs.${GROUP}`, { ...current, spec: { ...current.spec, versions } });
    const v2 = await eventually(() => admin.get<KubeObject>(CronTabsV2, 'default', 'a'));
    expect(v2.apiVersion).toBe(`${GROUP}/v2`);
    const made = await admin.create<KubeObject>(CronTabsV2, 'default', { ...tab('v2obj', { cronSpec: '* * * * *', color: 'red' }), apiVersion: `${GROUP}/v2` });
    expect(made).toMatchObject({ apiVersion: `${GROUP}/v2`, spec: { color: 'red' } });
    expect((await admin.get<KubeObject>(CronTabs, 'default', 'v2obj')).apiVersion).toBe(`${GROUP}/v1`);
    expect((await admin.get<KubeObject>(CronTabsV2, 'default', 's')).spec).toMatchObject({ mode: 'Slow' });
    expect((await admin.list<KubeObject>(CronTabs, 'default', { fieldSelector: 'metadata.name=s' })).items[0]!.spec).toMatchObject({ mode: 'Slow' });
    expect((await failure(admin.create(CronTabsV2, 'default', { ...tab('v2bad', { cronSpec: '* * * * *', color: 'green' }), apiVersion: `${GROUP}/v2` }))).message).toContain('spec.color: Unsupported value: "green"');
    expect((await failure(admin.create(CronTabs, 'default', tab('v1color', { cronSpec: '* * * * *', color: 'red' })))).message).toContain('unknown field "spec.color"');
    expect((await failure(admin.create(CronTabsV2, 'default', tab('mismatch')))).status?.code).toBe(400);
    // Server-side apply in the version that is not stored.
    const applied = await admin.request<KubeObject>(`/apis/${GROUP}/v1/namespaces/default/crontabs/v1apply`, {
      method: 'PATCH',
      contentType: 'application/apply-patch+yaml',
      body: tab('v1apply', { cronSpec: '* * * * *', mode: 'Fast' }),
      query: { fieldManager: 'tester', fieldValidation: 'Strict' },
    });
    expect(applied).toMatchObject({ apiVersion: `${GROUP}/v1`, spec: { mode: 'Fast', image: 'busybox' } });
    expect((await admin.get<KubeObject>(CronTabsV2, 'default', 'v1apply')).apiVersion).toBe(`${GROUP}/v2`);
    const crd = await admin.get<KubeObject & { status: { storedVersions: string[] } }>(CustomResourceDefinitions, undefined, `crontabs.${GROUP}`);
    expect(crd.status.storedVersions).toEqual(['v1', 'v2']);
    const groups = await admin.request<{ groups: { name: string; preferredVersion: { version: string } }[] }>('/apis');
    expect(groups.groups.find((g) => g.name === GROUP)?.preferredVersion.version).toBe('v2');
    await eventually(async () => (await admin.list<KubeObject>(CronTabsV2, 'default', { fieldSelector: 'spec.mode=Slow' }).catch(() => ({ items: [] }))).items.length > 0, { what: 'spec.mode selectable' });
    const slow = await admin.list<KubeObject>(CronTabsV2, 'default', { fieldSelector: 'spec.mode=Slow' });
    expect(slow.items.length).toBeGreaterThan(0);
    for (const o of slow.items) expect((o.spec as { mode?: string }).mode).toBe('Slow');
    expect((await failure(admin.list(CronTabsV2, 'default', { fieldSelector: 'spec.image=busybox' }))).message).toContain('field label not supported: spec.image');
    // A deprecated version warns every request to it (defaultDeprecationWarning), kubectl shows it.
    if (hasKubectl) {
      const got = await kubectlAt(cp.kubeconfig, join(cp.dataDir, 'kubectl-cache'), ['get', `crontabs.v1.${GROUP}`, '-n', 'default', 'a']);
      expect(got.err).toContain(`Warning: ${GROUP}/v1 CronTab is deprecated; use ${GROUP}/v2 CronTab`);
      const v2got = await kubectlAt(cp.kubeconfig, join(cp.dataDir, 'kubectl-cache'), ['get', `crontabs.v2.${GROUP}`, '-n', 'default', 'a']);
      expect(v2got.err).not.toContain('deprecated');
    }
  });

  it('are served again after an apiserver restart, before it is ready', async () => {
    await cp.restart();
    expect((await admin.get<KubeObject>(CronTabsV2, 'default', 'a')).spec).toMatchObject({ mode: 'Fast' });
    const list = await admin.request<{ resources: { name: string }[] }>(`/apis/${GROUP}/v2`);
    expect(list.resources.map((r) => r.name)).toContain('crontabs');
  });

  it('a CRD being deleted refuses new objects until its objects are gone', async () => {
    await admin.create(CronTabs, 'default', tab('held', undefined, { finalizers: ['example.com/hold'] }));
    await admin.delete(CustomResourceDefinitions, undefined, `crontabs.${GROUP}`);
    const crd = await eventually(async () => {
      const c = await admin.get<KubeObject & { status: { conditions: { type: string; status: string; reason: string }[] } }>(CustomResourceDefinitions, undefined, `crontabs.${GROUP}`);
      return c.status.conditions.some((x) => x.type === 'Terminating' && x.status === 'True') && c;
    }, { what: 'Terminating' });
    expect(crd.status.conditions.find((c) => c.type === 'Terminating')).toMatchObject({ reason: 'InstanceDeletionInProgress' });
    const refused = await eventually(() => failure(admin.create(CronTabs, 'default', tab('late'))).then((e) => e.status?.code === 405 && e));
    expect(refused.message).toBe('create not allowed while custom resource definition is terminating');
    await eventually(async () => (await admin.get<KubeObject>(CronTabs, 'default', 'held')).metadata?.deletionTimestamp, { what: 'held being deleted' });
    await admin.patch(CronTabs, 'default', 'held', { metadata: { finalizers: null } }, 'merge');
  });

  it('deleting the CRD deletes its objects, then the CRD, and its resources leave discovery', async () => {
    await eventually(async () => {
      const err = await failure(admin.get(CustomResourceDefinitions, undefined, `crontabs.${GROUP}`));
      return err.status?.code === 404;
    }, { what: 'the CRD gone' });
    await eventually(() => failure(admin.list(CronTabs, 'default')).then((e) => e.status?.code === 404), { what: 'crontabs no longer served' });
    // The kind crontabs held is free again: the CRD refused it is accepted and served now.
    await established(`othertabs.${GROUP}`);
    await eventually(() => admin.list({ ...CronTabs, resource: 'othertabs' }, 'default'), { what: 'othertabs served' });
    await admin.delete(CustomResourceDefinitions, undefined, `othertabs.${GROUP}`);
    await eventually(() => failure(admin.get(CustomResourceDefinitions, undefined, `othertabs.${GROUP}`)).then((e) => e.status?.code === 404), { what: 'othertabs gone' });
    const groups = await admin.request<{ groups: { name: string }[] }>('/apis');
    expect(groups.groups.map((g) => g.name)).not.toContain(GROUP);
    const etcd = new EtcdClient(cp.server.etcdEndpoints);
    try {
      const left = await etcd.range({ key: Buffer.from(`/registry/${GROUP}/crontabs/`), range_end: Buffer.from(`/registry/${GROUP}/crontabs0`) });
      expect(left.kvs ?? []).toHaveLength(0);
    } finally {
      etcd.close();
    }
  });
});
