// Services, Endpoints and EndpointSlices against the real apiserver and etcd: defaults, cluster
// IP and node port allocation (unique under concurrent creates, 422 for a taken or out-of-range
// request, released on delete, still held after a restart), the `kubernetes` Service, Kubernetes'
// validation Statuses, tables, field selectors.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdClient } from '../../pkg/apiserver/etcd-client.js';
import { EndpointSlices, EndpointsRef, Services, type RestClient } from '../../pkg/client/rest-client.js';
import type { EndpointSlice, Endpoints, Service } from '../../pkg/api/types.js';
import { eventually, failure, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { ApiServer, defaultConfig } from '../../pkg/apiserver/apiserver.js';

// A small range, so that exhausting it is quick: 30 usable IPs (10.96.0.1-30), 40 node ports.
const RANGE = { serviceClusterIPRange: '10.96.0.0/27', serviceNodePortRange: '30000-30039' };

let cp: TestControlPlane;
let admin: RestClient;

// The endpoint reconciler every 300 ms instead of 1.32's 10 s, so that its work is seen at once.
const RECONCILE_MS = 300;

beforeAll(async () => {
  cp = await startControlPlane({ ...RANGE, endpointReconcilerIntervalMs: RECONCILE_MS });
  admin = cp.admin;
});
afterAll(async () => {
  await cp?.stop();
});

const svc = (name: string, spec: Record<string, unknown> = {}, ns = 'default') => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: ns },
  spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec },
});

async function etcdKeys(prefix: string): Promise<string[]> {
  const etcd = new EtcdClient(cp.server.etcdEndpoints);
  try {
    const end = Buffer.from(prefix);
    end[end.length - 1]!++;
    const got = await etcd.range({ key: Buffer.from(prefix), range_end: end, keys_only: true });
    return (got.kvs ?? []).map((kv) => Buffer.from(kv.key!).toString());
  } finally {
    etcd.close();
  }
}

const ipNumber = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);

