// RestClient.list against a small HTTPS server that answers with whatever body a test gives, in
// pieces of a chosen size: an apiserver's line-per-item list is parsed item by item, whatever the
// pieces; any other body (compact, pretty-printed, an error Status) is parsed whole.
import { createServer, type Server } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePki } from '../apiserver/pki.js';
import { Deployments, Pods, RestClient, StatusError } from './rest-client.js';

let server: Server;
let client: RestClient;
let reply: { code: number; body: string; piece: number; cut?: boolean; hang?: boolean; contentType?: string } = { code: 200, body: '', piece: 1 };
/** The TCP connections the server has accepted. */
let connections = 0;
const dir = mkdtempSync(join(tmpdir(), 'rest-client-'));

beforeAll(async () => {
  const pki = await ensurePki(dir, ['127.0.0.1']);
  server = createServer({ cert: pki.cert, key: pki.key }, (_req, res) => {
    const { body, piece, cut, hang } = reply;
    // (hang: a connection the server no longer answers on, as a half-dead one)
    if (hang) return;
    // (cut: the connection closes halfway through a body whose length was announced)
    res.writeHead(reply.code, { 'Content-Type': reply.contentType ?? 'application/json', ...(cut ? { 'Content-Length': String(body.length) } : {}) });
    if (cut) {
      res.write(body.slice(0, body.length >> 1), () => res.socket?.destroy());
      return;
    }
    for (let i = 0; i < body.length; i += piece) res.write(body.slice(i, i + piece));
    res.end();
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  client = new RestClient({ server: `https://127.0.0.1:${port}`, caCert: pki.caCert, token: 't', namespace: 'default', source: 'test' });
});

afterAll(async () => {
  client?.close();
  await new Promise((r) => server?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const items = Array.from({ length: 5 }, (_, i) => ({ metadata: { name: `p${i}`, annotations: { text: `a\nb,\n${'z'.repeat(i * 300)}` } }, spec: { n: i } }));
const head = '{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"42"},"items":[';

describe('RestClient.list', () => {
  it.each([1, 7, 64, 100_000])('parses a line-per-item list item by item, sent in pieces of %i characters', async (piece) => {
    reply = { code: 200, body: `${head}\n${items.map((i) => JSON.stringify(i)).join(',\n')}\n]}`, piece };
    const l = await client.list(Pods, 'default');
    expect(l).toEqual({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '42' }, items });
  });

  it('parses an empty line-per-item list', async () => {
    reply = { code: 200, body: `${head}\n\n]}`, piece: 3 };
    expect((await client.list(Pods, 'default')).items).toEqual([]);
  });

  it('parses a compact list and a pretty-printed one whole', async () => {
    const list = { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '7' }, items };
    for (const body of [JSON.stringify(list), JSON.stringify(list, null, 2)]) {
      reply = { code: 200, body, piece: 50 };
      expect(await client.list(Pods, 'default')).toEqual(list);
    }
  });

  it('throws an error Status as StatusError, whatever its layout', async () => {
    const status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'pods is forbidden', reason: 'Forbidden', code: 403 };
    reply = { code: 403, body: JSON.stringify(status, null, 1), piece: 10 };
    const err = await client.list(Pods, 'default').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).code).toBe(403);
    expect((err as StatusError).message).toBe('pods is forbidden');
  });

  it('rejects a broken line-per-item list with the JSON error', async () => {
    reply = { code: 200, body: `${head}\n{"metadata":\n]}`, piece: 100 };
    await expect(client.list(Pods, 'default')).rejects.toThrow(SyntaxError);
  });
});

describe('RestClient.request', () => {
  it('parses a body sent in pieces, and a multi-byte character split between them', async () => {
    const obj = { kind: 'Pod', metadata: { name: 'p', annotations: { note: 'héllo wörld ✓'.repeat(20) } } };
    reply = { code: 200, body: JSON.stringify(obj), piece: 5 };
    expect(await client.get(Pods, 'default', 'p')).toEqual(obj);
  });

  it('throws an error Status as StatusError', async () => {
    reply = { code: 404, body: JSON.stringify({ kind: 'Status', status: 'Failure', message: 'pods "p" not found', reason: 'NotFound', code: 404 }), piece: 3 };
    const err = await client.get(Pods, 'default', 'p').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).message).toBe('pods "p" not found');
  });

  it('rejects a body cut short by a closed connection instead of answering its first half', async () => {
    reply = { code: 200, body: JSON.stringify({ kind: 'Pod', metadata: { name: 'p' }, spec: { x: 'y'.repeat(4000) } }), piece: 1, cut: true };
    await expect(client.get(Pods, 'default', 'p')).rejects.toThrow();
  });
});

