// Request bodies in Kubernetes' protobuf encoding (application/vnd.kubernetes.protobuf), as
// client-go's typed clients send them: `kubectl create configmap` and `kubectl create secret`
// POST their object this way. The envelope is "k8s\0" + runtime.Unknown {typeMeta, raw}; raw is
// the object in k8s.io/api's generated.proto field numbers. We decode the kinds that arrive this
// way into their Kubernetes JSON; other kinds get 415 (clients send those as JSON).
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import type { KubeObject } from '../../api/types.js';
import * as errors from '../errors.js';
import { decodeBody } from './http-util.js';
import { rfc3339 } from '../../util/time.js';
import { f, type Field } from './protobuf-fields.js';
import { POD_SPEC_MESSAGES } from './protobuf-pod-spec.js';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from('k8s\0', 'latin1');

/** Field numbers from k8s.io/api/core/v1 and k8s.io/apimachinery/pkg/apis/meta/v1 generated.proto. */
const MESSAGES: Record<string, Record<number, Field>> = {
  ...POD_SPEC_MESSAGES,
  Unknown: { 1: f('typeMeta', 'message', { type: 'TypeMeta' }), 2: f('raw', 'bytes'), 3: f('contentEncoding', 'string'), 4: f('contentType', 'string') },
  TypeMeta: { 1: f('apiVersion', 'string'), 2: f('kind', 'string') },
  ObjectMeta: {
    1: f('name', 'string'),
    2: f('generateName', 'string'),
    3: f('namespace', 'string'),
    4: f('selfLink', 'string'),
    5: f('uid', 'string'),
    6: f('resourceVersion', 'string'),
    7: f('generation', 'int', { omitZero: true }),
    8: f('creationTimestamp', 'time'),
    9: f('deletionTimestamp', 'time'),
    10: f('deletionGracePeriodSeconds', 'int'),
    11: f('labels', 'map-string'),
    12: f('annotations', 'map-string'),
    13: f('ownerReferences', 'message', { type: 'OwnerReference', repeated: true }),
    14: f('finalizers', 'string', { repeated: true }),
    17: f('managedFields', 'message', { type: 'ManagedFieldsEntry', repeated: true }),
  },
  OwnerReference: { 1: f('kind', 'string'), 3: f('name', 'string'), 4: f('uid', 'string'), 5: f('apiVersion', 'string'), 6: f('controller', 'bool'), 7: f('blockOwnerDeletion', 'bool') },
  ManagedFieldsEntry: { 1: f('manager', 'string'), 2: f('operation', 'string'), 3: f('apiVersion', 'string'), 4: f('time', 'time'), 6: f('fieldsType', 'string'), 7: f('fieldsV1', 'message', { type: 'FieldsV1' }), 8: f('subresource', 'string') },
  FieldsV1: { 1: f('Raw', 'json') },
  Time: { 1: f('seconds', 'int'), 2: f('nanos', 'int') },
  ConfigMap: { 1: f('metadata', 'message', { type: 'ObjectMeta' }), 2: f('data', 'map-string'), 3: f('binaryData', 'map-bytes'), 4: f('immutable', 'bool') },
  Secret: { 1: f('metadata', 'message', { type: 'ObjectMeta' }), 2: f('data', 'map-bytes'), 3: f('type', 'string'), 4: f('stringData', 'map-string'), 5: f('immutable', 'bool') },
  Namespace: { 1: f('metadata', 'message', { type: 'ObjectMeta' }), 2: f('spec', 'message', { type: 'NamespaceSpec' }), 3: f('status', 'message', { type: 'NamespaceStatus' }) },
  NamespaceSpec: { 1: f('finalizers', 'string', { repeated: true }) },
  NamespaceStatus: { 1: f('phase', 'string') },
  // meta/v1 DeleteOptions (kubectl drain deletes with one)
  DeleteOptions: { 1: f('gracePeriodSeconds', 'int'), 2: f('preconditions', 'message', { type: 'Preconditions' }), 3: f('orphanDependents', 'bool'), 4: f('propagationPolicy', 'string'), 5: f('dryRun', 'string', { repeated: true }) },
  Preconditions: { 1: f('uid', 'string'), 2: f('resourceVersion', 'string') },
  // k8s.io/api/certificates/v1 (kubectl certificate approve|deny PUTs the object to /approval);
  // spec.extra (6) is not kept: the apiserver sets the requester from the request's user.
  CertificateSigningRequest: { 1: f('metadata', 'message', { type: 'ObjectMeta' }), 2: f('spec', 'message', { type: 'CertificateSigningRequestSpec' }), 3: f('status', 'message', { type: 'CertificateSigningRequestStatus' }) },
  CertificateSigningRequestSpec: { 1: f('request', 'base64'), 2: f('username', 'string'), 3: f('uid', 'string'), 4: f('groups', 'string', { repeated: true }), 5: f('usages', 'string', { repeated: true }), 7: f('signerName', 'string'), 8: f('expirationSeconds', 'int') },
  CertificateSigningRequestStatus: { 1: f('conditions', 'message', { type: 'CertificateSigningRequestCondition', repeated: true }), 2: f('certificate', 'base64') },
  CertificateSigningRequestCondition: { 1: f('type', 'string'), 2: f('reason', 'string'), 3: f('message', 'string'), 4: f('lastUpdateTime', 'time'), 5: f('lastTransitionTime', 'time'), 6: f('status', 'string') },
  // k8s.io/api/scheduling/v1 (kubectl create priorityclass)
  Quantity: { 1: f('string', 'string') },
  // core/v1 ResourceQuota (kubectl create quota)
  ResourceQuota: { 1: f('metadata', 'message', { type: 'ObjectMeta' }), 2: f('spec', 'message', { type: 'ResourceQuotaSpec' }) },
  ResourceQuotaSpec: { 1: f('hard', 'map-quantity'), 2: f('scopes', 'string', { repeated: true }), 3: f('scopeSelector', 'message', { type: 'ScopeSelector' }) },
  ScopeSelector: { 1: f('matchExpressions', 'message', { type: 'ScopedResourceSelectorRequirement', repeated: true }) },
  ScopedResourceSelectorRequirement: { 1: f('scopeName', 'string'), 2: f('operator', 'string'), 3: f('values', 'string', { repeated: true }) },
  PriorityClass: { 1: f('metadata', 'message', { type: 'ObjectMeta' }), 2: f('value', 'int'), 3: f('globalDefault', 'bool'), 4: f('description', 'string'), 5: f('preemptionPolicy', 'string') },
  // k8s.io/api/policy/v1 Eviction (kubectl drain)
  Eviction: { 1: f('metadata', 'message', { type: 'ObjectMeta' }), 2: f('deleteOptions', 'message', { type: 'DeleteOptions' }) },
  // k8s.io/api/authorization/v1 (kubectl auth can-i)
  SelfSubjectAccessReview: { 1: f('metadata', 'message', { type: 'ObjectMeta' }), 2: f('spec', 'message', { type: 'SelfSubjectAccessReviewSpec' }) },
  SelfSubjectAccessReviewSpec: { 1: f('resourceAttributes', 'message', { type: 'ResourceAttributes' }), 2: f('nonResourceAttributes', 'message', { type: 'NonResourceAttributes' }) },
  ResourceAttributes: { 1: f('namespace', 'string'), 2: f('verb', 'string'), 3: f('group', 'string'), 4: f('version', 'string'), 5: f('resource', 'string'), 6: f('subresource', 'string'), 7: f('name', 'string') },
  NonResourceAttributes: { 1: f('path', 'string'), 2: f('verb', 'string') },
  // k8s.io/api/authentication/v1 (kubectl auth whoami)
  SelfSubjectReview: { 1: f('metadata', 'message', { type: 'ObjectMeta' }) },
  // (kubectl auth can-i --list)
  SelfSubjectRulesReview: { 1: f('metadata', 'message', { type: 'ObjectMeta' }), 2: f('spec', 'message', { type: 'SelfSubjectRulesReviewSpec' }) },
  SelfSubjectRulesReviewSpec: { 1: f('namespace', 'string') },
  SubjectAccessReview: { 1: f('metadata', 'message', { type: 'ObjectMeta' }), 2: f('spec', 'message', { type: 'SubjectAccessReviewSpec' }) },
  LocalSubjectAccessReview: { 1: f('metadata', 'message', { type: 'ObjectMeta' }), 2: f('spec', 'message', { type: 'SubjectAccessReviewSpec' }) },
  SubjectAccessReviewSpec: {
    1: f('resourceAttributes', 'message', { type: 'ResourceAttributes' }),
    2: f('nonResourceAttributes', 'message', { type: 'NonResourceAttributes' }),
    3: f('user', 'string'),
    4: f('groups', 'string', { repeated: true }),
    6: f('uid', 'string'),
  },
  // k8s.io/api/rbac/v1 (kubectl create role|clusterrole|rolebinding|clusterrolebinding)
  Role: { 1: f('metadata', 'message', { type: 'ObjectMeta' }), 2: f('rules', 'message', { type: 'PolicyRule', repeated: true }) },
  ClusterRole: { 1: f('metadata', 'message', { type: 'ObjectMeta' }), 2: f('rules', 'message', { type: 'PolicyRule', repeated: true }), 3: f('aggregationRule', 'message', { type: 'AggregationRule' }) },
  PolicyRule: {
    1: f('verbs', 'string', { repeated: true }),
    2: f('apiGroups', 'string', { repeated: true }),
    3: f('resources', 'string', { repeated: true }),
    4: f('resourceNames', 'string', { repeated: true }),
    5: f('nonResourceURLs', 'string', { repeated: true }),
  },
  AggregationRule: { 1: f('clusterRoleSelectors', 'message', { type: 'LabelSelector', repeated: true }) },
  RoleBinding: { 1: f('metadata', 'message', { type: 'ObjectMeta' }), 2: f('subjects', 'message', { type: 'Subject', repeated: true }), 3: f('roleRef', 'message', { type: 'RoleRef' }) },
  ClusterRoleBinding: { 1: f('metadata', 'message', { type: 'ObjectMeta' }), 2: f('subjects', 'message', { type: 'Subject', repeated: true }), 3: f('roleRef', 'message', { type: 'RoleRef' }) },
  Subject: { 1: f('kind', 'string'), 2: f('apiGroup', 'string'), 3: f('name', 'string'), 4: f('namespace', 'string') },
  RoleRef: { 1: f('apiGroup', 'string'), 2: f('kind', 'string'), 3: f('name', 'string') },
  // k8s.io/api/apps/v1 (kubectl create deployment); status is the controllers' and not read.
  Deployment: { 1: f('metadata', 'message', { type: 'ObjectMeta' }), 2: f('spec', 'message', { type: 'DeploymentSpec' }) },
  DeploymentSpec: {
    1: f('replicas', 'int'),
    2: f('selector', 'message', { type: 'LabelSelector' }),
    3: f('template', 'message', { type: 'PodTemplateSpec' }),
    4: f('strategy', 'message', { type: 'DeploymentStrategy' }),
    5: f('minReadySeconds', 'int'),
    6: f('revisionHistoryLimit', 'int'),
    7: f('paused', 'bool'),
    9: f('progressDeadlineSeconds', 'int'),
  },
  DeploymentStrategy: { 1: f('type', 'string'), 2: f('rollingUpdate', 'message', { type: 'RollingUpdateDeployment' }) },
  RollingUpdateDeployment: { 1: f('maxUnavailable', 'intstr'), 2: f('maxSurge', 'intstr') },
  IntOrString: { 1: f('type', 'int'), 2: f('intVal', 'int'), 3: f('strVal', 'string') },
  ReplicaSet: { 1: f('metadata', 'message', { type: 'ObjectMeta' }), 2: f('spec', 'message', { type: 'ReplicaSetSpec' }) },
  ReplicaSetSpec: { 1: f('replicas', 'int'), 2: f('selector', 'message', { type: 'LabelSelector' }), 3: f('template', 'message', { type: 'PodTemplateSpec' }), 4: f('minReadySeconds', 'int') },
  // k8s.io/api/batch/v1 (kubectl create job, kubectl create cronjob); status is the controllers'.
  Job: { 1: f('metadata', 'message', { type: 'ObjectMeta' }), 2: f('spec', 'message', { type: 'JobSpec' }) },
  JobSpec: {
    1: f('parallelism', 'int'),
    2: f('completions', 'int'),
    3: f('activeDeadlineSeconds', 'int'),
    4: f('selector', 'message', { type: 'LabelSelector' }),
    5: f('manualSelector', 'bool'),
    6: f('template', 'message', { type: 'PodTemplateSpec' }),
    7: f('backoffLimit', 'int'),
    8: f('ttlSecondsAfterFinished', 'int'),
    9: f('completionMode', 'string'),
    10: f('suspend', 'bool'),
    11: f('podFailurePolicy', 'message', { type: 'PodFailurePolicy' }),
    12: f('backoffLimitPerIndex', 'int'),
    13: f('maxFailedIndexes', 'int'),
    14: f('podReplacementPolicy', 'string'),
    15: f('managedBy', 'string'),
    16: f('successPolicy', 'message', { type: 'SuccessPolicy' }),
  },
  // (kubectl create job --from=cronjob/x copies the CronJob's job spec, policies included)
  PodFailurePolicy: { 1: f('rules', 'message', { type: 'PodFailurePolicyRule', repeated: true }) },
  PodFailurePolicyRule: {
    1: f('action', 'string'),
    2: f('onExitCodes', 'message', { type: 'PodFailurePolicyOnExitCodesRequirement' }),
    3: f('onPodConditions', 'message', { type: 'PodFailurePolicyOnPodConditionsPattern', repeated: true }),
  },
  PodFailurePolicyOnExitCodesRequirement: { 1: f('containerName', 'string'), 2: f('operator', 'string'), 3: f('values', 'int', { repeated: true }) },
  PodFailurePolicyOnPodConditionsPattern: { 1: f('type', 'string'), 2: f('status', 'string') },
  SuccessPolicy: { 1: f('rules', 'message', { type: 'SuccessPolicyRule', repeated: true }) },
  SuccessPolicyRule: { 1: f('succeededIndexes', 'string'), 2: f('succeededCount', 'int') },
  CronJob: { 1: f('metadata', 'message', { type: 'ObjectMeta' }), 2: f('spec', 'message', { type: 'CronJobSpec' }) },
  CronJobSpec: {
    1: f('schedule', 'string'),
    2: f('startingDeadlineSeconds', 'int'),
    3: f('concurrencyPolicy', 'string'),
    4: f('suspend', 'bool'),
    5: f('jobTemplate', 'message', { type: 'JobTemplateSpec' }),
    6: f('successfulJobsHistoryLimit', 'int'),
    7: f('failedJobsHistoryLimit', 'int'),
    8: f('timeZone', 'string'),
  },
  JobTemplateSpec: { 1: f('metadata', 'message', { type: 'ObjectMeta' }), 2: f('spec', 'message', { type: 'JobSpec' }) },
  LabelSelector: { 1: f('matchLabels', 'map-string'), 2: f('matchExpressions', 'message', { type: 'LabelSelectorRequirement', repeated: true }) },
  LabelSelectorRequirement: { 1: f('key', 'string'), 2: f('operator', 'string'), 3: f('values', 'string', { repeated: true }) },
  PodTemplateSpec: { 1: f('metadata', 'message', { type: 'ObjectMeta' }), 2: f('spec', 'message', { type: 'PodSpec' }) },
  // core/v1 Pod: what `kubectl debug node/NAME` and `kubectl debug --copy-to` create; the pod
  // spec's messages are protobuf-pod-spec.ts's.
  Pod: { 1: f('metadata', 'message', { type: 'ObjectMeta' }), 2: f('spec', 'message', { type: 'PodSpec' }) },
  // core/v1 Service (kubectl create service); status is the server's and not read. Zero ports
  // are left out, as Go's JSON does (omitempty), so an unset nodePort stays unset.
  Service: { 1: f('metadata', 'message', { type: 'ObjectMeta' }), 2: f('spec', 'message', { type: 'ServiceSpec' }) },
  ServiceSpec: {
    1: f('ports', 'message', { type: 'ServicePort', repeated: true }),
    2: f('selector', 'map-string'),
    3: f('clusterIP', 'string'),
    4: f('type', 'string'),
    5: f('externalIPs', 'string', { repeated: true }),
    7: f('sessionAffinity', 'string'),
    8: f('loadBalancerIP', 'string'),
    9: f('loadBalancerSourceRanges', 'string', { repeated: true }),
    10: f('externalName', 'string'),
    11: f('externalTrafficPolicy', 'string'),
    12: f('healthCheckNodePort', 'int', { omitZero: true }),
    13: f('publishNotReadyAddresses', 'bool'),
    14: f('sessionAffinityConfig', 'message', { type: 'SessionAffinityConfig' }),
    17: f('ipFamilyPolicy', 'string'),
    18: f('clusterIPs', 'string', { repeated: true }),
    19: f('ipFamilies', 'string', { repeated: true }),
    20: f('allocateLoadBalancerNodePorts', 'bool'),
    21: f('loadBalancerClass', 'string'),
    22: f('internalTrafficPolicy', 'string'),
    23: f('trafficDistribution', 'string'),
  },
  ServicePort: {
    1: f('name', 'string'),
    2: f('protocol', 'string'),
    3: f('port', 'int'),
    4: f('targetPort', 'intstr'),
    5: f('nodePort', 'int', { omitZero: true }),
    6: f('appProtocol', 'string'),
  },
  SessionAffinityConfig: { 1: f('clientIP', 'message', { type: 'ClientIPConfig' }) },
  ClientIPConfig: { 1: f('timeoutSeconds', 'int') },
  // core/v1 ServiceAccount (kubectl create serviceaccount)
  ServiceAccount: {
    1: f('metadata', 'message', { type: 'ObjectMeta' }),
    2: f('secrets', 'message', { type: 'ObjectReference', repeated: true }),
    3: f('imagePullSecrets', 'message', { type: 'LocalObjectReference', repeated: true }),
    4: f('automountServiceAccountToken', 'bool', { pointer: true }),
  },
  ObjectReference: { 1: f('kind', 'string'), 2: f('namespace', 'string'), 3: f('name', 'string'), 4: f('uid', 'string'), 5: f('apiVersion', 'string'), 6: f('resourceVersion', 'string'), 7: f('fieldPath', 'string') },
  // k8s.io/api/authentication/v1 TokenRequest (kubectl create token)
  TokenRequest: { 1: f('metadata', 'message', { type: 'ObjectMeta' }), 2: f('spec', 'message', { type: 'TokenRequestSpec' }) },
  TokenRequestSpec: { 1: f('audiences', 'string', { repeated: true }), 3: f('boundObjectRef', 'message', { type: 'BoundObjectReference' }), 4: f('expirationSeconds', 'int') },
  BoundObjectReference: { 1: f('kind', 'string'), 2: f('apiVersion', 'string'), 3: f('name', 'string'), 4: f('uid', 'string') },
  // k8s.io/api/policy/v1 (kubectl create poddisruptionbudget); status is the controller's.
  PodDisruptionBudget: { 1: f('metadata', 'message', { type: 'ObjectMeta' }), 2: f('spec', 'message', { type: 'PodDisruptionBudgetSpec' }) },
  PodDisruptionBudgetSpec: { 1: f('minAvailable', 'intstr'), 2: f('selector', 'message', { type: 'LabelSelector' }), 3: f('maxUnavailable', 'intstr'), 4: f('unhealthyPodEvictionPolicy', 'string') },
  // k8s.io/api/autoscaling/v1 (kubectl 1.32's kubectl autoscale); status is the controller's.
  HorizontalPodAutoscaler: { 1: f('metadata', 'message', { type: 'ObjectMeta' }), 2: f('spec', 'message', { type: 'HorizontalPodAutoscalerSpecV1' }) },
  HorizontalPodAutoscalerSpecV1: { 1: f('scaleTargetRef', 'message', { type: 'CrossVersionObjectReference' }), 2: f('minReplicas', 'int'), 3: f('maxReplicas', 'int'), 4: f('targetCPUUtilizationPercentage', 'int') },
  CrossVersionObjectReference: { 1: f('kind', 'string'), 2: f('name', 'string'), 3: f('apiVersion', 'string') },
  // k8s.io/api/networking/v1 (kubectl create ingress); status is the controller's and not read.
  Ingress: { 1: f('metadata', 'message', { type: 'ObjectMeta' }), 2: f('spec', 'message', { type: 'IngressSpec' }) },
  IngressSpec: {
    1: f('defaultBackend', 'message', { type: 'IngressBackend' }),
    2: f('tls', 'message', { type: 'IngressTLS', repeated: true }),
    3: f('rules', 'message', { type: 'IngressRule', repeated: true }),
    4: f('ingressClassName', 'string'),
  },
  IngressBackend: { 3: f('resource', 'message', { type: 'TypedLocalObjectReference' }), 4: f('service', 'message', { type: 'IngressServiceBackend' }) },
  IngressServiceBackend: { 1: f('name', 'string'), 2: f('port', 'message', { type: 'ServiceBackendPort' }) },
  ServiceBackendPort: { 1: f('name', 'string'), 2: f('number', 'int', { omitZero: true }) },
  IngressTLS: { 1: f('hosts', 'string', { repeated: true }), 2: f('secretName', 'string') },
  IngressRule: { 1: f('host', 'string'), 2: f('ingressRuleValue', 'message', { type: 'IngressRuleValue', inline: true }) },
  IngressRuleValue: { 1: f('http', 'message', { type: 'HTTPIngressRuleValue' }) },
  HTTPIngressRuleValue: { 1: f('paths', 'message', { type: 'HTTPIngressPath', repeated: true }) },
  HTTPIngressPath: { 1: f('path', 'string'), 2: f('backend', 'message', { type: 'IngressBackend' }), 3: f('pathType', 'string') },
};

