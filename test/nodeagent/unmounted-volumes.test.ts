// Volume sources the node agent does not mount (nfs, csi, ... and claims bound to such volumes):
// the pod stays ContainerCreating, with a FailedMount event in the kubelet's words repeated as its
// back-off retries the mount. Nothing is sent to the NFS server named. On a real single-node
// cluster (runc, kernel networking).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Events, PersistentVolumeClaims, PersistentVolumes, Pods } from '../../pkg/client/rest-client.js';
import { eventually } from '../helpers/control-plane.js';
import { busyboxPod, ctr, podStatus, startCluster, type Cluster } from './harness.js';

let c: Cluster;

beforeAll(async () => {
  c = await startCluster({ podCIDR: '10.199.47.0/24' });
}, 120_000);
afterAll(async () => {
  await c?.stop();
});

type Ev = { type?: string; reason?: string; message?: string; count?: number };
const eventsOf = async (name: string) => (await c.cp.admin.list(Events, 'default', { fieldSelector: `involvedObject.name=${name}` })).items as Ev[];
const failedMount = (name: string, atLeast = 1) =>
  eventually(async () => (await eventsOf(name)).find((e) => e.reason === 'FailedMount' && (e.count ?? 1) >= atLeast), { timeoutMs: 30_000, what: `${name} FailedMount x${atLeast}` });

describe('a volume the node agent cannot mount', () => {
  it('holds an nfs pod in ContainerCreating with a repeated FailedMount', async () => {
    await c.cp.admin.create(Pods, 'default', busyboxPod('nfs-pod', { volumes: [{ name: 'share', nfs: { server: '192.0.2.10', path: '/exports' } }], containers: [ctr('main', 'sleep 3600', { volumeMounts: [{ name: 'share', mountPath: '/share' }] })] }));
    // (the kubelet's back-off: 0.5 s, 1 s, 2 s, ... between attempts, each one an event the recorder counts)
    const ev = await failedMount('nfs-pod', 3);
    expect(ev).toMatchObject({ type: 'Warning', message: 'MountVolume.SetUp failed for volume "share" : the tskube node agent does not mount nfs volumes' });
    const st = await podStatus(c, 'nfs-pod');
    expect(st.phase).toBe('Pending');
    expect(st.containerStatuses?.[0]?.state).toEqual({ waiting: { reason: 'ContainerCreating' } });
    await c.cp.admin.delete(Pods, 'default', 'nfs-pod');
  });

  it('says an inline CSI driver is not registered, as the kubelet does', async () => {
    await c.cp.admin.create(Pods, 'default', busyboxPod('csi-pod', { volumes: [{ name: 'inline', csi: { driver: 'inline.example.com' } }], containers: [ctr('main', 'sleep 3600')] }));
    const ev = await failedMount('csi-pod');
    expect(ev.message).toBe('MountVolume.SetUp failed for volume "inline" : kubernetes.io/csi: mounter.SetUpAt failed to get CSI client: driver name inline.example.com not found in the list of registered CSI drivers');
    await c.cp.admin.delete(Pods, 'default', 'csi-pod');
  });

  it('holds a pod whose claim is bound to an NFS PersistentVolume, naming the volume', async () => {
    const pvc = await c.cp.admin.create(PersistentVolumeClaims, 'default', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'nfs-claim', annotations: { 'pv.kubernetes.io/bind-completed': 'yes' } }, spec: { accessModes: ['ReadWriteMany'], storageClassName: '', volumeName: 'nfs-pv', resources: { requests: { storage: '1Gi' } } } });
    await c.cp.admin.create(PersistentVolumes, undefined, {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'nfs-pv' },
      spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteMany'], mountOptions: ['nfsvers=4.1'], nfs: { server: '192.0.2.10', path: '/exports/pv' }, claimRef: { namespace: 'default', name: 'nfs-claim', uid: pvc.metadata!.uid } },
    });
    // (bound by hand, as the PersistentVolume controller would: this cluster runs none)
    await c.cp.admin.request(`/api/v1/namespaces/default/persistentvolumeclaims/nfs-claim/status`, { method: 'PATCH', contentType: 'application/merge-patch+json', body: { status: { phase: 'Bound', accessModes: ['ReadWriteMany'], capacity: { storage: '1Gi' } } } });
    await c.cp.admin.create(Pods, 'default', busyboxPod('claim-pod', { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'nfs-claim' } }], containers: [ctr('main', 'sleep 3600', { volumeMounts: [{ name: 'data', mountPath: '/data' }] })] }));
    const ev = await failedMount('claim-pod');
    expect(ev.message).toBe('MountVolume.SetUp failed for volume "nfs-pv" : the tskube node agent does not mount nfs volumes');
    expect((await podStatus(c, 'claim-pod')).containerStatuses?.[0]?.state).toEqual({ waiting: { reason: 'ContainerCreating' } });
    await c.cp.admin.delete(Pods, 'default', 'claim-pod');
  });
});
