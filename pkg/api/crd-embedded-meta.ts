// The metadata of a resource embedded in a custom resource (a schema node with
// x-kubernetes-embedded-resource: true, such as an operator's pod template), as 1.32's
// apiextensions-apiserver coerces it when it decodes a body (schemaobjectmeta.CoerceWithOptions):
// read into a metav1.ObjectMeta and written back with the unstructured converter, so a field
// ObjectMeta does not have is an unknown field, what is empty is left out (every field of
// ObjectMeta is omitempty), and creationTimestamp, a struct that omitempty keeps, is written as
// null when it is not set (1.33 leaves it out; 1.32 does not).
import type { JSONSchemaProps } from './crd-schema.js';
import type { FieldError } from './field-error.js';
import { decodeStrict } from './schema-validate.js';
import { isObject } from './json-object.js';

type Obj = Record<string, unknown>;
const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** Go's zero values that omitempty leaves out: "", 0, false, null, an empty map or slice. */
function omitted(v: unknown): boolean {
  if (v === null || v === undefined || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isObject(v) && Object.keys(v).length === 0;
}

/**
 * Coerces, in place, the metadata of every embedded resource in `obj` (a custom resource without
 * its own root metadata, which the generic object checks handle) under `schema`. Returns the
 * decoding errors with their paths from the root: unknown fields (already removed from the
 * object) and values of the wrong type (left as they are).
 */
export function coerceEmbeddedMetadata(obj: unknown, schema: JSONSchemaProps | undefined): FieldError[] {
  const errs: FieldError[] = [];
  if (schema) walk(obj, schema, '', errs);
  return errs;
}

function walk(v: unknown, s: JSONSchemaProps, path: string, errs: FieldError[]): void {
  if (Array.isArray(v)) {
    if (s.items) v.forEach((item, i) => walk(item, s.items!, `${path}[${i}]`, errs));
    return;
  }
  if (!isObject(v)) return;
  if (s['x-kubernetes-embedded-resource'] === true && path !== '' && 'metadata' in v) coerceMeta(v, join(path, 'metadata'), errs);
  for (const [k, child] of Object.entries(v)) {
    const cs = s.properties?.[k] ?? (isObject(s.additionalProperties) ? (s.additionalProperties as JSONSchemaProps) : undefined);
    if (cs) walk(child, cs, join(path, k), errs);
  }
}

/** Removes the value at a path such as `ownerReferences[0].foo` under `o`. */
function removeAt(o: Obj, rel: string): void {
  const parts = rel.match(/[^.[\]]+/g) ?? [];
  let cur: unknown = o;
  for (const p of parts.slice(0, -1)) cur = isObject(cur) || Array.isArray(cur) ? (cur as Obj)[p] : undefined;
  if (isObject(cur) || Array.isArray(cur)) delete (cur as Obj)[parts[parts.length - 1]!];
}

function coerceMeta(holder: Obj, path: string, errs: FieldError[]): void {
  const meta = holder.metadata;
  if (meta === null) return;
  const found = decodeStrict('ObjectMeta', meta, path);
  const unknown = found.filter((e) => e.type === 'FieldValueUnknown');
  if (found.length > unknown.length || !isObject(meta)) {
    // (not an ObjectMeta: refused as it is, nothing rewritten)
    errs.push(...found);
    return;
  }
  for (const e of unknown) removeAt(meta, e.field.slice(path.length + 1));
  errs.push(...unknown.sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0)));
  for (const k of Object.keys(meta)) if (k !== 'creationTimestamp' && omitted(meta[k])) delete meta[k];
  if (meta.creationTimestamp === undefined || meta.creationTimestamp === '') meta.creationTimestamp = null;
}
