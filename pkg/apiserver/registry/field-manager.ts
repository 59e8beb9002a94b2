// Field management for the registry: every create, update and patch records an Update entry in
// metadata.managedFields for its field manager; server-side apply records an Apply entry and
// fails with 409 on conflicts. The store calls a FieldTracker once the new object has been
// defaulted, before mutating admission (as the handlers call Kubernetes' field manager first:
// what admission plugins and webhooks add belongs to nobody); dryRun computes the same answer,
// conflicts included.
import { appliedFieldSet, conflictMessage, createdFieldsV1Scoped, describeManager, fieldsFromLastApplied, LAST_APPLIED, planApply, recordApply, recordUpdate, type Scope } from '../../api/field-ownership.js';
import { FieldSetError } from '../../api/fieldset-object.js';
import { applyTypingErrors, customApplyTypingErrors, typingErrorText } from '../../api/apply-typing.js';
import { messageSchema } from '../../api/schema.js';
import { canonicalJson, fieldElement, FieldSet, pathString } from '../../api/fieldpath.js';
import {
  decodeManagedFields,
  decodeStoredManagedFields,
  encodeManagedFields,
  fieldManagerErrors,
  FIELD_MANAGER_MAX_LENGTH,
  isResetManagedFields,
  ManagedFieldsError,
  type Managers,
} from '../../api/managed-fields.js';
import type { KubeObject } from '../../api/types.js';
import * as errors from '../errors.js';
import { ApiError } from '../errors.js';
import { apiVersionOf, type ResourceInfo } from './resources.js';
import type { FieldManagerRequest, Subresource } from './request-types.js';
import { rfc3339Now } from '../../util/time.js';

/** Sets next.metadata.managedFields for a write from `old` (undefined on create) to `next`. */
export type FieldTracker = (old: KubeObject | undefined, next: KubeObject) => void;


/** 400 for a fieldManager Kubernetes would refuse (too long, unprintable). */
export function checkFieldManager(name: string | undefined): void {
  if (name === undefined) return;
  const errs = fieldManagerErrors(name, 'fieldManager');
  if (errs.length) throw errors.badRequest(`fieldManager: ${errs[0]!.detail}`);
}

/** Kubernetes' default manager: the user agent up to its first `/` (`kubectl/v1.32.0 (...)` → `kubectl`). */
export function managerFromUserAgent(ua: string | undefined): string {
  const prefix = (ua ?? '').split('/')[0]!;
  let out = '';
  for (const c of prefix) {
    if (/[\p{C}]/u.test(c)) continue;
    if (out.length + c.length > FIELD_MANAGER_MAX_LENGTH) break;
    out += c;
  }
  return out;
}

/** The subresources whose writers own fields: those the store writes, and scale (spec.replicas, written through scale.ts). */
type TrackedSubresource = Subresource | 'scale';

export const managerOf = (req: FieldManagerRequest) => req.fieldManager || managerFromUserAgent(req.userAgent);

/** Where a write lands; its apiVersion is the request's when that version keeps its own names in managedFields (req.apiVersion). */
export const scopeOf = (r: ResourceInfo, subresource: TrackedSubresource | undefined, req?: FieldManagerRequest): Scope => {
  const statusMetadata = subresource === 'status' || subresource === 'finalize' ? r.writable[subresource]?.metadata : undefined;
  return { typeName: r.typeName, apiVersion: req?.apiVersion ?? apiVersionOf(r), subresource: subresource ?? '', ...(statusMetadata ? { statusMetadata } : {}) };
};

/** A field set with its top-level field names renamed by `names` (the others kept). */
function renamedTop(set: FieldSet, names: Record<string, string>): FieldSet {
  const el = (e: string) => (e.startsWith('f:') && names[e.slice(2)] !== undefined ? fieldElement(names[e.slice(2)]!) : e);
  const out = new FieldSet();
  for (const m of set.members) out.members.add(el(m));
  for (const [k, c] of set.children) out.children.set(el(k), c);
  return out;
}

const inverted = (names: Record<string, string>) => Object.fromEntries(Object.entries(names).map(([k, v]) => [v, k]));

/**
 * Managers whose entries were written through a version with names of its own
 * (ResourceInfo.managedFieldNames), in the stored version's names (`toStorage`) or back in
 * their own: ownership is computed on stored objects, and each entry kept as it was written.
 */
function inNames(r: ResourceInfo, ms: Managers, toStorage: boolean): Managers {
  const byVersion = r.managedFieldNames;
  if (!byVersion || ![...ms.values()].some((m) => byVersion[m.apiVersion])) return ms;
  const out: Managers = new Map();
  for (const [id, m] of ms) {
    const names = byVersion[m.apiVersion];
    out.set(id, names ? { ...m, set: renamedTop(m.set, toStorage ? inverted(names) : names) } : m);
  }
  return out;
}

function setManagedFields(r: ResourceInfo, obj: KubeObject, managers: Managers): void {
  const meta = (obj.metadata ??= {});
  const entries = encodeManagedFields(inNames(r, managers, false));
  if (entries.length) meta.managedFields = entries;
  else delete meta.managedFields;
}

