// Unary gRPC calls to one etcd endpoint over an HTTP/2 connection of the client's own, on a
// plain TCP socket. node:http2 makes each call a Duplex stream with its async resource, event
// listeners and a header object each way, which cost more than the rest of the call; here a
// call is a record in a map, its HEADERS and DATA frames go out in one write, and the answer is
// read straight from the frames. Watches (long-lived streams) stay on node:http2.
//
// The connection follows RFC 9113 as a client that makes only unary calls: flow control both
// ways (the receive windows are opened wide and topped up), the peer's SETTINGS (initial window,
// frame size, concurrent streams), PING both ways (keepalive), GOAWAY (calls past its last
// stream are reported as never sent), RST_STREAM, CONTINUATION, padding. Calls wait for the
// peer's SETTINGS and its acknowledgement of ours, so every response is encoded without a
// dynamic table (etcd-h2-hpack.ts).
import net from 'node:net';
import { EtcdError, GrpcCode } from './etcd-errors.js';
import {
  DEFAULT_MAX_FRAME,
  DEFAULT_WINDOW,
  ErrorCode,
  Flag,
  type Frame,
  FrameParser,
  FrameType,
  H2ProtocolError,
  MAX_WINDOW,
  parseSettings,
  pingFrame,
  PREFACE,
  rstStreamFrame,
  Setting,
  settingsAck,
  settingsFrame,
  unpadded,
  windowUpdateFrame,
  writeFrameHeader,
} from './etcd-h2-frames.js';
import { type BlockSummary, decodeWithNodeHttp2, grpcRequestHeaders, HpackError, summarizeBlock } from './etcd-h2-hpack.js';
import { logger } from '../util/log.js';

const log = logger('etcd-client');

/** The connection-level receive window the client opens (topped up when half is used). */
const RECV_WINDOW = 1 << 30;
const MAX_STREAM_ID = 2 ** 31 - 1;
/** How often deadlines are checked: a call's deadline is kept to within this. */
const DEADLINE_TICK_MS = 250;

interface Call {
  path: string;
  timeoutMs: number;
  /** The request as one length-prefixed gRPC message. */
  message: Buffer;
  deadline: number;
  resolve(m: Buffer): void;
  reject(e: EtcdError): void;
  /** Stream id, once its HEADERS went out (0 before). */
  id: number;
  /** Bytes of `message` sent so far, and what the stream's send window still allows. */
  offset: number;
  sendWindow: number;
  httpStatus: number | undefined;
  gotHeaders: boolean;
  data: Buffer[];
  dataLength: number;
}

/** One TCP connection's HTTP/2 session. Its owner makes a new one when it is gone or going away. */
class Session {
  /** Calls with a stream, by stream id. */
  private readonly calls = new Map<number, Call>();
  /** Calls waiting for the session to be ready or for a stream slot. */
  private queued: Call[] = [];
  /** Calls whose DATA waits for flow-control window. */
  private blocked: Call[] = [];
  private nextId = 1;
  private peerSettings = false;
  private settingsAcked = false;
  /** Set once the socket connected: before that, nothing can have reached etcd. */
  private connected = false;
  /** No new calls: the session failed, was closed, or the peer sent GOAWAY. */
  finished = false;
  private lastError: Error | undefined;
  private connSendWindow = DEFAULT_WINDOW;
  private peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxFrame = DEFAULT_MAX_FRAME;
  private peerMaxStreams = Infinity;
  private recvUnacked = 0;
  private readonly parser = new FrameParser(DEFAULT_MAX_FRAME);
  private continuation: { stream: number; parts: Buffer[]; endStream: boolean } | undefined;
  private corked = false;
  private readonly socket: net.Socket;
  private readonly timer: NodeJS.Timeout;
  private pingSentAt = 0;
  /** When the last ping went out, or (for the first) when a call last started waiting with none out. */
  private lastPing = Date.now();

