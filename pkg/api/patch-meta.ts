// Strategic-merge-patch metadata: how each field merges (the `patchStrategy` and `patchMergeKey`
// struct tags of the Kubernetes 1.32 Go types). One table feeds both the strategic merge patch
// (patch.ts) and the OpenAPI documents (x-kubernetes-patch-strategy / -merge-key), which kubectl
// reads to compute its patches: a field missing here is one kubectl's apply and patch treat as
// plain (lists replaced whole, structs merged without $retainKeys).
// Lists not named here are atomic for a patch: it replaces them whole (args, command, tolerations, ...).

export interface PatchMeta {
  /**
   * `merge`: list items are merged by mergeKey (or, for lists of scalars, unioned);
   * `retainKeys`: kubectl sends `$retainKeys` with the struct, so fields it no longer sets are
   * cleared (a Recreate strategy drops rollingUpdate); `replace`: the patch replaces the struct whole.
   */
  strategy: 'merge' | 'merge,retainKeys' | 'retainKeys' | 'replace';
  /** Field identifying an item in a list of objects; absent for lists of scalars and structs. */
  mergeKey?: string;
}

const MERGE_BY_TYPE: PatchMeta = { strategy: 'merge', mergeKey: 'type' };
const MERGE_BY_NAME: PatchMeta = { strategy: 'merge', mergeKey: 'name' };

/** message type name → field name → metadata. */
export const PATCH_META: Record<string, Record<string, PatchMeta>> = {
  ObjectMeta: {
    finalizers: { strategy: 'merge' },
    ownerReferences: { strategy: 'merge', mergeKey: 'uid' },
  },
  PodSpec: {
    volumes: { strategy: 'merge,retainKeys', mergeKey: 'name' },
    initContainers: MERGE_BY_NAME,
    containers: MERGE_BY_NAME,
    ephemeralContainers: MERGE_BY_NAME,
    imagePullSecrets: MERGE_BY_NAME,
    hostAliases: { strategy: 'merge', mergeKey: 'ip' },
    topologySpreadConstraints: { strategy: 'merge', mergeKey: 'topologyKey' },
    schedulingGates: MERGE_BY_NAME,
    resourceClaims: { strategy: 'merge,retainKeys', mergeKey: 'name' },
  },
  Container: {
    ports: { strategy: 'merge', mergeKey: 'containerPort' },
    env: MERGE_BY_NAME,
    volumeMounts: { strategy: 'merge', mergeKey: 'mountPath' },
    volumeDevices: { strategy: 'merge', mergeKey: 'devicePath' },
  },
  EphemeralContainer: {
    ports: { strategy: 'merge', mergeKey: 'containerPort' },
    env: MERGE_BY_NAME,
    volumeMounts: { strategy: 'merge', mergeKey: 'mountPath' },
    volumeDevices: { strategy: 'merge', mergeKey: 'devicePath' },
  },
  ContainerStatus: {
    volumeMounts: { strategy: 'merge', mergeKey: 'mountPath' },
    allocatedResourcesStatus: MERGE_BY_NAME,
  },
  PodStatus: {
    conditions: MERGE_BY_TYPE,
    podIPs: { strategy: 'merge', mergeKey: 'ip' },
    hostIPs: { strategy: 'merge', mergeKey: 'ip' },
    resourceClaimStatuses: { strategy: 'merge,retainKeys', mergeKey: 'name' },
  },
  NodeSpec: {
    podCIDRs: { strategy: 'merge' },
  },
  // storage.k8s.io/v1 CSINode: drivers merge by name (patchStrategy:"merge" patchMergeKey:"name").
  CSINodeSpec: {
    drivers: MERGE_BY_NAME,
  },
  NodeStatus: {
    conditions: MERGE_BY_TYPE,
    addresses: MERGE_BY_TYPE,
  },
  NamespaceStatus: {
    conditions: MERGE_BY_TYPE,
  },
  ServiceSpec: {
    // (merged by port alone: two ports 53, UDP and TCP, are one item to a strategic patch, as upstream)
    ports: { strategy: 'merge', mergeKey: 'port' },
  },
  ServiceStatus: {
    conditions: MERGE_BY_TYPE,
  },
  ServiceAccount: {
    secrets: MERGE_BY_NAME,
  },
  ReplicationControllerStatus: { conditions: MERGE_BY_TYPE },
  PersistentVolumeClaimStatus: { conditions: MERGE_BY_TYPE },
  DeploymentSpec: {
    strategy: { strategy: 'retainKeys' },
  },
  DeploymentStatus: { conditions: MERGE_BY_TYPE },
  ReplicaSetStatus: { conditions: MERGE_BY_TYPE },
  StatefulSetStatus: { conditions: MERGE_BY_TYPE },
  DaemonSetStatus: { conditions: MERGE_BY_TYPE },
  JobStatus: { conditions: MERGE_BY_TYPE },
  HorizontalPodAutoscalerStatus: { conditions: MERGE_BY_TYPE },
  PodDisruptionBudgetSpec: {
    selector: { strategy: 'replace' },
  },
  PodDisruptionBudgetStatus: { conditions: MERGE_BY_TYPE },
  // flowcontrol.apiserver.k8s.io/v1: conditions merge by type (`+listType=map +listMapKey=type`).
  FlowSchemaStatus: { conditions: MERGE_BY_TYPE },
  PriorityLevelConfigurationStatus: { conditions: MERGE_BY_TYPE },
  ValidatingWebhookConfiguration: { webhooks: MERGE_BY_NAME },
  MutatingWebhookConfiguration: { webhooks: MERGE_BY_NAME },
  ValidatingWebhook: { matchConditions: MERGE_BY_NAME },
  MutatingWebhook: { matchConditions: MERGE_BY_NAME },
  ValidatingAdmissionPolicySpec: {
    matchConditions: MERGE_BY_NAME,
    variables: MERGE_BY_NAME,
  },
};

export function patchMeta(typeName: string, field: string): PatchMeta | undefined {
  return PATCH_META[typeName]?.[field];
}

/** Whether a patch merges the list items of a field (by key, or as a set), rather than replacing the list. */
export const mergesItems = (meta: PatchMeta | undefined): meta is PatchMeta => !!meta && meta.strategy.startsWith('merge');
