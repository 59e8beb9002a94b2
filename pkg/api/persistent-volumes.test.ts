import { describe, expect, it } from 'vitest';
import { accessModesString, defaultClassOf, ephemeralClaimError, findMatchingVolume, isVolumeBoundToClaim, podClaimNames, podEphemeralClaimNames, volumeClaimName, volumeHostnames, volumeNodeAffinityMatches, volumeOfLocalPathDir } from './persistent-volumes.js';
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from './types.js';

const pv = (name: string, size: string, extra: Partial<NonNullable<PersistentVolume['spec']>> = {}, phase = 'Available', labels: Record<string, string> = {}): PersistentVolume => ({
  metadata: { name, labels },
  spec: { capacity: { storage: size }, accessModes: ['ReadWriteOnce'], storageClassName: 'manual', hostPath: { path: `/data/${name}` }, ...extra },
  status: { phase },
});
const pvc = (name: string, size: string, extra: Partial<NonNullable<PersistentVolumeClaim['spec']>> = {}): PersistentVolumeClaim => ({
  metadata: { name, namespace: 'default', uid: `uid-${name}` },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } }, storageClassName: 'manual', ...extra },
});
const node = (name: string, labels: Record<string, string> = {}): Node => ({ metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } } });
const pinnedTo = (host: string) => ({ required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [host] }] }] } });
const names = (v: PersistentVolume | undefined) => v?.metadata?.name;