/**
 * Messages decoded only in part: a field outside the table is refused (415, send JSON) rather
 * than silently dropped. (Other messages skip unknown fields, as protobuf readers do.)
 */
const STRICT = new Set([...Object.keys(POD_SPEC_MESSAGES), 'ServiceSpec', 'ServicePort', 'JobSpec', 'CronJobSpec', 'PodDisruptionBudgetSpec', 'HorizontalPodAutoscalerSpecV1', 'IngressSpec', 'IngressBackend', 'IngressRule', 'IngressRuleValue', 'HTTPIngressPath']);

/** The kinds whose protobuf bodies we decode. */
const DECODABLE = new Map([
  ['ConfigMap', 'v1'],
  ['Secret', 'v1'],
  ['Namespace', 'v1'],
  ['SelfSubjectAccessReview', 'authorization.k8s.io/v1'],
  ['SelfSubjectRulesReview', 'authorization.k8s.io/v1'],
  ['SelfSubjectReview', 'authentication.k8s.io/v1'],
  ['SubjectAccessReview', 'authorization.k8s.io/v1'],
  ['LocalSubjectAccessReview', 'authorization.k8s.io/v1'],
  ['Role', 'rbac.authorization.k8s.io/v1'],
  ['ClusterRole', 'rbac.authorization.k8s.io/v1'],
  ['RoleBinding', 'rbac.authorization.k8s.io/v1'],
  ['ClusterRoleBinding', 'rbac.authorization.k8s.io/v1'],
  ['DeleteOptions', 'v1'],
  ['Eviction', 'policy/v1'],
  ['Deployment', 'apps/v1'],
  ['ReplicaSet', 'apps/v1'],
  ['Service', 'v1'],
  ['Job', 'batch/v1'],
  ['CronJob', 'batch/v1'],
  ['ServiceAccount', 'v1'],
  ['TokenRequest', 'authentication.k8s.io/v1'],
  ['Ingress', 'networking.k8s.io/v1'],
  ['PriorityClass', 'scheduling.k8s.io/v1'],
  ['CertificateSigningRequest', 'certificates.k8s.io/v1'],
  ['Pod', 'v1'],
  ['ResourceQuota', 'v1'],
  ['PodDisruptionBudget', 'policy/v1'],
  ['HorizontalPodAutoscaler', 'autoscaling/v1'],
]);

