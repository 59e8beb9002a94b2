// Strategic-merge-patch metadata: how each list field merges (the `patchStrategy` and
// `patchMergeKey` struct tags of the Kubernetes Go types). One table feeds both the strategic
// merge patch (patch.ts) and the OpenAPI documents (x-kubernetes-patch-strategy / -merge-key).
// Lists not named here are atomic: a patch replaces them whole (args, command, tolerations, ...).

export interface ListPatchMeta {
  /** `merge`: items are merged by mergeKey (or, for lists of scalars, unioned). */
  strategy: 'merge' | 'merge,retainKeys';
  /** Field identifying an item in a list of objects; absent for lists of scalars. */
  mergeKey?: string;
}

/** message type name → field name → metadata. */
export const PATCH_META: Record<string, Record<string, ListPatchMeta>> = {
  ObjectMeta: {
    finalizers: { strategy: 'merge' },
    ownerReferences: { strategy: 'merge', mergeKey: 'uid' },
  },
  PodSpec: {
    volumes: { strategy: 'merge,retainKeys', mergeKey: 'name' },
    initContainers: { strategy: 'merge', mergeKey: 'name' },
    containers: { strategy: 'merge', mergeKey: 'name' },
    ephemeralContainers: { strategy: 'merge', mergeKey: 'name' },
    imagePullSecrets: { strategy: 'merge', mergeKey: 'name' },
    hostAliases: { strategy: 'merge', mergeKey: 'ip' },
    topologySpreadConstraints: { strategy: 'merge', mergeKey: 'topologyKey' },
    schedulingGates: { strategy: 'merge', mergeKey: 'name' },
  },
  Container: {
    ports: { strategy: 'merge', mergeKey: 'containerPort' },
    env: { strategy: 'merge', mergeKey: 'name' },
    volumeMounts: { strategy: 'merge', mergeKey: 'mountPath' },
    volumeDevices: { strategy: 'merge', mergeKey: 'devicePath' },
  },
  EphemeralContainer: {
    ports: { strategy: 'merge', mergeKey: 'containerPort' },
    env: { strategy: 'merge', mergeKey: 'name' },
    volumeMounts: { strategy: 'merge', mergeKey: 'mountPath' },
    volumeDevices: { strategy: 'merge', mergeKey: 'devicePath' },
  },
  PodStatus: {
    conditions: { strategy: 'merge', mergeKey: 'type' },
    podIPs: { strategy: 'merge', mergeKey: 'ip' },
    hostIPs: { strategy: 'merge', mergeKey: 'ip' },
  },
  NodeSpec: {
    podCIDRs: { strategy: 'merge' },
  },
  NodeStatus: {
    conditions: { strategy: 'merge', mergeKey: 'type' },
    addresses: { strategy: 'merge', mergeKey: 'type' },
  },
  NamespaceStatus: {
    conditions: { strategy: 'merge', mergeKey: 'type' },
  },
  ServiceSpec: {
    ports: { strategy: 'merge', mergeKey: 'port' },
  },
  ServiceStatus: {
    conditions: { strategy: 'merge', mergeKey: 'type' },
  },
};

export function listPatchMeta(typeName: string, field: string): ListPatchMeta | undefined {
  return PATCH_META[typeName]?.[field];
}