describe('findMatchingVolume', () => {
  it('picks the smallest Available volume of the claim\'s class that is large enough', () => {
    const vols = [pv('big', '10Gi'), pv('small', '1Gi'), pv('fits', '2Gi'), pv('fits-too', '3Gi'), pv('other-class', '2Gi', { storageClassName: 'fast' })];
    expect(names(findMatchingVolume(pvc('c', '1500Mi'), vols))).toBe('fits');
    expect(names(findMatchingVolume(pvc('c', '1Gi'), vols))).toBe('small');
    expect(findMatchingVolume(pvc('c', '20Gi'), vols)).toBeUndefined();
    expect(names(findMatchingVolume(pvc('c', '1Gi', { storageClassName: 'fast' }), vols))).toBe('other-class');
    expect(findMatchingVolume(pvc('c', '1Gi', { storageClassName: '' }), vols)).toBeUndefined();
  });

  it('needs every access mode the claim asks for, preferring the volume with the fewest', () => {
    const vols = [pv('rwo-rox-rwx', '1Gi', { accessModes: ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany'] }), pv('rwo-rox', '5Gi', { accessModes: ['ReadWriteOnce', 'ReadOnlyMany'] }), pv('rwo', '1Gi')];
    expect(names(findMatchingVolume(pvc('c', '1Gi', { accessModes: ['ReadOnlyMany'] }), vols))).toBe('rwo-rox');
    expect(names(findMatchingVolume(pvc('c', '1Gi', { accessModes: ['ReadWriteMany'] }), vols))).toBe('rwo-rox-rwx');
    expect(findMatchingVolume(pvc('c', '1Gi', { accessModes: ['ReadWriteOncePod'] }), vols)).toBeUndefined();
  });

  it('skips volumes that are not Available, claimed by another claim, being deleted, of another mode or not selected', () => {
    const deleting = pv('deleting', '1Gi');
    deleting.metadata!.deletionTimestamp = '2026-01-01T00:00:00Z';
    const vols = [pv('released', '1Gi', {}, 'Released'), pv('taken', '1Gi', { claimRef: { namespace: 'default', name: 'other', uid: 'u' } }), deleting, pv('labelled', '4Gi', {}, 'Available', { tier: 'gold' }), pv('plain', '2Gi')];
    expect(names(findMatchingVolume(pvc('c', '1Gi'), vols))).toBe('plain');
    expect(names(findMatchingVolume(pvc('c', '1Gi', { selector: { matchLabels: { tier: 'gold' } } }), vols))).toBe('labelled');
    expect(findMatchingVolume(pvc('c', '1Gi', { selector: { matchLabels: { tier: 'silver' } } }), vols)).toBeUndefined();
    expect(findMatchingVolume(pvc('c', '1Gi', { volumeMode: 'Block' }), vols)).toBeUndefined();
  });

  it('prefers a volume pre-bound to the claim (by name, or by uid), whatever its phase and size rank', () => {
    const prebound = pv('prebound', '8Gi', { claimRef: { namespace: 'default', name: 'c' } }, 'Pending');
    const vols = [pv('smaller', '1Gi'), prebound];
    expect(names(findMatchingVolume(pvc('c', '1Gi'), vols))).toBe('prebound');
    const otherUid = pv('stale', '8Gi', { claimRef: { namespace: 'default', name: 'c', uid: 'someone-else' } });
    expect(names(findMatchingVolume(pvc('c', '1Gi'), [otherUid, pv('smaller', '1Gi')]))).toBe('smaller');
    expect(isVolumeBoundToClaim(prebound, pvc('c', '1Gi'))).toBe(true);
  });

  it('for WaitForFirstConsumer without a node, matches only pre-bound volumes; with a node, its affinity counts', () => {
    const vols = [pv('on-a', '1Gi', { nodeAffinity: pinnedTo('a') }), pv('on-b', '2Gi', { nodeAffinity: pinnedTo('b') })];
    expect(findMatchingVolume(pvc('c', '1Gi'), vols, { delayBinding: true })).toBeUndefined();
    expect(names(findMatchingVolume(pvc('c', '1Gi'), vols, { node: node('b'), delayBinding: true }))).toBe('on-b');
    expect(findMatchingVolume(pvc('c', '1Gi'), vols, { node: node('c'), delayBinding: true })).toBeUndefined();
    expect(findMatchingVolume(pvc('c', '1Gi'), vols, { node: node('b'), excluded: new Set(['on-b']) })).toBeUndefined();
    // A pre-bound volume the node's affinity rules out: no match at all on that node.
    const pre = pv('pre', '1Gi', { nodeAffinity: pinnedTo('a'), claimRef: { namespace: 'default', name: 'c' } });
    expect(findMatchingVolume(pvc('c', '1Gi'), [pre, pv('any', '1Gi')], { node: node('b') })).toBeUndefined();
  });
});

describe('volume helpers', () => {
  it('prints access modes as kubectl does', () => {
    expect(accessModesString(['ReadWriteOncePod', 'ReadWriteMany', 'ReadWriteOnce', 'ReadOnlyMany'])).toBe('RWO,ROX,RWX,RWOP');
    expect(accessModesString(undefined)).toBe('');
  });

  it('reads node affinity: matching and the nodes a volume is pinned to', () => {
    const v = pv('x', '1Gi', { nodeAffinity: pinnedTo('n1') });
    expect(volumeNodeAffinityMatches(v, node('n1'))).toBe(true);
    expect(volumeNodeAffinityMatches(v, node('n2'))).toBe(false);
    expect(volumeNodeAffinityMatches(pv('free', '1Gi'), node('n2'))).toBe(true);
    expect(volumeHostnames(v)).toEqual(['n1']);
  });

  it('picks the newest default class', () => {
    const sc = (name: string, created: string, def: boolean): StorageClass => ({ metadata: { name, creationTimestamp: created, annotations: def ? { 'storageclass.kubernetes.io/is-default-class': 'true' } : {} }, provisioner: 'p' });
    expect(defaultClassOf([sc('old', '2026-01-01T00:00:00Z', true), sc('new', '2026-02-01T00:00:00Z', true), sc('newest-not-default', '2026-03-01T00:00:00Z', false)])?.metadata?.name).toBe('new');
    expect(defaultClassOf([sc('x', '2026-01-01T00:00:00Z', false)])).toBeUndefined();
  });

  it('recognises local-path directory names', () => {
    expect(volumeOfLocalPathDir('pvc-4b9e2c1a-0f3d-4d8e-9a41-2c7b5e6f1a2b_default_data-web-0')).toBe('pvc-4b9e2c1a-0f3d-4d8e-9a41-2c7b5e6f1a2b');
    expect(volumeOfLocalPathDir('pvc-x/../../etc_default_a')).toBeUndefined();
    expect(volumeOfLocalPathDir('lost+found')).toBeUndefined();
  });
});

describe('generic ephemeral volumes', () => {
  const pod: Pod = {
    metadata: { name: 'web', namespace: 'default', uid: 'u1' },
    spec: { containers: [], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'shared' } }, { name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: {} } } }, { name: 'tmp', emptyDir: {} }] },
  };
  it('name their claim <pod>-<volume>, among the claims a pod uses', () => {
    expect(podClaimNames(pod)).toEqual(['shared', 'web-scratch']);
    expect(podEphemeralClaimNames(pod)).toEqual(['web-scratch']);
    expect(volumeClaimName(pod, pod.spec!.volumes![2]!)).toBeUndefined();
  });
  it('must use the claim made for the pod (its controller owner)', () => {
    const pvc = (uid?: string): PersistentVolumeClaim => ({ metadata: { name: 'web-scratch', namespace: 'default', ...(uid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'web', uid, controller: true }] } : {}) } });
    expect(ephemeralClaimError(pod, pvc('u1'))).toBeUndefined();
    expect(ephemeralClaimError(pod, pvc('u0'))).toBe('PVC default/web-scratch was not created for pod default/web (pod is not owner)');
    expect(ephemeralClaimError(pod, pvc())).toBe('PVC default/web-scratch was not created for pod default/web (pod is not owner)');
  });
});
