// Load balancers and traffic policies on the real kernel: two lab nodes (namespaces on a wire,
// host-gw routes between their pod networks), each with its own service proxier as the node agent
// runs it (node name, health server), pods as namespaces running tagged echo servers, and two
// "outside" hosts on the wire. The proxiers are fed Service and EndpointSlice objects directly
// with the status.loadBalancer the controller would write (the node addresses). Checked: a
// LoadBalancer Service answers at every node address; externalTrafficPolicy Local keeps the
// client IP and the node without local endpoints drops (and its health check says 503);
// loadBalancerSourceRanges drop other sources; internalTrafficPolicy Local keeps cluster-IP
// traffic on the node; nothing is left behind.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupNode, PodNetwork, type PodNetworkStatus } from '../../pkg/network/index.js';
import { ServiceHealthServer } from '../../pkg/network/service-health.js';
import { removeServiceRules, ServiceProxier } from '../../pkg/network/service-proxier.js';
import type { EndpointSliceLike, ServiceLike } from '../../pkg/network/service-types.js';
import { freePort } from '../helpers/ports.js';
import { Lab, labNamespaces } from './lab.js';

const lab = new Lab();
const stateRoot = mkdtempSync(join(tmpdir(), 'tsknt-svclb-'));
const CLUSTER = '10.244.0.0/16';
const N1_IP = '172.31.249.11';
const N2_IP = '172.31.249.12';
const OUT_IP = '172.31.249.100';
const OUT2_IP = '172.31.249.101';
const nodes: Record<string, { netns: string; net: PodNetwork; proxier: ServiceProxier; health: ServiceHealthServer; healthHost: string }> = {};
const pods: Record<string, { netns: string; status: PodNetworkStatus; node: string }> = {};
let out: string, out2: string;
let hcPort: number;

async function pod(name: string, node: string) {
  const netns = await lab.netns(name);
  const status = await nodes[node]!.net.setupPod({ sandboxId: `${lab.id}-${name}`, netnsPath: netns });
  pods[name] = { netns, status, node };
  return pods[name]!;
}

