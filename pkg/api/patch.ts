// The three PATCH dialects of the Kubernetes API: JSON merge patch (RFC 7386), JSON patch
// (RFC 6902) and strategic merge patch, the last driven by the field metadata in patch-meta.ts.
// Every function returns a new object and leaves its inputs alone.
import { mergesItems, patchMeta, type PatchMeta } from './patch-meta.js';
import { messageSchema, fieldsOfMessage } from './schema.js';
import type { KubeObject } from './types.js';
import { isJsonObject, type Json, type JsonObject } from './json-object.js';

/** A decoded JSON value as Go's %v prints it: map[k:v k2:v2] (keys sorted), [a b], <nil>. */
export function goValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (typeof v === 'object') return `map[${Object.keys(v).sort().map((k) => `${k}:${goValue((v as Record<string, unknown>)[k])}`).join(' ')}]`;
  return String(v);
}

export class PatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatchError';
  }
}


const clone = <T>(v: T): T => structuredClone(v);
const deepEqual = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isJsonObject(a) && isJsonObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
};

// ---- RFC 7386 ----

function mergePatchValue(target: Json | undefined, patch: Json): Json {
  if (!isJsonObject(patch)) return clone(patch);
  const out: JsonObject = isJsonObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatchValue(out[k], v);
  }
  return out;
}

/** JSON merge patch (application/merge-patch+json): objects merge, null deletes, arrays replace. */
export function applyMergePatch(current: KubeObject, patch: unknown): KubeObject {
  if (!isJsonObject(patch)) throw new PatchError('a merge patch must be a JSON object');
  return mergePatchValue(clone(current) as JsonObject, patch) as KubeObject;
}

// ---- RFC 6902 ----

interface JsonPatchOp {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

function parsePointer(ptr: string, what: string): string[] {
  if (ptr === '') return [];
  if (!ptr.startsWith('/')) throw new PatchError(`${what}: JSON pointer "${ptr}" must start with "/"`);
  return ptr
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(arr: Json[], tok: string, forAdd: boolean, what: string): number {
  if (forAdd && tok === '-') return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(tok)) throw new PatchError(`${what}: invalid array index "${tok}"`);
  const i = Number(tok);
  if (i > arr.length || (!forAdd && i === arr.length)) throw new PatchError(`${what}: array index ${i} out of bounds (length ${arr.length})`);
  return i;
}

/** The container holding the last token, and that token. */
function resolveParent(doc: Json, toks: string[], what: string): { parent: Json; key: string } {
  let cur: Json = doc;
  for (const t of toks.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, t, false, what)];
    else if (isJsonObject(cur) && t in cur) cur = cur[t];
    else throw new PatchError(`${what}: path not found`);
  }
  return { parent: cur, key: toks[toks.length - 1] };
}

function getAt(doc: Json, toks: string[], what: string): Json {
  if (!toks.length) return doc;
  const { parent, key } = resolveParent(doc, toks, what);
  if (Array.isArray(parent)) return parent[arrayIndex(parent, key, false, what)];
  if (isJsonObject(parent) && key in parent) return parent[key];
  throw new PatchError(`${what}: path not found`);
}

function removeAt(doc: Json, toks: string[], what: string): Json {
  if (!toks.length) throw new PatchError(`${what}: cannot remove the whole document`);
  const { parent, key } = resolveParent(doc, toks, what);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, key, false, what), 1)[0];
  if (isJsonObject(parent) && key in parent) {
    const v = parent[key];
    delete parent[key];
    return v;
  }
  throw new PatchError(`${what}: path not found`);
}

function addAt(doc: Json, toks: string[], value: Json, what: string): Json {
  if (!toks.length) return value;
  const { parent, key } = resolveParent(doc, toks, what);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true, what), 0, value);
  else if (isJsonObject(parent)) parent[key] = value;
  else throw new PatchError(`${what}: parent is not an object or array`);
  return doc;
}

