import { describe, expect, it } from 'vitest';
import type { PersistentVolumeClaim } from './types.js';
import { usageOf } from './quota.js';

const Mi = 1024 * 1024 * 1000;
const claim = (storage: string | undefined, extra: { storageClassName?: string; annotations?: Record<string, string>; allocated?: string } = {}): PersistentVolumeClaim =>
  ({
    metadata: { name: 'data', annotations: extra.annotations },
    spec: { accessModes: ['ReadWriteOnce'], resources: storage ? { requests: { storage } } : {}, ...(extra.storageClassName !== undefined ? { storageClassName: extra.storageClassName } : {}) },
    ...(extra.allocated ? { status: { allocatedResources: { storage: extra.allocated } } } : {}),
  }) as PersistentVolumeClaim;
const asObject = (u: Map<string, number>) => Object.fromEntries(u);

describe('ResourceQuota usage of a PersistentVolumeClaim (pvcEvaluator.Usage)', () => {
  it('charges the claim and its storage request, to its StorageClass too', () => {
    expect(asObject(usageOf('persistentvolumeclaims', '', claim('600Mi', { storageClassName: 'local-path' })))).toEqual({
      persistentvolumeclaims: 1000,
      'count/persistentvolumeclaims': 1000,
      'local-path.storageclass.storage.k8s.io/persistentvolumeclaims': 1000,
      'requests.storage': 600 * Mi,
      'local-path.storageclass.storage.k8s.io/requests.storage': 600 * Mi,
    });
  });

  it('takes the class from the beta annotation first, and charges none for a claim without a class', () => {
    const annotated = usageOf('persistentvolumeclaims', '', claim('1Gi', { storageClassName: 'fast', annotations: { 'volume.beta.kubernetes.io/storage-class': 'gold' } }));
    expect(annotated.get('gold.storageclass.storage.k8s.io/requests.storage')).toBe(1024 * Mi);
    expect(annotated.has('fast.storageclass.storage.k8s.io/requests.storage')).toBe(false);
    const classless = asObject(usageOf('persistentvolumeclaims', '', claim('1Gi', { storageClassName: '' })));
    expect(Object.keys(classless).sort()).toEqual(['count/persistentvolumeclaims', 'persistentvolumeclaims', 'requests.storage']);
  });

  it('rounds the request up to whole bytes, counts a larger allocation, and no storage without a request', () => {
    expect(usageOf('persistentvolumeclaims', '', claim('1500m')).get('requests.storage')).toBe(2000);
    expect(usageOf('persistentvolumeclaims', '', claim('1Gi', { allocated: '2Gi' })).get('requests.storage')).toBe(2048 * Mi);
    expect(usageOf('persistentvolumeclaims', '', claim('2Gi', { allocated: '1Gi' })).get('requests.storage')).toBe(2048 * Mi);
    expect(usageOf('persistentvolumeclaims', '', claim(undefined, { allocated: '1Gi' })).has('requests.storage')).toBe(false);
  });
});
