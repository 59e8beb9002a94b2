// The scheduler's cache (kube-scheduler's internal cache): a NodeInfo per node with the pods bound
// to it, pods assumed on a node before their bind is seen, and bound pods that arrived before
// their node (kept until it comes, so that no pod goes uncounted).
import type { Node, Pod } from '../api/types.js';
import { NodeInfo, podKey } from './node-info.js';

export class SchedulerCache {
  readonly nodes = new Map<string, NodeInfo>();
  /** `nodes` as an array, rebuilt only when a node comes or goes (not once per pod). */
  private list: NodeInfo[] | undefined;
  /**
   * Bound pods whose node the scheduler has not seen yet (the pod list can arrive before the node
   * list): node → podKey → pod, put on the node when it comes.
   */
  private waitingForNode = new Map<string, Map<string, Pod>>();
  /** podKey → node, for pods assumed but not yet seen bound. */
  private assumed = new Map<string, string>();

  /** Every node, as an array (the same one until a node comes or goes). */
  nodeList(): NodeInfo[] {
    return (this.list ??= [...this.nodes.values()]);
  }

  upsertNode(n: Node): void {
    const name = n.metadata!.name!;
    const info = this.nodes.get(name);
    if (info) info.setNode(n);
    else {
      const fresh = new NodeInfo(n);
      for (const p of this.waitingForNode.get(name)?.values() ?? []) fresh.addPod(p, false);
      this.waitingForNode.delete(name);
      this.nodes.set(name, fresh);
      this.list = undefined;
    }
  }

  removeNode(name: string): void {
    // Its pods stay until deleted: counted again if the node comes back.
    for (const [key, e] of this.nodes.get(name)?.pods ?? []) if (!e.assumed) this.waitForNode(name, key, e.pod);
    this.nodes.delete(name);
    this.list = undefined;
  }

  /** Keeps (or, with no pod, forgets) a bound pod until its node is known. */
  private waitForNode(node: string, key: string, p: Pod | undefined): void {
    let m = this.waitingForNode.get(node);
    if (!p) {
      m?.delete(key);
      if (m && !m.size) this.waitingForNode.delete(node);
      return;
    }
    if (!m) this.waitingForNode.set(node, (m = new Map()));
    m.set(key, p);
  }

  /**
   * A pod bound to `nodeName` (by us or anyone): accounted for on its node (a terminal one no
   * longer); an assumed pod is now confirmed. True when it is newly bound, or our assumption
   * confirmed (not a status update of a known pod).
   */
  podBound(p: Pod, nodeName: string, terminal: boolean): boolean {
    const key = podKey(p);
    const was = this.assumed.get(key);
    if (was && was !== nodeName) this.nodes.get(was)?.removePod(key);
    this.assumed.delete(key);
    const info = this.nodes.get(nodeName);
    if (!info) this.waitForNode(nodeName, key, terminal ? undefined : p);
    const newlyBound = !!was || !info?.pods.has(key);
    if (terminal) info?.removePod(key);
    else info?.addPod(p, false);
    return newlyBound;
  }

  podDeleted(p: Pod): void {
    const key = podKey(p);
    const node = p.spec?.nodeName ?? this.assumed.get(key);
    if (node) this.nodes.get(node)?.removePod(key);
    if (node) this.waitForNode(node, key, undefined);
    this.assumed.delete(key);
  }

  /** Whether the pod is assumed on a node (its bind in flight). */
  isAssumed(p: Pod): boolean {
    return this.assumed.has(podKey(p));
  }

  /** Assume: the next cycle sees this pod's requests on the node before the bind returns. */
  assume(pod: Pod, node: string): void {
    const assumedPod: Pod = { ...pod, spec: { ...pod.spec!, nodeName: node } };
    this.nodes.get(node)?.addPod(assumedPod, true);
    this.assumed.set(podKey(pod), node);
  }

  /** The bind failed: the assumption goes, unless someone else has bound the pod meanwhile. */
  forget(pod: Pod, node: string): void {
    const key = podKey(pod);
    if (this.assumed.get(key) === node) {
      this.assumed.delete(key);
      this.nodes.get(node)?.removePod(key);
    }
  }
}