type Obj = Record<string, unknown>;

/** A map entry: its value a string, bytes (as base64) or a resource.Quantity message (as its string). */
function readMapEntry(r: BinaryReader, kind: 'map-string' | 'map-bytes' | 'map-quantity'): [string, string] {
  const end = r.uint32() + r.pos;
  let key = '';
  let value = '';
  while (r.pos < end) {
    const [no, wt] = r.tag();
    if (no === 1 && wt === WireType.LengthDelimited) key = r.string();
    else if (no === 2 && wt === WireType.LengthDelimited) {
      if (kind === 'map-bytes') value = Buffer.from(r.bytes()).toString('base64');
      else if (kind === 'map-quantity') value = String(readMessage(r.bytes(), 'Quantity').string ?? '');
      else value = r.string();
    }
    else r.skip(wt, no);
  }
  return [key, value];
}

function readValue(r: BinaryReader, fd: Field): unknown {
  switch (fd.kind) {
    case 'string':
      return r.string();
    case 'bytes':
      return Buffer.from(r.bytes());
    case 'base64':
      return Buffer.from(r.bytes()).toString('base64');
    case 'json': {
      const raw = Buffer.from(r.bytes()).toString('utf8');
      return raw ? JSON.parse(raw) : {};
    }
    case 'bool':
      return r.bool();
    case 'int':
      return Number(r.int64());
    case 'time': {
      // Go marshals the zero time as an empty message; its JSON is null (a template's
      // `creationTimestamp: null`), not the epoch.
      const b = r.bytes();
      if (b.length === 0) return null;
      const t = readMessage(b, 'Time') as { seconds?: number };
      return rfc3339((t.seconds ?? 0) * 1000);
    }
    case 'message': {
      const m = readMessage(r.bytes(), fd.type!);
      // (FieldsV1's JSON is its Raw bytes' JSON, not an object holding them)
      return fd.type === 'FieldsV1' ? (m.Raw ?? {}) : m;
    }
    case 'quantity':
      return String(readMessage(r.bytes(), 'Quantity').string ?? '');
    case 'intstr': {
      const v = readMessage(r.bytes(), 'IntOrString') as { type?: number; intVal?: number; strVal?: string };
      return v.type === 1 ? (v.strVal ?? '') : (v.intVal ?? 0);
    }
    case 'map-string':
    case 'map-bytes':
    case 'map-quantity':
      return readMapEntry(r, fd.kind);
  }
}

