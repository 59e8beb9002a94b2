// The default RBAC objects kube-apiserver keeps besides the user-facing ones of bootstrap-policy.ts
// (Kubernetes' plugin/pkg/auth/authorizer/rbac/bootstrappolicy: policy.go, controller_policy.go and
// namespace_policy.go, whose rendered output is testdata/cluster-roles.yaml, controller-roles.yaml,
// cluster-role-bindings.yaml, controller-role-bindings.yaml, namespace-roles.yaml and
// namespace-role-bindings.yaml): the roles of the components (system:node, system:kube-scheduler,
// system:kube-controller-manager, system:node-proxier...), the CSR approver roles, one
// system:controller:<name> ClusterRole per kube-controller-manager controller bound to the
// kube-system service account of that name, and the Roles and RoleBindings in kube-system and
// kube-public. As Kubernetes 1.32 with its default feature gates, at the head of release-1.32 (so with
// the `watch` verbs 1.32 patch releases added to controller roles once kube-controller-manager lists
// through watches); rules and lists in the order upstream's testdata has them. Each carries the
// rbac-defaults label and the autoupdate annotation.
import type { ClusterRole as CR, ClusterRoleBinding as CRB, KubeObject, PolicyRule, Role, RoleBinding, Subject } from '../../api/types.js';
import { RBAC_GROUP } from '../../api/validation-rbac.js';
import { AUTOUPDATE_ANNOTATION, BOOTSTRAP_LABEL } from './bootstrap-policy.js';

type ClusterRole = CR & KubeObject;
type ClusterRoleBinding = CRB & KubeObject;

const CERTS = 'certificates.k8s.io';
const COORD = 'coordination.k8s.io';
const STORAGE = 'storage.k8s.io';
const APPS_EXT = ['apps', 'extensions'];
const CONTROLLER = 'system:controller:';

const words = (s: string) => s.split(' ');
/** A rule; verbs, resources and resource names are space-separated. */
const rule = (verbs: string, apiGroups: string[], resources: string, names?: string): PolicyRule => ({
  verbs: words(verbs),
  apiGroups,
  resources: words(resources),
  ...(names ? { resourceNames: words(names) } : {}),
});
const core = (verbs: string, resources: string, names?: string) => rule(verbs, [''], resources, names);
const urls = (verbs: string, nonResourceURLs: string): PolicyRule => ({ verbs: words(verbs), nonResourceURLs: words(nonResourceURLs) });
/** eventsRule() of controller_policy.go: recording events in either API. */
const EVENTS = rule('create patch update', ['', 'events.k8s.io'], 'events');
const READ = 'get list watch';

const metadata = (name: string, namespace?: string) => ({
  name,
  ...(namespace ? { namespace } : {}),
  labels: { [BOOTSTRAP_LABEL]: 'rbac-defaults' },
  annotations: { [AUTOUPDATE_ANNOTATION]: 'true' },
});
const user = (name: string): Subject => ({ kind: 'User', apiGroup: RBAC_GROUP, name });
const group = (name: string): Subject => ({ kind: 'Group', apiGroup: RBAC_GROUP, name });
const sa = (name: string, namespace = 'kube-system'): Subject => ({ kind: 'ServiceAccount', name, namespace });

const clusterRole = (name: string, rules: PolicyRule[]): ClusterRole => ({ apiVersion: `${RBAC_GROUP}/v1`, kind: 'ClusterRole', metadata: metadata(name), rules });
/** A binding of the ClusterRole of the same name; upstream's system:node binding has no subjects at all. */
const clusterBinding = (name: string, subjects?: Subject[]): ClusterRoleBinding => ({
  apiVersion: `${RBAC_GROUP}/v1`,
  kind: 'ClusterRoleBinding',
  metadata: metadata(name),
  roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name },
  ...(subjects ? { subjects } : {}),
});

const approver = (signer: string) => [rule('approve', [CERTS], 'signers', `kubernetes.io/${signer}`)];

