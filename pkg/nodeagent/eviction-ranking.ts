// Which pod the kubelet evicts first, and what it tells the pod. Memory: pods whose usage
// exceeds their requests first, then lower priority, then the larger usage above requests.
// Disk: the same over ephemeral-storage usage. PIDs: lower priority first (then more processes).
// Critical pods (static or mirror pods, priority >= 2000000000) are never evicted.
import { podTotalsMilli } from '../api/pod-resources.js';
import type { Container, Pod } from '../api/types.js';
import { formatQuantity, parseQuantity, quantityToMilli } from '../api/quantity.js';
import type { Signal } from './eviction-thresholds.js';

export const SYSTEM_CRITICAL_PRIORITY = 2_000_000_000;

/** What a pod uses now: memory working set per container, ephemeral storage, processes. */
export interface PodUsage {
  memory: Map<string, number>;
  /** Ephemeral storage of the whole pod: writable layers, logs, disk-backed emptyDirs. */
  disk?: number;
  /** Each container's writable layer and logs, by name. */
  containerDisk?: Map<string, number>;
  /** Each disk-backed emptyDir volume, by name. */
  volumes?: Map<string, number>;
  processes?: number;
}

export type ReclaimResource = 'memory' | 'ephemeral-storage' | 'inodes' | 'pids';

export function resourceOf(signal: Signal): ReclaimResource {
  switch (signal) {
    case 'memory.available':
      return 'memory';
    case 'nodefs.inodesFree':
    case 'imagefs.inodesFree':
      return 'inodes';
    case 'pid.available':
      return 'pids';
    default:
      return 'ephemeral-storage';
  }
}

export function isCriticalPod(pod: Pod): boolean {
  const ann = pod.metadata?.annotations ?? {};
  if (ann['kubernetes.io/config.mirror'] || (ann['kubernetes.io/config.source'] && ann['kubernetes.io/config.source'] !== 'api')) return true;
  return (pod.spec?.priority ?? 0) >= SYSTEM_CRITICAL_PRIORITY;
}

/**
 * A pod's request for the ranking (the kubelet's GetResourceRequestQuantity): its effective
 * request (app containers and sidecars summed, raised to what an init container needs), plus
 * the RuntimeClass overhead when that is not zero.
 */
function podRequest(pod: Pod, resource: string): number {
  const milli = podTotalsMilli(pod, 'requests').get(resource) ?? 0;
  const overhead = (pod.spec?.overhead as Record<string, string> | undefined)?.[resource];
  return (milli + (milli && overhead ? quantityToMilli(overhead) : 0)) / 1000;
}

/** One container's own request (init containers and sidecars among them). */
const containerRequest = (c: Container, resource: string) => {
  const q = (c.resources?.requests as Record<string, string> | undefined)?.[resource];
  return q ? parseQuantity(q) : 0;
};

const memoryOf = (u: PodUsage | undefined) => [...(u?.memory.values() ?? [])].reduce((a, b) => a + b, 0);

/** Usage and request of a pod for the resource being reclaimed (the ranking's measure). */
function usageAndRequest(pod: Pod, u: PodUsage | undefined, resource: ReclaimResource): [number, number] {
  if (resource === 'memory') return [memoryOf(u), podRequest(pod, 'memory')];
  if (resource === 'ephemeral-storage') return [u?.disk ?? 0, podRequest(pod, 'ephemeral-storage')];
  return [resource === 'pids' ? u?.processes ?? 0 : 0, 0];
}

/** Pods in the order the kubelet evicts them for `signal` (critical pods left out). */
export function rankForEviction(pods: Pod[], usage: Map<string, PodUsage>, signal: Signal): Pod[] {
  const resource = resourceOf(signal);
  const key = (p: Pod) => {
    const [used, req] = usageAndRequest(p, usage.get(p.metadata!.uid!), resource);
    return { exceeds: used > req ? 1 : 0, priority: p.spec?.priority ?? 0, above: used - req, used };
  };
  const keyed = pods.filter((p) => !isCriticalPod(p)).map((p) => ({ p, k: key(p) }));
  keyed.sort((a, b) => {
    if (resource === 'pids') return a.k.priority - b.k.priority || b.k.used - a.k.used;
    return b.k.exceeds - a.k.exceeds || a.k.priority - b.k.priority || b.k.above - a.k.above;
  });
  return keyed.map((x) => x.p);
}

/**
 * The kubelet's eviction message: `The node was low on resource: memory. Threshold quantity:
 * 100Mi, available: 90Mi. Container c was using 50Mi, request is 0, has larger consumption of memory. ` (each sentence
 * ends with a space, the last one too).
 */
export function evictionMessage(pod: Pod, usage: PodUsage | undefined, signal: Signal, thresholdQuantity: number, available: number): string {
  const resource = resourceOf(signal);
  const fmt = (n: number) => formatQuantity(Math.round(n), resource === 'memory' || resource === 'ephemeral-storage' ? 'BinarySI' : 'DecimalSI');
  let msg = `The node was low on resource: ${resource}. Threshold quantity: ${fmt(thresholdQuantity)}, available: ${fmt(available)}. `;
  // (app and init containers, sidecars among them, as the kubelet: ephemeral containers have no requests to compare)
  if (resource === 'memory' || resource === 'ephemeral-storage') {
    for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
      const used = resource === 'memory' ? usage?.memory.get(c.name!) : usage?.containerDisk?.get(c.name!);
      const req = containerRequest(c, resource);
      if (used !== undefined && used > req) msg += `Container ${c.name} was using ${fmt(used)}, request is ${fmt(req)}, has larger consumption of ${resource}. `;
    }
  }
  // (with the trailing space of each sentence's format, as the kubelet writes it)
  return msg;
}
