import { describe, expect, it } from 'vitest';
import { structType } from './field-types.js';
import { FieldSet, pathString } from './fieldpath.js';
import { compareObjects, createdFieldsV1, fieldSetOf, FieldSetError, mergeApplied, removeFields } from './fieldset-object.js';
import { createdFieldsV1Scoped } from './field-ownership.js';
import type { KubeObject } from './types.js';

const Pod = structType('Pod');
const paths = (s: FieldSet) => s.paths().map(pathString);

describe('fieldSetOf', () => {
  it('owns leaves and keyed list items, with the list keys Kubernetes uses', () => {
    const s = fieldSetOf(
      {
        metadata: { labels: { app: 'web' }, finalizers: ['a/b'] },
        spec: {
          containers: [{ name: 'app', image: 'x', command: ['sh'], ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }], volumeMounts: [{ name: 'v', mountPath: '/d' }] }],
          volumes: [{ name: 'v', emptyDir: {} }],
          tolerations: [{ key: 'k', operator: 'Exists' }],
        },
      },
      Pod,
    );
    expect(paths(s)).toEqual([
      '.metadata.finalizers[="a/b"]',
      '.metadata.labels.app',
      '.spec.containers[name="app"]',
      '.spec.containers[name="app"].command',
      '.spec.containers[name="app"].env[name="A"]',
      '.spec.containers[name="app"].env[name="A"].name',
      '.spec.containers[name="app"].env[name="A"].value',
      '.spec.containers[name="app"].image',
      '.spec.containers[name="app"].name',
      '.spec.containers[name="app"].ports[containerPort=80,protocol="TCP"]',
      '.spec.containers[name="app"].ports[containerPort=80,protocol="TCP"].containerPort',
      '.spec.containers[name="app"].volumeMounts[mountPath="/d"]',
      '.spec.containers[name="app"].volumeMounts[mountPath="/d"].mountPath',
      '.spec.containers[name="app"].volumeMounts[mountPath="/d"].name',
      '.spec.tolerations',
      '.spec.volumes[name="v"]',
      '.spec.volumes[name="v"].emptyDir',
      '.spec.volumes[name="v"].name',
    ]);
    expect(s.toFieldsV1()).toMatchObject({ 'f:spec': { 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:image': {} } } } });
  });

  it('refuses, when strict, list items without their key or with duplicate keys', () => {
    expect(() => fieldSetOf({ spec: { containers: [{ image: 'x' }] } }, Pod, { strict: true })).toThrow(FieldSetError);
    expect(() => fieldSetOf({ spec: { containers: [{ name: 'a' }, { name: 'a' }] } }, Pod, { strict: true })).toThrow(/duplicate entries/);
    // (in structured-merge-diff's words: the list's path, then the item's index or key)
    expect(() => fieldSetOf({ spec: { containers: [{ name: 'a', env: [{ name: 'A' }, { name: 'B' }, { name: 'A', value: '2' }] }] } }, Pod, { strict: true })).toThrow(
      new FieldSetError('.spec.containers[name="a"].env', 'duplicate entries for key [name="A"]'),
    );
    expect(() => fieldSetOf({ spec: { containers: [{ name: 'a' }, { image: 'x' }] } }, Pod, { strict: true })).toThrow(
      new FieldSetError('.spec.containers', 'element 1: associative list with keys has an element that omits key field "name" (and doesn\'t have default value)'),
    );
    expect(paths(fieldSetOf({ spec: { containers: [{ image: 'x' }] } }, Pod))).toContain('.spec.containers[0]');
  });
});

describe('compareObjects', () => {
  it('reports added nodes with their descendants, modified leaves and removed nodes', () => {
    const a = { metadata: { labels: { app: 'a', gone: 'x' } }, spec: { containers: [{ name: 'c', image: 'v1' }, { name: 'old', image: 'i' }] } };
    const b = { metadata: { labels: { app: 'b' }, annotations: { n: '1' } }, spec: { containers: [{ name: 'c', image: 'v2' }, { name: 'new', image: 'i' }] } };
    const c = compareObjects(a, b, Pod);
    expect(paths(c.added)).toEqual([
      '.metadata.annotations',
      '.metadata.annotations.n',
      '.spec.containers[name="new"]',
      '.spec.containers[name="new"].image',
      '.spec.containers[name="new"].name',
    ]);
    expect(paths(c.modified)).toEqual(['.metadata.labels.app', '.spec.containers[name="c"].image']);
    expect(paths(c.removed)).toEqual(['.metadata.labels.gone', '.spec.containers[name="old"]', '.spec.containers[name="old"].image', '.spec.containers[name="old"].name']);
  });

  it('sees no change between equal objects, whatever their key order', () => {
    const c = compareObjects({ spec: { a: 1, containers: [{ name: 'x', image: 'y' }] } }, { spec: { containers: [{ image: 'y', name: 'x' }], a: 1 } }, Pod);
    expect(c.added.isEmpty() && c.modified.isEmpty() && c.removed.isEmpty()).toBe(true);
  });
});

describe('mergeApplied', () => {
  it('merges maps and keyed lists, replaces atomic lists, unions sets', () => {
    const live = {
      metadata: { labels: { app: 'a', other: 'o' }, finalizers: ['x'] },
      spec: { containers: [{ name: 'a', image: 'v1', imagePullPolicy: 'Always' }, { name: 'b', image: 'v1' }], tolerations: [{ key: 't' }] },
    };
    const config = { metadata: { labels: { app: 'b' }, finalizers: ['y'] }, spec: { containers: [{ name: 'a', image: 'v2' }, { name: 'c', image: 'v3' }], tolerations: [] } };
    expect(mergeApplied(live, config, Pod)).toEqual({
      metadata: { labels: { app: 'b', other: 'o' }, finalizers: ['x', 'y'] },
      spec: {
        containers: [{ name: 'a', image: 'v2', imagePullPolicy: 'Always' }, { name: 'b', image: 'v1' }, { name: 'c', image: 'v3' }],
        tolerations: [],
      },
    });
    expect(live.spec.containers[0]!.image).toBe('v1');
  });
});

describe('removeFields', () => {
  const live = {
    metadata: { labels: { app: 'a', tier: 't' } },
    spec: { containers: [{ name: 'a', image: 'v1' }, { name: 'side', image: 's' }] },
  };
  const set = (...ps: string[][]) => FieldSet.fromPaths(ps);

  it('removes dropped fields nobody keeps, and the maps and structs they leave empty', () => {
    const remove = set(['f:metadata', 'f:labels', 'f:tier'], ['f:spec', 'f:containers', 'k:{"name":"side"}'], ['f:spec', 'f:containers', 'k:{"name":"side"}', 'f:image']);
    expect(removeFields(live, remove, new FieldSet(), Pod)).toEqual({ metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'a', image: 'v1' }] } });
    expect(removeFields({ metadata: { labels: { tier: 't' } } }, remove, new FieldSet(), Pod)).toEqual({});
  });

  it('removes the lists and structs it leaves empty, as structured-merge-diff gives them back null', () => {
    const c = 'k:{"name":"a"}';
    const obj = { spec: { containers: [{ name: 'a', image: 'v1', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }], securityContext: { runAsUser: 1 } }], tolerations: [] } };
    const remove = set(
      ['f:spec', 'f:containers', c, 'f:ports', 'k:{"containerPort":80,"protocol":"TCP"}'],
      ['f:spec', 'f:containers', c, 'f:ports', 'k:{"containerPort":80,"protocol":"TCP"}', 'f:containerPort'],
      ['f:spec', 'f:containers', c, 'f:env', 'k:{"name":"A"}'],
      ['f:spec', 'f:containers', c, 'f:env', 'k:{"name":"A"}', 'f:value'],
      ['f:spec', 'f:containers', c, 'f:securityContext', 'f:runAsUser'],
    );
    // (a list that was empty already is nobody's removal: it stays)
    expect(removeFields(obj, remove, new FieldSet(), Pod)).toEqual({ spec: { containers: [{ name: 'a', image: 'v1' }], tolerations: [] } });
    // Another manager's port keeps the list, its own item and nothing more.
    const keep = set(['f:spec', 'f:containers', c, 'f:ports', 'k:{"containerPort":80,"protocol":"TCP"}', 'f:containerPort']);
    expect(removeFields(obj, remove, keep, Pod)).toEqual({ spec: { containers: [{ name: 'a', image: 'v1', ports: [{ containerPort: 80 }] }], tolerations: [] } });
  });

  it('keeps what another manager owns, at or below the dropped path', () => {
    const remove = set(['f:metadata', 'f:labels', 'f:tier'], ['f:spec', 'f:containers', 'k:{"name":"side"}'], ['f:spec', 'f:containers', 'k:{"name":"side"}', 'f:name']);
    const keep = set(['f:metadata', 'f:labels', 'f:tier'], ['f:spec', 'f:containers', 'k:{"name":"side"}', 'f:image']);
    expect(removeFields(live, remove, keep, Pod)).toEqual(live);
  });
});

