// The apiserver's kubelet client certificate is in kubeadm 1.29+'s group kubeadm:cluster-admins,
// bound to cluster-admin by the ClusterRoleBinding kubeadm:cluster-admins as kubeadm init writes it
// (EnsureAdminClusterRoleBinding), so node agents' SubjectAccessReviews allow it through RBAC; a
// pair made before in system:masters is kept and needs no binding.
import { X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterRoleBindings, StatusError } from '../../pkg/client/rest-client.js';
import { startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;
beforeAll(async () => {
  cp = await startControlPlane({}, { serviceAccountControllers: false });
}, 60_000);
afterAll(async () => {
  await cp?.stop(true);
});

const pki = (f: string) => join(cp.dataDir, 'pki', f);

/** Whether RBAC allows USER in GROUPS to get nodes/proxy of a node, as an agent asks. */
async function allowed(user: string, groups: string[]): Promise<boolean> {
  const review = (await cp.admin.request('/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    method: 'POST',
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user, groups: [...groups, 'system:authenticated'], resourceAttributes: { verb: 'get', resource: 'nodes', subresource: 'proxy', name: 'n1', version: 'v1' } } },
  })) as { status?: { allowed?: boolean } };
  return !!review.status?.allowed;
}

describe('the apiserver-kubelet-client certificate and kubeadm:cluster-admins', () => {
  it('a new cluster makes the certificate in kubeadm:cluster-admins and binds the group to cluster-admin', async () => {
    expect(new X509Certificate(readFileSync(pki('apiserver-kubelet-client.crt'))).subject).toBe('O=kubeadm:cluster-admins\nCN=kube-apiserver-kubelet-client');
    const binding = await cp.admin.get(ClusterRoleBindings, undefined, 'kubeadm:cluster-admins');
    expect(binding).toMatchObject({
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'kubeadm:cluster-admins' }],
    });
    expect(binding.metadata?.labels).toBeUndefined();
    expect(await allowed('kube-apiserver-kubelet-client', ['kubeadm:cluster-admins'])).toBe(true);
  });

  it('an existing certificate in system:masters is kept on restart and gets no binding; deleting the binding refuses the group', async () => {
    await cp.admin.delete(ClusterRoleBindings, undefined, 'kubeadm:cluster-admins');
    expect(await allowed('kube-apiserver-kubelet-client', ['kubeadm:cluster-admins'])).toBe(false);
    // (a pair as tskube made it before, from the same CA)
    const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
    run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', pki('apiserver-kubelet-client.key'), '-out', pki('old.csr'), '-subj', '/O=system:masters/CN=kube-apiserver-kubelet-client']);
    run(['x509', '-req', '-in', pki('old.csr'), '-CA', pki('ca.crt'), '-CAkey', pki('ca.key'), '-CAcreateserial', '-out', pki('apiserver-kubelet-client.crt'), '-days', '1', '-extfile', pki('apiserver-kubelet-client.ext')]);
    const before = readFileSync(pki('apiserver-kubelet-client.crt'), 'utf8');
    await cp.restart();
    expect(readFileSync(pki('apiserver-kubelet-client.crt'), 'utf8')).toBe(before);
    await expect(cp.admin.get(ClusterRoleBindings, undefined, 'kubeadm:cluster-admins')).rejects.toBeInstanceOf(StatusError);
    expect(await allowed('kube-apiserver-kubelet-client', ['system:masters'])).toBe(true);
  }, 60_000);
});
