// persistentVolumeClaim and generic ephemeral volumes on the node (the ephemeral one's claim is
// <pod>-<volume>, and must be owned by the pod), as the kubelet's volume manager resolves them: the
// claim must exist, not be deleted, and be Bound; its volume must be bound to it; then the
// volume's directory (hostPath or local) is bind-mounted into the containers. A hostPath of type
// DirectoryOrCreate is made when missing; a local-path volume's directory (tskube's provisioner)
// is made only after the volume carries this node's cleanup finalizer, so that a directory on the
// node always has a volume whose deletion waits for the node to remove it.
import { HostPathError, setUpHostPath } from './host-path.js';
import { unmountableMessage, unmountablePersistentVolumeSource } from './unmounted-volumes.js';
import { chmod, mkdir, stat } from 'node:fs/promises';
import { resolve as resolvePath, sep } from 'node:path';
import { ANN_PROVISIONED_BY, ephemeralClaimError, LOCAL_PATH_FINALIZER, LOCAL_PATH_PROVISIONER, volumeClaimName } from '../api/persistent-volumes.js';
import type { PersistentVolume, PersistentVolumeClaim, Pod, Volume } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import { isNotFound, PersistentVolumeClaims, PersistentVolumes } from '../client/rest-client.js';

/** A volume that cannot be mounted (yet): the message is the event's, in the kubelet's words. */
export class VolumeMountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VolumeMountError';
  }
}

export interface MountedClaim {
  /** The host directory to bind-mount. */
  path: string;
  readOnly: boolean;
  /** The plugin that mounts the volume's PV (kubernetes.io/host-path or kubernetes.io/local-volume). */
  plugin?: string;
}

/** What the pod worker asks of the node about a pod's claim volumes. */
export interface ClaimVolumes {
  resolve(pod: Pod, volume: Volume): Promise<MountedClaim>;
}


/** `dir` is inside `root` (both absolute). */
export const isInside = (dir: string, root: string) => resolvePath(dir).startsWith(resolvePath(root) + sep);

export class ClaimVolumeResolver implements ClaimVolumes {
  constructor(
    private readonly client: ApiClient,
    /** This node's local-path directory: the volumes under it are this node's to make and remove. */
    private readonly localPathDir: string,
  ) {}

  async resolve(pod: Pod, v: Volume): Promise<MountedClaim> {
    const ns = pod.metadata!.namespace!;
    const claimName = volumeClaimName(pod, v)!;
    const unprocessed = (why: string) => new VolumeMountError(`Unable to attach or mount volumes: unmounted volumes=[${v.name}], unattached volumes=[], failed to process volumes=[${v.name}]: error processing PVC ${ns}/${claimName}: ${why}`);
    let pvc: PersistentVolumeClaim;
    try {
      pvc = await this.client.get<PersistentVolumeClaim>(PersistentVolumeClaims, ns, claimName);
    } catch (e) {
      if (isNotFound(e)) throw unprocessed(`failed to fetch PVC from API server: persistentvolumeclaims "${claimName}" not found`);
      throw e;
    }
    // (an ephemeral volume's claim must be the one made for this pod)
    const notOurs = v.ephemeral ? ephemeralClaimError(pod, pvc) : undefined;
    if (notOurs) throw unprocessed(notOurs);
    if (pvc.metadata?.deletionTimestamp) throw unprocessed('PVC is being deleted');
    if (pvc.status?.phase !== 'Bound') throw unprocessed('PVC is not bound');
    const pvName = pvc.spec?.volumeName;
    if (!pvName) throw unprocessed('PVC has empty pvc.Spec.VolumeName');
    let pv: PersistentVolume;
    try {
      pv = await this.client.get<PersistentVolume>(PersistentVolumes, undefined, pvName);
    } catch (e) {
      if (isNotFound(e)) throw unprocessed(`failed to fetch PV ${pvName} from API server: persistentvolumes "${pvName}" not found`);
      throw e;
    }
    const refUid = pv.spec?.claimRef?.uid;
    if (refUid !== pvc.metadata?.uid) throw unprocessed(`found bound PV ${pvName} with claimRef uid ${refUid ?? '""'} which does not match the claim's uid ${pvc.metadata?.uid}`);
    const path = pv.spec?.hostPath?.path ?? pv.spec?.local?.path;
    if (!path) {
      const kind = unmountablePersistentVolumeSource(pv);
      throw new VolumeMountError(kind ? unmountableMessage(pvName, kind, pv.spec?.[kind as keyof typeof pv.spec] as Record<string, unknown>, true) : `MountVolume.SetUp failed for volume "${pvName}" : tskube mounts only hostPath and local volumes`);
    }
    await this.prepare(pv, path);
    return { path, readOnly: !!v.persistentVolumeClaim?.readOnly, plugin: pv.spec?.hostPath?.path ? 'kubernetes.io/host-path' : 'kubernetes.io/local-volume' };
  }

  /** The directory is there (made if the volume says so), as the hostPath and local plugins check. */
  private async prepare(pv: PersistentVolume, path: string): Promise<void> {
    const name = pv.metadata!.name!;
    const setUpFailed = (why: string) => new VolumeMountError(`MountVolume.SetUp failed for volume "${name}" : ${why}`);
    const st = await stat(path).catch(() => undefined);
    if (pv.spec?.local) {
      if (!st) throw new VolumeMountError(`MountVolume.NewMounter initialization failed for volume "${name}" : path "${path}" does not exist`);
      return;
    }
    const type = pv.spec?.hostPath?.type ?? '';
    const ours = pv.metadata?.annotations?.[ANN_PROVISIONED_BY] === LOCAL_PATH_PROVISIONER && isInside(path, this.localPathDir);
    if (!(ours && type === 'DirectoryOrCreate' && !st)) {
      await setUpHostPath(path, type).catch((e: Error) => Promise.reject(e instanceof HostPathError ? setUpFailed(e.message) : e));
      return;
    }
    // A local-path volume's directory, made once its cleanup is sure to come.
    if (pv.metadata?.deletionTimestamp) throw setUpFailed('the volume is being deleted');
    await this.holdForCleanup(pv);
    await mkdir(path, { recursive: true, mode: 0o777 });
    await chmod(path, 0o777); // (as k3s's provisioner: any user of the pod may write; the umask took bits away)
  }

  /** Adds this node's cleanup finalizer to a local-path volume (before its directory exists). */
  private async holdForCleanup(pv: PersistentVolume): Promise<void> {
    const finalizers = pv.metadata?.finalizers ?? [];
    if (finalizers.includes(LOCAL_PATH_FINALIZER)) return;
    await this.client.update(PersistentVolumes, undefined, pv.metadata!.name!, { ...pv, metadata: { ...pv.metadata, finalizers: [...finalizers, LOCAL_PATH_FINALIZER] } });
  }
}
