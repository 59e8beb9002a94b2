import { describe, expect, it } from 'vitest';
import { validateSchemaRules } from './crd-cel.js';
import { validateObjectRules } from './crd-cel-validate.js';
import type { JSONSchemaProps } from './crd-schema.js';
import { formatFieldError } from './field-error.js';

const schema = (spec: JSONSchemaProps, status?: JSONSchemaProps): JSONSchemaProps => ({
  type: 'object',
  properties: { spec, ...(status ? { status } : {}) },
});

const check = (s: JSONSchemaProps) => validateSchemaRules(s, 'spec.validation.openAPIV3Schema').map(formatFieldError);
const run = (obj: unknown, s: JSONSchemaProps, old?: unknown) => validateObjectRules(obj, old, s).map(formatFieldError);
const cr = (spec: unknown, status?: unknown) => ({ apiVersion: 'example.com/v1', kind: 'Foo', metadata: { name: 'a', namespace: 'default' }, spec, ...(status ? { status } : {}) });

describe('x-kubernetes-validations in a CRD', () => {
  it('refuses rules that do not compile, naming the rule as Kubernetes does', () => {
    const s = schema({ type: 'object', properties: { replicas: { type: 'integer' } }, 'x-kubernetes-validations': [{ rule: 'self.replicas >' }, { rule: 'self.replicaz > 1' }] });
    const errs = check(s);
    expect(errs).toHaveLength(2);
    expect(errs[0]).toMatch(
      /^spec\.validation\.openAPIV3Schema\.properties\[spec\]\.x-kubernetes-validations\[0\]\.rule: Invalid value: apiextensions\.ValidationRule\{Rule:"self\.replicas >", Message:"", MessageExpression:"", Reason:\(\*apiextensions\.FieldValueErrorReason\)\(nil\), FieldPath:"", OptionalOldSelf:\(\*bool\)\(nil\)\}: compilation failed: ERROR: <input>:1:16: Syntax error: mismatched input '<EOF>'/,
    );
    expect(errs[1]).toContain("x-kubernetes-validations[1].rule: Invalid value: apiextensions.ValidationRule{Rule:\"self.replicaz > 1\"");
    expect(errs[1]).toContain("compilation failed: ERROR: <input>:1:5: undefined field 'replicaz'");
    const scalar = check(schema({ type: 'object', properties: { replicas: { type: 'integer' } }, 'x-kubernetes-validations': [{ rule: 'self.replicas.value > 1' }] }));
    expect(scalar[0]).toContain("compilation failed: ERROR: <input>:1:14: type 'int' does not support field selection");
  });

  it('checks messageExpression, message, reason, fieldPath and oldSelf placement', () => {
    const s = schema({
      type: 'object',
      properties: { a: { type: 'string' }, list: { type: 'array', items: { type: 'object', properties: { n: { type: 'string' } }, 'x-kubernetes-validations': [{ rule: 'self == oldSelf' }] } } },
      'x-kubernetes-validations': [
        { rule: 'true', messageExpression: '"x" +' },
        { rule: 'true', message: 'two\nlines' },
        { rule: 'self.a\n== "x"' },
        { rule: 'true', reason: 'Bogus' },
        { rule: 'true', fieldPath: '.nope' },
        { rule: 'true', fieldPath: '.a' },
        { rule: '' },
      ],
    });
    const errs = check(s);
    expect(errs[0]).toMatch(/x-kubernetes-validations\[0\]\.messageExpression: Invalid value: apiextensions\.ValidationRule\{.*\}: messageExpression compilation failed: ERROR: <input>:1:6: Syntax error/);
    expect(errs.slice(1)).toEqual([
      'spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[1].message: Invalid value: "two\\nlines": message must not contain line breaks',
      'spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[2].message: Required value: message must be specified if rule contains line breaks',
      'spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[3].reason: Unsupported value: "Bogus": supported values: "FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"',
      'spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[4].fieldPath: Invalid value: ".nope": fieldPath must be a valid path',
      'spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[6].rule: Required value: rule is not specified',
      'spec.validation.openAPIV3Schema.properties[spec].properties[list].items.x-kubernetes-validations[0].rule: Invalid value: "self == oldSelf": oldSelf cannot be used on the uncorrelatable portion of the schema within spec.validation.openAPIV3Schema.properties[spec].properties[list]',
    ]);
  });

  it('refuses optionalOldSelf without oldSelf and entries that are not rules; atomic objects still correlate', () => {
    const s = schema({
      type: 'object',
      'x-kubernetes-map-type': 'atomic',
      properties: { a: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self == oldSelf' }] } },
      'x-kubernetes-validations': [{ rule: 'true', optionalOldSelf: false }, null as never],
    });
    expect(check(s)).toEqual([
      'spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].optionalOldSelf: Invalid value: false: may not be set if oldSelf is not used in rule',
      'spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[1].rule: Required value: rule is not specified',
    ]);
  });

  it('accepts oldSelf under x-kubernetes-list-type=map lists and fields of the resource root', () => {
    const s: JSONSchemaProps = {
      type: 'object',
      'x-kubernetes-validations': [{ rule: "self.metadata.name.startsWith('a') && self.kind == 'Foo'" }],
      properties: {
        spec: {
          type: 'object',
          properties: { ports: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, port: { type: 'integer' } }, 'x-kubernetes-validations': [{ rule: 'self.port == oldSelf.port' }] } } },
        },
      },
    };
    expect(check(s)).toEqual([]);
  });
});

