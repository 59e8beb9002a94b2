// --kubelet-certificate-authority: the apiserver verifies node agents' serving certificates
// against the CA (here the cluster CA, which signs kubernetes.io/kubelet-serving CSRs) and the
// address it dials, as kube-apiserver's kubelet client does with the flag. A refused agent gets
// nothing written to it, and the client reads Go's error as 1.32 passes it on. The agents are
// stand-in HTTPS servers: what is under test is the apiserver's dial.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensurePki } from '../../pkg/apiserver/pki.js';
import { WebSocketServer } from 'ws';
import { Nodes, Pods } from '../../pkg/client/rest-client.js';
import { callWithWarnings, node, pod, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { hasKubectl, kubectlAt } from '../helpers/kubectl.js';

let cp: TestControlPlane;
/** The directory of the CA the flag names: the run's cluster CA, which every control plane of the run is seeded with. */
let caDir: string;
let certDir: string;
const agents: Server[] = [];
const ports: Record<string, number> = {};
const heard: Record<string, string[]> = { good: [], self: [], wrongip: [] };

const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: certDir, stdio: ['ignore', 'ignore', 'pipe'] });

/** A serving certificate for NAME: signed by the cluster CA, or self-signed. */
function servingCert(name: string, san: string, signer: 'cluster' | 'self'): { cert: string; key: string } {
  const ext = `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\n`;
  if (signer === 'self') {
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '1', '-subj', `/CN=system:node:${name}`, '-addext', `subjectAltName=${san}`);
  } else {
    writeFileSync(join(certDir, `${name}.ext`), ext);
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/O=system:nodes/CN=system:node:${name}`);
    const pki = caDir;
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', join(pki, 'ca.crt'), '-CAkey', join(pki, 'ca.key'), '-CAserial', join(certDir, 'ca.srl'), '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`);
  }
  return { cert: readFileSync(join(certDir, `${name}.crt`), 'utf8'), key: readFileSync(join(certDir, `${name}.key`), 'utf8') };
}

async function startAgent(name: string, tls: { cert: string; key: string }): Promise<void> {
  const server = createServer(tls, (req, res) => {
    heard[name]!.push(req.url ?? '');
    if (req.url?.startsWith('/containerLogs/')) return void res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`logs of ${name}\n`);
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`agent ${name}\n`);
  });
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (p) => (p.has('v5.channel.k8s.io') ? 'v5.channel.k8s.io' : false) });
  server.on('upgrade', (req, socket, head) => {
    heard[name]!.push(req.url ?? '');
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(`ran on ${name}\n`)]));
      ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify({ metadata: {}, status: 'Success' }))]));
      ws.close(1000);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  agents.push(server);
  ports[name] = (server.address() as { port: number }).port;
  const n = node(name) as { status: Record<string, unknown> };
  n.status.addresses = [{ type: 'InternalIP', address: '127.0.0.1' }];
  n.status.daemonEndpoints = { kubeletEndpoint: { Port: ports[name] } };
  await cp.admin.create(Nodes, undefined, n);
  await cp.admin.create(Pods, 'default', pod(`on-${name}`, { spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '1d'] }] } }));
  await cp.admin.bind('default', `on-${name}`, name);
}

beforeAll(async () => {
  certDir = mkdtempSync(join(tmpdir(), 'tskube-kubelet-ca-'));
  // (the cluster CA names the flag, as on a kubeadm cluster: the run's PKI template holds it; with
  // no template, a CA of our own stands in)
  let template: string | undefined;
  try {
    template = inject('pkiTemplate');
  } catch {
    template = undefined;
  }
  if (template && existsSync(join(template, 'pki', 'ca.key'))) caDir = join(template, 'pki');
  else {
    caDir = join(certDir, 'pki');
    await ensurePki(certDir, ['127.0.0.1']);
  }
  cp = await startControlPlane({ kubeletCertificateAuthority: join(caDir, 'ca.crt') });
  await startAgent('good', servingCert('good', 'IP:127.0.0.1', 'cluster'));
  await startAgent('self', servingCert('self', 'IP:127.0.0.1', 'self'));
  await startAgent('wrongip', servingCert('wrongip', 'IP:10.9.9.9', 'cluster'));
});

afterAll(async () => {
  for (const a of agents) {
    a.closeAllConnections();
    a.close();
  }
  await cp?.stop();
  rmSync(certDir, { recursive: true, force: true });
});

