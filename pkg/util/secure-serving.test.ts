import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request } from 'node:https';
import type { Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { Gauge, register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DelegatingAuth } from './delegating-auth.js';
import { startSecureServing } from './secure-serving.js';
import { servingCert } from './serving-cert.js';

const dir = mkdtempSync(join(tmpdir(), 'tsk-secure-serving-'));
let server: Server;
let port: number;

/** GET over HTTPS without verifying the server, as Prometheus with insecure_skip_verify. */
function get(path: string, token?: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, rejectUnauthorized: false, agent: false, headers: token ? { Authorization: `Bearer ${token}` } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject).end();
  });
}

function peerChain(): Promise<X509Certificate[]> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const out: X509Certificate[] = [];
      let c = s.getPeerCertificate(true);
      while (c && c.raw) {
        out.push(new X509Certificate(c.raw));
        if (c.issuerCertificate === c) break;
        c = c.issuerCertificate;
      }
      s.end();
      resolve(out);
    });
    s.on('error', reject);
  });
}

beforeAll(async () => {
  const users: Record<string, { username: string; groups: string[] }> = { prom: { username: 'system:serviceaccount:monitoring:prometheus-k8s', groups: ['system:serviceaccounts'] }, nobody: { username: 'nobody', groups: [] } };
  const auth = new DelegatingAuth({
    tokenReviews: async (_p, body) => {
      const user = users[(body as { spec: { token: string } }).spec.token];
      return { status: user ? { authenticated: true, user } : { authenticated: false } };
    },
    accessReviews: async (_p, body) => ({ status: { allowed: (body as { spec: { user: string } }).spec.user === 'system:serviceaccount:monitoring:prometheus-k8s' } }),
  });
  const certKey = await servingCert({ pairName: 'kube-scheduler', bindAddress: '0.0.0.0' });
  ({ server, port } = await startSecureServing({ host: '127.0.0.1', port: 0, certKey, auth }));
}, 30_000);
afterAll(() => {
  server?.close();
  server?.closeAllConnections();
  rmSync(dir, { recursive: true, force: true });
});

describe('the secure port of the scheduler and the controller manager', () => {
  it('serves a self-signed certificate made in memory as 1.32 makes it: localhost@UNIX signed by localhost-ca@UNIX, for localhost and 127.0.0.1', async () => {
    const [leaf, ca] = await peerChain();
    expect(leaf!.subject).toMatch(/^CN=localhost@\d{10}$/);
    expect(leaf!.issuer).toMatch(/^CN=localhost-ca@\d{10}$/);
    expect(leaf!.subjectAltName).toBe('DNS:localhost, DNS:localhost, IP Address:127.0.0.1');
    expect(leaf!.checkIssued(ca!)).toBe(true);
    expect(leaf!.keyUsage).toContain('1.3.6.1.5.5.7.3.1');
    expect(ca!.ca).toBe(true);
  });

  it('anonymous: /healthz, /livez and /readyz answer ok; /metrics is Forbidden; a bad token is Unauthorized', async () => {
    for (const p of ['/healthz', '/livez', '/readyz']) expect(await get(p)).toMatchObject({ status: 200, body: 'ok' });
    const m = await get('/metrics');
    expect(m.status).toBe(403);
    expect(m.type).toBe('application/json');
    expect(JSON.parse(m.body)).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'forbidden: User "system:anonymous" cannot get path "/metrics"', reason: 'Forbidden', details: {}, code: 403 });
    expect(await get('/metrics', 'wrong')).toMatchObject({ status: 401 });
  });

  it("plain HTTP on the port gets Go's '400 Bad Request: Client sent an HTTP request to an HTTPS server.'", async () => {
    const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      httpRequest({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve({ status: res.statusCode!, body }));
      }).on('error', reject).end();
    });
    expect(reply).toEqual({ status: 400, body: 'Client sent an HTTP request to an HTTPS server.\n' });
    expect(await get('/healthz')).toMatchObject({ status: 200, body: 'ok' });
  });

  it("a token allowed /metrics reads the exposition; another is refused; an unknown path allowed is Go's 404", async () => {
    const m = await get('/metrics', 'prom');
    expect(m.status).toBe(200);
    expect(m.body).toMatch(/^process_cpu_seconds_total /m);
    expect(JSON.parse((await get('/metrics', 'nobody')).body).message).toBe('forbidden: User "nobody" cannot get path "/metrics"');
    expect(await get('/nothing', 'prom')).toMatchObject({ status: 404, body: '404 page not found\n' });
  });

  it('answers /metrics as legacyregistry.Handler does when a collector fails: a 500 with promhttp\'s text, no page', async () => {
    new Gauge({ name: 'tsk_test_broken', help: 'h', collect: () => { throw new Error('cannot read'); } });
    try {
      const m = await get('/metrics', 'prom');
      expect([m.status, m.type, m.body]).toEqual([500, 'text/plain; charset=utf-8', 'An error has occurred while serving metrics:\n\n1 error(s) occurred:\n* error collecting metric Desc{fqName: "tsk_test_broken", help: "h", constLabels: {}, variableLabels: {}}: cannot read\n']);
    } finally {
      register.removeSingleMetric('tsk_test_broken');
    }
    expect((await get('/metrics', 'prom')).status).toBe(200);
  });
});

