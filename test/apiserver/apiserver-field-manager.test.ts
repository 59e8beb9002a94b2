// The apiserver's own writes are recorded under kube-apiserver, the manager 1.32 takes from its
// loopback client's User-Agent (kube-apiserver/v1.32.0 (linux/amd64) kubernetes/...): the
// default/kubernetes Service and its Endpoints, the bootstrap RBAC policy, the system priority
// classes and namespaces, and the budget status an eviction writes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../pkg/api/types.js';
import { ClusterRoleBindings, ClusterRoles, EndpointsRef, Namespaces, PodDisruptionBudgets, Pods, PriorityClasses, Services, type ResourceRef } from '../../pkg/client/rest-client.js';
import { startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;
beforeAll(async () => {
  cp = await startControlPlane();
});
afterAll(async () => {
  await cp?.stop();
});

const managers = (o: KubeObject) => o.metadata?.managedFields?.map((e) => [e.manager, e.operation, e.subresource ?? '']);

describe("the apiserver's own field manager", () => {
  it('is kube-apiserver for the objects it makes at start', async () => {
    const objects: [ResourceRef, string | undefined, string][] = [
      [Services, 'default', 'kubernetes'],
      [EndpointsRef, 'default', 'kubernetes'],
      [ClusterRoles, undefined, 'cluster-admin'],
      [ClusterRoleBindings, undefined, 'system:basic-user'],
      [PriorityClasses, undefined, 'system-node-critical'],
      [Namespaces, undefined, 'kube-system'],
    ];
    for (const [ref, ns, name] of objects) {
      const o = await cp.admin.get<KubeObject>(ref, ns, name);
      expect([name, managers(o)]).toEqual([name, [['kube-apiserver', 'Update', '']]]);
    }
  });

  it("owns the budget status an eviction writes, in the status subresource's entry", async () => {
    await cp.admin.create(Pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'fm-evict', labels: { app: 'fm' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    // a Pending pod is evicted without asking its budget (canIgnorePDB); a Running one asks it
    await cp.admin.request(cp.admin.path(Pods, 'default', 'fm-evict', 'status'), { method: 'PATCH', contentType: 'application/merge-patch+json', body: { status: { phase: 'Running' } } });
    const pdb = await cp.admin.create<KubeObject>(PodDisruptionBudgets, 'default', { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'fm-pdb' }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'fm' } } } });
    await cp.admin.request(cp.admin.path(PodDisruptionBudgets, 'default', 'fm-pdb', 'status'), {
      method: 'PATCH',
      contentType: 'application/merge-patch+json',
      query: { fieldManager: 'disruption-test' },
      body: { status: { observedGeneration: pdb.metadata!.generation, disruptionsAllowed: 1, currentHealthy: 1, desiredHealthy: 0, expectedPods: 1 } },
    });
    await cp.admin.evict('default', 'fm-evict');
    const after = await cp.admin.get<KubeObject & { status: { disruptionsAllowed: number } }>(PodDisruptionBudgets, 'default', 'fm-pdb');
    expect(after.status.disruptionsAllowed).toBe(0);
    expect(managers(after)).toContainEqual(['kube-apiserver', 'Update', 'status']);
    expect(managers(after)?.some(([m]) => m === 'tskube-apiserver')).toBe(false);
  });
});