/** policy.go's ClusterRoles() less the user-facing ones bootstrap-policy.ts defines. */
const componentRoles = (): [string, PolicyRule[]][] => [
  ['system:certificates.k8s.io:certificatesigningrequests:nodeclient', [rule('create', [CERTS], 'certificatesigningrequests/nodeclient')]],
  ['system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', [rule('create', [CERTS], 'certificatesigningrequests/selfnodeclient')]],
  ['system:certificates.k8s.io:kube-apiserver-client-approver', approver('kube-apiserver-client')],
  ['system:certificates.k8s.io:kube-apiserver-client-kubelet-approver', approver('kube-apiserver-client-kubelet')],
  ['system:certificates.k8s.io:kubelet-serving-approver', approver('kubelet-serving')],
  ['system:certificates.k8s.io:legacy-unknown-approver', approver('legacy-unknown')],
  ['system:heapster', [core(READ, 'events namespaces nodes pods'), rule(READ, ['extensions'], 'deployments')]],
  ['system:kube-aggregator', [core(READ, 'endpoints services')]],
  [
    'system:kube-controller-manager',
    [
      EVENTS,
      rule('create', [COORD], 'leases'),
      rule('get update', [COORD], 'leases', 'kube-controller-manager'),
      core('create', 'secrets serviceaccounts'),
      core('delete', 'secrets'),
      core('get', 'configmaps namespaces secrets serviceaccounts'),
      core('update', 'secrets serviceaccounts'),
      rule('create', ['authentication.k8s.io'], 'tokenreviews'),
      rule('create', ['authorization.k8s.io'], 'subjectaccessreviews'),
      rule('list watch', ['*'], '*'),
      core('create', 'serviceaccounts/token'),
    ],
  ],
  ['system:kube-dns', [core('list watch', 'endpoints services')]],
  [
    // The resource.k8s.io rules (DynamicResourceAllocation) and the leasecandidates one
    // (CoordinatedLeaderElection) are behind gates off by default in 1.32.
    'system:kube-scheduler',
    [
      EVENTS,
      rule('create', [COORD], 'leases'),
      rule('get update', [COORD], 'leases', 'kube-scheduler'),
      core(READ, 'nodes'),
      core('delete get list watch', 'pods'),
      core('create', 'bindings pods/binding'),
      core('patch update', 'pods/status'),
      core(READ, 'replicationcontrollers services'),
      rule(READ, APPS_EXT, 'replicasets'),
      rule(READ, ['apps'], 'statefulsets'),
      rule(READ, ['policy'], 'poddisruptionbudgets'),
      core(READ, 'persistentvolumeclaims persistentvolumes'),
      rule('create', ['authentication.k8s.io'], 'tokenreviews'),
      rule('create', ['authorization.k8s.io'], 'subjectaccessreviews'),
      rule(READ, [STORAGE], 'csinodes'),
      rule(READ, [STORAGE], 'volumeattachments'),
      core(READ, 'namespaces'),
      rule(READ, [STORAGE], 'csidrivers'),
      rule(READ, [STORAGE], 'csistoragecapacities'),
    ],
  ],
  // nodes/configz, nodes/healthz and nodes/pods come with KubeletFineGrainedAuthz, alpha in 1.32.
  ['system:kubelet-api-admin', [core(READ, 'nodes'), core('proxy', 'nodes'), core('*', 'nodes/log nodes/metrics nodes/proxy nodes/stats')]],
  [
    'system:node',
    [
      rule('create', ['authentication.k8s.io'], 'tokenreviews'),
      rule('create', ['authorization.k8s.io'], 'localsubjectaccessreviews subjectaccessreviews'),
      core(READ, 'services'),
      core('create get list watch', 'nodes'),
      core('patch update', 'nodes/status'),
      core('patch update', 'nodes'),
      core('create patch update', 'events'),
      core(READ, 'pods'),
      core('create delete', 'pods'),
      core('patch update', 'pods/status'),
      core('create', 'pods/eviction'),
      core(READ, 'configmaps secrets'),
      core('get', 'persistentvolumeclaims persistentvolumes'),
      core('get', 'endpoints'),
      rule('create get list watch', [CERTS], 'certificatesigningrequests'),
      rule('create delete get patch update', [COORD], 'leases'),
      rule('get', [STORAGE], 'volumeattachments'),
      core('create', 'serviceaccounts/token'),
      core('get patch update', 'persistentvolumeclaims/status'),
      rule(READ, [STORAGE], 'csidrivers'),
      rule('create delete get patch update', [STORAGE], 'csinodes'),
      rule(READ, ['node.k8s.io'], 'runtimeclasses'),
    ],
  ],
  ['system:node-bootstrapper', [rule('create get list watch', [CERTS], 'certificatesigningrequests')]],
  ['system:node-problem-detector', [core('get', 'nodes'), core('patch', 'nodes/status'), EVENTS]],
  ['system:node-proxier', [core('list watch', 'endpoints services'), core(READ, 'nodes'), EVENTS, rule('list watch', ['discovery.k8s.io'], 'endpointslices')]],
  [
    'system:persistent-volume-provisioner',
    [
      core('create delete get list watch', 'persistentvolumes'),
      core('get list update watch', 'persistentvolumeclaims'),
      rule(READ, [STORAGE], 'storageclasses'),
      core('watch', 'events'),
      EVENTS,
    ],
  ],
  ['system:service-account-issuer-discovery', [urls('get', '/.well-known/openid-configuration /openid/v1/jwks')]],
  ['system:volume-scheduler', [core('get list patch update watch', 'persistentvolumes'), rule(READ, [STORAGE], 'storageclasses'), core('get list patch update watch', 'persistentvolumeclaims')]],
];

