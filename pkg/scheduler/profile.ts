// The default profile: the plugins at each extension point, as kube-scheduler enables them.
import type { ApiClient } from '../client/api-client.js';
import { StatusError } from '../client/rest-client.js';
import { Status, type BindPlugin, type Profile } from './framework.js';
import { nodeAffinity, nodeName, nodePorts, nodeResourcesFit, nodeUnschedulable, taintToleration } from './plugins/filters.js';
import { defaultPreemption } from './preemption.js';
import { balancedAllocation, leastAllocated, nodeAffinityScore, taintTolerationScore } from './plugins/scores.js';

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

export function defaultProfile(client: ApiClient): Profile {
  return {
    preFilter: [nodeResourcesFit, nodePorts, nodeAffinity],
    filter: [nodeUnschedulable, nodeName, taintToleration, nodeAffinity, nodePorts, nodeResourcesFit],
    postFilter: [defaultPreemption],
    preScore: [nodeAffinityScore],
    score: [taintTolerationScore, nodeAffinityScore, leastAllocated, balancedAllocation],
    reserve: [],
    bind: [defaultBinder(client)],
  };
}
