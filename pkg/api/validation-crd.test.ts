import { describe, expect, it } from 'vitest';
import { formatFieldError } from './field-error.js';
import { defaultCRD, unknownCRDFields, validateCRD, validateCRDUpdate, type CustomResourceDefinition } from './validation-crd.js';

const crd = (over: Partial<CustomResourceDefinition['spec']> = {}, name = 'foos.example.com'): CustomResourceDefinition => {
  const c: CustomResourceDefinition = {
    metadata: { name },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'foos', kind: 'Foo' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object' } } } } }],
      ...over,
    },
  };
  defaultCRD(c);
  return c;
};
const messages = (c: CustomResourceDefinition) => validateCRD(c).map(formatFieldError);

describe('CustomResourceDefinition', () => {
  it('defaults singular, listKind and conversion', () => {
    expect(crd().spec).toMatchObject({ names: { singular: 'foo', listKind: 'FooList' }, conversion: { strategy: 'None' } });
    expect(messages(crd())).toEqual([]);
  });
  it('names must be <plural>.<group>, the group a domain', () => {
    expect(messages(crd({}, 'bars.example.com'))).toEqual(['metadata.name: Invalid value: "bars.example.com": must be spec.names.plural+"."+spec.group']);
    expect(messages(crd({ group: 'example' }, 'foos.example'))).toEqual(['spec.group: Invalid value: "example": should be a domain with at least one dot']);
  });
  it('a group of Kubernetes itself needs the api-approved annotation', () => {
    expect(messages(crd({ group: 'x.k8s.io' }, 'foos.x.k8s.io'))).toEqual(['metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval annotation "api-approved.kubernetes.io", see https://github.com/kubernetes/enhancements/pull/1111']);
    const approved = crd({ group: 'x.k8s.io' }, 'foos.x.k8s.io');
    approved.metadata!.annotations = { 'api-approved.kubernetes.io': 'https://github.com/kubernetes/enhancements/pull/1111' };
    expect(messages(approved)).toEqual([]);
  });
  it('checks the names, scope, versions and conversion', () => {
    expect(messages(crd({ names: { plural: 'Foos', kind: 'Foo' } }, 'Foos.example.com'))).toContain(
      'spec.names.plural: Invalid value: "Foos": a DNS-1035 label must consist of lower case alphanumeric characters or \'-\', start with an alphabetic character, and end with an alphanumeric character (e.g. \'my-name\',  or \'abc-123\', regex used for validation is \'[a-z]([-a-z0-9]*[a-z0-9])?\')',
    );
    expect(messages(crd({ names: { plural: 'foos', kind: 'Foo', listKind: 'Foo' } }))).toEqual(['spec.names.listKind: Invalid value: "Foo": kind and listKind may not be the same']);
    expect(messages(crd({ scope: 'Everywhere' }))).toEqual(['spec.scope: Unsupported value: "Everywhere": supported values: "Cluster", "Namespaced"']);
    const v = crd().spec.versions[0]!;
    expect(messages(crd({ versions: [v, { ...v, name: 'v2' }] }))).toEqual(['spec.versions: Invalid value: ["v1","v2"]: must have exactly one version marked as storage version']);
    expect(messages(crd({ versions: [v, { ...v, storage: false }] }))).toEqual(['spec.versions[1].name: Duplicate value: "v1"']);
    expect(messages(crd({ versions: [{ ...v, schema: undefined }] }))).toEqual(['spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required']);
    expect(messages(crd({ versions: [{ ...v, schema: {} }] }))).toEqual(['spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required']);
    expect(messages(crd({ conversion: { strategy: 'Webhook' } }))).toEqual(['spec.conversion.strategy: Invalid value: "Webhook": webhook conversion is not supported by this server; use None']);
  });
  it('schemas must be structural', () => {
    const v = crd().spec.versions[0]!;
    const withSchema = (s: object) => messages(crd({ versions: [{ ...v, schema: { openAPIV3Schema: s as never } }] }));
    expect(withSchema({ properties: {} })).toEqual(['spec.validation.openAPIV3Schema.type: Required value: must not be empty at the root']);
    expect(withSchema({ type: 'object', properties: { a: { type: 'array' } } })).toEqual(['spec.validation.openAPIV3Schema.properties[a].items: Required value: must be specified']);
    expect(withSchema({ type: 'object', properties: { a: { type: 'object', properties: { b: {} } } } })).toEqual(['spec.validation.openAPIV3Schema.properties[a].properties[b].type: Required value: must not be empty for specified object fields']);
    expect(withSchema({ type: 'object', properties: { n: { type: 'integer', minimum: 1, default: 'one' } } })).toEqual([
      'spec.validation.openAPIV3Schema.properties[n].default: Invalid value: "string": spec.validation.openAPIV3Schema.properties[n].default in body must be of type integer: "string"',
    ]);
    expect(withSchema({ type: 'object', properties: { n: { type: 'integer', minimum: 1, default: 0 } } })).toEqual([
      'spec.validation.openAPIV3Schema.properties[n].default: Invalid value: 0: spec.validation.openAPIV3Schema.properties[n].default in body should be greater than or equal to 1',
    ]);
    expect(withSchema({ type: 'object', properties: { a: { 'x-kubernetes-preserve-unknown-fields': true }, b: { 'x-kubernetes-int-or-string': true } } })).toEqual([]);
    expect(withSchema({ type: 'object', properties: { metadata: { type: 'object', properties: { labels: { type: 'object' } } } } })).toEqual([
      'spec.validation.openAPIV3Schema.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified',
    ]);
    expect(withSchema({ type: 'object', properties: { a: { type: 'object', properties: { x: { type: 'string' } }, additionalProperties: { type: 'string' } } } })).toEqual([
      'spec.validation.openAPIV3Schema.properties[a].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive',
    ]);    // patterns are RE2, as Kubernetes compiles them: lookaround is refused in Go's words, \- and [[:alpha:]] are fine
    expect(withSchema({ type: 'object', properties: { a: { type: 'string', pattern: '^(?!x)' }, b: { type: 'string', pattern: '^[[:alpha:]]\\-$' } } })).toEqual([
      'spec.validation.openAPIV3Schema.properties[a].pattern: Invalid value: "^(?!x)": must be a valid regular expression, but isn\'t: error parsing regexp: invalid or unsupported Perl syntax: `(?!`',
    ]);
  });
  it('tells a shared schema\'s errors after the names, and the API approval last, as ValidateCustomResourceDefinition orders them', () => {
    const v = crd().spec.versions[0]!;
    const c = crd({ group: 'x.k8s.io', names: { plural: 'foos', kind: 'Foo', listKind: 'Foo' }, versions: [{ ...v, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'array', items: { type: 'string' }, uniqueItems: true } } } } }] }, 'foos.x.k8s.io');
    expect(messages(c)).toEqual([
      'spec.names.listKind: Invalid value: "Foo": kind and listKind may not be the same',
      'spec.validation.openAPIV3Schema.properties[spec].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic',
      'metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval annotation "api-approved.kubernetes.io", see https://github.com/kubernetes/enhancements/pull/1111',
    ]);
  });
  it('scale paths and printer columns', () => {
    const v = crd().spec.versions[0]!;
    const c = crd({ versions: [{ ...v, subresources: { scale: { specReplicasPath: '.status.r', statusReplicasPath: '.spec.r' } }, additionalPrinterColumns: [{ name: 'X', type: 'float', jsonPath: '.spec.x' }] }] });
    expect(messages(c)).toEqual([
      'spec.versions[0].subresources.scale.specReplicasPath: Invalid value: ".status.r": should be a json path under .spec',
      'spec.versions[0].subresources.scale.statusReplicasPath: Invalid value: ".spec.r": should be a json path under .status',
      'spec.versions[0].additionalPrinterColumns[0].type: Unsupported value: "float": supported values: "integer", "number", "string", "boolean", "date"',
    ]);
  });
  it('scope and group are immutable; stored versions must stay', () => {
    const old = crd();
    old.status = { storedVersions: ['v1'] };
    const next = crd({ scope: 'Cluster', versions: [{ ...old.spec.versions[0]!, name: 'v2' }] });
    next.status = old.status;
    expect(validateCRDUpdate(next, old).map(formatFieldError)).toEqual(['spec.scope: Invalid value: "Cluster": field is immutable', 'status.storedVersions: Invalid value: ["v1"]: must have the same version v1 in spec.versions']);
  });
  it('names unknown fields anywhere in the definition', () => {
    const c = crd() as unknown as Record<string, unknown>;
    const spec = c.spec as Record<string, unknown>;
    spec.extra = 1;
    ((spec.versions as Record<string, unknown>[])[0]!.schema as { openAPIV3Schema: { properties: { spec: Record<string, unknown> } } }).openAPIV3Schema.properties.spec.typo = true;
    expect(unknownCRDFields(c as never).map((e) => e.field)).toEqual(['spec.versions[0].schema.openAPIV3Schema.properties.spec.typo', 'spec.extra']);
    const rules = crd() as unknown as { spec: { versions: { schema: { openAPIV3Schema: Record<string, unknown> } }[] } };
    rules.spec.versions[0]!.schema.openAPIV3Schema['x-kubernetes-validations'] = [{ rule: 'true', mesage: 'typo' }];
    expect(unknownCRDFields(rules as never).map((e) => e.field)).toEqual(['spec.versions[0].schema.openAPIV3Schema.x-kubernetes-validations[0].mesage']);
  });
  it("tells a mistyped value as Go's decoder does (these crashed validation), and makes null elements empty", () => {
    const typed = (edit: (spec: Record<string, any>) => void) => {
      const c = crd() as unknown as { spec: Record<string, any> };
      edit(c.spec);
      return unknownCRDFields(c as never).map((e) => `${e.type} ${e.field}: ${e.detail}`);
    };
    expect(typed((s) => (s.names.kind = []))).toEqual(['FieldValueTypeInvalid spec.names.kind: json: cannot unmarshal array into Go struct field CustomResourceDefinitionNames.spec.names.kind of type string']);
    expect(typed((s) => (s.versions = '*'))).toEqual(['FieldValueTypeInvalid spec.versions: json: cannot unmarshal string into Go struct field CustomResourceDefinitionSpec.spec.versions of type []v1.CustomResourceDefinitionVersion']);
    expect(typed((s) => (s.names.shortNames = true))).toEqual(['FieldValueTypeInvalid spec.names.shortNames: json: cannot unmarshal bool into Go struct field CustomResourceDefinitionNames.spec.names.shortNames of type []string']);
    expect(typed((s) => (s.names.shortNames = ['ok', 7]))).toEqual(['FieldValueTypeInvalid spec.names.shortNames[1]: json: cannot unmarshal number into Go struct field CustomResourceDefinitionNames.spec.names.shortNames of type string']);
    expect(typed((s) => (s.versions[0].storage = {}))).toEqual(['FieldValueTypeInvalid spec.versions[0].storage: json: cannot unmarshal object into Go struct field CustomResourceDefinitionVersion.spec.versions.storage of type bool']);
    expect(typed((s) => (s.versions[0].schema.openAPIV3Schema = []))).toEqual(['FieldValueTypeInvalid spec.versions[0].schema.openAPIV3Schema: json: cannot unmarshal array into Go struct field CustomResourceValidation.spec.versions.schema.openAPIV3Schema of type v1.JSONSchemaProps']);
    expect(typed((s) => (s.versions[0].schema.openAPIV3Schema.properties.spec.properties = { n: { type: 'integer', maximum: 'ten' } }))).toEqual([
      'FieldValueTypeInvalid spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.n.maximum: json: cannot unmarshal string into Go struct field JSONSchemaProps.spec.versions.schema.openAPIV3Schema.properties.properties.maximum of type float64',
    ]);
    expect(typed((s) => (s.versions[0].additionalPrinterColumns = [{ name: 'a', type: 'integer', jsonPath: '.a', priority: 1.5 }]))).toEqual([
      'FieldValueTypeInvalid spec.versions[0].additionalPrinterColumns[0].priority: json: cannot unmarshal number 1.5 into Go struct field CustomResourceColumnDefinition.spec.versions.additionalPrinterColumns.priority of type int32',
    ]);
    // additionalProperties takes a bool or a schema, items a schema or a list of them
    expect(typed((s) => (s.versions[0].schema.openAPIV3Schema.properties.spec = { type: 'object', additionalProperties: false, properties: { l: { type: 'array', items: [{ type: 'string' }] } } }))).toEqual([]);
    const c = crd() as unknown as { spec: Record<string, any> };
    c.spec.versions = [c.spec.versions[0], null];
    expect(unknownCRDFields(c as never)).toEqual([]);
    expect(c.spec.versions[1]).toEqual({});
  });
});
