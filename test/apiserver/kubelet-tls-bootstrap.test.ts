// kubeadm join's TLS bootstrap on a real apiserver, etcd and controller manager: a bootstrap token
// Secret, kubeadm's bindings (system:bootstrappers:kubeadm:default-node-token may create CSRs and
// is auto-approved for nodeclient; system:nodes for selfnodeclient), and a node agent given only a
// bootstrap kubeconfig (--bootstrap-kubeconfig) gets its client certificate through a CSR that the
// csrapproving controller approves and csrsigning signs, writes its --kubeconfig, and registers its
// Node with it as system:node:<name>. The node then renews with a CSR of its own, approved as
// selfnodeclient; without kubeadm's bindings a request waits for a person.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CertificateSigningRequest, KubeObject } from '../../pkg/api/types.js';
import { loadKubeconfig } from '../../pkg/client/kubeconfig.js';
import { CertificateSigningRequests, ClusterRoleBindings, core, Nodes, RestClient } from '../../pkg/client/rest-client.js';
import { ControllerManager, defaultControllerConfig } from '../../pkg/controllers/manager.js';
import { NodeStatusManager, type NodeStatusConfig, type NodeStatusSources } from '../../pkg/nodeagent/agent-node-status.js';
import { digestedName, loadClientCert, makeNodeCsr } from '../../pkg/nodeagent/kubelet-bootstrap.js';
import { eventually, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { addKubeadmBindings, groupBinding, writeBootstrapKubeconfig } from '../helpers/tls-bootstrap-join.js';
import { hasKubectl, kubectlOk } from '../helpers/kubectl.js';

type Csr = CertificateSigningRequest & KubeObject;

let cp: TestControlPlane;
let cm: ControllerManager;
const dir = mkdtempSync(join(tmpdir(), 'tskube-tls-bootstrap-test-'));
const clients: RestClient[] = [];

beforeAll(async () => {
  cp = await startControlPlane({ enableBootstrapTokenAuth: true }, { serviceAccountControllers: false });
  const pki = join(cp.dataDir, 'pki');
  cm = new ControllerManager(cp.admin, { ...defaultControllerConfig, leaderElect: false, allocateNodeCIDRs: false, clusterSigning: { caCertFile: join(pki, 'ca.crt'), caKeyFile: join(pki, 'ca.key') } });
  await cm.start();
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await cm?.stop();
  await cp?.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

/** A kubeconfig with the cluster's server and CA and a bootstrap token, as kubeadm join writes bootstrap-kubelet.conf. */
const bootstrapKubeconfig = (token: string) => writeBootstrapKubeconfig(cp, token, join(dir, `bootstrap-${token.slice(0, 6)}.conf`));

const tokenSecret = (id: string, secret: string) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system' },
  type: 'bootstrap.kubernetes.io/token',
  stringData: { 'token-id': id, 'token-secret': secret, 'usage-bootstrap-authentication': 'true', 'usage-bootstrap-signing': 'true', 'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token' },
});

describe('kubelet TLS bootstrapping, kubeadm style', () => {
  it('a node agent with only a bootstrap kubeconfig gets an auto-approved certificate and registers its Node', async () => {
    await cp.admin.create(core('secrets'), 'kube-system', tokenSecret('abcdef', '0123456789abcdef'));
    await addKubeadmBindings(cp, 'system:bootstrappers:kubeadm:default-node-token');
    const kubeconfig = join(dir, 'kubelet.conf');
    const certDir = join(dir, 'pki');
    // (as cmd/nodeagent does with --bootstrap-kubeconfig before it connects; the authenticator reads the token Secret from its watch cache)
    await eventually(async () => (await loadClientCert({ kubeconfigPath: kubeconfig, bootstrapPath: bootstrapKubeconfig('abcdef.0123456789abcdef'), certDir, nodeName: 'worker-1', pollMs: 100, timeoutMs: 20_000 }), true), { timeoutMs: 30_000, what: 'a bootstrapped kubeconfig' });
    const csrs = (await cp.admin.list<Csr>(CertificateSigningRequests)).items;
    expect(csrs).toHaveLength(1);
    expect(csrs[0]!.metadata!.name).toMatch(/^node-csr-/);
    expect(csrs[0]!.spec).toMatchObject({ username: 'system:bootstrap:abcdef', signerName: 'kubernetes.io/kube-apiserver-client-kubelet' });
    expect(csrs[0]!.status!.conditions).toEqual([expect.objectContaining({ type: 'Approved', status: 'True', reason: 'AutoApproved', message: 'Auto approving kubelet client certificate after SubjectAccessReview.' })]);
    if (hasKubectl) {
      const out = await kubectlOk(cp.kubeconfig, join(dir, 'cache'), ['get', 'csr', '--no-headers', '-o', 'custom-columns=REQUESTOR:.spec.username,CONDITION:.status.conditions[*].type']);
      expect(out.trim().split(/\s+/)).toEqual(['system:bootstrap:abcdef', 'Approved']);
    }

    // The node agent runs with the kubeconfig it wrote: it is system:node:worker-1 and registers its Node.
    const node = new RestClient(loadKubeconfig(kubeconfig));
    clients.push(node);
    const cfg = { nodeName: 'worker-1', nodeIP: '127.0.0.1', port: 10250, maxPods: 110, dataDir: dir, statusReportSec: 60, labels: {}, taints: [] } as unknown as NodeStatusConfig;
    const sources = { localPathDir: join(dir, 'lp'), pressure: () => undefined, node: () => undefined, networkReady: () => true, stopped: () => false, retryRegistration: false } as unknown as NodeStatusSources;
    await new NodeStatusManager(node, cfg, sources).register();
    const registered = await cp.admin.get<{ status: { conditions: { type: string; status: string }[] } }>(Nodes, undefined, 'worker-1');
    expect(registered.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    // (the Node authorizer and NodeRestriction hold it to its own Node)
    await expect(node.create(Nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'worker-2' } })).rejects.toMatchObject({ code: 403 });

    // Renewal: the node's own request for its name is approved as selfnodeclient.
    const key = readFileSync(join(certDir, 'kubelet-client-current.pem'), 'utf8');
    const request = await makeNodeCsr(key, 'worker-1', dir);
    const name = `${digestedName(key, 'system:node:worker-1', ['system:nodes'], ['digital signature', 'client auth'])}-renew`;
    await node.create(CertificateSigningRequests, undefined, { apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name }, spec: { request: Buffer.from(request).toString('base64'), signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'] } });
    const renewed = await eventually(async () => {
      const c = await cp.admin.get<Csr>(CertificateSigningRequests, undefined, name);
      if (!c.status?.certificate) throw new Error('not signed yet');
      return c;
    }, { timeoutMs: 20_000, what: 'the renewal signed' });
    expect(renewed.spec).toMatchObject({ username: 'system:node:worker-1' });
    expect(renewed.status!.conditions![0]).toMatchObject({ reason: 'AutoApproved', message: 'Auto approving self kubelet client certificate after SubjectAccessReview.' });
  });

  it('a token whose group kubeadm did not bind for nodeclient waits for a person', async () => {
    const secret = tokenSecret('ghijkl', '0123456789abcdef');
    secret.stringData['auth-extra-groups'] = 'system:bootstrappers:other';
    await cp.admin.create(core('secrets'), 'kube-system', secret);
    await cp.admin.create(ClusterRoleBindings, undefined, groupBinding('other:kubelet-bootstrap', 'system:node-bootstrapper', 'system:bootstrappers:other'));
    const waiting = eventually(async () => (await loadClientCert({ kubeconfigPath: join(dir, 'other.conf'), bootstrapPath: bootstrapKubeconfig('ghijkl.0123456789abcdef'), certDir: join(dir, 'pki-other'), nodeName: 'worker-3', pollMs: 100, timeoutMs: 20_000 }), true), { timeoutMs: 30_000 });
    const pending = await eventually(async () => {
      const c = (await cp.admin.list<Csr>(CertificateSigningRequests)).items.find((x) => x.spec?.username === 'system:bootstrap:ghijkl');
      if (!c) throw new Error('no request yet');
      return c;
    }, { timeoutMs: 20_000 });
    // (the approver has looked and left it: no condition)
    await new Promise((r) => setTimeout(r, 1500));
    expect((await cp.admin.get<Csr>(CertificateSigningRequests, undefined, pending.metadata!.name!)).status?.conditions ?? []).toEqual([]);
    // A person approves it (kubectl certificate approve), and the agent goes on.
    const c = await cp.admin.get<Csr>(CertificateSigningRequests, undefined, pending.metadata!.name!);
    await cp.admin.update(CertificateSigningRequests, undefined, c.metadata!.name!, { ...c, status: { conditions: [{ type: 'Approved', status: 'True', reason: 'KubectlApprove', message: 'This CSR was approved by kubectl certificate approve.' }] } }, 'approval');
    await waiting;
    expect(loadKubeconfig(join(dir, 'other.conf')).clientCert).toContain('BEGIN CERTIFICATE');
  });
});
