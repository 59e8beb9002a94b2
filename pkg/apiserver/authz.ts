// Authorization: admins and controllers may do anything; the scheduler reads everything and
// binds; a node (system:node:NAME) may write only its own Node and Lease, the status of pods
// bound to it, deletions of those pods, and events (the NodeRestriction rules, simplified), and
// may read only the ConfigMaps and Secrets its pods refer to (the Node authorizer's graph).
import { podReferences } from '../api/pod-references.js';
import type { KubeObject, Pod } from '../api/types.js';
import type { UserInfo } from './registry/store.js';

export interface Attributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** An allowed request may carry why (RBAC names the binding); a refused one says why, or "" when no rule had an opinion. */
export type Decision = { allowed: true; requireName?: string; reason?: string } | { allowed: false; reason: string };

const allow: Decision = { allowed: true };
const deny = (reason: string): Decision => ({ allowed: false, reason });
const readVerbs = new Set(['get', 'list', 'watch']);

export function nodeNameOf(user: UserInfo): string | undefined {
  if (!user.groups.includes('system:nodes')) return undefined;
  const m = /^system:node:(.+)$/.exec(user.name);
  return m?.[1];
}

/** system:masters and the controller manager: every request, resource or not. */
export const isSuperuser = (user: UserInfo) => user.groups.includes('system:masters') || user.name === 'system:kube-controller-manager';

/**
 * Decides a request. `load` fetches the object the request targets, for rules that depend on
 * it (a pod's node); it is called only when needed.
 */
export async function authorize(user: UserInfo, a: Attributes, load: () => Promise<KubeObject | undefined>, podsOnNode: PodsOnNode = async () => []): Promise<Decision> {
  if (isSuperuser(user)) return allow;
  if (user.name === 'system:kube-scheduler') return scheduler(a);
  const node = nodeNameOf(user);
  if (node) return nodeRules(node, a, load, podsOnNode);
  return deny('');
}

function scheduler(a: Attributes): Decision {
  if (readVerbs.has(a.verb)) return allow;
  if (a.resource === 'pods' && a.subresource === 'binding' && a.verb === 'create') return allow;
  if (a.resource === 'pods' && a.subresource === 'status' && (a.verb === 'update' || a.verb === 'patch')) return allow;
  // Preemption deletes the victims.
  if (a.resource === 'pods' && !a.subresource && a.verb === 'delete') return allow;
  if (a.resource === 'events' && ['create', 'update', 'patch'].includes(a.verb)) return allow;
  if (a.resource === 'leases' && a.namespace === 'kube-system' && ['create', 'update', 'patch'].includes(a.verb)) return allow;
  return deny('the scheduler may only bind, preempt (delete) pods, write pod status, events and its lease');
}

/** The pods bound to `node` in `namespace` (the Node authorizer's graph, read from the watch cache). */
export type PodsOnNode = (node: string, namespace: string) => Promise<KubeObject[]>;

async function nodeRules(node: string, a: Attributes, load: () => Promise<KubeObject | undefined>, podsOnNode: PodsOnNode): Promise<Decision> {
  if (a.resource === 'configmaps' || a.resource === 'secrets') {
    // As the Node authorizer: a node reads one by name, and only when a pod bound to it refers to it.
    if (a.verb !== 'get' || !a.name || !a.namespace || a.subresource) return deny(`node "${node}" may only get ${a.resource} that pods bound to it refer to`);
    const pods = await podsOnNode(node, a.namespace);
    return pods.some((p) => podReferences(p as Pod).some((r) => r.kind === a.resource && r.name === a.name)) ? allow : deny(`no relationship found between node '${node}' and this object`);
  }
  if (readVerbs.has(a.verb) && !a.subresource) return allow;
  switch (a.resource) {
    case 'nodes':
      if (a.verb === 'create' && !a.name) return { allowed: true, requireName: node };
      if (a.verb === 'create' || ((a.verb === 'update' || a.verb === 'patch') && (!a.subresource || a.subresource === 'status'))) {
        return a.name === node ? allow : deny(`node "${node}" may only modify its own Node object`);
      }
      return deny(`node "${node}" may not ${a.verb} nodes`);
    case 'leases':
      if (a.namespace === 'kube-node-lease' && a.verb === 'create' && !a.name) return { allowed: true, requireName: node };
      if (a.namespace === 'kube-node-lease' && ['create', 'update', 'patch', 'get'].includes(a.verb)) {
        return a.name === node ? allow : deny(`node "${node}" may only modify its own Lease`);
      }
      return deny(`node "${node}" may only use its own Lease in kube-node-lease`);
    case 'events':
      return ['create', 'update', 'patch'].includes(a.verb) ? allow : deny(`node "${node}" may not ${a.verb} events`);
    case 'pods': {
      const podWrite = (a.subresource === 'status' && (a.verb === 'update' || a.verb === 'patch')) || (!a.subresource && a.verb === 'delete');
      if (!podWrite) return deny(`node "${node}" may only update the status of pods bound to it and delete them`);
      const pod = await load();
      if (!pod) return allow; // the handler reports the 404
      const bound = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
      return bound === node ? allow : deny(`pod is not bound to node "${node}"`);
    }
    default:
      return deny(`node "${node}" may not ${a.verb} ${a.resource}`);
  }
}
