// HTTP/2 framing (RFC 9113 §4 and §6) for the apiserver's unary etcd calls: the frames a client
// writes, and a parser that cuts a byte stream into frames. Nothing here knows about gRPC.

export const FrameType = { DATA: 0, HEADERS: 1, PRIORITY: 2, RST_STREAM: 3, SETTINGS: 4, PUSH_PROMISE: 5, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 } as const;
export const Flag = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const;
export const Setting = { HEADER_TABLE_SIZE: 1, ENABLE_PUSH: 2, MAX_CONCURRENT_STREAMS: 3, INITIAL_WINDOW_SIZE: 4, MAX_FRAME_SIZE: 5, MAX_HEADER_LIST_SIZE: 6 } as const;
export const ErrorCode = { NO_ERROR: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 2, FLOW_CONTROL_ERROR: 3, REFUSED_STREAM: 7, CANCEL: 8 } as const;

/** What a client sends before its first frame. */
export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** The largest flow-control window, and the default one. */
export const MAX_WINDOW = 2 ** 31 - 1;
export const DEFAULT_WINDOW = 65_535;
export const DEFAULT_MAX_FRAME = 16_384;
const HEADER = 9;

export interface Frame {
  type: number;
  flags: number;
  stream: number;
  payload: Buffer;
}

/** Writes a frame header at `at`. */
export function writeFrameHeader(buf: Buffer, at: number, length: number, type: number, flags: number, stream: number): void {
  buf[at] = (length >>> 16) & 0xff;
  buf[at + 1] = (length >>> 8) & 0xff;
  buf[at + 2] = length & 0xff;
  buf[at + 3] = type;
  buf[at + 4] = flags;
  buf.writeUInt32BE(stream & 0x7fffffff, at + 5);
}

/** One frame with `payload` (copied behind its header). */
export function frame(type: number, flags: number, stream: number, payload?: Uint8Array, payloadLength = payload?.length ?? 0): Buffer {
  const b = Buffer.allocUnsafe(HEADER + payloadLength);
  writeFrameHeader(b, 0, payloadLength, type, flags, stream);
  if (payload && payloadLength) b.set(payload.length === payloadLength ? payload : payload.subarray(0, payloadLength), HEADER);
  return b;
}

export function settingsFrame(settings: [id: number, value: number][]): Buffer {
  const p = Buffer.allocUnsafe(6 * settings.length);
  settings.forEach(([id, v], i) => {
    p.writeUInt16BE(id, 6 * i);
    p.writeUInt32BE(v, 6 * i + 2);
  });
  return frame(FrameType.SETTINGS, 0, 0, p);
}

export const settingsAck = () => frame(FrameType.SETTINGS, Flag.ACK, 0);

export function windowUpdateFrame(stream: number, increment: number): Buffer {
  const p = Buffer.allocUnsafe(4);
  p.writeUInt32BE(increment & 0x7fffffff, 0);
  return frame(FrameType.WINDOW_UPDATE, 0, stream, p);
}

export function rstStreamFrame(stream: number, code: number): Buffer {
  const p = Buffer.allocUnsafe(4);
  p.writeUInt32BE(code, 0);
  return frame(FrameType.RST_STREAM, 0, stream, p);
}

export const pingFrame = (ack: boolean, data: Buffer) => frame(FrameType.PING, ack ? Flag.ACK : 0, 0, data);

/** (id, value) pairs of a SETTINGS payload. */
export function parseSettings(p: Buffer): [number, number][] {
  if (p.length % 6) throw new H2ProtocolError(`SETTINGS payload of ${p.length} bytes`);
  const out: [number, number][] = [];
  for (let i = 0; i < p.length; i += 6) out.push([p.readUInt16BE(i), p.readUInt32BE(i + 2)]);
  return out;
}

/** A frame's payload without its padding (DATA, HEADERS) and priority fields (HEADERS). */
export function unpadded(f: Frame): Buffer {
  let p = f.payload;
  let pad = 0;
  if (f.flags & Flag.PADDED) {
    if (!p.length) throw new H2ProtocolError('padded frame without a pad length');
    pad = p[0]!;
    p = p.subarray(1);
  }
  if (f.type === FrameType.HEADERS && f.flags & Flag.PRIORITY) p = p.subarray(5);
  if (pad > p.length) throw new H2ProtocolError('padding longer than the frame');
  return pad ? p.subarray(0, p.length - pad) : p;
}

/** The peer broke the protocol: the connection is closed. */
export class H2ProtocolError extends Error {
  constructor(message: string) {
    super(`HTTP/2 protocol error: ${message}`);
    this.name = 'H2ProtocolError';
  }
}

/** Cuts a byte stream into frames; a frame longer than `maxFrameSize` is a protocol error. */
export class FrameParser {
  private rest: Buffer | undefined;

  constructor(private readonly maxFrameSize: number) {}

  push(chunk: Buffer, onFrame: (f: Frame) => void): void {
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = undefined;
    let at = 0;
    while (buf.length - at >= HEADER) {
      const len = (buf[at]! << 16) | (buf[at + 1]! << 8) | buf[at + 2]!;
      if (len > this.maxFrameSize) throw new H2ProtocolError(`frame of ${len} bytes (at most ${this.maxFrameSize})`);
      if (buf.length - at < HEADER + len) break;
      const f: Frame = { type: buf[at + 3]!, flags: buf[at + 4]!, stream: buf.readUInt32BE(at + 5) & 0x7fffffff, payload: buf.subarray(at + HEADER, at + HEADER + len) };
      at += HEADER + len;
      onFrame(f);
    }
    // (a copy: the remainder must not pin a large chunk it is a small part of)
    if (at < buf.length) this.rest = Buffer.from(buf.subarray(at));
  }
}
