import { describe, expect, it } from 'vitest';
import { describeEndpointSlice, describePriorityClass, describeStorageClass } from './describe-classes.js';
import { tabwrite } from './tabwriter.js';

const lines = (text: string[]) => tabwrite(text.join('\n')).split('\n');

// (the expected lines are what kubectl 1.32.4 describe printed for the same objects, events left out)
describe('tsctl describe of the class kinds and endpoint slices', () => {
  it('prints what kubectl 1.32 describe storageclass prints: mount options, allowed topologies', () => {
    const sc = {
      metadata: { name: 'tsd-sc', annotations: { b: '1' } },
      provisioner: 'example.com/x',
      parameters: { z: '1', a: '2' },
      allowVolumeExpansion: true,
      mountOptions: ['ro', 'soft'],
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'Immediate',
      allowedTopologies: [{ matchLabelExpressions: [{ key: 'zone', values: ['a', 'b'] }, { key: 'rack', values: ['r1'] }] }],
    };
    expect(lines(describeStorageClass(sc))).toEqual([
      'Name:                  tsd-sc',
      'IsDefaultClass:        No',
      'Annotations:           b=1',
      'Provisioner:           example.com/x',
      'Parameters:            a=2,z=1',
      'AllowVolumeExpansion:  True',
      'MountOptions:',
      '  ro',
      '  soft',
      'ReclaimPolicy:      Delete',
      'VolumeBindingMode:  Immediate',
      'AllowedTopologies:  ',
      '  Term 0:           zone in [a, b]',
      '                    rack in [r1]',
    ]);
  });

  it('prints what kubectl 1.32 describe endpointslice prints: unset port names and conditions', () => {
    const eps = { metadata: { name: 'tsd-eps2', namespace: 'tsd-a' }, addressType: 'IPv4', ports: [{ port: 80, protocol: 'TCP' }], endpoints: [{ addresses: ['10.0.0.1', '10.0.0.2'], conditions: {} }] };
    expect(lines(describeEndpointSlice(eps))).toEqual([
      'Name:         tsd-eps2',
      'Namespace:    tsd-a',
      'Labels:       <none>',
      'Annotations:  <none>',
      'AddressType:  IPv4',
      'Ports:',
      '  Name     Port  Protocol',
      '  ----     ----  --------',
      '  <unset>  80    TCP',
      'Endpoints:',
      '  - Addresses:  10.0.0.1, 10.0.0.2',
      '    Conditions:',
      '      Ready:   <unset>',
      '    Hostname:  <unset>',
      '    NodeName:  <unset>',
      '    Zone:      <unset>',
    ]);
    expect(lines(describeEndpointSlice({ metadata: { name: 'e', namespace: 'n' }, addressType: 'IPv4' })).slice(-2)).toEqual(['Ports: <unset>', 'Endpoints: <none>']);
  });

  it('prints what kubectl 1.32 describe priorityclass prints', () => {
    expect(lines(describePriorityClass({ metadata: { name: 'tsd-pc' }, value: 5, globalDefault: false, preemptionPolicy: 'Never' }))).toEqual([
      'Name:              tsd-pc',
      'Value:             5',
      'GlobalDefault:     false',
      'PreemptionPolicy:  Never',
      'Description:       ',
      'Annotations:       <none>',
    ]);
  });
});
