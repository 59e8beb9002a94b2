// A CustomResourceDefinition version's openAPIV3Schema, checked as apiextensions-apiserver 1.32
// checks it (validateCustomResourceDefinitionValidation): the OpenAPI subset Kubernetes accepts
// (ValidateCustomResourceDefinitionOpenAPISchema), the structural invariants
// (schema.ValidateStructural) and the defaults (defaulting.ValidateDefaults), with upstream's
// paths, words and order. Only apiextensions.k8s.io/v1 is served, so a schema must always be
// structural (spec.preserveUnknownFields is refused elsewhere). The CEL rules are crd-cel.ts's.
import { re2Test } from '../cel/re2-vm.js';
import { forbidden, formatFieldError, goStrings, invalid, notSupported, required, VerbatimValue, type FieldError } from './field-error.js';
import { prune, validateAgainstSchema, type JSONSchemaProps } from './crd-schema.js';
import { isObject } from './json-object.js';

/** A schema as it was sent: besides JSONSchemaProps it may hold what Kubernetes refuses (`items` as an array, `$ref`, ...). */
type Raw = Record<string, unknown>;

/**
 * Checks that update ratchets: each is on for a create, and on for an update unless the old
 * definition already broke it, so that an upgrade does not lock users out of CRDs it once took
 * (validationOptions in validation.go).
 */
export interface SchemaOptions {
  requireValidPropertyType: boolean;
  requireAtomicSetType: boolean;
  requireMapListKeysMapSetValidation: boolean;
  requirePrunedDefaults: boolean;
}

export const STRICT_SCHEMA_OPTIONS: SchemaOptions = { requireValidPropertyType: true, requireAtomicSetType: true, requireMapListKeysMapSetValidation: true, requirePrunedDefaults: true };

const OPENAPI_V3_TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];
const META_FIELDS = new Set(['metadata', 'kind', 'apiVersion']);

const has = (v: unknown) => v !== undefined && v !== null;
const nonEmptyMap = (v: unknown) => isObject(v) && Object.keys(v).length > 0;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const props = (s: Raw): [string, unknown][] => (isObject(s.properties) ? Object.entries(s.properties) : []);
const schemas = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
/** A Go *string printed by field.Invalid: nil is "null". */
const ptrValue = (v: unknown) => (has(v) ? v : 'null');

/**
 * What validateCustomResourceDefinitionValidation reports for one schema (`path` is
 * `spec.validation` or `spec.versions[i].schema`); `structural` says whether it is structural
 * with valid defaults, the condition for compiling its CEL rules.
 */
export function validateCRDSchema(schema: JSONSchemaProps, path: string, statusEnabled: boolean, opts: SchemaOptions): { errs: FieldError[]; structural: boolean } {
  const s = schema as unknown as Raw;
  const sp = `${path}.openAPIV3Schema`;
  const errs: FieldError[] = [];
  if (statusEnabled) errs.push(...rootWithStatus(s, path));
  if (s.nullable === true) errs.push(forbidden(`${sp}.nullable`, 'nullable cannot be true at the root'));
  // Structural errors overlap the OpenAPI ones when the schema cannot even be made structural:
  // then they are told only if nothing else is.
  const initError = newStructuralError(s);
  let structural = false;
  if (!initError) {
    const se = validateStructural(s, sp);
    const de = se.length ? [] : validateDefaults(s, sp, true, opts.requirePrunedDefaults);
    errs.push(...se, ...de);
    structural = !se.length && !de.length;
  }
  validateOpenAPISchema(s, sp, { allowDefaults: true, reason: '', insideMeta: false }, true, opts, errs);
  if (!errs.length && initError) errs.push(invalid(sp, '', initError));
  return { errs, structural };
}

// ---- the root of a schema of a version with the status subresource ----

