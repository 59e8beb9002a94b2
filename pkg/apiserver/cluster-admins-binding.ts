// kubeadm's ClusterRoleBinding kubeadm:cluster-admins (cmd/kubeadm/app/phases/kubeconfig
// EnsureAdminClusterRoleBinding, kubeadm 1.29+): the group kubeadm:cluster-admins is bound to
// cluster-admin, so that the apiserver's kubelet client certificate (O kubeadm:cluster-admins since
// 1.29, no longer system:masters) is authorized by RBAC, and can be refused by deleting or editing
// the binding, which system:masters never can.
import { X509Certificate } from 'node:crypto';
import type { ClusterRoleBinding, KubeObject } from '../api/types.js';
import { logger } from '../util/log.js';
import { ApiError } from './errors.js';
import type { RequestContext } from './registry/request-types.js';
import type { Store } from './registry/store.js';

const log = logger('apiserver');

/** The group and the binding's name (kubeadmconstants.ClusterAdminsGroupAndClusterRoleBinding). */
export const CLUSTER_ADMINS = 'kubeadm:cluster-admins';

/** The binding as kubeadm writes it: no labels, cluster-admin to the group. */
export const clusterAdminsBinding = (): ClusterRoleBinding & KubeObject => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRoleBinding',
  metadata: { name: CLUSTER_ADMINS },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
  subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: CLUSTER_ADMINS }],
});

/** The certificate's subject O entries. */
function organizations(certPem: string): string[] {
  return new X509Certificate(certPem).subject.split('\n').filter((l) => l.startsWith('O=')).map((l) => l.slice(2));
}

/**
 * Creates the binding when the kubelet client certificate in use names the group and the binding
 * does not exist (an existing one, edited or not, is left alone, as kubeadm takes AlreadyExists);
 * a certificate of system:masters, as tskube made before and kubeadm before 1.29, needs none.
 * Returns whether it was created.
 */
export async function ensureClusterAdminsBinding(store: Pick<Store, 'create'>, ctx: RequestContext, kubeletClientCertPem: string): Promise<boolean> {
  if (!organizations(kubeletClientCertPem).includes(CLUSTER_ADMINS)) return false;
  try {
    await store.create(undefined, clusterAdminsBinding(), ctx);
  } catch (e) {
    if (e instanceof ApiError && e.code === 409) return false;
    throw e;
  }
  log.info('created clusterrolebinding', { name: CLUSTER_ADMINS });
  return true;
}
