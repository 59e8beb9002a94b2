// SPDY/3.1 framing (SPDY Protocol draft 3, section 2): the wire format kubectl port-forward
// speaks (client-go's moby/spdystream), on a raw upgraded connection or tunneled in websocket
// binary messages. Frames are encoded and decoded here; what they mean to a session is the
// caller's business. Header blocks travel compressed: one zlib stream per direction for the
// whole connection, primed with the section 2.6.10.1 dictionary, sync-flushed after each block.
import { constants as zc, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';
import { SPDY3_DICTIONARY } from './spdy-dictionary.js';

export const SPDY_VERSION = 3;

/** Control frame types (section 2.6). */
export const FrameType = { SynStream: 1, SynReply: 2, RstStream: 3, Settings: 4, Ping: 6, GoAway: 7, Headers: 8, WindowUpdate: 9 } as const;

/** FLAG_FIN on DATA, SYN_STREAM, SYN_REPLY and HEADERS; FLAG_UNIDIRECTIONAL on SYN_STREAM. */
export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;

/** RST_STREAM status codes (section 2.6.3). */
export const RstStatus = { ProtocolError: 1, InvalidStream: 2, RefusedStream: 3, UnsupportedVersion: 4, Cancel: 5, InternalError: 6, FlowControlError: 7, StreamInUse: 8, StreamAlreadyClosed: 9, FrameTooLarge: 11 } as const;

/** GOAWAY status codes (section 2.6.6). */
export const GoAwayStatus = { Ok: 0, ProtocolError: 1, InternalError: 2 } as const;

/** SETTINGS_INITIAL_WINDOW_SIZE (section 2.6.4). */
export const SETTINGS_INITIAL_WINDOW_SIZE = 7;

/** The largest frame payload the 24-bit length field can carry. */
export const MAX_FRAME_LENGTH = 0xffffff;

export type Frame =
  | { type: 'data'; streamId: number; flags: number; data: Buffer }
  | { type: 'syn_stream'; streamId: number; associatedTo: number; priority: number; slot: number; flags: number; headerBlock: Buffer }
  | { type: 'syn_reply'; streamId: number; flags: number; headerBlock: Buffer }
  | { type: 'rst_stream'; streamId: number; status: number }
  | { type: 'settings'; flags: number; entries: { flags: number; id: number; value: number }[] }
  | { type: 'ping'; id: number }
  | { type: 'goaway'; lastGoodStreamId: number; status: number }
  | { type: 'headers'; streamId: number; flags: number; headerBlock: Buffer }
  | { type: 'window_update'; streamId: number; delta: number }
  /** A control frame type this draft does not define (CREDENTIAL, or newer): skipped by its length. */
  | { type: 'unknown'; frameType: number; flags: number; payload: Buffer };

/** Framing the peer got wrong: the session cannot go on (section 2.4.1). */
export class SpdyProtocolError extends Error {}

const STREAM_ID_MASK = 0x7fffffff;

function control(type: number, flags: number, payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME_LENGTH) throw new RangeError(`SPDY control frame of ${payload.length} bytes is too large`);
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  h.writeUInt16BE(type, 2);
  h.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
  return Buffer.concat([h, payload]);
}

