// Pending pods nominated to a node (status.nominatedNodeName, set when they preempted pods
// there), by node (kube-scheduler's nominator): filtering a pod of lower or equal priority counts
// them as if placed, so the room their victims free is kept for them.
import type { Pod } from '../api/types.js';
import { podKey } from './node-info.js';
import { podPriority } from './preemption.js';

export class Nominator {
  private nominated = new Map<string, Map<string, Pod>>();

  get size(): number {
    return this.nominated.size;
  }

  /** Records (or, with no node, forgets) the node a pending pod is nominated to. */
  set(p: Pod, node: string | undefined): void {
    const key = podKey(p);
    for (const [n, pods] of this.nominated) {
      if (n === node || !pods.delete(key)) continue;
      if (!pods.size) this.nominated.delete(n);
    }
    if (!node) return;
    let pods = this.nominated.get(node);
    if (!pods) this.nominated.set(node, (pods = new Map()));
    pods.set(key, p);
  }

  /** Pods nominated to `node` that `pod` must leave room for: of its priority or higher, not itself. */
  for(node: string, pod: Pod): Pod[] {
    const pods = this.nominated.get(node);
    if (!pods) return [];
    const key = podKey(pod);
    const prio = podPriority(pod);
    return [...pods.entries()].filter(([k, p]) => k !== key && podPriority(p) >= prio).map(([, p]) => p);
  }

  /** Pods nominated to `node` of lower priority than `pod`: they lose their nomination when it takes the node. */
  displacedBy(node: string, pod: Pod): Pod[] {
    const key = podKey(pod);
    const prio = podPriority(pod);
    return [...(this.nominated.get(node)?.values() ?? [])].filter((p) => podKey(p) !== key && podPriority(p) < prio);
  }
}
