// Pod garbage collection: pods bound to a Node that no longer exists are deleted once it has
// been gone for the quarantine time (kube-controller-manager's PodGC for orphaned pods: a node
// noticed missing is looked at again 40 s later, so that one deleted and registered again keeps
// its pods).
import { rfc3339Now } from '../util/time.js';
import type { Informer } from '../client/informer.js';
import type { ApiClient } from '../client/api-client.js';
import { isNotFound, Pods } from '../client/rest-client.js';
import { logger } from '../util/log.js';
import { Counter } from 'prom-client';
import { alpha } from '../util/metric-help.js';

const log = logger('pod-gc');

// (pkg/controller/podgc/metrics: by the pod's namespace and why it went: "orphaned" here, the
// reason of gcOrphaned)
const deletingPods = new Counter({ name: 'pod_gc_collector_force_delete_pods_total', help: alpha('Number of pods that are being forcefully deleted since the Pod GC Controller started.'), labelNames: ['namespace', 'reason'] });
const deletingPodErrors = new Counter({ name: 'pod_gc_collector_force_delete_pod_errors_total', help: alpha('Number of errors encountered when forcefully deleting the pods since the Pod GC Controller started.'), labelNames: ['namespace', 'reason'] });

/** PodGC's quarantineTime: how long a node must have been missing before its pods go. */
export const POD_GC_QUARANTINE_MS = 40_000;

/**
 * One gcOrphaned pass. `missingSince` (kept between passes) holds when each missing node was
 * first noticed; a node seen again is forgotten.
 */
export async function collectOrphanedPods(client: ApiClient, pods: Informer, nodes: Informer, missingSince = new Map<string, number>(), quarantineMs = 0, now = Date.now()): Promise<number> {
  let n = 0;
  for (const name of [...missingSince.keys()]) if (nodes.get(name)) missingSince.delete(name);
  for (const pod of pods.list()) {
    const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
    if (!nodeName || nodes.get(nodeName)) continue;
    if (!missingSince.has(nodeName)) missingSince.set(nodeName, now);
    if (now - missingSince.get(nodeName)! < quarantineMs) continue;
    // Double-check against the API: the node informer may lag behind a new node.
    try {
      await client.get({ group: '', version: 'v1', resource: 'nodes', namespaced: false }, undefined, nodeName);
      continue;
    } catch (e) {
      if (!isNotFound(e)) continue;
    }
    try {
      // markFailedAndDeletePodWithCondition: Failed first (no kubelet is left to end it), with
      // why; then gone at once.
      const st = (pod.status ?? {}) as { phase?: string; conditions?: { type: string }[] };
      if (st.phase !== 'Succeeded' && st.phase !== 'Failed') {
        const conditions = [...(st.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget'), { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists', lastTransitionTime: rfc3339Now() }];
        await client.patch(Pods, pod.metadata!.namespace, pod.metadata!.name!, { metadata: { uid: pod.metadata!.uid }, status: { phase: 'Failed', conditions } }, 'merge', 'status');
      }
      await client.delete(Pods, pod.metadata!.namespace, pod.metadata!.name!, { gracePeriodSeconds: 0 });
      log.info('deleted orphaned pod', { pod: `${pod.metadata!.namespace}/${pod.metadata!.name}`, node: nodeName });
      deletingPods.inc({ namespace: pod.metadata!.namespace, reason: 'orphaned' });
      n++;
    } catch (e) {
      deletingPodErrors.inc({ namespace: pod.metadata!.namespace, reason: 'orphaned' });
      if (!isNotFound(e)) log.warn('could not delete orphaned pod', { err: e });
    }
  }
  return n;
}
