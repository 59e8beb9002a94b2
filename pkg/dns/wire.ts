// The DNS message format (RFC 1035 §4), as much of it as a cluster DNS server needs: a query's
// header and questions are decoded (compression pointers followed), and answers are encoded with
// the A, AAAA, CNAME, PTR, SRV, TXT and SOA record types. Names are compressed only in an answer
// that does not fit whole, as miekg/dns packs CoreDNS's.

import { ipBytes } from '../util/ip-string.js';

export const RecordType = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, ANY: 255 } as const;
export const Rcode = { NoError: 0, FormErr: 1, ServFail: 2, NXDomain: 3, NotImp: 4, Refused: 5 } as const;
const CLASS_IN = 1;
const OPCODE_QUERY = 0;

export class DnsFormatError extends Error {}

export interface Question {
  /** As sent, without the trailing dot. */
  name: string;
  type: number;
  class: number;
}

export interface Query {
  id: number;
  opcode: number;
  recursionDesired: boolean;
  questions: Question[];
  /** The UDP payload size the client advertised in an EDNS OPT record (512 without one). */
  udpSize: number;
  /** The DO bit of that OPT record (DNSSEC answers wanted). */
  dnssecOk?: boolean;
}

export type RecordData =
  | { type: typeof RecordType.A | typeof RecordType.AAAA; address: string }
  | { type: typeof RecordType.CNAME | typeof RecordType.PTR | typeof RecordType.NS; target: string }
  | { type: typeof RecordType.SRV; priority: number; weight: number; port: number; target: string }
  | { type: typeof RecordType.TXT; text: string }
  | { type: typeof RecordType.SOA; mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number };

export type ResourceRecord = RecordData & { name: string; ttl: number };

export interface Response {
  rcode: number;
  authoritative: boolean;
  answers: ResourceRecord[];
  authority: ResourceRecord[];
  additional?: ResourceRecord[];
}

/** Reads a (possibly compressed) name at `off`; returns it and the offset after it in place. */
function readName(buf: Buffer, off: number): [string, number] {
  const labels: string[] = [];
  let end = -1;
  let jumps = 0;
  for (;;) {
    if (off >= buf.length) throw new DnsFormatError('name runs past the message');
    const len = buf[off]!;
    if (len === 0) {
      off++;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (off + 1 >= buf.length) throw new DnsFormatError('truncated compression pointer');
      if (++jumps > 32) throw new DnsFormatError('compression pointer loop');
      if (end < 0) end = off + 2;
      off = ((len & 0x3f) << 8) | buf[off + 1]!;
      continue;
    }
    if (len & 0xc0) throw new DnsFormatError(`unsupported label type 0x${(len & 0xc0).toString(16)}`);
    if (off + 1 + len > buf.length) throw new DnsFormatError('label runs past the message');
    labels.push(buf.toString('latin1', off + 1, off + 1 + len));
    off += 1 + len;
  }
  return [labels.join('.'), end < 0 ? off : end];
}

/** Decodes a query: its header, questions and EDNS payload size. Throws DnsFormatError. */
export function decodeQuery(buf: Buffer): Query {
  if (buf.length < 12) throw new DnsFormatError(`message of ${buf.length} bytes is shorter than a header`);
  const flags = buf.readUInt16BE(2);
  if (flags & 0x8000) throw new DnsFormatError('message is a response, not a query');
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  const ns = buf.readUInt16BE(8);
  const ar = buf.readUInt16BE(10);
  let off = 12;
  const questions: Question[] = [];
  for (let i = 0; i < qd; i++) {
    const [name, next] = readName(buf, off);
    if (next + 4 > buf.length) throw new DnsFormatError('question runs past the message');
    questions.push({ name, type: buf.readUInt16BE(next), class: buf.readUInt16BE(next + 2) });
    off = next + 4;
  }
  let udpSize = 512;
  let dnssecOk = false;
  for (let i = 0; i < an + ns + ar; i++) {
    const [, next] = readName(buf, off);
    if (next + 10 > buf.length) throw new DnsFormatError('record runs past the message');
    const type = buf.readUInt16BE(next);
    const rdlen = buf.readUInt16BE(next + 8);
    if (type === RecordType.OPT) {
      udpSize = Math.max(512, buf.readUInt16BE(next + 2));
      // (the OPT record's TTL: extended rcode, version, then the DO bit leading the flags)
      dnssecOk = !!(buf.readUInt16BE(next + 6) & 0x8000);
    }
    off = next + 10 + rdlen;
    if (off > buf.length) throw new DnsFormatError('record data runs past the message');
  }
  return { id: buf.readUInt16BE(0), opcode: (flags >> 11) & 0xf, recursionDesired: !!(flags & 0x0100), questions, udpSize, dnssecOk };
}

