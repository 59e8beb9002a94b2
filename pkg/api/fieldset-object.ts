// Server-side apply over JSON objects, typed by field-types.ts: the set of fields an object
// sets (what an applier owns), the comparison of two versions (what an update changed), the
// merge of an applied configuration into a live object, and the removal of fields an applier
// stopped applying. The structured-merge-diff operations ToFieldSet, Compare, Merge and
// RemoveItems, on plain JSON.
import { childType, nullIsField, type FieldType } from './field-types.js';
import { fieldElement, FieldSet, indexElement, keyElement, pathString, valueElement, type Json, type Path, type PathElement } from './fieldpath.js';

type JsonObject = { [k: string]: Json };

export class FieldSetError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'FieldSetError';
  }
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const absent = (v: unknown) => v === undefined || v === null;
/** A null that is a field (nullIsField), compared and owned as a leaf value of its own. */
const NULL_LEAF = '\u0000null';
/** Member `k` of struct or map `o` of type `t`, its null marked when it is a field. */
const memberOf = (o: JsonObject, t: FieldType, k: string): Json | undefined => (o[k] === null && nullIsField(t, k) ? NULL_LEAF : o[k]);
const isEmpty = (v: unknown) => absent(v) || (Array.isArray(v) && !v.length) || (isObject(v) && !Object.keys(v).length);

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * The element naming a list item. `strict` (applied configurations) rejects an item without its
 * keys; otherwise such an item (which validation should have refused) is named by index.
 */
function itemElement(t: FieldType, item: Json, index: number, path: Path, strict: boolean): PathElement {
  if (t.kind === 'set') return valueElement(item);
  if (t.kind !== 'keyed') return indexElement(index);
  const key: Record<string, Json> = {};
  for (const k of t.keys) {
    const v = isObject(item) && !absent(item[k]) ? item[k]! : t.defaults[k];
    if (v === undefined) {
      // (structured-merge-diff's words: the list's path, the item's index, then the key)
      if (strict) throw new FieldSetError(pathString(path), `element ${index}: associative list with keys has an element that omits key field "${k}" (and doesn't have default value)`);
      return indexElement(index);
    }
    key[k] = v;
  }
  return keyElement(key);
}

/** Items of a keyed or set list by element; later duplicates are an error when strict, else ignored. */
function itemsByElement(t: FieldType, list: Json[], path: Path, strict: boolean): Map<PathElement, Json> {
  const out = new Map<PathElement, Json>();
  list.forEach((item, i) => {
    const e = itemElement(t, item, i, path, strict);
    if (out.has(e)) {
      if (strict) throw new FieldSetError(pathString(path), `duplicate entries for key ${pathString([e])}`);
      return;
    }
    out.set(e, item);
  });
  return out;
}

