// Pod networking on the real kernel: two lab nodes (network namespaces on a shared test wire,
// each with its own tsk0 and podCIDR), pods as namespaces, traffic from echo servers that
// report the peer address they saw. Everything lives in namespaces this file creates.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupNode, PodNetwork, type PodNetworkStatus } from '../../pkg/network/index.js';
import { Lab, labNamespaces } from './lab.js';

const lab = new Lab();
const stateRoot = mkdtempSync(join(tmpdir(), 'tsknt-state-'));
const CLUSTER = '10.244.0.0/16';
const N1_IP = '172.31.250.11';
const N2_IP = '172.31.250.12';
const OUT_IP = '172.31.250.100'; // outside the cluster CIDR
let n1: string, n2: string, out: string;
let net1: PodNetwork, net2: PodNetwork;
const pods: Record<string, { netns: string; status: PodNetworkStatus; net: PodNetwork }> = {};

async function pod(name: string, net: PodNetwork, hostPorts?: Parameters<PodNetwork['setupPod']>[0]['hostPorts']) {
  const netns = await lab.netns(name);
  const status = await net.setupPod({ sandboxId: `${lab.id}-${name}`, netnsPath: netns, hostPorts });
  pods[name] = { netns, status, net };
  return pods[name]!;
}

beforeAll(async () => {
  const attach = await lab.wire();
  n1 = await lab.netns('n1');
  n2 = await lab.netns('n2');
  out = await lab.netns('out');
  await attach(lab.name('n1'), `${N1_IP}/24`);
  await attach(lab.name('n2'), `${N2_IP}/24`);
  await attach(lab.name('out'), `${OUT_IP}/24`);
  // Node 1 has a smaller uplink MTU and a default route (via the "outside" router): its pods
  // must get the uplink's MTU.
  await lab.ip(lab.name('n1'), 'link set eth0 mtu 1400', `route add default via ${OUT_IP}`);
  // The two nodes use the two link backends, so both are checked end to end.
  net1 = new PodNetwork({ clusterCIDR: CLUSTER, podCIDR: '10.244.1.0/24', nodeNetns: n1, stateDir: join(stateRoot, 'n1'), backend: 'netlink' });
  net2 = new PodNetwork({ clusterCIDR: CLUSTER, podCIDR: '10.244.2.0/24', nodeNetns: n2, stateDir: join(stateRoot, 'n2'), backend: 'iproute2' });
  await net1.ensureNode();
  await net2.ensureNode();
  const peers = [
    { nodeName: 'n1', nodeIP: N1_IP, podCIDR: '10.244.1.0/24' },
    { nodeName: 'n2', nodeIP: N2_IP, podCIDR: '10.244.2.0/24' },
  ];
  await net1.syncRoutes(peers);
  await net2.syncRoutes(peers);
  await pod('a', net1);
  await pod('b', net1);
  await pod('c', net2);
  await pod('web', net1, [
    { containerPort: 8080, hostPort: 30080, protocol: 'TCP' },
    { containerPort: 8053, hostPort: 30053, protocol: 'UDP' },
    { containerPort: 8081, hostPort: 30081, hostIP: N1_IP },
  ]);
});

afterAll(async () => {
  try {
    for (const [name, p] of Object.entries(pods)) await p.net.teardownPod(`${lab.id}-${name}`).catch(() => {});
    if (n1) await cleanupNode({ nodeNetns: n1, stateDir: join(stateRoot, 'n1') }).catch(() => {});
    if (n2) await cleanupNode({ nodeNetns: n2, stateDir: join(stateRoot, 'n2') }).catch(() => {});
  } finally {
    await lab.destroy();
    rmSync(stateRoot, { recursive: true, force: true });
  }
  expect(await labNamespaces(lab.id)).toEqual([]);
});

