// The little of HPACK (RFC 7541) the unary etcd client needs.
//
// Requests are encoded with static-table indexes and plain literals only (no dynamic table, no
// Huffman coding), which every decoder accepts. Responses are read with the dynamic table size
// set to 0 in the client's SETTINGS, so a header block refers to the static table at most and
// each block stands alone. From a block the client needs two numbers: the HTTP `:status` and the
// `grpc-status` trailer. etcd's encoder (Go's) Huffman-codes names and text, which this file does
// not decode; grpc-status values are one or two digits, never shorter in Huffman code, so they
// are always plain. The text of an error (grpc-message) is decoded by node:http2 itself
// (decodeWithNodeHttp2): errors are rare, and a second decoder would be code to get wrong.
import http2, { type IncomingHttpHeaders } from 'node:http2';
import net, { type AddressInfo } from 'node:net';
import { Flag, frame, FrameParser, FrameType, PREFACE, settingsAck, settingsFrame } from './etcd-h2-frames.js';

/** The `:status` values of static-table entries 8 to 14. */
const STATIC_STATUS = [200, 204, 206, 304, 400, 404, 500];
const STATIC_TABLE_SIZE = 61;
const AUTHORITY = 1;
const METHOD_POST = 3;
const PATH = 4;
const SCHEME_HTTP = 6;

/** The failure to read a header block. */
export class HpackError extends Error {
  constructor(message: string) {
    super(`HPACK: ${message}`);
    this.name = 'HpackError';
  }
}

function encodeInt(out: number[], prefixBits: number, firstByte: number, value: number): void {
  const max = (1 << prefixBits) - 1;
  if (value < max) return void out.push(firstByte | value);
  out.push(firstByte | max);
  value -= max;
  while (value >= 128) {
    out.push((value % 128) + 128);
    value = Math.floor(value / 128);
  }
  out.push(value);
}

function encodeString(out: number[], s: string): void {
  const b = Buffer.from(s, 'latin1');
  encodeInt(out, 7, 0, b.length);
  for (const x of b) out.push(x);
}

/** A literal field without indexing: by static name index, or with its name spelled out (index 0). */
function literal(out: number[], nameIndex: number, name: string | undefined, value: string): void {
  encodeInt(out, 4, 0, nameIndex);
  if (!nameIndex) encodeString(out, name!);
  encodeString(out, value);
}

/** The header block of a gRPC request (POST, http, the method's path). */
export function grpcRequestHeaders(path: string, authority: string): Buffer {
  const out: number[] = [];
  encodeInt(out, 7, 0x80, METHOD_POST);
  encodeInt(out, 7, 0x80, SCHEME_HTTP);
  literal(out, PATH, undefined, path);
  literal(out, AUTHORITY, undefined, authority);
  literal(out, 0, 'content-type', 'application/grpc');
  literal(out, 0, 'te', 'trailers');
  return Buffer.from(out);
}

/** What the unary client reads from a response header block. */
export interface BlockSummary {
  /** :status; -1 when present but not readable here (a Huffman-coded value). */
  httpStatus?: number;
  /** grpc-status, when the block carries one. */
  grpcStatus?: number;
}

class Reader {
  at = 0;
  constructor(private readonly b: Buffer) {}

  get done(): boolean {
    return this.at >= this.b.length;
  }

  int(prefixBits: number): number {
    const max = (1 << prefixBits) - 1;
    if (this.done) throw new HpackError('truncated integer');
    let v = this.b[this.at++]! & max;
    if (v < max) return v;
    let shift = 0;
    for (;;) {
      if (this.done) throw new HpackError('truncated integer');
      const x = this.b[this.at++]!;
      v += (x & 0x7f) * 2 ** shift;
      shift += 7;
      if (!(x & 0x80)) return v;
      if (shift > 28) throw new HpackError('integer too large');
    }
  }

  /** A string literal: its text when plain, undefined when Huffman-coded. */
  string(): string | undefined {
    if (this.done) throw new HpackError('truncated string');
    const huffman = (this.b[this.at]! & 0x80) !== 0;
    const len = this.int(7);
    if (this.at + len > this.b.length) throw new HpackError('truncated string');
    const s = huffman ? undefined : this.b.toString('latin1', this.at, this.at + len);
    this.at += len;
    return s;
  }
}

