// The Endpoints and EndpointSlice controllers in a real controller-manager against a real
// apiserver: pods are bound to a node object and their status (IP, Ready) is set through the API
// as a node agent would, and the endpoints follow readiness, label changes, deletion and the
// Service's own changes. Services without a selector keep their user-managed endpoints.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EndpointSlice, Endpoints } from '../../pkg/api/types.js';
import { EndpointSlices, EndpointsRef, Nodes, Pods, RestClient, Services, StatusError } from '../../pkg/client/rest-client.js';
import { ControllerManager, defaultControllerConfig } from '../../pkg/controllers/manager.js';
import type { ApiClient } from '../../pkg/client/api-client.js';
import { connect } from '../../pkg/client/connect.js';
import { GrpcApiClient } from '../../pkg/client/grpc-client.js';
import { loadKubeconfig } from '../../pkg/client/kubeconfig.js';
import { join } from 'node:path';
import { eventually, node, pod, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;
let cm: ControllerManager;
let n1: RestClient;
let cmClient: ApiClient;

beforeAll(async () => {
  cp = await startControlPlane();
  n1 = cp.nodeClient('n1');
  await n1.create(Nodes, undefined, node('n1'));
  // As cmd/controller-manager does: its own kubeconfig, over gRPC.
  cmClient = connect(loadKubeconfig(join(cp.dataDir, 'controller-manager.kubeconfig')));
  expect(cmClient).toBeInstanceOf(GrpcApiClient);
  cm = new ControllerManager(cmClient, { ...defaultControllerConfig, leaderElect: false });
  await cm.start();
});

afterAll(async () => {
  await cm?.stop();
  cmClient?.close();
  await cp?.stop();
});

/** A pod of app `app` with a container port named http (8080), bound to n1 and given `ip`. */
async function runningPod(name: string, app: string, ip: string, ready: boolean): Promise<void> {
  const p = pod(name);
  (p.metadata as Record<string, unknown>).labels = { app };
  (p.spec as { containers: Record<string, unknown>[] }).containers[0]!.ports = [{ name: 'http', containerPort: 8080 }];
  await cp.admin.create(Pods, 'default', p);
  await cp.admin.bind('default', name, 'n1');
  await setReady(name, ip, ready);
}

async function setReady(name: string, ip: string, ready: boolean): Promise<void> {
  await n1.patch(Pods, 'default', name, { status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } }, 'merge', 'status');
}

const getEndpoints = (name: string) => cp.admin.get<Endpoints>(EndpointsRef, 'default', name).catch((e) => (e instanceof StatusError && e.code === 404 ? undefined : Promise.reject(e)));
const slicesOf = async (svc: string) => (await cp.admin.list<EndpointSlice>(EndpointSlices, 'default', { labelSelector: `kubernetes.io/service-name=${svc}` })).items;
const ips = (addrs: { ip?: string }[] | undefined) => (addrs ?? []).map((a) => a.ip);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

