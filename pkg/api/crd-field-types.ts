// How server-side apply sees a custom resource: the field types its version's schema implies,
// as structured-merge-diff derives them from a CRD's openAPIV3Schema. Objects with properties
// are structs, objects with additionalProperties maps (unless x-kubernetes-map-type: atomic),
// lists are atomic unless x-kubernetes-list-type says set or map (keyed by
// x-kubernetes-list-map-keys); metadata is ObjectMeta.
import type { JSONSchemaProps } from './crd-schema.js';
import { describeStruct, LEAF, structType, type FieldType } from './field-types.js';

function typeOf(s: JSONSchemaProps | undefined, name: string): FieldType {
  if (!s) return LEAF;
  if (s.type === 'array') {
    const item = typeOf(s.items, `${name}[]`);
    if (s['x-kubernetes-list-type'] === 'set') return { kind: 'set' };
    if (s['x-kubernetes-list-type'] === 'map' && s['x-kubernetes-list-map-keys']?.length) return { kind: 'keyed', keys: s['x-kubernetes-list-map-keys'], defaults: {}, item };
    return LEAF;
  }
  if (s['x-kubernetes-map-type'] === 'atomic') return LEAF;
  if (s.properties) return describeStruct(name, new Map(Object.entries(s.properties).map(([k, p]) => [k, typeOf(p, `${name}.${k}`)])));
  if (typeof s.additionalProperties === 'object') return { kind: 'map', value: typeOf(s.additionalProperties, `${name}{}`) };
  // (an object of unknown fields: each key its own field, as a map of atomic values)
  if (s.type === 'object') return { kind: 'map', value: LEAF };
  return LEAF;
}

/** Registers the apply type of a custom resource version and returns its type name. */
export function describeCustomResource(group: string, version: string, kind: string, schema: JSONSchemaProps | undefined): string {
  const name = `${group}/${version}.${kind}`;
  const fields = new Map<string, FieldType>();
  for (const [k, p] of Object.entries(schema?.properties ?? {})) fields.set(k, typeOf(p, `${name}.${k}`));
  fields.set('metadata', structType('ObjectMeta'));
  describeStruct(name, fields);
  return name;
}
