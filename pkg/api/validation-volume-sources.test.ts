import { describe, expect, it } from 'vitest';
import { defaultPodSpec } from './defaults.js';
import { formatFieldError } from './field-error.js';
import type { PersistentVolume, StorageClass, Volume } from './types.js';
import { validatePodSpec } from './validation-pod.js';
import { validatePersistentVolume, validatePersistentVolumeClaimSpec, validatePersistentVolumeUpdate, validateStorageClass } from './validation-storage.js';

// The volume sources tskube accepts but does not mount, validated as 1.32's validateVolumeSource,
// ValidatePersistentVolumeSpec and ValidatePersistentVolumeClaimSpec do (their words and paths).
const volumeErrors = (...volumes: Volume[]) =>
  validatePodSpec({ containers: [{ name: 'c', image: 'i' }], volumes })
    .map(formatFieldError)
    .filter((m) => m.startsWith('spec.volumes'));

describe('pod volume sources tskube does not mount', () => {
  it('takes valid ones', () => {
    expect(
      volumeErrors(
        { name: 'a', nfs: { server: 'nfs.example', path: '/exports' } },
        { name: 'b', iscsi: { targetPortal: '10.0.0.1:3260', iqn: 'iqn.2001-04.com.example:storage.disk1', lun: 0 } },
        { name: 'c', csi: { driver: 'inline.storage.example.com', nodePublishSecretRef: { name: 's' } } },
        { name: 'd', gitRepo: { repository: 'https://example.com/r.git', directory: 'src' } },
        { name: 'e', cephfs: { monitors: ['10.0.0.1:6789'] } },
        { name: 'f', rbd: { monitors: ['10.0.0.1:6789'], image: 'img' } },
        { name: 'g', fc: { wwids: ['3600508b400105e210000900000490000'] } },
        { name: 'h', flexVolume: { driver: 'example.com/lvm', options: { 'example.com/size': '1G' } } },
        { name: 'i', quobyte: { registry: 'r1:7861,r2:7861', volume: 'v' } },
      ),
    ).toEqual([]);
  });

  it('refuses a second source and no source, as validateVolumeSource', () => {
    expect(volumeErrors({ name: 'a', hostPath: { path: '/x' }, nfs: { server: 's', path: '/' } })).toEqual(['spec.volumes[0].nfs: Forbidden: may not specify more than 1 volume type']);
    // (upstream's own spellings of the second source's field)
    expect(volumeErrors({ name: 'a', emptyDir: {}, cephfs: { monitors: [] }, downwardAPI: {} })).toEqual([
      'spec.volumes[0].cephFS: Forbidden: may not specify more than 1 volume type',
      'spec.volumes[0].downwarAPI: Forbidden: may not specify more than 1 volume type',
    ]);
    expect(volumeErrors({ name: 'a' })).toEqual(['spec.volumes[0]: Required value: must specify a volume type']);
  });

  it('checks nfs, iscsi, csi, gitRepo, cephfs, rbd, fc and flexVolume fields', () => {
    expect(volumeErrors({ name: 'a', nfs: { server: '', path: 'exports' } })).toEqual([
      'spec.volumes[0].nfs.server: Required value',
      'spec.volumes[0].nfs.path: Invalid value: "exports": must be an absolute path',
    ]);
    expect(volumeErrors({ name: 'a', nfs: {} })).toEqual(['spec.volumes[0].nfs.server: Required value', 'spec.volumes[0].nfs.path: Required value', 'spec.volumes[0].nfs.path: Invalid value: "": must be an absolute path']);
    expect(volumeErrors({ name: 'a', iscsi: { targetPortal: '', iqn: 'foo', lun: 256, chapAuthSession: true } })).toEqual([
      'spec.volumes[0].iscsi.targetPortal: Required value',
      'spec.volumes[0].iscsi.iqn: Invalid value: "foo": must be valid format starting with iqn, eui, or naa',
      'spec.volumes[0].iscsi.lun: Invalid value: 256: must be between 0 and 255, inclusive',
      'spec.volumes[0].iscsi.secretRef: Required value',
    ]);
    expect(volumeErrors({ name: 'a', iscsi: { targetPortal: 'p', iqn: 'iqn.2001-04.com.example', initiatorName: 'eui.123' } })).toEqual([
      'spec.volumes[0].iscsi.iqn: Invalid value: "iqn.2001-04.com.example": must be valid format',
      'spec.volumes[0].iscsi.initiatorname: Invalid value: "eui.123": must be valid format',
    ]);
    const long = 'a'.repeat(60);
    expect(volumeErrors({ name: long, iscsi: { targetPortal: '10.0.0.1:3260', iqn: 'iqn.2001-04.com.example:x', initiatorName: 'iqn.2001-04.com.example:node' } })).toEqual([
      `spec.volumes[0].name: Invalid value: "${long}": Total length of <volume name>:<iscsi.targetPortal> must be under 64 characters if iscsi.initiatorName is specified.`,
    ]);
    expect(volumeErrors({ name: 'a', csi: { driver: '' } }, { name: 'b', csi: { driver: 'Bad_Driver', nodePublishSecretRef: {} } })).toEqual([
      'spec.volumes[0].csi.driver: Required value',
      expect.stringMatching(/^spec\.volumes\[0\]\.csi\.driver: Invalid value: "": a lowercase RFC 1123 subdomain/),
      expect.stringMatching(/^spec\.volumes\[1\]\.csi\.driver: Invalid value: "Bad_Driver": a lowercase RFC 1123 subdomain/),
      'spec.volumes[1].csi.nodePublishSecretRef.name: Required value',
    ]);
    expect(volumeErrors({ name: 'a', gitRepo: { repository: '', directory: '../x' } }, { name: 'b', gitRepo: { repository: 'r', directory: '/abs' } })).toEqual([
      'spec.volumes[0].gitRepo.repository: Required value',
      `spec.volumes[0].gitRepo.directory: Invalid value: "../x": must not contain '..'`,
      'spec.volumes[1].gitRepo.directory: Invalid value: "/abs": must be a relative path',
    ]);
    expect(volumeErrors({ name: 'a', cephfs: {} }, { name: 'b', rbd: {} })).toEqual([
      'spec.volumes[0].cephfs.monitors: Required value',
      'spec.volumes[1].rbd.monitors: Required value',
      'spec.volumes[1].rbd.image: Required value',
    ]);
    expect(volumeErrors({ name: 'a', fc: {} }, { name: 'b', fc: { targetWWNs: ['w'], wwids: ['x'] } }, { name: 'c', fc: { targetWWNs: ['w'], lun: 300 } })).toEqual([
      'spec.volumes[0].fc.targetWWNs: Required value: must specify either targetWWNs or wwids, but not both',
      'spec.volumes[1].fc.targetWWNs: Invalid value: ["w"]: targetWWNs and wwids can not be specified simultaneously',
      'spec.volumes[1].fc.lun: Required value: lun is required if targetWWNs is specified',
      'spec.volumes[2].fc.lun: Invalid value: 300: must be between 0 and 255, inclusive',
    ]);
    expect(volumeErrors({ name: 'a', flexVolume: { driver: '', options: { 'kubernetes.io/x': '1', 'foo.k8s.io': '2', 'example.com/y': '3' } } })).toEqual([
      'spec.volumes[0].flexVolume.driver: Required value',
      'spec.volumes[0].flexVolume.options[kubernetes.io/x]: Invalid value: "kubernetes.io/x": kubernetes.io and k8s.io namespaces are reserved',
      'spec.volumes[0].flexVolume.options[foo.k8s.io]: Invalid value: "foo.k8s.io": kubernetes.io and k8s.io namespaces are reserved',
    ]);
  });

  it('checks the required fields of the cloud sources', () => {
    expect(
      volumeErrors(
        { name: 'a', gcePersistentDisk: { partition: 300 } },
        { name: 'b', awsElasticBlockStore: {} },
        { name: 'c', azureDisk: { diskName: 'd', diskURI: 'http://x', kind: 'Shared', cachingMode: 'Sometimes' } },
        { name: 'd', azureFile: {} },
        { name: 'e', cinder: { volumeID: 'x', secretRef: {} } },
        { name: 'f', vsphereVolume: {} },
        { name: 'g', photonPersistentDisk: {} },
        { name: 'h', portworxVolume: {} },
        { name: 'i', scaleIO: {} },
        { name: 'j', storageos: { volumeName: 'Bad' } },
        { name: 'k', quobyte: { registry: 'nohost', volume: '' } },
        { name: 'l', flocker: {} },
        { name: 'm', glusterfs: {} },
      ),
    ).toEqual([
      'spec.volumes[0].persistentDisk.pdName: Required value',
      'spec.volumes[0].persistentDisk.partition: Invalid value: 300: must be between 1 and 255, inclusive',
      'spec.volumes[1].awsElasticBlockStore.volumeID: Required value',
      'spec.volumes[2].azureDisk.cachingMode: Unsupported value: "Sometimes": supported values: "None", "ReadOnly", "ReadWrite"',
      'spec.volumes[2].azureDisk.diskURI: Unsupported value: "http://x": supported values: "https://{account-name}.blob.core.windows.net/{container-name}/{disk-name}.vhd"',
      'spec.volumes[3].azureFile.secretName: Required value',
      'spec.volumes[3].azureFile.shareName: Required value',
      'spec.volumes[4].cinder.secretRef.name: Required value',
      'spec.volumes[5].vsphereVolume.volumePath: Required value',
      'spec.volumes[6].photonPersistentDisk.pdID: Required value',
      'spec.volumes[7].portworxVolume.volumeID: Required value',
      'spec.volumes[8].scaleIO.gateway: Required value',
      'spec.volumes[8].scaleIO.system: Required value',
      'spec.volumes[8].scaleIO.volumeName: Required value',
      expect.stringMatching(/^spec\.volumes\[9\]\.storageos\.volumeName: Invalid value: "Bad": a lowercase RFC 1123 label/),
      'spec.volumes[10].quobyte.registry: Invalid value: "nohost": must be a host:port pair or multiple pairs separated by commas',
      'spec.volumes[10].quobyte.volume: Required value',
      'spec.volumes[11].flocker: Required value: one of datasetName and datasetUUID is required',
      'spec.volumes[12].glusterfs.endpoints: Required value',
      'spec.volumes[12].glusterfs.path: Required value',
    ]);
  });
});

