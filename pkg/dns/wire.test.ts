import { describe, expect, it } from 'vitest';
import { decodeQuery, decodeResponse, DnsFormatError, encodeError, encodeQuery, encodeResponse, Rcode, RecordType } from './wire.js';

describe('DNS wire format', () => {
  it('round-trips a query and an answer of each record type', () => {
    const q = decodeQuery(encodeQuery(0x1234, 'web.default.svc.cluster.local', RecordType.A));
    expect(q).toMatchObject({ id: 0x1234, opcode: 0, recursionDesired: true, udpSize: 512, questions: [{ name: 'web.default.svc.cluster.local', type: 1, class: 1 }] });
    const answers = [
      { name: 'a.x', ttl: 5, type: RecordType.A, address: '10.96.0.1' },
      { name: 'b.x', ttl: 5, type: RecordType.AAAA, address: 'fd00:0:0:0:0:0:0:1' },
      { name: 'c.x', ttl: 5, type: RecordType.CNAME, target: 'example.org' },
      { name: 'd.x', ttl: 5, type: RecordType.SRV, priority: 0, weight: 100, port: 80, target: 'web.x' },
      { name: 'e.x', ttl: 5, type: RecordType.PTR, target: 'web.x' },
      { name: 'f.x', ttl: 5, type: RecordType.TXT, text: '1.1.0' },
    ] as const;
    const res = decodeResponse(encodeResponse(q, { rcode: Rcode.NoError, authoritative: true, answers: [...answers], authority: [] }));
    expect(res).toMatchObject({ id: 0x1234, rcode: 0, authoritative: true, truncated: false });
    expect(res.answers).toEqual(answers);
  });

  it('expands ::, and follows compression pointers in questions', () => {
    const res = decodeResponse(encodeResponse(decodeQuery(encodeQuery(1, 'x', RecordType.AAAA)), { rcode: 0, authoritative: true, answers: [{ name: 'x', ttl: 1, type: RecordType.AAAA, address: 'fd00::a:1' }], authority: [] }));
    expect(res.answers[0]).toMatchObject({ address: 'fd00:0:0:0:0:0:a:1' });
    // Two questions, the second "b.example" pointing at the first's "example" label.
    const msg = Buffer.concat([Buffer.from([0, 7, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0]), Buffer.from([1, 97, 7, ...Buffer.from('example'), 0, 0, 1, 0, 1]), Buffer.from([1, 98, 0xc0, 14, 0, 1, 0, 1])]);
    expect(decodeQuery(msg).questions.map((x) => x.name)).toEqual(['a.example', 'b.example']);
  });

  it('rejects malformed messages with a format error, never a crash or a loop', () => {
    expect(() => decodeQuery(Buffer.alloc(5))).toThrow(DnsFormatError);
    const loop = Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    expect(() => decodeQuery(loop)).toThrow(/loop/);
    const past = Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 40, 97]);
    expect(() => decodeQuery(past)).toThrow(DnsFormatError);
    const response = encodeError(9, Rcode.ServFail);
    expect(() => decodeQuery(response)).toThrow(/response/);
  });

  it('reads the EDNS payload size, and compresses and truncates what does not fit', () => {
    const base = encodeQuery(3, 'big.x', RecordType.A);
    base.writeUInt16BE(1, 10); // ARCOUNT 1: an OPT record advertising 1232 bytes
    const opt = Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]);
    const q = decodeQuery(Buffer.concat([base, opt]));
    expect(q.udpSize).toBe(1232);
    const many = Array.from({ length: 100 }, (_, i) => ({ name: 'big.x', ttl: 5, type: RecordType.A, address: `10.0.0.${i}` }) as const);
    // Too big for 512 bytes: its names compressed (each address's name a pointer to the
    // question's), as many addresses as then fit, and TC, as miekg/dns's Truncate leaves it.
    const smallMsg = encodeResponse(q, { rcode: 0, authoritative: true, answers: many, authority: [] }, 512);
    const small = decodeResponse(smallMsg);
    expect(smallMsg.length).toBeLessThanOrEqual(512);
    expect(small).toMatchObject({ truncated: true, answers: many.slice(0, 30) });
    expect(small.answers).toHaveLength(30);
    expect(decodeResponse(encodeResponse(q, { rcode: 0, authoritative: true, answers: many, authority: [] })).answers).toHaveLength(100);
    // Answers go first, then additional records while they fit; TC when any is left out.
    const dropped = encodeResponse(q, { rcode: 0, authoritative: true, answers: many.slice(0, 10), authority: [], additional: many }, 512);
    expect(dropped.readUInt16BE(10)).toBe(20); // ARCOUNT
    expect(decodeResponse(dropped)).toMatchObject({ truncated: true, answers: many.slice(0, 10) });
    // What fits whole is written whole, uncompressed, without TC.
    const fits = encodeResponse(q, { rcode: 0, authoritative: true, answers: many.slice(0, 10), authority: [] }, 512);
    expect(fits.length).toBe(23 + 10 * (7 + 10 + 4));
    expect(decodeResponse(fits)).toMatchObject({ truncated: false, answers: many.slice(0, 10) });
  });
});
