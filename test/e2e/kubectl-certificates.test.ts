// A new user by certificate, as the Kubernetes docs walk through it, with the stock kubectl on a
// real apiserver and etcd and the controller manager's CSR signer: openssl makes a key and a
// request (CN=jane, O=devs, O=testers); `kubectl apply` of a CertificateSigningRequest records
// who asked; approving needs `approve` on the signer; `kubectl certificate approve` gets it signed
// by the cluster CA for the requested hour; a kubeconfig with that certificate is jane
// (`kubectl auth whoami`), whom RBAC then governs; a certificate of another CA is a 401; a request
// the signer will not sign gets a Failed condition; bad requests are 422s. A node's client request
// (kube-apiserver-client-kubelet) and serving request (kubelet-serving) are signed when they are
// system:node:<name> of system:nodes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateSigningRequests } from '../../pkg/client/rest-client.js';
import { ControllerManager, defaultControllerConfig } from '../../pkg/controllers/manager.js';
import { eventually, failure, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { hasKubectl, kubectlAt, kubectlOk } from '../helpers/kubectl.js';

let cp: TestControlPlane;
let cm: ControllerManager;
const dir = mkdtempSync(join(tmpdir(), 'tskube-csr-test-'));
const cache = join(dir, 'cache');

beforeAll(async () => {
  cp = await startControlPlane();
  const pki = join(cp.dataDir, 'pki');
  cm = new ControllerManager(cp.admin, { ...defaultControllerConfig, leaderElect: false, allocateNodeCIDRs: false, clusterSigning: { caCertFile: join(pki, 'ca.crt'), caKeyFile: join(pki, 'ca.key') } });
  await cm.start();
}, 60_000);

afterAll(async () => {
  await cm?.stop();
  await cp?.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

const kubectl = (...args: string[]) => kubectlOk(cp.kubeconfig, cache, args);
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function keyAndRequest(name: string, subject: string): string {
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
  return readFileSync(join(dir, `${name}.csr`)).toString('base64');
}

const csrYaml = (name: string, request: string, usages = ['client auth'], extra = '') => `apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata:
  name: ${name}
spec:
  request: ${request}
  signerName: kubernetes.io/kube-apiserver-client
  expirationSeconds: 3600
  usages: [${usages.map((u) => `"${u}"`).join(', ')}]
${extra}`;

/** A kubeconfig for the apiserver whose user is a client certificate and key. */
function certKubeconfig(name: string, certPem: string, keyFile: string): string {
  const path = join(dir, `${name}.kubeconfig`);
  const ca = Buffer.from(cp.server.caCert).toString('base64');
  writeFileSync(path, `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "${cp.config.server}", certificate-authority-data: ${ca}}}]
users: [{name: ${name}, user: {client-certificate-data: ${Buffer.from(certPem).toString('base64')}, client-key-data: ${readFileSync(join(dir, keyFile)).toString('base64')}}}]
contexts: [{name: c, context: {cluster: c, user: ${name}}}]
current-context: c
`);
  return path;
}

describe.skipIf(!hasKubectl)('users by certificate', () => {
  it('signs an approved request for jane; her certificate logs her in as jane of devs and testers', async () => {
    const request = keyAndRequest('jane', '/CN=jane/O=devs/O=testers');
    await kubectlOk(cp.kubeconfig, cache, ['apply', '-f', '-'], csrYaml('jane', request));
    const csr = await cp.admin.get<{ spec: { username: string; groups: string[] } }>(CertificateSigningRequests, undefined, 'jane');
    expect(csr.spec.username).toBe('admin');
    expect(csr.spec.groups).toContain('system:masters');
    expect(await kubectl('get', 'csr', 'jane')).toMatch(/^NAME\s+AGE\s+SIGNERNAME\s+REQUESTOR\s+REQUESTEDDURATION\s+CONDITION\njane\s+\d+s\s+kubernetes.io\/kube-apiserver-client\s+admin\s+1h\s+Pending\n$/);

    // Someone who may update the approval subresource but not approve for this signer.
    await kubectl('create', 'clusterrole', 'csr-approver', '--verb=get,update', '--resource=certificatesigningrequests,certificatesigningrequests/approval');
    await kubectl('create', 'clusterrolebinding', 'bob-approves', '--clusterrole=csr-approver', '--user=bob');
    const bob = await kubectlAt(cp.kubeconfig, cache, ['certificate', 'approve', 'jane', '--as=bob']);
    expect(bob.code).not.toBe(0);
    expect(bob.err).toContain('user not permitted to approve requests with signerName "kubernetes.io/kube-apiserver-client"');

    expect(await kubectl('certificate', 'approve', 'jane')).toContain('certificatesigningrequest.certificates.k8s.io/jane approved');
    const certB64 = await eventually(async () => (await kubectl('get', 'csr', 'jane', '-o', 'jsonpath={.status.certificate}')) || undefined, { timeoutMs: 20_000, what: 'the certificate' });
    expect(await kubectl('get', 'csr', 'jane')).toMatch(/1h\s+Approved,Issued\n$/);
    const certPem = Buffer.from(certB64, 'base64').toString();
    const cert = new X509Certificate(certPem);
    expect(cert.subject).toBe('CN=jane\nO=devs\nO=testers');
    expect(cert.verify(new X509Certificate(cp.server.caCert).publicKey)).toBe(true);
    const valid = Date.parse(cert.validTo) - Date.parse(cert.validFrom);
    expect(valid).toBeGreaterThanOrEqual(3600_000 + 5 * 60_000 - 2000); // an hour, backdated 5 minutes
    expect(valid).toBeLessThanOrEqual(3600_000 + 5 * 60_000 + 2000);

    const jane = certKubeconfig('jane', certPem, 'jane.key');
    const whoami = await kubectlAt(jane, cache, ['auth', 'whoami']);
    expect(whoami.out).toMatch(/Username\s+jane/);
    expect(whoami.out).toMatch(/Groups\s+\[devs testers system:authenticated\]/);
    const pods = await kubectlAt(jane, cache, ['get', 'pods']);
    expect(pods.err).toContain('User "jane" cannot list resource "pods" in API group "" in the namespace "default"');
    await kubectl('create', 'rolebinding', 'devs-view', '--clusterrole=view', '--group=devs');
    await eventually(async () => ((await kubectlAt(jane, cache, ['get', 'pods'])).code === 0 ? true : undefined), { timeoutMs: 10_000, what: 'devs to read pods' });
  });

  it('refuses a certificate of another CA (401), and what the signer will not sign or the API will not take', async () => {
    keyAndRequest('mallory', '/CN=admin/O=system:masters');
    openssl('req', '-x509', '-key', 'mallory.key', '-in', 'mallory.csr', '-out', 'mallory.crt', '-days', '1');
    const mallory = certKubeconfig('mallory', readFileSync(join(dir, 'mallory.crt'), 'utf8'), 'mallory.key');
    const r = await kubectlAt(mallory, cache, ['get', 'pods']);
    expect(r.err).toContain('Unauthorized');

    await kubectlOk(cp.kubeconfig, cache, ['apply', '-f', '-'], csrYaml('server-one', keyAndRequest('srv', '/CN=srv'), ['server auth']));
    // status is the signer's: an Approved condition written there is dropped (approval decides it)
    const pending = await cp.admin.get<{ status?: object }>(CertificateSigningRequests, undefined, 'server-one');
    const sneaked = await cp.admin.update<{ status?: { conditions?: { type: string }[] } }>(CertificateSigningRequests, undefined, 'server-one', { ...pending, status: { conditions: [{ type: 'Approved', status: 'True', reason: 'Sneaky' }] } }, 'status');
    expect(sneaked.status?.conditions ?? []).toEqual([]);
    await kubectl('certificate', 'approve', 'server-one');
    const failed = await eventually(async () => {
      const c = await cp.admin.get<{ status?: { conditions?: { type: string; message: string }[] } }>(CertificateSigningRequests, undefined, 'server-one');
      return c.status?.conditions?.find((x) => x.type === 'Failed');
    }, { timeoutMs: 20_000, what: 'the Failed condition' });
    expect(failed.message).toBe('invalid usage for client certificate: server auth');
    expect(await kubectl('get', 'csr', 'server-one')).toMatch(/Approved,Failed\n$/);
    // (populateConditionTimestamps: the approval's condition gets its times)
    const approved = (await cp.admin.get<{ status: { conditions: { type: string; lastTransitionTime?: string; lastUpdateTime?: string }[] } }>(CertificateSigningRequests, undefined, 'server-one')).status.conditions.find((c) => c.type === 'Approved')!;
    expect(approved.lastTransitionTime).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(approved.lastUpdateTime).toMatch(/^\d{4}-\d\d-\d\dT/);

    const bad = await failure(cp.admin.create(CertificateSigningRequests, undefined, { apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name: 'bad' }, spec: { request: Buffer.from('not a csr').toString('base64'), signerName: 'nodomain', expirationSeconds: 60, usages: ['flying'] } }));
    expect(bad.code).toBe(422);
    for (const m of ['spec.request: Invalid value: "<omitted>": PEM block type must be CERTIFICATE REQUEST', 'spec.signerName: Invalid value: "nodomain"', 'spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 600 seconds (10 minutes)', 'spec.usages[0]: Unsupported value: "flying"']) expect(bad.message).toContain(m);
    const csrWith = (signerName: string) => ({ apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name: 'signer' }, spec: { request: keyAndRequest('sig', '/CN=sig'), signerName, usages: ['client auth'] } });
    expect((await failure(cp.admin.create(CertificateSigningRequests, undefined, csrWith('example.com/foo/bar')))).message).toContain(`spec.signerName: Invalid value: "example.com/foo/bar": must be a fully qualified domain and path of the form 'example.com/signer-name'`);
    expect((await failure(cp.admin.create(CertificateSigningRequests, undefined, csrWith('kubernetes.io/legacy-unknown')))).message).toContain('spec.signerName: Invalid value: "kubernetes.io/legacy-unknown": the legacy signerName is not allowed via this API version');
    // kubectl refuses to deny what is approved; the API refuses it too, and the removal of a decision.
    expect((await kubectlAt(cp.kubeconfig, cache, ['certificate', 'deny', 'jane'])).err).toContain('certificate signing request "jane" is already Approved');
    const jane = await cp.admin.get<{ status: { conditions: object[] } }>(CertificateSigningRequests, undefined, 'jane');
    const both = await failure(cp.admin.update(CertificateSigningRequests, undefined, 'jane', { ...jane, status: { ...jane.status, conditions: [...jane.status.conditions, { type: 'Denied', status: 'True' }] } }, 'approval'));
    expect(both.message).toContain('Approved and Denied conditions are mutually exclusive');
    const undone = await failure(cp.admin.update(CertificateSigningRequests, undefined, 'jane', { ...jane, status: { ...jane.status, conditions: [] } }, 'approval'));
    expect(undone.message).toContain('updates may not remove a condition of type "Approved"');
  });

  it('the kubelet signers sign a node client request and a node serving request, and refuse one not of system:nodes', async () => {
    const kubeletCsr = (name: string, subject: string) =>
      csrYaml(name, keyAndRequest(name, subject), ['digital signature', 'client auth']).replace('kubernetes.io/kube-apiserver-client', 'kubernetes.io/kube-apiserver-client-kubelet');
    await kubectlOk(cp.kubeconfig, cache, ['apply', '-f', '-'], kubeletCsr('node-n1', '/O=system:nodes/CN=system:node:n1'));
    await kubectlOk(cp.kubeconfig, cache, ['apply', '-f', '-'], kubeletCsr('not-a-node', '/O=devs/CN=system:node:n2'));
    await kubectl('certificate', 'approve', 'node-n1', 'not-a-node');
    const certB64 = await eventually(async () => (await kubectl('get', 'csr', 'node-n1', '-o', 'jsonpath={.status.certificate}')) || undefined, { timeoutMs: 20_000, what: 'the node certificate' });
    expect(new X509Certificate(Buffer.from(certB64, 'base64').toString()).subject).toBe('O=system:nodes\nCN=system:node:n1');
    const failed = await eventually(async () => {
      const c = await cp.admin.get<{ status?: { conditions?: { type: string; reason: string; message: string }[] } }>(CertificateSigningRequests, undefined, 'not-a-node');
      return c.status?.conditions?.find((x) => x.type === 'Failed');
    }, { timeoutMs: 20_000, what: 'the Failed condition' });
    expect(failed).toMatchObject({ reason: 'SignerValidationFailure', message: 'subject organization is not system:nodes' });

    // kubelet-serving: a node's serving certificate for the names it asks
    writeFileSync(join(dir, 'san.cnf'), '[req]\ndistinguished_name=dn\nreq_extensions=ext\n[dn]\n[ext]\nsubjectAltName=DNS:n1.example,IP:10.0.0.1\n');
    openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'serve.key', '-out', 'serve.csr', '-subj', '/O=system:nodes/CN=system:node:n1', '-config', 'san.cnf');
    const serveYaml = csrYaml('serve-n1', readFileSync(join(dir, 'serve.csr')).toString('base64'), ['digital signature', 'server auth']).replace('kubernetes.io/kube-apiserver-client', 'kubernetes.io/kubelet-serving');
    await kubectlOk(cp.kubeconfig, cache, ['apply', '-f', '-'], serveYaml);
    await kubectl('certificate', 'approve', 'serve-n1');
    const servingB64 = await eventually(async () => (await kubectl('get', 'csr', 'serve-n1', '-o', 'jsonpath={.status.certificate}')) || undefined, { timeoutMs: 20_000, what: 'the serving certificate' });
    expect(new X509Certificate(Buffer.from(servingB64, 'base64').toString()).subjectAltName).toBe('DNS:n1.example, IP Address:10.0.0.1');
  });
});