  constructor(
    private readonly url: string,
    target: EtcdSocketTarget,
    private readonly headerBlocks: (path: string) => Buffer,
    private readonly keepaliveMs: number,
    /** Told once when the session takes no more calls (with the protocol error that ended it, if one did). */
    private readonly onFinished: (s: Session, protocolError?: Error) => void,
  ) {
    this.socket = 'path' in target ? net.connect({ path: target.path }) : net.connect({ ...target, noDelay: true, keepAlive: true, keepAliveInitialDelay: keepaliveMs });
    this.write(PREFACE);
    this.write(
      settingsFrame([
        [Setting.ENABLE_PUSH, 0],
        [Setting.HEADER_TABLE_SIZE, 0],
        [Setting.INITIAL_WINDOW_SIZE, MAX_WINDOW],
      ]),
    );
    this.write(windowUpdateFrame(0, RECV_WINDOW - DEFAULT_WINDOW));
    this.socket.on('connect', () => (this.connected = true));
    this.socket.on('data', (chunk: Buffer) => {
      try {
        this.parser.push(chunk, (f) => this.onFrame(f));
      } catch (e) {
        this.destroy(e as Error);
      }
    });
    this.socket.on('error', (e) => (this.lastError = e));
    this.socket.on('close', () => this.destroy(this.lastError ?? new Error('connection closed')));
    this.timer = setInterval(() => this.tick(), DEADLINE_TICK_MS).unref();
  }

  call(c: Call): void {
    this.queued.push(c);
    this.pump();
  }

  /** Starts queued calls while the session is ready and has stream slots. */
  private pump(): void {
    if (!this.peerSettings || !this.settingsAcked || this.finished) return;
    while (this.queued.length && this.calls.size < this.peerMaxStreams) {
      if (this.nextId > MAX_STREAM_ID) return this.goAway(0, 'stream ids exhausted');
      const c = this.queued.shift()!;
      if (!this.calls.size && !this.pingSentAt) this.lastPing = Date.now();
      c.id = this.nextId;
      this.nextId += 2;
      c.sendWindow = this.peerInitialWindow;
      this.calls.set(c.id, c);
      const block = this.headerBlocks(c.path);
      const n = Math.min(c.message.length, this.peerMaxFrame, c.sendWindow, this.connSendWindow);
      if (n === c.message.length) {
        // The usual case: HEADERS and the whole message in one buffer, one write.
        const b = Buffer.allocUnsafe(18 + block.length + n);
        writeFrameHeader(b, 0, block.length, FrameType.HEADERS, Flag.END_HEADERS, c.id);
        block.copy(b, 9);
        writeFrameHeader(b, 9 + block.length, n, FrameType.DATA, Flag.END_STREAM, c.id);
        c.message.copy(b, 18 + block.length);
        this.write(b);
        c.offset = n;
        c.sendWindow -= n;
        this.connSendWindow -= n;
      } else {
        this.write(frameOf(FrameType.HEADERS, Flag.END_HEADERS, c.id, block));
        this.sendData(c);
      }
    }
  }

  /** Sends what the windows allow of c's message; false when it has to wait for a WINDOW_UPDATE. */
  private sendData(c: Call): boolean {
    while (c.offset < c.message.length) {
      const n = Math.min(c.message.length - c.offset, this.peerMaxFrame, c.sendWindow, this.connSendWindow);
      if (n <= 0) {
        if (!this.blocked.includes(c)) this.blocked.push(c);
        return false;
      }
      const end = c.offset + n === c.message.length;
      this.write(frameOf(FrameType.DATA, end ? Flag.END_STREAM : 0, c.id, c.message.subarray(c.offset, c.offset + n)));
      c.offset += n;
      c.sendWindow -= n;
      this.connSendWindow -= n;
    }
    return true;
  }

  private unblock(): void {
    const waiting = this.blocked;
    this.blocked = [];
    for (const c of waiting) if (this.calls.get(c.id) === c) this.sendData(c);
  }

