// Static pods with the stock kubectl on a real single-node cluster: a manifest in the agent's
// --pod-manifest-path shows in `kubectl get pods` as <name>-<node> (its mirror pod), `kubectl
// logs` and `kubectl exec` reach its container, `kubectl describe pod` (and tsctl's, byte for byte)
// shows its node as its controller, and `kubectl delete pod` only gives it back.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/control-plane.js';
import { hasKubectl, kubectlOk } from '../helpers/kubectl.js';
import { runTsctl } from '../helpers/tsctl.js';
import { startCluster, staticPodManifest, type Cluster } from '../nodeagent/harness.js';

let c: Cluster;
const cacheDir = mkdtempSync(join(tmpdir(), 'kubectl-cache-'));
const manifests = mkdtempSync(join(tmpdir(), 'tskube-manifests-'));

beforeAll(async () => {
  if (!hasKubectl) return;
  c = await startCluster({ podCIDR: '10.199.5.128/25', podManifestPath: manifests });
}, 180_000);
afterAll(async () => {
  await c?.stop();
  rmSync(cacheDir, { recursive: true, force: true });
  rmSync(manifests, { recursive: true, force: true });
});

const kubectl = (...args: string[]) => kubectlOk(c.cp.kubeconfig, cacheDir, args);

/** Waits for the mirror pod to be there again, Running, as a new object (not `uid`). */
const backAgain = (uid: string, what: string) =>
  eventually(async () => {
    const out = await kubectl('get', 'pod', 'hello-e2e-node', '-o', 'jsonpath={.metadata.uid} {.status.phase}').catch(() => '');
    const [u, phase] = out.split(' ');
    return !!u && u !== uid && phase === 'Running';
  }, { timeoutMs: 30_000, what });

describe.skipIf(!hasKubectl)('kubectl and static pods', () => {
  it('shows the mirror pod, reaches its container, and gets it back after a delete', async () => {
    writeFileSync(join(manifests, 'hello.yaml'), staticPodManifest('hello', 'hello from a static pod'));
    const line = await eventually(async () => {
      const out = await kubectl('get', 'pods', '--no-headers');
      return /^hello-e2e-node\s+1\/1\s+Running\s+0\s/m.exec(out)?.[0];
    }, { timeoutMs: 60_000, what: 'hello-e2e-node Running in kubectl get pods' });
    expect(line).toBeTruthy();
    const uid = (await kubectl('get', 'pod', 'hello-e2e-node', '-o', 'jsonpath={.metadata.uid}')).trim();
    expect(await kubectl('get', 'pod', 'hello-e2e-node', '-o', 'jsonpath={.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}')).toBe('Node/e2e-node');
    expect(await eventually(async () => (await kubectl('logs', 'hello-e2e-node')) || undefined)).toBe('hello from a static pod\n');
    expect(await kubectl('exec', 'hello-e2e-node', '--', 'echo', 'inside')).toBe('inside\n');
    const described = await kubectl('describe', 'pod', 'hello-e2e-node');
    expect(described).toMatch(/^Controlled By:\s+Node\/e2e-node$/m);
    expect(described).toMatch(/kubernetes\.io\/config\.mirror: [0-9a-f]{32}$/m);
    // tsctl describes the mirror pod as kubectl does, its events found under the static pod's uid
    // (asked back to back until no second's tick falls between the two)
    let last = { want: '', got: '' };
    const same = await eventually(async () => {
      const want = await kubectl('describe', 'pod', 'hello-e2e-node');
      last = { want, got: (await runTsctl(c.cp.kubeconfig, ['describe', 'pod', 'hello-e2e-node'])).out };
      return last.got === last.want || undefined;
    }, { timeoutMs: 20_000, intervalMs: 200, what: "tsctl describe pod as kubectl's" }).catch(() => false);
    if (!same) expect(last.got).toBe(last.want);
    expect(await kubectl('delete', 'pod', 'hello-e2e-node')).toBe('pod "hello-e2e-node" deleted\n');
    await backAgain(uid, 'the mirror pod back');
    // The same container: no restart, and its log still there.
    expect(await kubectl('get', 'pod', 'hello-e2e-node', '-o', 'jsonpath={.status.containerStatuses[0].restartCount}')).toBe('0');
    expect(await kubectl('logs', 'hello-e2e-node')).toBe('hello from a static pod\n');
    // A forced delete (gone at once) too.
    const second = (await kubectl('get', 'pod', 'hello-e2e-node', '-o', 'jsonpath={.metadata.uid}')).trim();
    expect(await kubectl('delete', 'pod', 'hello-e2e-node', '--force', '--grace-period=0')).toBe('pod "hello-e2e-node" force deleted\n');
    await backAgain(second, 'the mirror pod back after a forced delete');
    expect(await kubectl('get', 'pod', 'hello-e2e-node', '-o', 'jsonpath={.status.containerStatuses[0].restartCount}')).toBe('0');
    rmSync(join(manifests, 'hello.yaml'));
    await eventually(async () => !(await kubectl('get', 'pods', '--no-headers')).includes('hello-e2e-node'), { timeoutMs: 30_000, what: 'hello-e2e-node gone' });
  }, 150_000);
});
