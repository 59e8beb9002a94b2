// NodeRestriction for pod creates, the ServiceAccount plugin's mirror pod rules, and the mirror
// annotation's validation, against fakes.
import { describe, expect, it } from 'vitest';
import { validateMirrorPodAnnotationUpdate, validateMirrorPodCreate } from '../api/mirror-pods.js';
import { formatFieldError } from '../api/field-error.js';
import type { Pod } from '../api/types.js';
import { forbiddenNodeLabels } from '../api/node-labels.js';
import { claimStatusRefusal, nodeCSRRefusal, nodeEvictionRefusal, nodePodCreateRefusal, nodeWriteRefusal, podWriteRefusal } from './node-restriction.js';
import { ServiceAccountAdmission } from './service-account-admission.js';

const owner = { apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'u1', controller: true };
const mirror = (spec: Pod['spec'] = {}, meta: Record<string, unknown> = {}): Pod => ({
  metadata: { name: 'web-n1', annotations: { 'kubernetes.io/config.mirror': 'h' }, ownerReferences: [owner], ...meta },
  spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'i' }], ...spec },
});
const nodes = async (name: string) => (name === 'n1' ? { metadata: { name, uid: 'u1' } } : undefined);
const refusal = async (p: Pod) => {
  const r = await nodePodCreateRefusal('n1', p, nodes);
  return typeof r === 'string' || r === undefined ? r : `${r.code} ${r.message}`;
};

describe('NodeRestriction: pod creates by a node', () => {
  it('admits a mirror pod of its own', async () => {
    expect(await refusal(mirror())).toBeUndefined();
  });

  it('refuses everything else with Kubernetes\' messages', async () => {
    expect(await refusal(mirror({}, { annotations: {} }))).toBe('pod does not have "kubernetes.io/config.mirror" annotation, node "n1" can only create mirror pods');
    expect(await refusal(mirror({ nodeName: 'n2' }))).toBe('node "n1" can only create pods with spec.nodeName set to itself');
    expect(await refusal(mirror({}, { ownerReferences: [owner, owner] }))).toBe('node "n1" can only create pods with a single owner reference set to itself');
    expect(await refusal(mirror({}, { ownerReferences: [] }))).toBe('node "n1" can only create pods with an owner reference set to itself');
    expect(await refusal(mirror({}, { ownerReferences: [{ ...owner, name: 'n2' }] }))).toBe('node "n1" can only create pods with an owner reference set to itself');
    expect(await refusal(mirror({}, { ownerReferences: [{ ...owner, controller: false }] }))).toBe('node "n1" can only create pods with a controller owner reference set to itself');
    expect(await refusal(mirror({}, { ownerReferences: [{ ...owner, blockOwnerDeletion: true }] }))).toBe('node "n1" must not set blockOwnerDeletion on an owner reference');
    expect(await refusal(mirror({}, { ownerReferences: [{ ...owner, uid: 'old' }] }))).toBe('node n1 UID mismatch: expected old got u1');
    expect(await refusal(mirror({ serviceAccountName: 'default' }))).toBe('node "n1" can not create pods that reference a service account');
    expect(await refusal(mirror({ imagePullSecrets: [{ name: 'reg' }] }))).toBe('node "n1" can not create pods that reference secrets');
    expect(await refusal(mirror({ volumes: [{ name: 'v', configMap: { name: 'cm' } }] }))).toBe('node "n1" can not create pods that reference configmaps');
    // (ephemeral containers count too, as Kubernetes' AllContainers: the node authorizer would let the node read what they name)
    expect(await refusal(mirror({ ephemeralContainers: [{ name: 'd', image: 'i', env: [{ name: 'T', valueFrom: { secretKeyRef: { name: 'tok', key: 't' } } }] }] }))).toBe('node "n1" can not create pods that reference secrets');
    expect(await refusal(mirror({ volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'c' } }] }))).toBe('node "n1" can not create pods that reference persistentvolumeclaims');
    expect(await nodePodCreateRefusal('gone', { ...mirror({ nodeName: 'gone' }), metadata: { ...mirror().metadata, ownerReferences: [{ ...owner, name: 'gone' }] } }, nodes)).toMatchObject({ code: 404 });
  });
});

describe('NodeRestriction: pod deletes and status writes by a node (admitPod, admitPodStatus)', () => {
  const on = (node: string, labels?: Record<string, string>): Pod => ({ metadata: { name: 'p', labels }, spec: { nodeName: node, containers: [] } });
  it('admits them for pods bound to the node only, and a status write that keeps the labels', () => {
    expect(podWriteRefusal('n1', 'DELETE', undefined, undefined, on('n1'))).toBeUndefined();
    expect(podWriteRefusal('n1', 'UPDATE', 'status', on('n1', {}), on('n1'))).toBeUndefined();
    expect(podWriteRefusal('n1', 'DELETE', undefined, undefined, on('n2'))).toBe('node "n1" can only delete pods with spec.nodeName set to itself');
    expect(podWriteRefusal('n1', 'DELETE', undefined, undefined, on(''))).toBe('node "n1" can only delete pods with spec.nodeName set to itself');
    expect(podWriteRefusal('n1', 'UPDATE', 'status', on('n2'), on('n2'))).toBe('node "n1" can only update pod status for pods with spec.nodeName set to itself');
    expect(podWriteRefusal('n1', 'UPDATE', 'status', on('n1', { a: 'b' }), on('n1'))).toBe('node "n1" cannot update labels through pod status');
  });
});

