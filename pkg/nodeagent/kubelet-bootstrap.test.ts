import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CertificateSigningRequest, KubeObject } from '../api/types.js';
import { loadKubeconfig } from '../client/kubeconfig.js';
import { StatusError } from '../client/rest-client.js';
import { readRequest, signClientCertificate, validity } from '../controllers/csr-signing.js';
import { clientConfigProblem, CURRENT_PEM, digestedName, loadClientCert, TMP_KEY_FILE, type CsrClient } from './kubelet-bootstrap.js';

type Csr = CertificateSigningRequest & KubeObject;

const dir = mkdtempSync(join(tmpdir(), 'tskube-kubelet-bootstrap-test-'));
const f = (n: string) => join(dir, n);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-subj', '/CN=test-ca', '-days', '2'], { stdio: 'ignore' });
  writeFileSync(
    f('bootstrap.kubeconfig'),
    ['apiVersion: v1', 'kind: Config', 'clusters:', '- name: c', '  cluster:', '    server: https://127.0.0.1:1', '    certificate-authority: ca.crt', 'users:', '- name: tls-bootstrap-token-user', '  user:', '    token: abcdef.0123456789abcdef', 'contexts:', '- name: b', '  context: {cluster: c, user: tls-bootstrap-token-user}', 'current-context: b', ''].join('\n'),
  );
});

/** An API of CSRs: created ones are answered by `decide` the first time they are read back. */
function fakeApi(decide: (csr: Csr) => Promise<Csr['status']>) {
  const store = new Map<string, Csr>();
  const created: Csr[] = [];
  let uid = 0;
  const client: CsrClient = {
    create: async (_r, _ns, obj) => {
      const c = structuredClone(obj) as Csr;
      if (store.has(c.metadata!.name!)) throw new StatusError(409, undefined, 'already exists');
      c.metadata!.uid = `uid-${++uid}`;
      store.set(c.metadata!.name!, c);
      created.push(c);
      return structuredClone(c) as never;
    },
    get: async (_r, _ns, name) => {
      const c = store.get(name);
      if (!c) throw new StatusError(404, undefined, 'not found');
      if (!c.status) c.status = await decide(c);
      return structuredClone(c) as never;
    },
  };
  return { client, store, created };
}

/** Approves and signs, as csrapproving and csrsigning do. */
const sign = (ms = 3600_000) => async (c: Csr): Promise<Csr['status']> => {
  const { notBefore, notAfter } = validity(Date.now(), ms);
  const cert = await signClientCertificate(Buffer.from(String(c.spec!.request), 'base64').toString(), { caCertFile: f('ca.crt'), caKeyFile: f('ca.key') }, notBefore, notAfter, c.spec!.usages);
  return { conditions: [{ type: 'Approved', status: 'True', reason: 'AutoApproved', message: 'm' }], certificate: Buffer.from(cert).toString('base64') as never };
};