describe('a null zero time is a field', () => {
  const Deployment = structType('Deployment');
  // (kubectl create deployment's template, as the apiserver stores it: Go's zero creationTimestamp)
  const dep = { spec: { template: { metadata: { creationTimestamp: null, labels: { app: 'x' } }, spec: { nodeSelector: null, containers: [{ name: 'c', image: 'i', env: null }] } } } };
  const pod = { status: { conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-01-01T00:00:00Z' }] } };

  it("as structured-merge-diff's SetFromValue counts a null leaf: a template's creationTimestamp, a condition's lastProbeTime; other nulls (Go's nil, dropped by omitempty) are not", () => {
    expect(paths(fieldSetOf(dep, Deployment))).toEqual(['.spec.template.metadata.creationTimestamp', '.spec.template.metadata.labels.app', '.spec.template.spec.containers[name="c"]', '.spec.template.spec.containers[name="c"].image', '.spec.template.spec.containers[name="c"].name']);
    expect(paths(fieldSetOf(pod, Pod))).toContain('.status.conditions[type="Ready"].lastProbeTime');
  });

  it('is added with what holds it, modified when it gets a time, removed when it goes; a create leaving it at the zero object\'s null does not own it', () => {
    // (1.32's zero Deployment, the create's starting point, has the template's creationTimestamp: null already)
    const created = createdFieldsV1Scoped(dep as KubeObject, { typeName: 'Deployment', apiVersion: 'apps/v1', subresource: '' }) as Record<string, Record<string, Record<string, Record<string, unknown>>>>;
    expect(created['f:spec']!['f:template']!['f:metadata']).toEqual({ 'f:labels': { '.': {}, 'f:app': {} } });
    // (against nothing at all, it is added with its template)
    expect(createdFieldsV1(dep, Deployment, new Set())).toMatchObject({ 'f:spec': { 'f:template': { '.': {}, 'f:metadata': { '.': {}, 'f:creationTimestamp': {}, 'f:labels': { '.': {}, 'f:app': {} } } } } });
    expect(createdFieldsV1(pod, Pod, new Set())).toMatchObject({ 'f:status': { 'f:conditions': { 'k:{"type":"Ready"}': { 'f:lastProbeTime': {} } } } });
    const probed = { status: { conditions: [{ ...pod.status.conditions[0], lastProbeTime: '2026-01-02T00:00:00Z' }] } };
    expect(paths(compareObjects(pod, probed, Pod).modified)).toEqual(['.status.conditions[type="Ready"].lastProbeTime']);
    const without = { status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] } };
    expect(paths(compareObjects(pod, without, Pod).removed)).toEqual(['.status.conditions[type="Ready"].lastProbeTime']);
    expect(paths(compareObjects(without, pod, Pod).added)).toEqual(['.status.conditions[type="Ready"].lastProbeTime']);
    expect(compareObjects(pod, structuredClone(pod), Pod).modified.isEmpty()).toBe(true);
  });
});