describe('NodeRestriction: evictions by a node (admitPodEviction)', () => {
  const bound = (nodeName: string) => ({ metadata: { name: 'p' }, spec: { nodeName, containers: [] } }) as Pod;
  it('admits the eviction of a pod bound to the node only, with Kubernetes\' words', () => {
    expect(nodeEvictionRefusal('n1', 'p', bound('n1'))).toBeUndefined();
    expect(nodeEvictionRefusal('n1', 'p', bound('n2'))).toBe('node n1 can only evict pods with spec.nodeName set to itself');
    expect(nodeEvictionRefusal('n1', 'p', { metadata: { name: 'p' } } as Pod)).toBe('node n1 can only evict pods with spec.nodeName set to itself');
    expect(nodeEvictionRefusal('n1', '', undefined)).toBe('could not determine pod from request data');
    const missing = nodeEvictionRefusal('n1', 'gone', undefined);
    expect(missing).toMatchObject({ code: 404, reason: 'NotFound', message: 'pods "gone" not found' });
  });
});

describe('NodeRestriction: claim status writes by a node (admitPVCStatus)', () => {
  const claim = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c', resourceVersion: '5', labels: { a: 'b' } }, spec: { resources: { requests: { storage: '1Gi' } } }, status: { phase: 'Bound', capacity: { storage: '1Gi' } } };
  it('admits changes of capacity, conditions and the allocated resources only', () => {
    const grown = { ...claim, metadata: { ...claim.metadata, resourceVersion: '' }, status: { phase: 'Bound', capacity: { storage: '2Gi' }, conditions: [{ type: 'Resizing', status: 'True' }], allocatedResources: { storage: '2Gi' } } };
    expect(claimStatusRefusal('n1', grown, claim)).toBeUndefined();
    const relabelled = { ...claim, metadata: { ...claim.metadata, labels: { a: 'c' } }, status: { ...claim.status, phase: 'Lost' } };
    expect(claimStatusRefusal('n1', relabelled, claim)).toBe('node "n1" is not allowed to update fields other than status.quantity and status.conditions: metadata.labels, status.phase');
  });
});

describe('NodeRestriction: CSRs by a node (admitCSR)', () => {
  // (a request for CN=system:node:n1, O=system:nodes, made by openssl)
  const forN1 = Buffer.from(`-----BEGIN CERTIFICATE REQUEST-----
MIHsMIGSAgEAMDAxFTATBgNVBAoMDHN5c3RlbTpub2RlczEXMBUGA1UEAwwOc3lz
dGVtOm5vZGU6bjEwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAROfxafIaqhk7BY
Js0a7eRPZpbDgByiVyxOAl7HNXP1fPHC6dzbJl9V3AOxDYw76y/WVyDUAbpX7LAi
6FJ0j1p7oAAwCgYIKoZIzj0EAwIDSQAwRgIhALih3xxfbnXFj+lYDvot3/6rjRXt
S9DX7grWSyigkRiGAiEAim8Ym1gt9MiT2+cAvRjyETM4WCqQFpeRLDJXPin+V2M=
-----END CERTIFICATE REQUEST-----`).toString('base64');
  const csr = (signerName: string, request = forN1) => ({ metadata: { name: 'c' }, spec: { signerName, request } });
  it('admits a kubelet signer request for its own name only; other signers are not its business', () => {
    expect(nodeCSRRefusal('n1', csr('kubernetes.io/kube-apiserver-client-kubelet'))).toBeUndefined();
    expect(nodeCSRRefusal('n2', csr('kubernetes.io/kubelet-serving'))).toBe('can only create a node CSR with CN=system:node:n2');
    expect(nodeCSRRefusal('n2', csr('example.com/other'))).toBeUndefined();
    expect(nodeCSRRefusal('n1', csr('kubernetes.io/kubelet-serving', Buffer.from('nope').toString('base64')))).toBe('unable to parse csr: PEM block type must be CERTIFICATE REQUEST');
  });
});

