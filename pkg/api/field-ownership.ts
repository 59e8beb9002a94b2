// Who owns which field after a write: structured-merge-diff's Updater (Update and Apply) over
// the managers of managedFields. An Update takes every field it adds or changes, from anyone;
// an Apply owns exactly the fields of its configuration, removes from the object the fields it
// applied before and dropped (unless someone else owns them), and conflicts with any other
// manager whose field it would change, unless forced.
import { structType } from './field-types.js';
import { FieldSet, pathString, type Json, type Path } from './fieldpath.js';
import { compareObjects, createdFieldsV1, fieldSetOf, mergeApplied, removeFields, type Comparison } from './fieldset-object.js';
import { managerId, type ManagerEntry, type Managers } from './managed-fields.js';
import { goZeroMembers } from './omitempty.js';
import type { KubeObject } from './types.js';

/** Where a write lands: the type, its apiVersion, and the main resource ('') or a subresource. */
export interface Scope {
  typeName: string;
  apiVersion: string;
  subresource: '' | 'status' | 'ephemeralcontainers' | 'approval' | 'finalize' | 'scale';
  /**
   * The metadata fields a write to the status subresource carries (a Deployment's annotations,
   * where the deployment controller writes its revision), or to namespaces/finalize: its manager
   * owns those it changes, as 1.32's status field manager owns all but the strategy's reset fields.
   */
  statusMetadata?: readonly string[];
}

export interface Conflict {
  manager: ManagerEntry;
  path: Path;
}

/** Kubernetes keeps at most this many Update entries; older ones merge into `ancient-changes`. */
export const MAX_UPDATE_MANAGERS = 10;
export const ANCIENT_CHANGES = 'ancient-changes';

