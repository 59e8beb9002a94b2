// Authorization: admins and controllers may do anything; the scheduler reads everything and
// binds; a node (system:node:NAME) may write only its own Node and Lease, pod status and pod
// deletions (NodeRestriction admission then keeps it to its own pods), and events, and
// may read only the ConfigMaps and Secrets its pods refer to, create tokens only for the
// ServiceAccounts they run as, and get the claims, resource claims and volumes of its pods (the
// Node authorizer's graph), and the kubernetes.io/tls Secrets that Ingresses its ingress controller serves name.
import { podReferences } from '../api/pod-references.js';
import type { KubeObject, PersistentVolume, Pod } from '../api/types.js';
import { ANN_PROVISIONED_BY, LOCAL_PATH_PROVISIONER, podClaimNames, volumeHostnames } from '../api/persistent-volumes.js';
import type { UserInfo } from './registry/store.js';
import { allResources } from './registry/resources.js';

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
/** The groups of the built-in resources, and of the resources served without storage (metrics, reviews). */
const BUILTIN_GROUPS = new Set([...allResources.map((r) => r.group), 'metrics.k8s.io', 'authorization.k8s.io', 'authentication.k8s.io']);

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
export async function authorize(user: UserInfo, a: Attributes, load: () => Promise<KubeObject | undefined>, podsOnNode: PodsOnNode = async () => [], ingressTLS: IngressTLSRefs = async () => false): Promise<Decision> {
  if (isSuperuser(user)) return allow;
  if (user.name === 'system:kube-scheduler') return scheduler(a);
  const node = nodeNameOf(user);
  if (node) {
    if (await ingressTLSSecret(a, load, ingressTLS)) return allow;
    return nodeRules(node, a, load, podsOnNode);
  }
  // (one of system:nodes whose name is not system:node:<name>: the Node authorizer cannot tell which node)
  if (user.groups.includes('system:nodes')) return deny(`unknown node for user ${JSON.stringify(user.name)}`);
  return deny('');
}

function scheduler(a: Attributes): Decision {
  if (readVerbs.has(a.verb)) return allow;
  if (!a.group && ((a.resource === 'pods' && a.subresource === 'binding') || a.resource === 'bindings') && a.verb === 'create') return allow;
  if (a.resource === 'pods' && a.subresource === 'status' && (a.verb === 'update' || a.verb === 'patch')) return allow;
  // Preemption deletes the victims.
  if (a.resource === 'pods' && !a.subresource && a.verb === 'delete') return allow;
  if (a.resource === 'events' && ['create', 'update', 'patch'].includes(a.verb)) return allow;
  if (a.resource === 'leases' && a.namespace === 'kube-system' && ['create', 'update', 'patch'].includes(a.verb)) return allow;
  // Volume binding: a claim's selected node, a volume's claimRef (as kube-scheduler's role allows).
  if ((a.resource === 'persistentvolumeclaims' || a.resource === 'persistentvolumes') && !a.subresource && (a.verb === 'update' || a.verb === 'patch')) return allow;
  return deny('the scheduler may only bind, preempt (delete) pods, write pod status, events, its lease, and bind volumes to claims');
}

/** The pods bound to `node` in `namespace` (the Node authorizer's graph, read from the watch cache). */
export type PodsOnNode = (node: string, namespace: string) => Promise<KubeObject[]>;

/** Whether `namespace/secret` is named in spec.tls by an Ingress the node agents' ingress controller serves. */
export type IngressTLSRefs = (namespace: string, secret: string) => Promise<boolean>;

/** A node's get of a Secret an Ingress it serves terminates TLS with (kubernetes.io/tls, or absent: the handler says 404). */
async function ingressTLSSecret(a: Attributes, load: () => Promise<KubeObject | undefined>, ingressTLS: IngressTLSRefs): Promise<boolean> {
  if (a.resource !== 'secrets' || a.group || a.verb !== 'get' || !a.name || !a.namespace || a.subresource) return false;
  if (!(await ingressTLS(a.namespace, a.name))) return false;
  const secret = await load();
  return !secret || secret.type === 'kubernetes.io/tls';
}

