// Bootstrap token authentication on a real apiserver and etcd, as kubeadm join uses it: with
// --enable-bootstrap-token-auth a kube-system Secret bootstrap-token-<id> makes `<id>.<secret>` a
// bearer token of system:bootstrap:<id> in system:bootstrappers and its extra groups (whoami,
// TokenReview), which kubeadm's binding of system:node-bootstrapper lets create a node client
// CSR recorded as that user; a wrong secret, an expired or unmarked Secret is a 401, and without
// the flag the token is nobody's.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateSigningRequests, ClusterRoleBindings, core, StatusError, type RestClient } from '../../pkg/client/rest-client.js';
import type { ResourceRef } from '../../pkg/client/api-client.js';
import { eventually, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { hasKubectl, kubectlAt } from '../helpers/kubectl.js';

const Secrets = core('secrets');
const SelfSubjectReviews: ResourceRef = { group: 'authentication.k8s.io', version: 'v1', resource: 'selfsubjectreviews', namespaced: false };
const TokenReviews: ResourceRef = { group: 'authentication.k8s.io', version: 'v1', resource: 'tokenreviews', namespaced: false };
const TOKEN = 'abcdef.0123456789abcdef';

let cp: TestControlPlane;
const dir = mkdtempSync(join(tmpdir(), 'tskube-bootstrap-test-'));

const tokenSecret = (stringData: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'bootstrap-token-abcdef', namespace: 'kube-system' },
  type: 'bootstrap.kubernetes.io/token',
  stringData: { 'token-id': 'abcdef', 'token-secret': '0123456789abcdef', 'usage-bootstrap-authentication': 'true', 'usage-bootstrap-signing': 'true', 'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token', ...stringData },
});

const whoami = async (c: RestClient) => ((await c.create(SelfSubjectReviews, undefined, { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' })) as { status: { userInfo: unknown } }).status.userInfo;
const code = (p: Promise<unknown>) => p.then(() => 0, (e: StatusError) => e.code);

beforeAll(async () => {
  cp = await startControlPlane({ enableBootstrapTokenAuth: true }, { serviceAccountControllers: false });
}, 60_000);
afterAll(async () => {
  await cp?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('bootstrap token authentication', () => {
  it('a bootstrap token is system:bootstrap:<id> in system:bootstrappers and its extra groups', async () => {
    const boot = cp.clientWithToken(TOKEN);
    expect(await code(whoami(boot))).toBe(401);
    await cp.admin.create(Secrets, 'kube-system', tokenSecret({}));
    expect(await whoami(boot)).toEqual({ username: 'system:bootstrap:abcdef', groups: ['system:bootstrappers', 'system:bootstrappers:kubeadm:default-node-token', 'system:authenticated'] });
    const review = (await cp.admin.create(TokenReviews, undefined, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: TOKEN } })) as { status: Record<string, unknown> };
    expect(review.status).toMatchObject({ authenticated: true, user: { username: 'system:bootstrap:abcdef' } });
    expect(await code(whoami(cp.clientWithToken('abcdef.ffffffffffffffff')))).toBe(401);
  });

  it('kubectl auth whoami with the token shows the bootstrap identity', async () => {
    if (!hasKubectl) return;
    const kubeconfig = join(dir, 'bootstrap.kubeconfig');
    writeFileSync(kubeconfig, readFileSync(cp.kubeconfig, 'utf8').replace(/token: \S+/, `token: ${TOKEN}`));
    const r = await kubectlAt(kubeconfig, join(dir, 'cache'), ['auth', 'whoami']);
    expect(r.code).toBe(0);
    expect(r.out.split('\n').map((l) => l.replace(/\s+/g, ' ').trim())).toEqual(['ATTRIBUTE VALUE', 'Username system:bootstrap:abcdef', 'Groups [system:bootstrappers system:bootstrappers:kubeadm:default-node-token system:authenticated]', '']);
  });

  it('kubeadm\'s binding of system:node-bootstrapper lets the token create a node client CSR, recorded as its user', async () => {
    const boot = cp.clientWithToken(TOKEN);
    execFileSync('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'n.key', '-out', 'n.csr', '-subj', '/O=system:nodes/CN=system:node:worker-1'], { cwd: dir, stdio: 'ignore' });
    const csr = { apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { generateName: 'node-csr-' }, spec: { request: readFileSync(join(dir, 'n.csr')).toString('base64'), signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'] } };
    const denied = await boot.create(CertificateSigningRequests, undefined, csr).catch((e: StatusError) => e);
    expect((denied as StatusError).message).toBe('certificatesigningrequests.certificates.k8s.io is forbidden: User "system:bootstrap:abcdef" cannot create resource "certificatesigningrequests" in API group "certificates.k8s.io" at the cluster scope');
    await cp.admin.create(ClusterRoleBindings, undefined, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'kubeadm:kubelet-bootstrap' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:node-bootstrapper' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:bootstrappers:kubeadm:default-node-token' }],
    });
    // (the RBAC authorizer reads the watch cache, as Kubernetes' reads its informer: the binding is seen shortly after its write)
    const made = (await eventually(() => boot.create(CertificateSigningRequests, undefined, csr), { what: 'the bootstrap token creating a CSR' })) as { metadata: { name: string }; spec: { username: string; groups: string[] } };
    expect(made.spec.username).toBe('system:bootstrap:abcdef');
    expect(made.spec.groups).toEqual(['system:bootstrappers', 'system:bootstrappers:kubeadm:default-node-token', 'system:authenticated']);
    expect(await boot.get(CertificateSigningRequests, undefined, made.metadata.name)).toMatchObject({ metadata: { name: made.metadata.name } });
  });

  it('an expired Secret, or one not marked for authentication, authenticates nobody', async () => {
    const boot = cp.clientWithToken(TOKEN);
    const put = async (stringData: Record<string, string>) => {
      const cur = (await cp.admin.get(Secrets, 'kube-system', 'bootstrap-token-abcdef')) as { metadata: object };
      await cp.admin.update(Secrets, 'kube-system', 'bootstrap-token-abcdef', { ...tokenSecret(stringData), metadata: cur.metadata });
    };
    // (the authenticator reads the watch cache, as Kubernetes' reads its informer: each change is seen shortly after its write)
    const becomes = (want: number) => eventually(async () => (await code(whoami(boot))) === want, { what: `whoami answering ${want}` });
    await put({ expiration: '2020-01-01T00:00:00Z' });
    await becomes(401);
    await put({ expiration: new Date(Date.now() + 3_600_000).toISOString() });
    await becomes(0);
    await put({ expiration: new Date(Date.now() + 3_600_000).toISOString(), 'usage-bootstrap-authentication': 'false' });
    await becomes(401);
    await put({ expiration: new Date(Date.now() + 3_600_000).toISOString() });
    await becomes(0);
    expect(await whoami(boot)).toMatchObject({ username: 'system:bootstrap:abcdef' });
  });
});

describe('without --enable-bootstrap-token-auth', () => {
  it('the token is nobody\'s', async () => {
    const plain = await startControlPlane({}, { serviceAccountControllers: false });
    try {
      await plain.admin.create(Secrets, 'kube-system', tokenSecret({}));
      expect(await code(whoami(plain.clientWithToken(TOKEN)))).toBe(401);
    } finally {
      await plain.stop();
    }
  }, 60_000);
});