function readMessage(buf: Uint8Array, type: string): Obj {
  const fields = MESSAGES[type]!;
  const r = new BinaryReader(buf);
  const out: Obj = {};
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    const fd = fields[no];
    if (!fd) {
      // Go's generated marshallers write every non-pointer field, zero or not: only a value counts.
      const raw = r.skip(wt, no);
      const zero = raw.length === 1 && raw[0] === 0;
      if (STRICT.has(type) && !zero) throw errors.unsupportedMediaType(undefined, `${PROTOBUF_MEDIA_TYPE} (field ${no} of ${type} is not decoded from protobuf; send JSON)`);
      continue;
    }
    if (fd.kind === 'map-string' || fd.kind === 'map-bytes' || fd.kind === 'map-quantity') {
      const [k, v] = readMapEntry(r, fd.kind);
      ((out[fd.name] ??= {}) as Record<string, string>)[k] = v;
    } else if (fd.repeated) {
      ((out[fd.name] ??= []) as unknown[]).push(readValue(r, fd));
    } else if (fd.inline) {
      Object.assign(out, readValue(r, fd));
    } else {
      const v = readValue(r, fd);
      // As Go's JSON leaves out empty strings and false (omitempty), and zero where the field says so.
      if (fd.pointer || (v !== '' && v !== false && !(fd.omitZero && v === 0))) out[fd.name] = v;
    }
  }
  return out;
}