describe('RestClient.closeAllConnections', () => {
  it('ends the connections requests hang on and dials a new one, as connrotation CloseAll: a hung GET is sent again on it', async () => {
    reply = { code: 200, body: '{"kind":"Pod"}', piece: 100, hang: true };
    const hung = client.get(Pods, 'default', 'p').then(() => 'answered', (e: Error) => e.message);
    await new Promise((r) => setTimeout(r, 100));
    const before = connections;
    reply = { code: 200, body: '{"kind":"Pod"}', piece: 100 };
    client.closeAllConnections();
    // (its connection closed under it, the GET is retried a second later, as client-go retries a
    // GET that met a closed connection: net.IsProbableEOF; a write would fail)
    expect(await hung).toBe('answered');
    expect(connections).toBe(before + 1);
    expect(await client.get(Pods, 'default', 'p')).toEqual({ kind: 'Pod' });
    expect(connections).toBe(before + 1);
  });

  it('fails a write hung on a connection it closes', async () => {
    reply = { code: 200, body: '{"kind":"Pod"}', piece: 100, hang: true };
    const hung = client.create(Pods, 'default', { kind: 'Pod' }).then(() => 'answered', (e: Error) => e.message);
    await new Promise((r) => setTimeout(r, 100));
    reply = { code: 200, body: '{"kind":"Pod"}', piece: 100 };
    client.closeAllConnections();
    expect(await hung).toMatch(/socket hang up/);
  });
});

describe('RestClient.watch', () => {
  it('throws a refused watch\'s Status as StatusError, the body read whole from its pieces', async () => {
    const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods is forbidden: User "jöe" cannot watch resource "pods"', reason: 'Forbidden', code: 403 };
    reply = { code: 403, body: JSON.stringify(status), piece: 4 };
    const err = await client.watch(Pods, 'default', {}, () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).message).toBe(status.message);
    expect((err as StatusError).code).toBe(403);
    expect((err as StatusError).status).toEqual(status);
  });

  it('gives a refusal whose JSON body is no Status client-go\'s generic Status for its code', async () => {
    reply = { code: 500, body: 'upstream broke', piece: 100 };
    const err = await client.watch(Pods, 'default', {}, () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).message).toBe('an error on the server ("unknown") has prevented the request from succeeding (get pods)');
    expect((err as StatusError).reason).toBe('InternalError');
    expect((err as StatusError).status?.details).toEqual({ kind: 'pods', causes: [{ reason: 'UnexpectedServerResponse', message: 'unknown' }] });
  });
});

describe('RestClient: an error answer with no Status (client-go newUnstructuredResponseError)', () => {
  it('words a 429 as client-go does, naming the verb, resource and name', async () => {
    reply = { code: 429, body: 'Too many requests, please try again later.\n', piece: 100, contentType: 'text/plain; charset=utf-8' };
    const err = (await client.get(Pods, 'default', 'p').catch((e: unknown) => e)) as StatusError;
    expect(err.code).toBe(429);
    expect(err.reason).toBe('TooManyRequests');
    expect(err.message).toBe('the server has received too many requests and has asked us to try again later (get pods p)');
    expect(err.status?.details?.causes).toEqual([{ reason: 'UnexpectedServerResponse', message: 'Too many requests, please try again later.' }]);
  });

  it('quotes a 5xx\'s text and keeps a Status body\'s own words', async () => {
    reply = { code: 502, body: 'bad gateway\n', piece: 100, contentType: 'text/plain' };
    const err = (await client.create(Deployments, 'default', {}).catch((e: unknown) => e)) as StatusError;
    expect(err.message).toBe('an error on the server ("bad gateway") has prevented the request from succeeding (post deployments.apps)');
    const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Too many requests, please try again later.', reason: 'TooManyRequests', code: 429 };
    reply = { code: 429, body: JSON.stringify(status), piece: 100 };
    const own = (await client.list(Pods, 'default').catch((e: unknown) => e)) as StatusError;
    expect(own.message).toBe(status.message);
    expect(own.status).toEqual(status);
  });
});
