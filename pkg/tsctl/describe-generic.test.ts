import { describe, expect, it } from 'vitest';
import { describeGeneric, smartLabelFor } from './describe-generic.js';
import { tabwrite } from './tabwriter.js';

describe('tsctl describe of a kind with no describer (kubectl\'s genericDescriber)', () => {
  it('labels fields as smartLabelFor does', () => {
    expect(['apiVersion', 'holderIdentity', 'uid', 'ownerReferences', 'HTTPServer', 'v1beta1', 'kind'].map(smartLabelFor)).toEqual(['API Version', 'Holder Identity', 'UID', 'Owner References', 'HTTP Server', 'v1beta1', 'Kind']);
  });

  it('prints a Lease as kubectl 1.32 describe lease does', () => {
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'vm', namespace: 'kube-node-lease', creationTimestamp: '2026-12-03T09:39:12Z', ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'vm', uid: 'd67' }], resourceVersion: '11314', uid: '2e5', managedFields: [{ manager: 'x' }] },
      spec: { holderIdentity: 'vm', leaseDurationSeconds: 40, renewTime: '2026-12-03T10:37:03.410000Z' },
    };
    expect(tabwrite(describeGeneric(lease).join('\n')).split('\n')).toEqual([
      'Name:         vm',
      'Namespace:    kube-node-lease',
      'Labels:       <none>',
      'Annotations:  <none>',
      'API Version:  coordination.k8s.io/v1',
      'Kind:         Lease',
      'Metadata:',
      '  Creation Timestamp:  2026-12-03T09:39:12Z',
      '  Owner References:',
      '    API Version:     v1',
      '    Kind:            Node',
      '    Name:            vm',
      '    UID:             d67',
      '  Resource Version:  11314',
      '  UID:               2e5',
      'Spec:',
      '  Holder Identity:         vm',
      '  Lease Duration Seconds:  40',
      '  Renew Time:              2026-12-03T10:37:03.410000Z',
    ]);
  });
});
