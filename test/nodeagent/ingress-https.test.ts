// Ingress to HTTPS backends on a real node, as Traefik (k3s's ingress controller) serves them: a
// pod serving TLS (a Node HTTPS server in the pod's network namespace: busybox has no TLS server)
// behind a Service port 443 and behind one annotated traefik.ingress.kubernetes.io/service.
// serversscheme https is proxied to over TLS, its certificate verified against the CA given to
// the agent (--ingress-root-cas); a certificate from no trusted CA is a 500, as Traefik's answer.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EndpointSlice } from '../../pkg/api/types.js';
import { EndpointSlices, Ingresses, Pods, Services } from '../../pkg/client/rest-client.js';
import { eventually } from '../helpers/control-plane.js';
import { freePort } from '../helpers/ports.js';
import { image, podStatus, startCluster, type Cluster } from './harness.js';

const run = promisify(execFile);
let c: Cluster;
let dir = '';
let httpPort = 0;
let server: ChildProcess | undefined;

function get(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: httpPort, path, headers: { host: 'www.example.test' }, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.end();
  });
}

/** Two HTTPS servers in the pod's network namespace: :8443 with a certificate of the test CA, :9443 a self-signed one. */
const SERVER = `
const https = require('node:https'), fs = require('node:fs');
const serve = (port, name) => https.createServer({ cert: fs.readFileSync(process.env.DIR + '/' + name + '.crt'), key: fs.readFileSync(process.env.DIR + '/' + name + '.key') }, (req, res) => {
  res.end(name + ' ' + req.url + ' proto=' + req.headers['x-forwarded-proto'] + ' tls=' + !!req.socket.encrypted);
}).listen(port, () => { if (++up === 2) console.log('listening'); });
let up = 0;
serve(8443, 'pod');
serve(9443, 'self');
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tskube-ingress-https-'));
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.crt'), '-days', '1', '-subj', '/CN=tls-backend-ca']);
  httpPort = await freePort();
  c = await startCluster({
    podCIDR: '10.199.132.0/24',
    controllers: {},
    ingress: { http: { host: '127.0.0.1', port: httpPort } },
    agent: { ingressServersTransport: { rootCAs: [join(dir, 'ca.crt')] } },
  });
}, 180_000);

afterAll(async () => {
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  await c?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('ingress to HTTPS backends', () => {
  it('proxies over TLS to a Service port 443 and to one annotated https, and answers 500 for a certificate it does not trust', async () => {
    const admin = c.cp.admin;
    await admin.create(Pods, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'tls-backend', labels: { app: 'tls' } },
      spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'], ports: [{ name: 'https', containerPort: 8443 }, { name: 'https-self', containerPort: 9443 }] }] },
    });
    const svc = (name: string, port: number, targetPort: string, annotations?: Record<string, string>) =>
      admin.create(Services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name, annotations }, spec: { selector: { app: 'tls' }, ports: [{ name: 'web', port, targetPort }] } });
    await svc('secure', 443, 'https');
    await svc('annotated', 80, 'https', { 'traefik.ingress.kubernetes.io/service.serversscheme': 'https' });
    await svc('untrusted', 443, 'https-self');
    const path = (p: string, name: string, port: number) => ({ path: p, pathType: 'Prefix', backend: { service: { name, port: { number: port } } } });
    await admin.create(Ingresses, 'default', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'tls-backends' },
      spec: { rules: [{ http: { paths: [path('/secure', 'secure', 443), path('/annotated', 'annotated', 80), path('/untrusted', 'untrusted', 443)] } }] },
    });
    await eventually(async () => (await podStatus(c, 'tls-backend')).phase === 'Running', { timeoutMs: 60_000, what: 'tls-backend running' });
    const podIP = (await podStatus(c, 'tls-backend')).podIP!;

    // The pod's certificates: one of the CA the agent trusts for its address, one self-signed.
    writeFileSync(join(dir, 'pod.ext'), `subjectAltName=IP:${podIP}\n`);
    await run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'pod.key'), '-out', join(dir, 'pod.csr'), '-subj', '/CN=tls-backend']);
    await run('openssl', ['x509', '-req', '-in', join(dir, 'pod.csr'), '-CA', join(dir, 'ca.crt'), '-CAkey', join(dir, 'ca.key'), '-CAcreateserial', '-out', join(dir, 'pod.crt'), '-days', '1', '-extfile', join(dir, 'pod.ext')]);
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'self.key'), '-out', join(dir, 'self.crt'), '-days', '1', '-subj', '/CN=tls-backend', '-addext', `subjectAltName=IP:${podIP}`]);
    expect(readFileSync(join(dir, 'pod.crt'), 'utf8')).toContain('BEGIN CERTIFICATE');

    const netns = [...c.agent.workers.values()].find((w) => w.pod.metadata?.name === 'tls-backend')?.sandbox?.netnsPath;
    if (!netns) throw new Error('tls-backend has no sandbox');
    server = spawn('nsenter', [`--net=${netns}`, process.execPath, '-e', SERVER], { env: { ...process.env, DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    server.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    await new Promise<void>((resolve, reject) => {
      server!.stdout!.on('data', (b: Buffer) => b.toString().includes('listening') && resolve());
      server!.once('exit', () => reject(new Error(`the HTTPS server exited: ${err.trim()}`)));
    });

    const ready = async (name: string) => (await admin.list<EndpointSlice>(EndpointSlices, 'default', { labelSelector: `kubernetes.io/service-name=${name}` })).items.some((s) => s.endpoints?.some((e) => e.conditions?.ready));
    await eventually(async () => (await ready('secure')) && (await ready('annotated')) && (await ready('untrusted')), { timeoutMs: 30_000, what: 'the Services\' endpoints' });

    const secure = await eventually(async () => {
      const r = await get('/secure/x');
      return r.status === 200 ? r : undefined;
    }, { timeoutMs: 20_000, what: 'the ingress routing /secure' });
    // (the client's scheme is http; the pod was spoken to over TLS)
    expect(secure.body).toBe('pod /secure/x proto=http tls=true');
    expect(await get('/annotated')).toEqual({ status: 200, body: 'pod /annotated proto=http tls=true' });
    expect(await get('/untrusted')).toEqual({ status: 500, body: '500 Internal Server Error\n' });

    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGTERM');
    await exited;
    await admin.delete(Pods, 'default', 'tls-backend', { gracePeriodSeconds: 0 });
  }, 180_000);
});
