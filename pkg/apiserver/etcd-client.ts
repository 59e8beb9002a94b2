// The apiserver's etcd client: etcd's v3 gRPC API spoken directly over node:http2, with the
// message codecs generated from proto/etcd/rpc.proto. It does only what storage and the watch
// caches need (range, put, txn, compact, lease grant, watch streams), and does it at about half
// the CPU of a call through etcd3 and @grpc/grpc-js (bench/apiserver measures both), which is
// most of what an apiserver write costs besides JSON.
//
// Failover follows etcd's Go client: a call that fails because its connection did, moves to the
// next endpoint and is retried when that is safe: reads always, writes only if they never left
// this process (refused connection, refused stream). A write lost in flight is reported, not
// replayed: it may have been applied.
import http2, { type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import net from 'node:net';
import type { BinaryWriter } from '@bufbuild/protobuf/wire';
import {
  CompactionRequest,
  CompactionResponse,
  LeaseGrantRequest,
  LeaseGrantResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
  WatchCreateRequest,
  WatchRequest,
  WatchResponse,
} from '../api/generated/etcd/rpc.js';
import { logger } from '../util/log.js';
import { EtcdCompactedError, EtcdError, GrpcCode } from './etcd-errors.js';
import { etcdSocketTarget, UnaryConnection } from './etcd-h2-unary.js';

export { EtcdCompactedError, EtcdError, GrpcCode } from './etcd-errors.js';

export type { Compare, KeyValue, RangeRequest, RangeResponse, RequestOp, TxnRequest, TxnResponse, WatchCreateRequest, WatchResponse } from '../api/generated/etcd/rpc.js';
export { Compare_CompareResult, Compare_CompareTarget, Event_EventType } from '../api/generated/etcd/rpc.js';

const log = logger('etcd-client');

interface Codec<T> {
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
  decode(input: Uint8Array): T;
}

const requestHeaders = (path: string) => ({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });

/** One gRPC message in its length-prefixed frame (uncompressed). */
function frame(payload: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(5 + payload.length);
  b[0] = 0;
  b.writeUInt32BE(payload.length, 1);
  b.set(payload, 5);
  return b;
}

/** Splits a byte stream into gRPC messages. */
class FrameReader {
  private pending: Buffer[] = [];
  private pendingLen = 0;

  /** Feeds a chunk; returns the messages it completes. */
  push(chunk: Buffer): Buffer[] {
    let buf = chunk;
    if (this.pendingLen) {
      this.pending.push(chunk);
      buf = Buffer.concat(this.pending, this.pendingLen + chunk.length);
      this.pending = [];
      this.pendingLen = 0;
    }
    const out: Buffer[] = [];
    let at = 0;
    while (buf.length - at >= 5) {
      if (buf[at] !== 0) throw new Error('etcd sent a compressed gRPC message');
      const len = buf.readUInt32BE(at + 1);
      if (buf.length - at < 5 + len) break;
      out.push(buf.subarray(at + 5, at + 5 + len));
      at += 5 + len;
    }
    if (at < buf.length) {
      const rest = buf.subarray(at);
      this.pending.push(rest);
      this.pendingLen = rest.length;
    }
    return out;
  }

  get empty(): boolean {
    return this.pendingLen === 0;
  }
}

/** How a gRPC stream ended, from its headers or trailers. */
interface GrpcStatus {
  code: number;
  message: string;
}

function statusOf(headers: http2.IncomingHttpHeaders): GrpcStatus | undefined {
  const s = headers['grpc-status'];
  if (s === undefined) return undefined;
  const m = headers['grpc-message'];
  let message = typeof m === 'string' ? m : '';
  try {
    message = decodeURIComponent(message);
  } catch {
    // not percent-encoded after all
  }
  return { code: Number(s), message };
}

/** Consumes one stream's responses and reports how it ended, once. */
function track(stream: ClientHttp2Stream, conn: Connection, onMessage: (m: Buffer) => void, onEnd: (status: GrpcStatus | undefined, err: EtcdError | undefined) => void): void {
  const reader = new FrameReader();
  let status: GrpcStatus | undefined;
  let streamErr: Error | undefined;
  stream.on('response', (h) => {
    const code = h[':status'];
    if (code !== 200) status = { code: GrpcCode.UNAVAILABLE, message: `HTTP status ${code}` };
    else status = statusOf(h); // a trailers-only response carries the status in its headers
  });
  stream.on('data', (chunk: Buffer) => {
    for (const m of reader.push(chunk)) onMessage(m);
  });
  stream.on('trailers', (t) => (status = statusOf(t) ?? status));
  stream.on('error', (e) => (streamErr = e));
  stream.on('close', () => {
    if (status) return onEnd(status, undefined);
    // No status: the stream or its connection broke. REFUSED_STREAM (and a connection never
    // made) means etcd never saw the request.
    const sent = conn.connected && stream.rstCode !== http2.constants.NGHTTP2_REFUSED_STREAM;
    const why = streamErr?.message ?? conn.lastError?.message ?? `stream reset (code ${stream.rstCode})`;
    onEnd(undefined, new EtcdError(`connection to etcd at ${conn.url} failed: ${why}`, GrpcCode.UNAVAILABLE, true, sent, { cause: streamErr ?? conn.lastError }));
  });
}

/** One endpoint's HTTP/2 connection, made on first use and again after it breaks. */
class Connection {
  private session: ClientHttp2Session | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  /** Set by close(): no new session is dialled (one would keep the process alive). */
  private closed = false;
  /** Whether the current session ever connected (requests on one that did not were never sent). */
  connected = false;
  lastError: Error | undefined;

  constructor(
    readonly url: string,
    private readonly keepaliveMs: number,
  ) {}

  get(): ClientHttp2Session {
    const s = this.session;
    if (s && !s.closed && !s.destroyed) return s;
    if (this.closed) throw new Error('etcd client is closed');
    return this.dial();
  }

  private dial(): ClientHttp2Session {
    clearInterval(this.pingTimer); // (a previous session's, if its close has not come yet)
    this.connected = false;
    this.lastError = undefined;
    // A Unix socket endpoint (unix:///path) carries HTTP/2 without TLS, as http://localhost.
    const target = etcdSocketTarget(new URL(this.url));
    const viaSocket = 'path' in target ? { createConnection: () => net.connect(target) } : {};
    const s = http2.connect('path' in target ? 'http://localhost' : this.url, { ...viaSocket, settings: { enablePush: false, initialWindowSize: 4 << 20 }, maxSessionMemory: 64 });
    this.session = s;
    s.on('connect', () => {
      this.connected = true;
      s.setLocalWindowSize(32 << 20);
    });
    s.on('error', (e) => (this.lastError = e));
    s.on('goaway', () => this.forget(s));
    s.on('close', () => this.forget(s));
    // A dead peer that never resets the connection (a partition) is found by pings.
    this.pingTimer = setInterval(() => {
      if (s.destroyed || !this.connected) return;
      const timeout = setTimeout(() => s.destroy(new Error(`no ping answer from etcd at ${this.url}`)), this.keepaliveMs).unref();
      s.ping((err) => {
        clearTimeout(timeout);
        if (err && !s.destroyed) s.destroy(err);
      });
    }, this.keepaliveMs).unref();
    return s;
  }

  private forget(s: ClientHttp2Session): void {
    if (this.session !== s) return;
    this.session = undefined;
    clearInterval(this.pingTimer);
  }

  /** One request and its single response message. */
  unary(path: string, payload: Uint8Array, timeoutMs: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      let stream: ClientHttp2Stream;
      try {
        stream = this.get().request(requestHeaders(path), { endStream: false });
      } catch (e) {
        return reject(new EtcdError(`connection to etcd at ${this.url} failed: ${(e as Error).message}`, GrpcCode.UNAVAILABLE, true, false, { cause: e }));
      }
      let response: Buffer | undefined;
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        stream.close(http2.constants.NGHTTP2_CANCEL);
      }, timeoutMs);
      track(
        stream,
        this,
        (m) => (response = m),
        (status, err) => {
          clearTimeout(timer);
          if (timedOut) return reject(new EtcdError(`etcd ${path}: no answer within ${timeoutMs} ms`, GrpcCode.DEADLINE_EXCEEDED, false, true));
          if (err) return reject(err);
          if (status!.code !== GrpcCode.OK) return reject(new EtcdError(status!.message || `etcd ${path}: gRPC status ${status!.code}`, status!.code, false, true));
          if (!response) return reject(new EtcdError(`etcd ${path}: empty response`, GrpcCode.UNAVAILABLE, false, true));
          resolve(response);
        },
      );
      stream.end(frame(payload));
    });
  }

  /** A stream that stays open: `first` is sent at once, `send` writes more. */
  stream(path: string, first: Uint8Array, onMessage: (m: Buffer) => void, onEnd: (err: EtcdError) => void): ClientHttp2Stream {
    const stream = this.get().request(requestHeaders(path), { endStream: false });
    track(stream, this, onMessage, (status, err) => {
      if (err) return onEnd(err);
      onEnd(new EtcdError(status!.message || `etcd ${path}: stream ended (gRPC status ${status!.code})`, status!.code, false, true));
    });
    stream.write(frame(first));
    return stream;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.pingTimer);
    this.session?.destroy();
    this.session = undefined;
  }
}

