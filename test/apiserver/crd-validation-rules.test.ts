// CEL validation rules (x-kubernetes-validations) of a CustomResourceDefinition against the real
// apiserver and etcd: a CRD whose rule does not compile is refused with 422 naming the rule;
// custom resources breaking a rule (self comparisons, has(), all(), messageExpression, reason,
// a rule inside a map) are refused with 422 and Kubernetes' wording; the transition rule
// `self == oldSelf` makes a field immutable on update but not on create; status updates run
// the status rules; scaling through /scale runs the rules too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustomResourceDefinitions, type ResourceRef } from '../../pkg/client/rest-client.js';
import type { KubeObject } from '../../pkg/api/types.js';
import { eventually, failure, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;

beforeAll(async () => {
  cp = await startControlPlane({ grpcPort: -1 }, { serviceAccountControllers: false });
});
afterAll(async () => {
  await cp?.stop();
});

const GROUP = 'rules.example.com';
const Pools: ResourceRef = { group: GROUP, version: 'v1', resource: 'pools', namespaced: true };

const specSchema = {
  type: 'object',
  required: ['minReplicas', 'maxReplicas'],
  properties: {
    minReplicas: { type: 'integer' },
    maxReplicas: { type: 'integer' },
    storageClass: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'storageClass is immutable' }] },
    mode: { type: 'string' },
    workers: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, cpu: { type: 'string' } } } },
    selectors: { type: 'object', additionalProperties: { type: 'string', 'x-kubernetes-validations': [{ rule: "self.matches('^[a-z]+$')", message: 'selector values are lowercase words' }] } },
  },
  'x-kubernetes-validations': [
    { rule: 'self.minReplicas <= self.maxReplicas', messageExpression: "'minReplicas (' + string(self.minReplicas) + ') must not exceed maxReplicas (' + string(self.maxReplicas) + ')'" },
    { rule: "!has(self.mode) || self.mode in ['Fast', 'Slow']", message: 'mode must be Fast or Slow', reason: 'FieldValueForbidden' },
    { rule: 'self.workers.all(w, quantity(w.cpu).isLessThan(quantity("4")))' },
  ],
};

const poolsCRD = (spec: unknown = specSchema) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `pools.${GROUP}` },
  spec: {
    group: GROUP,
    scope: 'Namespaced',
    names: { plural: 'pools', kind: 'Pool' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {}, scale: { specReplicasPath: '.spec.maxReplicas', statusReplicasPath: '.status.ready' } },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec,
              status: { type: 'object', properties: { ready: { type: 'integer' } }, 'x-kubernetes-validations': [{ rule: 'self.ready >= 0', message: 'ready must not be negative' }] },
            },
          },
        },
      },
    ],
  },
});

const pool = (name: string, spec: Record<string, unknown>) => ({ apiVersion: `${GROUP}/v1`, kind: 'Pool', metadata: { name }, spec: { minReplicas: 1, maxReplicas: 3, workers: [], ...spec } });

/** The Status of a refused request: code, message and causes. */
async function refused(p: Promise<unknown>) {
  const err = await failure(p);
  return { code: err.status?.code, message: String(err.status?.message), causes: (err.status?.details as { causes?: { reason: string; field: string; message: string }[] } | undefined)?.causes ?? [] };
}

