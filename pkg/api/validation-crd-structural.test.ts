import { describe, expect, it } from 'vitest';
import { formatFieldError } from './field-error.js';
import { defaultCRD, validateCRD, validateCRDUpdate, type CRDVersion, type CustomResourceDefinition } from './validation-crd.js';

const crdOf = (schema: object, over: Partial<CRDVersion> = {}): CustomResourceDefinition => {
  const c: CustomResourceDefinition = {
    metadata: { name: 'foos.example.com' },
    spec: { group: 'example.com', scope: 'Namespaced', names: { plural: 'foos', kind: 'Foo' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schema as never }, ...over }] },
  };
  defaultCRD(c);
  return c;
};
const check = (schema: object, over: Partial<CRDVersion> = {}) => validateCRD(crdOf(schema, over)).map(formatFieldError);
/** A schema whose spec is `spec`. */
const spec = (s: object) => ({ type: 'object', properties: { spec: s } });
const P = 'spec.validation.openAPIV3Schema';
const S = `${P}.properties[spec]`;

describe('CRD schemas: the OpenAPI subset (ValidateCustomResourceDefinitionOpenAPISchema)', () => {
  it('refuses uniqueItems, and additionalProperties false or a schema beside properties', () => {
    expect(check(spec({ type: 'array', uniqueItems: true, items: { type: 'string' } }))).toEqual([`${S}.uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic`]);
    expect(check(spec({ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false }))).toEqual([`${S}.additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`]);
    expect(check(spec({ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: true }))).toEqual([]);
  });
  it('refuses the JSON-schema fields Kubernetes does not take, and then tells no structural error', () => {
    expect(check(spec({ $ref: '#/definitions/x' }))).toEqual([`${S}.$ref: Forbidden: $ref is not supported`]);
    expect(check(spec({ type: 'object', id: 'x', definitions: { x: { type: 'string' } }, dependencies: { a: ['b'] }, patternProperties: { '^a': { type: 'string' } } }))).toEqual([
      `${S}.id: Forbidden: id is not supported`,
      `${S}.patternProperties: Forbidden: patternProperties is not supported`,
      `${S}.definitions: Forbidden: definitions is not supported`,
      `${S}.dependencies: Forbidden: dependencies is not supported`,
    ]);
    expect(check(spec({ type: 'array', items: [{ type: 'string' }], additionalItems: false }))).toEqual([
      `${S}.additionalItems: Forbidden: additionalItems is not supported`,
      `${S}.items: Forbidden: items must be a schema object and not an array`,
    ]);
    expect(check(spec({ type: 'null' }))).toEqual([`${S}.type: Unsupported value: "null": supported values: "array", "boolean", "integer", "number", "object", "string"`, `${S}.type: Forbidden: type cannot be set to null, use nullable as an alternative`]);
  });
  it('tells what cannot be made structural only when nothing else is wrong ($schema)', () => {
    expect(check({ ...spec({ type: 'object' }), $schema: 'http://json-schema.org/draft-04/schema#' })).toEqual([`${P}: Invalid value: "": OpenAPIV3Schema 'schema' is not supported`]);
  });
  it('x-kubernetes-preserve-unknown-fields must be true or absent', () => {
    expect(check(spec({ type: 'object', 'x-kubernetes-preserve-unknown-fields': false }))).toEqual([`${S}.x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined`]);
  });
  it('refuses defaults in the top-level metadata, and nullable at the root', () => {
    expect(check({ type: 'object', properties: { metadata: { type: 'object', properties: { name: { type: 'string', default: 'x' } } } } })).toEqual([
      `${P}.properties[metadata].properties[name].default: Forbidden: must not be set in top-level metadata`,
    ]);
    expect(check({ ...spec({ type: 'object' }), nullable: true })).toEqual([`${P}.nullable: Forbidden: nullable cannot be true at the root`]);
  });
  it('refuses defaults in maps of an embedded resource\'s metadata, whose pruning would be ambiguous', () => {
    const labels = { type: 'object', additionalProperties: { type: 'string', default: 'x' } };
    const template = { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true, properties: { metadata: { type: 'object', properties: { labels } } } };
    expect(check(spec({ type: 'object', properties: { template } }))).toEqual([
      `${S}.properties[template].properties[metadata].properties[labels].additionalProperties.default: Forbidden: must not be set inside additionalProperties applying to object metadata`,
    ]);
    expect(check(spec({ type: 'object', properties: { labels } }))).toEqual([]);
  });
  it('refuses an embedded resource inside resource metadata', () => {
    const template = { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true, properties: { metadata: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true } } };
    expect(check(spec({ type: 'object', properties: { template } }))).toEqual([`${S}.properties[template].properties[metadata].x-kubernetes-embedded-resource: Forbidden: must not be used inside of resource meta`]);
  });
  it('x-kubernetes-map-type and x-kubernetes-list-type: the right type, known values', () => {
    expect(check(spec({ type: 'string', 'x-kubernetes-map-type': 'atomic' }))).toEqual([`${S}.type: Invalid value: "string": must be object if x-kubernetes-map-type is specified`]);
    expect(check(spec({ type: 'object', 'x-kubernetes-map-type': 'loose' }))).toEqual([`${S}.x-kubernetes-map-type: Unsupported value: "loose": supported values: "atomic", "granular"`]);
    expect(check(spec({ type: 'object', 'x-kubernetes-list-type': 'atomic' }))).toEqual([`${S}.type: Invalid value: "object": must be array if x-kubernetes-list-type is specified`]);
    expect(check(spec({ type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'bag' }))).toEqual([`${S}.x-kubernetes-list-type: Unsupported value: "bag": supported values: "atomic", "set", "map"`]);
  });
  it('x-kubernetes-list-map-keys: a map list of objects keyed by scalar item properties', () => {
    const item = { type: 'object', required: ['name'], properties: { name: { type: 'string' }, port: { type: 'object' } } };
    expect(check(spec({ type: 'array', items: item, 'x-kubernetes-list-map-keys': ['name'] }))).toEqual([`${S}.x-kubernetes-list-type: Required value: must be map if x-kubernetes-list-map-keys is non-empty`]);
    expect(check(spec({ type: 'array', items: item, 'x-kubernetes-list-type': 'set', 'x-kubernetes-list-map-keys': ['name'] }))).toEqual([
      `${S}.items.x-kubernetes-map-type: Invalid value: "null": must be atomic as item of a list with x-kubernetes-list-type=set`,
      `${S}.x-kubernetes-list-type: Invalid value: "set": must be map if x-kubernetes-list-map-keys is non-empty`,
    ]);
    expect(check(spec({ type: 'array', items: item, 'x-kubernetes-list-type': 'map' }))).toEqual([`${S}.x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map`]);
    expect(check(spec({ type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] }))).toEqual([
      `${S}.items.type: Invalid value: "string": must be object if parent array's x-kubernetes-list-type is map`,
    ]);
    expect(check(spec({ type: 'array', items: item, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name', 'port', 'proto', 'name'] }))).toEqual([
      `${S}.items.properties[port].type: Invalid value: "object": must be a scalar type if parent array's x-kubernetes-list-type is map`,
      `${S}.x-kubernetes-list-map-keys: Invalid value: []string{"name", "port", "proto", "name"}: entries must all be names of item properties`,
      `${S}.x-kubernetes-list-map-keys: Invalid value: []string{"name", "port", "proto", "name"}: must not contain duplicate entries`,
      `${S}.items.properties[port].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property`,
    ]);
  });
  it('keys of map lists are required or defaulted and never null; items of sets and maps are never null', () => {
    const item = { type: 'object', nullable: true, properties: { name: { type: 'string', nullable: true } } };
    expect(check(spec({ type: 'array', items: item, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] }))).toEqual([
      `${S}.items.nullable: Forbidden: cannot be nullable when x-kubernetes-list-type is map`,
      `${S}.items.properties[name].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property`,
      `${S}.items.properties[name].nullable: Forbidden: this property is in x-kubernetes-list-map-keys, so it cannot be nullable`,
    ]);
    expect(check(spec({ type: 'array', items: { type: 'object', properties: { name: { type: 'string', default: 'a' } } }, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] }))).toEqual([]);
  });
  it('with the status subresource the root may hold only what properties[status] keeps', () => {
    const root = { ...spec({ type: 'object' }), 'x-kubernetes-map-type': 'granular' };
    expect(check(root)).toEqual([]);
    expect(check(root, { subresources: { status: {} } })).toEqual([
      `${P}: Invalid value: apiextensions.JSONSchemaProps{...}: only [Description Type Format Title Maximum ExclusiveMaximum Minimum ExclusiveMinimum MaxLength MinLength Pattern MaxItems MinItems UniqueItems MultipleOf Required Items Properties ExternalDocs Example XPreserveUnknownFields XValidations] fields are allowed at the root of the schema if the status subresource is enabled`,
    ]);
  });
});

