import { describe, expect, it } from 'vitest';
import { applyTypingErrors, customApplyTypingErrors, typingErrorText } from './apply-typing.js';
import type { JSONSchemaProps } from './crd-schema.js';

const deployment = (spec: Record<string, unknown>) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec });
const template = (containers: unknown[]) => ({ selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers } } });

describe('apply configuration typing (structured-merge-diff validatingObjectWalker)', () => {
  it('types a well-formed configuration without errors: quantities and int-or-strings take numbers or strings', () => {
    const c = { name: 'app', image: 'x', ports: [{ containerPort: 80 }], resources: { limits: { cpu: 1, memory: '1Gi' } }, readinessProbe: { httpGet: { port: 'http' } } };
    expect(applyTypingErrors('Deployment', deployment({ replicas: 2, ...template([c]) }))).toEqual([]);
    expect(applyTypingErrors('Service', { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 53, protocol: 'UDP' }, { port: 53 }] } })).toEqual([]);
  });

  it('names a field the schema does not declare by its path, list items by their keys', () => {
    expect(applyTypingErrors('ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', data: { a: '1' }, foo: 'bar' })).toEqual(['.foo: field not declared in schema']);
    expect(applyTypingErrors('Deployment', deployment(template([{ name: 'app', image: 'x', imagePullPolicyy: 'Always' }])))).toEqual([
      '.spec.template.spec.containers[name="app"].imagePullPolicyy: field not declared in schema',
    ]);
    // (an atomic list's items by index)
    expect(applyTypingErrors('Pod', { spec: { containers: [{ name: 'a', image: 'x' }], tolerations: [{ key: 'k', effects: 'NoSchedule' }] } })).toEqual(['.spec.tolerations[0].effects: field not declared in schema']);
  });

  it('reports scalars of the wrong kind in validateScalar\'s words', () => {
    expect(applyTypingErrors('ConfigMap', { data: { a: 1, b: ['x'], c: { k: true } } })).toEqual([
      '.data.a: expected string, got &value.valueUnstructured{Value:1}',
      '.data.b: expected string, got &value.valueUnstructured{Value:[]interface {}{"x"}}',
      '.data.c: expected string, got &value.valueUnstructured{Value:map[string]interface {}{"k":true}}',
    ]);
    expect(applyTypingErrors('Deployment', deployment({ replicas: 'two', paused: 'yes' }))).toEqual(['.spec.replicas: expected numeric (int or float), got string', '.spec.paused: expected boolean, got &{yes}']);
    expect(applyTypingErrors('Deployment', deployment({ selector: 'app=web' }))).toEqual(['.spec.selector: expected map, got &{app=web}']);
  });

  it('reports list items without their key and duplicate keys (the port protocol defaults to TCP)', () => {
    expect(applyTypingErrors('Pod', { spec: { containers: [{ image: 'x' }, { name: 'b', bogus: 1 }] } })).toEqual([
      '.spec.containers: element 0: associative list with keys has an element that omits key field "name" (and doesn\'t have default value)',
    ]);
    expect(applyTypingErrors('Pod', { spec: { containers: [{ name: 'a', ports: [{ containerPort: 80 }, { containerPort: 80, protocol: 'TCP' }] }] } })).toEqual([
      '.spec.containers[name="a"].ports: duplicate entries for key [containerPort=80,protocol="TCP"]',
    ]);
    expect(applyTypingErrors('Pod', { metadata: { finalizers: ['a', { b: 1 }] } })).toEqual(['.metadata.finalizers: element 1: associative list without keys has an element that\'s a map type']);
  });

  it('keeps every error, and stops in a map at the first field it does not know', () => {
    const errs = applyTypingErrors('Pod', { spec: { containers: [{ name: 'a', bogus: 1, image: 2 }, { name: 'b', image: 3 }], terminationGracePeriodSeconds: 'soon' } });
    expect(errs).toEqual([
      '.spec.containers[name="a"].bogus: field not declared in schema',
      '.spec.containers[name="b"].image: expected string, got &value.valueUnstructured{Value:3}',
      '.spec.terminationGracePeriodSeconds: expected numeric (int or float), got string',
    ]);
    expect(typingErrorText(errs)).toBe(
      'errors:\n  .spec.containers[name="a"].bogus: field not declared in schema\n  .spec.containers[name="b"].image: expected string, got &value.valueUnstructured{Value:3}\n  .spec.terminationGracePeriodSeconds: expected numeric (int or float), got string',
    );
    expect(typingErrorText(errs.slice(0, 1))).toBe('.spec.containers[name="a"].bogus: field not declared in schema');
  });

  it('types a custom resource by its version\'s structural schema', () => {
    const schema: JSONSchemaProps = {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: {
            size: { type: 'integer' },
            tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
            ports: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: { type: 'object', properties: { name: { type: 'string' }, port: { type: 'integer' } } } },
            args: { type: 'array', items: { type: 'string' } },
            free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
            env: { type: 'object', additionalProperties: { type: 'string' } },
            port: { 'x-kubernetes-int-or-string': true },
          },
        },
      },
    };
    const widget = (spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: 'w' }) => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata, spec });
    expect(customApplyTypingErrors(schema, widget({ size: 1, tags: ['a'], ports: [{ name: 'x', port: 1 }], args: ['p'], free: { any: { thing: 1 } }, env: { A: 'b' }, port: 'http' }))).toEqual([]);
    expect(customApplyTypingErrors(schema, widget({ size: '1', tags: ['a', 'a'], ports: [{ port: 1 }], args: [1], env: { A: 2 }, port: {}, colour: 'red' }, { name: 'w', bogus: 1 }))).toEqual([
      '.metadata.bogus: field not declared in schema',
      '.spec.size: expected numeric (int or float), got string',
      '.spec.tags: duplicate entries for key [="a"]',
      '.spec.ports: element 0: associative list with keys has an element that omits key field "name" (and doesn\'t have default value)',
      '.spec.args[0]: expected string, got &value.valueUnstructured{Value:1}',
      '.spec.env.A: expected string, got &value.valueUnstructured{Value:2}',
      '.spec.port: expected any scalar, got &{map[]}',
      '.spec.colour: field not declared in schema',
    ]);
    // (a status the schema does not declare is a field like any other; a schema-less version takes anything)
    expect(customApplyTypingErrors(schema, { ...widget({}), status: { ready: true } })).toEqual(['.status: field not declared in schema']);
    expect(customApplyTypingErrors(undefined, { ...widget({ anything: 1 }), more: true })).toEqual([]);
  });
});