export interface EtcdClientOptions {
  /** Per-call deadline. */
  requestTimeoutMs?: number;
  /** Interval between keepalive pings, and how long a ping may go unanswered. */
  keepaliveMs?: number;
}

/** A watch stream: `cancel` ends it; otherwise `onError` reports why it ended. */
export interface EtcdWatch {
  cancel(): void;
}

/** How unary calls travel: the client's own HTTP/2 framing (plain http:// endpoints) or node:http2. */
type Unary = Pick<UnaryConnection, 'call' | 'close'>;

export class EtcdClient {
  private readonly conns: Connection[];
  /** Unary calls of each endpoint (watches use conns). */
  private readonly unaries: Unary[];
  private current = 0;
  private readonly timeoutMs: number;
  private closed = false;

  constructor(endpoints: string[], opts: EtcdClientOptions = {}) {
    if (!endpoints.length) throw new Error('no etcd endpoints');
    const keepaliveMs = opts.keepaliveMs ?? 10_000;
    this.conns = endpoints.map((e) => new Connection(e.includes('://') ? e : `http://${e}`, keepaliveMs));
    // TSKUBE_ETCD_TRANSPORT=node puts unary calls on node:http2 too (https:// endpoints always are).
    const own = process.env.TSKUBE_ETCD_TRANSPORT !== 'node';
    this.unaries = this.conns.map((c) => {
      const viaNode = (path: string, payload: Uint8Array, timeoutMs: number) => c.unary(path, payload, timeoutMs);
      return own && /^(http|unix):/.test(c.url) ? new UnaryConnection(c.url, keepaliveMs, viaNode) : { call: viaNode, close: () => {} };
    });
    this.timeoutMs = opts.requestTimeoutMs ?? 30_000;
  }