/**
 * controller_policy.go's roles, named without the system:controller: prefix (which is also the name of
 * the controller's service account). Those behind gates off by default in 1.32 are left out:
 * resource-claim-controller, service-cidrs-controller, selinux-warning-controller,
 * volumeattributesclass-protection-controller, storage-version-garbage-collector and
 * storage-version-migrator-controller.
 */
const controllerRoles = (): [string, PolicyRule[]][] => [
  [
    'attachdetach-controller',
    [
      core('list watch', 'persistentvolumeclaims persistentvolumes'),
      core(READ, 'nodes'),
      core('patch update', 'nodes/status'),
      core('list watch', 'pods'),
      EVENTS,
      rule('create delete get list watch', [STORAGE], 'volumeattachments'),
      rule(READ, [STORAGE], 'csidrivers'),
      rule(READ, [STORAGE], 'csinodes'),
    ],
  ],
  [
    'certificate-controller',
    [
      rule('delete get list watch', [CERTS], 'certificatesigningrequests'),
      rule('update', [CERTS], 'certificatesigningrequests/approval certificatesigningrequests/status'),
      rule('approve', [CERTS], 'signers', 'kubernetes.io/kube-apiserver-client-kubelet'),
      rule('sign', [CERTS], 'signers', 'kubernetes.io/kube-apiserver-client kubernetes.io/kube-apiserver-client-kubelet kubernetes.io/kubelet-serving kubernetes.io/legacy-unknown'),
      rule('create', ['authorization.k8s.io'], 'subjectaccessreviews'),
      EVENTS,
    ],
  ],
  ['clusterrole-aggregation-controller', [rule('escalate get list patch update watch', [RBAC_GROUP], 'clusterroles')]],
  [
    'cronjob-controller',
    [
      rule('get list update watch', ['batch'], 'cronjobs'),
      rule('create delete get list patch update watch', ['batch'], 'jobs'),
      rule('update', ['batch'], 'cronjobs/status'),
      rule('update', ['batch'], 'cronjobs/finalizers'),
      core('delete list watch', 'pods'),
      EVENTS,
    ],
  ],
  [
    'daemon-set-controller',
    [
      rule(READ, APPS_EXT, 'daemonsets'),
      rule('update', APPS_EXT, 'daemonsets/status'),
      rule('update', APPS_EXT, 'daemonsets/finalizers'),
      core('list watch', 'nodes'),
      core('create delete list patch watch', 'pods'),
      core('create', 'pods/binding'),
      rule('create delete get list patch update watch', ['apps'], 'controllerrevisions'),
      EVENTS,
    ],
  ],
  [
    'deployment-controller',
    [
      rule('get list update watch', APPS_EXT, 'deployments'),
      rule('update', APPS_EXT, 'deployments/status'),
      rule('update', APPS_EXT, 'deployments/finalizers'),
      rule('create delete get list patch update watch', APPS_EXT, 'replicasets'),
      core('get list update watch', 'pods'),
      EVENTS,
    ],
  ],
  [
    'disruption-controller',
    [
      rule(READ, APPS_EXT, 'deployments'),
      rule(READ, APPS_EXT, 'replicasets'),
      core(READ, 'replicationcontrollers'),
      rule(READ, ['policy'], 'poddisruptionbudgets'),
      rule(READ, ['apps'], 'statefulsets'),
      rule('update', ['policy'], 'poddisruptionbudgets/status'),
      core('patch update', 'pods/status'),
      rule('get', ['*'], '*/scale'),
      EVENTS,
    ],
  ],
  ['endpoint-controller', [core(READ, 'pods services'), core('create delete get list update watch', 'endpoints'), core('create', 'endpoints/restricted'), EVENTS]],
  [
    'endpointslice-controller',
    [core(READ, 'nodes pods services'), core('update', 'services/finalizers'), rule('create delete get list update watch', ['discovery.k8s.io'], 'endpointslices'), EVENTS],
  ],
  [
    'endpointslicemirroring-controller',
    [
      core(READ, 'endpoints services'),
      core('update', 'services/finalizers'),
      core('update', 'endpoints/finalizers'),
      rule('create delete get list update watch', ['discovery.k8s.io'], 'endpointslices'),
      EVENTS,
    ],
  ],
  ['ephemeral-volume-controller', [core(READ, 'pods'), core('update', 'pods/finalizers'), core('create get list watch', 'persistentvolumeclaims'), EVENTS]],
  ['expand-controller', [core('get list patch update watch', 'persistentvolumes'), core('patch update', 'persistentvolumeclaims/status'), core(READ, 'persistentvolumeclaims'), EVENTS]],
  ['generic-garbage-collector', [rule('delete get list patch update watch', ['*'], '*'), EVENTS]],
  [
    'horizontal-pod-autoscaler',
    [
      rule(READ, ['autoscaling'], 'horizontalpodautoscalers'),
      rule('update', ['autoscaling'], 'horizontalpodautoscalers/status'),
      rule('get update', ['*'], '*/scale'),
      core('list watch', 'pods'),
      rule('list watch', ['metrics.k8s.io'], 'pods'),
      rule(READ, ['custom.metrics.k8s.io'], '*'),
      rule(READ, ['external.metrics.k8s.io'], '*'),
      EVENTS,
    ],
  ],
  [
    'job-controller',
    [
      rule('get list patch update watch', ['batch'], 'jobs'),
      rule('update', ['batch'], 'jobs/status'),
      rule('update', ['batch'], 'jobs/finalizers'),
      core('create delete list patch watch', 'pods'),
      EVENTS,
    ],
  ],
  ['legacy-service-account-token-cleaner', [core('get', 'configmaps', 'kube-apiserver-legacy-service-account-token-tracking'), core('delete patch', 'secrets')]],
  ['namespace-controller', [core('delete get list watch', 'namespaces'), core('update', 'namespaces/finalize namespaces/status'), rule('delete deletecollection get list watch', ['*'], '*')]],
  [
    'node-controller',
    [core('delete get list patch update watch', 'nodes'), core('patch update', 'nodes/status'), core('patch update', 'pods/status'), core('delete get list watch', 'pods'), EVENTS],
  ],
  [
    'persistent-volume-binder',
    [
      core('create delete get list update watch', 'persistentvolumes'),
      core('update', 'persistentvolumes/status'),
      core('get list update watch', 'persistentvolumeclaims'),
      core('update', 'persistentvolumeclaims/status'),
      core('create delete get list watch', 'pods'),
      rule(READ, [STORAGE], 'storageclasses'),
      core('list watch', 'nodes'),
      EVENTS,
      core('watch', 'events'),
    ],
  ],
  ['pod-garbage-collector', [core('delete list watch', 'pods'), core(READ, 'nodes'), core('patch', 'pods/status')]],
  ['pv-protection-controller', [core('get list update watch', 'persistentvolumes'), EVENTS]],
  ['pvc-protection-controller', [core('get list update watch', 'persistentvolumeclaims'), core(READ, 'pods'), EVENTS]],
  [
    'replicaset-controller',
    [
      rule('get list update watch', APPS_EXT, 'replicasets'),
      rule('update', APPS_EXT, 'replicasets/status'),
      rule('update', APPS_EXT, 'replicasets/finalizers'),
      core('create delete list patch watch', 'pods'),
      EVENTS,
    ],
  ],
  [
    'replication-controller',
    [
      core('get list update watch', 'replicationcontrollers'),
      core('update', 'replicationcontrollers/status'),
      core('update', 'replicationcontrollers/finalizers'),
      core('create delete list patch watch', 'pods'),
      EVENTS,
    ],
  ],
  ['resourcequota-controller', [rule('list watch', ['*'], '*'), core('update', 'resourcequotas/status'), EVENTS]],
  ['root-ca-cert-publisher', [core('create update', 'configmaps'), EVENTS]],
  ['route-controller', [core('list watch', 'nodes'), core('patch', 'nodes/status'), EVENTS]],
  ['service-account-controller', [core('create', 'serviceaccounts'), EVENTS]],
  ['service-controller', [core(READ, 'services'), core('patch update', 'services/status'), core('list watch', 'nodes'), EVENTS]],
  [
    'statefulset-controller',
    [
      core('list watch', 'pods'),
      rule(READ, ['apps'], 'statefulsets'),
      rule('update', ['apps'], 'statefulsets/status'),
      rule('update', ['apps'], 'statefulsets/finalizers'),
      core('create delete get patch update', 'pods'),
      rule('create delete get list patch update watch', ['apps'], 'controllerrevisions'),
      core('create get list watch', 'persistentvolumeclaims'),
      EVENTS,
      // StatefulSetAutoDeletePVC (GA in 1.32), still appended after the events rule.
      core('delete update', 'persistentvolumeclaims'),
      core('update', 'pods/finalizers'),
    ],
  ],
  ['ttl-after-finished-controller', [rule('delete get list watch', ['batch'], 'jobs'), EVENTS]],
  ['ttl-controller', [core('list patch update watch', 'nodes'), EVENTS]],
  [
    'validatingadmissionpolicy-status-controller',
    [
      rule(READ, ['admissionregistration.k8s.io'], 'validatingadmissionpolicies'),
      rule('get patch update', ['admissionregistration.k8s.io'], 'validatingadmissionpolicies/status'),
      EVENTS,
    ],
  ],
];

