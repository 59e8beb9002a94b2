import { createSocket } from 'node:dgram';
import { connect, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../test/helpers/ports.js';
import { ClusterRecords } from './cluster-records.js';
import { DnsServer } from './server.js';
import { decodeQuery, decodeResponse, encodeQuery, encodeResponse, Rcode, RecordType } from './wire.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A stand-in upstream resolver on loopback: answers *.example with 192.0.2.N, truncates "big.example" over UDP. */
async function upstream(): Promise<{ port: number; udpQueries: string[] }> {
  const port = await freePort();
  const udpQueries: string[] = [];
  const answer = (msg: Buffer, maxSize: number) => {
    const q = decodeQuery(msg);
    const name = q.questions[0]!.name;
    const n = name === 'big.example' ? 60 : 1;
    const answers = Array.from({ length: n }, (_, i) => ({ name, ttl: 30, type: RecordType.A, address: `192.0.2.${i + 1}` }) as const);
    return encodeResponse(q, { rcode: name.endsWith('.example') ? Rcode.NoError : Rcode.NXDomain, authoritative: false, answers: name.endsWith('.example') ? answers : [], authority: [] }, maxSize);
  };
  const udp = createSocket('udp4');
  udp.on('message', (m, r) => {
    udpQueries.push(decodeQuery(m).questions[0]!.name);
    udp.send(answer(m, 512), r.port, r.address);
  });
  await new Promise<void>((r) => udp.bind(port, '127.0.0.1', () => r()));
  const tcp = createServer((c) => c.on('data', (d: Buffer) => {
    const res = answer(d.subarray(2), 65535);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(res.length);
    c.end(Buffer.concat([len, res]));
  }));
  await new Promise<void>((r) => tcp.listen(port, '127.0.0.1', () => r()));
  cleanups.push(() => void udp.close(), () => new Promise<void>((r) => tcp.close(() => r())));
  return { port, udpQueries };
}

async function server(upstreams: string[]): Promise<number> {
  const records = new ClusterRecords();
  records.setService({ metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.96.0.20' } });
  records.setService({ metadata: { name: 'ext', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'site.example' } });
  const port = await freePort();
  const s = new DnsServer(records, { host: '127.0.0.1', port, upstreams, upstreamTimeoutMs: 300 });
  await s.start();
  cleanups.push(() => s.stop());
  return port;
}

function udpAsk(port: number, msg: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const t = setTimeout(() => (s.close(), reject(new Error('no answer'))), 3000);
    s.on('message', (m) => (clearTimeout(t), s.close(), resolve(m)));
    s.send(msg, port, '127.0.0.1');
  });
}

function tcpAsk(port: number, msgs: Buffer[]): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const c = connect({ port, host: '127.0.0.1' });
    let buf = Buffer.alloc(0);
    const out: Buffer[] = [];
    c.on('error', reject);
    c.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        out.push(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (out.length === msgs.length) (c.destroy(), resolve(out));
    });
    // Both queries in one write, as a pipelining client sends them.
    c.write(Buffer.concat(msgs.flatMap((m) => [Buffer.from([m.length >> 8, m.length & 0xff]), m])));
  });
}

