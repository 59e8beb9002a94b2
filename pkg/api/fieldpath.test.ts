import { describe, expect, it } from 'vitest';
import { FieldSet, FieldsV1Error, keyElement, parseElement, pathString } from './fieldpath.js';

const p = (...els: string[]) => els;

describe('FieldSet', () => {
  it('round-trips the FieldsV1 form, with "." for a member that also has members below it', () => {
    const fv1 = {
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': { 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
    };
    const s = FieldSet.fromFieldsV1(fv1);
    expect(s.has(p('f:metadata', 'f:labels', 'f:app'))).toBe(true);
    expect(s.has(p('f:metadata', 'f:labels'))).toBe(false);
    expect(s.has(p('f:spec', 'f:containers', 'k:{"name":"app"}'))).toBe(true);
    expect(s.toFieldsV1()).toEqual(fv1);
  });

  it('union, difference and intersection work member by member', () => {
    const a = FieldSet.fromPaths([p('f:metadata', 'f:labels', 'f:app'), p('f:spec', 'f:x')]);
    const b = FieldSet.fromPaths([p('f:metadata', 'f:labels', 'f:app'), p('f:metadata', 'f:labels', 'f:tier')]);
    expect(a.union(b).paths().map(pathString)).toEqual(['.metadata.labels.app', '.metadata.labels.tier', '.spec.x']);
    expect(a.difference(b).paths().map(pathString)).toEqual(['.spec.x']);
    expect(a.intersection(b).paths().map(pathString)).toEqual(['.metadata.labels.app']);
    expect(a.difference(a).isEmpty()).toBe(true);
    expect(a.difference(a).toFieldsV1()).toEqual({});
  });

  it('canonicalises keys so equal items name the same element', () => {
    expect(keyElement({ protocol: 'TCP', containerPort: 80 })).toBe('k:{"containerPort":80,"protocol":"TCP"}');
    expect(parseElement('k:{"protocol":"TCP","containerPort":80}')).toBe('k:{"containerPort":80,"protocol":"TCP"}');
  });

  it('prints paths the way Kubernetes conflicts do', () => {
    expect(pathString(p('f:spec', 'f:containers', 'k:{"name":"app"}', 'f:image'))).toBe('.spec.containers[name="app"].image');
    expect(pathString(p('f:spec', 'f:containers', 'k:{"name":"a"}', 'f:ports', 'k:{"containerPort":80,"protocol":"TCP"}'))).toBe(
      '.spec.containers[name="a"].ports[containerPort=80,protocol="TCP"]',
    );
    expect(pathString(p('f:metadata', 'f:finalizers', 'v:"x"'))).toBe('.metadata.finalizers[="x"]');
  });

  it('rejects malformed FieldsV1 with a reason', () => {
    expect(() => FieldSet.fromFieldsV1({ 'x:foo': {} })).toThrow(FieldsV1Error);
    expect(() => FieldSet.fromFieldsV1({ 'f:a': 'b' })).toThrow(/must map to a JSON object/);
    expect(() => FieldSet.fromFieldsV1({ 'k:notjson': {} })).toThrow(/not JSON/);
    expect(() => FieldSet.fromFieldsV1([])).toThrow(/JSON object/);
    expect(() => FieldSet.fromFieldsV1({ 'f:a': { '.': { x: {} }, 'f:b': {} } })).toThrow(/"\." must map to \{\}/);
  });
});