describe('kubelet TLS bootstrapping (bootstrap.go LoadClientCert)', () => {
  it('without a kubeconfig asks for a node client certificate from a new ECDSA P-256 key and writes a kubeconfig using it', async () => {
    const certDir = f('pki1');
    let keyWhileWaiting = '';
    const api = fakeApi(async (c) => {
      keyWhileWaiting = readFileSync(join(certDir, TMP_KEY_FILE), 'utf8');
      return sign()(c);
    });
    await loadClientCert({ kubeconfigPath: f('k1/kubelet.conf'), bootstrapPath: f('bootstrap.kubeconfig'), certDir, nodeName: 'worker-1', client: () => api.client, pollMs: 10 });
    expect(api.created).toHaveLength(1);
    const csr = api.created[0]!;
    expect(csr.metadata!.name).toMatch(/^node-csr-[A-Za-z0-9_-]{43}$/);
    expect(csr.spec).toMatchObject({ signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'] });
    const req = await readRequest(Buffer.from(String(csr.spec!.request), 'base64').toString());
    expect(req).toMatchObject({ organizations: ['system:nodes'], commonName: 'system:node:worker-1', dns: 0, ip: 0 });
    expect(keyWhileWaiting).toContain('-----BEGIN EC PRIVATE KEY-----');
    expect(createPrivateKey(keyWhileWaiting).asymmetricKeyDetails).toEqual({ namedCurve: 'prime256v1' });
    expect(csr.metadata!.name).toBe(digestedName(keyWhileWaiting, 'system:node:worker-1', ['system:nodes'], ['digital signature', 'client auth']));
    // (the waiting key is gone; the pair is in a file of its own, linked as current)
    expect(existsSync(join(certDir, TMP_KEY_FILE))).toBe(false);
    expect(lstatSync(join(certDir, CURRENT_PEM)).isSymbolicLink()).toBe(true);
    const kc = loadKubeconfig(f('k1/kubelet.conf'));
    expect(kc).toMatchObject({ server: 'https://127.0.0.1:1', caCert: readFileSync(f('ca.crt'), 'utf8'), namespace: 'default' });
    expect(kc.token).toBeUndefined();
    expect(new X509Certificate(kc.clientCert!).subject).toBe('O=system:nodes\nCN=system:node:worker-1');
    expect(new X509Certificate(kc.clientCert!).checkPrivateKey(createPrivateKey(kc.clientKey!))).toBe(true);
    expect(readFileSync(f('k1/kubelet.conf'), 'utf8')).toContain(`client-certificate: ${join(certDir, CURRENT_PEM)}`);
    expect(clientConfigProblem(f('k1/kubelet.conf'))).toBeUndefined();
    // (a second start with the kubeconfig valid asks for nothing)
    const again = fakeApi(sign());
    await loadClientCert({ kubeconfigPath: f('k1/kubelet.conf'), bootstrapPath: f('bootstrap.kubeconfig'), certDir, nodeName: 'worker-1', client: () => again.client, pollMs: 10 });
    expect(again.created).toEqual([]);
  });

  it('an expired certificate is replaced, with the same key: the request of that name is taken up again', async () => {
    const certDir = f('pki2');
    const api = fakeApi(sign(60_000));
    const opts = { kubeconfigPath: f('k2/kubelet.conf'), bootstrapPath: f('bootstrap.kubeconfig'), certDir, nodeName: 'worker-2', client: () => api.client, pollMs: 10 };
    await loadClientCert(opts);
    const first = loadKubeconfig(f('k2/kubelet.conf'));
    const later = Date.now() + 3600_000;
    expect(clientConfigProblem(f('k2/kubelet.conf'), later)).toMatch(/^part of the existing bootstrap client certificate in .*kubelet.conf is expired: /);
    // (the name is the key's: the stored request, already answered, is read back)
    await loadClientCert({ ...opts, now: () => later });
    expect(api.created).toHaveLength(1);
    expect(loadKubeconfig(f('k2/kubelet.conf')).clientKey).toBe(first.clientKey);
  });

  it('a relative --cert-dir is written into the kubeconfig as an absolute path', async () => {
    const api = fakeApi(sign());
    await loadClientCert({ kubeconfigPath: f('k4/kubelet.conf'), bootstrapPath: f('bootstrap.kubeconfig'), certDir: relative(process.cwd(), f('pki4')), nodeName: 'worker-4', client: () => api.client, pollMs: 10 });
    expect(readFileSync(f('k4/kubelet.conf'), 'utf8')).toContain(`client-certificate: ${join(f('pki4'), CURRENT_PEM)}`);
    expect(loadKubeconfig(f('k4/kubelet.conf')).clientKey).toContain('PRIVATE KEY');
  });

  it('a bootstrap kubeconfig that names the gRPC frontend (tskube.io/grpc) gives the node a kubeconfig naming it too', async () => {
    const withGrpc = readFileSync(f('bootstrap.kubeconfig'), 'utf8').replace('    certificate-authority: ca.crt\n', '    certificate-authority: ca.crt\n    extensions:\n    - name: tskube.io/grpc\n      extension: {server: "127.0.0.1:6444"}\n');
    writeFileSync(f('bootstrap-grpc.kubeconfig'), withGrpc);
    const api = fakeApi(sign());
    await loadClientCert({ kubeconfigPath: f('k5/kubelet.conf'), bootstrapPath: f('bootstrap-grpc.kubeconfig'), certDir: f('pki5'), nodeName: 'worker-5', client: () => api.client, pollMs: 10 });
    expect(loadKubeconfig(f('k5/kubelet.conf'))).toMatchObject({ server: 'https://127.0.0.1:1', grpcServer: '127.0.0.1:6444', token: undefined });
    // (one without it, as kubeadm writes bootstrap-kubelet.conf, names none)
    expect(loadKubeconfig(f('k1/kubelet.conf')).grpcServer).toBeUndefined();
  });

  it('a kubeconfig with a token and no certificate is bootstrapped; a denied request is an error in the kubelet\'s words', async () => {
    writeFileSync(f('token.conf'), readFileSync(f('bootstrap.kubeconfig')));
    expect(clientConfigProblem(f('token.conf'))).toBe(`unable to read TLS certificates from existing bootstrap client config read from ${f('token.conf')}`);
    const api = fakeApi(async () => ({ conditions: [{ type: 'Denied', status: 'True', reason: 'NotToday', message: 'no nodes today' }] }));
    await expect(loadClientCert({ kubeconfigPath: f('token.conf'), bootstrapPath: f('bootstrap.kubeconfig'), certDir: f('pki3'), nodeName: 'n', client: () => api.client, pollMs: 10 })).rejects.toThrow('certificate signing request is denied, reason: NotToday, message: no nodes today');
    // (the key stays for the next try)
    expect(existsSync(join(f('pki3'), TMP_KEY_FILE))).toBe(true);
    await expect(loadClientCert({ kubeconfigPath: f('none.conf'), bootstrapPath: f('missing.kubeconfig'), certDir: f('pki3'), nodeName: 'n', client: () => api.client })).rejects.toThrow(/^unable to load bootstrap kubeconfig: /);
  });
});
