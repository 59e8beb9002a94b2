// Server-side apply over JSON objects, typed by field-types.ts: the set of fields an object
// sets (what an applier owns), the comparison of two versions (what an update changed), the
// merge of an applied configuration into a live object, and the removal of fields an applier
// stopped applying. The structured-merge-diff operations ToFieldSet, Compare, Merge and
// RemoveItems, on plain JSON.
import { childType, nullIsField, type FieldType } from './field-types.js';
import { fieldElement, FieldSet, indexElement, keyElement, pathString, valueElement, type Json, type Path, type PathElement } from './fieldpath.js';
import { deepEqual } from './json-equal.js';
import { goChildOf, goValueEqual, goZeroMembers, type GoChild } from './omitempty.js';
import { isJsonObject, type JsonObject } from './json-object.js';


export class FieldSetError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'FieldSetError';
  }
}

const absent = (v: unknown) => v === undefined || v === null;
/** A null that is a field (nullIsField), compared and owned as a leaf value of its own. */
const NULL_LEAF = '\u0000null';
/** Member `k` of struct or map `o` of type `t`, its null marked when it is a field. */
const memberOf = (o: JsonObject, t: FieldType, k: string): Json | undefined => (o[k] === null && nullIsField(t, k) ? NULL_LEAF : o[k]);
/**
 * Member `k` of struct `o` of type `t` as 1.32's field manager sees it in a whole object: the
 * decoded Go struct, where a field Go always writes (no omitempty, or a struct by value) is there
 * at its zero value whether the JSON left it out or gave null (a condition's lastProbeTime: null,
 * a container status's restartCount: 0, a Deployment's selector: null). So an update that leaves
 * such a field out, or an object stored before tskube filled them, changes nothing there.
 */
function wholeMemberOf(o: JsonObject, t: FieldType, k: string): Json | undefined {
  const v = o[k];
  if (v !== undefined && v !== null) return v;
  const zero = t.kind === 'struct' ? goZeroMembers(t.name)?.get(k) : undefined;
  if (zero === undefined) return v === null && nullIsField(t, k) ? NULL_LEAF : v;
  return zero === null ? NULL_LEAF : (zero as Json);
}
/** The members Go always writes that struct `o` of type `t` leaves out (undefined: none). */
function missingZeroMembers(o: JsonObject, t: FieldType): string[] | undefined {
  const zm = t.kind === 'struct' ? goZeroMembers(t.name) : undefined;
  if (!zm) return undefined;
  let out: string[] | undefined;
  for (const k of zm.keys()) if (o[k] === undefined) (out ??= []).push(k);
  return out;
}
/**
 * Whether two values of a leaf (a scalar, an atomic struct or list) are the same: as JSON, or
 * given where the leaf sits (field `key` of Go struct `owner`; `inner`: an item or map value of
 * it), as the typed values are, where a zero field Go writes and the JSON left out are alike
 * (goValueEqual). The Go type is looked up only when the JSON differs.
 */
function sameValue(l: unknown, r: unknown, owner: string | undefined, key: string, inner: boolean): boolean {
  if (deepEqual(l, r)) return true;
  if (owner === undefined) return false;
  const g: GoChild | undefined = goChildOf(owner, key);
  return g !== undefined && goValueEqual(l, r, g.type, g.map && !inner);
}
const isEmpty = (v: unknown) => absent(v) || v === NULL_LEAF || (Array.isArray(v) && !v.length) || (isJsonObject(v) && !Object.keys(v).length);

/**
 * The element naming a list item. `strict` (applied configurations) rejects an item without its
 * keys; otherwise such an item (which validation should have refused) is named by index.
 */
