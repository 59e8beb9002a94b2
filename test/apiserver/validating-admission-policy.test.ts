// ValidatingAdmissionPolicies against a real apiserver and etcd: the classic replicas policy
// with Deny and Warn bindings, params from a ConfigMap (by name; missing under Deny and Allow),
// binding namespaceSelectors, matchConditions, messageExpression, reasons, failurePolicy Fail and
// Ignore on a runtime error, DELETE, custom resources, and the validation of policies and bindings.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { core, CustomResourceDefinitions, Pods, RoleBindings, Roles, Deployments, Namespaces, ValidatingAdmissionPolicies, ValidatingAdmissionPolicyBindings } from '../../pkg/client/rest-client.js';
import { eventually, failure, pod, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { hasKubectl, kubectlAt } from '../helpers/kubectl.js';

let cp: TestControlPlane;
const cache = mkdtempSync(join(tmpdir(), 'tskube-vap-kubectl-'));
const ConfigMaps = core('configmaps');

beforeAll(async () => {
  cp = await startControlPlane();
}, 60_000);

afterAll(async () => {
  await cp?.stop(true);
  rmSync(cache, { recursive: true, force: true });
});

const deploymentRules = { resourceRules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments'] }] };
const policy = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name }, spec: { matchConstraints: deploymentRules, ...spec } });
const binding = (name: string, policyName: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicyBinding',
  metadata: { name },
  spec: { policyName, validationActions: ['Deny'], ...spec },
});
const deployment = (name: string, replicas: number) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
});
const replicasAtMost5 = { validations: [{ expression: 'object.spec.replicas <= 5' }] };

