// The apiserver's request deadline when its etcd does not answer (frozen with SIGSTOP, as a
// stalled disk or a partition leaves it): gRPC calls (the components' frontend) end with the same
// 504 Timeout Status as REST requests instead of hanging, at the server's --request-timeout (2 s
// here) or a REST client's shorter ?timeout=; watches are not cut by it, and requests are
// answered again once etcd is back.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrpcApiClient } from '../../pkg/client/grpc-client.js';
import { Pods, StatusError } from '../../pkg/client/rest-client.js';
import { tokenFor } from '../../pkg/apiserver/pki.js';
import { etcdRequestDuration } from '../../pkg/apiserver/storage.js';
import { eventually, freezeEtcd, pod, sleep, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;
let grpcAdmin: GrpcApiClient;

beforeAll(async () => {
  cp = await startControlPlane({ grpcPort: 0, requestTimeoutMs: 2000 });
  const address = readFileSync(join(cp.dataDir, 'grpc-address'), 'utf8').trim();
  grpcAdmin = new GrpcApiClient(address, { caCert: readFileSync(join(cp.dataDir, 'pki', 'ca.crt'), 'utf8'), token: tokenFor(join(cp.dataDir, 'tokens.csv'), 'admin')! });
});
afterAll(async () => {
  grpcAdmin?.close();
  await cp?.stop();
});

/** How long a call took and the Status it failed with. */
async function timed(p: Promise<unknown>): Promise<{ ms: number; status: unknown }> {
  const t = Date.now();
  const e = await p.then(() => undefined, (x: unknown) => x);
  return { ms: Date.now() - t, status: e instanceof StatusError ? e.status : String(e) };
}

/** apiserver_request_terminations_total of pods in default by verb and scope, with code 504 (the apiserver runs in this process). */
async function terminations(verb: string, scope: string): Promise<number> {
  const series = `apiserver_request_terminations_total{verb="${verb}",group="",version="v1",resource="pods",subresource="",scope="${scope}",component="apiserver",code="504"} `;
  const line = (await register.metrics()).split('\n').find((l) => l.startsWith(series));
  return line ? Number(line.slice(series.length)) : 0;
}

/**
 * apiserver_flowcontrol_current_executing_requests of a flow schema: the requests API Priority and
 * Fairness has let run and that are not answered yet (the apiservers run in this process).
 */
async function executing(flowSchema: string): Promise<number> {
  const lines = (await register.metrics()).split('\n').filter((l) => l.startsWith('apiserver_flowcontrol_current_executing_requests{') && l.includes(`flow_schema="${flowSchema}"`));
  return lines.reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe('request deadline with etcd frozen', () => {
  it('REST and gRPC reads and writes answer 504 Timeout at the deadline; a watch stays open; all answer again once etcd is back', async () => {
    await cp.admin.create(Pods, 'default', pod('before'));
    const events: string[] = [];
    const w = await cp.admin.watch(Pods, 'default', {}, (e) => events.push(`${e.type} ${e.object.metadata?.name}`));
    const before = { get: await terminations('GET', 'resource'), post: await terminations('POST', 'resource'), list: await terminations('LIST', 'namespace') };
    const thaw = await freezeEtcd(cp);
    try {
      const [restGet, restCreate, grpcGet, grpcCreate, restServerDeadline, restListLonger] = await Promise.all([
        timed(cp.admin.request('/api/v1/namespaces/default/pods/before', { query: { timeout: '2s' } })),
        timed(cp.admin.request('/api/v1/namespaces/default/pods', { method: 'POST', body: pod('rest-frozen'), query: { timeout: '2s' } })),
        timed(grpcAdmin.get(Pods, 'default', 'before')),
        timed(grpcAdmin.create(Pods, 'default', pod('grpc-frozen'))),
        // (no ?timeout=, or a longer one: the server's --request-timeout, not 60 s)
        timed(cp.admin.request('/api/v1/namespaces/default/pods/before')),
        timed(cp.admin.request('/api/v1/namespaces/default/pods', { query: { timeout: '30s' } })),
      ]);
      for (const r of [restGet, restCreate, grpcGet, grpcCreate, restServerDeadline, restListLonger]) {
        expect(r.ms).toBeGreaterThanOrEqual(1900);
        expect(r.ms).toBeLessThan(8000);
      }
      expect(restGet.status).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Timeout: request did not complete within the allotted timeout', reason: 'Timeout', details: {}, code: 504 });
      expect(grpcGet.status).toEqual(restGet.status);
      expect(restServerDeadline.status).toEqual(restGet.status);
      expect(restListLonger.status).toEqual(restGet.status);
      const write = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Timeout: request did not complete within requested timeout - context deadline exceeded', reason: 'Timeout', details: {}, code: 504 };
      expect(restCreate.status).toEqual(write);
      expect(grpcCreate.status).toEqual(write);
      // Each REST request ended at its deadline counted as the timeout filter counts it (gRPC has no such series).
      expect([await terminations('GET', 'resource'), await terminations('POST', 'resource'), await terminations('LIST', 'namespace')]).toEqual([before.get + 2, before.post + 1, before.list + 1]);
      await sleep(500);
    } finally {
      thaw();
    }
    // Answered again; the watch, never timed out, sees what is created now.
    await eventually(async () => (await cp.admin.create(Pods, 'default', pod('after')).then(() => true, () => false)) || undefined, { timeoutMs: 60_000, what: 'a create answered again' });
    await eventually(() => events.includes('ADDED after'), { timeoutMs: 20_000, what: 'the watch sees the new pod' });
    expect((await grpcAdmin.get(Pods, 'default', 'after')).metadata?.name).toBe('after');
    w.stop();
  });

  it('a request answered 504 leaves no etcd call behind it: its get and its create, over REST and gRPC, end at the deadline while etcd is still frozen', async () => {
    /** How many etcd calls of an operation have ended (etcd_request_duration_seconds observes each as it ends). */
    const ended = async (operation: string) => (await etcdRequestDuration.get()).values.filter((v) => v.metricName === 'etcd_request_duration_seconds_count' && v.labels.operation === operation).reduce((n, v) => n + v.value, 0);
    await cp.admin.create(Pods, 'default', pod('cancelled'));
    const thaw = await freezeEtcd(cp);
    try {
      const [gets, creates] = [await ended('get'), await ended('create')];
      const t0 = Date.now();
      const answers = await Promise.all([
        timed(cp.admin.request('/api/v1/namespaces/default/pods/cancelled', { query: { timeout: '2s' } })),
        timed(cp.admin.request('/api/v1/namespaces/default/pods', { method: 'POST', body: pod('cancelled-create'), query: { timeout: '2s' } })),
        timed(grpcAdmin.get(Pods, 'default', 'cancelled')),
        timed(grpcAdmin.create(Pods, 'default', pod('cancelled-grpc'))),
      ]);
      for (const a of answers) expect(a.status).toMatchObject({ code: 504, reason: 'Timeout' });
      // (the etcd client's own timeout is 30 s and a read is retried 8 times: without the
      // request's deadline both calls would still be waiting on the frozen etcd)
      await sleep(Math.max(0, t0 + 3500 - Date.now()));
      expect(await ended('get')).toBe(gets + 2);
      expect(await ended('create')).toBe(creates + 2);
    } finally {
      thaw();
    }
    await eventually(async () => (await cp.admin.get(Pods, 'default', 'cancelled').then(() => true, () => false)) || undefined, { timeoutMs: 60_000, what: 'reads answered again' });
  });
});

describe('stopping the apiserver (SIGTERM)', () => {
  it('answers the requests under way before it closes their connections, as kube-apiserver drains them; a watch is ended', async () => {
    const other = await startControlPlane({ requestTimeoutMs: 3000 });
    try {
      await other.admin.create(Pods, 'default', pod('draining'));
      const w = await other.admin.watch(Pods, 'default', {}, () => {});
      const thaw = await freezeEtcd(other);
      let stopping: Promise<void> | undefined;
      try {
        // (a read held by the frozen etcd until its 3 s deadline, under way when the stop begins: made
        // as the scheduler, whose flow schema nothing else in this process uses, so that its count of
        // executing requests says when the apiserver has taken this one)
        const scheduler = other.clientWithToken(tokenFor(join(other.dataDir, 'tokens.csv'), 'system:kube-scheduler'));
        expect(await executing('kube-scheduler')).toBe(0);
        const read = timed(scheduler.request('/api/v1/namespaces/default/pods/draining'));
        await eventually(async () => (await executing('kube-scheduler')) === 1, { timeoutMs: 2000, intervalMs: 10, what: 'the read executing' });
        stopping = other.stopServer();
        const answer = await read;
        expect(answer.status).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Timeout: request did not complete within the allotted timeout', reason: 'Timeout', details: {}, code: 504 });
        expect(answer.ms).toBeGreaterThan(2500);
      } finally {
        thaw();
      }
      await stopping;
      // (the watch, long-running, is ended once the requests under way are answered)
      await w.done;
    } finally {
      await other.stop().catch(() => {});
    }
  });
});
