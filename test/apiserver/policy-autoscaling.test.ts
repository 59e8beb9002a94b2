// policy/v1 PodDisruptionBudgets and autoscaling HorizontalPodAutoscalers against
// apiserver+etcd: validation with Kubernetes' messages, the initial status, status validation,
// generation, tables; autoscalers stored as autoscaling/v2 and served as autoscaling/v1 too
// (create, get, list, watch, update, merge patch and delete through v1, with the v2-only parts
// kept across a v1 round trip in annotations); discovery; the gRPC frontend's scale
// subresource, metrics list and eviction.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../pkg/api/types.js';
import { tokenFor } from '../../pkg/apiserver/pki.js';
import { GrpcApiClient } from '../../pkg/client/grpc-client.js';
import { Deployments, HorizontalPodAutoscalers, PodDisruptionBudgets, PodMetricsRef, Pods, type ResourceRef, type WatchEvent } from '../../pkg/client/rest-client.js';
import { eventually, failure, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { deployment } from '../helpers/workloads.js';

let cp: TestControlPlane;
beforeAll(async () => {
  cp = await startControlPlane({ grpcPort: 0 });
});
afterAll(async () => {
  await cp?.stop();
});

const HPAv1: ResourceRef = { ...HorizontalPodAutoscalers, version: 'v1' };
const table = (path: string) => cp.admin.request<{ columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] }>(path, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
const pdb = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name }, spec: { selector: { matchLabels: { app: name } }, ...spec } });
const hpa = (name: string, spec: Record<string, unknown> = {}) => ({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name }, maxReplicas: 5, ...spec } });
const hpaV1 = (name: string, spec: Record<string, unknown> = {}) => ({ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name }, maxReplicas: 5, ...spec } });

