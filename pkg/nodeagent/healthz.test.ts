// /healthz of the node agent, as the 1.32 kubelet's (healthz.InstallHandler with ping, log, syncloop).
import { describe, expect, it } from 'vitest';
import { healthzResponse, startHealthzServer } from './healthz.js';

const q = (s = '') => new URLSearchParams(s);

describe('healthzResponse', () => {
  it('says ok, each check with ?verbose, and each check alone at its own path', () => {
    expect(healthzResponse('/healthz', q())).toEqual({ code: 200, body: 'ok' });
    expect(healthzResponse('/healthz', q('verbose'))).toEqual({ code: 200, body: '[+]ping ok\n[+]log ok\n[+]syncloop ok\nhealthz check passed\n' });
    expect(healthzResponse('/healthz/ping', q())).toEqual({ code: 200, body: 'ok' });
    expect(healthzResponse('/healthz/syncloop', q())).toEqual({ code: 200, body: 'ok' });
    expect(healthzResponse('/healthz/log', q())).toEqual({ code: 200, body: 'ok' });
    expect(healthzResponse('/healthz/nope', q())).toBeUndefined();
  });
  it('marks excluded checks and warns about an exclusion that names none', () => {
    expect(healthzResponse('/healthz', q('verbose&exclude=log&exclude=nope'))?.body).toBe('[+]ping ok\n[+]log excluded: ok\n[+]syncloop ok\nwarn: some health checks cannot be excluded: no matches for "nope"\nhealthz check passed\n');
  });
});

describe('startHealthzServer', () => {
  it('serves /healthz with the ping check alone, over plain HTTP without credentials', async () => {
    const server = startHealthzServer('127.0.0.1', 0);
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as { port: number }).port;
    try {
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect([ok.status, await ok.text()]).toEqual([200, 'ok']);
      expect(await (await fetch(`http://127.0.0.1:${port}/healthz?verbose`)).text()).toBe('[+]ping ok\nhealthz check passed\n');
      expect((await fetch(`http://127.0.0.1:${port}/healthz/syncloop`)).status).toBe(404);
    } finally {
      server.close();
    }
  });
});
