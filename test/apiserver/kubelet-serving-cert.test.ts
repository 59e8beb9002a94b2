// The node agent's serving certificate with serverTLSBootstrap, as the 1.32 kubelet's
// (NewKubeletServerCertificateManager): a kubernetes.io/kubelet-serving CSR for system:node:NAME
// with the node's addresses as SANs, asked with the node's own credentials. csrapproving leaves
// it pending (it approves kubelet client certificates only); once an admin approves it, as kubectl
// certificate approve does, csrsigning signs it and the pair is stored as kubelet-server-current.pem.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CertificateSigningRequest, KubeObject } from '../../pkg/api/types.js';
import { CertificateSigningRequests } from '../../pkg/client/rest-client.js';
import { ControllerManager, defaultControllerConfig } from '../../pkg/controllers/manager.js';
import { KUBELET_SERVING_SIGNER } from '../../pkg/controllers/csr-signing.js';
import { ClientCertificateManager, loadCurrentPair } from '../../pkg/nodeagent/cert-rotation.js';
import { requestNodeCertificate } from '../../pkg/nodeagent/kubelet-bootstrap.js';
import { eventually, sleep, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

type Csr = CertificateSigningRequest & KubeObject;

let cp: TestControlPlane;
let cm: ControllerManager;
let manager: ClientCertificateManager | undefined;
const dir = mkdtempSync(join(tmpdir(), 'tskube-serving-cert-test-'));

beforeAll(async () => {
  cp = await startControlPlane({}, { serviceAccountControllers: false });
  const pki = join(cp.dataDir, 'pki');
  cm = new ControllerManager(cp.admin, { ...defaultControllerConfig, leaderElect: false, allocateNodeCIDRs: false, clusterSigning: { caCertFile: join(pki, 'ca.crt'), caKeyFile: join(pki, 'ca.key') } });
  await cm.start();
}, 60_000);

afterAll(async () => {
  await manager?.stop();
  await cm?.stop();
  await cp?.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

describe('kubelet serving certificate (serverTLSBootstrap)', () => {
  it('asks for a kubelet-serving certificate for the node\'s addresses, left pending until an admin approves it', async () => {
    const node = cp.nodeClient('worker-1');
    const certDir = join(dir, 'pki');
    let rotated: { cert: string; key: string } | undefined;
    manager = new ClientCertificateManager({
      certDir,
      pair: 'kubelet-server',
      name: KUBELET_SERVING_SIGNER,
      nodeName: 'worker-1',
      request: (key) => requestNodeCertificate(node, key, 'worker-1', { dir, generateName: true, pollMs: 100, timeoutMs: 30_000, signerName: KUBELET_SERVING_SIGNER, usages: ['digital signature', 'server auth'], sans: ['worker-1', '10.0.0.5'] }),
      rotated: (cert, key) => (rotated = { cert, key }),
    });
    manager.start();
    const csr = await eventually(async () => {
      const found = (await cp.admin.list<Csr>(CertificateSigningRequests)).items.find((c) => c.spec?.signerName === KUBELET_SERVING_SIGNER);
      return found ?? Promise.reject(new Error('no request yet'));
    }, { timeoutMs: 15_000, what: 'the serving certificate request' });
    expect(csr.metadata?.name).toMatch(/^csr-/);
    expect(csr.spec).toMatchObject({ username: 'system:node:worker-1', usages: ['digital signature', 'server auth'] });
    // (csrapproving does not approve kubelet-serving requests: it stays pending, no certificate)
    await sleep(2000);
    const pending = await cp.admin.get<Csr>(CertificateSigningRequests, undefined, csr.metadata!.name!);
    expect(pending.status?.conditions ?? []).toEqual([]);
    expect(rotated).toBeUndefined();

    // kubectl certificate approve
    await cp.admin.update(CertificateSigningRequests, undefined, csr.metadata!.name!, { ...pending, status: { conditions: [{ type: 'Approved', status: 'True', reason: 'KubectlApprove', message: 'This CSR was approved by kubectl certificate approve.' }] } }, 'approval');
    await eventually(async () => rotated ?? Promise.reject(new Error('not signed yet')), { timeoutMs: 15_000, what: 'the signed serving certificate' });
    const stored = loadCurrentPair(certDir, 'kubelet-server');
    expect(stored.certPem.trim()).toBe(rotated!.cert.trim());
    const cert = new X509Certificate(stored.certPem);
    expect(cert.subject).toBe('O=system:nodes\nCN=system:node:worker-1');
    expect(cert.subjectAltName).toBe('DNS:worker-1, IP Address:10.0.0.5');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(cert.checkPrivateKey(createPrivateKey(stored.keyPem))).toBe(true);
  }, 60_000);
});
