import { describe, expect, it } from 'vitest';
import { deletionConditions, type NamespaceCondition } from './namespace-finalizer.js';

const none = { resources: new Map<string, number>(), finalizers: new Map<string, number>() };

describe('the conditions of a terminating namespace', () => {
  it('say which resources and finalizers remain, in Kubernetes\' words', () => {
    const found = { resources: new Map([['pods.', 2], ['persistentvolumeclaims.', 1]]), finalizers: new Map([['kubernetes.io/pvc-protection', 1]]) };
    const c = deletionConditions([], found, 'T1')!;
    expect(c.map((x) => [x.type, x.status, x.reason])).toEqual([
      ['NamespaceDeletionDiscoveryFailure', 'False', 'ResourcesDiscovered'],
      ['NamespaceDeletionGroupVersionParsingFailure', 'False', 'ParsedGroupVersions'],
      ['NamespaceDeletionContentFailure', 'False', 'ContentDeleted'],
      ['NamespaceContentRemaining', 'True', 'SomeResourcesRemain'],
      ['NamespaceFinalizersRemaining', 'True', 'SomeFinalizersRemain'],
    ]);
    expect(c[3]!.message).toBe('Some resources are remaining: persistentvolumeclaims. has 1 resource instances, pods. has 2 resource instances');
    expect(c[4]!.message).toBe('Some content in the namespace has finalizers remaining: kubernetes.io/pvc-protection in 1 resource instances');
    expect(c.every((x) => x.lastTransitionTime === 'T1')).toBe(true);
  });

  it('keep a condition\'s transition time unless its status changes; nothing changed is no write', () => {
    const first = deletionConditions([], { resources: new Map([['pods.', 2]]), finalizers: new Map() }, 'T1')!;
    expect(deletionConditions(first, { resources: new Map([['pods.', 2]]), finalizers: new Map() }, 'T2')).toBeUndefined();
    const fewer = deletionConditions(first, { resources: new Map([['pods.', 1]]), finalizers: new Map() }, 'T2')!;
    const remaining = (c: NamespaceCondition[]) => c.find((x) => x.type === 'NamespaceContentRemaining')!;
    expect(remaining(fewer)).toMatchObject({ status: 'True', message: 'Some resources are remaining: pods. has 1 resource instances', lastTransitionTime: 'T1' });
    const done = deletionConditions(fewer, none, 'T3')!;
    expect(remaining(done)).toEqual({ type: 'NamespaceContentRemaining', status: 'False', reason: 'ContentRemoved', message: 'All content successfully removed', lastTransitionTime: 'T3' });
  });
});