/**
 * A message being written. With a compression map (RFC 1035 §4.1.4), a name whose ending was
 * written before, at an offset a pointer can reach, ends in a pointer to it.
 */
class Writer {
  private buf = Buffer.alloc(512);
  length = 0;
  /** Name endings written so far (as spelled: compression keeps the case) and where. */
  private readonly names: Map<string, number> | undefined;

  constructor(compress = false) {
    if (compress) this.names = new Map();
  }
  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(bigger, 0, 0, this.length);
    this.buf = bigger;
  }
  push(b: Buffer): void {
    this.room(b.length);
    b.copy(this.buf, this.length);
    this.length += b.length;
  }
  u8(n: number): void {
    this.room(1);
    this.buf[this.length++] = n;
  }
  u16(n: number): void {
    this.room(2);
    this.length = this.buf.writeUInt16BE(n, this.length);
  }
  u32(n: number): void {
    this.room(4);
    this.length = this.buf.writeUInt32BE(n >>> 0, this.length);
  }
  setU16(off: number, n: number): void {
    this.buf.writeUInt16BE(n, off);
  }
  /** Writes a name; `compress` false writes it whole and offers it to no later name (an SRV target, as miekg/dns packs it). */
  name(n: string, compress = true): void {
    const labels = n.split('.').filter(Boolean);
    for (let i = 0; i < labels.length; i++) {
      if (this.names && compress) {
        const ending = labels.slice(i).join('.');
        const at = this.names.get(ending);
        if (at !== undefined) return this.u16(0xc000 | at);
        if (this.length < 0x4000) this.names.set(ending, this.length);
      }
      const l = Buffer.from(labels[i]!, 'latin1');
      if (l.length > 63) throw new DnsFormatError(`label "${labels[i]}" is longer than 63 bytes`);
      this.u8(l.length);
      this.push(l);
    }
    this.u8(0);
  }
  /** Forgets what was written from `length` on (names offered there included). */
  rollback(length: number): void {
    this.length = length;
    if (this.names) for (const [k, at] of this.names) if (at >= length) this.names.delete(k);
  }
  done(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}

function rdata(w: Writer, r: RecordData): void {
  switch (r.type) {
    case RecordType.A:
      w.push(Buffer.from(r.address.split('.').map(Number)));
      break;
    case RecordType.AAAA:
      w.push(ipBytes(r.address) ?? Buffer.alloc(16));
      break;
    case RecordType.CNAME:
    case RecordType.PTR:
    case RecordType.NS:
      w.name(r.target);
      break;
    case RecordType.SRV:
      w.u16(r.priority);
      w.u16(r.weight);
      w.u16(r.port);
      w.name(r.target, false);
      break;
    case RecordType.TXT: {
      const t = Buffer.from(r.text);
      for (let i = 0; i < t.length || i === 0; i += 255) {
        const part = t.subarray(i, i + 255);
        w.u8(part.length);
        w.push(part);
      }
      break;
    }
    case RecordType.SOA:
      w.name(r.mname);
      w.name(r.rname);
      for (const n of [r.serial, r.refresh, r.retry, r.expire, r.minimum]) w.u32(n);
      break;
  }
}

function record(w: Writer, r: ResourceRecord): void {
  w.name(r.name);
  w.u16(r.type);
  w.u16(CLASS_IN);
  w.u32(r.ttl);
  const lengthAt = w.length;
  w.u16(0);
  rdata(w, r);
  w.setU16(lengthAt, w.length - lengthAt - 2);
}

/**
 * Encodes the response to `q`, as CoreDNS's server writes it through request.Scrub and miekg/dns's
 * Msg.Truncate: whole and uncompressed when it fits `maxSize` (what a UDP client takes, 512 at
 * least); else with its names compressed, and as many of its records as then fit, answers first,
 * then authority, then additional records, TC set when any is left out, so the client can ask
 * again over TCP for the rest.
 */
export function encodeResponse(q: Query, res: Response, maxSize = 65535): Buffer {
  const size = Math.max(maxSize, 512);
  const whole = pack(q, res, false, Infinity);
  return whole.length <= size ? whole : pack(q, res, true, size);
}

