// The node's CSINode, as the kubelet's CSI volume plugin makes it at start
// (nodeinfomanager.InitializeCSINodeWithAnnotation): once the Node is registered, a CSINode named
// after it, owned by it (so that it goes with the Node), listing no drivers (CSI drivers add
// themselves when they register with the kubelet, which tskube's node agent does not do), with
// the storage.alpha.kubernetes.io/migrated-plugins annotation naming the in-tree plugins whose
// volumes 1.32 hands to CSI drivers. An existing CSINode only gets that annotation corrected.
import type { CSINode, Node } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import { CSINodes, isNotFound, Nodes } from '../client/rest-client.js';

export const MIGRATED_PLUGINS_ANNOTATION = 'storage.alpha.kubernetes.io/migrated-plugins';

/**
 * The in-tree plugins csi_plugin.go marks migrated in 1.32: every CSIMigration<X> gate is on
 * (GA, or Portworx's beta, on by default since 1.31), sorted as sets.List joins them.
 */
export const MIGRATED_PLUGINS = [
  'kubernetes.io/aws-ebs',
  'kubernetes.io/azure-disk',
  'kubernetes.io/azure-file',
  'kubernetes.io/cinder',
  'kubernetes.io/gce-pd',
  'kubernetes.io/portworx-volume',
  'kubernetes.io/vsphere-volume',
].join(',');

/** setMigrationAnnotation: whether the annotation names another set of plugins than ours (order aside). */
function annotationStale(csiNode: CSINode): boolean {
  const have = (csiNode.metadata?.annotations?.[MIGRATED_PLUGINS_ANNOTATION] ?? '').split(',').filter(Boolean).sort().join(',');
  return have !== MIGRATED_PLUGINS;
}

/** One attempt of tryInitializeCSINodeWithAnnotation: create the CSINode, or fix its annotation. */
export async function initializeCSINode(client: ApiClient, nodeName: string): Promise<'created' | 'updated' | 'unchanged'> {
  let existing: CSINode | undefined;
  try {
    existing = await client.get<CSINode>(CSINodes, undefined, nodeName);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  if (!existing) {
    const node = await client.get<Node>(Nodes, undefined, nodeName);
    await client.create(CSINodes, undefined, {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'CSINode',
      metadata: {
        name: nodeName,
        annotations: { [MIGRATED_PLUGINS_ANNOTATION]: MIGRATED_PLUGINS },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node.metadata?.name ?? nodeName, uid: node.metadata?.uid ?? '' }],
      },
      spec: { drivers: [] },
    });
    return 'created';
  }
  if (!annotationStale(existing)) return 'unchanged';
  const metadata = { ...existing.metadata, annotations: { ...existing.metadata?.annotations, [MIGRATED_PLUGINS_ANNOTATION]: MIGRATED_PLUGINS } };
  await client.update(CSINodes, undefined, nodeName, { ...existing, metadata });
  return 'updated';
}

/**
 * InitializeCSINodeWithAnnotation's retries, in the background after registration: the kubelet
 * backs off over about two minutes and then exits to start over; the agent logs and gives up
 * instead (its CSINode matters to CSI drivers, and none runs on it).
 */
export async function initializeCSINodeWithRetries(client: ApiClient, nodeName: string, stopped: () => boolean, log: (msg: string, fields: Record<string, unknown>) => void, delaysMs = [100, 600, 3600, 21600, 120000]): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      await initializeCSINode(client, nodeName);
      return true;
    } catch (e) {
      if (stopped() || attempt >= delaysMs.length) {
        log('failed to initialize CSINode', { node: nodeName, err: (e as Error).message });
        return false;
      }
      await new Promise((r) => setTimeout(r, delaysMs[attempt]).unref?.());
    }
  }
}
