import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../test/helpers/ports.js';
import { ClusterRecords } from './cluster-records.js';
import { DnsMetricsServer } from './metrics-server.js';
import { DnsMetrics, TIME_BUCKETS } from './metrics.js';
import { DnsServer } from './server.js';
import { decodeQuery, encodeQuery, encodeResponse, Rcode, RecordType } from './wire.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function records(): ClusterRecords {
  const r = new ClusterRecords();
  r.setService({ metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } });
  return r;
}

/** A query with an EDNS OPT record whose DO bit is set. */
function queryWithDO(id: number, name: string, type: number): Buffer {
  const q = encodeQuery(id, name, type);
  q.writeUInt16BE(1, 10); // ARCOUNT
  // root name, OPT, UDP size 1232, extended rcode 0, version 0, flags DO, no data
  return Buffer.concat([q, Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0])]);
}

/** The value of one series in a /metrics page, by its name and labels as written. */
function value(page: string, series: string): number | undefined {
  const line = page.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('CoreDNS metrics of the cluster DNS', () => {
  it('counts each query as the metrics plugin reports it: by proto, family and type; rcode and plugin; sizes and durations', async () => {
    const metrics = new DnsMetrics();
    const s = new DnsServer(records(), { host: '127.0.0.1', port: 0, upstreams: [], metrics });
    await s.handle(encodeQuery(1, 'web.default.svc.cluster.local', RecordType.A), 'udp');
    await s.handle(encodeQuery(2, 'web.default.svc.cluster.local', RecordType.A), 'tcp');
    await s.handle(encodeQuery(3, 'nope.default.svc.cluster.local', RecordType.AAAA), 'udp', 6);
    await s.handle(queryWithDO(4, '_http._tcp.web.default.svc.cluster.local', RecordType.SRV), 'udp');
    await s.handle(encodeQuery(5, 'web.default.svc.cluster.local', 99), 'udp');
    // no upstream for a name outside the cluster: SERVFAIL, which no plugin wrote
    await s.handle(encodeQuery(6, 'www.example', RecordType.A), 'udp');
    // (not counted: a message that does not decode, and a query that is no QUERY, which miekg/dns turns away first)
    await s.handle(Buffer.from([0, 8, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 40, 97]), 'udp');
    const notify = encodeQuery(7, 'cluster.local', RecordType.SOA);
    notify.writeUInt16BE(0x2000, 2);
    await s.handle(notify, 'udp');

    const page = await metrics.registry.metrics();
    const base = 'server="dns://:53",zone=".",view=""';
    expect(value(page, `coredns_dns_requests_total{${base},proto="udp",family="1",type="A"}`)).toBe(2);
    expect(value(page, `coredns_dns_requests_total{${base},proto="tcp",family="1",type="A"}`)).toBe(1);
    expect(value(page, `coredns_dns_requests_total{${base},proto="udp",family="2",type="AAAA"}`)).toBe(1);
    expect(value(page, `coredns_dns_requests_total{${base},proto="udp",family="1",type="SRV"}`)).toBe(1);
    expect(value(page, `coredns_dns_requests_total{${base},proto="udp",family="1",type="other"}`)).toBe(1);
    expect(value(page, `coredns_dns_responses_total{${base},rcode="NOERROR",plugin="loadbalance"}`)).toBe(4);
    expect(value(page, `coredns_dns_responses_total{${base},rcode="NXDOMAIN",plugin="loadbalance"}`)).toBe(1);
    expect(value(page, `coredns_dns_responses_total{${base},rcode="SERVFAIL",plugin=""}`)).toBe(1);
    expect(value(page, `coredns_dns_do_requests_total{${base}}`)).toBe(1);
    expect(value(page, `coredns_dns_request_duration_seconds_count{${base}}`)).toBe(6);
    // plugin.TimeBuckets: 0.25 ms doubling to 8.192 s
    expect(TIME_BUCKETS[0]).toBe(0.00025);
    expect(TIME_BUCKETS[15]).toBeCloseTo(8.192);
    expect(value(page, `coredns_dns_request_duration_seconds_bucket{le="8.192",${base}}`)).toBe(6);
    expect(value(page, `coredns_dns_request_size_bytes_count{${base},proto="udp"}`)).toBe(5);
    expect(value(page, `coredns_dns_request_size_bytes_bucket{le="0",${base},proto="tcp"}`)).toBe(0);
    expect(value(page, `coredns_dns_request_size_bytes_bucket{le="100",${base},proto="tcp"}`)).toBe(1);
    expect(value(page, `coredns_dns_response_size_bytes_count{${base},proto="tcp"}`)).toBe(1);
    expect(page).toMatch(/^coredns_build_info\{version="1\.11\.3",revision="[^"]+",goversion="node[^"]+"\} 1$/m);
    expect(value(page, `coredns_plugin_enabled{${base},name="kubernetes"}`)).toBe(1);
    expect(value(page, 'coredns_panics_total')).toBe(0);
  });

  it('times each exchange with an upstream as the forward plugin\'s proxy does, and counts max_concurrent rejects', async () => {
    const up = createSocket('udp4');
    const upPort = await freePort();
    up.on('message', (m, r) => {
      const q = decodeQuery(m);
      setTimeout(() => up.send(encodeResponse(q, { rcode: Rcode.NXDomain, authoritative: false, answers: [], authority: [] }, 512), r.port, r.address), 100);
    });
    await new Promise<void>((r) => up.bind(upPort, '127.0.0.1', () => r()));
    cleanups.push(() => void up.close());
    const metrics = new DnsMetrics();
    const s = new DnsServer(records(), { host: '127.0.0.1', port: 0, upstreams: [`127.0.0.1:${upPort}`], upstreamTimeoutMs: 1000, maxConcurrentForwards: 1, metrics });
    const [first, second] = await Promise.all([s.handle(encodeQuery(1, 'a.example', RecordType.A), 'udp'), s.handle(encodeQuery(2, 'b.example', RecordType.A), 'udp')]);
    expect([first![3]! & 0xf, second![3]! & 0xf]).toEqual([Rcode.NXDomain, Rcode.Refused]);
    const page = await metrics.registry.metrics();
    expect(value(page, `coredns_proxy_request_duration_seconds_count{proxy_name="forward",to="127.0.0.1:${upPort}",rcode="NXDOMAIN"}`)).toBe(1);
    expect(value(page, `coredns_proxy_request_duration_seconds_bucket{le="0.064",proxy_name="forward",to="127.0.0.1:${upPort}",rcode="NXDOMAIN"}`)).toBe(0);
    expect(value(page, 'coredns_forward_max_concurrent_rejects_total')).toBe(1);
    const base = 'server="dns://:53",zone=".",view=""';
    expect(value(page, `coredns_dns_responses_total{${base},rcode="NXDOMAIN",plugin="loadbalance"}`)).toBe(1);
    expect(value(page, `coredns_dns_responses_total{${base},rcode="REFUSED",plugin=""}`)).toBe(1);
  });

  it('observes the DNS programming latency of headless Services as the kubernetes plugin does, from their slices\' trigger time', async () => {
    const metrics = new DnsMetrics();
    const r = records();
    r.setService({ metadata: { name: 'db', namespace: 'default' }, spec: { clusterIP: 'None' } });
    new DnsServer(r, { host: '127.0.0.1', port: 0, upstreams: [], metrics });
    const slice = (service: string, trigger?: string) => ({
      metadata: { name: `${service}-x`, namespace: 'default', labels: { 'kubernetes.io/service-name': service }, ...(trigger ? { annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': trigger } } : {}) },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.244.0.5'] }],
    });
    r.setSlice(slice('db', new Date(Date.now() - 1500).toISOString()));
    r.deleteSlice(slice('db', new Date(Date.now() - 1500).toISOString()));
    // (not for a Service with a cluster IP, nor a slice without a trigger time)
    r.setSlice(slice('web', new Date(Date.now() - 1500).toISOString()));
    r.setSlice(slice('db'));
    const page = await metrics.registry.metrics();
    expect(value(page, 'coredns_kubernetes_dns_programming_duration_seconds_count{service_kind="headless_with_selector"}')).toBe(2);
    expect(value(page, 'coredns_kubernetes_dns_programming_duration_seconds_bucket{le="1.024",service_kind="headless_with_selector"}')).toBe(0);
    expect(value(page, 'coredns_kubernetes_dns_programming_duration_seconds_bucket{le="2.048",service_kind="headless_with_selector"}')).toBe(2);
  });

  it('serves them over HTTP at /metrics, as the prometheus plugin\'s listener; other paths are 404', async () => {
    const metrics = new DnsMetrics();
    const s = new DnsServer(records(), { host: '127.0.0.1', port: 0, upstreams: [], metrics });
    await s.handle(encodeQuery(1, 'web.default.svc.cluster.local', RecordType.A), 'udp');
    const http = new DnsMetricsServer(metrics, '127.0.0.1', 0);
    await http.start();
    cleanups.push(() => http.stop());
    const res = await fetch(`http://127.0.0.1:${http.listening()}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(value(await res.text(), 'coredns_dns_requests_total{family="1",proto="udp",server="dns://:53",type="A",view="",zone="."}')).toBe(1);
    const other = await fetch(`http://127.0.0.1:${http.listening()}/health`);
    expect([other.status, await other.text()]).toEqual([404, '404 page not found\n']);
  });
});