describe('the kubernetes Service', () => {
  it('exists with the first IP of the range, port 443 to the apiserver, and its endpoints', async () => {
    const k = await admin.get<Service>(Services, 'default', 'kubernetes');
    expect(k.spec).toMatchObject({ type: 'ClusterIP', clusterIP: '10.96.0.1', clusterIPs: ['10.96.0.1'], ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: cp.server.port }] });
    expect(k.spec?.selector).toBeUndefined();
    const ep = await admin.get<Endpoints>(EndpointsRef, 'default', 'kubernetes');
    expect(ep.subsets).toEqual([{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: cp.server.port, protocol: 'TCP' }] }]);
    const slice = await admin.get<EndpointSlice>(EndpointSlices, 'default', 'kubernetes');
    expect(slice).toMatchObject({ apiVersion: 'discovery.k8s.io/v1', addressType: 'IPv4', metadata: { labels: { 'kubernetes.io/service-name': 'kubernetes' } }, endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }], ports: [{ name: 'https', port: cp.server.port, protocol: 'TCP' }] });
    expect(await etcdKeys('/registry/ranges/serviceips/')).toContain('/registry/ranges/serviceips/10.96.0.1');
  });

  it('lists every live apiserver of the etcd: a second one joins its endpoints, and leaves them when it stops', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tskube-test-second-'));
    const second = new ApiServer({ ...defaultConfig(dataDir), ...RANGE, etcdServers: cp.server.etcdEndpoints, bindAddress: '127.0.0.2', advertiseAddress: '127.0.0.2', securePort: cp.server.port, grpcPort: -1, compactionIntervalMs: 0 });
    const addresses = async () => (await admin.get<Endpoints>(EndpointsRef, 'default', 'kubernetes')).subsets?.flatMap((s) => s.addresses?.map((a) => a.ip) ?? []);
    try {
      await second.start();
      // The second one's reconcile at start lists both; the first's keeps both (no flapping).
      expect(await addresses()).toEqual(['127.0.0.1', '127.0.0.2']);
      const slice = await admin.get<EndpointSlice>(EndpointSlices, 'default', 'kubernetes');
      expect(slice.endpoints?.map((e) => e.addresses?.[0])).toEqual(['127.0.0.1', '127.0.0.2']);
    } finally {
      await second.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
    expect(await etcdKeys('/registry/masterleases/')).toEqual(['/registry/masterleases/127.0.0.1']);
    await eventually(async () => JSON.stringify(await addresses()) === '["127.0.0.1"]', { timeoutMs: 15_000, what: 'the stopped apiserver gone from the endpoints' });
  }, 30_000);

  it('loses a stopping apiserver\'s address at once, not at another apiserver\'s next reconcile', async () => {
    // Its own control plane whose reconciler waits a minute, so that only the stopping
    // apiserver can have rewritten the endpoints by the time its stop returns.
    const slow = await startControlPlane({ ...RANGE, endpointReconcilerIntervalMs: 60_000 }, { serviceAccountControllers: false });
    const dataDir = mkdtempSync(join(tmpdir(), 'tskube-test-second-'));
    const second = new ApiServer({ ...defaultConfig(dataDir), ...RANGE, etcdServers: slow.server.etcdEndpoints, bindAddress: '127.0.0.2', advertiseAddress: '127.0.0.2', securePort: slow.server.port, grpcPort: -1, compactionIntervalMs: 0, endpointReconcilerIntervalMs: 60_000 });
    const addresses = async () => (await slow.admin.get<Endpoints>(EndpointsRef, 'default', 'kubernetes')).subsets?.flatMap((s) => s.addresses?.map((a) => a.ip) ?? []);
    const sliceAddresses = async () => (await slow.admin.get<EndpointSlice>(EndpointSlices, 'default', 'kubernetes')).endpoints?.map((e) => e.addresses?.[0]);
    try {
      try {
        await second.start();
        expect(await addresses()).toEqual(['127.0.0.1', '127.0.0.2']);
        expect(await sliceAddresses()).toEqual(['127.0.0.1', '127.0.0.2']);
      } finally {
        await second.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
      expect(await addresses()).toEqual(['127.0.0.1']);
      expect(await sliceAddresses()).toEqual(['127.0.0.1']);
    } finally {
      await slow.stop(true);
    }
  }, 30_000);

  it('is reconciled every endpointReconcilerIntervalMs: deleted endpoints come back within a few periods, twice in a row', async () => {
    // Twice, so that a 10 s period cannot pass by luck of its phase: after the first return the
    // next reconcile is a whole period away.
    for (const round of [1, 2]) {
      await admin.delete(EndpointsRef, 'default', 'kubernetes');
      await admin.delete(EndpointSlices, 'default', 'kubernetes');
      await eventually(
        async () => {
          const ep = await admin.get<Endpoints>(EndpointsRef, 'default', 'kubernetes').catch(() => undefined);
          const slice = await admin.get<EndpointSlice>(EndpointSlices, 'default', 'kubernetes').catch(() => undefined);
          return ep?.subsets?.[0]?.addresses?.[0]?.ip === '127.0.0.1' && slice?.endpoints?.[0]?.addresses?.[0] === '127.0.0.1';
        },
        { timeoutMs: 10 * RECONCILE_MS + 1000, what: `the kubernetes endpoints back (round ${round})` },
      );
    }
  });
});

