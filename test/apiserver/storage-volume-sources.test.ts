// The volume sources tskube does not mount (nfs, iscsi, csi, ...), claim data sources and
// StorageClass topologies against apiserver+etcd: 1.32 takes and validates them, so tskube does
// (it refused them as unknown fields), with 1.32's 422 messages for bad ones.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../pkg/api/types.js';
import { CertificateSigningRequests, PersistentVolumeClaims, PersistentVolumes, Pods, StorageClasses } from '../../pkg/client/rest-client.js';
import { callWithWarnings, failure, pod, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { claim, storageClass } from '../helpers/storage.js';

let cp: TestControlPlane;
beforeAll(async () => {
  cp = await startControlPlane();
});
afterAll(async () => {
  await cp?.stop();
});

const spec = (o: KubeObject) => o.spec as Record<string, any>;

async function refused(p: Promise<unknown>, code: number, message: string): Promise<void> {
  const e = await failure(p);
  expect(e.code, message).toBe(code);
  expect(e.message).toContain(message);
}

const nfsVolume = (name: string, nfs: Record<string, unknown>, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name },
  spec: { capacity: { storage: '5Gi' }, accessModes: ['ReadWriteMany'], nfs, ...extra },
});

describe('volume sources tskube does not mount', () => {
  it('takes a pod with an nfs volume, and refuses bad ones with 1.32 messages', async () => {
    const body = pod('with-nfs', { spec: { containers: [{ name: 'main', image: 'busybox:1.36', volumeMounts: [{ name: 'share', mountPath: '/share' }] }], volumes: [{ name: 'share', nfs: { server: 'nfs.example', path: '/exports/share', readOnly: true } }] } });
    const got = await cp.admin.create(Pods, 'default', body);
    // (the volume gets no emptyDir: SetDefaults_Volume gives one only to a volume without a source)
    expect(spec(got).volumes[0]).toEqual({ name: 'share', nfs: { server: 'nfs.example', path: '/exports/share', readOnly: true } });
    const bad = (volume: Record<string, unknown>) => pod('bad-nfs', { spec: { containers: [{ name: 'main', image: 'busybox:1.36' }], volumes: [volume] } });
    await refused(cp.admin.create(Pods, 'default', bad({ name: 'v', nfs: { server: 's', path: 'exports' } })), 422, 'Pod "bad-nfs" is invalid: spec.volumes[0].nfs.path: Invalid value: "exports": must be an absolute path');
    await refused(cp.admin.create(Pods, 'default', bad({ name: 'v', emptyDir: {}, nfs: { server: 's', path: '/' } })), 422, 'spec.volumes[0].nfs: Forbidden: may not specify more than 1 volume type');
    await refused(cp.admin.create(Pods, 'default', bad({ name: 'v', iscsi: { targetPortal: '10.0.0.1', iqn: 'x', lun: 0 } })), 422, 'spec.volumes[0].iscsi.iqn: Invalid value: "x": must be valid format starting with iqn, eui, or naa');
    await refused(cp.admin.create(Pods, 'default', bad({ name: 'v', csi: { driver: '' } })), 422, 'spec.volumes[0].csi.driver: Required value');
  });

  it('takes a static NFS PersistentVolume with mountOptions, and refuses bad ones', async () => {
    const got = await cp.admin.create(PersistentVolumes, undefined, nfsVolume('nfs-share', { server: '192.0.2.10', path: '/srv/nfs' }, { mountOptions: ['nfsvers=4.1', 'hard'] }));
    expect(spec(got)).toMatchObject({ nfs: { server: '192.0.2.10', path: '/srv/nfs' }, mountOptions: ['nfsvers=4.1', 'hard'], persistentVolumeReclaimPolicy: 'Retain' });
    await refused(cp.admin.create(PersistentVolumes, undefined, nfsVolume('nfs-bad', { path: '/srv' })), 422, 'PersistentVolume "nfs-bad" is invalid: spec.nfs.server: Required value');
    await refused(cp.admin.create(PersistentVolumes, undefined, nfsVolume('nfs-two', { server: 's', path: '/' }, { hostPath: { path: '/x' } })), 422, 'spec.nfs: Forbidden: may not specify more than 1 volume type');
    await refused(
      cp.admin.create(PersistentVolumes, undefined, { ...nfsVolume('hp-opts', {}), metadata: { name: 'hp-opts', annotations: { 'volume.beta.kubernetes.io/mount-options': 'ro' } }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/x' } } }),
      422,
      'metadata.annotations[volume.beta.kubernetes.io/mount-options]: Forbidden: may not specify mount options for this volume type',
    );
    await refused(cp.admin.patch(PersistentVolumes, undefined, 'nfs-share', { spec: { nfs: { path: '/srv/other' } } }), 422, 'spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation');
    const csi = await cp.admin.create(PersistentVolumes, undefined, { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'csi-pv' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], csi: { driver: 'csi.example.com', volumeHandle: 'vol-1', nodePublishSecretRef: { name: 's', namespace: 'default' } } } });
    expect(spec(csi).csi).toMatchObject({ driver: 'csi.example.com', volumeHandle: 'vol-1' });
  });

  it('warns of a PersistentVolume of a removed plugin, as GetWarningsForPersistentVolume, and of a pod volume of one', async () => {
    const made = await callWithWarnings(cp, 'POST', '/api/v1/persistentvolumes', nfsVolume('ceph-pv', {}, { nfs: undefined, cephfs: { monitors: ['10.0.0.1:6789'] }, nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'failure-domain.beta.kubernetes.io/zone', operator: 'In', values: ['a'] }] }] } } }));
    expect(made.code).toBe(201);
    expect(made.warnings).toEqual([
      'spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].key: failure-domain.beta.kubernetes.io/zone is deprecated since v1.17; use "topology.kubernetes.io/zone" instead',
      'spec.cephfs: deprecated in v1.28, non-functional in v1.31+',
    ]);
    const p = await callWithWarnings(cp, 'POST', '/api/v1/namespaces/default/pods', pod('rbd-pod', { spec: { containers: [{ name: 'main', image: 'busybox:1.36' }], volumes: [{ name: 'r', rbd: { monitors: ['m'], image: 'i' } }] } }));
    expect([p.code, p.warnings]).toEqual([201, ['spec.volumes[0].rbd: deprecated in v1.28, non-functional in v1.31+']]);
  });

  it('takes a claim with a dataSource, copied to dataSourceRef, and refuses bad ones', async () => {
    const got = await cp.admin.create(PersistentVolumeClaims, 'default', claim('clone', '1Gi', { dataSource: { kind: 'PersistentVolumeClaim', name: 'src' } }));
    // (AnyVolumeDataSource is on in 1.32: NormalizeDataSources copies dataSource to dataSourceRef)
    expect(spec(got)).toMatchObject({ dataSource: { kind: 'PersistentVolumeClaim', name: 'src' }, dataSourceRef: { kind: 'PersistentVolumeClaim', name: 'src' } });
    // A client that sends the claim back without dataSourceRef changes nothing: the update normalizes it again.
    const put = await cp.admin.request<KubeObject>('/api/v1/namespaces/default/persistentvolumeclaims/clone', { method: 'PUT', body: { ...claim('clone', '1Gi', { dataSource: { kind: 'PersistentVolumeClaim', name: 'src' }, storageClassName: 'local-path' }), metadata: { name: 'clone', resourceVersion: got.metadata!.resourceVersion } } });
    // (TypedObjectReference's apiGroup is a pointer without omitempty: 1.32 writes it null)
    expect(spec(put).dataSourceRef).toEqual({ apiGroup: null, kind: 'PersistentVolumeClaim', name: 'src' });
    await refused(cp.admin.create(PersistentVolumeClaims, 'default', claim('from-secret', '1Gi', { dataSource: { kind: 'Secret', name: 's' } })), 422, `spec.dataSource: Invalid value: "Secret": must be 'PersistentVolumeClaim' when referencing the default apiGroup`);
    await refused(
      cp.admin.create(PersistentVolumeClaims, 'default', claim('mismatch', '1Gi', { dataSource: { kind: 'PersistentVolumeClaim', name: 'a' }, dataSourceRef: { kind: 'PersistentVolumeClaim', name: 'b' } })),
      422,
      'must match dataSourceRef',
    );
  });

  it('takes a StorageClass with allowedTopologies, and refuses bad ones', async () => {
    const topologies = [{ matchLabelExpressions: [{ key: 'topology.kubernetes.io/zone', values: ['a', 'b'] }] }];
    const got = await cp.admin.create(StorageClasses, undefined, storageClass('zoned', { volumeBindingMode: 'WaitForFirstConsumer', allowedTopologies: topologies }));
    expect((got as { allowedTopologies?: unknown }).allowedTopologies).toEqual(topologies);
    await refused(cp.admin.create(StorageClasses, undefined, storageClass('zoned-bad', { allowedTopologies: [{ matchLabelExpressions: [{ key: 'zone', values: [] }] }] })), 422, 'allowedTopologies[0].matchLabelExpressions[0].values: Required value');
    await refused(cp.admin.create(StorageClasses, undefined, storageClass('zoned-dup', { allowedTopologies: [...topologies, ...topologies] })), 422, 'allowedTopologies[1].matchLabelExpressions: Duplicate value: ""');
  });
});

