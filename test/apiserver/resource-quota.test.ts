// core/v1 ResourceQuotas and the ResourceQuota admission plugin against the real apiserver and
// etcd: usage kept in status.used, Kubernetes' 403s for an exceeded quota and for a pod that
// names no limit a quota needs, scopes, concurrent creates racing for the last unit, and usage
// given back when objects go.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourceQuota } from '../../pkg/api/types.js';
import { core, Namespaces, Pods, ResourceQuotas, type RestClient } from '../../pkg/client/rest-client.js';
import { eventually, failure, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;
let admin: RestClient;
const ConfigMaps = core('configmaps');
const Claims = core('persistentvolumeclaims');
const Services = core('services');

beforeAll(async () => {
  cp = await startControlPlane();
  admin = cp.admin;
  for (const name of ['q1', 'q2', 'q3', 'q4', 'q5']) await admin.create(Namespaces, undefined, { metadata: { name } });
  // Every namespace gets kube-root-ca.crt from the root CA publisher; it counts, as in Kubernetes.
  for (const name of ['q1', 'q3']) await eventually(() => admin.get(ConfigMaps, name, 'kube-root-ca.crt'), { what: `kube-root-ca.crt in ${name}` });
});
afterAll(async () => {
  await cp?.stop();
});

const quota = (name: string, hard: Record<string, string>, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name }, spec: { hard, ...extra } });
const pod = (name: string, resources?: Record<string, Record<string, string>>, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'app', image: 'busybox', ...(resources ? { resources } : {}) }], ...spec },
});
const used = async (ns: string, name: string) => ((await admin.get<ResourceQuota>(ResourceQuotas, ns, name)).status?.used ?? {}) as Record<string, string>;