  private onFrame(f: Frame): void {
    if (this.continuation && f.type !== FrameType.CONTINUATION) throw new H2ProtocolError('a header block was interrupted');
    switch (f.type) {
      case FrameType.DATA: {
        this.recvUnacked += f.payload.length;
        if (this.recvUnacked >= RECV_WINDOW / 2) {
          this.write(windowUpdateFrame(0, this.recvUnacked));
          this.recvUnacked = 0;
        }
        const c = this.calls.get(f.stream);
        if (!c) return; // a cancelled call's late answer
        const p = unpadded(f);
        if (p.length) {
          c.data.push(p);
          c.dataLength += p.length;
        }
        if (f.flags & Flag.END_STREAM) this.finish(c, undefined, undefined);
        return;
      }
      case FrameType.HEADERS: {
        const block = unpadded(f);
        const endStream = (f.flags & Flag.END_STREAM) !== 0;
        if (f.flags & Flag.END_HEADERS) return this.onHeaders(f.stream, block, endStream);
        this.continuation = { stream: f.stream, parts: [Buffer.from(block)], endStream };
        return;
      }
      case FrameType.CONTINUATION: {
        const k = this.continuation;
        if (!k || k.stream !== f.stream) throw new H2ProtocolError('CONTINUATION without a header block');
        k.parts.push(Buffer.from(f.payload));
        if (f.flags & Flag.END_HEADERS) {
          this.continuation = undefined;
          this.onHeaders(k.stream, Buffer.concat(k.parts), k.endStream);
        }
        return;
      }
      case FrameType.RST_STREAM: {
        const c = this.calls.get(f.stream);
        if (!c || f.payload.length < 4) return;
        const code = f.payload.readUInt32BE(0);
        // REFUSED_STREAM: etcd did not process the request.
        this.settle(c, new EtcdError(`connection to etcd at ${this.url} failed: stream reset (code ${code})`, GrpcCode.UNAVAILABLE, true, code !== ErrorCode.REFUSED_STREAM));
        return;
      }
      case FrameType.SETTINGS: {
        if (f.stream !== 0) throw new H2ProtocolError('SETTINGS on a stream');
        if (f.flags & Flag.ACK) {
          this.settingsAcked = true;
          return this.pump();
        }
        for (const [id, v] of parseSettings(f.payload)) {
          if (id === Setting.INITIAL_WINDOW_SIZE) {
            if (v > MAX_WINDOW) throw new H2ProtocolError(`initial window size ${v}`);
            const delta = v - this.peerInitialWindow;
            this.peerInitialWindow = v;
            for (const c of this.calls.values()) c.sendWindow += delta;
          } else if (id === Setting.MAX_FRAME_SIZE) {
            if (v < DEFAULT_MAX_FRAME || v > 0xffffff) throw new H2ProtocolError(`max frame size ${v}`);
            this.peerMaxFrame = v;
          } else if (id === Setting.MAX_CONCURRENT_STREAMS) {
            this.peerMaxStreams = v;
          }
        }
        this.write(settingsAck());
        this.peerSettings = true;
        this.unblock();
        return this.pump();
      }
      case FrameType.PING:
        if (!(f.flags & Flag.ACK)) this.write(pingFrame(true, f.payload));
        else this.pingSentAt = 0;
        return;
      case FrameType.GOAWAY: {
        if (f.payload.length < 8) throw new H2ProtocolError('short GOAWAY');
        return this.goAway(f.payload.readUInt32BE(0) & 0x7fffffff, `etcd sent GOAWAY (code ${f.payload.readUInt32BE(4)})`);
      }
      case FrameType.WINDOW_UPDATE: {
        if (f.payload.length < 4) throw new H2ProtocolError('short WINDOW_UPDATE');
        const inc = f.payload.readUInt32BE(0) & 0x7fffffff;
        if (f.stream === 0) this.connSendWindow += inc;
        else {
          const c = this.calls.get(f.stream);
          if (c) c.sendWindow += inc;
        }
        return this.unblock();
      }
      case FrameType.PUSH_PROMISE:
        throw new H2ProtocolError('PUSH_PROMISE, though push was disabled');
      default:
        return; // PRIORITY, and frame types this client does not know, are ignored
    }
  }

  private onHeaders(stream: number, block: Buffer, endStream: boolean): void {
    const summary = summarizeBlock(block); // (an undecodable block breaks the connection's HPACK state: a connection error)
    const c = this.calls.get(stream);
    if (!c) return;
    if (!c.gotHeaders) {
      c.gotHeaders = true;
      c.httpStatus = summary.httpStatus;
    }
    if (endStream) this.finish(c, summary, block);
  }

