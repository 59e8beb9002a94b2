// The proxy subresources on a real single-node cluster (apiserver, scheduler, controller manager,
// node agent with runc): pods/proxy to a busybox httpd by its first port, a port number or a
// port name; services/proxy to a ready endpoint; nodes/proxy to the node agent with the node's
// credentials; status codes passed through; 503 for a Service without endpoints; 403 for a user
// without the right; a websocket-style upgrade piped both ways; and the stock kubectl.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pods, RestClient, Services, StatusError } from '../../pkg/client/rest-client.js';
import { eventually } from '../helpers/control-plane.js';
import { hasKubectl, kubectlOk } from '../helpers/kubectl.js';
import { busyboxPod, ctr, startCluster, type Cluster } from './harness.js';

let c: Cluster;
const cacheDir = mkdtempSync(join(tmpdir(), 'kubectl-cache-'));
beforeAll(async () => {
  c = await startCluster({ podCIDR: '10.199.43.0/24', controllers: {} });
}, 180_000);
afterAll(async () => {
  await c?.stop();
  rmSync(cacheDir, { recursive: true, force: true });
});

// An "upgrade" server on 9000: it answers any request with 101 and then echoes what it gets.
const UPGRADE = `printf 'HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: echo\\r\\nConnection: Upgrade\\r\\n\\r\\n'; while read -r line; do echo "echo:$line"; done`;
const WEB = [
  'mkdir -p /www/sub && echo hello-proxy > /www/index.html && echo in-sub > /www/sub/x.txt',
  "cat > /up.sh <<'EOF'",
  '#!/bin/sh',
  UPGRADE,
  'EOF',
  'chmod +x /up.sh',
  '(while true; do nc -l -p 9000 -e /up.sh; done) &',
  'exec httpd -f -p 8080 -h /www',
].join('\n');

const raw = (path: string, headers: Record<string, string> = {}) => c.cp.admin.request<string>(path, { accept: '*/*', ...headers });

