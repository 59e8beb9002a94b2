// The Kubernetes API types under their Kubernetes names. The interfaces are generated from
// proto/ (pkg/api/generated, `npm run gen:proto`); this file only re-exports them and adds the
// loose shape every stored object has.
import type { ObjectMeta } from './generated/tskube/api/v1/meta.js';
import type * as config from './generated/tskube/api/v1/config.js';

export type {
  ObjectMeta,
  OwnerReference,
  ManagedFieldsEntry,
  ListMeta,
  LabelSelector,
  LabelSelectorRequirement,
  Status,
  StatusDetails,
  StatusCause,
  WatchEvent,
  DeleteOptions,
  Preconditions,
  ObjectReference,
  LocalObjectReference,
} from './generated/tskube/api/v1/meta.js';

export type {
  Container,
  EphemeralContainer,
  ContainerPort,
  EnvFromSource,
  ConfigMapEnvSource,
  SecretEnvSource,
  EnvVar,
  EnvVarSource,
  ObjectFieldSelector,
  ResourceFieldSelector,
  ConfigMapKeySelector,
  SecretKeySelector,
  ResourceRequirements,
  ResourceClaim,
  ContainerResizePolicy,
  VolumeMount,
  VolumeDevice,
  Probe,
  ExecAction,
  HTTPGetAction,
  HTTPHeader,
  TCPSocketAction,
  GRPCAction,
  SleepAction,
  LifecycleHandler,
  Lifecycle,
  Capabilities,
  SELinuxOptions,
  WindowsSecurityContextOptions,
  SeccompProfile,
  AppArmorProfile,
  SecurityContext,
} from './generated/tskube/api/v1/container.js';

export type {
  Volume,
  EmptyDirVolumeSource,
  HostPathVolumeSource,
  KeyToPath,
  ConfigMapVolumeSource,
  SecretVolumeSource,
  DownwardAPIVolumeFile,
  DownwardAPIVolumeSource,
  ProjectedVolumeSource,
  VolumeProjection,
  SecretProjection,
  ConfigMapProjection,
  DownwardAPIProjection,
  ServiceAccountTokenProjection,
  PersistentVolumeClaimVolumeSource,
  EphemeralVolumeSource,
  PersistentVolumeClaimTemplate,
  PersistentVolumeClaimSpec,
  VolumeResourceRequirements,
} from './generated/tskube/api/v1/volume.js';

export type {
  Pod,
  PodList,
  PodSpec,
  PodSecurityContext,
  Sysctl,
  Affinity,
  NodeAffinity,
  NodeSelector,
  NodeSelectorTerm,
  NodeSelectorRequirement,
  PreferredSchedulingTerm,
  PodAffinity,
  PodAntiAffinity,
  PodAffinityTerm,
  WeightedPodAffinityTerm,
  Toleration,
  HostAlias,
  PodDNSConfig,
  PodDNSConfigOption,
  PodReadinessGate,
  TopologySpreadConstraint,
  PodOS,
  PodSchedulingGate,
  PodStatus,
  PodCondition,
  HostIP,
  PodIP,
  ContainerStatus,
  VolumeMountStatus,
  ContainerState,
  ContainerStateWaiting,
  ContainerStateRunning,
  ContainerStateTerminated,
  Binding,
} from './generated/tskube/api/v1/pod.js';

export type {
  Node,
  NodeList,
  NodeSpec,
  Taint,
  NodeStatus,
  NodeCondition,
  NodeAddress,
  NodeDaemonEndpoints,
  DaemonEndpoint,
  NodeSystemInfo,
  ContainerImage,
  NodeRuntimeHandler,
  NodeRuntimeHandlerFeatures,
  NodeFeatures,
  Namespace,
  NamespaceList,
  NamespaceSpec,
  NamespaceStatus,
  NamespaceCondition,
} from './generated/tskube/api/v1/node.js';

export type { Event, EventList, EventSource, EventSeries, EventsEvent, EventsEventSeries, Lease, LeaseList, LeaseSpec } from './generated/tskube/api/v1/event.js';