describe('endpoints controllers', () => {
  it('list the selected pods with resolved named ports, following readiness, labels and deletion', async () => {
    await runningPod('web-1', 'web', '10.244.0.5', true);
    await runningPod('web-2', 'web', '10.244.0.6', false);
    await runningPod('other', 'db', '10.244.0.9', true);
    const svc = await cp.admin.create<{ metadata: { uid: string } }>(Services, 'default', {
      metadata: { name: 'web', labels: { tier: 'front' } },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });

    const ep = await eventually(async () => {
      const e = await getEndpoints('web');
      return e && same(ips(e.subsets?.[0]?.addresses), ['10.244.0.5']) && same(ips(e.subsets?.[0]?.notReadyAddresses), ['10.244.0.6']) ? e : undefined;
    }, { what: 'Endpoints web with one ready and one not-ready address' });
    expect(ep.metadata?.labels).toEqual({ tier: 'front' });
    expect(ep.subsets).toHaveLength(1);
    expect(ep.subsets![0]!.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(ep.subsets![0]!.addresses![0]).toMatchObject({ ip: '10.244.0.5', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'default', name: 'web-1' } });

    const slice = await eventually(async () => {
      const s = await slicesOf('web');
      return s.length === 1 && s[0]!.endpoints?.length === 2 ? s[0] : undefined;
    }, { what: 'one EndpointSlice with two endpoints' });
    expect(slice.metadata?.name).toMatch(/^web-[a-z0-9]{5}$/);
    expect(slice.metadata?.labels).toEqual({ tier: 'front', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
    expect(slice.metadata?.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(slice.addressType).toBe('IPv4');
    expect(slice.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(slice.endpoints).toEqual([
      { addresses: ['10.244.0.5'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'n1', targetRef: expect.objectContaining({ kind: 'Pod', name: 'web-1' }) },
      { addresses: ['10.244.0.6'], conditions: { ready: false, serving: false, terminating: false }, nodeName: 'n1', targetRef: expect.objectContaining({ kind: 'Pod', name: 'web-2' }) },
    ]);

    // web-2 becomes ready.
    await setReady('web-2', '10.244.0.6', true);
    await eventually(async () => same(ips((await getEndpoints('web'))?.subsets?.[0]?.addresses), ['10.244.0.5', '10.244.0.6']), { what: 'both ready' });
    await eventually(async () => (await slicesOf('web'))[0]?.endpoints?.every((e) => e.conditions?.ready), { what: 'both ready in the slice' });

    // web-1 stops matching the selector.
    await cp.admin.patch(Pods, 'default', 'web-1', { metadata: { labels: { app: 'moved' } } }, 'merge');
    await eventually(async () => same(ips((await getEndpoints('web'))?.subsets?.[0]?.addresses), ['10.244.0.6']), { what: 'web-1 gone from Endpoints' });
    await eventually(async () => same((await slicesOf('web'))[0]?.endpoints?.map((e) => e.addresses?.[0]), ['10.244.0.6']), { what: 'web-1 gone from the slice' });

    // web-2 is deleted (gracefully: it is bound, so it stays terminating until its node confirms).
    await cp.admin.delete(Pods, 'default', 'web-2', { gracePeriodSeconds: 30 });
    await eventually(async () => (await getEndpoints('web'))?.subsets?.length === 0, { what: 'terminating pod out of Endpoints' });
    const terminating = await eventually(async () => {
      const e = (await slicesOf('web'))[0]?.endpoints?.[0];
      return e?.conditions?.terminating ? e : undefined;
    }, { what: 'terminating endpoint in the slice' });
    expect(terminating.conditions).toEqual({ ready: false, serving: true, terminating: true });
    await cp.admin.delete(Pods, 'default', 'web-2', { gracePeriodSeconds: 0 });
    await eventually(async () => {
      const s = await slicesOf('web');
      return s.length === 1 && !s[0]!.endpoints?.length ? s : undefined;
    }, { what: 'an empty placeholder slice' });

    // The Service goes: so do its Endpoints and slices.
    await cp.admin.delete(Services, 'default', 'web');
    await eventually(async () => !(await getEndpoints('web')) && (await slicesOf('web')).length === 0, { what: 'endpoints of a deleted service removed' });
    for (const p of ['web-1', 'other']) await cp.admin.delete(Pods, 'default', p, { gracePeriodSeconds: 0 });
  });

  it('publishNotReadyAddresses lists pods that are not ready; unresolvable named ports and pods without an IP are skipped', async () => {
    await runningPod('pub-1', 'pub', '10.244.0.20', false);
    const noIP = pod('pub-2');
    (noIP.metadata as Record<string, unknown>).labels = { app: 'pub' };
    await cp.admin.create(Pods, 'default', noIP); // no status: no IP
    await cp.admin.create(Services, 'default', { metadata: { name: 'pub' }, spec: { selector: { app: 'pub' }, publishNotReadyAddresses: true, ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'metrics', port: 9090, targetPort: 'metrics' }] } });
    const ep = await eventually(async () => {
      const e = await getEndpoints('pub');
      return e?.subsets?.length ? e : undefined;
    }, { what: 'Endpoints pub' });
    expect(ep.subsets).toEqual([{ addresses: [expect.objectContaining({ ip: '10.244.0.20' })], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }]);
    const slice = await eventually(async () => (await slicesOf('pub')).find((s) => s.endpoints?.length), { what: 'slice pub' });
    expect(slice.endpoints?.[0]?.conditions).toEqual({ ready: true, serving: false, terminating: false });
    await cp.admin.delete(Services, 'default', 'pub');
    for (const p of ['pub-1', 'pub-2']) await cp.admin.delete(Pods, 'default', p, { gracePeriodSeconds: 0 });
  });

  it('after a restart, removes the Endpoints it wrote for Services deleted meanwhile, and only those', async () => {
    await runningPod('gone-1', 'gone', '10.244.0.40', true);
    await cp.admin.create(Services, 'default', { metadata: { name: 'gone' }, spec: { selector: { app: 'gone' }, ports: [{ port: 80 }] } });
    const managed = await eventually(async () => {
      const e = await getEndpoints('gone');
      return e?.subsets?.length ? e : undefined;
    }, { what: 'Endpoints gone' });
    expect(managed.metadata?.annotations?.['endpoints.kubernetes.io/last-change-trigger-time']).toMatch(/^\d{4}-\d\d-\d\dT/);
    // A user's Endpoints with no Service (yet); edits to it are left alone.
    await cp.admin.create(EndpointsRef, 'default', { metadata: { name: 'mine' }, subsets: [{ addresses: [{ ip: '192.0.2.20' }], ports: [{ port: 80 }] }] });
    await cp.admin.patch(EndpointsRef, 'default', 'mine', { metadata: { labels: { edited: 'yes' } } }, 'merge');
    await cm.stop();
    await cp.admin.delete(Services, 'default', 'gone');
    cm = new ControllerManager(cmClient, { ...defaultControllerConfig, leaderElect: false });
    await cm.start();
    await eventually(async () => !(await getEndpoints('gone')), { what: 'leftover Endpoints removed' });
    expect((await getEndpoints('mine'))?.metadata?.labels).toEqual({ edited: 'yes' });
    await cp.admin.delete(EndpointsRef, 'default', 'mine');
    await cp.admin.delete(Pods, 'default', 'gone-1', { gracePeriodSeconds: 0 });
  });

  it('leaves the endpoints of a Service without a selector to its user, and mirrors them into EndpointSlices', async () => {
    await cp.admin.create(Services, 'default', { metadata: { name: 'external-db' }, spec: { ports: [{ name: 'pg', port: 5432 }] } });
    const ep = await cp.admin.create<Endpoints>(EndpointsRef, 'default', { metadata: { name: 'external-db', labels: { team: 'data' } }, subsets: [{ addresses: [{ ip: '192.0.2.10' }], notReadyAddresses: [{ ip: '192.0.2.11' }], ports: [{ name: 'pg', port: 5432 }] }] });
    const mirror = await eventually(async () => (await slicesOf('external-db'))[0], { what: 'a mirrored slice' });
    expect(mirror.metadata?.labels).toEqual({ team: 'data', 'kubernetes.io/service-name': 'external-db', 'endpointslice.kubernetes.io/managed-by': 'endpointslicemirroring-controller.k8s.io' });
    expect(mirror.metadata?.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Endpoints', name: 'external-db', uid: ep.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
    expect(mirror.endpoints).toEqual([
      // (ready only, as the mirroring controller's addressToEndpoint)
      { addresses: ['192.0.2.10'], conditions: { ready: true } },
      { addresses: ['192.0.2.11'], conditions: { ready: false } },
    ]);
    expect(mirror.ports).toEqual([{ name: 'pg', port: 5432, protocol: 'TCP' }]);
    // A pod carrying a label like the Service's name changes nothing: there is no selector.
    await runningPod('bystander', 'external-db', '10.244.0.30', true);
    // The user edits the Endpoints: the mirror follows, the Endpoints stay the user's.
    await cp.admin.patch(EndpointsRef, 'default', 'external-db', { subsets: [{ addresses: [{ ip: '192.0.2.12' }], ports: [{ name: 'pg', port: 5432 }] }] }, 'merge');
    await eventually(async () => same((await slicesOf('external-db'))[0]?.endpoints?.map((e) => e.addresses?.[0]), ['192.0.2.12']), { what: 'mirror follows the edit' });
    await new Promise((r) => setTimeout(r, 500));
    expect(ips((await getEndpoints('external-db'))?.subsets?.[0]?.addresses)).toEqual(['192.0.2.12']);
    expect((await slicesOf('external-db')).map((s) => s.metadata?.labels?.['endpointslice.kubernetes.io/managed-by'])).toEqual(['endpointslicemirroring-controller.k8s.io']);
    // The kubernetes Service's endpoints (the apiserver's, skip-mirror) are neither touched nor mirrored.
    const k = await getEndpoints('kubernetes');
    expect(ips(k?.subsets?.[0]?.addresses)).toEqual(['127.0.0.1']);
    expect((await slicesOf('kubernetes')).map((s) => s.metadata?.name)).toEqual(['kubernetes']);
    await cp.admin.delete(Pods, 'default', 'bystander', { gracePeriodSeconds: 0 });
    // The Endpoints go: so does the mirror.
    await cp.admin.delete(EndpointsRef, 'default', 'external-db');
    await eventually(async () => (await slicesOf('external-db')).length === 0, { what: 'mirror removed' });
    await cp.admin.delete(Services, 'default', 'external-db');
  });
});