describe('services', () => {
  it('are defaulted as Kubernetes does and get a cluster IP from the range', async () => {
    const s = await admin.create<Service>(Services, 'default', svc('web', { ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'dns', port: 53, protocol: 'UDP' }] }));
    expect(s.spec).toMatchObject({
      type: 'ClusterIP',
      sessionAffinity: 'None',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      internalTrafficPolicy: 'Cluster',
      ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 'http' }, { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 }],
    });
    expect(s.spec?.externalTrafficPolicy).toBeUndefined();
    // (status.loadBalancer is a Go struct, never omitted: Kubernetes serves `loadBalancer: {}`)
    expect(s.status).toEqual({ loadBalancer: {} });
    const ip = s.spec!.clusterIP!;
    expect(s.spec?.clusterIPs).toEqual([ip]);
    expect(ipNumber(ip)).toBeGreaterThan(ipNumber('10.96.0.0'));
    expect(ipNumber(ip)).toBeLessThan(ipNumber('10.96.0.31'));
    expect(await etcdKeys('/registry/ranges/serviceips/')).toContain(`/registry/ranges/serviceips/${ip}`);
    // The creator owns the scheme's defaults (SetDefaults_Service), not what the REST storage
    // allocates after the field manager: IP families, cluster IPs (as kubectl create service in 1.32).
    const spec = s.metadata?.managedFields?.[0]?.fieldsV1?.['f:spec'] as Record<string, unknown>;
    expect(Object.keys(spec).sort()).toEqual(['f:internalTrafficPolicy', 'f:ports', 'f:selector', 'f:sessionAffinity', 'f:type']);
    // Stored where Kubernetes keeps them.
    expect(await etcdKeys('/registry/services/specs/default/')).toContain('/registry/services/specs/default/web');
    // A PUT of a manifest without clusterIP keeps the allocated one; changing it is refused.
    const { clusterIP: _c, clusterIPs: _cs, ...rest } = s.spec!;
    const put = await admin.update<Service>(Services, 'default', 'web', { ...s, spec: { ...rest, sessionAffinity: 'ClientIP' } });
    expect(put.spec).toMatchObject({ clusterIP: ip, clusterIPs: [ip], sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } } });
    const moved = await failure(admin.patch(Services, 'default', 'web', { spec: { clusterIP: '10.96.0.5' } }, 'merge'));
    expect(moved.code).toBe(422);
    expect(moved.message).toBe(`Service "web" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.0.5"}: may not change once set`);
    await admin.delete(Services, 'default', 'web');
    expect(await etcdKeys('/registry/ranges/serviceips/')).not.toContain(`/registry/ranges/serviceips/${ip}`);
  });

  it('NodePort: node ports allocated from the range, externalTrafficPolicy Cluster, released when the type goes back to ClusterIP', async () => {
    const s = await admin.create<Service>(Services, 'default', svc('np', { type: 'NodePort', ports: [{ name: 'a', port: 80 }, { name: 'b', port: 81, nodePort: 30005 }] }));
    const [a, b] = s.spec!.ports!;
    expect(a!.nodePort).toBeGreaterThanOrEqual(30000);
    expect(a!.nodePort).toBeLessThanOrEqual(30039);
    expect(b!.nodePort).toBe(30005);
    expect(s.spec?.externalTrafficPolicy).toBe('Cluster');
    expect(await etcdKeys('/registry/ranges/servicenodeports/')).toEqual(expect.arrayContaining([`/registry/ranges/servicenodeports/${a!.nodePort}`, '/registry/ranges/servicenodeports/30005']));

    const taken = await failure(admin.create(Services, 'default', svc('np2', { type: 'NodePort', ports: [{ port: 80, nodePort: 30005 }] })));
    expect(taken.code).toBe(422);
    expect(taken.message).toBe('Service "np2" is invalid: spec.ports[0].nodePort: Invalid value: 30005: provided port is already allocated');
    const outside = await failure(admin.create(Services, 'default', svc('np3', { type: 'NodePort', ports: [{ port: 80, nodePort: 31000 }] })));
    expect(outside.message).toBe('Service "np3" is invalid: spec.ports[0].nodePort: Invalid value: 31000: provided port is not in the valid range. The range of valid ports is 30000-30039');
    const onClusterIP = await failure(admin.create(Services, 'default', svc('np4', { ports: [{ port: 80, nodePort: 30010 }] })));
    expect(onClusterIP.message).toBe("Service \"np4\" is invalid: spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'");

    // Back to ClusterIP with the node ports left as they were: they are dropped and released.
    const back = await admin.update<Service>(Services, 'default', 'np', { ...s, spec: { ...s.spec, type: 'ClusterIP' } });
    expect(back.spec?.ports?.map((p) => p.nodePort)).toEqual([undefined, undefined]);
    expect(back.spec?.externalTrafficPolicy).toBeUndefined();
    expect(await etcdKeys('/registry/ranges/servicenodeports/')).toEqual([]);
    await admin.delete(Services, 'default', 'np');
  });

  it('a requested cluster IP that is taken or outside the range gets 422; headless and ExternalName allocate nothing', async () => {
    const first = await admin.create<Service>(Services, 'default', svc('fixed', { clusterIP: '10.96.0.10' }));
    expect(first.spec?.clusterIPs).toEqual(['10.96.0.10']);
    const taken = await failure(admin.create(Services, 'default', svc('fixed2', { clusterIP: '10.96.0.10' })));
    expect(taken.code).toBe(422);
    expect(taken.message).toBe('Service "fixed2" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: failed to allocate IP 10.96.0.10: provided IP is already allocated');
    // A dry run checks the same, and holds nothing.
    const dry = await failure(admin.create(Services, 'default', svc('fixed2', { clusterIP: '10.96.0.10' }), { dryRun: 'All' }));
    expect(dry.message).toBe(taken.message);
    const dryOk = await admin.create<Service>(Services, 'default', svc('dry', { type: 'NodePort' }), { dryRun: 'All' });
    expect(dryOk.spec?.clusterIP).toMatch(/^10\.96\.0\.\d+$/);
    expect(dryOk.spec?.ports?.[0]?.nodePort).toBeGreaterThanOrEqual(30000);
    expect(await etcdKeys('/registry/ranges/serviceips/')).not.toContain(`/registry/ranges/serviceips/${dryOk.spec!.clusterIP}`);
    const outside = await failure(admin.create(Services, 'default', svc('far', { clusterIP: '10.97.0.1' })));
    expect(outside.message).toBe('Service "far" is invalid: spec.clusterIPs: Invalid value: []string{"10.97.0.1"}: failed to allocate IP 10.97.0.1: the provided IP (10.97.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/27');
    const before = await etcdKeys('/registry/ranges/');
    const headless = await admin.create<Service>(Services, 'default', svc('headless', { clusterIP: 'None' }));
    expect(headless.spec?.clusterIPs).toEqual(['None']);
    const ext = await admin.create<Service>(Services, 'default', { metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'example.com' } });
    expect(ext.spec?.clusterIP).toBeUndefined();
    expect(ext.spec?.ipFamilies).toBeUndefined();
    expect(await etcdKeys('/registry/ranges/')).toEqual(before);
    const noName = await failure(admin.create(Services, 'default', { metadata: { name: 'ext2' }, spec: { type: 'ExternalName' } }));
    expect(noName.message).toBe('Service "ext2" is invalid: spec.externalName: Required value');
    for (const n of ['fixed', 'headless', 'ext']) await admin.delete(Services, 'default', n);
    // Released: the same IP can be asked for again.
    const again = await admin.create<Service>(Services, 'default', svc('fixed3', { clusterIP: '10.96.0.10' }));
    expect(again.spec?.clusterIP).toBe('10.96.0.10');
    await admin.delete(Services, 'default', 'fixed3');
  });

  it('never hands out one IP twice: concurrent creates fill the range, then it is full', async () => {
    const held = (await etcdKeys('/registry/ranges/serviceips/')).length; // the kubernetes Service's
    const n = 30 - held;
    const results = await Promise.allSettled(Array.from({ length: n + 1 }, (_, i) => admin.create<Service>(Services, 'default', svc(`many-${i}`))));
    const ok = results.filter((r): r is PromiseFulfilledResult<Service> => r.status === 'fulfilled').map((r) => r.value.spec!.clusterIP!);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok.length).toBe(n);
    expect(new Set(ok).size).toBe(n);
    expect(ok).not.toContain('10.96.0.1');
    expect(failed.length).toBe(1);
    expect((failed[0]!.reason as Error).message).toContain('failed to allocate a serviceIP: range is full');
    expect((await etcdKeys('/registry/ranges/serviceips/')).length).toBe(30);
    await Promise.all(Array.from({ length: n + 1 }, (_, i) => admin.delete(Services, 'default', `many-${i}`).catch(() => {})));
    expect((await etcdKeys('/registry/ranges/serviceips/')).length).toBe(held);
  });

  it('allocations survive an apiserver restart', async () => {
    const s = await admin.create<Service>(Services, 'default', svc('durable', { type: 'NodePort', clusterIP: '10.96.0.20', ports: [{ port: 80, nodePort: 30020 }] }));
    expect(s.spec?.clusterIP).toBe('10.96.0.20');
    await cp.restart();
    const ip = await failure(admin.create(Services, 'default', svc('durable2', { clusterIP: '10.96.0.20' })));
    expect(ip.message).toContain('provided IP is already allocated');
    const port = await failure(admin.create(Services, 'default', svc('durable3', { type: 'NodePort', ports: [{ port: 80, nodePort: 30020 }] })));
    expect(port.message).toContain('provided port is already allocated');
    // The kubernetes Service was reconciled again, not duplicated.
    expect((await admin.get<Service>(Services, 'default', 'kubernetes')).spec?.clusterIP).toBe('10.96.0.1');
    await admin.delete(Services, 'default', 'durable');
    await admin.create(Services, 'default', svc('durable2', { clusterIP: '10.96.0.20' }));
    await admin.delete(Services, 'default', 'durable2');
  });

  it("rejects what Kubernetes rejects, naming the fields", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [svc('Bad_Name'), 'metadata.name: Invalid value: "Bad_Name": a DNS-1035 label must consist of lower case alphanumeric characters or \'-\', start with an alphabetic character'],
      [svc('ports', { ports: [{ port: 80 }, { port: 81 }] }), 'spec.ports[0].name: Required value'],
      [svc('dupname', { ports: [{ name: 'a', port: 80 }, { name: 'a', port: 81 }] }), 'spec.ports[1].name: Duplicate value: "a"'],
      [svc('dupport', { ports: [{ name: 'a', port: 80 }, { name: 'b', port: 80 }] }), 'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}'],
      [svc('range', { ports: [{ port: 70000 }] }), 'spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive'],
      [svc('proto', { ports: [{ port: 80, protocol: 'ICMP' }] }), 'spec.ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"'],
      [svc('tgt', { ports: [{ port: 80, targetPort: 'Http_Port' }] }), 'spec.ports[0].targetPort: Invalid value: "Http_Port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)'],
      [svc('typ', { type: 'Magic' }), 'spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'],
      [svc('noports', { ports: [] }), 'spec.ports: Required value'],
      [svc('badip', { clusterIP: '10.96.0.300' }), 'spec.clusterIPs[0]: Invalid value: "10.96.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'],
      [svc('npnone', { type: 'NodePort', clusterIP: 'None' }), "spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services"],
      [svc('v6', { ipFamilies: ['IPv6'] }), 'spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster'],
    ];
    for (const [body, msg] of cases) {
      const e = await failure(admin.create(Services, 'default', body));
      expect(e.code, msg).toBe(422);
      expect(e.message).toContain(msg);
    }
    const unknown = await failure(admin.create(Services, 'default', svc('unk', { ports: [{ port: 80, nodeport: 30001 }] })));
    expect(unknown.message).toContain('unknown field "spec.ports[0].nodeport"');
  });

  it('status subresource, field selectors, tables and discovery', async () => {
    const lb = await admin.create<Service>(Services, 'default', svc('lb', { type: 'LoadBalancer' }));
    expect(lb.spec).toMatchObject({ allocateLoadBalancerNodePorts: true, externalTrafficPolicy: 'Cluster' });
    const np = lb.spec!.ports![0]!.nodePort!;
    const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io';
    type Table = { columnDefinitions: { name: string; priority: number }[]; rows: { cells: unknown[] }[] };
    let t = await admin.request<Table>('/api/v1/namespaces/default/services/lb', { accept });
    expect(t.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector']);
    expect(t.rows[0]!.cells.slice(0, 5)).toEqual(['lb', 'LoadBalancer', lb.spec!.clusterIP, '<pending>', `80:${np}/TCP`]);
    expect(t.rows[0]!.cells[6]).toBe('app=lb');
    await admin.patch(Services, 'default', 'lb', { status: { loadBalancer: { ingress: [{ ip: '192.0.2.7' }] } } }, 'merge', 'status');
    t = await admin.request<Table>('/api/v1/namespaces/default/services/lb', { accept });
    expect(t.rows[0]!.cells[3]).toBe('192.0.2.7');
    // The main resource does not write status.
    const kept = await admin.patch<Service>(Services, 'default', 'lb', { status: { loadBalancer: { ingress: [{ ip: '192.0.2.8' }] } } }, 'merge');
    expect(kept.status?.loadBalancer?.ingress).toEqual([{ ip: '192.0.2.7' }]);
    const badStatus = await failure(admin.patch(Services, 'default', 'lb', { status: { loadBalancer: { ingress: [{ ip: 'nope' }] } } }, 'merge', 'status'));
    expect(badStatus.message).toContain('status.loadBalancer.ingress[0].ip: Invalid value: "nope"');
    const cleared = await admin.patch<Service>(Services, 'default', 'lb', { status: { loadBalancer: null } }, 'merge', 'status');
    expect(cleared.status).toEqual({ loadBalancer: {} });
    // serviceStatusStrategy.PrepareForUpdate resets spec alone: the write's labels and annotations
    // are kept (kubectl patch --subresource=status), and owned by its status entry; spec is not.
    const labelled = await admin.patch<Service>(Services, 'default', 'lb', { metadata: { labels: { tier: 'edge' }, annotations: { note: 'x' } }, spec: { sessionAffinity: 'ClientIP' }, status: { loadBalancer: { ingress: [{ ip: '192.0.2.9' }] } } }, 'merge', 'status');
    expect([labelled.metadata?.labels, labelled.metadata?.annotations, labelled.spec?.sessionAffinity]).toEqual([{ tier: 'edge' }, { note: 'x' }, 'None']);
    expect((await admin.get<Service>(Services, 'default', 'lb')).metadata?.labels).toEqual({ tier: 'edge' });
    const statusEntry = labelled.metadata?.managedFields?.find((e) => e.subresource === 'status');
    expect(statusEntry?.fieldsV1).toEqual({
      'f:metadata': { 'f:annotations': { '.': {}, 'f:note': {} }, 'f:labels': { '.': {}, 'f:tier': {} } },
      'f:status': { 'f:loadBalancer': { 'f:ingress': {} } },
    });
    const badLabel = await failure(admin.patch(Services, 'default', 'lb', { metadata: { labels: { 'a b': 'c' } } }, 'merge', 'status'));
    expect(badLabel.message).toContain('metadata.labels: Invalid value: "a b"');
    const byType = await admin.list<Service>(Services, undefined, { fieldSelector: 'spec.type=LoadBalancer' });
    expect(byType.items.map((s) => s.metadata?.name)).toEqual(['lb']);
    const byName = await admin.list<Service>(Services, 'default', { fieldSelector: 'metadata.name=kubernetes' });
    expect(byName.items.map((s) => s.spec?.clusterIP)).toEqual(['10.96.0.1']);
    await admin.delete(Services, 'default', 'lb');

    const v1 = await admin.request<{ resources: { name: string; kind: string; shortNames?: string[] }[] }>('/api/v1');
    expect(v1.resources.find((r) => r.name === 'services')).toMatchObject({ kind: 'Service', shortNames: ['svc'] });
    expect(v1.resources.find((r) => r.name === 'services/status')).toMatchObject({ kind: 'Service' });
    expect(v1.resources.find((r) => r.name === 'endpoints')).toMatchObject({ kind: 'Endpoints', shortNames: ['ep'] });
    const groups = await admin.request<{ groups: { name: string; preferredVersion: { groupVersion: string } }[] }>('/apis');
    expect(groups.groups.find((g) => g.name === 'discovery.k8s.io')?.preferredVersion.groupVersion).toBe('discovery.k8s.io/v1');
    const disc = await admin.request<{ resources: { name: string; kind: string }[] }>('/apis/discovery.k8s.io/v1');
    expect(disc.resources.find((r) => r.name === 'endpointslices')).toMatchObject({ kind: 'EndpointSlice' });
  });
});

