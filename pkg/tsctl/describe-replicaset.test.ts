import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/types.js';
import { describeReplicaSet, describeReplicationController } from './describe-replicaset.js';
import { tabwrite } from './tabwriter.js';

const pod = (phase: string, uid = 'rs-uid') => ({ metadata: { name: 'p', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid, controller: true }] }, status: { phase } }) as Pod;

describe('tsctl describe replicaset', () => {
  it('prints replicas, its own pods by phase and the template, as kubectl describe rs', () => {
    const rs = {
      metadata: { name: 'web-1', namespace: 'ns', uid: 'rs-uid', labels: { app: 'web' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd', controller: true }] },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web', 'pod-template-hash': '1' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
      status: { replicas: 3 },
    };
    const lines = tabwrite(describeReplicaSet(rs, [pod('Running'), pod('Pending'), pod('Failed'), pod('Running', 'other')]).join('\n')).split('\n');
    expect(lines.slice(0, 9)).toEqual([
      'Name:           web-1',
      'Namespace:      ns',
      'Selector:       app=web,pod-template-hash=1',
      'Labels:         app=web',
      'Annotations:    <none>',
      'Controlled By:  Deployment/web',
      'Replicas:       3 current / 3 desired',
      'Pods Status:    1 Running / 1 Waiting / 0 Succeeded / 1 Failed',
      'Pod Template:',
    ]);
  });
});

describe('tsctl describe replicationcontroller', () => {
  it('prints a ReplicationController as kubectl 1.32 describeReplicationController: its label-set selector, no Controlled By, its own pods by phase, the template', () => {
    const rcPod = (phase: string, uid = 'rc-uid') => ({ metadata: { name: 'p', ownerReferences: [{ apiVersion: 'v1', kind: 'ReplicationController', name: 'rc1', uid, controller: true }] }, status: { phase } }) as Pod;
    const rc = {
      metadata: { name: 'rc1', namespace: 'ns', uid: 'rc-uid', labels: { app: 'rc1' }, annotations: { note: 'hi' } },
      spec: { replicas: 2, selector: { tier: 'x', app: 'rc1' }, template: { metadata: { labels: { app: 'rc1' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
      status: { replicas: 2, conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate' }] },
    };
    const lines = tabwrite(describeReplicationController(rc, [rcPod('Running'), rcPod('Succeeded'), rcPod('Running', 'other')]).join('\n')).split('\n');
    expect(lines.slice(0, 8)).toEqual([
      'Name:         rc1',
      'Namespace:    ns',
      'Selector:     app=rc1,tier=x',
      'Labels:       app=rc1',
      'Annotations:  note: hi',
      'Replicas:     2 current / 2 desired',
      'Pods Status:  1 Running / 0 Waiting / 1 Succeeded / 0 Failed',
      'Pod Template:',
    ]);
    expect(lines.slice(-4)).toEqual(['Conditions:', '  Type             Status  Reason', '  ----             ------  ------', '  ReplicaFailure   True    FailedCreate']);
  });
});