// JSONSchemaProps' fields in Go's order, with the names upstream's message lists.
const ROOT_FIELDS: [string, string][] = [
  ['id', 'ID'], ['$schema', 'Schema'], ['$ref', 'Ref'], ['description', 'Description'], ['type', 'Type'], ['nullable', 'Nullable'], ['format', 'Format'], ['title', 'Title'],
  ['default', 'Default'], ['maximum', 'Maximum'], ['exclusiveMaximum', 'ExclusiveMaximum'], ['minimum', 'Minimum'], ['exclusiveMinimum', 'ExclusiveMinimum'], ['maxLength', 'MaxLength'],
  ['minLength', 'MinLength'], ['pattern', 'Pattern'], ['maxItems', 'MaxItems'], ['minItems', 'MinItems'], ['uniqueItems', 'UniqueItems'], ['multipleOf', 'MultipleOf'], ['enum', 'Enum'],
  ['maxProperties', 'MaxProperties'], ['minProperties', 'MinProperties'], ['required', 'Required'], ['items', 'Items'], ['allOf', 'AllOf'], ['oneOf', 'OneOf'], ['anyOf', 'AnyOf'],
  ['not', 'Not'], ['properties', 'Properties'], ['additionalProperties', 'AdditionalProperties'], ['patternProperties', 'PatternProperties'], ['dependencies', 'Dependencies'],
  ['additionalItems', 'AdditionalItems'], ['definitions', 'Definitions'], ['externalDocs', 'ExternalDocs'], ['example', 'Example'], ['x-kubernetes-preserve-unknown-fields', 'XPreserveUnknownFields'],
  ['x-kubernetes-embedded-resource', 'XEmbeddedResource'], ['x-kubernetes-int-or-string', 'XIntOrString'], ['x-kubernetes-list-map-keys', 'XListMapKeys'], ['x-kubernetes-list-type', 'XListType'],
  ['x-kubernetes-map-type', 'XMapType'], ['x-kubernetes-validations', 'XValidations'],
];
const ALLOWED_AT_ROOT = ['Description', 'Type', 'Format', 'Title', 'Maximum', 'ExclusiveMaximum', 'Minimum', 'ExclusiveMinimum', 'MaxLength', 'MinLength', 'Pattern', 'MaxItems', 'MinItems', 'UniqueItems', 'MultipleOf', 'Required', 'Items', 'Properties', 'ExternalDocs', 'Example', 'XPreserveUnknownFields', 'XValidations'];

/** With the status subresource, status is validated by properties[status] alone: the root may not hold what would be lost. */
function rootWithStatus(s: Raw, path: string): FieldError[] {
  for (const [key, goName] of ROOT_FIELDS) {
    const v = s[key];
    // (Go skips zero values; a *bool such as x-kubernetes-preserve-unknown-fields: false is not one)
    if (!has(v) || v === '' || (v === false && goName !== 'XPreserveUnknownFields')) continue;
    if (goName === 'Type') {
      if (v !== 'object') return [invalid(`${path}.openAPIV3Schema.type`, v, 'only "object" is allowed as the type at the root of the schema if the status subresource is enabled')];
      continue;
    }
    if (!ALLOWED_AT_ROOT.includes(goName)) {
      // (Go prints the whole JSONSchemaProps struct, pointers as addresses; we name the type only)
      return [invalid(`${path}.openAPIV3Schema`, new VerbatimValue('apiextensions.JSONSchemaProps{...}'), `only [${ALLOWED_AT_ROOT.join(' ')}] fields are allowed at the root of the schema if the status subresource is enabled`)];
    }
  }
  return [];
}

// ---- NewStructural: what cannot be represented at all ----

function unsupported(s: Raw): string | undefined {
  if (str(s.id)) return "OpenAPIV3Schema 'id' is not supported";
  if (str(s.$schema)) return "OpenAPIV3Schema 'schema' is not supported";
  if (str(s.$ref)) return "OpenAPIV3Schema '$ref' is not supported";
  if (nonEmptyMap(s.patternProperties)) return "OpenAPIV3Schema 'patternProperties' is not supported";
  if (nonEmptyMap(s.dependencies)) return "OpenAPIV3Schema 'dependencies' is not supported";
  if (has(s.additionalItems)) return "OpenAPIV3Schema 'additionalItems' is not supported";
  if (nonEmptyMap(s.definitions)) return "OpenAPIV3Schema 'definitions' is not supported";
  return undefined;
}

