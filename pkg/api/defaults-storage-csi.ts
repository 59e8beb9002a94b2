// Defaults of the CSI kinds of storage.k8s.io/v1, as 1.32's pkg/apis/storage/v1/defaults.go
// (SetDefaults_CSIDriver) and its generated defaulters set them: a CSIDriver spells out every
// switch it left unset, so `kubectl get csidrivers` and the kubelet read the same answer.
import { canonicalize, defaultUnmountedVolumeSources } from './defaults.js';
import { canonicalQuantity, isValidQuantity } from './quantity.js';
import type { CSIDriver, CSINode, CSINodeDriver, CSIStorageCapacity, VolumeAttachment } from './types.js';

/**
 * SetDefaults_CSIDriver: attachRequired true, podInfoOnMount, storageCapacity and
 * requiresRepublish false, fsGroupPolicy ReadWriteOnceWithFSType, volumeLifecycleModes
 * [Persistent]; seLinuxMount false because SELinuxMountReadWriteOncePod is on (beta) in 1.32.
 */
export function defaultCSIDriver(d: CSIDriver): CSIDriver {
  const spec = (d.spec ??= {});
  spec.attachRequired ??= true;
  spec.podInfoOnMount ??= false;
  spec.storageCapacity ??= false;
  spec.fsGroupPolicy ??= 'ReadWriteOnceWithFSType';
  if (!spec.volumeLifecycleModes?.length) spec.volumeLifecycleModes = ['Persistent'];
  spec.requiresRepublish ??= false;
  spec.seLinuxMount ??= false;
  return d;
}

/** Quantities are stored in canonical form (1000Mi stays, 1.5Gi is 1536Mi); invalid ones are left for validation. */
export function defaultCSIStorageCapacity(c: CSIStorageCapacity): CSIStorageCapacity {
  if (isValidQuantity(c.capacity)) c.capacity = canonicalQuantity(c.capacity!);
  if (isValidQuantity(c.maximumVolumeSize)) c.maximumVolumeSize = canonicalQuantity(c.maximumVolumeSize!);
  return c;
}

/**
 * The generated defaulter reaches into an inline volume spec as into a PersistentVolume's: the
 * sources' own defaults (hostPath type "", iscsiInterface default, rbd pool, ...) and canonical
 * capacities; the PersistentVolume-level defaults (reclaim policy, volume mode) are not applied.
 */
export function defaultVolumeAttachment(va: VolumeAttachment): VolumeAttachment {
  const inline = va.spec?.source?.inlineVolumeSpec;
  if (inline) {
    if (inline.hostPath && inline.hostPath.type === undefined) inline.hostPath.type = '';
    defaultUnmountedVolumeSources(inline);
    canonicalize(inline.capacity);
  }
  return va;
}

/**
 * A CSINode as kube-apiserver serves it: CSINodeSpec.drivers and CSINodeDriver.topologyKeys are
 * lists without omitempty, so a CSINode stored without them reads back `drivers: null` and a
 * driver without topology keys `topologyKeys: null` (what `kubectl get csinode -o yaml` shows).
 */
export function defaultCSINode(n: CSINode): CSINode {
  const spec = (n.spec ??= {}) as { drivers?: CSINodeDriver[] | null };
  if (spec.drivers === undefined) spec.drivers = null;
  for (const d of spec.drivers ?? []) if (d && d.topologyKeys === undefined) (d as { topologyKeys?: string[] | null }).topologyKeys = null;
  return n;
}