describe('resource quotas', () => {
  it('counts usage into status, refuses what passes a hard limit, and gives usage back on delete', async () => {
    await admin.create(ResourceQuotas, 'q1', quota('compute', { pods: '2', 'requests.cpu': '1', 'requests.memory': '1Gi', configmaps: '2' }));
    // The recount fills status even before anything is created.
    expect(await eventually(async () => ((await used('q1', 'compute')).pods === '0' ? used('q1', 'compute') : undefined))).toEqual({ configmaps: '1', pods: '0', 'requests.cpu': '0', 'requests.memory': '0' });
    await admin.create(Pods, 'q1', pod('a', { requests: { cpu: '600m', memory: '256Mi' } }));
    expect(await used('q1', 'compute')).toEqual({ configmaps: '1', pods: '1', 'requests.cpu': '600m', 'requests.memory': '256Mi' });
    const over = await failure(admin.create(Pods, 'q1', pod('b', { requests: { cpu: '500m', memory: '64Mi' } })));
    expect(over.code).toBe(403);
    expect(over.message).toBe('pods "b" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=600m, limited: requests.cpu=1');
    await admin.create(ConfigMaps, 'q1', { metadata: { name: 'one' } });
    const cm = await failure(admin.create(ConfigMaps, 'q1', { metadata: { name: 'two' } }));
    expect(cm.message).toBe('configmaps "two" is forbidden: exceeded quota: compute, requested: configmaps=1, used: configmaps=2, limited: configmaps=2');
    // Deleting gives the usage back (the recount), and the refused pod then fits.
    await admin.delete(Pods, 'q1', 'a');
    await eventually(async () => (await used('q1', 'compute')).pods === '0');
    await admin.create(Pods, 'q1', pod('b', { requests: { cpu: '500m', memory: '64Mi' } }));
  });

  it('needs every container to name what a quota limits, and honours scopes', async () => {
    await admin.create(ResourceQuotas, 'q2', quota('limits', { 'limits.cpu': '2', 'limits.memory': '1Gi' }, { scopes: ['NotBestEffort'] }));
    await admin.create(ResourceQuotas, 'q2', quota('best-effort', { pods: '1' }, { scopes: ['BestEffort'] }));
    const missing = await failure(admin.create(Pods, 'q2', pod('half', { requests: { cpu: '100m' } })));
    expect(missing.code).toBe(403);
    expect(missing.message).toBe('pods "half" is forbidden: failed quota: limits: must specify limits.cpu for: app; limits.memory for: app');
    await admin.create(Pods, 'q2', pod('full', { limits: { cpu: '1', memory: '512Mi' } }));
    // BestEffort pods are counted by the BestEffort quota only: one is allowed, a second is not.
    await admin.create(Pods, 'q2', pod('be-1'));
    const be = await failure(admin.create(Pods, 'q2', pod('be-2')));
    expect(be.message).toContain('exceeded quota: best-effort, requested: pods=1, used: pods=1, limited: pods=1');
    expect(await used('q2', 'limits')).toEqual({ 'limits.cpu': '1', 'limits.memory': '512Mi' });
  });

  it('lets only as many concurrent creates through as the quota has room for', async () => {
    // (kube-root-ca.crt takes one of the six)
    await admin.create(ResourceQuotas, 'q3', quota('count', { 'count/configmaps': '6' }));
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => admin.create(ConfigMaps, 'q3', { metadata: { name: `cm-${i}` } })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    expect((await admin.list(ConfigMaps, 'q3')).items).toHaveLength(6);
    expect(await used('q3', 'count')).toEqual({ 'count/configmaps': '6' });
  });

  it('counts claims and their storage, by StorageClass too, and refuses a claim past a limit', async () => {
    const sc = 'local-path.storageclass.storage.k8s.io/requests.storage';
    await admin.create(ResourceQuotas, 'q4', quota('sc', { [sc]: '100Mi', 'requests.storage': '1Gi', 'local-path.storageclass.storage.k8s.io/persistentvolumeclaims': '3' }));
    await eventually(async () => (await used('q4', 'sc'))[sc] === '0');
    const claim = (name: string, storage: string) => ({ metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } } });
    // (no storageClassName: DefaultStorageClass gives it local-path before quota counts it)
    await admin.create(Claims, 'q4', claim('small', '50Mi'));
    expect(await used('q4', 'sc')).toEqual({ 'local-path.storageclass.storage.k8s.io/persistentvolumeclaims': '1', [sc]: '50Mi', 'requests.storage': '50Mi' });
    const big = await failure(admin.create(Claims, 'q4', claim('big', '600Mi')));
    expect(big.code).toBe(403);
    expect(big.message).toBe(`persistentvolumeclaims "big" is forbidden: exceeded quota: sc, requested: ${sc}=600Mi, used: ${sc}=50Mi, limited: ${sc}=100Mi`);
    // A quota made after the claim gets its usage from the controller's count alone.
    await admin.create(ResourceQuotas, 'q4', quota('later', { [sc]: '1Gi', 'requests.storage': '1Gi' }));
    expect(await eventually(async () => ((await used('q4', 'later'))[sc] ? used('q4', 'later') : undefined))).toEqual({ [sc]: '50Mi', 'requests.storage': '50Mi' });
  });

  it('charges a service update what it adds: a ClusterIP service turned NodePort needs a node port', async () => {
    await admin.create(ResourceQuotas, 'q5', quota('q1', { 'services.nodeports': '0', 'services.loadbalancers': '1' }));
    await eventually(async () => (await used('q5', 'q1'))['services.nodeports'] === '0');
    await admin.create(Services, 'q5', { metadata: { name: 'cip' }, spec: { ports: [{ port: 80 }] } });
    const np = await failure(admin.patch(Services, 'q5', 'cip', { spec: { type: 'NodePort' } }));
    expect(np.code).toBe(403);
    expect(np.message).toBe('services "cip" is forbidden: exceeded quota: q1, requested: services.nodeports=1, used: services.nodeports=0, limited: services.nodeports=0');
    // A load balancer that allocates no node ports fits; changing what adds nothing is not refused.
    await admin.patch(Services, 'q5', 'cip', { spec: { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false } });
    expect(await used('q5', 'q1')).toEqual({ 'services.loadbalancers': '1', 'services.nodeports': '0' });
    await admin.patch(Services, 'q5', 'cip', { metadata: { labels: { tier: 'web' } } });
  });

  it('validates hard quantities and scopes, and lists as kubectl shows it', async () => {
    const bad = await failure(admin.create(ResourceQuotas, 'q1', quota('bad', { cpu: '-1', pods: 'lots' }, { scopes: ['Sometimes'] })));
    expect(bad.code).toBe(422);
    expect(bad.message).toContain('spec.hard[cpu]: Invalid value: "-1": must be greater than or equal to 0');
    expect(bad.message).toContain('spec.hard[pods]: Invalid value: "lots"');
    expect(bad.message).toContain('spec.scopes: Invalid value: []core.ResourceQuotaScope{"Sometimes"}: unsupported scope');
    // (ValidateResourceQuotaResourceName, validateResourceQuotaScopes)
    const names = await failure(admin.create(ResourceQuotas, 'q1', quota('names', { foo: '1', storage: '1Gi', 'count/widgets.example.com': '3' })));
    expect(names.message).toContain('spec.hard[foo]: Invalid value: "foo": must be a standard resource type or fully qualified');
    expect(names.message).toContain('spec.hard[foo]: Invalid value: "foo": must be a standard resource for quota');
    expect(names.message).toContain('spec.hard[storage]: Invalid value: "storage": must be a standard resource for quota');
    expect(names.message).not.toContain('count/widgets');
    const conflicting = await failure(admin.create(ResourceQuotas, 'q1', quota('both', { pods: '1' }, { scopes: ['BestEffort', 'NotBestEffort'] })));
    expect(conflicting.message).toContain('spec.scopes: Invalid value: []core.ResourceQuotaScope{"BestEffort", "NotBestEffort"}: conflicting scopes');
    const misapplied = await failure(admin.create(ResourceQuotas, 'q1', quota('misapplied', { 'requests.cpu': '1' }, { scopes: ['BestEffort'] })));
    expect(misapplied.message).toBe('ResourceQuota "misapplied" is invalid: spec.scopes: Invalid value: []core.ResourceQuotaScope{"BestEffort"}: unsupported scope applied to resource');
    expect(misapplied.status?.details?.causes).toHaveLength(1);
    // (one error per resource the scope cannot count, told once: ErrorList.ToAggregate)
    const twice = await failure(admin.create(ResourceQuotas, 'q1', quota('misapplied', { 'requests.cpu': '1', 'requests.memory': '1G' }, { scopes: ['BestEffort'] })));
    expect(twice.message).toBe('ResourceQuota "misapplied" is invalid: spec.scopes: Invalid value: []core.ResourceQuotaScope{"BestEffort"}: unsupported scope applied to resource');
    expect(twice.status?.details?.causes).toHaveLength(2);
    // (1.32: count resources are whole numbers; spec.scopes cannot change)
    const fraction = await failure(admin.create(ResourceQuotas, 'q1', quota('fraction', { pods: '1500m' })));
    expect(fraction.message).toBe('ResourceQuota "fraction" is invalid: spec.hard[pods]: Invalid value: resource.Quantity{i:resource.int64Amount{value:1500, scale:-3}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"1500m", Format:"DecimalSI"}: must be an integer');
    await admin.create(ResourceQuotas, 'q1', quota('scoped', { pods: '3' }, { scopes: ['NotTerminating', 'NotBestEffort'] }));
    const rescoped = await failure(admin.patch(ResourceQuotas, 'q1', 'scoped', { spec: { scopes: ['NotTerminating'] } }));
    expect(rescoped.code).toBe(422);
    expect(rescoped.message).toBe('ResourceQuota "scoped" is invalid: spec.scopes: Invalid value: []core.ResourceQuotaScope{"NotTerminating"}: field is immutable');
    await admin.patch(ResourceQuotas, 'q1', 'scoped', { spec: { hard: { pods: '4' } } });
    const table = await admin.request<{ columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] }>('/api/v1/namespaces/q2/resourcequotas', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    expect(table.columnDefinitions.map((x) => x.name)).toEqual(['Name', 'Age', 'Request', 'Limit']);
    expect(table.rows.find((r) => r.cells[0] === 'limits')?.cells.slice(2)).toEqual(['', 'limits.cpu: 1/2, limits.memory: 512Mi/1Gi']);
  });

  it('takes a spec PUT without a resourceVersion, but not a status PUT (ValidateResourceQuotaStatusUpdate)', async () => {
    await admin.create(ResourceQuotas, 'q5', quota('unconditional', { pods: '5' }));
    const path = `${admin.path(ResourceQuotas, 'q5')}/unconditional`;
    const put = (p: string, o: unknown) => admin.request<ResourceQuota>(p, { method: 'PUT', body: JSON.stringify(o), contentType: 'application/json' });
    const spec = await put(path, quota('unconditional', { pods: '6' }));
    expect(spec.spec?.hard).toEqual({ pods: '6' });
    const noRv = await failure(put(`${path}/status`, { ...quota('unconditional', { pods: '6' }), status: { hard: { pods: '6' }, used: { pods: '0' } } }));
    expect(noRv.code).toBe(422);
    expect(noRv.message).toBe('ResourceQuota "unconditional" is invalid: resourceVersion: Required value');
    const current = await admin.get<ResourceQuota>(ResourceQuotas, 'q5', 'unconditional');
    const withRv = await put(`${path}/status`, { ...current, status: { hard: { pods: '6' }, used: { pods: '0' } } });
    expect(withRv.status?.used).toEqual({ pods: '0' });
    await admin.delete(ResourceQuotas, 'q5', 'unconditional');
  });
});
