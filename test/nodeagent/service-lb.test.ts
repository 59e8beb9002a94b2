// LoadBalancer Services end to end on a real single-node cluster with the controller manager:
// the service load-balancer controller publishes the node's InternalIP (kubectl shows it as
// EXTERNAL-IP), the agent programs the externalTrafficPolicy Local chains for the node port and
// answers the health check node port with kube-proxy's JSON, 200 while the pod runs on the node
// and 503 once it is gone; nothing is left after the clean-up. (The harness node is the host at
// 127.0.0.1, where load-balancer IPs on loopback are not programmed: the traffic itself is proved
// on lab nodes in test/network/service-lb.test.ts.)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../pkg/api/types.js';
import { Pods, Services } from '../../pkg/client/rest-client.js';
import { eventually } from '../helpers/control-plane.js';
import { hasKubectl, kubectlAt } from '../helpers/kubectl.js';
import { busyboxPod, ctr, podStatus, startCluster, type Cluster } from './harness.js';

let c: Cluster;
let prefix = '';
let hcPort = 0;
const dir = mkdtempSync(join(tmpdir(), 'tskube-svclb-agent-'));

beforeAll(async () => {
  c = await startCluster({ podCIDR: '10.199.2.0/24', controllers: { allocateNodeCIDRs: false } });
  prefix = c.cfg.chainPrefix!;
}, 180_000);
afterAll(async () => {
  await c?.stop();
  rmSync(dir, { recursive: true, force: true });
  if (prefix) expect(execFileSync('iptables-save', { encoding: 'utf8' })).not.toContain(`${prefix}-`);
  // The health check listener went with the agent.
  if (hcPort) await expect(fetch(`http://127.0.0.1:${hcPort}/healthz`)).rejects.toThrow();
}, 120_000);

const health = async () => {
  const res = await fetch(`http://127.0.0.1:${hcPort}/healthz`);
  return { code: res.status, body: (await res.json()) as { service: { namespace: string; name: string }; localEndpoints: number } };
};

describe('LoadBalancer Services on a node agent', () => {
  it('gets the node address as EXTERNAL-IP, Local chains for its node port, and a health check that follows the local pod', async () => {
    const pod = busyboxPod('lb-web', { containers: [ctr('httpd', 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www', { ports: [{ name: 'http', containerPort: 8080 }] })] }) as { metadata: Record<string, unknown> };
    pod.metadata.labels = { app: 'lb-web' };
    await c.cp.admin.create(Pods, 'default', pod);
    const svc = await c.cp.admin.create<Service>(Services, 'default', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'lb-web' },
      spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local', selector: { app: 'lb-web' }, ports: [{ port: 80, targetPort: 'http' }] },
    });
    hcPort = svc.spec!.healthCheckNodePort!;
    const nodePort = svc.spec!.ports![0]!.nodePort!;
    expect(hcPort).toBeGreaterThan(0);
    await eventually(async () => (await c.cp.admin.get<Service>(Services, 'default', 'lb-web')).status?.loadBalancer?.ingress?.[0]?.ip === '127.0.0.1', { timeoutMs: 30_000, what: 'ingress 127.0.0.1' });
    if (hasKubectl) {
      const got = await kubectlAt(c.cp.kubeconfig, join(dir, 'cache'), ['get', 'svc', 'lb-web', '--no-headers']);
      expect(got.out).toMatch(new RegExp(`^lb-web\\s+LoadBalancer\\s+\\S+\\s+127\\.0\\.0\\.1\\s+80:${nodePort}/TCP\\s`));
    }
    await eventually(async () => (await podStatus(c, 'lb-web')).conditions?.some((x) => x.type === 'Ready' && x.status === 'True'), { timeoutMs: 60_000, what: 'lb-web ready' });
    await eventually(async () => (await health().catch(() => undefined))?.code === 200, { timeoutMs: 30_000, what: 'health check 200' });
    expect((await health()).body).toEqual({ service: { namespace: 'default', name: 'lb-web' }, localEndpoints: 1, serviceProxyHealthy: true });
    // The node port goes through the Local external chain: pods and the node to every endpoint, the rest to this node's.
    const nat = execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' });
    const ext = new RegExp(`-A ${prefix}-NODEPORTS -p tcp -m tcp --dport ${nodePort} -m comment --comment "default/lb-web" -j (${prefix}-EXT-[0-9A-F]+)`).exec(nat)?.[1];
    expect(ext).toBeDefined();
    expect(nat).toContain(`-A ${ext} -s 10.199.0.0/16 -m comment --comment "default/lb-web pod traffic for external destinations"`);
    expect(nat).toMatch(new RegExp(`-A ${ext} -j ${prefix}-SVL-`));

    // The pod goes: no local endpoint, 503, and the node port is dropped.
    await c.cp.admin.delete(Pods, 'default', 'lb-web', { gracePeriodSeconds: 0 });
    await eventually(async () => (await health()).code === 503, { timeoutMs: 60_000, what: 'health check 503' });
    expect((await health()).body.localEndpoints).toBe(0);
  }, 180_000);
});
