// The proxy against real sockets: small HTTP servers on loopback stand in for pods, the Services
// and EndpointSlices that point at them are plain objects.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ingress, Secret } from '../api/types.js';
import type { EndpointSliceLike, ServiceLike } from '../network/service-types.js';
import { Backends } from './backends.js';
import { IngressProxy } from './proxy.js';
import { RouteTable } from './routes.js';
import { CertStore } from './tls-certs.js';

interface Pod {
  server: Server;
  port: number;
  connections: number;
  seen: { url: string; headers: IncomingHttpHeaders }[];
}

const closers: (() => void)[] = [];

/** A "pod": answers `<name> <url>`; /slow never answers; /stream echoes the body as it arrives; upgrades echo. */
async function pod(name: string): Promise<Pod> {
  const p: Pod = { server: createServer(), port: 0, connections: 0, seen: [] };
  p.server.on('connection', () => p.connections++);
  p.server.on('request', (req, res) => {
    p.seen.push({ url: req.url ?? '', headers: req.headers });
    if (req.url === '/slow') return;
    if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write(`${name} streaming\n`);
      req.on('data', (d: Buffer) => res.write(d.toString().toUpperCase()));
      req.on('end', () => res.end('\nend\n'));
      return;
    }
    req.resume();
    res.setHeader('set-cookie', ['a=1', 'b=2']);
    res.end(`${name} ${req.url}`);
  });
  p.server.on('upgrade', (req, socket: Socket) => {
    p.seen.push({ url: req.url ?? '', headers: req.headers });
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n');
    socket.on('data', (d: Buffer) => socket.write(`${name}:${d.toString()}`));
  });
  await new Promise<void>((r) => p.server.listen(0, '127.0.0.1', r));
  p.port = (p.server.address() as AddressInfo).port;
  closers.push(() => (p.server.closeAllConnections(), p.server.close()));
  return p;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

const services = new Map<string, ServiceLike>();
const slices = new Map<string, EndpointSliceLike[]>();
const secrets = new Map<string, Secret>();
function service(name: string, ports: number[], port = 80, portName = '') {
  services.set(`default/${name}`, { metadata: { name, namespace: 'default' }, spec: { clusterIP: '10.96.0.10', ports: [{ name: portName, port, protocol: 'TCP' }] } });
  slices.set(
    `default/${name}`,
    ports.map((p) => ({ addressType: 'IPv4', endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }], ports: [{ name: portName, port: p, protocol: 'TCP' }] })),
  );
}

/** An ExternalName Service whose one port, named `web`, is `port` (its targetPort another, unused). */
function externalName(name: string, host: string, port: number) {
  services.set(`default/${name}`, { metadata: { name, namespace: 'default' }, spec: { type: 'ExternalName', externalName: host, ports: [{ name: 'web', port, targetPort: 1, protocol: 'TCP' }] } });
}
/** What the fake DNS answers (a name not here does not resolve). */
const names = new Map<string, string[]>();
const lookups: string[] = [];

