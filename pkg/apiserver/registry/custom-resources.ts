// The resources a CustomResourceDefinition defines, one per served version, with the strategy
// apiextensions-apiserver gives custom resources: decoding prunes what the version's schema does
// not declare, `default`s are filled in, the schema validates; with a status subresource the
// main resource keeps the stored status and /status keeps everything else; every version is
// stored in the storage version's form (conversion None: only apiVersion changes).
import type { FieldError } from '../../api/field-error.js';
import { applyDefaults, prune, validateAgainstSchema, type JSONSchemaProps } from '../../api/crd-schema.js';
import { coerceEmbeddedMetadata } from '../../api/crd-embedded-meta.js';
import { decodeStrict } from '../../api/schema-validate.js';
import { deepEqual } from '../../api/json-equal.js';
import { validateObjectRules } from '../../api/crd-cel-validate.js';
import { describeCustomResource } from '../../api/crd-field-types.js';
import type { KubeObject } from '../../api/types.js';
import { simpleJsonPath, storageVersionOf, unknownCRDFields, validateCRD, validateCRDUpdate, defaultCRD, CRD_CLEANUP_FINALIZER, type CRDVersion, type CustomResourceDefinition } from '../../api/validation-crd.js';
import { validateGenericObjectMeta, validateGenericObjectMetaUpdate } from '../../api/validation-meta.js';
import { unknownField } from '../../api/field-error.js';
import type { RequestContext } from './request-types.js';
import { reportDecoding } from './store.js';
import { ApiError } from '../errors.js';
import { specChanged, type ResourceInfo } from './resources.js';

const CRD_GROUP = 'apiextensions.k8s.io';

/** ObjectMeta decoding of `obj.metadata`, paths prefixed. */
function metadataErrors(obj: KubeObject): FieldError[] {
  if (obj.metadata === undefined) return [];
  return decodeStrict('ObjectMeta', obj.metadata, 'metadata');
}

const metaFields = (namespaced: boolean) => (obj: KubeObject): Record<string, string> =>
  namespaced ? { 'metadata.name': obj.metadata?.name ?? '', 'metadata.namespace': obj.metadata?.namespace ?? '' } : { 'metadata.name': obj.metadata?.name ?? '' };

/**
 * A custom resource's field-selector fields: its metadata's, and the `selectableFields` of its
 * CRD's versions (CustomResourceFieldSelectors, GA in 1.32), read from the stored object:
 * `spec.color` is the value at `.spec.color` as a string, "" where absent.
 */
function crFields(crd: CustomResourceDefinition, namespaced: boolean): (obj: KubeObject) => Record<string, string> {
  const paths = [...new Set(crd.spec.versions.flatMap((v) => (v.selectableFields ?? []).map((f) => f.jsonPath ?? '')))].map((p) => [p.slice(1), simpleJsonPath(p)] as const).filter((x): x is readonly [string, string[]] => !!x[1]);
  const meta = metaFields(namespaced);
  if (!paths.length) return meta;
  return (obj) => {
    const out = meta(obj);
    for (const [label, parts] of paths) {
      let v: unknown = obj;
      for (const part of parts) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
      out[label] = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
    }
    return out;
  };
}

