// The Endpoints and EndpointSlice controllers in a real controller-manager against a real
// apiserver: pods are bound to a node object and their status (IP, Ready) is set through the API
// as a node agent would, and the endpoints follow readiness, label changes, deletion and the
// Service's own changes. Services without a selector keep their user-managed endpoints.
// kube-system/kube-dns lists the nodes that record a cluster DNS address, as a kubeadm cluster's
// lists its CoreDNS pods.
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
import { DEFAULT_SERVICE_CIDR } from '../../pkg/apiserver/apiserver.js';
import { ensureKubeDnsService, NODE_DNS_ADDRESS } from '../../pkg/dns/kube-dns-service.js';

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

/** A pod of app `app` with a container port named http (8080 unless told), bound to n1 and given `ip`. */
async function runningPod(name: string, app: string, ip: string, ready: boolean, opts: { port?: number; since?: string } = {}): Promise<void> {
  const p = pod(name);
  (p.metadata as Record<string, unknown>).labels = { app };
  (p.spec as { containers: Record<string, unknown>[] }).containers[0]!.ports = [{ name: 'http', containerPort: opts.port ?? 8080 }];
  await cp.admin.create(Pods, 'default', p);
  await cp.admin.bind('default', name, 'n1');
  await setReady(name, ip, ready, opts.since);
}