const pv = (spec: Record<string, unknown>, meta: Record<string, unknown> = {}): PersistentVolume => ({ metadata: { name: 'pv', ...meta }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteMany'], ...spec } });
const pvErrors = (v: PersistentVolume) => validatePersistentVolume(v).map(formatFieldError);

describe('PersistentVolume sources', () => {
  it('takes an NFS volume with mountOptions, and other sources', () => {
    expect(pvErrors(pv({ nfs: { server: '192.0.2.10', path: '/srv/nfs' }, mountOptions: ['nfsvers=4.1', 'hard'] }))).toEqual([]);
    expect(pvErrors(pv({ csi: { driver: 'csi.example.com', volumeHandle: 'h', nodePublishSecretRef: { name: 's', namespace: 'ns' } } }))).toEqual([]);
    expect(pvErrors(pv({ iscsi: { targetPortal: 'p', iqn: 'naa.' + 'a'.repeat(32), secretRef: { name: 's' } } }))).toEqual([]);
    // (1.32 does not check spec.mountOptions against the type, only the beta annotation)
    expect(pvErrors(pv({ hostPath: { path: '/x' }, mountOptions: ['ro'] }))).toEqual([]);
    expect(pvErrors(pv({ hostPath: { path: '/x' } }, { annotations: { 'volume.beta.kubernetes.io/mount-options': 'ro' } }))).toEqual([
      'metadata.annotations[volume.beta.kubernetes.io/mount-options]: Forbidden: may not specify mount options for this volume type',
    ]);
    expect(pvErrors(pv({ nfs: { server: 's', path: '/' } }, { annotations: { 'volume.beta.kubernetes.io/mount-options': 'ro' } }))).toEqual([]);
  });

  it('refuses bad ones in 1.32 words', () => {
    expect(pvErrors(pv({ hostPath: { path: '/x' }, nfs: { server: 's', path: '/' } }))).toEqual(['spec.nfs: Forbidden: may not specify more than 1 volume type']);
    expect(pvErrors(pv({ nfs: { server: 's', path: 'rel' } }))).toEqual(['spec.nfs.path: Invalid value: "rel": must be an absolute path']);
    expect(pvErrors(pv({ csi: { driver: 'csi.example.com', controllerPublishSecretRef: { name: 's' } } }))).toEqual(['spec.csi.volumeHandle: Required value', 'spec.csi.controllerPublishSecretRef.namespace: Required value']);
    expect(pvErrors(pv({ iscsi: { targetPortal: 'p', iqn: 'foo', secretRef: {} } }))).toEqual(['spec.iscsi.iqn: Invalid value: "foo": must be valid format', 'spec.iscsi.secretRef.name: Required value']);
    expect(pvErrors(pv({ cephfs: { monitors: [], secretRef: { name: 's' } } }))).toEqual(['spec.cephfs.monitors: Required value']);
    expect(pvErrors(pv({ cinder: { volumeID: 'v', secretRef: { name: 's' } } }))).toEqual(['spec.cinder.secretRef.namespace: Required value']);
    // (a flexVolume is counted but never "more than 1", as upstream)
    expect(pvErrors(pv({ nfs: { server: 's', path: '/' }, flexVolume: { driver: 'd' } }))).toEqual([]);
  });

  it('keeps the source immutable, but lets a CSI volume get a controllerExpandSecretRef', () => {
    const old = pv({ csi: { driver: 'csi.example.com', volumeHandle: 'h' } });
    const withRef = pv({ csi: { driver: 'csi.example.com', volumeHandle: 'h', controllerExpandSecretRef: { name: 's', namespace: 'n' } } });
    expect(validatePersistentVolumeUpdate(withRef, old).map(formatFieldError)).toEqual([]);
    expect(validatePersistentVolumeUpdate(pv({ nfs: { server: 's', path: '/a' } }), pv({ nfs: { server: 's', path: '/b' } })).map(formatFieldError)).toEqual([
      'spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation',
    ]);
  });
});

describe('claim data sources', () => {
  const spec = (extra: Record<string, unknown>) => validatePersistentVolumeClaimSpec({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...extra }, 'spec').map(formatFieldError);
  it('takes a claim or a snapshot, the same in both fields', () => {
    expect(spec({ dataSource: { kind: 'PersistentVolumeClaim', name: 'src' }, dataSourceRef: { kind: 'PersistentVolumeClaim', name: 'src' } })).toEqual([]);
    expect(spec({ dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 's' } })).toEqual([]);
  });
  it('refuses what ValidatePersistentVolumeClaimSpec does', () => {
    expect(spec({ dataSource: { kind: 'Secret', name: '' } })).toEqual(['spec.dataSource.name: Required value', `spec.dataSource: Invalid value: "Secret": must be 'PersistentVolumeClaim' when referencing the default apiGroup`]);
    expect(spec({ dataSourceRef: { apiGroup: 'Bad_Group', kind: 'X', name: 'x' } })).toEqual([expect.stringMatching(/^spec\.dataSourceRef\.apiGroup: Invalid value: "Bad_Group": a lowercase RFC 1123 subdomain/)]);
    expect(spec({ dataSource: { kind: 'PersistentVolumeClaim', name: 'a' }, dataSourceRef: { kind: 'PersistentVolumeClaim', name: 'b' } })).toEqual(['spec: Invalid value: "spec.dataSource": must match dataSourceRef']);
    expect(spec({ dataSource: { kind: 'PersistentVolumeClaim', name: 'a' }, dataSourceRef: { kind: 'PersistentVolumeClaim', name: 'a', namespace: 'other' } })).toEqual([
      'spec: Invalid value: "spec.dataSource": may not be specified when dataSourceRef.namespace is specified',
    ]);
  });
});

describe('StorageClass allowedTopologies', () => {
  const sc = (allowedTopologies: unknown): StorageClass => ({ metadata: { name: 'sc' }, provisioner: 'example.com/p', volumeBindingMode: 'WaitForFirstConsumer', allowedTopologies: allowedTopologies as never });
  it('takes terms of label requirements', () => {
    expect(validateStorageClass(sc([{ matchLabelExpressions: [{ key: 'topology.kubernetes.io/zone', values: ['a', 'b'] }] }, { matchLabelExpressions: [{ key: 'topology.kubernetes.io/zone', values: ['c'] }] }])).map(formatFieldError)).toEqual([]);
  });
  it('refuses what validateAllowedTopologies does', () => {
    expect(
      validateStorageClass(
        sc([
          { matchLabelExpressions: [{ key: 'zone', values: [] }, { key: 'zone', values: ['a', 'a'] }] },
          { matchLabelExpressions: [{ key: 'bad key', values: ['x'] }] },
          { matchLabelExpressions: [{ key: 'bad key', values: ['x'] }] },
          {},
        ]),
      ).map(formatFieldError),
    ).toEqual([
      'allowedTopologies[0].matchLabelExpressions[0].values: Required value',
      'allowedTopologies[0].matchLabelExpressions[1].values[1]: Duplicate value: "a"',
      'allowedTopologies[0].matchLabelExpressions[1].key: Duplicate value: "zone"',
      expect.stringMatching(/^allowedTopologies\[1\]\.matchLabelExpressions\[0\]\.key: Invalid value: "bad key": name part must consist of/),
      expect.stringMatching(/^allowedTopologies\[2\]\.matchLabelExpressions\[0\]\.key: Invalid value: "bad key"/),
      'allowedTopologies[2].matchLabelExpressions: Duplicate value: ""',
      // (an empty term equals the empty maps upstream starts its list with, four times)
      'allowedTopologies[3].matchLabelExpressions: Duplicate value: ""',
      'allowedTopologies[3].matchLabelExpressions: Duplicate value: ""',
      'allowedTopologies[3].matchLabelExpressions: Duplicate value: ""',
      'allowedTopologies[3].matchLabelExpressions: Duplicate value: ""',
    ]);
  });
});

describe('defaults of the sources tskube does not mount', () => {
  it('are 1.32 SetDefaults_*, and a volume with such a source gets no emptyDir', () => {
    const spec = defaultPodSpec({
      containers: [],
      volumes: [
        { name: 'a', nfs: { server: 's', path: '/' } },
        { name: 'b', rbd: { monitors: ['m'], image: 'i' } },
        { name: 'c', iscsi: { targetPortal: 'p', iqn: 'iqn.x' } },
        { name: 'd', azureDisk: { diskName: 'd', diskURI: 'u' } },
        { name: 'e', scaleIO: { gateway: 'g', system: 's', volumeName: 'v' } },
        { name: 'f', image: { reference: 'tskube.local/busybox' } },
        { name: 'g', image: { reference: 'tskube.local/busybox:1.36' } },
      ],
      // (a stored spec with an image volume, which keeps the ImageVolume fields from being dropped)
    }, { containers: [], volumes: [{ name: 'f', image: { reference: 'r' } }] });
    expect(spec.volumes).toEqual([
      { name: 'a', nfs: { server: 's', path: '/' } },
      { name: 'b', rbd: { monitors: ['m'], image: 'i', pool: 'rbd', user: 'admin', keyring: '/etc/ceph/keyring' } },
      { name: 'c', iscsi: { targetPortal: 'p', iqn: 'iqn.x', iscsiInterface: 'default' } },
      { name: 'd', azureDisk: { diskName: 'd', diskURI: 'u', cachingMode: 'ReadWrite', kind: 'Shared', fsType: 'ext4', readOnly: false } },
      { name: 'e', scaleIO: { gateway: 'g', system: 's', volumeName: 'v', storageMode: 'ThinProvisioned', fsType: 'xfs' } },
      { name: 'f', image: { reference: 'tskube.local/busybox', pullPolicy: 'Always' } },
      { name: 'g', image: { reference: 'tskube.local/busybox:1.36', pullPolicy: 'IfNotPresent' } },
    ]);
  });
});
