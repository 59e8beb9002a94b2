// ReplicationControllers end to end with the stock kubectl on a real single-node cluster
// (apiserver, scheduler, controller manager, node agent with runc): create -f, get rc, scale rc,
// describe, get -o wide, expose and autoscale (which read its map selector and scale), delete
// removing the pods.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pods, ReplicationControllers } from '../../pkg/client/rest-client.js';
import { eventually } from '../helpers/control-plane.js';
import { hasKubectl, kubectlAt, kubectlOk } from '../helpers/kubectl.js';
import { image, startCluster, type Cluster } from '../nodeagent/harness.js';

let c: Cluster;
const cacheDir = mkdtempSync(join(tmpdir(), 'kubectl-cache-'));

beforeAll(async () => {
  if (!hasKubectl) return;
  c = await startCluster({ podCIDR: '10.199.3.128/25', controllers: {} });
}, 180_000);
afterAll(async () => {
  await c?.stop();
  rmSync(cacheDir, { recursive: true, force: true });
});

const kubectl = (...args: string[]) => kubectlOk(c.cp.kubeconfig, cacheDir, args);

// No selector: it defaults from the template's labels, as in Kubernetes' own examples.
const manifest = `apiVersion: v1
kind: ReplicationController
metadata:
  name: nginx
spec:
  replicas: 2
  template:
    metadata:
      labels: {app: nginx}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: nginx
        image: ${image}
        imagePullPolicy: IfNotPresent
        command: [sleep, "3600"]
`;

const running = async () =>
  (await c.cp.admin.list(Pods, 'default', { labelSelector: 'app=nginx' })).items.filter((p) => !p.metadata?.deletionTimestamp && (p.status as { phase?: string }).phase === 'Running');
const readyReplicas = (n: number) =>
  eventually(async () => ((await c.cp.admin.get(ReplicationControllers, 'default', 'nginx')).status as { readyReplicas?: number }).readyReplicas === n, { timeoutMs: 90_000, what: `${n} ready replicas` });

describe.skipIf(!hasKubectl)('kubectl and ReplicationControllers on a real node', () => {
  it('create -f, get rc, scale rc, describe, get -o wide, delete', async () => {
    const r = await kubectlAt(c.cp.kubeconfig, cacheDir, ['create', '-f', '-'], manifest);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('replicationcontroller/nginx created');
    await readyReplicas(2);
    expect(await running()).toHaveLength(2);
    const got = await kubectl('get', 'rc');
    expect(got).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\s*$/m);
    expect(got).toMatch(/^nginx\s+2\s+2\s+2\s+\d+s\s*$/m);

    expect(await kubectl('scale', 'rc', 'nginx', '--replicas=3')).toContain('replicationcontroller/nginx scaled');
    await readyReplicas(3);
    expect(await running()).toHaveLength(3);
    expect(await kubectl('get', 'rc', 'nginx')).toMatch(/^nginx\s+3\s+3\s+3\s+/m);
    expect(await kubectl('get', 'replicationcontrollers', 'nginx', '-o', 'wide')).toMatch(/^nginx\s+3\s+3\s+3\s+\S+\s+nginx\s+\S+busybox\S*\s+app=nginx\s*$/m);
    const described = await kubectl('describe', 'rc', 'nginx');
    expect(described).toMatch(/Selector:\s+app=nginx/);
    expect(described).toMatch(/Replicas:\s+3 current \/ 3 desired/);
    expect(described).toMatch(/Pods Status:\s+3 Running/);
    expect(described).toContain('SuccessfulCreate');
    expect(await kubectl('get', 'all')).toMatch(/replicationcontroller\/nginx\s+3\s+3\s+3/);
    // kubectl's polymorphic helpers read the RC's map selector: expose and autoscale.
    expect(await kubectl('expose', 'rc', 'nginx', '--port=80')).toContain('service/nginx exposed');
    expect(await kubectl('get', 'svc', 'nginx', '-o', 'jsonpath={.spec.selector}')).toBe('{"app":"nginx"}');
    expect(await kubectl('autoscale', 'rc', 'nginx', '--min=1', '--max=4', '--cpu-percent=80')).toContain('horizontalpodautoscaler.autoscaling/nginx autoscaled');
    expect(await kubectl('get', 'hpa', 'nginx', '-o', 'jsonpath={.spec.scaleTargetRef}')).toContain('"kind":"ReplicationController"');
    await kubectl('delete', 'hpa', 'nginx');
    await kubectl('delete', 'svc', 'nginx');

    expect(await kubectl('scale', 'rc', 'nginx', '--replicas=1')).toContain('scaled');
    await eventually(async () => (await running()).length === 1, { timeoutMs: 60_000, what: 'scaled down to 1' });
    expect(await kubectl('delete', 'rc', 'nginx')).toContain('replicationcontroller "nginx" deleted');
    await eventually(async () => (await c.cp.admin.list(Pods, 'default', { labelSelector: 'app=nginx' })).items.length === 0, { timeoutMs: 60_000, what: 'pods gone' });
  }, 300_000);
});
