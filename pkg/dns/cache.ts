// The answer cache of kubeadm's Corefile, `cache 30 { disable success <zone>; disable denial <zone> }`
// (phases/addons/dns/manifests.go CoreDNSConfigMap), as CoreDNS 1.11's cache plugin keeps it
// (plugin/cache: handler.go, cache.go, item.go): every answer's records leave with one TTL, the
// smallest of its records (dnsutil.MinimalTTL) held between 5 and 30 s (5 s for a SERVFAIL or
// NOTIMP); answers outside the cluster zone are kept that long, positive ones (answers, referrals)
// and negative ones (NXDOMAIN, NODATA, SERVFAIL, NOTIMP) apart, keyed by name, type and the DO and
// CD bits, and a later query within it is answered from here (authoritative, the TTL counted
// down) without asking upstream again. Truncated answers and other errors are not kept; the
// cluster zone's own answers never are, so a changed Service is seen at once.
// Stored as the wire messages themselves: TTLs are rewritten in place, so no record type needs
// decoding. Each cache holds at most `capacity` answers, dropping the oldest past it (CoreDNS drops
// a random one).
import type { DnsMetrics } from './metrics.js';
import { Rcode, RecordType, type Query } from './wire.js';

export interface DnsCacheOptions {
  /** The Corefile's `cache 30`: the longest an answer is kept, in seconds. */
  maxTTL?: number;
  /** Zones whose answers are never kept (disable success/denial). */
  except?: string[];
  /** Answers per cache (plugin/cache defaultCap). */
  capacity?: number;
  /** Milliseconds now (Date.now). */
  now?: () => number;
}

/** dnsutil.MinimalDefaultTTL and the cache's minimum TTLs: 5 s. */
const MIN_TTL = 5;
/** dnsutil.MaximumDefaulTTL: 1 h. */
const MAX_DEFAULT_TTL = 3600;
const DEFAULT_CAPACITY = 10_000;

type Kind = 'success' | 'denial';

interface Item {
  msg: Buffer;
  /** Offsets of each record's TTL, but OPT's. */
  ttlOffsets: number[];
  ttl: number;
  storedMs: number;
}

/** A message's layout: where its question ends and where each record's TTL is (OPT apart). */
interface Layout {
  questionEnd: number;
  ttlOffsets: number[];
  /** TTLs of the records (not OPT) in order. */
  ttls: number[];
  authorityTypes: number[];
  answers: number;
  /** Where the last record, when it is an OPT, starts. */
  optAt?: number;
}

function skipName(buf: Buffer, off: number): number {
  for (let n = 0; n < 128; n++) {
    if (off >= buf.length) throw new RangeError('name runs past the message');
    const len = buf[off]!;
    if (len === 0) return off + 1;
    if ((len & 0xc0) === 0xc0) return off + 2;
    off += 1 + len;
  }
  throw new RangeError('name too long');
}

/** The layout of a message with one question; undefined when it does not parse. */
export function layout(buf: Buffer): Layout | undefined {
  try {
    if (buf.length < 12 || buf.readUInt16BE(4) !== 1) return undefined;
    const [an, ns, ar] = [buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)];
    let off = skipName(buf, 12) + 4;
    const questionEnd = off;
    const out: Layout = { questionEnd, ttlOffsets: [], ttls: [], authorityTypes: [], answers: an };
    for (let i = 0; i < an + ns + ar; i++) {
      const start = off;
      const next = skipName(buf, off);
      if (next + 10 > buf.length) return undefined;
      const type = buf.readUInt16BE(next);
      off = next + 10 + buf.readUInt16BE(next + 8);
      if (off > buf.length) return undefined;
      if (i >= an && i < an + ns) out.authorityTypes.push(type);
      if (type === RecordType.OPT) {
        if (i === an + ns + ar - 1) out.optAt = start;
        continue;
      }
      out.ttlOffsets.push(next + 4);
      out.ttls.push(buf.readUInt32BE(next + 4));
    }
    return off === buf.length ? out : undefined;
  } catch {
    return undefined;
  }
}