/** apiextensions.k8s.io/v1 CustomResourceDefinitions (cluster-scoped; status written by the apiserver's CRD controller). */
export const customresourcedefinitions: ResourceInfo = {
  generationChanged: specChanged('CustomResourceDefinition'),
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
  validateUpdate: (obj, old) => [...validateGenericObjectMetaUpdate(obj.metadata, old.metadata, false), ...validateCRDUpdate(obj as CustomResourceDefinition, old as CustomResourceDefinition)],
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

/** The schema's checks, then its CEL rules (`old` on update, for transition rules), as Kubernetes orders them. */
function validateWithRules(obj: KubeObject, old: KubeObject | undefined, schema: JSONSchemaProps | undefined): FieldError[] {
  const errs = validateAgainstSchema(obj, schema, '', true, old);
  return [...errs, ...validateObjectRules(obj, old, schema, errs)];
}

/** Whether a schema declares a default anywhere. */
function hasDefaults(s: JSONSchemaProps | undefined): boolean {
  if (!s) return false;
  if (s.default !== undefined) return true;
  if (Object.values(s.properties ?? {}).some(hasDefaults)) return true;
  return hasDefaults(s.items) || (typeof s.additionalProperties === 'object' && hasDefaults(s.additionalProperties));
}

const generationBasis = (obj: KubeObject, withoutStatus: boolean) => {
  const { metadata: _m, apiVersion: _a, kind: _k, status, ...rest } = obj;
  return withoutStatus ? rest : { ...rest, status };
};

/** The schema of a version: its own, Kubernetes having dropped the top-level one in v1. */
const schemaOf = (v: CRDVersion): JSONSchemaProps | undefined => v.schema?.openAPIV3Schema;

/**
 * The resource of one served version of `crd`; `storage` is the storage version's resource
 * (undefined for itself). Bodies keep the apiVersion of their request until they are stored, so
 * that decoding and validation, in the store too, use the schema of the version they were sent
 * in (`schemas`, by apiVersion), as apiextensions-apiserver's per-version strategies do.
 */
function versionResource(crd: CustomResourceDefinition, v: CRDVersion, storage: ResourceInfo | undefined, terminating: boolean, schemas: Map<string, JSONSchemaProps | undefined>): ResourceInfo {
  const names = crd.status?.acceptedNames?.plural ? crd.status.acceptedNames : crd.spec.names;
  const namespaced = crd.spec.scope === 'Namespaced';
  const hasStatus = v.subresources?.status !== undefined;
  const schema = schemaOf(v);
  const apiVersion = `${crd.spec.group}/${v.name}`;
  const schemaFor = (obj: KubeObject) => (obj.apiVersion && schemas.has(obj.apiVersion) ? schemas.get(obj.apiVersion) : schema);
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
      const unknown = prune(obj, schemaFor(obj)).map(unknownField);
      const embedded = coerceEmbeddedMetadata(obj, schemaFor(obj));
      errs.push(...embedded.filter((e) => e.type !== 'FieldValueUnknown'));
      unknown.push(...embedded.filter((e) => e.type === 'FieldValueUnknown'));
      // Pruned fields are gone already; they are reported (Strict: 400, Warn: warnings).
      if (ctx.fieldValidation === 'Strict' || ctx.fieldValidation === 'Warn') errs.push(...unknown);
      reportDecoding(r, obj, errs, ctx);
      applyDefaults(obj, schemaFor(obj));
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
    // (custom resources get apimachinery's ObjectMeta checks: an unqualified finalizer is allowed)
    validate: (obj) => [...validateGenericObjectMeta(obj.metadata, namespaced), ...validateWithRules(obj, undefined, schemaFor(obj))],
    validateUpdate: (obj, old) => [...validateGenericObjectMetaUpdate(obj.metadata, old.metadata, namespaced), ...validateWithRules(obj, old, schemaFor(obj))],
    writable: hasStatus
      ? {
          status: {
            take: (body, kept) => {
              kept.status = body.status;
            },
            validateUpdate: (obj, old) => validateWithRules(obj, old, schemaFor(obj)),
          },
        }
      : {},
    fields: crFields(crd, namespaced),
    // Anything but metadata (and status, when the status subresource has it) is what generation
    // counts, compared as Semantic.DeepEqual compares unstructured maps: key order aside, a null
    // member still a member.
    generationChanged: (obj, old) => !deepEqual(generationBasis(obj, hasStatus), generationBasis(old, hasStatus)),
    scalePaths: v.subresources?.scale,
    ...(v.deprecated ? { warning: v.deprecationWarning ?? defaultDeprecationWarning(crd, v.name) } : {}),
    schema,
    printerColumns: v.additionalPrinterColumns ?? [],
    apiVersions: [...schemas.keys()],
  };
  // Conversion None: objects of every version are stored alike (in the storage version's
  // apiVersion, which the store sets when it writes) and only their apiVersion changes on the
  // way out, so objects written under an earlier storage version read right too.
  // Objects read get the storage version's defaults, as kube-apiserver defaults what it reads
  // from etcd (a default added to the schema shows on objects stored before).
  const storageSchema = (storage ?? r).schema;
  const readDefaults = hasDefaults(storageSchema);
  r.view = {
    storage: storage ?? r,
    defaults: () => {},
    toStorage: (obj) => ({ ...obj, apiVersion }),
    fromStorage: (obj) => {
      if (!readDefaults) return { ...obj, apiVersion };
      const out = structuredClone(obj);
      applyDefaults(out, storageSchema);
      out.apiVersion = apiVersion;
      return out;
    },
  };
  return r;
}

/**
 * The resources `crd` serves: the storage version's first (its store holds every version's
 * objects), then the other served versions as views over it.
 */
export function customResourcesOf(crd: CustomResourceDefinition, terminating = false): ResourceInfo[] {
  const storageVersion = crd.spec.versions.find((v) => v.storage);
  if (!storageVersion) return [];
  const schemas = new Map(crd.spec.versions.map((v) => [`${crd.spec.group}/${v.name}`, schemaOf(v)]));
  const storage = versionResource(crd, storageVersion, undefined, terminating, schemas);
  const out = [storage];
  for (const v of crd.spec.versions) if (v.served && v !== storageVersion) out.push(versionResource(crd, v, storage, terminating, schemas));
  return out;
}

/** Kubernetes' version priority: GA before beta before alpha, higher numbers first, then other names alphabetically. */
/** defaultDeprecationWarning: `<group>/<version> <Kind> is deprecated`, and the newest served version not deprecated to use instead. */
function defaultDeprecationWarning(crd: CustomResourceDefinition, version: string): string {
  const kind = crd.spec.names.kind;
  const msg = `${crd.spec.group}/${version} ${kind} is deprecated`;
  const newer = crd.spec.versions.filter((x) => x.served && !x.deprecated && compareKubeVersions(x.name, version) < 0).map((x) => x.name).sort(compareKubeVersions);
  return newer.length ? `${msg}; use ${crd.spec.group}/${newer[0]} ${kind}` : msg;
}

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
