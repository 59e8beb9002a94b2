import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { apiserverHealthChecks, matchHealthPath, serveHealth } from './health-checks.js';

function fakeRes() {
  const r = { code: 0, headers: {} as Record<string, string>, body: '' };
  const res = {
    writeHead(code: number, headers: Record<string, string>) {
      r.code = code;
      r.headers = headers;
      return res;
    },
    end(body: string) {
      r.body = body;
    },
  };
  return { r, res: res as unknown as ServerResponse };
}

async function get(state: { etcdDown?: boolean; started?: boolean; stopping?: boolean }, target: string) {
  const checks = apiserverHealthChecks({
    etcd: async () => {
      if (state.etcdDown) throw new Error('connection refused');
    },
    started: () => state.started ?? true,
    shuttingDown: () => state.stopping ?? false,
  });
  const url = new URL(target, 'https://x');
  const { r, res } = fakeRes();
  const served = await serveHealth(checks, matchHealthPath(url.pathname)!, url.searchParams, res);
  return { ...r, served };
}

describe('health endpoints as kube-apiserver serves them', () => {
  it('answers ok, or with ?verbose every check and "<endpoint> check passed"', async () => {
    expect(await get({}, '/readyz')).toMatchObject({ code: 200, body: 'ok' });
    const v = await get({}, '/readyz?verbose');
    expect(v.body).toBe('[+]ping ok\n[+]log ok\n[+]etcd ok\n[+]etcd-readiness ok\n[+]informer-sync ok\n[+]shutdown ok\nreadyz check passed\n');
    expect(v.headers['Content-Type']).toBe('text/plain; charset=utf-8');
    expect((await get({}, '/livez?verbose')).body).toBe('[+]ping ok\n[+]log ok\n[+]etcd ok\nlivez check passed\n');
    expect((await get({}, '/healthz?verbose=1')).body).toMatch(/healthz check passed\n$/);
  });

  it('a failing check: 500 listing every check, the reason withheld', async () => {
    const r = await get({ etcdDown: true }, '/readyz');
    expect(r.code).toBe(500);
    expect(r.body).toBe('[+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\n[-]etcd-readiness failed: reason withheld\n[+]informer-sync ok\n[+]shutdown ok\nreadyz check failed\n');
    expect((await get({ stopping: true, started: false }, '/readyz')).body).toContain('[+]informer-sync ok\n[-]shutdown failed: reason withheld\n');
    expect((await get({ started: false }, '/readyz')).body).toContain('[-]informer-sync failed: reason withheld\n');
    // liveness does not depend on readiness
    expect((await get({ started: false, stopping: true }, '/livez')).code).toBe(200);
  });

  it('?exclude skips a check and warns about names it does not know', async () => {
    const r = await get({ etcdDown: true }, '/livez?exclude=etcd&exclude=nosuch&verbose');
    expect(r.code).toBe(200);
    expect(r.body).toBe('[+]ping ok\n[+]log ok\n[+]etcd excluded: ok\nwarn: some health checks cannot be excluded: no matches for "nosuch"\nlivez check passed\n');
  });

  it('/readyz/NAME runs one check; an unknown name is not served', async () => {
    expect(await get({}, '/readyz/etcd')).toMatchObject({ code: 200, body: 'ok' });
    expect(await get({ etcdDown: true }, '/livez/etcd')).toMatchObject({ code: 500, body: 'internal server error: connection refused\n' });
    expect((await get({}, '/readyz/nosuch')).served).toBe(false);
    expect(matchHealthPath('/readyzz')).toBeUndefined();
  });
});
