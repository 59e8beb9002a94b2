import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../test/helpers/ports.js';
import { DnsCache } from './cache.js';
import { ClusterRecords } from './cluster-records.js';
import { DnsMetrics } from './metrics.js';
import { DnsServer } from './server.js';
import { decodeQuery, decodeResponse, encodeQuery, encodeResponse, Rcode, RecordType, type ResourceRecord } from './wire.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * A loopback upstream: www.example A with TTL 300 (and 60 addresses for big.example), short.example
 * with TTL 1, NXDOMAIN with an SOA of TTL 60 for anything else; counts what it is asked.
 */
async function upstream(): Promise<{ port: number; asked: string[] }> {
  const port = await freePort();
  const asked: string[] = [];
  const udp = createSocket('udp4');
  udp.on('message', (m, r) => {
    const q = decodeQuery(m);
    const name = q.questions[0]!.name;
    asked.push(name.toLowerCase());
    const lower = name.toLowerCase();
    const n = lower === 'big.example' ? 60 : 1;
    const ttl = lower === 'short.example' ? 1 : 300;
    const answers: ResourceRecord[] = lower.endsWith('.example') ? Array.from({ length: n }, (_, i) => ({ name, ttl, type: RecordType.A, address: `192.0.2.${i + 1}` })) : [];
    const soa: ResourceRecord = { name: 'invalid', ttl: 60, type: RecordType.SOA, mname: 'ns.invalid', rname: 'hostmaster.invalid', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 60 };
    udp.send(encodeResponse(q, { rcode: answers.length ? Rcode.NoError : Rcode.NXDomain, authoritative: false, answers, authority: answers.length ? [] : [soa] }, q.udpSize), r.port, r.address);
  });
  await new Promise<void>((r) => udp.bind(port, '127.0.0.1', () => r()));
  cleanups.push(() => void udp.close());
  return { port, asked };
}

