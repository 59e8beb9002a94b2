// The node agent's client certificate rotation (--rotate-certificates, the kubelet's
// rotateCertificates) on a real apiserver, etcd and controller manager: a node bootstrapped with a
// certificate of 6 s (--cluster-signing-duration) renews it with a CSR of its own (generateName
// csr-, asked as system:node:worker-1), which csrapproving approves as selfnodeclient and
// csrsigning signs; the pair is stored and kubelet-client-current.pem moved, and the node's client
// goes on working with the new pair after the first has expired, without a restart. The apiserver
// checks a client certificate's dates at each request, as the x509 authenticator does, so an
// expired one on a kept-alive connection is refused.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CertificateSigningRequest, KubeObject } from '../../pkg/api/types.js';
import { GrpcApiClient } from '../../pkg/client/grpc-client.js';
import { loadKubeconfig } from '../../pkg/client/kubeconfig.js';
import { CertificateSigningRequests, core, Nodes, RestClient } from '../../pkg/client/rest-client.js';
import { ControllerManager, defaultControllerConfig } from '../../pkg/controllers/manager.js';
import { signClientCertificate } from '../../pkg/controllers/csr-signing.js';
import { ClientCertificateManager } from '../../pkg/nodeagent/cert-rotation.js';
import { CURRENT_PEM, loadClientCert, loadOrGenerateKey, makeNodeCsr, requestNodeCertificate } from '../../pkg/nodeagent/kubelet-bootstrap.js';
import { eventually, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { addKubeadmBindings, writeBootstrapKubeconfig } from '../helpers/tls-bootstrap-join.js';

type Csr = CertificateSigningRequest & KubeObject;

const LIFETIME_MS = 6000;
let cp: TestControlPlane;
let cm: ControllerManager;
const dir = mkdtempSync(join(tmpdir(), 'tskube-cert-rotation-test-'));
const clients: (RestClient | GrpcApiClient)[] = [];
let manager: ClientCertificateManager | undefined;

beforeAll(async () => {
  cp = await startControlPlane({ enableBootstrapTokenAuth: true }, { serviceAccountControllers: false });
  const pki = join(cp.dataDir, 'pki');
  cm = new ControllerManager(cp.admin, { ...defaultControllerConfig, leaderElect: false, allocateNodeCIDRs: false, clusterSigning: { caCertFile: join(pki, 'ca.crt'), caKeyFile: join(pki, 'ca.key'), maxDurationMs: LIFETIME_MS } });
  await cm.start();
}, 60_000);

afterAll(async () => {
  await manager?.stop();
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

describe('the gRPC frontend with client certificates', () => {
  /** A pair for system:node:NAME from the cluster CA, valid for `ms` from now. */
  const nodePair = async (name: string, keyDir: string, ms: number) => {
    const pki = join(cp.dataDir, 'pki');
    const key = loadOrGenerateKey(join(dir, keyDir));
    const now = Date.now();
    const cert = await signClientCertificate(await makeNodeCsr(key, name, dir), { caCertFile: join(pki, 'ca.crt'), caKeyFile: join(pki, 'ca.key') }, new Date(now - 60_000), new Date(now + ms));
    return { cert, key };
  };

  it("a node's gRPC client switches to its rotated certificate: calls and watches go on after the first expires, a client left on it gets 401", async () => {
    const first = await nodePair('grpc-node', 'grpc-1', 3000);
    const config = { ...loadKubeconfig(cp.kubeconfig), token: undefined, clientCert: first.cert, clientKey: first.key };
    expect(config.grpcServer).toBeTruthy();
    const node = GrpcApiClient.fromConfig(config);
    const stale = GrpcApiClient.fromConfig(config);
    clients.push(node, stale);
    // (authenticated as the certificate's CN, in system:nodes: the node may read its own Node)
    await expect(node.create(Nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'grpc-node' } })).resolves.toMatchObject({ metadata: { name: 'grpc-node' } });
    await expect(stale.get(Nodes, undefined, 'grpc-node')).resolves.toMatchObject({ metadata: { name: 'grpc-node' } });
    const watch = await node.watch(Nodes, undefined, { fieldSelector: 'metadata.name=grpc-node' }, () => {});
    let watchEnded = false;
    void watch.done.then(() => (watchEnded = true));

    const second = await nodePair('grpc-node', 'grpc-2', 60_000);
    node.setClientCertificate(second.cert, second.key);
    // (the old channel's watch is ended, for its informer to watch again on the new one)
    await eventually(async () => (watchEnded ? true : Promise.reject(new Error('watch still open'))), { timeoutMs: 5000, what: 'the old watch to end' });

    await new Promise((r) => setTimeout(r, Date.parse(new X509Certificate(first.cert).validTo) - Date.now() + 1200));
    // (the apiserver checks the certificate's dates at each call, as over REST)
    await expect(stale.get(Nodes, undefined, 'grpc-node')).rejects.toMatchObject({ code: 401 });
    await expect(node.get(Nodes, undefined, 'grpc-node')).resolves.toMatchObject({ metadata: { name: 'grpc-node' } });
    const events: string[] = [];
    const again = await node.watch(Nodes, undefined, { fieldSelector: 'metadata.name=grpc-node' }, (e) => events.push(e.type));
    await node.patch(Nodes, undefined, 'grpc-node', { metadata: { labels: { rotated: 'yes' } } });
    await eventually(async () => (events.includes('MODIFIED') ? true : Promise.reject(new Error('no event yet'))), { timeoutMs: 5000, what: 'a watch event over the new certificate' });
    again.stop();
  }, 30_000);
});

describe('kubelet client certificate rotation', () => {
  it('a short-lived bootstrapped certificate is renewed through selfnodeclient and the client uses the new pair', async () => {
    await cp.admin.create(core('secrets'), 'kube-system', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'bootstrap-token-abcdef', namespace: 'kube-system' },
      type: 'bootstrap.kubernetes.io/token',
      stringData: { 'token-id': 'abcdef', 'token-secret': '0123456789abcdef', 'usage-bootstrap-authentication': 'true', 'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token' },
    });
    await addKubeadmBindings(cp, 'system:bootstrappers:kubeadm:default-node-token');
    const bootstrap = writeBootstrapKubeconfig(cp, 'abcdef.0123456789abcdef', join(dir, 'bootstrap.conf'));
    const kubeconfig = join(dir, 'kubelet.conf');
    const certDir = join(dir, 'pki');
    await eventually(async () => (await loadClientCert({ kubeconfigPath: kubeconfig, bootstrapPath: bootstrap, certDir, nodeName: 'worker-1', pollMs: 100, timeoutMs: 20_000 }), true), { timeoutMs: 30_000, what: 'a bootstrapped kubeconfig' });
    const first = readlinkSync(join(certDir, CURRENT_PEM));
    const expires = Date.parse(new X509Certificate(loadKubeconfig(kubeconfig).clientCert!).validTo);
    expect(expires - Date.now()).toBeLessThanOrEqual(LIFETIME_MS);

    // The agent's client, and one that keeps the first pair, as a client would without rotation.
    const node = new RestClient(loadKubeconfig(kubeconfig));
    const stale = new RestClient(loadKubeconfig(kubeconfig));
    clients.push(node, stale);
    await node.list(Nodes);
    await stale.list(Nodes);
    // (started late enough that the renewed certificate outlives the first by seconds)
    await new Promise((r) => setTimeout(r, Math.max(0, expires - Date.now() - 3000)));
    let rotated = 0;
    manager = new ClientCertificateManager({
      certDir,
      request: (key) => requestNodeCertificate(node, key, 'worker-1', { dir, generateName: true, pollMs: 100, timeoutMs: 20_000 }),
      rotated: (cert, key) => {
        rotated++;
        node.setClientCertificate(cert, key);
        // (one renewal is enough here: a 6 s certificate backdated 5 minutes is always past its deadline)
        void manager!.stop();
      },
    });
    manager.start();
    await eventually(async () => (rotated ? true : Promise.reject(new Error('not rotated yet'))), { timeoutMs: 20_000, what: 'a rotation' });
    expect(readlinkSync(join(certDir, CURRENT_PEM))).not.toBe(first);

    const renewal = (await cp.admin.list<Csr>(CertificateSigningRequests)).items.find((c) => c.metadata!.name!.startsWith('csr-'));
    expect(renewal?.spec).toMatchObject({ username: 'system:node:worker-1', signerName: 'kubernetes.io/kube-apiserver-client-kubelet' });
    expect(renewal?.status?.conditions?.[0]).toMatchObject({ type: 'Approved', reason: 'AutoApproved', message: 'Auto approving self kubelet client certificate after SubjectAccessReview.' });

    // Once the first certificate has expired, only the rotated client gets in.
    await new Promise((r) => setTimeout(r, Math.max(0, expires - Date.now() + 1200)));
    await expect(stale.list(Nodes)).rejects.toMatchObject({ code: 401 });
    await expect(node.list(Nodes)).resolves.toMatchObject({ kind: 'NodeList' });
  }, 60_000);
});
