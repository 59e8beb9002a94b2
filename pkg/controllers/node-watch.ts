// Controllers whose output depends on some of each node's state (its readiness and an address,
// say) react to node events only when that part changed: a node's signature.
import type { KubeObject, Node } from '../api/types.js';
import type { Informer } from '../client/informer.js';

export const isNodeReady = (n: Node) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** Calls changed() when a node whose signature is not empty comes or goes, or a node's signature changes. */
export function onNodeSignatureChange<N extends Node & KubeObject>(nodes: Informer<N>, signature: (n: N | undefined) => string, changed: () => void): void {
  nodes.on({
    add: (n) => signature(n) && changed(),
    update: (n, old) => signature(n) !== signature(old) && changed(),
    delete: (n) => signature(n) && changed(),
  });
}
