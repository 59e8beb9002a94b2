// The cluster DNS server: the role CoreDNS plays in Kubernetes, run by each node agent on its
// bridge's gateway address. Names in the cluster zone (and reverse names of cluster addresses)
// are answered from ClusterRecords; every other query is forwarded, as it came, to the node's
// own resolvers (UDP, then TCP when the answer is truncated), one after another until one answers.
// UDP and TCP (RFC 7766: two-byte length prefix, several queries per connection) are both served.
// With the Corefile's other plugins' parts: answers go through its cache (cache.ts), and each
// query is counted in CoreDNS's metrics (metrics.ts).
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { logger } from '../util/log.js';
import type { DnsCache } from './cache.js';
import type { ClusterRecords } from './cluster-records.js';
import { roundRobin } from './load-balance.js';
import type { DnsMetrics } from './metrics.js';
import { decodeQuery, decodeResponse, DnsFormatError, encodeError, encodeQuery, encodeResponse, Rcode, RecordType, type Query } from './wire.js';

const log = logger('dns');

export interface DnsServerOptions {
  host: string;
  port: number;
  /** Resolvers for names outside the cluster ("ip" or "ip:port"); none: such names get SERVFAIL. */
  upstreams: string[];
  /** How long one upstream may take before the next is tried. */
  upstreamTimeoutMs?: number;
  /**
   * At most this many queries forwarded at once (default 1000, the `max_concurrent` of
   * Kubernetes' default Corefile); past it a query gets REFUSED at once, as CoreDNS answers,
   * rather than opening more sockets to a resolver that is already not keeping up.
   */
  maxConcurrentForwards?: number;
  /** CoreDNS's metrics (the Corefile's `prometheus :9153`), counted for each query answered. */
  metrics?: DnsMetrics;
  /** The Corefile's `cache 30`, in front of everything (see cache.ts); none: every query is answered afresh. */
  cache?: DnsCache;
}

/** Thrown by forward() when maxConcurrentForwards queries are already in flight. */
class ForwardLimitError extends Error {}

const MAX_TCP_IDLE_MS = 10_000;

export class DnsServer {
  private udp: UdpSocket | undefined;
  private tcp: Server | undefined;
  private conns = new Set<Socket>();
  /** Queries answered, by how: for tests and logs. */
  readonly counts = { cluster: 0, forwarded: 0, failed: 0, refused: 0 };
  private forwarding = 0;

  constructor(private readonly records: ClusterRecords, private readonly opts: DnsServerOptions) {
    // (the kubernetes plugin's programming latency goes to the same registry as the queries)
    const metrics = opts.metrics;
    if (metrics) records.onProgrammed = (seconds) => metrics.dnsProgrammed(seconds);
  }