  /** The stream ended: `trailers` is the last header block (undefined when DATA ended it). */
  private finish(c: Call, trailers: BlockSummary | undefined, block: Buffer | undefined): void {
    if (c.httpStatus !== 200) return this.settle(c, new EtcdError(`etcd ${c.path}: HTTP status ${c.httpStatus ?? 'missing'}`, GrpcCode.UNAVAILABLE, false, true));
    const code = trailers?.grpcStatus;
    if (code === undefined) return this.settle(c, new EtcdError(`etcd ${c.path}: the response carried no grpc-status`, GrpcCode.UNAVAILABLE, false, true));
    if (code !== GrpcCode.OK) {
      // etcd's message (Huffman-coded) is read by node:http2; the call is settled once it is.
      this.calls.delete(c.id);
      const path = c.path;
      void decodeWithNodeHttp2(block!)
        .then((h) => decodeGrpcMessage(h['grpc-message']), () => '')
        .then((message) => c.reject(new EtcdError(message || `etcd ${path}: gRPC status ${code}`, code, false, true)));
      return;
    }
    const body = c.data.length === 1 ? c.data[0]! : Buffer.concat(c.data, c.dataLength);
    let message: Buffer | undefined;
    for (let at = 0; at < body.length; ) {
      if (body.length - at < 5 || body[at] !== 0) return this.settle(c, new EtcdError(`etcd ${c.path}: ${body[at] ? 'a compressed' : 'a truncated'} gRPC message`, GrpcCode.UNAVAILABLE, false, true));
      const len = body.readUInt32BE(at + 1);
      if (body.length - at - 5 < len) return this.settle(c, new EtcdError(`etcd ${c.path}: a truncated gRPC message`, GrpcCode.UNAVAILABLE, false, true));
      message = body.subarray(at + 5, at + 5 + len);
      at += 5 + len;
    }
    if (!message) return this.settle(c, new EtcdError(`etcd ${c.path}: empty response`, GrpcCode.UNAVAILABLE, false, true));
    this.calls.delete(c.id);
    c.resolve(message);
  }

  private settle(c: Call, err: EtcdError): void {
    if (this.calls.get(c.id) === c) this.calls.delete(c.id);
    c.reject(err);
  }

  /** No new streams; calls past `lastStream` were never processed and fail as not sent. */
  private goAway(lastStream: number, why: string): void {
    this.stopTaking();
    for (const c of [...this.calls.values()]) if (c.id > lastStream) this.settle(c, new EtcdError(`connection to etcd at ${this.url} failed: ${why}`, GrpcCode.UNAVAILABLE, true, false));
    this.rejectQueued(why);
    if (!this.calls.size) this.socket.destroy();
  }

  private stopTaking(protocolError?: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.onFinished(this, protocolError);
  }

  private rejectQueued(why: string): void {
    for (const c of this.queued.splice(0)) c.reject(new EtcdError(`connection to etcd at ${this.url} failed: ${why}`, GrpcCode.UNAVAILABLE, true, false));
  }

  /** Fails every call (those whose request went out as possibly applied) and closes the socket. */
  destroy(err: Error): void {
    this.stopTaking(err instanceof H2ProtocolError || err instanceof HpackError ? err : undefined);
    clearInterval(this.timer);
    const why = err.message;
    for (const c of [...this.calls.values()]) this.settle(c, new EtcdError(`connection to etcd at ${this.url} failed: ${why}`, GrpcCode.UNAVAILABLE, true, this.connected, { cause: err }));
    this.rejectQueued(why);
    this.socket.destroy();
  }

  /** Deadlines, keepalive pings, and closing a drained session. */
  private tick(): void {
    const now = Date.now();
    for (const c of [...this.calls.values()]) {
      if (c.deadline > now) continue;
      this.write(rstStreamFrame(c.id, ErrorCode.CANCEL));
      this.settle(c, new EtcdError(`etcd ${c.path}: no answer within ${c.timeoutMs} ms`, GrpcCode.DEADLINE_EXCEEDED, false, true));
    }
    this.queued = this.queued.filter((c) => {
      if (c.deadline > now) return true;
      c.reject(new EtcdError(`connection to etcd at ${this.url} failed: ${this.lastError?.message ?? 'not connected'} (deadline passed)`, GrpcCode.UNAVAILABLE, true, false));
      return false;
    });
    if (this.finished && !this.calls.size) return void this.socket.destroy();
    if (this.pingSentAt && now - this.pingSentAt > this.keepaliveMs) return this.destroy(new Error(`no ping answer from etcd at ${this.url}`));
    // Pings only while calls wait: etcd (gRPC's server) counts pings on a connection without
    // streams as abuse and sends GOAWAY after three. An idle connection is watched by TCP keepalive.
    if (!this.pingSentAt && this.calls.size && now - this.lastPing >= this.keepaliveMs) {
      this.lastPing = this.pingSentAt = now;
      this.write(pingFrame(false, Buffer.alloc(8)));
    }
  }