async function nodeRules(node: string, a: Attributes, load: () => Promise<KubeObject | undefined>, podsOnNode: PodsOnNode): Promise<Decision> {
  if (a.resource === 'configmaps' || a.resource === 'secrets') {
    // As the Node authorizer's authorizeReadNamespacedObject: a node reads one by name (a get, or
    // a list or watch of one name), and only when a pod bound to it refers to it; each refusal
    // with its reason, which the Forbidden message ends with.
    if (!readVerbs.has(a.verb)) return deny('can only read resources of this type');
    if (a.subresource) return deny('cannot read subresource');
    if (!a.namespace) return deny('can only read namespaced object of this type');
    if (!a.name) return deny('No Object name found');
    const pods = await podsOnNode(node, a.namespace);
    return pods.some((p) => podReferences(p as Pod).some((r) => r.kind === a.resource && r.name === a.name)) ? allow : deny(`no relationship found between node '${node}' and this object`);
  }
  if (a.resource === 'serviceaccounts') return nodeServiceAccountRule(node, a, podsOnNode);
  if (a.resource === 'persistentvolumeclaims' || a.resource === 'persistentvolumes') return nodeVolumeRules(node, a, load, podsOnNode);
  if (a.group === 'resource.k8s.io' && a.resource === 'resourceclaims') return nodeResourceClaimRule(node, a, podsOnNode);
  // (the system:node role names built-in resources only: custom resources are not a node's business)
  // (a request the static node rules do not allow is refused with no reason, as the Node
  // authorizer's NoOpinion with "" leaves the Forbidden message at 'User ... cannot VERB resource ...')
  if (!BUILTIN_GROUPS.has(a.group)) return deny('');
  if (a.group === 'storage.k8s.io' && (a.resource === 'csinodes' || a.resource === 'volumeattachments')) return nodeCSIRules(node, a, load);
  if (a.group === 'coordination.k8s.io' && a.resource === 'leases') {
    // (as the Node authorizer's authorizeLease, before the static rules and with its reasons: a
    // node reads none but its own; a create names no Lease, and the one created must then be the
    // node's own, as NodeRestriction admission checks)
    if (!['get', 'create', 'update', 'patch', 'delete'].includes(a.verb)) return deny('can only get, create, update, patch, or delete a node lease');
    if (a.namespace !== 'kube-node-lease') return deny('can only access leases in the "kube-node-lease" system namespace');
    if (a.verb === 'create') return a.name ? allow : { allowed: true, requireName: node };
    return a.name === node ? allow : deny('can only access node lease with the same name as the requesting node');
  }
  if (readVerbs.has(a.verb) && !a.subresource) return allow;
  // (system:node's delegated authentication and authorization: who may use the agent's endpoint)
  if (a.verb === 'create' && ((a.group === 'authentication.k8s.io' && a.resource === 'tokenreviews') || (a.group === 'authorization.k8s.io' && a.resource === 'subjectaccessreviews'))) return allow;
  switch (a.resource) {
    case 'nodes':
      // (the node authorizer's rules allow these on any Node; NodeRestriction admission then keeps
      // a node to its own: `node "a" is not allowed to modify node "b"`)
      if (a.verb === 'create' || ((a.verb === 'update' || a.verb === 'patch') && (!a.subresource || a.subresource === 'status'))) return allow;
      return deny('');
    case 'events':
      return ['create', 'update', 'patch'].includes(a.verb) ? allow : deny('');
    case 'certificatesigningrequests':
      // (the kubelet's own certificate rotation; NodeRestriction admission keeps a node's CSRs to its own name)
      return a.group === 'certificates.k8s.io' && a.verb === 'create' && !a.subresource ? allow : deny('');
    case 'pods':
      // As the Node authorizer's authorizePod and the system:node rules: creates (mirror pods)
      // and deletes, status writes and evictions (the kubelet's node-pressure eviction), whichever
      // pod they name; NodeRestriction admission then keeps a node to the pods bound to it ('node
      // "n1" can only delete pods with spec.nodeName set to itself', 'node n1 can only evict pods
      // with spec.nodeName set to itself'). Anything else is refused with no reason.
      if (!a.subresource && (a.verb === 'create' || a.verb === 'delete')) return allow;
      if (a.subresource === 'status' && (a.verb === 'update' || a.verb === 'patch')) return allow;
      if (a.subresource === 'eviction' && a.verb === 'create') return allow;
      return deny('');
    default:
      return deny('');
  }
}

/**
 * The Node authorizer's authorizeCSINode and its graph for VolumeAttachments: a node may get,
 * update, patch and delete only the CSINode of its own name and create one (NodeRestriction
 * admission checks the new one's name), but list or watch none; it may get a VolumeAttachment
 * only when the attachment is to that node, one by one.
 */
async function nodeCSIRules(node: string, a: Attributes, load: () => Promise<KubeObject | undefined>): Promise<Decision> {
  if (a.resource === 'csinodes') {
    if (!['get', 'create', 'update', 'patch', 'delete'].includes(a.verb)) return deny('can only get, create, update, patch, or delete a CSINode');
    if (a.subresource) return deny('cannot authorize CSINode subresources');
    if (a.verb !== 'create' && a.name !== node) return deny('can only access CSINode with the same name as the requesting node');
    return allow;
  }
  if (a.verb !== 'get' || !a.name) return deny('can only get individual resources of this type');
  if (a.subresource) return deny('cannot get subresource');
  const va = await load();
  return (va?.spec as { nodeName?: string } | undefined)?.nodeName === node ? allow : deny(`no relationship found between node '${node}' and this object`);
}

