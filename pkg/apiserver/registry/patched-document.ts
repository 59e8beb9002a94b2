// The patched document a merge or JSON patch's 422 quotes ('patch: Invalid value: "{...}": json:
// cannot unmarshal ...'), written as 1.32 writes it. patch.go's jsonPatcher encodes the current
// object (encoding/json over the Go struct: fields in struct order, maps by key) and hands the
// text to json-patch v4 (gopkg.in/evanphx/json-patch.v4), which decodes only what it walks into a
// map[string]*lazyNode and leaves the rest raw: the document's top level and every object on a
// patched path come out with their keys sorted (encoding/json writes a map sorted), everything it
// did not open keeps the struct order, and a value the patch brings keeps the patch's own order,
// unless MergePatch's pruneNulls opened it (a value new to the document), which sorts it too.
// A custom resource is an unstructured map from the start: every key of the current object sorted.
import { fieldsOfMessage, messageSchema, type FieldSchema } from '../../api/schema.js';
import { isJsonObject, type Json } from '../../api/json-object.js';


/** A value as encoding/json writes the Go struct `typeName` holds: message fields in struct order, maps by key. */
export function goOrdered(v: unknown, typeName?: string): Json {
  if (Array.isArray(v)) return v.map((x) => goOrdered(x, typeName));
  if (!isJsonObject(v)) return (v ?? null) as Json;
  if (!typeName || !messageSchema(typeName)) return structuredClone(v);
  const fields = [...fieldsOfMessage(typeName).values()];
  // (TypeMeta, inlined first: Kind before APIVersion)
  const a = fields.findIndex((f) => f.name === 'apiVersion');
  if (a >= 0 && fields[a + 1]?.name === 'kind') [fields[a], fields[a + 1]] = [fields[a + 1]!, fields[a]!];
  const out: { [k: string]: Json } = {};
  for (const f of fields) if (f.name in v) out[f.name] = fieldValue(v[f.name], f);
  // (what the struct does not know stays, after it)
  for (const [k, x] of Object.entries(v)) if (!(k in out)) out[k] = structuredClone(x);
  return out;
}

function fieldValue(v: Json | undefined, f: FieldSchema): Json {
  if (f.kind === 'message') return goOrdered(v, f.type);
  if (f.kind === 'map' && isJsonObject(v)) {
    const value = f.value?.kind === 'message' ? f.value.type : undefined;
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, goOrdered(v[k], value)]));
  }
  return structuredClone((v ?? null) as Json);
}

/** A document being patched: the objects json-patch opened, written with sorted keys. */
class Doc {
  readonly opened = new WeakSet<object>();

  constructor(public root: Json) {
    if (isJsonObject(root)) this.opened.add(root);
  }

  /** lazyNode.intoDoc of every object under `v` (pruneNulls, or a test's equal): all of it sorted. */
  openAll(v: Json): void {
    if (Array.isArray(v)) v.forEach((x) => this.openAll(x));
    else if (isJsonObject(v)) {
      this.opened.add(v);
      Object.values(v).forEach((x) => this.openAll(x));
    }
  }

  /** MergePatch's pruneNulls: null members and null items dropped, every object opened. */
  pruneNulls(v: Json): Json {
    if (Array.isArray(v)) return v.filter((x) => x !== null).map((x) => this.pruneNulls(x));
    if (!isJsonObject(v)) return v;
    this.opened.add(v);
    for (const k of Object.keys(v)) {
      if (v[k] === null) delete v[k];
      else v[k] = this.pruneNulls(v[k]!);
    }
    return v;
  }