/** JSON patch (application/json-patch+json). Errors name the failing operation. */
export function applyJsonPatch(current: KubeObject, ops: unknown[]): KubeObject {
  if (!Array.isArray(ops)) throw new PatchError('a JSON patch must be an array of operations');
  let doc = clone(current) as Json;
  ops.forEach((raw, i) => {
    if (!isJsonObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw new PatchError(`operation ${i}: must be an object with string "op" and "path"`);
    }
    const op = raw as unknown as JsonPatchOp;
    const what = `operation ${i} (${op.op} ${op.path})`;
    const toks = parsePointer(op.path, what);
    const needValue = () => {
      if (!('value' in raw)) throw new PatchError(`${what}: missing "value"`);
      return clone(op.value as Json);
    };
    switch (op.op) {
      case 'add':
        doc = addAt(doc, toks, needValue(), what);
        break;
      case 'remove':
        removeAt(doc, toks, what);
        break;
      case 'replace': {
        const v = needValue();
        if (!toks.length) doc = v;
        else {
          removeAt(doc, toks, what);
          doc = addAt(doc, toks, v, what);
        }
        break;
      }
      case 'move':
      case 'copy': {
        if (typeof op.from !== 'string') throw new PatchError(`${what}: missing "from"`);
        const from = parsePointer(op.from, what);
        if (op.op === 'move' && op.path.startsWith(`${op.from}/`)) throw new PatchError(`${what}: cannot move a value into one of its children`);
        const v = op.op === 'move' ? removeAt(doc, from, what) : clone(getAt(doc, from, what));
        doc = addAt(doc, toks, v, what);
        break;
      }
      case 'test': {
        const want = needValue();
        const got = getAt(doc, toks, what);
        if (!deepEqual(got, want)) throw new PatchError(`${what}: test failed: value is ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
        break;
      }
      default:
        throw new PatchError(`${what}: unsupported operation "${op.op}"`);
    }
  });
  if (!isJsonObject(doc)) throw new PatchError('the patched document is not an object');
  return doc as KubeObject;
}

// ---- strategic merge patch ----

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder/';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';

/** The schema type of a field's value (for maps of messages, lists of messages), if known. */
function childType(typeName: string | undefined, key: string): string | undefined {
  if (!typeName || !messageSchema(typeName)) return undefined;
  const f = fieldsOfMessage(typeName).get(key);
  return f?.kind === 'message' ? f.type : undefined;
}

function smpMap(original: JsonObject, patch: JsonObject, typeName: string | undefined): JsonObject | undefined {
  const directive = patch[DIRECTIVE];
  if (directive === 'delete') return undefined;
  if (directive === 'replace') return stripDirectives(patch, typeName) as JsonObject;
  if (directive !== undefined && directive !== 'merge') throw new PatchError(`unknown patch type: ${String(directive)} in map: ${goValue(patch)}`);
  let out: JsonObject = { ...original };
  const retain = patch[RETAIN_KEYS];
  if (retain !== undefined) {
    if (!Array.isArray(retain)) throw new PatchError(`${RETAIN_KEYS} must be a list of keys`);
    const keep = new Set(retain.map(String));
    out = Object.fromEntries(Object.entries(out).filter(([k]) => keep.has(k)));
  }
  const orders: [string, Json[]][] = [];
  for (const [k, v] of Object.entries(patch)) {
    if (k === DIRECTIVE || k === RETAIN_KEYS) continue;
    if (k.startsWith(SET_ORDER)) {
      if (!Array.isArray(v)) throw new PatchError(`${k} must be a list`);
      orders.push([k.slice(SET_ORDER.length), v]);
      continue;
    }
    if (k.startsWith(DELETE_PRIMITIVE)) {
      const field = k.slice(DELETE_PRIMITIVE.length);
      if (!Array.isArray(v)) throw new PatchError(`${k} must be a list`);
      const cur = out[field];
      if (Array.isArray(cur)) out[field] = cur.filter((x) => !v.some((d) => deepEqual(d, x)));
      continue;
    }
    if (k.startsWith('$')) throw new PatchError(`unknown patch directive ${k}`);
    if (v === null) {
      delete out[k];
      continue;
    }
    const sub = childType(typeName, k);
    const cur = out[k];
    const meta = typeName ? patchMeta(typeName, k) : undefined;
    if (Array.isArray(v)) {
      out[k] = smpList(Array.isArray(cur) ? cur : [], v, meta, sub, k);
    } else if (isJsonObject(v) && meta?.strategy === 'replace') {
      // (a PodDisruptionBudget's selector: the patch's selector is the new one, not merged into the old)
      const replaced = stripDirectives(v, sub);
      if (replaced === undefined) delete out[k];
      else out[k] = replaced;
    } else if (isJsonObject(v)) {
      const merged = smpMap(isJsonObject(cur) ? cur : {}, v, sub);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else {
      out[k] = v;
    }
  }
  for (const [field, order] of orders) {
    const cur = out[field];
    if (Array.isArray(cur)) out[field] = applyOrder(cur, order, typeName ? patchMeta(typeName, field)?.mergeKey : undefined);
  }
  return out;
}

/** A patch value put where nothing was before: directives are resolved against emptiness. */
function stripDirectives(v: Json, typeName: string | undefined): Json | undefined {
  if (isJsonObject(v)) {
    const { [DIRECTIVE]: _d, ...rest } = v;
    return smpMap({}, rest, typeName);
  }
  return v;
}

function smpList(original: Json[], patch: Json[], meta: PatchMeta | undefined, itemType: string | undefined, field: string): Json[] {
  // A `{"$patch": "replace"}` item replaces the whole list with the other items.
  if (patch.some((p) => isJsonObject(p) && p[DIRECTIVE] === 'replace' && Object.keys(p).length === 1)) {
    return patch.filter((p) => !(isJsonObject(p) && p[DIRECTIVE] === 'replace')).map((p) => stripDirectives(p, itemType) as Json);
  }
  if (!mergesItems(meta)) {
    return patch.filter((p) => !(isJsonObject(p) && p[DIRECTIVE] === 'delete')).map((p) => (isJsonObject(p) ? (stripDirectives(p, itemType) as Json) : p));
  }
  const key = meta.mergeKey;
  if (!key) {
    // Lists of scalars with the merge strategy are sets: union, original order first.
    const out = [...original];
    for (const p of patch) if (!out.some((x) => deepEqual(x, p))) out.push(p);
    return out;
  }
  const out = [...original];
  for (const p of patch) {
    if (!isJsonObject(p)) throw new PatchError(`${field}: list items must be objects with merge key "${key}"`);
    if (!(key in p)) throw new PatchError(`map: ${goValue(p)} does not contain declared merge key: ${key}`);
    const idx = out.findIndex((o) => isJsonObject(o) && deepEqual(o[key], p[key]));
    if (p[DIRECTIVE] === 'delete') {
      if (idx >= 0) {
        for (let i = out.length - 1; i >= 0; i--) if (isJsonObject(out[i]) && deepEqual((out[i] as JsonObject)[key], p[key])) out.splice(i, 1);
      }
      continue;
    }
    if (idx >= 0) {
      const merged = smpMap(out[idx] as JsonObject, p, itemType);
      if (merged === undefined) out.splice(idx, 1);
      else out[idx] = merged;
    } else {
      const added = stripDirectives(p, itemType);
      if (added !== undefined) out.push(added);
    }
  }
  return out;
}

/** `$setElementOrder`: listed items first in the listed order, then the rest in their order. */
function applyOrder(list: Json[], order: Json[], mergeKey: string | undefined): Json[] {
  const id = (x: Json): Json => (mergeKey && isJsonObject(x) ? (x[mergeKey] ?? null) : x);
  const wanted = order.map((o) => (mergeKey && isJsonObject(o) ? (o[mergeKey] ?? null) : o));
  const placed = new Set<number>();
  const out: Json[] = [];
  for (const w of wanted) {
    const i = list.findIndex((x, j) => !placed.has(j) && deepEqual(id(x), w));
    if (i >= 0) {
      placed.add(i);
      out.push(list[i]);
    }
  }
  list.forEach((x, j) => {
    if (!placed.has(j)) out.push(x);
  });
  return out;
}

/**
 * Strategic merge patch (application/strategic-merge-patch+json) of an object of schema type
 * `typeName` (Pod, Node, ...): lists merge by key where PATCH_META says so (and structs it marks
 * `replace` are replaced whole); `$patch`, `$retainKeys`, `$deleteFromPrimitiveList/<f>` and
 * `$setElementOrder/<f>` directives apply.
 */
export function applyStrategicMergePatch(current: KubeObject, patch: unknown, typeName: string): KubeObject {
  if (!isJsonObject(patch)) throw new PatchError('a strategic merge patch must be a JSON object');
  const out = smpMap(clone(current) as JsonObject, patch, messageSchema(typeName) ? typeName : undefined);
  return (out ?? {}) as KubeObject;
}
