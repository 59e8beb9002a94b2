// The cells of `kubectl get pv`, `get pvc` and `get sc` as Kubernetes' printers compute them
// (printPersistentVolume, printPersistentVolumeClaim, printStorageClass): Terminating while
// deleted, a claim's capacity and access modes only once it names its volume, `(default)` after
// the default class's name.
import { accessModesString, claimClass, isDefaultClass, volumeClass } from '../../api/persistent-volumes.js';
import type { CSIDriver, PersistentVolume, PersistentVolumeClaim, StorageClass, VolumeAttachment } from '../../api/types.js';

export function persistentVolumeCells(pv: PersistentVolume): { capacity: string; accessModes: string; reclaimPolicy: string; status: string; claim: string; storageClass: string; volumeAttributesClass: string; reason: string; volumeMode: string } {
  const spec = pv.spec ?? {};
  const ref = spec.claimRef;
  return {
    capacity: spec.capacity?.storage ?? '0',
    accessModes: accessModesString(spec.accessModes),
    reclaimPolicy: spec.persistentVolumeReclaimPolicy ?? '',
    status: pv.metadata?.deletionTimestamp ? 'Terminating' : (pv.status?.phase ?? ''),
    claim: ref ? `${ref.namespace ?? ''}/${ref.name ?? ''}` : '',
    storageClass: volumeClass(pv),
    volumeAttributesClass: '<unset>',
    reason: pv.status?.reason ?? '',
    volumeMode: spec.volumeMode || '<unset>',
  };
}

export function persistentVolumeClaimCells(pvc: PersistentVolumeClaim): { status: string; volume: string; capacity: string; accessModes: string; storageClass: string; volumeAttributesClass: string; volumeMode: string } {
  const spec = pvc.spec ?? {};
  const bound = !!spec.volumeName;
  return {
    status: pvc.metadata?.deletionTimestamp ? 'Terminating' : (pvc.status?.phase ?? ''),
    volume: spec.volumeName ?? '',
    capacity: bound ? (pvc.status?.capacity?.storage ?? '0') : '',
    accessModes: bound ? accessModesString(pvc.status?.accessModes) : '',
    storageClass: claimClass(pvc),
    volumeAttributesClass: '<unset>',
    volumeMode: spec.volumeMode || '<unset>',
  };
}

export function storageClassCells(sc: StorageClass): { name: string; provisioner: string; reclaimPolicy: string; volumeBindingMode: string; allowVolumeExpansion: string } {
  return {
    name: isDefaultClass(sc) ? `${sc.metadata?.name} (default)` : (sc.metadata?.name ?? ''),
    provisioner: sc.provisioner ?? '',
    reclaimPolicy: sc.reclaimPolicy || 'Delete',
    volumeBindingMode: sc.volumeBindingMode || 'Immediate',
    allowVolumeExpansion: String(sc.allowVolumeExpansion ?? false),
  };
}

/**
 * printCSIDriver: ATTACHREQUIRED, PODINFOONMOUNT, STORAGECAPACITY, TOKENREQUESTS (audiences,
 * <unset> without the list), REQUIRESREPUBLISH, MODES (<none> when empty); unset switches print
 * as their defaults.
 */
export function csiDriverCells(d: CSIDriver): unknown[] {
  const s = d.spec ?? {};
  const modes = (s.volumeLifecycleModes ?? []).join(',');
  const tokens = s.tokenRequests ? s.tokenRequests.map((t) => t.audience ?? '').join(',') : '<unset>';
  return [s.attachRequired ?? true, s.podInfoOnMount ?? false, s.storageCapacity ?? false, tokens, s.requiresRepublish ?? false, modes || '<none>'];
}

/** printVolumeAttachment: ATTACHER, PV (empty for an inline volume), NODE, ATTACHED. */
export function volumeAttachmentCells(va: VolumeAttachment): unknown[] {
  const s = va.spec ?? {};
  return [s.attacher ?? '', s.source?.persistentVolumeName ?? '', s.nodeName ?? '', va.status?.attached ?? false];
}