describe('DnsServer', () => {
  it('answers cluster names itself and forwards the rest, over UDP and TCP', async () => {
    const up = await upstream();
    const port = await server([`127.0.0.1:${up.port}`]);
    const a = decodeResponse(await udpAsk(port, encodeQuery(1, 'web.default.svc.cluster.local', RecordType.A)));
    expect(a).toMatchObject({ id: 1, rcode: 0, authoritative: true, answers: [{ address: '10.96.0.20' }] });
    const f = decodeResponse(await udpAsk(port, encodeQuery(2, 'www.example', RecordType.A)));
    expect(f).toMatchObject({ id: 2, rcode: 0, answers: [{ address: '192.0.2.1' }] });
    expect(up.udpQueries).toEqual(['www.example']);
    const [t1, t2] = await tcpAsk(port, [encodeQuery(3, 'web.default.svc.cluster.local', RecordType.A), encodeQuery(4, 'nope.default.svc.cluster.local', RecordType.A)]);
    expect(decodeResponse(t1!)).toMatchObject({ id: 3, answers: [{ address: '10.96.0.20' }] });
    expect(decodeResponse(t2!)).toMatchObject({ id: 4, rcode: Rcode.NXDomain });
  });

  it('retries a truncated upstream answer over TCP, and chases an ExternalName CNAME upstream', async () => {
    const up = await upstream();
    const port = await server([`127.0.0.1:${up.port}`]);
    const [big] = await tcpAsk(port, [encodeQuery(5, 'big.example', RecordType.A)]);
    expect(decodeResponse(big!).answers).toHaveLength(60);
    // A UDP client that advertised no more than 512 bytes gets the truncated answer, and asks again over TCP.
    const udpBig = await udpAsk(port, encodeQuery(13, 'big.example', RecordType.A));
    expect(udpBig.length).toBeLessThanOrEqual(512);
    expect(decodeResponse(udpBig)).toMatchObject({ id: 13, truncated: true });
    const ext = decodeResponse(await udpAsk(port, encodeQuery(6, 'ext.default.svc.cluster.local', RecordType.A)));
    expect(ext.answers).toMatchObject([{ type: RecordType.CNAME, target: 'site.example' }, { name: 'site.example', address: '192.0.2.1' }]);
  });

  it('answers a headless service\'s addresses in a random order, as the loadbalance plugin of kubeadm\'s Corefile does', async () => {
    const records = new ClusterRecords();
    records.setService({ metadata: { name: 'db', namespace: 'default' }, spec: { clusterIP: 'None' } });
    const endpoints = ['10.244.0.5', '10.244.0.6', '10.244.0.7'].map((ip) => ({ addresses: [ip], conditions: { ready: true } }));
    records.setSlice({ metadata: { name: 'db-x', namespace: 'default', labels: { 'kubernetes.io/service-name': 'db' } }, addressType: 'IPv4', endpoints });
    const s = new DnsServer(records, { host: '127.0.0.1', port: 0, upstreams: [] });
    const firsts = new Set<string>();
    for (let id = 0; id < 60; id++) {
      const res = decodeResponse((await s.handle(encodeQuery(id, 'db.default.svc.cluster.local', RecordType.A), 'udp'))!);
      expect(res.answers).toHaveLength(3);
      firsts.add(res.answers[0]!.type === RecordType.A ? res.answers[0]!.address : '');
    }
    // a client that takes the first address reaches every pod, not always 10.244.0.5
    expect([...firsts].sort()).toEqual(['10.244.0.5', '10.244.0.6', '10.244.0.7']);
  });

  it('answers a headless service of 25 pods whole to a 512-byte UDP client, compressed as CoreDNS does; 40 in part, with TC', async () => {
    const records = new ClusterRecords();
    records.setService({ metadata: { name: 'db', namespace: 'default' }, spec: { clusterIP: 'None' } });
    const endpoints = Array.from({ length: 40 }, (_, i) => ({ addresses: [`10.244.1.${i + 1}`], conditions: { ready: i < 25 } }));
    records.setSlice({ metadata: { name: 'db-x', namespace: 'default', labels: { 'kubernetes.io/service-name': 'db' } }, addressType: 'IPv4', endpoints });
    const s = new DnsServer(records, { host: '127.0.0.1', port: 0, upstreams: [] });
    const ask = async () => {
      const res = (await s.handle(encodeQuery(1, 'db.default.svc.cluster.local', RecordType.A), 'udp'))!;
      expect(res.length).toBeLessThanOrEqual(512);
      return decodeResponse(res);
    };
    // (a client without TCP fallback, busybox's nslookup or an older musl, still gets every pod)
    const whole = await ask();
    expect(whole.truncated).toBe(false);
    expect(whole.answers).toHaveLength(25);
    records.setSlice({ metadata: { name: 'db-x', namespace: 'default', labels: { 'kubernetes.io/service-name': 'db' } }, addressType: 'IPv4', endpoints: endpoints.map((e) => ({ ...e, conditions: { ready: true } })) });
    const part = await ask();
    expect(part.truncated).toBe(true);
    expect(part.answers.length).toBeGreaterThan(25);
    expect(part.answers.length).toBeLessThan(40);
  });

  it('gives SERVFAIL when no upstream answers, and FORMERR for a malformed query', async () => {
    const silent = createSocket('udp4');
    const silentPort = await freePort();
    await new Promise<void>((r) => silent.bind(silentPort, '127.0.0.1', () => r()));
    cleanups.push(() => void silent.close());
    const port = await server([`127.0.0.1:${silentPort}`]);
    const t0 = Date.now();
    expect(decodeResponse(await udpAsk(port, encodeQuery(7, 'www.example', RecordType.A))).rcode).toBe(Rcode.ServFail);
    expect(Date.now() - t0).toBeLessThan(2500);
    const bad = Buffer.from([0, 8, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 40, 97]);
    expect(decodeResponse(await udpAsk(port, bad))).toMatchObject({ id: 8, rcode: Rcode.FormErr });
    // And it still answers afterwards.
    expect(decodeResponse(await udpAsk(port, encodeQuery(9, 'web.default.svc.cluster.local', RecordType.A))).rcode).toBe(0);
  });

  it('survives a malformed upstream answer while chasing an ExternalName: the CNAME alone, and it keeps serving', async () => {
    // An upstream whose answers claim a record they do not carry.
    const broken = createSocket('udp4');
    const brokenPort = await freePort();
    broken.on('message', (m, r) => broken.send(Buffer.from([m[0]!, m[1]!, 0x81, 0x80, 0, 0, 0, 1, 0, 0, 0, 0]), r.port, r.address));
    await new Promise<void>((r) => broken.bind(brokenPort, '127.0.0.1', () => r()));
    cleanups.push(() => void broken.close());
    const port = await server([`127.0.0.1:${brokenPort}`]);
    const ext = decodeResponse(await udpAsk(port, encodeQuery(10, 'ext.default.svc.cluster.local', RecordType.A)));
    expect(ext).toMatchObject({ id: 10, rcode: 0, answers: [{ type: RecordType.CNAME, target: 'site.example' }] });
    expect(ext.answers).toHaveLength(1);
    const [t] = await tcpAsk(port, [encodeQuery(11, 'ext.default.svc.cluster.local', RecordType.A)]);
    expect(decodeResponse(t!).answers).toHaveLength(1);
    expect(decodeResponse(await udpAsk(port, encodeQuery(12, 'web.default.svc.cluster.local', RecordType.A))).rcode).toBe(0);
  });

  it('refuses queries past maxConcurrentForwards at once, and forwards again once those in flight are answered', async () => {
    // An upstream that holds every answer for 300 ms.
    const slow = createSocket('udp4');
    const slowPort = await freePort();
    slow.on('message', (m, r) => setTimeout(() => slow.send(encodeResponse(decodeQuery(m), { rcode: Rcode.NoError, authoritative: false, answers: [], authority: [] }, 512), r.port, r.address), 300));
    await new Promise<void>((r) => slow.bind(slowPort, '127.0.0.1', () => r()));
    cleanups.push(() => void slow.close());
    const port = await freePort();
    const s = new DnsServer(new ClusterRecords(), { host: '127.0.0.1', port, upstreams: [`127.0.0.1:${slowPort}`], upstreamTimeoutMs: 1000, maxConcurrentForwards: 2 });
    await s.start();
    cleanups.push(() => s.stop());
    const asked = [1, 2, 3].map((id) => udpAsk(port, encodeQuery(id, `q${id}.example`, RecordType.A)).then(decodeResponse));
    const t0 = Date.now();
    const third = await asked[2]!;
    expect(third).toMatchObject({ id: 3, rcode: Rcode.Refused });
    expect(Date.now() - t0).toBeLessThan(250);
    expect((await Promise.all(asked.slice(0, 2))).map((r) => r.rcode)).toEqual([Rcode.NoError, Rcode.NoError]);
    expect(decodeResponse(await udpAsk(port, encodeQuery(4, 'q4.example', RecordType.A))).rcode).toBe(Rcode.NoError);
    expect(s.counts).toMatchObject({ forwarded: 3, refused: 1 });
  });

  it('stops with a forwarded query in flight without throwing when its answer comes back', async () => {
    const up = await upstream();
    // A slow upstream: answers after 200 ms, when the server has stopped.
    const slow = createSocket('udp4');
    const slowPort = await freePort();
    slow.on('message', (m, r) => setTimeout(() => slow.send(Buffer.from([m[0]!, m[1]!, 0x81, 0x80, 0, 0, 0, 0, 0, 0, 0, 0]), r.port, r.address), 200));
    await new Promise<void>((r) => slow.bind(slowPort, '127.0.0.1', () => r()));
    cleanups.push(() => void slow.close());
    const records = new ClusterRecords();
    const port = await freePort();
    const s = new DnsServer(records, { host: '127.0.0.1', port, upstreams: [`127.0.0.1:${slowPort}`, `127.0.0.1:${up.port}`], upstreamTimeoutMs: 1000 });
    await s.start();
    const client = createSocket('udp4');
    cleanups.push(() => void client.close());
    client.send(encodeQuery(14, 'www.example', RecordType.A), port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 50));
    await s.stop();
    // The answer arrives at a stopped server: an unhandled error here would fail the run.
    await new Promise((r) => setTimeout(r, 400));
  });
});
