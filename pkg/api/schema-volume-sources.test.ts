import { describe, expect, it } from 'vitest';
import { formatFieldError } from './field-error.js';
import { decodeStrict } from './schema-validate.js';

// The fields of k8s.io/api v0.32.9 that tskube's schema lacked (volume sources it does not mount,
// PersistentVolume sources, claim data sources, gated fields): 1.32 decodes them, so tskube must
// too, or a manifest that 1.32 takes is refused with `unknown field`.
describe('decodeStrict: every volume source and storage field of 1.32', () => {
  it('takes the pod volume sources tskube does not mount, and the gated pod fields', () => {
    const pod = {
      metadata: { name: 'p' },
      spec: {
        containers: [{ name: 'c', image: 'busybox' }],
        volumes: [
          { name: 'a', nfs: { server: 'nfs.example', path: '/exports', readOnly: true } },
          { name: 'b', iscsi: { targetPortal: '10.0.0.1:3260', iqn: 'iqn.2001-04.com.example:storage', lun: 0, chapAuthSession: true, secretRef: { name: 's' }, initiatorName: 'iqn.2001-04.com.example:node' } },
          { name: 'c', csi: { driver: 'inline.example.com', readOnly: true, volumeAttributes: { size: '1Gi' }, nodePublishSecretRef: { name: 's' } } },
          { name: 'd', gitRepo: { repository: 'https://example.com/r.git', revision: 'main', directory: '.' } },
          { name: 'e', cephfs: { monitors: ['10.0.0.1:6789'], secretRef: { name: 's' } } },
          { name: 'f', rbd: { monitors: ['10.0.0.1:6789'], image: 'img', pool: 'rbd' } },
          { name: 'g', fc: { targetWWNs: ['500a0982991b8dc5'], lun: 2 } },
          { name: 'h', flexVolume: { driver: 'example/lvm', options: { size: '1G' } } },
          { name: 'i', azureDisk: { diskName: 'd', diskURI: 'https://a.blob.core.windows.net/c/d.vhd', cachingMode: 'ReadOnly', kind: 'Shared' } },
          { name: 'j', image: { reference: 'tskube.local/busybox:latest', pullPolicy: 'IfNotPresent' } },
          { name: 'k', projected: { sources: [{ clusterTrustBundle: { signerName: 'example.com/s', labelSelector: {}, path: 'ca.pem' } }] } },
          { name: 'l', gcePersistentDisk: { pdName: 'x' } },
          { name: 'm', awsElasticBlockStore: { volumeID: 'x' } },
          { name: 'n', glusterfs: { endpoints: 'e', path: 'p' } },
          { name: 'o', cinder: { volumeID: 'x' } },
          { name: 'q', flocker: { datasetName: 'x' } },
          { name: 'r', azureFile: { secretName: 's', shareName: 'x' } },
          { name: 's', vsphereVolume: { volumePath: 'x' } },
          { name: 't', quobyte: { registry: 'r:7861', volume: 'v' } },
          { name: 'u', photonPersistentDisk: { pdID: 'x' } },
          { name: 'v', portworxVolume: { volumeID: 'x' } },
          { name: 'w', scaleIO: { gateway: 'g', system: 's', secretRef: { name: 's' }, volumeName: 'v' } },
          { name: 'x', storageos: { volumeName: 'v' } },
        ],
        resourceClaims: [{ name: 'gpu', resourceClaimTemplateName: 'gpu' }],
      },
      status: { resourceClaimStatuses: [{ name: 'gpu', resourceClaimName: 'p-gpu' }], containerStatuses: [{ name: 'c', user: { linux: { uid: 0, gid: 0, supplementalGroups: [10] } }, allocatedResourcesStatus: [{ name: 'claim:gpu', resources: [{ resourceID: 'x', health: 'Healthy' }] }] }] },
    };
    expect(decodeStrict('Pod', pod).map(formatFieldError)).toEqual([]);
  });

  it('takes a PersistentVolume of any 1.32 source, with mountOptions', () => {
    const pv = {
      metadata: { name: 'nfs' },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteMany'],
        mountOptions: ['nfsvers=4.1', 'hard'],
        nfs: { server: '192.0.2.10', path: '/srv/nfs' },
        volumeAttributesClassName: 'gold',
      },
    };
    expect(decodeStrict('PersistentVolume', pv).map(formatFieldError)).toEqual([]);
    const csi = { spec: { csi: { driver: 'd.example.com', volumeHandle: 'h', nodeStageSecretRef: { name: 's', namespace: 'n' } }, iscsi: { targetPortal: 'p', iqn: 'iqn.x', lun: 1, secretRef: { name: 's', namespace: 'n' } }, storageos: { volumeName: 'v', secretRef: { name: 's', namespace: 'n' } }, azureFile: { secretName: 's', shareName: 'x', secretNamespace: 'n' }, glusterfs: { endpoints: 'e', path: 'p', endpointsNamespace: 'n' } } };
    expect(decodeStrict('PersistentVolume', csi).map(formatFieldError)).toEqual([]);
  });

  it('takes claim data sources and resize status, StorageClass topologies, CSR extra and node config', () => {
    const pvc = {
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, dataSource: { kind: 'PersistentVolumeClaim', name: 'src' }, dataSourceRef: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 's', namespace: 'n' }, volumeAttributesClassName: 'gold' },
      status: { allocatedResources: { storage: '2Gi' }, allocatedResourceStatuses: { storage: 'ControllerResizeInProgress' }, currentVolumeAttributesClassName: 'gold', modifyVolumeStatus: { targetVolumeAttributesClassName: 'x', status: 'Pending' } },
    };
    expect(decodeStrict('PersistentVolumeClaim', pvc).map(formatFieldError)).toEqual([]);
    const sc = { provisioner: 'x', allowedTopologies: [{ matchLabelExpressions: [{ key: 'topology.kubernetes.io/zone', values: ['a', 'b'] }] }] };
    expect(decodeStrict('StorageClass', sc).map(formatFieldError)).toEqual([]);
    expect(decodeStrict('CertificateSigningRequest', { spec: { request: '', signerName: 'x', extra: { 'scopes.example.com': ['a'] } } }).map(formatFieldError)).toEqual([]);
    const node = { spec: { configSource: { configMap: { namespace: 'kube-system', name: 'c', kubeletConfigKey: 'k' } } }, status: { volumesAttached: [{ name: 'kubernetes.io/csi/x^y', devicePath: '' }], config: { error: '' } } };
    expect(decodeStrict('Node', node).map(formatFieldError)).toEqual([]);
  });

  it('names the Go type of a mistyped new field, as kube-apiserver decodes it', () => {
    const pod = { spec: { volumes: [{ name: 'a', azureDisk: { diskName: 'd', diskURI: 'u', cachingMode: 1 } }, { name: 'b', fc: { lun: 'x' } }] } };
    expect(decodeStrict('Pod', pod).map(formatFieldError)).toEqual([
      'spec.volumes[0].azureDisk.cachingMode: Invalid value: 1: json: cannot unmarshal number into Go struct field AzureDiskVolumeSource.spec.volumes.azureDisk.cachingMode of type v1.AzureDataDiskCachingMode',
      'spec.volumes[1].fc.lun: Invalid value: "x": json: cannot unmarshal string into Go struct field FCVolumeSource.spec.volumes.fc.lun of type int32',
    ]);
  });
});
