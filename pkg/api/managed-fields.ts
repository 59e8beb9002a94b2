// metadata.managedFields: decoding the entries into field sets per manager (validated when a
// client sent them), encoding them back in Kubernetes' order, and the reset a client asks for
// with `managedFields: [{}]`. A manager is identified, as in Kubernetes, by its name, its
// operation, its subresource and (for Update only) its apiVersion.
import { invalid, type FieldError } from './field-error.js';
import { FieldSet, FieldsV1Error } from './fieldpath.js';
import type { ManagedFieldsEntry } from './types.js';
import { rfc3339 } from '../util/time.js';

export type Operation = 'Apply' | 'Update';

export interface ManagerEntry {
  manager: string;
  operation: Operation;
  apiVersion: string;
  /** RFC 3339 at second precision. */
  time?: string;
  subresource?: string;
  set: FieldSet;
}

/** Managers by identity (managerId). */
export type Managers = Map<string, ManagerEntry>;

export const FIELD_MANAGER_MAX_LENGTH = 128;
const SUBRESOURCE_MAX_LENGTH = 256;

export class ManagedFieldsError extends Error {
  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => `${e.field}: ${e.detail}`).join(', '));
    this.name = 'ManagedFieldsError';
  }
}

export function managerId(m: { manager: string; operation: Operation; apiVersion: string; subresource?: string }): string {
  return JSON.stringify([m.manager, m.operation, m.operation === 'Apply' ? '' : m.apiVersion, m.subresource ?? '']);
}

/** `[]` and `[{}]` ask the server to drop every entry (Kubernetes' isResetManagedFields). */
export function isResetManagedFields(raw: unknown): boolean {
  if (!Array.isArray(raw)) return false;
  if (!raw.length) return true;
  const only = raw[0];
  return raw.length === 1 && typeof only === 'object' && only !== null && !Array.isArray(only) && Object.values(only).every((v) => v === undefined);
}

/** What Go's unicode.IsPrint takes besides the ASCII space: letters, marks, numbers, punctuation, symbols. */
const PRINTABLE = /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u;

/** Problems with a field manager name (too long, unprintable characters). */
export function fieldManagerErrors(name: string, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (Buffer.byteLength(name) > FIELD_MANAGER_MAX_LENGTH) errs.push({ type: 'FieldValueTooLong', field, badValue: name, detail: `may not be more than ${FIELD_MANAGER_MAX_LENGTH} bytes` });
  // (one error per character unicode.IsPrint refuses — only letters, marks, numbers, punctuation,
  // symbols and the ASCII space are printable — at its byte offset, as Go's range gives it)
  let at = 0;
  for (const c of name) {
    if (c !== ' ' && !PRINTABLE.test(c)) errs.push(invalid(field, name, `invalid character U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} (at position ${at})`));
    at += Buffer.byteLength(c);
  }
  return errs;
}

const isRfc3339 = (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s) && !Number.isNaN(Date.parse(s));

/**
 * Decodes managedFields. Entries a client sent are validated: every problem comes back in one
 * ManagedFieldsError naming its field (`metadata.managedFields[0].operation`).
 */
export function decodeManagedFields(raw: unknown, field = 'metadata.managedFields'): Managers {
  const out: Managers = new Map();
  if (raw === undefined || raw === null) return out;
  if (!Array.isArray(raw)) throw new ManagedFieldsError([invalid(field, raw, 'must be a list of entries')]);
  const errs: FieldError[] = [];
  raw.forEach((e: unknown, i) => {
    const f = `${field}[${i}]`;
    if (typeof e !== 'object' || e === null || Array.isArray(e)) {
      errs.push(invalid(f, e, 'must be an object'));
      return;
    }
    const entry = e as ManagedFieldsEntry;
    const before = errs.length;
    if (entry.operation !== 'Apply' && entry.operation !== 'Update') errs.push(invalid(`${f}.operation`, entry.operation ?? '', 'must be `Apply` or `Update`'));
    if (entry.fieldsType !== undefined && entry.fieldsType !== '' && entry.fieldsType !== 'FieldsV1') errs.push(invalid(`${f}.fieldsType`, entry.fieldsType, 'must be `FieldsV1`'));
    if (typeof entry.manager !== 'string') errs.push(invalid(`${f}.manager`, entry.manager ?? null, 'must be a string'));
    else errs.push(...fieldManagerErrors(entry.manager, `${f}.manager`));
    if ((entry.subresource ?? '').length > SUBRESOURCE_MAX_LENGTH) errs.push({ type: 'FieldValueTooLong', field: `${f}.subresource`, badValue: entry.subresource, detail: `may not be more than ${SUBRESOURCE_MAX_LENGTH} bytes` });
    if (entry.time !== undefined && entry.time !== null && (typeof entry.time !== 'string' || !isRfc3339(entry.time))) errs.push(invalid(`${f}.time`, entry.time, 'must be an RFC 3339 time'));
    let set = new FieldSet();
    try {
      set = FieldSet.fromFieldsV1(entry.fieldsV1 ?? {});
    } catch (err) {
      if (!(err instanceof FieldsV1Error)) throw err;
      errs.push(invalid(`${f}.fieldsV1`, '', err.message));
    }
    if (errs.length > before) return;
    const m: ManagerEntry = {
      manager: entry.manager!,
      operation: entry.operation as Operation,
      apiVersion: entry.apiVersion ?? '',
      ...(entry.time ? { time: rfc3339(new Date(entry.time).getTime()) } : {}),
      ...(entry.subresource ? { subresource: entry.subresource } : {}),
      set,
    };
    const id = managerId(m);
    if (out.has(id)) errs.push({ type: 'FieldValueDuplicate', field: f, badValue: entry.manager, detail: 'duplicate manager entry' });
    else out.set(id, m);
  });
  if (errs.length) throw new ManagedFieldsError(errs);
  return out;
}

/** Decodes the entries of a stored object; unreadable entries count as none. */
export function decodeStoredManagedFields(raw: unknown): Managers {
  try {
    return decodeManagedFields(raw);
  } catch (e) {
    if (e instanceof ManagedFieldsError) return new Map();
    throw e;
  }
}

const seconds = (t: string | undefined) => (t ? Math.floor(Date.parse(t) / 1000) : 0);

/** Entries in Kubernetes' order: Apply before Update, then oldest first, then by name. */
export function encodeManagedFields(ms: Managers): ManagedFieldsEntry[] {
  const list = [...ms.values()].filter((m) => !m.set.isEmpty());
  list.sort(
    (p, q) =>
      p.operation.localeCompare(q.operation) ||
      seconds(p.time) - seconds(q.time) ||
      (p.manager < q.manager ? -1 : p.manager > q.manager ? 1 : 0) ||
      p.apiVersion.localeCompare(q.apiVersion) ||
      (p.subresource ?? '').localeCompare(q.subresource ?? ''),
  );
  return list.map((m) => ({
    manager: m.manager,
    operation: m.operation,
    apiVersion: m.apiVersion,
    ...(m.time ? { time: m.time } : {}),
    fieldsType: 'FieldsV1',
    fieldsV1: m.set.toFieldsV1(),
    ...(m.subresource ? { subresource: m.subresource } : {}),
  }));
}
