// ValidatingAdmissionPolicies with the stock kubectl (apiserver and etcd; no node needed):
// `kubectl apply` of a policy and its binding, `kubectl create deployment --replicas=6` refused
// with the policy's message, the Warn action's warning printed by kubectl, and kube's columns.
import { describe, expect, it } from 'vitest';
import { eventually } from '../helpers/control-plane.js';
import { hasKubectl, kubectlControlPlane } from '../helpers/kubectl.js';

const ctl = kubectlControlPlane();
const kubectl = (...args: string[]) => ctl.run(args);
const apply = (yaml: string) => ctl.kubectlIn(yaml, 'apply', '-f', '-');

const policy = `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: replicas-limit
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - apiGroups: ["apps"]
      apiVersions: ["v1"]
      operations: ["CREATE", "UPDATE"]
      resources: ["deployments"]
  validations:
  - expression: "object.spec.replicas <= 5"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: replicas-limit
spec:
  policyName: replicas-limit
  validationActions: [Deny]
`;

describe.skipIf(!hasKubectl)('kubectl and ValidatingAdmissionPolicies', () => {
  it('applies a policy and its binding; kubectl create deployment --replicas=6 prints the denial', async () => {
    expect(await apply(policy)).toBe('validatingadmissionpolicy.admissionregistration.k8s.io/replicas-limit created\nvalidatingadmissionpolicybinding.admissionregistration.k8s.io/replicas-limit created\n');
    const denied = await eventually(async () => {
      const r = await kubectl('create', 'deployment', 'web', '--image=busybox', '--replicas=6');
      if (r.code === 0) throw new Error('created');
      return r;
    });
    expect(denied.err.trim()).toBe(`error: failed to create deployment: deployments.apps "web" is forbidden: ValidatingAdmissionPolicy 'replicas-limit' with binding 'replicas-limit' denied request: failed expression: object.spec.replicas <= 5`);
    const ok = await kubectl('create', 'deployment', 'web', '--image=busybox', '--replicas=5');
    expect(ok.out).toBe('deployment.apps/web created\n');
    // kubectl apply prints a 422 as kube's: the cause without a field
    const deployment = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: eight}\nspec:\n  replicas: 8\n  selector: {matchLabels: {app: eight}}\n  template:\n    metadata: {labels: {app: eight}}\n    spec: {containers: [{name: c, image: busybox}]}\n';
    const applied = await ctl.run(['apply', '-f', '-'], deployment);
    expect(applied.code).not.toBe(0);
    expect(applied.err.trim()).toBe(`The deployments "eight" is invalid: : ValidatingAdmissionPolicy 'replicas-limit' with binding 'replicas-limit' denied request: failed expression: object.spec.replicas <= 5`);
  });

  it('lists them with kube columns; a Warn binding lets the request through with a warning', async () => {
    const p = await kubectl('get', 'validatingadmissionpolicies');
    expect(p.out).toMatch(/^NAME\s+VALIDATIONS\s+PARAMKIND\s+AGE\nreplicas-limit\s+1\s+<unset>\s+\d+s\n$/);
    expect((await kubectl('patch', 'validatingadmissionpolicybinding', 'replicas-limit', '--type=merge', '-p', '{"spec":{"validationActions":["Warn"]}}')).code).toBe(0);
    const b = await kubectl('get', 'validatingadmissionpolicybindings');
    expect(b.out).toMatch(/^NAME\s+POLICYNAME\s+PARAMREF\s+AGE\nreplicas-limit\s+replicas-limit\s+<unset>\s+\d+s\n$/);
    const warned = await eventually(async () => {
      const r = await kubectl('create', 'deployment', 'big', '--image=busybox', '--replicas=9');
      if (r.code !== 0) throw new Error(r.err);
      return r;
    });
    expect(warned.err).toContain(`Warning: Validation failed for ValidatingAdmissionPolicy 'replicas-limit' with binding 'replicas-limit': failed expression: object.spec.replicas <= 5`);
    const described = await kubectl('describe', 'validatingadmissionpolicy', 'replicas-limit');
    expect(described.code, described.err).toBe(0);
    expect(described.out).toMatch(/Expression:\s+object\.spec\.replicas <= 5/);
    await eventually(async () => expect((await kubectl('get', 'validatingadmissionpolicy', 'replicas-limit', '-o', 'jsonpath={.status.observedGeneration}')).out).toBe('1'));
    const explain = await kubectl('explain', 'validatingadmissionpolicybinding.spec.paramRef');
    expect(explain.out).toContain('parameterNotFoundAction');
    expect(explain.out).toMatch(/GROUP:\s+admissionregistration\.k8s\.io/);
    const res = await kubectl('api-resources', '--api-group=admissionregistration.k8s.io');
    expect(res.out).toMatch(/validatingadmissionpolicies\s+admissionregistration\.k8s\.io\/v1\s+false\s+ValidatingAdmissionPolicy/);
    expect(res.out).toMatch(/validatingadmissionpolicybindings\s+admissionregistration\.k8s\.io\/v1\s+false\s+ValidatingAdmissionPolicyBinding/);
  });
});