/** The fields `v` sets (ToFieldSet): leaves, list items and their fields; empty objects and lists count as leaves. */
export function fieldSetOf(v: unknown, t: FieldType, opts: { strict?: boolean } = {}): FieldSet {
  const set = new FieldSet();
  // One path, pushed and popped as the walk goes (FieldSet.insert copies what it keeps).
  const path: PathElement[] = [];
  const walk = (v: unknown, t: FieldType) => {
    if (absent(v)) return;
    const leaf = () => {
      if (path.length) set.insert(path);
    };
    if (t.kind === 'leaf' || isEmpty(v)) return leaf();
    if (t.kind === 'struct' || t.kind === 'map') {
      if (!isObject(v)) return leaf();
      for (const k of Object.keys(v)) {
        path.push(fieldElement(k));
        walk(memberOf(v, t, k), childType(t, k));
        path.pop();
      }
      return;
    }
    if (!Array.isArray(v)) return leaf();
    for (const [e, item] of itemsByElement(t, v, path, !!opts.strict)) {
      path.push(e);
      set.insert(path);
      if (t.kind === 'keyed') walk(item, t.item);
      path.pop();
    }
  };
  walk(v, t);
  return set;
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/**
 * What changed from `lhs` to `rhs` (Compare): a node that appears is added together with
 * everything below it; a leaf whose value differs is modified; a node that disappears is removed.
 */
export function compareObjects(lhs: unknown, rhs: unknown, t: FieldType): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  // One path, pushed and popped as the walk goes (FieldSet.insert copies what it keeps).
  const path: PathElement[] = [];
  const walk = (l: unknown, r: unknown, t: FieldType) => {
    if (absent(l) && absent(r)) return;
    const leaf = () => {
      if (!path.length) return;
      if (absent(l)) c.added.insert(path);
      else if (absent(r)) c.removed.insert(path);
      else if (!deepEqual(l, r)) c.modified.insert(path);
    };
    if (t.kind === 'leaf' || (isEmpty(l) && isEmpty(r))) return leaf();
    if (path.length) {
      if (absent(l)) c.added.insert(path);
      else if (absent(r)) c.removed.insert(path);
    }
    if (t.kind === 'struct' || t.kind === 'map') {
      if ((!absent(l) && !isObject(l)) || (!absent(r) && !isObject(r))) return leaf();
      const lo = (l ?? {}) as JsonObject;
      const ro = (r ?? {}) as JsonObject;
      const keys = absent(l) ? Object.keys(ro) : absent(r) ? Object.keys(lo) : new Set([...Object.keys(lo), ...Object.keys(ro)]);
      for (const k of keys) {
        path.push(fieldElement(k));
        walk(memberOf(lo, t, k), memberOf(ro, t, k), childType(t, k));
        path.pop();
      }
      return;
    }
    if ((!absent(l) && !Array.isArray(l)) || (!absent(r) && !Array.isArray(r))) return leaf();
    const li = itemsByElement(t, (l ?? []) as Json[], path, false);
    const ri = itemsByElement(t, (r ?? []) as Json[], path, false);
    for (const e of new Set([...li.keys(), ...ri.keys()])) {
      path.push(e);
      if (t.kind === 'keyed') {
        const a = li.get(e);
        const b = ri.get(e);
        if (absent(a)) c.added.insert(path);
        else if (absent(b)) c.removed.insert(path);
        walk(a, b, t.item);
      } else if (!li.has(e)) c.added.insert(path);
      else if (!ri.has(e)) c.removed.insert(path);
      path.pop();
    }
  };
  walk(lhs, rhs, t);
  return c;
}

type FieldsV1 = { [k: string]: Json };

// The walks below build FieldsV1 in FieldSet.toFieldsV1's order ("." first for a member with
// children, then the children sorted by element) directly: keys are sorted before the children
// are added, so no entry lists are built and sorted afterwards. A create computes one per write.

/** Adds the FieldsV1 of each field of a struct or map, added with everything below it, in key order; whether any was. */
function addAddedFields(v: JsonObject, t: FieldType, out: FieldsV1): boolean {
  const keys = Object.keys(v);
  if (keys.length > 1) keys.sort();
  let any = false;
  for (const k of keys) {
    const c = v[k];
    if (absent(c) && !(c === null && nullIsField(t, k))) continue;
    out[fieldElement(k)] = addedFieldsV1(c!, childType(t, k));
    any = true;
  }
  return any;
}

