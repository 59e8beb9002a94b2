// The real Prometheus (Debian's package) scraping a test cluster with manifests/prometheus.yml, its
// paths and ports pointed at this cluster: the apiserver and the node agent's paths are up under
// kube-prometheus' job and metrics_path labels, and the series kubernetes-mixin reads are there.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pods } from '../../pkg/client/rest-client.js';
import { eventually } from '../helpers/control-plane.js';
import { freePort } from '../helpers/ports.js';
import { busyboxPod, ctr, startCluster, type Cluster } from './harness.js';

const hasPrometheus = spawnSync('prometheus', ['--version']).status === 0;
let c: Cluster;
const dir = mkdtempSync(join(tmpdir(), 'tskube-prometheus-'));

beforeAll(async () => {
  if (hasPrometheus) c = await startCluster();
}, 120_000);
afterAll(async () => {
  await c?.stop();
  rmSync(dir, { recursive: true, force: true });
});

type ScrapeConfig = { job_name: string; static_configs: { targets: string[] }[] } & Record<string, unknown>;

/** manifests/prometheus.yml with this cluster's CA, token and ports; the jobs of components the harness runs in-process left out. */
function configFor(cluster: Cluster): string {
  const text = readFileSync(join(__dirname, '../../manifests/prometheus.yml'), 'utf8')
    .replaceAll('/var/lib/tskube/pki/ca.crt', join(cluster.cp.dataDir, 'pki', 'ca.crt'))
    .replaceAll('/var/lib/tskube/prometheus.token', join(dir, 'token'))
    .replaceAll('127.0.0.1:6443', `127.0.0.1:${cluster.cp.server.port}`)
    .replaceAll('127.0.0.1:10250', `127.0.0.1:${cluster.cfg.port}`);
  const cfg = yaml.load(text) as { global: Record<string, unknown>; scrape_configs: ScrapeConfig[] };
  cfg.global.scrape_interval = '1s';
  cfg.scrape_configs = cfg.scrape_configs.filter((j) => j.job_name !== 'kube-scheduler' && j.job_name !== 'kube-controller-manager');
  writeFileSync(join(dir, 'token'), cluster.cp.config.token ?? '', { mode: 0o600 });
  const path = join(dir, 'prometheus.yml');
  writeFileSync(path, yaml.dump(cfg));
  return path;
}

describe.skipIf(!hasPrometheus)('Prometheus with manifests/prometheus.yml', () => {
  it("scrapes the apiserver and every path of the node agent under kube-prometheus' labels", async () => {
    await c.cp.admin.create(Pods, 'default', busyboxPod('scraped', { containers: [ctr('c', 'sleep 600')] }));
    const port = await freePort();
    const prom = spawn('prometheus', [`--config.file=${configFor(c)}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let said = '';
    prom.stderr.setEncoding('utf8').on('data', (d: string) => (said += d));
    try {
      const api = async <T>(path: string): Promise<T> => ((await (await fetch(`http://127.0.0.1:${port}${path}`)).json()) as { data: T }).data;
      const query = async (q: string) => (await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(`/api/v1/query?query=${encodeURIComponent(q)}`)).result;
      await eventually(async () => (await fetch(`http://127.0.0.1:${port}/-/ready`).catch(() => undefined))?.ok, { timeoutMs: 30_000, what: 'prometheus ready' });
      type Target = { labels: Record<string, string>; health: string; lastError: string };
      const targets = () => api<{ activeTargets: Target[] }>('/api/v1/targets').then((t) => t.activeTargets.map((x) => `${x.labels.job} ${x.labels.metrics_path ?? '-'} ${x.health}${x.lastError ? ` (${x.lastError})` : ''}`).sort());
      await eventually(async () => (await targets()).filter((t) => t.endsWith(' up')).length === 5, { timeoutMs: 20_000, what: 'every target up' }).catch(async (e: Error) => {
        throw new Error(`${e.message}: ${(await targets()).join('; ')}; prometheus said: ${said}`);
      });
      expect(await targets()).toEqual(['apiserver - up', 'kubelet /metrics up', 'kubelet /metrics/cadvisor up', 'kubelet /metrics/probes up', 'kubelet /metrics/resource up']);
      // (what the mixin's selectors ask for: KubeletDown, the apiserver SLO rules, the kubelet and cAdvisor panels)
      await eventually(async () => (await query('container_cpu_usage_seconds_total{job="kubelet",metrics_path="/metrics/cadvisor",pod="scraped",container="c"}')).length === 1, { timeoutMs: 30_000, what: "the pod's container in cAdvisor's series" });
      expect(await query('up{job="kubelet",metrics_path="/metrics"} == 1')).toHaveLength(1);
      expect((await query('kubelet_node_name{job="kubelet",metrics_path="/metrics"}')).map((r) => r.metric.node)).toEqual([c.cfg.nodeName]);
      expect(Number((await query('sum(kubelet_running_pods{job="kubelet",metrics_path="/metrics"})'))[0]?.value[1])).toBeGreaterThanOrEqual(1);
      expect(await query('apiserver_request_total{job="apiserver",verb="POST",resource="pods",scope="resource",code="201"}')).not.toHaveLength(0);
      expect(await query('apiserver_request_sli_duration_seconds_bucket{job="apiserver",verb=~"LIST|GET",le="1"}')).not.toHaveLength(0);
      expect(await query('node_memory_working_set_bytes{job="kubelet",metrics_path="/metrics/resource"}')).toHaveLength(1);
      expect(Number((await query('machine_cpu_cores{job="kubelet",metrics_path="/metrics/cadvisor"}'))[0]?.value[1])).toBe(cpus().length);
    } finally {
      prom.kill('SIGTERM');
      await new Promise((r) => prom.once('exit', r));
      await c.cp.admin.delete(Pods, 'default', 'scraped', { gracePeriodSeconds: 0 }).catch(() => {});
    }
  }, 120_000);
});
