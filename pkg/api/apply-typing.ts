// Typing of a server-side apply configuration, as structured-merge-diff's validatingObjectWalker
// types it (typed.AsTyped, called by 1.32's structuredMergeManager before anything else looks at
// the configuration): a field the schema does not declare, a scalar of the wrong kind, a list item
// without its key or two items of one key. Every error is kept, each with its path as the
// walker prints it (`.spec.containers[name="app"].foo`), for the 500 the apiserver answers with
// ('failed to create typed patch object (...): .spec.foo: field not declared in schema', or
// 'errors:' and one indented line each when there are several). So an unknown field is refused
// whatever fieldValidation says: the strict decoding comes only after the apply.
import { fieldTypeOf, type FieldType } from './field-types.js';
import { fieldElement, indexElement, keyElement, pathString, valueElement, type Json, type PathElement } from './fieldpath.js';
import type { JSONSchemaProps } from './crd-schema.js';
import { fieldsOfMessage, messageSchema, type FieldSchema } from './schema.js';
import { isObject } from './json-object.js';

/** Go's %v of a value decoded from JSON: map[a:1 b:x], [a b], <nil>. */
function goV(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goV).join(' ')}]`;
  if (isObject(v)) return `map[${Object.keys(v).sort().map((k) => `${k}:${goV(v[k])}`).join(' ')}]`;
  return String(v);
}

/** Go's %#v of a value decoded from JSON: map[string]interface {}{"a":1}, []interface {}{"a"}, "x". */
function goSharpV(v: unknown): string {
  if (v === null || v === undefined) return 'interface {}(nil)';
  if (Array.isArray(v)) return `[]interface {}{${v.map(goSharpV).join(', ')}}`;
  if (isObject(v)) return `map[string]interface {}{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${goSharpV(v[k])}`).join(', ')}}`;
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** Go's %T of a value decoded from JSON (numbers are float64: sigs.k8s.io/yaml decodes without UseNumber). */
function goT(v: unknown): string {
  if (Array.isArray(v)) return '[]interface {}';
  if (isObject(v)) return 'map[string]interface {}';
  return typeof v === 'number' ? 'float64' : typeof v === 'boolean' ? 'bool' : 'string';
}

/** How the walker prints a value (a *valueUnstructured): %v is `&{...}`, %#v names the type. */
const unstructuredV = (v: unknown) => `&{${goV(v)}}`;
const unstructuredSharpV = (v: unknown) => `&value.valueUnstructured{Value:${goSharpV(v)}}`;

type Scalar = 'string' | 'numeric' | 'boolean' | 'untyped';

/** The schema's scalar for a field's value; quantities and int-or-strings take any scalar. */
function scalarOf(s: { kind: string; format?: string }): Scalar {
  if (s.kind === 'string') return s.format === 'quantity' ? 'untyped' : 'string';
  if (s.kind === 'int' || s.kind === 'double') return 'numeric';
  if (s.kind === 'bool') return 'boolean';
  return 'untyped';
}

/** validateScalar's words. */
function scalarError(t: Scalar, v: unknown): string | undefined {
  if (v === null) return undefined;
  switch (t) {
    case 'numeric':
      return typeof v === 'number' ? undefined : `expected numeric (int or float), got ${goT(v)}`;
    case 'string':
      return typeof v === 'string' ? undefined : `expected string, got ${unstructuredSharpV(v)}`;
    case 'boolean':
      return typeof v === 'boolean' ? undefined : `expected boolean, got ${unstructuredV(v)}`;
    case 'untyped':
      return typeof v !== 'object' ? undefined : `expected any scalar, got ${unstructuredV(v)}`;
  }
}

interface Walk {
  path: PathElement[];
  errs: string[];
}

const at = (w: Walk, message: string) => w.errs.push(`${pathString(w.path)}: ${message}`);

/** One value of field `f` (an element of it when repeated or a map). */
function value(w: Walk, s: { kind: string; format?: string; type?: string }, v: unknown): void {
  if (s.kind === 'message' && s.type && messageSchema(s.type)) return struct(w, s.type, v);
  // (RawExtension, JSON, and a message the schema does not describe: untyped, anything goes)
  if (s.kind === 'object' || s.kind === 'message') return;
  const err = scalarError(scalarOf(s), v);
  if (err) at(w, err);
}

function struct(w: Walk, typeName: string, v: unknown): void {
  if (v === null || v === undefined) return;
  if (!isObject(v)) return void at(w, `expected map, got ${unstructuredV(v)}`);
  const fields = fieldsOfMessage(typeName);
  for (const [k, c] of Object.entries(v)) {
    const f = fields.get(k);
    w.path.push(fieldElement(k));
    // (visitMapItems stops at the first field it does not know: the rest of the map goes unvisited)
    if (!f) {
      at(w, 'field not declared in schema');
      w.path.pop();
      return;
    }
    field(w, typeName, f, c);
    w.path.pop();
  }
}

function field(w: Walk, owner: string, f: FieldSchema, v: unknown): void {
  if (v === null || v === undefined) return;
  if (f.kind === 'map') {
    if (!isObject(v)) return void at(w, `expected map, got ${unstructuredV(v)}`);
    for (const [k, c] of Object.entries(v)) {
      w.path.push(fieldElement(k));
      value(w, f.value!, c);
      w.path.pop();
    }
    return;
  }
  if (!f.repeated) return value(w, f, v);
  if (!Array.isArray(v)) return void at(w, `expected list, got ${unstructuredV(v)}`);
  list(w, fieldTypeOf(owner, f.name), v, (item) => value(w, f, item));
}

/** visitListItems: items by index (atomic lists), by their keys or by their value (sets); `each` types an item. */
function list(w: Walk, t: FieldType, items: unknown[], each: (item: unknown) => void): void {
  const seen = new Set<PathElement>();
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    let e: PathElement;
    if (t.kind === 'keyed') {
      if (!isObject(item)) return void at(w, `element ${i}: associative list with keys may not have non-map elements`);
      const key: Record<string, Json> = {};
      for (const k of t.keys) {
        const kv = item[k] ?? t.defaults[k];
        // (the list's path, the item's index, then the key; the rest of the list is not visited)
        if (kv === undefined || kv === null) return void at(w, `element ${i}: associative list with keys has an element that omits key field "${k}" (and doesn't have default value)`);
        key[k] = kv as Json;
      }
      e = keyElement(key);
    } else if (t.kind === 'set') {
      if (isObject(item)) return void at(w, `element ${i}: associative list without keys has an element that's a map type`);
      if (Array.isArray(item)) return void at(w, `element ${i}: not supported: associative list with lists as elements`);
      if (item === null) return void at(w, `element ${i}: associative list without keys has an element that's an explicit null`);
      e = valueElement(item as Json);
    } else {
      e = indexElement(i);
    }
    if (t.kind !== 'leaf' && seen.has(e)) at(w, `duplicate entries for key ${pathString([e])}`);
    seen.add(e);
    w.path.push(e);
    each(item);
    w.path.pop();
  }
}