const path = (p: string, svc: string, type = 'Prefix') => ({ path: p, pathType: type, backend: { service: { name: svc, port: { number: 80 } } } });
const namedPort = (p: string, svc: string) => ({ path: p, pathType: 'Prefix', backend: { service: { name: svc, port: { name: 'web' } } } });
const ingresses: Ingress[] = [
  {
    metadata: { name: 'site', namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: {
      tls: [{ hosts: ['secure.example.com'], secretName: 'secure-tls' }],
      rules: [
        { http: { paths: [path('/a', 'svc-a'), path('/b', 'svc-b'), path('/rr', 'svc-rr'), path('/retry', 'svc-retry'), path('/none', 'svc-none'), path('/missing', 'svc-missing'), path('/slow', 'svc-a'), path('/stream', 'svc-a'), path('/ws', 'svc-a')] } },
        { http: { paths: [namedPort('/ext', 'ext'), namedPort('/ext-two', 'ext-two'), namedPort('/ext-nowhere', 'ext-nowhere'), namedPort('/ext-local', 'ext-local'), namedPort('/ext-ip', 'ext-ip')] } },
        { host: 'b.example.com', http: { paths: [path('/', 'svc-b')] } },
        { host: 'secure.example.com', http: { paths: [path('/', 'svc-a')] } },
      ],
    },
  },
];

let a: Pod;
let b: Pod;
let rr2: Pod;
let proxy: IngressProxy;
let httpPort = 0;
let httpsPort = 0;
let certPem = '';
let tmp = '';
let certs: CertStore;

function selfSigned(name: string): { crt: string; key: string } {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(tmp, `${name}.key`), '-out', join(tmp, `${name}.crt`), '-days', '1', '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`], { stdio: 'ignore' });
  return { crt: readFileSync(join(tmp, `${name}.crt`), 'utf8'), key: readFileSync(join(tmp, `${name}.key`), 'utf8') };
}
const tlsSecret = (name: string, pem: { crt: string; key: string }): Secret => ({
  metadata: { name, namespace: 'default' },
  type: 'kubernetes.io/tls',
  data: { 'tls.crt': Buffer.from(pem.crt).toString('base64'), 'tls.key': Buffer.from(pem.key).toString('base64') },
});

/** The CN of the certificate the HTTPS listener offers for `servername` (none: no SNI). */
function peerCN(servername?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port: httpsPort, path: '/a', servername, rejectUnauthorized: false, agent: false }, (r) => {
      resolve((r.socket as TLSSocket).getPeerCertificate().subject.CN as string);
      r.resume();
    });
    req.on('error', reject);
    req.end();
  });
}

function get(p: string, opts: { host?: string; method?: string; body?: string } = {}): Promise<{ status: number; body: string; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: httpPort, path: p, method: opts.method ?? 'GET', headers: { host: opts.host ?? 'any.example.com' } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'tskube-ingress-proxy-'));
  const secure = selfSigned('secure.example.com');
  certPem = secure.crt;
  secrets.set('default/secure-tls', tlsSecret('secure-tls', secure));
  secrets.set('default/fallback-tls', tlsSecret('fallback-tls', selfSigned('fallback.example.com')));

  a = await pod('a');
  b = await pod('b');
  rr2 = await pod('rr2');
  service('svc-a', [a.port]);
  service('svc-b', [b.port]);
  service('svc-rr', [a.port, rr2.port]);
  service('svc-retry', [await closedPort(), b.port]);
  service('svc-none', []);

  externalName('ext', 'backend.example.test', a.port);
  externalName('ext-two', 'two.example.test', b.port);
  externalName('ext-nowhere', 'nowhere.example.test', a.port);
  externalName('ext-local', 'localhost', a.port);
  externalName('ext-ip', '127.0.0.1', b.port);
  // (two.example.test's first address has nothing listening: b listens on 127.0.0.1 alone)
  names.set('backend.example.test', ['127.0.0.1']).set('two.example.test', ['127.0.0.2', '127.0.0.1']);
  const lookup = async (name: string) => {
    lookups.push(name);
    const found = names.get(name);
    if (!found) throw new Error(`no such host "${name}"`);
    return found;
  };

  certs = new CertStore(async (ns, name) => secrets.get(`${ns}/${name}`));
  const backends = new Backends({ service: (ns, n) => services.get(`${ns}/${n}`), slices: (ns, n) => slices.get(`${ns}/${n}`) ?? [] });
  const httpsServer = (proxy = new IngressProxy(backends, certs, { connectTimeoutMs: 1000, readTimeoutMs: 300, upgradeIdleMs: 5000 }, lookup)).httpsServer();
  await new Promise<void>((r) => httpsServer.listen(0, '127.0.0.1', r));
  httpsPort = (httpsServer.address() as AddressInfo).port;
  proxy.cfg.httpsPort = httpsPort;
  const httpServer = proxy.httpServer();
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  httpPort = (httpServer.address() as AddressInfo).port;
  proxy.routes = new RouteTable(ingresses);
  await certs.update(ingresses);
});

