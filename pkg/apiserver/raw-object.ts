// Objects as the apiserver keeps and serves them: the stored JSON with its resourceVersion
// spliced in (no parse on the way out), plus what selectors need (labels and selectable fields),
// parsed once when the object enters the cache.
import type { KubeObject } from '../api/types.js';

export interface Selectable {
  labels: Record<string, string>;
  fields: Record<string, string>;
}

export class RawObject {
  private parsed: KubeObject | undefined;

  constructor(
    /** The object's JSON, resourceVersion included. */
    readonly json: string,
    readonly rev: number,
    private select?: Selectable,
  ) {}

  static fromObject(obj: KubeObject, rev: number): RawObject {
    const o = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rev) } };
    const r = new RawObject(JSON.stringify(o), rev);
    r.parsed = o;
    return r;
  }

  /** A fresh parsed copy (callers may mutate it). */
  get obj(): KubeObject {
    if (this.parsed) {
      const o = this.parsed;
      this.parsed = undefined;
      return o;
    }
    return JSON.parse(this.json) as KubeObject;
  }

  /** Labels and fields for selectors; computed once (from `fieldsOf`) and kept. */
  selectable(fieldsOf: (obj: KubeObject) => Record<string, string>): Selectable {
    if (!this.select) {
      const o = this.obj;
      this.parsed = o;
      this.select = { labels: o.metadata?.labels ?? {}, fields: fieldsOf(o) };
    }
    return this.select;
  }

  /** Drops the parsed copy so only the JSON stays in memory. */
  compact(): this {
    this.parsed = undefined;
    return this;
  }

  /** The same object at another revision (a deletion reports the deleted object at the delete's revision). */
  atRevision(rev: number): RawObject {
    return new RawObject(withResourceVersion(stripResourceVersion(this.json), rev), rev, this.select);
  }
}

const metaKey = '"metadata":{';

/**
 * Stored JSON never holds a resourceVersion and always starts with apiVersion, kind and
 * metadata (see encode in storage.ts), so the first `"metadata":{` is the object's own.
 */
export function withResourceVersion(stored: string, rev: number): string {
  const i = stored.indexOf(metaKey);
  if (i < 0) return stored;
  const at = i + metaKey.length;
  const sep = stored[at] === '}' ? '' : ',';
  return `${stored.slice(0, at)}"resourceVersion":"${rev}"${sep}${stored.slice(at)}`;
}

/** The stored form of `withResourceVersion(stored, rev)`: the object's own resourceVersion taken out again. */
export function stripResourceVersion(json: string): string {
  const i = json.indexOf(metaKey);
  if (i < 0) return json;
  const at = i + metaKey.length;
  const m = /^"resourceVersion":"\d*",?/.exec(json.slice(at, at + 48));
  return m ? json.slice(0, at) + json.slice(at + m[0].length) : json;
}

/**
 * The JSON a written object is sent back as: the bytes just stored with the new
 * resourceVersion spliced in, so a write is serialised once (see Store). Only objects the
 * store returns straight from a write are here, and nothing changes them afterwards.
 */
export const writtenJson = new WeakMap<object, string>();
