// Short-lived client certificates on a real apiserver, etcd and controller manager (whose signer
// issues certificates of 6 s, --cluster-signing-duration): the apiserver checks a client
// certificate's dates at each request, as the x509 authenticator does, so an expired one on a
// kept-alive connection is refused.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKubeconfig } from '../../pkg/client/kubeconfig.js';
import { Nodes, RestClient } from '../../pkg/client/rest-client.js';
import { ControllerManager, defaultControllerConfig } from '../../pkg/controllers/manager.js';
import { signClientCertificate } from '../../pkg/controllers/csr-signing.js';
import { loadOrGenerateKey, makeNodeCsr } from '../../pkg/nodeagent/kubelet-bootstrap.js';
import { startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

const LIFETIME_MS = 6000;
let cp: TestControlPlane;
let cm: ControllerManager;
const dir = mkdtempSync(join(tmpdir(), 'tskube-cert-rotation-test-'));
const clients: RestClient[] = [];

beforeAll(async () => {
  cp = await startControlPlane({ enableBootstrapTokenAuth: true }, { serviceAccountControllers: false });
  const pki = join(cp.dataDir, 'pki');
  cm = new ControllerManager(cp.admin, { ...defaultControllerConfig, leaderElect: false, allocateNodeCIDRs: false, clusterSigning: { caCertFile: join(pki, 'ca.crt'), caKeyFile: join(pki, 'ca.key'), maxDurationMs: LIFETIME_MS } });
  await cm.start();
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await cm?.stop();
  await cp?.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

describe('client certificates at each request', () => {
  it('a certificate that expires while its connection is kept alive gets 401 at the next request (x509 authenticator)', async () => {
    const pki = join(cp.dataDir, 'pki');
    const key = loadOrGenerateKey(join(dir, 'expiring'));
    const now = Date.now();
    const cert = await signClientCertificate(await makeNodeCsr(key, 'expiring', dir), { caCertFile: join(pki, 'ca.crt'), caKeyFile: join(pki, 'ca.key') }, new Date(now - 60_000), new Date(now + 3000));
    const client = new RestClient({ ...loadKubeconfig(cp.kubeconfig), token: undefined, clientCert: cert, clientKey: key });
    clients.push(client);
    await expect(client.list(Nodes)).resolves.toMatchObject({ kind: 'NodeList' });
    await new Promise((r) => setTimeout(r, Date.parse(new X509Certificate(cert).validTo) - Date.now() + 1200));
    await expect(client.list(Nodes)).rejects.toMatchObject({ code: 401 });
  });
});