/** An upgrade request as kubectl's SPDY or websocket clients send it; the answer of a refusal. */
function upgrade(path: string, protocol: string): Promise<{ code: number; body: Record<string, unknown> }> {
  const c = cp.config;
  const url = new URL(c.server);
  return new Promise((resolve, reject) => {
    const req = request({ hostname: url.hostname, port: url.port, path, method: 'POST', ca: c.caCert, cert: c.clientCert, key: c.clientKey, headers: { ...(c.token ? { Authorization: `Bearer ${c.token}` } : {}), Connection: 'Upgrade', Upgrade: protocol, 'X-Stream-Protocol-Version': 'portforward.k8s.io', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13' } });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('upgrade', (_res, socket) => (socket.destroy(), reject(new Error('upgraded'))));
    req.on('error', reject);
    req.end();
  });
}

const unknownAuthority = 'tls: failed to verify certificate: x509: certificate signed by unknown authority';

describe('--kubelet-certificate-authority', () => {
  it('an agent whose serving certificate the cluster CA signed serves logs, exec and nodes/proxy', async () => {
    expect(await cp.admin.request<string>('/api/v1/namespaces/default/pods/on-good/log')).toBe('logs of good\n');
    expect(await cp.admin.request<string>('/api/v1/nodes/good/proxy/healthz')).toBe('agent good\n');
    if (hasKubectl) {
      expect(await kubectlAt(cp.kubeconfig, join(certDir, 'cache'), ['logs', 'on-good'])).toMatchObject({ code: 0, out: 'logs of good\n' });
      expect(await kubectlAt(cp.kubeconfig, join(certDir, 'cache'), ['exec', 'on-good', '--', 'true'])).toMatchObject({ code: 0, out: 'ran on good\n' });
    }
    expect(heard.good).toContain('/containerLogs/default/on-good/main');
  });

  it('a self-signed one is refused before anything is sent, in the words of 1.32\'s kubelet client', async () => {
    const logs = await callWithWarnings(cp, 'GET', '/api/v1/namespaces/default/pods/on-self/log');
    // (LocationStreamer's client.Do error: a url.Error, a 500 Status with no reason)
    expect(logs.code).toBe(500);
    expect(logs.body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `Get "https://127.0.0.1:${ports.self}/containerLogs/default/on-self/main": ${unknownAuthority}`, code: 500 });
    // (nodes/proxy goes through the proxy transport, which says "service" whatever it proxies)
    const proxied = await callWithWarnings(cp, 'GET', '/api/v1/nodes/self/proxy/healthz');
    expect(proxied.body).toMatchObject({ code: 503, reason: 'ServiceUnavailable', message: `error trying to reach service: ${unknownAuthority}` });
    if (hasKubectl) {
      const k = await kubectlAt(cp.kubeconfig, join(certDir, 'cache'), ['logs', 'on-self']);
      expect(k.code).toBe(1);
      expect(k.err.trim()).toBe(`Error from server: Get "https://127.0.0.1:${ports.self}/containerLogs/default/on-self/main": ${unknownAuthority}`);
      const e = await kubectlAt(cp.kubeconfig, join(certDir, 'cache'), ['exec', 'on-self', '--', 'ls', '/']);
      expect(e.code).toBe(1);
      expect(e.err.trim()).toBe(`error: Internal error occurred: error sending request: Post "https://127.0.0.1:${ports.self}/exec/default/on-self/main?command=ls&command=%2F&error=1&output=1": ${unknownAuthority}`);
    }
    // (a SPDY upgrade, port-forward, and a nodes/proxy websocket: DialForUpgrade's error as it is, a 500)
    expect(await upgrade('/api/v1/namespaces/default/pods/on-self/portforward?ports=80', 'SPDY/3.1')).toEqual({ code: 500, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `error dialing backend: ${unknownAuthority}`, code: 500 } });
    expect((await upgrade('/api/v1/nodes/self/proxy/ws', 'websocket')).body).toMatchObject({ code: 500, message: `error dialing backend: ${unknownAuthority}` });
    expect(heard.self).toEqual([]);
  });

  it('kubectl logs --insecure-skip-tls-verify-backend reads a refused agent\'s logs all the same, the option not passed on', async () => {
    expect(await cp.admin.request<string>('/api/v1/namespaces/default/pods/on-self/log?insecureSkipTLSVerifyBackend=true')).toBe('logs of self\n');
    expect(heard.self).toEqual(['/containerLogs/default/on-self/main']);
    if (hasKubectl) expect(await kubectlAt(cp.kubeconfig, join(certDir, 'cache'), ['logs', '--insecure-skip-tls-verify-backend', 'on-self'])).toMatchObject({ code: 0, out: 'logs of self\n' });
    // (only logs have the option: nodes/proxy stays refused)
    expect((await callWithWarnings(cp, 'GET', '/api/v1/nodes/self/proxy/healthz?insecureSkipTLSVerifyBackend=true')).body).toMatchObject({ code: 503 });
  });

  it('a CA-signed one for another address is refused with the names it is valid for', async () => {
    const logs = await callWithWarnings(cp, 'GET', '/api/v1/namespaces/default/pods/on-wrongip/log');
    expect(logs.body).toMatchObject({ code: 500, message: `Get "https://127.0.0.1:${ports.wrongip}/containerLogs/default/on-wrongip/main": tls: failed to verify certificate: x509: certificate is valid for 10.9.9.9, not 127.0.0.1` });
    expect(heard.wrongip).toEqual([]);
  });
});
