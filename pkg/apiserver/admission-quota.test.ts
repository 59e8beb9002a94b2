import { describe, expect, it } from 'vitest';
import type { KubeObject, ResourceQuota } from '../api/types.js';
import type { AdmissionRequest } from './admission.js';
import { currentUsage, quotaAdmission, type QuotaAccess } from './admission-quota.js';
import type { ResourceInfo } from './registry/resources.js';

/** Quotas and objects in memory; status writes go to the quota in place. */
function fakeAccess(quotas: ResourceQuota[], objects: Record<string, KubeObject[]> = {}): QuotaAccess {
  return {
    quotas: () => quotas,
    objects: (resource) => objects[resource] ?? [],
    updateStatus: async (_ns, name, mutate) => {
      const i = quotas.findIndex((q) => q.metadata!.name === name);
      quotas[i] = mutate(quotas[i]!);
    },
  };
}

const claim = (storage: string, rv = '5') => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'ns', resourceVersion: rv }, spec: { storageClassName: 'gold', resources: { requests: { storage } } } }) as unknown as KubeObject;
const write = (operation: 'CREATE' | 'UPDATE', resource: string, obj: KubeObject, old?: KubeObject, subresource?: string): AdmissionRequest => ({
  operation,
  resource: { name: resource, group: '', namespaced: true } as ResourceInfo,
  subresource,
  name: obj.metadata!.name!,
  namespace: 'ns',
  obj,
  old,
  ctx: { dryRun: false } as AdmissionRequest['ctx'],
});
const storageQuota = (used: string): ResourceQuota => ({
  metadata: { name: 'storage', namespace: 'ns' },
  spec: { hard: { 'requests.storage': '10Gi', persistentvolumeclaims: '1' } },
  status: { hard: { 'requests.storage': '10Gi', persistentvolumeclaims: '1' }, used: { 'requests.storage': used, persistentvolumeclaims: '1' } },
});

describe('ResourceQuota admission of updates', () => {
  it('charges a claim that grows what it adds, and refuses growth past the limit', async () => {
    const quotas = [storageQuota('4Gi')];
    const plugin = quotaAdmission(fakeAccess(quotas));
    // (the claim counts already: a second one would pass persistentvolumeclaims=1, its update does not)
    await plugin.validate!(write('UPDATE', 'persistentvolumeclaims', claim('8Gi'), claim('4Gi')));
    expect(quotas[0]!.status?.used).toEqual({ persistentvolumeclaims: '1', 'requests.storage': '8Gi' });
    await expect(plugin.validate!(write('UPDATE', 'persistentvolumeclaims', claim('12Gi'), claim('8Gi')))).rejects.toThrow(
      'persistentvolumeclaims "data" is forbidden: exceeded quota: storage, requested: requests.storage=4Gi, used: requests.storage=8Gi, limited: requests.storage=10Gi',
    );
    // Shrinking charges nothing (usage comes back with the controller's recount).
    await plugin.validate!(write('UPDATE', 'persistentvolumeclaims', claim('1Gi'), claim('8Gi')));
    expect(quotas[0]!.status?.used?.['requests.storage']).toBe('8Gi');
  });

  it('leaves pod updates and subresource writes alone, as 1.32 does', async () => {
    const quotas: ResourceQuota[] = [{ metadata: { name: 'cpu', namespace: 'ns' }, spec: { hard: { 'requests.cpu': '1' } }, status: { hard: { 'requests.cpu': '1' }, used: { 'requests.cpu': '1' } } }];
    const plugin = quotaAdmission(fakeAccess(quotas));
    const pod = (cpu: string) => ({ metadata: { name: 'p', namespace: 'ns', resourceVersion: '3' }, spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu } } }] } }) as unknown as KubeObject;
    await plugin.validate!(write('UPDATE', 'pods', pod('2'), pod('1')));
    const full = [storageQuota('10Gi')];
    await quotaAdmission(fakeAccess(full)).validate!(write('UPDATE', 'persistentvolumeclaims', claim('20Gi'), claim('10Gi'), 'status'));
    expect(quotas[0]!.status?.used).toEqual({ 'requests.cpu': '1' });
  });
});

describe('the quota controller\'s count', () => {
  it('counts every pod in count/pods, terminal ones too, and only live pods in pods and compute resources', () => {
    const pod = (name: string, phase: string, cpu = '100m') => ({ metadata: { name, namespace: 'ns' }, spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu } } }] }, status: { phase } }) as unknown as KubeObject;
    const hard = { pods: '10', 'count/pods': '10', 'requests.cpu': '2' };
    const q: ResourceQuota = { metadata: { name: 'q', namespace: 'ns' }, spec: { hard } };
    const used = currentUsage(q, fakeAccess([q], { pods: [pod('run', 'Running'), pod('done', 'Succeeded'), pod('bad', 'Failed')] }));
    expect(Object.fromEntries(used)).toEqual({ pods: 1000, 'count/pods': 3000, 'requests.cpu': 100 });
  });
});