describe('policy/v1 PodDisruptionBudget', () => {
  it('is created with a zeroed status, generation 1, and validated with Kubernetes messages', async () => {
    const got = await cp.admin.create(PodDisruptionBudgets, 'default', pdb('web', { minAvailable: '50%' }));
    expect(got.status).toEqual({ disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 });
    expect(got.metadata?.generation).toBe(1);
    const both = await failure(cp.admin.create(PodDisruptionBudgets, 'default', pdb('both', { minAvailable: 1, maxUnavailable: 1 })));
    expect(both.code).toBe(422);
    expect(both.message).toMatch(/^PodDisruptionBudget.policy "both" is invalid: spec: Invalid value: .*: minAvailable and maxUnavailable cannot be both set$/);
    const pct = await failure(cp.admin.create(PodDisruptionBudgets, 'default', pdb('pct', { maxUnavailable: '101%' })));
    expect(pct.message).toBe('PodDisruptionBudget.policy "pct" is invalid: spec.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"101%"}: must not be greater than 100%');
    const unknown = await failure(cp.admin.create(PodDisruptionBudgets, 'default', pdb('unknown', { minAvailabe: 1 })));
    expect(unknown.code).toBe(400);
    expect(unknown.message).toContain('unknown field "spec.minAvailabe"');
  });

  it('keeps its status across spec updates (a new generation), and validates status writes', async () => {
    const upd = await cp.admin.patch(PodDisruptionBudgets, 'default', 'web', { spec: { minAvailable: null, maxUnavailable: 1 } });
    expect(upd.metadata?.generation).toBe(2);
    expect(upd.spec).toEqual({ selector: { matchLabels: { app: 'web' } }, maxUnavailable: 1 });
    const bad = await failure(cp.admin.patch(PodDisruptionBudgets, 'default', 'web', { status: { disruptionsAllowed: -1 } }, 'merge', 'status'));
    expect(bad.message).toContain('status.disruptionsAllowed: Invalid value: -1: must be greater than or equal to 0');
    const ok = await cp.admin.patch(PodDisruptionBudgets, 'default', 'web', { status: { disruptionsAllowed: 2, observedGeneration: 2 } }, 'merge', 'status');
    expect(ok.status).toMatchObject({ disruptionsAllowed: 2, observedGeneration: 2 });
    expect(ok.metadata?.generation).toBe(2);
  });

  it('prints as kubectl does: NAME MIN AVAILABLE MAX UNAVAILABLE ALLOWED DISRUPTIONS AGE', async () => {
    const t = await table('/apis/policy/v1/namespaces/default/poddisruptionbudgets');
    expect(t.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Min Available', 'Max Unavailable', 'Allowed Disruptions', 'Age']);
    expect(t.rows[0]!.cells.slice(0, 4)).toEqual(['web', 'N/A', '1', 2]);
  });
});

describe('HorizontalPodAutoscaler', () => {
  it('defaults and validates autoscaling/v2', async () => {
    const got = await cp.admin.create(HorizontalPodAutoscalers, 'default', hpa('web'));
    expect(got.spec).toMatchObject({ minReplicas: 1, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }] });
    // (HorizontalPodAutoscalerStatus.currentMetrics has no omitempty: 1.32 writes it null)
    expect(got.status).toEqual({ currentMetrics: null, desiredReplicas: 0 });
    const e = await failure(cp.admin.create(HorizontalPodAutoscalers, 'default', hpa('bad', { minReplicas: 3, maxReplicas: 2, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 0 } } }] })));
    expect(e.code).toBe(422);
    expect(e.message).toBe(
      'HorizontalPodAutoscaler.autoscaling "bad" is invalid: [spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`, spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0]',
    );
  });

  it('serves the same objects as autoscaling/v1, converted both ways', async () => {
    const created = await cp.admin.create(HPAv1, 'default', hpaV1('v1', { targetCPUUtilizationPercentage: 60 }));
    expect(created).toMatchObject({ apiVersion: 'autoscaling/v1', spec: { minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 60 }, status: { currentReplicas: 0, desiredReplicas: 0 } });
    const v2 = await cp.admin.get(HorizontalPodAutoscalers, 'default', 'v1');
    expect(v2).toMatchObject({ apiVersion: 'autoscaling/v2', spec: { metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }] } });
    expect(v2.metadata?.annotations).toBeUndefined();
    // a v2-only behavior and a memory metric survive a read-modify-write through v1
    await cp.admin.patch(HorizontalPodAutoscalers, 'default', 'v1', {
      spec: { behavior: { scaleDown: { stabilizationWindowSeconds: 30 } }, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }, { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } } }] },
    });
    const asV1 = await cp.admin.get(HPAv1, 'default', 'v1');
    expect(Object.keys(asV1.metadata?.annotations ?? {}).sort()).toEqual(['autoscaling.alpha.kubernetes.io/behavior', 'autoscaling.alpha.kubernetes.io/metrics']);
    await cp.admin.update(HPAv1, 'default', 'v1', { ...asV1, spec: { ...(asV1.spec as object), maxReplicas: 7 } });
    const after = await cp.admin.get(HorizontalPodAutoscalers, 'default', 'v1');
    expect(after.spec).toMatchObject({ maxReplicas: 7, behavior: { scaleDown: { stabilizationWindowSeconds: 30, selectPolicy: 'Max' } } });
    expect((after.spec as { metrics: unknown[] }).metrics).toHaveLength(2);
    expect(after.metadata?.annotations).toBeUndefined();
    // merge patches apply to the v1 form
    const patched = await cp.admin.patch(HPAv1, 'default', 'v1', { spec: { targetCPUUtilizationPercentage: 70 } });
    expect((patched.spec as { targetCPUUtilizationPercentage: number }).targetCPUUtilizationPercentage).toBe(70);
    expect(((await cp.admin.get(HorizontalPodAutoscalers, 'default', 'v1')).spec as { metrics: { resource: { name: string; target: { averageUtilization?: number } } }[] }).metrics.find((m) => m.resource.name === 'cpu')!.resource.target.averageUtilization).toBe(70);
    // status written in v2 shows in v1
    await cp.admin.patch(HorizontalPodAutoscalers, 'default', 'v1', { status: { currentReplicas: 2, desiredReplicas: 3, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 90, averageValue: '90m' } } }] } }, 'merge', 'status');
    expect((await cp.admin.get(HPAv1, 'default', 'v1')).status).toEqual({ currentReplicas: 2, desiredReplicas: 3, currentCPUUtilizationPercentage: 90 });
    // v1 bodies are decoded as v1: a v2 field is unknown there
    const strict = await failure(cp.admin.create(HPAv1, 'default', hpaV1('strict', { metrics: [] })));
    expect(strict.code).toBe(400);
    expect(strict.message).toContain('unknown field "spec.metrics"');
    expect((await failure(cp.admin.patch(HPAv1, 'default', 'v1', { spec: { maxReplicas: 0 } }))).message).toContain('spec.maxReplicas: Invalid value: 0: must be greater than 0');
  });

  it('takes server-side apply through autoscaling/v1: what the configuration names is owned in the stored v2 paths', async () => {
    const applied = await cp.admin.patch(HPAv1, 'default', 'ssa-v1', hpaV1('ssa-v1', { targetCPUUtilizationPercentage: 65 }), 'apply');
    expect(applied).toMatchObject({ apiVersion: 'autoscaling/v1', spec: { minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 65 } });
    const stored = await cp.admin.get<{ spec: { metrics: unknown[] }; metadata: { managedFields: { manager: string; operation: string; apiVersion: string; fieldsV1: Record<string, Record<string, unknown>> }[] } }>(HorizontalPodAutoscalers, 'default', 'ssa-v1');
    expect(stored.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 65 } } }]);
    const mine = stored.metadata.managedFields.find((m) => m.manager === 'tsctl')!;
    expect(mine).toMatchObject({ operation: 'Apply', apiVersion: 'autoscaling/v2' });
    expect(Object.keys(mine.fieldsV1['f:spec']!).sort()).toEqual(['f:maxReplicas', 'f:metrics', 'f:scaleTargetRef']);
    // The target dropped from the configuration goes, and v2's default (80% CPU) takes its place.
    const dropped = await cp.admin.patch(HPAv1, 'default', 'ssa-v1', hpaV1('ssa-v1', { maxReplicas: 7 }), 'apply');
    expect(dropped.spec).toMatchObject({ maxReplicas: 7, targetCPUUtilizationPercentage: 80 });
    // Another manager's change to an owned field conflicts, as in any version.
    const conflict = await failure(cp.admin.request(`/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/ssa-v1?fieldManager=other`, { method: 'PATCH', contentType: 'application/apply-patch+yaml', body: hpaV1('ssa-v1', { maxReplicas: 9 }) }));
    expect(conflict.code).toBe(409);
    expect(conflict.message).toContain('.spec.maxReplicas');
    // A v2 field is unknown in a v1 configuration.
    const strict = await failure(cp.admin.patch(HPAv1, 'default', 'ssa-v1', hpaV1('ssa-v1', { metrics: [] }), 'apply'));
    expect(strict.code).toBe(400);
    expect(strict.message).toContain('unknown field "spec.metrics"');
    // The status subresource has no v1 configuration to convert: refused, not silently applied.
    const status = await failure(cp.admin.request(`/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/ssa-v1/status?fieldManager=ctl`, { method: 'PATCH', contentType: 'application/apply-patch+yaml', body: { ...hpaV1('ssa-v1'), status: { currentReplicas: 1, desiredReplicas: 1 } } }));
    expect(status.code).toBe(415);
    await cp.admin.delete(HPAv1, 'default', 'ssa-v1');
  });

  it('lists, watches and deletes through v1 with v1 objects', async () => {
    const list = await cp.admin.list(HPAv1, 'default');
    expect(list.items.map((i) => i.apiVersion)).toEqual(['autoscaling/v1', 'autoscaling/v1']);
    const seen: WatchEvent[] = [];
    const w = await cp.admin.watch(HPAv1, 'default', { resourceVersion: list.metadata.resourceVersion }, (e) => seen.push(e));
    try {
      // (a removed HPA is answered with finalizeDelete's Status, as its store does not return the object)
      const gone = await cp.admin.delete<Record<string, unknown>>(HPAv1, 'default', 'v1');
      expect(gone).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Success', details: { name: 'v1', group: 'autoscaling', kind: 'horizontalpodautoscalers' } });
      await eventually(() => seen.some((e) => e.type === 'DELETED'));
    } finally {
      w.stop();
    }
    expect(seen.find((e) => e.type === 'DELETED')!.object).toMatchObject({ apiVersion: 'autoscaling/v1', spec: { targetCPUUtilizationPercentage: 70 } });
  });

  it('prints as kubectl does: NAME REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE, in either version', async () => {
    await cp.admin.patch(HorizontalPodAutoscalers, 'default', 'web', { status: { currentReplicas: 2, desiredReplicas: 2, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 12, averageValue: '12m' } } }] } }, 'merge', 'status');
    for (const v of ['v2', 'v1']) {
      const t = await table(`/apis/autoscaling/${v}/namespaces/default/horizontalpodautoscalers`);
      expect(t.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Reference', 'Targets', 'MinPods', 'MaxPods', 'Replicas', 'Age']);
      expect(t.rows[0]!.cells.slice(0, 6)).toEqual(['web', 'Deployment/web', 'cpu: 12%/80%', '1', 5, 2]);
    }
  });

  it('is preferred as autoscaling/v2 in discovery, with the hpa short name and the all category', async () => {
    expect(await cp.admin.request('/apis/autoscaling')).toMatchObject({ preferredVersion: { groupVersion: 'autoscaling/v2' }, versions: [{ version: 'v2' }, { version: 'v1' }] });
    for (const v of ['v1', 'v2']) {
      const rl = await cp.admin.request<{ resources: { name: string; shortNames?: string[]; categories?: string[] }[] }>(`/apis/autoscaling/${v}`);
      expect(rl.resources.find((r) => r.name === 'horizontalpodautoscalers')).toMatchObject({ shortNames: ['hpa'], categories: ['all'] });
      expect(rl.resources.map((r) => r.name)).toContain('horizontalpodautoscalers/status');
    }
    const policy = await cp.admin.request<{ resources: { name: string; shortNames?: string[] }[] }>('/apis/policy/v1');
    expect(policy.resources.find((r) => r.name === 'poddisruptionbudgets')).toMatchObject({ shortNames: ['pdb'] });
  });
});

