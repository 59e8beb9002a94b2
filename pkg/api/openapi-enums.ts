// The string fields Kubernetes marks +enum, with their values as its OpenAPI lists them
// (sorted), keyed by `Message.field` of our proto messages: `kubectl explain` prints them
// under ENUM. A repeated field's values apply to its items.
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const EFFECTS = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'];
const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];
const VOLUME_MODES = ['Block', 'Filesystem'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];
const UPDATE_STRATEGIES = ['OnDelete', 'RollingUpdate'];

export const ENUMS: Record<string, string[]> = {
  'PodSpec.restartPolicy': ['Always', 'Never', 'OnFailure'],
  'PodSpec.dnsPolicy': ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'],
  'PodSpec.preemptionPolicy': ['Never', 'PreemptLowerPriority'],
  'Container.imagePullPolicy': ['Always', 'IfNotPresent', 'Never'],
  'Container.terminationMessagePolicy': ['FallbackToLogsOnError', 'File'],
  'ContainerPort.protocol': PROTOCOLS,
  'ServicePort.protocol': PROTOCOLS,
  'EndpointPort.protocol': PROTOCOLS,
  'NetworkPolicyPort.protocol': PROTOCOLS,
  'ServiceSpec.type': ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'],
  'ServiceSpec.externalTrafficPolicy': TRAFFIC_POLICIES,
  'ServiceSpec.internalTrafficPolicy': TRAFFIC_POLICIES,
  'ServiceSpec.sessionAffinity': ['ClientIP', 'None'],
  'ServiceSpec.ipFamilyPolicy': ['PreferDualStack', 'RequireDualStack', 'SingleStack'],
  'Toleration.operator': ['Equal', 'Exists'],
  'Toleration.effect': EFFECTS,
  'Taint.effect': EFFECTS,
  'NodeSelectorRequirement.operator': ['DoesNotExist', 'Exists', 'Gt', 'In', 'Lt', 'NotIn'],
  'PodStatus.phase': ['Failed', 'Pending', 'Running', 'Succeeded', 'Unknown'],
  'PodStatus.qosClass': ['BestEffort', 'Burstable', 'Guaranteed'],
  'NodeStatus.phase': ['Pending', 'Running', 'Terminated'],
  'NamespaceStatus.phase': ['Active', 'Terminating'],
  'HTTPGetAction.scheme': ['HTTP', 'HTTPS'],
  'VolumeMount.mountPropagation': ['Bidirectional', 'HostToContainer', 'None'],
  'HostPathVolumeSource.type': ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'],
  'SeccompProfile.type': ['Localhost', 'RuntimeDefault', 'Unconfined'],
  'PersistentVolumeSpec.accessModes': ACCESS_MODES,
  'PersistentVolumeClaimSpec.accessModes': ACCESS_MODES,
  'PersistentVolumeSpec.persistentVolumeReclaimPolicy': RECLAIM_POLICIES,
  'PersistentVolumeSpec.volumeMode': VOLUME_MODES,
  'PersistentVolumeClaimSpec.volumeMode': VOLUME_MODES,
  'PersistentVolumeStatus.phase': ['Available', 'Bound', 'Failed', 'Pending', 'Released'],
  'PersistentVolumeClaimStatus.phase': ['Bound', 'Lost', 'Pending'],
  'StorageClass.reclaimPolicy': RECLAIM_POLICIES,
  'StorageClass.volumeBindingMode': ['Immediate', 'WaitForFirstConsumer'],
  'DeploymentStrategy.type': ['Recreate', 'RollingUpdate'],
  'DaemonSetUpdateStrategy.type': UPDATE_STRATEGIES,
  'StatefulSetUpdateStrategy.type': UPDATE_STRATEGIES,
  'StatefulSetSpec.podManagementPolicy': ['OrderedReady', 'Parallel'],
  'CronJobSpec.concurrencyPolicy': ['Allow', 'Forbid', 'Replace'],
  'JobSpec.completionMode': ['Indexed', 'NonIndexed'],
  'HTTPIngressPath.pathType': ['Exact', 'ImplementationSpecific', 'Prefix'],
  'NetworkPolicySpec.policyTypes': ['Egress', 'Ingress'],
  'ResourceQuotaSpec.scopes': ['BestEffort', 'CrossNamespacePodAffinity', 'NotBestEffort', 'NotTerminating', 'PriorityClass', 'Terminating'],
  'LimitRangeItem.type': ['Container', 'PersistentVolumeClaim', 'Pod'],
  'AzureDiskVolumeSource.cachingMode': ['None', 'ReadOnly', 'ReadWrite'],
  'AzureDiskVolumeSource.kind': ['Dedicated', 'Managed', 'Shared'],
  'ImageVolumeSource.pullPolicy': ['Always', 'IfNotPresent', 'Never'],
  'ModifyVolumeStatus.status': ['InProgress', 'Infeasible', 'Pending'],
};
