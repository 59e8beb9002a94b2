// A small HTTP/1.1 client over TLS for the REST client's whole-body requests: a pool of
// keep-alive connections, one request at a time on each, answers read by Content-Length, chunked
// transfer coding or the connection's end (RFC 9112 section 6.3).
//
// node:https's ClientRequest/IncomingMessage/Agent machinery costs a JavaScript client about
// 0.18 ms of CPU per request on this kind of machine, against about 0.05 ms for the same bytes
// written and parsed here: on a small cluster the client shares its cores with the apiserver and
// etcd, and a create's round trip pays for both ends. Streams (watches, large lists) still use
// node:https, which suits them.
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { isIP } from 'node:net';

export interface Http1PoolOptions {
  host: string;
  port: number;
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized?: boolean;
  /** Connections open at once; requests beyond them wait for one to be free. */
  maxSockets?: number;
}

export interface Http1Request {
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body?: string | Buffer;
  /** The socket's idle timeout (ms), as node:http's `timeout` option: no byte for so long fails the request. */
  timeoutMs?: number;
}

export interface Http1Response {
  status: number;
  /** Header names in lower case; repeated headers joined with ", " as node:http joins them, set-cookie kept apart. */
  headers: Record<string, string | string[]>;
  body: Buffer;
}

