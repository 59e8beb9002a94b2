// core/v1 LimitRanges and the LimitRanger admission plugin against the real apiserver and etcd:
// Kubernetes' defaulting and validation of the object, the requests and limits a pod gets, and
// the 403 that names each breached constraint.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LimitRange, Pod } from '../../pkg/api/types.js';
import { LimitRanges, Namespaces, PersistentVolumeClaims, Pods, type RestClient } from '../../pkg/client/rest-client.js';
import { failure, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;
let admin: RestClient;
const ns = 'limited';

beforeAll(async () => {
  cp = await startControlPlane();
  admin = cp.admin;
  await admin.create(Namespaces, undefined, { metadata: { name: ns } });
});
afterAll(async () => {
  await cp?.stop();
});

const lr = (name: string, limits: unknown[]) => ({ apiVersion: 'v1', kind: 'LimitRange', metadata: { name }, spec: { limits } });
const pod = (name: string, containers: unknown[], initContainers?: unknown[]) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers, ...(initContainers ? { initContainers } : {}) } });
const c = (name: string, resources?: Record<string, Record<string, string>>) => ({ name, image: 'busybox', ...(resources ? { resources } : {}) });

describe('limit ranges', () => {
  it('defaults a Container item as Kubernetes does and refuses inconsistent ones, naming the field', async () => {
    const created = await admin.create<LimitRange>(LimitRanges, ns, lr('mem', [{ type: 'Container', max: { memory: '1Gi' }, min: { memory: '64Mi' } }]));
    // default limit ← max, default request ← default limit.
    expect(created.spec?.limits?.[0]).toMatchObject({ default: { memory: '1Gi' }, defaultRequest: { memory: '1Gi' } });
    await admin.delete(LimitRanges, ns, 'mem');
    const bad = await failure(admin.create(LimitRanges, ns, lr('bad', [{ type: 'Container', min: { cpu: '2' }, max: { cpu: '1' } }, { type: 'Pod', default: { cpu: '1' } }, { type: 'Container' }])));
    expect(bad.code).toBe(422);
    expect(bad.message).toContain('spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1');
    expect(bad.message).toContain("spec.limits[1].default: Forbidden: may not be specified when `type` is 'Pod'");
    expect(bad.message).toContain('spec.limits[2].type: Duplicate value: "Container"');
    const ratio = await failure(admin.create(LimitRanges, ns, lr('ratio', [{ type: 'Container', maxLimitRequestRatio: { cpu: '500m' } }])));
    expect(ratio.message).toContain('spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: "500m": ratio 500m is less than 1');
  });

  it('gives containers that name nothing the defaults, annotated, and leaves what they name', async () => {
    await admin.create(LimitRanges, ns, lr('defaults', [{ type: 'Container', default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '100m' }, max: { cpu: '1' } }]));
    // (read-your-writes: the pod created at once after the LimitRange gets its defaults)
    const p = await admin.create<Pod>(Pods, ns, pod('plain', [c('app'), c('side', { requests: { cpu: '200m' }, limits: { cpu: '800m' } })], [c('init')]));
    const [app, side] = p.spec!.containers!;
    expect(app!.resources).toEqual({ limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '256Mi' } });
    expect(side!.resources).toEqual({ limits: { cpu: '800m', memory: '256Mi' }, requests: { cpu: '200m', memory: '256Mi' } });
    expect(p.spec!.initContainers![0]!.resources?.requests).toEqual({ cpu: '100m', memory: '256Mi' });
    expect(p.metadata?.annotations?.['kubernetes.io/limit-ranger']).toBe(
      'LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app; memory request for container side; memory limit for container side; cpu, memory request for init container init; cpu, memory limit for init container init',
    );
    // The QoS class follows the resources the pod ends up with.
    expect(p.status?.qosClass).toBe('Burstable');
    await admin.delete(LimitRanges, ns, 'defaults');
  });

  it('refuses a pod outside min, max or the ratio with a 403 naming each breach', async () => {
    await admin.create(LimitRanges, ns, lr('bounds', [
      { type: 'Container', min: { cpu: '100m' }, max: { cpu: '1', memory: '1Gi' }, default: { cpu: '200m', memory: '128Mi' }, maxLimitRequestRatio: { memory: '2' } },
      { type: 'Pod', max: { cpu: '1500m' } },
    ]));
    const low = await failure(admin.create(Pods, ns, pod('low', [c('a', { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '64Mi' } })])));
    expect(low.code).toBe(403);
    expect(low.message).toBe('pods "low" is forbidden: minimum cpu usage per Container is 100m, but request is 50m');
    const two = await failure(admin.create(Pods, ns, pod('two', [c('a', { requests: { cpu: '200m', memory: '100Mi' }, limits: { cpu: '2', memory: '400Mi' } })])));
    expect(two.message).toBe('pods "two" is forbidden: [maximum cpu usage per Container is 1, but limit is 2, memory max limit to request ratio per Container is 2, but provided ratio is 4.000000, maximum cpu usage per Pod is 1500m, but limit is 2]');
    const podMax = await failure(admin.create(Pods, ns, pod('sum', [c('a', { limits: { cpu: '800m', memory: '100Mi' } }), c('b', { limits: { cpu: '800m', memory: '100Mi' } })])));
    expect(podMax.message).toBe('pods "sum" is forbidden: maximum cpu usage per Pod is 1500m, but limit is 1600m');
    // A sidecar runs beside the app container: their limits add up (an ordinary init container's would not).
    const side = { ...c('side', { limits: { cpu: '800m', memory: '100Mi' } }), restartPolicy: 'Always' };
    const sidecar = await failure(admin.create(Pods, ns, pod('with-side', [c('a', { limits: { cpu: '800m', memory: '100Mi' } })], [side])));
    expect(sidecar.message).toBe('pods "with-side" is forbidden: maximum cpu usage per Pod is 1500m, but limit is 1600m');
    await admin.create(Pods, ns, pod('with-init', [c('a', { limits: { cpu: '800m', memory: '100Mi' } })], [c('init', { limits: { cpu: '800m', memory: '100Mi' } })]));
    // Within bounds: admitted, with the defaults filled in.
    const ok = await admin.create<Pod>(Pods, ns, pod('ok', [c('a', { requests: { memory: '100Mi' } })]));
    expect(ok.spec!.containers![0]!.resources).toEqual({ limits: { cpu: '200m', memory: '128Mi' }, requests: { cpu: '200m', memory: '100Mi' } });
    // Other namespaces are not limited.
    await admin.create(Pods, 'default', pod('free', [c('a', { requests: { cpu: '10m' } })]));
  });

  it('lists as kubectl shows it', async () => {
    const table = await admin.request<{ columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] }>(`/api/v1/namespaces/${ns}/limitranges`, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    expect(table.columnDefinitions.map((x) => x.name)).toEqual(['Name', 'Created At']);
    expect(table.rows.map((r) => r.cells[0])).toEqual(['bounds']);
  });

  it('holds a claim\'s storage request to a PersistentVolumeClaim item\'s min and max, on create and on update', async () => {
    await admin.create(Namespaces, undefined, { metadata: { name: 'claims' } });
    await admin.create(LimitRanges, 'claims', lr('storage', [{ type: 'PersistentVolumeClaim', min: { storage: '1Mi' }, max: { storage: '1Gi' } }]));
    const pvc = (name: string, storage: string) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } } });
    const big = await failure(admin.create(PersistentVolumeClaims, 'claims', pvc('big', '2Gi')));
    expect([big.code, big.message]).toEqual([403, 'persistentvolumeclaims "big" is forbidden: maximum storage usage per PersistentVolumeClaim is 1Gi, but request is 2Gi']);
    const tiny = await failure(admin.create(PersistentVolumeClaims, 'claims', pvc('tiny', '1Ki')));
    expect(tiny.message).toBe('persistentvolumeclaims "tiny" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Mi, but request is 1Ki');
    await admin.create(PersistentVolumeClaims, 'claims', pvc('fits', '100Mi'));
    // (an unbound claim cannot grow: the object's validation speaks first, as the limits are checked after it)
    const grown = await failure(admin.patch(PersistentVolumeClaims, 'claims', 'fits', { spec: { resources: { requests: { storage: '5Gi' } } } }, 'merge'));
    expect(grown.code).toBe(422);
    expect(grown.message).toContain('spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims');
  });
});