  /** json-patch v4's mergeDocs into an opened object (mergeMerge false: a null deletes). */
  mergeDocs(doc: { [k: string]: Json }, patch: { [k: string]: Json }): void {
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete doc[k];
      else if (!(k in doc) || doc[k] === null) doc[k] = this.pruneNulls(v);
      else doc[k] = this.merge(doc[k]!, v);
    }
  }

  private merge(cur: Json, patch: Json): Json {
    if (!isJsonObject(cur)) return this.pruneNulls(patch);
    if (!isJsonObject(patch)) return patch;
    this.opened.add(cur);
    this.mergeDocs(cur, patch);
    return cur;
  }

  /** findObject: the container a JSON pointer's last token is in, every container on the way opened. */
  container(pointer: string): { parent: Json; key: string } | undefined {
    const parts = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (!parts.length) return undefined;
    let at: Json = this.root;
    for (const p of parts.slice(0, -1)) {
      const next: Json | undefined = Array.isArray(at) ? at[Number(p)] : isJsonObject(at) ? at[p] : undefined;
      if (next === undefined || next === null) return undefined;
      if (isJsonObject(next)) this.opened.add(next);
      at = next;
    }
    return { parent: at, key: parts[parts.length - 1]! };
  }

  get(pointer: string): Json | undefined {
    const c = this.container(pointer);
    if (!c) return undefined;
    return Array.isArray(c.parent) ? c.parent[Number(c.key)] : isJsonObject(c.parent) ? c.parent[c.key] : undefined;
  }

  set(pointer: string, value: Json, insert: boolean): void {
    const c = this.container(pointer);
    if (!c) return;
    if (Array.isArray(c.parent)) {
      const i = c.key === '-' ? c.parent.length : Number(c.key);
      c.parent.splice(i, insert ? 0 : 1, value);
    } else if (isJsonObject(c.parent)) c.parent[c.key] = value;
  }

  remove(pointer: string): Json | undefined {
    const c = this.container(pointer);
    if (!c) return undefined;
    if (Array.isArray(c.parent)) return c.parent.splice(Number(c.key), 1)[0];
    if (!isJsonObject(c.parent)) return undefined;
    const v = c.parent[c.key];
    delete c.parent[c.key];
    return v;
  }

  /** A copy keeping which objects are opened (json-patch's deepCopy marshals the node as it stands). */
  copyOf(v: Json): Json {
    if (Array.isArray(v)) return v.map((x) => this.copyOf(x));
    if (!isJsonObject(v)) return v;
    const out = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.copyOf(x)]));
    if (this.opened.has(v)) this.opened.add(out);
    return out;
  }

  /** encoding/json over the lazy nodes: an opened object by key, any other as it was written; <, > and & escaped. */
  text(): string {
    const write = (v: Json): string => {
      if (Array.isArray(v)) return `[${v.map(write).join(',')}]`;
      if (!isJsonObject(v)) return JSON.stringify(v);
      const keys = this.opened.has(v) ? Object.keys(v).sort() : Object.keys(v);
      return `{${keys.map((k) => `${JSON.stringify(k)}:${write(v[k]!)}`).join(',')}}`;
    };
    const htmlEscapes: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };
    return write(this.root).replace(/[<>&\u2028\u2029]/g, (c) => htmlEscapes[c]!);
  }
}

/** The current object as patch.go encodes it: a built-in `typeName`'s struct, or (no type) an unstructured map. */
function currentDoc(current: unknown, typeName: string | undefined): Doc {
  const doc = new Doc(goOrdered(current, typeName));
  if (!typeName) doc.openAll(doc.root);
  return doc;
}

/** The document jsonpatch.MergePatch writes for `current` (a `typeName`, none for a custom resource) and a merge patch object. */
export function mergePatchedDocument(current: unknown, typeName: string | undefined, patch: { [k: string]: Json }): string {
  const doc = currentDoc(current, typeName);
  doc.mergeDocs(doc.root as { [k: string]: Json }, structuredClone(patch));
  return doc.text();
}

interface Op {
  op?: string;
  path?: string;
  from?: string;
  value?: Json;
}

/** The document jsonpatch.Patch.Apply writes for `current` (a `typeName`, none for a custom resource) and a JSON patch that applied. */
export function jsonPatchedDocument(current: unknown, typeName: string | undefined, ops: Op[]): string {
  const doc = currentDoc(current, typeName);
  for (const o of ops) {
    const path = o.path ?? '';
    const value = structuredClone(o.value ?? null);
    switch (o.op) {
      case 'add':
        doc.set(path, value, true);
        break;
      case 'replace':
        doc.set(path, value, false);
        break;
      case 'remove':
        doc.remove(path);
        break;
      case 'move': {
        const v = doc.remove(o.from ?? '');
        if (v !== undefined) doc.set(path, v, true);
        break;
      }
      case 'copy': {
        const v = doc.get(o.from ?? '');
        if (v !== undefined) doc.set(path, doc.copyOf(v), true);
        break;
      }
      case 'test': {
        const v = doc.get(path);
        if (v !== undefined) doc.openAll(v);
        break;
      }
    }
  }
  return doc.text();
}