/**
 * The :status and grpc-status of a response header block. A name given as a Huffman-coded
 * literal cannot be read here; gRPC's trailers name grpc-status first (Go's transport writes
 * grpc-status, grpc-message, then details), so the first plain all-digit value of a literal
 * with such a name is taken for it.
 */
export function summarizeBlock(block: Buffer): BlockSummary {
  const r = new Reader(block);
  const out: BlockSummary = {};
  while (!r.done) {
    const b = block[r.at]!;
    if (b & 0x80) {
      const index = r.int(7);
      if (index === 0 || index > STATIC_TABLE_SIZE) throw new HpackError(`indexed field ${index} outside the static table`);
      if (index >= 8 && index <= 14) out.httpStatus = STATIC_STATUS[index - 8];
      continue;
    }
    if ((b & 0xe0) === 0x20) {
      const size = r.int(5);
      if (size > 0) throw new HpackError(`dynamic table size update to ${size} (0 was asked for)`);
      continue;
    }
    // Literals: with incremental indexing (01), without (0000) or never indexed (0001). With a
    // table of size 0, an indexed literal is evicted as it is added: nothing to keep.
    const nameIndex = (b & 0xc0) === 0x40 ? r.int(6) : r.int(4);
    if (nameIndex > STATIC_TABLE_SIZE) throw new HpackError(`literal names field ${nameIndex} outside the static table`);
    const name = nameIndex ? undefined : r.string();
    const value = r.string();
    if (nameIndex >= 8 && nameIndex <= 14) out.httpStatus = value !== undefined && /^\d{3}$/.test(value) ? Number(value) : -1;
    else if (nameIndex === 0 && out.grpcStatus === undefined && value !== undefined && /^\d{1,2}$/.test(value) && (name === undefined || name === 'grpc-status')) out.grpcStatus = Number(value);
  }
  return out;
}

/**
 * Decodes a standalone response header block (or trailers) with node:http2's own decoder: a
 * one-shot loopback peer answers one request with the block as its response headers.
 */
export async function decodeWithNodeHttp2(block: Buffer, timeoutMs = 2000): Promise<IncomingHttpHeaders> {
  // Table size updates must come first, then the pseudo-header :status, which trailers lack.
  const r = new Reader(block);
  while (!r.done && (block[r.at]! & 0xe0) === 0x20) r.int(5);
  const first = block[r.at] ?? 0;
  const hasStatus = (first & 0x80 && (first & 0x7f) >= 8 && (first & 0x7f) <= 14) || ((first & 0xf0) === 0 && (first & 0x0f) >= 8 && (first & 0x0f) <= 14) || ((first & 0xc0) === 0x40 && (first & 0x3f) >= 8 && (first & 0x3f) <= 14);
  const body = hasStatus ? block : Buffer.concat([block.subarray(0, r.at), Buffer.from([0x88]), block.subarray(r.at)]);
  const server = net.createServer((sock) => {
    sock.on('error', () => {});
    let got = Buffer.alloc(0);
    let answered = false;
    sock.write(settingsFrame([]));
    sock.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (answered || got.length < PREFACE.length) return;
      let request = false;
      try {
        new FrameParser(1 << 24).push(got.subarray(PREFACE.length), (f) => (request ||= f.type === FrameType.HEADERS && f.stream === 1));
      } catch {
        return void sock.destroy();
      }
      if (!request) return;
      answered = true;
      sock.write(Buffer.concat([settingsAck(), frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, body)]));
    });
  });
  await new Promise<void>((res, rej) => server.once('error', rej).listen(0, '127.0.0.1', () => res()));
  const session = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  try {
    return await new Promise<IncomingHttpHeaders>((resolve, reject) => {
      const timer = setTimeout(() => reject(new HpackError(`could not decode a header block within ${timeoutMs} ms`)), timeoutMs);
      const done = (f: () => void) => {
        clearTimeout(timer);
        f();
      };
      session.on('error', (e) => done(() => reject(e)));
      const req = session.request({ ':path': '/' }, { endStream: true });
      req.on('response', (h) => done(() => resolve(h)));
      req.on('error', (e) => done(() => reject(e)));
      req.on('close', () => done(() => reject(new HpackError('the header block was refused'))));
    });
  } finally {
    session.destroy();
    server.close();
  }
}
