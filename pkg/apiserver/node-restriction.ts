// The NodeRestriction admission plugin for pod creates (plugin/pkg/admission/noderestriction,
// admitPodCreate): a node (system:node:NAME) may create only mirror pods of its static pods,
// bound to itself, owned by its own Node object (one controller reference, the Node's current
// UID, no blockOwnerDeletion), that reference no other API object (service account, Secrets,
// ConfigMaps, ClusterTrustBundles, PersistentVolumeClaims). Kubernetes' messages, as 403s.
// Node writes (admitNode): a node may neither change its own taints nor set or change labels
// in node-restriction.kubernetes.io or in kubernetes.io / k8s.io beyond the kubelet's own (a
// node that could would steer to itself the workloads those labels and taints keep away).
// CSINodes (admitCSINode): a node may write only the one named after it.
// Node CSRs (admitCSR): a request to a kubelet signer must be for CN=system:node:<its name>.
// Claim status writes (admitPVCStatus): only the capacity and conditions (and the allocated
// resources of expansion recovery) may change.
// Pod deletes and status writes (admitPod's Delete, admitPodStatus): only of pods bound to the
// node, and a status write may not change the pod's labels (the Node authorizer lets these
// through for any pod, leaving the pod's node to this plugin). Evictions (admitPodEviction): only
// of pods bound to the node.
import { csrCommonName } from '../api/csr-common-name.js';
import { isMirrorPod, MIRROR_POD_ANNOTATION } from '../api/mirror-pods.js';
import { forbiddenNodeLabels } from '../api/node-labels.js';
import { podReferences } from '../api/pod-references.js';
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject, Pod } from '../api/types.js';
import type { AdmissionPlugin } from './admission.js';
import { nodeNameOf } from './authz.js';
import { admissionForbidden, ApiError } from './errors.js';

export type NodeLookup = (name: string) => Promise<KubeObject | undefined>;

/** Why `node` may not create `pod`, or undefined when it may. */
export async function nodePodCreateRefusal(node: string, pod: Pod, lookupNode: NodeLookup): Promise<string | ApiError | undefined> {
  if (!isMirrorPod(pod)) return `pod does not have "${MIRROR_POD_ANNOTATION}" annotation, node "${node}" can only create mirror pods`;
  if (pod.spec?.nodeName !== node) return `node "${node}" can only create pods with spec.nodeName set to itself`;
  const owners = pod.metadata?.ownerReferences ?? [];
  if (owners.length > 1) return `node "${node}" can only create pods with a single owner reference set to itself`;
  if (owners.length === 0) return `node "${node}" can only create pods with an owner reference set to itself`;
  const owner = owners[0]!;
  if (owner.apiVersion !== 'v1' || owner.kind !== 'Node' || owner.name !== node) return `node "${node}" can only create pods with an owner reference set to itself`;
  if (!owner.controller) return `node "${node}" can only create pods with a controller owner reference set to itself`;
  if (owner.blockOwnerDeletion) return `node "${node}" must not set blockOwnerDeletion on an owner reference`;
  const n = await lookupNode(node);
  if (!n) return new ApiError(404, 'NotFound', `nodes "${node}" not found`, { name: node, kind: 'nodes' });
  if (owner.uid !== n.metadata?.uid) return `node ${node} UID mismatch: expected ${owner.uid} got ${n.metadata?.uid}`;
  if (pod.spec?.serviceAccountName) return `node "${node}" can not create pods that reference a service account`;
  const refs = podReferences(pod);
  if (refs.some((r) => r.kind === 'secrets')) return `node "${node}" can not create pods that reference secrets`;
  if (refs.some((r) => r.kind === 'configmaps')) return `node "${node}" can not create pods that reference configmaps`;
  const volumes = pod.spec?.volumes ?? [];
  if (volumes.some((v) => (v.projected?.sources ?? []).some((s) => (s as Record<string, unknown>).clusterTrustBundle))) return `node "${node}" can not create pods that reference clustertrustbundles`;
  if (volumes.some((v) => v.persistentVolumeClaim)) return `node "${node}" can not create pods that reference persistentvolumeclaims`;
  return undefined;
}