describe('the serving pair', () => {
  it('--cert-dir keeps the pair made there (PAIRNAME.crt/.key) and serves it again; --tls-cert-file and --tls-private-key-file are taken as they are, only together', async () => {
    const made = await servingCert({ certDir: join(dir, 'certs'), pairName: 'kube-controller-manager', bindAddress: '192.0.2.7' });
    expect(readFileSync(join(dir, 'certs', 'kube-controller-manager.crt'), 'utf8')).toBe(made.cert);
    expect(statSync(join(dir, 'certs', 'kube-controller-manager.key')).mode & 0o777).toBe(0o600);
    expect(new X509Certificate(made.cert).subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:192.0.2.7');
    expect(await servingCert({ certDir: join(dir, 'certs'), pairName: 'kube-controller-manager', bindAddress: '0.0.0.0' })).toEqual(made);
    writeFileSync(join(dir, 'tls.crt'), 'CERT');
    writeFileSync(join(dir, 'tls.key'), 'KEY');
    expect(await servingCert({ certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), certDir: join(dir, 'certs'), pairName: 'x', bindAddress: '0.0.0.0' })).toEqual({ cert: 'CERT', key: 'KEY' });
    await expect(servingCert({ certFile: join(dir, 'tls.crt'), pairName: 'x', bindAddress: '0.0.0.0' })).rejects.toThrow('--tls-cert-file and --tls-private-key-file must be given together');
  }, 30_000);
});

describe('named health checks', () => {
  it("serves them as k8s.io/apiserver's healthz handlers: ok, ?verbose, a failure withheld with 500, ?exclude, one check by name (not always allowed), ping where none", async () => {
    let synced = false;
    const auth = new DelegatingAuth({ tokenReviews: async () => ({ status: { authenticated: true, user: { username: 'reader', groups: [] } } }), accessReviews: async (_p, body) => ({ status: { allowed: (body as { spec: { user: string } }).spec.user === 'reader' } }) });
    const health = {
      healthz: [{ name: 'leaderElection', check: () => {} }],
      livez: [],
      readyz: [
        { name: 'leaderElection', check: () => {} },
        {
          name: 'sched-handler-sync',
          check: () => {
            if (!synced) throw new Error('handlers are not fully synchronized');
          },
        },
      ],
    };
    const s = await startSecureServing({ host: '127.0.0.1', port: 0, certKey: await servingCert({ pairName: 'kube-scheduler', bindAddress: '127.0.0.1' }), auth, health });
    const at = (path: string, token?: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        request({ host: '127.0.0.1', port: s.port, path, rejectUnauthorized: false, agent: false, headers: token ? { Authorization: `Bearer ${token}` } : {} }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve({ status: res.statusCode!, body }));
        }).on('error', reject).end();
      });
    try {
      expect(await at('/healthz')).toEqual({ status: 200, body: 'ok' });
      expect(await at('/healthz?verbose')).toEqual({ status: 200, body: '[+]leaderElection ok\nhealthz check passed\n' });
      expect(await at('/livez?verbose')).toEqual({ status: 200, body: '[+]ping ok\nlivez check passed\n' });
      expect(await at('/readyz')).toEqual({ status: 500, body: '[+]leaderElection ok\n[-]sched-handler-sync failed: reason withheld\nreadyz check failed\n' });
      expect(await at('/readyz?exclude=sched-handler-sync&exclude=nope')).toEqual({ status: 200, body: 'ok' });
      expect(await at('/readyz?exclude=sched-handler-sync&verbose')).toEqual({ status: 200, body: '[+]leaderElection ok\n[+]sched-handler-sync excluded: ok\nreadyz check passed\n' });
      // (a single check is not an always-allowed path: anonymous is refused, an authorized user reads the reason)
      expect((await at('/readyz/sched-handler-sync')).status).toBe(403);
      expect(await at('/readyz/sched-handler-sync', 't')).toEqual({ status: 500, body: 'internal server error: handlers are not fully synchronized\n' });
      expect(await at('/livez/ping', 't')).toEqual({ status: 200, body: 'ok' });
      expect(await at('/healthz/nope', 't')).toEqual({ status: 404, body: '404 page not found\n' });
      synced = true;
      expect(await at('/readyz')).toEqual({ status: 200, body: 'ok' });
    } finally {
      s.server.close();
      s.server.closeAllConnections();
    }
  }, 30_000);
});

