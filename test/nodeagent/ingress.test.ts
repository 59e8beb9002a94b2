// Ingress end to end on a real node: two Deployments of busybox httpd (runc, real pod network)
// behind two Services, one Ingress routing /a, /b and a host to them through the node agent's
// ingress controller on high loopback ports; round robin over the pods, a deleted pod leaving the
// rotation without failed requests, TLS with a self-signed certificate from a Secret (SNI) and the
// HTTP→HTTPS redirect, an ExternalName backend resolved through the cluster DNS and a resource
// backend's path left out, the status the controller manager writes, and the stock kubectl
// (create ingress, get ing with its ADDRESS, describe, the class annotation's warning).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EndpointSlice, Ingress, Node, Pod } from '../../pkg/api/types.js';
import { Deployments, EndpointSlices, Ingresses, Nodes, Pods, Services, core } from '../../pkg/client/rest-client.js';
import { eventually, sleep } from '../helpers/control-plane.js';
import { hasKubectl, kubectlAt } from '../helpers/kubectl.js';
import { freePort } from '../helpers/ports.js';
import { image, startCluster, type Cluster } from './harness.js';

let c: Cluster;
let dir: string;
let httpPort = 0;
let httpsPort = 0;
let certPem = '';

const kubectl = (...args: string[]) => kubectlAt(c.cp.kubeconfig, join(dir, 'cache'), args);

/** A Deployment of busybox httpd pods answering `<app> <pod name>` on every path under /, /a/ and /b/. */
function httpd(app: string, replicas: number) {
  const labels = { app };
  const script = `mkdir -p /www/a /www/b && for d in /www /www/a /www/b; do echo "${app} $(hostname)" > $d/index.html; done && exec httpd -f -p 8080 -h /www`;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: app },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: [{ name: 'httpd', image, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', script], ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 } }],
        },
      },
    },
  };
}

const service = (name: string, app: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
const toService = (name: string, port: { number: number } | { name: string }) => ({ service: { name, port } });

const readyEndpoints = async (svc: string) =>
  (await c.cp.admin.list<EndpointSlice>(EndpointSlices, 'default', { labelSelector: `kubernetes.io/service-name=${svc}` })).items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready);

function get(path: string, host = 'www.example.test'): Promise<{ status: number; body: string; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: httpPort, path, headers: { host }, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.trim(), headers: res.headers }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.end();
  });
}

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tskube-ingress-e2e-'));
  httpPort = await freePort();
  httpsPort = await freePort();
  c = await startCluster({ podCIDR: '10.199.80.0/24', controllers: {}, ingress: { http: { host: '127.0.0.1', port: httpPort }, https: { host: '127.0.0.1', port: httpsPort } } });
  const run = promisify(execFile);
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt'), '-days', '1', '-subj', '/CN=secure.example.test', '-addext', 'subjectAltName=DNS:secure.example.test']);
  certPem = readFileSync(join(dir, 'tls.crt'), 'utf8');
}, 180_000);

