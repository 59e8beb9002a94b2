import { describe, expect, it } from 'vitest';
import type { KubeObject, Pod } from '../api/types.js';
import { REPLICA_FAILURE, replicaStatus, type Replicated } from './replica-manager.js';
import { mapSelects } from './replication-controller.js';

type P = Pod & KubeObject;
const owner = (conditions?: NonNullable<Replicated['status']>['conditions']): Replicated => ({
  metadata: { name: 'web', namespace: 'default', generation: 4 },
  spec: { replicas: 3, template: { metadata: { labels: { app: 'web', tier: 'fe' } } } },
  status: conditions ? { conditions } : {},
});
const pod = (labels: Record<string, string>, ready = false): P => ({
  metadata: { name: 'p', labels },
  status: { phase: 'Running', conditions: ready ? [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] : [] },
});

describe('replicaStatus', () => {
  it('counts replicas, fully labeled, ready and available pods and the observed generation', () => {
    const st = replicaStatus(owner(), [pod({ app: 'web', tier: 'fe' }, true), pod({ app: 'web' })], Date.now());
    expect(st).toEqual({ replicas: 2, fullyLabeledReplicas: 1, readyReplicas: 1, availableReplicas: 1, observedGeneration: 4 });
  });
  it('sets ReplicaFailure FailedCreate when creating failed with too few pods, FailedDelete with too many', () => {
    const create = replicaStatus(owner(), [pod({ app: 'web' })], Date.now(), new Error('pods "web-x" is forbidden: exceeded quota'));
    expect(create.conditions).toEqual([expect.objectContaining({ type: REPLICA_FAILURE, status: 'True', reason: 'FailedCreate', message: 'pods "web-x" is forbidden: exceeded quota' })]);
    const four = Array.from({ length: 4 }, () => pod({ app: 'web' }));
    expect(replicaStatus(owner(), four, Date.now(), new Error('boom')).conditions?.[0]?.reason).toBe('FailedDelete');
  });
  it('keeps an existing ReplicaFailure while failing and removes it after a sync without error', () => {
    const failing = [{ type: REPLICA_FAILURE, status: 'True', reason: 'FailedCreate', message: 'old', lastTransitionTime: 't' }];
    expect(replicaStatus(owner(failing), [], Date.now(), new Error('new')).conditions).toEqual(failing);
    expect(replicaStatus(owner(failing), [], Date.now()).conditions).toBeUndefined();
  });
});

describe('mapSelects', () => {
  it('selects pods carrying every label of the map; an empty map selects nothing', () => {
    const p = pod({ app: 'web', tier: 'fe' });
    expect(mapSelects({ app: 'web' }, p)).toBe(true);
    expect(mapSelects({ app: 'web', tier: 'be' }, p)).toBe(false);
    expect(mapSelects({}, p)).toBe(false);
    expect(mapSelects(undefined, p)).toBe(false);
  });
});