/** The error NewStructural returns for `s` (its first, in its order of conversion), if any. */
export function newStructuralError(s: unknown): string | undefined {
  if (!isObject(s)) return undefined;
  const direct = unsupported(s);
  if (direct) return direct;
  for (const sub of [s.not, ...schemas(s.allOf), ...schemas(s.anyOf), ...schemas(s.oneOf)]) {
    const e = newStructuralError(sub);
    if (e) return e;
  }
  if (isObject(s.additionalProperties)) {
    const e = newStructuralError(s.additionalProperties);
    if (e) return e;
  }
  if (s['x-kubernetes-preserve-unknown-fields'] === false) return "internal error: 'x-kubernetes-preserve-unknown-fields' must be true or undefined";
  if (Array.isArray(s.items) && s.items.length) return "OpenAPIV3Schema 'items' must be a schema, but is an array";
  const e = newStructuralError(s.items);
  if (e) return e;
  for (const [, p] of props(s)) {
    const pe = newStructuralError(p);
    if (pe) return pe;
  }
  return undefined;
}

// ---- ValidateStructural ----

type Level = 'root' | 'item' | 'field';

/** schema.ValidateStructural: the invariants, then completeness, sorted by their text as upstream sorts them. */
export function validateStructural(s: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (isObject(s)) {
    invariants(s, 'root', path, errs);
    valueValidationCompleteness(s, s, path, path, errs);
  }
  const text = new Map(errs.map((e) => [e, formatFieldError(e)]));
  return errs.sort((a, b) => (text.get(a)! < text.get(b)! ? -1 : text.get(a)! > text.get(b)! ? 1 : 0));
}

const isOnlyType = (v: unknown, type: string) => isObject(v) && v.type === type && Object.entries(v).every(([k, x]) => k === 'type' || !has(x) || x === false || x === '');
/** anyOf: [{type: integer}, {type: string}], the one shape of x-kubernetes-int-or-string that may name types under a junctor. */
const isIntOrStringAnyOf = (anyOf: unknown) => Array.isArray(anyOf) && anyOf.length === 2 && isOnlyType(anyOf[0], 'integer') && isOnlyType(anyOf[1], 'string');

function invariants(s: Raw, lvl: Level, path: string, errs: FieldError[]): void {
  const type = str(s.type);
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  if (type === 'array' && !isObject(s.items)) errs.push(required(`${path}.items`, 'must be specified'));
  if (isObject(s.items)) invariants(s.items, 'item', `${path}.items`, errs);
  for (const [k, p] of props(s)) if (isObject(p)) invariants(p, 'field', `${path}.properties[${k}]`, errs);
  if (has(s.additionalProperties)) {
    if (lvl === 'root') errs.push(forbidden(`${path}.additionalProperties`, 'must not be used at the root'));
    if (isObject(s.additionalProperties)) invariants(s.additionalProperties, 'field', `${path}.additionalProperties`, errs);
  }
  if (intOrString && preserve) errs.push(invalid(`${path}.x-kubernetes-preserve-unknown-fields`, true, 'must be false if x-kubernetes-int-or-string is true'));
  if (intOrString && embedded) errs.push(invalid(`${path}.x-kubernetes-embedded-resource`, true, 'must be false if x-kubernetes-int-or-string is true'));
  const skipFirstAllOfAnyOf = Array.isArray(s.allOf) && s.allOf.length >= 1 && isObject(s.allOf[0]) && isIntOrStringAnyOf(s.allOf[0].anyOf);
  valueValidation(s, isIntOrStringAnyOf(s.anyOf), skipFirstAllOfAnyOf, lvl, path, errs);

  if (embedded && type !== 'object') {
    const why = 'must be object if x-kubernetes-embedded-resource is true';
    errs.push(type ? invalid(`${path}.type`, type, why) : required(`${path}.type`, why));
  } else if (!type && !intOrString && !preserve) {
    const why = { root: 'must not be empty at the root', item: 'must not be empty for specified array items', field: 'must not be empty for specified object fields' }[lvl];
    errs.push(required(`${path}.type`, why));
  }
  if (embedded && has(s.additionalProperties)) errs.push(forbidden(`${path}.additionalProperties`, 'must not be used if x-kubernetes-embedded-resource is set'));
  if (lvl === 'root' && type && type !== 'object') errs.push(invalid(`${path}.type`, type, 'must be object at the root'));

  // The root and embedded resources get their TypeMeta and ObjectMeta from Kubernetes.
  const checkMetadata = lvl === 'root' || embedded;
  const own = isObject(s.properties) ? s.properties : {};
  for (const k of ['kind', 'apiVersion']) {
    if (checkMetadata && Object.hasOwn(own, k) && str((own[k] as Raw | undefined)?.type) !== 'string') {
      errs.push(invalid(`${path}.properties[${k}].type`, str((own[k] as Raw | undefined)?.type), 'must be string'));
    }
  }
  if (Object.hasOwn(own, 'metadata')) metadataInvariants(isObject(own.metadata) ? own.metadata : {}, checkMetadata, lvl, `${path}.properties[metadata]`, errs);
  if (embedded && !preserve && !props(s).length) {
    errs.push(required(`${path}.properties`, 'must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields'));
  }
}