const lbService = (name: string, clusterIP: string, port: number, nodePort: number, spec: NonNullable<ServiceLike['spec']> = {}, ingress = [N1_IP, N2_IP]): ServiceLike => ({
  metadata: { name, namespace: 'default' },
  spec: { type: 'LoadBalancer', clusterIP, ports: [{ port, nodePort }], externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster', ...spec },
  status: { loadBalancer: { ingress: ingress.map((ip) => ({ ip, ipMode: 'VIP' })) } },
});
const slice = (svc: string, members: string[]): EndpointSliceLike => ({
  metadata: { name: `${svc}-abcde`, namespace: 'default', labels: { 'kubernetes.io/service-name': svc } },
  addressType: 'IPv4',
  ports: [{ port: 8080, protocol: 'TCP' }],
  endpoints: members.map((m) => ({ addresses: [pods[m]!.status.ip], conditions: { ready: true, serving: true, terminating: false }, nodeName: pods[m]!.node })),
});

/** Feeds both proxiers and waits until both have written their rules. */
async function apply(svc: ServiceLike, sl: EndpointSliceLike) {
  for (const n of Object.values(nodes)) {
    n.proxier.upsertService(svc);
    n.proxier.upsertEndpointSlice(sl);
  }
  await Promise.all(Object.values(nodes).map((n) => n.proxier.syncNow()));
}

async function answers(from: string, host: string, port: number, n: number): Promise<string[]> {
  const got: string[] = [];
  for (let i = 0; i < n; i++) got.push(await lab.echo(from, 'tcp', host, port));
  return got;
}

const ours = async (netns: string) => (await lab.exec(netns, 'iptables-save', [])).stdout.split('\n').filter((l) => /TSK-/.test(l));

beforeAll(async () => {
  const attach = await lab.wire();
  out = await lab.onWire(attach, 'out', `${OUT_IP}/24`);
  out2 = await lab.onWire(attach, 'out2', `${OUT2_IP}/24`);
  hcPort = await freePort();
  const peers = [
    { nodeName: 'n1', nodeIP: N1_IP, podCIDR: '10.244.1.0/24' },
    { nodeName: 'n2', nodeIP: N2_IP, podCIDR: '10.244.2.0/24' },
  ];
  for (const [i, name] of ['n1', 'n2'].entries()) {
    const netns = await lab.onWire(attach, name, `${peers[i]!.nodeIP}/24`);
    const net = new PodNetwork({ clusterCIDR: CLUSTER, podCIDR: peers[i]!.podCIDR, nodeNetns: netns, stateDir: join(stateRoot, name) });
    await net.ensureNode();
    await net.syncRoutes(peers);
    // The health servers run in this process's namespace, so each node gets its own loopback address.
    const healthHost = `127.0.0.${i + 1}`;
    const health = new ServiceHealthServer(healthHost);
    const proxier = new ServiceProxier({ clusterCIDR: CLUSTER, nodeNetns: netns, nodeName: name, health, minSyncMs: 50, resyncMs: 0 });
    nodes[name] = { netns, net, proxier, health, healthHost };
  }
  for (const [name, node] of [['a', 'n1'], ['b', 'n2']] as const) {
    const p = await pod(name, node);
    await lab.echoServer(p.netns, 'tcp', 8080, undefined, name);
  }
  await pod('c1', 'n1');
  await pod('c2', 'n2');
}, 90_000);

afterAll(async () => {
  try {
    for (const n of Object.values(nodes)) await n.proxier.stop();
    for (const [name, p] of Object.entries(pods)) await nodes[p.node]!.net.teardownPod(`${lab.id}-${name}`).catch(() => {});
    for (const [name, n] of Object.entries(nodes)) {
      await removeServiceRules(n.netns).catch(() => {});
      expect(await ours(n.netns)).toEqual(expect.not.arrayContaining([expect.stringMatching(/TSK-(SERVICES|NODEPORTS|SVC|SVL|EXT|FW|SEP)/)]));
      await cleanupNode({ nodeNetns: n.netns, stateDir: join(stateRoot, name) }).catch(() => {});
      expect(await ours(n.netns)).toEqual([]);
    }
    // The health servers closed with their proxiers.
    for (const n of Object.values(nodes)) expect(n.health.ports()).toEqual([]);
  } finally {
    await lab.destroy();
    rmSync(stateRoot, { recursive: true, force: true });
  }
  expect(await labNamespaces(lab.id)).toEqual([]);
}, 60_000);

describe('LoadBalancer Services and traffic policies (iptables, two nodes)', () => {
  it('answers a LoadBalancer Service at every node address, spread over the endpoints of both nodes, masqueraded', async () => {
    await apply(lbService('web', '10.96.1.10', 80, 30080), slice('web', ['a', 'b']));
    for (const ip of [N1_IP, N2_IP]) {
      const got = await answers(out, ip, 80, 12);
      expect(new Set(got.map((g) => g.split(' ')[1]))).toEqual(new Set(['a', 'b']));
      // Cluster policy: the client is masqueraded (never seen as itself).
      expect(got.every((g) => !g.startsWith(`${OUT_IP} `))).toBe(true);
    }
  });

  it('externalTrafficPolicy Local: only the local endpoint, client IP kept; the node without one drops, and its health check says 503', async () => {
    await apply(lbService('loc', '10.96.1.20', 81, 30081, { externalTrafficPolicy: 'Local', healthCheckNodePort: hcPort }), slice('loc', ['a']));
    expect(await answers(out, N1_IP, 81, 6)).toEqual(Array(6).fill(`${OUT_IP} a`));
    expect(await lab.echo(out, 'tcp', N1_IP, 30081)).toBe(`${OUT_IP} a`);
    // n2 has no endpoint of it: load-balancer IP and node port dropped (a timeout, not a refusal;
    // both at once, so that the two 3 s timeouts are waited out together).
    await Promise.all([expect(lab.echo(out, 'tcp', N2_IP, 81)).rejects.toThrow(/timeout/), expect(lab.echo(out, 'tcp', N2_IP, 30081)).rejects.toThrow(/timeout/)]);
    // Pods still reach it through any node's address (short-circuited to the cluster chain).
    expect(await lab.echo(pods.c2!.netns, 'tcp', N2_IP, 81)).toMatch(/ a$/);
    const health = async (n: string) => {
      const res = await fetch(`http://${nodes[n]!.healthHost}:${hcPort}/healthz`);
      return { code: res.status, body: await res.json() };
    };
    expect(await health('n1')).toEqual({ code: 200, body: { service: { namespace: 'default', name: 'loc' }, localEndpoints: 1, serviceProxyHealthy: true } });
    expect(await health('n2')).toEqual({ code: 503, body: { service: { namespace: 'default', name: 'loc' }, localEndpoints: 0, serviceProxyHealthy: true } });
    // The endpoint moves to n2: the rules and the health checks follow.
    await apply(lbService('loc', '10.96.1.20', 81, 30081, { externalTrafficPolicy: 'Local', healthCheckNodePort: hcPort }), slice('loc', ['b']));
    expect(await lab.echo(out, 'tcp', N2_IP, 81)).toBe(`${OUT_IP} b`);
    await expect(lab.echo(out, 'tcp', N1_IP, 81)).rejects.toThrow(/timeout/);
    expect((await health('n1')).code).toBe(503);
    expect((await health('n2')).code).toBe(200);
  });

  it('loadBalancerSourceRanges: sources in the ranges are served, others dropped', async () => {
    await apply(lbService('fw', '10.96.1.30', 82, 30082, { loadBalancerSourceRanges: [`${OUT_IP}/32`] }, [N1_IP]), slice('fw', ['a', 'b']));
    expect(await lab.echo(out, 'tcp', N1_IP, 82)).toMatch(/ [ab]$/);
    await expect(lab.echo(out2, 'tcp', N1_IP, 82)).rejects.toThrow(/timeout/);
    // The ranges guard the load-balancer IP, not the cluster IP pods use.
    expect(await lab.echo(pods.c1!.netns, 'tcp', '10.96.1.30', 82)).toMatch(/ [ab]$/);
  });

  it('internalTrafficPolicy Local: cluster-IP traffic from pods stays on their node; a node without local endpoints drops it', async () => {
    const svc = (members: string[]) => ({ svc: { metadata: { name: 'itl', namespace: 'default' }, spec: { type: 'ClusterIP', clusterIP: '10.96.1.40', ports: [{ port: 83 }], internalTrafficPolicy: 'Local' } }, sl: slice('itl', members) });
    const both = svc(['a', 'b']);
    await apply(both.svc, both.sl);
    const c1 = pods.c1!.status.ip;
    const c2 = pods.c2!.status.ip;
    expect(await answers(pods.c1!.netns, '10.96.1.40', 83, 8)).toEqual(Array(8).fill(`${c1} a`));
    expect(await answers(pods.c2!.netns, '10.96.1.40', 83, 8)).toEqual(Array(8).fill(`${c2} b`));
    const onlyB = svc(['b']);
    await apply(onlyB.svc, onlyB.sl);
    // Not DNATed on n1, so never to b: dropped, or unroutable (the lab node has no default route).
    await expect(lab.echo(pods.c1!.netns, 'tcp', '10.96.1.40', 83)).rejects.toThrow(/timeout|ENETUNREACH|EHOSTUNREACH/);
    expect((await lab.exec(nodes.n1!.netns, 'iptables-save', ['-t', 'filter'])).stdout).toMatch(/-d 10\.96\.1\.40\/32 .*"default\/itl has no local endpoints" .*-j DROP/);
    expect(await lab.echo(pods.c2!.netns, 'tcp', '10.96.1.40', 83)).toBe(`${c2} b`);
  });
});