describe('the proxy subresources', () => {
  beforeAll(async () => {
    const pod = busyboxPod('web', { containers: [ctr('main', WEB, { ports: [{ name: 'http', containerPort: 8080 }, { name: 'up', containerPort: 9000 }], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } })] });
    await c.cp.admin.create(Pods, 'default', { ...pod, metadata: { name: 'web', labels: { app: 'web' } } });
    await c.cp.admin.create(Services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
    await c.cp.admin.create(Services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'nobody' }, spec: { selector: { app: 'nobody' }, ports: [{ port: 80 }] } });
    await eventually(async () => ((await raw('/api/v1/namespaces/default/services/web:http/proxy/index.html').catch(() => '')) === 'hello-proxy\n' ? true : undefined), { timeoutMs: 90_000, intervalMs: 300, what: 'the pod to serve through its Service' });
  }, 120_000);

  it('reaches a pod by its first declared port, a port number or a port name, with the path and query', async () => {
    expect(await raw('/api/v1/namespaces/default/pods/web/proxy/index.html')).toBe('hello-proxy\n');
    expect(await raw('/api/v1/namespaces/default/pods/web:8080/proxy/sub/x.txt?a=1&b=2')).toBe('in-sub\n');
    expect(await raw('/api/v1/namespaces/default/pods/http:web:http/proxy/')).toBe('hello-proxy\n');
  });

  it("passes the upstream's status through and names what it could not reach", async () => {
    await expect(raw('/api/v1/namespaces/default/pods/web/proxy/missing')).rejects.toMatchObject({ code: 404 });
    await expect(raw('/api/v1/namespaces/default/pods/web:8081/proxy/')).rejects.toThrow(/error trying to reach service: dial tcp 10\.199\.43\.\d+:8081: connect: connection refused/);
    await expect(raw('/api/v1/namespaces/default/pods/web:nope/proxy/')).rejects.toThrow(/pod web has no port named "nope"/);
    await expect(raw('/api/v1/namespaces/default/pods/ftp:web:80/proxy/')).rejects.toMatchObject({ code: 400 });
    await expect(raw('/api/v1/namespaces/default/pods/ghost/proxy/')).rejects.toMatchObject({ code: 404 });
  });

  it('reaches a ready endpoint of a Service port; a Service without endpoints is 503', async () => {
    expect(await raw('/api/v1/namespaces/default/services/web:http/proxy/index.html')).toBe('hello-proxy\n');
    expect(await raw('/api/v1/namespaces/default/services/web:80/proxy/sub/x.txt')).toBe('in-sub\n');
    // Its only port is named: without the name there is no endpoint port to match (as upstream).
    await expect(raw('/api/v1/namespaces/default/services/web/proxy/index.html')).rejects.toThrow('no endpoints available for service "web"');
    await expect(raw('/api/v1/namespaces/default/services/web:8080/proxy/')).rejects.toThrow('no service port 8080 found for service "web"');
    const e = await raw('/api/v1/namespaces/default/services/nobody/proxy/').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StatusError);
    expect(e).toMatchObject({ code: 503 });
    expect((e as Error).message).toContain('no endpoints available for service "nobody"');
  });

  it("reaches the node agent with the node's own credentials", async () => {
    const node = c.cfg.nodeName;
    expect(await raw(`/api/v1/nodes/${node}/proxy/healthz`)).toBe('ok');
    const metrics = await raw(`/api/v1/nodes/${node}/proxy/metrics`);
    expect(metrics).toMatch(/^# HELP /m);
    // (HandlePodCleanups adds both restart counts from its first pass: the series are there at 0)
    expect(metrics).toMatch(/^kubelet_restarted_pods_total\{static=""\} 0\nkubelet_restarted_pods_total\{static="true"\} 0$/m);
  });

  it('needs <resource>/proxy for the verb of the method', async () => {
    const bob = new RestClient(c.cp.admin.config, { headers: { 'Impersonate-User': 'bob' } });
    try {
      const e = await bob.request('/api/v1/namespaces/default/pods/web/proxy/').catch((x: unknown) => x);
      expect(e).toMatchObject({ code: 403 });
      expect((e as Error).message).toContain('User "bob" cannot get resource "pods/proxy" in API group "" in the namespace "default"');
      await expect(bob.request(`/api/v1/nodes/${c.cfg.nodeName}/proxy/metrics`)).rejects.toMatchObject({ code: 403 });
    } finally {
      bob.close();
    }
  });

  it('pipes an upgraded connection both ways', async () => {
    const url = new URL(c.cp.admin.config.server);
    const sock = tlsConnect({ host: url.hostname, port: Number(url.port), ca: c.cp.admin.config.caCert, servername: 'localhost' });
    try {
      let got = '';
      sock.on('data', (b: Buffer) => (got += b.toString()));
      await new Promise<void>((r, j) => sock.once('secureConnect', r).once('error', j));
      sock.write(`GET /api/v1/namespaces/default/pods/web:up/proxy/ws HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${c.cp.admin.config.token}\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n`);
      await eventually(async () => (got.includes('101 Switching Protocols') ? true : undefined), { timeoutMs: 10_000, intervalMs: 50, what: 'the 101' });
      sock.write('ping\n');
      await eventually(async () => (got.includes('echo:ping') ? true : undefined), { timeoutMs: 10_000, intervalMs: 50, what: `the echo (got ${JSON.stringify(got)})` });
      // the user's token went no further than the apiserver
      expect(got).not.toContain(c.cp.admin.config.token!);
    } finally {
      sock.destroy();
    }
  });

  it.skipIf(!hasKubectl)('is what kubectl get --raw reaches', async () => {
    expect(await kubectlOk(c.cp.kubeconfig, cacheDir, ['get', '--raw', '/api/v1/namespaces/default/services/web:http/proxy/index.html'])).toBe('hello-proxy\n');
  });
});
