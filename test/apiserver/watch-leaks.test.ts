// Watches leave nothing behind in the apiserver, however they end: closed by the client, ended
// by the server's timeoutSeconds, cut off mid-stream by a client that vanishes, refused at the
// start (410, 403), over REST and over gRPC. Afterwards the watch cache has the watchers it had,
// the open-watch gauge is back to zero and the process (the apiserver runs in this test's
// process) holds no more fds than before.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureNodeToken } from '../../pkg/apiserver/pki.js';
import { GrpcApiClient } from '../../pkg/client/grpc-client.js';
import { Pods, RestClient, type WatchHandle } from '../../pkg/client/rest-client.js';
import { eventually, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;
beforeAll(async () => {
  cp = await startControlPlane({ grpcPort: 0 });
});
afterAll(async () => {
  await cp?.stop(true);
});

const fds = () => readdirSync('/proc/self/fd').length;
const cacheWatchers = () => cp.server.store('pods').cache.watcherCount;
async function openWatchGauge(): Promise<number> {
  const text = await cp.admin.request<string>('/metrics', { accept: 'text/plain' });
  return Number(/^apiserver_registered_watchers\{resource="pods"\} (\d+)/m.exec(text)?.[1] ?? 0);
}
const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'w' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });

describe('watch leaks', () => {
  it('every way a watch ends gives back its cache watcher, its gauge count and its fds', async () => {
    await cp.admin.create(Pods, 'default', pod('seed'));
    const rv = (await cp.admin.list(Pods, 'default')).metadata.resourceVersion!;
    // One round first: the clients' keep-alive sockets and the gRPC channel are in the baseline.
    const client = new RestClient(cp.config, { maxSockets: 64 });
    const grpc = new GrpcApiClient(readFileSync(join(cp.dataDir, 'grpc-address'), 'utf8').trim(), { caCert: readFileSync(join(cp.dataDir, 'pki', 'ca.crt'), 'utf8'), token: ensureNodeToken(join(cp.dataDir, 'tokens.csv'), 'n1') });
    const stranger = cp.clientWithToken('no-such-token');
    const round = async (i: number) => {
      const events: number[] = [];
      // 1. Closed by the client, 40 over REST with assorted selectors, 20 over gRPC.
      const handles: WatchHandle[] = [];
      for (let k = 0; k < 40; k++) handles.push(await client.watch(Pods, k % 2 ? 'default' : undefined, { resourceVersion: rv, labelSelector: k % 3 ? 'app=w' : undefined, allowWatchBookmarks: k % 4 === 0 }, () => events.push(k)));
      for (let k = 0; k < 20; k++) handles.push(await grpc.watch(Pods, 'default', { resourceVersion: rv, fieldSelector: 'spec.nodeName=n1' }, () => events.push(k)));
      expect(cacheWatchers()).toBeGreaterThanOrEqual(60);
      await cp.admin.create(Pods, 'default', pod(`p${i}`));
      await eventually(async () => events.length >= 20, { timeoutMs: 5000, what: 'events delivered' });
      for (const h of handles) h.stop();
      // 2. Ended by the server: timeoutSeconds.
      const timed = await Promise.all(Array.from({ length: 10 }, () => client.watch(Pods, 'default', { resourceVersion: rv, timeoutSeconds: 1 }, () => {})));
      await Promise.all(timed.map((h) => h.done));
      // 3. A client that vanishes mid-stream: its TLS socket destroyed with no goodbye.
      for (let k = 0; k < 5; k++) {
        const s = tlsConnect({ host: '127.0.0.1', port: cp.server.port, ca: cp.server.caCert, servername: 'localhost' });
        await new Promise<void>((res, rej) => (s.once('secureConnect', () => res()), s.once('error', rej)));
        s.write(`GET /api/v1/namespaces/default/pods?watch=1&resourceVersion=${rv} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${cp.config.token}\r\n\r\n`);
        await new Promise<void>((res) => s.once('data', () => res()));
        s.destroy();
      }
      // 4. Refused at the start: an unknown token (401), a bad selector (400).
      const refused = await Promise.all([
        stranger.watch(Pods, 'default', {}, () => {}),
        client.watch(Pods, 'default', { labelSelector: 'a in (' }, () => {}),
      ].map((p) => p.then(() => 0, (e: { code: number }) => e.code)));
      expect(refused).toEqual([401, 400]);
    };
    await round(0);
    await eventually(async () => cacheWatchers() === 0 && (await openWatchGauge()) === 0, { timeoutMs: 10_000, what: 'the first round to end' }).catch(() => {});
    const before = { watchers: cacheWatchers(), gauge: await openWatchGauge(), fds: fds() };
    for (let i = 1; i <= 3; i++) await round(i);
    const settled = await eventually(
      async () => {
        const now = { watchers: cacheWatchers(), gauge: await openWatchGauge(), fds: fds() };
        return now.watchers === before.watchers && now.gauge === 0 && now.fds <= before.fds + 4 ? now : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 250, what: 'watches to be gone' },
    ).catch(async () => ({ watchers: cacheWatchers(), gauge: await openWatchGauge(), fds: fds() }));
    expect(settled.watchers).toBe(before.watchers);
    expect(settled.gauge).toBe(0);
    expect(settled.fds).toBeLessThanOrEqual(before.fds + 4);
    grpc.close();
    client.close();
  }, 120_000);
});