function pack(q: Query, res: Response, compress: boolean, size: number): Buffer {
  const w = new Writer(compress);
  w.u16(q.id);
  // QR, opcode echoed, AA, RD echoed, RA (we recurse for names outside the cluster); TC below.
  const flags = 0x8000 | (q.opcode << 11) | (res.authoritative ? 0x0400 : 0) | (q.recursionDesired ? 0x0100 : 0) | 0x0080 | (res.rcode & 0xf);
  w.u16(flags);
  w.u16(q.questions.length);
  for (let i = 0; i < 3; i++) w.u16(0);
  for (const qq of q.questions) {
    w.name(qq.name);
    w.u16(qq.type);
    w.u16(qq.class);
  }
  const sections = [res.answers, res.authority, res.additional ?? []];
  let left = false;
  sections.forEach((records, i) => {
    let n = 0;
    for (const r of records) {
      if (left) break;
      const mark = w.length;
      record(w, r);
      if (w.length > size) {
        w.rollback(mark);
        left = true;
        break;
      }
      n++;
    }
    w.setU16(6 + 2 * i, n);
  });
  if (left) w.setU16(2, flags | 0x0200);
  return w.done();
}

/** An error answer (FORMERR, SERVFAIL, NOTIMP...) to a query, or to a message that would not decode. */
export function encodeError(idOrQuery: number | Query, rcode: number): Buffer {
  const q: Query = typeof idOrQuery === 'number' ? { id: idOrQuery, opcode: OPCODE_QUERY, recursionDesired: false, questions: [], udpSize: 512 } : idOrQuery;
  return encodeResponse(q, { rcode, authoritative: false, answers: [], authority: [] });
}

/** Encodes a query (for tests and the upstream health of a forwarder). */
export function encodeQuery(id: number, name: string, type: number): Buffer {
  const w = new Writer();
  w.u16(id);
  w.u16(0x0100);
  w.u16(1);
  w.u16(0);
  w.u16(0);
  w.u16(0);
  w.name(name);
  w.u16(type);
  w.u16(CLASS_IN);
  return w.done();
}

/** Decodes a response's rcode, flags and answers (A, AAAA, CNAME, PTR, SRV, TXT): for tests and clients. */
export function decodeResponse(buf: Buffer): { id: number; rcode: number; truncated: boolean; authoritative: boolean; answers: ResourceRecord[]; authority: ResourceRecord[] } {
  if (buf.length < 12) throw new DnsFormatError('short response');
  const flags = buf.readUInt16BE(2);
  const counts = [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8)];
  let off = 12;
  for (let i = 0; i < counts[0]!; i++) off = readName(buf, off)[1] + 4;
  const read = (n: number) => {
    const out: ResourceRecord[] = [];
    for (let i = 0; i < n; i++) {
      const [name, next] = readName(buf, off);
      const type = buf.readUInt16BE(next);
      const ttl = buf.readUInt32BE(next + 4);
      const len = buf.readUInt16BE(next + 8);
      const d = next + 10;
      off = d + len;
      const base = { name, ttl };
      if (type === RecordType.A) out.push({ ...base, type, address: [...buf.subarray(d, d + 4)].join('.') });
      else if (type === RecordType.AAAA) out.push({ ...base, type, address: Array.from({ length: 8 }, (_, j) => buf.readUInt16BE(d + j * 2).toString(16)).join(':') });
      else if (type === RecordType.CNAME || type === RecordType.PTR || type === RecordType.NS) out.push({ ...base, type, target: readName(buf, d)[0] });
      else if (type === RecordType.SRV) out.push({ ...base, type, priority: buf.readUInt16BE(d), weight: buf.readUInt16BE(d + 2), port: buf.readUInt16BE(d + 4), target: readName(buf, d + 6)[0] });
      else if (type === RecordType.TXT) out.push({ ...base, type, text: buf.toString('utf8', d + 1, d + 1 + buf[d]!) });
      else if (type === RecordType.SOA) {
        const [mname, a] = readName(buf, d);
        const [rname, b] = readName(buf, a);
        out.push({ ...base, type, mname, rname, serial: buf.readUInt32BE(b), refresh: buf.readUInt32BE(b + 4), retry: buf.readUInt32BE(b + 8), expire: buf.readUInt32BE(b + 12), minimum: buf.readUInt32BE(b + 16) });
      }
    }
    return out;
  };
  const answers = read(counts[1]!);
  const authority = read(counts[2]!);
  return { id: buf.readUInt16BE(0), rcode: flags & 0xf, truncated: !!(flags & 0x0200), authoritative: !!(flags & 0x0400), answers, authority };
}
