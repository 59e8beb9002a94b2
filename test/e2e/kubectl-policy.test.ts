// PodDisruptionBudgets and HorizontalPodAutoscalers end to end with the stock kubectl on a real
// single-node cluster (apiserver, scheduler, controller manager, node agent with runc):
// `kubectl autoscale` of a Deployment whose pods burn CPU scales it up to --max and no further,
// as `kubectl get hpa` shows; `kubectl create pdb` over a Deployment, then `kubectl drain` of the
// node is refused and retried while the budget allows nothing (the pods stay), completes once the
// budget is relaxed while it retries, and --disable-eviction deletes past a budget.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Deployments, Nodes, Pods } from '../../pkg/client/rest-client.js';
import { eventually, sleep } from '../helpers/control-plane.js';
import { hasKubectl, kubectlAt, kubectlOk } from '../helpers/kubectl.js';
import { image, startCluster, type Cluster } from '../nodeagent/harness.js';

let c: Cluster;
const cacheDir = mkdtempSync(join(tmpdir(), 'kubectl-cache-'));
const SYNC_MS = 2000;

beforeAll(async () => {
  if (!hasKubectl) return;
  c = await startCluster({ podCIDR: '10.199.70.0/24', controllers: { horizontal: { syncPeriodMs: SYNC_MS, downscaleStabilizationMs: 10_000 } } });
}, 180_000);
afterAll(async () => {
  await c?.stop();
  rmSync(cacheDir, { recursive: true, force: true });
});

const kubectl = (...args: string[]) => kubectlOk(c.cp.kubeconfig, cacheDir, args);

