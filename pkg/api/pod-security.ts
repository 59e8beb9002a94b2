// Pod Security Standards as Kubernetes 1.32's PodSecurity admission plugin applies them
// (k8s.io/pod-security-admission): the namespace labels `pod-security.kubernetes.io/<mode>` and
// `<mode>-version` name a level (privileged, baseline, restricted) and a version (`latest` or
// `v1.N`) per mode (enforce, audit, warn); a pod is evaluated with the checks of that level
// whose behaviour applies at that version, and the failed checks make Kubernetes' message.
import type { FieldError } from './field-error.js';
import { CHECKS, SECCOMP_CONTAINER_ANNOTATION_PREFIX, SECCOMP_POD_ANNOTATION, type CheckedContainer, type CheckedPodMeta, type CheckedPodSpec, type CheckFn, type CheckResult } from './pod-security-checks.js';

export { joinQuote, pluralize, type CheckedPodMeta, type CheckedPodSpec, type CheckResult } from './pod-security-checks.js';

export type Level = 'privileged' | 'baseline' | 'restricted';
const LEVELS: readonly Level[] = ['privileged', 'baseline', 'restricted'];

/** The Kubernetes minor version whose checks `latest` means here. */
export const LATEST_MINOR = 32;

/** `latest`, or 1.minor. */
export type Version = { latest: true } | { latest: false; minor: number };
export const LATEST: Version = { latest: true };

export interface LevelVersion {
  level: Level;
  version: Version;
}

export interface Policy {
  enforce: LevelVersion;
  audit: LevelVersion;
  warn: LevelVersion;
}

export const LABEL_PREFIX = 'pod-security.kubernetes.io/';
export const MODES = ['enforce', 'audit', 'warn'] as const;
export type Mode = (typeof MODES)[number];

const PRIVILEGED_LATEST: LevelVersion = { level: 'privileged', version: LATEST };
/** Kubernetes' default PodSecurityConfiguration: every mode privileged at latest. */
export const DEFAULT_POLICY: Policy = { enforce: PRIVILEGED_LATEST, audit: PRIVILEGED_LATEST, warn: PRIVILEGED_LATEST };

export function parseLevel(text: string): Level | { error: string } {
  return (LEVELS as readonly string[]).includes(text) ? (text as Level) : { error: `must be one of ${LEVELS.join(', ')}` };
}

const VERSION_RE = /^v1\.([0-9]|[1-9][0-9]*)$/;

export function parseVersion(text: string): Version | { error: string } {
  if (text === 'latest') return LATEST;
  const m = VERSION_RE.exec(text);
  const minor = m ? Number(m[1]) : NaN;
  if (!Number.isSafeInteger(minor)) return { error: 'must be "latest" or "v1.x"' };
  return { latest: false, minor };
}

export const versionString = (v: Version) => (v.latest ? 'latest' : `v1.${v.minor}`);
export const levelVersionString = (lv: LevelVersion) => `${lv.level}:${versionString(lv.version)}`;
export const sameVersion = (a: Version, b: Version) => (a.latest ? b.latest : !b.latest && a.minor === b.minor);
export const sameLevelVersion = (a: LevelVersion, b: LevelVersion) => a.level === b.level && sameVersion(a.version, b.version);

/** -1, 0, 1 as level a is less, as or more strict than b. */
export function compareLevels(a: Level, b: Level): number {
  return Math.sign(LEVELS.indexOf(a) - LEVELS.indexOf(b));
}

export const fullyPrivileged = (p: Policy) => MODES.every((m) => p[m].level === 'privileged');

/**
 * The policy a namespace's labels ask for over the defaults, and what is wrong with them (as
 * Kubernetes' PolicyToEvaluate: a bad audit or warn level fails open to privileged; warn follows
 * a stricter enforce level when it has no label of its own).
 */
