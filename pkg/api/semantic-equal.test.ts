// apiequality.Semantic.DeepEqual's rules (semantic.go, forked deep_equal.go) over decoded JSON,
// led by the Go type each value decodes to.
import { describe, expect, it } from 'vitest';
import { semanticEqual, semanticFieldEqual } from './semantic-equal.js';
import type { CSIStorageCapacity, VolumeAttachment } from './types.js';
import { validateCSIStorageCapacityUpdate, validateVolumeAttachmentUpdate } from './validation-storage-csi.js';
import { sameSpec as sameFlowSpec } from './validation-flowcontrol.js';

describe('semanticEqual of Go-typed values', () => {
  it('takes an empty slice or map as the nil one', () => {
    expect(semanticEqual({ containers: [{ name: 'c', env: [] }], nodeSelector: {} }, { containers: [{ name: 'c' }], nodeSelector: null }, 'PodSpec')).toBe(true);
    expect(semanticEqual({ rules: [] }, { rules: null }, 'PodFailurePolicy')).toBe(true);
    expect(semanticEqual({ matchLabels: {}, matchExpressions: [] }, {}, 'LabelSelector')).toBe(true);
    expect(semanticEqual({ matchExpressions: [{ key: 'a', operator: 'Exists', values: [] }] }, { matchExpressions: [{ key: 'a', operator: 'Exists' }] }, 'LabelSelector')).toBe(true);
  });

  it('still tells a list or map with members from an empty one', () => {
    expect(semanticEqual({ matchLabels: { a: 'b' } }, { matchLabels: {} }, 'LabelSelector')).toBe(false);
    expect(semanticEqual({ containers: [{ name: 'c', args: ['x'] }] }, { containers: [{ name: 'c', args: [] }] }, 'PodSpec')).toBe(false);
  });

  it('tells a set pointer from a nil one, however empty what it points at', () => {
    expect(semanticEqual({ containers: [], securityContext: {} }, { containers: [] }, 'PodSpec')).toBe(false);
    expect(semanticEqual({ replicas: 0 }, {}, 'DeploymentSpec')).toBe(false);
    expect(semanticEqual({ securityContext: null }, {}, 'PodSpec')).toBe(true);
  });

  it('takes an absent or null scalar or struct by value as its zero value', () => {
    expect(semanticEqual({ name: 'c', image: '', stdin: false, resources: {} }, { name: 'c', resources: null }, 'Container')).toBe(true);
    expect(semanticEqual({ name: 'c', stdin: true }, { name: 'c' }, 'Container')).toBe(false);
  });

  it('compares quantities by value, an unset one being 0', () => {
    const c = (cpu: unknown) => ({ name: 'c', resources: { limits: { cpu } } });
    expect(semanticEqual(c('1'), c('1000m'), 'Container')).toBe(true);
    expect(semanticEqual(c('0.5'), c('500m'), 'Container')).toBe(true);
    expect(semanticEqual(c('1Ki'), c('1024'), 'Container')).toBe(true);
    expect(semanticEqual(c('1'), c('1001m'), 'Container')).toBe(false);
    expect(semanticEqual({ medium: '', sizeLimit: '0' }, { medium: '', sizeLimit: '0M' }, 'EmptyDirVolumeSource')).toBe(true);
    // (a pointer to a Quantity: nil is not 0)
    expect(semanticEqual({ sizeLimit: '0' }, {}, 'EmptyDirVolumeSource')).toBe(false);
  });

  it('compares times by instant, whatever the zone, and the zero time as null', () => {
    const cond = (t: unknown) => ({ type: 'Ready', status: 'True', lastTransitionTime: t });
    expect(semanticEqual(cond('2024-05-01T12:00:00Z'), cond('2024-05-01T14:00:00+02:00'), 'PodCondition')).toBe(true);
    expect(semanticEqual(cond('2024-05-01T12:00:00Z'), cond('2024-05-01T12:00:01Z'), 'PodCondition')).toBe(false);
    expect(semanticEqual(cond(null), cond(undefined), 'PodCondition')).toBe(true);
    expect(semanticEqual(cond('0001-01-01T00:00:00Z'), cond(null), 'PodCondition')).toBe(true);
    expect(semanticEqual({ renewTime: '2024-05-01T12:00:00.000001Z' }, { renewTime: '2024-05-01T12:00:00.000002Z' }, 'LeaseSpec')).toBe(false);
    expect(semanticEqual({ renewTime: '2024-05-01T12:00:00.000001Z' }, { renewTime: '2024-05-01T13:00:00.000001+01:00' }, 'LeaseSpec')).toBe(true);
  });

  it('tells an IntOrString int from its string', () => {
    expect(semanticEqual({ port: 80 }, { port: '80' }, 'TCPSocketAction')).toBe(false);
    expect(semanticEqual({ port: 0 }, {}, 'TCPSocketAction')).toBe(true);
  });

  it('compares raw bytes by their text: a RawExtension in another key order differs', () => {
    expect(semanticFieldEqual('ControllerRevision', 'data', { a: 1, b: 2 }, { a: 1, b: 2 })).toBe(true);
    expect(semanticFieldEqual('ControllerRevision', 'data', { a: 1, b: 2 }, { b: 2, a: 1 })).toBe(false);
  });

  it('ignores key order and compares a field as its type: a spec, an annotations map', () => {
    expect(semanticFieldEqual('Deployment', 'spec', { replicas: 1, paused: false }, { paused: false, replicas: 1 })).toBe(true);
    expect(semanticFieldEqual('ObjectMeta', 'annotations', {}, undefined)).toBe(true);
    expect(semanticFieldEqual('ObjectMeta', 'annotations', { a: '' }, {})).toBe(false);
    expect(semanticFieldEqual('EndpointSlice', 'endpoints', [], null)).toBe(true);
  });
});

