// LoadBalancer Services on two real nodes: two node agents in this process, each programming a
// lab network namespace of its own (nodeNetns) with its address on a wire, plus the apiserver,
// scheduler and controller manager; "outside" hosts are namespaces on the same wire. A web pod
// (busybox httpd, a CGI answering "<client address> <pod name>") runs on node 1 only. Checked with
// curl from outside: the Service's EXTERNAL-IP is both node addresses; with
// externalTrafficPolicy Cluster both answer; with Local node 1 answers with the client's own
// address and node 2 drops, while the health check node port says 200 on node 1 and 503 on node
// 2; internalTrafficPolicy Local serves a pod on node 1 and not one on node 2;
// loadBalancerSourceRanges drop a source outside them. Afterwards no namespace, iptables rule,
// process or listener is left.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../pkg/api/types.js';
import { Pods, Services } from '../../pkg/client/rest-client.js';
import { ControllerManager, defaultControllerConfig } from '../../pkg/controllers/manager.js';
import { cleanupNode } from '../../pkg/network/pod-network.js';
import { NodeAgent, defaultAgentConfig, type AgentConfig } from '../../pkg/nodeagent/agent.js';
import { cgroupExists } from '../../pkg/runtime/cgroups.js';
import { cleanupAll } from '../../pkg/runtime/cleanup.js';
import { Runtime } from '../../pkg/runtime/runtime.js';
import { unmountAll } from '../../pkg/runtime/syscalls.js';
import { Scheduler } from '../../pkg/scheduler/scheduler.js';
import { eventually, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { freePort } from '../helpers/ports.js';
import { Lab, labNamespaces } from '../network/lab.js';
import { busyboxPod, ctr, image } from './harness.js';

const lab = new Lab();
const root = mkdtempSync(join(tmpdir(), 'tskube-svclb-nodes-'));
const NODES = [
  { name: 'lbn1', ip: '172.31.247.11', podCIDR: '10.199.2.0/25', health: '127.0.0.1' },
  { name: 'lbn2', ip: '172.31.247.12', podCIDR: '10.199.2.128/25', health: '127.0.0.2' },
];
const OUT_IP = '172.31.247.100';
const OUT2_IP = '172.31.247.101';
let cp: TestControlPlane;
let sched: Scheduler;
let cm: ControllerManager;
let out: string, out2: string;
const agents: { agent: NodeAgent; cfg: AgentConfig; netns: string }[] = [];

beforeAll(async () => {
  const attach = await lab.wire();
  out = await lab.onWire(attach, 'out', `${OUT_IP}/24`);
  out2 = await lab.onWire(attach, 'out2', `${OUT2_IP}/24`);
  cp = await startControlPlane();
  sched = new Scheduler(cp.admin, { leaderElect: false, queue: { initialBackoffMs: 200, maxBackoffMs: 1000, unschedulableFlushMs: 5000 } });
  await sched.start();
  cm = new ControllerManager(cp.admin, { ...defaultControllerConfig, leaderElect: false, allocateNodeCIDRs: false, clusterCIDR: '10.199.0.0/16' });
  await cm.start();
  for (const n of NODES) {
    const netns = await lab.onWire(attach, n.name, `${n.ip}/24`);
    const dataDir = join(root, n.name);
    const rt = await Runtime.open({ root: join(dataDir, 'runtime') });
    await rt.buildBusybox(image);
    const cfg: AgentConfig = {
      ...defaultAgentConfig(n.name),
      nodeIP: n.ip,
      dataDir,
      port: await freePort(),
      podCIDR: n.podCIDR,
      clusterCIDR: '10.199.0.0/16',
      nodeNetns: netns,
      clusterDNS: 'none',
      ingress: undefined,
      serviceHealthAddress: n.health,
      backoffBaseSec: 1,
      backoffMaxSec: 4,
      relistMs: 300,
      // (a pods cgroup each, not a `tsctl up` cluster's /tskube: each agent sets its tiers from its own pods)
      cgroupRoot: `/tskube-e2e-${n.name}`,
    };
    const agent = new NodeAgent(cp.nodeClient(n.name), cfg);
    agents.push({ agent, cfg, netns });
    await agent.start();
  }
}, 180_000);

afterAll(async () => {
  try {
    await cp?.admin.delete(Pods, 'default', 'web', { gracePeriodSeconds: 0 }).catch(() => {});
    await cm?.stop();
    for (const { agent } of agents) await agent.stop().catch(() => {});
    await sched?.stop();
    for (const { cfg, netns } of agents) {
      await cleanupAll(join(cfg.dataDir, 'runtime')).catch(() => {});
      await unmountAll(cfg.dataDir).catch(() => {});
      await cleanupNode({ nodeNetns: netns, bridgeName: cfg.bridge, stateDir: join(cfg.dataDir, 'network') }).catch(() => {});
      expect((await lab.exec(netns, 'iptables-save', [])).stdout).not.toMatch(/TSK-/);
      // (each agent's pods cgroup went with cleanupAll; /tskube, a `tsctl up` cluster's, is not touched)
      expect(await cgroupExists(cfg.cgroupRoot)).toEqual([]);
    }
    await cp?.stop();
  } finally {
    await lab.destroy();
    rmSync(root, { recursive: true, force: true });
  }
  expect(await labNamespaces(lab.id)).toEqual([]);
  // Nothing of ours in the host's own tables, and the health check listeners are gone.
  expect(execFileSync('iptables-save', { encoding: 'utf8' })).not.toMatch(/172\.31\.247\./);
}, 120_000);

/** curl from a lab namespace: the body, or "failed: <exit code>". */
async function curl(from: string, url: string): Promise<string> {
  const r = await lab.exec(from, 'curl', ['-s', '-m', '3', url], 10_000);
  // busybox httpd gives REMOTE_ADDR as "[::ffff:a.b.c.d]".
  return r.code === 0 ? r.stdout.trim().replace(/^\[(?:::ffff:)?([^\]]+)\]/, '$1') : `failed: ${r.code}`;
}

