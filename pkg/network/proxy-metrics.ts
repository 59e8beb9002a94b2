// kube-proxy's metrics (pkg/proxy/metrics/metrics.go), those tskube's service proxy can honestly
// report: how long each sync of the rules took (every sync here is a full one: the partial-sync
// histogram is there and stays empty), when the last one ended and when a change last asked for
// one, the Service and EndpointSlice changes seen and those still waiting, iptables-restore
// failures, the rules written per table, the network programming latency (from the
// endpoints.kubernetes.io/last-change-trigger-time of each EndpointSlice changed since the last
// sync to the sync that programmed it), and the answers of the :10256 health server. In a
// registry of their own, served on kube-proxy's metrics port, not the node agent's /metrics.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { alpha } from '../util/metric-help.js';

/** metrics.ExponentialBuckets(start, factor, count). */
function exponential(start: number, factor: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start * factor ** i);
}
/** metrics.LinearBuckets(start, width, count). */
function linear(start: number, width: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start + width * i);
}

/** NetworkProgrammingLatency's buckets: 0.25 s and 0.5 s, each second to 59 s, every 5 s to 115 s, every 30 s to 5 min. */
export const NETWORK_PROGRAMMING_BUCKETS = [...linear(0.25, 0.25, 2), ...linear(1, 1, 59), ...linear(60, 5, 12), ...linear(120, 30, 7)];

export class ProxyMetrics {
  readonly registry = new Registry();
  readonly syncDuration: Histogram;
  readonly syncFullDuration: Histogram;
  readonly syncPartialDuration: Histogram;
  readonly lastSync: Gauge;
  readonly lastQueued: Gauge;
  readonly networkProgramming: Histogram;
  readonly endpointChangesPending: Gauge;
  readonly endpointChangesTotal: Counter;
  readonly serviceChangesPending: Gauge;
  readonly serviceChangesTotal: Counter;
  readonly restoreFailures: Counter;
  readonly rulesTotal: Gauge<'table'>;
  readonly rulesLast: Gauge<'table'>;
  readonly healthzTotal: Counter<'code'>;
  readonly livezTotal: Counter<'code'>;

  constructor() {
    const registers = [this.registry];
    const syncBuckets = exponential(0.001, 2, 15);
    this.syncDuration = new Histogram({ name: 'kubeproxy_sync_proxy_rules_duration_seconds', help: alpha('SyncProxyRules latency in seconds'), buckets: syncBuckets, registers });
    this.syncFullDuration = new Histogram({ name: 'kubeproxy_sync_full_proxy_rules_duration_seconds', help: alpha('SyncProxyRules latency in seconds for full resyncs'), buckets: syncBuckets, registers });
    this.syncPartialDuration = new Histogram({ name: 'kubeproxy_sync_partial_proxy_rules_duration_seconds', help: alpha('SyncProxyRules latency in seconds for partial resyncs'), buckets: syncBuckets, registers });
    this.lastSync = new Gauge({ name: 'kubeproxy_sync_proxy_rules_last_timestamp_seconds', help: alpha('The last time proxy rules were successfully synced'), registers });
    this.networkProgramming = new Histogram({ name: 'kubeproxy_network_programming_duration_seconds', help: alpha('In Cluster Network Programming Latency in seconds'), buckets: NETWORK_PROGRAMMING_BUCKETS, registers });
    this.endpointChangesPending = new Gauge({ name: 'kubeproxy_sync_proxy_rules_endpoint_changes_pending', help: alpha('Pending proxy rules Endpoint changes'), registers });
    this.endpointChangesTotal = new Counter({ name: 'kubeproxy_sync_proxy_rules_endpoint_changes_total', help: alpha('Cumulative proxy rules Endpoint changes'), registers });
    this.serviceChangesPending = new Gauge({ name: 'kubeproxy_sync_proxy_rules_service_changes_pending', help: alpha('Pending proxy rules Service changes'), registers });
    this.serviceChangesTotal = new Counter({ name: 'kubeproxy_sync_proxy_rules_service_changes_total', help: alpha('Cumulative proxy rules Service changes'), registers });
    this.rulesTotal = new Gauge({ name: 'kubeproxy_sync_proxy_rules_iptables_total', help: alpha('Total number of iptables rules owned by kube-proxy'), labelNames: ['table'], registers });
    this.rulesLast = new Gauge({ name: 'kubeproxy_sync_proxy_rules_iptables_last', help: alpha('Number of iptables rules written by kube-proxy in last sync'), labelNames: ['table'], registers });
    this.restoreFailures = new Counter({ name: 'kubeproxy_sync_proxy_rules_iptables_restore_failures_total', help: alpha('Cumulative proxy iptables restore failures'), registers });
    this.lastQueued = new Gauge({ name: 'kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds', help: alpha('The last time a sync of proxy rules was queued'), registers });
    this.healthzTotal = new Counter({ name: 'kubeproxy_proxy_healthz_total', help: alpha('Cumulative proxy healthz HTTP status'), labelNames: ['code'], registers });
    this.livezTotal = new Counter({ name: 'kubeproxy_proxy_livez_total', help: alpha('Cumulative proxy livez HTTP status'), labelNames: ['code'], registers });
  }
}

/** endpoints.kubernetes.io/last-change-trigger-time of an EndpointSlice (RFC 3339), as ms since the epoch; undefined when absent or unreadable. */
export function lastChangeTriggerTime(annotations: Record<string, string> | undefined): number | undefined {
  const v = annotations?.['endpoints.kubernetes.io/last-change-trigger-time'];
  if (!v) return undefined;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : undefined;
}