export function policyFromLabels(labels: Record<string, string> | undefined, defaults: Policy = DEFAULT_POLICY): { policy: Policy; errors: FieldError[] } {
  const policy: Policy = { enforce: { ...defaults.enforce }, audit: { ...defaults.audit }, warn: { ...defaults.warn } };
  const errors: FieldError[] = [];
  if (!labels) return { policy, errors };
  const bad = (label: string, value: string, error: string) => errors.push({ type: 'FieldValueInvalid', field: `metadata.labels[${label}]`, badValue: value, detail: error });
  let enforceLevelSet = false;
  for (const mode of MODES) {
    const levelLabel = LABEL_PREFIX + mode;
    const level = labels[levelLabel];
    if (level !== undefined) {
      const parsed = parseLevel(level);
      if (typeof parsed === 'string') {
        policy[mode].level = parsed;
        if (mode === 'enforce') enforceLevelSet = true;
      } else {
        bad(levelLabel, level, parsed.error);
        // (enforce keeps Kubernetes' fail-closed restricted; audit and warn fail open)
        policy[mode].level = mode === 'enforce' ? 'restricted' : 'privileged';
      }
    }
    const versionLabel = `${levelLabel}-version`;
    const version = labels[versionLabel];
    if (version !== undefined) {
      const parsed = parseVersion(version);
      if ('error' in parsed) {
        bad(versionLabel, version, parsed.error);
        policy[mode].version = LATEST;
      } else {
        policy[mode].version = parsed;
      }
    }
  }
  const warnLabelled = labels[`${LABEL_PREFIX}warn`] !== undefined;
  if (!warnLabelled && enforceLevelSet && compareLevels(policy.enforce.level, policy.warn.level) > 0) {
    policy.warn.level = policy.enforce.level;
    if (labels[`${LABEL_PREFIX}warn-version`] === undefined) policy.warn.version = policy.enforce.version;
  }
  return { policy, errors };
}

/** The checks of a level at a version, baseline ones first, each group in the order of its ids. */
function checksFor(level: Level, version: Version): CheckFn[] {
  const minor = version.latest ? LATEST_MINOR : Math.min(version.minor, LATEST_MINOR);
  const at = (id: string) => {
    const c = CHECKS.find((x) => x.id === id)!;
    let found;
    for (const v of c.versions) if (v.minimum <= minor) found = v;
    return found;
  };
  const ids = (l: 'baseline' | 'restricted') =>
    CHECKS.filter((c) => c.level === l)
      .map((c) => c.id)
      .sort();
  const restricted = level === 'restricted' ? ids('restricted').filter((id) => at(id)) : [];
  const overridden = new Set(restricted.flatMap((id) => at(id)!.overrides ?? []));
  const baseline = ids('baseline').filter((id) => at(id) && !overridden.has(id));
  return [...baseline, ...restricted].map((id) => at(id)!.check);
}

const checkCache = new Map<string, CheckFn[]>();

/** The results of every check of a level and version (none for privileged). */
export function evaluatePod(lv: LevelVersion, meta: CheckedPodMeta, spec: CheckedPodSpec): CheckResult[] {
  if (lv.level === 'privileged') return [];
  const key = levelVersionString(lv);
  let checks = checkCache.get(key);
  if (!checks) checkCache.set(key, (checks = checksFor(lv.level, lv.version)));
  return checks.map((check) => check(meta, spec));
}

export interface Aggregate {
  allowed: boolean;
  reasons: string[];
  details: string[];
}

export function aggregate(results: CheckResult[]): Aggregate {
  const failed = results.filter((r) => !r.allowed);
  return { allowed: failed.length === 0, reasons: failed.map((r) => r.reason || 'unknown forbidden reason'), details: failed.map((r) => r.detail ?? '') };
}

/** `reason1, reason2`: what the namespace-label warnings group pods by. */
export const forbiddenReasons = (a: Aggregate) => a.reasons.join(', ');

/** `reason1 (detail1), reason2 (detail2)`. */
export const forbiddenDetail = (a: Aggregate) => a.reasons.map((r, i) => (a.details[i] ? `${r} (${a.details[i]})` : r)).join(', ');