/** Creates the policy and its bindings, waits until admission sees them, runs fn, and removes them. */
async function withPolicy<T>(p: ReturnType<typeof policy>, bindings: ReturnType<typeof binding>[], fn: () => Promise<T>): Promise<T> {
  await cp.admin.create(ValidatingAdmissionPolicies, undefined, p);
  for (const b of bindings) await cp.admin.create(ValidatingAdmissionPolicyBindings, undefined, b);
  // (admission reads policies and bindings from the watch caches)
  await new Promise((r) => setTimeout(r, 300));
  try {
    return await fn();
  } finally {
    for (const b of bindings) await cp.admin.delete(ValidatingAdmissionPolicyBindings, undefined, b.metadata.name);
    await cp.admin.delete(ValidatingAdmissionPolicies, undefined, p.metadata.name);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('ValidatingAdmissionPolicy', () => {
  it('denies a Deployment of 6 replicas with 422 and the failed expression; admits 5', async () => {
    await withPolicy(policy('replicas', replicasAtMost5), [binding('replicas-deny', 'replicas')], async () => {
      const e = await failure(cp.admin.create(Deployments, 'default', deployment('six', 6)));
      expect(e.code).toBe(422);
      expect(e.message).toBe(`deployments.apps "six" is forbidden: ValidatingAdmissionPolicy 'replicas' with binding 'replicas-deny' denied request: failed expression: object.spec.replicas <= 5`);
      expect(e.status?.reason).toBe('Invalid');
      await cp.admin.create(Deployments, 'default', deployment('five', 5));
      // an UPDATE is checked too
      const up = await failure(cp.admin.patch(Deployments, 'default', 'five', { spec: { replicas: 9 } }));
      expect(up.code).toBe(422);
    });
    // without the policy the write goes through
    await cp.admin.create(Deployments, 'default', deployment('six', 6));
  });

  it('a policy without a binding, or a binding without its policy, does nothing', async () => {
    await cp.admin.create(ValidatingAdmissionPolicies, undefined, policy('unbound', replicasAtMost5));
    await cp.admin.create(ValidatingAdmissionPolicyBindings, undefined, binding('orphan', 'no-such-policy'));
    await new Promise((r) => setTimeout(r, 300));
    try {
      await cp.admin.create(Deployments, 'default', deployment('unbound', 7));
    } finally {
      await cp.admin.delete(ValidatingAdmissionPolicies, undefined, 'unbound');
      await cp.admin.delete(ValidatingAdmissionPolicyBindings, undefined, 'orphan');
    }
  });

  it.skipIf(!hasKubectl)('Warn admits the request with a Warning header; kubectl lists the kinds with their columns', async () => {
    await withPolicy(policy('replicas-warn', replicasAtMost5), [binding('replicas-warn', 'replicas-warn', { validationActions: ['Warn', 'Audit'] })], async () => {
      const r = await kubectlAt(cp.kubeconfig, cache, ['create', '-f', '-'], JSON.stringify(deployment('warned', 8)));
      expect(r.code, r.err).toBe(0);
      expect(r.err).toContain(`Warning: Validation failed for ValidatingAdmissionPolicy 'replicas-warn' with binding 'replicas-warn': failed expression: object.spec.replicas <= 5`);
      expect((await cp.admin.get(Deployments, 'default', 'warned')).spec).toMatchObject({ replicas: 8 });
      const p = await kubectlAt(cp.kubeconfig, cache, ['get', 'validatingadmissionpolicies']);
      expect(p.out).toMatch(/^NAME\s+VALIDATIONS\s+PARAMKIND\s+AGE\nreplicas-warn\s+1\s+<unset>\s+\d+s\n$/);
      const b = await kubectlAt(cp.kubeconfig, cache, ['get', 'validatingadmissionpolicybindings']);
      expect(b.out).toMatch(/^NAME\s+POLICYNAME\s+PARAMREF\s+AGE\nreplicas-warn\s+replicas-warn\s+<unset>\s+\d+s\n$/);
    });
  });

  it('reads its limit from a ConfigMap named by paramRef; a missing one is refused under Deny and passes under Allow', async () => {
    await cp.admin.create(ConfigMaps, 'default', { metadata: { name: 'limits' }, data: { max: '3' } });
    const p = policy('param-replicas', {
      paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
      validations: [{ expression: "params.kind == 'ConfigMap' && params.apiVersion == 'v1' && object.spec.replicas <= int(params.data.max)", messageExpression: "'at most ' + params.data.max + ' replicas, not ' + string(object.spec.replicas)" }],
    });
    const byName = binding('param-by-name', 'param-replicas', { paramRef: { name: 'limits', namespace: 'default', parameterNotFoundAction: 'Deny' } });
    await withPolicy(p, [byName], async () => {
      expect(await cp.admin.get(ValidatingAdmissionPolicyBindings, undefined, 'param-by-name')).toMatchObject({ spec: { paramRef: { name: 'limits' } } });
      const e = await failure(cp.admin.create(Deployments, 'default', deployment('p4', 4)));
      expect(e.message).toBe(`deployments.apps "p4" is forbidden: ValidatingAdmissionPolicy 'param-replicas' with binding 'param-by-name' denied request: at most 3 replicas, not 4`);
      await cp.admin.create(Deployments, 'default', deployment('p3', 3));
      // the params are read as they are now
      await cp.admin.patch(ConfigMaps, 'default', 'limits', { data: { max: '10' } });
      await eventually(() => cp.admin.create(Deployments, 'default', deployment('p4', 4)));
      await cp.admin.delete(ConfigMaps, 'default', 'limits');
      const missing = await eventually(() => failure(cp.admin.create(Deployments, 'default', deployment('p5', 2))));
      expect(missing.message).toContain("ValidatingAdmissionPolicy 'param-replicas' with binding 'param-by-name' denied request: failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction");
    });
    const allow = binding('param-allow', 'param-replicas', { paramRef: { selector: { matchLabels: { limits: 'yes' } }, parameterNotFoundAction: 'Allow' } });
    await withPolicy(p, [allow], async () => {
      await cp.admin.create(Deployments, 'default', deployment('p9', 9));
      await cp.admin.create(ConfigMaps, 'default', { metadata: { name: 'sel', labels: { limits: 'yes' } }, data: { max: '1' } });
      const e = await eventually(() => failure(cp.admin.create(Deployments, 'default', deployment('p2', 2))));
      expect(e.message).toContain('at most 1 replicas, not 2');
    });
  });

  it('a paramKind that is not served fails the request under Fail and is passed over under Ignore', async () => {
    const p = (fp: string) => policy(`unknown-param-${fp.toLowerCase()}`, { failurePolicy: fp, paramKind: { apiVersion: 'example.com/v1', kind: 'Nothing' }, ...replicasAtMost5 });
    await withPolicy(p('Fail'), [binding('unknown-param', 'unknown-param-fail', { paramRef: { name: 'x', parameterNotFoundAction: 'Allow' } })], async () => {
      const e = await failure(cp.admin.create(Deployments, 'default', deployment('u1', 1)));
      expect(e.code).toBe(422);
      expect(e.message).toBe(`deployments.apps "u1" is forbidden: ValidatingAdmissionPolicy 'unknown-param-fail' denied request: failed to configure policy: failed to find resource referenced by paramKind: 'example.com/v1, Kind=Nothing'`);
    });
    await withPolicy(p('Ignore'), [binding('unknown-param', 'unknown-param-ignore', { paramRef: { name: 'x', parameterNotFoundAction: 'Allow' } })], async () => {
      await cp.admin.create(Deployments, 'default', deployment('u1', 1));
    });
  });

  it("matches a binding's namespaceSelector and the policy's matchConditions", async () => {
    await cp.admin.create(Namespaces, undefined, { metadata: { name: 'prod', labels: { env: 'prod' } } });
    const p = policy('prod-only', { ...replicasAtMost5, matchConditions: [{ name: 'not-exempt', expression: "!has(object.metadata.labels) || !('exempt' in object.metadata.labels)" }] });
    await withPolicy(p, [binding('prod-only', 'prod-only', { matchResources: { namespaceSelector: { matchLabels: { env: 'prod' } } } })], async () => {
      expect((await failure(cp.admin.create(Deployments, 'prod', deployment('n1', 6)))).code).toBe(422);
      await cp.admin.create(Deployments, 'default', deployment('n1', 6));
      const exempt = deployment('n2', 6);
      await cp.admin.create(Deployments, 'prod', { ...exempt, metadata: { name: 'n2', labels: { exempt: 'true' } } });
    });
  });

  it('matches resourceNames, excludeResourceRules and objectSelectors', async () => {
    const cmRule = (extra: Record<string, unknown> = {}) => ({ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'], ...extra });
    const p = policy('cm-names', { matchConstraints: { resourceRules: [cmRule({ resourceNames: ['guarded-a', 'guarded-b', 'guarded-c'] })] }, validations: [{ expression: 'false', message: 'guarded' }] });
    const b = binding('cm-names', 'cm-names', { matchResources: { excludeResourceRules: [cmRule({ resourceNames: ['guarded-b'] })], objectSelector: { matchExpressions: [{ key: 'skip', operator: 'DoesNotExist' }] } } });
    await withPolicy(p, [b], async () => {
      expect((await failure(cp.admin.create(ConfigMaps, 'default', { metadata: { name: 'guarded-a' } }))).message).toBe(`configmaps "guarded-a" is forbidden: ValidatingAdmissionPolicy 'cm-names' with binding 'cm-names' denied request: guarded`);
      await cp.admin.create(ConfigMaps, 'default', { metadata: { name: 'unguarded' } });
      await cp.admin.create(ConfigMaps, 'default', { metadata: { name: 'guarded-b' } });
      await cp.admin.create(ConfigMaps, 'default', { metadata: { name: 'guarded-c', labels: { skip: 'yes' } } });
    });
  });

  it('failurePolicy decides on a runtime error: Fail refuses with the error, Ignore admits', async () => {
    const v = { validations: [{ expression: 'object.spec.paused == true' }] };
    await withPolicy(policy('err-fail', v), [binding('err-fail', 'err-fail')], async () => {
      const e = await failure(cp.admin.create(Deployments, 'default', deployment('e1', 1)));
      expect(e.code).toBe(422);
      expect(e.message).toBe(`deployments.apps "e1" is forbidden: ValidatingAdmissionPolicy 'err-fail' with binding 'err-fail' denied request: expression 'object.spec.paused == true' resulted in error: no such key: paused`);
    });
    await withPolicy(policy('err-ignore', { ...v, failurePolicy: 'Ignore' }), [binding('err-ignore', 'err-ignore')], async () => {
      await cp.admin.create(Deployments, 'default', deployment('e1', 1));
    });
  });

  it('checks DELETEs (oldObject, object null) with variables and a Forbidden reason', async () => {
    await cp.admin.create(ConfigMaps, 'default', { metadata: { name: 'keep-me' }, data: {} });
    await cp.admin.create(ConfigMaps, 'default', { metadata: { name: 'drop-me' }, data: {} });
    const p = policy('keep', {
      matchConstraints: { resourceRules: [{ operations: ['DELETE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }] },
      variables: [{ name: 'name', expression: 'oldObject.metadata.name' }],
      validations: [{ expression: "object == null && !variables.name.startsWith('keep-')", message: 'this one stays', reason: 'Forbidden' }],
    });
    await withPolicy(p, [binding('keep', 'keep')], async () => {
      const e = await failure(cp.admin.delete(ConfigMaps, 'default', 'keep-me'));
      expect(e.code).toBe(403);
      expect(e.message).toBe(`configmaps "keep-me" is forbidden: ValidatingAdmissionPolicy 'keep' with binding 'keep' denied request: this one stays`);
      await cp.admin.delete(ConfigMaps, 'default', 'drop-me');
    });
  });

  it('hears CONNECTs: the options object is `object`', async () => {
    await cp.admin.create(Pods, 'default', pod('proxied'));
    const p = policy('no-secret-proxy', {
      matchConstraints: { resourceRules: [{ operations: ['CONNECT'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/proxy'] }] },
      validations: [{ expression: "object.kind == 'PodProxyOptions' && request.kind.kind == 'PodProxyOptions' && request.requestKind.kind == 'PodProxyOptions' && !object.path.startsWith('/secret')", reason: 'Forbidden', messageExpression: "'no proxying to ' + object.path" }],
    });
    await withPolicy(p, [binding('no-secret-proxy', 'no-secret-proxy')], async () => {
      const e = await failure(cp.admin.request('/api/v1/namespaces/default/pods/proxied/proxy/secret/x'));
      expect(e.code).toBe(403);
      expect(e.message).toBe(`pods "proxied" is forbidden: ValidatingAdmissionPolicy 'no-secret-proxy' with binding 'no-secret-proxy' denied request: no proxying to /secret/x`);
      // (another path passes admission and fails further on: the pod has no node)
      const other = await failure(cp.admin.request('/api/v1/namespaces/default/pods/proxied/proxy/public'));
      expect(other.message).not.toContain('ValidatingAdmissionPolicy');
    });
  });

  it('asks the authorizer: the request resource, another user, a path; a grant counts at once', async () => {
    const p = policy('authz', {
      variables: [{ name: 'nobody', expression: "authorizer.serviceAccount('default', 'nobody').group('apps').resource('deployments').namespace(object.metadata.namespace)" }],
      validations: [
        { expression: "authorizer.requestResource.check('create').allowed() && authorizer.path('/healthz').check('get').allowed()", message: 'the requester may not' },
        { expression: "variables.nobody.check('create').allowed()", messageExpression: "'nobody may not create deployments in ' + object.metadata.namespace" },
      ],
    });
    await withPolicy(p, [binding('authz', 'authz')], async () => {
      const e = await failure(cp.admin.create(Deployments, 'default', deployment('a1', 1)));
      expect(e.message).toBe(`deployments.apps "a1" is forbidden: ValidatingAdmissionPolicy 'authz' with binding 'authz' denied request: nobody may not create deployments in default`);
      await cp.admin.create(Roles, 'default', { metadata: { name: 'deployers' }, rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['create'] }] });
      await cp.admin.create(RoleBindings, 'default', { metadata: { name: 'nobody-deploys' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'deployers' }, subjects: [{ kind: 'ServiceAccount', name: 'nobody', namespace: 'default' }] });
      await eventually(() => cp.admin.create(Deployments, 'default', deployment('a1', 1)));
    });
    // authorizer is not offered to messageExpressions
    const bad = await failure(cp.admin.create(ValidatingAdmissionPolicies, undefined, policy('authz-msg', { validations: [{ expression: 'true', messageExpression: "authorizer.path('/').check('get').reason()" }] })));
    expect(bad.message).toContain("spec.validations[0].messageExpression: Invalid value: \"authorizer.path('/').check('get').reason()\": compilation failed: ERROR: <input>:1:1: undeclared reference to 'authorizer'");
  });

  it('covers custom resources', async () => {
    await cp.admin.create(CustomResourceDefinitions, undefined, {
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        scope: 'Namespaced',
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } } }],
      },
    });
    const Widgets = { group: 'example.com', version: 'v1', resource: 'widgets', namespaced: true };
    await eventually(() => cp.admin.list(Widgets, 'default'));
    const p = policy('widget-size', { matchConstraints: { resourceRules: [{ operations: ['*'], apiGroups: ['example.com'], apiVersions: ['*'], resources: ['widgets'] }] }, validations: [{ expression: 'object.spec.size < 10', reason: 'RequestEntityTooLarge' }] });
    await withPolicy(p, [binding('widget-size', 'widget-size')], async () => {
      const e = await failure(cp.admin.create(Widgets, 'default', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'big' }, spec: { size: 12 } }));
      expect(e.code).toBe(413);
      expect(e.message).toBe(`widgets.example.com "big" is forbidden: ValidatingAdmissionPolicy 'widget-size' with binding 'widget-size' denied request: failed expression: object.spec.size < 10`);
      await cp.admin.create(Widgets, 'default', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'small' }, spec: { size: 2 } });
    });
  });

  it('refuses policies whose expressions do not compile and bindings without actions, in Kubernetes words', async () => {
    const bad = await failure(cp.admin.create(ValidatingAdmissionPolicies, undefined, policy('bad', { validations: [{ expression: 'object.spec.replicas <' }] })));
    expect(bad.code).toBe(422);
    expect(bad.message).toMatch(/^ValidatingAdmissionPolicy\.admissionregistration\.k8s\.io "bad" is invalid: spec\.validations\[0\]\.expression: Invalid value: "object\.spec\.replicas <": compilation failed: ERROR: <input>:1:\d+: /);
    const vars = await failure(cp.admin.create(ValidatingAdmissionPolicies, undefined, policy('vars', { validations: [{ expression: 'variables.nope' }] })));
    expect(vars.message).toContain('spec.validations[0].expression: Invalid value: "variables.nope": compilation failed: ');
    const empty = await failure(cp.admin.create(ValidatingAdmissionPolicies, undefined, { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: 'empty' }, spec: {} }));
    expect(empty.message).toBe(
      'ValidatingAdmissionPolicy.admissionregistration.k8s.io "empty" is invalid: [spec.matchConstraints: Required value, spec.validations: Required value: validations or auditAnnotations must contain at least one item]',
    );
    const b = await failure(cp.admin.create(ValidatingAdmissionPolicyBindings, undefined, binding('b', 'p', { validationActions: ['Deny', 'Warn'], paramRef: { name: 'x' } })));
    expect(b.message).toBe(
      'ValidatingAdmissionPolicyBinding.admissionregistration.k8s.io "b" is invalid: [spec.paramRef.parameterNotFoundAction: Required value, spec.validationActions: Invalid value: ["Deny","Warn"]: must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)]',
    );
    // defaults as Kubernetes sets them
    const ok = await cp.admin.create(ValidatingAdmissionPolicies, undefined, policy('defaults', replicasAtMost5));
    expect(ok.spec).toMatchObject({ failurePolicy: 'Fail', matchConstraints: { matchPolicy: 'Equivalent', namespaceSelector: {}, objectSelector: {}, resourceRules: [{ scope: '*' }] } });
    // the type-checking controller's status follows the generation
    await eventually(async () => expect((await cp.admin.get(ValidatingAdmissionPolicies, undefined, 'defaults')).status).toEqual({ observedGeneration: 1, typeChecking: {} }));
    await cp.admin.patch(ValidatingAdmissionPolicies, undefined, 'defaults', { spec: { validations: [{ expression: 'true' }] } });
    await eventually(async () => expect((await cp.admin.get(ValidatingAdmissionPolicies, undefined, 'defaults')).status).toEqual({ observedGeneration: 2, typeChecking: {} }));
    await cp.admin.delete(ValidatingAdmissionPolicies, undefined, 'defaults');
  });
});
