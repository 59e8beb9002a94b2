// Reading the API as kube-apiserver 1.32 answers it: watch timeouts, GET at a resourceVersion,
// and "too large resource version" with Retry-After.
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { core, type WatchEvent } from '../../pkg/client/rest-client.js';
import type { KubeObject } from '../../pkg/api/types.js';
import { eventually, failure, sleep, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

const ConfigMaps = core('configmaps');
let cp: TestControlPlane;

beforeAll(async () => {
  cp = await startControlPlane();
});
afterAll(async () => {
  await cp?.stop();
});

const cm = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data: { a: '1' } });

/** One request, answered in full: code, headers and body text (a watch: until the server ends it). */
function raw(path: string): Promise<{ code: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port: cp.server.port, path, ca: cp.config.caCert, headers: { Authorization: `Bearer ${cp.config.token}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ code: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const rvOf = (o: KubeObject) => Number(o.metadata!.resourceVersion);

const tooLargeStatus = (requested: number) => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: expect.stringMatching(new RegExp(`^Timeout: Too large resource version: ${requested}, current: \\d+$`)),
  reason: 'Timeout',
  details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 },
  code: 504,
});

describe('watch timeoutSeconds', () => {
  it('0 is no timeout given: the watch stays open and delivers; a negative one ends at once', async () => {
    const from = (await cp.admin.list(ConfigMaps, 'default')).metadata.resourceVersion!;
    const seen: string[] = [];
    const h = await cp.admin.watch(ConfigMaps, 'default', { resourceVersion: from, timeoutSeconds: 0 }, (e: WatchEvent) => seen.push(`${e.type} ${e.object.metadata?.name}`));
    let ended = false;
    void h.done.then(() => (ended = true));
    await sleep(1000);
    await cp.admin.create(ConfigMaps, 'default', cm('t0'));
    await eventually(() => seen.includes('ADDED t0'));
    expect(ended).toBe(false);
    h.stop();

    const started = Date.now();
    const seenNegative: string[] = [];
    const n = await cp.admin.watch(ConfigMaps, 'default', { resourceVersion: from, timeoutSeconds: -1 }, (e: WatchEvent) => seenNegative.push(e.type));
    await n.done;
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('GET at a resourceVersion (served from the watch cache)', () => {
  it('returns the current object at 0 or an older revision; at one the cache does not reach in 3 s, 504 with Retry-After', async () => {
    const created = await cp.admin.create(ConfigMaps, 'default', cm('g1'));
    const updated = await cp.admin.patch(ConfigMaps, 'default', 'g1', { data: { a: '2' } }, 'merge');
    for (const rv of ['0', String(rvOf(created))]) {
      const got = await cp.admin.request<KubeObject>(`/api/v1/namespaces/default/configmaps/g1?resourceVersion=${rv}`);
      expect([rv, got.metadata?.resourceVersion, (got as { data?: unknown }).data]).toEqual([rv, updated.metadata?.resourceVersion, { a: '2' }]);
    }
    const missing = await failure(cp.admin.request('/api/v1/namespaces/default/configmaps/nope?resourceVersion=0'));
    expect(missing.code).toBe(404);

    const future = rvOf(updated) + 100_000;
    const started = Date.now();
    const res = await raw(`/api/v1/namespaces/default/configmaps/g1?resourceVersion=${future}`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
    expect(res.code).toBe(504);
    expect(res.headers['retry-after']).toBe('1');
    expect(JSON.parse(res.body)).toEqual(tooLargeStatus(future));
  });

  it('a LIST at a revision not reached is the same 504, with Retry-After', async () => {
    const future = Number((await cp.admin.list(ConfigMaps, 'default')).metadata.resourceVersion) + 100_000;
    const res = await raw(`/api/v1/namespaces/default/configmaps?resourceVersion=${future}`);
    expect([res.code, res.headers['retry-after']]).toEqual([504, '1']);
    expect(JSON.parse(res.body)).toEqual(tooLargeStatus(future));
  });
});
