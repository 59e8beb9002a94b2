import { describe, expect, it } from 'vitest';
import { BOOTSTRAP_CLUSTER_ROLE_BINDINGS, BOOTSTRAP_CLUSTER_ROLES } from './bootstrap-policy.js';
import { systemClusterRoleBindings, systemClusterRoles, systemNamespacedRoleBindings, systemNamespacedRoles } from './bootstrap-system-roles.js';

const roles = systemClusterRoles();
const bindings = systemClusterRoleBindings();
const nsRoles = systemNamespacedRoles();
const nsBindings = systemNamespacedRoleBindings();
const role = (name: string) => roles.find((r) => r.metadata?.name === name)!;
const binding = (name: string) => bindings.find((b) => b.metadata?.name === name)!;
const events = { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update'] };
const RBAC = 'rbac.authorization.k8s.io';

describe('Kubernetes 1.32 system RBAC defaults', () => {
  it('has every object once, labelled rbac-defaults and autoupdate, none of bootstrap-policy.ts', () => {
    expect([roles.length, bindings.length, nsRoles.length, nsBindings.length]).toEqual([52, 40, 7, 7]);
    for (const o of [...roles, ...bindings, ...nsRoles, ...nsBindings]) {
      expect(o.metadata?.labels).toEqual({ 'kubernetes.io/bootstrapping': 'rbac-defaults' });
      expect(o.metadata?.annotations).toEqual({ 'rbac.authorization.kubernetes.io/autoupdate': 'true' });
      expect(o.apiVersion).toBe(`${RBAC}/v1`);
    }
    const names = (os: { metadata?: { name?: string; namespace?: string } }[]) => os.map((o) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name}`);
    for (const set of [roles, bindings, nsRoles, nsBindings]) expect(new Set(names(set)).size).toBe(set.length);
    const theirs = new Set(names([...BOOTSTRAP_CLUSTER_ROLES, ...BOOTSTRAP_CLUSTER_ROLE_BINDINGS]));
    expect(names([...roles, ...bindings]).filter((n) => theirs.has(n))).toEqual([]);
    expect(new Set(nsRoles.map((r) => r.metadata?.namespace))).toEqual(new Set(['kube-system', 'kube-public']));
  });

  it('binds only roles that exist: a ClusterRole of either file, a Role of the binding namespace', () => {
    const clusterRoleNames = new Set([...roles, ...BOOTSTRAP_CLUSTER_ROLES].map((r) => r.metadata?.name));
    for (const b of bindings) expect(clusterRoleNames.has(b.roleRef?.name)).toBe(true);
    for (const b of nsBindings) {
      expect(b.roleRef?.kind).toBe('Role');
      expect(nsRoles.some((r) => r.metadata?.name === b.roleRef?.name && r.metadata?.namespace === b.metadata?.namespace)).toBe(true);
    }
    // Every controller role is bound to the kube-system service account of its name.
    for (const r of roles.filter((x) => x.metadata!.name!.startsWith('system:controller:'))) {
      expect(binding(r.metadata!.name!).subjects).toEqual([{ kind: 'ServiceAccount', name: r.metadata!.name!.slice('system:controller:'.length), namespace: 'kube-system' }]);
    }
  });

  it('system:node-proxier as upstream', () => {
    expect(role('system:node-proxier').rules).toEqual([
      { apiGroups: [''], resources: ['endpoints', 'services'], verbs: ['list', 'watch'] },
      { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
      events,
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
    ]);
    expect(binding('system:node-proxier').subjects).toEqual([{ kind: 'User', apiGroup: RBAC, name: 'system:kube-proxy' }]);
  });

  it('system:kube-scheduler as upstream (1.32: volumeattachments for CSI limits, no gated DRA rules)', () => {
    const read = ['get', 'list', 'watch'];
    expect(role('system:kube-scheduler').rules).toEqual([
      events,
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['kube-scheduler'], verbs: ['get', 'update'] },
      { apiGroups: [''], resources: ['nodes'], verbs: read },
      { apiGroups: [''], resources: ['pods'], verbs: ['delete', 'get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['bindings', 'pods/binding'], verbs: ['create'] },
      { apiGroups: [''], resources: ['pods/status'], verbs: ['patch', 'update'] },
      { apiGroups: [''], resources: ['replicationcontrollers', 'services'], verbs: read },
      { apiGroups: ['apps', 'extensions'], resources: ['replicasets'], verbs: read },
      { apiGroups: ['apps'], resources: ['statefulsets'], verbs: read },
      { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: read },
      { apiGroups: [''], resources: ['persistentvolumeclaims', 'persistentvolumes'], verbs: read },
      { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
      { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
      { apiGroups: ['storage.k8s.io'], resources: ['csinodes'], verbs: read },
      { apiGroups: ['storage.k8s.io'], resources: ['volumeattachments'], verbs: read },
      { apiGroups: [''], resources: ['namespaces'], verbs: read },
      { apiGroups: ['storage.k8s.io'], resources: ['csidrivers'], verbs: read },
      { apiGroups: ['storage.k8s.io'], resources: ['csistoragecapacities'], verbs: read },
    ]);
    expect(binding('system:kube-scheduler').subjects).toEqual([{ kind: 'User', apiGroup: RBAC, name: 'system:kube-scheduler' }]);
  });

  it('system:controller:replicaset-controller and its binding as upstream', () => {
    expect(role('system:controller:replicaset-controller').rules).toEqual([
      { apiGroups: ['apps', 'extensions'], resources: ['replicasets'], verbs: ['get', 'list', 'update', 'watch'] },
      { apiGroups: ['apps', 'extensions'], resources: ['replicasets/status'], verbs: ['update'] },
      { apiGroups: ['apps', 'extensions'], resources: ['replicasets/finalizers'], verbs: ['update'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['create', 'delete', 'list', 'patch', 'watch'] },
      events,
    ]);
    expect(binding('system:controller:replicaset-controller')).toMatchObject({
      roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'system:controller:replicaset-controller' },
      subjects: [{ kind: 'ServiceAccount', name: 'replicaset-controller', namespace: 'kube-system' }],
    });
  });

  it('the CSR signer and approver roles name their signers', () => {
    expect(role('system:certificates.k8s.io:kubelet-serving-approver').rules).toEqual([
      { apiGroups: ['certificates.k8s.io'], resources: ['signers'], resourceNames: ['kubernetes.io/kubelet-serving'], verbs: ['approve'] },
    ]);
    expect(role('system:controller:certificate-controller').rules![3]).toEqual({
      apiGroups: ['certificates.k8s.io'],
      resources: ['signers'],
      resourceNames: ['kubernetes.io/kube-apiserver-client', 'kubernetes.io/kube-apiserver-client-kubelet', 'kubernetes.io/kubelet-serving', 'kubernetes.io/legacy-unknown'],
      verbs: ['sign'],
    });
    expect(role('system:service-account-issuer-discovery').rules).toEqual([{ nonResourceURLs: ['/.well-known/openid-configuration', '/openid/v1/jwks'], verbs: ['get'] }]);
    expect(binding('system:service-account-issuer-discovery').subjects).toEqual([{ kind: 'Group', apiGroup: RBAC, name: 'system:serviceaccounts' }]);
  });

  it('the system:node binding has no subjects at all, as upstream keeps it since the Node authorizer', () => {
    const node = binding('system:node');
    expect(node.roleRef).toEqual({ apiGroup: RBAC, kind: 'ClusterRole', name: 'system:node' });
    expect('subjects' in node).toBe(false);
  });

  it('the kube-public system:controller:bootstrap-signer Role and RoleBinding as upstream', () => {
    const r = nsRoles.find((x) => x.metadata?.namespace === 'kube-public' && x.metadata.name === 'system:controller:bootstrap-signer')!;
    expect(r.kind).toBe('Role');
    expect(r.rules).toEqual([
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['cluster-info'], verbs: ['update'] },
      events,
    ]);
    const b = nsBindings.find((x) => x.metadata?.namespace === 'kube-public')!;
    expect(b).toMatchObject({
      kind: 'RoleBinding',
      metadata: { name: 'system:controller:bootstrap-signer', namespace: 'kube-public' },
      roleRef: { apiGroup: RBAC, kind: 'Role', name: 'system:controller:bootstrap-signer' },
      subjects: [{ kind: 'ServiceAccount', name: 'bootstrap-signer', namespace: 'kube-system' }],
    });
    const reader = nsBindings.find((x) => x.metadata?.name === 'system::extension-apiserver-authentication-reader')!;
    expect(reader.roleRef?.name).toBe('extension-apiserver-authentication-reader');
    expect(reader.subjects!.map((s) => s.name)).toEqual(['system:kube-controller-manager', 'system:kube-scheduler']);
  });
});