/** Every default ClusterRole of Kubernetes 1.32 that bootstrap-policy.ts does not define. */
export function systemClusterRoles(): ClusterRole[] {
  return [
    ...componentRoles().map(([name, rules]) => clusterRole(name, rules)),
    ...controllerRoles().map(([name, rules]) => clusterRole(CONTROLLER + name, rules)),
  ];
}

/** Every default ClusterRoleBinding of Kubernetes 1.32 that bootstrap-policy.ts does not define. */
export function systemClusterRoleBindings(): ClusterRoleBinding[] {
  return [
    clusterBinding('system:kube-controller-manager', [user('system:kube-controller-manager')]),
    clusterBinding('system:kube-dns', [sa('kube-dns')]),
    clusterBinding('system:kube-scheduler', [user('system:kube-scheduler')]),
    // Bound to system:nodes before the Node authorizer (1.7); kept without subjects so that
    // reconciling never grants it again.
    clusterBinding('system:node'),
    clusterBinding('system:node-proxier', [user('system:kube-proxy')]),
    clusterBinding('system:service-account-issuer-discovery', [group('system:serviceaccounts')]),
    clusterBinding('system:volume-scheduler', [user('system:kube-scheduler')]),
    ...controllerRoles().map(([name]) => clusterBinding(CONTROLLER + name, [sa(name)])),
  ];
}

