// CoreDNS's metrics, as the `prometheus :9153` of the Corefile kubeadm installs serves them, for
// what the node agent's cluster DNS does: the metrics plugin's per-request series
// (plugin/metrics/vars/vars.go, reported by vars/report.go's Report), the forward plugin's
// (plugin/forward/metrics.go, plugin/pkg/proxy/metrics.go), coredns_build_info
// (plugin/metrics/metrics.go) and coredns_plugin_enabled. Labels as a kubeadm 1.32 cluster's
// CoreDNS writes them: its one server block `.:53` makes server "dns://:53" and zone ".", no view;
// every written answer passes the loadbalance plugin's writer last, so its responses are
// plugin="loadbalance" (handler.go authoritativePlugin), and a failure no plugin wrote
// (SERVFAIL when no upstream answered, REFUSED past max_concurrent) has plugin ""; and the cache
// plugin's (plugin/cache/metrics.go) for cache.ts, and the kubernetes plugin's DNS programming
// latency of headless Services.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { GIT_COMMIT } from '../util/version.js';
import { Rcode, RecordType } from './wire.js';

/** The CoreDNS release kubeadm 1.32 deploys (cmd/kubeadm/app/constants CoreDNSVersion), whose metrics these follow. */
export const COREDNS_VERSION = '1.11.3';
/** The server label of kubeadm's `.:53` server block (dnsserver's Server.Addr with its transport). */
export const SERVER_LABEL = 'dns://:53';
const ZONE = '.';

/** plugin.TimeBuckets: ExponentialBuckets(0.00025, 2, 16), 0.25 ms to 8 s. */
export const TIME_BUCKETS = Array.from({ length: 16 }, (_, i) => 0.00025 * 2 ** i);
/** The size histograms' buckets (vars.go). */
export const SIZE_BUCKETS = [0, 100, 200, 300, 400, 511, 1023, 2047, 4095, 8291, 16e3, 32e3, 48e3, 64e3];

/** vars/monitor.go's monitorType: the query types counted by name; any other is "other". */
const TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [RecordType.A, 'A'], [RecordType.AAAA, 'AAAA'], [RecordType.CNAME, 'CNAME'], [48, 'DNSKEY'], [43, 'DS'], [15, 'MX'], [50, 'NSEC3'], [47, 'NSEC'],
  [RecordType.NS, 'NS'], [RecordType.PTR, 'PTR'], [46, 'RRSIG'], [RecordType.SOA, 'SOA'], [RecordType.SRV, 'SRV'], [RecordType.TXT, 'TXT'], [65, 'HTTPS'],
  [251, 'IXFR'], [252, 'AXFR'], [RecordType.ANY, 'ANY'],
]);
/** miekg/dns RcodeToString, for the rcodes this server answers. */
const RCODE_NAMES: ReadonlyMap<number, string> = new Map([
  [Rcode.NoError, 'NOERROR'], [Rcode.FormErr, 'FORMERR'], [Rcode.ServFail, 'SERVFAIL'], [Rcode.NXDomain, 'NXDOMAIN'], [Rcode.NotImp, 'NOTIMP'], [Rcode.Refused, 'REFUSED'],
]);
const rcodeName = (rcode: number): string => RCODE_NAMES.get(rcode) ?? `RCODE${rcode}`;
/** The plugins of kubeadm's Corefile this server does the work of. */
const PLUGINS = ['cache', 'forward', 'kubernetes', 'loadbalance', 'prometheus'];

/** One answered query, as Report takes it. */
export interface QueryReport {
  proto: 'udp' | 'tcp';
  /** The client's address family: 6 for IPv6, else 4. */
  family: 4 | 6;
  qtype: number;
  /** The query's DO bit. */
  dnssecOk: boolean;
  requestBytes: number;
  responseBytes: number;
  rcode: number;
  /** Whether a plugin wrote the answer (else the server wrote the rcode a plugin returned). */
  written: boolean;
  /** process.hrtime.bigint() when the query arrived. */
  start: bigint;
}

