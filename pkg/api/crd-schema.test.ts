import { describe, expect, it } from 'vitest';
import { applyDefaults, prune, validateAgainstSchema, type JSONSchemaProps } from './crd-schema.js';
import { formatFieldError } from './field-error.js';

const schema: JSONSchemaProps = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', minLength: 2, maxLength: 5 },
        count: { type: 'integer', minimum: 1, maximum: 3, default: 2 },
        ratio: { type: 'number', minimum: 0, exclusiveMinimum: true, multipleOf: 0.5 },
        tags: { type: 'array', minItems: 1, maxItems: 2, items: { type: 'string', pattern: '^[a-z]+$' } },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        port: { 'x-kubernetes-int-or-string': true },
        opt: { type: 'string', nullable: true },
        kind: { type: 'string', enum: ['A', 'B'] },
        template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object', properties: { x: { type: 'string' } } } } },
        nested: { type: 'object', default: {}, properties: { mode: { type: 'string', default: 'auto' } } },
        list: { type: 'array', items: { type: 'object', properties: { n: { type: 'integer', default: 7 } } } },
      },
    },
  },
};

const messages = (obj: unknown) => validateAgainstSchema(obj, schema).map(formatFieldError);

describe('pattern', () => {
  it('matches in linear time with RE2, as Kubernetes does', () => {
    const s: JSONSchemaProps = { type: 'object', properties: { w: { type: 'string', pattern: '^(\\w+\\s?)*$' }, d: { type: 'string', pattern: '^\\d+$' } } };
    const t = performance.now();
    expect(validateAgainstSchema({ w: `${'a'.repeat(40)}!`, d: '١٢' }, s).map(formatFieldError)).toEqual([
      `w: Invalid value: "${'a'.repeat(40)}!": w in body should match '^(\\w+\\s?)*$'`,
      `d: Invalid value: "١٢": d in body should match '^\\d+$'`,
    ]);
    expect(performance.now() - t).toBeLessThan(500); // (backtracking: minutes)
  });
});

describe('prune', () => {
  it('drops undeclared fields and names them; keeps apiVersion, kind, metadata, preserved and additionalProperties', () => {
    const obj = {
      apiVersion: 'x/v1',
      kind: 'X',
      metadata: { name: 'a' },
      top: 1,
      spec: { name: 'ab', foo: 1, labels: { a: 'b' }, free: { deep: { x: 1 } }, tags: ['a'], list: [{ n: 1, m: 2 }], template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { x: 'y', z: 1 } } },
    };
    expect(prune(obj, schema).sort()).toEqual(['spec.foo', 'spec.list[0].m', 'spec.template.spec.z', 'top']);
    expect(obj).toEqual({
      apiVersion: 'x/v1',
      kind: 'X',
      metadata: { name: 'a' },
      spec: { name: 'ab', labels: { a: 'b' }, free: { deep: { x: 1 } }, tags: ['a'], list: [{ n: 1 }], template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { x: 'y' } } },
    });
  });
});

describe('applyDefaults', () => {
  it('fills absent values, nested defaults included, and items of lists', () => {
    const obj = { spec: { name: 'ab', list: [{}, { n: 1 }] } };
    applyDefaults(obj, schema);
    expect(obj.spec).toEqual({ name: 'ab', count: 2, nested: { mode: 'auto' }, list: [{ n: 7 }, { n: 1 }] });
  });
  it('keeps values given, and null where null is allowed', () => {
    const obj = { spec: { name: 'ab', count: 3, opt: null } };
    applyDefaults(obj, schema);
    expect(obj.spec).toMatchObject({ count: 3, opt: null });
  });
  it('drops a null where null is not allowed and no default replaces it (PruneNonNullableNullsWithoutDefaults), and defaults one that has a default', () => {
    const obj = { spec: { name: null, count: null, list: [{ n: null }] } } as Record<string, unknown>;
    applyDefaults(obj, schema);
    expect(obj.spec).toEqual({ count: 2, nested: { mode: 'auto' }, list: [{ n: 7 }] });
  });
});

describe('validateAgainstSchema with an old object (ratcheting)', () => {
  it('refuses only what changed: values stored before the schema tightened pass while unchanged', () => {
    const old = { spec: { name: 'waytoolong', count: 9, tags: ['ok', 'BAD'] } };
    const next = { spec: { name: 'waytoolong', count: 9, tags: ['ok', 'BAD'], kind: 'A' } };
    expect(validateAgainstSchema(next, schema, '', true, old)).toEqual([]);
    // (the same values on create, or a changed one, are refused)
    expect(validateAgainstSchema(next, schema).map((e) => e.field)).toEqual(['spec.name', 'spec.count', 'spec.tags[1]']);
    expect(validateAgainstSchema({ spec: { name: 'waytoolong', count: 10, tags: ['ok', 'BAD'] } }, schema, '', true, old).map((e) => e.field)).toEqual(['spec.count']);
  });
});