const byElement = (a: [string, Json], b: [string, Json]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** The FieldsV1 of a node compareObjects finds added (absent before), with everything below it. */
function addedFieldsV1(v: Json, t: FieldType): FieldsV1 {
  if (t.kind === 'leaf' || absent(v)) return {};
  if (t.kind === 'struct' || t.kind === 'map') {
    if (!isObject(v)) return {};
    const out: FieldsV1 = { '.': {} };
    return addAddedFields(v, t, out) ? out : {};
  }
  if (!Array.isArray(v) || !v.length) return {};
  const items = [...itemsByElement(t, v, [], false)];
  if (items.length > 1) items.sort(byElement);
  const out: FieldsV1 = { '.': {} };
  for (const [e, item] of items) out[e] = t.kind === 'keyed' && !absent(item) ? addedFieldsV1(item, t.item) : {};
  return out;
}

/**
 * What a create sets, as FieldsV1, straight from the object: the same as
 * `compareObjects(empty, r, t)` where `empty` has an empty object for each of r's top-level
 * objects (added and modified together), without building FieldSets. `skip` names top-level
 * members nobody owns. Creates are most writes, and this walk is one fifth of the general one.
 */
export function createdFieldsV1(r: JsonObject, t: FieldType, skip: ReadonlySet<string>): FieldsV1 {
  const out: FieldsV1 = {};
  const keys = Object.keys(r).sort();
  for (const k of keys) {
    const v = r[k];
    if (absent(v) && !(v === null && nullIsField(t, k))) continue;
    const e = fieldElement(k);
    const ct = childType(t, k);
    let sub: FieldsV1 | undefined;
    let member = false;
    if (!isObject(v)) {
      sub = addedFieldsV1(v!, ct);
      member = true;
    } else if (ct.kind === 'leaf' || isEmpty(v) || (ct.kind !== 'struct' && ct.kind !== 'map')) {
      // compared as a leaf against {}: modified unless equal
      if (!deepEqual({}, v)) {
        sub = {};
        member = true;
      }
    } else {
      // compared against {}: not added itself, its fields are
      const children: FieldsV1 = {};
      if (addAddedFields(v, ct, children)) sub = children;
    }
    if (!sub) continue;
    if (member && skip.has(e)) {
      // not owned itself; what lies below it still is
      const { '.': _self, ...below } = sub;
      if (!Object.keys(below).length) continue;
      sub = below;
    }
    out[e] = sub;
  }
  return out;
}

/**
 * Merges an applied configuration into a live object: structs and maps merge field by field,
 * keyed lists item by item (live order kept, new items appended), sets are unioned, and
 * everything else is replaced by the configuration's value.
 */
export function mergeApplied(live: unknown, config: unknown, t: FieldType, path: Path = []): Json {
  if (config === undefined) return structuredClone(live as Json);
  if (absent(live) || t.kind === 'leaf') return structuredClone(config as Json);
  if (t.kind === 'struct' || t.kind === 'map') {
    if (!isObject(live) || !isObject(config)) return structuredClone(config as Json);
    const out: JsonObject = { ...live };
    for (const [k, v] of Object.entries(config)) out[k] = mergeApplied(live[k], v, childType(t, k), [...path, fieldElement(k)]);
    return out;
  }
  if (!Array.isArray(live) || !Array.isArray(config)) return structuredClone(config as Json);
  const out = [...live];
  const index = new Map<PathElement, number>();
  live.forEach((item, i) => {
    const e = itemElement(t, item, i, path, false);
    if (!index.has(e)) index.set(e, i);
  });
  for (const [e, item] of itemsByElement(t, config, path, true)) {
    const i = index.get(e);
    if (i === undefined) out.push(structuredClone(item));
    else if (t.kind === 'keyed') out[i] = mergeApplied(out[i], item, t.item, [...path, e]);
  }
  return out;
}

/**
 * Removes from `v` the members of `remove` that `keep` does not hold (at or below them), and
 * the maps, lists and structs left empty by that removal (labels after the last label goes). The key fields of a
 * list item that stays are never removed. Returns undefined when `v` itself should go.
 */
export function removeFields(v: unknown, remove: FieldSet, keep: FieldSet, t: FieldType): Json | undefined {
  const prune = (v: Json, remove: FieldSet, keep: FieldSet | undefined, t: FieldType, protect: string[]): Json | undefined => {
    const decide = (e: PathElement, child: Json, ct: FieldType, isKey: boolean): Json | undefined => {
      if (isKey) return child;
      if (remove.members.has(e) && !keep?.touches(e)) return undefined;
      const sub = remove.child(e);
      if (!sub || absent(child)) return child;
      const pruned = prune(child, sub, keep?.child(e), ct, []);
      // A field the removal leaves empty goes with it, whatever its shape: structured-merge-diff
      // removes every field it no longer finds an owner beneath (the applier's named fields are
      // members of its last set: EnsureNamedFieldsAreMembers), and its removing walker gives an
      // emptied map or list back as null. So the last port dropped leaves no `ports: []`, nor
      // the last runAsUser a `securityContext: {}`.
      if (ct.kind !== 'leaf' && pruned !== undefined && isEmpty(pruned) && !isEmpty(child) && !keep?.members.has(e)) return undefined;
      return pruned;
    };
    if ((t.kind === 'struct' || t.kind === 'map') && isObject(v)) {
      const out: JsonObject = {};
      for (const [k, c] of Object.entries(v)) {
        const r = decide(fieldElement(k), c, childType(t, k), protect.includes(k));
        if (r !== undefined) out[k] = r;
      }
      return out;
    }
    if ((t.kind === 'keyed' || t.kind === 'set') && Array.isArray(v)) {
      const out: Json[] = [];
      v.forEach((item, i) => {
        const e = itemElement(t, item, i, [], false);
        let r: Json | undefined;
        if (remove.members.has(e) && !keep?.touches(e)) r = undefined;
        else if (t.kind === 'keyed' && remove.child(e)) r = prune(item, remove.child(e)!, keep?.child(e), t.item, t.keys);
        else r = item;
        if (r !== undefined) out.push(r);
      });
      return out;
    }
    return v;
  };
  if (absent(v)) return v as Json;
  return prune(structuredClone(v as Json), remove, keep, t, []);
}
