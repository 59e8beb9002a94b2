// The scheduler and controller manager binaries as kubeadm runs kube-scheduler and
// kube-controller-manager 1.32 (--bind-address 127.0.0.1, --authentication-kubeconfig and
// --authorization-kubeconfig their own kubeconfig): their secure port serves HTTPS with a
// self-signed certificate, /healthz to anyone, /metrics only to whom the apiserver authorizes
// (TokenReview, SubjectAccessReview: a Prometheus service account bound to a ClusterRole allowing
// the nonResourceURL /metrics, as kube-prometheus binds prometheus-k8s); and each exits with status
// 1 when it loses its lease ("Leaderelection lost", "leaderelection lost"), for its supervisor to
// start it again, while one stopped by SIGTERM exits 0. Debian's Prometheus scrapes both with
// manifests/prometheus.yml's jobs.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterRoleBindings, ClusterRoles, Leases, Namespaces, ServiceAccounts, StatusError } from '../../pkg/client/rest-client.js';
import { eventually, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { freePort } from '../helpers/ports.js';
import { scrape } from '../helpers/scrape.js';

let cp: TestControlPlane;
const children: ChildProcess[] = [];

beforeAll(async () => {
  cp = await startControlPlane();
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await cp?.stop();
});

interface Running {
  child: ChildProcess;
  port: number;
  stderr: () => string;
  exited: Promise<number | null>;
}

async function startComponent(name: 'scheduler' | 'controller-manager', extra: string[] = []): Promise<Running> {
  const port = await freePort();
  const kubeconfig = join(cp.dataDir, `${name}.kubeconfig`);
  const args = [resolve(__dirname, `../../dist/cmd/${name}/main.js`), '--kubeconfig', kubeconfig, '--bind-address', '127.0.0.1', '--secure-port', String(port), '--authentication-kubeconfig', kubeconfig, '--authorization-kubeconfig', kubeconfig, ...extra];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TSKUBE_LOG_LEVEL: 'warn' } });
  children.push(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await eventually(async () => (await scrape(`https://127.0.0.1:${port}/healthz`).catch(() => undefined))?.body === 'ok', { timeoutMs: 20_000, what: `${name} serving` });
  return { child, port, stderr: () => stderr, exited };
}

const holder = async (lease: string) => ((await cp.admin.get(Leases, 'kube-system', lease).catch(() => undefined))?.spec as { holderIdentity?: string } | undefined)?.holderIdentity;

/**
 * Another member takes the lease, as one that found it expired would; a 409 (the holder renewed
 * it between our read and our write, every second with --leader-elect-retry-period 1) is read
 * again and retried, as client-go's leader elector's next try would.
 */
async function takeLease(lease: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const l = await cp.admin.get(Leases, 'kube-system', lease);
    try {
      await cp.admin.update(Leases, 'kube-system', lease, { ...l, spec: { ...(l.spec as object), holderIdentity: 'other-host_0', renewTime: new Date().toISOString().replace('Z', '000Z'), leaseDurationSeconds: 60 } });
      return;
    } catch (e) {
      if (!(e instanceof StatusError && e.code === 409) || attempt >= 10) throw e;
    }
  }
}

async function serviceAccountToken(name: string): Promise<string> {
  await cp.admin.create(ServiceAccounts, 'monitoring', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: 'monitoring' } });
  const tr = await cp.admin.request<{ status: { token: string } }>(`/api/v1/namespaces/monitoring/serviceaccounts/${name}/token`, { method: 'POST', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} } });
  return tr.status.token;
}

const hasPrometheus = spawnSync('prometheus', ['--version']).status === 0;

