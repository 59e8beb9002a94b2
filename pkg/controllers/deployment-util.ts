// The arithmetic of the deployment controller (k8s.io/kubernetes/pkg/controller/deployment/util):
// the pod-template hash, revisions, surge and unavailability limits, how far a rolling update
// may scale the new and old ReplicaSets, and the status and conditions a Deployment reports.
import type { Deployment, DeploymentCondition, DeploymentStatus, KubeObject, PodTemplateSpec, ReplicaSet } from '../api/types.js';
import { REPLICA_FAILURE } from './replica-manager.js';
import { scaledValue, type IntOrString } from '../api/int-or-percent.js';
import { omitEmptyFields } from '../api/omitempty.js';

export type D = Deployment & KubeObject;
export type RS = ReplicaSet & KubeObject;

export const POD_TEMPLATE_HASH = 'pod-template-hash';
export const REVISION = 'deployment.kubernetes.io/revision';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';

/** Annotations the controller owns, never copied from the Deployment to its ReplicaSets. */
const SKIPPED_ANNOTATIONS = new Set(['kubectl.kubernetes.io/last-applied-configuration', REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, 'deprecated.deployment.rollback.to']);

/**
 * JSON with object keys sorted and null, empty-object and empty-array fields left out, so the
 * same template gives the same text however a client spelled it (kubectl rollout undo sends
 * Go's `creationTimestamp: null` and `resources: {}`).
 */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => [k, stableJson(x)] as const)
      .filter(([, x]) => x !== undefined && x !== 'null' && x !== '{}' && x !== '[]');
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, x]) => `${JSON.stringify(k)}:${x}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** 32-bit FNV-1a over the UTF-8 bytes of `s`, continuing from `h`. */
function fnv32a(s: string, h = 0x811c9dc5): number {
  for (const b of Buffer.from(s, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** rand.SafeEncodeString: digits and vowels mapped away, so a hash never spells words. */
function safeEncode(s: string): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return Array.from(s, (c) => alphabet[c.charCodeAt(0) % alphabet.length]).join('');
}

/**
 * A template as its Go struct holds it (omitEmptyFields): what Go's omitempty drops (a `name: ""`,
 * a `hostPort: 0`, an empty map) is no difference, as apiequality.Semantic.DeepEqual and the
 * hash of the Go value do not see one, so a template stored before the apiserver dropped them
 * matches the same template stored after.
 */
function goTemplate(t: PodTemplateSpec | undefined): PodTemplateSpec {
  const c = structuredClone(t ?? {});
  omitEmptyFields('PodTemplateSpec', c);
  return c;
}

/** ComputeHash: a stable hash of the template (and the collision count, when there is one). */
export function computeHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  let h = fnv32a(stableJson(goTemplate(template)));
  if (collisionCount !== undefined && collisionCount !== null) {
    const buf = Buffer.alloc(4);
    buf.writeUInt32LE(collisionCount >>> 0);
    h = fnv32a(buf.toString('latin1'), h);
  }
  return safeEncode(String(h));
}

/** EqualIgnoreHash: two templates equal once the pod-template-hash label is ignored. */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  const strip = (t: PodTemplateSpec | undefined) => {
    const c = goTemplate(t);
    if (c.metadata?.labels) {
      delete c.metadata.labels[POD_TEMPLATE_HASH];
      if (!Object.keys(c.metadata.labels).length) delete c.metadata.labels;
    }
    return stableJson(c);
  };
  return strip(a) === strip(b);
}

export const revisionOf = (o: KubeObject): number => {
  const v = Number(o.metadata?.annotations?.[REVISION] ?? '0');
  return Number.isInteger(v) ? v : 0;
};

export const maxRevision = (sets: RS[]): number => sets.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);

const replicas = (o: { spec?: { replicas?: number } }) => o.spec?.replicas ?? 0;
const sum = (sets: RS[], f: (rs: RS) => number) => sets.reduce((n, rs) => n + f(rs), 0);

/** Sum of spec.replicas (GetReplicaCountForReplicaSets). */
export const specReplicas = (sets: RS[]) => sum(sets, replicas);
export const actualReplicas = (sets: RS[]) => sum(sets, (rs) => rs.status?.replicas ?? 0);
export const readyReplicas = (sets: RS[]) => sum(sets, (rs) => rs.status?.readyReplicas ?? 0);
export const availableReplicas = (sets: RS[]) => sum(sets, (rs) => rs.status?.availableReplicas ?? 0);

export const isRollingUpdate = (d: D) => (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';

/** ResolveFenceposts: maxSurge rounded up, maxUnavailable down; both 0 makes maxUnavailable 1. */
export function resolveFenceposts(maxSurge: IntOrString | undefined, maxUnavailable: IntOrString | undefined, desired: number): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge ?? 0, desired, true);
  let unavailable = scaledValue(maxUnavailable ?? 0, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function maxSurge(d: D): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  return resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, replicas(d)).surge;
}

/** MaxUnavailable: at most the desired count; 0 for Recreate or no replicas. */
export function maxUnavailable(d: D): number {
  if (!isRollingUpdate(d) || replicas(d) === 0) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  const { unavailable } = resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, replicas(d));
  return Math.min(unavailable, replicas(d));
}

/** NewRSNewReplicas: how far the new ReplicaSet may scale up now. */
export function newRSNewReplicas(d: D, all: RS[], newRS: RS): number {
  if (!isRollingUpdate(d)) return replicas(d);
  const current = specReplicas(all);
  const maxTotal = replicas(d) + maxSurge(d);
  if (current >= maxTotal) return replicas(newRS);
  const up = Math.min(maxTotal - current, replicas(d) - replicas(newRS));
  return replicas(newRS) + Math.max(0, up);
}

/** How many old replicas may go now (reconcileOldReplicaSets' maxScaledDown). */
export function maxScaledDown(d: D, all: RS[], newRS: RS | undefined): number {
  const minAvailable = replicas(d) - maxUnavailable(d);
  const newUnavailable = newRS ? replicas(newRS) - (newRS.status?.availableReplicas ?? 0) : 0;
  return specReplicas(all) - minAvailable - newUnavailable;
}

export const byCreation = (a: RS, b: RS) => Date.parse(a.metadata?.creationTimestamp ?? '') - Date.parse(b.metadata?.creationTimestamp ?? '') || (a.metadata!.name! < b.metadata!.name! ? -1 : 1);

/**
 * cleanupUnhealthyReplicas: old ReplicaSets lose their unavailable replicas first, oldest
 * first, at most `limit` in all. Returns the new replica counts by name.
 */
export function unhealthyScaleDowns(old: RS[], limit: number): Map<string, number> {
  const out = new Map<string, number>();
  let total = 0;
  for (const rs of [...old].sort(byCreation)) {
    if (total >= limit) break;
    const r = replicas(rs);
    const avail = rs.status?.availableReplicas ?? 0;
    if (r === 0 || r === avail) continue;
    const down = Math.min(limit - total, r - avail);
    out.set(rs.metadata!.name!, r - down);
    total += down;
  }
  return out;
}

/** scaleDownOldReplicaSetsForRollingUpdate: keep minAvailable available; oldest first. */
export function rollingScaleDowns(d: D, all: RS[], old: RS[]): Map<string, number> {
  const out = new Map<string, number>();
  const minAvailable = replicas(d) - maxUnavailable(d);
  const available = availableReplicas(all);
  if (available <= minAvailable) return out;
  const budget = available - minAvailable;
  let total = 0;
  for (const rs of [...old].sort(byCreation)) {
    if (total >= budget) break;
    const r = replicas(rs);
    if (r === 0) continue;
    const down = Math.min(r, budget - total);
    out.set(rs.metadata!.name!, r - down);
    total += down;
  }
  return out;
}

/**
 * Proportional scaling (DeploymentController.scale) when the desired count changes mid-rollout:
 * each active ReplicaSet grows (or shrinks) in the ratio of the new `replicas + maxSurge` to
 * the one it was sized for (its max-replicas annotation), the first in size order taking the
 * leftover.
 */
export function proportionalScale(d: D, active: RS[]): Map<string, number> {
  const out = new Map<string, number>();
  const current = specReplicas(active);
  const allowed = replicas(d) > 0 ? replicas(d) + maxSurge(d) : 0;
  const toAdd = allowed - current;
  if (toAdd === 0 || !active.length) return out;
  // Larger first; among equals the newer first when scaling up, the older first when down
  // (ReplicaSetsBySizeNewer / BySizeOlder).
  const ordered = [...active].sort((a, b) => replicas(b) - replicas(a) || (toAdd > 0 ? byCreation(b, a) : byCreation(a, b)));
  let added = 0;
  for (const rs of ordered) {
    const p = proportion(rs, d, toAdd, added);
    out.set(rs.metadata!.name!, replicas(rs) + p);
    added += p;
  }
  // The leftover goes to (or comes off) the first, never below zero.
  const first = ordered[0]!.metadata!.name!;
  out.set(first, Math.max(0, out.get(first)! + toAdd - added));
  return out;
}

/** GetProportion: a ReplicaSet's share of `toAdd`, within what is left of it. */
function proportion(rs: RS, d: D, toAdd: number, added: number): number {
  if (replicas(rs) === 0 || toAdd === added) return 0;
  const left = toAdd - added;
  const fraction = replicaSetFraction(rs, d);
  return toAdd > 0 ? Math.min(fraction, left) : Math.max(fraction, left);
}

/**
 * getReplicaSetFraction: the replicas a ReplicaSet gains (or loses) when its deployment's
 * ceiling (replicas + maxSurge) moves from the one it was sized for (its max-replicas
 * annotation, else the deployment's status.replicas), rounded half away from zero.
 */
function replicaSetFraction(rs: RS, d: D): number {
  if (replicas(d) === 0) return -replicas(rs);
  const ceiling = replicas(d) + maxSurge(d);
  const annotated = Number(rs.metadata?.annotations?.[MAX_REPLICAS]);
  const before = Number.isInteger(annotated) && rs.metadata?.annotations?.[MAX_REPLICAS] !== undefined ? annotated : (d.status?.replicas ?? 0);
  if (before === 0) return 0;
  const size = (replicas(rs) * ceiling) / before;
  return Math.sign(size) * Math.round(Math.abs(size)) - replicas(rs);
}

// ---- status and conditions ----

export const AVAILABLE = 'Available';
export const PROGRESSING = 'Progressing';
export const NEW_RS_AVAILABLE = 'NewReplicaSetAvailable';
export const RS_UPDATED = 'ReplicaSetUpdated';
export const TIMED_OUT = 'ProgressDeadlineExceeded';
export const NEW_RS_CREATED = 'NewReplicaSetCreated';
export const FOUND_NEW_RS = 'FoundNewReplicaSet';
export const FAILED_RS_CREATE = 'ReplicaSetCreateError';
export const PAUSED = 'DeploymentPaused';
export const RESUMED = 'DeploymentResumed';

export const conditionOf = (s: DeploymentStatus | undefined, type: string) => s?.conditions?.find((c) => c.type === type);

/** SetDeploymentCondition: keeps lastTransitionTime when the status does not change. */
export function setCondition(s: DeploymentStatus, c: DeploymentCondition): void {
  const cur = conditionOf(s, c.type!);
  if (cur && cur.status === c.status && cur.reason === c.reason) return;
  if (cur && cur.status === c.status) c.lastTransitionTime = cur.lastTransitionTime;
  s.conditions = [...(s.conditions ?? []).filter((x) => x.type !== c.type), c];
}

export function newCondition(type: string, status: string, reason: string, message: string, now: string): DeploymentCondition {
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
}

/**
 * getReplicaFailures: the ReplicaFailure condition of the new ReplicaSet, else of an old one, as
 * a Deployment condition (ReplicaSetToDeploymentCondition); undefined when none is failing.
 */
export function replicaFailure(all: RS[], newRS: RS | undefined): DeploymentCondition | undefined {
  for (const rs of newRS ? [newRS, ...all.filter((x) => x !== newRS)] : all) {
    const c = rs.status?.conditions?.find((x) => x.type === REPLICA_FAILURE);
    if (c) return { type: c.type, status: c.status, lastTransitionTime: c.lastTransitionTime, lastUpdateTime: c.lastTransitionTime, reason: c.reason, message: c.message };
  }
  return undefined;
}

/** calculateStatus: counts from the ReplicaSets, Available from the minimum availability. */
export function calculateStatus(d: D, all: RS[], newRS: RS | undefined, now: string): DeploymentStatus {
  const available = availableReplicas(all);
  const s: DeploymentStatus = {
    observedGeneration: d.metadata?.generation ?? 0,
    replicas: actualReplicas(all),
    updatedReplicas: newRS ? actualReplicas([newRS]) : 0,
    readyReplicas: readyReplicas(all),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, specReplicas(all) - available),
    conditions: (d.status?.conditions ?? []).map((c) => ({ ...c })),
  };
  if (d.status?.collisionCount !== undefined) s.collisionCount = d.status.collisionCount;
  if (available >= replicas(d) - maxUnavailable(d)) setCondition(s, newCondition(AVAILABLE, 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', now));
  else setCondition(s, newCondition(AVAILABLE, 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', now));
  return s;
}

/** DeploymentComplete: every replica updated and available, and the latest spec observed. */
export function deploymentComplete(d: D, s: DeploymentStatus): boolean {
  const r = replicas(d);
  return (s.updatedReplicas ?? 0) === r && (s.replicas ?? 0) === r && (s.availableReplicas ?? 0) === r && (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
}

/** DeploymentProgressing: more updated, fewer old, or more ready or available pods than before. */
export function deploymentProgressing(d: D, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) || newOld < oldOld || (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) || (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0);
}

/**
 * HasProgressDeadline: whether the Deployment reports Progressing (and times out). A deadline of
 * MaxInt32 means none, as a Deployment converted from extensions/v1beta1 without one has.
 */
export function hasProgressDeadline(d: D): boolean {
  const deadline = d.spec?.progressDeadlineSeconds;
  return deadline !== undefined && deadline !== null && deadline !== 2147483647;
}

/** DeploymentTimedOut: no progress for progressDeadlineSeconds since the Progressing condition's last update. */
export function deploymentTimedOut(d: D, s: DeploymentStatus, nowMs: number): boolean {
  const deadline = d.spec?.progressDeadlineSeconds;
  if (!hasProgressDeadline(d) || deadline == null) return false;
  const c = conditionOf(s, PROGRESSING);
  if (!c || c.reason === NEW_RS_AVAILABLE) return false;
  if (c.reason === TIMED_OUT) return true;
  return Date.parse(c.lastUpdateTime ?? '') + deadline * 1000 < nowMs;
}

/** The Deployment's annotations a new ReplicaSet carries (change-cause and the like). */
/** The longest revision-history annotation (maxRevHistoryLengthInChars). */
const MAX_REVISION_HISTORY_CHARS = 2000;

/**
 * A ReplicaSet's revision-history annotation once `oldRevision` is added to it
 * (SetNewReplicaSetAnnotations): the oldest entries dropped to stay within 2000 characters, and
 * left as it was if even then the new one would not fit.
 */
export function revisionHistory(history: string | undefined, oldRevision: string): string {
  if (!history) return oldRevision;
  const old = history.split(',');
  let total = history.length + oldRevision.length + 1;
  let start = 0;
  while (total > MAX_REVISION_HISTORY_CHARS && start < old.length) total -= old[start++]!.length + 1;
  return total <= MAX_REVISION_HISTORY_CHARS ? [...old.slice(start), oldRevision].join(',') : history;
}

export function copiedAnnotations(d: D): Record<string, string> {
  return Object.fromEntries(Object.entries(d.metadata?.annotations ?? {}).filter(([k]) => !SKIPPED_ANNOTATIONS.has(k)));
}
