// The node agent's serving certificate with serverTLSBootstrap, as the 1.32 kubelet's
// (NewKubeletServerCertificateManager): a kubernetes.io/kubelet-serving CSR for system:node:NAME
// with the node's addresses as SANs, asked with the node's own credentials. csrapproving leaves
// it pending (it approves kubelet client certificates only); once an admin approves it, as kubectl
// certificate approve does, csrsigning signs it, the pair is stored as kubelet-server-current.pem
// and the agent's HTTPS port, not opened until then, serves it.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CertificateSigningRequest, KubeObject } from '../../pkg/api/types.js';
import { CertificateSigningRequests } from '../../pkg/client/rest-client.js';
import { ControllerManager, defaultControllerConfig } from '../../pkg/controllers/manager.js';
import { KUBELET_SERVING_SIGNER } from '../../pkg/controllers/csr-signing.js';
import { loadCurrentPair } from '../../pkg/nodeagent/cert-rotation.js';
import type { NodeAgent } from '../../pkg/nodeagent/agent.js';
import { startAgentServer } from '../../pkg/nodeagent/server.js';
import { startServingCertificate } from '../../pkg/nodeagent/serving-cert.js';
import { eventually, sleep, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

type Csr = CertificateSigningRequest & KubeObject;

let cp: TestControlPlane;
let cm: ControllerManager;
let serving: { stop(): Promise<void> } | undefined;
let server: Server | undefined;
const dir = mkdtempSync(join(tmpdir(), 'tskube-serving-cert-test-'));

beforeAll(async () => {
  cp = await startControlPlane({}, { serviceAccountControllers: false });
  const pki = join(cp.dataDir, 'pki');
  cm = new ControllerManager(cp.admin, { ...defaultControllerConfig, leaderElect: false, allocateNodeCIDRs: false, clusterSigning: { caCertFile: join(pki, 'ca.crt'), caKeyFile: join(pki, 'ca.key') } });
  await cm.start();
}, 60_000);

afterAll(async () => {
  await serving?.stop();
  server?.close();
  await cm?.stop();
  await cp?.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

describe('kubelet serving certificate (serverTLSBootstrap)', () => {
  it('asks for a kubelet-serving certificate for the node\'s addresses, left pending until an admin approves it; the port opens with it then', async () => {
    const node = cp.nodeClient('worker-1');
    // (a cert dir that does not exist yet, as on a node that was not bootstrapped)
    const certDir = join(dir, 'pki');
    let port = 0;
    const agent = { cfg: { nodeName: 'worker-1' }, runtime: {}, workers: new Map() } as unknown as NodeAgent;
    serving = startServingCertificate({
      client: node,
      certDir,
      nodeName: 'worker-1',
      nodeIP: '127.0.0.1',
      pollMs: 100,
      listen: async (pair) => {
        server = await startAgentServer(agent, { host: '127.0.0.1', port: 0, token: '', dataDir: join(dir, 'agent'), nodeIP: '127.0.0.1', serving: pair });
        port = (server.address() as AddressInfo).port;
      },
      failed: (e) => {
        throw e;
      },
    });
    const csr = await eventually(async () => {
      const found = (await cp.admin.list<Csr>(CertificateSigningRequests)).items.find((c) => c.spec?.signerName === KUBELET_SERVING_SIGNER);
      return found ?? Promise.reject(new Error('no request yet'));
    }, { timeoutMs: 15_000, what: 'the serving certificate request' });
    expect(csr.metadata?.name).toMatch(/^csr-/);
    expect(csr.spec).toMatchObject({ username: 'system:node:worker-1', usages: ['digital signature', 'server auth'] });
    // (csrapproving does not approve kubelet-serving requests: it stays pending, and the port closed)
    await sleep(2000);
    const pending = await cp.admin.get<Csr>(CertificateSigningRequests, undefined, csr.metadata!.name!);
    expect(pending.status?.conditions ?? []).toEqual([]);
    expect(port).toBe(0);

    // kubectl certificate approve
    await cp.admin.update(CertificateSigningRequests, undefined, csr.metadata!.name!, { ...pending, status: { conditions: [{ type: 'Approved', status: 'True', reason: 'KubectlApprove', message: 'This CSR was approved by kubectl certificate approve.' }] } }, 'approval');
    await eventually(async () => port || Promise.reject(new Error('not listening yet')), { timeoutMs: 15_000, what: 'the port opened with the signed certificate' });
    const stored = loadCurrentPair(certDir, 'kubelet-server');
    const cert = new X509Certificate(stored.certPem);
    expect(cert.subject).toBe('O=system:nodes\nCN=system:node:worker-1');
    expect(cert.subjectAltName).toBe('DNS:worker-1, IP Address:127.0.0.1');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(cert.checkPrivateKey(createPrivateKey(stored.keyPem))).toBe(true);
    // (the port serves it, and a client that trusts the cluster CA verifies it by the node's address)
    const ca = readFileSync(join(cp.dataDir, 'pki', 'ca.crt'), 'utf8');
    const shown = await new Promise<string>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, ca }, () => {
        resolve(s.getPeerCertificate().fingerprint256);
        s.destroy();
      }).on('error', reject);
    });
    expect(shown).toBe(cert.fingerprint256);
  }, 60_000);
});
