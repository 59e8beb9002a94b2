// Server-side apply against a real apiserver and etcd: managedFields entries, removal of fields
// an applier drops, conflicts between managers (409 with causes, force), Updates taking
// ownership, status writes in their own entries, dryRun, and clearing or corrupting managedFields.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Jobs, Namespaces, Pods, type WatchEvent } from '../../pkg/client/rest-client.js';
import type { KubeObject, ManagedFieldsEntry } from '../../pkg/api/types.js';
import { eventually, startControlPlane, type TestControlPlane, failure } from '../helpers/control-plane.js';

let cp: TestControlPlane;

beforeAll(async () => {
  cp = await startControlPlane();
});
afterAll(async () => {
  await cp?.stop();
});

const path = (name: string, sub = '') => `/api/v1/namespaces/default/pods/${name}${sub}`;

function applyPod(name: string, config: Record<string, unknown>, q: Record<string, string> = {}, sub = ''): Promise<KubeObject> {
  return cp.admin.request<KubeObject>(path(name, sub), { method: 'PATCH', body: config, contentType: 'application/apply-patch+yaml', query: { fieldValidation: 'Strict', ...q } });
}

function patch(name: string, body: unknown, type: string, q: Record<string, string> = {}, sub = ''): Promise<KubeObject> {
  return cp.admin.request<KubeObject>(path(name, sub), { method: 'PATCH', body, contentType: `application/${type}-patch+json`, query: q });
}

const config = (name: string, labels: Record<string, string>, image = 'busybox:1.36') => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: { containers: [{ name: 'app', image }] },
});

const entry = (o: KubeObject, manager: string, operation = 'Apply', subresource?: string): ManagedFieldsEntry | undefined =>
  o.metadata?.managedFields?.find((e) => e.manager === manager && e.operation === operation && e.subresource === subresource);

