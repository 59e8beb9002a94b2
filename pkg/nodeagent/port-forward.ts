// pods/portforward on the node agent, as the kubelet serves it: a SPDY/3.1 session (on a raw
// upgraded connection, or tunneled in websocket binary messages) in which the client opens a
// pair of streams per forwarded connection, `streamtype: error` and `streamtype: data`, sharing
// `port` and `requestid`. The agent dials localhost at that port inside the pod's network
// namespace (IPv4, then IPv6, as containerd) and pipes the data stream both ways with half-closes;
// a failure is written on the error stream, which is then closed, as the kubelet does.
//
// Flow control: client-go's spdystream neither sends WINDOW_UPDATE nor honours it, so this side
// does not stop at the 64 KB initial window (it would stall every larger response); TCP
// backpressure on both sockets bounds memory instead.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { dialLocalhostIn, dialReason } from '../util/netns-dial.js';
import type { Duplex } from 'node:stream';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { logger } from '../util/log.js';
import { encodeFrame, FLAG_FIN, FLAG_UNIDIRECTIONAL, FrameReader, GoAwayStatus, HeaderCompressor, HeaderDecompressor, RstStatus, SpdyProtocolError, type Frame } from '../util/spdy.js';

const log = logger('port-forward');

/** The pod a session forwards to. dial() is asked for each forwarded connection. */
export interface PortForwardTarget {
  /** namespace/name */
  pod: string;
  uid: string;
  /**
   * A connection to the port on localhost inside the pod, as the kubelet makes it (connected,
   * or connecting: its 'connect' or 'error' follows). Throws, with the reason, when it cannot be made.
   */
  dial(port: number): Socket;
}

/**
 * A dial that failed inside the pod's sandbox. The 1.32 kubelet relays port-forward to the CRI
 * runtime's streaming server, which names the pod by its sandbox ID and no uid in its message
 * ('error forwarding port 80 to pod ID, uid : failed to execute portforward in network
 * namespace ...', containerd's sandbox_portforward_linux.go under the kubelet's
 * cri/streaming/portforward/httpstream.go): the error carries that ID.
 */
export class SandboxDialError extends Error {
  constructor(readonly sandboxId: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SandboxDialError';
  }
}

/**
 * A connection to localhost:`port` in a pod's sandbox, as containerd's portForward makes it:
 * inside the sandbox's network namespace ("host" for a pod on the node's network), IPv4 then
 * IPv6; a failure is a SandboxDialError in containerd's words ('failed to execute portforward in
 * network namespace "PATH": failed to connect to localhost:80 inside namespace "ID", IPv4: ...').
 */
export function dialSandbox(sandbox: { id: string; netnsPath: string }, port: number): Socket {
  try {
    return dialLocalhostIn(sandbox.netnsPath, port, sandbox.id);
  } catch (e) {
    throw new SandboxDialError(sandbox.id, `failed to execute portforward in network namespace "${sandbox.netnsPath || 'host'}": ${(e as Error).message}`, { cause: e });
  }
}

/** How long a stream waits for its partner (the kubelet's stream creation timeout). */
const PAIR_TIMEOUT_MS = 30_000;
/** After the pod closes its side, how long the client may still send before the pair is torn down. */
const CLOSE_GRACE_MS = 1_000;
/** Frames queued for handling beyond which the connection is paused. */
const MAX_QUEUED = 64;

interface StreamState {
  id: number;
  kind: 'error' | 'data';
  /** The client sent FIN (or RST). */
  remoteClosed: boolean;
  /** This side sent FIN (or RST). */
  localClosed: boolean;
}

interface Pair {
  requestId: string;
  port: number;
  error?: StreamState;
  data?: StreamState;
  /** Client bytes (and its FIN) that arrived before the pod connection existed. */
  early: Buffer[];
  earlyFin: boolean;
  socket?: Socket;
  connected: boolean;
  failure?: Error;
  timer?: NodeJS.Timeout;
  done: boolean;
}

enum State {
  Open,
  /** GOAWAY seen: no new streams; the connection ends with its last pair. */
  GoingAway,
  Closed,
}

const sessions = new Set<PortForwardSession>();
const upgrades = { websocket: 0, spdy: 0 };

/** Live counts across all sessions of this process, and upgrades by transport so far (for tests and debugging). */
export function portForwardStats(): { sessions: number; streams: number; sockets: number; upgrades: { websocket: number; spdy: number } } {
  let streams = 0;
  let sockets = 0;
  for (const s of sessions) {
    streams += s.openStreams;
    sockets += s.openSockets;
  }
  return { sessions: sessions.size, streams, sockets, upgrades: { ...upgrades } };
}