/** response.Typify's classes, for what the cache does with each. */
function kindOf(rcode: number, l: Layout): { kind: Kind; minimal: boolean } | undefined {
  if (rcode === Rcode.NoError && l.answers > 0) return { kind: 'success', minimal: true };
  const soa = l.authorityTypes.includes(RecordType.SOA);
  if (soa && rcode === Rcode.NoError) return { kind: 'denial', minimal: true };
  if (soa && rcode === Rcode.NXDomain) return { kind: 'denial', minimal: true };
  if (rcode === Rcode.ServFail || rcode === Rcode.NotImp) return { kind: 'denial', minimal: false };
  // (a referral: its TTL is the fail-safe minimum)
  if (l.authorityTypes.includes(RecordType.NS) && rcode === Rcode.NoError) return { kind: 'success', minimal: false };
  if (rcode === Rcode.NoError) return { kind: 'success', minimal: true };
  return undefined;
}

export class DnsCache {
  private readonly caches: Record<Kind, Map<string, Item>> = { success: new Map(), denial: new Map() };
  private readonly maxTTL: number;
  private readonly except: string[];
  private readonly capacity: number;
  private readonly now: () => number;

  constructor(opts: DnsCacheOptions = {}, private readonly metrics?: DnsMetrics) {
    this.maxTTL = opts.maxTTL ?? 30;
    this.except = (opts.except ?? []).map((z) => z.toLowerCase().replace(/\.$/, ''));
    this.capacity = opts.capacity ?? DEFAULT_CAPACITY;
    this.now = opts.now ?? Date.now;
  }

  /** Entries kept, by kind (the coredns_cache_entries gauge). */
  size(kind: Kind): number {
    return this.caches[kind].size;
  }

  /**
   * The cached answer to `q` (`msg` as it came), or undefined: getIgnoreTTL, denials first. A hit
   * is the stored answer with the query's ID, question and RD and CD bits, authoritative, its
   * TTLs what is left of them; over UDP one bigger than `maxSize` goes back truncated (truncate).
   */
  get(q: Query, msg: Buffer, maxSize: number): Buffer | undefined {
    this.metrics?.cacheRequest();
    const key = keyOf(q, msg);
    const nowMs = this.now();
    for (const kind of ['denial', 'success'] as const) {
      const it = this.caches[kind].get(key);
      if (!it) continue;
      const left = it.ttl - Math.floor((nowMs - it.storedMs) / 1000);
      if (left <= 0) continue;
      this.metrics?.cacheHit(kind);
      return reply(it, left, msg, !!q.dnssecOk, maxSize);
    }
    this.metrics?.cacheMiss();
    return undefined;
  }

  /**
   * An answer on its way to the client (ResponseWriter.WriteMsg): its records' TTLs all set to the
   * time it may be kept, and kept that long unless truncated, an error other than SERVFAIL or
   * NOTIMP, or of an excepted zone. Returns the message to send (changed in place).
   */
  put(q: Query, msg: Buffer, res: Buffer): Buffer {
    const l = layout(res);
    if (!l || res.readUInt16BE(0) !== q.id) {
      this.metrics?.cacheDrop();
      return res;
    }
    const kind = kindOf(res[3]! & 0xf, l);
    // (errors, referrals: MinimalTTL's fail-safe 5 s, and failttl's 5 s for SERVFAIL and NOTIMP)
    const ttl = clamp(kind?.minimal ? minimalTTL(l) : MIN_TTL, this.maxTTL);
    for (const off of l.ttlOffsets) res.writeUInt32BE(ttl, off);
    const truncated = !!(res[2]! & 0x02);
    const name = q.questions[0]!.name.toLowerCase().replace(/\.$/, '');
    if (!kind || truncated || ttl <= 0 || this.except.some((z) => name === z || name.endsWith(`.${z}`))) return res;
    // (the stored copy without the OPT record, as newItem leaves it out)
    const stored = Buffer.from(l.optAt !== undefined ? res.subarray(0, l.optAt) : res);
    if (l.optAt !== undefined) stored.writeUInt16BE(stored.readUInt16BE(10) - 1, 10);
    const cache = this.caches[kind.kind];
    const key = keyOf(q, msg);
    cache.delete(key);
    if (cache.size >= this.capacity) {
      cache.delete(cache.keys().next().value!);
      this.metrics?.cacheEviction(kind.kind);
    }
    cache.set(key, { msg: stored, ttlOffsets: l.ttlOffsets, ttl, storedMs: this.now() });
    this.metrics?.cacheEntries(kind.kind, cache.size);
    return res;
  }
}

