// node.k8s.io/v1 RuntimeClasses and the RuntimeClass admission plugin against the real apiserver
// and etcd: CRUD, discovery and the Table, Kubernetes' validation messages, the 403s of pods
// naming an unknown class or carrying an overhead of their own, the overhead, nodeSelector and
// tolerations a pod gets from its class, and ResourceQuota counting the overhead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod, ResourceQuota, RuntimeClass } from '../../pkg/api/types.js';
import { Namespaces, Pods, ResourceQuotas, RuntimeClasses, type RestClient } from '../../pkg/client/rest-client.js';
import { eventually, failure, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;
let admin: RestClient;

beforeAll(async () => {
  cp = await startControlPlane();
  admin = cp.admin;
});
afterAll(async () => {
  await cp?.stop();
});

const rc = (name: string, handler: string, extra: Partial<RuntimeClass> = {}): RuntimeClass => ({ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name }, handler, ...extra });
const pod = (name: string, spec: Record<string, unknown> = {}, resources?: Record<string, Record<string, string>>) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'busybox', ...(resources ? { resources } : {}) }], ...spec },
});

describe('runtime classes', () => {
  it('are served in node.k8s.io/v1, cluster-scoped, with kubectl columns NAME HANDLER AGE', async () => {
    const res = await admin.request<{ resources: { name: string; namespaced: boolean; kind: string; verbs: string[] }[] }>('/apis/node.k8s.io/v1');
    expect(res.resources.find((r) => r.name === 'runtimeclasses')).toMatchObject({ namespaced: false, kind: 'RuntimeClass' });
    const created = await admin.create<RuntimeClass>(RuntimeClasses, undefined, rc('plain', 'runc'));
    expect(created).toMatchObject({ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', handler: 'runc' });
    expect(created.metadata?.namespace).toBeUndefined();
    const table = await admin.request<{ columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] }>('/apis/node.k8s.io/v1/runtimeclasses', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Handler', 'Age']);
    expect(table.rows.map((r) => r.cells.slice(0, 2))).toContainEqual(['plain', 'runc']);
    // the overhead and scheduling may change; the handler may not
    const updated = await admin.update<RuntimeClass>(RuntimeClasses, undefined, 'plain', { ...created, overhead: { podFixed: { cpu: '100m' } } });
    expect(updated.overhead).toEqual({ podFixed: { cpu: '100m' } });
    const blind = await failure(admin.update(RuntimeClasses, undefined, 'plain', { ...updated, metadata: { name: 'plain' } }));
    expect(blind.message).toBe('RuntimeClass.node.k8s.io "plain" is invalid: metadata.resourceVersion: Invalid value: "": must be specified for an update');
    const handler = await failure(admin.update(RuntimeClasses, undefined, 'plain', { ...updated, handler: 'kata' }));
    expect(handler.code).toBe(422);
    expect(handler.message).toBe('RuntimeClass.node.k8s.io "plain" is invalid: handler: Invalid value: "kata": field is immutable');
    // nodes read them (system:node's get, list, watch), and write none
    const node = cp.nodeClient('rc-node');
    expect((await node.list<RuntimeClass>(RuntimeClasses, undefined)).items.map((r) => r.metadata?.name)).toContain('plain');
    expect((await node.get<RuntimeClass>(RuntimeClasses, undefined, 'plain')).handler).toBe('runc');
    expect((await failure(node.create(RuntimeClasses, undefined, rc('by-node', 'runc')))).code).toBe(403);
    await admin.delete(RuntimeClasses, undefined, 'plain');
    expect((await failure(admin.get(RuntimeClasses, undefined, 'plain'))).code).toBe(404);
  });

  it('validates as Kubernetes does: handler a DNS label, overhead quantities, scheduling labels and tolerations', async () => {
    const empty = await failure(admin.create(RuntimeClasses, undefined, rc('empty', '')));
    expect(empty.code).toBe(422);
    expect(empty.message).toContain(`handler: Invalid value: "": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character`);
    const upper = await failure(admin.create(RuntimeClasses, undefined, rc('upper', 'Kata_Containers')));
    expect(upper.message).toContain('handler: Invalid value: "Kata_Containers": a lowercase RFC 1123 label');
    const overhead = await failure(admin.create(RuntimeClasses, undefined, rc('bad-overhead', 'runc', { overhead: { podFixed: { cpu: 'lots', memory: '-1Mi' } } })));
    expect(overhead.message).toContain('overhead.limits[cpu]: Invalid value: "lots": quantities must match the regular expression');
    expect(overhead.message).toContain('overhead.limits[memory]: Invalid value: "-1Mi": must be greater than or equal to 0');
    const sched = await failure(
      admin.create(
        RuntimeClasses,
        undefined,
        rc('bad-sched', 'runc', {
          scheduling: {
            nodeSelector: { 'bad key!': 'x' },
            tolerations: [
              { key: 'a', operator: 'Equal', value: 'b', effect: 'NoSchedule' },
              { key: 'a', operator: 'Equal', value: 'b', effect: 'NoSchedule' },
              { key: '', operator: 'Equal', value: 'x' },
            ],
          },
        }),
      ),
    );
    expect(sched.message).toContain('scheduling.nodeSelector: Invalid value: "bad key!"');
    expect(sched.message).toContain('scheduling.tolerations[1]: Duplicate value: core.Toleration{Key:"a", Operator:"Equal", Value:"b", Effect:"NoSchedule", TolerationSeconds:(*int64)(nil)}');
    expect(sched.message).toContain('scheduling.tolerations[2].operator: Invalid value: "Equal": operator must be Exists when `key` is empty');
    // an unknown field is refused by strict decoding
    const unknown = await failure(admin.request('/apis/node.k8s.io/v1/runtimeclasses?fieldValidation=Strict', { method: 'POST', body: { ...rc('u', 'runc'), handlr: 'x' } }));
    expect(unknown.code).toBe(400);
  });

  it('refuses a pod naming an unknown class, or carrying an overhead its class does not define', async () => {
    const unknown = await failure(admin.create(Pods, 'default', pod('p-unknown', { runtimeClassName: 'nope' })));
    expect(unknown.code).toBe(403);
    expect(unknown.message).toBe('pods "p-unknown" is forbidden: pod rejected: RuntimeClass "nope" not found');
    const own = await failure(admin.create(Pods, 'default', pod('p-own', { overhead: { cpu: '10m' } })));
    expect(own.code).toBe(403);
    expect(own.message).toBe('pods "p-own" is forbidden: pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead');
    const badOverhead = await failure(admin.create(Pods, 'default', pod('p-bad', { overhead: { cpu: 'x' } })));
    expect(badOverhead.code).toBe(422);
    expect(badOverhead.message).toContain('spec.overhead.limits[cpu]: Invalid value: "x"');
  });

  it('gives a pod its class overhead, merges the node selector and adds the tolerations', async () => {
    await admin.create(
      RuntimeClasses,
      undefined,
      rc('sandboxed', 'runc', {
        overhead: { podFixed: { cpu: '250m', memory: '0.125Gi' } },
        scheduling: { nodeSelector: { sandbox: 'yes' }, tolerations: [{ key: 'sandbox', operator: 'Exists', effect: 'NoSchedule' }, { key: 'gpu', operator: 'Equal', value: 'a', effect: 'NoSchedule' }] },
      }),
    );
    // the stored class's quantities are canonical, as Kubernetes writes them
    expect((await admin.get<RuntimeClass>(RuntimeClasses, undefined, 'sandboxed')).overhead?.podFixed).toEqual({ cpu: '250m', memory: '128Mi' });
    const p = await admin.create<Pod>(Pods, 'default', pod('p-sandboxed', { runtimeClassName: 'sandboxed', nodeSelector: { zone: 'a' }, tolerations: [{ key: 'gpu', operator: 'Exists' }] }));
    expect(p.spec?.overhead).toEqual({ cpu: '250m', memory: '128Mi' });
    expect(p.spec?.nodeSelector).toEqual({ zone: 'a', sandbox: 'yes' });
    // the pod's gpu:Exists covers the class's gpu=a, so only the sandbox toleration is added
    expect(p.spec?.tolerations?.map((t) => [t.key, t.operator, t.effect ?? ''])).toEqual(
      expect.arrayContaining([
        ['gpu', 'Exists', ''],
        ['sandbox', 'Exists', 'NoSchedule'],
      ]),
    );
    expect(p.spec?.tolerations?.some((t) => t.key === 'gpu' && t.value === 'a')).toBe(false);
    // the same overhead given by the pod (in another spelling) is accepted, a different one is not
    const same = await admin.create<Pod>(Pods, 'default', pod('p-same', { runtimeClassName: 'sandboxed', overhead: { cpu: '0.25', memory: '128Mi' } }));
    expect(same.spec?.overhead).toEqual({ cpu: '250m', memory: '128Mi' });
    const differs = await failure(admin.create(Pods, 'default', pod('p-differs', { runtimeClassName: 'sandboxed', overhead: { cpu: '1' } })));
    expect(differs.code).toBe(403);
    expect(differs.message).toBe("pods \"p-differs\" is forbidden: pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead");
    const conflict = await failure(admin.create(Pods, 'default', pod('p-conflict', { runtimeClassName: 'sandboxed', nodeSelector: { sandbox: 'no' } })));
    expect(conflict.code).toBe(403);
    expect(conflict.message).toBe('pods "p-conflict" is forbidden: conflict: runtimeClass.scheduling.nodeSelector[sandbox] = yes; pod.spec.nodeSelector[sandbox] = no');
    // a class without overhead leaves the pod without one
    await admin.create(RuntimeClasses, undefined, rc('bare', 'runc'));
    const bare = await admin.create<Pod>(Pods, 'default', pod('p-bare', { runtimeClassName: 'bare' }));
    expect(bare.spec?.overhead).toBeUndefined();
    expect(bare.spec?.nodeSelector).toBeUndefined();
  });

  it('charges the overhead to ResourceQuota: to every request, and to the limits the pod sets', async () => {
    await admin.create(Namespaces, undefined, { metadata: { name: 'rcq' } });
    await admin.create(ResourceQuotas, 'rcq', { metadata: { name: 'compute' }, spec: { hard: { 'requests.cpu': '1', 'requests.memory': '1Gi', 'limits.cpu': '2', 'limits.memory': '2Gi' } } });
    await eventually(async () => (await admin.get<ResourceQuota>(ResourceQuotas, 'rcq', 'compute')).status?.used?.['requests.cpu'] === '0');
    await admin.create(RuntimeClasses, undefined, rc('heavy', 'runc', { overhead: { podFixed: { cpu: '500m', memory: '256Mi' } } }));
    await admin.create(Pods, 'rcq', pod('a', { runtimeClassName: 'heavy' }, { requests: { cpu: '200m', memory: '128Mi' }, limits: { cpu: '300m', memory: '256Mi' } }));
    const used = (await admin.get<ResourceQuota>(ResourceQuotas, 'rcq', 'compute')).status?.used;
    expect(used).toEqual({ 'limits.cpu': '800m', 'limits.memory': '512Mi', 'requests.cpu': '700m', 'requests.memory': '384Mi' });
    // 700m used + 200m + 500m overhead > 1: refused, naming the request with its overhead
    const over = await failure(admin.create(Pods, 'rcq', pod('b', { runtimeClassName: 'heavy' }, { requests: { cpu: '200m', memory: '1Mi' }, limits: { cpu: '200m', memory: '1Mi' } })));
    expect(over.code).toBe(403);
    expect(over.message).toContain('exceeded quota: compute, requested: requests.cpu=700m');
    // without the class the same pod fits
    await admin.create(Pods, 'rcq', pod('c', {}, { requests: { cpu: '200m', memory: '1Mi' }, limits: { cpu: '200m', memory: '1Mi' } }));
  });
});
