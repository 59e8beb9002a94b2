// Field paths and sets of them, in the shape of structured-merge-diff's fieldpath package: the
// vocabulary of server-side apply. A path is a list of elements spelled as FieldsV1 spells them:
// `f:spec` (a field), `k:{"name":"app"}` (an item of a list keyed by its merge keys), `v:"x"`
// (an item of a list used as a set), `i:0` (an item by index). A set records which paths are
// members; FieldsV1 (metadata.managedFields[].fieldsV1) is its JSON form, with `.` marking a
// node that is itself a member as well as the parent of members.
import { isObject, type Json } from './json-object.js';

export type { Json };

/** One path element in its FieldsV1 spelling. */
export type PathElement = string;
export type Path = PathElement[];

export class FieldsV1Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FieldsV1Error';
  }
}

/** JSON with object keys sorted, so that equal values always spell the same element. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

/** Interned `f:` elements of field names seen so far (bounded: label keys and the like are open-ended). */
const fieldElements = new Map<string, PathElement>();
export function fieldElement(name: string): PathElement {
  let e = fieldElements.get(name);
  if (e === undefined) {
    e = `f:${name}`;
    if (fieldElements.size < 4096) fieldElements.set(name, e);
  }
  return e;
}
export const keyElement = (key: Record<string, Json>): PathElement => `k:${canonicalJson(key)}`;
export const valueElement = (v: Json): PathElement => `v:${canonicalJson(v)}`;
export const indexElement = (i: number): PathElement => `i:${i}`;

/** Validates one element as read from FieldsV1 and returns its canonical spelling. */
export function parseElement(s: string): PathElement {
  const kind = s.slice(0, 2);
  const rest = s.slice(2);
  switch (kind) {
    case 'f:':
      if (!rest) throw new FieldsV1Error(`empty field name in "${s}"`);
      return s;
    case 'k:':
    case 'v:': {
      let v: unknown;
      try {
        v = JSON.parse(rest);
      } catch {
        throw new FieldsV1Error(`"${s}": the text after "${kind}" is not JSON`);
      }
      if (kind === 'k:') {
        if (!isObject(v) || !Object.keys(v).length) throw new FieldsV1Error(`"${s}": a key must be a non-empty JSON object`);
        return keyElement(v as Record<string, Json>);
      }
      return valueElement(v as Json);
    }
    case 'i:':
      if (!/^(0|[1-9]\d*)$/.test(rest)) throw new FieldsV1Error(`"${s}": an index must be a non-negative integer`);
      return s;
    default:
      throw new FieldsV1Error(`"${s}": a path element must start with f:, k:, v: or i:`);
  }
}

const scalarText = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : canonicalJson(v));

/** A path as Kubernetes prints it in conflicts: `.spec.containers[name="app"].image`. */
export function pathString(path: Path): string {
  return path
    .map((e) => {
      const rest = e.slice(2);
      switch (e.slice(0, 2)) {
        case 'f:':
          return `.${rest}`;
        case 'k:': {
          const key = JSON.parse(rest) as Record<string, unknown>;
          return `[${Object.keys(key)
            .map((k) => `${k}=${scalarText(key[k])}`)
            .join(',')}]`;
        }
        case 'v:':
          return `[=${scalarText(JSON.parse(rest))}]`;
        default:
          return `[${rest}]`;
      }
    })
    .join('');
}

/**
 * A set of paths as a tree: `members` are the child elements that are in the set themselves,
 * `children` the subtrees below child elements. Sets are treated as immutable values by
 * every operation except insert.
 */
export class FieldSet {
  readonly members = new Set<PathElement>();
  readonly children = new Map<PathElement, FieldSet>();