describe('endpoints and endpointslices', () => {
  it('CRUD with validation and tables', async () => {
    const ep = await admin.create<Endpoints>(EndpointsRef, 'default', {
      metadata: { name: 'manual' },
      subsets: [{ addresses: [{ ip: '10.244.0.5' }, { ip: '10.244.0.6' }], notReadyAddresses: [{ ip: '10.244.0.7' }], ports: [{ port: 8080 }] }],
    });
    expect(ep.subsets?.[0]?.ports).toEqual([{ port: 8080, protocol: 'TCP' }]);
    const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io';
    const t = await admin.request<{ rows: { cells: unknown[] }[] }>('/api/v1/namespaces/default/endpoints/manual', { accept });
    expect(t.rows[0]!.cells.slice(0, 2)).toEqual(['manual', '10.244.0.5:8080,10.244.0.6:8080']);
    const bad = await failure(admin.create(EndpointsRef, 'default', { metadata: { name: 'bad' }, subsets: [{ addresses: [{ ip: '169.254.1.1' }], ports: [{ port: 80 }, { port: 81 }] }, {}] }));
    expect(bad.message).toContain('subsets[0].addresses[0].ip: Invalid value: "169.254.1.1": may not be in the link-local range (169.254.0.0/16, fe80::/10)');
    expect(bad.message).toContain('subsets[0].ports[0].name: Required value');
    expect(bad.message).toContain('subsets[1]: Required value: must specify `addresses` or `notReadyAddresses`');
    await admin.delete(EndpointsRef, 'default', 'manual');

    const slice = await admin.create<EndpointSlice>(EndpointSlices, 'default', {
      metadata: { name: 'manual-abc', labels: { 'kubernetes.io/service-name': 'manual' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.244.0.5'], conditions: { ready: true } }],
      ports: [{ port: 8080 }],
    });
    expect(slice.ports).toEqual([{ port: 8080, name: '', protocol: 'TCP' }]);
    const st = await admin.request<{ rows: { cells: unknown[] }[] }>('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/manual-abc', { accept });
    expect(st.rows[0]!.cells.slice(0, 4)).toEqual(['manual-abc', 'IPv4', '8080', '10.244.0.5']);
    const typeChange = await failure(admin.patch(EndpointSlices, 'default', 'manual-abc', { addressType: 'FQDN' }, 'merge'));
    expect(typeChange.message).toContain('addressType: Invalid value: "FQDN": field is immutable');
    const badSlice = await failure(admin.create(EndpointSlices, 'default', { metadata: { name: 'x' }, addressType: 'IPv4', endpoints: [{ addresses: ['fe80::1'] }, { addresses: [] }] }));
    expect(badSlice.message).toContain('endpoints[0].addresses[0]: Invalid value: "fe80::1": must be a valid IPv4 address');
    expect(badSlice.message).toContain('endpoints[1].addresses: Required value: must contain at least 1 address');
    const noType = await failure(admin.create(EndpointSlices, 'default', { metadata: { name: 'y' }, endpoints: [] }));
    expect(noType.message).toContain('addressType: Required value');
    await admin.delete(EndpointSlices, 'default', 'manual-abc');
  });
});
