import { describe, expect, it } from 'vitest';
import type { OwnerReference, Pod } from '../api/types.js';
import { claimOwnerRefs, claimsForOrdinal, type PVC } from './statefulset-claims.js';
import { newStatefulSetPod, type STS } from './statefulset-util.js';

const set = (policy?: { whenDeleted?: string; whenScaled?: string }, replicas = 2): STS => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'web', namespace: 'default', uid: 'set-uid' },
  spec: {
    replicas,
    serviceName: 'web',
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }], volumes: [{ name: 'data', emptyDir: {} }, { name: 'cache', emptyDir: {} }] } },
    volumeClaimTemplates: [{ metadata: { name: 'data', labels: { tier: 'db' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    ...(policy ? { persistentVolumeClaimRetentionPolicy: policy } : {}),
  },
});
const pod = (ordinal: number): Pod => ({ metadata: { name: `web-${ordinal}`, uid: `pod-${ordinal}` } });
const refsOf = (refs: OwnerReference[] | undefined) => refs?.map((r) => `${r.kind}/${r.name}${r.controller ? '' : ' (not controller)'}`);

describe('StatefulSet claims', () => {
  it('are named <template>-<set>-<ordinal>, labelled, and replace the pod volume of the template\'s name', () => {
    const claims = claimsForOrdinal(set(), 1);
    expect([...claims.keys()]).toEqual(['data']);
    expect(claims.get('data')!.metadata).toEqual({ name: 'data-web-1', namespace: 'default', labels: { tier: 'db', app: 'web' } });
    const p = newStatefulSetPod(set(), set().spec!.template!, 1, 'rev');
    expect(p.spec!.volumes).toEqual([{ name: 'data', persistentVolumeClaim: { claimName: 'data-web-1' } }, { name: 'cache', emptyDir: {} }]);
  });

  it('are owned as the retention policy says', () => {
    const claim = (): PVC => claimsForOrdinal(set(), 0).get('data')!;
    // Retain/Retain: nobody; the claims outlive the set.
    expect(claimOwnerRefs(claim(), set(), 0, pod(0))).toBeUndefined();
    // whenDeleted Delete: the set, whatever the ordinal.
    expect(refsOf(claimOwnerRefs(claim(), set({ whenDeleted: 'Delete', whenScaled: 'Retain' }), 0, undefined))).toEqual(['StatefulSet/web']);
    expect(refsOf(claimOwnerRefs(claim(), set({ whenDeleted: 'Delete', whenScaled: 'Retain' }), 5, pod(5)))).toEqual(['StatefulSet/web']);
    // whenScaled Delete: the pod once its ordinal is scaled away, nobody before.
    expect(claimOwnerRefs(claim(), set({ whenDeleted: 'Retain', whenScaled: 'Delete' }), 1, pod(1))).toBeUndefined();
    expect(refsOf(claimOwnerRefs(claim(), set({ whenDeleted: 'Retain', whenScaled: 'Delete' }, 1), 1, pod(1)))).toEqual(['Pod/web-1']);
    // Both: the set while in range, the pod once scaled away.
    expect(refsOf(claimOwnerRefs(claim(), set({ whenDeleted: 'Delete', whenScaled: 'Delete' }), 1, pod(1)))).toEqual(['StatefulSet/web']);
    const owned = { ...claim(), metadata: { ...claim().metadata, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'set-uid', controller: true, blockOwnerDeletion: true }] } };
    expect(claimOwnerRefs(owned, set({ whenDeleted: 'Delete', whenScaled: 'Delete' }), 1, pod(1))).toBeUndefined();
    expect(refsOf(claimOwnerRefs(owned, set({ whenDeleted: 'Delete', whenScaled: 'Delete' }, 1), 1, pod(1)))).toEqual(['Pod/web-1']);
    // Back to Retain: our references are removed.
    expect(claimOwnerRefs(owned, set({ whenDeleted: 'Retain', whenScaled: 'Retain' }), 0, pod(0))).toEqual([]);
  });

  it('leave claims of an earlier set of the same name, or another controller\'s, alone', () => {
    const base = claimsForOrdinal(set(), 0).get('data')!;
    const stale = { ...base, metadata: { ...base.metadata, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'old-uid', controller: true }] } };
    expect(claimOwnerRefs(stale, set({ whenDeleted: 'Delete' }), 0, pod(0))).toBeUndefined();
    const foreign = { ...base, metadata: { ...base.metadata, ownerReferences: [{ apiVersion: 'example.com/v1', kind: 'Database', name: 'db', uid: 'db-uid', controller: true }] } };
    expect(claimOwnerRefs(foreign, set({ whenDeleted: 'Delete' }), 0, pod(0))).toBeUndefined();
  });
});
