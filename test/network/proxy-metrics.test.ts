// kube-proxy's sync metrics from the service proxy on the real kernel: one lab node namespace
// with the pod network, the proxier fed a Service and an EndpointSlice directly. Each sync is
// timed (every one a full sync), its end and the last queued change stamped, the changes counted
// and no longer pending once synced, the rules written per table counted, and an EndpointSlice's
// last-change-trigger-time measured once the rules that program it are written.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupNode, PodNetwork } from '../../pkg/network/index.js';
import { ProxyMetrics } from '../../pkg/network/proxy-metrics.js';
import { ServiceProxier } from '../../pkg/network/service-proxier.js';
import type { EndpointSliceLike, ServiceLike } from '../../pkg/network/service-types.js';
import { Lab, labNamespaces } from './lab.js';

const lab = new Lab();
const stateRoot = mkdtempSync(join(tmpdir(), 'tsknt-pm-'));
const stateDir = join(stateRoot, 'n1');
const CLUSTER = '10.244.0.0/16';
let node: string;
let net: PodNetwork;
let proxier: ServiceProxier;
const metrics = new ProxyMetrics();

beforeAll(async () => {
  node = await lab.netns('n1');
  net = new PodNetwork({ clusterCIDR: CLUSTER, podCIDR: '10.244.1.0/24', nodeNetns: node, stateDir });
  await net.ensureNode();
  proxier = new ServiceProxier({ clusterCIDR: CLUSTER, nodeNetns: node, minSyncMs: 50, resyncMs: 0, metrics });
}, 60_000);

afterAll(async () => {
  try {
    await proxier?.stop();
    if (node) await cleanupNode({ nodeNetns: node, stateDir }).catch(() => {});
  } finally {
    await lab.destroy();
    rmSync(stateRoot, { recursive: true, force: true });
  }
  expect(await labNamespaces(lab.id)).toEqual([]);
});

const value = async (name: string, labels = '') => {
  const text = await metrics.registry.metrics();
  const m = new RegExp(`^${name}${labels.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};

describe('kube-proxy metrics of the service proxy', () => {
  it('times each sync, stamps it, counts the changes it took and measures the network programming latency', async () => {
    const svc: ServiceLike = { metadata: { name: 'web', namespace: 'default' }, spec: { type: 'ClusterIP', clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80 }] } };
    // (the trigger time: the change to the pods that made this version of the slice, after the proxy started)
    await new Promise((r) => setTimeout(r, 20));
    const triggered = new Date().toISOString();
    const slice: EndpointSliceLike = {
      metadata: { name: 'web-abcde', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' }, annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': triggered } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      endpoints: [{ addresses: ['10.244.1.5'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'n1' }],
    };
    const before = Date.now() / 1000;
    proxier.upsertService(svc);
    proxier.upsertEndpointSlice(slice);
    expect(await value('kubeproxy_sync_proxy_rules_service_changes_pending')).toBe(1);
    expect(await value('kubeproxy_sync_proxy_rules_endpoint_changes_pending')).toBe(1);
    expect(await value('kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds')).toBeGreaterThanOrEqual(Math.floor(before));
    expect(await value('kubeproxy_sync_proxy_rules_last_timestamp_seconds')).toBe(0);
    const r = await proxier.syncNow();
    expect(r.applied).toBe(true);
    expect(await value('kubeproxy_sync_proxy_rules_duration_seconds_count')).toBe(1);
    expect(await value('kubeproxy_sync_full_proxy_rules_duration_seconds_count')).toBe(1);
    expect(await value('kubeproxy_sync_partial_proxy_rules_duration_seconds_count')).toBe(0);
    expect(await value('kubeproxy_sync_proxy_rules_last_timestamp_seconds')).toBeGreaterThanOrEqual(before);
    expect(await value('kubeproxy_sync_proxy_rules_service_changes_total')).toBe(1);
    expect(await value('kubeproxy_sync_proxy_rules_endpoint_changes_total')).toBe(1);
    expect(await value('kubeproxy_sync_proxy_rules_service_changes_pending')).toBe(0);
    expect(await value('kubeproxy_sync_proxy_rules_endpoint_changes_pending')).toBe(0);
    expect(await value('kubeproxy_sync_proxy_rules_iptables_total', '{table="nat"}')).toBeGreaterThan(0);
    expect(await value('kubeproxy_sync_proxy_rules_iptables_last', '{table="nat"}')).toBe(await value('kubeproxy_sync_proxy_rules_iptables_total', '{table="nat"}'));
    expect(await value('kubeproxy_sync_proxy_rules_iptables_restore_failures_total')).toBe(0);
    // (measured once, well under a second after the trigger)
    expect(await value('kubeproxy_network_programming_duration_seconds_count')).toBe(1);
    expect(await value('kubeproxy_network_programming_duration_seconds_bucket', '{le="1"}')).toBe(1);
    // A sync with nothing changed: timed again, writes nothing (the jumps the first one added
    // included), measures no trigger time twice.
    const again = await proxier.syncNow();
    expect(again.applied).toBe(false);
    expect(await value('kubeproxy_sync_proxy_rules_duration_seconds_count')).toBe(2);
    expect(await value('kubeproxy_sync_proxy_rules_iptables_last', '{table="nat"}')).toBe(0);
    expect(await value('kubeproxy_network_programming_duration_seconds_count')).toBe(1);
    // A slice whose trigger time is older than the proxy (the initial list's) is not measured.
    proxier.upsertEndpointSlice({ ...slice, metadata: { ...slice.metadata, annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': '2020-01-01T00:00:00Z' } } });
    await proxier.syncNow();
    expect(await value('kubeproxy_sync_proxy_rules_endpoint_changes_total')).toBe(2);
    expect(await value('kubeproxy_network_programming_duration_seconds_count')).toBe(1);
  });
});