export type {
  Service,
  ServiceList,
  ServiceSpec,
  ServicePort,
  SessionAffinityConfig,
  ClientIPConfig,
  ServiceStatus,
  LoadBalancerStatus,
  LoadBalancerIngress,
  PortStatus,
  Condition,
  Endpoints,
  EndpointsList,
  EndpointSubset,
  EndpointAddress,
  EndpointPort,
  EndpointSlice,
  EndpointSliceList,
  Endpoint,
  EndpointConditions,
  EndpointHints,
  ForZone,
  ForNode,
  EndpointSlicePort,
} from './generated/tskube/api/v1/service.js';

/** Base64 text as JSON carries proto `bytes` (ts-proto types them as Buffer). */
type Base64Map = { [key: string]: string };
export type ConfigMap = Omit<config.ConfigMap, 'binaryData'> & { binaryData?: Base64Map | undefined };
export type ConfigMapList = Omit<config.ConfigMapList, 'items'> & { items?: ConfigMap[] | undefined };
export type Secret = Omit<config.Secret, 'data'> & { data?: Base64Map | undefined };
export type SecretList = Omit<config.SecretList, 'items'> & { items?: Secret[] | undefined };

/** Any stored object, before or after decoding: Kubernetes JSON with optional typed metadata. */
export type KubeObject = { apiVersion?: string; kind?: string; metadata?: ObjectMeta; [k: string]: unknown };

/** A list as served by the API: `PodList`, `NodeList`, ... */
export interface KubeList<T = KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata?: { resourceVersion?: string; continue?: string; remainingItemCount?: number; selfLink?: string };
  items: T[];
}

export type {
  PodTemplate,
  PodTemplateList,
  PodTemplateSpec,
  ReplicaSet,
  ReplicaSetList,
  ReplicaSetSpec,
  ReplicaSetStatus,
  ReplicaSetCondition,
  Deployment,
  DeploymentList,
  DeploymentSpec,
  DeploymentStrategy,
  RollingUpdateDeployment,
  DeploymentStatus,
  DeploymentCondition,
  Scale,
  ScaleSpec,
  ScaleStatus,
} from './generated/tskube/api/v1/apps.js';
export type {
  ReplicationController,
  ReplicationControllerList,
  ReplicationControllerSpec,
  ReplicationControllerStatus,
  ReplicationControllerCondition,
} from './generated/tskube/api/v1/replication.js';

export type {
  Job,
  JobList,
  JobSpec,
  JobStatus,
  JobCondition,
  JobTemplateSpec,
  PodFailurePolicy,
  PodFailurePolicyRule,
  SuccessPolicy,
  SuccessPolicyRule,
  CronJob,
  CronJobList,
  CronJobSpec,
  CronJobStatus,
} from './generated/tskube/api/v1/batch.js';

export type {
  DaemonSet,
  DaemonSetList,
  DaemonSetSpec,
  DaemonSetStatus,
  DaemonSetUpdateStrategy,
  RollingUpdateDaemonSet,
  StatefulSet,
  StatefulSetList,
  StatefulSetSpec,
  StatefulSetStatus,
  StatefulSetUpdateStrategy,
  RollingUpdateStatefulSetStrategy,
  ControllerRevision,
} from './generated/tskube/api/v1/apps-sets.js';

export type {
  ServiceAccount,
  ServiceAccountList,
  TokenRequest,
  TokenRequestSpec,
  TokenRequestStatus,
  BoundObjectReference,
} from './generated/tskube/api/v1/serviceaccount.js';

export type {
  NetworkPolicy,
  NetworkPolicyList,
  NetworkPolicySpec,
  NetworkPolicyIngressRule,
  NetworkPolicyEgressRule,
  NetworkPolicyPort,
  NetworkPolicyPeer,
  IPBlock,
} from './generated/tskube/api/v1/networking.js';

export type {
  Ingress,
  IngressList,
  IngressSpec,
  IngressBackend,
  IngressServiceBackend,
  ServiceBackendPort,
  TypedLocalObjectReference,
  IngressTLS,
  IngressRule,
  HTTPIngressRuleValue,
  HTTPIngressPath,
  IngressStatus,
  IngressLoadBalancerStatus,
  IngressLoadBalancerIngress,
  IngressPortStatus,
  IngressClass,
  IngressClassList,
  IngressClassSpec,
  IngressClassParametersReference,
} from './generated/tskube/api/v1/networking-ingress.js';

