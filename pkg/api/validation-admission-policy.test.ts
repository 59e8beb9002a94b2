import { describe, expect, it } from 'vitest';
import { formatFieldError } from './field-error.js';
import { defaultValidatingAdmissionPolicy, validateValidatingAdmissionPolicy, validateValidatingAdmissionPolicyBinding } from './validation-admission-policy.js';

const rules = { resourceRules: [{ operations: ['CREATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments'] }] };
const policyErrors = (spec: Record<string, unknown>) => {
  const p = { metadata: { name: 'p' }, spec: { matchConstraints: rules, ...spec } };
  defaultValidatingAdmissionPolicy(p as never);
  return validateValidatingAdmissionPolicy(p as never).map(formatFieldError);
};
const bindingErrors = (spec: Record<string, unknown>) => validateValidatingAdmissionPolicyBinding({ metadata: { name: 'b' }, spec: { policyName: 'p', validationActions: ['Deny'], ...spec } } as never).map(formatFieldError);

describe('ValidatingAdmissionPolicy validation', () => {
  it('accepts a valid policy', () => {
    expect(policyErrors({ validations: [{ expression: 'object.spec.replicas <= 5', messageExpression: "'too many: ' + string(object.spec.replicas)" }] })).toEqual([]);
  });

  it('names expressions that do not compile, with the compiler error', () => {
    const [e] = policyErrors({ validations: [{ expression: 'object.spec.replicas <= ' }] });
    expect(e).toMatch(/^spec\.validations\[0\]\.expression: Invalid value: "object\.spec\.replicas <=": compilation failed: ERROR: <input>:1:\d+: /);
    // (the result type, as CompileCELExpression checks it)
    expect(policyErrors({ validations: [{ expression: "'a string'" }] })).toEqual([`spec.validations[0].expression: Invalid value: "'a string'": must evaluate to bool`]);
    expect(policyErrors({ validations: [{ expression: 'true', messageExpression: '1' }] })).toEqual(['spec.validations[0].messageExpression: Invalid value: "1": must evaluate to string']);
    expect(policyErrors({ validations: [{ expression: 'true', messageExpression: "'n=' + string(1)" }], auditAnnotations: [{ key: 'k', valueExpression: 'null' }] })).toEqual([]);
    expect(policyErrors({ auditAnnotations: [{ key: 'k', valueExpression: '1 + 2' }] })).toEqual(['spec.auditAnnotations[0].valueExpression: Invalid value: "1 + 2": must evaluate to one of [string null_type]']);
    // authorizer in validations, not in messageExpressions
    expect(policyErrors({ validations: [{ expression: "authorizer.group('apps').resource('deployments').check('get').allowed()" }] })).toEqual([]);
    expect(policyErrors({ validations: [{ expression: 'true', messageExpression: "authorizer.path('/').check('get').reason()" }] })[0]).toMatch(/^spec\.validations\[0\]\.messageExpression: Invalid value: .*compilation failed: ERROR: .*undeclared reference to 'authorizer'/);
  });

  it('lets variables refer only to earlier ones and keeps variables out of matchConditions', () => {
    expect(policyErrors({ variables: [{ name: 'a', expression: '1' }, { name: 'b', expression: 'variables.a + 1' }], validations: [{ expression: 'variables.b > 0' }] })).toEqual([]);
    expect(policyErrors({ variables: [{ name: 'a', expression: 'variables.b' }, { name: 'b', expression: '1' }], validations: [{ expression: 'true' }] })[0]).toMatch(/^spec\.variables\[0\]\.expression: Invalid value: "variables\.b": compilation failed: /);
    expect(policyErrors({ matchConditions: [{ name: 'm', expression: 'variables.a == 1' }], variables: [{ name: 'a', expression: '1' }], validations: [{ expression: 'true' }] })[0]).toMatch(/^spec\.matchConditions\[0\]\.expression: Invalid value: "variables\.a == 1": compilation failed: /);
    expect(policyErrors({ variables: [{ name: '1a', expression: '1' }], validations: [{ expression: 'true' }] })).toEqual(['spec.variables[0].name: Invalid value: "1a": name is not a valid CEL identifier']);
  });

  it("checks the rest of the spec in Kubernetes' words", () => {
    expect(policyErrors({})).toEqual(['spec.validations: Required value: validations or auditAnnotations must contain at least one item']);
    expect(policyErrors({ matchConstraints: {}, validations: [{ expression: 'true', reason: 'Nope' }], failurePolicy: 'Maybe', paramKind: { apiVersion: 'a/b/c' } })).toEqual([
      'spec.failurePolicy: Unsupported value: "Maybe": supported values: "Fail", "Ignore"',
      'spec.paramKind.apiVersion: Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c',
      'spec.paramKind.kind: Required value',
      'spec.matchConstraints.resourceRules: Required value',
      'spec.validations[0].reason: Unsupported value: "Nope": supported values: "Unauthorized", "Forbidden", "Invalid", "RequestEntityTooLarge"',
    ]);
  });
});

describe('ValidatingAdmissionPolicyBinding validation', () => {
  it('accepts a valid binding and checks policyName, paramRef and validationActions', () => {
    expect(bindingErrors({ paramRef: { name: 'limits', namespace: 'default', parameterNotFoundAction: 'Deny' } })).toEqual([]);
    expect(bindingErrors({ policyName: '', validationActions: [] })).toEqual(['spec.policyName: Required value', 'spec.validationActions: Required value: at least one validation action is required']);
    expect(bindingErrors({ paramRef: { name: 'x', selector: {}, parameterNotFoundAction: 'Maybe' }, validationActions: ['Audit', 'Audit', 'Log'] })).toEqual([
      'spec.paramRef.name: Forbidden: name and selector are mutually exclusive',
      'spec.paramRef.parameterNotFoundAction: Unsupported value: "Maybe": supported values: "Allow", "Deny"',
      'spec.validationActions[1]: Duplicate value: "Audit"',
      'spec.validationActions[2]: Unsupported value: "Log": supported values: "Audit", "Deny", "Warn"',
    ]);
    expect(bindingErrors({ paramRef: { parameterNotFoundAction: 'Allow' } })).toEqual(['spec.paramRef: Required value: one of name or selector must be specified']);
  });
});