describe('validateAgainstSchema', () => {
  it('accepts a valid object', () => {
    expect(messages({ spec: { name: 'abc', count: 2, ratio: 1.5, tags: ['a'], port: 'http', opt: null, kind: 'A' } })).toEqual([]);
    expect(messages({ spec: { name: 'abc', port: 80 } })).toEqual([]);
  });
  it('reports what Kubernetes reports, with the field path', () => {
    expect(messages({ spec: {} })).toEqual(['spec.name: Required value']);
    expect(messages({ spec: { name: 1 } })).toEqual(['spec.name: Invalid value: "integer": spec.name in body must be of type string: "integer"']);
    expect(messages({ spec: { name: 'a' } })).toEqual(['spec.name: Invalid value: "a": spec.name in body should be at least 2 chars long']);
    expect(messages({ spec: { name: 'abcdef' } })).toEqual(['spec.name: Too long: may not be more than 5 bytes']);
    expect(messages({ spec: { name: 'ab', count: 0 } })).toEqual(['spec.count: Invalid value: 0: spec.count in body should be greater than or equal to 1']);
    expect(messages({ spec: { name: 'ab', count: 4 } })).toEqual(['spec.count: Invalid value: 4: spec.count in body should be less than or equal to 3']);
    expect(messages({ spec: { name: 'ab', count: 1.5 } })).toEqual(['spec.count: Invalid value: "number": spec.count in body must be of type integer: "number"']);
    expect(messages({ spec: { name: 'ab', ratio: 0 } })).toEqual(['spec.ratio: Invalid value: 0: spec.ratio in body should be greater than 0']);
    expect(messages({ spec: { name: 'ab', ratio: 0.7 } })).toEqual(['spec.ratio: Invalid value: 0.7: spec.ratio in body should be a multiple of 0.5']);
    expect(messages({ spec: { name: 'ab', tags: [] } })).toEqual(['spec.tags: Invalid value: 0: spec.tags in body should have at least 1 items']);
    expect(messages({ spec: { name: 'ab', tags: ['a', 'b', 'c'] } })).toEqual(['spec.tags: Too many: 3: must have at most 2 items']);
    expect(messages({ spec: { name: 'ab', tags: ['A'] } })).toEqual([`spec.tags[0]: Invalid value: "A": spec.tags[0] in body should match '^[a-z]+$'`]);
    expect(messages({ spec: { name: 'ab', labels: { a: 1 } } })).toEqual(['spec.labels.a: Invalid value: "integer": spec.labels.a in body must be of type string: "integer"']);
    expect(messages({ spec: { name: 'ab', port: true } })).toEqual(['spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"']);
    expect(messages({ spec: { name: 'ab', kind: 'C' } })).toEqual(['spec.kind: Unsupported value: "C": supported values: "A", "B"']);
    expect(messages({ spec: { name: 'ab', count: null } })).toEqual(['spec.count: Invalid value: "null": spec.count in body must be of type integer: "null"']);
    const composed: JSONSchemaProps = {
      type: 'object',
      properties: {
        when: { type: 'string', format: 'date-time' },
        id: { type: 'string', format: 'uuid' },
        net: { type: 'string', format: 'cidr' },
        either: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
        one: { type: 'integer', oneOf: [{ minimum: 0 }, { maximum: 10 }] },
        notTwo: { type: 'integer', not: { enum: [2] } },
      },
    };
    const check = (o: unknown) => validateAgainstSchema(o, composed).map(formatFieldError);
    expect(check({ when: '2026-01-02T03:04:05Z', id: '123e4567-e89b-12d3-a456-426614174000', net: '10.0.0.0/8', either: 3, one: 11, notTwo: 3 })).toEqual([]);
    expect(check({ when: 'yesterday' })).toEqual(['when: Invalid value: "yesterday": when in body must be of type date-time: "yesterday"']);
    expect(check({ net: '10.0.0.0/33' })).toEqual(['net: Invalid value: "10.0.0.0/33": net in body must be of type cidr: "10.0.0.0/33"']);
    expect(check({ either: true })).toEqual(['either: Invalid value: true: either must validate at least one schema (anyOf)']);
    expect(check({ one: 5 })).toEqual(['one: Invalid value: 5: one must validate one and only one schema (oneOf). Found 2 valid alternatives']);
    expect(check({ notTwo: 2 })).toEqual(['notTwo: Invalid value: 2: notTwo must not validate the schema (not)']);
    const listed: JSONSchemaProps = { type: 'object', properties: { s: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } }, m: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: { type: 'object', properties: { name: { type: 'string' }, v: { type: 'integer' } } } } } };
    expect(validateAgainstSchema({ s: ['a', 'b', 'a'], m: [{ name: 'x', v: 1 }, { name: 'x', v: 2 }] }, listed).map(formatFieldError)).toEqual(['s[2]: Duplicate value: "a"', 'm[1]: Duplicate value: {"name":"x"}']);
    expect(messages({ spec: { name: 'ab', template: { spec: {} } } })).toEqual(['spec.template.apiVersion: Required value: must not be empty', 'spec.template.kind: Required value: must not be empty']);
  });
});