function metadataInvariants(m: Raw, checkMetadata: boolean, lvl: Level, path: string, errs: FieldError[]): void {
  if (checkMetadata && m.type !== 'object') errs.push(invalid(`${path}.type`, str(m.type), 'must be object'));
  if (lvl !== 'root') return;
  // Only name and generateName may be restricted (with anything under them); the type and a
  // default (which the OpenAPI checks forbid) do not count; `example` is not kept by Kubernetes.
  const keys = props(m).map(([k]) => k);
  const onlyNames = keys.length > 0 && keys.every((k) => k === 'name' || k === 'generateName');
  const rest = Object.entries(m).filter(([k, v]) => {
    if (k === 'type' || k === 'default' || k === 'example' || (k === 'properties' && (onlyNames || !keys.length))) return false;
    return has(v) && v !== false && v !== '';
  });
  if (rest.length) errs.push(forbidden(path, 'must not specify anything other than name and generateName, but metadata is implicitly specified'));
}

function valueValidation(v: Raw, skipAnyOf: boolean, skipFirstAllOfAnyOf: boolean, lvl: Level, path: string, errs: FieldError[]): void {
  if (!skipAnyOf) schemas(v.anyOf).forEach((x, i) => nestedValueValidation(x, false, false, lvl, `${path}.anyOf[${i}]`, errs));
  schemas(v.allOf).forEach((x, i) => nestedValueValidation(x, skipFirstAllOfAnyOf && i === 0, false, lvl, `${path}.allOf[${i}]`, errs));
  schemas(v.oneOf).forEach((x, i) => nestedValueValidation(x, false, false, lvl, `${path}.oneOf[${i}]`, errs));
  nestedValueValidation(v.not, false, false, lvl, `${path}.not`, errs);
  if (typeof v.pattern === 'string' && v.pattern) {
    try {
      re2Test(v.pattern, ''); // (RE2 syntax, as Go's regexp compiles patterns)
    } catch (e) {
      errs.push(invalid(`${path}.pattern`, v.pattern, `must be a valid regular expression, but isn't: ${(e as Error).message}`));
    }
  }
}

/** Under anyOf, allOf, oneOf and not only value validations may stand: what shapes the object must be outside. */
function nestedValueValidation(v: unknown, skipAnyOf: boolean, skipAllOfAnyOf: boolean, lvl: Level, path: string, errs: FieldError[]): void {
  if (!isObject(v)) return;
  valueValidation(v, skipAnyOf, skipAllOfAnyOf, lvl, path, errs);
  nestedValueValidation(v.items, false, false, lvl, `${path}.items`, errs);
  for (const [k, p] of props(v)) nestedValueValidation(p, false, false, 'field', `${path}.properties[${k}]`, errs);
  if (str(v.type)) errs.push(forbidden(`${path}.type`, 'must be empty to be structural'));
  if (has(v.additionalProperties)) errs.push(forbidden(`${path}.additionalProperties`, 'must be undefined to be structural'));
  if (has(v.default)) errs.push(forbidden(`${path}.default`, 'must be undefined to be structural'));
  if (str(v.title)) errs.push(forbidden(`${path}.title`, 'must be empty to be structural'));
  if (str(v.description)) errs.push(forbidden(`${path}.description`, 'must be empty to be structural'));
  if (v.nullable === true) errs.push(forbidden(`${path}.nullable`, 'must be false to be structural'));
  if (has(v.externalDocs)) errs.push(forbidden(`${path}.externalDocs`, 'must be undefined to be structural'));
  if (v['x-kubernetes-preserve-unknown-fields'] === true) errs.push(forbidden(`${path}.x-kubernetes-preserve-unknown-fields`, 'must be false to be structural'));
  if (v['x-kubernetes-embedded-resource'] === true) errs.push(forbidden(`${path}.x-kubernetes-embedded-resource`, 'must be false to be structural'));
  if (v['x-kubernetes-int-or-string'] === true) errs.push(forbidden(`${path}.x-kubernetes-int-or-string`, 'must be false to be structural'));
  if (schemas(v['x-kubernetes-list-map-keys']).length) errs.push(forbidden(`${path}.x-kubernetes-list-map-keys`, 'must be empty to be structural'));
  if (has(v['x-kubernetes-list-type'])) errs.push(forbidden(`${path}.x-kubernetes-list-type`, 'must be undefined to be structural'));
  if (has(v['x-kubernetes-map-type'])) errs.push(forbidden(`${path}.x-kubernetes-map-type`, 'must be undefined to be structural'));
  if (schemas(v['x-kubernetes-validations']).length) errs.push(forbidden(`${path}.x-kubernetes-validations`, 'must be empty to be structural'));
  if (isObject(v.properties) && Object.hasOwn(v.properties, 'metadata')) errs.push(forbidden(`${path}.properties[metadata]`, 'must not be specified in a nested context'));
}