function invalidManagedFields(r: ResourceInfo, obj: KubeObject, e: ManagedFieldsError): ApiError {
  return errors.invalid(r.kind, r.group, obj.metadata?.name ?? '', e.errors);
}

/**
 * The managers an Update starts from: those the client sent (validated: 422 naming the bad
 * field), none when it sent `[]` or `[{}]`, the live object's when it sent nothing. A
 * subresource write never sets managedFields.
 */
function baseManagers(r: ResourceInfo, old: KubeObject | undefined, next: KubeObject, subresource: TrackedSubresource | undefined): Managers {
  const live = inNames(r, decodeStoredManagedFields(old?.metadata?.managedFields), true);
  const sent = next.metadata?.managedFields as unknown;
  if (subresource || sent === undefined || sent === null) return live;
  if (isResetManagedFields(sent)) return new Map();
  if (JSON.stringify(sent) === JSON.stringify(old?.metadata?.managedFields)) return live;
  try {
    return inNames(r, decodeManagedFields(sent), true);
  } catch (e) {
    if (e instanceof ManagedFieldsError) throw invalidManagedFields(r, next, e);
    throw e;
  }
}

/** The tracker of creates, updates and non-apply patches. */
export function updateTracker(r: ResourceInfo, req: FieldManagerRequest, subresource: TrackedSubresource | undefined): FieldTracker {
  const scope = scopeOf(r, subresource, req);
  const names = r.managedFieldNames?.[scope.apiVersion];
  return (old, next) => {
    const sent = next.metadata?.managedFields as unknown;
    if (!old && !subresource && (sent === undefined || sent === null || isResetManagedFields(sent))) {
      // A create that brings no managers: one Update entry owning what the object sets (in
      // the names of the version it was written in).
      let fieldsV1 = createdFieldsV1Scoped(next, scope);
      if (names) fieldsV1 = Object.fromEntries(Object.entries(fieldsV1).map(([k, v]) => [k.startsWith('f:') && names[k.slice(2)] !== undefined ? `f:${names[k.slice(2)]}` : k, v]));
      const meta = (next.metadata ??= {});
      if (Object.keys(fieldsV1).length) meta.managedFields = [{ manager: managerOf(req), operation: 'Update', apiVersion: scope.apiVersion, time: rfc3339Now(), fieldsType: 'FieldsV1', fieldsV1 }];
      else delete meta.managedFields;
      return;
    }
    const base = baseManagers(r, old, next, subresource);
    if (old && !base.size) {
      // An update of an object nobody manages (its managedFields reset with [{}] or [], or never
      // any: a create that set nothing) is not tracked, as 1.32's skipNonAppliedManager skips it
      // (managedfields/internal/skipnonapplied.go): tracking starts again at the next apply.
      delete next.metadata!.managedFields;
      return;
    }
    const managers = recordUpdate(scope, base, old, next, managerOf(req), rfc3339Now());
    setManagedFields(r, next, managers);
  };
}

/**
 * The manager 1.32 gives the fields of an object nobody manages when it is first applied to
 * (skipNonAppliedManager.Apply: an Update from the type's empty object to the live one).
 */
export const BEFORE_FIRST_APPLY = 'before-first-apply';

/**
 * JSON as Go's json.Encoder writes an unstructured object: keys sorted, <, >, & and the line
 * and paragraph separators escaped, a newline at the end.
 */
function goJsonEncode(v: unknown): string {
  const escapes: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };
  return `${canonicalJson(v).replace(/[<>&\u2028\u2029]/g, (c) => escapes[c]!)}\n`;
}

/** `obj` with the last-applied annotation set to `value` (removed when undefined), the rest shared. */
function withLastApplied(obj: KubeObject, value: string | undefined): KubeObject {
  const annotations = { ...(obj.metadata?.annotations ?? {}) };
  if (value === undefined) delete annotations[LAST_APPLIED];
  else annotations[LAST_APPLIED] = value;
  return { ...obj, metadata: { ...obj.metadata, annotations } };
}

function conflictError(message: string, causes: { reason: string; message: string; field: string }[]): ApiError {
  return new ApiError(409, 'Conflict', message, { causes });
}

/**
 * An object's GroupVersionKind as Go prints it (`apps/v1, Kind=Deployment`, `/v1, Kind=Secret`),
 * read as unstructured reads it: all empty when its apiVersion has more than one slash.
 */
export function gvkString(obj: KubeObject): string {
  const av = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  const slashes = av.split('/').length - 1;
  if (!av || av === '/') return `/, Kind=${kind}`;
  if (slashes > 1) return '/, Kind=';
  return `${slashes ? av : `/${av}`}, Kind=${kind}`;
}

/**
 * A configuration structured-merge-diff cannot type (a list item without its key, two items of
 * one key): 1.32's structuredMergeManager wraps the error in no API status, so the apiserver
 * answers 500 with no reason and kubectl prints 'Error from server: failed to create typed
 * patch object (default/web; apps/v1, Kind=Deployment): .spec...env: duplicate entries for key
 * [name="A"]' (Helm charts with a duplicated env var meet it under server-side apply).
 */