describe('CRD schemas: structural (ValidateStructural)', () => {
  it('refuses types and other shape under anyOf, allOf, oneOf and not', () => {
    expect(check(spec({ type: 'object', anyOf: [{ type: 'object', description: 'd', required: ['a'] }], not: { nullable: true, 'x-kubernetes-validations': [{ rule: 'true' }] } }))).toEqual([
      `${S}.anyOf[0].description: Forbidden: must be empty to be structural`,
      `${S}.anyOf[0].type: Forbidden: must be empty to be structural`,
      `${S}.not.nullable: Forbidden: must be false to be structural`,
      `${S}.not.x-kubernetes-validations: Forbidden: must be empty to be structural`,
    ]);
    expect(check(spec({ type: 'object', properties: { a: { type: 'string' } }, oneOf: [{ properties: { a: { default: 'x', 'x-kubernetes-list-type': 'set' } } }] }))).toEqual([
      `${S}.oneOf[0].properties[a].default: Forbidden: must be undefined to be structural`,
      `${S}.oneOf[0].properties[a].x-kubernetes-list-type: Forbidden: must be undefined to be structural`,
      // (the OpenAPI checks, told after the structural ones, walk junctors too)
      `${S}.oneOf[0].properties[a].type: Required value: must be array if x-kubernetes-list-type is specified`,
    ]);
  });
  it('refuses the vendor extensions, title, additionalProperties and externalDocs under a junctor', () => {
    const nested = { title: 't', externalDocs: { url: 'https://example.com' }, additionalProperties: false, 'x-kubernetes-preserve-unknown-fields': true, 'x-kubernetes-embedded-resource': true, 'x-kubernetes-int-or-string': true, 'x-kubernetes-map-type': 'atomic', 'x-kubernetes-list-map-keys': ['a'] };
    expect(check(spec({ type: 'object', allOf: [nested] })).filter((e) => e.includes('structural'))).toEqual([
      `${S}.allOf[0].additionalProperties: Forbidden: must be undefined to be structural`,
      `${S}.allOf[0].externalDocs: Forbidden: must be undefined to be structural`,
      `${S}.allOf[0].title: Forbidden: must be empty to be structural`,
      `${S}.allOf[0].x-kubernetes-embedded-resource: Forbidden: must be false to be structural`,
      `${S}.allOf[0].x-kubernetes-int-or-string: Forbidden: must be false to be structural`,
      `${S}.allOf[0].x-kubernetes-list-map-keys: Forbidden: must be empty to be structural`,
      `${S}.allOf[0].x-kubernetes-map-type: Forbidden: must be undefined to be structural`,
      `${S}.allOf[0].x-kubernetes-preserve-unknown-fields: Forbidden: must be false to be structural`,
    ]);
  });
  it('int-or-string may name integer and string under anyOf (also as the first allOf)', () => {
    const ios = { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] };
    expect(check(spec({ type: 'object', properties: { a: ios, b: { 'x-kubernetes-int-or-string': true, allOf: [{ anyOf: ios.anyOf }, { pattern: '^[0-9]+%?$' }] } } }))).toEqual([]);
    expect(check(spec({ type: 'object', properties: { a: { ...ios, anyOf: [{ type: 'integer' }, { type: 'string', pattern: 'x' }] } } }))).toEqual([
      `${S}.properties[a].anyOf[0].type: Forbidden: must be empty to be structural`,
      `${S}.properties[a].anyOf[1].type: Forbidden: must be empty to be structural`,
    ]);
    expect(check(spec({ type: 'object', properties: { a: { 'x-kubernetes-int-or-string': true, 'x-kubernetes-preserve-unknown-fields': true } } }))).toEqual([
      `${S}.properties[a].x-kubernetes-preserve-unknown-fields: Invalid value: true: must be false if x-kubernetes-int-or-string is true`,
    ]);
    expect(check(spec({ type: 'object', properties: { a: { type: 'object', 'x-kubernetes-int-or-string': true, 'x-kubernetes-embedded-resource': true, properties: { kind: { type: 'string' } } } } }))).toEqual([
      `${S}.properties[a].x-kubernetes-embedded-resource: Invalid value: true: must be false if x-kubernetes-int-or-string is true`,
    ]);
  });
  it('names the level of an empty type, and refuses additionalProperties at the root', () => {
    expect(check(spec({ type: 'array', items: { description: 'x' } }))).toEqual([`${S}.items.type: Required value: must not be empty for specified array items`]);
    expect(check({ type: 'object', additionalProperties: { type: 'string' } })).toEqual([`${P}.additionalProperties: Forbidden: must not be used at the root`]);
  });
  it('a junctor may only validate fields the schema specifies (checked from the root, as upstream does)', () => {
    expect(check({ ...spec({ type: 'object' }), anyOf: [{ required: ['status'], properties: { status: { minProperties: 1 } } }] })).toEqual([
      `${P}.properties[status]: Required value: because it is defined in ${P}.anyOf[0].properties[status]`,
    ]);
    expect(check(spec({ type: 'object', anyOf: [{ properties: { b: { minLength: 1 } } }] }))).toEqual([]);
    expect(check(spec({ type: 'object', allOf: [{ properties: { metadata: { minProperties: 1 } } }], properties: { metadata: { type: 'object' } } }))).toEqual([
      `${S}.allOf[0].properties[metadata]: Forbidden: must not be specified in a nested context`,
    ]);
  });
  it('embedded resources are objects with apiVersion and kind strings, metadata an object', () => {
    const emb = (s: object) => spec({ type: 'object', properties: { tpl: { 'x-kubernetes-embedded-resource': true, ...s } } });
    expect(check(emb({ type: 'string', 'x-kubernetes-preserve-unknown-fields': true }))).toEqual([`${S}.properties[tpl].type: Invalid value: "string": must be object if x-kubernetes-embedded-resource is true`]);
    expect(check(emb({ type: 'object' }))).toEqual([`${S}.properties[tpl].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields`]);
    // (the structural errors sorted, then the OpenAPI ones)
    expect(check(emb({ type: 'object', properties: { kind: { type: 'integer' }, metadata: { type: 'string' } }, additionalProperties: { type: 'string' } }))).toEqual([
      `${S}.properties[tpl].additionalProperties: Forbidden: must not be used if x-kubernetes-embedded-resource is set`,
      `${S}.properties[tpl].properties[kind].type: Invalid value: "integer": must be string`,
      `${S}.properties[tpl].properties[metadata].type: Invalid value: "string": must be object`,
      `${S}.properties[tpl].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`,
    ]);
    expect(check(emb({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, additionalProperties: { type: 'string' } }))).toEqual([
      `${S}.properties[tpl].additionalProperties: Forbidden: must not be used if x-kubernetes-embedded-resource is set`,
    ]);
  });
  it('the root metadata may restrict name and generateName only, without a description', () => {
    expect(check({ type: 'object', properties: { metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 40 }, generateName: { type: 'string' } } } } })).toEqual([]);
    expect(check({ type: 'object', properties: { metadata: { type: 'object', description: 'Standard object metadata' } } })).toEqual([
      `${P}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified`,
    ]);
    expect(check({ type: 'object', properties: { metadata: { type: 'string' } } })).toEqual([`${P}.properties[metadata].type: Invalid value: "string": must be object`]);
  });
  it('sorts its errors by their text, as upstream does', () => {
    expect(check({ type: 'object', properties: { z: { type: 'array' }, a: {}, m: { anyOf: [{ type: 'string' }], type: 'string' } } })).toEqual([
      `${P}.properties[a].type: Required value: must not be empty for specified object fields`,
      `${P}.properties[m].anyOf[0].type: Forbidden: must be empty to be structural`,
      `${P}.properties[z].items: Required value: must be specified`,
    ]);
  });
  it('defaults must not hold fields their schema prunes', () => {
    expect(check(spec({ type: 'object', properties: { o: { type: 'object', properties: { a: { type: 'integer' } }, default: { a: 1, b: 'x' } } } }))).toEqual([
      `${S}.properties[o].default: Invalid value: map[string]interface {}{"a":1, "b":"x"}: must not have unknown fields`,
    ]);
  });
});

