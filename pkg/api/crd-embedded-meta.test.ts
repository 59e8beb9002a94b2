import { describe, expect, it } from 'vitest';
import { coerceEmbeddedMetadata } from './crd-embedded-meta.js';
import type { JSONSchemaProps } from './crd-schema.js';

const embedded: JSONSchemaProps = { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true };
const schema: JSONSchemaProps = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        template: embedded,
        templates: { type: 'array', items: embedded },
        plain: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
  },
};

describe('coerceEmbeddedMetadata', () => {
  it('writes an embedded resource\'s metadata as ObjectMeta: empty fields gone, creationTimestamp null', () => {
    const obj = { spec: { template: { apiVersion: 'v1', kind: 'Pod', metadata: { labels: { a: 'b' }, annotations: {}, finalizers: [], name: '', generation: 0 }, spec: { x: 1 } } } };
    expect(coerceEmbeddedMetadata(obj, schema)).toEqual([]);
    expect(obj.spec.template.metadata).toEqual({ labels: { a: 'b' }, creationTimestamp: null });
    expect(obj.spec.template.spec).toEqual({ x: 1 });
  });

  it('an empty metadata becomes {creationTimestamp: null}; a set time and a missing metadata stay', () => {
    const obj = { spec: { templates: [{ metadata: {} }, { metadata: { creationTimestamp: '2026-01-01T00:00:00Z', name: 'n' } }, { kind: 'Pod' }] } };
    coerceEmbeddedMetadata(obj, schema);
    expect(obj.spec.templates).toEqual([{ metadata: { creationTimestamp: null } }, { metadata: { creationTimestamp: '2026-01-01T00:00:00Z', name: 'n' } }, { kind: 'Pod' }]);
  });

  it('reports and removes fields ObjectMeta does not have, with their paths from the root', () => {
    const obj = { spec: { templates: [{ metadata: { name: 'x', foo: 'bar', ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'u', bogus: 1 }] } }] } };
    const errs = coerceEmbeddedMetadata(obj, schema);
    expect(errs.map((e) => [e.type, e.field])).toEqual([
      ['FieldValueUnknown', 'spec.templates[0].metadata.foo'],
      ['FieldValueUnknown', 'spec.templates[0].metadata.ownerReferences[0].bogus'],
    ]);
    expect(obj.spec.templates[0]!.metadata).toEqual({ name: 'x', ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'u' }], creationTimestamp: null });
  });

  it('leaves metadata alone where the schema embeds no resource, and the root to the object checks', () => {
    const obj = { metadata: { labels: {} }, spec: { plain: { metadata: { labels: {}, foo: 1 } } } };
    expect(coerceEmbeddedMetadata(obj, schema)).toEqual([]);
    expect(obj).toEqual({ metadata: { labels: {} }, spec: { plain: { metadata: { labels: {}, foo: 1 } } } });
  });

  it('a metadata of the wrong type is an error and is not rewritten', () => {
    const obj = { spec: { template: { metadata: { labels: 'x' } } } };
    const errs = coerceEmbeddedMetadata(obj, schema);
    expect(errs).toHaveLength(1);
    expect(errs[0]!.field).toBe('spec.template.metadata.labels');
    expect(obj.spec.template.metadata).toEqual({ labels: 'x' });
  });
});