/** An error with the code node:net gives its socket errors (ECONNRESET, ETIMEDOUT...). */
function coded(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** How long an idle connection is kept when the server announces no keep-alive timeout (Go servers announce none): a little under the shortest idle timeout servers commonly use (Node 5 s). */
const IDLE_DEFAULT_MS = 4000;

/**
 * One response being read off a connection. Bytes come in pieces of any size; `feed` takes them
 * and returns true once the response is whole (what follows, if anything, is left in `rest`).
 */
class ResponseReader {
  status = 0;
  headers: Record<string, string | string[]> = {};
  private head: Buffer = Buffer.alloc(0);
  private headDone = false;
  private parts: Buffer[] = [];
  private length = -1; // Content-Length, or -1
  private got = 0;
  private chunked = false;
  private untilClose = false;
  private chunkLeft = -1; // bytes left of the current chunk's data (-1: a size line is next)
  private pending: Buffer = Buffer.alloc(0); // a chunk size line or trailer not yet whole
  private trailers = false;
  done = false;
  keepAlive = true;
  /** Seconds the server keeps an idle connection (its Keep-Alive: timeout=N), if it says. */
  idleSeconds?: number;
  rest: Buffer = Buffer.alloc(0);

  constructor(private readonly method: string) {}

  feed(b: Buffer): boolean {
    if (!this.headDone) {
      const buf = this.head.length ? Buffer.concat([this.head, b]) : b;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buf.length > 1 << 20) throw coded('the response header is over 1 MiB', 'HPE_HEADER_OVERFLOW');
        this.head = buf;
        return false;
      }
      this.readHead(buf.toString('latin1', 0, end));
      b = buf.subarray(end + 4);
      this.head = Buffer.alloc(0);
      // An interim answer (100 Continue, 103 Early Hints) is followed by the real one.
      if (this.status >= 100 && this.status < 200 && this.status !== 101) {
        this.status = 0;
        this.headers = {};
        return b.length ? this.feed(b) : false;
      }
      this.headDone = true;
      if (this.method === 'HEAD' || this.status === 204 || this.status === 304) return this.finish(b);
      const te = String(this.headers['transfer-encoding'] ?? '').toLowerCase();
      const cl = this.headers['content-length'];
      if (te) {
        if (!te.split(',').map((s) => s.trim()).includes('chunked')) this.untilClose = true;
        else this.chunked = true;
      } else if (cl !== undefined) {
        const s = String(cl);
        if (!/^\d+$/.test(s)) throw coded(`the response's Content-Length ${JSON.stringify(s)} is not a number`, 'HPE_INVALID_CONTENT_LENGTH');
        this.length = Number(s);
      } else this.untilClose = true;
      if (this.untilClose) this.keepAlive = false;
      if (this.length === 0) return this.finish(b);
    }
    if (this.chunked) return this.feedChunked(b);
    if (this.untilClose) {
      if (b.length) this.parts.push(b);
      return false;
    }
    const want = this.length - this.got;
    if (b.length < want) {
      if (b.length) this.parts.push(b);
      this.got += b.length;
      return false;
    }
    this.parts.push(b.subarray(0, want));
    this.got += want;
    return this.finish(b.subarray(want));
  }

  /** The connection ended: a response read until then is whole; any other is cut short. */
  end(): boolean {
    if (this.headDone && this.untilClose) {
      this.done = true;
      return true;
    }
    return false;
  }

  /** Whether no byte of this response has come yet (a reused connection the server had closed). */
  get untouched(): boolean {
    return !this.headDone && this.head.length === 0;
  }

  body(): Buffer {
    return this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
  }

  private finish(rest: Buffer): boolean {
    this.done = true;
    this.rest = rest;
    return true;
  }

  private readHead(text: string): void {
    const lines = text.split('\r\n');
    const m = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/.exec(lines[0] ?? '');
    if (!m) throw coded(`malformed HTTP status line ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`, 'HPE_INVALID_CONSTANT');
    this.status = Number(m[2]);
    const headers: Record<string, string | string[]> = {};
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon <= 0) throw coded(`malformed HTTP header line ${JSON.stringify(line.slice(0, 80))}`, 'HPE_INVALID_HEADER_TOKEN');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      const prev = headers[name];
      if (name === 'set-cookie') headers[name] = [...((prev as string[] | undefined) ?? []), value];
      else headers[name] = prev === undefined ? value : `${prev as string}, ${value}`;
    }
    this.headers = headers;
    const connection = String(headers.connection ?? '').toLowerCase();
    // HTTP/1.0 closes unless it asks to keep alive; 1.1 keeps alive unless it says close.
    this.keepAlive = m[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
    const ka = /\btimeout=(\d+)/i.exec(String(headers['keep-alive'] ?? ''));
    if (ka) this.idleSeconds = Number(ka[1]);
  }

  private feedChunked(b: Buffer): boolean {
    let p = 0;
    while (p < b.length || (this.pending.length && this.chunkLeft < 0)) {
      if (this.chunkLeft > 0) {
        const n = Math.min(this.chunkLeft, b.length - p);
        this.parts.push(b.subarray(p, p + n));
        this.chunkLeft -= n;
        p += n;
        continue;
      }
      // A line: the CRLF after a chunk's data, a size line, or a trailer line.
      const buf = this.pending.length ? Buffer.concat([this.pending, b.subarray(p)]) : b.subarray(p);
      const nl = buf.indexOf('\r\n');
      if (nl < 0) {
        if (buf.length > 64 * 1024) throw coded('a chunk size line is over 64 KiB', 'HPE_CHUNK_EXTENSIONS_OVERFLOW');
        this.pending = Buffer.from(buf);
        return false;
      }
      const line = buf.toString('latin1', 0, nl);
      const consumed = nl + 2 - this.pending.length;
      this.pending = Buffer.alloc(0);
      p += consumed;
      if (this.chunkLeft === 0) {
        // the CRLF that ends a chunk's data
        if (line !== '') throw coded('a chunk is not followed by CRLF', 'HPE_STRICT');
        this.chunkLeft = -1;
        continue;
      }
      if (this.trailers) {
        if (line === '') return this.finish(b.subarray(p));
        continue;
      }
      const size = /^([0-9a-fA-F]+)\s*(;.*)?$/.exec(line);
      if (!size) throw coded(`malformed chunk size ${JSON.stringify(line.slice(0, 40))}`, 'HPE_INVALID_CHUNK_SIZE');
      const n = parseInt(size[1]!, 16);
      if (n === 0) this.trailers = true;
      else this.chunkLeft = n;
      // (the data's own CRLF is read as an empty line once chunkLeft is back at 0)
    }
    return false;
  }
}