describe('CustomResourceDefinition validation rules', () => {
  it('refuses a CRD whose rule does not compile, naming the rule', async () => {
    const bad = { ...specSchema, 'x-kubernetes-validations': [{ rule: 'self.minReplicas <= self.maxReplicaz' }] };
    const r = await refused(cp.admin.create(CustomResourceDefinitions, undefined, poolsCRD(bad)));
    expect(r.code).toBe(422);
    expect(r.message).toContain(`CustomResourceDefinition.apiextensions.k8s.io "pools.${GROUP}" is invalid: spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Invalid value: apiextensions.ValidationRule{Rule:"self.minReplicas <= self.maxReplicaz"`);
    expect(r.message).toContain("compilation failed: ERROR: <input>:1:25: undefined field 'maxReplicaz'");
    const syntax = await refused(cp.admin.create(CustomResourceDefinitions, undefined, poolsCRD({ ...specSchema, 'x-kubernetes-validations': [{ rule: 'self.minReplicas <=' }] })));
    expect(syntax.message).toContain("compilation failed: ERROR: <input>:1:20: Syntax error: mismatched input '<EOF>'");
  });

  it('checks custom resources against the rules on create', async () => {
    await cp.admin.create(CustomResourceDefinitions, undefined, poolsCRD());
    await eventually(
      async () => {
        const crd = await cp.admin.get<KubeObject & { status: { conditions?: { type: string; status: string }[] } }>(CustomResourceDefinitions, undefined, `pools.${GROUP}`);
        if (!crd.status.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) throw new Error(`not established: ${JSON.stringify(crd.status)}`);
        return true;
      },
      { what: 'pools Established' },
    );
    await eventually(() => cp.admin.list(Pools, 'default'), { what: 'pools served' });

    const ok = await cp.admin.create<KubeObject & { spec: Record<string, unknown> }>(Pools, 'default', pool('ok', { storageClass: 'fast', workers: [{ name: 'a', cpu: '500m' }], selectors: { tier: 'web' } }));
    expect(ok.spec.storageClass).toBe('fast');

    const minMax = await refused(cp.admin.create(Pools, 'default', pool('minmax', { minReplicas: 5, maxReplicas: 2 })));
    expect(minMax.code).toBe(422);
    expect(minMax.message).toBe(`Pool.${GROUP} "minmax" is invalid: spec: Invalid value: minReplicas (5) must not exceed maxReplicas (2)`);
    expect(minMax.causes).toEqual([{ reason: 'FieldValueInvalid', field: 'spec', message: 'Invalid value: minReplicas (5) must not exceed maxReplicas (2)' }]);

    const mode = await refused(cp.admin.create(Pools, 'default', pool('mode', { mode: 'Turbo' })));
    expect(mode.message).toBe(`Pool.${GROUP} "mode" is invalid: spec: Forbidden: mode must be Fast or Slow`);
    expect(mode.causes[0]?.reason).toBe('FieldValueForbidden');

    const cpu = await refused(cp.admin.create(Pools, 'default', pool('cpu', { workers: [{ name: 'a', cpu: '1' }, { name: 'b', cpu: '8' }] })));
    expect(cpu.message).toBe(`Pool.${GROUP} "cpu" is invalid: spec: Invalid value: "object": failed rule: self.workers.all(w, quantity(w.cpu).isLessThan(quantity("4")))`);

    const sel = await refused(cp.admin.create(Pools, 'default', pool('sel', { selectors: { tier: 'Web-1' } })));
    expect(sel.message).toBe(`Pool.${GROUP} "sel" is invalid: spec.selectors[tier]: Invalid value: "Web-1": selector values are lowercase words`);

    const missing = await refused(cp.admin.create(Pools, 'default', pool('missing', { workers: [{ name: 'a' }] })));
    expect(missing.message).toBe(`Pool.${GROUP} "missing" is invalid: spec: Invalid value: "object": no such key: cpu evaluating rule: self.workers.all(w, quantity(w.cpu).isLessThan(quantity("4")))`);

    // Several failures are reported together, as one 422.
    const both = await refused(cp.admin.create(Pools, 'default', pool('both', { minReplicas: 9, mode: 'Turbo' })));
    expect(both.causes.map((c) => c.field)).toEqual(['spec', 'spec']);
  });

  it('makes a field immutable with a transition rule, on update only', async () => {
    const cur = await cp.admin.get<KubeObject & { spec: Record<string, unknown> }>(Pools, 'default', 'ok');
    const changed = await refused(cp.admin.update(Pools, 'default', 'ok', { ...cur, spec: { ...cur.spec, storageClass: 'slow' } }));
    expect(changed.code).toBe(422);
    expect(changed.message).toBe(`Pool.${GROUP} "ok" is invalid: spec.storageClass: Invalid value: "slow": storageClass is immutable`);
    const patched = await refused(cp.admin.patch(Pools, 'default', 'ok', { spec: { storageClass: 'slow' } }));
    expect(patched.message).toContain('spec.storageClass: Invalid value: "slow": storageClass is immutable');
    // Other fields may change; the unchanged storageClass passes its transition rule.
    const scaled = await cp.admin.patch<KubeObject & { spec: Record<string, unknown> }>(Pools, 'default', 'ok', { spec: { maxReplicas: 5 } });
    expect(scaled.spec.maxReplicas).toBe(5);
    // A field absent before has no old value: setting it is not a transition.
    await cp.admin.create(Pools, 'default', pool('later', {}));
    const set = await cp.admin.patch<KubeObject & { spec: Record<string, unknown> }>(Pools, 'default', 'later', { spec: { storageClass: 'fast' } });
    expect(set.spec.storageClass).toBe('fast');
  });

  it('runs the rules when the scale subresource changes the object', async () => {
    const scale = await cp.admin.get<KubeObject & { spec: { replicas: number } }>(Pools, 'default', 'ok', 'scale');
    expect(scale.spec.replicas).toBe(5);
    const tooFew = await refused(cp.admin.update(Pools, 'default', 'ok', { ...scale, spec: { replicas: 0 } }, 'scale'));
    expect(tooFew.code).toBe(422);
    expect(tooFew.message).toBe(`Pool.${GROUP} "ok" is invalid: spec: Invalid value: minReplicas (1) must not exceed maxReplicas (0)`);
    const scaled = await cp.admin.update<KubeObject & { spec: { replicas: number } }>(Pools, 'default', 'ok', { ...scale, spec: { replicas: 4 } }, 'scale');
    expect(scaled.spec.replicas).toBe(4);
  });

  it('runs the status rules on the status subresource', async () => {
    const cur = await cp.admin.get<KubeObject>(Pools, 'default', 'ok');
    const bad = await refused(cp.admin.update(Pools, 'default', 'ok', { ...cur, status: { ready: -1 } }, 'status'));
    expect(bad.code).toBe(422);
    expect(bad.message).toBe(`Pool.${GROUP} "ok" is invalid: status: Invalid value: "object": ready must not be negative`);
    const good = await cp.admin.update<KubeObject & { status: { ready: number } }>(Pools, 'default', 'ok', { ...cur, status: { ready: 2 } }, 'status');
    expect(good.status.ready).toBe(2);
  });
});
