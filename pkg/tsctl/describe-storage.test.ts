import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/types.js';
import { describeCSINode, describePersistentVolume, describePersistentVolumeClaim } from './describe-storage.js';
import { rfc1123z } from './describe-pod.js';
import { tabwrite } from './tabwriter.js';

const lines = (text: string[]) => tabwrite(text.join('\n')).split('\n');

describe('tsctl describe pvc and pv', () => {
  it('prints what kubectl 1.32 describe pvc prints for a bound claim and the pods using it', () => {
    const pvc = {
      metadata: { name: 'data-web-0', namespace: 'tsd-a', labels: { app: 'web' }, annotations: { 'pv.kubernetes.io/bind-completed': 'yes' }, finalizers: ['kubernetes.io/pvc-protection'] },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Mi' } }, storageClassName: 'local-path', volumeMode: 'Filesystem', volumeName: 'pvc-42' },
      status: { accessModes: ['ReadWriteOnce'], capacity: { storage: '1Mi' }, phase: 'Bound' },
    };
    const uses = (name: string, claimName: string) => ({ metadata: { name }, spec: { containers: [], volumes: [{ name: 'v', persistentVolumeClaim: { claimName } }] } }) as unknown as Pod;
    expect(lines(describePersistentVolumeClaim(pvc, [uses('web-1', 'data-web-0'), uses('x', 'other'), uses('web-0', 'data-web-0')]))).toEqual([
      'Name:          data-web-0',
      'Namespace:     tsd-a',
      'StorageClass:  local-path',
      'Status:        Bound',
      'Volume:        pvc-42',
      'Labels:        app=web',
      'Annotations:   pv.kubernetes.io/bind-completed: yes',
      'Finalizers:    [kubernetes.io/pvc-protection]',
      'Capacity:      1Mi',
      'Access Modes:  RWO',
      'VolumeMode:    Filesystem',
      'Used By:       web-0',
      '               web-1',
    ]);
  });

  it('leaves a pending claim\'s capacity and access modes empty and says a deleted one is Terminating', () => {
    const pending = { metadata: { name: 'pend', namespace: 'tsd-a', finalizers: ['kubernetes.io/pvc-protection'] }, spec: { accessModes: ['ReadWriteMany'], storageClassName: 'nope', resources: { requests: { storage: '1Gi' } }, volumeMode: 'Filesystem' }, status: { phase: 'Pending' } };
    expect(lines(describePersistentVolumeClaim(pending, []))).toEqual([
      'Name:          pend',
      'Namespace:     tsd-a',
      'StorageClass:  nope',
      'Status:        Pending',
      'Volume:        ',
      'Labels:        <none>',
      'Annotations:   <none>',
      'Finalizers:    [kubernetes.io/pvc-protection]',
      'Capacity:      ',
      'Access Modes:  ',
      'VolumeMode:    Filesystem',
      'Used By:       <none>',
    ]);
    const deleted = { ...pending, metadata: { ...pending.metadata, deletionTimestamp: '2026-12-03T10:00:00Z' } };
    expect(lines(describePersistentVolumeClaim(deleted, [], Date.parse('2026-12-03T10:00:42Z')))).toContain('Status:        Terminating (lasts 42s)');
  });

  it('prints what kubectl 1.32 describe pv prints: access modes abbreviated, node affinity terms, the source', () => {
    const pv = {
      metadata: { name: 'tsd-pv2', finalizers: ['kubernetes.io/pv-protection'] },
      spec: {
        accessModes: ['ReadWriteOncePod'],
        capacity: { storage: '1Gi' },
        csi: { driver: 'd.example', volumeHandle: 'h', volumeAttributes: { b: '2', a: '1' } },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'In', values: ['x', 'y'] }, { key: 'b', operator: 'Exists' }] }, { matchExpressions: [{ key: 'c', operator: 'NotIn', values: ['z'] }] }] } },
        persistentVolumeReclaimPolicy: 'Retain',
        volumeMode: 'Filesystem',
      },
      status: { phase: 'Available' },
    };
    expect(lines(describePersistentVolume(pv))).toEqual([
      'Name:              tsd-pv2',
      'Labels:            <none>',
      'Annotations:       <none>',
      'Finalizers:        [kubernetes.io/pv-protection]',
      'StorageClass:      ',
      'Status:            Available',
      'Claim:             ',
      'Reclaim Policy:    Retain',
      'Access Modes:      RWOP',
      'VolumeMode:        Filesystem',
      'Capacity:          1Gi',
      'Node Affinity:     ',
      '  Required Terms:  ',
      '    Term 0:        a in [x, y]',
      '                   b exists',
      '    Term 1:        c notin [z]',
      'Message:           ',
      'Source:',
      '    Type:              CSI (a Container Storage Interface (CSI) volume source)',
      '    Driver:            d.example',
      '    FSType:            ',
      '    VolumeHandle:      h',
      '    ReadOnly:          false',
      '    VolumeAttributes:      a=1',
      '                           b=2',
    ]);
    const local = lines(describePersistentVolume({ metadata: { name: 'l' }, spec: { accessModes: ['ReadWriteMany', 'ReadWriteOnce'], claimRef: { namespace: 'n', name: 'c' }, hostPath: { path: '/p', type: 'DirectoryOrCreate' } } }));
    expect(local).toContain('Access Modes:    RWO,RWX');
    expect(local).toContain('Claim:           n/c');
    expect(local).toContain('Node Affinity:   <none>');
    expect(local.slice(-3)).toEqual(['    Type:          HostPath (bare host directory volume)', '    Path:          /p', '    HostPathType:  DirectoryOrCreate']);
  });
});

describe('tsctl describe csinode', () => {
  it("prints each driver's node ID, allocatable count and topology keys, as kubectl 1.32's describeCSINode", () => {
    const csi = { metadata: { name: 'vm', creationTimestamp: '2026-12-03T11:13:16Z' }, spec: { drivers: [{ name: 'csi.example.com', nodeID: 'vm', allocatable: { count: 5 }, topologyKeys: ['a', 'b'] }, { name: 'other', nodeID: 'n2' }] } };
    const lines = tabwrite(describeCSINode(csi).join('\n')).split('\n');
    expect(lines[0]).toBe('Name:               vm');
    expect(lines.slice(3)).toEqual([
      `CreationTimestamp:  ${rfc1123z('2026-12-03T11:13:16Z')}`,
      'Spec:',
      '  Drivers:',
      '    csi.example.com:',
      '      Node ID:  vm',
      '      Allocatables:',
      '        Count:        5',
      '      Topology Keys:  [a b]',
      '    other:',
      '      Node ID:  n2',
    ]);
    expect(describeCSINode({ metadata: { name: 'x' }, spec: {} }).at(-1)).toBe('Spec:');
  });
});
