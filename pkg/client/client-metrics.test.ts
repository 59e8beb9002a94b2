// rest_client_* metrics of RestClient's requests, against a small HTTPS server.
import { createServer, type Server } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePki } from '../apiserver/pki.js';
import { Pods, RestClient } from './rest-client.js';

let server: Server;
let client: RestClient;
let host = '';
const dir = mkdtempSync(join(tmpdir(), 'client-metrics-'));

beforeAll(async () => {
  const pki = await ensurePki(dir, ['127.0.0.1']);
  server = createServer({ cert: pki.cert, key: pki.key }, (req, res) => {
    const code = req.method === 'POST' ? 201 : req.url?.includes('/nope') ? 404 : 200;
    res.writeHead(code, { 'Content-Type': 'application/json' }).end(code === 404 ? '{"kind":"Status","code":404,"message":"nope"}' : '{"kind":"Pod","metadata":{"name":"p"}}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  host = `127.0.0.1:${(server.address() as { port: number }).port}`;
  client = new RestClient({ server: `https://${host}`, caCert: pki.caCert, token: 't', namespace: 'default', source: 'test' });
});

afterAll(async () => {
  client?.close();
  await new Promise((r) => server?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const value = async (series: string) => {
  const text = await register.metrics();
  const i = text.indexOf(`\n${series} `);
  return i < 0 ? undefined : Number(text.slice(i + series.length + 2).split('\n')[0]);
};

describe('rest_client_* metrics', () => {
  it('counts each request by code, method and host and times it by verb and host, as client-go', async () => {
    await client.get(Pods, 'default', 'p');
    await client.get(Pods, 'default', 'p');
    await client.create(Pods, 'default', { metadata: { name: 'p' } });
    await client.get(Pods, 'default', 'nope').catch(() => {});
    expect(await value(`rest_client_requests_total{code="200",method="GET",host="${host}"}`)).toBe(2);
    expect(await value(`rest_client_requests_total{code="201",method="POST",host="${host}"}`)).toBe(1);
    expect(await value(`rest_client_requests_total{code="404",method="GET",host="${host}"}`)).toBe(1);
    expect(await value(`rest_client_request_duration_seconds_count{verb="GET",host="${host}"}`)).toBe(3);
    expect(await value(`rest_client_request_duration_seconds_bucket{le="60",verb="POST",host="${host}"}`)).toBe(1);
    const text = await register.metrics();
    expect(text).toContain('# HELP rest_client_requests_total [ALPHA] Number of HTTP requests, partitioned by status code, method, and host.\n# TYPE rest_client_requests_total counter\n');
    expect(text).toContain('# HELP rest_client_request_duration_seconds [ALPHA] Request latency in seconds. Broken down by verb, and host.\n');
    expect([...text.matchAll(new RegExp(`^rest_client_request_duration_seconds_bucket\\{le="([^"]+)",verb="POST",host="${host}"\\}`, 'gm'))].map((m) => m[1])).toEqual(['0.005', '0.025', '0.1', '0.25', '0.5', '1', '2', '4', '8', '15', '30', '60', '+Inf']);
  });

  it('counts a request that got no answer as "<error>"', async () => {
    const closed = new RestClient({ server: 'https://127.0.0.1:1', caCert: '', token: 't', namespace: 'default', source: 'test' });
    await expect(closed.get(Pods, 'default', 'p')).rejects.toThrow();
    closed.close();
    expect(await value('rest_client_requests_total{code="<error>",method="GET",host="127.0.0.1:1"}')).toBeGreaterThanOrEqual(1);
  });
});
