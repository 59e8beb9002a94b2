// Deployments end to end with the stock kubectl on a real single-node cluster (apiserver,
// scheduler, controller manager, node agent with runc): apply, rollout status, scale, an edit
// rolled out, rollout history and undo, get all, and delete removing ReplicaSets and pods.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../pkg/api/types.js';
import { Pods, ReplicaSets } from '../../pkg/client/rest-client.js';
import { eventually } from '../helpers/control-plane.js';
import { hasKubectl, kubectlAt, kubectlOk } from '../helpers/kubectl.js';
import { image, startCluster, type Cluster } from '../nodeagent/harness.js';

let c: Cluster;
const cacheDir = mkdtempSync(join(tmpdir(), 'kubectl-cache-'));

beforeAll(async () => {
  if (!hasKubectl) return;
  c = await startCluster({ controllers: {} });
}, 180_000);
afterAll(async () => {
  await c?.stop();
  rmSync(cacheDir, { recursive: true, force: true });
});

const kubectl = (...args: string[]) => kubectlOk(c.cp.kubeconfig, cacheDir, args);

const manifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: busybox
        image: ${image}
        imagePullPolicy: IfNotPresent
        command: [sleep, "3600"]
`;

const runningPods = async () =>
  (await c.cp.admin.list(Pods, 'default', { labelSelector: 'app=web' })).items.filter((p) => !p.metadata?.deletionTimestamp && (p.status as { phase?: string }).phase === 'Running');
const envOf = (p: KubeObject) => ((p.spec as { containers: { env?: { name: string; value: string }[] }[] }).containers[0]!.env ?? []).map((e) => `${e.name}=${e.value}`);

describe.skipIf(!hasKubectl)('kubectl and Deployments on a real node', () => {
  it('apply, rollout status, scale, an edit rolled out, history, undo, get all, delete', async () => {
    const r = await kubectlAt(c.cp.kubeconfig, cacheDir, ['apply', '-f', '-'], manifest);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('deployment.apps/web created');
    expect(await kubectl('rollout', 'status', 'deployment/web', '--timeout=120s')).toContain('successfully rolled out');
    expect(await runningPods()).toHaveLength(2);
    expect(await kubectl('get', 'deploy', 'web')).toMatch(/web\s+2\/2\s+2\s+2\s+/);

    await kubectl('scale', 'deployment/web', '--replicas=3');
    await kubectl('rollout', 'status', 'deployment/web', '--timeout=120s');
    await eventually(async () => (await runningPods()).length === 3, { timeoutMs: 60_000, what: '3 running pods' });

    // An edit of the template is a rolling update to revision 2.
    await kubectl('set', 'env', 'deployment/web', 'STAGE=two');
    expect(await kubectl('rollout', 'status', 'deployment/web', '--timeout=120s')).toContain('successfully rolled out');
    const updated = await eventually(async () => {
      const ps = await runningPods();
      return ps.length === 3 && ps.every((p) => envOf(p).includes('STAGE=two')) ? ps : undefined;
    }, { timeoutMs: 60_000, what: 'pods with STAGE=two' });
    expect(updated).toHaveLength(3);
    const history = await kubectl('rollout', 'history', 'deployment/web');
    expect(history).toMatch(/^1\s/m);
    expect(history).toMatch(/^2\s/m);

    // Undo: the revision 1 template comes back, as revision 3.
    expect(await kubectl('rollout', 'undo', 'deployment/web')).toContain('rolled back');
    await kubectl('rollout', 'status', 'deployment/web', '--timeout=120s');
    await eventually(async () => {
      const ps = await runningPods();
      return ps.length === 3 && ps.every((p) => envOf(p).length === 0);
    }, { timeoutMs: 60_000, what: 'pods without STAGE' });
    const sets = (await c.cp.admin.list(ReplicaSets, 'default', { labelSelector: 'app=web' })).items;
    expect(sets.map((rs) => rs.metadata?.annotations?.['deployment.kubernetes.io/revision']).sort()).toEqual(['2', '3']);
    expect(await kubectl('rollout', 'history', 'deployment/web', '--revision=3')).toContain('sleep');

    const described = await kubectl('describe', 'deployment', 'web');
    expect(described).toMatch(/Replicas:\s+3 desired \| 3 updated \| 3 total \| 3 available \| 0 unavailable/);
    expect(described).toMatch(/NewReplicaSet:\s+web-\w+ \(3\/3 replicas created\)/);
    expect(described).toContain('ScalingReplicaSet');
    const all = await kubectl('get', 'all');
    expect(all).toContain('deployment.apps/web');
    expect(all).toMatch(/replicaset\.apps\/web-\w+/);
    expect(all).toMatch(/pod\/web-\w+-\w{5}/);

    await kubectl('delete', 'deployment', 'web');
    await eventually(async () => (await c.cp.admin.list(ReplicaSets, 'default', { labelSelector: 'app=web' })).items.length === 0, { timeoutMs: 30_000, what: 'ReplicaSets gone' });
    await eventually(async () => (await c.cp.admin.list(Pods, 'default', { labelSelector: 'app=web' })).items.length === 0, { timeoutMs: 60_000, what: 'pods gone' });
  }, 600_000);

  it('create deployment -- sleep, rollout restart, and a foreground delete that waits for the pods', async () => {
    await kubectl('create', 'deployment', 'hello', `--image=${image}`, '--replicas=2', '--', 'sleep', '3600');
    await kubectl('rollout', 'status', 'deployment/hello', '--timeout=120s');
    const before = (await c.cp.admin.list(Pods, 'default', { labelSelector: 'app=hello' })).items.map((p) => p.metadata!.uid);
    expect(before).toHaveLength(2);
    expect(await kubectl('rollout', 'restart', 'deployment/hello')).toContain('restarted');
    expect(await kubectl('rollout', 'status', 'deployment/hello', '--timeout=120s')).toContain('successfully rolled out');
    const fresh = (await c.cp.admin.list(Pods, 'default', { labelSelector: 'app=hello' })).items.filter((p) => !p.metadata?.deletionTimestamp);
    expect(fresh).toHaveLength(2);
    for (const p of fresh) expect(before).not.toContain(p.metadata!.uid);
    // sleep ignores SIGTERM, so its pods take their 30 s grace period: the owner waits for them.
    await kubectl('delete', 'deployment', 'hello', '--cascade=foreground', '--wait=false');
    const held = await kubectl('get', 'deployment', 'hello', '-o', 'jsonpath={.metadata.finalizers}');
    expect(held).toContain('foregroundDeletion');
    await eventually(async () => (await c.cp.admin.list(Pods, 'default', { labelSelector: 'app=hello' })).items.every((p) => p.metadata?.deletionTimestamp), { timeoutMs: 30_000, what: 'pods deleting' });
    expect(await kubectl('get', 'deployment', 'hello', '-o', 'name')).toContain('deployment.apps/hello');
    await kubectl('delete', 'pods', '-l', 'app=hello', '--grace-period=0', '--force');
    await eventually(async () => (await kubectlAt(c.cp.kubeconfig, cacheDir, ['get', 'deployment', 'hello'])).code !== 0, { timeoutMs: 30_000, what: 'deployment gone after its pods' });
    expect((await c.cp.admin.list(ReplicaSets, 'default', { labelSelector: 'app=hello' })).items).toHaveLength(0);
  }, 600_000);
});