/** Debian's Prometheus with manifests/prometheus.yml's kube-scheduler and kube-controller-manager jobs, pointed at these ports with this token: both up. */
async function prometheusTargets(schedulerPort: number, cmPort: number, token: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tskube-prom-'));
  const text = readFileSync(resolve(__dirname, '../../manifests/prometheus.yml'), 'utf8')
    .replaceAll('/var/lib/tskube/prometheus.token', join(dir, 'token'))
    .replaceAll('127.0.0.1:10259', `127.0.0.1:${schedulerPort}`)
    .replaceAll('127.0.0.1:10257', `127.0.0.1:${cmPort}`);
  const cfg = yaml.load(text) as { global: Record<string, unknown>; scrape_configs: { job_name: string }[] };
  cfg.global.scrape_interval = '1s';
  cfg.scrape_configs = cfg.scrape_configs.filter((j) => j.job_name === 'kube-scheduler' || j.job_name === 'kube-controller-manager');
  writeFileSync(join(dir, 'token'), token, { mode: 0o600 });
  writeFileSync(join(dir, 'prometheus.yml'), yaml.dump(cfg));
  const port = await freePort();
  const prom = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: 'ignore' });
  try {
    type Target = { labels: { job: string }; health: string; lastError: string };
    const targets = async () => ((await (await fetch(`http://127.0.0.1:${port}/api/v1/targets`)).json()) as { data: { activeTargets: Target[] } }).data.activeTargets.map((t) => `${t.labels.job} ${t.health}${t.lastError ? ` (${t.lastError})` : ''}`).sort();
    await eventually(async () => (await targets().catch(() => [])).join() === 'kube-controller-manager up,kube-scheduler up', { timeoutMs: 30_000, what: 'both targets up' }).catch(async (e: Error) => {
      throw new Error(`${e.message}: ${(await targets().catch(() => [])).join('; ')}`);
    });
  } finally {
    prom.kill('SIGTERM');
    await new Promise((r) => prom.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('kube-scheduler and kube-controller-manager secure ports', () => {
  it("serve /healthz to anyone and /metrics to a Prometheus service account allowed the nonResourceURL; 403 to others and anonymous, 401 to a bad token", async () => {
    await cp.admin.create(Namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'monitoring' } });
    // (kube-prometheus' prometheus-k8s ClusterRole and its binding)
    await cp.admin.create(ClusterRoles, undefined, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'prometheus-k8s' }, rules: [{ apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] }, { nonResourceURLs: ['/metrics', '/metrics/slis'], verbs: ['get'] }] });
    await cp.admin.create(ClusterRoleBindings, undefined, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'prometheus-k8s' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'prometheus-k8s' }, subjects: [{ kind: 'ServiceAccount', name: 'prometheus-k8s', namespace: 'monitoring' }] });
    const prom = await serviceAccountToken('prometheus-k8s');
    const other = await serviceAccountToken('other');
    const sched = await startComponent('scheduler');
    const cm = await startComponent('controller-manager');
    try {
      for (const [c, lease] of [[sched, 'kube-scheduler'], [cm, 'kube-controller-manager']] as const) {
        const url = (p: string) => `https://127.0.0.1:${c.port}${p}`;
        await eventually(async () => (await holder(lease))?.includes('_'), { timeoutMs: 20_000, what: `${lease} leading` });
        for (const p of ['/healthz', '/livez', '/readyz']) expect(await scrape(url(p))).toMatchObject({ status: 200, body: 'ok' });
        const anonymous = await scrape(url('/metrics'));
        expect(anonymous.status).toBe(403);
        expect(JSON.parse(anonymous.body)).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'forbidden: User "system:anonymous" cannot get path "/metrics"', reason: 'Forbidden', details: {}, code: 403 });
        expect(JSON.parse((await scrape(url('/metrics'), other)).body).message).toBe('forbidden: User "system:serviceaccount:monitoring:other" cannot get path "/metrics"');
        expect(await scrape(url('/metrics'), 'not-a-token')).toMatchObject({ status: 401, body: expect.stringContaining('"reason":"Unauthorized"') });
        const metrics = await scrape(url('/metrics'), prom);
        expect(metrics.status).toBe(200);
        expect(metrics.body).toContain(`leader_election_master_status{name="${lease}"} 1`);
        // (the admin, in system:masters, needs no access review)
        expect((await scrape(url('/metrics'), cp.config.token)).status).toBe(200);
      }
      if (hasPrometheus) await prometheusTargets(sched.port, cm.port, prom);
      // Stopped (tsctl down, a restart by systemd): exit 0, the lease given up.
      cm.child.kill('SIGTERM');
      expect(await cm.exited).toBe(0);
      expect(cm.stderr()).not.toContain('leaderelection lost');
    } finally {
      sched.child.kill('SIGTERM');
      await sched.exited;
    }
  }, 90_000);

  it("the scheduler's /healthz, /livez and /readyz have kube-scheduler 1.32's named checks", async () => {
    const sched = await startComponent('scheduler');
    const plain = await startComponent('scheduler', ['--leader-elect=false']);
    try {
      const url = (c: Running, p: string) => `https://127.0.0.1:${c.port}${p}`;
      await eventually(async () => (await scrape(url(sched, '/readyz'))).body === 'ok', { timeoutMs: 20_000, what: 'the scheduler ready' });
      expect(await scrape(url(sched, '/healthz?verbose'))).toMatchObject({ status: 200, body: '[+]leaderElection ok\nhealthz check passed\n' });
      expect(await scrape(url(sched, '/livez?verbose'))).toMatchObject({ status: 200, body: '[+]ping ok\nlivez check passed\n' });
      expect(await scrape(url(sched, '/readyz?verbose'))).toMatchObject({ status: 200, body: '[+]leaderElection ok\n[+]shutdown ok\n[+]sched-handler-sync ok\nreadyz check passed\n' });
      expect(await scrape(url(sched, '/readyz?verbose&exclude=shutdown'))).toMatchObject({ status: 200, body: '[+]leaderElection ok\n[+]shutdown excluded: ok\n[+]sched-handler-sync ok\nreadyz check passed\n' });
      // (one check by name is not an always-allowed path)
      expect((await scrape(url(sched, '/readyz/sched-handler-sync'))).status).toBe(403);
      expect(await scrape(url(sched, '/readyz/sched-handler-sync'), cp.config.token)).toMatchObject({ status: 200, body: 'ok' });
      expect(await scrape(url(sched, '/healthz/leaderElection'), cp.config.token)).toMatchObject({ status: 200, body: 'ok' });
      // Without leader election: no watchdog, /healthz has the ping check alone.
      await eventually(async () => (await scrape(url(plain, '/readyz'))).body === 'ok', { timeoutMs: 20_000, what: 'the scheduler without leader election ready' });
      expect((await scrape(url(plain, '/healthz?verbose'))).body).toBe('[+]ping ok\nhealthz check passed\n');
      expect((await scrape(url(plain, '/readyz?verbose'))).body).toBe('[+]shutdown ok\n[+]sched-handler-sync ok\nreadyz check passed\n');
    } finally {
      for (const c of [sched, plain]) {
        c.child.kill('SIGTERM');
        await c.exited;
      }
    }
  }, 90_000);

  it('each exits with status 1 when another takes its lease, saying so as 1.32 does', async () => {
    const sched = await startComponent('scheduler', ['--leader-elect-retry-period', '1']);
    const cm = await startComponent('controller-manager');
    for (const [c, lease, words] of [[sched, 'kube-scheduler', 'Leaderelection lost'], [cm, 'kube-controller-manager', 'leaderelection lost']] as const) {
      await eventually(async () => (await holder(lease))?.includes('_') && (await holder(lease)) !== 'other-host_0', { timeoutMs: 30_000, what: `${lease} leading` });
      await takeLease(lease);
      const code = await Promise.race([c.exited, new Promise<string>((r) => setTimeout(() => r('still running'), 10_000))]);
      expect(code).toBe(1);
      expect(c.stderr()).toContain(`"msg":"${words}"`);
    }
  }, 90_000);
});