async function setup() {
  const up = await upstream();
  let now = 1_000_000;
  const metrics = new DnsMetrics();
  const records = new ClusterRecords();
  records.setService({ metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.96.0.20' } });
  const cache = new DnsCache({ maxTTL: 30, except: ['cluster.local'], now: () => now }, metrics);
  const s = new DnsServer(records, { host: '127.0.0.1', port: 0, upstreams: [`127.0.0.1:${up.port}`], upstreamTimeoutMs: 1000, metrics, cache });
  const ask = async (id: number, name: string, type: number = RecordType.A, transport: 'udp' | 'tcp' = 'udp') => decodeResponse((await s.handle(encodeQuery(id, name, type), transport))!);
  return { up, metrics, records, cache, ask, tick: (seconds: number) => (now += seconds * 1000) };
}

const page = async (m: DnsMetrics) => m.registry.metrics();
const value = (text: string, series: string) => Number(text.split('\n').find((l) => l.startsWith(`${series} `))?.slice(series.length + 1));

describe('the cache of kubeadm\'s Corefile (cache 30, the cluster zone disabled)', () => {
  it('keeps an upstream answer for at most 30 s: later queries are answered from it, authoritative, their TTL counted down', async () => {
    const { up, ask, tick, metrics } = await setup();
    const first = await ask(1, 'www.example');
    expect(first).toMatchObject({ id: 1, rcode: Rcode.NoError, authoritative: false, answers: [{ address: '192.0.2.1', ttl: 30 }] });
    tick(10);
    const second = await ask(2, 'www.example');
    expect(second).toMatchObject({ id: 2, rcode: Rcode.NoError, authoritative: true, answers: [{ name: 'www.example', address: '192.0.2.1', ttl: 20 }] });
    expect(up.asked).toEqual(['www.example']);
    // the same entry answers the name however a client spells it (0x20 randomisation)
    const mixed = await ask(3, 'WwW.ExAmple');
    expect(mixed).toMatchObject({ id: 3, authoritative: true, answers: [{ address: '192.0.2.1', ttl: 20 }] });
    expect(up.asked).toEqual(['www.example']);
    tick(20);
    expect(await ask(4, 'www.example')).toMatchObject({ authoritative: false, answers: [{ ttl: 30 }] });
    expect(up.asked).toEqual(['www.example', 'www.example']);
    const text = await page(metrics);
    const base = 'server="dns://:53",zones=".",view=""';
    expect(value(text, `coredns_cache_requests_total{${base}}`)).toBe(4);
    expect(value(text, `coredns_cache_hits_total{server="dns://:53",type="success",zones=".",view=""}`)).toBe(2);
    expect(value(text, `coredns_cache_misses_total{${base}}`)).toBe(2);
    expect(value(text, `coredns_cache_entries{server="dns://:53",type="success",zones=".",view=""}`)).toBe(1);
  });

  it('gives a short TTL at least 5 s, and keeps NXDOMAIN as a denial for at most 30 s', async () => {
    const { up, ask, tick, metrics } = await setup();
    expect((await ask(1, 'short.example')).answers).toMatchObject([{ ttl: 5 }]);
    const nx = await ask(2, 'nothing.invalid');
    expect(nx).toMatchObject({ rcode: Rcode.NXDomain, authority: [{ type: RecordType.SOA, ttl: 30 }] });
    tick(29);
    expect(await ask(3, 'nothing.invalid')).toMatchObject({ rcode: Rcode.NXDomain, authoritative: true, authority: [{ ttl: 1 }] });
    expect(up.asked).toEqual(['short.example', 'nothing.invalid']);
    expect(value(await page(metrics), 'coredns_cache_hits_total{server="dns://:53",type="denial",zones=".",view=""}')).toBe(1);
  });

  it('never keeps the cluster zone\'s answers, so a Service\'s change is answered at once', async () => {
    const { records, ask, metrics } = await setup();
    expect((await ask(1, 'web.default.svc.cluster.local')).answers).toMatchObject([{ address: '10.96.0.20', ttl: 30 }]);
    records.setService({ metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.96.0.21' } });
    expect((await ask(2, 'web.default.svc.cluster.local')).answers).toMatchObject([{ address: '10.96.0.21' }]);
    records.deleteService({ metadata: { name: 'web', namespace: 'default' } });
    expect((await ask(3, 'web.default.svc.cluster.local')).rcode).toBe(Rcode.NXDomain);
    // (every answer leaves with its TTL held to 30 s: the schema version's 28800 too)
    expect((await ask(4, 'dns-version.cluster.local', RecordType.TXT)).answers).toMatchObject([{ text: '1.1.0', ttl: 30 }]);
    const text = await page(metrics);
    expect(value(text, 'coredns_cache_misses_total{server="dns://:53",zones=".",view=""}')).toBe(4);
    expect(text).not.toMatch(/^coredns_cache_entries\{.*\} [1-9]/m);
  });

  it('does not keep a truncated answer', async () => {
    const { up, ask } = await setup();
    // over UDP (512 bytes) the 60 addresses do not fit: the upstream's truncated answer is retried
    // over TCP, which this upstream does not serve, so the client gets it truncated; nothing is kept
    const udp = await ask(1, 'big.example');
    expect(udp.truncated).toBe(true);
    expect((await ask(2, 'big.example')).truncated).toBe(true);
    expect(up.asked).toEqual(['big.example', 'big.example']);
  });
});

describe('DnsCache', () => {
  it('answers a UDP client from a kept answer bigger than it takes with as many records as fit, TC set, as the uncached path does', () => {
    const cache = new DnsCache({ maxTTL: 30 });
    const q = decodeQuery(encodeQuery(7, 'big.example', RecordType.A));
    const answers: ResourceRecord[] = Array.from({ length: 60 }, (_, i) => ({ name: 'big.example', ttl: 300, type: RecordType.A, address: `192.0.2.${i + 1}` }));
    const res = { rcode: 0, authoritative: false, answers, authority: [] };
    // (kept as an upstream sends it to a client taking 1400 bytes: its names compressed, all 60 in 989 bytes)
    const kept = encodeResponse(q, res, 1400);
    expect(kept.length).toBeLessThan(1400);
    cache.put(q, encodeQuery(7, 'big.example', RecordType.A), kept);
    const q2 = encodeQuery(8, 'big.example', RecordType.A);
    const raw = cache.get(decodeQuery(q2), q2, 512)!;
    expect(raw.length).toBeLessThanOrEqual(512);
    const small = decodeResponse(raw);
    expect(small).toMatchObject({ id: 8, truncated: true, authoritative: true });
    // (the uncached path's Msg.Truncate to 512 bytes keeps 30 compressed answers: so does the cache)
    const uncached = decodeResponse(encodeResponse(decodeQuery(q2), res, 512));
    expect(uncached.truncated).toBe(true);
    expect(small.answers).toHaveLength(uncached.answers.length);
    expect(small.answers).toHaveLength(30);
    expect(small.answers.map((a) => (a as { address: string }).address)).toEqual(answers.slice(0, 30).map((a) => (a as { address: string }).address));
    expect(small.answers.every((a) => a.name === 'big.example' && a.ttl === 30)).toBe(true);
    const whole = decodeResponse(cache.get(decodeQuery(q2), q2, 65535)!);
    expect(whole).toMatchObject({ id: 8, truncated: false });
    expect(whole.answers).toHaveLength(60);
  });

  it('truncates a kept answer section by section: answers that fit, then what fits of the authority', () => {
    const cache = new DnsCache({ maxTTL: 30 });
    const q = decodeQuery(encodeQuery(3, 'mixed.example', RecordType.A));
    const answers: ResourceRecord[] = Array.from({ length: 10 }, (_, i) => ({ name: 'mixed.example', ttl: 60, type: RecordType.A, address: `192.0.2.${i + 1}` }));
    const authority: ResourceRecord[] = Array.from({ length: 40 }, (_, i) => ({ name: 'mixed.example', ttl: 60, type: RecordType.NS, target: `ns${i}.mixed.example` }));
    const res = { rcode: 0, authoritative: false, answers, authority };
    // (kept compressed, as upstreams send answers: whole, it would not fit 1000 bytes)
    const kept = encodeResponse(q, res, 1000);
    expect(decodeResponse(kept)).toMatchObject({ truncated: false });
    cache.put(q, encodeQuery(3, 'mixed.example', RecordType.A), kept);
    const q2 = encodeQuery(4, 'mixed.example', RecordType.A);
    const raw = cache.get(decodeQuery(q2), q2, 512)!;
    expect(raw.length).toBeLessThanOrEqual(512);
    const got = decodeResponse(raw);
    const uncached = decodeResponse(encodeResponse(decodeQuery(q2), res, 512));
    expect(got.truncated).toBe(true);
    expect(got.answers).toHaveLength(10);
    expect(got.authority.length).toBeGreaterThan(0);
    expect(got.authority.length).toBeLessThan(40);
    expect(got.authority.length).toBe(uncached.authority.length);
    expect(got.authority.map((r) => (r as { target: string }).target)).toEqual(authority.slice(0, got.authority.length).map((r) => (r as { target: string }).target));
  });

  it('keys by the DO bit: an answer to a query without it does not answer one with it', () => {
    const cache = new DnsCache({ maxTTL: 30 });
    const plain = encodeQuery(1, 'www.example', RecordType.A);
    const q = decodeQuery(plain);
    cache.put(q, plain, encodeResponse(q, { rcode: 0, authoritative: false, answers: [{ name: 'www.example', ttl: 60, type: RecordType.A, address: '192.0.2.1' }], authority: [] }));
    const withDO = Buffer.concat([encodeQuery(2, 'www.example', RecordType.A), Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0])]);
    withDO.writeUInt16BE(1, 10);
    expect(cache.get(decodeQuery(withDO), withDO, 4096)).toBeUndefined();
    expect(cache.get(decodeQuery(plain), plain, 4096)).toBeDefined();
  });
});