export type {
  PersistentVolume,
  PersistentVolumeList,
  PersistentVolumeSpec,
  PersistentVolumeStatus,
  LocalVolumeSource,
  VolumeNodeAffinity,
  PersistentVolumeClaim,
  PersistentVolumeClaimList,
  PersistentVolumeClaimStatus,
  PersistentVolumeClaimCondition,
  StorageClass,
  StorageClassList,
} from './generated/tskube/api/v1/storage.js';
export type {
  CSIDriver,
  CSIDriverList,
  CSIDriverSpec,
  StorageTokenRequest,
  CSINode,
  CSINodeList,
  CSINodeSpec,
  CSINodeDriver,
  CSIStorageCapacity,
  CSIStorageCapacityList,
  VolumeAttachment,
  VolumeAttachmentList,
  VolumeAttachmentSpec,
  VolumeAttachmentSource,
  VolumeAttachmentStatus,
  VolumeError,
} from './generated/tskube/api/v1/storage-csi.js';

export type {
  PolicyRule,
  Role,
  RoleList,
  ClusterRole,
  ClusterRoleList,
  AggregationRule,
  Subject,
  RoleRef,
  RoleBinding,
  RoleBindingList,
  ClusterRoleBinding,
  ClusterRoleBindingList,
} from './generated/tskube/api/v1/rbac.js';
export type { PriorityClass, PriorityClassList } from './generated/tskube/api/v1/scheduling.js';
export type { RuntimeClass, RuntimeClassList, Overhead, Scheduling } from './generated/tskube/api/v1/node-runtimeclass.js';
export type { CertificateSigningRequest, CertificateSigningRequestCondition, CertificateSigningRequestList } from './generated/tskube/api/v1/certificates.js';
export type {
  FlowSchema,
  FlowSchemaList,
  FlowSchemaSpec,
  FlowSchemaStatus,
  FlowSchemaCondition,
  FlowSubject,
  PolicyRulesWithSubjects,
  ResourcePolicyRule,
  NonResourcePolicyRule,
  PriorityLevelConfiguration,
  PriorityLevelConfigurationList,
  PriorityLevelConfigurationSpec,
  PriorityLevelConfigurationStatus,
  PriorityLevelConfigurationCondition,
  LimitedPriorityLevelConfiguration,
  ExemptPriorityLevelConfiguration,
  LimitResponse,
  QueuingConfiguration,
} from './generated/tskube/api/v1/flowcontrol.js';
export type {
  MutatingWebhook,
  MutatingWebhookConfiguration,
  MutatingWebhookConfigurationList,
  RuleWithOperations,
  ServiceReference,
  ValidatingWebhook,
  ValidatingWebhookConfiguration,
  ValidatingWebhookConfigurationList,
  WebhookClientConfig,
} from './generated/tskube/api/v1/admissionregistration.js';
export type {
  AuditAnnotation,
  MatchResources,
  NamedRuleWithOperations,
  ParamKind,
  ParamRef,
  ValidatingAdmissionPolicy,
  ValidatingAdmissionPolicyBinding,
  ValidatingAdmissionPolicyBindingList,
  ValidatingAdmissionPolicyList,
  Validation,
  Variable,
} from './generated/tskube/api/v1/admissionregistration-policy.js';
export type { LimitRange, LimitRangeList, LimitRangeItem, LimitRangeSpec } from './generated/tskube/api/v1/policy-limits.js';
export type { ResourceQuota, ResourceQuotaList, ResourceQuotaSpec, ResourceQuotaStatus } from './generated/tskube/api/v1/policy-quota.js';
export type { PodDisruptionBudget, PodDisruptionBudgetList, PodDisruptionBudgetSpec, PodDisruptionBudgetStatus } from './generated/tskube/api/v1/policy.js';

export type {
  HorizontalPodAutoscaler,
  HorizontalPodAutoscalerList,
  HorizontalPodAutoscalerSpec,
  HorizontalPodAutoscalerStatus,
  HorizontalPodAutoscalerCondition,
  HorizontalPodAutoscalerBehavior,
  HPAScalingRules,
  HPAScalingPolicy,
  CrossVersionObjectReference,
  MetricSpec,
  MetricTarget,
  MetricStatus,
  MetricValueStatus,
  MetricIdentifier,
  ResourceMetricSource,
  ContainerResourceMetricSource,
  HorizontalPodAutoscalerV1,
  HorizontalPodAutoscalerSpecV1,
  HorizontalPodAutoscalerStatusV1,
} from './generated/tskube/api/v1/autoscaling.js';
