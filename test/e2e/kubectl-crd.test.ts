// The stock kubectl with a CustomResourceDefinition, as an operator's manifests use one: apply
// the CRD, apply a custom resource, get it by plural and short name with the CRD's printer
// columns, -o yaml, patch it, apply it again (client-side: a JSON merge patch), scale it,
// server-side apply, diff, explain, and delete the CRD, which deletes its objects; a CRD with CEL
// validation rules: a bad rule refused, a violating object's apply printing the rule's message;
// a CRD that embeds a resource, whose metadata the server coerces as ObjectMeta.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { hasKubectl, kubectlAt } from '../helpers/kubectl.js';

let cp: TestControlPlane;
let dir: string;

const kubectl = (...args: string[]) => kubectlAt(cp.kubeconfig, join(dir, 'cache'), args);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tskube-kubectl-crd-'));
  cp = await startControlPlane({ grpcPort: -1 }, { serviceAccountControllers: false });
});
afterAll(async () => {
  await cp?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names:
    plural: widgets
    singular: widget
    kind: Widget
    shortNames: [wd]
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size:
                type: string
                enum: [small, large]
              replicas:
                type: integer
                minimum: 0
                default: 1
          status:
            type: object
            properties:
              replicas: {type: integer}
              selector: {type: string}
    subresources:
      status: {}
      scale:
        specReplicasPath: .spec.replicas
        statusReplicasPath: .status.replicas
        labelSelectorPath: .status.selector
    additionalPrinterColumns:
    - name: Size
      type: string
      jsonPath: .spec.size
    - name: Replicas
      type: integer
      jsonPath: .spec.replicas
    - name: Age
      type: date
      jsonPath: .metadata.creationTimestamp
`;

const widget = (size: string, extra = '') => `apiVersion: example.com/v1
kind: Widget
metadata:
  name: w1
spec:
  size: ${size}
${extra}`;

describe.skipIf(!hasKubectl)('kubectl with a CustomResourceDefinition', () => {
  it('apply CRD, apply CR, get with columns, patch, apply again, scale, delete the CRD', async () => {
    writeFileSync(join(dir, 'crd.yaml'), CRD);
    expect(await kubectl('apply', '-f', join(dir, 'crd.yaml'))).toMatchObject({ code: 0, out: 'customresourcedefinition.apiextensions.k8s.io/widgets.example.com created\n' });
    const crds = await kubectl('get', 'crd');
    expect(crds.out).toMatch(/^NAME\s+CREATED AT\nwidgets\.example\.com\s+\d{4}-\d\d-\d\dT/);
    expect((await kubectl('wait', '--for=condition=Established', 'crd/widgets.example.com', '--timeout=10s')).code).toBe(0);
    // Applied again unchanged: kubectl patches CRDs with JSON merge patches, silently.
    expect(await kubectl('apply', '-f', join(dir, 'crd.yaml'))).toEqual({ code: 0, out: 'customresourcedefinition.apiextensions.k8s.io/widgets.example.com unchanged\n', err: '' });

    writeFileSync(join(dir, 'w1.yaml'), widget('small'));
    expect(await kubectl('apply', '-f', join(dir, 'w1.yaml'))).toMatchObject({ code: 0, out: 'widget.example.com/w1 created\n' });
    const got = await kubectl('get', 'widgets');
    expect(got.err).toBe('');
    expect(got.out).toMatch(/^NAME\s+SIZE\s+REPLICAS\s+AGE\nw1\s+small\s+1\s+\d+s\n$/);
    expect((await kubectl('get', 'wd', 'w1', '-o', 'jsonpath={.spec.replicas}')).out).toBe('1');
    const yaml = await kubectl('get', 'widget', 'w1', '-o', 'yaml');
    expect(yaml.out).toContain('apiVersion: example.com/v1\nkind: Widget\n');
    expect(yaml.out).toContain('kubectl.kubernetes.io/last-applied-configuration');

    writeFileSync(join(dir, 'w1-bad.yaml'), widget('medium'));
    const invalid = await kubectl('apply', '-f', join(dir, 'w1-bad.yaml'));
    expect(invalid.code).not.toBe(0);
    expect(invalid.err).toContain('spec.size: Unsupported value: "medium": supported values: "small", "large"');
    writeFileSync(join(dir, 'w1-unknown.yaml'), widget('small', '  color: red\n'));
    const unknown = await kubectl('apply', '-f', join(dir, 'w1-unknown.yaml'));
    expect(unknown.code).not.toBe(0);
    expect(unknown.err).toContain('unknown field "spec.color"');

    expect(await kubectl('patch', 'widget', 'w1', '--type=merge', '-p', '{"spec":{"size":"large"}}')).toMatchObject({ code: 0, out: 'widget.example.com/w1 patched\n' });
    const smp = await kubectl('patch', 'widget', 'w1', '-p', '{"spec":{"size":"small"}}');
    expect(smp.code).not.toBe(0);
    expect(smp.err).toContain('application/strategic-merge-patch+json is not supported by example.com/v1, Kind=Widget');
    // A second client-side apply patches what changed since the last applied configuration.
    writeFileSync(join(dir, 'w1.yaml'), widget('small', '  replicas: 2\n'));
    expect(await kubectl('apply', '-f', join(dir, 'w1.yaml'))).toMatchObject({ code: 0, out: 'widget.example.com/w1 configured\n' });
    expect((await kubectl('get', 'widget', 'w1', '-o', 'jsonpath={.spec.size}/{.spec.replicas}')).out).toBe('small/2');

    expect(await kubectl('scale', 'widget', 'w1', '--replicas=5')).toMatchObject({ code: 0, out: 'widget.example.com/w1 scaled\n' });
    expect((await kubectl('get', 'widget', 'w1', '-o', 'jsonpath={.spec.replicas}')).out).toBe('5');

    writeFileSync(join(dir, 'w2.yaml'), widget('large').replace('name: w1', 'name: w2'));
    expect(await kubectl('apply', '--server-side', '-f', join(dir, 'w2.yaml'))).toMatchObject({ code: 0, out: 'widget.example.com/w2 serverside-applied\n' });
    // kubectl diff of an object no client-side apply wrote: kubectl's dry-run merge patch sets
    // metadata.annotations: {}, which the server drops as 1.32's does (ObjectMeta is omitempty),
    // so only the change shows.
    writeFileSync(join(dir, 'w2-small.yaml'), widget('small').replace('name: w1', 'name: w2'));
    const diff = await kubectl('diff', '-f', join(dir, 'w2-small.yaml'));
    expect(diff.code, diff.err).toBe(1);
    expect(diff.out).toMatch(/^-  size: large\n\+  size: small$/m);
    expect(diff.out).not.toContain('annotations');
    const explain = await kubectl('explain', 'widgets.spec');
    expect(explain.code, explain.err).toBe(0);
    expect(explain.out).toContain('size');

    expect(await kubectl('delete', '-f', join(dir, 'crd.yaml'))).toMatchObject({ code: 0, out: 'customresourcedefinition.apiextensions.k8s.io "widgets.example.com" deleted\n' });
    await eventually(async () => (await kubectl('get', 'crd')).out === '' || undefined, { what: 'the CRD gone' });
    // (kubectl's discovery cache still knows the resource: the server says it is not found)
    const gone = await kubectl('get', 'widgets');
    expect(gone.code).not.toBe(0);
    expect(gone.err).toContain('the server could not find the requested resource');
    const fresh = await kubectlAt(cp.kubeconfig, join(dir, 'cache2'), ['get', 'widgets']);
    expect(fresh.err).toContain(`the server doesn't have a resource type "widgets"`);
  });
  it('CEL validation rules: kubectl apply prints the rule message, a CRD with a bad rule is refused', async () => {
    const crd = (rule: string) => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            x-kubernetes-validations:
            - rule: "${rule}"
              message: minReplicas must not exceed maxReplicas
            properties:
              minReplicas: {type: integer}
              maxReplicas: {type: integer}
              zone:
                type: string
                x-kubernetes-validations:
                - rule: self == oldSelf
                  message: zone is immutable
`;
    writeFileSync(join(dir, 'gadgets-bad.yaml'), crd('self.minReplicas <= self.maxReplica'));
    const bad = await kubectl('apply', '-f', join(dir, 'gadgets-bad.yaml'));
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('The CustomResourceDefinition "gadgets.example.com" is invalid: spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Invalid value: apiextensions.ValidationRule{Rule:"self.minReplicas <= self.maxReplica"');
    expect(bad.err).toContain("compilation failed: ERROR: <input>:1:25: undefined field 'maxReplica'");

    writeFileSync(join(dir, 'gadgets.yaml'), crd('self.minReplicas <= self.maxReplicas'));
    expect(await kubectl('apply', '-f', join(dir, 'gadgets.yaml'))).toMatchObject({ code: 0, out: 'customresourcedefinition.apiextensions.k8s.io/gadgets.example.com created\n' });
    expect((await kubectl('wait', '--for=condition=Established', 'crd/gadgets.example.com', '--timeout=10s')).code).toBe(0);
    const gadget = (min: number, max: number, zone: string) => `apiVersion: example.com/v1
kind: Gadget
metadata:
  name: g1
spec:
  minReplicas: ${min}
  maxReplicas: ${max}
  zone: ${zone}
`;
    writeFileSync(join(dir, 'g1.yaml'), gadget(5, 2, 'a'));
    const refused = await kubectl('apply', '-f', join(dir, 'g1.yaml'));
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain('The Gadget "g1" is invalid: spec: Invalid value: "object": minReplicas must not exceed maxReplicas');
    writeFileSync(join(dir, 'g1.yaml'), gadget(1, 2, 'a'));
    expect(await kubectl('apply', '-f', join(dir, 'g1.yaml'))).toMatchObject({ code: 0, out: 'gadget.example.com/g1 created\n' });
    writeFileSync(join(dir, 'g1.yaml'), gadget(1, 2, 'b'));
    const immutable = await kubectl('apply', '-f', join(dir, 'g1.yaml'));
    expect(immutable.code).not.toBe(0);
    expect(immutable.err).toContain('The Gadget "g1" is invalid: spec.zone: Invalid value: "b": zone is immutable');
    writeFileSync(join(dir, 'g1.yaml'), gadget(1, 3, 'a'));
    expect(await kubectl('apply', '-f', join(dir, 'g1.yaml'))).toMatchObject({ code: 0, out: 'gadget.example.com/g1 configured\n' });
    expect(await kubectl('delete', '-f', join(dir, 'gadgets.yaml'))).toMatchObject({ code: 0 });
  });

  it('an embedded resource\'s metadata is kept as ObjectMeta writes it: empty fields gone, creationTimestamp null, unknown fields refused', async () => {
    writeFileSync(join(dir, 'templates.yaml'), `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: templates.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: templates, singular: template, kind: Template}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              pod: {type: object, x-kubernetes-embedded-resource: true, x-kubernetes-preserve-unknown-fields: true}
`);
    expect((await kubectl('apply', '-f', join(dir, 'templates.yaml'))).code).toBe(0);
    expect((await kubectl('wait', '--for=condition=Established', 'crd/templates.example.com', '--timeout=10s')).code).toBe(0);
    const template = (meta: string) => `apiVersion: example.com/v1
kind: Template
metadata: {name: t1}
spec:
  pod:
    apiVersion: v1
    kind: Pod
    metadata: ${meta}
    spec: {containers: [{name: c, image: busybox}]}
`;
    const unknown = await kubectlAt(cp.kubeconfig, join(dir, 'cache'), ['create', '-f', '-'], template('{name: p, foo: bar}'));
    expect(unknown.code).not.toBe(0);
    expect(unknown.err).toContain('unknown field "spec.pod.metadata.foo"');
    const created = await kubectlAt(cp.kubeconfig, join(dir, 'cache'), ['create', '-f', '-'], template('{labels: {app: web}, annotations: {}, finalizers: []}'));
    expect(created).toMatchObject({ code: 0, out: 'template.example.com/t1 created\n' });
    expect((await kubectl('get', 'template', 't1', '-o', 'jsonpath={.spec.pod.metadata}')).out).toBe('{"creationTimestamp":null,"labels":{"app":"web"}}');
    expect(await kubectl('delete', '-f', join(dir, 'templates.yaml'))).toMatchObject({ code: 0 });
  });
});
