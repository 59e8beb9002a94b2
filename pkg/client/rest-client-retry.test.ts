// RestClient's retries against a small HTTPS server answering from a script: a 429 or a 5xx with
// Retry-After is sent again, body and all, after the seconds asked, as client-go's withRetry does
// (at most 10 retries, within the request's timeout); an answer without a usable Retry-After, or a
// 4xx other than 429, is the caller's at once. Lists and watches are retried the same way.
import { createServer, type Server } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ensurePki } from '../apiserver/pki.js';
import { setLogLevel } from '../util/log.js';
import { MAX_RETRIES, Pods, RestClient, StatusError } from './rest-client.js';

interface Reply {
  code: number;
  body: string;
  retryAfter?: string;
  /** No answer at all. */
  hang?: boolean;
}

let server: Server;
let client: RestClient;
let ca = '';
let port = 0;
/** The answers still to give, in order; the last is repeated. */
let script: Reply[] = [];
/** Each request the server received: method, path and body. */
let seen: { method: string; url: string; body: string; at: number }[] = [];
const dir = mkdtempSync(join(tmpdir(), 'rest-client-retry-'));

const ok = (obj: unknown): Reply => ({ code: 200, body: JSON.stringify(obj) });
const refused = (retryAfter?: string, code = 429): Reply => ({ code, body: 'Too many requests, please try again later.\n', retryAfter });

beforeAll(async () => {
  const pki = await ensurePki(dir, ['127.0.0.1']);
  ca = pki.caCert;
  server = createServer({ cert: pki.cert, key: pki.key }, (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body, at: performance.now() });
      const r = script.length > 1 ? script.shift()! : script[0]!;
      if (r.hang) return;
      res.writeHead(r.code, { 'Content-Type': r.code === 200 ? 'application/json' : 'text/plain; charset=utf-8', ...(r.retryAfter !== undefined ? { 'Retry-After': r.retryAfter } : {}) });
      res.end(r.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
  client = new RestClient({ server: `https://127.0.0.1:${port}`, caCert: ca, token: 't', namespace: 'default', source: 'test' });
});

beforeEach(() => {
  seen = [];
});

afterAll(async () => {
  client?.close();
  await new Promise((r) => server?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('RestClient retries (client-go withRetry)', () => {
  it('sends a create again, with its body, after the seconds a 429\'s Retry-After asks, and logs it', async () => {
    setLogLevel('debug');
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
    try {
      script = [refused('1'), refused('0', 503), ok({ kind: 'Pod', metadata: { name: 'p' } })];
      const started = performance.now();
      const pod = await client.create(Pods, 'default', { kind: 'Pod', metadata: { name: 'p' } });
      expect(pod).toEqual({ kind: 'Pod', metadata: { name: 'p' } });
      expect(seen.map((s) => s.method)).toEqual(['POST', 'POST', 'POST']);
      expect(new Set(seen.map((s) => s.body))).toEqual(new Set([JSON.stringify({ kind: 'Pod', metadata: { name: 'p' } })]));
      // (one second after the 429, none after the 503's Retry-After: 0)
      expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(950);
      expect(seen[2]!.at - seen[1]!.at).toBeLessThan(900);
      expect(performance.now() - started).toBeLessThan(3000);
    } finally {
      spy.mockRestore();
      setLogLevel('info');
    }
    const logged = lines.map((l) => JSON.parse(l) as { msg: string; component: string });
    expect(logged.map((l) => l.msg)).toEqual([
      `Got a Retry-After 1s response for attempt 1 to https://127.0.0.1:${port}/api/v1/namespaces/default/pods`,
      `Got a Retry-After 0s response for attempt 2 to https://127.0.0.1:${port}/api/v1/namespaces/default/pods`,
    ]);
  });

  it('gives up after 10 retries with the last answer', async () => {
    script = [refused('0')];
    const err = await client.get(Pods, 'default', 'p').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).code).toBe(429);
    expect(seen).toHaveLength(MAX_RETRIES + 1);
  });

  it('does not retry an answer without a whole number of seconds in Retry-After, nor a 4xx other than 429', async () => {
    for (const r of [refused(), refused('soon'), refused('Fri, 04 Dec 2026 01:00:00 GMT'), refused(undefined, 500), { code: 409, body: '{"kind":"Status","code":409,"message":"conflict"}', retryAfter: '0' }]) {
      seen = [];
      script = [r, ok({ kind: 'Pod' })];
      await expect(client.get(Pods, 'default', 'p')).rejects.toBeInstanceOf(StatusError);
      expect(seen).toHaveLength(1);
    }
  });

  it('retries a list and a watch the same way', async () => {
    script = [refused('0'), ok({ kind: 'PodList', metadata: { resourceVersion: '5' }, items: [{ metadata: { name: 'a' } }] })];
    expect((await client.list(Pods, 'default')).items).toEqual([{ metadata: { name: 'a' } }]);
    expect(seen).toHaveLength(2);
    seen = [];
    script = [refused('0'), { code: 200, body: `${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a' } } })}\n` }];
    const events: unknown[] = [];
    const w = await client.watch(Pods, 'default', {}, (e) => events.push(e));
    await w.done;
    expect(events).toEqual([{ type: 'ADDED', object: { metadata: { name: 'a' } } }]);
    expect(seen.map((s) => s.url)).toEqual(['/api/v1/namespaces/default/pods?watch=1', '/api/v1/namespaces/default/pods?watch=1']);
  });

  it('gives a retry only the time left of the request\'s timeout', async () => {
    script = [refused('1'), { code: 200, body: '', hang: true }];
    const started = performance.now();
    const err = await client.request('/api/v1/namespaces/default/pods/p', { timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(seen).toHaveLength(2);
    // (the retry, a second in, may be silent for the second left, not for another 2 s)
    expect(performance.now() - started).toBeGreaterThanOrEqual(1900);
    expect(performance.now() - started).toBeLessThan(2700);
  });

  it('makes no retry whose wait would end past the request\'s timeout', async () => {
    script = [refused('5'), ok({ kind: 'Pod' })];
    const started = performance.now();
    const err = await client.request('/api/v1/namespaces/default/pods/p', { timeoutMs: 2000 }).catch((e: unknown) => e);
    expect((err as StatusError).code).toBe(429);
    expect(seen).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
