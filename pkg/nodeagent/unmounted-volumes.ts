// Volume sources the node agent does not mount (nfs, iscsi, csi, gitRepo, cephfs, rbd, fc,
// flexVolume, the cloud disks): 1.32's apiserver takes them, and its kubelet would mount them with
// a plugin or a CSI driver. The node agent has neither, so a pod using one waits in
// ContainerCreating with FailedMount events worded as the kubelet words a failed SetUp, retried
// with the kubelet's operation back-off. Nothing is ever sent to the volume's server.
import type { PersistentVolume, Volume } from '../api/types.js';
import { MOUNTABLE_POD_VOLUME_SOURCES, POD_VOLUME_SOURCES, PV_SOURCES } from '../api/validation-volume-sources.js';

/** The source of a pod volume the node agent cannot mount, if it has one. */
export function unmountableSource(v: Volume): string | undefined {
  return POD_VOLUME_SOURCES.find((k) => v[k] != null && !MOUNTABLE_POD_VOLUME_SOURCES.includes(k));
}

/** The source of a PersistentVolume other than hostPath and local, if it has one. */
export function unmountablePersistentVolumeSource(pv: PersistentVolume): string | undefined {
  return PV_SOURCES.find((k) => k !== 'hostPath' && k !== 'local' && pv.spec?.[k] != null);
}

/**
 * The FailedMount message for volume `name` (a pod volume's name, or a claim's PersistentVolume's,
 * as the kubelet names them) of source `kind`. A CSI volume gets the kubelet's own words, true
 * here too: no CSI driver ever registers with this node agent. The rest say plainly what is missing.
 */
export function unmountableMessage(name: string, kind: string, source: Record<string, unknown> | undefined, persistent: boolean): string {
  if (kind === 'csi') {
    const driver = String(source?.driver ?? '');
    return persistent
      ? `MountVolume.MountDevice failed for volume "${name}" : kubernetes.io/csi: attacher.MountDevice failed to create newCsiDriverClient: driver name ${driver} not found in the list of registered CSI drivers`
      : `MountVolume.SetUp failed for volume "${name}" : kubernetes.io/csi: mounter.SetUpAt failed to get CSI client: driver name ${driver} not found in the list of registered CSI drivers`;
  }
  return `MountVolume.SetUp failed for volume "${name}" : the tskube node agent does not mount ${kind} volumes`;
}

/** The kubelet's back-off between attempts of a failed volume operation: 500 ms doubling to 2 min 2 s (exponentialbackoff). */
export const mountRetryMs = (failures: number): number => Math.min(500 * 2 ** Math.max(failures - 1, 0), 122_000);