export interface PodForCheck {
  metadata?: CheckedPodMeta & { name?: string; ownerReferences?: { uid?: string; controller?: boolean }[] };
  spec?: CheckedPodSpec & { runtimeClassName?: string };
}

/**
 * The warnings for existing pods when a namespace's enforce level becomes stricter, as
 * Kubernetes' EvaluatePodsInNamespace: pods with the same reasons are grouped under the first
 * name in order (`p1 (and 2 other pods): reasons`); pods of controllers already checked come last.
 */
export function existingPodWarnings(namespace: string, enforce: LevelVersion, pods: PodForCheck[], opts: { maxPods?: number; exemptRuntimeClass?: (name: string) => boolean } = {}): string[] {
  const first: PodForCheck[] = [];
  const later: PodForCheck[] = [];
  const controllers = new Set<string>();
  for (const pod of pods) {
    const rc = pod.spec?.runtimeClassName;
    if (rc && opts.exemptRuntimeClass?.(rc)) continue;
    const owner = pod.metadata?.ownerReferences?.find((o) => o.controller);
    if (owner && controllers.has(owner.uid ?? '')) {
      later.push(pod);
      continue;
    }
    if (owner) controllers.add(owner.uid ?? '');
    first.push(pod);
  }
  const ordered = [...first, ...later];
  const max = opts.maxPods ?? 3000;
  const checked = ordered.slice(0, max);
  const groups = new Map<string, { name: string; count: number }>();
  for (const pod of checked) {
    const r = aggregate(evaluatePod(enforce, pod.metadata ?? {}, pod.spec ?? {}));
    if (r.allowed) continue;
    const reasons = forbiddenReasons(r);
    const name = pod.metadata?.name ?? '';
    const g = groups.get(reasons);
    if (!g) groups.set(reasons, { name, count: 1 });
    else {
      g.count++;
      if (name < g.name) g.name = name;
    }
  }
  const warnings: string[] = [];
  if (checked.length < ordered.length) warnings.push(`new PodSecurity enforce level only checked against the first ${checked.length} of ${ordered.length} existing pods`);
  if (groups.size) warnings.push(`existing pods in namespace "${namespace}" violate the new PodSecurity enforce level "${levelVersionString(enforce)}"`);
  const lines = [...groups].map(([reasons, g]) => {
    const others = g.count - 1;
    const who = others === 0 ? g.name : `${g.name} (and ${others} other ${others === 1 ? 'pod' : 'pods'})`;
    return `${who}: ${reasons}`;
  });
  return [...warnings, ...lines.sort()];
}

/**
 * Whether a pod update can change what the checks see (Kubernetes' isSignificantPodUpdate:
 * images, added containers, and the seccomp annotations, of the pod or of a container, which
 * annotations stay mutable on a running pod and which the checks of versions before 1.19 read).
 */
export function isSignificantPodUpdate(spec: CheckedPodSpec, old: CheckedPodSpec, annotations: Record<string, string> = {}, oldAnnotations: Record<string, string> = {}): boolean {
  if (annotations[SECCOMP_POD_ANNOTATION] !== oldAnnotations[SECCOMP_POD_ANNOTATION]) return true;
  const seccompChanged = (c: CheckedContainer) => {
    const key = SECCOMP_CONTAINER_ANNOTATION_PREFIX + (c.name ?? '');
    return annotations[key] !== oldAnnotations[key];
  };
  const changed = (a: CheckedContainer[] = [], b: CheckedContainer[] = []) => a.length !== b.length || a.some((c, i) => c.image !== b[i]!.image || seccompChanged(c));
  if (changed(spec.containers, old.containers) || changed(spec.initContainers, old.initContainers)) return true;
  return (spec.ephemeralContainers ?? []).some((c) => {
    const was = (old.ephemeralContainers ?? []).find((o) => o.name === c.name);
    return !was || was.image !== c.image || seccompChanged(c);
  });
}