describe('NodeRestriction: node writes by a node', () => {
  const n = (labels: Record<string, string>, taints?: unknown[]) => ({ metadata: { name: 'n1', labels }, spec: taints ? { taints } : {} });
  const kubelet = { 'kubernetes.io/hostname': 'n1', 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' };

  it('lets a node register with the kubelet\'s labels and its own, and taints', () => {
    expect(nodeWriteRefusal('n1', 'n1', n({ ...kubelet, 'node.kubernetes.io/exclude-from-external-load-balancers': '', 'x.kubelet.kubernetes.io/a': 'b', team: 'a', 'example.com/x': 'y' }, [{ key: 'k', effect: 'NoSchedule' }]), undefined)).toBeUndefined();
  });

  it('refuses restricted labels on create and any change of them or of taints on update, with Kubernetes\' messages', () => {
    expect(nodeWriteRefusal('n1', 'n1', n({ ...kubelet, 'node-role.kubernetes.io/control-plane': '', 'node-restriction.kubernetes.io/pci': 'yes' }), undefined)).toBe('node "n1" is not allowed to set the following labels: node-restriction.kubernetes.io/pci, node-role.kubernetes.io/control-plane');
    const old = n(kubelet, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]);
    expect(nodeWriteRefusal('n1', 'n1', n(kubelet), old)).toBe('node "n1" is not allowed to modify taints');
    expect(nodeWriteRefusal('n1', 'n1', n(kubelet, []), old)).toBe('node "n1" is not allowed to modify taints');
    expect(nodeWriteRefusal('n1', 'n1', n({ ...kubelet, 'sub.k8s.io/x': 'y' }, old.spec.taints), old)).toBe('is not allowed to modify labels: sub.k8s.io/x');
    expect(nodeWriteRefusal('n1', 'n1', n({ 'kubernetes.io/hostname': 'n1' }, old.spec.taints), { ...old, metadata: { name: 'n1', labels: { ...kubelet, 'node-role.kubernetes.io/db': '' } } })).toBe('is not allowed to modify labels: node-role.kubernetes.io/db');
    // (unchanged restricted labels an admin set, and changes of the kubelet's or unrestricted ones, are fine)
    const adminSet = { ...kubelet, 'node-role.kubernetes.io/db': '' };
    expect(nodeWriteRefusal('n1', 'n1', n({ ...adminSet, 'kubernetes.io/arch': 'arm64', team: 'b' }, old.spec.taints), { ...old, metadata: { name: 'n1', labels: adminSet } })).toBeUndefined();
    expect(nodeWriteRefusal('n1', 'n2', n(kubelet), n(kubelet))).toBe('node "n1" is not allowed to modify node "n2"');
    expect(forbiddenNodeLabels({ 'kubernetes.io/hostname': 'a', 'a.node-restriction.kubernetes.io/b': '' }, {})).toEqual(['a.node-restriction.kubernetes.io/b']);
  });
});

describe('ServiceAccount admission and mirror pods', () => {
  const plugin = new ServiceAccountAdmission(async () => ({ metadata: { name: 'default' } }));
  it('leaves a mirror pod without an account or a token volume', async () => {
    const p = mirror();
    await plugin.admit(p, 'default');
    expect(p.spec?.serviceAccountName).toBeUndefined();
    expect(p.spec?.volumes).toBeUndefined();
  });
  it('refuses mirror pods that reference an account, a secret or a projected token', async () => {
    const msg = (p: Pod) => plugin.admit(p, 'default').then(() => 'admitted', (e: Error) => e.message);
    expect(await msg(mirror({ serviceAccountName: 'x' }))).toBe('pods "web-n1" is forbidden: a mirror pod may not reference service accounts');
    expect(await msg(mirror({ volumes: [{ name: 's', secret: { secretName: 's' } }] }))).toBe('pods "web-n1" is forbidden: a mirror pod may not reference secrets');
    expect(await msg(mirror({ volumes: [{ name: 't', projected: { sources: [{ serviceAccountToken: { path: 't' } }] } }] }))).toBe('pods "web-n1" is forbidden: a mirror pod may not use service account token volume projection');
  });
});

describe('mirror annotation validation', () => {
  it('needs spec.nodeName on create', () => {
    expect(validateMirrorPodCreate(mirror({ nodeName: '' })).map(formatFieldError)).toEqual(['metadata.annotations[kubernetes.io/config.mirror]: Invalid value: "h": must set spec.nodeName if mirror pod annotation is set']);
    expect(validateMirrorPodCreate(mirror())).toEqual([]);
  });
  it('may not be added, changed or removed by an update', () => {
    const plain = mirror({}, { annotations: { a: 'b' } });
    expect(validateMirrorPodAnnotationUpdate(mirror(), plain).map(formatFieldError)).toEqual(['metadata.annotations[kubernetes.io/config.mirror]: Forbidden: may not add mirror pod annotation']);
    expect(validateMirrorPodAnnotationUpdate(plain, mirror()).map(formatFieldError)).toEqual(['metadata.annotations[kubernetes.io/config.mirror]: Forbidden: may not remove or update mirror pod annotation']);
    expect(validateMirrorPodAnnotationUpdate(mirror({}, { annotations: { 'kubernetes.io/config.mirror': 'other' } }), mirror()).length).toBe(1);
    expect(validateMirrorPodAnnotationUpdate(mirror(), mirror())).toEqual([]);
  });
});
