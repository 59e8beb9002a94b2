import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/types.js';
import { describeReplicaSet } from './describe-replicaset.js';
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
