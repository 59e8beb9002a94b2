import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { collectSchemas } from './openapi.js';
import { swaggerDoc, swaggerProto, toV2Schema } from './openapi-v2.js';

describe('openapi v2', () => {
  it('turns v3 schemas into Swagger 2.0 definitions', () => {
    expect(toV2Schema({ description: 'd', allOf: [{ $ref: '#/components/schemas/a.B' }], default: {} })).toEqual({ $ref: '#/definitions/a.B', description: 'd' });
    // (kubectl reads a struct's patch strategy beside its $ref, as kube-openapi writes DeploymentSpec.strategy)
    expect(toV2Schema({ description: 'd', allOf: [{ $ref: '#/components/schemas/a.B' }], default: {}, 'x-kubernetes-patch-strategy': 'retainKeys' })).toEqual({ $ref: '#/definitions/a.B', description: 'd', 'x-kubernetes-patch-strategy': 'retainKeys' });
    expect(toV2Schema({ type: 'array', items: { allOf: [{ $ref: '#/components/schemas/a.C' }], default: {} }, 'x-kubernetes-list-type': 'atomic' })).toEqual({
      type: 'array',
      items: { $ref: '#/definitions/a.C' },
      'x-kubernetes-list-type': 'atomic',
    });
    expect(toV2Schema({ type: 'object', nullable: true, additionalProperties: { type: 'string', default: '' } })).toEqual({ type: 'object', additionalProperties: { type: 'string' } });
  });

  it('publishes IntOrString as v3 oneOf without a type (kubectl explain: <IntOrString>) and as v2 type string', () => {
    const v3 = collectSchemas(['DeploymentSpec'])['io.k8s.apimachinery.pkg.util.intstr.IntOrString']!;
    expect(v3).toMatchObject({ format: 'int-or-string', oneOf: [{ type: 'integer' }, { type: 'string' }] });
    expect(v3.type).toBeUndefined();
    expect(toV2Schema(v3)).toEqual({ description: v3.description, type: 'string', format: 'int-or-string' });
  });

  it('encodes gnostic openapi.v2.Document protobuf: definitions with properties, types, required and vendor extensions', () => {
    const doc = swaggerDoc(
      {
        'io.k8s.api.x.v1.Thing': { type: 'object', required: ['spec'], properties: { spec: { allOf: [{ $ref: '#/components/schemas/io.k8s.api.x.v1.Spec' }] }, n: { type: 'integer', format: 'int32', minimum: -1 } }, 'x-kubernetes-group-version-kind': [{ group: 'x', kind: 'Thing', version: 'v1' }] },
      },
      'v1.32.0',
    );
    // A decoder written from gnostic's OpenAPIv2.proto field numbers (the subset used).
    const root = protobuf.parse(`syntax = "proto3";
      message Any { string yaml = 2; }
      message NamedAny { string name = 1; Any value = 2; }
      message TypeItem { repeated string value = 1; }
      message Properties { repeated NamedSchema additional_properties = 1; }
      message Schema { string _ref = 1; string format = 2; double minimum = 9; repeated string required = 19; TypeItem type = 22; Properties properties = 25; repeated NamedAny vendor_extension = 31; }
      message NamedSchema { string name = 1; Schema value = 2; }
      message Definitions { repeated NamedSchema additional_properties = 1; }
      message Info { string title = 1; string version = 2; }
      message Document { string swagger = 1; Info info = 2; Definitions definitions = 9; }`).root;
    const decoded = root.lookupType('Document').toObject(root.lookupType('Document').decode(swaggerProto(doc))) as any;
    expect(decoded.swagger).toBe('2.0');
    expect(decoded.info).toEqual({ title: 'Kubernetes', version: 'v1.32.0' });
    const [thing] = decoded.definitions.additionalProperties;
    expect(thing.name).toBe('io.k8s.api.x.v1.Thing');
    expect(thing.value.type.value).toEqual(['object']);
    expect(thing.value.required).toEqual(['spec']);
    const props = Object.fromEntries(thing.value.properties.additionalProperties.map((p: any) => [p.name, p.value]));
    expect(props.spec._ref).toBe('#/definitions/io.k8s.api.x.v1.Spec');
    expect(props.n).toEqual({ type: { value: ['integer'] }, format: 'int32', minimum: -1 });
    expect(JSON.parse(thing.value.vendorExtension[0].value.yaml)).toEqual([{ group: 'x', kind: 'Thing', version: 'v1' }]);
  });
});
