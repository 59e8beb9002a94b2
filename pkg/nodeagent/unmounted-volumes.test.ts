import { describe, expect, it } from 'vitest';
import { mountRetryMs, unmountableMessage, unmountablePersistentVolumeSource, unmountableSource } from './unmounted-volumes.js';

describe('volumes the node agent does not mount', () => {
  it('are the sources beside emptyDir, hostPath, the API volumes and claims', () => {
    expect(unmountableSource({ name: 'a', nfs: { server: 's', path: '/' } })).toBe('nfs');
    expect(unmountableSource({ name: 'a', csi: { driver: 'd' } })).toBe('csi');
    expect(unmountableSource({ name: 'a', emptyDir: {} })).toBeUndefined();
    expect(unmountableSource({ name: 'a', persistentVolumeClaim: { claimName: 'c' } })).toBeUndefined();
    expect(unmountablePersistentVolumeSource({ spec: { iscsi: { targetPortal: 'p', iqn: 'iqn.x' } } })).toBe('iscsi');
    expect(unmountablePersistentVolumeSource({ spec: { local: { path: '/x' } } })).toBeUndefined();
  });
  it('are reported in the kubelet words, CSI ones as an unregistered driver', () => {
    expect(unmountableMessage('share', 'nfs', {}, false)).toBe('MountVolume.SetUp failed for volume "share" : the tskube node agent does not mount nfs volumes');
    expect(unmountableMessage('pv1', 'csi', { driver: 'ebs.csi.aws.com' }, true)).toBe(
      'MountVolume.MountDevice failed for volume "pv1" : kubernetes.io/csi: attacher.MountDevice failed to create newCsiDriverClient: driver name ebs.csi.aws.com not found in the list of registered CSI drivers',
    );
  });
  it('are retried with the kubelet back-off, 500 ms doubling to 2 min 2 s', () => {
    expect([1, 2, 3, 4, 10, 20].map(mountRetryMs)).toEqual([500, 1000, 2000, 4000, 122_000, 122_000]);
  });
});
