// The CSI kinds of storage.k8s.io/v1 (CSIDriver, CSINode, CSIStorageCapacity, VolumeAttachment)
// against the real apiserver and etcd: discovery and OpenAPI, CRUD with 1.32's defaults, Table
// columns and validation messages (immutable fields refused), the VolumeAttachment status
// subresource, and a node's access to CSINodes (its own only, as NodeRestriction allows).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CSIDriver, CSINode, CSIStorageCapacity, Node, VolumeAttachment } from '../../pkg/api/types.js';
import { CSIDrivers, CSINodes, CSIStorageCapacities, Namespaces, Nodes, VolumeAttachments, type RestClient } from '../../pkg/client/rest-client.js';
import { initializeCSINode, MIGRATED_PLUGINS_ANNOTATION } from '../../pkg/nodeagent/csi-node.js';
import { failure, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { hasKubectl, kubectlOk } from '../helpers/kubectl.js';

let cp: TestControlPlane;
let admin: RestClient;

beforeAll(async () => {
  cp = await startControlPlane();
  admin = cp.admin;
});
const cacheDir = mkdtempSync(join(tmpdir(), 'kubectl-cache-'));
afterAll(async () => {
  await cp?.stop();
  rmSync(cacheDir, { recursive: true, force: true });
});

const TABLE = { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' };
type Table = { columnDefinitions: { name: string; type: string }[]; rows: { cells: unknown[] }[] };
const table = (path: string) => admin.request<Table>(path, TABLE);
const columns = (t: Table) => t.columnDefinitions.map((c) => c.name);

describe('storage.k8s.io/v1 CSI kinds', () => {
  it('are in discovery and OpenAPI as kube-apiserver 1.32 serves them', async () => {
    const res = await admin.request<{ resources: { name: string; namespaced: boolean; kind: string; shortNames?: string[]; verbs: string[] }[] }>('/apis/storage.k8s.io/v1');
    const by = (n: string) => res.resources.find((r) => r.name === n);
    expect(by('csidrivers')).toMatchObject({ namespaced: false, kind: 'CSIDriver' });
    expect(by('csinodes')).toMatchObject({ namespaced: false, kind: 'CSINode' });
    expect(by('csistoragecapacities')).toMatchObject({ namespaced: true, kind: 'CSIStorageCapacity' });
    expect(by('volumeattachments')).toMatchObject({ namespaced: false, kind: 'VolumeAttachment' });
    expect(by('volumeattachments/status')).toMatchObject({ kind: 'VolumeAttachment' });
    for (const n of ['csidrivers', 'csinodes', 'csistoragecapacities', 'volumeattachments']) expect(by(n)?.shortNames ?? []).toEqual([]);
    const doc = await admin.request<{ components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> } }>('/openapi/v3/apis/storage.k8s.io/v1');
    const s = doc.components.schemas;
    expect(Object.keys(s['io.k8s.api.storage.v1.CSIDriverSpec']?.properties ?? {})).toEqual(expect.arrayContaining(['attachRequired', 'podInfoOnMount', 'fsGroupPolicy', 'tokenRequests', 'seLinuxMount']));
    expect(s['io.k8s.api.storage.v1.TokenRequest']?.required).toEqual(['audience']);
    expect(s['io.k8s.api.storage.v1.VolumeAttachmentSpec']?.required).toEqual(['attacher', 'source', 'nodeName']);
    expect(s['io.k8s.api.storage.v1.CSINodeDriver']?.required).toEqual(['name', 'nodeID']);
    // apply schema: modes a set, drivers a map keyed by name (patchMergeKey name too)
    expect(s['io.k8s.api.storage.v1.CSIDriverSpec']?.properties?.volumeLifecycleModes).toMatchObject({ 'x-kubernetes-list-type': 'set' });
    expect(s['io.k8s.api.storage.v1.CSINodeSpec']?.properties?.drivers).toMatchObject({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge' });
  });

  it('CSIDriver: defaulted, NAME ATTACHREQUIRED ... MODES AGE, attachRequired and volumeLifecycleModes immutable', async () => {
    const created = await admin.create<CSIDriver>(CSIDrivers, undefined, { apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', metadata: { name: 'hostpath.csi.k8s.io' }, spec: { podInfoOnMount: true, tokenRequests: [{ audience: 'vault' }] } });
    expect(created.spec).toEqual({
      attachRequired: true,
      podInfoOnMount: true,
      storageCapacity: false,
      fsGroupPolicy: 'ReadWriteOnceWithFSType',
      volumeLifecycleModes: ['Persistent'],
      tokenRequests: [{ audience: 'vault' }],
      requiresRepublish: false,
      seLinuxMount: false,
    });
    const t = await table('/apis/storage.k8s.io/v1/csidrivers');
    expect(columns(t)).toEqual(['Name', 'AttachRequired', 'PodInfoOnMount', 'StorageCapacity', 'TokenRequests', 'RequiresRepublish', 'Modes', 'Age']);
    expect(t.rows.map((r) => r.cells.slice(0, 7))).toContainEqual(['hostpath.csi.k8s.io', true, true, false, 'vault', false, 'Persistent']);
    // mutable since 1.29: podInfoOnMount, fsGroupPolicy; storageCapacity since 1.23
    const updated = await admin.update<CSIDriver>(CSIDrivers, undefined, 'hostpath.csi.k8s.io', { ...created, spec: { ...created.spec, podInfoOnMount: false, fsGroupPolicy: 'File', storageCapacity: true } });
    expect(updated.spec).toMatchObject({ podInfoOnMount: false, fsGroupPolicy: 'File', storageCapacity: true });
    // no generation on create (PrepareForCreate sets none); each spec change bumps it
    expect(created.metadata?.generation).toBeUndefined();
    expect(updated.metadata?.generation).toBe(1);
    const immutable = await failure(admin.update(CSIDrivers, undefined, 'hostpath.csi.k8s.io', { ...updated, spec: { ...updated.spec, attachRequired: false, volumeLifecycleModes: ['Persistent', 'Ephemeral'] } }));
    expect(immutable.code).toBe(422);
    expect(immutable.message).toBe(
      'CSIDriver.storage.k8s.io "hostpath.csi.k8s.io" is invalid: [spec.attachedRequired: Invalid value: false: field is immutable, spec.volumeLifecycleModes: Invalid value: []storage.VolumeLifecycleMode{"Persistent", "Ephemeral"}: field is immutable]',
    );
    const bad = await failure(admin.create(CSIDrivers, undefined, { metadata: { name: 'bad.csi' }, spec: { fsGroupPolicy: 'Always' } }));
    expect(bad.message).toBe('CSIDriver.storage.k8s.io "bad.csi" is invalid: spec.fsGroupPolicy: Unsupported value: "Always": supported values: "File", "None", "ReadWriteOnceWithFSType"');
    await admin.delete(CSIDrivers, undefined, 'hostpath.csi.k8s.io');
    expect((await failure(admin.get(CSIDrivers, undefined, 'hostpath.csi.k8s.io'))).code).toBe(404);
  });

  it('CSINode: NAME DRIVERS AGE; a kept driver may not change; a node writes only its own', async () => {
    const created = await admin.create<CSINode>(CSINodes, undefined, { metadata: { name: 'csi-node-a' }, spec: { drivers: [{ name: 'hostpath.csi.k8s.io', nodeID: 'csi-node-a', topologyKeys: ['topology.hostpath.csi/node'] }] } });
    const t = await table('/apis/storage.k8s.io/v1/csinodes');
    expect(columns(t)).toEqual(['Name', 'Drivers', 'Age']);
    expect(t.rows.map((r) => r.cells.slice(0, 2))).toContainEqual(['csi-node-a', 1]);
    const changed = await failure(admin.update(CSINodes, undefined, 'csi-node-a', { ...created, spec: { drivers: [{ name: 'hostpath.csi.k8s.io', nodeID: 'other' }] } }));
    expect(changed.message).toBe(
      'CSINode.storage.k8s.io "csi-node-a" is invalid: CSINodeDriver: Invalid value: storage.CSINodeDriver{Name:"hostpath.csi.k8s.io", NodeID:"other", TopologyKeys:[]string(nil), Allocatable:(*storage.VolumeNodeResources)(nil)}: field is immutable',
    );
    const added = await admin.update<CSINode>(CSINodes, undefined, 'csi-node-a', { ...created, spec: { drivers: [...(created.spec?.drivers ?? []), { name: 'nfs.csi.k8s.io', nodeID: 'csi-node-a' }] } });
    expect(added.spec?.drivers?.map((d) => d.name)).toEqual(['hostpath.csi.k8s.io', 'nfs.csi.k8s.io']);
    // lists without omitempty read back as null when left out
    expect(added.spec?.drivers?.[1]).toEqual({ name: 'nfs.csi.k8s.io', nodeID: 'csi-node-a', topologyKeys: null });
    const bare = await admin.create<CSINode>(CSINodes, undefined, { metadata: { name: 'csi-node-e' }, spec: {} });
    expect(bare.spec).toEqual({ drivers: null });
    expect((await table('/apis/storage.k8s.io/v1/csinodes')).rows.map((r) => r.cells.slice(0, 2))).toContainEqual(['csi-node-e', 0]);
    await admin.delete(CSINodes, undefined, 'csi-node-e');
    const dup = await failure(admin.create(CSINodes, undefined, { metadata: { name: 'csi-node-b' }, spec: { drivers: [{ name: 'a.csi', nodeID: 'x' }, { name: 'a.csi', nodeID: '' }] } }));
    expect(dup.message).toBe('CSINode.storage.k8s.io "csi-node-b" is invalid: [spec.drivers[1].nodeID: Required value, spec.drivers[1].name: Duplicate value: "a.csi"]');

    // system:node: its own CSINode (create, update, delete), not another's
    const node = cp.nodeClient('csi-node-c');
    await node.create(CSINodes, undefined, { metadata: { name: 'csi-node-c' }, spec: { drivers: [] } });
    const other = await failure(node.create(CSINodes, undefined, { metadata: { name: 'csi-node-d' }, spec: { drivers: [] } }));
    expect(other.code).toBe(403);
    expect(other.message).toBe('csinodes.storage.k8s.io "csi-node-d" is forbidden: can only access CSINode with the same name as the requesting node');
    // (the Node authorizer: another node's CSINode is refused before admission; none may be listed)
    const foreign = await failure(node.delete(CSINodes, undefined, 'csi-node-a'));
    expect(foreign.message).toBe(
      'csinodes.storage.k8s.io "csi-node-a" is forbidden: User "system:node:csi-node-c" cannot delete resource "csinodes" in API group "storage.k8s.io" at the cluster scope: can only access CSINode with the same name as the requesting node',
    );
    expect((await failure(node.get(CSINodes, undefined, 'csi-node-a'))).code).toBe(403);
    expect((await failure(node.list(CSINodes))).message).toContain('can only get, create, update, patch, or delete a CSINode');
    // (drivers is no omitempty list, and 1.32 stores CSINodes as protobuf: an empty one is served null)
    expect((await node.get<CSINode>(CSINodes, undefined, 'csi-node-c')).spec).toEqual({ drivers: null });
    await node.delete(CSINodes, undefined, 'csi-node-c');
    await admin.delete(CSINodes, undefined, 'csi-node-a');
    expect((await failure(admin.get(CSINodes, undefined, 'csi-node-a'))).code).toBe(404);
  });

  it('CSIStorageCapacity: namespaced, the default columns NAME CREATED AT, nodeTopology and storageClassName immutable', async () => {
    await admin.create(Namespaces, undefined, { metadata: { name: 'csi-cap' } });
    const created = await admin.create<CSIStorageCapacity>(CSIStorageCapacities, 'csi-cap', {
      metadata: { name: 'csisc-1' },
      storageClassName: 'fast',
      nodeTopology: { matchLabels: { 'topology.hostpath.csi/node': 'n1' } },
      capacity: '1.5Gi',
    });
    expect(created.capacity).toBe('1536Mi');
    const t = await table('/apis/storage.k8s.io/v1/namespaces/csi-cap/csistoragecapacities');
    // (its 1.32 store uses rest.NewDefaultTableConvertor, so printers.go's STORAGECLASSNAME and CAPACITY are never shown)
    expect(t.columnDefinitions.map((c) => [c.name, c.type])).toEqual([['Name', 'string'], ['Created At', 'date']]);
    expect(t.rows.map((r) => r.cells)).toEqual([['csisc-1', created.metadata?.creationTimestamp]]);
    const grown = await admin.update<CSIStorageCapacity>(CSIStorageCapacities, 'csi-cap', 'csisc-1', { ...created, capacity: '2Gi' });
    expect(grown.capacity).toBe('2Gi');
    const moved = await failure(admin.update(CSIStorageCapacities, 'csi-cap', 'csisc-1', { ...grown, storageClassName: 'slow', nodeTopology: { matchLabels: { zone: 'b' } } }));
    expect(moved.message).toBe(
      'CSIStorageCapacity.storage.k8s.io "csisc-1" is invalid: [nodeTopology: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"zone":"b"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable, storageClassName: Invalid value: "slow": field is immutable]',
    );
    const negative = await failure(admin.create(CSIStorageCapacities, 'csi-cap', { metadata: { name: 'csisc-2' }, storageClassName: 'fast', capacity: '-1Gi' }));
    expect(negative.message).toBe('CSIStorageCapacity.storage.k8s.io "csisc-2" is invalid: capacity: Invalid value: "-1Gi": must be greater than or equal to 0');
    await admin.delete(CSIStorageCapacities, 'csi-cap', 'csisc-1');
    expect((await admin.list(CSIStorageCapacities, 'csi-cap')).items).toEqual([]);
    await admin.delete(Namespaces, undefined, 'csi-cap');
  });

  it('VolumeAttachment: status cleared on create and written through /status, NAME ATTACHER PV NODE ATTACHED AGE, spec immutable', async () => {
    const spec = { attacher: 'hostpath.csi.k8s.io', nodeName: 'node-1', source: { persistentVolumeName: 'pv-1' } };
    const created = await admin.create<VolumeAttachment>(VolumeAttachments, undefined, { metadata: { name: 'csi-abc' }, spec, status: { attached: true } });
    expect(created.status).toEqual({ attached: false });
    const kept = await admin.update<VolumeAttachment>(VolumeAttachments, undefined, 'csi-abc', { ...created, metadata: { ...created.metadata, labels: { a: 'b' } }, status: { attached: true } });
    expect(kept.status).toEqual({ attached: false });
    expect(kept.metadata?.labels).toEqual({ a: 'b' });
    const attached = await admin.update<VolumeAttachment>(VolumeAttachments, undefined, 'csi-abc', { ...kept, metadata: { ...kept.metadata, labels: {} }, status: { attached: true, attachmentMetadata: { devicePath: '/dev/sdb' } } }, 'status');
    expect(attached.status).toEqual({ attached: true, attachmentMetadata: { devicePath: '/dev/sdb' } });
    expect(attached.metadata?.labels).toEqual({ a: 'b' });
    const t = await table('/apis/storage.k8s.io/v1/volumeattachments');
    expect(columns(t)).toEqual(['Name', 'Attacher', 'PV', 'Node', 'Attached', 'Age']);
    expect(t.rows.map((r) => r.cells.slice(0, 5))).toContainEqual(['csi-abc', 'hostpath.csi.k8s.io', 'pv-1', 'node-1', true]);
    // a node gets the attachments to it, one by one
    expect((await cp.nodeClient('node-1').get<VolumeAttachment>(VolumeAttachments, undefined, 'csi-abc')).spec?.nodeName).toBe('node-1');
    expect((await failure(cp.nodeClient('node-2').get(VolumeAttachments, undefined, 'csi-abc'))).message).toContain("no relationship found between node 'node-2' and this object");
    expect((await failure(cp.nodeClient('node-1').list(VolumeAttachments))).message).toContain('can only get individual resources of this type');
    const moved = await failure(admin.update(VolumeAttachments, undefined, 'csi-abc', { ...attached, spec: { ...spec, nodeName: 'node-2' } }));
    expect(moved.message).toBe(
      'VolumeAttachment.storage.k8s.io "csi-abc" is invalid: spec: Invalid value: storage.VolumeAttachmentSpec{Attacher:"hostpath.csi.k8s.io", Source:storage.VolumeAttachmentSource{PersistentVolumeName:(*string)(0xc000000000), InlineVolumeSpec:(*core.PersistentVolumeSpec)(nil)}, NodeName:"node-2"}: field is immutable',
    );
    const noSource = await failure(admin.create(VolumeAttachments, undefined, { metadata: { name: 'csi-def' }, spec: { attacher: 'hostpath.csi.k8s.io', nodeName: 'node-1', source: {} } }));
    expect(noSource.message).toBe('VolumeAttachment.storage.k8s.io "csi-def" is invalid: spec.source: Required value: must specify exactly one of inlineVolumeSpec and persistentVolumeName');
    await admin.delete(VolumeAttachments, undefined, 'csi-abc');
    expect((await failure(admin.get(VolumeAttachments, undefined, 'csi-abc'))).code).toBe(404);
  });

  it.skipIf(!hasKubectl)('kubectl applies a CSI driver\'s manifests, prints their columns and explains their fields', async () => {
    const kubectl = (...args: string[]) => kubectlOk(cp.kubeconfig, cacheDir, args);
    const manifests = [
      { apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', metadata: { name: 'nfs.csi.k8s.io' }, spec: { attachRequired: false, volumeLifecycleModes: ['Persistent', 'Ephemeral'] } },
      { apiVersion: 'storage.k8s.io/v1', kind: 'CSINode', metadata: { name: 'kubectl-node' }, spec: { drivers: [] } },
    ];
    await kubectlOk(cp.kubeconfig, cacheDir, ['apply', '-f', '-'], manifests.map((m) => JSON.stringify(m)).join('\n'));
    expect(await kubectl('get', 'csidrivers')).toMatch(/^NAME\s+ATTACHREQUIRED\s+PODINFOONMOUNT\s+STORAGECAPACITY\s+TOKENREQUESTS\s+REQUIRESREPUBLISH\s+MODES\s+AGE\nnfs\.csi\.k8s\.io\s+false\s+false\s+false\s+<unset>\s+false\s+Persistent,Ephemeral\s+\d+s\n$/);
    expect(await kubectl('get', 'csinode', 'kubectl-node')).toMatch(/^NAME\s+DRIVERS\s+AGE\nkubectl-node\s+0\s+\d+s\n$/);
    expect(await kubectl('explain', 'csidriver.spec.fsGroupPolicy')).toContain('ReadWriteOnceWithFSType');
    expect(await kubectl('api-resources', '--api-group=storage.k8s.io', '--no-headers')).toMatch(/^csidrivers\s+storage\.k8s\.io\/v1\s+false\s+CSIDriver$/m);
    await kubectl('delete', 'csidriver/nfs.csi.k8s.io', 'csinode/kubectl-node');
  });

  it('the node agent makes its CSINode as the kubelet does: named after its Node, owned by it, no drivers, the migrated plugins named', async () => {
    const node = cp.nodeClient('csi-agent-node');
    const registered = await node.create<Node>(Nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'csi-agent-node' } });
    expect(await initializeCSINode(node, 'csi-agent-node')).toBe('created');
    const made = await admin.get<CSINode>(CSINodes, undefined, 'csi-agent-node');
    expect(made.metadata?.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: 'csi-agent-node', uid: registered.metadata?.uid }]);
    expect(made.metadata?.annotations).toEqual({
      [MIGRATED_PLUGINS_ANNOTATION]: 'kubernetes.io/aws-ebs,kubernetes.io/azure-disk,kubernetes.io/azure-file,kubernetes.io/cinder,kubernetes.io/gce-pd,kubernetes.io/portworx-volume,kubernetes.io/vsphere-volume',
    });
    expect(made.spec).toEqual({ drivers: null }); // (sent as [], served as 1.32 serves it)
    // a restart leaves it alone, or fixes only the annotation
    expect(await initializeCSINode(node, 'csi-agent-node')).toBe('unchanged');
    await admin.patch(CSINodes, undefined, 'csi-agent-node', { metadata: { annotations: { [MIGRATED_PLUGINS_ANNOTATION]: 'kubernetes.io/gce-pd' } } }, 'merge');
    expect(await initializeCSINode(node, 'csi-agent-node')).toBe('updated');
    expect((await admin.get<CSINode>(CSINodes, undefined, 'csi-agent-node')).metadata?.annotations?.[MIGRATED_PLUGINS_ANNOTATION]).toContain('kubernetes.io/vsphere-volume');
    // another node's agent may not make it for this one
    await admin.delete(CSINodes, undefined, 'csi-agent-node');
    const other = await failure(initializeCSINode(cp.nodeClient('csi-agent-other'), 'csi-agent-node'));
    expect(other.code).toBe(403);
    expect(other.message).toBe(
      'csinodes.storage.k8s.io "csi-agent-node" is forbidden: User "system:node:csi-agent-other" cannot get resource "csinodes" in API group "storage.k8s.io" at the cluster scope: can only access CSINode with the same name as the requesting node',
    );
    await admin.delete(Nodes, undefined, 'csi-agent-node');
  });
});
