// The default profile: the plugins at each extension point, as kube-scheduler enables them.
import type { ApiClient } from '../client/api-client.js';
import { StatusError } from '../client/rest-client.js';
import { Status, type BindPlugin, type Profile } from './framework.js';
import { nodeAffinity, nodeName, nodePorts, nodeResourcesFit, nodeUnschedulable, taintToleration } from './plugins/filters.js';
import { defaultPreemption } from './preemption.js';
import { balancedAllocation, leastAllocated, nodeAffinityScore, taintTolerationScore } from './plugins/scores.js';
import { interPodAffinity } from './plugins/inter-pod-affinity.js';
import { podTopologySpread } from './plugins/pod-topology-spread.js';
import type { ClusterLister } from './cluster-lister.js';
import { VolumeBinding, volumeRestrictions, type VolumeLister, type VolumeWriter } from './plugins/volume-binding.js';

export function defaultBinder(client: ApiClient): BindPlugin {
  return {
    name: 'DefaultBinder',
    async bind(pod, node) {
      try {
        await client.bind(pod.metadata!.namespace!, pod.metadata!.name!, node, pod.metadata!.uid);
        return Status.success;
      } catch (e) {
        // Already bound or gone: nothing to retry.
        if (e instanceof StatusError && (e.code === 409 || e.code === 404)) return Status.unresolvable('DefaultBinder', e.message);
        return Status.error('DefaultBinder', e instanceof Error ? e.message : String(e));
      }
    },
  };
}

/**
 * `lister`: namespaces, Services and sets, for inter-pod affinity and topology spread;
 * `volumes`: claims, volumes and classes, and the writes of volume binding.
 */
export function defaultProfile(client: ApiClient, lister: ClusterLister, volumes: { lister: VolumeLister; writer: VolumeWriter }): Profile {
  const spread = podTopologySpread(lister);
  const affinity = interPodAffinity(lister);
  const volumeBinding = new VolumeBinding(volumes.lister, volumes.writer);
  return {
    preFilter: [nodeResourcesFit, nodePorts, nodeAffinity, volumeRestrictions(volumes.lister), volumeBinding, spread, affinity],
    filter: [nodeUnschedulable, nodeName, taintToleration, nodeAffinity, nodePorts, nodeResourcesFit, volumeBinding, spread, affinity],
    postFilter: [defaultPreemption],
    preScore: [nodeAffinityScore, spread, affinity],
    score: [taintTolerationScore, nodeAffinityScore, leastAllocated, spread, affinity, balancedAllocation],
    reserve: [volumeBinding],
    preBind: [volumeBinding],
    bind: [defaultBinder(client)],
  };
}
