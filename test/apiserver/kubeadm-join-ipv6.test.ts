// A control plane advertised on an IPv6 address is joined the kubeadm way: its address is written
// bracketed wherever it is joined to a port, as kubeadm's net.JoinHostPort writes it: the
// kubeconfigs' and cluster-info's server (https://[::1]:PORT), the gRPC frontend's address, and the
// join command `tsctl token create --print-join-command` prints (tsctl join [::1]:PORT ...), which
// joins a node over IPv6; so does a K10 join token's exchange.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourceRef } from '../../pkg/client/api-client.js';
import { joinCluster } from '../../pkg/client/join.js';
import { loadKubeconfig } from '../../pkg/client/kubeconfig.js';
import { core, RestClient } from '../../pkg/client/rest-client.js';
import { eventually, type TestControlPlane } from '../helpers/control-plane.js';
import { startJoinControlPlane, type JoinControlPlane } from '../helpers/tls-bootstrap-join.js';
import { tsctlCaptured } from '../helpers/tsctl.js';

const SelfSubjectReviews: ResourceRef = { group: 'authentication.k8s.io', version: 'v1', resource: 'selfsubjectreviews', namespaced: false };
let cp: TestControlPlane;
let plane: JoinControlPlane | undefined;
const dir = mkdtempSync(join(tmpdir(), 'tskube-kubeadm-join-ipv6-'));
const clients: RestClient[] = [];

const tsctl = (...args: string[]) => tsctlCaptured(args);

beforeAll(async () => {
  plane = await startJoinControlPlane({ address: '::1' });
  cp = plane.cp;
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await plane?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a control plane advertised on an IPv6 address', () => {
  it('names itself https://[::1]:PORT, prints a join command with [::1]:PORT, and that command joins a node', async () => {
    const server = loadKubeconfig(cp.kubeconfig).server;
    expect(server).toMatch(/^https:\/\/\[::1\]:\d+$/);
    const port = new URL(server).port;
    // (cluster-info, which joining machines trust, and its gRPC extension)
    const anonymous = new RestClient({ server, caCert: cp.config.caCert, namespace: 'default', source: 'test' });
    clients.push(anonymous);
    const info = (await anonymous.get<{ data: Record<string, string> }>(core('configmaps'), 'kube-public', 'cluster-info')).data.kubeconfig;
    const cluster = (yaml.load(info) as { clusters: { cluster: { server: string; extensions?: { extension: { server: string } }[] } }[] }).clusters[0]!.cluster;
    expect(cluster.server).toBe(server);
    expect(cluster.extensions?.[0]?.extension.server).toMatch(/^\[::1\]:\d+$/);

    const created = await tsctl('--kubeconfig', cp.kubeconfig, 'token', 'create', '--print-join-command', '--ttl', '10m');
    expect(created.err).toBe('');
    const m = /^tsctl join (\S+) --token (([a-z0-9]{6})\.[a-z0-9]{16}) {5}--discovery-token-ca-cert-hash sha256:[0-9a-f]{64} \n$/.exec(created.out);
    expect(m, created.out).not.toBeNull();
    expect(m![1]).toBe(`[::1]:${port}`);
    await eventually(async () => (await anonymous.get<{ data: Record<string, string> }>(core('configmaps'), 'kube-public', 'cluster-info')).data[`jws-kubeconfig-${m![3]}`] !== undefined, { timeoutMs: 10_000, what: 'the JWS of the new token' });

    const nodeDir = join(dir, 'worker-v6');
    const joined = await tsctl(...created.out.trim().split(/\s+/).slice(1), '--data-dir', nodeDir, '--node-name', 'worker-v6', '--start-agent=false');
    expect(joined.err).toBe('');
    expect(joined.code).toBe(0);
    const kc = loadKubeconfig(join(nodeDir, 'node.kubeconfig'));
    expect(kc.server).toBe(server);
    const node = new RestClient(kc);
    clients.push(node);
    const review = (await node.create(SelfSubjectReviews, undefined, { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' })) as { status: { userInfo: { username: string } } };
    expect(review.status.userInfo.username).toBe('system:node:worker-v6');
  }, 60_000);

  it("tskube's own K10 join token works against it too", async () => {
    const token = readFileSync(join(cp.dataDir, 'join-token'), 'utf8').trim();
    const kc = await joinCluster({ server: cp.config.server, token, nodeName: 'k10-v6' });
    expect(kc).toContain(`server: ${cp.config.server}`);
  });
});
