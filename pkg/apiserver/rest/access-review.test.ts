import { describe, expect, it } from 'vitest';
import type { Authorizer } from '../authorizer.js';
import type { ApiError } from '../errors.js';
import { answerReview, type ReviewDeps } from './access-review.js';

const admin = { name: 'admin', groups: ['system:masters', 'system:authenticated'] };
const authorizer: Authorizer = {
  authorize: async () => ({ allowed: true }),
  authorizePath: () => ({ allowed: true }),
  rulesFor: () => ({ resourceRules: [], nonResourceRules: [], incomplete: false }),
};
const deps: ReviewDeps = { authorizer, load: async () => undefined };

const sar = (spec: object) => ({ apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec });
const refusal = async (spec: object) => ((await answerReview('subjectaccessreviews', admin, sar(spec), undefined, deps).catch((e: unknown) => e)) as ApiError).message;
const pods = { verb: 'list', resource: 'pods', namespace: 'a' };

describe('SubjectAccessReview validation', () => {
  it('a selector is a raw selector or requirements, not both and not neither (validateFieldSelectorAttributes)', async () => {
    expect(await refusal({ user: 'x', resourceAttributes: { ...pods, fieldSelector: { rawSelector: 'spec.nodeName=n', requirements: [{ key: 'a', operator: 'In', values: ['b'] }] } } })).toBe(
      'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes.fieldSelector.rawSelector: Invalid value: "spec.nodeName=n": may not specified at the same time as requirements',
    );
    expect(await refusal({ user: 'x', resourceAttributes: { ...pods, labelSelector: {} } })).toBe(
      'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes.labelSelector.requirements: Required value: when spec.resourceAttributes.labelSelector is specified, requirements or rawSelector is required',
    );
  });

  it('requirements as ValidateFieldSelectorRequirement and ValidateLabelSelectorRequirement check them; unknown operators pass', async () => {
    const m = await refusal({
      user: 'x',
      resourceAttributes: {
        ...pods,
        fieldSelector: { requirements: [{ key: '', operator: 'In' }, { key: 'k', operator: 'Exists', values: ['v'] }, { key: 'k', operator: 'Newer' }] },
        labelSelector: { requirements: [{ key: 'a b', operator: 'NotIn', values: ['ok', 'not ok'] }] },
      },
    });
    expect(m).toContain('spec.resourceAttributes.fieldSelector.requirements[0].key: Required value: must be specified');
    expect(m).toContain("spec.resourceAttributes.fieldSelector.requirements[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'");
    expect(m).toContain("spec.resourceAttributes.fieldSelector.requirements[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    expect(m).not.toContain('requirements[2]');
    expect(m).toContain('spec.resourceAttributes.labelSelector.requirements[0].key: Invalid value: "a b"');
    expect(m).toContain('spec.resourceAttributes.labelSelector.requirements[0].values[1]: Invalid value: "not ok"');
    // A raw selector that does not parse is the authorizer's to weigh, not a validation error.
    const ok = await answerReview('subjectaccessreviews', admin, sar({ user: 'x', resourceAttributes: { ...pods, labelSelector: { rawSelector: 'a in (b' } } }), undefined, deps);
    expect((ok as { status?: { allowed?: boolean } }).status?.allowed).toBe(true);
  });

  it('prints non-resource attributes as Go prints the struct', async () => {
    expect(await refusal({ user: 'x', resourceAttributes: pods, nonResourceAttributes: { path: '/healthz', verb: 'get' } })).toBe(
      'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.nonResourceAttributes: Invalid value: authorization.NonResourceAttributes{Path:"/healthz", Verb:"get"}: cannot be specified in combination with resourceAttributes',
    );
    expect(await refusal({ user: 'x' })).toBe('SubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified');
  });
});