/** Sets the pod Running with `ip`, its Ready condition as told (changed at `since`, if given). */
async function setReady(name: string, ip: string, ready: boolean, since?: string): Promise<void> {
  const condition = { type: 'Ready', status: ready ? 'True' : 'False', ...(since ? { lastTransitionTime: since } : {}) };
  await n1.patch(Pods, 'default', name, { status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [condition] } }, 'merge', 'status');
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
    // (no addresses: no subsets at all, as the field is omitempty)
    await eventually(async () => {
      const e = await getEndpoints('web');
      return e && !('subsets' in e);
    }, { what: 'terminating pod out of Endpoints' });
    const terminating = await eventually(async () => {
      const e = (await slicesOf('web'))[0]?.endpoints?.[0];
      return e?.conditions?.terminating ? e : undefined;
    }, { what: 'terminating endpoint in the slice' });
    expect(terminating.conditions).toEqual({ ready: false, serving: true, terminating: true });
    await cp.admin.delete(Pods, 'default', 'web-2', { gracePeriodSeconds: 0 });
    const placeholder = await eventually(async () => {
      const s = await slicesOf('web');
      return s.length === 1 && !s[0]!.endpoints?.length ? s[0] : undefined;
    }, { what: 'an empty placeholder slice' });
    // The placeholder is the slice that held web-2 (updated, not replaced); its lists are null, as 1.32 serves them.
    expect(placeholder.metadata?.name).toBe(slice.metadata?.name);
    expect(placeholder.endpoints).toBeNull();
    expect(placeholder.ports).toBeNull();

    // The Service goes: so do its Endpoints and slices.
    await cp.admin.delete(Services, 'default', 'web');
    await eventually(async () => !(await getEndpoints('web')) && (await slicesOf('web')).length === 0, { what: 'endpoints of a deleted service removed' });
    for (const p of ['web-1', 'other']) await cp.admin.delete(Pods, 'default', p, { gracePeriodSeconds: 0 });
  });

  it('slices carry the last-change-trigger-time; a pod whose port resolves to another number gets a slice of its own', async () => {
    const TRIGGER = 'endpoints.kubernetes.io/last-change-trigger-time';
    const svc = await cp.admin.create<{ metadata: { creationTimestamp: string } }>(Services, 'default', { metadata: { name: 'tt' }, spec: { selector: { app: 'tt' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
    // A Service seen for the first time: its creation time, on both kinds; no pods: no subsets.
    const placeholder = await eventually(async () => (await slicesOf('tt'))[0], { what: 'a placeholder slice for tt' });
    expect(placeholder.metadata?.annotations?.[TRIGGER]).toBe(svc.metadata.creationTimestamp);
    const empty = await eventually(() => getEndpoints('tt'), { what: 'Endpoints tt' });
    expect(empty.metadata?.annotations?.[TRIGGER]).toBe(svc.metadata.creationTimestamp);
    expect(empty).not.toHaveProperty('subsets');

    // A pod becomes ready: the time of its Ready condition.
    await runningPod('tt-1', 'tt', '10.244.0.50', true, { since: '2026-01-02T03:04:05Z' });
    const s8080 = await eventually(async () => (await slicesOf('tt')).find((s) => s.endpoints?.length), { what: 'tt-1 in a slice' });
    expect(s8080.metadata?.name).toBe(placeholder.metadata?.name);
    expect(s8080.metadata?.annotations?.[TRIGGER]).toBe('2026-01-02T03:04:05Z');
    expect((await getEndpoints('tt'))?.metadata?.annotations?.[TRIGGER]).toBe('2026-01-02T03:04:05Z');

    // A pod whose http port is 9090: a new slice; the 8080 one is left as it was.
    await runningPod('tt-2', 'tt', '10.244.0.51', true, { port: 9090, since: '2026-01-02T03:04:06Z' });
    const s9090 = await eventually(async () => (await slicesOf('tt')).find((s) => s.ports?.[0]?.port === 9090), { what: 'a slice for port 9090' });
    expect(s9090.endpoints?.map((e) => e.addresses?.[0])).toEqual(['10.244.0.51']);
    expect(s9090.metadata?.annotations?.[TRIGGER]).toBe('2026-01-02T03:04:06Z');
    const kept = (await slicesOf('tt')).find((s) => s.metadata?.name === s8080.metadata?.name);
    expect(kept?.metadata?.resourceVersion).toBe(s8080.metadata?.resourceVersion);
    expect(kept?.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);

    // tt-1 goes: its slice goes (no placeholder beside the 9090 one); no new trigger time, so the
    // Endpoints written lose the annotation.
    await cp.admin.delete(Pods, 'default', 'tt-1', { gracePeriodSeconds: 0 });
    await eventually(async () => same((await slicesOf('tt')).map((s) => s.metadata?.name), [s9090.metadata?.name]), { what: 'only the 9090 slice left' });
    const after = await eventually(async () => {
      const e = await getEndpoints('tt');
      return e?.subsets?.length === 1 && same(ips(e.subsets[0]!.addresses), ['10.244.0.51']) ? e : undefined;
    }, { what: 'Endpoints tt without tt-1' });
    expect(after.metadata?.annotations?.[TRIGGER]).toBeUndefined();
    await cp.admin.delete(Services, 'default', 'tt');
    await cp.admin.delete(Pods, 'default', 'tt-2', { gracePeriodSeconds: 0 });
  });

  it('ExternalName Services get no endpoints; one that becomes ExternalName keeps those it had, unchanged', async () => {
    await runningPod('ext-1', 'ext', '10.244.0.60', true);
    // (kubectl create service externalname sets a selector)
    await cp.admin.create(Services, 'default', { metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'db.example.com', selector: { app: 'ext' } } });
    await cp.admin.create(Services, 'default', { metadata: { name: 'ext-ip' }, spec: { selector: { app: 'ext' }, ports: [{ port: 80 }] } });
    await cp.admin.create(Services, 'default', { metadata: { name: 'ext-watch' }, spec: { selector: { app: 'ext' }, ports: [{ port: 80 }] } });
    await eventually(async () => (await getEndpoints('ext-ip'))?.subsets?.length && (await slicesOf('ext-ip'))[0]?.endpoints?.length && (await getEndpoints('ext-watch'))?.subsets?.length && (await slicesOf('ext-watch'))[0]?.endpoints?.length, { what: 'endpoints of the ClusterIP services' });
    expect(await getEndpoints('ext')).toBeUndefined();
    expect(await slicesOf('ext')).toEqual([]);

    const before = { ep: await getEndpoints('ext-ip'), slices: await slicesOf('ext-ip') };
    await cp.admin.patch(Services, 'default', 'ext-ip', { spec: { type: 'ExternalName', externalName: 'db.example.com', clusterIP: null, clusterIPs: null, ipFamilies: null, ipFamilyPolicy: null, internalTrafficPolicy: null } }, 'merge');
    await setReady('ext-1', '10.244.0.60', false);
    // ext-watch follows the pod; ext-ip's Endpoints and slices stay as they were (1.32 returns early for ExternalName).
    await eventually(async () => (await getEndpoints('ext-watch'))?.subsets?.[0]?.notReadyAddresses?.length && (await slicesOf('ext-watch'))[0]?.endpoints?.[0]?.conditions?.ready === false, { what: 'ext-watch follows the pod' });
    await new Promise((r) => setTimeout(r, 500));
    expect((await getEndpoints('ext-ip'))?.metadata?.resourceVersion).toBe(before.ep?.metadata?.resourceVersion);
    expect((await slicesOf('ext-ip')).map((s) => s.metadata?.resourceVersion)).toEqual(before.slices.map((s) => s.metadata?.resourceVersion));

    // Deleted, it loses them.
    for (const name of ['ext', 'ext-ip', 'ext-watch']) await cp.admin.delete(Services, 'default', name);
    await eventually(async () => !(await getEndpoints('ext-ip')) && (await slicesOf('ext-ip')).length === 0, { what: 'ext-ip endpoints removed' });
    await cp.admin.delete(Pods, 'default', 'ext-1', { gracePeriodSeconds: 0 });
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
    const ep = await cp.admin.create<Endpoints>(EndpointsRef, 'default', { metadata: { name: 'external-db', labels: { team: 'data' }, annotations: { note: 'primary', 'endpoints.kubernetes.io/last-change-trigger-time': '2026-01-01T00:00:00Z' } }, subsets: [{ addresses: [{ ip: '192.0.2.10' }], notReadyAddresses: [{ ip: '192.0.2.11' }], ports: [{ name: 'pg', port: 5432 }] }] });
    const mirror = await eventually(async () => (await slicesOf('external-db'))[0], { what: 'a mirrored slice' });
    expect(mirror.metadata?.labels).toEqual({ team: 'data', 'kubernetes.io/service-name': 'external-db', 'endpointslice.kubernetes.io/managed-by': 'endpointslicemirroring-controller.k8s.io' });
    // The Endpoints' annotations, but their trigger time.
    expect(mirror.metadata?.annotations).toEqual({ note: 'primary' });
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

  it('kube-system/kube-dns, as kubeadm makes it, lists each node serving the cluster DNS, ready while the Node is Ready', async () => {
    // Two nodes record their DNS address as their agents do (each on its own Node), a third serves none.
    const clients = ['dns-a', 'dns-b', 'dns-c'].map((n) => cp.nodeClient(n));
    const uids: string[] = [];
    for (const [i, name] of ['dns-a', 'dns-b', 'dns-c'].entries()) {
      const n = node(name);
      if (i < 2) (n.metadata as Record<string, unknown>).annotations = { [NODE_DNS_ADDRESS]: `10.244.${i + 10}.1` };
      // (dns-b is not Ready)
      if (i === 1) (n.status as { conditions: unknown[] }).conditions = [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'not yet' }];
      uids.push((await clients[i]!.create<{ metadata: { uid: string } }>(Nodes, undefined, n)).metadata.uid);
    }
    const svc = await cp.admin.get<{ metadata: { uid: string } }>(Services, 'kube-system', 'kube-dns').catch(async () => {
      await ensureKubeDnsService(cp.admin, DEFAULT_SERVICE_CIDR);
      return cp.admin.get<{ metadata: { uid: string } }>(Services, 'kube-system', 'kube-dns');
    });
    const getDnsEndpoints = () => cp.admin.get<Endpoints>(EndpointsRef, 'kube-system', 'kube-dns').catch(() => undefined);
    const dnsSlices = async () => (await cp.admin.list<EndpointSlice>(EndpointSlices, 'kube-system', { labelSelector: 'kubernetes.io/service-name=kube-dns' })).items;
    const ports = [
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, protocol: 'TCP' },
      { name: 'metrics', port: 9153, protocol: 'TCP' },
    ];

    const ep = await eventually(async () => {
      const e = await getDnsEndpoints();
      return e?.subsets?.[0]?.addresses?.length === 1 && e.subsets[0].notReadyAddresses?.length === 1 ? e : undefined;
    }, { what: 'kube-dns Endpoints with a ready and a not-ready node' });
    expect(ep.metadata?.labels).toEqual({ 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' });
    // (the ports in the controller's order: 1.32 sorts them by a hash)
    expect(ep.subsets).toEqual([
      {
        addresses: [{ ip: '10.244.10.1', nodeName: 'dns-a', targetRef: { kind: 'Node', name: 'dns-a', uid: uids[0] } }],
        notReadyAddresses: [{ ip: '10.244.11.1', nodeName: 'dns-b', targetRef: { kind: 'Node', name: 'dns-b', uid: uids[1] } }],
        ports: expect.arrayContaining(ports),
      },
    ]);
    expect(ep.subsets![0]!.ports).toHaveLength(3);
    const slice = await eventually(async () => {
      const s = await dnsSlices();
      return s.length === 1 && s[0]!.endpoints?.length === 2 ? s[0] : undefined;
    }, { what: 'a kube-dns EndpointSlice with two nodes' });
    expect(slice.metadata?.labels).toEqual({ 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS', 'kubernetes.io/service-name': 'kube-dns', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
    expect(slice.metadata?.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Service', name: 'kube-dns', uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(slice.addressType).toBe('IPv4');
    expect(slice.ports).toEqual(ports);
    expect([...slice.endpoints!].sort((a, b) => (a.nodeName! < b.nodeName! ? -1 : 1))).toEqual([
      { addresses: ['10.244.10.1'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'dns-a', targetRef: { kind: 'Node', name: 'dns-a', uid: uids[0] } },
      { addresses: ['10.244.11.1'], conditions: { ready: false, serving: false, terminating: false }, nodeName: 'dns-b', targetRef: { kind: 'Node', name: 'dns-b', uid: uids[1] } },
    ]);

    // dns-b becomes Ready; dns-a stops serving the DNS (its agent removes the annotation).
    await clients[1]!.patch(Nodes, undefined, 'dns-b', { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ready' }] } }, 'strategic', 'status');
    await clients[0]!.patch(Nodes, undefined, 'dns-a', { metadata: { annotations: { [NODE_DNS_ADDRESS]: null } } }, 'merge');
    const matches = (got: unknown, want: unknown) => {
      try {
        expect(got).toEqual(want);
        return true;
      } catch {
        return false;
      }
    };
    await eventually(async () => matches((await getDnsEndpoints())?.subsets, [{ addresses: [{ ip: '10.244.11.1', nodeName: 'dns-b', targetRef: { kind: 'Node', name: 'dns-b', uid: uids[1] } }], ports: expect.arrayContaining(ports) }]), { what: 'kube-dns Endpoints with dns-b alone, ready' });
    await eventually(async () => {
      const s = await dnsSlices();
      return s.length === 1 && matches(s[0]!.endpoints, [{ addresses: ['10.244.11.1'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'dns-b', targetRef: { kind: 'Node', name: 'dns-b', uid: uids[1] } }]);
    }, { what: 'the kube-dns EndpointSlice with dns-b alone, ready' });
    // A Service of that name elsewhere, or one in kube-system of another name, lists no node.
    await cp.admin.create(Services, 'default', { metadata: { name: 'kube-dns' }, spec: { selector: { 'k8s-app': 'kube-dns' }, ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] } });
    await eventually(async () => (await getEndpoints('kube-dns')) !== undefined, { what: 'default/kube-dns Endpoints' });
    expect((await getEndpoints('kube-dns'))!.subsets).toBeUndefined();
    await cp.admin.delete(Services, 'default', 'kube-dns');
    for (const [i, c] of clients.entries()) {
      await cp.admin.delete(Nodes, undefined, ['dns-a', 'dns-b', 'dns-c'][i]!);
      c.close();
    }
    await eventually(async () => (await getDnsEndpoints())?.subsets === undefined, { what: 'kube-dns Endpoints empty once the nodes are gone' });
  });
});
