import { describe, expect, it } from 'vitest';
import { dropDisabledClaimSpecFields, dropDisabledClaimStatusFields, dropDisabledPersistentVolumeFields, dropDisabledPodSpecFields, dropDisabledPodStatusFields } from './gated-fields.js';
import type { PodSpec } from './types.js';

// The fields behind gates 1.32 leaves off: dropped from new objects and from updates whose
// stored object did not use them, kept when it did (dropDisabledFields and its kin).
describe('dropDisabledPodSpecFields', () => {
  const gated = (): PodSpec => ({
    containers: [{ name: 'c', resources: { claims: [{ name: 'gpu' }] } }],
    resourceClaims: [{ name: 'gpu', resourceClaimTemplateName: 't' }],
    volumes: [
      { name: 'img', image: { reference: 'r' } },
      { name: 'p', projected: { sources: [{ clusterTrustBundle: { signerName: 's', path: 'ca.pem' } }, { configMap: { name: 'c' } }] } },
    ],
  });
  it('drops image volumes, trust-bundle projections and resource claims from a new spec', () => {
    const spec = gated();
    dropDisabledPodSpecFields(spec);
    expect(spec).toEqual({ containers: [{ name: 'c', resources: {} }], volumes: [{ name: 'p', projected: { sources: [{}, { configMap: { name: 'c' } }] } }] });
  });
  it('keeps them when the stored spec uses them', () => {
    const spec = gated();
    dropDisabledPodSpecFields(spec, gated());
    expect(spec).toEqual(gated());
  });
  it('drops the gated status fields unless in use', () => {
    const status = { resourceClaimStatuses: [{ name: 'gpu' }], containerStatuses: [{ name: 'c', user: { linux: { uid: 0, gid: 0 } }, allocatedResourcesStatus: [{ name: 'x' }] }] };
    dropDisabledPodStatusFields(status, {}, { containers: [] });
    expect(status).toEqual({ containerStatuses: [{ name: 'c' }] });
    const kept = { resourceClaimStatuses: [{ name: 'gpu' }] };
    dropDisabledPodStatusFields(kept, {}, gated());
    expect(kept).toEqual({ resourceClaimStatuses: [{ name: 'gpu' }] });
  });
});

describe('claims and volumes', () => {
  it('drops volumeAttributesClassName and a cross-namespace dataSourceRef, and copies dataSource to dataSourceRef (NormalizeDataSources)', () => {
    const spec = { volumeAttributesClassName: 'gold', dataSource: { kind: 'PersistentVolumeClaim', name: 'src' } };
    dropDisabledClaimSpecFields(spec);
    expect(spec).toEqual({ dataSource: { kind: 'PersistentVolumeClaim', name: 'src' }, dataSourceRef: { kind: 'PersistentVolumeClaim', name: 'src' } });
    const back = { dataSourceRef: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 's' } };
    dropDisabledClaimSpecFields(back);
    expect(back).toEqual({ dataSourceRef: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 's' }, dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 's' } });
    const cross = { dataSourceRef: { kind: 'PersistentVolumeClaim', name: 's', namespace: 'other' } };
    dropDisabledClaimSpecFields(cross);
    expect(cross).toEqual({});
    const inUse = { volumeAttributesClassName: 'gold' };
    dropDisabledClaimSpecFields(inUse, { volumeAttributesClassName: 'silver' });
    expect(inUse).toEqual({ volumeAttributesClassName: 'gold' });
  });
  it('drops the attributes-class status but keeps the resize status (RecoverVolumeExpansionFailure is on)', () => {
    const status = { allocatedResources: { storage: '2Gi' }, allocatedResourceStatuses: { storage: 'ControllerResizeInProgress' }, currentVolumeAttributesClassName: 'gold', modifyVolumeStatus: { status: 'Pending' } };
    dropDisabledClaimStatusFields(status, {});
    expect(status).toEqual({ allocatedResources: { storage: '2Gi' }, allocatedResourceStatuses: { storage: 'ControllerResizeInProgress' } });
    const pv = { volumeAttributesClassName: 'gold' };
    dropDisabledPersistentVolumeFields(pv);
    expect(pv).toEqual({});
  });
});
