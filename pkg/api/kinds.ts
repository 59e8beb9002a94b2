// The kinds and resources of the API as pkg/api knows them: what OpenAPI publishes and how proto
// message names map to Kubernetes' OpenAPI definition names.

export interface KindInfo {
  group: string;
  version: string;
  kind: string;
  /** Plural resource name used in URLs. */
  resource: string;
  namespaced: boolean;
  /** Message name in schema.json; the list kind is `${typeName}List`. */
  typeName: string;
  subresources: ('status' | 'binding' | 'ephemeralcontainers' | 'scale' | 'token')[];
}

export const API_KINDS: KindInfo[] = [
  { group: '', version: 'v1', kind: 'Pod', resource: 'pods', namespaced: true, typeName: 'Pod', subresources: ['status', 'binding', 'ephemeralcontainers'] },
  { group: '', version: 'v1', kind: 'Node', resource: 'nodes', namespaced: false, typeName: 'Node', subresources: ['status'] },
  { group: '', version: 'v1', kind: 'Namespace', resource: 'namespaces', namespaced: false, typeName: 'Namespace', subresources: ['status'] },
  { group: '', version: 'v1', kind: 'Event', resource: 'events', namespaced: true, typeName: 'Event', subresources: [] },
  // The same objects in their events.k8s.io/v1 form (messages prefixed Events).
  { group: 'events.k8s.io', version: 'v1', kind: 'Event', resource: 'events', namespaced: true, typeName: 'EventsEvent', subresources: [] },
  { group: '', version: 'v1', kind: 'PodTemplate', resource: 'podtemplates', namespaced: true, typeName: 'PodTemplate', subresources: [] },
  { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', namespaced: true, typeName: 'ConfigMap', subresources: [] },
  { group: '', version: 'v1', kind: 'Secret', resource: 'secrets', namespaced: true, typeName: 'Secret', subresources: [] },
  { group: '', version: 'v1', kind: 'ServiceAccount', resource: 'serviceaccounts', namespaced: true, typeName: 'ServiceAccount', subresources: ['token'] },
  { group: '', version: 'v1', kind: 'Service', resource: 'services', namespaced: true, typeName: 'Service', subresources: ['status'] },
  { group: '', version: 'v1', kind: 'LimitRange', resource: 'limitranges', namespaced: true, typeName: 'LimitRange', subresources: [] },
  { group: '', version: 'v1', kind: 'ResourceQuota', resource: 'resourcequotas', namespaced: true, typeName: 'ResourceQuota', subresources: ['status'] },
  { group: '', version: 'v1', kind: 'ReplicationController', resource: 'replicationcontrollers', namespaced: true, typeName: 'ReplicationController', subresources: ['status', 'scale'] },
  { group: '', version: 'v1', kind: 'Endpoints', resource: 'endpoints', namespaced: true, typeName: 'Endpoints', subresources: [] },
  { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', resource: 'leases', namespaced: true, typeName: 'Lease', subresources: [] },
  { group: 'apps', version: 'v1', kind: 'ReplicaSet', resource: 'replicasets', namespaced: true, typeName: 'ReplicaSet', subresources: ['status', 'scale'] },
  { group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments', namespaced: true, typeName: 'Deployment', subresources: ['status', 'scale'] },
  { group: 'batch', version: 'v1', kind: 'Job', resource: 'jobs', namespaced: true, typeName: 'Job', subresources: ['status'] },
  { group: 'batch', version: 'v1', kind: 'CronJob', resource: 'cronjobs', namespaced: true, typeName: 'CronJob', subresources: ['status'] },
  { group: 'apps', version: 'v1', kind: 'DaemonSet', resource: 'daemonsets', namespaced: true, typeName: 'DaemonSet', subresources: ['status'] },
  { group: 'apps', version: 'v1', kind: 'StatefulSet', resource: 'statefulsets', namespaced: true, typeName: 'StatefulSet', subresources: ['status', 'scale'] },
  { group: 'apps', version: 'v1', kind: 'ControllerRevision', resource: 'controllerrevisions', namespaced: true, typeName: 'ControllerRevision', subresources: [] },
  { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy', resource: 'networkpolicies', namespaced: true, typeName: 'NetworkPolicy', subresources: [] },
  { group: '', version: 'v1', kind: 'PersistentVolume', resource: 'persistentvolumes', namespaced: false, typeName: 'PersistentVolume', subresources: ['status'] },
  { group: '', version: 'v1', kind: 'PersistentVolumeClaim', resource: 'persistentvolumeclaims', namespaced: true, typeName: 'PersistentVolumeClaim', subresources: ['status'] },
  { group: 'storage.k8s.io', version: 'v1', kind: 'StorageClass', resource: 'storageclasses', namespaced: false, typeName: 'StorageClass', subresources: [] },
  { group: 'storage.k8s.io', version: 'v1', kind: 'CSIDriver', resource: 'csidrivers', namespaced: false, typeName: 'CSIDriver', subresources: [] },
  { group: 'storage.k8s.io', version: 'v1', kind: 'CSINode', resource: 'csinodes', namespaced: false, typeName: 'CSINode', subresources: [] },
  { group: 'storage.k8s.io', version: 'v1', kind: 'CSIStorageCapacity', resource: 'csistoragecapacities', namespaced: true, typeName: 'CSIStorageCapacity', subresources: [] },
  { group: 'storage.k8s.io', version: 'v1', kind: 'VolumeAttachment', resource: 'volumeattachments', namespaced: false, typeName: 'VolumeAttachment', subresources: ['status'] },
  { group: 'admissionregistration.k8s.io', version: 'v1', kind: 'ValidatingWebhookConfiguration', resource: 'validatingwebhookconfigurations', namespaced: false, typeName: 'ValidatingWebhookConfiguration', subresources: [] },
  { group: 'admissionregistration.k8s.io', version: 'v1', kind: 'MutatingWebhookConfiguration', resource: 'mutatingwebhookconfigurations', namespaced: false, typeName: 'MutatingWebhookConfiguration', subresources: [] },
  { group: 'admissionregistration.k8s.io', version: 'v1', kind: 'ValidatingAdmissionPolicy', resource: 'validatingadmissionpolicies', namespaced: false, typeName: 'ValidatingAdmissionPolicy', subresources: ['status'] },
  { group: 'admissionregistration.k8s.io', version: 'v1', kind: 'ValidatingAdmissionPolicyBinding', resource: 'validatingadmissionpolicybindings', namespaced: false, typeName: 'ValidatingAdmissionPolicyBinding', subresources: [] },
  { group: 'certificates.k8s.io', version: 'v1', kind: 'CertificateSigningRequest', resource: 'certificatesigningrequests', namespaced: false, typeName: 'CertificateSigningRequest', subresources: ['status'] },
  { group: 'flowcontrol.apiserver.k8s.io', version: 'v1', kind: 'FlowSchema', resource: 'flowschemas', namespaced: false, typeName: 'FlowSchema', subresources: ['status'] },
  { group: 'flowcontrol.apiserver.k8s.io', version: 'v1', kind: 'PriorityLevelConfiguration', resource: 'prioritylevelconfigurations', namespaced: false, typeName: 'PriorityLevelConfiguration', subresources: ['status'] },
  { group: 'scheduling.k8s.io', version: 'v1', kind: 'PriorityClass', resource: 'priorityclasses', namespaced: false, typeName: 'PriorityClass', subresources: [] },
  { group: 'node.k8s.io', version: 'v1', kind: 'RuntimeClass', resource: 'runtimeclasses', namespaced: false, typeName: 'RuntimeClass', subresources: [] },
  { group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', resource: 'endpointslices', namespaced: true, typeName: 'EndpointSlice', subresources: [] },
  { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget', resource: 'poddisruptionbudgets', namespaced: true, typeName: 'PodDisruptionBudget', subresources: ['status'] },
  { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler', resource: 'horizontalpodautoscalers', namespaced: true, typeName: 'HorizontalPodAutoscaler', subresources: ['status'] },
  // The same objects in their autoscaling/v1 form (messages suffixed V1).
  { group: 'autoscaling', version: 'v1', kind: 'HorizontalPodAutoscaler', resource: 'horizontalpodautoscalers', namespaced: true, typeName: 'HorizontalPodAutoscalerV1', subresources: ['status'] },
  { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress', resource: 'ingresses', namespaced: true, typeName: 'Ingress', subresources: ['status'] },
  { group: 'networking.k8s.io', version: 'v1', kind: 'IngressClass', resource: 'ingressclasses', namespaced: false, typeName: 'IngressClass', subresources: [] },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role', resource: 'roles', namespaced: true, typeName: 'Role', subresources: [] },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole', resource: 'clusterroles', namespaced: false, typeName: 'ClusterRole', subresources: [] },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding', resource: 'rolebindings', namespaced: true, typeName: 'RoleBinding', subresources: [] },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRoleBinding', resource: 'clusterrolebindings', namespaced: false, typeName: 'ClusterRoleBinding', subresources: [] },
];

/** `api/v1` or `apis/<group>/<version>`: the path segment discovery and OpenAPI use. */
export const groupVersionPath = (group: string, version: string) => (group ? `apis/${group}/${version}` : `api/${version}`);

const META_TYPES = new Set([
  'ObjectMeta',
  'ListMeta',
  'OwnerReference',
  'ManagedFieldsEntry',
  'LabelSelector',
  'LabelSelectorRequirement',
  'Status',
  'StatusDetails',
  'StatusCause',
  'WatchEvent',
  'DeleteOptions',
  'Preconditions',
]);
const COORDINATION_TYPES = new Set(['Lease', 'LeaseSpec', 'LeaseList']);
const APPS_TYPES = new Set(['ReplicaSet', 'ReplicaSetList', 'ReplicaSetSpec', 'ReplicaSetStatus', 'ReplicaSetCondition', 'Deployment', 'DeploymentList', 'DeploymentSpec', 'DeploymentStrategy', 'RollingUpdateDeployment', 'DeploymentStatus', 'DeploymentCondition']);
const BATCH_TYPES = new Set(['Job', 'JobList', 'JobSpec', 'JobStatus', 'JobCondition', 'UncountedTerminatedPods', 'JobTemplateSpec', 'CronJob', 'CronJobList', 'CronJobSpec', 'CronJobStatus']);
// DaemonSet, StatefulSet and ControllerRevision messages (apps-sets.proto) are apps/v1 too.
const APPS_SET_TYPES = /^(DaemonSet|StatefulSet|ControllerRevision|RollingUpdateDaemonSet|RollingUpdateStatefulSetStrategy)/;
const AUTOSCALING_TYPES = new Set(['Scale', 'ScaleSpec', 'ScaleStatus']);
const AUTHENTICATION_TYPES = new Set(['TokenRequest', 'TokenRequestSpec', 'TokenRequestStatus', 'BoundObjectReference']);
// networking.proto and networking-ingress.proto: every message but TypedLocalObjectReference (core/v1) is networking.k8s.io/v1.
const NETWORKING_TYPES = /^(NetworkPolicy|IPBlock|Ingress|HTTPIngress|ServiceBackendPort)/;
const STORAGE_TYPES = new Set(['StorageClass', 'StorageClassList']);
// storage-csi.proto: every message is storage.k8s.io/v1 (StorageTokenRequest is its TokenRequest, apart from authentication's).
const STORAGE_CSI_TYPES = /^(CSIDriver(List|Spec)?|CSINode(List|Spec|Driver)?|VolumeNodeResources|CSIStorageCapacity(List)?|VolumeAttachment(List|Spec|Source|Status)?|VolumeError)$/;
const RBAC_TYPES = /^(Role|ClusterRole|RoleBinding|ClusterRoleBinding)(List)?$|^(PolicyRule|AggregationRule|Subject|RoleRef)$/;
const SCHEDULING_TYPES = new Set(['PriorityClass', 'PriorityClassList']);
// node-runtimeclass.proto: node.k8s.io/v1.
const NODE_TYPES = new Set(['RuntimeClass', 'RuntimeClassList', 'Overhead', 'Scheduling']);
// flowcontrol.proto: flowcontrol.apiserver.k8s.io/v1 (FlowSubject is its Subject, apart from RBAC's).
const FLOWCONTROL_TYPES = /^(FlowSchema(List|Spec|Status|Condition)?|PriorityLevelConfiguration(List|Spec|Status|Condition|Reference)?|FlowDistinguisherMethod|PolicyRulesWithSubjects|(User|Group|ServiceAccount)Subject|(Non)?ResourcePolicyRule|(Limited|Exempt)PriorityLevelConfiguration|LimitResponse|QueuingConfiguration)$/;
const CERTIFICATES_TYPES = /^CertificateSigningRequest(List|Spec|Status|Condition)?$/;
// admissionregistration.proto: every message is admissionregistration.k8s.io/v1.
const ADMISSIONREGISTRATION_TYPES = /^((Validating|Mutating)Webhook(Configuration(List)?)?|ServiceReference|WebhookClientConfig|RuleWithOperations|MatchCondition)$/;
// admissionregistration-policy.proto: admissionregistration.k8s.io/v1 too.
const ADMISSION_POLICY_TYPES = /^(ValidatingAdmissionPolicy(Binding)?(List|Spec|Status)?|ValidatingAdmissionPolicyBindingSpec|ParamKind|ParamRef|NamedRuleWithOperations|MatchResources|Validation|Variable|AuditAnnotation|ExpressionWarning|TypeChecking)$/;
const POLICY_TYPES = new Set(['PodDisruptionBudget', 'PodDisruptionBudgetList', 'PodDisruptionBudgetSpec', 'PodDisruptionBudgetStatus']);
// autoscaling/v2 messages; the autoscaling/v1 ones carry a V1 suffix (HorizontalPodAutoscalerSpecV1).
const AUTOSCALING_V2_TYPES = /^(HorizontalPodAutoscaler|CrossVersionObjectReference|MetricSpec|MetricStatus|MetricTarget|MetricValueStatus|MetricIdentifier|HPAScaling|(Object|Pods|Resource|ContainerResource|External)Metric(Source|Status))/;
const AUTOSCALING_V1_SUFFIX = /^(HorizontalPodAutoscaler(Spec|Status)?|CrossVersionObjectReference)V1(List)?$/;
// events.k8s.io/v1 messages carry an Events prefix (EventsEventSeries is io.k8s.api.events.v1.EventSeries).
const EVENTS_TYPES = /^Events(Event(List|Series)?)$/;
const DISCOVERY_TYPES = new Set(['EndpointSlice', 'EndpointSliceList', 'Endpoint', 'EndpointConditions', 'EndpointHints', 'ForZone', 'ForNode']);

/** The OpenAPI definition name Kubernetes uses for a message: `io.k8s.api.core.v1.Pod`. */
export function definitionName(typeName: string): string {
  if (META_TYPES.has(typeName)) return `io.k8s.apimachinery.pkg.apis.meta.v1.${typeName}`;
  if (COORDINATION_TYPES.has(typeName)) return `io.k8s.api.coordination.v1.${typeName}`;
  if (APPS_TYPES.has(typeName) || APPS_SET_TYPES.test(typeName)) return `io.k8s.api.apps.v1.${typeName}`;
  if (BATCH_TYPES.has(typeName)) return `io.k8s.api.batch.v1.${typeName}`;
  if (AUTHENTICATION_TYPES.has(typeName)) return `io.k8s.api.authentication.v1.${typeName}`;
  if (AUTOSCALING_TYPES.has(typeName)) return `io.k8s.api.autoscaling.v1.${typeName}`;
  if (NETWORKING_TYPES.test(typeName)) return `io.k8s.api.networking.v1.${typeName}`;
  if (AUTOSCALING_V1_SUFFIX.test(typeName)) return `io.k8s.api.autoscaling.v1.${typeName.replace('V1', '')}`;
  if (AUTOSCALING_V2_TYPES.test(typeName)) return `io.k8s.api.autoscaling.v2.${typeName}`;
  if (EVENTS_TYPES.test(typeName)) return `io.k8s.api.events.v1.${typeName.slice('Events'.length)}`;
  if (POLICY_TYPES.has(typeName)) return `io.k8s.api.policy.v1.${typeName}`;
  if (STORAGE_TYPES.has(typeName)) return `io.k8s.api.storage.v1.${typeName}`;
  if (STORAGE_CSI_TYPES.test(typeName)) return `io.k8s.api.storage.v1.${typeName}`;
  if (typeName === 'StorageTokenRequest') return 'io.k8s.api.storage.v1.TokenRequest';
  if (DISCOVERY_TYPES.has(typeName)) return `io.k8s.api.discovery.v1.${typeName}`;
  if (RBAC_TYPES.test(typeName)) return `io.k8s.api.rbac.v1.${typeName}`;
  if (SCHEDULING_TYPES.has(typeName)) return `io.k8s.api.scheduling.v1.${typeName}`;
  if (NODE_TYPES.has(typeName)) return `io.k8s.api.node.v1.${typeName}`;
  if (FLOWCONTROL_TYPES.test(typeName)) return `io.k8s.api.flowcontrol.v1.${typeName}`;
  if (typeName === 'FlowSubject') return 'io.k8s.api.flowcontrol.v1.Subject';
  if (CERTIFICATES_TYPES.test(typeName)) return `io.k8s.api.certificates.v1.${typeName}`;
  if (ADMISSIONREGISTRATION_TYPES.test(typeName) || ADMISSION_POLICY_TYPES.test(typeName)) return `io.k8s.api.admissionregistration.v1.${typeName}`;
  // The proto package has one EndpointPort (core/v1); discovery's is EndpointSlicePort here.
  if (typeName === 'EndpointSlicePort') return 'io.k8s.api.discovery.v1.EndpointPort';
  if (typeName === 'Condition') return 'io.k8s.apimachinery.pkg.apis.meta.v1.Condition';
  return `io.k8s.api.core.v1.${typeName}`;
}