describe('fields behind gates 1.32 leaves off', () => {
  it('drops image volumes, clusterTrustBundle projections and resourceClaims from a new pod', async () => {
    const body = pod('gated', {
      spec: {
        containers: [{ name: 'main', image: 'busybox:1.36' }],
        resourceClaims: [{ name: 'gpu', resourceClaimTemplateName: 'gpu' }],
        volumes: [
          { name: 'img', image: { reference: 'tskube.local/busybox:latest' } },
          { name: 'ca', projected: { sources: [{ clusterTrustBundle: { signerName: 'example.com/s', labelSelector: {}, path: 'ca.pem' } }, { configMap: { name: 'c' } }] } },
        ],
      },
    });
    const got = spec(await cp.admin.create(Pods, 'default', body));
    expect(got.resourceClaims).toBeUndefined();
    expect(got.volumes.find((v: { name: string }) => v.name === 'img')).toBeUndefined();
    expect(got.volumes.find((v: { name: string }) => v.name === 'ca').projected.sources).toEqual([{}, { configMap: { name: 'c' } }]);
    // A mount of the dropped image volume names a volume the pod no longer has, as in 1.32.
    const mounted = pod('gated-mount', { spec: { containers: [{ name: 'main', image: 'busybox:1.36', volumeMounts: [{ name: 'img', mountPath: '/img' }] }], volumes: [{ name: 'img', image: { reference: 'r:1' } }] } });
    await refused(cp.admin.create(Pods, 'default', mounted), 422, 'spec.containers[0].volumeMounts[0].name: Not found: "img"');
  });

  it('drops volumeAttributesClassName and a cross-namespace dataSourceRef', async () => {
    const pvc = spec(await cp.admin.create(PersistentVolumeClaims, 'default', claim('vac', '1Gi', { volumeAttributesClassName: 'gold', dataSourceRef: { kind: 'PersistentVolumeClaim', name: 's', namespace: 'other' } })));
    expect(pvc.volumeAttributesClassName).toBeUndefined();
    expect(pvc.dataSourceRef).toBeUndefined();
    const pv = spec(await cp.admin.create(PersistentVolumes, undefined, nfsVolume('nfs-vac', { server: 's', path: '/' }, { volumeAttributesClassName: 'gold' })));
    expect(pv.volumeAttributesClassName).toBeUndefined();
  });
});

describe('a CertificateSigningRequest', () => {
  it('takes spec.extra, and records the requester\'s own extra attributes in it, as 1.32 PrepareForCreate does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tskube-csr-'));
    execFileSync('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'k.key'), '-out', join(dir, 'r.csr'), '-subj', '/CN=alice'], { stdio: 'ignore' });
    const request = Buffer.from(readFileSync(join(dir, 'r.csr'))).toString('base64');
    const csr = await cp.admin.create(CertificateSigningRequests, undefined, { apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name: 'extra' }, spec: { request, signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'], extra: { 'scopes.example.com': ['forged'] } } });
    // (the admin has no extra attributes: what the client wrote is not kept)
    expect((csr.spec as { extra?: unknown; username?: string }).extra).toBeUndefined();
  });
});
