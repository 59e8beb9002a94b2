// The agent's HTTPS port puts /healthz behind its authentication and authorization, as the 1.32
// kubelet's server does (InstallAuthFilter over every path, healthz.InstallHandler's included):
// no credentials 401, a user not allowed nodes/proxy on the Node 403 in the kubelet's words.
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeAgent } from './agent.js';
import { startAgentServer } from './server.js';

let server: Server;
let dir: string;
const reviews: { kind: string; body: unknown }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsk-agent-server-'));
  const agent = { cfg: { nodeName: 'n1' }, runtime: {}, workers: new Map() } as unknown as NodeAgent;
  server = await startAgentServer(agent, {
    host: '127.0.0.1',
    port: 0,
    token: 'node-token',
    dataDir: dir,
    nodeIP: '127.0.0.1',
    reviews: async (path, body) => {
      reviews.push({ kind: path.split('/').pop()!, body });
      if (path.endsWith('/tokenreviews')) {
        const token = (body as { spec: { token: string } }).spec.token;
        return { status: token === 'prober' || token === 'viewer' ? { authenticated: true, user: { username: token } } : { authenticated: false } };
      }
      return { status: { allowed: (body as { spec: { user: string } }).spec.user === 'prober' } };
    },
  });
}, 30_000);
afterAll(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string, token?: string) =>
  new Promise<{ code: number; body: string }>((resolve, reject) => {
    const { port } = server.address() as AddressInfo;
    request({ host: '127.0.0.1', port, path, rejectUnauthorized: false, headers: token ? { Authorization: `Bearer ${token}` } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve({ code: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });

describe('the agent\'s HTTPS /healthz', () => {
  it('is 401 without credentials or with a token the apiserver does not know', async () => {
    expect(await get('/healthz')).toEqual({ code: 401, body: 'Unauthorized' });
    expect(await get('/healthz/syncloop')).toEqual({ code: 401, body: 'Unauthorized' });
    expect(await get('/healthz?verbose')).toEqual({ code: 401, body: 'Unauthorized' });
    expect(await get('/healthz', 'stranger')).toEqual({ code: 401, body: 'Unauthorized' });
  });

  it('is 403 for a user not allowed nodes/proxy on the Node, as any path that is not stats, metrics, logs or spec', async () => {
    expect(await get('/healthz', 'viewer')).toEqual({ code: 403, body: 'Forbidden (user=viewer, verb=get, resource=nodes, subresource=proxy)' });
    const sar = reviews.find((r) => r.kind === 'subjectaccessreviews' && (r.body as { spec: { user: string } }).spec.user === 'viewer');
    expect((sar!.body as { spec: { resourceAttributes: unknown } }).spec.resourceAttributes).toEqual({ verb: 'get', resource: 'nodes', subresource: 'proxy', name: 'n1', version: 'v1' });
  });

  it('answers the node\'s own token and an allowed user as before', async () => {
    expect(await get('/healthz', 'node-token')).toEqual({ code: 200, body: 'ok' });
    expect(await get('/healthz/syncloop', 'prober')).toEqual({ code: 200, body: 'ok' });
    expect((await get('/healthz?verbose', 'prober')).body).toBe('[+]ping ok\n[+]log ok\n[+]syncloop ok\nhealthz check passed\n');
  });
});