function invalidConfig(config: KubeObject, e: FieldSetError | string): ApiError {
  const meta = config.metadata ?? {};
  return new ApiError(500, '', `failed to create typed patch object (${meta.namespace ?? ''}/${meta.name ?? ''}; ${gvkString(config)}): ${typeof e === 'string' ? e : e.message}`);
}

/**
 * Types an apply configuration before anything else reads it, as the structuredMergeManager
 * does: a field its schema does not declare, a value of the wrong kind, a list item without its
 * key are the 500 above, every one of them named (a custom resource's by its version's
 * structural schema). fieldValidation has no say: 1.32's applyPatcher decodes
 * strictly only once the apply has succeeded, so a typo under kubectl apply --server-side reads
 * '.spec.foo: field not declared in schema', not a strict decoding error, and is not dropped
 * silently with fieldValidation=Ignore.
 */
export function checkApplyTyping(r: ResourceInfo, config: KubeObject): void {
  let errs: string[] = [];
  // (a custom resource by the schema of its request's version)
  if (r.custom) errs = config.apiVersion === apiVersionOf(r) ? customApplyTypingErrors(r.schema, config) : [];
  else if (!r.decode && messageSchema(r.typeName)) errs = applyTypingErrors(r.typeName, config);
  if (errs.length) throw invalidConfig(config, typingErrorText(errs));
}

/**
 * Server-side apply of `config` by `req.fieldManager`: `mutate` merges it into the live object
 * (for Store.guaranteedUpdate), `track` then settles ownership or raises the 409, and
 * `createTracker` serves the create of an object that does not exist yet.
 */
export function applyOperation(r: ResourceInfo, req: FieldManagerRequest, subresource: Subresource | undefined, config: KubeObject) {
  const scope = scopeOf(r, subresource, req);
  const manager = req.fieldManager!;
  // Only kubectl's own manager upgrades a client-side apply (other managers opt out by their name).
  const upgradesClientSideApply = manager === 'kubectl' && !scope.subresource;
  let pending: { managers: Managers; set: ReturnType<typeof appliedFieldSet> } | undefined;
  const guard = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof FieldSetError) throw invalidConfig(config, e);
      throw e;
    }
  };
  const finish = (managers: Managers, set: ReturnType<typeof appliedFieldSet>, old: KubeObject | undefined, next: KubeObject) => {
    // (the last-applied annotation kubectl's apply refreshes is nobody's change: see mutate)
    const heldLastApplied = old?.metadata?.annotations?.[LAST_APPLIED];
    const tracked = upgradesClientSideApply && heldLastApplied !== undefined ? withLastApplied(next, heldLastApplied) : next;
    let force = !!req.force;
    let res = recordApply(scope, managers, old, tracked, manager, set, force, rfc3339Now());
    // kubectl's server-side apply over a client-side apply (lastAppliedManager): conflicts on
    // fields that still hold what the last client-side apply gave them are taken over.
    // Otherwise only the conflicts it does not cover are reported (conflictsDifference).
    let conflicts = res.conflicts;
    if (conflicts.length && !force && upgradesClientSideApply) {
      const allowed = fieldsFromLastApplied(old, scope);
      if (allowed) {
        conflicts = conflicts.filter((c) => !allowed.has(c.path));
        force = !conflicts.length;
        if (force) res = recordApply(scope, managers, old, tracked, manager, set, true, rfc3339Now());
      }
    }
    if (conflicts.length && !force) {
      throw conflictError(
        conflictMessage(conflicts),
        conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${describeManager(c.manager)}`, field: pathString(c.path) })),
      );
    }
    setManagedFields(r, next, res.managers);
  };
  return {
    mutate(live: KubeObject): KubeObject {
      let managers = inNames(r, decodeStoredManagedFields(live.metadata?.managedFields), true);
      // (an object nobody manages: what it holds is before-first-apply's, which the apply may conflict with)
      if (!managers.size) managers = recordUpdate(scope, managers, undefined, live, BEFORE_FIRST_APPLY, rfc3339Now());
      const plan = guard(() => planApply(scope, managers, live, config, manager));
      pending = { managers, set: plan.set };
      // kubectl's server-side apply keeps a client-side apply's annotation in step with what it
      // applied (lastAppliedUpdater), so that a later client-side apply computes from it.
      if (upgradesClientSideApply && live.metadata?.annotations?.[LAST_APPLIED]) {
        const { [LAST_APPLIED]: _drop, ...annotations } = config.metadata?.annotations ?? {};
        const applied = { ...config, metadata: { ...config.metadata, annotations } };
        if (!Object.keys(annotations).length) delete (applied.metadata as { annotations?: unknown }).annotations;
        return withLastApplied(plan.merged, goJsonEncode(applied));
      }
      return plan.merged;
    },
    track: ((old, next) => {
      if (!pending) throw new Error('applyOperation: track before mutate');
      finish(pending.managers, pending.set, old, next);
    }) as FieldTracker,
    createTracker: ((_old, next) => {
      const set = guard(() => appliedFieldSet(config, scope));
      finish(new Map(), set, undefined, next);
    }) as FieldTracker,
  };
}