describe('pod network wiring', () => {
  it('gives each pod eth0 with its address in the node podCIDR and a default route via the bridge gateway', async () => {
    const { status, netns } = pods.a!;
    expect(status).toMatchObject({ gateway: '10.244.1.1', prefix: 24, interface: 'eth0' });
    expect(status.ip).toMatch(/^10\.244\.1\.\d+$/);
    const addr = await lab.exec(netns, 'ip', ['-o', '-4', 'addr', 'show', 'dev', 'eth0']);
    expect(addr.stdout).toContain(`inet ${status.ip}/24`);
    const route = await lab.exec(netns, 'ip', ['route', 'show', 'default']);
    expect(route.stdout).toContain('default via 10.244.1.1 dev eth0');
    for (const p of [pods.a!, pods.c!]) {
      const lo = await lab.exec(p.netns, 'ip', ['-o', 'link', 'show', 'dev', 'lo']);
      expect(lo.stdout).toMatch(/<LOOPBACK,UP/);
      const node = p.net === net1 ? n1 : n2;
      const host = await lab.exec(node, 'ip', ['-d', '-o', 'link', 'show', 'dev', p.status.hostInterface]);
      expect(host.stdout).toMatch(/master tsk0 state UP/);
      expect(host.stdout).toMatch(/hairpin on/);
      const mtu = p.net === net1 ? 1400 : 1500;
      expect(host.stdout).toContain(`mtu ${mtu} `);
      expect((await lab.exec(p.netns, 'ip', ['-o', 'link', 'show', 'dev', 'eth0'])).stdout).toContain(`mtu ${mtu} `);
    }
    expect(pods.c!.status.ip).toMatch(/^10\.244\.2\.\d+$/);
    for (const node of [n1, n2]) expect((await lab.exec(node, 'cat', ['/proc/sys/net/ipv4/ip_forward'])).stdout.trim()).toBe('1');
    const ips = Object.values(pods).map((p) => p.status.ip);
    expect(new Set(ips).size).toBe(ips.length);
  });

  it('lets two containers of one pod talk over localhost', async () => {
    // Two processes entered into the same pod namespace, as runc puts a pod's containers.
    await lab.echoServer(pods.a!.netns, 'tcp', 7000, '127.0.0.1');
    expect(await lab.echo(pods.a!.netns, 'tcp', '127.0.0.1', 7000)).toBe('127.0.0.1');
    // ... and only inside that pod.
    await expect(lab.echo(pods.b!.netns, 'tcp', '127.0.0.1', 7000)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('lets pods on one node talk by pod IP, without NAT', async () => {
    await lab.echoServer(pods.a!.netns, 'tcp', 7001);
    expect(await lab.echo(pods.b!.netns, 'tcp', pods.a!.status.ip, 7001)).toBe(pods.b!.status.ip);
    await lab.echoServer(pods.b!.netns, 'udp', 7002);
    expect(await lab.echo(pods.a!.netns, 'udp', pods.b!.status.ip, 7002)).toBe(pods.a!.status.ip);
  });

  it('lets pods on two nodes talk by pod IP both ways, without NAT (host-gw routes)', async () => {
    await lab.echoServer(pods.c!.netns, 'tcp', 7003);
    expect(await lab.echo(pods.a!.netns, 'tcp', pods.c!.status.ip, 7003)).toBe(pods.a!.status.ip);
    expect(await lab.echo(pods.b!.netns, 'tcp', pods.a!.status.ip, 7001)).toBe(pods.b!.status.ip);
    expect(await lab.echo(pods.c!.netns, 'tcp', pods.a!.status.ip, 7001)).toBe(pods.c!.status.ip);
  });

  it('answers hostPorts (TCP and UDP) at the node address, from outside and from the node itself', async () => {
    const web = pods.web!;
    await lab.echoServer(web.netns, 'tcp', 8080);
    await lab.echoServer(web.netns, 'udp', 8053);
    await lab.echoServer(web.netns, 'tcp', 8081);
    // From outside the cluster: DNAT without SNAT, the pod sees the client.
    expect(await lab.echo(out, 'tcp', N1_IP, 30080)).toBe(OUT_IP);
    expect(await lab.echo(out, 'udp', N1_IP, 30053)).toBe(OUT_IP);
    expect(await lab.echo(out, 'tcp', N1_IP, 30081)).toBe(OUT_IP);
    // From the node itself (nat OUTPUT).
    expect(await lab.echo(n1, 'tcp', N1_IP, 30080)).toBe(N1_IP);
    // ... and at its loopback (the portmap plugin's snat): masqueraded behind the bridge's address.
    expect(await lab.echo(n1, 'tcp', '127.0.0.1', 30080)).toBe('10.244.1.1');
    // From a pod on another node, and hairpin from a pod on the same node.
    expect(await lab.echo(pods.c!.netns, 'tcp', N1_IP, 30080)).toBe(N2_IP);
    expect(await lab.echo(pods.a!.netns, 'tcp', N1_IP, 30080)).toBe('10.244.1.1');
    // True hairpin: the pod reaches itself through its own hostPort (bridge port hairpin mode).
    expect(await lab.echo(web.netns, 'tcp', N1_IP, 30080)).toBe('10.244.1.1');
    // The other node does not answer web's hostPort.
    await expect(lab.echo(out, 'tcp', N2_IP, 30080)).rejects.toThrow();
  });

  it('sends a UDP client that kept its flow alive to the new holder of a hostPort (stale conntrack cleared)', async () => {
    const first = await pod('udp1', net1, [{ containerPort: 8054, hostPort: 30054, protocol: 'UDP' }]);
    await lab.echoServer(first.netns, 'udp', 8054, undefined, 'udp1');
    expect(await lab.echo(out, 'udp', N1_IP, 30054, 40054)).toBe(`${OUT_IP} udp1`);
    await net1.teardownPod(`${lab.id}-udp1`);
    delete pods.udp1;
    const second = await pod('udp2', net1, [{ containerPort: 8054, hostPort: 30054, protocol: 'UDP' }]);
    expect(second.status.ip).not.toBe(first.status.ip);
    await lab.echoServer(second.netns, 'udp', 8054, undefined, 'udp2');
    // Same client address and port: the conntrack entry of the first flow would still DNAT it to udp1.
    expect(await lab.echo(out, 'udp', N1_IP, 30054, 40054)).toBe(`${OUT_IP} udp2`);
  });

  it('masquerades pod egress leaving the cluster CIDR behind the node address', async () => {
    await lab.echoServer(out, 'tcp', 9000);
    expect(await lab.echo(pods.a!.netns, 'tcp', OUT_IP, 9000)).toBe(N1_IP);
    expect(await lab.echo(pods.c!.netns, 'tcp', OUT_IP, 9000)).toBe(N2_IP);
    await lab.echoServer(out, 'udp', 9001);
    expect(await lab.echo(pods.b!.netns, 'udp', OUT_IP, 9001)).toBe(N1_IP);
  });

  it("lets pods reach the node's loopback only when a Service rule DNATs them there", async () => {
    // A Service whose endpoint is the node's loopback (the `kubernetes` Service under `tsctl up`,
    // with the apiserver on 127.0.0.1), written here as kube-proxy-style DNAT of a made-up cluster IP.
    await lab.echoServer(n1, 'tcp', 7100, '127.0.0.1');
    const rule = ['PREROUTING', '-d', '10.96.250.1/32', '-p', 'tcp', '--dport', '443', '-j', 'DNAT', '--to-destination', '127.0.0.1:7100'];
    expect((await lab.exec(n1, 'iptables', ['-w', '5', '-t', 'nat', '-A', ...rule])).code).toBe(0);
    try {
      expect(await lab.echo(pods.a!.netns, 'tcp', '10.96.250.1', 443)).toBe(pods.a!.status.ip);
      // A pod that sends straight to 127.0.0.1 through its gateway (a raw socket could) is dropped:
      // kube-proxy's guard against CVE-2020-8558, which route_localnet on the bridge calls for.
      const rogue = await pod('rogue', net1);
      await lab.exec(rogue.netns, 'sysctl', ['-q', '-w', 'net.ipv4.conf.eth0.route_localnet=1']);
      expect((await lab.exec(rogue.netns, 'ip', ['addr', 'del', '127.0.0.1/8', 'dev', 'lo'])).code).toBe(0);
      expect((await lab.exec(rogue.netns, 'ip', ['route', 'add', '127.0.0.1/32', 'via', rogue.status.gateway, 'dev', 'eth0', 'src', rogue.status.ip])).code).toBe(0);
      await expect(lab.echo(rogue.netns, 'tcp', '127.0.0.1', 7100)).rejects.toThrow(/timeout/);
    } finally {
      await lab.exec(n1, 'iptables', ['-w', '5', '-t', 'nat', '-D', ...rule]);
    }
  });

  it('keeps routes in sync as nodes come and go', async () => {
    const routes = async () => (await lab.exec(n1, 'ip', ['route', 'show', 'proto', '147'])).stdout.trim();
    expect(await routes()).toBe(`10.244.2.0/24 via ${N2_IP} dev eth0`);
    const added = await net1.syncRoutes([
      { nodeName: 'n1', nodeIP: N1_IP, podCIDR: '10.244.1.0/24' },
      { nodeName: 'n2', nodeIP: N2_IP, podCIDR: '10.244.2.0/24' },
      { nodeName: 'n3', nodeIP: '172.31.250.13', podCIDR: '10.244.3.0/24' },
    ]);
    expect(added).toEqual({ added: ['10.244.3.0/24'], removed: [] });
    expect(await routes()).toContain(`10.244.3.0/24 via 172.31.250.13 dev eth0`);
    const removed = await net1.syncRoutes([
      { nodeName: 'n1', nodeIP: N1_IP, podCIDR: '10.244.1.0/24' },
      { nodeName: 'n2', nodeIP: N2_IP, podCIDR: '10.244.2.0/24' },
    ]);
    expect(removed).toEqual({ added: [], removed: ['10.244.3.0/24'] });
    expect(await routes()).toBe(`10.244.2.0/24 via ${N2_IP} dev eth0`);
    // Pod traffic still flows after the churn.
    expect(await lab.echo(pods.a!.netns, 'tcp', pods.c!.status.ip, 7003)).toBe(pods.a!.status.ip);
  });

  it('tears a pod down: its address, veth and hostPort rules go, the rest keeps working', async () => {
    const web = pods.web!;
    await net1.teardownPod(`${lab.id}-web`);
    const links = await lab.exec(n1, 'ip', ['-o', 'link', 'show']);
    expect(links.stdout).not.toContain(web.status.hostInterface);
    const rules = await lab.exec(n1, 'iptables-save', ['-t', 'nat']);
    expect(rules.stdout).not.toContain(`tsk-hp:${lab.id}-web`);
    expect((await net1.allocations()).map((a) => a.ip)).not.toContain(web.status.ip);
    const inside = await lab.exec(web.netns, 'ip', ['-o', 'link', 'show']);
    expect(inside.stdout).not.toContain('eth0');
    await expect(lab.echo(out, 'tcp', N1_IP, 30080)).rejects.toThrow();
    // Idempotent.
    await net1.teardownPod(`${lab.id}-web`);
    delete pods.web;
    expect(await lab.echo(pods.b!.netns, 'tcp', pods.a!.status.ip, 7001)).toBe(pods.b!.status.ip);
  });
});