/** leader-election locks: the legacy configmap lock and the lease one, with its candidates. */
const leaderLocking = (component: string): PolicyRule[] => [
  core('watch', 'configmaps'),
  core('get update', 'configmaps', component),
  rule('create get list update watch', [COORD], 'leases'),
  rule('create get list update watch', [COORD], 'leasecandidates'),
];

/** The namespaced defaults: [namespace, name, rules] and [namespace, binding name, role, subjects]. */
const namespaced = {
  roles: (): [string, string, PolicyRule[]][] => [
    ['kube-public', `${CONTROLLER}bootstrap-signer`, [core(READ, 'configmaps'), core('update', 'configmaps', 'cluster-info'), EVENTS]],
    ['kube-system', 'extension-apiserver-authentication-reader', [core(READ, 'configmaps', 'extension-apiserver-authentication')]],
    ['kube-system', 'system::leader-locking-kube-controller-manager', leaderLocking('kube-controller-manager')],
    ['kube-system', 'system::leader-locking-kube-scheduler', leaderLocking('kube-scheduler')],
    ['kube-system', `${CONTROLLER}bootstrap-signer`, [core(READ, 'secrets')]],
    ['kube-system', `${CONTROLLER}cloud-provider`, [core('create get list watch', 'configmaps')]],
    ['kube-system', `${CONTROLLER}token-cleaner`, [core('delete get list watch', 'secrets'), EVENTS]],
  ],
  bindings: (): [string, string, string, Subject[]][] => [
    ['kube-public', `${CONTROLLER}bootstrap-signer`, `${CONTROLLER}bootstrap-signer`, [sa('bootstrap-signer')]],
    ['kube-system', 'system::extension-apiserver-authentication-reader', 'extension-apiserver-authentication-reader', [user('system:kube-controller-manager'), user('system:kube-scheduler')]],
    ['kube-system', 'system::leader-locking-kube-controller-manager', 'system::leader-locking-kube-controller-manager', [user('system:kube-controller-manager'), sa('kube-controller-manager')]],
    ['kube-system', 'system::leader-locking-kube-scheduler', 'system::leader-locking-kube-scheduler', [user('system:kube-scheduler'), sa('kube-scheduler')]],
    ['kube-system', `${CONTROLLER}bootstrap-signer`, `${CONTROLLER}bootstrap-signer`, [sa('bootstrap-signer')]],
    ['kube-system', `${CONTROLLER}cloud-provider`, `${CONTROLLER}cloud-provider`, [sa('cloud-provider')]],
    ['kube-system', `${CONTROLLER}token-cleaner`, `${CONTROLLER}token-cleaner`, [sa('token-cleaner')]],
  ],
};

/** The default Roles, in kube-system and kube-public. */
export function systemNamespacedRoles(): (Role & KubeObject)[] {
  return namespaced.roles().map(([namespace, name, rules]) => ({ apiVersion: `${RBAC_GROUP}/v1`, kind: 'Role', metadata: metadata(name, namespace), rules }));
}

/** The default RoleBindings, each of a Role of its namespace. */
export function systemNamespacedRoleBindings(): (RoleBinding & KubeObject)[] {
  return namespaced.bindings().map(([namespace, name, role, subjects]) => ({
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'RoleBinding',
    metadata: metadata(name, namespace),
    roleRef: { apiGroup: RBAC_GROUP, kind: 'Role', name: role },
    subjects,
  }));
}
