import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGrpcHealthServer, type GrpcHealthServer } from '../../test/helpers/grpc-health.js';
import { freePort } from '../../test/helpers/ports.js';
import { goDuration, grpcProbe } from './probe-grpc.js';
import { createServer, type Server } from 'node:net';

let server: GrpcHealthServer;
let port: number;

beforeAll(async () => {
  port = await freePort();
  server = await startGrpcHealthServer(port);
}, 20_000);
afterAll(async () => {
  await server?.stop();
});

describe('gRPC probes (the kubelet\'s grpc prober)', () => {
  it('pass on SERVING and fail on any other answer, with the kubelet\'s messages', async () => {
    await server.set('', 'SERVING');
    await server.set('db', 'NOT_SERVING');
    expect(await grpcProbe('127.0.0.1', port, '', 1)).toEqual({ ok: true });
    expect(await grpcProbe('127.0.0.1', port, 'db', 1)).toEqual({ ok: false, message: 'service unhealthy (responded with "NOT_SERVING")' });
    expect(await grpcProbe('127.0.0.1', port, 'nope', 1)).toEqual({ ok: false, message: 'error: health rpc probe failed: rpc error: code = NotFound desc = unknown service' });
    await server.set('db', 'SERVING');
    expect(await grpcProbe('127.0.0.1', port, 'db', 1)).toEqual({ ok: true });
    // The probe's user agent is the kubelet's; each service was asked for by name.
    await expect.poll(() => server.checks.filter((c) => c.startsWith('db ')).length).toBe(2);
    expect(server.checks[0]).toMatch(/^- ua=kube-probe\/1\.32 grpc-node-js\//);
  });

  it('time out on a port nothing listens on, after the probe\'s timeout', async () => {
    const closed = await freePort();
    const t0 = Date.now();
    expect(await grpcProbe('127.0.0.1', closed, '', 1)).toEqual({ ok: false, message: `timeout: failed to connect service "127.0.0.1:${closed}" within 1s: context deadline exceeded` });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  });

  it('fail on a server that is not gRPC, or does not answer in time', async () => {
    // A TCP server that accepts and says nothing: the connection never becomes a gRPC one.
    const silent: Server = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const p = (silent.address() as { port: number }).port;
    try {
      const r = await grpcProbe('127.0.0.1', p, '', 1);
      expect(r.ok).toBe(false);
      expect((r as { message: string }).message).toMatch(/^timeout: /);
    } finally {
      silent.close();
    }
  });

  it('print the timeout as Go prints a duration', () => {
    expect([1, 59, 60, 90, 3723].map(goDuration)).toEqual(['1s', '59s', '1m0s', '1m30s', '1h2m3s']);
  });
});