  static fromPaths(paths: Path[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  insert(path: Path): this {
    if (!path.length) return this;
    let node: FieldSet = this;
    for (let i = 0; i < path.length - 1; i++) {
      const e = path[i]!;
      let c = node.children.get(e);
      if (!c) node.children.set(e, (c = new FieldSet()));
      node = c;
    }
    node.members.add(path[path.length - 1]!);
    return this;
  }

  child(e: PathElement): FieldSet | undefined {
    return this.children.get(e);
  }

  /** The subtree at `path` (not including the member at path itself). */
  at(path: Path): FieldSet | undefined {
    let node: FieldSet | undefined = this;
    for (const e of path) node = node?.children.get(e);
    return node;
  }

  has(path: Path): boolean {
    if (!path.length) return false;
    return this.at(path.slice(0, -1))?.members.has(path[path.length - 1]!) ?? false;
  }

  /** True when `e` is a member or has members below it. */
  touches(e: PathElement): boolean {
    return this.members.has(e) || !(this.children.get(e)?.isEmpty() ?? true);
  }

  isEmpty(): boolean {
    if (this.members.size) return false;
    for (const c of this.children.values()) if (!c.isEmpty()) return false;
    return true;
  }

  union(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) out.members.add(m);
    for (const m of o.members) out.members.add(m);
    for (const [e, c] of this.children) out.children.set(e, c);
    for (const [e, c] of o.children) {
      const mine = out.children.get(e);
      out.children.set(e, mine ? mine.union(c) : c);
    }
    return out;
  }

  difference(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (!o.members.has(m)) out.members.add(m);
    for (const [e, c] of this.children) {
      const theirs = o.children.get(e);
      const d = theirs ? c.difference(theirs) : c;
      if (!d.isEmpty()) out.children.set(e, d);
    }
    return out;
  }

  intersection(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (o.members.has(m)) out.members.add(m);
    for (const [e, c] of this.children) {
      const theirs = o.children.get(e);
      if (!theirs) continue;
      const i = c.intersection(theirs);
      if (!i.isEmpty()) out.children.set(e, i);
    }
    return out;
  }

  /** This set without the subtree (members and children) at element `e`. */
  without(e: PathElement): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (m !== e) out.members.add(m);
    for (const [k, c] of this.children) if (k !== e) out.children.set(k, c);
    return out;
  }

  /** Only the subtree (member and children) at element `e`. */
  only(e: PathElement): FieldSet {
    const out = new FieldSet();
    if (this.members.has(e)) out.members.add(e);
    const c = this.children.get(e);
    if (c) out.children.set(e, c);
    return out;
  }

  /** Every member path, in sorted element order. */
  paths(prefix: Path = []): Path[] {
    const out: Path[] = [];
    const keys = [...new Set([...this.members, ...this.children.keys()])].sort();
    for (const k of keys) {
      if (this.members.has(k)) out.push([...prefix, k]);
      const c = this.children.get(k);
      if (c) out.push(...c.paths([...prefix, k]));
    }
    return out;
  }

  equals(o: FieldSet): boolean {
    return this.difference(o).isEmpty() && o.difference(this).isEmpty();
  }

  /** The FieldsV1 JSON form: `{"f:metadata":{"f:labels":{"f:app":{}}}}`. */
  toFieldsV1(): { [k: string]: Json } {
    return this.writeFieldsV1({});
  }

  /** Adds this set's FieldsV1 entries to `out` (no spread copies: this runs on every write). */
  private writeFieldsV1(out: { [k: string]: Json }): { [k: string]: Json } {
    const keys = this.children.size ? [...new Set([...this.members, ...this.children.keys()])].sort() : [...this.members].sort();
    for (const k of keys) {
      const c = this.children.get(k);
      if (c && !c.isEmpty()) {
        const sub: { [k: string]: Json } = {};
        if (this.members.has(k)) sub['.'] = {};
        out[k] = c.writeFieldsV1(sub);
      } else if (this.members.has(k)) out[k] = {};
    }
    return out;
  }

  /** Parses FieldsV1 JSON; throws FieldsV1Error naming what is wrong. */
  static fromFieldsV1(v: unknown): FieldSet {
    if (!isObject(v)) throw new FieldsV1Error('must be a JSON object');
    const out = new FieldSet();
    for (const [raw, sub] of Object.entries(v)) {
      if (raw === '.') throw new FieldsV1Error('"." is only allowed below a path element');
      const e = parseElement(raw);
      if (!isObject(sub)) throw new FieldsV1Error(`"${raw}": must map to a JSON object`);
      const { '.': self, ...rest } = sub;
      if (self !== undefined && !(isObject(self) && !Object.keys(self).length)) throw new FieldsV1Error(`"${raw}": "." must map to {}`);
      if (!Object.keys(rest).length || self !== undefined) out.members.add(e);
      if (Object.keys(rest).length) {
        const c = FieldSet.fromFieldsV1(rest);
        const mine = out.children.get(e);
        out.children.set(e, mine ? mine.union(c) : c);
      }
    }
    return out;
  }
}