describe('CRD schemas: ratcheting on update', () => {
  const withSchema = (schema: object) => {
    const c = crdOf(schema);
    c.status = { storedVersions: ['v1'] };
    return c;
  };
  it('keeps checks the stored definition already failed off, and others on', () => {
    const nonAtomicSet = spec({ type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'object', properties: { a: { type: 'string' } } } });
    const old = withSchema(nonAtomicSet);
    const next = withSchema({ ...nonAtomicSet, description: 'changed' });
    expect(validateCRDUpdate(next, old).map(formatFieldError)).toEqual([]);
    expect(validateCRDUpdate(next, withSchema(spec({ type: 'object' }))).map(formatFieldError)).toEqual([
      `${S}.items.x-kubernetes-map-type: Invalid value: "null": must be atomic as item of a list with x-kubernetes-list-type=set`,
    ]);
    const oddType = spec({ type: 'object', properties: { a: { type: 'float' } } });
    expect(validateCRDUpdate(withSchema({ ...oddType, description: 'x' }), withSchema(oddType)).map(formatFieldError)).toEqual([]);
    expect(validateCRDUpdate(withSchema(oddType), withSchema(spec({ type: 'object' }))).map(formatFieldError)).toEqual([
      `${S}.properties[a].type: Unsupported value: "float": supported values: "array", "boolean", "integer", "number", "object", "string"`,
    ]);
  });
  it('ratchets map-list keys without a default and defaults with pruned fields', () => {
    const keyed = spec({ type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: { type: 'object', properties: { name: { type: 'string' } } } });
    expect(validateCRDUpdate(withSchema({ ...keyed, description: 'x' }), withSchema(keyed)).map(formatFieldError)).toEqual([]);
    expect(validateCRDUpdate(withSchema(keyed), withSchema(spec({ type: 'object' }))).map(formatFieldError)).toEqual([
      `${S}.items.properties[name].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property`,
    ]);
    const unpruned = spec({ type: 'object', properties: { a: { type: 'string' } }, default: { a: 'x', b: 'y' } });
    expect(validateCRDUpdate(withSchema({ ...unpruned, description: 'x' }), withSchema(unpruned)).map(formatFieldError)).toEqual([]);
    expect(validateCRDUpdate(withSchema(unpruned), withSchema(spec({ type: 'object' }))).map(formatFieldError)).toEqual([
      `${S}.default: Invalid value: map[string]interface {}{"a":"x", "b":"y"}: must not have unknown fields`,
    ]);
  });
  it('a definition stored without a schema needs one only for its served versions', () => {
    const old = withSchema({});
    old.spec.versions = [{ name: 'v1', served: true, storage: true, schema: undefined }];
    const next = structuredClone(old);
    next.spec.versions = [{ name: 'v1', served: false, storage: true }, { name: 'v2', served: true, storage: false }];
    expect(validateCRDUpdate(next, old).map(formatFieldError)).toEqual(['spec.versions[1].schema.openAPIV3Schema: Required value: because otherwise all fields are pruned']);
  });
});