  async start(): Promise<void> {
    const udp = createSocket({ type: 'udp4' });
    udp.on('message', (msg, rinfo) => {
      void this.handle(msg, 'udp', rinfo.family === 'IPv6' ? 6 : 4)
        // The socket may have closed meanwhile (stop() with a forwarded query in flight): send throws then.
        .then((res) => res && this.udp === udp && udp.send(res, rinfo.port, rinfo.address))
        .catch((e: Error) => log.warn('query failed', { error: e.message }));
    });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(this.opts.port, this.opts.host, () => {
        udp.off('error', reject);
        udp.on('error', (e) => log.warn('udp socket error', { error: e.message }));
        resolve();
      });
    });
    this.udp = udp;
    const tcp = createServer((c) => this.serveTcp(c));
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(this.opts.port, this.opts.host, () => resolve());
      });
    } catch (e) {
      udp.close();
      this.udp = undefined;
      throw e;
    }
    this.tcp = tcp;
    log.info('cluster DNS serving', { address: `${this.opts.host}:${this.opts.port}`, zone: this.records.zone, upstreams: this.opts.upstreams });
  }

  async stop(): Promise<void> {
    this.udp?.close();
    this.udp = undefined;
    for (const c of this.conns) c.destroy();
    await new Promise<void>((r) => (this.tcp ? this.tcp.close(() => r()) : r()));
    this.tcp = undefined;
  }

  private serveTcp(c: Socket): void {
    this.conns.add(c);
    c.setTimeout(MAX_TCP_IDLE_MS, () => c.destroy());
    c.on('close', () => this.conns.delete(c));
    c.on('error', () => c.destroy());
    let buf = Buffer.alloc(0);
    c.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        void this.handle(msg, 'tcp', c.remoteFamily === 'IPv6' ? 6 : 4)
          .then((res) => {
            if (!res || c.destroyed) return;
            const len = Buffer.alloc(2);
            len.writeUInt16BE(res.length);
            c.write(Buffer.concat([len, res]));
          })
          .catch((e: Error) => log.warn('query failed', { error: e.message }));
      }
    });
  }

  /**
   * The answer to one message; undefined when nothing should be sent (an unreadable header).
   * Queries past the header checks (one question, opcode QUERY: what miekg/dns's accept function
   * lets through to CoreDNS's plugins) are counted in the metrics.
   */
  async handle(msg: Buffer, transport: 'udp' | 'tcp', family: 4 | 6 = 4): Promise<Buffer | undefined> {
    const start = this.opts.metrics ? process.hrtime.bigint() : 0n;
    let q: Query;
    try {
      q = decodeQuery(msg);
    } catch (e) {
      if (!(e instanceof DnsFormatError)) throw e;
      return msg.length >= 2 ? encodeError(msg.readUInt16BE(0), Rcode.FormErr) : undefined;
    }
    if (q.opcode !== 0) return encodeError(q, Rcode.NotImp);
    if (q.questions.length !== 1) return encodeError(q, Rcode.FormErr);
    const answer = await this.answer(msg, q, transport);
    this.opts.metrics?.report({
      proto: transport,
      family,
      qtype: q.questions[0]!.type,
      dnssecOk: !!q.dnssecOk,
      requestBytes: msg.length,
      responseBytes: answer.res.length,
      rcode: answer.res.length >= 4 ? answer.res[3]! & 0xf : Rcode.ServFail,
      written: answer.written,
      start,
    });
    return answer.res;
  }

  /** The answer to a decoded query, and whether a "plugin" wrote it (not an error the server wrote for a failure). */
  private async answer(msg: Buffer, q: Query, transport: 'udp' | 'tcp'): Promise<{ res: Buffer; written: boolean }> {
    const maxSize = transport === 'udp' ? Math.min(q.udpSize, 4096) : 65535;
    const cache = this.opts.cache;
    if (!cache) return this.resolve(msg, q, maxSize, transport);
    const hit = cache.get(q, msg, maxSize);
    if (hit) return { res: hit, written: true };
    const a = await this.resolve(msg, q, maxSize, transport);
    // (what no plugin wrote, the server's own SERVFAIL or REFUSED, passes no cache)
    return a.written ? { res: cache.put(q, msg, a.res), written: true } : a;
  }

  /** The answer from the cluster's records, or from upstream. */
  private async resolve(msg: Buffer, q: Query, maxSize: number, transport: 'udp' | 'tcp'): Promise<{ res: Buffer; written: boolean }> {
    const question = q.questions[0]!;
    const local = this.records.answer(question.name, question.type);
    if (local) {
      this.counts.cluster++;
      // An ExternalName's CNAME points outside the cluster: resolve its target upstream, as
      // CoreDNS does, because stub resolvers do not chase CNAMEs themselves. (The records follow
      // a target inside the zone themselves; the last CNAME of such a chain may leave it.)
      const last = local.answers[local.answers.length - 1];
      const cname = last?.type === RecordType.CNAME && question.type !== RecordType.CNAME ? last.target : undefined;
      if (cname && !this.records.answer(cname, question.type)) {
        // Best effort: an upstream that fails or answers garbage leaves the CNAME alone.
        try {
          local.answers.push(...decodeResponse(await this.forward(encodeQuery(q.id, cname, question.type), false)).answers);
        } catch (e) {
          log.debug('resolving an ExternalName target failed', { name: cname, error: (e as Error).message });
        }
      }
      // loadbalance, as in kubeadm's Corefile: a successful answer's addresses in a random order.
      return { res: encodeResponse(q, local.rcode === Rcode.NoError ? { ...local, answers: roundRobin(local.answers) } : local, maxSize), written: true };
    }
    try {
      const res = await this.forward(msg, transport === 'tcp', maxSize);
      this.counts.forwarded++;
      return { res, written: true };
    } catch (e) {
      if (e instanceof ForwardLimitError) {
        this.counts.refused++;
        this.opts.metrics?.maxConcurrentReject();
        return { res: encodeError(q, Rcode.Refused), written: false };
      }
      this.counts.failed++;
      log.debug('forwarding failed', { name: question.name, error: (e as Error).message });
      return { res: encodeError(q, Rcode.ServFail), written: false };
    }
  }

  /**
   * Sends the query to each upstream in turn until one answers: over TCP when asked, else over
   * UDP and, when that comes back truncated, again over TCP — whose answer is used only if it
   * fits `maxSize` (what the UDP client can take); otherwise the client gets the truncated one
   * and asks again over TCP itself.
   */
  private async forward(msg: Buffer, tcp: boolean, maxSize = 65535): Promise<Buffer> {
    if (!this.opts.upstreams.length) throw new Error('no upstream resolvers');
    const max = this.opts.maxConcurrentForwards ?? 1000;
    if (this.forwarding >= max) throw new ForwardLimitError(`${max} queries are being forwarded already`);
    this.forwarding++;
    try {
      return await this.forwardToUpstreams(msg, tcp, maxSize);
    } finally {
      this.forwarding--;
    }
  }

  private async forwardToUpstreams(msg: Buffer, tcp: boolean, maxSize: number): Promise<Buffer> {
    let last: Error = new Error('no upstream answered');
    for (const u of this.opts.upstreams) {
      const [host, port] = splitHostPort(u);
      const timeoutMs = this.opts.upstreamTimeoutMs ?? 2000;
      const to = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      // (the forward plugin's proxy times each exchange an upstream answers)
      const exchange = async (over: typeof udpExchange): Promise<Buffer> => {
        const start = this.opts.metrics ? process.hrtime.bigint() : 0n;
        const res = await over(host, port, msg, timeoutMs);
        this.opts.metrics?.upstreamExchange(to, res.length >= 4 ? res[3]! & 0xf : Rcode.FormErr, start);
        return res;
      };
      try {
        if (tcp) return await exchange(tcpExchange);
        const res = await exchange(udpExchange);
        if (!(res.length >= 3 && res[2]! & 0x02)) return res;
        const full = await exchange(tcpExchange).catch(() => undefined);
        return full && full.length <= maxSize ? full : res;
      } catch (e) {
        last = e as Error;
      }
    }
    throw last;
  }
}

