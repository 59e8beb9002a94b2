// The resources a CustomResourceDefinition defines, one per served version, with the strategy
// apiextensions-apiserver gives custom resources: decoding prunes what the version's schema does
// not declare, `default`s are filled in, the schema validates; with a status subresource the
// main resource keeps the stored status and /status keeps everything else; every version is
// stored in the storage version's form (conversion None: only apiVersion changes).
import type { FieldError } from '../../api/field-error.js';
import { applyDefaults, prune, validateAgainstSchema, type JSONSchemaProps } from '../../api/crd-schema.js';
import { decodeStrict } from '../../api/schema-validate.js';
import { describeCustomResource } from '../../api/crd-field-types.js';
import type { KubeObject } from '../../api/types.js';
import { storageVersionOf, unknownCRDFields, validateCRD, validateCRDUpdate, defaultCRD, CRD_CLEANUP_FINALIZER, type CRDVersion, type CustomResourceDefinition } from '../../api/validation-crd.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../api/validation-meta.js';
import { unknownField } from '../../api/field-error.js';
import type { RequestContext } from './request-types.js';
import { reportDecoding } from './store.js';
import { ApiError } from '../errors.js';
import type { ResourceInfo } from './resources.js';

const CRD_GROUP = 'apiextensions.k8s.io';

/** ObjectMeta decoding of `obj.metadata`, paths prefixed. */
function metadataErrors(obj: KubeObject): FieldError[] {
  if (obj.metadata === undefined || obj.metadata === null) return [];
  return decodeStrict('ObjectMeta', obj.metadata).map((e) => ({ ...e, field: `metadata.${e.field}` }));
}

const metaFields = (namespaced: boolean) => (obj: KubeObject): Record<string, string> =>
  namespaced ? { 'metadata.name': obj.metadata?.name ?? '', 'metadata.namespace': obj.metadata?.namespace ?? '' } : { 'metadata.name': obj.metadata?.name ?? '' };

/** apiextensions.k8s.io/v1 CustomResourceDefinitions (cluster-scoped; status written by the apiserver's CRD controller). */
export const customresourcedefinitions: ResourceInfo = {
  name: 'customresourcedefinitions',
  singularName: 'customresourcedefinition',
  kind: 'CustomResourceDefinition',
  listKind: 'CustomResourceDefinitionList',
  group: CRD_GROUP,
  version: 'v1',
  namespaced: false,
  shortNames: ['crd', 'crds'],
  categories: ['api-extensions'],
  typeName: 'CustomResourceDefinition',
  subresources: ['status'],
  allowUnconditionalUpdate: true,
  decode(obj, ctx) {
    reportDecoding(this, obj, [...metadataErrors(obj), ...unknownCRDFields(obj)], ctx);
  },
  prepareForCreate(obj) {
    const crd = obj as CustomResourceDefinition;
    defaultCRD(crd);
    const storage = storageVersionOf(crd);
    crd.status = { conditions: [], acceptedNames: { plural: '', kind: '' }, storedVersions: storage ? [storage] : [] };
    const meta = crd.metadata!;
    if (!(meta.finalizers ?? []).includes(CRD_CLEANUP_FINALIZER)) meta.finalizers = [...(meta.finalizers ?? []), CRD_CLEANUP_FINALIZER];
  },
  prepareForUpdate(obj, old) {
    const crd = obj as CustomResourceDefinition;
    crd.status = structuredClone((old as CustomResourceDefinition).status);
    defaultCRD(crd);
    const storage = storageVersionOf(crd);
    const stored = (crd.status ??= {}).storedVersions ?? [];
    if (storage && !stored.includes(storage)) crd.status.storedVersions = [...stored, storage];
  },
  validate: (obj) => validateCRD(obj as CustomResourceDefinition),
  validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj.metadata, old.metadata, false), ...validateCRDUpdate(obj as CustomResourceDefinition, old as CustomResourceDefinition)],
  writable: {
    status: {
      take: (body, kept) => {
        kept.status = body.status;
      },
      validateUpdate: () => [],
    },
  },
  fields: metaFields(false),
};

/** The schema of a version: its own, Kubernetes having dropped the top-level one in v1. */
const schemaOf = (v: CRDVersion): JSONSchemaProps | undefined => v.schema?.openAPIV3Schema;

/** Defaults, then schema and metadata validation, of a custom resource as `v` describes it. */
function validateCustom(obj: KubeObject, v: CRDVersion, namespaced: boolean): FieldError[] {
  return [...validateObjectMeta(obj.metadata, namespaced), ...validateAgainstSchema(obj, schemaOf(v))];
}