type NodeObject = KubeObject & { metadata?: { labels?: Record<string, string> }; spec?: { taints?: unknown[] } };

/** Why `node` may not write `obj` (its own Node; `old` on updates), or undefined when it may. */
export function nodeWriteRefusal(node: string, name: string, obj: NodeObject, old: NodeObject | undefined): string | undefined {
  if (name !== node) return `node "${node}" is not allowed to modify node "${name}"`;
  if (!old) {
    const bad = forbiddenNodeLabels(obj.metadata?.labels);
    return bad.length ? `node "${node}" is not allowed to set the following labels: ${bad.join(', ')}` : undefined;
  }
  if (!isDeepStrictEqual(obj.spec?.taints ?? [], old.spec?.taints ?? [])) return `node "${node}" is not allowed to modify taints`;
  const bad = forbiddenNodeLabels(obj.metadata?.labels, old.metadata?.labels);
  return bad.length ? `is not allowed to modify labels: ${bad.join(', ')}` : undefined;
}

/**
 * Why `node` may not delete a pod or write its status (admitPod's Delete, admitPodStatus): the pod
 * must be bound to it, and a status write may not change its labels. Undefined when it may, or
 * when the request is neither.
 */
export function podWriteRefusal(node: string, operation: string, subresource: string | undefined, obj: Pod | undefined, old: Pod | undefined): string | undefined {
  if (operation === 'DELETE' && !subresource) return old?.spec?.nodeName !== node ? `node "${node}" can only delete pods with spec.nodeName set to itself` : undefined;
  if (operation !== 'UPDATE' || subresource !== 'status') return undefined;
  if (old?.spec?.nodeName !== node) return `node "${node}" can only update pod status for pods with spec.nodeName set to itself`;
  // (labels.Equals: nil and empty are the same)
  if (!isDeepStrictEqual(obj?.metadata?.labels ?? {}, old?.metadata?.labels ?? {})) return `node "${node}" cannot update labels through pod status`;
  return undefined;
}

/**
 * admitPodEviction: a node may evict only a pod bound to itself, named by the request (the URL's
 * name; the Eviction's own when that is empty). A pod that is not there is its NotFound, as the
 * pod lister's Get answers. Undefined when it may.
 */
export function nodeEvictionRefusal(node: string, podName: string, pod: Pod | undefined): string | ApiError | undefined {
  if (!podName) return 'could not determine pod from request data';
  if (!pod) return new ApiError(404, 'NotFound', `pods "${podName}" not found`, { name: podName, kind: 'pods' });
  return pod.spec?.nodeName === node ? undefined : `node ${node} can only evict pods with spec.nodeName set to itself`;
}

/**
 * admitPVCStatus: a node may change only status.capacity, status.conditions, and (expansion
 * recovery) status.allocatedResources and status.allocatedResourceStatuses of a claim; the
 * resourceVersion and managedFields are not compared. 1.32 ends its message with cmp.Diff of
 * the two claims; tskube names the paths that differ instead.
 */
export function claimStatusRefusal(node: string, obj: KubeObject | undefined, old: KubeObject | undefined): string | undefined {
  const strip = (c: KubeObject | undefined) => {
    const copy = structuredClone(c ?? {}) as KubeObject & { status?: Record<string, unknown> };
    if (copy.metadata) {
      delete copy.metadata.resourceVersion;
      delete copy.metadata.managedFields;
    }
    for (const k of ['capacity', 'conditions', 'allocatedResources', 'allocatedResourceStatuses']) delete copy.status?.[k];
    return copy as Record<string, unknown>;
  };
  const a = strip(old);
  const b = strip(obj);
  if (isDeepStrictEqual(a, b)) return undefined;
  const differing = [...new Set([...Object.keys(a), ...Object.keys(b)])].flatMap((k) => {
    const x = (a[k] ?? {}) as Record<string, unknown>;
    const y = (b[k] ?? {}) as Record<string, unknown>;
    if (typeof x !== 'object' || typeof y !== 'object') return isDeepStrictEqual(x, y) ? [] : [k];
    return [...new Set([...Object.keys(x), ...Object.keys(y)])].filter((f) => !isDeepStrictEqual(x[f], y[f])).map((f) => `${k}.${f}`);
  });
  return `node "${node}" is not allowed to update fields other than status.quantity and status.conditions: ${differing.join(', ')}`;
}

