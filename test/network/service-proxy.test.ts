// The service proxy on the real kernel: one lab node namespace with the pod network, pods as
// namespaces running tagged echo servers, a client pod and an "outside" host on the node's
// wire. The proxier is fed Service and EndpointSlice objects directly (no apiserver) and
// programs the node's iptables; traffic is checked from the client namespaces. Everything
// lives in namespaces this file creates.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupNode, PodNetwork, type PodNetworkStatus } from '../../pkg/network/index.js';
import { removeServiceRules, ServiceProxier } from '../../pkg/network/service-proxier.js';
import type { EndpointSliceLike, ServiceLike } from '../../pkg/network/service-types.js';
import { Lab, labNamespaces } from './lab.js';

const lab = new Lab();
const stateRoot = mkdtempSync(join(tmpdir(), 'tsknt-svc-'));
const stateDir = join(stateRoot, 'n1');
const CLUSTER = '10.244.0.0/16';
const N1_IP = '172.31.251.11';
const OUT_IP = '172.31.251.100';
const GATEWAY = '10.244.1.1';
let node: string, out: string;
let net: PodNetwork;
let proxier: ServiceProxier;
const pods: Record<string, { netns: string; status: PodNetworkStatus }> = {};

async function pod(name: string) {
  const netns = await lab.netns(name);
  const status = await net.setupPod({ sandboxId: `${lab.id}-${name}`, netnsPath: netns });
  pods[name] = { netns, status };
  return pods[name]!;
}

const service = (name: string, clusterIP: string, ports: NonNullable<ServiceLike['spec']>['ports'], type = 'ClusterIP'): ServiceLike => ({ metadata: { name, namespace: 'default' }, spec: { type, clusterIP, ports } });
const slice = (svc: string, ports: EndpointSliceLike['ports'], members: string[]): EndpointSliceLike => ({
  metadata: { name: `${svc}-abcde`, namespace: 'default', labels: { 'kubernetes.io/service-name': svc } },
  addressType: 'IPv4',
  ports,
  endpoints: members.map((m) => ({ addresses: [pods[m]!.status.ip], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'n1' })),
});
const webPorts = [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'dns', port: 5353, protocol: 'UDP' }];
const web = service('web', '10.96.0.10', [{ name: 'http', port: 80, nodePort: 30080 }, { name: 'dns', port: 53, protocol: 'UDP', nodePort: 30053 }], 'NodePort');

/** The tags of the pods answering n requests (the echo server answers "<peer> <tag>"). */
async function answers(from: string, proto: 'tcp' | 'udp', host: string, port: number, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await lab.echo(from, proto, host, port));
  return out;
}

const ours = async () => (await lab.exec(node, 'iptables-save', [])).stdout.split('\n').filter((l) => /TSK-/.test(l));

beforeAll(async () => {
  const attach = await lab.wire();
  node = await lab.netns('n1');
  out = await lab.netns('out');
  await attach(lab.name('n1'), `${N1_IP}/24`);
  await attach(lab.name('out'), `${OUT_IP}/24`);
  // The node's default route leads to "out", which does not forward: a packet to a cluster IP
  // that no rule catches vanishes there (the client would time out), so a fast refusal can only
  // come from the proxy's REJECT.
  await lab.ip(lab.name('n1'), `route add default via ${OUT_IP}`);
  await lab.ip(lab.name('out'), `route add 10.96.0.0/16 via ${N1_IP}`);
  net = new PodNetwork({ clusterCIDR: CLUSTER, podCIDR: '10.244.1.0/24', nodeNetns: node, stateDir });
  await net.ensureNode();
  for (const name of ['a', 'b']) {
    const p = await pod(name);
    await lab.echoServer(p.netns, 'tcp', 8080, undefined, name);
    await lab.echoServer(p.netns, 'udp', 5353, undefined, name);
  }
  await pod('client');
  proxier = new ServiceProxier({ clusterCIDR: CLUSTER, nodeNetns: node, minSyncMs: 50, resyncMs: 0 });
}, 60_000);

