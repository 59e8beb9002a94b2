// Http1Pool against real TLS servers on loopback: node:https servers for ordinary answers, and a
// raw TLS server for the answers node:https will not write (a body read until the connection
// closes, a connection closed while it sits idle, bytes nobody asked for).
import { createServer, type Server } from 'node:https';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePki } from '../apiserver/pki.js';
import { Http1Pool, type Http1Response } from './http1.js';

const dir = mkdtempSync(join(tmpdir(), 'http1-test-'));
let pki: { caCert: string; cert: string; key: string };
let server: Server;
let port = 0;
/** TLS connections the https server accepted. */
let connections = 0;
/** Requests for /slow the server received. */
let slowAsked = 0;
const pools: Http1Pool[] = [];

const pool = (o: Partial<ConstructorParameters<typeof Http1Pool>[0]> = {}) => {
  const p = new Http1Pool({ host: '127.0.0.1', port, ca: pki.caCert, ...o });
  pools.push(p);
  return p;
};
const text = (r: Http1Response) => r.body.toString('utf8');

beforeAll(async () => {
  pki = await ensurePki(dir, ['127.0.0.1']);
  server = createServer({ cert: pki.cert, key: pki.key }, (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'https://x');
      switch (u.pathname) {
        case '/echo':
          res.writeHead(201, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ method: req.method, body, auth: req.headers.authorization ?? null, host: req.headers.host, multi: req.headers['x-multi'] ?? null }));
          return;
        case '/chunked':
          // No Content-Length: node:http sends it with chunked transfer coding, in these pieces.
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          res.write('first,');
          setTimeout(() => {
            res.write('x'.repeat(70_000));
            res.end(',last');
          }, 10);
          return;
        case '/headers':
          res.setHeader('Warning', ['299 - "one"', '299 - "two"']);
          res.setHeader('Set-Cookie', ['a=1', 'b=2']);
          res.writeHead(200);
          res.end('ok');
          return;
        case '/empty':
          res.writeHead(204);
          res.end();
          return;
        case '/slow':
          slowAsked++;
          setTimeout(() => res.end('late'), Number(u.searchParams.get('ms') ?? 0));
          return;
        case '/short-keepalive':
          res.setHeader('Keep-Alive', 'timeout=1');
          res.end('short');
          return;
        default:
          res.writeHead(404);
          res.end('no such path');
      }
    });
  });
  server.on('secureConnection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const p of pools) p.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('Http1Pool', () => {
  it('sends the method, headers and body and reads a Content-Length answer', async () => {
    const r = await pool().request({ method: 'POST', path: '/echo?x=1', headers: { Authorization: 'Bearer t', 'Content-Type': 'application/json', 'Content-Length': '7', 'X-Multi': ['a', 'b'] }, body: '{"a":1}' });
    expect(r.status).toBe(201);
    expect(r.headers['content-type']).toBe('application/json');
    expect(JSON.parse(text(r))).toEqual({ method: 'POST', body: '{"a":1}', auth: 'Bearer t', host: `127.0.0.1:${port}`, multi: 'a, b' });
  });

  it('reuses one connection for requests one after another', async () => {
    const p = pool();
    const before = connections;
    for (let i = 0; i < 5; i++) expect(text(await p.request({ method: 'GET', path: '/headers', headers: {} }))).toBe('ok');
    expect(connections - before).toBe(1);
  });

  it('opens no more than maxSockets connections; the other requests wait their turn', async () => {
    const p = pool({ maxSockets: 2 });
    const before = connections;
    const rs = await Promise.all(Array.from({ length: 6 }, () => p.request({ method: 'GET', path: '/slow?ms=20', headers: {} })));
    expect(rs.map(text)).toEqual(Array(6).fill('late'));
    expect(connections - before).toBe(2);
  });

  it('reads a chunked answer in pieces, and the connection is used again after it', async () => {
    const p = pool();
    const before = connections;
    const r = await p.request({ method: 'GET', path: '/chunked', headers: {} });
    expect(r.headers['transfer-encoding']).toBe('chunked');
    expect(text(r)).toBe(`first,${'x'.repeat(70_000)},last`);
    expect(text(await p.request({ method: 'GET', path: '/chunked', headers: {} }))).toHaveLength(6 + 70_000 + 5);
    expect(connections - before).toBe(1);
  });

  it('joins a repeated header as node:http does, and keeps Set-Cookie apart', async () => {
    const r = await pool().request({ method: 'GET', path: '/headers', headers: {} });
    expect(r.headers.warning).toBe('299 - "one", 299 - "two"');
    expect(r.headers['set-cookie']).toEqual(['a=1', 'b=2']);
  });

  it('reads no body for a 204 or a HEAD, and the connection stays usable', async () => {
    const p = pool();
    expect((await p.request({ method: 'GET', path: '/empty', headers: {} })).status).toBe(204);
    const head = await p.request({ method: 'HEAD', path: '/echo', headers: {} });
    expect(head.status).toBe(201);
    expect(head.body).toHaveLength(0);
    expect(text(await p.request({ method: 'GET', path: '/headers', headers: {} }))).toBe('ok');
  });

  it("closes an idle connection a second before the server's announced keep-alive timeout", async () => {
    const p = pool();
    const before = connections;
    await p.request({ method: 'GET', path: '/short-keepalive', headers: {} });
    await p.request({ method: 'GET', path: '/short-keepalive', headers: {} });
    // timeout=1: kept for 0 s, so each request dials afresh
    expect(connections - before).toBe(2);
  });

  it('fails a request whose answer does not come within its timeout, as "request timed out"', async () => {
    const e = await pool().request({ method: 'GET', path: '/slow?ms=2000', headers: {}, timeoutMs: 100 }).catch((x: Error) => x);
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message).toBe('request timed out');
    expect((e as NodeJS.ErrnoException).code).toBe('ETIMEDOUT');
  });

  it('does not send a GET again when it timed out on a reused connection (a timeout is no idle close)', async () => {
    const p = pool();
    await p.request({ method: 'GET', path: '/echo', headers: {} });
    slowAsked = 0;
    const e = await p.request({ method: 'GET', path: '/slow?ms=2000', headers: {}, timeoutMs: 300 }).catch((x: Error) => x);
    expect((e as NodeJS.ErrnoException).code).toBe('ETIMEDOUT');
    // (sent again, it would have been asked twice, and failed only after a second timeout)
    expect(slowAsked).toBe(1);
  });

  it('refuses a header value with a line break without sending anything', async () => {
    const before = connections;
    await expect(pool().request({ method: 'GET', path: '/echo', headers: { 'X-Bad': 'a\r\nInjected: 1' } })).rejects.toThrow(/Invalid character in header content \["X-Bad"\]/);
    expect(connections).toBe(before);
  });

  it('verifies the server against the CA, unless told not to', async () => {
    const other = await ensurePki(join(dir, 'other'), ['127.0.0.1']);
    const e = await pool({ ca: other.caCert }).request({ method: 'GET', path: '/headers', headers: {} }).catch((x: Error) => x);
    expect(e).toBeInstanceOf(Error);
    expect(String((e as NodeJS.ErrnoException).code)).toMatch(/CERT|SIGNATURE|SELF_SIGNED|VERIFY/);
    expect(text(await pool({ ca: other.caCert, rejectUnauthorized: false }).request({ method: 'GET', path: '/headers', headers: {} }))).toBe('ok');
  });

  it('reports a refused connection with its code', async () => {
    const free = createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
    const closedPort = (free.address() as AddressInfo).port;
    await new Promise((r) => free.close(r));
    const e = await pool({ port: closedPort }).request({ method: 'GET', path: '/', headers: {} }).catch((x: Error) => x);
    expect((e as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('fails requests waiting for a connection when the pool is destroyed', async () => {
    const p = pool({ maxSockets: 1 });
    const first = p.request({ method: 'GET', path: '/slow?ms=200', headers: {} }).catch((e: Error) => e);
    const second = p.request({ method: 'GET', path: '/headers', headers: {} }).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 20));
    p.destroy();
    expect(await first).toBeInstanceOf(Error);
    expect(String(await second)).toMatch(/pool is closed/);
  });
});

