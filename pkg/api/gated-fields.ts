// Fields of 1.32's API behind feature gates that 1.32 leaves off by default: its strategies drop
// them from a new object, and from an updated one whose stored version did not use them
// (pkg/api/pod/util.go dropDisabledFields and dropDisabledPodStatusFields,
// pkg/api/persistentvolumeclaim/util.go, pkg/api/persistentvolume/util.go). tskube follows
// those defaults (kube_features.go's versioned specs at 1.32):
//   ImageVolume (alpha, off): a pod's image volumes are removed whole;
//   ClusterTrustBundleProjection (alpha, off): projected clusterTrustBundle sources are cleared;
//   DynamicResourceAllocation (beta, off): spec.resourceClaims, containers' resources.claims and
//     status.resourceClaimStatuses;
//   SupplementalGroupsPolicy, ResourceHealthStatus (alpha, off): container statuses' user and
//     allocatedResourcesStatus;
//   VolumeAttributesClass (beta, off): volumeAttributesClassName of claims and volumes and the
//     claim status's currentVolumeAttributesClassName and modifyVolumeStatus;
//   CrossNamespaceVolumeDataSource (alpha, off): a dataSourceRef naming a namespace;
// while AnyVolumeDataSource (beta, on) keeps any dataSource and copies it to dataSourceRef and
// back (NormalizeDataSources), and RecoverVolumeExpansionFailure (beta, on) keeps the claim's
// allocatedResources and allocatedResourceStatuses.
import type { Container, PersistentVolumeClaimSpec, PersistentVolumeSpec, PodSpec, PodStatus } from './types.js';
import type { PersistentVolumeClaimStatus } from './generated/tskube/api/v1/storage.js';

const containersOf = (spec: PodSpec | undefined | null): Container[] => [...(spec?.initContainers ?? []), ...(spec?.containers ?? []), ...((spec?.ephemeralContainers ?? []) as Container[])];

const imageVolumesInUse = (old: PodSpec | undefined | null) => (old?.volumes ?? []).some((v) => v.image != null);
const clusterTrustBundleInUse = (old: PodSpec | undefined | null) => (old?.volumes ?? []).some((v) => (v.projected?.sources ?? []).some((s) => s.clusterTrustBundle != null));
/** dynamicResourceAllocationInUse: the pod has claims, or a container uses one. */
const resourceClaimsInUse = (old: PodSpec | undefined | null) => !!old && (!!old.resourceClaims?.length || containersOf(old).some((c) => !!c.resources?.claims?.length));

/** dropDisabledFields' part for these gates, on a pod's (or a template's) spec; `old` is the stored one on update. */
export function dropDisabledPodSpecFields(spec: PodSpec, old?: PodSpec | null): void {
  if (spec.volumes && !imageVolumesInUse(old)) {
    const kept = spec.volumes.filter((v) => v.image == null);
    if (kept.length !== spec.volumes.length) spec.volumes = kept.length ? kept : undefined;
  }
  if (!clusterTrustBundleInUse(old)) for (const v of spec.volumes ?? []) for (const s of v.projected?.sources ?? []) delete s.clusterTrustBundle;
  if (!resourceClaimsInUse(old)) {
    delete spec.resourceClaims;
    for (const c of containersOf(spec)) if (c.resources) delete c.resources.claims;
  }
}

/** dropDisabledPodStatusFields' part for these gates: `old` the stored status, `spec` the pod's. */
export function dropDisabledPodStatusFields(status: PodStatus | undefined | null, old: PodStatus | undefined | null, spec: PodSpec | undefined | null): void {
  if (!status) return;
  if (!resourceClaimsInUse(spec)) delete status.resourceClaimStatuses;
  const all = (s: PodStatus | undefined | null) => [...(s?.initContainerStatuses ?? []), ...(s?.containerStatuses ?? []), ...(s?.ephemeralContainerStatuses ?? [])];
  if (!all(old).some((c) => c.allocatedResourcesStatus != null)) for (const c of all(status)) delete c.allocatedResourcesStatus;
  // (the user field stays only while the pod asks for a supplementalGroupsPolicy, as supplementalGroupsPolicyInUse)
  if (!(spec?.securityContext as { supplementalGroupsPolicy?: string } | undefined)?.supplementalGroupsPolicy) for (const c of all(status)) delete c.user;
}

/**
 * pvcutil.DropDisabledFields, EnforceDataSourceBackwardsCompatibility (a no-op while
 * AnyVolumeDataSource is on) and NormalizeDataSources, on a claim's (or a claim template's) spec.
 */
export function dropDisabledClaimSpecFields(spec: PersistentVolumeClaimSpec, old?: PersistentVolumeClaimSpec | null): void {
  if (old?.volumeAttributesClassName == null) delete spec.volumeAttributesClassName;
  if (spec.dataSourceRef?.namespace && !old?.dataSourceRef) delete spec.dataSourceRef;
  if (spec.dataSource && !spec.dataSourceRef) {
    const { apiGroup, kind, name } = spec.dataSource;
    spec.dataSourceRef = { ...(apiGroup !== undefined ? { apiGroup } : {}), kind, name };
  } else if (spec.dataSourceRef && !spec.dataSource && !spec.dataSourceRef.namespace) {
    const { apiGroup, kind, name } = spec.dataSourceRef;
    spec.dataSource = { ...(apiGroup !== undefined ? { apiGroup } : {}), kind, name };
  }
}

/** pvcutil.DropDisabledFieldsFromStatus: the attributes-class status, unless the stored claim has it. */
export function dropDisabledClaimStatusFields(status: PersistentVolumeClaimStatus | undefined | null, old: PersistentVolumeClaimStatus | undefined | null): void {
  if (!status) return;
  if (old?.currentVolumeAttributesClassName == null) delete status.currentVolumeAttributesClassName;
  if (old?.modifyVolumeStatus == null) delete status.modifyVolumeStatus;
}

/** pvutil.DropDisabledSpecFields. */
export function dropDisabledPersistentVolumeFields(spec: PersistentVolumeSpec, old?: PersistentVolumeSpec | null): void {
  if (old?.volumeAttributesClassName == null) delete spec.volumeAttributesClassName;
}