describe('semanticEqual of values of no known type', () => {
  it('keeps comparing the JSON: key order and null members aside, [] and {} still values', () => {
    expect(semanticEqual({ a: 1, b: null }, { a: 1 })).toBe(true);
    expect(semanticEqual({ a: [] }, {})).toBe(false);
    expect(semanticFieldEqual('CustomResourceDefinition', 'spec', { subresources: { status: {} } }, { subresources: {} })).toBe(false);
  });
});

describe('the CSI kinds\' immutable fields, compared as Semantic.DeepEqual', () => {
  it('take an inline volume\'s capacity written another way as the same VolumeAttachment spec', () => {
    const va = (storage: string): VolumeAttachment => ({
      metadata: { name: 'va', resourceVersion: '1' },
      spec: { attacher: 'csi.example.com', nodeName: 'n1', source: { inlineVolumeSpec: { capacity: { storage }, csi: { driver: 'csi.example.com', volumeHandle: 'h' } } } },
    } as VolumeAttachment);
    expect(validateVolumeAttachmentUpdate(va('1024Mi'), va('1Gi')).map((e) => e.field)).not.toContain('spec');
    expect(validateVolumeAttachmentUpdate(va('2Gi'), va('1Gi')).map((e) => e.field)).toContain('spec');
  });

  it('take an empty matchLabels as none in a CSIStorageCapacity\'s nodeTopology', () => {
    const cap = (nodeTopology: unknown): CSIStorageCapacity => ({ metadata: { name: 'c', namespace: 'default', resourceVersion: '1' }, storageClassName: 'fast', nodeTopology } as CSIStorageCapacity);
    expect(validateCSIStorageCapacityUpdate(cap({ matchLabels: {}, matchExpressions: [{ key: 'zone', operator: 'Exists' }] }), cap({ matchExpressions: [{ key: 'zone', operator: 'Exists', values: [] }] }))).toEqual([]);
    expect(validateCSIStorageCapacityUpdate(cap({ matchLabels: { zone: 'a' } }), cap({})).map((e) => e.field)).toEqual(['nodeTopology']);
  });
});

describe('the flow control specs, compared as the bootstrap ensurer and mandatory-object validation compare them', () => {
  it('take a non-pointer zero as absent and a set pointer as set', () => {
    expect(sameFlowSpec({ priorityLevelConfiguration: { name: 'x' }, matchingPrecedence: 0, rules: [] }, { priorityLevelConfiguration: { name: 'x' } }, 'FlowSchemaSpec')).toBe(true);
    expect(sameFlowSpec({ type: 'Limited', limited: { lendablePercent: 0 } }, { type: 'Limited', limited: {} }, 'PriorityLevelConfigurationSpec')).toBe(false);
  });
});