describe('Http1Pool against a raw server', () => {
  let raw: TlsServer;
  let rawPort = 0;
  /** What the raw server does with each request it reads, by connection order and request order. */
  let behave: (sock: TLSSocket, conn: number, req: number, head: string) => void;
  let conns = 0;

  beforeAll(async () => {
    raw = createTlsServer({ cert: pki.cert, key: pki.key }, (sock) => {
      const conn = ++conns;
      let n = 0;
      let buf = '';
      sock.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
          const head = buf.slice(0, end);
          const len = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
          buf = buf.slice(end + 4 + len);
          behave(sock, conn, ++n, head);
        }
      });
      sock.on('error', () => {});
    });
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    rawPort = (raw.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => raw.close(r));
  });

  it('reads a body with no length until the connection closes, and does not reuse that connection', async () => {
    behave = (sock) => {
      sock.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of ');
      setTimeout(() => sock.end('it'), 10);
    };
    const p = pool({ port: rawPort });
    const before = conns;
    expect(text(await p.request({ method: 'GET', path: '/', headers: {} }))).toBe('all of it');
    expect(text(await p.request({ method: 'GET', path: '/', headers: {} }))).toBe('all of it');
    expect(conns - before).toBe(2);
  });

  it('skips an interim 100 Continue answer', async () => {
    behave = (sock) => sock.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone');
    expect(text(await pool({ port: rawPort }).request({ method: 'GET', path: '/', headers: {} }))).toBe('done');
  });

  it('sends a GET again on a new connection when a reused one was closed before its answer began; a POST fails', async () => {
    // Each connection answers its first request and closes when the second arrives (as a server
    // whose idle timeout ran out just as the request was written).
    behave = (sock, _conn, req) => {
      if (req === 1) sock.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst');
      else sock.destroy();
    };
    const p = pool({ port: rawPort });
    const before = conns;
    await p.request({ method: 'GET', path: '/', headers: {} });
    expect(text(await p.request({ method: 'GET', path: '/', headers: {} }))).toBe('first');
    expect(conns - before).toBe(2);
    await expect(p.request({ method: 'POST', path: '/', headers: { 'Content-Length': '2' }, body: '{}' })).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('fails an answer cut short, naming it', async () => {
    behave = (sock) => sock.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this');
    await expect(pool({ port: rawPort }).request({ method: 'GET', path: '/', headers: {} })).rejects.toThrow(/closed before the whole response arrived/);
  });

  it('fails a malformed status line', async () => {
    behave = (sock) => sock.write('SMTP ready\r\n\r\n');
    await expect(pool({ port: rawPort }).request({ method: 'GET', path: '/', headers: {} })).rejects.toThrow(/malformed HTTP status line/);
  });

  it('reads chunk sizes with extensions and trailers', async () => {
    behave = (sock) => sock.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: yes\r\n\r\n');
    expect(text(await pool({ port: rawPort }).request({ method: 'GET', path: '/', headers: {} }))).toBe('hello world');
  });

  it('reads an answer that arrives one byte at a time', async () => {
    behave = (sock) => {
      const bytes = Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n');
      let i = 0;
      const tick = () => {
        if (i >= bytes.length) return;
        sock.write(bytes.subarray(i, ++i));
        setImmediate(tick);
      };
      tick();
    };
    expect(text(await pool({ port: rawPort }).request({ method: 'GET', path: '/', headers: {} }))).toBe('abcde');
  });
});
