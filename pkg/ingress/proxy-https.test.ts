// HTTPS backends, as Traefik's Kubernetes Ingress provider picks and speaks to them: a Service
// port 443, a port named https*, or the traefik.ingress.kubernetes.io/service.serversscheme
// annotation (which wins either way) make the proxy speak TLS to the endpoints, verifying their
// certificates (against the given root CAs) unless insecureSkipVerify; a handshake that fails is
// a 500. Small servers on loopback stand in for the pods.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ingress } from '../api/types.js';
import type { EndpointSliceLike, ServiceLike } from '../network/service-types.js';
import { Backends, SERVERS_SCHEME_ANNOTATION } from './backends.js';
import { IngressProxy, type ServersTransport } from './proxy.js';
import { RouteTable } from './routes.js';
import { CertStore } from './tls-certs.js';

let tmp = '';
const closers: (() => void)[] = [];

const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
/** A key and certificate for `san`, signed by the test CA, or self-signed. */
function cert(name: string, san: string, signed: boolean): { cert: string; key: string } {
  const key = join(tmp, `${name}.key`);
  const crt = join(tmp, `${name}.crt`);
  if (signed) {
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', join(tmp, `${name}.csr`), '-subj', `/CN=${name}`);
    openssl('x509', '-req', '-in', join(tmp, `${name}.csr`), '-CA', join(tmp, 'ca.crt'), '-CAkey', join(tmp, 'ca.key'), '-CAcreateserial', '-out', crt, '-days', '1', '-extfile', join(tmp, `${name}.ext`));
  } else {
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', crt, '-days', '1', '-subj', `/CN=${name}`, '-addext', `subjectAltName=${san}`);
  }
  return { cert: readFileSync(crt, 'utf8'), key: readFileSync(key, 'utf8') };
}

interface Pod {
  port: number;
  connections: number;
}

/** A "pod" answering `<name> <url> tls=<bool>`, over TLS with `creds`, else plain HTTP; upgrades echo. */
async function pod(name: string, creds?: { cert: string; key: string }): Promise<Pod> {
  const server: Server = creds ? createHttpsServer(creds) : createServer();
  const p: Pod = { port: 0, connections: 0 };
  server.on(creds ? 'secureConnection' : 'connection', () => p.connections++);
  server.on('request', (req, res) => {
    req.resume();
    res.end(`${name} ${req.url} tls=${!!(req.socket as TLSSocket).encrypted}`);
  });
  server.on('upgrade', (_req, socket: Socket) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n');
    socket.on('data', (d: Buffer) => socket.write(`${name}:${d.toString()}`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  p.port = (server.address() as AddressInfo).port;
  closers.push(() => (server.closeAllConnections(), server.close()));
  return p;
}

const services = new Map<string, ServiceLike>();
const slices = new Map<string, EndpointSliceLike[]>();
function service(name: string, target: number, port: { port: number; name?: string }, annotations?: Record<string, string>) {
  services.set(`default/${name}`, { metadata: { name, namespace: 'default', annotations }, spec: { clusterIP: '10.96.0.10', ports: [{ name: port.name ?? '', port: port.port, protocol: 'TCP' }] } });
  slices.set(`default/${name}`, [{ addressType: 'IPv4', endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }], ports: [{ name: port.name ?? '', port: target, protocol: 'TCP' }] }]);
}

const paths = ['443', 'named', 'annotated', 'annotated-http', 'plain', 'untrusted', 'tls-to-plain', 'h2c', 'ext'];
/** A proxy with these serversTransport options, and its plain-HTTP port. */
async function proxyWith(t: ServersTransport | undefined): Promise<number> {
  const backends = new Backends({ service: (ns, n) => services.get(`${ns}/${n}`), slices: (ns, n) => slices.get(`${ns}/${n}`) ?? [] });
  const lookup = async (name: string) => {
    if (name === 'backend.example.test') return ['127.0.0.1'];
    throw new Error(`no such host "${name}"`);
  };
  const proxy = new IngressProxy(backends, new CertStore(async () => undefined), { connectTimeoutMs: 1000, readTimeoutMs: 2000, upgradeIdleMs: 5000, serversTransport: t }, lookup);
  const server = proxy.httpServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  // (a path per Service, to its one port)
  const spec = { rules: [{ http: { paths: paths.map((p) => ({ path: `/${p}`, pathType: 'Prefix', backend: { service: { name: p, port: { number: services.get(`default/${p}`)!.spec!.ports![0]!.port! } } } })) } }] };
  const ingress: Ingress = { metadata: { name: 'site', namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z' }, spec };
  proxy.routes = new RouteTable([ingress]);
  closers.push(() => proxy.close());
  return (server.address() as AddressInfo).port;
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: 'any.example.com' } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** An upgrade through the proxy: the first line of the answer, and what the echo sends back. */
function upgrade(port: number, path: string): Promise<{ status: string; echo: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: 'any.example.com', connection: 'Upgrade', upgrade: 'echo' } });
    req.on('upgrade', (res, socket: Socket) => {
      socket.once('data', (d: Buffer) => {
        resolve({ status: String(res.statusCode), echo: d.toString() });
        socket.destroy();
      });
      socket.write('hi');
    });
    req.on('response', (res) => {
      resolve({ status: String(res.statusCode), echo: '' });
      res.resume();
    });
    req.on('error', reject);
    req.end();
  });
}