type CSRObject = KubeObject & { spec?: { signerName?: string; request?: string } };

/** The signers whose certificates name a node: the kubelet's serving and client certificates. */
const NODE_SIGNERS = new Set(['kubernetes.io/kubelet-serving', 'kubernetes.io/kube-apiserver-client-kubelet']);

/**
 * admitCSR: a node's request to a kubelet signer must be for its own name, CN=system:node:<name>
 * (without this the signers check only the system:node: prefix, and a node could ask for another
 * node's identity). Other signers are the signers' business.
 */
export function nodeCSRRefusal(node: string, csr: CSRObject): string | undefined {
  if (!NODE_SIGNERS.has(csr.spec?.signerName ?? '')) return undefined;
  let cn: string;
  try {
    cn = csrCommonName(Buffer.from(csr.spec?.request ?? '', 'base64').toString('latin1'));
  } catch (e) {
    return `unable to parse csr: ${(e as Error).message}`;
  }
  return cn === `system:node:${node}` ? undefined : `can only create a node CSR with CN=system:node:${node}`;
}

/** The plugin (validating, after the mutating ones: the ServiceAccount plugin leaves mirror pods alone). */
export function nodeRestrictionAdmission(lookupNode: NodeLookup): AdmissionPlugin {
  return {
    name: 'NodeRestriction',
    resources: ['pods', 'nodes', 'csinodes', 'persistentvolumeclaims', 'certificatesigningrequests'],
    async validate(req) {
      const node = req.ctx.user && nodeNameOf(req.ctx.user);
      // admitCSINode: whatever the operation, a node may only touch the CSINode named after it.
      if (node && req.resource.name === 'csinodes' && req.resource.group === 'storage.k8s.io') {
        const name = req.operation === 'CREATE' ? (req.obj?.metadata?.name ?? '') : req.name;
        if (name !== node) throw admissionForbidden('storage.k8s.io', 'csinodes', name, 'can only access CSINode with the same name as the requesting node');
        return;
      }
      if (node && req.resource.name === 'pods' && !req.resource.group) {
        const why = podWriteRefusal(node, req.operation, req.subresource, req.obj as Pod | undefined, req.old as Pod | undefined);
        if (why) throw admissionForbidden('', 'pods', req.name, why);
      }
      if (node && req.resource.name === 'persistentvolumeclaims' && req.subresource === 'status' && req.operation === 'UPDATE') {
        const why = claimStatusRefusal(node, req.obj, req.old);
        if (why) throw admissionForbidden('', 'persistentvolumeclaims', req.name, why);
        return;
      }
      if (!node || !req.obj) return;
      if (req.resource.name === 'certificatesigningrequests' && req.resource.group === 'certificates.k8s.io') {
        const why = req.operation === 'CREATE' && !req.subresource ? nodeCSRRefusal(node, req.obj as CSRObject) : undefined;
        if (why) throw admissionForbidden('certificates.k8s.io', 'certificatesigningrequests', req.obj.metadata?.name || req.name, why);
        return;
      }
      if (req.resource.name === 'nodes') {
        if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return;
        const name = req.operation === 'CREATE' ? (req.obj.metadata?.name ?? '') : req.name;
        const why = nodeWriteRefusal(node, name, req.obj as NodeObject, req.operation === 'UPDATE' ? (req.old as NodeObject) : undefined);
        if (why) throw admissionForbidden('', 'nodes', name, why);
        return;
      }
      if (req.resource.name !== 'pods' || req.operation !== 'CREATE' || req.subresource) return;
      const why = await nodePodCreateRefusal(node, req.obj as Pod, lookupNode);
      if (why instanceof ApiError) throw why;
      if (why) throw admissionForbidden('', 'pods', req.obj.metadata?.name || req.name, why);
    },
  };
}
