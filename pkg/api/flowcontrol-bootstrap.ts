// The API Priority and Fairness configuration objects every 1.32 apiserver keeps
// (k8s.io/apiserver/pkg/apis/flowcontrol/bootstrap/default.go): the mandatory exempt and
// catch-all levels and schemas, and the suggested ones (system, node-high, leader-election,
// workload-high, workload-low, global-default; probes, endpoint-controller...). Specs as the
// server stores them, defaults applied.
import type { FlowSchema, FlowSubject, PolicyRulesWithSubjects, PriorityLevelConfiguration, PriorityLevelConfigurationSpec } from './types.js';

/** The annotation that says whether the apiserver keeps an object's spec (AutoUpdateAnnotationKey). */
export const AUTOUPDATE_ANNOTATION = 'apf.kubernetes.io/autoupdate-spec';

const pl = (name: string, spec: PriorityLevelConfigurationSpec): PriorityLevelConfiguration => ({
  apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
  kind: 'PriorityLevelConfiguration',
  metadata: { name },
  spec,
});

const queued = (shares: number, lendablePercent: number, queues: number, handSize: number): PriorityLevelConfigurationSpec => ({
  type: 'Limited',
  limited: { nominalConcurrencyShares: shares, lendablePercent, limitResponse: { type: 'Queue', queuing: { queues, handSize, queueLengthLimit: 50 } } },
});

const fs = (name: string, level: string, matchingPrecedence: number, distinguisher: string, ...rules: PolicyRulesWithSubjects[]): FlowSchema => ({
  apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
  kind: 'FlowSchema',
  metadata: { name },
  spec: { priorityLevelConfiguration: { name: level }, matchingPrecedence, ...(distinguisher ? { distinguisherMethod: { type: distinguisher } } : {}), rules },
});

const groups = (...names: string[]): FlowSubject[] => names.map((name) => ({ kind: 'Group', group: { name } }));
const users = (...names: string[]): FlowSubject[] => names.map((name) => ({ kind: 'User', user: { name } }));
const kubeSystemServiceAccounts = (...names: string[]): FlowSubject[] => names.map((name) => ({ kind: 'ServiceAccount', serviceAccount: { namespace: 'kube-system', name } }));
const resourceRule = (verbs: string[], apiGroups: string[], resources: string[], namespaces: string[], clusterScope: boolean) => ({ verbs, apiGroups, resources, ...(clusterScope ? { clusterScope } : {}), namespaces });
/** Every verb on every resource, namespaced or not, and every non-resource URL. */
const everything = (subjects: FlowSubject[]): PolicyRulesWithSubjects => ({
  subjects,
  resourceRules: [resourceRule(['*'], ['*'], ['*'], ['*'], true)],
  nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
});
const leaseRule = resourceRule(['get', 'create', 'update'], ['coordination.k8s.io'], ['leases'], ['*'], false);

export const MANDATORY_PRIORITY_LEVELS: PriorityLevelConfiguration[] = [
  pl('exempt', { type: 'Exempt', exempt: { nominalConcurrencyShares: 0, lendablePercent: 0 } }),
  pl('catch-all', { type: 'Limited', limited: { nominalConcurrencyShares: 5, lendablePercent: 0, limitResponse: { type: 'Reject' } } }),
];

export const MANDATORY_FLOW_SCHEMAS: FlowSchema[] = [
  fs('exempt', 'exempt', 1, '', everything(groups('system:masters'))),
  fs('catch-all', 'catch-all', 10000, 'ByUser', everything(groups('system:unauthenticated', 'system:authenticated'))),
];

export const SUGGESTED_PRIORITY_LEVELS: PriorityLevelConfiguration[] = [
  pl('system', queued(30, 33, 64, 6)),
  pl('node-high', queued(40, 25, 64, 6)),
  pl('leader-election', queued(10, 0, 16, 4)),
  pl('workload-high', queued(40, 50, 128, 6)),
  pl('workload-low', queued(100, 90, 128, 6)),
  pl('global-default', queued(20, 50, 128, 6)),
];

export const SUGGESTED_FLOW_SCHEMAS: FlowSchema[] = [
  fs('system-nodes', 'system', 500, 'ByUser', everything(groups('system:nodes'))),
  fs('system-node-high', 'node-high', 400, 'ByUser', {
    subjects: groups('system:nodes'),
    resourceRules: [resourceRule(['*'], [''], ['nodes', 'nodes/status'], ['*'], true), resourceRule(['*'], ['coordination.k8s.io'], ['leases'], ['*'], false)],
  }),
  fs('probes', 'exempt', 2, '', { subjects: groups('system:unauthenticated', 'system:authenticated'), nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/readyz', '/livez'] }] }),
  // (leases only: the control plane no longer elects leaders with endpoints or configmaps)
  fs('system-leader-election', 'leader-election', 100, 'ByUser', { subjects: [...users('system:kube-controller-manager', 'system:kube-scheduler'), ...kubeSystemServiceAccounts('*')], resourceRules: [leaseRule] }),
  fs('endpoint-controller', 'workload-high', 150, 'ByUser', {
    subjects: [...users('system:kube-controller-manager'), ...kubeSystemServiceAccounts('endpoint-controller', 'endpointslicemirroring-controller')],
    resourceRules: [resourceRule(['get', 'create', 'update'], [''], ['endpoints'], ['*'], false)],
  }),
  fs('workload-leader-election', 'leader-election', 200, 'ByUser', {
    subjects: kubeSystemServiceAccounts('*'),
    resourceRules: [resourceRule(['get', 'create', 'update'], [''], ['endpoints', 'configmaps'], ['*'], false), leaseRule],
  }),
  fs('kube-controller-manager', 'workload-high', 800, 'ByNamespace', everything(users('system:kube-controller-manager'))),
  fs('kube-scheduler', 'workload-high', 800, 'ByNamespace', everything(users('system:kube-scheduler'))),
  fs('kube-system-service-accounts', 'workload-high', 900, 'ByNamespace', everything(kubeSystemServiceAccounts('*'))),
  fs('service-accounts', 'workload-low', 9000, 'ByUser', everything(groups('system:serviceaccounts'))),
  fs('global-default', 'global-default', 9900, 'ByUser', everything(groups('system:unauthenticated', 'system:authenticated'))),
];

export const MANDATORY_PRIORITY_LEVEL_NAMES = new Set(MANDATORY_PRIORITY_LEVELS.map((o) => o.metadata!.name!));
export const MANDATORY_FLOW_SCHEMA_NAMES = new Set(MANDATORY_FLOW_SCHEMAS.map((o) => o.metadata!.name!));