  /** `deadline` (epoch ms), as a Go context's: the call and its retries end there (see call). */
  range(req: RangeRequest, deadline?: number): Promise<RangeResponse> {
    return this.call('/etcdserverpb.KV/Range', RangeRequest, RangeResponse, req, true, deadline);
  }

  put(req: PutRequest, deadline?: number): Promise<PutResponse> {
    return this.call('/etcdserverpb.KV/Put', PutRequest, PutResponse, req, false, deadline);
  }

  txn(req: TxnRequest, deadline?: number): Promise<TxnResponse> {
    const readOnly = [...(req.success ?? []), ...(req.failure ?? [])].every((op) => op.request?.$case === 'request_range');
    return this.call('/etcdserverpb.KV/Txn', TxnRequest, TxnResponse, req, readOnly, deadline);
  }

  compact(req: CompactionRequest): Promise<CompactionResponse> {
    return this.call('/etcdserverpb.KV/Compact', CompactionRequest, CompactionResponse, req, false);
  }

  leaseGrant(req: LeaseGrantRequest): Promise<LeaseGrantResponse> {
    return this.call('/etcdserverpb.Lease/LeaseGrant', LeaseGrantRequest, LeaseGrantResponse, req, false);
  }

  /**
   * Opens a watch. Every response goes to onResponse; when the stream ends for any reason but
   * `cancel`, onError says why (EtcdCompactedError if the start revision is gone) and the next
   * watch goes to another endpoint if the connection was at fault.
   */
  watch(create: WatchCreateRequest, onResponse: (res: WatchResponse) => void, onError: (err: EtcdError) => void): EtcdWatch {
    const conn = this.conns[this.current]!;
    let done = false;
    const end = (err: EtcdError) => {
      if (done) return;
      done = true;
      if (err.transport) this.failover(conn);
      onError(err);
    };
    let stream: ClientHttp2Stream | undefined;
    try {
      stream = conn.stream('/etcdserverpb.Watch/Watch', WatchRequest.encode({ request_union: { $case: 'create_request', value: create } }).finish(), (m) => {
        if (done) return;
        let res: WatchResponse;
        try {
          res = WatchResponse.decode(m);
        } catch (e) {
          stream?.close(http2.constants.NGHTTP2_CANCEL);
          return end(new EtcdError(`etcd watch: undecodable response: ${(e as Error).message}`, GrpcCode.UNAVAILABLE, false, true));
        }
        if (res.canceled) {
          stream?.close(http2.constants.NGHTTP2_CANCEL);
          const compacted = Number(res.compact_revision ?? 0);
          return end(compacted > 0 ? new EtcdCompactedError(compacted) : new EtcdError(`etcd watch cancelled: ${res.cancel_reason || 'no reason given'}`, GrpcCode.CANCELLED, false, true));
        }
        onResponse(res);
      }, end);
    } catch (e) {
      const err = new EtcdError(`connection to etcd at ${conn.url} failed: ${(e as Error).message}`, GrpcCode.UNAVAILABLE, true, false, { cause: e });
      queueMicrotask(() => end(err));
    }
    return {
      cancel: () => {
        done = true;
        stream?.close(http2.constants.NGHTTP2_CANCEL);
      },
    };
  }

