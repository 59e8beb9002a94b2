// Defaults of PersistentVolumes, PersistentVolumeClaims and StorageClasses (SetDefaults_* in
// pkg/apis/core/v1 and pkg/apis/storage/v1): manually created volumes are retained, both kinds
// are Filesystem volumes, quantities are stored in canonical form; a class deletes what it
// provisions and binds at once unless it says otherwise.
import { canonicalize, defaultUnmountedVolumeSources } from './defaults.js';
import { dropDisabledClaimSpecFields, dropDisabledPersistentVolumeFields } from './gated-fields.js';
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from './types.js';

export function defaultPersistentVolume(pv: PersistentVolume, old?: PersistentVolume | null): PersistentVolume {
  const spec = (pv.spec ??= {});
  dropDisabledPersistentVolumeFields(spec, old?.spec);
  spec.persistentVolumeReclaimPolicy ||= 'Retain';
  spec.volumeMode ||= 'Filesystem';
  if (spec.hostPath && spec.hostPath.type === undefined) spec.hostPath.type = '';
  defaultUnmountedVolumeSources(spec);
  canonicalize(spec.capacity);
  return pv;
}

export function defaultPersistentVolumeClaim(pvc: PersistentVolumeClaim, old?: PersistentVolumeClaim | null): PersistentVolumeClaim {
  const spec = (pvc.spec ??= {});
  dropDisabledClaimSpecFields(spec, old?.spec);
  spec.volumeMode ||= 'Filesystem';
  canonicalize(spec.resources?.requests);
  canonicalize(spec.resources?.limits);
  return pvc;
}

export function defaultStorageClass(sc: StorageClass): StorageClass {
  sc.reclaimPolicy ||= 'Delete';
  sc.volumeBindingMode ||= 'Immediate';
  return sc;
}