/** validateStructuralCompleteness: a field or items a junctor validates must be specified outside it too. */
function valueValidationCompleteness(v: Raw, s: Raw | undefined, sPath: string, vPath: string, errs: FieldError[]): void {
  nestedCompleteness(v.not, s, sPath, `${vPath}.not`, errs);
  schemas(v.allOf).forEach((x, i) => nestedCompleteness(x, s, sPath, `${vPath}.allOf[${i}]`, errs));
  schemas(v.anyOf).forEach((x, i) => nestedCompleteness(x, s, sPath, `${vPath}.anyOf[${i}]`, errs));
  schemas(v.oneOf).forEach((x, i) => nestedCompleteness(x, s, sPath, `${vPath}.oneOf[${i}]`, errs));
}

function nestedCompleteness(v: unknown, s: Raw | undefined, sPath: string, vPath: string, errs: FieldError[]): void {
  if (!isObject(v)) return;
  if (!s) return void errs.push(required(sPath, `because it is defined in ${vPath}`));
  valueValidationCompleteness(v, s, sPath, vPath, errs);
  nestedCompleteness(v.items, isObject(s.items) ? s.items : undefined, `${sPath}.items`, `${vPath}.items`, errs);
  const own = isObject(s.properties) ? s.properties : {};
  for (const [k, p] of props(v)) {
    if (!Object.hasOwn(own, k)) errs.push(required(`${sPath}.properties[${k}]`, `because it is defined in ${vPath}.properties[${k}]`));
    else nestedCompleteness(p, isObject(own[k]) ? own[k] : {}, `${sPath}.properties[${k}]`, `${vPath}.properties[${k}]`, errs);
  }
}

// ---- ValidateDefaults ----

