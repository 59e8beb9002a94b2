// PersistentVolumes, PersistentVolumeClaims and StorageClasses against apiserver+etcd: the
// default local-path class made at start, defaults, validation with Kubernetes' messages and
// paths, what an update may change, the admission plugins (default class, protection
// finalizers, resize), kubectl's table columns, discovery, and what a node may read and write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../pkg/api/types.js';
import { PersistentVolumeClaims, PersistentVolumes, Pods, StorageClasses } from '../../pkg/client/rest-client.js';
import { failure, pod, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { claim, hostPathVolume, storageClass } from '../helpers/storage.js';

let cp: TestControlPlane;
beforeAll(async () => {
  cp = await startControlPlane();
});
afterAll(async () => {
  await cp?.stop();
});

const spec = (o: KubeObject) => o.spec as Record<string, any>;
type Table = { columnDefinitions: { name: string; priority: number }[]; rows: { cells: unknown[] }[] };
const tableOf = (path: string) => cp.admin.request<Table>(path, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });

async function refused(p: Promise<unknown>, code: number, message: string): Promise<void> {
  const e = await failure(p);
  expect(e.code, message).toBe(code);
  expect(e.message).toContain(message);
}

describe('StorageClass', () => {
  it('local-path exists from the start, default, WaitForFirstConsumer, Delete', async () => {
    const sc = await cp.admin.get(StorageClasses, undefined, 'local-path');
    expect(sc).toMatchObject({ provisioner: 'tskube.io/local-path', reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer', metadata: { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } });
    const t = await tableOf('/apis/storage.k8s.io/v1/storageclasses/local-path');
    expect(t.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Provisioner', 'ReclaimPolicy', 'VolumeBindingMode', 'AllowVolumeExpansion', 'Age']);
    expect(t.rows[0]!.cells.slice(0, 5)).toEqual(['local-path (default)', 'tskube.io/local-path', 'Delete', 'WaitForFirstConsumer', 'false']);
  });

  it('is defaulted and validated as Kubernetes does; its parameters, provisioner and policies are fixed', async () => {
    const got = await cp.admin.create(StorageClasses, undefined, storageClass('plain', { parameters: { speed: 'fast' } }));
    expect(got).toMatchObject({ reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate' });
    await refused(cp.admin.create(StorageClasses, undefined, { ...storageClass('noprov'), provisioner: undefined }), 422, 'StorageClass.storage.k8s.io "noprov" is invalid: provisioner: Required value');
    await refused(cp.admin.create(StorageClasses, undefined, storageClass('recycle', { reclaimPolicy: 'Recycle' })), 422, 'reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"');
    await refused(cp.admin.create(StorageClasses, undefined, storageClass('mode', { volumeBindingMode: 'Later' })), 422, 'volumeBindingMode: Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"');
    await refused(cp.admin.patch(StorageClasses, undefined, 'plain', { parameters: { speed: 'slow' } }), 422, 'parameters: Forbidden: updates to parameters are forbidden.');
    await refused(cp.admin.patch(StorageClasses, undefined, 'plain', { volumeBindingMode: 'WaitForFirstConsumer' }), 422, 'volumeBindingMode: Invalid value: "WaitForFirstConsumer": field is immutable');
    const expandable = await cp.admin.patch(StorageClasses, undefined, 'plain', { allowVolumeExpansion: true });
    expect((expandable as { allowVolumeExpansion?: boolean }).allowVolumeExpansion).toBe(true);
  });
});

describe('PersistentVolume', () => {
  it('is defaulted (Retain, Filesystem, Pending, canonical capacity) and protected by its finalizer', async () => {
    const pv = await cp.admin.create(PersistentVolumes, undefined, hostPathVolume('pv-defaults', '1024Mi'));
    expect(spec(pv)).toMatchObject({ persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem', capacity: { storage: '1Gi' } });
    expect(pv.status).toMatchObject({ phase: 'Pending' });
    expect((pv.status as { lastPhaseTransitionTime?: string }).lastPhaseTransitionTime).toMatch(/Z$/);
    expect(pv.metadata?.finalizers).toEqual(['kubernetes.io/pv-protection']);
    expect(pv.metadata?.namespace).toBeUndefined();
  });

  it('rejects bad volumes with 422 naming the field', async () => {
    const base = () => hostPathVolume('bad', '1Gi');
    const with_ = (f: (s: Record<string, any>) => void) => {
      const o = base();
      f(o.spec as Record<string, any>);
      return o;
    };
    const cases: [KubeObject, string][] = [
      [with_((s) => delete s.accessModes), 'spec.accessModes: Required value'],
      [with_((s) => (s.accessModes = ['ReadWriteSometimes'])), 'spec.accessModes: Unsupported value: "ReadWriteSometimes": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"'],
      [with_((s) => (s.accessModes = ['ReadWriteOncePod', 'ReadWriteOnce'])), 'spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes'],
      [with_((s) => delete s.capacity), 'spec.capacity: Required value'],
      [with_((s) => (s.capacity = { storage: '1Gi', cpu: '1' })), 'spec.capacity: Unsupported value: {"storage":"1Gi","cpu":"1"}: supported values: "storage"'],
      [with_((s) => (s.capacity = { storage: '0' })), 'spec.capacity[storage]: Invalid value: "0": must be greater than zero'],
      [with_((s) => (s.persistentVolumeReclaimPolicy = 'Recycle')), 'spec.persistentVolumeReclaimPolicy: Forbidden: Recycle is deprecated in Kubernetes and not supported by tskube'],
      [with_((s) => delete s.hostPath), 'spec: Required value: must specify a volume type'],
      [with_((s) => (s.local = { path: '/mnt/x' })), 'spec.local: Forbidden: may not specify more than 1 volume type'],
      [with_((s) => (s.hostPath = { path: '/srv/../etc' })), `spec.hostPath.path: Invalid value: "/srv/../etc": must not contain '..'`],
      [with_((s) => (s.volumeMode = 'Block')), 'spec.volumeMode: Unsupported value: "Block": supported values: "Filesystem"'],
      [with_((s) => (s.storageClassName = 'Fast_Disks')), 'spec.storageClassName: Invalid value: "Fast_Disks"'],
      [with_((s) => (s.nodeAffinity = {})), 'spec.nodeAffinity.required: Required value: must specify required node constraints'],
      [with_((s) => (s.claimRef = { name: 'c' })), 'spec.claimRef.namespace: Required value'],
      [
        with_((s) => {
          delete s.hostPath;
          s.local = { path: '/mnt/disk' };
        }),
        'spec.nodeAffinity: Required value: Local volume requires node affinity',
      ],
    ];
    for (const [obj, message] of cases) await refused(cp.admin.create(PersistentVolumes, undefined, obj), 422, message);
    // A second source is "more than 1", whatever tskube can mount (nfs is validated, not mounted).
    await refused(cp.admin.create(PersistentVolumes, undefined, with_((s) => (s.nfs = { server: 'x', path: '/' }))), 422, 'spec.nfs: Forbidden: may not specify more than 1 volume type');
  });

  it('keeps its source, volume mode and node affinity once made', async () => {
    const local = hostPathVolume('pv-imm', '1Gi');
    const s = local.spec as Record<string, any>;
    delete s.hostPath;
    s.local = { path: '/mnt/disk1' };
    s.nodeAffinity = { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n1'] }] }] } };
    await cp.admin.create(PersistentVolumes, undefined, local);
    await refused(cp.admin.patch(PersistentVolumes, undefined, 'pv-imm', { spec: { local: { path: '/mnt/disk2' } } }), 422, 'spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation');
    await refused(cp.admin.patch(PersistentVolumes, undefined, 'pv-imm', { spec: { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n2'] }] }] } } } }), 422, 'nodeAffinity: Invalid value');
    const grown = await cp.admin.patch(PersistentVolumes, undefined, 'pv-imm', { spec: { capacity: { storage: '2Gi' }, persistentVolumeReclaimPolicy: 'Delete' } });
    expect(spec(grown)).toMatchObject({ capacity: { storage: '2Gi' }, persistentVolumeReclaimPolicy: 'Delete' });
  });

  it('prints kubectl get pv columns, with VolumeMode wide', async () => {
    await cp.admin.create(PersistentVolumes, undefined, { ...hostPathVolume('pv-table', '5Gi', ['ReadWriteOnce', 'ReadOnlyMany']), spec: { ...spec(hostPathVolume('pv-table', '5Gi', ['ReadWriteOnce', 'ReadOnlyMany'])), storageClassName: 'manual', claimRef: { namespace: 'default', name: 'data' } } });
    const t = await tableOf('/api/v1/persistentvolumes/pv-table');
    expect(t.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Capacity', 'Access Modes', 'Reclaim Policy', 'Status', 'Claim', 'StorageClass', 'VolumeAttributesClass', 'Reason', 'Age', 'VolumeMode']);
    expect(t.columnDefinitions.find((c) => c.name === 'VolumeMode')?.priority).toBe(1);
    const cells = t.rows[0]!.cells;
    expect([...cells.slice(0, 9), cells[10]]).toEqual(['pv-table', '5Gi', 'RWO,ROX', 'Retain', 'Pending', 'default/data', 'manual', '<unset>', '', 'Filesystem']);
  });
});

describe('PersistentVolumeClaim', () => {
  it('gets the default class unless it names one (or "" for none), Pending, and its protection finalizer', async () => {
    const c = await cp.admin.create(PersistentVolumeClaims, 'default', claim('c-default', '1Gi'));
    expect(spec(c)).toMatchObject({ storageClassName: 'local-path', volumeMode: 'Filesystem' });
    expect(c.status).toEqual({ phase: 'Pending' });
    expect(c.metadata?.finalizers).toEqual(['kubernetes.io/pvc-protection']);
    expect(spec(await cp.admin.create(PersistentVolumeClaims, 'default', claim('c-none', '1Gi', { storageClassName: '' }))).storageClassName).toBe('');
    expect(spec(await cp.admin.create(PersistentVolumeClaims, 'default', claim('c-plain', '1Gi', { storageClassName: 'plain' }))).storageClassName).toBe('plain');
    // Two defaults: the newest wins, as DefaultStorageClass picks since Kubernetes 1.28.
    await new Promise((r) => setTimeout(r, 1100)); // (creation timestamps have second precision)
    await cp.admin.create(StorageClasses, undefined, storageClass('newer-default', { metadata: { name: 'newer-default', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } }));
    try {
      const t = await tableOf('/apis/storage.k8s.io/v1/storageclasses');
      expect(t.rows.map((r) => r.cells[0])).toEqual(expect.arrayContaining(['local-path (default)', 'newer-default (default)', 'plain']));
      expect(spec(await cp.admin.create(PersistentVolumeClaims, 'default', claim('c-newest', '1Gi'))).storageClassName).toBe('newer-default');
    } finally {
      await cp.admin.delete(StorageClasses, undefined, 'newer-default');
    }
  });

  it('rejects bad claims with 422 naming the field', async () => {
    const cases: [KubeObject, string][] = [
      [claim('no-modes', '1Gi', { accessModes: [] }), 'spec.accessModes: Required value: at least 1 access mode is required'],
      [claim('no-size', '1Gi', { resources: {} }), 'spec.resources[storage]: Required value'],
      [claim('zero', '0'), 'spec.resources[storage]: Invalid value: "0": must be greater than zero'],
      [claim('rwop', '1Gi', { accessModes: ['ReadWriteOncePod', 'ReadOnlyMany'] }), 'spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes'],
      [claim('sel', '1Gi', { selector: { matchExpressions: [{ key: 'tier', operator: 'Near' }] } }), 'spec.selector.matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator'],
      [claim('block', '1Gi', { volumeMode: 'Block' }), 'spec.volumeMode: Unsupported value: "Block": supported values: "Filesystem"'],
    ];
    for (const [obj, message] of cases) await refused(cp.admin.create(PersistentVolumeClaims, 'default', obj), 422, message);
  });

  it('is immutable but for its volume name once, and a bound claim growing as far as its class allows', async () => {
    await cp.admin.create(PersistentVolumeClaims, 'default', claim('c-upd', '1Gi', { storageClassName: 'plain' }));
    const immutable = 'spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims';
    await refused(cp.admin.patch(PersistentVolumeClaims, 'default', 'c-upd', { spec: { accessModes: ['ReadWriteMany'] } }), 422, immutable);
    await refused(cp.admin.patch(PersistentVolumeClaims, 'default', 'c-upd', { spec: { resources: { requests: { storage: '2Gi' } } } }), 422, immutable);
    const named = await cp.admin.patch(PersistentVolumeClaims, 'default', 'c-upd', { spec: { volumeName: 'pv-x' } });
    expect(spec(named).volumeName).toBe('pv-x');
    await refused(cp.admin.patch(PersistentVolumeClaims, 'default', 'c-upd', { spec: { volumeName: 'pv-y' } }), 422, immutable);
    // Bound (as the PV controller would write it): the request may grow where the class allows expansion.
    await cp.admin.patch(PersistentVolumeClaims, 'default', 'c-upd', { status: { phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'] } }, 'merge', 'status');
    const grown = await cp.admin.patch(PersistentVolumeClaims, 'default', 'c-upd', { spec: { resources: { requests: { storage: '2Gi' } } } });
    expect(spec(grown).resources.requests.storage).toBe('2Gi');
    await refused(cp.admin.patch(PersistentVolumeClaims, 'default', 'c-upd', { spec: { resources: { requests: { storage: '512Mi' } } } }), 422, 'spec.resources.requests.storage: Forbidden: field can not be less than status.capacity');
    // A class without allowVolumeExpansion: 403 from the resize admission.
    await cp.admin.create(PersistentVolumeClaims, 'default', claim('c-fixed', '1Gi', { storageClassName: 'local-path' }));
    await cp.admin.patch(PersistentVolumeClaims, 'default', 'c-fixed', { status: { phase: 'Bound', capacity: { storage: '1Gi' } } }, 'merge', 'status');
    await refused(cp.admin.patch(PersistentVolumeClaims, 'default', 'c-fixed', { spec: { resources: { requests: { storage: '2Gi' } } } }), 403, 'persistentvolumeclaims "c-fixed" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize');
  });

  it('prints kubectl get pvc columns: capacity and access modes once it names its volume', async () => {
    const t = await tableOf('/api/v1/namespaces/default/persistentvolumeclaims');
    expect(t.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Status', 'Volume', 'Capacity', 'Access Modes', 'StorageClass', 'VolumeAttributesClass', 'Age', 'VolumeMode']);
    const row = (name: string) => t.rows.find((r) => r.cells[0] === name)!.cells;
    expect(row('c-default').slice(0, 7)).toEqual(['c-default', 'Pending', '', '', '', 'local-path', '<unset>']);
    expect(row('c-upd').slice(0, 7)).toEqual(['c-upd', 'Bound', 'pv-x', '1Gi', 'RWO', 'plain', '<unset>']);
  });

  it('is listed in discovery with its short name, PV and SC too', async () => {
    const core = await cp.admin.request<{ resources: { name: string; shortNames?: string[]; namespaced: boolean }[] }>('/api/v1');
    const byName = new Map(core.resources.map((r) => [r.name, r]));
    expect(byName.get('persistentvolumeclaims')).toMatchObject({ shortNames: ['pvc'], namespaced: true });
    expect(byName.get('persistentvolumes')).toMatchObject({ shortNames: ['pv'], namespaced: false });
    expect(byName.get('persistentvolumes/status')).toBeDefined();
    const storage = await cp.admin.request<{ resources: { name: string; shortNames?: string[]; namespaced: boolean }[] }>('/apis/storage.k8s.io/v1');
    expect(storage.resources.find((r) => r.name === 'storageclasses')).toMatchObject({ shortNames: ['sc'], namespaced: false });
  });
});

describe('node authorization', () => {
  it('lets a node get only the claims its pods use and their volumes, and update only its local-path volumes', async () => {
    const node = cp.nodeClient('storage-node');
    await cp.admin.create(PersistentVolumeClaims, 'default', claim('used', '1Gi', { storageClassName: '' }));
    await cp.admin.create(PersistentVolumeClaims, 'default', claim('unused', '1Gi', { storageClassName: '' }));
    await cp.admin.create(PersistentVolumes, undefined, { ...hostPathVolume('pv-used', '1Gi'), spec: { ...spec(hostPathVolume('pv-used', '1Gi')), claimRef: { namespace: 'default', name: 'used' } } });
    await cp.admin.create(PersistentVolumes, undefined, hostPathVolume('pv-other', '1Gi'));
    const p = pod('uses-claim', { spec: { nodeName: 'storage-node', containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'used' } }] } });
    await cp.admin.create(Pods, 'default', p);
    expect((await node.get(PersistentVolumeClaims, 'default', 'used')).metadata?.name).toBe('used');
    expect((await node.get(PersistentVolumes, undefined, 'pv-used')).metadata?.name).toBe('pv-used');
    await refused(node.get(PersistentVolumeClaims, 'default', 'unused'), 403, "no relationship found between node 'storage-node' and this object");
    await refused(node.get(PersistentVolumes, undefined, 'pv-other'), 403, "no relationship found between node 'storage-node' and this object");
    await refused(node.list(PersistentVolumes), 403, 'can only get individual resources of this type');
    // A claim's status: its capacity and conditions (volume expansion), nothing else, and only of its pods' claims.
    const resizing = await node.patch(PersistentVolumeClaims, 'default', 'used', { status: { conditions: [{ type: 'FileSystemResizePending', status: 'True' }] } }, 'merge', 'status');
    expect((resizing.status as { conditions: { type: string }[] }).conditions[0]!.type).toBe('FileSystemResizePending');
    await refused(node.patch(PersistentVolumeClaims, 'default', 'used', { status: { phase: 'Lost' } }, 'merge', 'status'), 403, 'persistentvolumeclaims "used" is forbidden: node "storage-node" is not allowed to update fields other than status.quantity and status.conditions: status.phase');
    await refused(node.patch(PersistentVolumeClaims, 'default', 'unused', { status: { conditions: [] } }, 'merge', 'status'), 403, "no relationship found between node 'storage-node' and this object");
    await refused(node.get(PersistentVolumeClaims, 'default', 'used', 'status'), 403, 'can only get/update/patch this type');
    await refused(node.patch(PersistentVolumes, undefined, 'pv-used', { metadata: { labels: { x: 'y' } } }), 403, 'can only get individual resources of this type');
    // A local-path volume pinned to the node: the node may get it and update it (its cleanup finalizer).
    const pinned = hostPathVolume('pv-pinned', '1Gi');
    Object.assign(pinned.metadata!, { annotations: { 'pv.kubernetes.io/provisioned-by': 'tskube.io/local-path' } });
    spec(pinned).nodeAffinity = { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['storage-node'] }] }] } };
    await cp.admin.create(PersistentVolumes, undefined, pinned);
    const updated = await node.patch(PersistentVolumes, undefined, 'pv-pinned', { metadata: { finalizers: ['kubernetes.io/pv-protection', 'tskube.io/local-path-cleanup'] } });
    expect(updated.metadata?.finalizers).toContain('tskube.io/local-path-cleanup');
    await refused(node.create(PersistentVolumes, undefined, hostPathVolume('pv-made-by-node', '1Gi')), 403, 'can only get individual resources of this type');
  });
});
