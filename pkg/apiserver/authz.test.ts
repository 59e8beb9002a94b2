// The Node authorizer's rules for what a node reads and its Lease, with the reasons 1.32's
// NodeAuthorizer gives (the Forbidden message ends with them).
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/types.js';
import { authorize, type Attributes } from './authz.js';

const node = { name: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'a' }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'i', envFrom: [{ configMapRef: { name: 'cm' } }] }] } } as KubeObject;
const decide = (a: Attributes) => authorize(node, a, async () => undefined, async (n, ns) => (n === 'n1' && ns === 'a' ? [pod] : []));

describe('node authorizer', () => {
  it('reads a ConfigMap or Secret by name only when a pod bound to it refers to it (authorizeReadNamespacedObject)', async () => {
    expect(await decide({ verb: 'get', group: '', resource: 'configmaps', namespace: 'a', name: 'cm' })).toEqual({ allowed: true });
    expect(await decide({ verb: 'watch', group: '', resource: 'configmaps', namespace: 'a', name: 'cm' })).toEqual({ allowed: true });
    expect(await decide({ verb: 'get', group: '', resource: 'configmaps', namespace: 'a', name: 'other' })).toEqual({ allowed: false, reason: "no relationship found between node 'n1' and this object" });
    expect(await decide({ verb: 'list', group: '', resource: 'secrets', namespace: 'a' })).toEqual({ allowed: false, reason: 'No Object name found' });
    expect(await decide({ verb: 'delete', group: '', resource: 'secrets', namespace: 'a', name: 's' })).toEqual({ allowed: false, reason: 'can only read resources of this type' });
    expect(await decide({ verb: 'list', group: '', resource: 'configmaps' })).toEqual({ allowed: false, reason: 'can only read namespaced object of this type' });
  });

  it('is refused what the static node rules do not allow with no reason, as the Node authorizer leaves it', async () => {
    expect(await decide({ verb: 'delete', group: '', resource: 'nodes', name: 'n2' })).toEqual({ allowed: false, reason: '' });
    expect(await decide({ verb: 'delete', group: '', resource: 'events', namespace: 'a', name: 'e' })).toEqual({ allowed: false, reason: '' });
    expect(await decide({ verb: 'create', group: 'apps', resource: 'deployments', namespace: 'a' })).toEqual({ allowed: false, reason: '' });
    expect(await decide({ verb: 'get', group: 'example.com', resource: 'widgets', namespace: 'a', name: 'w' })).toEqual({ allowed: false, reason: '' });
    // (the kubelet's certificate rotation: it creates and reads CSRs, nothing more)
    expect(await decide({ verb: 'create', group: 'certificates.k8s.io', resource: 'certificatesigningrequests' })).toEqual({ allowed: true });
    expect(await decide({ verb: 'delete', group: 'certificates.k8s.io', resource: 'certificatesigningrequests', name: 'c' })).toEqual({ allowed: false, reason: '' });
    expect(await decide({ verb: 'update', group: 'certificates.k8s.io', resource: 'certificatesigningrequests', name: 'c', subresource: 'approval' })).toEqual({ allowed: false, reason: '' });
  });

  it('may create and delete pods and write their status whatever their node, and nothing else of pods, with no reason (authorizePod)', async () => {
    const pods = (verb: string, subresource?: string, name = 'elsewhere'): Attributes => ({ verb, group: '', resource: 'pods', namespace: 'a', name, subresource });
    expect(await decide(pods('delete'))).toEqual({ allowed: true });
    expect(await decide(pods('patch', 'status'))).toEqual({ allowed: true });
    expect(await decide({ verb: 'create', group: '', resource: 'pods', namespace: 'a' })).toEqual({ allowed: true });
    expect(await decide(pods('update'))).toEqual({ allowed: false, reason: '' });
    expect(await decide(pods('create', 'exec'))).toEqual({ allowed: false, reason: '' });
    // (evictions too, the kubelet's node-pressure eviction: NodeRestriction keeps them to its own pods)
    expect(await decide(pods('create', 'eviction'))).toEqual({ allowed: true });
    expect(await decide(pods('delete', 'eviction'))).toEqual({ allowed: false, reason: '' });
    expect(await decide(pods('create', 'binding'))).toEqual({ allowed: false, reason: '' });
  });

  it('only creates tokens of its pods\' ServiceAccounts (authorizeCreateToken)', async () => {
    const withSA = { ...pod, spec: { ...(pod.spec as object), serviceAccountName: 'sa' } } as KubeObject;
    const decideSA = (a: Attributes) => authorize(node, a, async () => undefined, async (n, ns) => (n === 'n1' && ns === 'a' ? [withSA] : []));
    const sa = (verb: string, subresource?: string, name: string | undefined = 'sa'): Attributes => ({ verb, group: '', resource: 'serviceaccounts', namespace: 'a', name, subresource });
    expect(await decideSA(sa('create', 'token'))).toEqual({ allowed: true });
    expect(await decideSA(sa('create', 'token', 'other'))).toEqual({ allowed: false, reason: "no relationship found between node 'n1' and this object" });
    expect(await decideSA(sa('get'))).toEqual({ allowed: false, reason: 'can only create tokens for individual service accounts' });
    expect(await decideSA(sa('list', undefined, undefined))).toEqual({ allowed: false, reason: 'can only create tokens for individual service accounts' });
    expect(await decideSA(sa('create'))).toEqual({ allowed: false, reason: 'can only create token subresource of serviceaccount' });
  });

  it('gets the claims of its pods, their volumes and resource claims one by one (authorizeGet)', async () => {
    const claimPod = { ...pod, spec: { ...(pod.spec as object), volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'data' } }] }, status: { resourceClaimStatuses: [{ name: 'gpu', resourceClaimName: 'p-gpu-x1' }] } } as KubeObject;
    const pv = { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv1' }, spec: { claimRef: { namespace: 'a', name: 'data' } } } as KubeObject;
    const other = { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv2' }, spec: { claimRef: { namespace: 'a', name: 'theirs' } } } as KubeObject;
    const decideV = (a: Attributes) => authorize(node, a, async () => ({ pv1: pv, pv2: other })[a.name as 'pv1'], async (n, ns) => (n === 'n1' && ns === 'a' ? [claimPod] : []));
    const none = { allowed: false, reason: "no relationship found between node 'n1' and this object" };
    expect(await decideV({ verb: 'get', group: '', resource: 'persistentvolumeclaims', namespace: 'a', name: 'data' })).toEqual({ allowed: true });
    expect(await decideV({ verb: 'get', group: '', resource: 'persistentvolumeclaims', namespace: 'a', name: 'other' })).toEqual(none);
    expect(await decideV({ verb: 'list', group: '', resource: 'persistentvolumeclaims', namespace: 'a' })).toEqual({ allowed: false, reason: 'can only get individual resources of this type' });
    expect(await decideV({ verb: 'watch', group: '', resource: 'persistentvolumes', name: 'pv1' })).toEqual({ allowed: false, reason: 'can only get individual resources of this type' });
    expect(await decideV({ verb: 'delete', group: '', resource: 'persistentvolumes', name: 'pv1' })).toEqual({ allowed: false, reason: 'can only get individual resources of this type' });
    expect(await decideV({ verb: 'update', group: '', resource: 'persistentvolumes', name: 'pv1' })).toEqual({ allowed: false, reason: 'can only get individual resources of this type' });
    expect(await decideV({ verb: 'get', group: '', resource: 'persistentvolumes', name: 'pv1', subresource: 'status' })).toEqual({ allowed: false, reason: 'cannot get subresource' });
    expect(await decideV({ verb: 'get', group: '', resource: 'persistentvolumes', name: 'pv1' })).toEqual({ allowed: true });
    expect(await decideV({ verb: 'get', group: '', resource: 'persistentvolumes', name: 'pv2' })).toEqual(none);
    // (a claim's status: authorizeStatusUpdate)
    expect(await decideV({ verb: 'patch', group: '', resource: 'persistentvolumeclaims', namespace: 'a', name: 'data', subresource: 'status' })).toEqual({ allowed: true });
    expect(await decideV({ verb: 'update', group: '', resource: 'persistentvolumeclaims', namespace: 'a', name: 'other', subresource: 'status' })).toEqual(none);
    expect(await decideV({ verb: 'get', group: '', resource: 'persistentvolumeclaims', namespace: 'a', name: 'data', subresource: 'status' })).toEqual({ allowed: false, reason: 'can only get/update/patch this type' });
    const claims = (verb: string, name?: string, subresource?: string): Attributes => ({ verb, group: 'resource.k8s.io', resource: 'resourceclaims', namespace: 'a', name, subresource });
    expect(await decideV(claims('get', 'p-gpu-x1'))).toEqual({ allowed: true });
    expect(await decideV(claims('get', 'p-gpu-x2'))).toEqual(none);
    expect(await decideV(claims('list'))).toEqual({ allowed: false, reason: 'can only get individual resources of this type' });
    expect(await decideV(claims('get', 'p-gpu-x1', 'status'))).toEqual({ allowed: false, reason: 'cannot get subresource' });
  });

  it('refuses one of system:nodes it cannot tell the node of, saying so', async () => {
    for (const name of ['kubelet', 'system:node:']) {
      expect(await authorize({ name, groups: ['system:nodes', 'system:authenticated'] }, { verb: 'get', group: '', resource: 'nodes', name: 'n1' }, async () => undefined)).toEqual({ allowed: false, reason: `unknown node for user "${name}"` });
    }
  });

  it('uses only its own Lease in kube-node-lease (authorizeLease)', async () => {
    const lease = (verb: string, namespace: string, name?: string): Attributes => ({ verb, group: 'coordination.k8s.io', resource: 'leases', namespace, name });
    expect(await decide(lease('update', 'kube-node-lease', 'n1'))).toEqual({ allowed: true });
    expect(await decide(lease('delete', 'kube-node-lease', 'n1'))).toEqual({ allowed: true });
    expect(await decide(lease('create', 'kube-node-lease'))).toEqual({ allowed: true, requireName: 'n1' });
    expect(await decide(lease('get', 'kube-node-lease', 'n2'))).toEqual({ allowed: false, reason: 'can only access node lease with the same name as the requesting node' });
    expect(await decide(lease('get', 'kube-system', 'n1'))).toEqual({ allowed: false, reason: 'can only access leases in the "kube-node-lease" system namespace' });
    expect(await decide(lease('list', 'kube-node-lease'))).toEqual({ allowed: false, reason: 'can only get, create, update, patch, or delete a node lease' });
  });
});
