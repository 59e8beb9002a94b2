// tskube's local-path provisioner (what k3s's local-path-provisioner does), run by the controller
// manager: a claim of a class whose provisioner is tskube.io/local-path gets, once the scheduler
// has chosen the node of its first pod (WaitForFirstConsumer), a PersistentVolume `pvc-<uid>` whose
// hostPath is `<node dir>/pvc-<uid>_<namespace>_<name>` (DirectoryOrCreate), pinned to that node,
// of the requested size, pre-bound to the claim. The node's directory is the one its node agent
// announces on its Node (tskube.io/local-path-dir); the agent makes the directory when a pod first
// mounts it and removes it, data included, when the volume is deleted.
//
// Why here and not in each node agent: the decision (which volume, which node) and the API
// writes (create and delete PersistentVolumes) stay with the controllers, which may write them;
// nodes only get and update the volumes pinned to them, never create one. Only the filesystem
// work happens on the node, as only the node can do it.
import { posix } from 'node:path';
import { ANN_NODE_LOCAL_PATH_DIR, ANN_PROVISIONED_BY, ANN_SELECTED_NODE, claimClass, localPathDirName, LOCAL_PATH_PROVISIONER, storageRequest } from '../api/persistent-volumes.js';
import type { Node, PersistentVolume, PersistentVolumeClaim, StorageClass } from '../api/types.js';

/** The name of the volume provisioned for a claim (as Kubernetes' provisioners name them). */
export const provisionedVolumeName = (pvc: PersistentVolumeClaim) => `pvc-${pvc.metadata!.uid}`;

/** Why a local-path volume cannot be made for `pvc` on `node` (undefined when it can). */
export function localPathRefusal(pvc: PersistentVolumeClaim, node: Node | undefined, nodeName: string | undefined): string | undefined {
  if (!nodeName) return `${LOCAL_PATH_PROVISIONER} makes a volume on the node of the claim's first pod: give the class volumeBindingMode WaitForFirstConsumer`;
  if (!node) return `node "${nodeName}" not found`;
  if (pvc.spec?.selector) return 'claim Selector is not supported';
  const unsupported = (pvc.spec?.accessModes ?? []).filter((m) => m !== 'ReadWriteOnce' && m !== 'ReadWriteOncePod');
  if (unsupported.length) return `${LOCAL_PATH_PROVISIONER} only supports ReadWriteOnce and ReadWriteOncePod access modes, not ${unsupported.join(', ')}`;
  if (!node.metadata?.annotations?.[ANN_NODE_LOCAL_PATH_DIR]) return `node "${nodeName}" announces no local-path directory (its node agent sets the ${ANN_NODE_LOCAL_PATH_DIR} annotation when it starts)`;
  return undefined;
}

/** The volume for `pvc` on `node` (localPathRefusal said it can be made). */
export function localPathVolume(pvc: PersistentVolumeClaim, sc: StorageClass, node: Node): PersistentVolume {
  const ns = pvc.metadata!.namespace!;
  const name = pvc.metadata!.name!;
  const dir = node.metadata!.annotations![ANN_NODE_LOCAL_PATH_DIR]!;
  const hostname = node.metadata?.labels?.['kubernetes.io/hostname'] ?? node.metadata!.name!;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: provisionedVolumeName(pvc), annotations: { [ANN_PROVISIONED_BY]: LOCAL_PATH_PROVISIONER } },
    spec: {
      capacity: { storage: storageRequest(pvc)! },
      accessModes: [...(pvc.spec?.accessModes ?? [])],
      persistentVolumeReclaimPolicy: sc.reclaimPolicy || 'Delete',
      storageClassName: claimClass(pvc),
      volumeMode: pvc.spec?.volumeMode || 'Filesystem',
      claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: ns, name, uid: pvc.metadata!.uid, resourceVersion: pvc.metadata!.resourceVersion },
      hostPath: { path: posix.join(dir, localPathDirName(provisionedVolumeName(pvc), ns, name)), type: 'DirectoryOrCreate' },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [hostname] }] }] } },
    },
  };
}

/** The node the scheduler chose for the claim's first pod. */
export const selectedNode = (pvc: PersistentVolumeClaim): string | undefined => pvc.metadata?.annotations?.[ANN_SELECTED_NODE] || undefined;
