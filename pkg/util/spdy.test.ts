import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SPDY3_DICTIONARY } from './spdy-dictionary.js';
import { decodeHeaderBlock, encodeFrame, encodeHeaderBlock, FLAG_FIN, FrameReader, HeaderCompressor, HeaderDecompressor, SpdyProtocolError, type Frame } from './spdy.js';

function adler32(b: Buffer): number {
  let a = 1;
  let s = 0;
  for (const x of b) {
    a = (a + x) % 65521;
    s = (s + a) % 65521;
  }
  return ((s << 16) | a) >>> 0;
}

const frames: Frame[] = [
  { type: 'data', streamId: 3, flags: FLAG_FIN, data: Buffer.from('hello') },
  { type: 'data', streamId: 0x7fffffff, flags: 0, data: Buffer.alloc(0) },
  { type: 'syn_stream', streamId: 1, associatedTo: 0, priority: 7, slot: 0, flags: 0, headerBlock: Buffer.from([1, 2, 3]) },
  { type: 'syn_reply', streamId: 1, flags: FLAG_FIN, headerBlock: Buffer.from([9]) },
  { type: 'headers', streamId: 5, flags: 0, headerBlock: Buffer.alloc(0) },
  { type: 'rst_stream', streamId: 5, status: 5 },
  { type: 'settings', flags: 1, entries: [{ flags: 0, id: 4, value: 100 }, { flags: 1, id: 7, value: 65536 }] },
  { type: 'ping', id: 0xfffffffe },
  { type: 'goaway', lastGoodStreamId: 9, status: 2 },
  { type: 'window_update', streamId: 1, delta: 0x7fffffff },
  { type: 'unknown', frameType: 10, flags: 0, payload: Buffer.from('credential') },
];

describe('SPDY/3 framing', () => {
  it('encodes the wire layout of section 2.2', () => {
    // control bit, version 3, type 6; flags 0, length 4; the id
    expect(encodeFrame({ type: 'ping', id: 1 }).toString('hex')).toBe('80030006' + '00000004' + '00000001');
    // data: stream id, FIN flag and length, payload
    expect(encodeFrame({ type: 'data', streamId: 3, flags: FLAG_FIN, data: Buffer.from('ab') }).toString('hex')).toBe('00000003' + '01000002' + '6162');
    // SYN_STREAM: id, associated id, priority in the top 3 bits, slot
    expect(encodeFrame({ type: 'syn_stream', streamId: 1, associatedTo: 0, priority: 2, slot: 0, flags: 0, headerBlock: Buffer.alloc(0) }).toString('hex')).toBe('80030001' + '0000000a' + '00000001' + '00000000' + '4000');
  });

  it('decodes every frame it encodes, whole or a byte at a time', () => {
    const wire = Buffer.concat(frames.map(encodeFrame));
    expect(new FrameReader().push(wire)).toEqual(frames);
    const r = new FrameReader();
    const got: Frame[] = [];
    for (const byte of wire) got.push(...r.push(Buffer.from([byte])));
    expect(got).toEqual(frames);
    expect(r.pending).toBe(0);
  });

  it('rejects another SPDY version, oversized frames and malformed fixed-size frames', () => {
    const v2 = Buffer.from('80020006000000040000000' + '1', 'hex');
    expect(() => new FrameReader().push(v2)).toThrow(/unsupported SPDY version 2/);
    const big = encodeFrame({ type: 'data', streamId: 1, flags: 0, data: Buffer.alloc(2000) });
    expect(() => new FrameReader(1024).push(big.subarray(0, 8))).toThrow(SpdyProtocolError);
    const badPing = Buffer.from('8003000600000003000000', 'hex');
    expect(() => new FrameReader().push(badPing)).toThrow(/PING frame with a payload of 3 bytes/);
  });
});

describe('SPDY/3 header blocks', () => {
  it('round-trips names (lowercased) and NUL-separated values', () => {
    const b = encodeHeaderBlock({ StreamType: ['data'], port: ['8080'], multi: ['a', 'b'] });
    expect(decodeHeaderBlock(b)).toEqual({ streamtype: ['data'], port: ['8080'], multi: ['a', 'b'] });
    expect(decodeHeaderBlock(encodeHeaderBlock({}))).toEqual({});
    expect(() => decodeHeaderBlock(b.subarray(0, b.length - 2))).toThrow(SpdyProtocolError);
  });

  it('uses the section 2.6.10.1 dictionary, byte for byte', () => {
    expect(SPDY3_DICTIONARY.length).toBe(1423);
    expect(adler32(SPDY3_DICTIONARY)).toBe(0xe3c6a7c2);
    expect(SPDY3_DICTIONARY.subarray(0, 11).toString('latin1')).toBe('\0\0\0\x07options');
    expect(SPDY3_DICTIONARY.subarray(-7).toString('latin1')).toBe(',enq=0.');
  });

  it('compresses with one zlib stream per direction: blocks decode in order, and only in order', async () => {
    const c = new HeaderCompressor();
    const d = new HeaderDecompressor();
    const h1 = { streamtype: ['error'], port: ['8080'], requestid: ['0'] };
    const h2 = { streamtype: ['data'], port: ['8080'], requestid: ['0'] };
    const b1 = await c.compress(h1);
    const b2 = await c.compress(h2);
    // zlib header with FDICT set, then the dictionary's Adler-32 (RFC 1950)
    expect(b1[0]! & 0x0f).toBe(8);
    expect(b1[1]! & 0x20).toBe(0x20);
    expect(b1.readUInt32BE(2)).toBe(0xe3c6a7c2);
    // every block ends in a sync flush marker
    for (const b of [b1, b2]) expect(b.subarray(-4).toString('hex')).toBe('0000ffff');
    // the second block leans on the first: shorter, and no zlib header of its own
    expect(b2.length).toBeLessThan(b1.length);
    expect(await d.decompress(b1)).toEqual(h1);
    expect(await d.decompress(b2)).toEqual(h2);
    // a fresh one-shot inflate of block 1 alone, with the dictionary, agrees
    expect(decodeHeaderBlock(inflateSync(b1, { dictionary: SPDY3_DICTIONARY, finishFlush: 2 }))).toEqual(h1);
    // concurrent calls keep their order
    const many = await Promise.all(Array.from({ length: 20 }, (_, i) => c.compress({ requestid: [String(i)] })));
    const back = [];
    for (const b of many) back.push(await d.decompress(b));
    expect(back.map((h) => h.requestid![0])).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    c.close();
    d.close();
  });

  it('a block out of its stream is a session error', async () => {
    const c = new HeaderCompressor();
    await c.compress({ a: ['1'] });
    const second = await c.compress({ b: ['2'] });
    const d = new HeaderDecompressor();
    await expect(d.decompress(second)).rejects.toThrow(SpdyProtocolError);
    c.close();
    d.close();
  });
});