interface Conn {
  socket: TLSSocket;
  /** The request on this connection and its answer's reader, while one is under way. */
  busy?: { reader: ResponseReader; resolve: (r: Http1Response) => void; reject: (e: Error) => void };
  idleTimer?: NodeJS.Timeout;
  /** Whether it has carried a request before (a reused connection). */
  used: boolean;
  idleMs: number;
}

/**
 * Keep-alive HTTP/1.1 connections to one server over TLS. An idle connection does not keep the
 * process alive (as node:http's agent unrefs its free sockets), and is closed a second before the
 * server's announced keep-alive timeout (as node:http's agent does since Node 19), so that a
 * request is not written to a connection the server is closing.
 */
export class Http1Pool {
  private readonly idle: Conn[] = [];
  private readonly all = new Set<Conn>();
  private readonly waiting: (() => void)[] = [];
  private readonly maxSockets: number;
  private session?: Buffer;
  private closed = false;

  constructor(private readonly o: Http1PoolOptions) {
    this.maxSockets = o.maxSockets ?? 64;
  }

  /** Sends a request and reads its whole answer. */
  async request(req: Http1Request): Promise<Http1Response> {
    if (this.closed) throw coded('the connection pool is closed', 'ERR_HTTP1_POOL_CLOSED');
    const bytes = this.encode(req);
    // A request that may be sent twice without harm (Go's Request.isReplayable: GET, HEAD,
    // OPTIONS, TRACE, with no body).
    const replayable = ['GET', 'HEAD', 'OPTIONS', 'TRACE'].includes(req.method) && !req.body?.length;
    for (;;) {
      const conn = await this.take();
      try {
        return await this.send(conn, req.method, bytes, req.timeoutMs);
      } catch (e) {
        // A reused connection the server closed while it sat idle, before any byte of the answer:
        // a replayable request is sent again on a new connection, as Go's net/http Transport does
        // (transport.go shouldRetryRequest: a reused connection, errServerClosedIdle). Any other
        // fails: it may have been carried out.
        if (replayable && (e as { closedIdle?: boolean }).closedIdle) continue;
        throw e;
      }
    }
  }