  /**
   * Frames written in one turn of the event loop leave in one write: the calls started by every
   * request read in one poll phase go to etcd together (setImmediate runs after that phase), so
   * under load there are fewer writes, and etcd commits more of them per fsync.
   */
  private write(b: Buffer): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      setImmediate(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(b);
  }
}

function frameOf(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const b = Buffer.allocUnsafe(9 + payload.length);
  writeFrameHeader(b, 0, payload.length, type, flags, stream);
  payload.copy(b, 9);
  return b;
}

function decodeGrpcMessage(m: string | string[] | undefined): string {
  const s = typeof m === 'string' ? m : '';
  try {
    return decodeURIComponent(s);
  } catch {
    return s; // not percent-encoded after all
  }
}

/**
 * Unary calls to one endpoint (http:// only), over a session made on first use and again after
 * one ends. A peer that breaks this client's assumptions (a protocol error, a header block that
 * uses a dynamic table though it was asked not to) sends the endpoint's later calls to `fallback`
 * (node:http2) for good.
 */
export class UnaryConnection {
  private session: Session | undefined;
  private closed = false;
  private fellBack = false;
  /** Connections made so far. */
  dials = 0;
  private readonly target: EtcdSocketTarget;
  private readonly authority: string;
  private readonly blocks = new Map<string, Buffer>();

  constructor(
    readonly url: string,
    private readonly keepaliveMs: number,
    private readonly fallback?: (path: string, payload: Uint8Array, timeoutMs: number) => Promise<Buffer>,
  ) {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'unix:') throw new Error(`the unary etcd transport speaks plain HTTP/2 only, not ${u.protocol}`);
    this.target = etcdSocketTarget(u);
    this.authority = u.protocol === 'unix:' ? 'localhost' : u.host;
  }

  /** One request and its single response message. */
  call(path: string, payload: Uint8Array, timeoutMs: number): Promise<Buffer> {
    if (this.fellBack && !this.closed) return this.fallback!(path, payload, timeoutMs);
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new EtcdError(`connection to etcd at ${this.url} failed: etcd client is closed`, GrpcCode.UNAVAILABLE, true, false));
      const message = Buffer.allocUnsafe(5 + payload.length);
      message[0] = 0;
      message.writeUInt32BE(payload.length, 1);
      message.set(payload, 5);
      const s = this.session && !this.session.finished ? this.session : this.dial();
      s.call({ path, timeoutMs, message, deadline: Date.now() + timeoutMs, resolve, reject, id: 0, offset: 0, sendWindow: 0, httpStatus: undefined, gotHeaders: false, data: [], dataLength: 0 });
    });
  }

  private dial(): Session {
    this.dials++;
    const s = new Session(this.url, this.target, (p) => this.headerBlock(p), this.keepaliveMs, (gone, protocolError) => {
      if (this.session === gone) this.session = undefined;
      if (protocolError && this.fallback && !this.fellBack) {
        this.fellBack = true;
        log.warn('etcd broke the unary HTTP/2 transport; its calls go through node:http2 from now on', { endpoint: this.url, err: protocolError.message });
      }
    });
    this.session = s;
    return s;
  }

  private headerBlock(path: string): Buffer {
    let b = this.blocks.get(path);
    if (!b) this.blocks.set(path, (b = grpcRequestHeaders(path, this.authority)));
    return b;
  }

  close(): void {
    this.closed = true;
    this.session?.destroy(new Error('etcd client is closed'));
    this.session = undefined;
  }
}

/** Where an endpoint's socket connects: TCP host and port, or a Unix socket's path (unix:///path). */
export type EtcdSocketTarget = { host: string; port: number } | { path: string };

export function etcdSocketTarget(u: URL): EtcdSocketTarget {
  if (u.protocol === 'unix:') return { path: decodeURIComponent(u.pathname) };
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 2379) };
}
