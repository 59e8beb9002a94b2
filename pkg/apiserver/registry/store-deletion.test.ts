// The garbage collector's finalizers a DELETE leaves on an object, as 1.32's
// deletionFinalizersForGarbageCollection sets them from the request's policy, the finalizers
// already there and the kind's DefaultGarbageCollectionPolicy.
import { describe, expect, it } from 'vitest';
import { defaultPropagationPolicy, deletionFinalizers } from './store.js';

describe('deletionFinalizers', () => {
  it('a named policy sets its finalizer and drops the other', () => {
    expect(deletionFinalizers(['a', 'foregroundDeletion'], 'Orphan', 'Background')).toEqual(['a', 'orphan']);
    expect(deletionFinalizers(['orphan'], 'Foreground', 'Orphan')).toEqual(['foregroundDeletion']);
    expect(deletionFinalizers(['orphan', 'a'], 'Background', 'Orphan')).toEqual(['a']);
  });

  it('with no policy a collector finalizer already there is kept, else the kind\'s default applies', () => {
    expect(deletionFinalizers(['foregroundDeletion'], undefined, 'Orphan')).toEqual(['foregroundDeletion']);
    expect(deletionFinalizers(['a', 'orphan'], undefined, 'Background')).toEqual(['a', 'orphan']);
    expect(deletionFinalizers(['a'], undefined, 'Orphan')).toEqual(['a', 'orphan']);
    expect(deletionFinalizers([], undefined, 'Background')).toEqual([]);
    expect(deletionFinalizers(['a'], undefined)).toEqual(['a']);
  });
});

describe('defaultPropagationPolicy', () => {
  it('is Orphan for core/v1 ReplicationControllers and batch/v1 Jobs only (rcStrategy, jobStrategy)', () => {
    expect(defaultPropagationPolicy({ group: '', name: 'replicationcontrollers' })).toBe('Orphan');
    expect(defaultPropagationPolicy({ group: 'batch', name: 'jobs' })).toBe('Orphan');
    for (const [group, name] of [['apps', 'replicasets'], ['apps', 'deployments'], ['batch', 'cronjobs'], ['', 'pods'], ['example.com', 'jobs']]) {
      expect(defaultPropagationPolicy({ group: group!, name: name! })).toBe('Background');
    }
  });
});
