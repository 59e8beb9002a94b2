// kube-proxy's metrics server (serveMetrics on --metrics-bind-address): /metrics with the
// proxy's own registry, /healthz with the ping check alone, /proxyMode; and the :10256 health
// server's answers counted in kubeproxy_proxy_healthz_total and kubeproxy_proxy_livez_total.
import { Gauge } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProxierHealth, ProxierHealthServer } from '../network/proxier-health.js';
import { ProxyMetrics } from '../network/proxy-metrics.js';
import { parseBindAddress, ProxyMetricsServer } from './proxy-metrics-server.js';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

async function serve(metrics = new ProxyMetrics(), address = '127.0.0.1:0'): Promise<{ server: ProxyMetricsServer; metrics: ProxyMetrics; get: (path: string) => Promise<{ code: number; type: string | null; body: string }> }> {
  const server = new ProxyMetricsServer(metrics, address);
  stops.push(() => server.stop());
  await server.start();
  const get = async (path: string) => {
    const r = await fetch(`http://127.0.0.1:${server.port()}${path}`);
    return { code: r.status, type: r.headers.get('content-type'), body: await r.text() };
  };
  return { server, metrics, get };
}

describe('kube-proxy\'s metrics server', () => {
  it('serves the proxy\'s metrics with component-base\'s [ALPHA] help, and nothing of the node agent\'s registry', async () => {
    const { metrics, get } = await serve();
    metrics.syncDuration.observe(0.003);
    metrics.lastSync.set(1700000000.5);
    metrics.rulesTotal.set({ table: 'nat' }, 12);
    const r = await get('/metrics');
    expect(r.code).toBe(200);
    expect(r.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(r.body).toContain('# HELP kubeproxy_sync_proxy_rules_duration_seconds [ALPHA] SyncProxyRules latency in seconds\n# TYPE kubeproxy_sync_proxy_rules_duration_seconds histogram\n');
    expect(r.body).toContain('kubeproxy_sync_proxy_rules_duration_seconds_bucket{le="0.004"} 1\n');
    expect(r.body).toContain('kubeproxy_sync_proxy_rules_duration_seconds_bucket{le="16.384"} 1\n');
    // (a time in seconds as kube-proxy's client_golang writes it)
    expect(r.body).toContain('kubeproxy_sync_proxy_rules_last_timestamp_seconds 1.7000000005e+09\n');
    expect(r.body).toContain('kubeproxy_sync_proxy_rules_iptables_total{table="nat"} 12\n');
    for (const name of ['kubeproxy_network_programming_duration_seconds', 'kubeproxy_sync_full_proxy_rules_duration_seconds', 'kubeproxy_sync_proxy_rules_endpoint_changes_total', 'kubeproxy_sync_proxy_rules_service_changes_pending', 'kubeproxy_sync_proxy_rules_iptables_restore_failures_total', 'kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds']) {
      expect(r.body).toContain(`# TYPE ${name} `);
    }
    // (the network programming buckets: 0.25 s, 0.5 s, each second to 59 s, every 5 s to 115 s, every 30 s to 300 s)
    expect(r.body.match(/^kubeproxy_network_programming_duration_seconds_bucket/gm)).toHaveLength(2 + 59 + 12 + 7 + 1);
    expect(r.body).toContain('kubeproxy_network_programming_duration_seconds_bucket{le="300"} 0\n');
    expect(r.body).not.toMatch(/^(kubelet_|process_|nodejs_)/m);
  });

  it('answers /healthz with the ping check alone, /proxyMode, and 404 for anything else', async () => {
    const { get } = await serve();
    expect(await get('/healthz')).toEqual({ code: 200, type: 'text/plain; charset=utf-8', body: 'ok' });
    expect((await get('/healthz?verbose')).body).toBe('[+]ping ok\nhealthz check passed\n');
    expect((await get('/healthz/ping')).body).toBe('ok');
    expect((await get('/healthz/syncloop')).code).toBe(404);
    expect(await get('/proxyMode')).toEqual({ code: 200, type: 'text/plain; charset=utf-8', body: 'iptables' });
    expect(await get('/configs')).toEqual({ code: 404, type: 'text/plain; charset=utf-8', body: '404 page not found\n' });
  });

  it('gives two proxies on one machine their own ports and registries; a port taken does not stop the second', async () => {
    const a = await serve();
    const b = await serve();
    expect(a.server.port()).not.toBe(b.server.port());
    a.metrics.serviceChangesTotal.inc(3);
    expect((await a.get('/metrics')).body).toContain('kubeproxy_sync_proxy_rules_service_changes_total 3\n');
    expect((await b.get('/metrics')).body).toContain('kubeproxy_sync_proxy_rules_service_changes_total 0\n');
    const taken = new ProxyMetricsServer(new ProxyMetrics(), `127.0.0.1:${a.server.port()}`);
    stops.push(() => taken.stop());
    await taken.start();
    expect(taken.port()).toBeUndefined();
  });

  it('reads --metrics-bind-address as host:port', () => {
    expect(parseBindAddress('127.0.0.1:10249')).toEqual({ host: '127.0.0.1', port: 10249 });
    expect(parseBindAddress('[::1]:10249')).toEqual({ host: '::1', port: 10249 });
    expect(parseBindAddress(':10249')).toEqual({ host: '0.0.0.0', port: 10249 });
    expect(() => parseBindAddress('127.0.0.1')).toThrow('invalid --metrics-bind-address "127.0.0.1": want host:port, e.g. 127.0.0.1:10249');
  });

  it('counts the :10256 health server\'s answers by code', async () => {
    const metrics = new ProxyMetrics();
    let wall = 1_000_000;
    const health = new ProxierHealth(60_000, () => ({ wall }));
    const server = new ProxierHealthServer(health, '127.0.0.1', 0, metrics);
    stops.push(() => server.stop());
    await server.start();
    const get = (path: string) => fetch(`http://127.0.0.1:${server.listeningPort()}${path}`).then((r) => r.status);
    health.updated();
    expect(await get('/healthz')).toBe(200);
    expect(await get('/livez')).toBe(200);
    health.queuedUpdate();
    wall += 60_000;
    expect(await get('/healthz')).toBe(503);
    expect(await get('/other')).toBe(404);
    const text = await metrics.registry.metrics();
    expect(text).toContain('kubeproxy_proxy_healthz_total{code="200"} 1\n');
    expect(text).toContain('kubeproxy_proxy_healthz_total{code="503"} 1\n');
    expect(text).toContain('kubeproxy_proxy_livez_total{code="200"} 1\n');
  });
});

describe('kube-proxy\'s metrics server with a collector that fails', () => {
  it('answers 500 with promhttp\'s error text, as legacyregistry.Handler, and logs the metric', async () => {
    const { metrics, get } = await serve();
    new Gauge({ name: 'kubeproxy_broken', help: 'h', registers: [metrics.registry], collect: () => { throw new Error('no conntrack table'); } });
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
    let r: { code: number; type: string | null; body: string };
    try {
      r = await get('/metrics');
    } finally {
      spy.mockRestore();
    }
    expect(r.code).toBe(500);
    expect(r.type).toBe('text/plain; charset=utf-8');
    expect(r.body).toBe('An error has occurred while serving metrics:\n\n1 error(s) occurred:\n* error collecting metric Desc{fqName: "kubeproxy_broken", help: "h", constLabels: {}, variableLabels: {}}: no conntrack table\n');
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'error gathering metrics');
    expect(logged).toEqual([expect.objectContaining({ level: 'error', component: 'service-proxy', metric: 'kubeproxy_broken' })]);
  });
});