describe('gRPC frontend', () => {
  it('serves the scale subresource, metrics lists and evictions, as the controller manager uses them', async () => {
    const grpc = new GrpcApiClient(readFileSync(join(cp.dataDir, 'grpc-address'), 'utf8').trim(), { caCert: readFileSync(join(cp.dataDir, 'pki', 'ca.crt'), 'utf8'), token: tokenFor(join(cp.dataDir, 'tokens.csv'), 'system:kube-controller-manager')! });
    try {
      await cp.admin.create(Deployments, 'default', deployment('scaled', 2));
      const scale = await grpc.get<KubeObject & { spec: { replicas: number }; status: { selector: string } }>(Deployments, 'default', 'scaled', 'scale');
      expect(scale).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 2 }, status: { selector: 'app=scaled' } });
      await grpc.update(Deployments, 'default', 'scaled', { ...scale, spec: { replicas: 4 } }, 'scale');
      expect(((await cp.admin.get(Deployments, 'default', 'scaled')).spec as { replicas: number }).replicas).toBe(4);
      // no node agents: an empty list, not an error
      expect((await grpc.list(PodMetricsRef, 'default', { labelSelector: 'app=scaled' })).items).toEqual([]);
      await cp.admin.create(Pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'evictme' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
      expect(await grpc.evict('default', 'evictme')).toMatchObject({ status: 'Success' });
      expect((await failure(cp.admin.get(Pods, 'default', 'evictme'))).code).toBe(404);
    } finally {
      grpc.close();
    }
  });
});
