// HTTPS discovery's download (kubeadm join --discovery-file https://...): the kubeconfig is fetched
// from a server the machine's trusted roots vouch for, with Go's and kubeadm's errors otherwise.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoveryFileScheme, fetchDiscoveryFile } from './token-discovery.js';

const dir = mkdtempSync(join(tmpdir(), 'tsk-discovery-https-'));
let server: Server;
let base = '';
let cert = '';
const KUBECONFIG = 'apiVersion: v1\nkind: Config\nclusters:\n- name: ""\n  cluster:\n    server: https://192.0.2.1:6443\n';
beforeAll(async () => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
  cert = readFileSync(join(dir, 'c.pem'), 'utf8');
  server = createServer({ cert, key: readFileSync(join(dir, 'k.pem')) }, (req, res) => {
    if (req.url === '/cluster-info.yaml') res.end(KUBECONFIG);
    else res.writeHead(404).end('not here');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('--discovery-file over https', () => {
  it('downloads the kubeconfig from a server the trusted roots vouch for', async () => {
    expect(await fetchDiscoveryFile(`${base}/cluster-info.yaml`, { ca: cert })).toBe(KUBECONFIG);
  });

  it("refuses a server no trusted root vouches for, and a status other than 200, in Go's and kubeadm's words", async () => {
    await expect(fetchDiscoveryFile(`${base}/cluster-info.yaml`)).rejects.toThrow(`Get "${base}/cluster-info.yaml": self-signed certificate`);
    await expect(fetchDiscoveryFile(`${base}/other.yaml`, { ca: cert })).rejects.toThrow(`error trying to fetch discovery kubeconfig over HTTPS from ${base}/other.yaml, received status 404`);
  });

  it("reads the value's scheme as Go's url.Parse does: none for a path", () => {
    expect(discoveryFileScheme('/etc/kubernetes/discovery.yaml')).toBe('');
    expect(discoveryFileScheme('discovery.yaml')).toBe('');
    expect(discoveryFileScheme('https://h/x')).toBe('https');
    expect(discoveryFileScheme('HTTP://h/x')).toBe('http');
  });
});