  /** The request's bytes; a header name or value with a line break is refused as node:http refuses it. */
  private encode(req: Http1Request): Buffer | string {
    let head = `${req.method} ${req.path} HTTP/1.1\r\nHost: ${hostHeader(this.o.host, this.o.port)}\r\n`;
    if (/[\s]/.test(req.method) || /[\r\n ]/.test(req.path)) throw new TypeError(`Request path contains unescaped characters`);
    for (const [k, v] of Object.entries(req.headers)) {
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k)) throw new TypeError(`Header name must be a valid HTTP token ["${k}"]`);
      for (const one of Array.isArray(v) ? v : [v]) {
        if (/[\r\n\0]/.test(one)) throw new TypeError(`Invalid character in header content ["${k}"]`);
        head += `${k}: ${one}\r\n`;
      }
    }
    head += '\r\n';
    if (req.body === undefined || req.body.length === 0) return head;
    if (typeof req.body === 'string') return head + req.body;
    return Buffer.concat([Buffer.from(head, 'latin1'), req.body]);
  }

  /** Closes every connection; requests under way fail. */
  destroy(): void {
    this.closed = true;
    for (const c of this.all) c.socket.destroy();
    this.all.clear();
    this.idle.length = 0;
    for (const w of this.waiting.splice(0)) w();
  }

  /** Closes every connection, idle or busy (requests under way fail); the pool dials afresh after. */
  closeConnections(): void {
    for (const c of [...this.all]) c.socket.destroy();
  }

  private async take(): Promise<Conn> {
    for (;;) {
      const c = this.idle.pop();
      if (c) {
        clearTimeout(c.idleTimer);
        c.socket.ref();
        return c;
      }
      if (this.all.size < this.maxSockets) return this.dial();
      await new Promise<void>((r) => this.waiting.push(r));
      if (this.closed) throw coded('the connection pool is closed', 'ERR_HTTP1_POOL_CLOSED');
    }
  }

  private dial(): Conn {
    const { host, port, ca, cert, key, rejectUnauthorized } = this.o;
    const opts: ConnectionOptions = { host, port, ca, cert, key, rejectUnauthorized: rejectUnauthorized ?? true, session: this.session, ALPNProtocols: ['http/1.1'] };
    if (!isIP(host)) opts.servername = host;
    const socket = connect(opts);
    socket.setNoDelay(true);
    const conn: Conn = { socket, used: false, idleMs: IDLE_DEFAULT_MS };
    this.all.add(conn);
    socket.on('session', (s: Buffer) => (this.session = s));
    socket.on('data', (b: Buffer) => this.onData(conn, b));
    socket.on('end', () => this.onClose(conn, undefined));
    socket.on('error', (e) => this.onClose(conn, e));
    socket.on('close', () => this.onClose(conn, undefined));
    socket.on('timeout', () => socket.destroy(coded('request timed out', 'ETIMEDOUT')));
    return conn;
  }

  private send(conn: Conn, method: string, bytes: Buffer | string, timeoutMs: number | undefined): Promise<Http1Response> {
    return new Promise((resolve, reject) => {
      const reused = conn.used;
      conn.used = true;
      const reader = new ResponseReader(method);
      // (a timeout is no idle close: the server may be working on the request, and its time is spent)
      conn.busy = { reader, resolve, reject: (e) => reject(reused && reader.untouched && !this.closed && (e as NodeJS.ErrnoException).code !== 'ETIMEDOUT' ? Object.assign(e, { closedIdle: true }) : e) };
      conn.socket.setTimeout(timeoutMs ?? 0);
      conn.socket.write(bytes);
    });
  }

  private onData(conn: Conn, b: Buffer): void {
    const busy = conn.busy;
    if (!busy) {
      // Bytes nobody asked for: the connection is out of step.
      conn.socket.destroy();
      return;
    }
    let whole: boolean;
    try {
      whole = busy.reader.feed(b);
    } catch (e) {
      this.fail(conn, e as Error);
      return;
    }
    if (whole) this.complete(conn);
  }

  private complete(conn: Conn): void {
    const busy = conn.busy!;
    const r = busy.reader;
    conn.busy = undefined;
    conn.socket.setTimeout(0);
    if (r.keepAlive && !r.rest.length && !this.closed && !conn.socket.destroyed) {
      if (r.idleSeconds !== undefined) conn.idleMs = Math.max(0, r.idleSeconds * 1000 - 1000);
      if (conn.idleMs > 0) {
        conn.socket.unref();
        conn.idleTimer = setTimeout(() => conn.socket.destroy(), conn.idleMs).unref();
        this.idle.push(conn);
      } else conn.socket.destroy();
    } else conn.socket.destroy();
    this.wake();
    busy.resolve({ status: r.status, headers: r.headers, body: r.body() });
  }

  private fail(conn: Conn, e: Error): void {
    const busy = conn.busy;
    conn.busy = undefined;
    conn.socket.destroy();
    busy?.reject(e);
  }

  private onClose(conn: Conn, err: Error | undefined): void {
    const busy = conn.busy;
    if (busy && !err && busy.reader.end()) {
      this.complete(conn);
    } else if (busy) {
      conn.busy = undefined;
      busy.reject(err ?? coded(busy.reader.untouched ? 'socket hang up' : 'the connection closed before the whole response arrived', 'ECONNRESET'));
    }
    if (!conn.socket.destroyed) conn.socket.destroy();
    if (this.all.delete(conn)) {
      clearTimeout(conn.idleTimer);
      const i = this.idle.indexOf(conn);
      if (i >= 0) this.idle.splice(i, 1);
      this.wake();
    }
  }

  private wake(): void {
    this.waiting.shift()?.();
  }
}

function hostHeader(host: string, port: number): string {
  const h = isIP(host) === 6 ? `[${host}]` : host;
  return port === 443 ? h : `${h}:${port}`;
}