function itemElement(t: FieldType, item: Json, index: number, path: Path, strict: boolean): PathElement {
  if (t.kind === 'set') return valueElement(item);
  if (t.kind !== 'keyed') return indexElement(index);
  const key: Record<string, Json> = {};
  for (const k of t.keys) {
    const v = isJsonObject(item) && !absent(item[k]) ? item[k]! : t.defaults[k];
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
      if (!isJsonObject(v)) return leaf();
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

const METADATA = fieldElement('metadata');

/**
 * What changed from `lhs` to `rhs` (Compare): a node that appears is added together with
 * everything below it; a leaf whose value differs is modified; a node that disappears is removed.
 * `whole`: two versions of one object (not an applied configuration), compared as 1.32 compares
 * the typed Go objects: below the top level a field Go always writes is there at its zero value
 * when left out (wholeMemberOf), and a null such field is a value: a struct or list that was null
 * is not added itself when it gets members, only they are.
 */
export function compareObjects(lhs: unknown, rhs: unknown, t: FieldType, whole = false): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  // One path, pushed and popped as the walk goes (FieldSet.insert copies what it keeps).
  const path: PathElement[] = [];
  // (`owner`, `key`, `inner`: where the node sits, for a whole comparison's leaves: sameValue)
  const walk = (l: unknown, r: unknown, t: FieldType, owner: string | undefined, key: string, inner: boolean) => {
    if (absent(l) && absent(r)) return;
    const leaf = () => {
      if (!path.length) return;
      if (absent(l)) c.added.insert(path);
      else if (absent(r)) c.removed.insert(path);
      else if (!sameValue(l, r, whole ? owner : undefined, key, inner)) c.modified.insert(path);
    };
    if (t.kind === 'leaf' || (isEmpty(l) && isEmpty(r))) return leaf();
    if (path.length) {
      if (absent(l)) c.added.insert(path);
      else if (absent(r)) c.removed.insert(path);
    }
    // (a null that is a value holds nothing below it)
    const lv = l === NULL_LEAF ? undefined : l;
    const rv = r === NULL_LEAF ? undefined : r;
    if (t.kind === 'struct' || t.kind === 'map') {
      if ((!absent(lv) && !isJsonObject(lv)) || (!absent(rv) && !isJsonObject(rv))) return leaf();
      const lo = (lv ?? {}) as JsonObject;
      const ro = (rv ?? {}) as JsonObject;
      // (not the top level, nor the object's own metadata: what a scope manages of them is its view's)
      const fill = whole && path.length > 0 && !(path.length === 1 && path[0] === METADATA);
      const member = fill ? wholeMemberOf : memberOf;
      let keys: Iterable<string> = absent(lv) ? Object.keys(ro) : absent(rv) ? Object.keys(lo) : new Set([...Object.keys(lo), ...Object.keys(ro)]);
      // (a struct only one side has: the zero members Go writes are its members too)
      if (fill && absent(lv) !== absent(rv)) {
        const missing = missingZeroMembers(absent(lv) ? ro : lo, t);
        if (missing) keys = [...keys, ...missing];
      }
      const struct = t.kind === 'struct';
      for (const k of keys) {
        path.push(fieldElement(k));
        walk(absent(lv) ? undefined : member(lo, t, k), absent(rv) ? undefined : member(ro, t, k), childType(t, k), struct ? t.name : owner, struct ? k : key, !struct);
        path.pop();
      }
      return;
    }
    if ((!absent(lv) && !Array.isArray(lv)) || (!absent(rv) && !Array.isArray(rv))) return leaf();
    const li = itemsByElement(t, (lv ?? []) as Json[], path, false);
    const ri = itemsByElement(t, (rv ?? []) as Json[], path, false);
    for (const e of new Set([...li.keys(), ...ri.keys()])) {
      path.push(e);
      if (t.kind === 'keyed') {
        const a = li.get(e);
        const b = ri.get(e);
        if (absent(a)) c.added.insert(path);
        else if (absent(b)) c.removed.insert(path);
        walk(a, b, t.item, owner, key, true);
      } else if (!li.has(e)) c.added.insert(path);
      else if (!ri.has(e)) c.removed.insert(path);
      path.pop();
    }
  };
  walk(lhs, rhs, t, undefined, '', false);
  return c;
}

type FieldsV1 = { [k: string]: Json };

// The walks below build FieldsV1 in FieldSet.toFieldsV1's order ("." first for a member with
// children, then the children sorted by element) directly: keys are sorted before the children
// are added, so no entry lists are built and sorted afterwards. A create computes one per write.

const byElement = (a: [string, Json], b: [string, Json]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/**
 * The FieldsV1 of what `compareObjects(l, r, t, true)` finds added or modified at and below a
 * node `r` holds, or undefined when nothing is. `l` is the create's zero object's value there
 * (createdFieldsV1), or undefined: the node is added with everything below it. `{}` is the node
 * alone, a member; `.` marks a member with children. `owner`, `key`, `inner`: where the node
 * sits (sameValue); `fill`: whether an added struct has the zero members Go writes.
 */
function changedFieldsV1(l: Json | undefined, r: Json, t: FieldType, owner: string | undefined, key: string, inner: boolean, fill = true): FieldsV1 | undefined {
  const added = absent(l);
  if (t.kind === 'leaf' || (isEmpty(l) && isEmpty(r))) return added || !sameValue(l, r, owner, key, inner) ? {} : undefined;
  // (a null that is a value holds nothing below it)
  const lv = l === NULL_LEAF ? undefined : l;
  const rv = r === NULL_LEAF ? undefined : r;
  let out: FieldsV1;
  let any = false;
  if (t.kind === 'struct' || t.kind === 'map') {
    if ((!absent(lv) && !isJsonObject(lv)) || (!absent(rv) && !isJsonObject(rv))) return added || !sameValue(l, r, owner, key, inner) ? {} : undefined;
    if (!isJsonObject(rv)) return undefined;
    out = added ? { '.': {} } : {};
    let keys = Object.keys(rv);
    // (an added struct has the zero members Go writes too)
    const missing = added && fill ? missingZeroMembers(rv, t) : undefined;
    if (missing) keys = keys.concat(missing);
    if (keys.length > 1) keys.sort();
    // (the zero object holds its members as they are: a null there is a value)
    const lo = isJsonObject(lv) ? lv : undefined;
    const member = fill ? wholeMemberOf : memberOf;
    const struct = t.kind === 'struct';
    for (const k of keys) {
      const rc = member(rv, t, k);
      if (absent(rc)) continue;
      const lc = lo?.[k];
      const sub = changedFieldsV1(lc === null ? NULL_LEAF : lc, rc!, childType(t, k), struct ? t.name : owner, struct ? k : key, !struct);
      if (sub) {
        out[fieldElement(k)] = sub;
        any = true;
      }
    }
  } else {
    if ((!absent(lv) && !Array.isArray(lv)) || (!absent(rv) && !Array.isArray(rv))) return added || !sameValue(l, r, owner, key, inner) ? {} : undefined;
    if (!Array.isArray(rv)) return undefined;
    const items = [...itemsByElement(t, rv, [], false)];
    if (items.length > 1) items.sort(byElement);
    const li = Array.isArray(lv) && lv.length ? itemsByElement(t, lv, [], false) : undefined;
    out = added ? { '.': {} } : {};
    for (const [e, item] of items) {
      const before = li?.get(e);
      let sub: FieldsV1 | undefined;
      if (t.kind === 'keyed') sub = absent(item) ? (absent(before) ? {} : undefined) : changedFieldsV1(before, item, t.item, owner, key, true);
      else if (!li?.has(e)) sub = {};
      if (sub) {
        out[e] = sub;
        any = true;
      }
    }
  }
  // (a member with nothing below it is {}, as a leaf)
  return any ? out : added ? {} : undefined;
}

/**
 * What a create sets, as FieldsV1, straight from the object: the same as
 * `compareObjects(zero, r, t, true)` (added and modified together), without building FieldSets.
 * `zero` is the object a create starts from, 1.32's zero Go object of the type as the field
 * manager sees it (the live object of create.go is scope.Creater.New's): a field it holds is not
 * added itself (no "." for a Deployment's strategy, template and template.spec.containers), and
 * one the create leaves at that zero value is nobody's (a template's creationTimestamp: null).
 * Without one, each of r's top-level objects starts empty. `skip` names top-level members nobody
 * owns. Creates are most writes, and this walk is one fifth of the general one.
 */
export function createdFieldsV1(r: JsonObject, t: FieldType, skip: ReadonlySet<string>, zero?: JsonObject): FieldsV1 {
  const out: FieldsV1 = {};
  const keys = Object.keys(r).sort();
  for (const k of keys) {
    const v = memberOf(r, t, k);
    if (absent(v)) continue;
    const l = zero ? memberOf(zero, t, k) : isJsonObject(v) ? {} : undefined;
    // (the object's own metadata is as its view left it: no zero members filled in)
    let sub = changedFieldsV1(l, v!, childType(t, k), t.kind === 'struct' ? t.name : undefined, k, false, k !== 'metadata');
    if (!sub) continue;
    const e = fieldElement(k);
    if (skip.has(e)) {
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
    if (!isJsonObject(live) || !isJsonObject(config)) return structuredClone(config as Json);
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
    if ((t.kind === 'struct' || t.kind === 'map') && isJsonObject(v)) {
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
