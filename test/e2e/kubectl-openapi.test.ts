// The OpenAPI documents as the stock kubectl uses them: client-side validation of the create-only
// review kinds (they have no PATCH operation, so kubectl cannot hand validation to the server and
// reads /openapi/v2), and kubectl explain of their fields.
import { describe, expect, it } from 'vitest';
import { hasKubectl, kubectlControlPlane } from '../helpers/kubectl.js';

const k = kubectlControlPlane();
const kubectl = (args: string[], input?: string) => (input === undefined ? k.kubectl(...args) : k.kubectlIn(input, ...args));

const SAR = `apiVersion: authorization.k8s.io/v1
kind: SubjectAccessReview
spec:
  user: alice
  resourceAttributes:
    verb: get
    resource: pods
    namespace: default
`;

describe.skipIf(!hasKubectl)('OpenAPI with kubectl', () => {
  it('kubectl create -f of a TokenReview, SubjectAccessReview and SelfSubjectAccessReview validates without --validate=false', async () => {
    const tr = await kubectl(['create', '-f', '-', '-o', 'json'], 'apiVersion: authentication.k8s.io/v1\nkind: TokenReview\nspec:\n  token: not-a-token\n');
    expect(JSON.parse(tr)).toMatchObject({ kind: 'TokenReview', status: { user: {} } });
    expect(await kubectl(['create', '-f', '-'], SAR)).toBe('subjectaccessreview.authorization.k8s.io/<unknown> created\n');
    const sar = JSON.parse(await kubectl(['create', '-f', '-', '-o', 'json'], SAR)) as { status: { allowed: boolean } };
    expect(sar.status.allowed).toBe(false);
    const ssar = 'apiVersion: authorization.k8s.io/v1\nkind: SelfSubjectAccessReview\nspec:\n  resourceAttributes:\n    verb: list\n    resource: pods\n';
    expect(JSON.parse(await kubectl(['create', '-f', '-', '-o', 'json'], ssar))).toMatchObject({ status: { allowed: true } });
    const lsar = 'apiVersion: authorization.k8s.io/v1\nkind: LocalSubjectAccessReview\nmetadata:\n  namespace: default\nspec:\n  user: alice\n  resourceAttributes:\n    namespace: default\n    verb: get\n    resource: pods\n';
    expect(JSON.parse(await kubectl(['create', '-f', '-', '-o', 'json'], lsar))).toMatchObject({ status: { allowed: false } });
  });

  it('an unknown field in a review is refused by kubectl\'s own validation, naming the field and its definition', async () => {
    const r = await k.run(['create', '-f', '-'], SAR.replace('  user: alice\n', '  user: alice\n  bogus: 1\n'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('ValidationError(SubjectAccessReview.spec): unknown field "bogus" in io.k8s.api.authorization.v1.SubjectAccessReviewSpec');
  });

  it('a kind: List (what kubectl get -o yaml writes) is created and applied with validation on', async () => {
    await kubectl(['create', 'configmap', 'listed-a', '--from-literal=k=v']);
    const list = await kubectl(['get', 'configmap', 'listed-a', '-o', 'yaml', '--show-managed-fields=false']);
    expect(list).not.toContain('kind: List'); // one object; a list of them next
    const yaml = await kubectl(['get', 'configmaps', '--field-selector', 'metadata.name=listed-a', '-o', 'yaml']);
    expect(yaml).toContain('kind: List');
    expect(await kubectl(['apply', '-f', '-'], yaml)).toContain('configmap/listed-a');
    const fresh = 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: listed-b}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: listed-c}\n';
    expect(await kubectl(['create', '-f', '-'], fresh)).toBe('configmap/listed-b created\nconfigmap/listed-c created\n');
    const bad = await k.run(['create', '-f', '-'], fresh.replace('listed-b}', 'listed-d}\n  bogus: 1').replace('listed-c', 'listed-e'));
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('unknown field "bogus" in io.k8s.api.core.v1.ConfigMap');
  });

  it('kubectl explain describes the review kinds', async () => {
    const out = await kubectl(['explain', 'subjectaccessreview.spec.resourceAttributes']);
    expect(out).toContain('GROUP:      authorization.k8s.io');
    expect(out).toMatch(/verb\t<string>/);
    expect(await kubectl(['explain', 'tokenreview.status'])).toMatch(/authenticated\t<boolean>/);
    // the Swagger 2.0 form kubectl still offers
    const v2 = await kubectl(['explain', 'pods.spec.containers.name', '--output=plaintext-openapiv2']);
    expect(v2).toContain('FIELD:    name <string>');
    expect(v2).toContain('VERSION:  v1');
  });

  it('kubectl explain names int-or-string fields <IntOrString>', async () => {
    expect(await kubectl(['explain', 'service.spec.ports.targetPort'])).toContain('FIELD: targetPort <IntOrString>');
    expect(await kubectl(['explain', 'deployment.spec.strategy.rollingUpdate'])).toMatch(/maxSurge\t<IntOrString>/);
  });

  it('kubectl explain lists the values of an enum field', async () => {
    expect(await kubectl(['explain', 'pod.spec.restartPolicy'])).toContain('FIELD: restartPolicy <string>\nENUM:\n    Always\n    Never\n    OnFailure\n');
    expect(await kubectl(['explain', 'service.spec'])).toMatch(/type\t<string>\n  enum: ClusterIP, ExternalName, LoadBalancer, NodePort\n/);
  });

  it('get --raw /openapi/v3 lists every web service\'s document as 1.32 does, and a path it does not list is a bare 404', async () => {
    const index = JSON.parse(await kubectl(['get', '--raw', '/openapi/v3'])) as { paths: Record<string, { serverRelativeURL: string }> };
    expect(Object.keys(index.paths)).toEqual(expect.arrayContaining(['api', 'api/v1', 'apis', 'apis/apps', 'apis/apps/v1', 'version', '.well-known/openid-configuration', 'openid/v1/jwks']));
    const group = JSON.parse(await kubectl(['get', '--raw', index.paths['apis/apps']!.serverRelativeURL])) as { paths: Record<string, { get: { operationId: string } }> };
    expect(group.paths['/apis/apps/']!.get.operationId).toBe('getAppsAPIGroup');
    // (the path the version document names is served: the version WebService's GET /)
    expect(JSON.parse(await kubectl(['get', '--raw', '/version/']))).toEqual(JSON.parse(await kubectl(['get', '--raw', '/version'])));
    // (the aggregator's handleGroupVersion: w.WriteHeader(404), which kubectl words as its own)
    const missing = await k.run(['get', '--raw', '/openapi/v3/apis/nosuch/v1']);
    expect([missing.code, missing.err]).toEqual([1, 'Error from server (NotFound): the server could not find the requested resource\n']);
  });

  it('/openapi/v2 serves the definitions as JSON too', async () => {
    const doc = JSON.parse(await kubectl(['get', '--raw', '/openapi/v2'])) as { swagger: string; definitions: Record<string, { properties?: Record<string, unknown> }> };
    expect(doc.swagger).toBe('2.0');
    expect(doc.definitions['io.k8s.api.core.v1.Pod']?.properties?.spec).toEqual({ $ref: '#/definitions/io.k8s.api.core.v1.PodSpec', description: expect.any(String) });
    expect(doc.definitions['io.k8s.api.authentication.v1.TokenReview']).toBeDefined();
  });
});
