// The admission plugins kube-apiserver runs for storage: DefaultStorageClass (a claim that names
// no class gets the default one), StorageObjectInUseProtection (claims and volumes are created
// with their protection finalizers) and PersistentVolumeClaimResize (a claim may grow only when
// its class allows volume expansion).
import { ANN_BETA_STORAGE_CLASS, claimClass, defaultClassOf, PV_PROTECTION_FINALIZER, PVC_PROTECTION_FINALIZER } from '../api/persistent-volumes.js';
import { compareQuantities, isValidQuantity } from '../api/quantity.js';
import type { KubeObject, PersistentVolumeClaim, StorageClass } from '../api/types.js';
import type { AdmissionPlugin } from './admission.js';
import { ApiError } from './errors.js';

/** What the plugins read: the StorageClasses as the apiserver's watch cache holds them. */
export interface StorageClassLister {
  list(): StorageClass[];
  get(name: string): StorageClass | undefined;
}

function addFinalizer(obj: KubeObject, f: string): void {
  const meta = (obj.metadata ??= {});
  if (!meta.finalizers?.includes(f)) meta.finalizers = [...(meta.finalizers ?? []), f];
}

export function defaultStorageClassAdmission(classes: StorageClassLister): AdmissionPlugin {
  return {
    name: 'DefaultStorageClass',
    resources: ['persistentvolumeclaims'],
    reads: ['storageclasses'],
    admit(req) {
      if (req.operation !== 'CREATE') return;
      const pvc = req.obj as PersistentVolumeClaim;
      const spec = (pvc.spec ??= {});
      const named = (spec.storageClassName !== undefined && spec.storageClassName !== null) || pvc.metadata?.annotations?.[ANN_BETA_STORAGE_CLASS] !== undefined;
      if (named) return;
      const def = defaultClassOf(classes.list());
      if (def) spec.storageClassName = def.metadata!.name!;
    },
  };
}

export const storageObjectInUseProtection: AdmissionPlugin = {
  name: 'StorageObjectInUseProtection',
  resources: ['persistentvolumes', 'persistentvolumeclaims'],
  admit(req) {
    if (req.operation !== 'CREATE') return;
    addFinalizer(req.obj!, req.resource.name === 'persistentvolumes' ? PV_PROTECTION_FINALIZER : PVC_PROTECTION_FINALIZER);
  },
};

export function claimResizeAdmission(classes: StorageClassLister): AdmissionPlugin {
  return {
    name: 'PersistentVolumeClaimResize',
    resources: ['persistentvolumeclaims'],
    reads: ['storageclasses'],
    validate(req) {
      if (req.operation !== 'UPDATE' || req.subresource) return;
      const pvc = req.obj as PersistentVolumeClaim;
      const prev = req.old as PersistentVolumeClaim;
      const size = pvc.spec?.resources?.requests?.storage;
      const oldSize = prev.spec?.resources?.requests?.storage;
      if (!size || !oldSize || !isValidQuantity(size) || !isValidQuantity(oldSize) || compareQuantities(size, oldSize) <= 0) return;
      const cls = claimClass(pvc);
      if (cls && cls === claimClass(prev) && classes.get(cls)?.allowVolumeExpansion === true) return;
      const name = pvc.metadata?.name ?? '';
      throw new ApiError(403, 'Forbidden', `persistentvolumeclaims "${name}" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize`, { name, kind: 'persistentvolumeclaims' });
    },
  };
}

export const storageAdmission = (classes: StorageClassLister): AdmissionPlugin[] => [defaultStorageClassAdmission(classes), storageObjectInUseProtection, claimResizeAdmission(classes)];
