// StatefulSets and DaemonSets end to end with the stock kubectl on a real single-node cluster
// (apiserver, scheduler, controller manager, node agent with runc and its cluster DNS): a
// headless Service and a two-replica StatefulSet rolled out (kubectl rollout status), web-0
// found by its stable name from another pod, a DaemonSet with one pod on the node, rollout
// history from the ControllerRevisions, scale through the scale subresource, and deletes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pods } from '../../pkg/client/rest-client.js';
import { eventually } from '../helpers/control-plane.js';
import { hasKubectl, kubectlAt, kubectlOk } from '../helpers/kubectl.js';
import { image, podStatus, startCluster, type Cluster } from '../nodeagent/harness.js';

let c: Cluster;
const cacheDir = mkdtempSync(join(tmpdir(), 'kubectl-cache-'));

beforeAll(async () => {
  if (!hasKubectl) return;
  c = await startCluster({ podCIDR: `10.199.${100 + Math.floor(Math.random() * 150)}.0/24`, controllers: {} });
}, 180_000);
afterAll(async () => {
  await c?.stop();
  rmSync(cacheDir, { recursive: true, force: true });
});

const kubectl = (...args: string[]) => kubectlOk(c.cp.kubeconfig, cacheDir, args);
const apply = (yaml: string) => kubectlOk(c.cp.kubeconfig, cacheDir, ['apply', '-f', '-'], yaml);

const container = `      terminationGracePeriodSeconds: 1
      containers:
      - name: busybox
        image: ${image}
        imagePullPolicy: IfNotPresent
        command: [sleep, "3600"]`;

const statefulSet = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  clusterIP: None
  selector: {app: web}
  ports:
  - {name: web, port: 80}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: web
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
${container}
`;

const daemonSet = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-agent
spec:
  selector:
    matchLabels: {app: node-agent}
  template:
    metadata:
      labels: {app: node-agent}
    spec:
${container}
`;

describe.skipIf(!hasKubectl)('kubectl with StatefulSets and DaemonSets', () => {
  it('rolls out a StatefulSet behind a headless Service; web-0.web resolves to web-0 from another pod', async () => {
    expect(await apply(statefulSet)).toContain('statefulset.apps/web created');
    const rollout = await kubectl('rollout', 'status', 'sts/web', '--timeout=50s');
    expect(rollout).toContain('partitioned roll out complete: 2 new pods have been updated');
    expect(await kubectl('get', 'sts', 'web')).toMatch(/^NAME\s+READY\s+AGE\nweb\s+2\/2\s+/);
    const web0 = await podStatus(c, 'web-0');
    expect(web0.podIP).toBeTruthy();
    // The slice endpoint has web-0's hostname, so the node's DNS answers its stable name.
    const out = await eventually(
      async () => {
        const r = await kubectlAt(c.cp.kubeconfig, cacheDir, ['exec', 'web-1', '--', 'nslookup', 'web-0.web.default.svc.cluster.local']);
        return r.code === 0 && r.out.includes(web0.podIP!) ? r.out : undefined;
      },
      { timeoutMs: 30_000, what: 'web-0.web.default.svc.cluster.local to resolve' },
    );
    expect(out).toMatch(new RegExp(`Address:\\s+${web0.podIP!.replace(/\./g, '\\.')}`));
    // Its own hostname and FQDN, as the kubelet sets them.
    expect((await kubectl('exec', 'web-0', '--', 'hostname')).trim()).toBe('web-0');
    expect(await kubectl('exec', 'web-0', '--', 'cat', '/etc/hosts')).toContain(`${web0.podIP}\tweb-0.web.default.svc.cluster.local\tweb-0`);
    expect(await kubectl('rollout', 'history', 'sts/web')).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+/);
    const described = await kubectl('describe', 'sts', 'web');
    expect(described).toMatch(/Pods Status:\s+2 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed/);
    expect(described).toMatch(/SuccessfulCreate\s+.*create Pod web-1 in StatefulSet web successful/);
  }, 120_000);

  // (this test and the next run at once: the StatefulSet's scale-down and the DaemonSet's rollouts
  // touch different objects and pods; the last test deletes both sets)
  it.concurrent('scales the StatefulSet down from the highest ordinal with kubectl scale', async () => {
    expect(await kubectl('scale', 'sts/web', '--replicas=1')).toContain('statefulset.apps/web scaled');
    await eventually(async () => {
      const names = (await c.cp.admin.list(Pods, 'default', { labelSelector: 'app=web' })).items.map((p) => p.metadata?.name);
      return names.join() === 'web-0' ? true : undefined;
    }, { timeoutMs: 30_000, what: 'web-1 to go' });
    expect(await kubectl('get', 'sts', 'web')).toMatch(/web\s+1\/1\s+/);
  }, 60_000);

  it.concurrent('runs a DaemonSet pod on the node; kubectl rollout status ds succeeds', async () => {
    expect(await apply(daemonSet)).toContain('daemonset.apps/node-agent created');
    expect(await kubectl('rollout', 'status', 'ds/node-agent', '--timeout=50s')).toContain('daemon set "node-agent" successfully rolled out');
    const pods = (await c.cp.admin.list(Pods, 'default', { labelSelector: 'app=node-agent' })).items;
    expect(pods).toHaveLength(1);
    expect((pods[0]!.spec as { nodeName?: string }).nodeName).toBe('e2e-node');
    expect(await kubectl('describe', 'ds', 'node-agent')).toMatch(/Desired Number of Nodes Scheduled: 1[\s\S]*Number of Nodes Scheduled with Available Pods: 1[\s\S]*SuccessfulCreate/);
    expect(await kubectl('get', 'ds', 'node-agent')).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE\nnode-agent\s+1\s+1\s+1\s+1\s+1\s+<none>\s+/);
    // A template change rolls out and shows as revision 2.
    await kubectl('set', 'env', 'ds/node-agent', 'VERSION=2');
    expect(await kubectl('rollout', 'status', 'ds/node-agent', '--timeout=50s')).toContain('successfully rolled out');
    expect(await kubectl('rollout', 'history', 'ds/node-agent')).toMatch(/1\s+<none>\n2\s+<none>/);
    // Undo applies revision 1's template (a strategic merge patch with $patch: replace): VERSION goes, as revision 3.
    expect(await kubectl('rollout', 'undo', 'ds/node-agent')).toContain('daemonset.apps/node-agent rolled back');
    expect(await kubectl('rollout', 'status', 'ds/node-agent', '--timeout=50s')).toContain('successfully rolled out');
    const env = JSON.parse(await kubectl('get', 'ds', 'node-agent', '-o', 'jsonpath={.spec.template.spec.containers[0].env}') || 'null');
    expect(env).toBeNull();
    expect(await kubectl('rollout', 'history', 'ds/node-agent')).toMatch(/2\s+<none>\n3\s+<none>/);
    expect(await kubectl('get', 'all')).toMatch(/daemonset.apps\/node-agent[\s\S]*statefulset.apps\/web/);
  }, 120_000);

  it('deletes the sets and their pods', async () => {
    await kubectl('delete', 'sts/web', 'ds/node-agent');
    await eventually(async () => ((await c.cp.admin.list(Pods, 'default', {})).items.some((p) => ['web', 'node-agent'].includes(p.metadata?.labels?.app ?? '')) ? undefined : true), {
      timeoutMs: 60_000,
      what: 'the pods to go',
    });
  }, 90_000);
});