describe('x-kubernetes-validations on custom resources', () => {
  const s = schema({
    type: 'object',
    properties: {
      min: { type: 'integer' },
      max: { type: 'integer' },
      ratio: { type: 'number' },
      name: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self.size() <= 5', message: 'name too long' }] },
      tags: { type: 'array', items: { type: 'string', 'x-kubernetes-validations': [{ rule: "self.startsWith('t-')" }] } },
      labels: { type: 'object', additionalProperties: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self != ""', reason: 'FieldValueRequired', message: 'must not be empty' }] } },
      mode: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'mode is immutable' }] },
    },
    'x-kubernetes-validations': [
      { rule: 'self.min <= self.max', messageExpression: "'min (' + string(self.min) + ') must not exceed max (' + string(self.max) + ')'" },
      { rule: '!has(self.ratio) || self.ratio < 1.0' },
      { rule: 'self.min >= 0', fieldPath: '.min', reason: 'FieldValueForbidden' },
    ],
  });

  it('accepts objects that satisfy every rule', () => {
    expect(run(cr({ min: 1, max: 2, ratio: 0.5, name: 'abc', tags: ['t-1'], labels: { a: 'b' }, mode: 'x' }), s)).toEqual([]);
  });

  it('words failures as Kubernetes does, at the node of the rule', () => {
    expect(run(cr({ min: 3, max: 2, ratio: 1, name: 'toolong', tags: ['t-1', 'x'], labels: { a: '' } }), s)).toEqual([
      'spec: Invalid value: min (3) must not exceed max (2)',
      'spec: Invalid value: "object": failed rule: !has(self.ratio) || self.ratio < 1.0',
      'spec.name: Invalid value: "toolong": name too long',
      "spec.tags[1]: Invalid value: \"x\": failed rule: self.startsWith('t-')",
      'spec.labels[a]: Required value: must not be empty',
    ]);
    expect(run(cr({ min: -1, max: 2 }), s)).toEqual(['spec.min: Forbidden: failed rule: self.min >= 0']);
  });

  it('reports a failure at the rule\'s fieldPath, map keys in brackets', () => {
    const fp = schema({
      type: 'object',
      properties: { labels: { type: 'object', additionalProperties: { type: 'string' } } },
      'x-kubernetes-validations': [{ rule: "!('bad' in self.labels)", fieldPath: ".labels['bad']", message: 'bad label' }],
    });
    expect(check(fp)).toEqual([]);
    expect(run(cr({ labels: { bad: 'x' } }), fp)).toEqual(['spec.labels[bad]: Invalid value: "object": bad label']);
  });

  it('names fields that are CEL keywords or hold - . / __ by their escaped names, as Kubernetes does', () => {
    const esc = schema({
      type: 'object',
      properties: { namespace: { type: 'string' }, 'x-y': { type: 'integer' }, 'a__b': { type: 'boolean' }, 'dotted.name': { type: 'string' } },
      'x-kubernetes-validations': [{ rule: "self.__namespace__ == 'n' && self.x__dash__y == 1 && self.a__underscores__b && self.dotted__dot__name == 'd'" }],
    });
    expect(check(esc)).toEqual([]);
    expect(run(cr({ namespace: 'n', 'x-y': 1, a__b: true, 'dotted.name': 'd' }), esc)).toEqual([]);
    expect(run(cr({ namespace: 'm', 'x-y': 1, a__b: true, 'dotted.name': 'd' }), esc)).toHaveLength(1);
    const plain = schema({ type: 'object', properties: { namespace: { type: 'string' } }, 'x-kubernetes-validations': [{ rule: "self.namespace == 'n'" }] });
    expect(check(plain)[0]).toContain("undefined field 'namespace'");
  });

  it('reports runtime errors with the rule', () => {
    expect(run(cr({ max: 2 }), s)).toEqual(['spec: Invalid value: "object": no such key: min evaluating rule: self.min <= self.max', 'spec: Invalid value: "object": no such key: min evaluating rule: self.min >= 0']);
  });

  it('runs transition rules only where an old value correlates', () => {
    expect(run(cr({ min: 1, max: 2, mode: 'a' }), s)).toEqual([]);
    expect(run(cr({ min: 1, max: 2, mode: 'b' }), s, cr({ min: 1, max: 2, mode: 'a' }))).toEqual(['spec.mode: Invalid value: "b": mode is immutable']);
    expect(run(cr({ min: 1, max: 2, mode: 'b' }), s, cr({ min: 1, max: 2 }))).toEqual([]);
    const keyed: JSONSchemaProps = schema({
      type: 'object',
      properties: {
        ports: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: { type: 'object', properties: { name: { type: 'string' }, port: { type: 'integer' } }, 'x-kubernetes-validations': [{ rule: 'self.port == oldSelf.port', message: 'port is immutable' }] } },
      },
    });
    const old = cr({ ports: [{ name: 'a', port: 1 }, { name: 'b', port: 2 }] });
    expect(run(cr({ ports: [{ name: 'b', port: 2 }, { name: 'a', port: 1 }, { name: 'c', port: 3 }] }), keyed, old)).toEqual([]);
    expect(run(cr({ ports: [{ name: 'b', port: 5 }] }), keyed, old)).toEqual(['spec.ports[0]: Invalid value: "object": port is immutable']);
  });

  it('runs optionalOldSelf rules on create too, with oldSelf an optional', () => {
    const opt = schema({
      type: 'object',
      properties: { version: { type: 'integer' } },
      'x-kubernetes-validations': [{ rule: '!oldSelf.hasValue() ? self.version == 1 : self.version >= oldSelf.value().version', message: 'version starts at 1 and never decreases', optionalOldSelf: true }],
    });
    expect(check(opt)).toEqual([]);
    expect(run(cr({ version: 2 }), opt)).toEqual(['spec: Invalid value: "object": version starts at 1 and never decreases']);
    expect(run(cr({ version: 1 }), opt)).toEqual([]);
    expect(run(cr({ version: 3 }), opt, cr({ version: 4 }))).toEqual(['spec: Invalid value: "object": version starts at 1 and never decreases']);
    expect(run(cr({ version: 5 }), opt, cr({ version: 4 }))).toEqual([]);
  });

  it('compares set and map lists regardless of order in transition rules', () => {
    const lists = schema({
      type: 'object',
      properties: {
        tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' }, 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'tags are immutable' }] },
      },
    });
    expect(run(cr({ tags: ['b', 'a'] }), lists, cr({ tags: ['a', 'b'] }))).toEqual([]);
    expect(run(cr({ tags: ['b', 'c'] }), lists, cr({ tags: ['a', 'b'] }))).toEqual(['spec.tags: Invalid value: "array": tags are immutable']);
  });

  it('does not hold unchanged values against rules (ratcheting)', () => {
    const old = cr({ min: 3, max: 2 });
    expect(run(cr({ min: 3, max: 2 }), s, old)).toEqual([]);
    expect(run(cr({ min: 4, max: 2 }), s, old)).toEqual(['spec: Invalid value: min (4) must not exceed max (2)']);
  });

  it('answers hostile rules and values with field errors, quickly, never a crash', () => {
    const hostile = schema({
      type: 'object',
      properties: { s: { type: 'string' }, xs: { type: 'array', items: { type: 'string' } } },
      'x-kubernetes-validations': [
        { rule: "self.s.matches('^(a+)+$')", message: 'only a' },
        { rule: Array(2000).fill('self.s != ""').join(' && ') },
        { rule: "'%.200f'.format([1.0]).size() == 202" },
        { rule: 'self.xs.join("").size() > 0' },
      ],
    });
    const t = performance.now();
    const errs = run(cr({ s: `${'a'.repeat(40)}!`, xs: Array(600).fill('x'.repeat(1_000_000)) }), hostile);
    expect(performance.now() - t).toBeLessThan(3000);
    expect(errs).toEqual([
      'spec: Invalid value: "object": only a',
      'spec: Invalid value: "object": \'operation cancelled: actual cost limit exceeded\': no further validation rules will be run due to call cost exceeds limit for rule: self.xs.join("").size() > 0',
    ]);
  });

  it('ratchets unchanged values whatever the order of their keys', () => {
    const small = schema({ type: 'object', properties: { a: { type: 'integer' }, b: { type: 'integer' } }, 'x-kubernetes-validations': [{ rule: 'self.a < 5' }] });
    expect(run(cr({ b: 1, a: 9 }), small, cr({ a: 9, b: 1 }))).toEqual([]);
    expect(run(cr({ b: 2, a: 9 }), small, cr({ a: 9, b: 1 }))).toEqual(['spec: Invalid value: "object": failed rule: self.a < 5']);
  });

  it('correlates the items of large list-type=map lists with their old items in linear time', () => {
    const keyed = schema({
      type: 'object',
      properties: {
        items: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          items: { type: 'object', properties: { name: { type: 'string' }, v: { type: 'integer' } }, 'x-kubernetes-validations': [{ rule: 'self.v >= oldSelf.v', message: 'v may only grow' }] },
        },
      },
    });
    const items = Array.from({ length: 20_000 }, (_, i) => ({ name: `n${i}`, v: i }));
    const t = performance.now();
    expect(run(cr({ items: [...items].reverse() }), keyed, cr({ items }))).toEqual([]);
    expect(performance.now() - t).toBeLessThan(5000); // (O(N·M) took minutes)
    const shrunk = items.map((x) => (x.name === 'n7' ? { name: 'n7', v: 6 } : x));
    expect(run(cr({ items: shrunk }), keyed, cr({ items }))).toEqual(['spec.items[7]: Invalid value: "object": v may only grow']);
  });

  it('names a rule at the resource root by a nil path, and sees only name and generateName of metadata', () => {
    const root: JSONSchemaProps = { type: 'object', properties: { spec: { type: 'object' } }, 'x-kubernetes-validations': [{ rule: "self.metadata.name.startsWith('x-')" }, { rule: '!has(self.metadata.namespace)' }] };
    expect(run(cr({}), root)).toEqual(['<nil>: Invalid value: "object": failed rule: self.metadata.name.startsWith(\'x-\')']);
  });

  it('types values by the schema: integers, doubles, timestamps, untyped values', () => {
    const typed = schema({
      type: 'object',
      properties: { d: { type: 'number' }, t: { type: 'string', format: 'date-time' }, free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      'x-kubernetes-validations': [{ rule: 'type(self.d) == double && self.d == 1' }, { rule: "self.t < timestamp('2030-01-01T00:00:00Z')" }, { rule: 'self.free.n + 1 == 3' }],
    });
    expect(run(cr({ d: 1, t: '2024-01-01T00:00:00Z', free: { n: 2 } }), typed)).toEqual([]);
  });

  it('stops a rule that would run too long, and an object that would', () => {
    const heavy = schema({
      type: 'object',
      properties: { xs: { type: 'array', items: { type: 'integer' } } },
      'x-kubernetes-validations': [{ rule: 'self.xs.all(a, self.xs.all(b, self.xs.all(c, a + b + c >= 0)))' }],
    });
    const xs = Array.from({ length: 200 }, (_, i) => i);
    expect(run(cr({ xs }), heavy)).toEqual([
      "spec: Invalid value: \"object\": 'operation cancelled: actual cost limit exceeded': no further validation rules will be run due to call cost exceeds limit for rule: self.xs.all(a, self.xs.all(b, self.xs.all(c, a + b + c >= 0)))",
    ]);
  });

  it('evaluates no rule when a value has the wrong type, or a required field is missing, a value is not in its enum, too long or with too many items', () => {
    const notChecked = '<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation';
    expect(validateObjectRules(cr({ min: 'x' }), undefined, s, [{ type: 'FieldValueTypeInvalid', field: 'spec.min', detail: 'spec.min in body must be of type integer: "string"' }]).map(formatFieldError)).toEqual([notChecked]);
    for (const type of ['FieldValueRequired', 'FieldValueNotSupported', 'FieldValueTooLong', 'FieldValueTooMany'] as const) {
      expect(validateObjectRules(cr({}), undefined, s, [{ type, field: 'spec.min', detail: 'x' }]).map(formatFieldError)).toEqual([notChecked]);
    }
    // (a plain Invalid one, such as a value above its maximum, does not stop them)
    expect(validateObjectRules(cr({ min: 1, max: 0 }), undefined, s, [{ type: 'FieldValueInvalid', field: 'spec.min', detail: 'spec.min in body should be less than or equal to 10' }]).map(formatFieldError)).not.toContain(notChecked);
  });
});
