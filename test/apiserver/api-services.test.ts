// apiregistration.k8s.io/v1 APIServices (`kubectl get apiservices`), read-only: one per group
// version served, named version.group, Local and Available, with 1.32's priorities; a CRD's
// group version too (automanaged "true", 1000 and 100); none for apiregistration.k8s.io itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../pkg/api/types.js';
import { CustomResourceDefinitions } from '../../pkg/client/rest-client.js';
import { eventually, failure, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { hasKubectl, kubectlOk } from '../helpers/kubectl.js';

let cp: TestControlPlane;
const cacheDir = mkdtempSync(join(tmpdir(), 'kubectl-cache-'));
beforeAll(async () => {
  cp = await startControlPlane();
});
afterAll(async () => {
  await cp?.stop();
  rmSync(cacheDir, { recursive: true, force: true });
});

const LIST = '/apis/apiregistration.k8s.io/v1/apiservices';
type APIServiceList = { kind: string; items: KubeObject[] };

describe('apiregistration.k8s.io/v1 apiservices', () => {
  it('are in discovery (kubectl api-resources, kubectl api-versions)', async () => {
    const groups = await cp.admin.request<{ groups: { name: string }[] }>('/apis');
    expect(groups.groups.map((g) => g.name)).toContain('apiregistration.k8s.io');
    const list = await cp.admin.request<{ resources: { name: string; kind: string; namespaced: boolean; verbs: string[] }[] }>('/apis/apiregistration.k8s.io/v1');
    // (in the api-extensions category, as kube-aggregator's apiservice REST Categories() puts them)
    expect(list.resources).toEqual([{ name: 'apiservices', singularName: 'apiservice', namespaced: false, kind: 'APIService', verbs: ['get', 'list'], categories: ['api-extensions'] }]);
  });

  it.skipIf(!hasKubectl)('are listed by kubectl get api-extensions, with the webhook configurations and CRDs', async () => {
    const out = await kubectlOk(cp.kubeconfig, cacheDir, ['get', 'api-extensions', '-o', 'name']);
    expect(out.split('\n')).toEqual(expect.arrayContaining(['apiservice.apiregistration.k8s.io/v1.apps', 'apiservice.apiregistration.k8s.io/v1.']));
  });

  it('list one Local, Available APIService per served group version, with the aggregator\'s priorities and labels', async () => {
    const list = await cp.admin.request<APIServiceList>(LIST);
    expect(list.kind).toBe('APIServiceList');
    const names = list.items.map((i) => i.metadata!.name);
    expect(names).toEqual(expect.arrayContaining(['v1.', 'v1.apps', 'v2.autoscaling', 'v1.autoscaling', 'v1.storage.k8s.io']));
    expect(names).not.toContain('v1.apiregistration.k8s.io');
    expect([...names].sort()).toEqual(names);
    const apps = list.items.find((i) => i.metadata!.name === 'v1.apps')!;
    const kubeSystem = await cp.admin.request<KubeObject>('/api/v1/namespaces/kube-system');
    expect(apps).toEqual({
      kind: 'APIService',
      apiVersion: 'apiregistration.k8s.io/v1',
      metadata: { name: 'v1.apps', creationTimestamp: kubeSystem.metadata!.creationTimestamp, labels: { 'kube-aggregator.kubernetes.io/automanaged': 'onstart' } },
      spec: { group: 'apps', version: 'v1', groupPriorityMinimum: 17800, versionPriority: 15 },
      status: { conditions: [{ type: 'Available', status: 'True', lastTransitionTime: kubeSystem.metadata!.creationTimestamp, reason: 'Local', message: 'Local APIServices are always available' }] },
    });
    expect(list.items.find((i) => i.metadata!.name === 'v1.')!.spec).toEqual({ group: '', version: 'v1', groupPriorityMinimum: 18000, versionPriority: 1 });
    expect(list.items.find((i) => i.metadata!.name === 'v2.autoscaling')!.spec).toMatchObject({ groupPriorityMinimum: 17500, versionPriority: 30 });
  });

  it('get one by name, as a Table with the aggregator\'s columns, and refuse writes', async () => {
    const one = await cp.admin.request<KubeObject>(`${LIST}/v1.batch`);
    expect(one.spec).toEqual({ group: 'batch', version: 'v1', groupPriorityMinimum: 17400, versionPriority: 15 });
    const missing = await failure(cp.admin.request(`${LIST}/v9.nope`));
    expect([missing.code, missing.message]).toEqual([404, 'apiservices.apiregistration.k8s.io "v9.nope" not found']);
    const table = await cp.admin.request<{ columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] }>(`${LIST}/v1.batch`, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Service', 'Available', 'Age']);
    expect(table.rows[0]!.cells.slice(0, 3)).toEqual(['v1.batch', 'Local', 'True']);
    const write = await failure(cp.admin.request(`${LIST}/v1.batch`, { method: 'DELETE' }));
    expect(write.code).toBe(405);
  });

  it('has a CRD\'s group version as an automanaged "true" APIService of priority 1000 and 100', async () => {
    await cp.admin.create(CustomResourceDefinitions, undefined, {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'gadgets.as.example.com' },
      spec: { group: 'as.example.com', scope: 'Namespaced', names: { plural: 'gadgets', kind: 'Gadget' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }] },
    });
    const crd = await cp.admin.get(CustomResourceDefinitions, undefined, 'gadgets.as.example.com');
    const svc = await eventually(() => cp.admin.request<KubeObject>(`${LIST}/v1.as.example.com`), { what: 'the CRD group version APIService' });
    expect([svc.metadata?.labels, svc.metadata?.creationTimestamp, svc.spec]).toEqual([
      { 'kube-aggregator.kubernetes.io/automanaged': 'true' },
      crd.metadata!.creationTimestamp,
      { group: 'as.example.com', version: 'v1', groupPriorityMinimum: 1000, versionPriority: 100 },
    ]);
    const onstart = await cp.admin.request<APIServiceList>(LIST, { query: { labelSelector: 'kube-aggregator.kubernetes.io/automanaged=true' } });
    expect(onstart.items.map((i) => i.metadata!.name)).toEqual(['v1.as.example.com']);
  });
});