describe('client certificates', () => {
  it('a certificate the client CA signed names its user (CN, O groups), authorized as any user; one of another CA is 401; none is anonymous', async () => {
    const { ensureKubeletClientCert, ensurePki } = await import('../apiserver/pki.js');
    const cluster = await ensurePki(join(dir, 'cluster'), ['127.0.0.1']);
    const client = await ensureKubeletClientCert(join(dir, 'cluster'));
    await ensurePki(join(dir, 'other'), ['127.0.0.1']);
    const stranger = await ensureKubeletClientCert(join(dir, 'other'));
    const asked: unknown[] = [];
    const auth = new DelegatingAuth({
      tokenReviews: async () => ({ status: { authenticated: false } }),
      accessReviews: async (_p, body) => {
        asked.push((body as { spec: unknown }).spec);
        return { status: { allowed: (body as { spec: { groups: string[] } }).spec.groups.includes('kubeadm:cluster-admins') } };
      },
    });
    const s = await startSecureServing({ host: '127.0.0.1', port: 0, certKey: await servingCert({ pairName: 'kube-scheduler', bindAddress: '127.0.0.1' }), auth, clientCA: cluster.caCert });
    try {
      const getWith = (pair?: { cert: string; key: string }) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          request({ host: '127.0.0.1', port: s.port, path: '/metrics', rejectUnauthorized: false, agent: false, ...pair }, (res) => {
            let body = '';
            res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve({ status: res.statusCode!, body }));
          }).on('error', reject).end();
        });
      expect((await getWith(client)).status).toBe(200);
      expect(asked).toEqual([{ user: 'kube-apiserver-kubelet-client', groups: ['kubeadm:cluster-admins', 'system:authenticated'], nonResourceAttributes: { path: '/metrics', verb: 'get' } }]);
      expect(await getWith(stranger)).toMatchObject({ status: 401, body: expect.stringContaining('"reason":"Unauthorized"') });
      expect(JSON.parse((await getWith()).body).message).toBe('forbidden: User "system:anonymous" cannot get path "/metrics"');
    } finally {
      s.server.close();
      s.server.closeAllConnections();
    }
  }, 30_000);

  it("a CA to come (the ConfigMap's): a certificate is asked for but names nobody until the CA is set, then its user; setting none again leaves it anonymous", async () => {
    const { ensureKubeletClientCert, ensurePki } = await import('../apiserver/pki.js');
    const cluster = await ensurePki(join(dir, 'cluster'), ['127.0.0.1']);
    const client = await ensureKubeletClientCert(join(dir, 'cluster'));
    const auth = new DelegatingAuth({ accessReviews: async (_p, body) => ({ status: { allowed: (body as { spec: { groups: string[] } }).spec.groups.includes('kubeadm:cluster-admins') } }) });
    const s = await startSecureServing({ host: '127.0.0.1', port: 0, certKey: await servingCert({ pairName: 'kube-scheduler', bindAddress: '127.0.0.1' }), auth, dynamicClientCA: true });
    const status = () =>
      new Promise<number>((resolve, reject) => {
        request({ host: '127.0.0.1', port: s.port, path: '/metrics', rejectUnauthorized: false, agent: false, ...client }, (res) => {
          res.resume().on('end', () => resolve(res.statusCode!));
        }).on('error', reject).end();
      });
    try {
      expect(await status()).toBe(403);
      s.setClientCA(cluster.caCert);
      expect(await status()).toBe(200);
      s.setClientCA(undefined);
      expect(await status()).toBe(403);
    } finally {
      s.server.close();
      s.server.closeAllConnections();
    }
  }, 30_000);
});
