// The service health check server on loopback: kube-proxy's JSON, 200 with local endpoints and
// 503 without, listeners opened and closed as the health-checked Services come and go, a taken
// port retried at the next sync.
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../test/helpers/ports.js';
import { healthCheckedServices, ServiceHealthServer } from './service-health.js';
import type { ProxiedServicePort } from './service-types.js';

let server: ServiceHealthServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const get = async (port: number) => {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  return { code: res.status, type: res.headers.get('content-type'), body: await res.json() };
};

describe('service health check server', () => {
  it('counts the local endpoints per health check node port (the most of any port of the Service)', () => {
    const base = { clusterIP: '10.96.0.1', protocol: 'TCP' as const, externalIPs: [], endpoints: [], loadBalancerIPs: [], sourceRanges: [], externalLocal: true, internalLocal: false, service: { namespace: 'default', name: 'lb' } };
    const ep = (n: number) => Array.from({ length: n }, (_, i) => ({ ip: `10.244.1.${i + 2}`, port: 80 }));
    const ports: ProxiedServicePort[] = [
      { ...base, id: 'default/lb:a', port: 80, healthCheckNodePort: 31000, localEndpoints: ep(1) },
      { ...base, id: 'default/lb:b', port: 81, healthCheckNodePort: 31000, localEndpoints: ep(2) },
      { ...base, id: 'default/np', port: 82, localEndpoints: ep(3) },
    ];
    expect(healthCheckedServices(ports)).toEqual([{ namespace: 'default', name: 'lb', port: 31000, localEndpoints: 2 }]);
  });

  it("answers kube-proxy's JSON, 200 with local endpoints and 503 without, and closes ports no longer wanted", async () => {
    server = new ServiceHealthServer('127.0.0.1');
    const port = await freePort();
    await server.sync([{ namespace: 'default', name: 'lb', port, localEndpoints: 2 }]);
    expect(await get(port)).toEqual({ code: 200, type: 'application/json', body: { service: { namespace: 'default', name: 'lb' }, localEndpoints: 2, serviceProxyHealthy: true } });
    await server.sync([{ namespace: 'default', name: 'lb', port, localEndpoints: 0 }]);
    expect(await get(port)).toMatchObject({ code: 503, body: { localEndpoints: 0 } });
    await server.sync([]);
    expect(server.ports()).toEqual([]);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it("prints kube-proxy's tab-indented body, and is 503 while the proxy's rules are stale", async () => {
    let proxyHealthy = true;
    server = new ServiceHealthServer('127.0.0.1', () => proxyHealthy);
    const port = await freePort();
    await server.sync([{ namespace: 'default', name: 'lb', port, localEndpoints: 1 }]);
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect([res.status, res.headers.get('x-load-balancing-endpoint-weight'), await res.text()]).toEqual([200, '1', '{\n\t"service": {\n\t\t"namespace": "default",\n\t\t"name": "lb"\n\t},\n\t"localEndpoints": 1,\n\t"serviceProxyHealthy": true\n}']);
    proxyHealthy = false;
    expect(await get(port)).toMatchObject({ code: 503, body: { localEndpoints: 1, serviceProxyHealthy: false } });
    await server.sync([]);
    expect(server.ports()).toEqual([]);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('retries a port that was taken at the next sync', async () => {
    server = new ServiceHealthServer('127.0.0.1');
    const port = await freePort();
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(port, '127.0.0.1', () => r()));
    const svc = { namespace: 'default', name: 'lb', port, localEndpoints: 1 };
    await server.sync([svc]);
    expect(server.ports()).toEqual([]);
    await new Promise<void>((r) => squatter.close(() => r()));
    await server.sync([svc]);
    expect(server.ports()).toEqual([port]);
    expect((await get(port)).code).toBe(200);
  });
});