export class DnsMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'server' | 'zone' | 'view' | 'proto' | 'family' | 'type'>;
  private readonly duration: Histogram<'server' | 'zone' | 'view'>;
  private readonly requestSize: Histogram<'server' | 'zone' | 'view' | 'proto'>;
  private readonly responseSize: Histogram<'server' | 'zone' | 'view' | 'proto'>;
  private readonly doRequests: Counter<'server' | 'zone' | 'view'>;
  private readonly responses: Counter<'server' | 'zone' | 'view' | 'rcode' | 'plugin'>;
  private readonly proxyDuration: Histogram<'proxy_name' | 'to' | 'rcode'>;
  private readonly rejects: Counter;
  private readonly cacheEntriesGauge: Gauge<'server' | 'type' | 'zones' | 'view'>;
  private readonly cacheRequests: Counter<'server' | 'zones' | 'view'>;
  private readonly cacheHits: Counter<'server' | 'type' | 'zones' | 'view'>;
  private readonly cacheMisses: Counter<'server' | 'zones' | 'view'>;
  private readonly cacheDrops: Counter<'server' | 'zones' | 'view'>;
  private readonly cacheEvictions: Counter<'server' | 'type' | 'zones' | 'view'>;
  private readonly programming: Histogram<'service_kind'>;

  constructor() {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'coredns_dns_requests_total', help: 'Counter of DNS requests made per zone, protocol and family.', labelNames: ['server', 'zone', 'view', 'proto', 'family', 'type'], registers });
    this.duration = new Histogram({ name: 'coredns_dns_request_duration_seconds', help: 'Histogram of the time (in seconds) each request took per zone.', labelNames: ['server', 'zone', 'view'], buckets: TIME_BUCKETS, registers });
    this.requestSize = new Histogram({ name: 'coredns_dns_request_size_bytes', help: 'Size of the EDNS0 UDP buffer in bytes (64K for TCP) per zone and protocol.', labelNames: ['server', 'zone', 'view', 'proto'], buckets: SIZE_BUCKETS, registers });
    this.doRequests = new Counter({ name: 'coredns_dns_do_requests_total', help: 'Counter of DNS requests with DO bit set per zone.', labelNames: ['server', 'zone', 'view'], registers });
    this.responseSize = new Histogram({ name: 'coredns_dns_response_size_bytes', help: 'Size of the returned response in bytes.', labelNames: ['server', 'zone', 'view', 'proto'], buckets: SIZE_BUCKETS, registers });
    this.responses = new Counter({ name: 'coredns_dns_responses_total', help: 'Counter of response status codes.', labelNames: ['server', 'zone', 'view', 'rcode', 'plugin'], registers });
    new Counter({ name: 'coredns_panics_total', help: 'A metrics that counts the number of panics.', registers });
    const enabled = new Gauge({ name: 'coredns_plugin_enabled', help: 'A metric that indicates whether a plugin is enabled on per server and zone basis.', labelNames: ['server', 'zone', 'view', 'name'], registers });
    for (const name of PLUGINS) enabled.set({ server: SERVER_LABEL, zone: ZONE, view: '', name }, 1);
    new Gauge({ name: 'coredns_build_info', help: "A metric with a constant '1' value labeled by version, revision, and goversion from which CoreDNS was built.", labelNames: ['version', 'revision', 'goversion'], registers })
      .set({ version: COREDNS_VERSION, revision: GIT_COMMIT, goversion: `node${process.versions.node}` }, 1);
    this.proxyDuration = new Histogram({ name: 'coredns_proxy_request_duration_seconds', help: 'Histogram of the time each request took.', labelNames: ['proxy_name', 'to', 'rcode'], buckets: TIME_BUCKETS, registers });
    new Counter({ name: 'coredns_forward_healthcheck_broken_total', help: 'Counter of the number of complete failures of the healthchecks.', registers });
    this.rejects = new Counter({ name: 'coredns_forward_max_concurrent_rejects_total', help: 'Counter of the number of queries rejected because the concurrent queries were at maximum.', registers });
    // (plugin/cache/metrics.go; its zones label is the cache's zones, "." in kubeadm's Corefile)
    this.cacheEntriesGauge = new Gauge({ name: 'coredns_cache_entries', help: 'The number of elements in the cache.', labelNames: ['server', 'type', 'zones', 'view'], registers });
    this.cacheRequests = new Counter({ name: 'coredns_cache_requests_total', help: 'The count of cache requests.', labelNames: ['server', 'zones', 'view'], registers });
    this.cacheHits = new Counter({ name: 'coredns_cache_hits_total', help: 'The count of cache hits.', labelNames: ['server', 'type', 'zones', 'view'], registers });
    this.cacheMisses = new Counter({ name: 'coredns_cache_misses_total', help: 'The count of cache misses. Deprecated, derive misses from cache hits/requests counters.', labelNames: ['server', 'zones', 'view'], registers });
    new Counter({ name: 'coredns_cache_prefetch_total', help: 'The number of times the cache has prefetched a cached item.', labelNames: ['server', 'zones', 'view'], registers });
    this.cacheDrops = new Counter({ name: 'coredns_cache_drops_total', help: 'The number responses that are not cached, because the reply is malformed.', labelNames: ['server', 'zones', 'view'], registers });
    new Counter({ name: 'coredns_cache_served_stale_total', help: 'The number of requests served from stale cache entries.', labelNames: ['server', 'zones', 'view'], registers });
    // (plugin/kubernetes/object/metrics.go DNSProgrammingLatency: ExponentialBuckets(0.001, 2, 20))
    this.programming = new Histogram({ name: 'coredns_kubernetes_dns_programming_duration_seconds', help: 'Histogram of the time (in seconds) it took to program a dns instance.', labelNames: ['service_kind'], buckets: Array.from({ length: 20 }, (_, i) => 0.001 * 2 ** i), registers });
    this.cacheEvictions = new Counter({ name: 'coredns_cache_evictions_total', help: 'The count of cache evictions.', labelNames: ['server', 'type', 'zones', 'view'], registers });
  }

  /** vars.Report for one answered query. */
  report(r: QueryReport): void {
    const seconds = Number(process.hrtime.bigint() - r.start) / 1e9;
    if (r.dnssecOk) this.doRequests.inc({ server: SERVER_LABEL, zone: ZONE, view: '' });
    this.requests.inc({ server: SERVER_LABEL, zone: ZONE, view: '', proto: r.proto, family: r.family === 6 ? '2' : '1', type: TYPE_NAMES.get(r.qtype) ?? 'other' });
    this.duration.observe({ server: SERVER_LABEL, zone: ZONE, view: '' }, seconds);
    this.responseSize.observe({ server: SERVER_LABEL, zone: ZONE, view: '', proto: r.proto }, r.responseBytes);
    this.requestSize.observe({ server: SERVER_LABEL, zone: ZONE, view: '', proto: r.proto }, r.requestBytes);
    this.responses.inc({ server: SERVER_LABEL, zone: ZONE, view: '', rcode: rcodeName(r.rcode), plugin: r.written ? 'loadbalance' : '' });
  }

  /** The forward plugin's proxy: one exchange with an upstream (`to` as host:port) that answered `rcode`. */
  upstreamExchange(to: string, rcode: number, start: bigint): void {
    this.proxyDuration.observe({ proxy_name: 'forward', to, rcode: rcodeName(rcode) }, Number(process.hrtime.bigint() - start) / 1e9);
  }

  /** A headless Service's endpoints reached the records `seconds` after their change was triggered. */
  dnsProgrammed(seconds: number): void {
    this.programming.observe({ service_kind: 'headless_with_selector' }, seconds);
  }

  cacheRequest(): void {
    this.cacheRequests.inc({ server: SERVER_LABEL, zones: ZONE, view: '' });
  }
  cacheHit(type: 'success' | 'denial'): void {
    this.cacheHits.inc({ server: SERVER_LABEL, type, zones: ZONE, view: '' });
  }
  cacheMiss(): void {
    this.cacheMisses.inc({ server: SERVER_LABEL, zones: ZONE, view: '' });
  }
  cacheDrop(): void {
    this.cacheDrops.inc({ server: SERVER_LABEL, zones: ZONE, view: '' });
  }
  cacheEviction(type: 'success' | 'denial'): void {
    this.cacheEvictions.inc({ server: SERVER_LABEL, type, zones: ZONE, view: '' });
  }
  cacheEntries(type: 'success' | 'denial', n: number): void {
    this.cacheEntriesGauge.set({ server: SERVER_LABEL, type, zones: ZONE, view: '' }, n);
  }

  /** A query refused because max_concurrent queries were being forwarded already. */
  maxConcurrentReject(): void {
    this.rejects.inc();
  }
}
