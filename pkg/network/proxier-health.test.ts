import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { goTimeString, ProxierHealth, ProxierHealthServer, type Reading } from './proxier-health.js';

const T0 = Date.UTC(2026, 11, 3, 11, 0, 0, 120);

function clocked() {
  const clock = { wall: T0, mono: 5000 };
  const health = new ProxierHealth(60_000, (): Reading => ({ ...clock }));
  const advance = (ms: number) => ((clock.wall += ms), (clock.mono += ms));
  return { health, advance };
}

describe('ProxierHealth (kube-proxy :10256)', () => {
  it('prints times as Go time.Time does, with the monotonic reading', () => {
    expect(goTimeString({ wall: T0, mono: 5000 })).toBe('2026-12-03 11:00:00.12 +0000 UTC m=+5.000000000');
    expect(goTimeString({ wall: T0 - 120 })).toBe('2026-12-03 11:00:00 +0000 UTC');
    expect(goTimeString(undefined)).toBe('0001-01-01 00:00:00 +0000 UTC');
  });

  it('is healthy while starting and while synced, with lastUpdated the current time', () => {
    const { health } = clocked();
    health.queuedUpdate(); // (before the first sync loop: still healthy)
    const r = health.respond('/healthz');
    expect(r.code).toBe(200);
    expect(r.headers).toEqual({ 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff' });
    expect(r.body).toBe('{"lastUpdated": "2026-12-03 11:00:00.12 +0000 UTC m=+5.000000000","currentTime": "2026-12-03 11:00:00.12 +0000 UTC m=+5.000000000", "nodeEligible": true}');
    expect(health.respond('/livez').body).toBe('{"lastUpdated": "2026-12-03 11:00:00.12 +0000 UTC m=+5.000000000","currentTime": "2026-12-03 11:00:00.12 +0000 UTC m=+5.000000000"}');
    expect(health.respond('/metrics').code).toBe(404);
  });

  it('is 503 once a queued change has waited the health timeout, and healthy again after a sync', () => {
    const { health, advance } = clocked();
    health.updated();
    advance(1000);
    health.queuedUpdate();
    advance(59_000);
    expect(health.respond('/livez').code).toBe(200);
    advance(1000);
    const late = health.respond('/livez');
    expect(late.code).toBe(503);
    // (the stale answer keeps the last sync's time)
    expect(late.body).toBe('{"lastUpdated": "2026-12-03 11:00:00.12 +0000 UTC m=+5.000000000","currentTime": "2026-12-03 11:01:01.12 +0000 UTC m=+66.000000000"}');
    expect(health.respond('/healthz').code).toBe(503);
    health.updated();
    expect(health.respond('/livez').code).toBe(200);
  });

  it('/healthz is 503 with nodeEligible false for a node being deleted or tainted by the autoscaler; /livez stays 200', () => {
    const { health } = clocked();
    health.updated();
    health.syncNode({ spec: { taints: [{ key: 'ToBeDeletedByClusterAutoscaler' }] } });
    const r = health.respond('/healthz');
    expect(r.code).toBe(503);
    expect(r.body).toMatch(/"nodeEligible": false}$/);
    expect(health.respond('/livez').code).toBe(200);
    health.syncNode({ spec: {} });
    expect(health.respond('/healthz').code).toBe(200);
    health.syncNode({ metadata: { deletionTimestamp: '2026-12-03T11:00:00Z' } });
    expect(health.respond('/healthz').code).toBe(503);
  });

  it('serves over HTTP', async () => {
    const server = new ProxierHealthServer(new ProxierHealth(60_000), '127.0.0.1', 0);
    await server.start();
    try {
      const port = ((server as unknown as { server: { address(): AddressInfo } }).server.address()).port;
      const res = await new Promise<{ code: number; body: string }>((resolve, reject) => {
        request({ host: '127.0.0.1', port, path: '/healthz' }, (r) => {
          let body = '';
          r.on('data', (c) => (body += c));
          r.on('end', () => resolve({ code: r.statusCode!, body }));
        }).on('error', reject).end();
      });
      expect(res.code).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ nodeEligible: true });
    } finally {
      await server.stop();
    }
  });
});
