// The stock kubectl against our apiserver with the generated kubeconfig: discovery, tables,
// apply (create, then a changed label), get -o yaml, get -w, delete.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yaml from 'js-yaml';
import { Leases, Nodes, Pods } from '../../pkg/client/rest-client.js';
import { eventually, node, pod, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { hasKubectl, kubectlAt } from '../helpers/kubectl.js';
import type { Node } from '../../pkg/api/types.js';

let cp: TestControlPlane;
let dir: string;

const kubectl = (...args: string[]) => kubectlAt(cp.kubeconfig, join(dir, 'cache'), args);

const manifest = (labels: Record<string, string>) => `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
${Object.entries(labels).map(([k, v]) => `    ${k}: ${v}`).join('\n')}
spec:
  containers:
  - name: web
    image: busybox:1.36
    command: ["httpd", "-f", "-p", "8080"]
    ports:
    - containerPort: 8080
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tskube-kubectl-'));
  cp = await startControlPlane();
  await cp.admin.create(Nodes, undefined, node('node-a'));
});
afterAll(async () => {
  await cp?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasKubectl)('kubectl', () => {
  it('gets nodes and an empty pod list', async () => {
    const nodes = await kubectl('get', 'nodes');
    expect(nodes.err).toBe('');
    expect(nodes.out).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\n/);
    expect(nodes.out).toMatch(/node-a\s+Ready\s+<none>/);
    const pods = await kubectl('get', 'pods');
    expect(pods.code).toBe(0);
    expect(pods.err).toContain('No resources found in default namespace.');
  });

  it('discovers every resource from the two aggregated discovery documents (no request per group version)', async () => {
    const fresh = mkdtempSync(join(dir, 'fresh-cache-'));
    const r = await kubectlAt(cp.kubeconfig, fresh, ['api-resources', '-v=6']);
    expect(r.code).toBe(0);
    for (const line of [/^pods\s+po\s+v1\s+true\s+Pod$/m, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m, /^horizontalpodautoscalers\s+hpa\s+autoscaling\/v2\s+true\s+HorizontalPodAutoscaler$/m, /^nodes\s+no\s+v1\s+false\s+Node$/m]) expect(r.out).toMatch(line);
    const gets = [...r.err.matchAll(/"GET (https:\/\/[^"]+)"|GET (https:\/\/\S+)/g)].map((m) => new URL(m[1] ?? m[2]!).pathname);
    expect(gets).toContain('/api');
    expect(gets).toContain('/apis');
    expect(gets.filter((p) => /^\/apis\/[^/]+\/[^/]+$/.test(p) || p === '/api/v1')).toEqual([]);
  });

  it('get apiservices lists the served group versions as Local and Available, as 1.32\'s aggregator does', async () => {
    const r = await kubectl('get', 'apiservices');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^NAME\s+SERVICE\s+AVAILABLE\s+AGE\n/);
    expect(r.out).toMatch(/^v1\.\s+Local\s+True\s+\S+$/m);
    expect(r.out).toMatch(/^v1\.apps\s+Local\s+True\s+\S+$/m);
    expect((await kubectl('api-versions')).out).toMatch(/^apiregistration\.k8s\.io\/v1$/m);
  });

  it('get componentstatuses: etcd by a quorum read, the scheduler and controller manager by their leader leases', async () => {
    const before = await kubectl('get', 'cs');
    expect(before.err).toContain('v1 ComponentStatus is deprecated');
    expect(before.out).toMatch(/^NAME\s+STATUS\s+MESSAGE\s+ERROR\n/);
    expect(before.out).toMatch(/^etcd-0\s+Healthy\s+\{"health":"true","reason":""\}/m);
    expect(before.out).toMatch(/^scheduler\s+Unhealthy\s+no leader holds the kube-system\/kube-scheduler lease/m);
    const now = new Date().toISOString().replace('Z', '000Z');
    await cp.admin.create(Leases, 'kube-system', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'kube-scheduler' }, spec: { holderIdentity: 'sched-1', leaseDurationSeconds: 15, renewTime: now, acquireTime: now } });
    expect((await kubectl('get', 'cs', 'scheduler')).out).toMatch(/^scheduler\s+Healthy\s+ok/m);
    await cp.admin.delete(Leases, 'kube-system', 'kube-scheduler');
  });

  it('applies a pod, re-applies a changed label, prints yaml, watches and deletes', async () => {
    const file = join(dir, 'web.yaml');
    writeFileSync(file, manifest({ app: 'web' }));
    const watcher = spawn('kubectl', ['--kubeconfig', cp.kubeconfig, 'get', 'pods', '-w', '--output-watch-events'], { env: { ...process.env, KUBECACHEDIR: join(dir, 'cache') } });
    let watchOut = '';
    watcher.stdout.on('data', (b: Buffer) => (watchOut += b.toString()));
    try {
      const created = await kubectl('apply', '-f', file);
      expect(created.err).toBe('');
      expect(created.out.trim()).toBe('pod/web created');
      const table = await kubectl('get', 'pods');
      expect(table.out).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/);
      expect(table.out).toMatch(/web\s+0\/1\s+Pending\s+0\s+\d+s/);

      writeFileSync(file, manifest({ app: 'web', tier: 'frontend' }));
      const again = await kubectl('apply', '-f', file);
      expect(again.err).toBe('');
      expect(again.out.trim()).toBe('pod/web configured');
      const unchanged = await kubectl('apply', '-f', file);
      expect(unchanged.out.trim()).toBe('pod/web unchanged');
      const p = await cp.admin.get(Pods, 'default', 'web');
      expect(p.metadata?.labels).toEqual({ app: 'web', tier: 'frontend' });

      const asYaml = await kubectl('get', 'pod', 'web', '-o', 'yaml');
      const obj = yaml.load(asYaml.out) as { kind: string; metadata: { labels: Record<string, string>; uid: string }; spec: { containers: { name: string }[] } };
      expect(obj.kind).toBe('Pod');
      expect(obj.metadata.labels.tier).toBe('frontend');
      expect(obj.metadata.uid).toBe(p.metadata?.uid);

      const shown = await kubectl('get', 'pods', '-l', 'tier=frontend', '-o', 'wide');
      expect(shown.out).toMatch(/NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/);

      const del = await kubectl('delete', 'pod', 'web');
      expect(del.out.trim()).toBe('pod "web" deleted');
      await eventually(() => /DELETED\s+web/.test(watchOut), { timeoutMs: 10_000, what: 'kubectl get -w shows the deletion' });
      expect(watchOut).toMatch(/ADDED\s+web\s+0\/1\s+Pending/);
      expect(watchOut).toMatch(/MODIFIED\s+web/);
    } finally {
      watcher.kill();
    }
  });

  it('cordon, drain (evicts through pods/eviction, a protobuf policy/v1 Eviction) and uncordon a node', async () => {
    await cp.admin.create(Nodes, undefined, node('node-d'));
    for (const name of ['drained-1', 'drained-2']) {
      await cp.admin.create(Pods, 'default', pod(name));
      await cp.admin.bind('default', name, 'node-d');
    }
    const drain = await kubectl('drain', 'node-d', '--force', '--grace-period=0', '--timeout=30s');
    expect(drain.err).toContain('Warning: deleting Pods that declare no controller: default/drained-1, default/drained-2');
    expect(drain).toMatchObject({ code: 0, out: expect.stringContaining('node/node-d drained') });
    // kubectl found pods/eviction in discovery and evicted rather than deleted
    expect(drain.out).toContain('pod/drained-1 evicted');
    expect((await cp.admin.list(Pods, 'default', { fieldSelector: 'spec.nodeName=node-d' })).items).toEqual([]);
    expect((await cp.admin.get(Nodes, undefined, 'node-d')).spec).toMatchObject({ unschedulable: true });
    expect(await kubectl('uncordon', 'node-d')).toMatchObject({ code: 0, out: 'node/node-d uncordoned\n' });
    expect((await cp.admin.get<Node>(Nodes, undefined, 'node-d')).spec?.unschedulable).toBeFalsy();
  });

  it('server-side validation errors reach kubectl', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, manifest({ app: 'bad' }).replace('image: busybox:1.36', 'image: busybox:1.36\n    imagePullPolicyy: Always'));
    const r = await kubectl('apply', '-f', file);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('unknown field "spec.containers[0].imagePullPolicyy"');
  });
});