function u32s(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

/** The bytes of one frame. */
export function encodeFrame(f: Frame): Buffer {
  switch (f.type) {
    case 'data': {
      if (f.data.length > MAX_FRAME_LENGTH) throw new RangeError(`SPDY data frame of ${f.data.length} bytes is too large`);
      const h = u32s(f.streamId & STREAM_ID_MASK, ((f.flags & 0xff) << 24) | f.data.length);
      return Buffer.concat([h, f.data]);
    }
    case 'syn_stream': {
      const fixed = Buffer.alloc(10);
      fixed.writeUInt32BE(f.streamId & STREAM_ID_MASK, 0);
      fixed.writeUInt32BE(f.associatedTo & STREAM_ID_MASK, 4);
      fixed.writeUInt8((f.priority & 0x7) << 5, 8);
      fixed.writeUInt8(f.slot & 0xff, 9);
      return control(FrameType.SynStream, f.flags, Buffer.concat([fixed, f.headerBlock]));
    }
    case 'syn_reply':
      return control(FrameType.SynReply, f.flags, Buffer.concat([u32s(f.streamId & STREAM_ID_MASK), f.headerBlock]));
    case 'headers':
      return control(FrameType.Headers, f.flags, Buffer.concat([u32s(f.streamId & STREAM_ID_MASK), f.headerBlock]));
    case 'rst_stream':
      return control(FrameType.RstStream, 0, u32s(f.streamId & STREAM_ID_MASK, f.status));
    case 'settings':
      return control(FrameType.Settings, f.flags, u32s(f.entries.length, ...f.entries.flatMap((e) => [((e.flags & 0xff) << 24) | (e.id & 0xffffff), e.value])));
    case 'ping':
      return control(FrameType.Ping, 0, u32s(f.id));
    case 'goaway':
      return control(FrameType.GoAway, 0, u32s(f.lastGoodStreamId & STREAM_ID_MASK, f.status));
    case 'window_update':
      return control(FrameType.WindowUpdate, 0, u32s(f.streamId & STREAM_ID_MASK, f.delta & STREAM_ID_MASK));
    case 'unknown':
      return control(f.frameType, f.flags, f.payload);
  }
}

function need(type: string, p: Buffer, min: number, exact = false): void {
  if (p.length < min || (exact && p.length !== min)) throw new SpdyProtocolError(`${type} frame with a payload of ${p.length} bytes`);
}

function decodeControl(type: number, flags: number, p: Buffer): Frame {
  switch (type) {
    case FrameType.SynStream:
      need('SYN_STREAM', p, 10);
      return { type: 'syn_stream', streamId: p.readUInt32BE(0) & STREAM_ID_MASK, associatedTo: p.readUInt32BE(4) & STREAM_ID_MASK, priority: p[8]! >> 5, slot: p[9]!, flags, headerBlock: p.subarray(10) };
    case FrameType.SynReply:
      need('SYN_REPLY', p, 4);
      return { type: 'syn_reply', streamId: p.readUInt32BE(0) & STREAM_ID_MASK, flags, headerBlock: p.subarray(4) };
    case FrameType.Headers:
      need('HEADERS', p, 4);
      return { type: 'headers', streamId: p.readUInt32BE(0) & STREAM_ID_MASK, flags, headerBlock: p.subarray(4) };
    case FrameType.RstStream:
      need('RST_STREAM', p, 8, true);
      return { type: 'rst_stream', streamId: p.readUInt32BE(0) & STREAM_ID_MASK, status: p.readUInt32BE(4) };
    case FrameType.Settings: {
      need('SETTINGS', p, 4);
      const n = p.readUInt32BE(0);
      need('SETTINGS', p, 4 + n * 8, true);
      const entries = Array.from({ length: n }, (_, i) => {
        const head = p.readUInt32BE(4 + i * 8);
        return { flags: head >>> 24, id: head & 0xffffff, value: p.readUInt32BE(8 + i * 8) };
      });
      return { type: 'settings', flags, entries };
    }
    case FrameType.Ping:
      need('PING', p, 4, true);
      return { type: 'ping', id: p.readUInt32BE(0) };
    case FrameType.GoAway:
      // draft 2 GOAWAY had no status code: accept both sizes
      need('GOAWAY', p, 4);
      return { type: 'goaway', lastGoodStreamId: p.readUInt32BE(0) & STREAM_ID_MASK, status: p.length >= 8 ? p.readUInt32BE(4) : 0 };
    case FrameType.WindowUpdate:
      need('WINDOW_UPDATE', p, 8, true);
      return { type: 'window_update', streamId: p.readUInt32BE(0) & STREAM_ID_MASK, delta: p.readUInt32BE(4) & STREAM_ID_MASK };
    default:
      return { type: 'unknown', frameType: type, flags, payload: p };
  }
}

/**
 * Cuts a byte stream into frames. push() takes whatever arrived and returns the frames it
 * completed; a partial frame waits for the next chunk. Throws SpdyProtocolError on a control
 * frame of another SPDY version or one larger than maxFrame.
 */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly maxFrame = MAX_FRAME_LENGTH) {}

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Frame[] = [];
    while (this.buf.length >= 8) {
      const w0 = this.buf.readUInt32BE(0);
      const w1 = this.buf.readUInt32BE(4);
      const len = w1 & 0xffffff;
      const flags = w1 >>> 24;
      if (len > this.maxFrame) throw new SpdyProtocolError(`frame of ${len} bytes exceeds the limit of ${this.maxFrame}`);
      if (this.buf.length < 8 + len) break;
      const payload = this.buf.subarray(8, 8 + len);
      this.buf = this.buf.subarray(8 + len);
      if (w0 & 0x80000000) {
        const version = (w0 >>> 16) & 0x7fff;
        if (version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${version}`);
        out.push(decodeControl(w0 & 0xffff, flags, payload));
      } else {
        // copy: the payload outlives this chunk (it may be queued behind a socket)
        out.push({ type: 'data', streamId: w0 & STREAM_ID_MASK, flags, data: Buffer.from(payload) });
      }
    }
    return out;
  }

  /** Bytes held back waiting for the rest of a frame. */
  get pending(): number {
    return this.buf.length;
  }
}

/** Header name to values (several values travel NUL-separated in one entry). */
export type SpdyHeaders = Record<string, string[]>;

/** The uncompressed Name/Value Header Block (section 2.6.10); names are lowercased. */
export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const names = Object.keys(headers);
  const parts: Buffer[] = [u32s(names.length)];
  for (const name of names) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(headers[name]!.join('\0'), 'utf8');
    parts.push(u32s(n.length), n, u32s(v.length), v);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(b: Buffer): SpdyHeaders {
  let off = 0;
  const take = (what: string): Buffer => {
    if (off + 4 > b.length) throw new SpdyProtocolError(`header block truncated before the length of ${what}`);
    const len = b.readUInt32BE(off);
    off += 4;
    if (off + len > b.length) throw new SpdyProtocolError(`header block truncated inside ${what}`);
    const s = b.subarray(off, off + len);
    off += len;
    return s;
  };
  if (b.length < 4) throw new SpdyProtocolError('header block without a pair count');
  const n = b.readUInt32BE(0);
  off = 4;
  const out: SpdyHeaders = {};
  for (let i = 0; i < n; i++) {
    const name = take('a name').toString('utf8');
    const value = take(`the value of ${name}`).toString('utf8');
    if (!name) throw new SpdyProtocolError('header with an empty name');
    out[name.toLowerCase()] = [...(out[name.toLowerCase()] ?? []), ...value.split('\0')];
  }
  return out;
}

/**
 * One direction's zlib stream. Each block goes in, is sync-flushed, and what came out is its
 * compressed (or decompressed) form; calls are serialised so blocks keep their order.
 */
class ZlibChannel {
  private tail: Promise<unknown> = Promise.resolve();
  private failed: Error | undefined;
  private onError: ((e: Error) => void) | undefined;

  constructor(private readonly z: Deflate | Inflate) {
    z.on('error', (e: Error) => {
      this.failed = e;
      this.onError?.(e);
    });
  }

  run(input: Buffer): Promise<Buffer> {
    const p = this.tail.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          if (this.failed) return reject(this.failed);
          this.onError = reject;
          this.z.write(input);
          this.z.flush(zc.Z_SYNC_FLUSH, () => {
            this.onError = undefined;
            if (this.failed) return reject(this.failed);
            const chunks: Buffer[] = [];
            for (let c: Buffer | null; (c = this.z.read() as Buffer | null) !== null; ) chunks.push(c);
            resolve(Buffer.concat(chunks));
          });
        }),
    );
    this.tail = p.catch(() => {});
    return p;
  }

  close(): void {
    this.z.destroy();
  }
}

/** Compresses this side's header blocks: one zlib stream for the connection's life. */
export class HeaderCompressor {
  private readonly ch = new ZlibChannel(createDeflate({ dictionary: SPDY3_DICTIONARY }));
  compress(headers: SpdyHeaders): Promise<Buffer> {
    return this.ch.run(encodeHeaderBlock(headers));
  }
  close(): void {
    this.ch.close();
  }
}

/** Decompresses the peer's header blocks; a failure is a session error (the state is lost). */
export class HeaderDecompressor {
  private readonly ch = new ZlibChannel(createInflate({ dictionary: SPDY3_DICTIONARY }));
  async decompress(block: Buffer): Promise<SpdyHeaders> {
    try {
      return decodeHeaderBlock(await this.ch.run(block));
    } catch (e) {
      if (e instanceof SpdyProtocolError) throw e;
      throw new SpdyProtocolError(`cannot decompress a header block: ${(e as Error).message}`, { cause: e });
    }
  }
  close(): void {
    this.ch.close();
  }
}