afterAll(async () => {
  try {
    await proxier?.stop();
    for (const name of Object.keys(pods)) await net.teardownPod(`${lab.id}-${name}`).catch(() => {});
    if (node) await cleanupNode({ nodeNetns: node, stateDir }).catch(() => {});
  } finally {
    await lab.destroy();
    rmSync(stateRoot, { recursive: true, force: true });
  }
  expect(await labNamespaces(lab.id)).toEqual([]);
});

describe('service proxy (iptables)', () => {
  it('spreads connections to a cluster IP over the ready endpoints, without NAT for pod clients', async () => {
    proxier.upsertService(web);
    proxier.upsertEndpointSlice(slice('web', webPorts, ['a', 'b']));
    const r = await proxier.syncNow();
    expect(r).toMatchObject({ applied: true, servicePorts: 2 });
    const got = await answers(pods.client!.netns, 'tcp', '10.96.0.10', 80, 16);
    const client = pods.client!.status.ip;
    expect(new Set(got)).toEqual(new Set([`${client} a`, `${client} b`]));
    // UDP too.
    const udp = await answers(pods.client!.netns, 'udp', '10.96.0.10', 53, 12);
    expect(new Set(udp)).toEqual(new Set([`${client} a`, `${client} b`]));
  });

  it('answers the node itself (nat OUTPUT), masqueraded, as traffic from outside the cluster CIDR', async () => {
    const got = await lab.echo(node, 'tcp', '10.96.0.10', 80);
    expect(got).toMatch(new RegExp(`^${GATEWAY} [ab]$`));
  });

  it('serves the nodePort at the node address from outside the cluster, masqueraded; the cluster IP from outside too', async () => {
    const got = await answers(out, 'tcp', N1_IP, 30080, 12);
    expect(new Set(got)).toEqual(new Set([`${GATEWAY} a`, `${GATEWAY} b`]));
    expect(await lab.echo(out, 'udp', N1_IP, 30053)).toMatch(new RegExp(`^${GATEWAY} [ab]$`));
    expect(await lab.echo(out, 'tcp', '10.96.0.10', 80)).toMatch(new RegExp(`^${GATEWAY} [ab]$`));
  });

  it('lets a pod reach itself through its service (hairpin, masqueraded so the reply comes back)', async () => {
    proxier.upsertService(service('self', '10.96.0.30', [{ port: 80, targetPort: 8080 }]));
    proxier.upsertEndpointSlice(slice('self', [{ port: 8080, protocol: 'TCP' }], ['a']));
    await proxier.syncNow();
    expect(await lab.echo(pods.a!.netns, 'tcp', '10.96.0.30', 80)).toBe(`${GATEWAY} a`);
  });

  it('keeps a client on one endpoint with ClientIP session affinity', async () => {
    const sticky: ServiceLike = { metadata: { name: 'sticky', namespace: 'default' }, spec: { clusterIP: '10.96.0.40', ports: [{ port: 80 }], sessionAffinity: 'ClientIP' } };
    proxier.upsertService(sticky);
    proxier.upsertEndpointSlice(slice('sticky', [{ port: 8080, protocol: 'TCP' }], ['a', 'b']));
    await proxier.syncNow();
    const got = await answers(pods.client!.netns, 'tcp', '10.96.0.40', 80, 10);
    expect(new Set(got).size).toBe(1);
    proxier.deleteService(sticky);
    proxier.deleteEndpointSlice(slice('sticky', [], []));
    await proxier.syncNow();
  });

  it('refuses a service without endpoints at once (cluster IP and nodePort), and serves it once it has one', async () => {
    proxier.upsertService(service('empty', '10.96.0.20', [{ port: 80, nodePort: 30081 }], 'NodePort'));
    proxier.upsertEndpointSlice(slice('empty', [{ port: 8080, protocol: 'TCP' }], []));
    await proxier.syncNow();
    for (const [from, host, port] of [[pods.client!.netns, '10.96.0.20', 80], [node, '10.96.0.20', 80], [out, N1_IP, 30081]] as const) {
      const t0 = Date.now();
      await expect(lab.echo(from, 'tcp', host, port)).rejects.toThrow(/ECONNREFUSED/);
      expect(Date.now() - t0).toBeLessThan(2500); // the client gives up after 3 s
    }
    proxier.upsertEndpointSlice(slice('empty', [{ port: 8080, protocol: 'TCP' }], ['b']));
    await proxier.syncNow();
    expect(await lab.echo(pods.client!.netns, 'tcp', '10.96.0.20', 80)).toBe(`${pods.client!.status.ip} b`);
    expect(await lab.echo(out, 'tcp', N1_IP, 30081)).toBe(`${GATEWAY} b`);
  });

  it('applying the same state again changes nothing', async () => {
    const before = await ours();
    expect((await proxier.syncNow()).applied).toBe(false);
    // A fresh proxier (an agent restart) with the same objects rewrites the same rules.
    const again = new ServiceProxier({ clusterCIDR: CLUSTER, nodeNetns: node, resyncMs: 0 });
    again.replaceAll([web, service('self', '10.96.0.30', [{ port: 80 }]), service('empty', '10.96.0.20', [{ port: 80, nodePort: 30081 }], 'NodePort')], [
      slice('web', webPorts, ['a', 'b']),
      slice('self', [{ port: 8080, protocol: 'TCP' }], ['a']),
      slice('empty', [{ port: 8080, protocol: 'TCP' }], ['b']),
    ]);
    const r = await again.syncNow();
    await again.stop();
    expect(r).toMatchObject({ applied: true, staleChains: [] });
    expect(await ours()).toEqual(before);
  });

  it('stops sending to a removed endpoint, TCP and UDP (a UDP flow kept alive moves to the remaining endpoint)', async () => {
    // A UDP client with a fixed source port: its conntrack entry pins it to one endpoint.
    const first = (await lab.echo(pods.client!.netns, 'udp', '10.96.0.10', 53, 40053)).split(' ')[1]!;
    expect(await lab.echo(pods.client!.netns, 'udp', '10.96.0.10', 53, 40053)).toContain(` ${first}`);
    const other = first === 'a' ? 'b' : 'a';
    proxier.upsertEndpointSlice(slice('web', webPorts, [other]));
    const r = await proxier.syncNow();
    expect(r.staleChains).toHaveLength(2); // the removed endpoint's chain for each port
    expect(r.conntrackDeleted).toBeGreaterThanOrEqual(1);
    // The removed pod still runs its servers: only the proxy keeps traffic away from it.
    expect(await lab.echo(pods.client!.netns, 'udp', '10.96.0.10', 53, 40053)).toBe(`${pods.client!.status.ip} ${other}`);
    const got = await answers(pods.client!.netns, 'tcp', '10.96.0.10', 80, 8);
    expect(new Set(got)).toEqual(new Set([`${pods.client!.status.ip} ${other}`]));
  });

  it('debounces changes from informers into few syncs and deletes the chains of a removed service', async () => {
    const syncs = proxier.syncs;
    for (let i = 0; i < 20; i++) proxier.upsertEndpointSlice(slice('web', webPorts, i % 2 ? ['a'] : ['a', 'b']));
    proxier.deleteService(web);
    proxier.deleteEndpointSlice(slice('web', webPorts, []));
    await new Promise((r) => setTimeout(r, 400));
    expect(proxier.syncs - syncs).toBeLessThanOrEqual(2);
    const rules = await ours();
    expect(rules.join('\n')).not.toContain('default/web');
    expect(rules.filter((l) => /^:TSK-(SVC|SEP|EXT)-/.test(l))).toHaveLength(5); // self's SVC and SEP; empty's SVC, SEP and EXT (a nodePort)
  });

  it('removes only its own chains when turned off, and the node clean-up removes everything', async () => {
    await proxier.stop();
    await removeServiceRules(node);
    const left = await ours();
    expect(left.join('\n')).not.toMatch(/TSK-(SERVICES|NODEPORTS|SVC|SEP|EXT)/);
    expect(left.join('\n')).toContain('TSK-POSTROUTING');
    await cleanupNode({ nodeNetns: node, stateDir });
    expect(await ours()).toEqual([]);
    expect((await lab.exec(node, 'iptables-save', [])).stdout).not.toMatch(/TSK|tsk/);
  });
});
