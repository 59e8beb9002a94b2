// RestClient against a small HTTPS server that drops the connections of the first requests it
// gets: a GET whose connection is reset (an RST: read ECONNRESET) or closed before its answer
// (socket hang up, Go's EOF) is sent again a second later, as client-go's request() retries a GET
// on net.IsConnectionReset or net.IsProbableEOF; a write is never sent again. Lists and watches
// are GETs too.
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensurePki } from '../apiserver/pki.js';
import { Pods, RestClient } from './rest-client.js';

/** What the server does with a request: reset its connection, close it, or answer. */
type Drop = 'reset' | 'close';

let server: Server;
let client: RestClient;
let port = 0;
/** How the next requests' connections are dropped, in order; once empty, requests are answered. */
let drops: Drop[] = [];
let answer = '';
let seen: { method: string; url: string; at: number }[] = [];
/** The raw TCP socket under each TLS connection, to reset it. */
const raw = new Map<string, Socket>();
const dir = mkdtempSync(join(tmpdir(), 'rest-client-reset-'));
const key = (s: { remoteAddress?: string; remotePort?: number }) => `${s.remoteAddress}:${s.remotePort}`;

beforeAll(async () => {
  const pki = await ensurePki(dir, ['127.0.0.1']);
  server = createServer({ cert: pki.cert, key: pki.key }, (req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', at: performance.now() });
      const drop = drops.shift();
      if (drop === 'reset') raw.get(key(req.socket))!.resetAndDestroy();
      else if (drop === 'close') req.socket.destroy();
      else res.writeHead(200, { 'Content-Type': 'application/json' }).end(answer);
    });
  });
  server.on('connection', (s: Socket) => {
    raw.set(key(s), s);
    s.on('close', () => raw.delete(key(s)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
  client = new RestClient({ server: `https://127.0.0.1:${port}`, caCert: pki.caCert, token: 't', namespace: 'default', source: 'test' });
});

beforeEach(() => {
  seen = [];
  drops = [];
  // Each case starts on a new connection: a request that meets a reused connection closed before
  // its answer is sent again at once by the transport, as Go's Transport does (http1.test.ts), so
  // client-go's own retry is seen only on a connection's first request.
  client.closeAllConnections();
});

afterAll(async () => {
  client?.close();
  await new Promise((r) => server?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('RestClient retries a GET whose connection was reset (client-go isErrRetryableFunc)', () => {
  it.each<Drop>(['reset', 'close'])('sends a get again a second after its connection is dropped (%s)', async (drop) => {
    drops = [drop];
    answer = JSON.stringify({ kind: 'Pod', metadata: { name: 'p' } });
    expect(await client.get(Pods, 'default', 'p')).toEqual({ kind: 'Pod', metadata: { name: 'p' } });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['GET /api/v1/namespaces/default/pods/p', 'GET /api/v1/namespaces/default/pods/p']);
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('never sends a write again', async () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      seen = [];
      drops = ['reset'];
      answer = '{}';
      const err = await client.request('/api/v1/namespaces/default/pods', { method, body: {} }).catch((e: unknown) => e);
      expect((err as Error).message).toBe(`${method} https://127.0.0.1:${port}/api/v1/namespaces/default/pods: read ECONNRESET`);
      expect(seen).toHaveLength(1);
    }
  });

  it('retries a list and a watch', async () => {
    drops = ['close', 'reset'];
    answer = JSON.stringify({ kind: 'PodList', metadata: { resourceVersion: '5' }, items: [{ metadata: { name: 'a' } }] });
    expect((await client.list(Pods, 'default')).items).toEqual([{ metadata: { name: 'a' } }]);
    expect(seen).toHaveLength(3);
    seen = [];
    drops = ['reset'];
    answer = `${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a' } } })}\n`;
    const events: unknown[] = [];
    const w = await client.watch(Pods, 'default', {}, (e) => events.push(e));
    await w.done;
    expect(events).toEqual([{ type: 'ADDED', object: { metadata: { name: 'a' } } }]);
    expect(seen).toHaveLength(2);
  });

  it('stops at the request\'s timeout with the last error, naming an earlier attempt\'s (WrapPreviousError)', async () => {
    drops = ['close', 'reset', 'reset', 'reset'];
    const started = performance.now();
    const err = await client.request('/api/v1/namespaces/default/pods/p', { timeoutMs: 1500 }).catch((e: unknown) => e);
    expect((err as Error).message).toBe(`GET https://127.0.0.1:${port}/api/v1/namespaces/default/pods/p: read ECONNRESET - error from a previous attempt: socket hang up`);
    expect(seen).toHaveLength(2);
    expect(performance.now() - started).toBeLessThan(1500);
  });
});