describe('CRD schemas real users apply', () => {
  it('accepts an operator-style schema: preserved subtrees, int-or-string, embedded pod templates, map lists, status', () => {
    const container = {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string' },
        image: { type: 'string' },
        ports: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['containerPort', 'protocol'],
          items: { type: 'object', required: ['containerPort'], properties: { containerPort: { type: 'integer', format: 'int32' }, protocol: { type: 'string', default: 'TCP' } } },
        },
        resources: { type: 'object', properties: { limits: { type: 'object', additionalProperties: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }], pattern: '^[0-9]+[a-zA-Z]*$' } } } },
      },
    };
    const schema = {
      type: 'object',
      description: 'Monitor selects targets to scrape.',
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: { type: 'object' },
        spec: {
          type: 'object',
          required: ['endpoints'],
          'x-kubernetes-validations': [{ rule: 'self.endpoints.size() > 0', message: 'at least one endpoint' }],
          properties: {
            endpoints: {
              type: 'array',
              maxItems: 16,
              items: {
                type: 'object',
                properties: {
                  port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
                  interval: { type: 'string', pattern: '^(0|(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?)$' },
                  relabelings: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
                },
              },
            },
            selector: {
              type: 'object',
              'x-kubernetes-map-type': 'atomic',
              properties: { matchLabels: { type: 'object', additionalProperties: { type: 'string' } } },
            },
            jobLabel: { type: 'string', default: 'job' },
            targetLabels: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
            template: {
              type: 'object',
              'x-kubernetes-embedded-resource': true,
              'x-kubernetes-preserve-unknown-fields': true,
              properties: { metadata: { type: 'object', properties: { labels: { type: 'object', additionalProperties: { type: 'string' } } } }, spec: { type: 'object', properties: { containers: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: container } } } },
            },
            extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
            secretTemplate: { type: 'object', nullable: true, properties: { annotations: { type: 'object', additionalProperties: { type: 'string' } } } },
          },
        },
        status: {
          type: 'object',
          properties: {
            conditions: {
              type: 'array',
              'x-kubernetes-list-type': 'map',
              'x-kubernetes-list-map-keys': ['type'],
              items: { type: 'object', required: ['type', 'status'], properties: { type: { type: 'string' }, status: { type: 'string', enum: ['True', 'False', 'Unknown'] }, lastTransitionTime: { type: 'string', format: 'date-time' } } },
            },
          },
        },
      },
    };
    expect(check(schema, { subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } } })).toEqual([]);
  });
});