/**
 * A custom resource's value against its version's structural schema, as the schema converter
 * types it: properties make a struct (other fields undeclared unless
 * x-kubernetes-preserve-unknown-fields), additionalProperties a map, lists are atomic unless
 * x-kubernetes-list-type says set or map; int-or-strings and objects without properties take anything.
 */
function custom(w: Walk, s: JSONSchemaProps | undefined, v: unknown): void {
  if (!s || v === null || v === undefined) return;
  if (s['x-kubernetes-int-or-string']) {
    const err = scalarError('untyped', v);
    if (err) at(w, err);
    return;
  }
  switch (s.type) {
    case 'string':
    case 'integer':
    case 'number':
    case 'boolean': {
      const err = scalarError(s.type === 'string' ? 'string' : s.type === 'boolean' ? 'boolean' : 'numeric', v);
      if (err) at(w, err);
      return;
    }
    case 'array': {
      if (!Array.isArray(v)) return void at(w, `expected list, got ${unstructuredV(v)}`);
      const lt = s['x-kubernetes-list-type'];
      const keys = s['x-kubernetes-list-map-keys'] ?? [];
      const defaults = Object.fromEntries(keys.filter((k) => s.items?.properties?.[k]?.default !== undefined).map((k) => [k, s.items!.properties![k]!.default as Json]));
      const t: FieldType = lt === 'set' ? { kind: 'set' } : lt === 'map' && keys.length ? { kind: 'keyed', keys, defaults, item: { kind: 'leaf' } } : { kind: 'leaf' };
      return list(w, t, v, (item) => custom(w, s.items, item));
    }
    case 'object': {
      if (!isObject(v)) return void at(w, `expected map, got ${unstructuredV(v)}`);
      const props = s.properties;
      const embedded = s['x-kubernetes-embedded-resource'];
      const more = typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
      const open = s['x-kubernetes-preserve-unknown-fields'] || (!props && !embedded) || more !== undefined;
      for (const [k, c] of Object.entries(v)) {
        w.path.push(fieldElement(k));
        const p = props?.[k];
        if (p) custom(w, p, c);
        else if (embedded && k === 'metadata') struct(w, 'ObjectMeta', c);
        else if (embedded && (k === 'apiVersion' || k === 'kind')) custom(w, { type: 'string' }, c);
        else if (more) custom(w, more, c);
        else if (!open) {
          at(w, 'field not declared in schema');
          w.path.pop();
          return;
        }
        w.path.pop();
      }
      return;
    }
  }
}

/**
 * The typing errors of an apply configuration of message `typeName` (Pod, Deployment, ...), each
 * as structured-merge-diff prints it ('.spec.foo: field not declared in schema'); none when it types.
 */
export function applyTypingErrors(typeName: string, config: unknown): string[] {
  const w: Walk = { path: [], errs: [] };
  struct(w, typeName, config);
  return w.errs;
}

/**
 * The typing errors of an apply configuration of a custom resource whose version has `schema`:
 * metadata is ObjectMeta's, apiVersion and kind are strings, the rest is the schema's.
 */
export function customApplyTypingErrors(schema: JSONSchemaProps | undefined, config: unknown): string[] {
  const w: Walk = { path: [], errs: [] };
  if (!isObject(config)) return w.errs;
  const root: JSONSchemaProps = { ...(schema ?? { 'x-kubernetes-preserve-unknown-fields': true }), type: 'object', 'x-kubernetes-embedded-resource': true };
  const props = { ...(root.properties ?? {}) };
  delete props.metadata;
  delete props.apiVersion;
  delete props.kind;
  if (!schema?.properties) root['x-kubernetes-preserve-unknown-fields'] = true;
  custom(w, { ...root, properties: props }, config);
  return w.errs;
}

/** ValidationErrors.Error(): one error alone, several after 'errors:', one indented line each. */
export function typingErrorText(errs: string[]): string {
  return errs.length === 1 ? errs[0]! : ['errors:', ...errs.map((e) => `  ${e}`)].join('\n');
}