afterAll(() => {
  proxy?.close();
  for (const c of closers) c();
  rmSync(tmp, { recursive: true, force: true });
});

describe('ingress proxy', () => {
  it('routes by path and host to the right backend, with the client\'s Host and forwarding headers', async () => {
    expect((await get('/a/x?q=1')).body).toBe('a /a/x?q=1');
    expect((await get('/b')).body).toBe('b /b');
    expect((await get('/anything', { host: 'b.example.com:8080' })).body).toBe('b /anything');
    const seen = b.seen.at(-1)!;
    expect(seen.headers).toMatchObject({ host: 'b.example.com:8080', 'x-forwarded-for': '127.0.0.1', 'x-real-ip': '127.0.0.1', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'b.example.com:8080', 'x-forwarded-port': String(httpPort) });
    // Spoofed forwarding headers from the client are replaced, hop-by-hop ones dropped; headers of the answer kept (both cookies).
    const r = await new Promise<IncomingHttpHeaders>((resolve, reject) =>
      request({ host: '127.0.0.1', port: httpPort, path: '/a', headers: { host: 'x', 'x-forwarded-for': '6.6.6.6', connection: 'keep-alive, x-secret', 'x-secret': 'drop me' } }, (res) => (res.resume(), resolve(res.headers)))
        .on('error', reject)
        .end(),
    );
    expect(r['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(a.seen.at(-1)!.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(a.seen.at(-1)!.headers['x-secret']).toBeUndefined();
  });

  it('answers 404 when nothing matches and 503 for a Service without endpoints or one that does not exist', async () => {
    const none = await get('/nothing/here', { host: 'other.example.com' });
    expect(none.status).toBe(404);
    const empty = await get('/none');
    expect(empty.status).toBe(503);
    expect(empty.body).toContain('service "default/svc-none" has no ready endpoints');
    const missing = await get('/missing');
    expect(missing.status).toBe(503);
    expect(missing.body).toContain('service "default/svc-missing" not found');
  });

  it('proxies to an ExternalName Service\'s name at the Service port (Traefik\'s allowExternalNameServices), the client\'s Host kept', async () => {
    const r = await get('/ext/x?q=1', { host: 'shop.example.com' });
    expect(r).toMatchObject({ status: 200, body: 'a /ext/x?q=1' });
    expect(a.seen.at(-1)!.headers).toMatchObject({ host: 'shop.example.com', 'x-forwarded-host': 'shop.example.com' });
    expect(lookups).toContain('backend.example.test');
    // Its addresses in turn: one that refuses the connection is passed over.
    expect(await get('/ext-two')).toMatchObject({ status: 200, body: 'b /ext-two' });
    // A name that does not resolve: 502, as Traefik's failed dial.
    expect((await get('/ext-nowhere')).status).toBe(502);
    // localhost and loopback addresses are refused, as ingress-nginx refuses them: the node's own services are not a backend.
    const local = await get('/ext-local');
    expect(local.status).toBe(503);
    expect(local.body).toContain('service "default/ext-local": invalid attempt to use localhost name "localhost"');
    expect((await get('/ext-ip')).status).toBe(503);
    expect(lookups.filter((n) => n === 'localhost' || n === '127.0.0.1')).toEqual([]);
  });

  it('takes the endpoints round robin and skips one that refuses connections', async () => {
    const bodies = await Promise.all([0, 1, 2, 3].map(() => get('/rr').then((r) => r.body.split(' ')[0])));
    expect(bodies.sort()).toEqual(['a', 'a', 'rr2', 'rr2']);
    for (let i = 0; i < 4; i++) expect(await get('/retry')).toMatchObject({ status: 200, body: 'b /retry' });
  });

  it('keeps connections to a pod alive across requests', async () => {
    const before = b.connections;
    for (let i = 0; i < 5; i++) await get('/b');
    expect(b.connections - before).toBeLessThanOrEqual(1);
  });

  it('gives 504 when a pod does not answer in time', async () => {
    expect((await get('/slow')).status).toBe(504);
  });

  it('streams the request and the response at once', async () => {
    const got = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: httpPort, path: '/stream', method: 'POST', headers: { host: 'x', 'transfer-encoding': 'chunked' } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
          // The pod's first chunk arrived while the request is still open: send the rest.
          if (body === 'a streaming\n') req.end('world');
        });
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.write('hello ');
    });
    expect(got).toBe('a streaming\nHELLO WORLD\nend\n');
  });

  it('relays an upgraded connection (websocket) both ways', async () => {
    const echoed = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: httpPort, path: '/ws', headers: { host: 'x', connection: 'Upgrade', upgrade: 'echo' } });
      req.on('upgrade', (res, socket: Socket) => {
        expect(res.statusCode).toBe(101);
        socket.once('data', (d: Buffer) => {
          resolve(d.toString());
          socket.destroy();
        });
        socket.write('ping');
      });
      req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
      req.on('error', reject);
      req.end();
    });
    expect(echoed).toBe('a:ping');
    expect(a.seen.at(-1)!.headers).toMatchObject({ upgrade: 'echo', connection: 'Upgrade' });
  });

  it('terminates TLS with the certificate of the SNI name, and redirects that host from HTTP', async () => {
    const res = await new Promise<{ body: string; cn: string; proto: string | undefined }>((resolve, reject) => {
      httpsRequest({ host: '127.0.0.1', port: httpsPort, path: '/hello', servername: 'secure.example.com', ca: certPem, headers: { host: 'secure.example.com' } }, (r) => {
        let body = '';
        const cn = (r.socket as TLSSocket).getPeerCertificate().subject.CN as string;
        r.on('data', (d: Buffer) => (body += d.toString()));
        r.on('end', () => resolve({ body, cn, proto: a.seen.at(-1)!.headers['x-forwarded-proto'] as string }));
      })
        .on('error', reject)
        .end();
    });
    expect(res).toEqual({ body: 'a /hello', cn: 'secure.example.com', proto: 'https' });
    const redirect = await get('/hello?x=1', { host: 'secure.example.com' });
    expect(redirect.status).toBe(308);
    expect(redirect.headers.location).toBe(`https://secure.example.com:${httpsPort}/hello?x=1`);
    // A name without a certificate gets no handshake, nor does a client that sends no name.
    await expect(peerCN('unknown.example.com')).rejects.toThrow();
    await expect(peerCN()).rejects.toThrow();
    // With a TLS entry without hosts, both get its certificate; listed names keep theirs.
    const withFallback: Ingress = { metadata: { name: 'fallback', namespace: 'default', creationTimestamp: '2026-01-02T00:00:00Z' }, spec: { tls: [{ secretName: 'fallback-tls' }], rules: [{ http: { paths: [path('/', 'svc-a')] } }] } };
    await certs.update([...ingresses, withFallback]);
    expect(await peerCN('unknown.example.com')).toBe('fallback.example.com');
    expect(await peerCN()).toBe('fallback.example.com');
    expect(await peerCN('secure.example.com')).toBe('secure.example.com');
    await certs.update(ingresses);
    await expect(peerCN()).rejects.toThrow();
  });

  it('counts requests by ingress, service and code', async () => {
    const text = await register.getSingleMetricAsString('tskube_ingress_requests_total');
    expect(text).toMatch(/tskube_ingress_requests_total\{namespace="default",ingress="site",service="svc-b",code="200"\} \d+/);
    expect(text).toMatch(/tskube_ingress_requests_total\{namespace="default",ingress="site",service="svc-none",code="503"\} 1/);
    expect(text).toMatch(/tskube_ingress_requests_total\{namespace="",ingress="",service="",code="404"\} 1/);
    expect(await register.getSingleMetricAsString('tskube_ingress_request_duration_seconds')).toContain('tskube_ingress_request_duration_seconds_count{namespace="default",ingress="site",service="svc-a"}');
  });
});
