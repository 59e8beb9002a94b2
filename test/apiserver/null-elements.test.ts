// A null element of a list (or value of a map) in a manifest is its Go zero value, as
// kube-apiserver's decoder leaves it: `containers: [null]` is an empty container, refused by
// validation with a 422 naming what it lacks (or accepted, where an empty one is valid). Every
// one of these was a 500 ("Cannot read properties of null") until the decoder filled them in;
// found by mutating valid manifests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;
beforeAll(async () => {
  cp = await startControlPlane();
});
afterAll(async () => {
  await cp?.stop();
});

const container = { name: 'c', image: 'busybox' };
const template = { metadata: { labels: { app: 'n' } }, spec: { containers: [container] } };

/** [path of the collection, body, what the 422 must say, or 'accepted' where the empty element is valid] */
const cases: [string, Record<string, unknown>, RegExp | 'accepted'][] = [
  ['/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'n1' }, spec: { containers: [null] } }, /spec\.containers\[0\]\.name: Required value/],
  ['/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'n2' }, spec: { containers: [container], volumes: [{ name: 'v', projected: { sources: [null] } }] } }, 'accepted'],
  ['/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'n3' }, spec: { containers: [{ ...container, volumeMounts: [null] }] } }, /spec\.containers\[0\]\.volumeMounts\[0\]\.name: Required value/],
  ['/api/v1/namespaces/default/podtemplates', { apiVersion: 'v1', kind: 'PodTemplate', metadata: { name: 'n4' }, template: { spec: { containers: [container], schedulingGates: [null] } } }, /template\.spec\.schedulingGates\[0\]: Invalid value: "": name part must be non-empty/],
  ['/apis/apps/v1/namespaces/default/deployments', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'n5' }, spec: { selector: { matchLabels: { app: 'n' } }, template: { ...template, spec: { containers: [null] } } } }, /spec\.template\.spec\.containers\[0\]\.name: Required value/],
  ['/api/v1/namespaces/default/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'n6' }, spec: { ports: [null, { name: 'b', port: 81 }] } }, /spec\.ports\[0\]/],
  ['/api/v1/namespaces/default/endpoints', { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'n7' }, subsets: [null, { addresses: [null] }] }, /subsets\[1\]\.addresses\[0\]\.ip/],
  ['/api/v1/namespaces/default/limitranges', { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'n8' }, spec: { limits: [null] } }, /spec\.limits\[0\]\.type/],
  ['/api/v1/namespaces/default/resourcequotas', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'n9' }, spec: { hard: { pods: '1' }, scopeSelector: { matchExpressions: [null] } } }, /spec\.scopeSelector\.matchExpressions\.scopeName: Invalid value: "": unsupported scope/],
  ['/apis/networking.k8s.io/v1/namespaces/default/networkpolicies', { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'n10' }, spec: { podSelector: {}, egress: [{ ports: [null] }], ingress: [null] } }, 'accepted'],
  ['/apis/networking.k8s.io/v1/namespaces/default/ingresses', { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'n11' }, spec: { rules: [null] } }, 'accepted'],
  ['/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers', { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'n12' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'x' }, maxReplicas: 2, behavior: { scaleDown: { policies: [null] } } } }, /spec\.behavior\.scaleDown\.policies\[0\]/],
  ['/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'n13' }, webhooks: [null] }, /webhooks\[0\]\.name: Required value/],
  ['/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'n14' }, webhooks: [{ name: 'a.b.c', admissionReviewVersions: ['v1'], sideEffects: 'None', clientConfig: { url: 'https://127.0.0.1:1/' }, rules: [null] }] }, /webhooks\[0\]\.rules\[0\]/],
  ['/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies', { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: 'n15' }, spec: { matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['deployments'] }] }, validations: [{ expression: 'true' }], variables: [null] } }, /spec\.variables\[0\]/],
];

describe('null elements in lists', () => {
  for (const [path, body, says] of cases) {
    it(`${body.kind} ${(body.metadata as { name: string }).name}: ${says === 'accepted' ? 'accepted, an empty element being valid there' : 'a 422 naming the empty element'}, not a 500`, async () => {
      const res = await cp.admin.request<unknown>(`${path}?dryRun=All`, { method: 'POST', body }).then(
        () => ({ code: 201, message: '' }),
        (e: { code?: number; message?: string }) => ({ code: e.code, message: e.message ?? '' }),
      );
      if (says === 'accepted') return expect(res).toEqual({ code: 201, message: '' });
      expect(res.code).toBe(422);
      expect(res.message).toMatch(says);
    });
  }
});

describe('a CustomResourceDefinition with a value of the wrong type', () => {
  it("is a 400 in Go's words, not a 500 from validation tripping over it", async () => {
    const crd = (names: Record<string, unknown>) => ({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'things.null.example.com' },
      spec: { group: 'null.example.com', scope: 'Namespaced', names: { plural: 'things', kind: 'Thing', ...names }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }, null] },
    });
    const post = (body: unknown) =>
      cp.admin.request('/apis/apiextensions.k8s.io/v1/customresourcedefinitions?dryRun=All', { method: 'POST', body }).then(
        () => ({ code: 201, message: '' }),
        (e: { code?: number; message?: string }) => ({ code: e.code, message: e.message ?? '' }),
      );
    expect(await post(crd({ kind: [] }))).toEqual({
      code: 400,
      message: 'CustomResourceDefinition in version "v1" cannot be handled as a CustomResourceDefinition: json: cannot unmarshal array into Go struct field CustomResourceDefinitionNames.spec.names.kind of type string',
    });
    const nullVersion = await post(crd({}));
    expect([nullVersion.code, nullVersion.message]).toEqual([422, expect.stringContaining('spec.versions[1].name: Required value')]);
  });
});
