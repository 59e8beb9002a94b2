// flowcontrol.apiserver.k8s.io/v1 against the real apiserver and etcd, with the stock kubectl:
// discovery, the mandatory and suggested configuration objects and their columns, the config
// producer putting a changed mandatory spec back (always) and a suggested one (unless annotated
// autoupdate-spec "false"), removing unwanted autoupdate objects and making a deleted one again, Dangling conditions, 1.32's validation messages, and the
// X-Kubernetes-PF-* headers naming the schema and level a request matched.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowSchema, PriorityLevelConfiguration } from '../../pkg/api/types.js';
import { ensureNodeToken } from '../../pkg/apiserver/pki.js';
import { FlowSchemas, PriorityLevelConfigurations } from '../../pkg/client/rest-client.js';
import { eventually, failure, rawRequest, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { hasKubectl, kubectlOk } from '../helpers/kubectl.js';

let cp: TestControlPlane;
const cacheDir = mkdtempSync(join(tmpdir(), 'kubectl-cache-'));
beforeAll(async () => {
  cp = await startControlPlane({ flowcontrolConfigIntervalMs: 500 }, { serviceAccountControllers: false });
}, 60_000);
afterAll(async () => {
  await cp?.stop();
  rmSync(cacheDir, { recursive: true, force: true });
});
const kubectl = (...args: string[]) => kubectlOk(cp.kubeconfig, cacheDir, args);

/** The X-Kubernetes-PF-* headers of a GET with this client's credentials (or none). */
function pfHeaders(path: string, token?: string, extra: Record<string, string> = {}): Promise<{ status: number; fs?: string; pl?: string }> {
  return rawRequest(cp, path, { token: token ?? null, headers: extra }).then((res) => ({ status: res.status, fs: res.headers['x-kubernetes-pf-flowschema-uid'] as string | undefined, pl: res.headers['x-kubernetes-pf-prioritylevel-uid'] as string | undefined }));
}
const uidOf = async (ref: typeof FlowSchemas, name: string) => (await cp.admin.get<FlowSchema>(ref, undefined, name)).metadata!.uid!;

describe('flowcontrol.apiserver.k8s.io/v1', () => {
  it('is discovered, and kubectl lists the mandatory and suggested objects with 1.32 columns', async () => {
    // (every schema's Dangling condition is written before the apiserver is ready)
    const schemas = (await cp.admin.list<FlowSchema>(FlowSchemas)).items;
    expect(schemas.filter((f) => f.status?.conditions?.find((c) => c.type === 'Dangling')?.status !== 'False').map((f) => f.metadata?.name)).toEqual([]);
    const res = await cp.admin.request<{ resources: { name: string; namespaced: boolean; kind: string; verbs: string[] }[] }>('/apis/flowcontrol.apiserver.k8s.io/v1');
    expect(res.resources.map((r) => r.name).sort()).toEqual(['flowschemas', 'flowschemas/status', 'prioritylevelconfigurations', 'prioritylevelconfigurations/status']);
    expect(res.resources.find((r) => r.name === 'flowschemas')).toMatchObject({ namespaced: false, kind: 'FlowSchema' });
    if (!hasKubectl) return;
    const resources = await kubectl('api-resources', '--api-group', 'flowcontrol.apiserver.k8s.io', '--no-headers');
    expect(resources).toMatch(/^flowschemas\s+flowcontrol\.apiserver\.k8s\.io\/v1\s+false\s+FlowSchema$/m);
    expect(resources).toMatch(/^prioritylevelconfigurations\s+flowcontrol\.apiserver\.k8s\.io\/v1\s+false\s+PriorityLevelConfiguration$/m);
    await eventually(async () => !(await kubectl('get', 'flowschemas', '--no-headers')).includes('?'), { what: 'every Dangling condition written' });
    const fs = (await kubectl('get', 'flowschemas', '--sort-by=.spec.matchingPrecedence')).trim().split('\n').map((l) => l.split(/\s+/));
    expect(fs[0]).toEqual(['NAME', 'PRIORITYLEVEL', 'MATCHINGPRECEDENCE', 'DISTINGUISHERMETHOD', 'AGE', 'MISSINGPL']);
    expect(fs.slice(1).map((r) => [r[0], r[1], r[2], r[3], r[5]])).toEqual([
      ['exempt', 'exempt', '1', '<none>', 'False'],
      ['probes', 'exempt', '2', '<none>', 'False'],
      ['system-leader-election', 'leader-election', '100', 'ByUser', 'False'],
      ['endpoint-controller', 'workload-high', '150', 'ByUser', 'False'],
      ['workload-leader-election', 'leader-election', '200', 'ByUser', 'False'],
      ['system-node-high', 'node-high', '400', 'ByUser', 'False'],
      ['system-nodes', 'system', '500', 'ByUser', 'False'],
      ['kube-controller-manager', 'workload-high', '800', 'ByNamespace', 'False'],
      ['kube-scheduler', 'workload-high', '800', 'ByNamespace', 'False'],
      ['kube-system-service-accounts', 'workload-high', '900', 'ByNamespace', 'False'],
      ['service-accounts', 'workload-low', '9000', 'ByUser', 'False'],
      ['global-default', 'global-default', '9900', 'ByUser', 'False'],
      ['catch-all', 'catch-all', '10000', 'ByUser', 'False'],
    ]);
    const pl = (await kubectl('get', 'prioritylevelconfigurations')).trim().split('\n').map((l) => l.split(/\s+/).slice(0, 6));
    expect(pl).toEqual([
      ['NAME', 'TYPE', 'NOMINALCONCURRENCYSHARES', 'QUEUES', 'HANDSIZE', 'QUEUELENGTHLIMIT'],
      ['catch-all', 'Limited', '5', '<none>', '<none>', '<none>'],
      ['exempt', 'Exempt', '<none>', '<none>', '<none>', '<none>'],
      ['global-default', 'Limited', '20', '128', '6', '50'],
      ['leader-election', 'Limited', '10', '16', '4', '50'],
      ['node-high', 'Limited', '40', '64', '6', '50'],
      ['system', 'Limited', '30', '64', '6', '50'],
      ['workload-high', 'Limited', '40', '128', '6', '50'],
      ['workload-low', 'Limited', '100', '128', '6', '50'],
    ]);
    const exempt = await cp.admin.get<PriorityLevelConfiguration>(PriorityLevelConfigurations, undefined, 'exempt');
    expect(exempt.metadata?.annotations).toEqual({ 'apf.kubernetes.io/autoupdate-spec': 'true' });
    expect(exempt.spec).toEqual({ type: 'Exempt', exempt: { nominalConcurrencyShares: 0, lendablePercent: 0 } });
    expect(await kubectl('explain', 'flowschemas.spec.distinguisherMethod')).toMatch(/FIELD: distinguisherMethod <FlowDistinguisherMethod>/);
  });

  it('answers with the UIDs of the schema and level each request matched', async () => {
    // the admin is in system:masters: exempt
    const admin = await pfHeaders('/api/v1/namespaces', cp.config.token);
    expect(admin).toMatchObject({ status: 200, fs: await uidOf(FlowSchemas, 'exempt'), pl: await uidOf(PriorityLevelConfigurations, 'exempt') });
    // anonymous probes: probes (exempt); anonymous elsewhere: global-default, refused or not
    expect(await pfHeaders('/healthz')).toMatchObject({ fs: await uidOf(FlowSchemas, 'probes'), pl: await uidOf(PriorityLevelConfigurations, 'exempt') });
    expect(await pfHeaders('/api/v1/pods')).toMatchObject({ status: 403, fs: await uidOf(FlowSchemas, 'global-default'), pl: await uidOf(PriorityLevelConfigurations, 'global-default') });
    // (a path that does not decode is answered as before, without the headers)
    const undecodable = await pfHeaders('/livez/%zz');
    expect(undecodable.status).toBeLessThan(500);
    expect(undecodable.fs).toBeUndefined();
    // a node's own Node: system-node-high; its pods: system-nodes
    cp.nodeClient('n1');
    const nodeToken = ensureNodeToken(join(cp.dataDir, 'tokens.csv'), 'n1');
    expect((await pfHeaders('/api/v1/nodes/n1', nodeToken)).fs).toBe(await uidOf(FlowSchemas, 'system-node-high'));
    expect((await pfHeaders('/api/v1/pods', nodeToken)).fs).toBe(await uidOf(FlowSchemas, 'system-nodes'));
  });

  it('puts a mandatory spec back even when annotated "false", a suggested one only while autoupdate-spec allows, and makes a deleted one again', async () => {
    const catchAll = await cp.admin.get<PriorityLevelConfiguration>(PriorityLevelConfigurations, undefined, 'catch-all');
    await cp.admin.update(PriorityLevelConfigurations, undefined, 'catch-all', { ...catchAll, metadata: { ...catchAll.metadata, annotations: { 'apf.kubernetes.io/autoupdate-spec': 'false' } }, spec: { type: 'Limited', limited: { nominalConcurrencyShares: 7, limitResponse: { type: 'Reject' } } } });
    const restored = await eventually(async () => {
      const pl = await cp.admin.get<PriorityLevelConfiguration>(PriorityLevelConfigurations, undefined, 'catch-all');
      return pl.spec?.limited?.nominalConcurrencyShares === 5 && pl;
    }, { what: 'catch-all put back' });
    // (alwaysAutoUpdateSpec: the mandatory strategy also puts its annotation back to "true")
    expect(restored.metadata?.annotations).toEqual({ 'apf.kubernetes.io/autoupdate-spec': 'true' });
    expect(restored.metadata?.managedFields?.map((m) => m.manager)).toContain('api-priority-and-fairness-config-producer-v1');

    // a suggested level: changed with "true" it comes back; with "false" it stays as changed
    const low = await cp.admin.get<PriorityLevelConfiguration>(PriorityLevelConfigurations, undefined, 'workload-low');
    const tuned = { type: 'Limited', limited: { nominalConcurrencyShares: 200, lendablePercent: 90, limitResponse: { type: 'Queue', queuing: { queues: 128, handSize: 6, queueLengthLimit: 50 } } } };
    await cp.admin.update(PriorityLevelConfigurations, undefined, 'workload-low', { ...low, spec: tuned });
    await eventually(async () => (await cp.admin.get<PriorityLevelConfiguration>(PriorityLevelConfigurations, undefined, 'workload-low')).spec?.limited?.nominalConcurrencyShares === 100, { what: 'workload-low put back' });
    const again = await cp.admin.get<PriorityLevelConfiguration>(PriorityLevelConfigurations, undefined, 'workload-low');
    await cp.admin.update(PriorityLevelConfigurations, undefined, 'workload-low', { ...again, metadata: { ...again.metadata, annotations: { 'apf.kubernetes.io/autoupdate-spec': 'false' } }, spec: tuned });
    await new Promise((r) => setTimeout(r, 1500));
    expect((await cp.admin.get<PriorityLevelConfiguration>(PriorityLevelConfigurations, undefined, 'workload-low')).spec?.limited?.nominalConcurrencyShares).toBe(200);

    // an object annotated for autoupdate that is no bootstrap object goes; one without the annotation stays
    const mine = (name: string, annotations?: Record<string, string>) =>
      cp.admin.create(PriorityLevelConfigurations, undefined, { apiVersion: 'flowcontrol.apiserver.k8s.io/v1', kind: 'PriorityLevelConfiguration', metadata: { name, ...(annotations ? { annotations } : {}) }, spec: { type: 'Limited', limited: { limitResponse: { type: 'Reject' } } } });
    await mine('stale-suggestion', { 'apf.kubernetes.io/autoupdate-spec': 'true' });
    await mine('users-own');
    await eventually(async () => (await failure(cp.admin.get(PriorityLevelConfigurations, undefined, 'stale-suggestion'))).code === 404, { what: 'stale-suggestion deleted' });
    await cp.admin.get(PriorityLevelConfigurations, undefined, 'users-own');

    await cp.admin.delete(FlowSchemas, undefined, 'service-accounts');
    await eventually(() => cp.admin.get(FlowSchemas, undefined, 'service-accounts'), { what: 'service-accounts made again' });
  });

  it('takes kubectl apply, client-side and server-side, of a level and a schema using it', async () => {
    if (!hasKubectl) return;
    const manifest = `apiVersion: flowcontrol.apiserver.k8s.io/v1
kind: PriorityLevelConfiguration
metadata:
  name: batch
spec:
  type: Limited
  limited:
    nominalConcurrencyShares: 15
    limitResponse:
      type: Queue
      queuing:
        queues: 16
---
apiVersion: flowcontrol.apiserver.k8s.io/v1
kind: FlowSchema
metadata:
  name: batch-jobs
spec:
  priorityLevelConfiguration:
    name: batch
  matchingPrecedence: 3000
  distinguisherMethod:
    type: ByNamespace
  rules:
  - subjects:
    - kind: Group
      group:
        name: batch-users
    resourceRules:
    - verbs: ["*"]
      apiGroups: ["batch"]
      resources: ["jobs"]
      namespaces: ["*"]
`;
    expect(await kubectlOk(cp.kubeconfig, cacheDir, ['apply', '-f', '-'], manifest)).toBe('prioritylevelconfiguration.flowcontrol.apiserver.k8s.io/batch created\nflowschema.flowcontrol.apiserver.k8s.io/batch-jobs created\n');
    const level = await cp.admin.get<PriorityLevelConfiguration>(PriorityLevelConfigurations, undefined, 'batch');
    expect(level.spec?.limited).toEqual({ nominalConcurrencyShares: 15, lendablePercent: 0, limitResponse: { type: 'Queue', queuing: { queues: 16, handSize: 8, queueLengthLimit: 50 } } });
    expect(await kubectlOk(cp.kubeconfig, cacheDir, ['apply', '--server-side', '-f', '-'], manifest.replace('nominalConcurrencyShares: 15', 'nominalConcurrencyShares: 25'))).toContain('prioritylevelconfiguration.flowcontrol.apiserver.k8s.io/batch serverside-applied');
    expect((await cp.admin.get<PriorityLevelConfiguration>(PriorityLevelConfigurations, undefined, 'batch')).spec?.limited?.nominalConcurrencyShares).toBe(25);
    await eventually(async () => (await kubectl('get', 'flowschema', 'batch-jobs', '--no-headers')).trim().split(/\s+/).join(' ').endsWith('False'), { what: 'batch-jobs not dangling' });
    // the new schema classifies requests at once: a batch-users member's jobs, not its pods
    const asCarol = { 'Impersonate-User': 'carol', 'Impersonate-Group': 'batch-users' };
    expect(await pfHeaders('/apis/batch/v1/namespaces/default/jobs', cp.config.token, asCarol)).toMatchObject({ fs: await uidOf(FlowSchemas, 'batch-jobs'), pl: await uidOf(PriorityLevelConfigurations, 'batch') });
    expect((await pfHeaders('/api/v1/namespaces/default/pods', cp.config.token, asCarol)).fs).toBe(await uidOf(FlowSchemas, 'global-default'));
  });

  it('marks a FlowSchema whose level does not exist Dangling, and refuses bad specs in 1.32 words', async () => {
    await cp.admin.create(FlowSchemas, undefined, { apiVersion: 'flowcontrol.apiserver.k8s.io/v1', kind: 'FlowSchema', metadata: { name: 'orphan' }, spec: { priorityLevelConfiguration: { name: 'nowhere' }, rules: [{ subjects: [{ kind: 'User', user: { name: 'bob' } }], nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/x'] }] }] } });
    const dangling = await eventually(async () => (await cp.admin.get<FlowSchema>(FlowSchemas, undefined, 'orphan')).status?.conditions?.find((c) => c.type === 'Dangling'), { what: 'the Dangling condition' });
    expect(dangling).toMatchObject({ status: 'True', reason: 'NotFound', message: 'This FlowSchema references the PriorityLevelConfiguration object named "nowhere" but there is no such object' });
    expect((await cp.admin.get<FlowSchema>(FlowSchemas, undefined, 'orphan')).spec?.matchingPrecedence).toBe(1000);
    // a condition of the right status but another reason is written anew, its time now
    const probes = await cp.admin.get<FlowSchema>(FlowSchemas, undefined, 'probes');
    const old = '2020-01-01T00:00:00Z';
    await cp.admin.update(FlowSchemas, undefined, 'probes', { ...probes, status: { conditions: [{ type: 'Dangling', status: 'False', reason: 'Manual', message: 'set by hand', lastTransitionTime: old }] } }, 'status');
    const rewritten = await eventually(async () => {
      const c = (await cp.admin.get<FlowSchema>(FlowSchemas, undefined, 'probes')).status?.conditions?.find((x) => x.type === 'Dangling');
      return c?.reason === 'Found' && c;
    }, { what: 'the Dangling condition rewritten' });
    expect(rewritten.lastTransitionTime).not.toBe(old);

    const bad = await failure(
      cp.admin.create(FlowSchemas, undefined, { metadata: { name: 'bad' }, spec: { priorityLevelConfiguration: { name: 'global-default' }, matchingPrecedence: 1, distinguisherMethod: { type: 'ByGroup' }, rules: [{ subjects: [], resourceRules: [{ verbs: ['get', 'fetch'], apiGroups: ['*', 'apps'], resources: ['pods'], namespaces: [] }] }] } }),
    );
    expect(bad.code).toBe(422);
    expect(bad.message).toBe(
      'FlowSchema.flowcontrol.apiserver.k8s.io "bad" is invalid: [spec.matchingPrecedence: Invalid value: 1: only the schema named \'exempt\' may have matchingPrecedence 1, spec.distinguisherMethod.type: Unsupported value: &flowcontrol.FlowDistinguisherMethod{Type:"ByGroup"}: supported values: "ByNamespace", "ByUser", spec.rules[0].subjects: Required value: subjects must contain at least one value, spec.rules[0].resourceRules[0].verbs: Unsupported value: []string{"get", "fetch"}: supported values: "create", "delete", "deletecollection", "get", "list", "patch", "proxy", "update", "watch", spec.rules[0].resourceRules[0].apiGroups: Invalid value: []string{"*", "apps"}: if \'*\' is present, must not specify other api groups, spec.rules[0].resourceRules[0].namespaces: Required value: resource rules that are not cluster scoped must supply at least one namespace]',
    );
    const pl = await failure(cp.admin.create(PriorityLevelConfigurations, undefined, { metadata: { name: 'p' }, spec: { type: 'Limited', limited: { limitResponse: { type: 'Queue', queuing: { queues: 4, handSize: 5 } } } } }));
    expect(pl.message).toBe('PriorityLevelConfiguration.flowcontrol.apiserver.k8s.io "p" is invalid: spec.limited.limitResponse.queuing.handSize: Invalid value: 5: should not be greater than queues (4)');
  });
});