afterAll(async () => {
  await c?.stop();
  // Nothing listens any more where the ingress controller did.
  if (httpPort) expect(await portFree(httpPort)).toBe(true);
  if (httpsPort) expect(await portFree(httpsPort)).toBe(true);
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('ingress on a real node', () => {
  it('routes /a, /b and a host to the pods of two Services, round robin, and publishes the node address', async () => {
    const admin = c.cp.admin;
    await admin.create(Deployments, 'default', httpd('a', 2));
    await admin.create(Deployments, 'default', httpd('b', 1));
    await admin.create(Services, 'default', service('svc-a', 'a'));
    await admin.create(Services, 'default', service('svc-b', 'b'));
    await admin.create(Ingresses, 'default', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'site' },
      spec: {
        tls: [{ hosts: ['secure.example.test'], secretName: 'secure-tls' }],
        rules: [
          { http: { paths: [{ path: '/a', pathType: 'Prefix', backend: toService('svc-a', { number: 80 }) }, { path: '/b', pathType: 'Prefix', backend: toService('svc-b', { name: 'http' }) }] } },
          { host: 'b.example.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: toService('svc-b', { number: 80 }) }] } },
          { host: 'secure.example.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: toService('svc-a', { number: 80 }) }] } },
        ],
      },
    });
    await eventually(async () => (await readyEndpoints('svc-a')).length === 2 && (await readyEndpoints('svc-b')).length === 1, { timeoutMs: 120_000, intervalMs: 500, what: 'three ready httpd pods' });

    const a = await eventually(async () => {
      const r = await get('/a/');
      return r.status === 200 ? r : undefined;
    }, { timeoutMs: 20_000, what: 'the ingress routing /a' });
    expect(a.body).toMatch(/^a a-[a-z0-9]+-[a-z0-9]{5}$/);
    // Both pods of svc-a take turns.
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add((await get('/a/index.html')).body);
    expect(seen.size).toBe(2);
    expect((await get('/b/')).body).toMatch(/^b b-/);
    expect((await get('/', 'b.example.test')).body).toMatch(/^b b-/);
    // /ab is not under /a, and nothing else matches: the default 404.
    expect((await get('/ab')).status).toBe(404);
    expect((await get('/', 'other.example.test')).status).toBe(404);

    // The node says where it listens; the controller manager puts that in the status.
    const node = await admin.get<Node>(Nodes, undefined, 'e2e-node');
    expect(node.metadata?.annotations?.['ingress.tskube.io/addresses']).toBe('127.0.0.1');
    await eventually(async () => (await admin.get<Ingress>(Ingresses, 'default', 'site')).status?.loadBalancer?.ingress?.[0]?.ip === '127.0.0.1', { timeoutMs: 15_000, what: 'the ingress status' });
    const counted = await register.getSingleMetricAsString('tskube_ingress_requests_total');
    expect(counted).toMatch(/tskube_ingress_requests_total\{namespace="default",ingress="site",service="svc-a",code="200"\} \d+/);
  }, 240_000);

  it('a deleted pod leaves the rotation without a failed request', async () => {
    const pods = (await c.cp.admin.list<Pod>(Pods, 'default', { labelSelector: 'app=a' })).items;
    expect(pods).toHaveLength(2);
    const victim = pods[0]!.metadata!.name!;
    await c.cp.admin.delete(Pods, 'default', victim);
    // Requests go on while the pod terminates and its replacement starts: none fails, and once the
    // endpoint is out of the slice's ready ones (and the agent's informer has had a moment to see
    // it) the deleted pod answers none.
    const deadline = Date.now() + 8_000;
    const after: string[] = [];
    let goneAt = 0;
    while (Date.now() < deadline) {
      if (!goneAt && !(await readyEndpoints('svc-a')).some((e) => e.targetRef?.name === victim)) goneAt = Date.now();
      const r = await get('/a/');
      expect(r.status).toBe(200);
      if (goneAt && Date.now() - goneAt > 500) after.push(r.body);
      await sleep(100);
    }
    expect(after.length).toBeGreaterThan(5);
    expect(after.filter((b) => b.endsWith(victim))).toEqual([]);
    // The replacement joins the rotation.
    await eventually(async () => (await readyEndpoints('svc-a')).length === 2, { timeoutMs: 60_000, intervalMs: 500, what: 'the replacement pod ready' });
    const seen = new Set<string>();
    await eventually(async () => {
      seen.add((await get('/a/')).body);
      return [...seen].filter((b) => !b.endsWith(victim)).length >= 2;
    }, { timeoutMs: 15_000, what: 'two pods answering again' });
  }, 120_000);

  it('proxies to an ExternalName Service\'s name, resolved through the cluster DNS, and leaves a resource backend\'s path out', async () => {
    const admin = c.cp.admin;
    // The name: a headless Service of the a pods, whose cluster DNS name gives their addresses.
    await admin.create(Services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'a-direct' }, spec: { clusterIP: 'None', selector: { app: 'a' }, ports: [{ name: 'http', port: 8080, targetPort: 'http' }] } });
    await admin.create(Services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'a-direct.default.svc.cluster.local', ports: [{ name: 'http', port: 8080 }] } });
    await admin.create(Ingresses, 'default', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'external' },
      spec: {
        rules: [
          {
            host: 'ext.example.test',
            http: {
              paths: [
                { path: '/a', pathType: 'Prefix', backend: { resource: { apiGroup: 'k8s.example.com', kind: 'Bucket', name: 'static' } } },
                { path: '/', pathType: 'Prefix', backend: toService('ext', { name: 'http' }) },
              ],
            },
          },
        ],
      },
    });
    // (/ of this host: only its ExternalName rule matches, the site Ingress has no / rule)
    const r = await eventually(async () => {
      const got = await get('/', 'ext.example.test');
      return got.status === 200 ? got : undefined;
    }, { timeoutMs: 20_000, what: 'the ExternalName backend answering' });
    expect(r.body).toMatch(/^a a-[a-z0-9]+-[a-z0-9]{5}$/);
    // /a's resource backend is not there: the host's / rule (the ExternalName) serves /a/ instead of a 503.
    expect(await get('/a/', 'ext.example.test')).toMatchObject({ status: 200, body: expect.stringMatching(/^a a-/) });
  }, 60_000);

  it('terminates TLS with the certificate of a kubernetes.io/tls Secret (SNI), and redirects that host to HTTPS', async () => {
    const b64 = (f: string) => readFileSync(join(dir, f)).toString('base64');
    await c.cp.admin.create(core('secrets'), 'default', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'secure-tls' }, type: 'kubernetes.io/tls', data: { 'tls.crt': b64('tls.crt'), 'tls.key': b64('tls.key') } });
    // The agent fetches it on its next refresh (every second in the harness).
    const res = await eventually(
      () =>
        new Promise<{ status: number; body: string; cn: string }>((resolve, reject) => {
          const req = httpsRequest({ host: '127.0.0.1', port: httpsPort, path: '/', servername: 'secure.example.test', ca: certPem, headers: { host: 'secure.example.test' }, agent: false }, (r) => {
            const cn = (r.socket as TLSSocket).getPeerCertificate().subject.CN as string;
            let body = '';
            r.on('data', (d: Buffer) => (body += d.toString()));
            r.on('end', () => resolve({ status: r.statusCode ?? 0, body: body.trim(), cn }));
          });
          req.on('error', reject);
          req.end();
        }),
      { timeoutMs: 20_000, intervalMs: 500, what: 'an HTTPS answer for secure.example.test' },
    );
    expect(res.status).toBe(200);
    expect(res.cn).toBe('secure.example.test');
    expect(res.body).toMatch(/^a a-/);
    const redirect = await get('/x?y=1', 'secure.example.test');
    expect(redirect.status).toBe(308);
    expect(redirect.headers.location).toBe(`https://secure.example.test:${httpsPort}/x?y=1`);
    // Hosts without TLS stay on plain HTTP.
    expect((await get('/', 'b.example.test')).status).toBe(200);
  }, 60_000);

  it.skipIf(!hasKubectl)('kubectl create ingress, get ing (with its address), describe, and the class annotation', async () => {
    const created = await kubectl('create', 'ingress', 'kc', '--rule=kc.example.test/=svc-b:80');
    expect(created.err).toBe('');
    expect(created.out).toBe('ingress.networking.k8s.io/kc created\n');
    const row = await eventually(async () => {
      const r = await kubectl('get', 'ing', 'kc');
      return /127\.0\.0\.1/.test(r.out) ? r.out : undefined;
    }, { timeoutMs: 15_000, what: 'kubectl get ing with the address' });
    expect(row).toMatch(/^NAME\s+CLASS\s+HOSTS\s+ADDRESS\s+PORTS\s+AGE\nkc\s+tskube\s+kc\.example\.test\s+127\.0\.0\.1\s+80\s+\d+s\n$/);
    expect((await get('/', 'kc.example.test')).body).toMatch(/^b b-/);
    const site = await kubectl('get', 'ing', 'site');
    expect(site.out).toMatch(/\nsite\s+tskube\s+b\.example\.test,secure\.example\.test\s+127\.0\.0\.1\s+80, 443\s+/);
    const described = await kubectl('describe', 'ingress', 'kc');
    expect(described.code).toBe(0);
    expect(described.out).toMatch(/Ingress Class:\s+tskube/);
    expect(described.out).toMatch(/kc\.example\.test\s*\n\s+\/\s+svc-b:80 \(10\.199\.80\.\d+:8080\)/);
    // --class names another controller's class: stored as given, not served here, no address.
    expect((await kubectl('create', 'ingress', 'elsewhere', '--class=nginx', '--rule=elsewhere.example.test/=svc-b:80')).code).toBe(0);
    expect((await kubectl('get', 'ing', 'elsewhere')).out).toMatch(/\nelsewhere\s+nginx\s+elsewhere\.example\.test\s+80\s+\d+s\n$/);
    const classes = await kubectl('get', 'ingressclass');
    expect(classes.out).toMatch(/^NAME\s+CONTROLLER\s+PARAMETERS\s+AGE\ntskube\s+tskube\.io\/ingress\s+<none>\s+\d+/);

    // The deprecated annotation still picks the class (with Kubernetes' warning).
    const manifest = JSON.stringify({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'annotated', annotations: { 'kubernetes.io/ingress.class': 'tskube' } },
      spec: { rules: [{ host: 'old.example.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: toService('svc-b', { number: 80 }) }] } }] },
    });
    const applied = await kubectlAt(c.cp.kubeconfig, join(dir, 'cache'), ['apply', '-f', '-'], manifest);
    expect(applied.code).toBe(0);
    expect(applied.err).toContain('Warning: annotation "kubernetes.io/ingress.class" is deprecated, please use \'spec.ingressClassName\' instead');
    await eventually(async () => (await get('/', 'old.example.test')).status === 200, { timeoutMs: 10_000, what: 'the annotated ingress served' });
    // The agent has seen the Ingress made before that one too: it does not serve it.
    expect((await get('/', 'elsewhere.example.test')).status).toBe(404);
    await sleep(500);
    expect((await kubectl('get', 'ing', 'elsewhere')).out).not.toMatch(/127\.0\.0\.1/);
    expect((await kubectl('delete', 'ingress', 'kc', 'annotated', 'elsewhere')).code).toBe(0);
    await eventually(async () => (await get('/', 'kc.example.test')).status === 404, { timeoutMs: 10_000, what: 'the deleted ingress no longer served' });
  }, 60_000);

  it('an agent whose ports are taken starts anyway, and the status then lists no address for its node', async () => {
    await c.stopAgent();
    const squatters = await Promise.all(
      [httpPort, httpsPort].map(
        (port) =>
          new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
            const s = createServer();
            s.once('error', reject);
            s.listen(port, '127.0.0.1', () => resolve(s));
          }),
      ),
    );
    try {
      await c.startAgent();
      await eventually(async () => (await c.cp.admin.get<Node>(Nodes, undefined, 'e2e-node')).metadata?.annotations?.['ingress.tskube.io/addresses'] === undefined, { what: 'the annotation removed' });
      await eventually(async () => (await c.cp.admin.get<Ingress>(Ingresses, 'default', 'site')).status?.loadBalancer?.ingress === undefined, { timeoutMs: 15_000, what: 'no address in the status' });
      if (hasKubectl) expect((await kubectl('get', 'ing', 'site')).out).toMatch(/\nsite\s+tskube\s+\S+\s+80, 443\s+\d+/);
    } finally {
      for (const s of squatters) await new Promise((r) => s.close(r));
    }
    // Free again: a restarted agent listens and the address comes back.
    await c.restartAgent();
    await eventually(async () => (await c.cp.admin.get<Ingress>(Ingresses, 'default', 'site')).status?.loadBalancer?.ingress?.[0]?.ip === '127.0.0.1', { timeoutMs: 15_000, what: 'the address back in the status' });
    await eventually(async () => (await get('/b/')).status === 200, { timeoutMs: 15_000, what: 'served again' });
  }, 90_000);
});