/** Decodes a protobuf request body into the object's Kubernetes JSON form. */
export function decodeProtobufObject(body: Buffer): KubeObject {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw errors.badRequest('error decoding request body as protobuf: the body does not start with the "k8s\\x00" prefix');
  }
  let envelope: Obj;
  try {
    envelope = readMessage(body.subarray(MAGIC.length), 'Unknown');
  } catch (e) {
    throw errors.badRequest(`error decoding request body as protobuf: ${(e as Error).message}`);
  }
  const tm = (envelope.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  // DeleteOptions is registered in every group version: client-go labels it with its client's
  // (kubectl auth reconcile deletes a RoleBinding with rbac.authorization.k8s.io/v1 DeleteOptions).
  const versionOk = tm.kind === 'DeleteOptions' ? /^([a-z0-9.-]+\/)?v\d+((alpha|beta)\d+)?$/.test(tm.apiVersion || 'v1') : DECODABLE.get(tm.kind ?? '') === (tm.apiVersion || 'v1');
  if (!tm.kind || !versionOk || (envelope.contentEncoding as string | undefined)) {
    throw errors.unsupportedMediaType(undefined, `${PROTOBUF_MEDIA_TYPE} (kind ${tm.apiVersion ?? ''}/${tm.kind ?? ''})`);
  }
  try {
    const obj = readMessage((envelope.raw as Buffer | undefined) ?? new Uint8Array(), tm.kind);
    return { apiVersion: DECODABLE.get(tm.kind)!, kind: tm.kind, ...obj };
  } catch (e) {
    if (e instanceof errors.ApiError) throw e;
    throw errors.badRequest(`error decoding request body as protobuf: ${(e as Error).message}`);
  }
}

const OBJECT_MEDIA_TYPES = ['application/json', 'application/yaml', PROTOBUF_MEDIA_TYPE];

/** A request body in whichever form it came: Kubernetes protobuf, JSON or YAML. */
export function decodeRequestBody(body: Buffer, contentType: string): unknown {
  // (NegotiateInputSerializer: no Content-Type is JSON; one kube-apiserver has no serializer for is a 415)
  const media = contentType.split(';')[0]!.trim().toLowerCase();
  if (media && !OBJECT_MEDIA_TYPES.includes(media)) throw errors.unsupportedMediaType(OBJECT_MEDIA_TYPES);
  return media === PROTOBUF_MEDIA_TYPE ? decodeProtobufObject(body) : decodeBody(body, contentType);
}