export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
/** The subprotocol of kubectl's first try: SPDY frames in websocket binary messages. */
export const PORT_FORWARD_WS_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;

// ws refuses this subprotocol ('/' is not an RFC 7230 token character), so the request's header is
// checked here and removed before ws sees it, and the answer names it through the headers hook.
const tunnel = new WebSocketServer({ noServer: true });
tunnel.on('headers', (headers) => headers.push(`Sec-WebSocket-Protocol: ${PORT_FORWARD_WS_PROTOCOL}`));

function refuse(socket: Duplex, status: string, message: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(message)}\r\nConnection: close\r\n\r\n${message}`);
}

/**
 * Answers a port-forward upgrade request: a websocket tunnel (`SPDY/3.1+portforward.k8s.io`,
 * what kubectl 1.30+ tries first) or a plain `Upgrade: SPDY/3.1` with
 * `X-Stream-Protocol-Version: portforward.k8s.io` (its fallback), then runs the session.
 */
export function upgradePortForward(req: IncomingMessage, socket: Duplex, head: Buffer, target: PortForwardTarget): void {
  const upgrade = (req.headers.upgrade ?? '').toLowerCase();
  if (upgrade === 'websocket') {
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (!offered.includes(PORT_FORWARD_WS_PROTOCOL)) return refuse(socket, '400 Bad Request', `unable to upgrade: the websocket subprotocol must be ${PORT_FORWARD_WS_PROTOCOL}, got [${offered.join(' ')}]\n`);
    delete req.headers['sec-websocket-protocol'];
    upgrades.websocket++;
    tunnel.handleUpgrade(req, socket, head, (ws) => void servePortForward(createWebSocketStream(ws), target));
    return;
  }
  if (upgrade !== 'spdy/3.1') return refuse(socket, '400 Bad Request', `unable to upgrade: unsupported protocol ${JSON.stringify(req.headers.upgrade ?? '')}, want SPDY/3.1 or websocket\n`);
  const raw = req.headers['x-stream-protocol-version'];
  const versions = (Array.isArray(raw) ? raw : [raw ?? '']).flatMap((v) => v.split(',')).map((v) => v.trim());
  if (!versions.includes(PORT_FORWARD_PROTOCOL)) return refuse(socket, '403 Forbidden', `unable to upgrade: unable to negotiate protocol: client supports [${versions.join(' ')}], server supports [${PORT_FORWARD_PROTOCOL}]\n`);
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}\r\n\r\n`);
  if (head.length) socket.unshift(head);
  upgrades.spdy++;
  void servePortForward(socket, target);
}

/** Runs one port-forward session on conn; resolves when it is over and everything is closed. */
export function servePortForward(conn: Duplex, target: PortForwardTarget): Promise<void> {
  return new PortForwardSession(conn, target).done;
}

/** Invariants: streams holds the open streams of pairs in pairs; a done pair is in neither. */
class PortForwardSession {
  readonly done: Promise<void>;
  private finish!: () => void;
  private state = State.Open;
  private readonly reader = new FrameReader();
  private readonly inflate = new HeaderDecompressor();
  private readonly deflate = new HeaderCompressor();
  private readonly streams = new Map<number, StreamState & { pair: Pair }>();
  private readonly pairs = new Map<string, Pair>();
  private lastStreamId = 0;
  private work: Promise<void> = Promise.resolve();
  private queued = 0;

  constructor(
    private readonly conn: Duplex,
    private readonly target: PortForwardTarget,
  ) {
    this.done = new Promise((r) => (this.finish = r));
    sessions.add(this);
    conn.on('data', (chunk: Buffer) => this.onBytes(chunk));
    conn.on('end', () => this.teardown());
    conn.on('close', () => this.teardown());
    conn.on('error', (e) => {
      log.debug('port-forward connection failed', { pod: target.pod, err: e });
      this.teardown();
    });
  }

  get openStreams(): number {
    return this.streams.size;
  }

  get openSockets(): number {
    return [...this.pairs.values()].filter((p) => p.socket && !p.socket.destroyed).length;
  }

