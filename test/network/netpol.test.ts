// Network policy rules on the real kernel across two nodes: lab namespaces as nodes on a wire
// with host-gw routes, pods as namespaces running tagged echo servers. Each node's NetpolSyncer
// is fed by the real resolver over plain pod, namespace and policy objects (no apiserver), as
// each node agent's would be: a peer on the other node, ipBlock except, UDP and TCP ports,
// egress judged on the sender's node and ingress on the receiver's, replies, clean-up.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject, NetworkPolicy, Pod } from '../../pkg/api/types.js';
import { cleanupNode, PodNetwork, type PodNetworkStatus } from '../../pkg/network/index.js';
import { NetpolSyncer, removeNetpolRules } from '../../pkg/network/netpol-syncer.js';
import { resolveNetworkPolicies } from '../../pkg/nodeagent/netpol-resolve.js';
import { Lab, labNamespaces } from './lab.js';

const lab = new Lab();
const stateRoot = mkdtempSync(join(tmpdir(), 'tsknt-np-'));
const CLUSTER = '10.244.0.0/16';
const NODES = { n1: { ip: '172.31.252.11', cidr: '10.244.1.0/24' }, n2: { ip: '172.31.252.12', cidr: '10.244.2.0/24' } };
type NodeName = keyof typeof NODES;
const nodes: Record<string, { netns: string; net: PodNetwork; syncer: NetpolSyncer }> = {};
const pods: Record<string, { netns: string; status: PodNetworkStatus; node: NodeName; labels: Record<string, string> }> = {};
let policies: (NetworkPolicy & KubeObject)[] = [];

const podObjects = (): (Pod & KubeObject)[] =>
  Object.entries(pods).map(([name, p]) => ({
    metadata: { namespace: 'default', name, uid: `uid-${name}`, labels: p.labels },
    spec: { nodeName: p.node, containers: [{ name: 'echo', ports: [{ name: 'echo', containerPort: 8080 }, { name: 'echo-udp', containerPort: 5353, protocol: 'UDP' }] }] },
    status: { phase: 'Running', podIP: p.status.ip },
  }));

/** Both nodes rewrite their rules from the current objects, as their agents would after a change. */
async function sync(): Promise<void> {
  for (const n of Object.values(nodes)) await n.syncer.syncNow();
}

async function setPolicies(...list: { name: string; spec: NetworkPolicy['spec'] }[]): Promise<void> {
  policies = list.map((p) => ({ metadata: { namespace: 'default', name: p.name }, spec: { policyTypes: p.spec?.egress ? ['Ingress', 'Egress'] : ['Ingress'], ...p.spec } }));
  await sync();
}

/** Does `from` get an answer from pod `to` (tcp 8080 or udp 5353)? */
const answers = (from: string, to: string, proto: 'tcp' | 'udp' = 'tcp') =>
  lab.echo(pods[from]!.netns, proto, pods[to]!.status.ip, proto === 'tcp' ? 8080 : 5353).then(
    () => true,
    () => false,
  );

/**
 * Several probes at once, each result under its probe's name (`from -> to proto`), so that a
 * failure says which. A dropped probe waits out the client's 3 s timeout: side by side they wait
 * it once, not once each.
 */
const answersAll = async (...probes: [from: string, to: string, proto?: 'tcp' | 'udp'][]) =>
  Object.fromEntries(await Promise.all(probes.map(async ([from, to, proto = 'tcp']) => [`${from} -> ${to} ${proto}`, await answers(from, to, proto)] as const)));

beforeAll(async () => {
  const attach = await lab.wire();
  for (const [name, n] of Object.entries(NODES)) {
    const netns = await lab.netns(name);
    await attach(lab.name(name), `${n.ip}/24`);
    const net = new PodNetwork({ clusterCIDR: CLUSTER, podCIDR: n.cidr, nodeNetns: netns, stateDir: join(stateRoot, name) });
    await net.ensureNode();
    const syncer = new NetpolSyncer({ resolve: () => resolveNetworkPolicies({ nodeName: name, pods: podObjects(), namespaces: [{ metadata: { name: 'default' } }], policies }), nodeNetns: netns, resyncMs: 0 });
    nodes[name] = { netns, net, syncer };
  }
  const peers = Object.entries(NODES).map(([nodeName, n]) => ({ nodeName, nodeIP: n.ip, podCIDR: n.cidr }));
  for (const n of Object.values(nodes)) await n.net.syncRoutes(peers);
  for (const [name, node, labels] of [['server', 'n1', { app: 'server' }], ['near', 'n1', { role: 'client' }], ['far', 'n2', { role: 'client' }], ['stranger', 'n2', { role: 'other' }]] as const) {
    const netns = await lab.netns(name);
    const status = await nodes[node]!.net.setupPod({ sandboxId: `${lab.id}-${name}`, netnsPath: netns });
    pods[name] = { netns, status, node, labels };
    await lab.echoServer(netns, 'tcp', 8080, undefined, name);
    await lab.echoServer(netns, 'udp', 5353, undefined, name);
  }
  await sync();
}, 60_000);