const deploymentYaml = (name: string, replicas: number, command: string, resources = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: ${image}
        imagePullPolicy: IfNotPresent
        command: [sh, -c, "${command}"]
${resources}`;

const replicas = async (name: string) => ((await c.cp.admin.get(Deployments, 'default', name)).spec as { replicas: number }).replicas;
const livePods = async (app: string) => (await c.cp.admin.list(Pods, 'default', { labelSelector: `app=${app}` })).items.filter((p) => !p.metadata?.deletionTimestamp);
const runningPods = async (app: string) => (await livePods(app)).filter((p) => (p.status as { phase?: string }).phase === 'Running');

/** kubectl left running in the background, its output readable as it comes. */
function background(args: string[]) {
  const child = spawn('kubectl', ['--kubeconfig', c.cp.kubeconfig, ...args], { env: { ...process.env, KUBECACHEDIR: cacheDir } });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const done = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  return { out: () => out, err: () => err, done, kill: () => child.kill('SIGKILL') };
}

describe.skipIf(!hasKubectl)('kubectl with HorizontalPodAutoscalers and PodDisruptionBudgets on a real node', () => {
  it('kubectl autoscale scales a Deployment that burns CPU up to --max, and no further', async () => {
    // Each pod burns what its limit allows (100m), twice its request (50m): 200% against 50%.
    const resources = `        resources:\n          requests: {cpu: 50m}\n          limits: {cpu: 100m}\n`;
    const r = await kubectlAt(c.cp.kubeconfig, cacheDir, ['apply', '-f', '-'], deploymentYaml('burn', 1, 'while :; do :; done', resources));
    expect(r.code, r.err).toBe(0);
    await kubectl('rollout', 'status', 'deployment/burn', '--timeout=120s');
    expect(await kubectl('autoscale', 'deployment', 'burn', '--min=1', '--max=3', '--cpu-percent=50')).toBe('horizontalpodautoscaler.autoscaling/burn autoscaled\n');
    // kubectl 1.32 wrote autoscaling/v1; it reads back in both versions
    expect(await kubectl('get', 'horizontalpodautoscalers.v1.autoscaling', 'burn', '-o', 'jsonpath={.spec.targetCPUUtilizationPercentage}')).toBe('50');
    await eventually(async () => (await replicas('burn')) === 3, { timeoutMs: 90_000, intervalMs: 500, what: 'scaled to 3' });
    // the new pods burn too; the autoscaler wants more but stays at --max (watched over four sync
    // periods while kubectl reads the autoscaler)
    const sampling = (async () => {
      const seen = new Set<number>();
      for (let i = 0; i < 4; i++) {
        await sleep(SYNC_MS);
        seen.add(await replicas('burn'));
      }
      return seen;
    })();
    sampling.catch(() => {}); // (awaited below)
    const row = await eventually(async () => {
      const out = await kubectl('get', 'hpa', 'burn');
      return /burn\s+Deployment\/burn\s+cpu: \d+%\/50%\s+1\s+3\s+3\s+/.test(out) ? out : undefined;
    }, { timeoutMs: 60_000, intervalMs: 1000, what: 'kubectl get hpa with the current CPU and 3 replicas' });
    expect(row.split('\n')[0]).toMatch(/^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE$/);
    const utilization = Number(/cpu: (\d+)%/.exec(row)![1]);
    expect(utilization).toBeGreaterThan(50); // above the target (about 200% unless the machine starves the pods)
    const describe = await kubectl('describe', 'hpa', 'burn');
    expect(describe).toContain('SuccessfulRescale');
    expect(describe).toMatch(/New size: 3; reason: cpu resource utilization \(percentage of request\) above target/);
    expect(describe).toMatch(/ScalingLimited\s+True\s+TooManyReplicas/);
    expect([...(await sampling)]).toEqual([3]);
    await kubectl('delete', 'hpa', 'burn');
    await kubectl('delete', 'deployment', 'burn');
    await eventually(async () => (await livePods('burn')).length === 0, { timeoutMs: 60_000, what: 'burn pods gone' });
  });

  it('kubectl drain is refused while a budget allows no disruption, retries, and completes once it does', async () => {
    const r = await kubectlAt(c.cp.kubeconfig, cacheDir, ['apply', '-f', '-'], deploymentYaml('guarded', 2, 'sleep 3600'));
    expect(r.code, r.err).toBe(0);
    await kubectl('rollout', 'status', 'deployment/guarded', '--timeout=120s');
    expect(await kubectl('create', 'pdb', 'guarded', '--selector=app=guarded', '--min-available=2')).toBe('poddisruptionbudget.policy/guarded created\n');
    const table = await eventually(async () => {
      const out = await kubectl('get', 'pdb', 'guarded');
      return /guarded\s+2\s+N\/A\s+0\s+/.test(out) && (await kubectl('get', 'pdb', 'guarded', '-o', 'jsonpath={.status.currentHealthy}')) === '2' ? out : undefined;
    }, { timeoutMs: 30_000, what: 'budget status from the controller' });
    expect(table.split('\n')[0]).toMatch(/^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE$/);
    const before = (await runningPods('guarded')).map((p) => p.metadata!.uid).sort();
    expect(before).toHaveLength(2);

    // Refused: kubectl retries every 5 s until its timeout; the pods stay. (Its 5 s sleep is not cut
    // short: a timeout of 2 s ends after one retry's wait, 6 s after two.)
    const refused = await kubectlAt(c.cp.kubeconfig, cacheDir, ['drain', 'e2e-node', '--ignore-daemonsets', '--timeout=2s']);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toMatch(/error when evicting pods\/"guarded-[a-z0-9-]+" -n "default" \(will retry after 5s\): Cannot evict pod as it would violate the pod's disruption budget\./);
    expect(refused.err).toContain('global timeout reached: 2s');
    expect(refused.err).toContain('There are pending pods in node "e2e-node"');
    expect((await runningPods('guarded')).map((p) => p.metadata!.uid).sort()).toEqual(before);
    expect((await c.cp.admin.get(Nodes, undefined, 'e2e-node')).spec).toMatchObject({ unschedulable: true });

    // Retried: a drain without a timeout keeps trying; relaxing the budget lets it finish.
    const drain = background(['drain', 'e2e-node', '--ignore-daemonsets']);
    try {
      await eventually(() => /will retry after 5s/.test(drain.err()), { timeoutMs: 20_000, what: 'drain retrying' });
      expect((await runningPods('guarded')).map((p) => p.metadata!.uid).sort()).toEqual(before);
      await kubectl('patch', 'pdb', 'guarded', '--type=merge', '-p', '{"spec":{"minAvailable":0}}');
      const code = await Promise.race([drain.done, sleep(60_000).then(() => -2)]);
      expect(code, drain.err()).toBe(0);
    } finally {
      drain.kill();
    }
    expect(drain.out()).toMatch(/pod\/guarded-[a-z0-9-]+ evicted/);
    expect(drain.out()).toContain('node/e2e-node drained');
    const left = await livePods('guarded');
    expect(left.map((p) => p.metadata!.uid).filter((u) => before.includes(u))).toEqual([]);
    // their replacements wait, unscheduled, on the cordoned node
    expect(left.every((p) => !(p.spec as { nodeName?: string }).nodeName)).toBe(true);
  });

  it('kubectl drain --disable-eviction deletes past a budget', async () => {
    await kubectl('uncordon', 'e2e-node');
    await eventually(async () => (await runningPods('guarded')).length === 2, { timeoutMs: 60_000, what: 'replacements running' });
    await kubectl('patch', 'pdb', 'guarded', '--type=merge', '-p', '{"spec":{"minAvailable":2}}');
    await eventually(async () => /guarded\s+2\s+N\/A\s+0\s+/.test(await kubectl('get', 'pdb', 'guarded')) && (await kubectl('get', 'pdb', 'guarded', '-o', 'jsonpath={.status.currentHealthy}')) === '2', { timeoutMs: 30_000 });
    const out = await kubectl('drain', 'e2e-node', '--ignore-daemonsets', '--disable-eviction', '--timeout=60s');
    expect(out).toMatch(/pod\/guarded-[a-z0-9-]+ deleted/);
    expect(out).toContain('node/e2e-node drained');
    await kubectl('uncordon', 'e2e-node');
    await kubectl('delete', 'pdb', 'guarded');
    await kubectl('delete', 'deployment', 'guarded');
  });
});
