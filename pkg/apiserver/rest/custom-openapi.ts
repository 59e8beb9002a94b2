// OpenAPI v3 documents of what CustomResourceDefinitions add: apiextensions.k8s.io/v1 itself
// (the CustomResourceDefinition kind) and one document per custom group-version, with each
// version's schema under `<reversed group>.<version>.<Kind>` and operations carrying
// x-kubernetes-group-version-kind and fieldValidation, so that kubectl apply validates on the
// server and patches custom resources with JSON merge patches (no strategic merge patch offered).
import { createHash } from 'node:crypto';
import { collectSchemas, openapiV3Doc, openapiV3Index, pathsFor } from '../../api/openapi.js';
import { swaggerDoc, swaggerProto } from '../../api/openapi-v2.js';
import type { JSONSchemaProps } from '../../api/crd-schema.js';
import { groupVersionPath, type KindInfo } from '../../api/kinds.js';
import type { ResourceInfo } from '../registry/resources.js';

type Schema = Record<string, unknown>;
const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const LIST_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta';
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const CUSTOM_PATCH_MEDIA = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json'];

/** `com.example.stable.v1.CronTab`, as kube-apiserver names a custom resource's schema. */
export const customDefinitionName = (group: string, version: string, kind: string) => `${group.split('.').reverse().join('.')}.${version}.${kind}`;

const kindInfo = (r: ResourceInfo): KindInfo => ({
  group: r.group,
  version: r.version,
  kind: r.kind,
  resource: r.name,
  namespaced: r.namespaced,
  typeName: r.typeName,
  subresources: r.subresources.filter((s): s is 'status' | 'scale' => s === 'status' || s === 'scale'),
});

/** A JSONSchemaProps as OpenAPI: the same keywords; metadata at the root becomes ObjectMeta. */
function objectSchema(r: ResourceInfo, schema: JSONSchemaProps | undefined): Schema {
  const gvk = [{ group: r.group, kind: r.kind, version: r.version }];
  const props: Schema = { ...(schema?.properties ?? {}) };
  props.apiVersion = { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' };
  props.kind = { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' };
  props.metadata = { allOf: [ref(OBJECT_META)], description: "Standard object's metadata." };
  return { ...(schema ?? {}), type: 'object', properties: props, 'x-kubernetes-group-version-kind': gvk };
}

function listSchema(r: ResourceInfo, def: string): Schema {
  return {
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { allOf: [ref(LIST_META)] },
      items: { type: 'array', items: ref(def) },
    },
    'x-kubernetes-group-version-kind': [{ group: r.group, kind: r.listKind, version: r.version }],
  };
}

const CRD_DEF = 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition';

interface Built {
  doc: Schema;
  hash: string;
}

/**
 * The documents of group-versions served by `resources` that the built-in OpenAPI does not
 * know: custom ones (each resource carries its version's schema), and apiextensions.k8s.io/v1.
 */
export class CustomOpenAPI {
  private cache: { generation: number; docs: Map<string, Built> } | undefined;
  private v2cache: { generation: number; json: string; proto: Buffer; etag: string } | undefined;

  constructor(
    private readonly source: {
      readonly generation: number;
      all(): ResourceInfo[];
    },
  ) {}

  private docs(): Map<string, Built> {
    const gen = this.source.generation;
    if (this.cache?.generation === gen) return this.cache.docs;
    const byGv = new Map<string, ResourceInfo[]>();
    for (const r of this.source.all()) {
      if (!r.custom && r.name !== 'customresourcedefinitions') continue;
      const gv = groupVersionPath(r.group, r.version);
      byGv.set(gv, [...(byGv.get(gv) ?? []), r]);
    }
    const docs = new Map<string, Built>();
    for (const [gv, rs] of byGv) docs.set(gv, this.build(rs));
    this.cache = { generation: gen, docs };
    return docs;
  }

  private build(rs: ResourceInfo[]): Built {
    const paths: Schema = {};
    const own: Schema = {};
    for (const r of rs) {
      if (r.custom) {
        const def = customDefinitionName(r.group, r.version, r.kind);
        const listDef = `${def}List`;
        own[def] = objectSchema(r, r.schema);
        own[listDef] = listSchema(r, def);
        Object.assign(paths, pathsFor(kindInfo(r), { def, listDef, patchMedia: CUSTOM_PATCH_MEDIA }));
      } else {
        own[CRD_DEF] = {
          type: 'object',
          required: ['spec'],
          properties: {
            apiVersion: { type: 'string' },
            kind: { type: 'string' },
            metadata: { allOf: [ref(OBJECT_META)] },
            spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
            status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          },
          'x-kubernetes-group-version-kind': [{ group: r.group, kind: r.kind, version: r.version }],
        };
        own[`${CRD_DEF}List`] = listSchema(r, CRD_DEF);
        // (the definition's schema is not published field by field: kubectl, offered no strategic
        // merge patch, sends JSON merge patches rather than fail to walk it)
        Object.assign(paths, pathsFor(kindInfo(r), { def: CRD_DEF, listDef: `${CRD_DEF}List`, patchMedia: CUSTOM_PATCH_MEDIA }));
      }
    }
    const schemas = { ...collectSchemas(['ObjectMeta', 'ListMeta', 'Status', 'DeleteOptions', 'WatchEvent', 'Scale']), ...own };
    const doc = {
      openapi: '3.0.0',
      info: { title: 'Kubernetes CRD Swagger', version: 'v0.1.0' },
      paths,
      components: { schemas, securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' } } },
    };
    return { doc, hash: createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase() };
  }

  /** GET /openapi/v3: the built-in group-versions and these. */
  index(): { paths: Record<string, { serverRelativeURL: string }> } {
    const out = openapiV3Index();
    for (const [gv, b] of this.docs()) out.paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${b.hash}` };
    return out;
  }

  /** GET /openapi/v2: the schemas of every group-version's v3 document, as one Swagger 2.0 document (JSON and protobuf). */
  v2(): { json: string; proto: Buffer; etag: string } {
    const gen = this.source.generation;
    if (this.v2cache?.generation === gen) return this.v2cache;
    const schemas: Record<string, Schema> = {};
    for (const gv of Object.keys(this.index().paths)) {
      const doc = this.doc(gv) as { components?: { schemas?: Record<string, Schema> } } | undefined;
      Object.assign(schemas, doc?.components?.schemas ?? {});
    }
    const doc = swaggerDoc(schemas, 'v1.32.0');
    const json = JSON.stringify(doc);
    const etag = createHash('sha512').update(json).digest('hex').toUpperCase();
    this.v2cache = { generation: gen, json, proto: swaggerProto(doc), etag };
    return this.v2cache;
  }

  /** GET /openapi/v3/<gv>. */
  doc(groupVersion: string): Record<string, unknown> | undefined {
    const gv = groupVersion.split('?')[0]!.replace(/^\/+|\/+$/g, '');
    return this.docs().get(gv)?.doc ?? openapiV3Doc(gv);
  }
}