describe('server-side apply', () => {
  it('creates the object with one Apply entry owning exactly the applied fields', async () => {
    const created = await applyPod('web', config('web', { app: 'web', tier: 'front' }), { fieldManager: 'kubectl', force: 'false' });
    expect(created.metadata?.uid).toBeTruthy();
    expect(created.metadata?.managedFields).toEqual([
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'v1',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {}, 'f:tier': {} } },
          'f:spec': { 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
        },
      },
    ]);
    // Defaults are set but owned by nobody.
    expect((created.spec as { restartPolicy?: string }).restartPolicy).toBe('Always');
    const stored = await cp.admin.get(Pods, 'default', 'web');
    expect(stored.metadata?.managedFields).toEqual(created.metadata?.managedFields);
  });

  it('leaves what mutating admission adds to nobody: a created pod\'s creator owns its own fields and their defaults, not the token volume', async () => {
    const created = await cp.admin.request<KubeObject>('/api/v1/namespaces/default/pods', { method: 'POST', body: config('made', { app: 'made' }), contentType: 'application/json', query: { fieldManager: 'kubectl-create' } });
    expect((created.spec as { volumes?: unknown[] }).volumes).toHaveLength(1); // the kube-api-access volume, from admission
    const spec = entry(created, 'kubectl-create', 'Update')!.fieldsV1!['f:spec'] as Record<string, unknown>;
    expect(spec).toHaveProperty('f:restartPolicy'); // a default: decoded with the request, so the creator's
    expect(spec).not.toHaveProperty('f:volumes');
    // (the not-ready/unreachable tolerations stay the creator's: tskube adds them in defaulting, not in a DefaultTolerationSeconds plugin)
    expect(spec).not.toHaveProperty('f:serviceAccountName');
  });

  it('re-applying without a label removes it; applying the same config again writes nothing', async () => {
    const again = await applyPod('web', config('web', { app: 'web' }), { fieldManager: 'kubectl' });
    expect(again.metadata?.labels).toEqual({ app: 'web' });
    expect(entry(again, 'kubectl')?.fieldsV1).toMatchObject({ 'f:metadata': { 'f:labels': { 'f:app': {} } } });
    const same = await applyPod('web', config('web', { app: 'web' }), { fieldManager: 'kubectl' });
    expect(same.metadata?.resourceVersion).toBe(again.metadata?.resourceVersion);
  });

  it('two managers: a different value is a 409 naming the conflicts, force moves ownership, the same value is shared', async () => {
    const e = await failure(applyPod('web', config('web', { app: 'other' }, 'busybox:1.37'), { fieldManager: 'other' }));
    expect(e.code).toBe(409);
    expect(e.status).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Conflict',
      code: 409,
      message: 'Apply failed with 2 conflicts: conflicts with "kubectl":\n- .metadata.labels.app\n- .spec.containers[name="app"].image',
      details: {
        causes: [
          { reason: 'FieldManagerConflict', message: 'conflict with "kubectl"', field: '.metadata.labels.app' },
          { reason: 'FieldManagerConflict', message: 'conflict with "kubectl"', field: '.spec.containers[name="app"].image' },
        ],
      },
    });
    expect((await cp.admin.get(Pods, 'default', 'web')).metadata?.labels).toEqual({ app: 'web' });

    const shared = await applyPod('web', { ...config('web', { app: 'web' }), spec: undefined }, { fieldManager: 'other' });
    expect(entry(shared, 'kubectl')?.fieldsV1).toMatchObject({ 'f:metadata': { 'f:labels': { 'f:app': {} } } });
    expect(entry(shared, 'other')?.fieldsV1).toEqual({ 'f:metadata': { 'f:labels': { 'f:app': {} } } });

    const forced = await applyPod('web', config('web', { app: 'forced' }), { fieldManager: 'other', force: 'true' });
    expect(forced.metadata?.labels).toEqual({ app: 'forced' });
    expect(entry(forced, 'other')?.fieldsV1).toMatchObject({ 'f:metadata': { 'f:labels': { 'f:app': {} } } });
    expect(entry(forced, 'kubectl')?.fieldsV1).toEqual({ 'f:spec': { 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } });
  });

  it('an Update (merge patch) after an apply takes the field; the applier then conflicts with it', async () => {
    await applyPod('upd', config('upd', { app: 'a', tier: 't' }), { fieldManager: 'kubectl' });
    const patched = await patch('upd', { metadata: { labels: { app: 'b' } } }, 'merge', { fieldManager: 'kubectl-client-side-apply' });
    expect(entry(patched, 'kubectl-client-side-apply', 'Update')).toMatchObject({ apiVersion: 'v1', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:app': {} } } } });
    expect(entry(patched, 'kubectl')?.fieldsV1).toMatchObject({ 'f:metadata': { 'f:labels': { 'f:tier': {} } } });
    expect(JSON.stringify(entry(patched, 'kubectl')?.fieldsV1)).not.toContain('f:app');
    const e = await failure(applyPod('upd', config('upd', { app: 'a', tier: 't' }), { fieldManager: 'kubectl' }));
    expect(e.code).toBe(409);
    expect(e.message).toBe('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .metadata.labels.app');
    // A strategic patch with no fieldManager is recorded under the user agent's name.
    const byAgent = await patch('upd', { metadata: { annotations: { note: 'x' } } }, 'strategic-merge');
    expect(entry(byAgent, 'tsctl', 'Update')?.fieldsV1).toEqual({ 'f:metadata': { 'f:annotations': { '.': {}, 'f:note': {} } } });
  });

  it('status writes get their own entry and never conflict with applies of the spec', async () => {
    await applyPod('st', config('st', { app: 'st' }), { fieldManager: 'kubectl' });
    const st = await patch('st', { status: { phase: 'Running', podIP: '10.0.0.9' } }, 'merge', { fieldManager: 'tsk-nodeagent' }, '/status');
    expect(entry(st, 'tsk-nodeagent', 'Update', 'status')?.fieldsV1).toEqual({ 'f:status': { 'f:phase': {}, 'f:podIP': {} } });
    const applied = await applyPod('st', { ...config('st', { app: 'st', v: '2' }), status: { phase: 'Failed' } }, { fieldManager: 'kubectl' });
    expect((applied.status as { phase: string }).phase).toBe('Running');
    expect(entry(applied, 'tsk-nodeagent', 'Update', 'status')).toBeTruthy();
    expect(JSON.stringify(entry(applied, 'kubectl')?.fieldsV1)).not.toContain('f:status');
    const again = await patch('st', { status: { phase: 'Succeeded' } }, 'merge', { fieldManager: 'tsk-nodeagent' }, '/status');
    expect((again.status as { phase: string }).phase).toBe('Succeeded');
  });

  it('a pod status write keeps the labels and annotations it sets, owned by its entry, but not owner references (podStatusStrategy)', async () => {
    await applyPod('stm', config('stm', { app: 'stm' }), { fieldManager: 'kubectl' });
    const owner = { apiVersion: 'v1', kind: 'ConfigMap', name: 'o', uid: '6f1f4c1e-0000-4000-8000-000000000001' };
    const body = { metadata: { labels: { seen: 'yes' }, annotations: { note: 'x' }, ownerReferences: [owner] }, status: { phase: 'Running' } };
    const st = await patch('stm', body, 'merge', { fieldManager: 'status-writer' }, '/status');
    expect([st.metadata?.labels, st.metadata?.annotations, st.metadata?.ownerReferences]).toEqual([{ app: 'stm', seen: 'yes' }, { note: 'x' }, undefined]);
    expect(entry(st, 'status-writer', 'Update', 'status')?.fieldsV1).toEqual({
      'f:metadata': { 'f:annotations': { '.': {}, 'f:note': {} }, 'f:labels': { 'f:seen': {} } },
      'f:status': { 'f:phase': {} },
    });
    // (a Job's too: jobStatusStrategy resets spec alone; bad labels are refused as on the main resource)
    await cp.admin.create(Jobs, 'default', { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'stj' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x' }] } } } });
    const jobPath = '/apis/batch/v1/namespaces/default/jobs/stj/status';
    const job = await cp.admin.request<KubeObject>(jobPath, { method: 'PATCH', body: { metadata: { annotations: { note: 'y' } } }, contentType: 'application/merge-patch+json', query: { fieldManager: 'status-writer' } });
    expect(job.metadata?.annotations).toEqual({ note: 'y' });
    expect(entry(job, 'status-writer', 'Update', 'status')?.fieldsV1).toEqual({ 'f:metadata': { 'f:annotations': { '.': {}, 'f:note': {} } } });
    const bad = await failure(cp.admin.request(jobPath, { method: 'PATCH', body: { metadata: { labels: { 'a b': 'c' } } }, contentType: 'application/merge-patch+json' }));
    expect([bad.code, bad.message]).toEqual([422, expect.stringContaining('metadata.labels: Invalid value: "a b"')]);
    await cp.admin.delete(Jobs, 'default', 'stj');
  });

  it('a Deployment\'s status write owns the revision annotation it sets (kubectl get -o yaml --show-managed-fields shows it in the status entry)', async () => {
    const deploy = (sub = '') => `/apis/apps/v1/namespaces/default/deployments/rev${sub}`;
    const labels = { app: 'rev' };
    await cp.admin.request<KubeObject>(deploy(), {
      method: 'PATCH',
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager: 'kubectl' },
      body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'rev' }, spec: { replicas: 0, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'busybox:1.36' }] } } } },
    });
    const body = { metadata: { annotations: { 'deployment.kubernetes.io/revision': '1' } }, status: { observedGeneration: 1 } };
    const d = await cp.admin.request<KubeObject>(deploy('/status'), { method: 'PATCH', body, contentType: 'application/merge-patch+json', query: { fieldManager: 'kube-controller-manager' } });
    expect(d.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(entry(d, 'kube-controller-manager', 'Update', 'status')?.fieldsV1).toEqual({
      'f:metadata': { 'f:annotations': { '.': {}, 'f:deployment.kubernetes.io/revision': {} } },
      'f:status': { 'f:observedGeneration': {} },
    });
  });

  it('dryRun=All reports conflicts and writes nothing', async () => {
    const before = await cp.admin.get(Pods, 'default', 'st');
    const e = await failure(applyPod('st', config('st', { app: 'dry' }), { fieldManager: 'someone', dryRun: 'All' }));
    expect(e.code).toBe(409);
    const forced = await applyPod('st', config('st', { app: 'dry' }), { fieldManager: 'someone', dryRun: 'All', force: 'true' });
    expect(forced.metadata?.labels?.app).toBe('dry');
    expect(entry(forced, 'someone')).toBeTruthy();
    const created = await applyPod('dry-new', config('dry-new', { app: 'x' }), { fieldManager: 'someone', dryRun: 'All' });
    expect(entry(created, 'someone')).toBeTruthy();
    const after = await cp.admin.get(Pods, 'default', 'st');
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    expect((await failure(cp.admin.get(Pods, 'default', 'dry-new'))).code).toBe(404);
  });

  it('refuses a configuration of another kind or version, or no object, in 1.32\'s words (versionCheckManager, the patcher\'s decoding)', async () => {
    const q = { fieldManager: 'kubectl' };
    const said = async (body: unknown) => {
      const e = await failure(applyPod('web', body as Record<string, unknown>, q));
      return [e.code, e.message];
    };
    expect(await said({ ...config('web', {}), kind: 'Secret' })).toEqual([400, 'invalid object type: /v1, Kind=Secret']);
    expect(await said({ ...config('web', {}), apiVersion: undefined })).toEqual([400, 'invalid object type: /, Kind=Pod']);
    expect(await said({ ...config('web', {}), kind: undefined })).toEqual([400, 'invalid object type: /v1, Kind=']);
    expect(await said({ ...config('web', {}), apiVersion: 'apps/v1' })).toEqual([400, 'invalid object type: apps/v1, Kind=Pod']);
    expect(await said([config('web', {})])).toEqual([400, 'error decoding YAML: error unmarshaling JSON: json: cannot unmarshal array into Go value of type map[string]interface {}']);
    // (structured-merge-diff's typing error, in no API status: a 500 without a reason)
    const dup = await failure(applyPod('web', { ...config('web', {}), metadata: { name: 'web', namespace: 'default' }, spec: { containers: [{ name: 'a', image: 'x' }, { name: 'a', image: 'y' }] } }, q));
    expect([dup.code, dup.reason, dup.message]).toEqual([500, undefined, 'failed to create typed patch object (default/web; /v1, Kind=Pod): .spec.containers: duplicate entries for key [name="a"]']);
    // (the name is checked once the configuration is applied)
    expect(await said(config('other', {}))).toEqual([400, 'the name of the object (other) does not match the name on the URL (web)']);
  });

  it('types the configuration as structured-merge-diff does, whatever fieldValidation says: unknown fields, wrong scalars, every error named', async () => {
    // 1.32's applyPatcher decodes strictly only after the field manager has typed the
    // configuration, so a typo is the typing error's 500 under every fieldValidation (Ignore
    // does not drop it silently, Strict does not make it a 400 strict decoding error).
    const typo = { ...config('typo', {}), metadata: { name: 'typo', namespace: 'default' }, spec: { containers: [{ name: 'app', image: 'x' }], restartPolicyy: 'Never' } };
    for (const fieldValidation of ['Ignore', 'Warn', 'Strict']) {
      const e = await failure(applyPod('typo', typo, { fieldManager: 'kubectl', fieldValidation }));
      expect([e.code, e.reason, e.message]).toEqual([500, undefined, 'failed to create typed patch object (default/typo; /v1, Kind=Pod): .spec.restartPolicyy: field not declared in schema']);
    }
    expect((await failure(cp.admin.get(Pods, 'default', 'typo'))).code).toBe(404);
    // Several errors: ValidationErrors.Error() lists them after 'errors:', one indented line each.
    const many = {
      ...config('many', {}),
      metadata: { name: 'many', namespace: 'default', labels: { a: 1 } },
      spec: { containers: [{ name: 'a', image: 'x', env: [{ name: 'A' }, { name: 'A' }] }, { name: 'b', image: 'y', bogus: true }], terminationGracePeriodSeconds: 'soon' },
    };
    const e = await failure(applyPod('many', many, { fieldManager: 'kubectl' }));
    expect([e.code, e.message]).toEqual([
      500,
      'failed to create typed patch object (default/many; /v1, Kind=Pod): errors:\n' +
        '  .metadata.labels.a: expected string, got &value.valueUnstructured{Value:1}\n' +
        '  .spec.containers[name="a"].env: duplicate entries for key [name="A"]\n' +
        '  .spec.containers[name="b"].bogus: field not declared in schema\n' +
        '  .spec.terminationGracePeriodSeconds: expected numeric (int or float), got string',
    ]);
  });

  it('refuses an apply without a fieldManager, a fieldManager over 128 characters, and managedFields in the config', async () => {
    // (ValidatePatchOptions: 422 on PatchOptions.meta.k8s.io)
    const none = await failure(applyPod('web', config('web', { app: 'web' })));
    expect([none.code, none.message]).toEqual([422, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch']);
    const long = await failure(applyPod('web', config('web', { app: 'web' }), { fieldManager: 'x'.repeat(129) }));
    expect(long.code).toBe(422);
    const longUpdate = await failure(patch('web', { metadata: { labels: { a: 'b' } } }, 'merge', { fieldManager: 'x'.repeat(129) }));
    expect(longUpdate.code).toBe(422);
    const withMf = await failure(applyPod('web', { ...config('web', {}), metadata: { name: 'web', managedFields: [] } }, { fieldManager: 'kubectl' }));
    expect(withMf.code).toBe(400);
    expect(withMf.message).toBe('metadata.managedFields must be nil');
    // (a field the schema lacks is structured-merge-diff's typing error, before any strict decoding)
    const strict = await failure(applyPod('web', { ...config('web', {}), spec: { containers: [{ name: 'app', image: 'x', imagePullPolicyy: 'Always' }] } }, { fieldManager: 'kubectl' }));
    expect([strict.code, strict.message]).toEqual([500, 'failed to create typed patch object (/web; /v1, Kind=Pod): .spec.containers[name="app"].imagePullPolicyy: field not declared in schema']);
    const noKey = await failure(applyPod('web', { ...config('web', {}), spec: { containers: [{ image: 'x' }] } }, { fieldManager: 'kubectl' }));
    // (structured-merge-diff types the configuration before anything validates it)
    expect([noKey.code, noKey.message]).toEqual([500, 'failed to create typed patch object (/web; /v1, Kind=Pod): .spec.containers: element 0: associative list with keys has an element that omits key field "name" (and doesn\'t have default value)']);
  });

  it('what the strategy and admission add on create belongs to nobody: a namespace\'s kubernetes finalizer, a pod\'s default tolerations', async () => {
    // 1.32's create handler runs the field manager on the decoded (scheme-defaulted) object, then
    // admission (DefaultTolerationSeconds), then the strategy's PrepareForCreate (the finalizer):
    // kubectl create namespace owns the metadata.name label alone, kubectl run no tolerations.
    const ns = await cp.admin.create(Namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'owned-by-create' } }, { fieldManager: 'kubectl-create' });
    try {
      expect((ns.spec as { finalizers?: string[] }).finalizers).toEqual(['kubernetes']);
      expect(ns.metadata?.managedFields?.map((e) => [e.manager, e.fieldsV1])).toEqual([['kubectl-create', { 'f:metadata': { 'f:labels': { '.': {}, 'f:kubernetes.io/metadata.name': {} } } }]]);
    } finally {
      await cp.admin.delete(Namespaces, undefined, 'owned-by-create');
    }
    const pod = await cp.admin.create(Pods, 'default', config('run', { run: 'run' }), { fieldManager: 'kubectl-run' });
    expect((pod.spec as { tolerations?: { key: string }[] }).tolerations?.map((t) => t.key)).toEqual(['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']);
    const spec = entry(pod, 'kubectl-run', 'Update')?.fieldsV1?.['f:spec'] as Record<string, unknown>;
    expect(spec['f:restartPolicy']).toEqual({});
    expect(spec['f:tolerations']).toBeUndefined();
    // (tolerations the pod was created with are its creator's)
    const tolerating = await cp.admin.create(Pods, 'default', { ...config('tolerating', {}), spec: { containers: [{ name: 'app', image: 'x' }], tolerations: [{ key: 'k', operator: 'Exists' }] } }, { fieldManager: 'kubectl-create' });
    expect((tolerating.spec as { tolerations?: unknown[] }).tolerations).toHaveLength(3);
    expect((entry(tolerating, 'kubectl-create', 'Update')?.fieldsV1?.['f:spec'] as Record<string, unknown>)['f:tolerations']).toEqual({});
    // (a Job's selector and its uid and name labels come from the job strategy's PrepareForCreate)
    const job = await cp.admin.create(Jobs, 'default', { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'owned' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x' }] } } } }, { fieldManager: 'kubectl-create' });
    expect((job.spec as { selector?: unknown }).selector).toEqual({ matchLabels: { 'batch.kubernetes.io/controller-uid': job.metadata?.uid } });
    const jobSpec = entry(job, 'kubectl-create', 'Update')?.fieldsV1?.['f:spec'] as Record<string, Record<string, unknown>>;
    expect(Object.keys(jobSpec).sort()).toEqual(['f:backoffLimit', 'f:completionMode', 'f:completions', 'f:parallelism', 'f:podReplacementPolicy', 'f:suspend', 'f:template']);
    // (the template's labels are nobody's; its metadata itself is there from defaulting, with
    // Go's creationTimestamp: null, before the field manager runs)
    expect((jobSpec['f:template']!['f:metadata'] as Record<string, unknown> | undefined)?.['f:labels']).toBeUndefined();
    await cp.admin.delete(Jobs, 'default', 'owned');
  });

  it('create records an Update entry; [{}] clears managedFields; garbage is a 422 naming the field', async () => {
    const created = await cp.admin.create(Pods, 'default', config('plain', { app: 'plain' }), { fieldManager: 'kubectl-create' });
    expect(entry(created, 'kubectl-create', 'Update')?.fieldsV1).toMatchObject({ 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } });
    const cleared = await patch('plain', { metadata: { managedFields: [{}] } }, 'merge');
    expect(cleared.metadata?.managedFields).toBeUndefined();
    // (an update of an object nobody manages is not tracked: 1.32's skipNonAppliedManager)
    const kept = await patch('plain', { metadata: { labels: { more: 'x' } } }, 'merge', { fieldManager: 'late' });
    expect(kept.metadata?.labels).toMatchObject({ more: 'x' });
    expect(kept.metadata?.managedFields).toBeUndefined();
    const bad = await failure(patch('plain', { metadata: { managedFields: [{ manager: 'm', operation: 'Sideways', fieldsType: 'FieldsV1', fieldsV1: {} }] } }, 'merge'));
    expect(bad.code).toBe(422);
    expect(bad.message).toContain('metadata.managedFields[0].operation');
    const badSet = await failure(patch('plain', { metadata: { managedFields: [{ manager: 'm', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'x:y': {} } }] } }, 'merge'));
    expect(badSet.code).toBe(422);
    expect(badSet.message).toContain('metadata.managedFields[0].fieldsV1');
    const unknownField = await failure(patch('plain', { metadata: { managedFields: [{ manager: 'm', operation: 'Update', junk: 1 }] } }, 'merge', { fieldValidation: 'Strict' }));
    expect(unknownField.message).toContain('metadata.managedFields[0].junk');
  });

  it('an apply to an object nobody manages gives what it holds to before-first-apply, which it conflicts with', async () => {
    // (1.32's skipNonAppliedManager.Apply: an Update from the empty object to the live one, by before-first-apply)
    await cp.admin.create(Pods, 'default', config('bfa', { app: 'bfa', tier: 'x' }), { fieldManager: 'kubectl-create' });
    const cleared = await patch('bfa', { metadata: { managedFields: [{}], labels: { edited: 'y' } } }, 'merge', { fieldManager: 'editor' });
    expect(cleared.metadata?.managedFields).toBeUndefined();
    const conflict = await failure(applyPod('bfa', config('bfa', { app: 'bfa', tier: 'changed' }), { fieldManager: 'flux' }));
    expect(conflict.code).toBe(409);
    expect(conflict.message).toBe('Apply failed with 1 conflict: conflict with "before-first-apply" using v1: .metadata.labels.tier');
    // same values: no conflict; before-first-apply keeps what the applier does not apply, and shares the rest
    const applied = await applyPod('bfa', config('bfa', { app: 'bfa', tier: 'x' }), { fieldManager: 'flux' });
    expect(applied.metadata?.managedFields?.map((e) => [e.manager, e.operation])).toEqual([
      ['flux', 'Apply'],
      ['before-first-apply', 'Update'],
    ]);
    const bfa = entry(applied, 'before-first-apply', 'Update')!.fieldsV1 as Record<string, Record<string, Record<string, unknown>>>;
    expect(bfa['f:metadata']!['f:labels']).toEqual({ '.': {}, 'f:app': {}, 'f:edited': {}, 'f:tier': {} });
    expect(bfa['f:spec']).toHaveProperty(['f:dnsPolicy']);
    await cp.admin.delete(Pods, 'default', 'bfa');
  });

  it('watch and field selectors see applied objects', async () => {
    const events: WatchEvent[] = [];
    const list = await cp.admin.list(Pods, 'default');
    const h = await cp.admin.watch(Pods, 'default', { resourceVersion: list.metadata?.resourceVersion, fieldSelector: 'metadata.name=watched' }, (e) => events.push(e));
    try {
      await applyPod('watched', config('watched', { app: 'w' }), { fieldManager: 'kubectl' });
      await applyPod('watched', config('watched', { app: 'w2' }), { fieldManager: 'kubectl' });
      await eventually(() => events.length >= 2, { what: 'two watch events' });
      expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED']);
      expect((events[1]!.object as KubeObject).metadata?.managedFields?.[0]?.manager).toBe('kubectl');
    } finally {
      h.stop();
    }
    const selected = await cp.admin.list(Pods, 'default', { fieldSelector: 'metadata.name=watched' });
    expect(selected.items.map((p) => p.metadata?.name)).toEqual(['watched']);
  });
});