function splitHostPort(u: string): [string, number] {
  const m = /^(.*):(\d+)$/.exec(u);
  return m && !m[1]!.includes(':') ? [m[1]!, Number(m[2])] : [u, 53];
}

function udpExchange(host: string, port: number, msg: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
    const id = msg.readUInt16BE(0);
    const done = (err: Error | undefined, res?: Buffer) => {
      clearTimeout(timer);
      s.close();
      if (err) reject(err);
      else resolve(res!);
    };
    const timer = setTimeout(() => done(new Error(`${host}:${port}: no answer in ${timeoutMs} ms`)), timeoutMs);
    s.on('error', (e) => done(e));
    s.on('message', (res) => {
      if (res.length >= 2 && res.readUInt16BE(0) === id) done(undefined, res);
    });
    s.send(msg, port, host);
  });
}

function tcpExchange(host: string, port: number, msg: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const c = connect({ host, port });
    let buf = Buffer.alloc(0);
    const done = (err: Error | undefined, res?: Buffer) => {
      clearTimeout(timer);
      c.destroy();
      if (err) reject(err);
      else resolve(res!);
    };
    const timer = setTimeout(() => done(new Error(`${host}:${port} (tcp): no answer in ${timeoutMs} ms`)), timeoutMs);
    c.on('error', (e) => done(e));
    c.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(msg.length);
      c.write(Buffer.concat([len, msg]));
    });
    c.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(undefined, buf.subarray(2, 2 + buf.readUInt16BE(0)));
    });
    c.on('end', () => done(new Error(`${host}:${port} (tcp): closed before answering`)));
  });
}
