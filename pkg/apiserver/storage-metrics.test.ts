import { describe, expect, it } from 'vitest';
import { deployments, endpoints, etcdPrefix, pods, services } from './registry/resources.js';
import { etcdTypeOf, groupResource } from './storage-metrics.js';

describe('the type etcd_request_duration_seconds gives a key', () => {
  it("is the group-resource of the store whose prefix the key has (1.32's groupResourceString)", () => {
    for (const r of [pods, deployments, services, endpoints]) etcdPrefix(r);
    expect(etcdTypeOf('/registry/pods/default/p')).toBe('pods');
    expect(etcdTypeOf('/registry/pods/')).toBe('pods');
    expect(etcdTypeOf('/registry/apps/deployments/default/web')).toBe('deployments.apps');
    expect(etcdTypeOf('/registry/apps/deployments/')).toBe('deployments.apps');
    expect(etcdTypeOf('/registry/services/specs/default/s')).toBe('services');
    expect(etcdTypeOf('/registry/services/endpoints/default/s')).toBe('endpoints');
    expect(etcdTypeOf('/registry/-')).toBe('-');
    expect(groupResource({ name: 'priorityclasses', group: 'scheduling.k8s.io' })).toBe('priorityclasses.scheduling.k8s.io');
  });
});
