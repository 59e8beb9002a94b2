import { describe, expect, it } from 'vitest';
import { celAuthorizer, checkKey, NeedDecision } from '../api/admission-policy-authorizer.js';
import { evaluatePolicy } from './admission-policy.js';

type Spec = Parameters<typeof evaluatePolicy>[0]['spec'];
const policy = (spec: Spec) => ({ metadata: { name: 'p' }, spec: { failurePolicy: 'Fail', ...spec } });
const deployment = (replicas: number, labels: Record<string, string> = {}) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', labels }, spec: { replicas } });
const input = (object: unknown, extra: Record<string, unknown> = {}) => ({ object, oldObject: null, request: { operation: 'CREATE', namespace: 'default' }, params: null, namespaceObject: { metadata: { name: 'default', labels: { env: 'dev' } } }, ...extra });

describe('evaluatePolicy', () => {
  it('fails a false validation with the failed expression, its message or its messageExpression, and its reason', () => {
    const r = evaluatePolicy(policy({ validations: [{ expression: 'object.spec.replicas <= 5' }] }), input(deployment(6)));
    expect(r?.failures).toEqual([{ message: 'failed expression: object.spec.replicas <= 5', reason: 'Invalid', expressionIndex: 0 }]);
    expect(evaluatePolicy(policy({ validations: [{ expression: 'object.spec.replicas <= 5' }] }), input(deployment(5)))?.failures).toEqual([]);
    const m = evaluatePolicy(
      policy({
        validations: [
          { expression: 'true' },
          { expression: 'false', message: ' static ', reason: 'Forbidden' },
          { expression: 'false', message: 'static', messageExpression: "'replicas: ' + string(object.spec.replicas)" },
          { expression: 'false', message: 'fallback', messageExpression: "'two\\nlines'" },
          { expression: 'false', message: 'fallback too', messageExpression: 'object.nope' },
        ],
      }),
      input(deployment(7)),
    );
    expect(m?.failures).toEqual([
      { message: 'static', reason: 'Forbidden', expressionIndex: 1 },
      { message: 'replicas: 7', reason: 'Invalid', expressionIndex: 2 },
      { message: 'fallback', reason: 'Invalid', expressionIndex: 3 },
      { message: 'fallback too', reason: 'Invalid', expressionIndex: 4 },
    ]);
  });

  it('sees params, namespaceObject, request and oldObject', () => {
    const spec = { validations: [{ expression: "object.spec.replicas <= int(params.data.max) && namespaceObject.metadata.labels.env == 'dev' && request.operation == 'CREATE' && oldObject == null" }] };
    expect(evaluatePolicy(policy(spec), input(deployment(3), { params: { data: { max: '3' } } }))?.failures).toEqual([]);
    expect(evaluatePolicy(policy(spec), input(deployment(4), { params: { data: { max: '3' } } }))?.failures).toHaveLength(1);
  });

  it('skips the policy when a matchCondition is false, even if another failed; an error alone follows failurePolicy', () => {
    const conditions = [
      { name: 'bad', expression: 'object.nope == 1' },
      { name: 'labelled', expression: "'check' in object.metadata.labels" },
    ];
    const spec = { matchConditions: conditions, validations: [{ expression: 'false' }] };
    expect(evaluatePolicy(policy(spec), input(deployment(1)))).toBeUndefined();
    expect(evaluatePolicy(policy(spec), input(deployment(1, { check: 'y' })))?.failures).toEqual([{ message: "expression 'object.nope == 1' resulted in error: no such key: nope", reason: 'Invalid', expressionIndex: -1 }]);
    expect(evaluatePolicy(policy({ ...spec, failurePolicy: 'Ignore' }), input(deployment(1, { check: 'y' })))?.failures).toEqual([]);
  });

  it('evaluates variables lazily, once, in terms of earlier ones; an unused failing variable does no harm', () => {
    const spec = {
      variables: [
        { name: 'broken', expression: 'object.nope' },
        { name: 'replicas', expression: 'object.spec.replicas' },
        { name: 'tooMany', expression: 'variables.replicas > 5' },
      ],
      validations: [{ expression: '!variables.tooMany', messageExpression: "'replicas ' + string(variables.replicas)" }],
    };
    expect(evaluatePolicy(policy(spec), input(deployment(9)))?.failures).toEqual([{ message: 'replicas 9', reason: 'Invalid', expressionIndex: 0 }]);
    expect(evaluatePolicy(policy(spec), input(deployment(2)))?.failures).toEqual([]);
    const usesBroken = { ...spec, validations: [{ expression: 'variables.broken == 1' }] };
    expect(evaluatePolicy(policy(usesBroken), input(deployment(2)))?.failures[0]?.message).toBe("expression 'object.nope' resulted in error: no such key: nope");
  });

  it('runtime errors fail under Fail and are dropped under Ignore; audit annotations are string or null', () => {
    const spec = { validations: [{ expression: 'object.spec.paused' }], auditAnnotations: [{ key: 'replicas', valueExpression: "'r=' + string(object.spec.replicas)" }, { key: 'none', valueExpression: 'null' }] };
    const failed = evaluatePolicy(policy(spec), input(deployment(2)));
    expect(failed?.failures).toEqual([{ message: "expression 'object.spec.paused' resulted in error: no such key: paused", reason: 'Invalid', expressionIndex: 0 }]);
    expect(failed?.annotations).toEqual({ 'p/replicas': 'r=2' });
    expect(evaluatePolicy(policy({ ...spec, failurePolicy: 'Ignore' }), input(deployment(2)))?.failures).toEqual([]);
    const wrongType = evaluatePolicy(policy({ auditAnnotations: [{ key: 'n', valueExpression: '1' }] }), input(deployment(2)));
    expect(wrongType?.failures[0]?.message).toBe("valueExpression '1' resulted in unsupported return type: int. Return type must be either string or null.");
  });

  it('sees DELETEs: object null, oldObject set', () => {
    const spec = { validations: [{ expression: 'object == null && oldObject.spec.replicas == 0', message: 'scale to zero first' }] };
    expect(evaluatePolicy(policy(spec), input(null, { oldObject: deployment(3) }))?.failures[0]?.message).toBe('scale to zero first');
    expect(evaluatePolicy(policy(spec), input(null, { oldObject: deployment(0) }))?.failures).toEqual([]);
  });

  it('asks the authorizer for what it does not know yet, then answers from what it was told', () => {
    const user = { name: 'alice', groups: ['devs'] };
    const spec = { validations: [{ expression: "authorizer.group('apps').resource('deployments').namespace('ns').check('delete').allowed()", message: 'alice may not' }] };
    const known = new Map();
    let asked: unknown;
    try {
      evaluatePolicy(policy(spec), input(deployment(1), { authorizer: celAuthorizer(user, known, undefined) }));
    } catch (e) {
      expect(e).toBeInstanceOf(NeedDecision);
      asked = (e as NeedDecision).check;
      known.set((e as NeedDecision).key, { allowed: false, reason: 'no binding' });
    }
    expect(asked).toEqual({ user, verb: 'delete', group: 'apps', resource: 'deployments', namespace: 'ns' });
    expect(evaluatePolicy(policy(spec), input(deployment(1), { authorizer: celAuthorizer(user, known, undefined) }))?.failures[0]?.message).toBe('alice may not');
    const reason = { validations: [{ expression: 'false', messageExpression: 'variables.d' }], variables: [{ name: 'd', expression: "authorizer.path('/metrics').check('get').reason()" }] };
    known.set(checkKey({ user, verb: 'get', path: '/metrics' }), { allowed: false, reason: 'not for you' });
    // (messageExpressions do not see authorizer, but the variables they use do)
    expect(evaluatePolicy(policy(reason), input(deployment(1), { authorizer: celAuthorizer(user, known, undefined) }))?.failures[0]?.message).toBe('not for you');
  });
});