  private onBytes(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.reader.push(chunk);
    } catch (e) {
      return this.sessionError(e as Error);
    }
    for (const f of frames) {
      this.queued++;
      if (this.queued > MAX_QUEUED) this.conn.pause();
      this.work = this.work
        .then(() => this.onFrame(f))
        .catch((e: Error) => this.sessionError(e))
        .finally(() => {
          if (--this.queued <= MAX_QUEUED / 2 && this.state !== State.Closed) this.conn.resume();
        });
    }
  }

  private write(f: Frame): boolean {
    if (this.state === State.Closed || !this.conn.writable) return true;
    return this.conn.write(encodeFrame(f));
  }

  private async onFrame(f: Frame): Promise<void> {
    if (this.state === State.Closed) return;
    switch (f.type) {
      case 'syn_stream':
        return this.onSynStream(f);
      case 'syn_reply':
      case 'headers':
        // nothing to do with them, but the zlib stream must see every block
        await this.inflate.decompress(f.headerBlock);
        return;
      case 'data':
        return this.onData(f);
      case 'rst_stream':
        return this.onReset(f.streamId);
      case 'ping':
        // client pings are odd; an even one would be our own, and we send none
        if (f.id % 2 === 1) this.write(f);
        return;
      case 'goaway':
        if (this.state === State.Open) this.state = State.GoingAway;
        return this.maybeEnd();
      case 'settings':
      case 'window_update':
      case 'unknown':
        return;
    }
  }

  private async onSynStream(f: Extract<Frame, { type: 'syn_stream' }>): Promise<void> {
    const headers = await this.inflate.decompress(f.headerBlock);
    if (f.streamId % 2 === 0 || f.streamId <= this.lastStreamId) throw new SpdyProtocolError(`stream id ${f.streamId} after ${this.lastStreamId}`);
    this.lastStreamId = f.streamId;
    if (this.state !== State.Open) return; // after GOAWAY new streams are ignored (section 2.6.6)
    const kind = headers.streamtype?.[0];
    const port = Number(headers.port?.[0]);
    if ((kind !== 'error' && kind !== 'data') || !Number.isInteger(port) || port < 1 || port > 65535) {
      log.warn('port-forward: bad stream headers', { pod: this.target.pod, headers });
      this.write({ type: 'rst_stream', streamId: f.streamId, status: RstStatus.ProtocolError });
      return;
    }
    // Clients before requestid paired streams by id: error N, data N+2 (as the kubelet falls back).
    const requestId = headers.requestid?.[0] ?? String(kind === 'data' ? f.streamId - 2 : f.streamId);
    let pair = this.pairs.get(requestId);
    if (!pair) {
      pair = { requestId, port, early: [], earlyFin: false, connected: false, done: false };
      this.pairs.set(requestId, pair);
      const p = pair;
      pair.timer = setTimeout(() => this.endPair(p, `timed out waiting for the ${p.error ? 'data' : 'error'} stream of request ${requestId}`), PAIR_TIMEOUT_MS);
    }
    if (pair[kind] || pair.port !== port) {
      this.write({ type: 'rst_stream', streamId: f.streamId, status: RstStatus.ProtocolError });
      return;
    }
    const s: StreamState & { pair: Pair } = { id: f.streamId, kind, pair, remoteClosed: (f.flags & FLAG_FIN) !== 0, localClosed: (f.flags & FLAG_UNIDIRECTIONAL) !== 0 };
    pair[kind] = s;
    this.streams.set(f.streamId, s);
    const block = await this.deflate.compress({});
    this.write({ type: 'syn_reply', streamId: f.streamId, flags: 0, headerBlock: block });
    if (pair.error && pair.data) this.startPair(pair);
  }

  private onData(f: Extract<Frame, { type: 'data' }>): void {
    const s = this.streams.get(f.streamId);
    if (!s) {
      // a stream this side already closed: late frames are dropped; one never opened is an error
      if (f.streamId > this.lastStreamId && this.state === State.Open) this.write({ type: 'rst_stream', streamId: f.streamId, status: RstStatus.InvalidStream });
      return;
    }
    if (s.remoteClosed) {
      this.write({ type: 'rst_stream', streamId: f.streamId, status: RstStatus.StreamAlreadyClosed });
      return;
    }
    const fin = (f.flags & FLAG_FIN) !== 0;
    if (fin) s.remoteClosed = true;
    if (s.kind !== 'data') return; // the client writes nothing on the error stream
    const pair = s.pair;
    if (!pair.socket) {
      if (f.data.length) pair.early.push(f.data);
      if (fin) pair.earlyFin = true;
      return;
    }
    if (f.data.length && !pair.socket.write(f.data)) {
      this.conn.pause();
      pair.socket.once('drain', () => this.state !== State.Closed && this.conn.resume());
      pair.socket.once('close', () => this.state !== State.Closed && this.conn.resume());
    }
    if (fin) pair.socket.end();
  }

  private onReset(streamId: number): void {
    const s = this.streams.get(streamId);
    if (!s) return;
    s.remoteClosed = s.localClosed = true;
    // a reset data stream ends the forwarded connection; a reset error stream only loses the channel
    if (s.kind === 'data') {
      if (s.pair.socket) s.pair.socket.destroy();
      else this.endPair(s.pair);
    }
  }

  private startPair(pair: Pair): void {
    clearTimeout(pair.timer);
    let sock: Socket;
    try {
      sock = this.target.dial(pair.port);
    } catch (e) {
      return this.endPair(pair, this.forwardError(pair.port, (e as Error).message, e instanceof SandboxDialError ? e.sandboxId : undefined));
    }
    pair.socket = sock;
    pair.connected = !sock.connecting;
    sock.on('connect', () => (pair.connected = true));
    sock.on('data', (b: Buffer) => {
      if (!this.sendData(pair.data!, b)) {
        sock.pause();
        this.conn.once('drain', () => sock.resume());
      }
    });
    sock.on('end', () => {
      // the pod is done sending: FIN the data stream; the client gets a moment to finish too
      this.sendFin(pair.data!);
      pair.timer = setTimeout(() => sock.destroy(), CLOSE_GRACE_MS);
    });
    sock.on('error', (e) => (pair.failure ??= e));
    sock.on('close', () => {
      const e = pair.failure as NodeJS.ErrnoException | undefined;
      // a dial that failed is the user's error to see; a reset of an open connection just ends it
      this.endPair(pair, e && !pair.connected ? this.forwardError(pair.port, `dial tcp 127.0.0.1:${pair.port}: ${dialReason(e.code, e.message)}`) : undefined);
    });
    for (const b of pair.early.splice(0)) sock.write(b);
    if (pair.earlyFin) sock.end();
  }

  /** The message on the error stream: the pod by its sandbox ID (and no uid) when the runtime's dial failed, as the runtime's streaming server words it. */
  private forwardError(port: number, why: string, sandboxId?: string): string {
    const pod = sandboxId === undefined ? `${this.target.pod}, uid ${this.target.uid}` : `${sandboxId}, uid `;
    return `error forwarding port ${port} to pod ${pod}: ${why}`;
  }

  private sendData(s: StreamState, data: Buffer): boolean {
    if (s.localClosed) return true;
    return this.write({ type: 'data', streamId: s.id, flags: 0, data });
  }

  private sendFin(s: StreamState | undefined): void {
    if (!s || s.localClosed) return;
    s.localClosed = true;
    this.write({ type: 'data', streamId: s.id, flags: FLAG_FIN, data: Buffer.alloc(0) });
  }

  /** Ends a pair: the message (if any) on its error stream, both streams FIN'd, all forgotten. */
  private endPair(pair: Pair, message?: string): void {
    if (pair.done) return;
    pair.done = true;
    clearTimeout(pair.timer);
    pair.socket?.destroy();
    if (message) {
      log.info('port-forward failed', { pod: this.target.pod, port: pair.port, err: message });
      if (pair.error && !pair.error.localClosed) this.sendData(pair.error, Buffer.from(message));
    }
    this.sendFin(pair.data);
    this.sendFin(pair.error);
    for (const s of [pair.error, pair.data]) if (s) this.streams.delete(s.id);
    this.pairs.delete(pair.requestId);
    this.maybeEnd();
  }

  private maybeEnd(): void {
    if (this.state !== State.GoingAway || this.pairs.size > 0) return;
    this.write({ type: 'goaway', lastGoodStreamId: this.lastStreamId, status: GoAwayStatus.Ok });
    this.conn.end();
    this.teardown();
  }

  private sessionError(e: Error): void {
    if (this.state === State.Closed) return;
    log.warn('port-forward session error', { pod: this.target.pod, err: e });
    this.write({ type: 'goaway', lastGoodStreamId: this.lastStreamId, status: e instanceof SpdyProtocolError ? GoAwayStatus.ProtocolError : GoAwayStatus.InternalError });
    this.conn.end();
    this.teardown();
  }

  /** The connection is gone (or going): every pod socket is closed and every stream forgotten. */
  private teardown(): void {
    if (this.state === State.Closed) return;
    this.state = State.Closed;
    for (const p of this.pairs.values()) {
      p.done = true;
      clearTimeout(p.timer);
      p.socket?.destroy();
    }
    this.pairs.clear();
    this.streams.clear();
    this.inflate.close();
    this.deflate.close();
    if (!this.conn.destroyed) setTimeout(() => this.conn.destroy(), CLOSE_GRACE_MS).unref();
    sessions.delete(this);
    this.finish();
  }
}
