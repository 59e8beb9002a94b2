// The node agent's service proxy serves kube-proxy's metrics server on its --metrics-bind-address
// (a free port here: a `tsctl up` cluster on this machine may hold 127.0.0.1:10249): /metrics
// with the sync metrics once its first sync is done, /healthz and /proxyMode, and it is gone
// once the agent stops.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/control-plane.js';
import { freePort } from '../helpers/ports.js';
import { startCluster, type Cluster } from './harness.js';

let c: Cluster;
let port: number;

beforeAll(async () => {
  port = await freePort();
  c = await startCluster({ podCIDR: '10.199.94.0/24', agent: { metricsBindAddress: `127.0.0.1:${port}` } });
}, 120_000);
afterAll(async () => {
  await c?.stop();
});

const get = async (path: string) => {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  return { code: r.status, body: await r.text() };
};

describe('kube-proxy\'s metrics server on the node', () => {
  it('serves the sync metrics, /healthz and /proxyMode, and stops with the agent', async () => {
    const metrics = await eventually(async () => {
      const r = await get('/metrics').catch(() => undefined);
      return r && /^kubeproxy_sync_proxy_rules_duration_seconds_count [1-9]/m.test(r.body) ? r.body : undefined;
    }, { what: 'a sync in kubeproxy_sync_proxy_rules_duration_seconds' });
    const last = Number(/^kubeproxy_sync_proxy_rules_last_timestamp_seconds (\S+)$/m.exec(metrics)?.[1]);
    expect(last).toBeGreaterThan(Date.now() / 1000 - 120);
    expect(metrics).toMatch(/^kubeproxy_sync_proxy_rules_iptables_total\{table="nat"\} [1-9]\d*$/m);
    expect(await get('/healthz')).toEqual({ code: 200, body: 'ok' });
    expect(await get('/proxyMode')).toEqual({ code: 200, body: 'iptables' });
    await c.stopAgent();
    await expect(get('/healthz')).rejects.toThrow();
  });
});
