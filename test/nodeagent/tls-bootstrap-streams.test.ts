// A node joined by kubelet TLS bootstrapping (a client certificate, no node token) serves kubectl
// logs and kubectl exec through the apiserver, as a kubeadm-joined node does in 1.32: the
// apiserver shows its kubelet client certificate (CN kube-apiserver-kubelet-client) and the agent
// takes it on the cluster CA and authorizes it with a SubjectAccessReview.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenFor } from '../../pkg/apiserver/pki.js';
import { Pods } from '../../pkg/client/rest-client.js';
import { eventually } from '../helpers/control-plane.js';
import { hasKubectl, kubectlOk } from '../helpers/kubectl.js';
import { busyboxPod, ctr, podStatus, startCluster, type Cluster } from './harness.js';

let c: Cluster;
const cacheDir = mkdtempSync(join(tmpdir(), 'tsk-kubectl-cache-'));

beforeAll(async () => {
  c = await startCluster({ podCIDR: '10.199.97.0/24', tlsBootstrap: true });
}, 120_000);

afterAll(async () => {
  await c?.stop();
  rmSync(cacheDir, { recursive: true, force: true });
}, 60_000);

describe.skipIf(!hasKubectl)('a TLS-bootstrapped node', () => {
  it('serves kubectl logs and kubectl exec through the apiserver', async () => {
    // (the node has no token: nothing but the kubelet client certificate can reach its agent)
    expect(tokenFor(join(c.cp.dataDir, 'tokens.csv'), 'system:node:e2e-node')).toBeUndefined();
    await c.cp.admin.create(Pods, 'default', busyboxPod('talker', { containers: [ctr('main', 'echo hello from a bootstrapped node; sleep 3600')] }));
    await eventually(async () => (await podStatus(c, 'talker')).phase === 'Running', { timeoutMs: 30_000, what: 'talker running' });
    const logs = await eventually(async () => {
      const out = await kubectlOk(c.cp.kubeconfig, cacheDir, ['logs', 'talker']);
      if (!out) throw new Error('no log yet');
      return out;
    }, { timeoutMs: 10_000, what: 'the log line' });
    expect(logs).toBe('hello from a bootstrapped node\n');
    expect(await kubectlOk(c.cp.kubeconfig, cacheDir, ['exec', 'talker', '--', 'sh', '-c', 'echo exec on $(hostname)'])).toBe('exec on talker\n');
  }, 60_000);
});
