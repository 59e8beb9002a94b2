// Manifests for storage tests: claims, hostPath volumes, storage classes.
import type { KubeObject } from '../../pkg/api/types.js';

export function claim(name: string, size: string, spec: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } }, ...spec } };
}

export function hostPathVolume(name: string, size: string, accessModes = ['ReadWriteOnce'], spec: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name }, spec: { capacity: { storage: size }, accessModes, hostPath: { path: `/tmp/tskube-pv-${name}` }, ...spec } };
}

export function storageClass(name: string, extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name }, provisioner: 'example.com/nfs', ...extra };
}