/** Server-owned metadata nobody owns (Kubernetes' stripMetaManager), and managedFields itself. */
const SERVER_META = ['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'selfLink', 'managedFields', 'deletionTimestamp', 'deletionGracePeriodSeconds'];
const NEVER_OWNED = FieldSet.fromPaths([['f:apiVersion'], ['f:kind'], ['f:metadata']]);

/**
 * The part of an object a scope manages: for the main resource everything but status (the
 * status subresource's reset fields) and server-owned metadata; for status only status; for
 * pods/ephemeralcontainers only spec.ephemeralContainers; for a CSR's approval its conditions;
 * for namespaces/finalize spec.finalizers.
 * (A scale write changes the replicas field only, so the main resource's view serves it.)
 */
function view(o: KubeObject | undefined, scope: Scope): Record<string, unknown> | undefined {
  if (!o) return undefined;
  if (scope.subresource === 'status') {
    const meta: Record<string, unknown> = {};
    for (const k of scope.statusMetadata ?? []) if (o.metadata?.[k as keyof typeof o.metadata] !== undefined) meta[k] = o.metadata[k as keyof typeof o.metadata];
    const out: Record<string, unknown> = Object.keys(meta).length ? { metadata: meta } : {};
    if (o.status !== undefined) out.status = o.status;
    return out;
  }
  if (scope.subresource === 'approval') {
    const conds = (o.status as { conditions?: unknown } | undefined)?.conditions;
    return { status: conds === undefined ? {} : { conditions: conds } };
  }
  if (scope.subresource === 'finalize') {
    // (and the metadata the write carries, as namespaceFinalizeStrategy resets status alone)
    const meta: Record<string, unknown> = {};
    for (const k of scope.statusMetadata ?? []) if (o.metadata?.[k as keyof typeof o.metadata] !== undefined) meta[k] = o.metadata[k as keyof typeof o.metadata];
    const fins = (o.spec as { finalizers?: unknown } | undefined)?.finalizers;
    return { ...(Object.keys(meta).length ? { metadata: meta } : {}), spec: fins === undefined ? {} : { finalizers: fins } };
  }
  if (scope.subresource === 'ephemeralcontainers') {
    // spec itself belongs to the main resource: it is there before and after.
    const ecs = (o.spec as { ephemeralContainers?: unknown } | undefined)?.ephemeralContainers;
    return { spec: ecs === undefined ? {} : { ephemeralContainers: ecs } };
  }
  const { status: _s, apiVersion: _a, kind: _k, metadata, ...rest } = o;
  const meta: Record<string, unknown> = { ...(metadata ?? {}) };
  for (const k of SERVER_META) delete meta[k];
  return { metadata: meta, ...rest };
}

/** zeroView by scope (type, subresource and the status metadata it carries); null: the type has no Go struct. */
const zeroViews = new Map<string, { [k: string]: Json } | null>();

const NOTHING: { [k: string]: Json } = Object.freeze({}) as { [k: string]: Json };

/**
 * What a scope manages of 1.32's zero object of the type (scope.Creater.New's, from which
 * create.go's field manager starts): its structs by value and the fields Go always writes at their
 * zero values (a Deployment's spec {selector: null, template: {metadata: {creationTimestamp: null},
 * spec: {containers: null}}, strategy: {}}). For a type without a Go struct (a custom resource)
 * nothing: the crdHandler's creater gives an Unstructured with only apiVersion and kind, so a
 * created spec is added itself (f:spec with "."). Shared: never change it.
 */
function zeroView(scope: Scope): { [k: string]: Json } {
  const key = `${scope.typeName}/${scope.subresource}/${scope.statusMetadata?.join(',') ?? ''}`;
  let v = zeroViews.get(key);
  if (v === undefined) {
    const members = goZeroMembers(scope.typeName);
    v = members ? (view(Object.fromEntries(members) as KubeObject, scope) as { [k: string]: Json }) : null;
    zeroViews.set(key, v);
  }
  return v ?? NOTHING;
}

/**
 * Compares what a scope manages, as 1.32 compares the typed Go objects (compareObjects' whole
 * comparison); a missing old object is the type's zero object (zeroView).
 */
export function compareScoped(old: KubeObject | undefined, next: KubeObject, scope: Scope): Comparison {
  const r = view(next, scope)!;
  const l = view(old, scope) ?? zeroView(scope);
  const c = compareObjects(l, r, structType(scope.typeName), true);
  return { added: c.added.difference(NEVER_OWNED), modified: c.modified.difference(NEVER_OWNED), removed: c.removed.difference(NEVER_OWNED) };
}

const NEVER_OWNED_MEMBERS: ReadonlySet<string> = new Set(['f:apiVersion', 'f:kind', 'f:metadata']);

/**
 * The FieldsV1 an Update that creates `obj` owns: `compareScoped(undefined, obj, scope)`'s added
 * and modified fields, computed in one walk (see createdFieldsV1).
 */
export function createdFieldsV1Scoped(obj: KubeObject, scope: Scope): { [k: string]: Json } {
  return createdFieldsV1(view(obj, scope) as { [k: string]: Json }, structType(scope.typeName), NEVER_OWNED_MEMBERS, zeroView(scope));
}

/** The fields an applied configuration sets, within its scope. Throws FieldSetError for a bad configuration. */
export function appliedFieldSet(config: KubeObject, scope: Scope): FieldSet {
  return fieldSetOf(view(config, scope), structType(scope.typeName), { strict: true }).difference(NEVER_OWNED);
}

const updateIdOf = (scope: Scope, manager: string) => managerId({ manager, operation: 'Update', apiVersion: scope.apiVersion, subresource: scope.subresource });
const applyIdOf = (scope: Scope, manager: string) => managerId({ manager, operation: 'Apply', apiVersion: scope.apiVersion, subresource: scope.subresource });

/** Every manager but `self` loses the fields `c` changed or removed. */
function takeFromOthers(managers: Managers, self: string, c: Comparison): Managers {
  const taken = c.added.union(c.modified).union(c.removed);
  const out: Managers = new Map();
  for (const [id, m] of managers) {
    if (id === self) continue;
    const set = m.set.difference(taken);
    if (!set.isEmpty()) out.set(id, set === m.set ? m : { ...m, set });
  }
  return out;
}

/** An Update (create, update, non-apply patch) by `manager` from `old` (undefined on create) to `next`. */
export function recordUpdate(scope: Scope, managers: Managers, old: KubeObject | undefined, next: KubeObject, manager: string, now: string): Managers {
  const c = compareScoped(old, next, scope);
  const id = updateIdOf(scope, manager);
  const out = takeFromOthers(managers, id, c);
  const changed = c.added.union(c.modified);
  const prev = managers.get(id);
  const set = (prev ? prev.set.difference(c.removed) : new FieldSet()).union(changed);
  if (!set.isEmpty()) {
    // (an entry made through /scale has no time: scalehandler.ToParent copies the parent's time
    // for the manager, which a new one does not have)
    const time = scope.subresource === 'scale' || changed.isEmpty() ? prev?.time : now;
    out.set(id, { manager, operation: 'Update', apiVersion: scope.apiVersion, ...(time ? { time } : {}), ...(scope.subresource ? { subresource: scope.subresource } : {}), set });
  }
  return capUpdateManagers(out);
}

/**
 * The first half of an Apply: the configuration merged into the live object, minus the fields
 * this manager applied last time, no longer applies, and nobody else owns.
 */
export function planApply(scope: Scope, managers: Managers, live: KubeObject | undefined, config: KubeObject, manager: string): { merged: KubeObject; set: FieldSet } {
  const t = structType(scope.typeName);
  const set = appliedFieldSet(config, scope);
  const merged = (live ? mergeApplied(live, config, t) : structuredClone(config)) as KubeObject;
  const id = applyIdOf(scope, manager);
  const last = managers.get(id)?.set;
  if (!live || !last) return { merged, set };
  let keep = set;
  for (const [k, m] of managers) if (k !== id) keep = keep.union(m.set);
  const remove = last.difference(set);
  if (remove.isEmpty()) return { merged, set };
  return { merged: (removeFields(merged, remove, keep, t) ?? {}) as KubeObject, set };
}

/**
 * The second half of an Apply, once the server has defaulted `next`: conflicts with other
 * managers whose fields changed, or (none, or forced) the new managers.
 */
export function recordApply(scope: Scope, managers: Managers, live: KubeObject | undefined, next: KubeObject, manager: string, set: FieldSet, force: boolean, now: string): { managers: Managers; conflicts: Conflict[] } {
  const c = compareScoped(live, next, scope);
  const id = applyIdOf(scope, manager);
  const changed = c.added.union(c.modified);
  const conflicts: Conflict[] = [];
  for (const [k, m] of managers) {
    if (k === id) continue;
    for (const path of m.set.intersection(changed).paths()) conflicts.push({ manager: m, path });
  }
  if (conflicts.length && !force) return { managers, conflicts };
  const out = takeFromOthers(managers, id, c);
  const prev = managers.get(id);
  const objectChanged = !changed.isEmpty() || !c.removed.isEmpty();
  if (!set.isEmpty()) {
    const time = objectChanged || !prev?.time ? now : prev.time;
    out.set(id, { manager, operation: 'Apply', apiVersion: scope.apiVersion, time, ...(scope.subresource ? { subresource: scope.subresource } : {}), set });
  }
  return { managers: capUpdateManagers(out), conflicts };
}

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * The fields kubectl's server-side apply may take over from a client-side apply without a
 * conflict (apimachinery's lastAppliedManager): those of the live object's last-applied
 * configuration that still hold the value it gave them. Undefined without the annotation, or
 * with one that does not parse.
 */
export function fieldsFromLastApplied(live: KubeObject | undefined, scope: Scope): FieldSet | undefined {
  const text = live?.metadata?.annotations?.[LAST_APPLIED];
  if (!text || scope.subresource) return undefined;
  try {
    const last = JSON.parse(text) as KubeObject;
    // (the annotation must be of the version applied: otherwise nothing is taken over)
    if (last.apiVersion !== scope.apiVersion) return undefined;
    const t = structType(scope.typeName);
    const lastView = view(last, scope);
    const liveView = view(live, scope);
    const lastSet = fieldSetOf(lastView, t);
    const c = compareObjects(lastView, liveView, t);
    return lastSet.intersection(fieldSetOf(liveView, t)).difference(c.modified);
  } catch {
    return undefined;
  }
}

/** `"kubectl"`, `"kubelet" with subresource "status" using v1`: how a conflict names a manager. */
export function describeManager(m: ManagerEntry): string {
  let s = JSON.stringify(m.manager);
  if (m.subresource) s += ` with subresource ${JSON.stringify(m.subresource)}`;
  if (m.operation === 'Update') s += ` using ${m.apiVersion}`;
  return s;
}

/** Kubernetes' message: `Apply failed with 1 conflict: conflict with "x" using v1: .metadata.labels.app`. */
export function conflictMessage(conflicts: Conflict[]): string {
  if (conflicts.length === 1) {
    const [c] = conflicts;
    return `Apply failed with 1 conflict: conflict with ${describeManager(c!.manager)}: ${pathString(c!.path)}`;
  }
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) {
    const k = describeManager(c.manager);
    byManager.set(k, [...(byManager.get(k) ?? []), pathString(c.path)]);
  }
  const lines: string[] = [];
  for (const k of [...byManager.keys()].sort()) {
    lines.push(`conflicts with ${k}:`);
    for (const p of byManager.get(k)!) lines.push(`- ${p}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

/** Merges the oldest Update entries into one `ancient-changes` entry while there are too many. */
export function capUpdateManagers(managers: Managers, max = MAX_UPDATE_MANAGERS): Managers {
  const updates = [...managers.entries()].filter(([, m]) => m.operation === 'Update');
  if (updates.length <= max) return managers;
  updates.sort(([, a], [, b]) => (a.time ?? '').localeCompare(b.time ?? ''));
  const merge = updates.slice(0, updates.length - max + 1);
  const out: Managers = new Map(managers);
  let set = new FieldSet();
  let time: string | undefined;
  for (const [id, m] of merge) {
    out.delete(id);
    set = set.union(m.set);
    if (m.time && (!time || m.time > time)) time = m.time;
  }
  const bucket: ManagerEntry = { manager: ANCIENT_CHANGES, operation: 'Update', apiVersion: merge[merge.length - 1]![1].apiVersion, ...(time ? { time } : {}), set };
  out.set(managerId(bucket), bucket);
  return out;
}