/** hash(): the name (lowercased), type, and the DO and CD bits. */
function keyOf(q: Query, msg: Buffer): string {
  const question = q.questions[0]!;
  const cd = msg.length >= 4 && !!(msg[3]! & 0x10);
  return `${q.dnssecOk ? 1 : 0}${cd ? 1 : 0}${question.type}/${question.name.toLowerCase().replace(/\.$/, '')}`;
}

/** computeTTL(msgTTL, 5 s, max). */
function clamp(ttl: number, max: number): number {
  return Math.min(Math.max(ttl, MIN_TTL), max);
}

/** dnsutil.MinimalTTL: the smallest TTL of the records, OPT apart (5 s for none, 1 h at most). */
function minimalTTL(l: Layout): number {
  if (!l.ttls.length) return MIN_TTL;
  return Math.min(MAX_DEFAULT_TTL, ...l.ttls);
}

/** item.toMsg for the query `msg`. */
function reply(it: Item, ttl: number, msg: Buffer, dnssecOk: boolean, maxSize: number): Buffer {
  const l = layout(msg);
  const questionEnd = layout(it.msg)!.questionEnd;
  // (the query's own question: its name as the client spelled it, the same length as the stored one's)
  const question = l && l.questionEnd - 12 === questionEnd - 12 ? msg.subarray(12, l.questionEnd) : it.msg.subarray(12, questionEnd);
  const out = Buffer.concat([it.msg.subarray(0, 12), question, it.msg.subarray(questionEnd)]);
  out.writeUInt16BE(msg.readUInt16BE(0), 0);
  // QR, the stored opcode and RA and rcode; AA; the query's RD and CD; AD only when the stored answer had it and DO or AD was asked
  const qflags = msg.readUInt16BE(2);
  const sflags = it.msg.readUInt16BE(2);
  const doOrAd = !!(qflags & 0x0020) || dnssecOk;
  out.writeUInt16BE(0x8000 | (sflags & 0x7800) | 0x0400 | (qflags & 0x0100) | (sflags & 0x0080) | (doOrAd ? sflags & 0x0020 : 0) | (qflags & 0x0010) | (sflags & 0x000f), 2);
  for (const off of it.ttlOffsets) out.writeUInt32BE(ttl, off);
  return out.length <= maxSize ? out : truncate(out, 12 + question.length, maxSize);
}

/**
 * Msg.Truncate over a kept answer too big for its UDP client (the server's ScrubWriter truncates
 * cached answers as any other): as many of its records as fit in `maxSize`, answers first, then
 * authority, then additional records, TC set. The kept message is cut at a record's end, so its
 * names stay as they were written (compressed or not: miekg/dns compresses them before counting,
 * which fits more records only when the upstream did not); a compression pointer only points
 * back, so what is kept still reads.
 */
function truncate(out: Buffer, questionEnd: number, maxSize: number): Buffer {
  const counts = [out.readUInt16BE(6), out.readUInt16BE(8), out.readUInt16BE(10)];
  const kept = [0, 0, 0];
  let end = questionEnd;
  let off = questionEnd;
  walk: for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s]!; i++) {
      const next = skipName(out, off);
      off = next + 10 + out.readUInt16BE(next + 8);
      if (off > maxSize) break walk;
      end = off;
      kept[s] = kept[s]! + 1;
    }
  }
  const tc = Buffer.from(out.subarray(0, end));
  tc.writeUInt16BE(tc.readUInt16BE(2) | 0x0200, 2);
  kept.forEach((n, s) => tc.writeUInt16BE(n, 6 + 2 * s));
  return tc;
}