  close(): void {
    this.closed = true;
    for (const c of this.conns) c.close();
    for (const u of this.unaries) u.close();
  }

  private failover(conn: Connection, err?: Error): void {
    if (this.conns[this.current] !== conn || this.conns.length === 1) return;
    this.current = (this.current + 1) % this.conns.length;
    log.info('switching etcd endpoint', { from: conn.url, to: this.conns[this.current]!.url, err: (err ?? conn.lastError)?.message });
  }

  /**
   * One call, retried on another endpoint or after a pause when that is safe. With a `deadline`
   * (the request's, as the etcd3 store hands clientv3 the request's context) no attempt outlives
   * it, the one under way is cancelled there (RST_STREAM CANCEL, as gRPC cancels a call whose
   * context ends), and none starts after it: a request answered 504 leaves nothing retrying.
   */
  private async call<Req, Res>(path: string, reqCodec: Codec<Req>, resCodec: Codec<Res>, req: Req, idempotent: boolean, deadline?: number): Promise<Res> {
    const payload = reqCodec.encode(req).finish();
    // Enough attempts to go round every endpoint twice, and to wait out an embedded etcd restart.
    const maxAttempts = Math.max(8, this.conns.length * 2);
    for (let attempt = 1; ; attempt++) {
      const conn = this.conns[this.current]!;
      let timeoutMs = this.timeoutMs;
      if (deadline !== undefined) {
        const left = deadline - Date.now();
        if (left <= 0) throw new EtcdError(`etcd ${path}: context deadline exceeded`, GrpcCode.DEADLINE_EXCEEDED, false, false);
        if (left < timeoutMs) timeoutMs = left;
      }
      try {
        return resCodec.decode(await this.unaries[this.current]!.call(path, payload, timeoutMs));
      } catch (e) {
        if (this.closed || !(e instanceof EtcdError) || !e.retryable(idempotent) || attempt >= maxAttempts) throw e;
        if (e.transport) this.failover(conn, e);
        const pause = Math.min(1000, 25 * 2 ** attempt);
        if (deadline !== undefined && Date.now() + pause >= deadline) throw e;
        await new Promise((r) => setTimeout(r, pause));
      }
    }
  }
}