/** A JSON value as Go's %#v prints the decoded interface{} (maps' keys sorted). */
function goValue(v: unknown): string {
  if (v === null || v === undefined) return 'interface {}(nil)';
  if (Array.isArray(v)) return `[]interface {}{${v.map(goValue).join(', ')}}`;
  if (isObject(v)) return `map[string]interface {}{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${goValue(v[k])}`).join(', ')}}`;
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** Defaults must be valid against their schema and hold no field it would prune; additionalProperties is not followed (defaults are forbidden there). */
function validateDefaults(s: Raw, path: string, isRoot: boolean, requirePruned: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (has(s.default) && !isRoot) {
    if (requirePruned) {
      const pruned = structuredClone(s.default);
      if (prune(pruned, s as JSONSchemaProps, s['x-kubernetes-embedded-resource'] === true).length) errs.push(invalid(`${path}.default`, new VerbatimValue(goValue(s.default)), 'must not have unknown fields'));
    }
    errs.push(...validateAgainstSchema(s.default, s as JSONSchemaProps, `${path}.default`, false));
  }
  if (isObject(s.items)) errs.push(...validateDefaults(s.items, `${path}.items`, false, requirePruned));
  for (const [k, p] of props(s)) if (isObject(p)) errs.push(...validateDefaults(p, `${path}.properties[${k}]`, false, requirePruned));
  return errs;
}

// ---- ValidateCustomResourceDefinitionOpenAPISchema ----

/** specStandardValidatorV3's state: whether defaults may stand here (and why not), and whether this is inside TypeMeta/ObjectMeta. */
interface Ssv {
  allowDefaults: boolean;
  reason: string;
  insideMeta: boolean;
}

const noDefaults = (ssv: Ssv, reason: string): Ssv => ({ ...ssv, allowDefaults: false, reason });

function validateOpenAPISchema(s: unknown, path: string, ssv: Ssv, isRoot: boolean, opts: SchemaOptions, errs: FieldError[]): void {
  if (!isObject(s)) return;
  standardV3(s, path, ssv, opts, errs);
  if (s.uniqueItems === true) errs.push(forbidden(`${path}.uniqueItems`, 'uniqueItems cannot be set to true since the runtime complexity becomes quadratic'));
  // properties are for structs, additionalProperties for maps: both would contradict ignoring unknown fields.
  const ap = s.additionalProperties;
  if (has(ap)) {
    if (props(s).length && (ap === false || isObject(ap))) errs.push(forbidden(`${path}.additionalProperties`, 'additionalProperties and properties are mutual exclusive'));
    // (pruning a defaulted map entry of metadata without a value is ambiguous)
    const sub = ssv.insideMeta ? noDefaults(ssv, 'inside additionalProperties applying to object metadata') : ssv;
    validateOpenAPISchema(ap, `${path}.additionalProperties`, sub, false, opts, errs);
  }
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  for (const [k, p] of props(s)) {
    let sub = ssv;
    if ((isRoot || embedded) && META_FIELDS.has(k)) {
      sub = { ...sub, insideMeta: true };
      if (isRoot) sub = noDefaults(sub, `in top-level ${k}`);
    }
    validateOpenAPISchema(p, `${path}.properties[${k}]`, sub, false, opts, errs);
  }
  validateOpenAPISchema(s.not, `${path}.not`, ssv, false, opts, errs);
  schemas(s.allOf).forEach((x, i) => validateOpenAPISchema(x, `${path}.allOf[${i}]`, ssv, false, opts, errs));
  schemas(s.oneOf).forEach((x, i) => validateOpenAPISchema(x, `${path}.oneOf[${i}]`, ssv, false, opts, errs));
  schemas(s.anyOf).forEach((x, i) => validateOpenAPISchema(x, `${path}.anyOf[${i}]`, ssv, false, opts, errs));
  for (const [k, d] of isObject(s.definitions) ? Object.entries(s.definitions) : []) validateOpenAPISchema(d, `${path}.definitions[${k}]`, ssv, false, opts, errs);
  if (isObject(s.items)) validateOpenAPISchema(s.items, `${path}.items`, ssv, false, opts, errs);
  schemas(s.items).forEach((x, i) => validateOpenAPISchema(x, `${path}.items[${i}]`, ssv, false, opts, errs));
  for (const [k, d] of isObject(s.dependencies) ? Object.entries(s.dependencies) : []) validateOpenAPISchema(d, `${path}.dependencies[${k}]`, ssv, false, opts, errs);

  if (s['x-kubernetes-preserve-unknown-fields'] === false) errs.push(invalid(`${path}.x-kubernetes-preserve-unknown-fields`, false, 'must be true or undefined'));
  errs.push(...topologyErrors(s, path, opts));
  if (opts.requireMapListKeysMapSetValidation) errs.push(...mapListKeysMapSet(s, path));
}

/** specStandardValidatorV3.validate: the parts of OpenAPI v3 Kubernetes does not take. */
function standardV3(s: Raw, path: string, ssv: Ssv, opts: SchemaOptions, errs: FieldError[]): void {
  const type = str(s.type);
  if (opts.requireValidPropertyType && type && !OPENAPI_V3_TYPES.includes(type)) errs.push(notSupported(`${path}.type`, type, OPENAPI_V3_TYPES));
  if (has(s.default) && !ssv.allowDefaults) errs.push(forbidden(`${path}.default`, ssv.reason ? `must not be set ${ssv.reason}` : 'must not be set'));
  if (str(s.id)) errs.push(forbidden(`${path}.id`, 'id is not supported'));
  if (has(s.additionalItems)) errs.push(forbidden(`${path}.additionalItems`, 'additionalItems is not supported'));
  if (nonEmptyMap(s.patternProperties)) errs.push(forbidden(`${path}.patternProperties`, 'patternProperties is not supported'));
  if (nonEmptyMap(s.definitions)) errs.push(forbidden(`${path}.definitions`, 'definitions is not supported'));
  if (has(s.dependencies)) errs.push(forbidden(`${path}.dependencies`, 'dependencies is not supported'));
  if (has(s.$ref)) errs.push(forbidden(`${path}.$ref`, '$ref is not supported'));
  if (type === 'null') errs.push(forbidden(`${path}.type`, 'type cannot be set to null, use nullable as an alternative'));
  if (Array.isArray(s.items) && s.items.length) errs.push(forbidden(`${path}.items`, 'items must be a schema object and not an array'));
  if (ssv.insideMeta && s['x-kubernetes-embedded-resource'] === true) errs.push(forbidden(`${path}.x-kubernetes-embedded-resource`, 'must not be used inside of resource meta'));
}

/** x-kubernetes-map-type, x-kubernetes-list-type and x-kubernetes-list-map-keys, which server-side apply merges by. */
function topologyErrors(s: Raw, path: string, opts: SchemaOptions): FieldError[] {
  const errs: FieldError[] = [];
  const type = str(s.type);
  const mapType = s['x-kubernetes-map-type'];
  const listType = s['x-kubernetes-list-type'];
  const keys = schemas(s['x-kubernetes-list-map-keys']);
  const items = isObject(s.items) ? s.items : undefined;
  if (has(mapType) && type !== 'object') {
    const why = 'must be object if x-kubernetes-map-type is specified';
    errs.push(type ? invalid(`${path}.type`, type, why) : required(`${path}.type`, why));
  }
  if (has(mapType) && mapType !== 'atomic' && mapType !== 'granular') errs.push(notSupported(`${path}.x-kubernetes-map-type`, mapType, ['atomic', 'granular']));
  if (has(listType) && type !== 'array') {
    const why = 'must be array if x-kubernetes-list-type is specified';
    errs.push(type ? invalid(`${path}.type`, type, why) : required(`${path}.type`, why));
  } else if (opts.requireAtomicSetType && listType === 'set' && items) {
    // A set's items are compared whole: they must not be merged field by field.
    const why = 'must be atomic as item of a list with x-kubernetes-list-type=set';
    if (items.type === 'array' && has(items['x-kubernetes-list-type']) && items['x-kubernetes-list-type'] !== 'atomic') errs.push(invalid(`${path}.items.x-kubernetes-list-type`, items['x-kubernetes-list-type'], why));
    // (upstream reports the items' list type here, usually nil: "null")
    if (items.type === 'object' && items['x-kubernetes-map-type'] !== 'atomic') errs.push(invalid(`${path}.items.x-kubernetes-map-type`, ptrValue(items['x-kubernetes-list-type']), why));
  }
  if (has(listType) && listType !== 'atomic' && listType !== 'set' && listType !== 'map') errs.push(notSupported(`${path}.x-kubernetes-list-type`, listType, ['atomic', 'set', 'map']));
  if (keys.length) {
    const why = 'must be map if x-kubernetes-list-map-keys is non-empty';
    if (!has(listType)) errs.push(required(`${path}.x-kubernetes-list-type`, why));
    else if (listType !== 'map') errs.push(invalid(`${path}.x-kubernetes-list-type`, listType, why));
  }
  if (listType === 'map') {
    if (!keys.length) errs.push(required(`${path}.x-kubernetes-list-map-keys`, 'must not be empty if x-kubernetes-list-type is map'));
    if (!has(s.items)) errs.push(required(`${path}.items`, 'must have a schema if x-kubernetes-list-type is map'));
    if (has(s.items) && !items) errs.push(invalid(`${path}.items`, new VerbatimValue('apiextensions.JSONSchemaPropsOrArray{...}'), 'must only have a single schema if x-kubernetes-list-type is map'));
    if (items && items.type !== 'object') errs.push(invalid(`${path}.items.type`, str(items.type), "must be object if parent array's x-kubernetes-list-type is map"));
    if (items && items.type === 'object') {
      const itemProps = isObject(items.properties) ? items.properties : {};
      const seen = new Set<unknown>();
      for (const k of keys) {
        if (Object.hasOwn(itemProps, String(k))) {
          const kt = str((itemProps[String(k)] as Raw | undefined)?.type);
          // (upstream reports the items' type, "object", as the bad value)
          if (kt === 'array' || kt === 'object') errs.push(invalid(`${path}.items.properties[${k}].type`, items.type, "must be a scalar type if parent array's x-kubernetes-list-type is map"));
        } else errs.push(invalid(`${path}.x-kubernetes-list-map-keys`, goStrings(keys.map(String)), 'entries must all be names of item properties'));
        if (seen.has(k)) errs.push(invalid(`${path}.x-kubernetes-list-map-keys`, goStrings(keys.map(String)), 'must not contain duplicate entries'));
        seen.add(k);
      }
    }
  }
  return errs;
}

/** validateMapListKeysMapSet: items of sets and maps, and the keys of maps, are never null, and keys always have a value. */
function mapListKeysMapSet(s: Raw, path: string): FieldError[] {
  const listType = s['x-kubernetes-list-type'];
  const items = isObject(s.items) ? s.items : undefined;
  if (!items || (listType !== 'set' && listType !== 'map')) return [];
  const errs: FieldError[] = [];
  if (items.nullable === true) errs.push(forbidden(`${path}.items.nullable`, `cannot be nullable when x-kubernetes-list-type is ${listType}`));
  if (listType !== 'map') return errs;
  const req = schemas(items.required);
  const itemProps = isObject(items.properties) ? items.properties : {};
  for (const k of schemas(s['x-kubernetes-list-map-keys']).map(String)) {
    if (!Object.hasOwn(itemProps, k)) continue; // (reported by topologyErrors)
    const p = isObject(itemProps[k]) ? (itemProps[k] as Raw) : {};
    if (!req.includes(k) && !has(p.default)) errs.push(required(`${path}.items.properties[${k}].default`, 'this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property'));
    if (p.nullable === true) errs.push(forbidden(`${path}.items.properties[${k}].nullable`, 'this property is in x-kubernetes-list-map-keys, so it cannot be nullable'));
  }
  return errs;
}

// ---- ratcheting on update ----

/** SchemaHas: whether `pred` holds for `s` or any schema within it. */
function schemaHas(s: unknown, pred: (s: Raw) => boolean): boolean {
  if (!isObject(s)) return false;
  if (pred(s)) return true;
  const subs: unknown[] = [s.items, ...schemas(s.items), ...schemas(s.allOf), ...schemas(s.anyOf), ...schemas(s.oneOf), s.not, ...props(s).map(([, p]) => p), s.additionalProperties, s.additionalItems];
  for (const m of [s.patternProperties, s.definitions, s.dependencies]) if (isObject(m)) subs.push(...Object.values(m));
  return subs.some((x) => schemaHas(x, pred));
}

const hasInvalidType = (s: Raw) => !!str(s.type) && !OPENAPI_V3_TYPES.includes(str(s.type));
const hasNonAtomicSet = (s: Raw) => {
  const items = isObject(s.items) ? s.items : undefined;
  if (s['x-kubernetes-list-type'] !== 'set' || !items) return false;
  if (items.type === 'array') return has(items['x-kubernetes-list-type']) && items['x-kubernetes-list-type'] !== 'atomic';
  return items.type === 'object' && items['x-kubernetes-map-type'] !== 'atomic';
};

/** Whether a default of a structural schema holds fields its schema prunes (walked as PruneDefaults walks). */
function hasUnprunedDefaults(s: unknown, resource: boolean): boolean {
  if (!isObject(s)) return false;
  if (has(s.default) && prune(structuredClone(s.default), s as JSONSchemaProps, resource || s['x-kubernetes-embedded-resource'] === true).length) return true;
  return hasUnprunedDefaults(s.items, false) || props(s).some(([, p]) => hasUnprunedDefaults(p, false)) || hasUnprunedDefaults(s.additionalProperties, false);
}

/** The options of an update: a check the old definition's schemas already failed is not applied to the new one. */
export function schemaOptionsForUpdate(oldSchemas: (JSONSchemaProps | undefined)[]): SchemaOptions {
  const olds = oldSchemas.filter(isObject);
  return {
    requireValidPropertyType: !olds.some((s) => schemaHas(s, hasInvalidType)),
    requireAtomicSetType: !olds.some((s) => schemaHas(s, hasNonAtomicSet)),
    requireMapListKeysMapSetValidation: !olds.some((s) => schemaHas(s, (x) => mapListKeysMapSet(x, '').length > 0)),
    requirePrunedDefaults: !olds.some((s) => !newStructuralError(s) && !validateStructural(s, '').length && hasUnprunedDefaults(s, true)),
  };
}