/** The resource of one served version of `crd`; `storage` is the storage version's resource (undefined for itself). */
function versionResource(crd: CustomResourceDefinition, v: CRDVersion, storage: ResourceInfo | undefined, terminating: boolean): ResourceInfo {
  const names = crd.status?.acceptedNames?.plural ? crd.status.acceptedNames : crd.spec.names;
  const namespaced = crd.spec.scope === 'Namespaced';
  const hasStatus = v.subresources?.status !== undefined;
  const schema = schemaOf(v);
  const r: ResourceInfo = {
    name: names.plural!,
    singularName: names.singular ?? names.kind!.toLowerCase(),
    kind: names.kind!,
    listKind: names.listKind ?? `${names.kind}List`,
    group: crd.spec.group,
    version: v.name,
    namespaced,
    shortNames: names.shortNames ?? [],
    categories: names.categories ?? [],
    typeName: describeCustomResource(crd.spec.group, v.name, names.kind!, schema),
    subresources: [...(hasStatus ? ['status'] : []), ...(v.subresources?.scale ? ['scale'] : [])],
    allowUnconditionalUpdate: false,
    custom: true,
    decode(obj: KubeObject, ctx: RequestContext) {
      const errs = metadataErrors(obj);
      const unknown = prune(obj, schema).map(unknownField);
      // Pruned fields are gone already; they are reported (Strict: 400, Warn: warnings).
      if (ctx.fieldValidation === 'Strict' || ctx.fieldValidation === 'Warn') errs.push(...unknown);
      reportDecoding(r, obj, errs, ctx);
      applyDefaults(obj, schema);
    },
    prepareForCreate(obj) {
      if (terminating) throw new ApiError(405, 'MethodNotAllowed', 'create not allowed while custom resource definition is terminating');
      if (hasStatus) delete obj.status;
    },
    prepareForUpdate(obj, old) {
      if (hasStatus) {
        if (old.status === undefined) delete obj.status;
        else obj.status = old.status;
      }
    },
    validate: (obj) => validateCustom(obj, v, namespaced),
    validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj.metadata, old.metadata, namespaced), ...validateAgainstSchema(obj, schema)],
    writable: hasStatus
      ? {
          status: {
            take: (body, kept) => {
              kept.status = body.status;
            },
            validateUpdate: (obj) => validateAgainstSchema(obj, schema),
          },
        }
      : {},
    fields: metaFields(namespaced),
    scalePaths: v.subresources?.scale,
    schema,
    printerColumns: v.additionalPrinterColumns ?? [],
  };
  // Conversion None: objects of every version are stored alike and only their apiVersion
  // changes, on the way in (to the storage version) and out (to the request's version), so
  // objects written under an earlier storage version read right too.
  {
    const apiVersion = `${crd.spec.group}/${v.name}`;
    const stored = storage ?? r;
    r.view = {
      storage: stored,
      defaults: () => {},
      toStorage: (obj) => ({ ...obj, apiVersion: `${stored.group}/${stored.version}` }),
      fromStorage: (obj) => ({ ...obj, apiVersion }),
    };
  }
  return r;
}

/**
 * The resources `crd` serves: the storage version's first (its store holds every version's
 * objects), then the other served versions as views over it.
 */
export function customResourcesOf(crd: CustomResourceDefinition, terminating = false): ResourceInfo[] {
  const storageVersion = crd.spec.versions.find((v) => v.storage);
  if (!storageVersion) return [];
  const storage = versionResource(crd, storageVersion, undefined, terminating);
  const out = [storage];
  for (const v of crd.spec.versions) if (v.served && v !== storageVersion) out.push(versionResource(crd, v, storage, terminating));
  return out;
}

/** Kubernetes' version priority: GA before beta before alpha, higher numbers first, then other names alphabetically. */
export function compareKubeVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return undefined;
    return { major: Number(m[1]), stage: m[2] === 'alpha' ? 0 : m[2] === 'beta' ? 1 : 2, minor: Number(m[3] ?? 0) };
  };
  const pa = parse(a);
  const pb = parse(b);
  if (!pa || !pb) return pa ? -1 : pb ? 1 : a < b ? -1 : a > b ? 1 : 0;
  if (pa.stage !== pb.stage) return pb.stage - pa.stage;
  if (pa.major !== pb.major) return pb.major - pa.major;
  return pb.minor - pa.minor;
}