let verifying = 0;
let insecure = 0;
let bundled = 0;
let secure: Pod;
let ca = '';

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'tskube-ingress-https-'));
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(tmp, 'ca.key'), '-out', join(tmp, 'ca.crt'), '-days', '1', '-subj', '/CN=test-ca');
  ca = readFileSync(join(tmp, 'ca.crt'), 'utf8');
  const ext = (name: string, san: string) => execFileSync('sh', ['-c', `printf 'subjectAltName=${san}\\n' > ${join(tmp, `${name}.ext`)}`]);
  ext('pod', 'IP:127.0.0.1');
  ext('ext', 'DNS:backend.example.test');
  secure = await pod('secure', cert('pod', 'IP:127.0.0.1', true));
  const selfSigned = await pod('self-signed', cert('self', 'IP:127.0.0.1', false));
  const external = await pod('external', cert('ext', 'DNS:backend.example.test', true));
  const plain = await pod('plain');

  service('443', secure.port, { port: 443 });
  service('named', secure.port, { port: 8443, name: 'https-web' });
  service('annotated', secure.port, { port: 80, name: 'web' }, { [SERVERS_SCHEME_ANNOTATION]: 'https' });
  service('annotated-http', plain.port, { port: 443 }, { [SERVERS_SCHEME_ANNOTATION]: 'http' });
  service('plain', plain.port, { port: 80, name: 'web' });
  service('untrusted', selfSigned.port, { port: 443 });
  service('tls-to-plain', plain.port, { port: 443 });
  service('h2c', plain.port, { port: 80 }, { [SERVERS_SCHEME_ANNOTATION]: 'h2c' });
  services.set('default/ext', { metadata: { name: 'ext', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'backend.example.test', ports: [{ name: 'https', port: external.port, protocol: 'TCP' }] } });

  verifying = await proxyWith({ rootCAs: [ca] });
  insecure = await proxyWith({ insecureSkipVerify: true });
  bundled = await proxyWith(undefined);
});

afterAll(() => {
  for (const c of closers) c();
  rmSync(tmp, { recursive: true, force: true });
});

describe('ingress proxy to HTTPS backends', () => {
  it('speaks TLS to a Service port 443, a port named https*, or one annotated https, verifying the pod\'s certificate', async () => {
    for (const p of ['443', 'named', 'annotated']) expect(await get(verifying, `/${p}/x`)).toEqual({ status: 200, body: `secure /${p}/x tls=true` });
    // (the annotation wins over port 443; a plain port stays plain)
    expect(await get(verifying, '/annotated-http')).toEqual({ status: 200, body: 'plain /annotated-http tls=false' });
    expect(await get(verifying, '/plain')).toEqual({ status: 200, body: 'plain /plain tls=false' });
    // An ExternalName's certificate is checked for its name (sent as SNI), not the address.
    expect(await get(verifying, '/ext')).toEqual({ status: 200, body: 'external /ext tls=true' });
  });

  it('keeps connections to an HTTPS pod alive', async () => {
    const before = secure.connections;
    for (let i = 0; i < 3; i++) expect((await get(verifying, '/443')).status).toBe(200);
    expect(secure.connections - before).toBeLessThanOrEqual(1);
  });

  it('answers 500 when the pod\'s certificate is not trusted or the pod does not speak TLS, as Traefik', async () => {
    expect(await get(verifying, '/untrusted')).toEqual({ status: 500, body: '500 Internal Server Error\n' });
    expect(await get(verifying, '/tls-to-plain')).toEqual({ status: 500, body: '500 Internal Server Error\n' });
    // Without root CAs, Node's bundled ones: a pod's own CA is not among them.
    expect((await get(bundled, '/443')).status).toBe(500);
    // A scheme the proxy does not speak.
    expect((await get(verifying, '/h2c')).status).toBe(500);
  });

  it('with insecureSkipVerify takes any certificate', async () => {
    expect(await get(insecure, '/untrusted')).toEqual({ status: 200, body: 'self-signed /untrusted tls=true' });
    expect(await get(insecure, '/443')).toEqual({ status: 200, body: 'secure /443 tls=true' });
    expect((await get(insecure, '/tls-to-plain')).status).toBe(500);
  });

  it('relays upgrades over TLS', async () => {
    expect(await upgrade(verifying, '/443')).toEqual({ status: '101', echo: 'secure:hi' });
    expect((await upgrade(verifying, '/untrusted')).status).toBe('500');
  });
});