/**
 * The Node authorizer's authorizeCreateToken: a node may create tokens (serviceaccounts/NAME/token)
 * of the ServiceAccounts of pods bound to it, and nothing else of ServiceAccounts, not even read
 * them; the token request itself must then be bound to such a pod (NodeRestriction, checked on the
 * body: token-request.ts).
 */
async function nodeServiceAccountRule(node: string, a: Attributes, podsOnNode: PodsOnNode): Promise<Decision> {
  if (a.verb !== 'create' || !a.name) return deny('can only create tokens for individual service accounts');
  if (a.subresource !== 'token') return deny('can only create token subresource of serviceaccount');
  const pods = a.namespace ? await podsOnNode(node, a.namespace) : [];
  // (a pod naming no account, a mirror pod, relates the node to none, as in the Node authorizer's graph)
  return pods.some((p) => !!(p as Pod).spec?.serviceAccountName && (p as Pod).spec?.serviceAccountName === a.name) ? allow : noRelationship(node);
}

const noRelationship = (node: string) => deny(`no relationship found between node '${node}' and this object`);

/**
 * The Node authorizer's authorizeGet: a node gets, one by one, only what its graph relates to it;
 * its refusals in their order (the verb, then a subresource, then a name).
 */
function authorizeGetChecks(a: Attributes): Decision | undefined {
  if (a.verb !== 'get') return deny('can only get individual resources of this type');
  if (a.subresource) return deny('cannot get subresource');
  if (!a.name) return deny('No Object name found');
  return undefined;
}

/** ResourceClaims: node <- pod <- ResourceClaim, the claims the pods' status.resourceClaimStatuses name. */
async function nodeResourceClaimRule(node: string, a: Attributes, podsOnNode: PodsOnNode): Promise<Decision> {
  const refused = authorizeGetChecks(a);
  if (refused) return refused;
  const pods = a.namespace ? await podsOnNode(node, a.namespace) : [];
  const claims = (p: KubeObject) => ((p.status as { resourceClaimStatuses?: { resourceClaimName?: string }[] } | undefined)?.resourceClaimStatuses ?? []).map((c) => c.resourceClaimName);
  return pods.some((p) => claims(p).includes(a.name)) ? allow : noRelationship(node);
}

/**
 * As the Node authorizer's graph: a node gets the claims its pods name and the volumes bound to
 * them, and the volumes pinned to it (the local-path ones it cleans up); it may update only
 * local-path volumes pinned to it (its cleanup finalizer). Nothing else: no list, no watch.
 */
async function nodeVolumeRules(node: string, a: Attributes, load: () => Promise<KubeObject | undefined>, podsOnNode: PodsOnNode): Promise<Decision> {
  const usedHere = async (ns: string | undefined, claim: string | undefined) => !!ns && !!claim && (await podsOnNode(node, ns)).some((p) => podClaimNames(p as Pod).includes(claim));
  // (tskube's own exception: a node updates the local-path volumes pinned to it, its cleanup finalizer)
  const localPathWrite = a.resource === 'persistentvolumes' && (a.verb === 'update' || a.verb === 'patch') && !a.subresource && !!a.name;
  // (authorizeStatusUpdate: a claim's status, which NodeRestriction then limits to its capacity and conditions)
  const claimStatus = a.resource === 'persistentvolumeclaims' && a.subresource === 'status';
  if (claimStatus && a.verb !== 'update' && a.verb !== 'patch') return deny('can only get/update/patch this type');
  if (claimStatus && !a.name) return deny('No Object name found');
  const refused = localPathWrite || claimStatus ? undefined : authorizeGetChecks(a);
  if (refused) return refused;
  if (a.resource === 'persistentvolumeclaims') return (await usedHere(a.namespace, a.name)) ? allow : noRelationship(node);
  const pv = (await load()) as PersistentVolume | undefined;
  // (none: the handler reports the 404, as 1.32's graph relates a claim's spec.volumeName before the volume exists)
  if (!pv) return allow;
  const pinned = volumeHostnames(pv).includes(node);
  if (localPathWrite) return pinned && pv.metadata?.annotations?.[ANN_PROVISIONED_BY] === LOCAL_PATH_PROVISIONER ? allow : deny('can only get individual resources of this type');
  return pinned || (await usedHere(pv.spec?.claimRef?.namespace, pv.spec?.claimRef?.name)) ? allow : noRelationship(node);
}