afterAll(async () => {
  try {
    for (const n of Object.values(nodes)) await n.syncer.stop();
    for (const [name, p] of Object.entries(pods)) await nodes[p.node]!.net.teardownPod(`${lab.id}-${name}`).catch(() => {});
    for (const [name, n] of Object.entries(nodes)) await cleanupNode({ nodeNetns: n.netns, stateDir: join(stateRoot, name) }).catch(() => {});
  } finally {
    await lab.destroy();
    rmSync(stateRoot, { recursive: true, force: true });
  }
  expect(await labNamespaces(lab.id)).toEqual([]);
});

describe('network policy rules across two nodes', () => {
  it('without policies everyone reaches the server over tcp and udp', async () => {
    for (const from of ['near', 'far', 'stranger']) {
      expect(await answers(from, 'server')).toBe(true);
      expect(await answers(from, 'server', 'udp')).toBe(true);
    }
  }, 60_000);

  it('default deny on the server drops both protocols from both nodes; the server still reaches out (replies pass)', async () => {
    await setPolicies({ name: 'deny', spec: { podSelector: { matchLabels: { app: 'server' } } } });
    expect(await answersAll(['near', 'server'], ['far', 'server', 'udp'], ['server', 'far'], ['server', 'near', 'udp'])).toEqual({
      'near -> server tcp': false,
      'far -> server udp': false,
      'server -> far tcp': true,
      'server -> near udp': true,
    });
  }, 60_000);

  it('allows role=client from the other node on the named tcp port only', async () => {
    await setPolicies({ name: 'deny', spec: { podSelector: { matchLabels: { app: 'server' } } } }, { name: 'clients', spec: { podSelector: { matchLabels: { app: 'server' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ port: 'echo', protocol: 'TCP' }] }] } });
    expect(await answersAll(['far', 'server'], ['near', 'server'], ['far', 'server', 'udp'], ['stranger', 'server'])).toEqual({
      'far -> server tcp': true,
      'near -> server tcp': true,
      'far -> server udp': false,
      'stranger -> server tcp': false,
    });
  }, 60_000);

  it('an ipBlock with except: the other node\'s pods in, this node\'s out', async () => {
    await setPolicies({ name: 'block', spec: { podSelector: { matchLabels: { app: 'server' } }, ingress: [{ from: [{ ipBlock: { cidr: CLUSTER, except: [NODES.n1.cidr] } }] }] } });
    expect(await answersAll(['stranger', 'server', 'udp'], ['far', 'server'], ['near', 'server'])).toEqual({
      'stranger -> server udp': true,
      'far -> server tcp': true,
      'near -> server tcp': false,
    });
  }, 60_000);

  it('egress is judged on the sender\'s node: far may send udp to the server only', async () => {
    await setPolicies({ name: 'far-out', spec: { podSelector: { matchLabels: { role: 'client' } }, egress: [{ to: [{ podSelector: { matchLabels: { app: 'server' } } }], ports: [{ port: 5353, protocol: 'UDP' }] }] } });
    // (stranger -> far: its policyTypes defaulted to Ingress and Egress, as it has egress rules,
    // so the clients' ingress is isolated too)
    expect(await answersAll(['far', 'server', 'udp'], ['far', 'server'], ['far', 'stranger', 'udp'], ['stranger', 'server'], ['stranger', 'far'])).toEqual({
      'far -> server udp': true,
      'far -> server tcp': false,
      'far -> stranger udp': false,
      'stranger -> server tcp': true,
      'stranger -> far tcp': false,
    });
  }, 60_000);

  it('coalesces a burst of changes into one sync; requestSync callers at the same moment share one', async () => {
    const s = nodes.n1!.syncer;
    await s.syncNow();
    const before = s.syncs;
    for (let i = 0; i < 20; i++) s.changed();
    await new Promise((r) => setTimeout(r, 600));
    expect(s.syncs - before).toBe(1);
    await Promise.all([s.requestSync(), s.requestSync(), s.requestSync()]);
    expect(s.syncs - before).toBe(2);
  }, 30_000);

  it('no policies: every pod chain goes; removeNetpolRules leaves nothing of ours', async () => {
    await setPolicies();
    expect(await answers('near', 'far')).toBe(true);
    expect(await answers('stranger', 'server')).toBe(true);
    const save = async (n: string) => (await lab.exec(nodes[n]!.netns, 'iptables-save', [])).stdout;
    expect(await save('n1')).not.toContain('TSK-NWPLCY-');
    expect(await save('n1')).toContain(':TSK-NWPLCY ');
    for (const n of Object.values(nodes)) await removeNetpolRules(n.netns);
    for (const n of ['n1', 'n2']) {
      expect(await save(n)).not.toContain('NWPLCY');
      expect(await save(n)).toContain('TSK-FORWARD');
    }
  }, 60_000);
});