const CGI = 'mkdir -p /www/cgi-bin && printf \'#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho "$REMOTE_ADDR $(hostname)"\\n\' > /www/cgi-bin/ip && chmod +x /www/cgi-bin/ip && exec httpd -f -p 8080 -h /www';

async function setService(spec: Record<string, unknown>): Promise<Service> {
  const cur = await cp.admin.get<Service>(Services, 'default', 'web');
  const s = await cp.admin.update<Service>(Services, 'default', 'web', { ...cur, spec: { ...cur.spec, ...spec } });
  return s;
}

describe('LoadBalancer Services on two real nodes', () => {
  it('EXTERNAL-IP is both node addresses and both answer (Cluster); the pod runs on node 1 only', async () => {
    const pod = busyboxPod('web', { nodeName: 'lbn1', containers: [ctr('httpd', CGI, { ports: [{ name: 'http', containerPort: 8080 }] })] }) as { metadata: Record<string, unknown> };
    pod.metadata.labels = { app: 'web' };
    await cp.admin.create(Pods, 'default', pod);
    await cp.admin.create(Services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] } });
    await eventually(async () => ((await cp.admin.get<Service>(Services, 'default', 'web')).status?.loadBalancer?.ingress ?? []).map((i) => i.ip).join(',') === '172.31.247.11,172.31.247.12', { timeoutMs: 30_000, what: 'ingress of both nodes' });
    let got = '';
    for (const n of NODES) {
      await eventually(async () => /^\S+ web$/.test((got = await curl(out, `http://${n.ip}/cgi-bin/ip`))), { timeoutMs: 60_000, what: `web answering at ${n.ip}:80` });
      // Cluster policy: masqueraded, the pod does not see the client.
      expect(got.startsWith(`${OUT_IP} `)).toBe(false);
    }
  }, 150_000);

  it('externalTrafficPolicy Local: node 1 answers with the client address, node 2 drops; health checks 200 and 503', async () => {
    const s = await setService({ externalTrafficPolicy: 'Local' });
    const hc = s.spec!.healthCheckNodePort!;
    expect(hc).toBeGreaterThan(0);
    let got = '';
    await eventually(async () => (got = await curl(out, `http://${NODES[0]!.ip}/cgi-bin/ip`)) === `${OUT_IP} web`, { timeoutMs: 30_000 }).catch((e: Error) => {
      throw new Error(`${e.message}: client IP kept at node 1 (last: ${got})`);
    });
    await eventually(async () => (await curl(out, `http://${NODES[1]!.ip}/cgi-bin/ip`)) === 'failed: 28', { timeoutMs: 30_000, what: 'node 2 dropping (curl timeout)' });
    const nodePort = s.spec!.ports![0]!.nodePort!;
    expect(await curl(out, `http://${NODES[0]!.ip}:${nodePort}/cgi-bin/ip`)).toBe(`${OUT_IP} web`);
    expect(await curl(out, `http://${NODES[1]!.ip}:${nodePort}/cgi-bin/ip`)).toBe('failed: 28');
    const health = async (host: string) => {
      const res = await fetch(`http://${host}:${hc}/healthz`);
      return { code: res.status, body: await res.json() };
    };
    await eventually(async () => (await health(NODES[0]!.health).catch(() => undefined))?.code === 200, { timeoutMs: 30_000, what: 'health 200 on node 1' });
    expect(await health(NODES[0]!.health)).toEqual({ code: 200, body: { service: { namespace: 'default', name: 'web' }, localEndpoints: 1, serviceProxyHealthy: true } });
    expect(await health(NODES[1]!.health)).toEqual({ code: 503, body: { service: { namespace: 'default', name: 'web' }, localEndpoints: 0, serviceProxyHealthy: true } });
  }, 120_000);

  it('internalTrafficPolicy Local: a pod on node 1 reaches the cluster IP, a pod on node 2 (no endpoint there) does not', async () => {
    const ip = (await cp.admin.get<Service>(Services, 'default', 'web')).spec!.clusterIP!;
    const ask = async (name: string, node: string) => {
      await cp.admin.create(Pods, 'default', busyboxPod(name, { nodeName: node, restartPolicy: 'Never', containers: [ctr('main', `{ timeout 3 wget -qO- http://${ip}/cgi-bin/ip || echo failed; } > /dev/termination-log 2>&1`)] }));
      await eventually(async () => ['Succeeded', 'Failed'].includes((await cp.admin.get<{ status?: { phase?: string } }>(Pods, 'default', name)).status?.phase ?? ''), { timeoutMs: 60_000, what: `${name} finished` });
      const pod = await cp.admin.get<{ status?: { podIP?: string; containerStatuses?: { state?: { terminated?: { message?: string } } }[] } }>(Pods, 'default', name);
      await cp.admin.delete(Pods, 'default', name, { gracePeriodSeconds: 0 });
      return { ip: pod.status?.podIP, said: (pod.status?.containerStatuses?.[0]?.state?.terminated?.message ?? '').trim() };
    };
    // Cluster policy first: a pod on node 2 reaches the pod on node 1 (so its failure below is the policy's).
    expect((await ask('ask-0', 'lbn2')).said).toMatch(/ web$/);
    await setService({ internalTrafficPolicy: 'Local' });
    await eventually(async () => (await lab.exec(agents[1]!.netns, 'iptables-save', ['-t', 'filter'])).stdout.includes(`-d ${ip}/32`), { timeoutMs: 30_000, what: 'node 2 drop rule' });
    const one = await ask('ask-1', 'lbn1');
    expect(one.said.replace(/^\[(?:::ffff:)?([^\]]+)\]/, '$1')).toBe(`${one.ip} web`);
    expect((await ask('ask-2', 'lbn2')).said).toMatch(/failed/);
    await setService({ internalTrafficPolicy: 'Cluster' });
  }, 150_000);

  it('loadBalancerSourceRanges: a source outside the ranges is dropped', async () => {
    await setService({ externalTrafficPolicy: 'Cluster', loadBalancerSourceRanges: [`${OUT_IP}/32`] });
    await eventually(async () => (await curl(out2, `http://${NODES[0]!.ip}/cgi-bin/ip`)) === 'failed: 28', { timeoutMs: 30_000, what: 'out2 dropped' });
    await eventually(async () => /^\S+ web$/.test(await curl(out, `http://${NODES[0]!.ip}/cgi-bin/ip`)), { timeoutMs: 30_000, what: 'out served' });
  }, 120_000);
});
