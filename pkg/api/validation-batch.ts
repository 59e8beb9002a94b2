// batch/v1 validation (pkg/apis/batch/validation): Job specs and their pod templates (validated as
// pods, under spec.template.spec), the generated selector, what may not change on update, and
// CronJob schedules (robfig/cron's messages), time zones and job templates.
import { CronSyntaxError, isKnownTimeZone, parseCronSchedule } from './cron-schedule.js';
import { CONTROLLER_UID_LABEL } from './defaults-batch.js';
import { duplicate, invalid, notSupported, required, tooLong, tooMany, goStringMap, type FieldError } from './field-error.js';
import { countIndexes, parseIndexes } from './job-indexes.js';
import { isDNS1123Label, isQualifiedName } from './names.js';
import { semanticEqual, semanticFieldEqual } from './semantic-equal.js';
import { labelSelectorFromObject, matchesLabelSelector } from './selectors.js';
import type { CronJob, Job, JobSpec, PodFailurePolicy, PodTemplateSpec, SuccessPolicy } from './types.js';
import { validateLabelSelector } from './validation-affinity.js';
import { nonNegative, validateAnnotations, validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './validation-meta.js';
import { validateTemplatePodSpec } from './validation-pod.js';
import { validateTemplateMeta } from './validation-apps.js';

/** Job names become a label value (job-name): at most 63 characters; CronJob names leave 11 for the job's suffix. */
const MAX_CRONJOB_NAME = 52;
const immutable = (path: string, v: unknown) => invalid(path, v ?? null, 'field is immutable');
/** apiequality.Semantic.DeepEqual of two values of JobSpec's field `field` (key order, nulls, [] for none aside). */
const same = (field: string, a: unknown, b: unknown) => semanticFieldEqual('JobSpec', field, a, b);

function validatePodTemplate(t: PodTemplateSpec, path: string): FieldError[] {
  // (ValidatePodTemplateSpec: labels and annotations at <template>.labels and .annotations)
  const errs = validateTemplateMeta(t, path);
  errs.push(...validateTemplatePodSpec(t.spec, `${path}.spec`));
  const policy = t.spec?.restartPolicy ?? '';
  if (policy !== 'OnFailure' && policy !== 'Never') errs.push(notSupported(`${path}.spec.restartPolicy`, policy, ['OnFailure', 'Never']));
  return errs;
}

/** validateJobSpec: counts, modes and the template; the selector when `selectorRequired` (a Job's, not a CronJob's template). */
function validateJobSpec(s: JobSpec, path: string, selectorRequired: boolean): FieldError[] {
  const errs = [
    ...nonNegative(s.parallelism, `${path}.parallelism`),
    ...nonNegative(s.completions, `${path}.completions`),
    ...nonNegative(s.activeDeadlineSeconds, `${path}.activeDeadlineSeconds`),
    ...nonNegative(s.backoffLimit, `${path}.backoffLimit`),
    ...nonNegative(s.ttlSecondsAfterFinished, `${path}.ttlSecondsAfterFinished`),
    ...nonNegative(s.backoffLimitPerIndex, `${path}.backoffLimitPerIndex`),
    ...nonNegative(s.maxFailedIndexes, `${path}.maxFailedIndexes`),
  ];
  if (s.maxFailedIndexes != null && s.backoffLimitPerIndex == null) errs.push(required(`${path}.backoffLimitPerIndex`, 'when maxFailedIndexes is specified'));
  const mode = s.completionMode;
  if (mode != null && mode !== 'NonIndexed' && mode !== 'Indexed') errs.push(notSupported(`${path}.completionMode`, mode, ['NonIndexed', 'Indexed']));
  if (mode === 'Indexed') errs.push(...validateIndexedLimits(s, path));
  else {
    if (s.backoffLimitPerIndex != null) errs.push(invalid(`${path}.backoffLimitPerIndex`, s.backoffLimitPerIndex, 'requires indexed completion mode'));
    if (s.maxFailedIndexes != null) errs.push(invalid(`${path}.maxFailedIndexes`, s.maxFailedIndexes, 'requires indexed completion mode'));
  }
  if (s.podFailurePolicy) errs.push(...validatePodFailurePolicy(s.podFailurePolicy, s, `${path}.podFailurePolicy`));
  if (s.successPolicy) {
    if (mode !== 'Indexed') errs.push(invalid(`${path}.successPolicy`, s.successPolicy, 'requires indexed completion mode'));
    else errs.push(...validateSuccessPolicy(s.successPolicy, s.completions ?? 0, `${path}.successPolicy`));
  }
  const prp = s.podReplacementPolicy;
  // (with a pod failure policy, a pod counts as failed only once it has ended: only Failed)
  if (prp != null && s.podFailurePolicy && prp !== 'Failed') errs.push(notSupported(`${path}.podReplacementPolicy`, prp, ['Failed']));
  else if (prp != null && prp !== 'TerminatingOrFailed' && prp !== 'Failed') errs.push(notSupported(`${path}.podReplacementPolicy`, prp, ['Failed', 'TerminatingOrFailed']));
  if (s.managedBy != null && s.managedBy !== 'kubernetes.io/job-controller' && !/^[a-z0-9.-]+\/[A-Za-z0-9._-]+$/.test(s.managedBy)) {
    errs.push(invalid(`${path}.managedBy`, s.managedBy, 'must be a domain-prefixed path (such as "acme.io/foo")'));
  }
  if (s.selector) errs.push(...validateLabelSelector(s.selector, `${path}.selector`));
  else if (selectorRequired) errs.push(required(`${path}.selector`));
  if (!s.template) {
    errs.push(required(`${path}.template`));
    return errs;
  }
  if (s.selector && !errs.some((e) => e.field.startsWith(`${path}.selector`))) {
    const labels = s.template.metadata?.labels ?? {};
    let matches = false;
    try {
      matches = matchesLabelSelector(labelSelectorFromObject(s.selector), labels);
    } catch {
      // reported by validateLabelSelector
    }
    if (!matches) errs.push(invalid(`${path}.template.metadata.labels`, goStringMap(labels), '`selector` does not match template `labels`'));
  }
  errs.push(...validatePodTemplate(s.template, `${path}.template`));
  const policy = s.template.spec?.restartPolicy;
  if (s.podFailurePolicy && policy === 'OnFailure') errs.push(invalid(`${path}.template.spec.restartPolicy`, policy, 'only "Never" is supported when podFailurePolicy is specified'));
  return errs;
}

/** Indexed jobs: completions, parallelism and failed indexes within what status texts can hold. */
function validateIndexedLimits(s: JobSpec, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (s.completions == null) errs.push(required(`${path}.completions`, 'when completion mode is Indexed'));
  if (s.parallelism != null && s.parallelism > 100_000) errs.push(invalid(`${path}.parallelism`, s.parallelism, 'must be less than or equal to 100000 when completion mode is Indexed'));
  if (s.completions != null && s.maxFailedIndexes != null && s.maxFailedIndexes > s.completions) errs.push(invalid(`${path}.maxFailedIndexes`, s.maxFailedIndexes, 'must be less than or equal to completions'));
  if (s.maxFailedIndexes != null && s.maxFailedIndexes > 100_000) errs.push(invalid(`${path}.maxFailedIndexes`, s.maxFailedIndexes, 'must be less than or equal to 100000'));
  if (s.completions != null && s.completions > 100_000 && s.backoffLimitPerIndex != null) {
    const high = 'when completions are above 100000 and used with backoff limit per index';
    if (s.maxFailedIndexes == null) errs.push(required(`${path}.maxFailedIndexes`, 'must be specified when completions is above 100000'));
    if (s.parallelism != null && s.parallelism > 10_000) errs.push(invalid(`${path}.parallelism`, s.parallelism, `must be less than or equal to 10000 ${high}`));
    if (s.maxFailedIndexes != null && s.maxFailedIndexes > 10_000) errs.push(invalid(`${path}.maxFailedIndexes`, s.maxFailedIndexes, `must be less than or equal to 10000 ${high}`));
  }
  return errs;
}

/** validateSuccessPolicy: 1 to 20 rules, each with succeededIndexes (a valid index text) or succeededCount, neither past what can succeed. */
function validateSuccessPolicy(sp: SuccessPolicy, completions: number, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const rules = sp.rules ?? [];
  if (!rules.length) errs.push(required(`${path}.rules`, 'at least one rules must be specified when the successPolicy is specified'));
  if (rules.length > 20) errs.push(tooMany(`${path}.rules`, rules.length, 20));
  rules.forEach((rule, i) => {
    const rp = `${path}.rules[${i}]`;
    if (rule.succeededCount == null && rule.succeededIndexes == null) errs.push(required(rp, 'at least one of succeededCount or succeededIndexes must be specified'));
    let total = 0;
    if (rule.succeededIndexes != null) {
      const ip = `${rp}.succeededIndexes`;
      if (rule.succeededIndexes.length > 64 * 1024) errs.push(tooLong(ip, rule.succeededIndexes, 64 * 1024));
      const n = countIndexes(rule.succeededIndexes, completions);
      if ('error' in n) errs.push(invalid(ip, rule.succeededIndexes, `error parsing succeededIndexes: ${n.error}`));
      else total = n.total;
    }
    if (rule.succeededCount != null) {
      const cp = `${rp}.succeededCount`;
      errs.push(...nonNegative(rule.succeededCount, cp));
      if (rule.succeededCount > completions) errs.push(invalid(cp, rule.succeededCount, `must be less than or equal to ${completions} (the number of specified completions)`));
      if (rule.succeededIndexes != null && rule.succeededCount > total) errs.push(invalid(cp, rule.succeededCount, `must be less than or equal to ${total} (the number of indexes in the specified succeededIndexes field)`));
    }
  });
  return errs;
}

const PFP_ACTIONS = ['Count', 'FailIndex', 'FailJob', 'Ignore'];

/** validatePodFailurePolicy: at most 20 rules, each with an action and exactly one of onExitCodes and onPodConditions. */
function validatePodFailurePolicy(pfp: PodFailurePolicy, s: JobSpec, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const rules = pfp.rules ?? [];
  if (rules.length > 20) errs.push(tooMany(`${path}.rules`, rules.length, 20));
  const names = new Set([...(s.template?.spec?.containers ?? []), ...(s.template?.spec?.initContainers ?? [])].map((c) => c.name));
  rules.forEach((rule, i) => {
    const rp = `${path}.rules[${i}]`;
    const action = rule.action ?? '';
    if (!action) errs.push(required(`${rp}.action`, 'valid values: ["Count" "FailIndex" "FailJob" "Ignore"]'));
    else if (action === 'FailIndex' && s.backoffLimitPerIndex == null) errs.push(invalid(`${rp}.action`, action, 'requires the backoffLimitPerIndex to be set'));
    else if (!PFP_ACTIONS.includes(action)) errs.push(notSupported(`${rp}.action`, action, PFP_ACTIONS));
    const ec = rule.onExitCodes;
    const conds = rule.onPodConditions ?? [];
    if (ec) {
      const ep = `${rp}.onExitCodes`;
      const op = ec.operator ?? '';
      if (!op) errs.push(required(`${ep}.operator`, 'valid values: ["In" "NotIn"]'));
      else if (op !== 'In' && op !== 'NotIn') errs.push(notSupported(`${ep}.operator`, op, ['In', 'NotIn']));
      if (ec.containerName != null && !names.has(ec.containerName)) errs.push(invalid(`${ep}.containerName`, ec.containerName, 'must be one of the container or initContainer names in the pod template'));
      const values = ec.values ?? [];
      if (!values.length) errs.push(invalid(`${ep}.values`, values, 'at least one value is required'));
      else if (values.length > 255) errs.push(tooMany(`${ep}.values`, values.length, 255));
      const seen = new Set<number>();
      values.forEach((v, j) => {
        if (op === 'In' && v === 0) errs.push(invalid(`${ep}.values[${j}]`, v, 'must not be 0 for the In operator'));
        if (seen.has(v)) errs.push(duplicate(`${ep}.values[${j}]`, v));
        seen.add(v);
      });
      if (values.some((v, j) => j > 0 && values[j - 1]! > v)) errs.push(invalid(`${ep}.values`, values, 'must be ordered'));
    }
    if (conds.length > 20) errs.push(tooMany(`${rp}.onPodConditions`, conds.length, 20));
    conds.forEach((c, j) => {
      const cp = `${rp}.onPodConditions[${j}]`;
      errs.push(...isQualifiedName(c.type ?? '').map((m) => invalid(`${cp}.type`, c.type ?? '', m)));
      if (!c.status) errs.push(required(`${cp}.status`, 'valid values: ["False" "True" "Unknown"]'));
      else if (!['False', 'True', 'Unknown'].includes(c.status)) errs.push(notSupported(`${cp}.status`, c.status, ['False', 'True', 'Unknown']));
    });
    if (ec && conds.length) errs.push(invalid(rp, undefined, 'specifying both OnExitCodes and OnPodConditions is not supported'));
    if (!ec && !conds.length) errs.push(invalid(rp, undefined, 'specifying one of OnExitCodes and OnPodConditions is required'));
  });
  return errs;
}

/** validateGeneratedSelector: unless manualSelector, the selector and the template's uid label are the server's. */
function validateGeneratedSelector(job: Job): FieldError[] {
  const s = job.spec ?? {};
  if (s.manualSelector || !s.selector) return [];
  const uid = job.metadata?.uid ?? '';
  const errs: FieldError[] = [];
  const labels = s.template?.metadata?.labels ?? {};
  if (labels[CONTROLLER_UID_LABEL] !== undefined && labels[CONTROLLER_UID_LABEL] !== uid) {
    errs.push(invalid('spec.template.metadata.labels', labels, `\`selector\` not auto-generated; ${CONTROLLER_UID_LABEL} must be '${uid}'`));
  }
  if (!same('selector', s.selector, { matchLabels: { [CONTROLLER_UID_LABEL]: uid } })) errs.push(invalid('spec.selector', s.selector, '`selector` not auto-generated'));
  return errs;
}

export function validateJob(job: Job): FieldError[] {
  const errs = [...validateObjectMeta(job.metadata, true, 'metadata'), ...validateGeneratedSelector(job), ...validateJobSpec(job.spec ?? {}, 'spec', true)];
  // An Indexed job's pods are named and hostnamed <job>-<index>: the last index must make a DNS label.
  const { completions, completionMode } = job.spec ?? {};
  if (completionMode === 'Indexed' && completions != null && completions > 0) {
    const host = `${job.metadata?.name ?? ''}-${completions - 1}`;
    if (isDNS1123Label(host).length) errs.push(invalid('metadata.name', job.metadata?.name ?? '', `will not able to create pod with invalid DNS label: ${host}`));
  }
  return errs;
}

/**
 * The old template with the new one's scheduling directives (validatePodTemplateUpdate with
 * AllowMutableSchedulingDirectives): nodeSelector, tolerations, schedulingGates, labels and
 * annotations, and node affinity (an affinity may be dropped whole only when node affinity was
 * all it held).
 */
function withSchedulingDirectivesOf(old: PodTemplateSpec | undefined, next: PodTemplateSpec | undefined): PodTemplateSpec {
  const t: PodTemplateSpec = structuredClone(old ?? {});
  const spec = (t.spec ??= {} as NonNullable<PodTemplateSpec['spec']>);
  const nextSpec = next?.spec;
  if (!nextSpec?.affinity && spec.affinity) {
    delete spec.affinity.nodeAffinity;
    if (!Object.values(spec.affinity).some((v) => v != null)) delete spec.affinity;
  } else if (nextSpec?.affinity) {
    spec.affinity = { ...(spec.affinity ?? {}), nodeAffinity: nextSpec.affinity.nodeAffinity };
  }
  spec.nodeSelector = nextSpec?.nodeSelector;
  spec.tolerations = nextSpec?.tolerations;
  spec.schedulingGates = nextSpec?.schedulingGates;
  t.metadata = { ...(t.metadata ?? {}), labels: next?.metadata?.labels, annotations: next?.metadata?.annotations };
  return t;
}

export function validateJobUpdate(job: Job, old: Job): FieldError[] {
  const s = job.spec ?? {};
  const o = old.spec ?? {};
  const errs = [...validateObjectMetaUpdate(job.metadata, old.metadata, true), ...validateJob(job).filter((e) => !e.field.startsWith('metadata'))];
  if (!same('selector', s.selector, o.selector)) errs.push(immutable('spec.selector', s.selector));
  if (s.completionMode !== o.completionMode) errs.push(immutable('spec.completionMode', s.completionMode));
  if (!same('podFailurePolicy', s.podFailurePolicy, o.podFailurePolicy)) errs.push(immutable('spec.podFailurePolicy', s.podFailurePolicy));
  if (!same('backoffLimitPerIndex', s.backoffLimitPerIndex, o.backoffLimitPerIndex)) errs.push(immutable('spec.backoffLimitPerIndex', s.backoffLimitPerIndex));
  if (!same('successPolicy', s.successPolicy, o.successPolicy)) errs.push(immutable('spec.successPolicy', s.successPolicy));
  if (!same('managedBy', s.managedBy, o.managedBy)) errs.push(immutable('spec.managedBy', s.managedBy));
  // Indexed jobs may scale completions with parallelism (elastic Indexed jobs); NonIndexed may not
  // (validateCompletions; an Indexed job's completions set to null is refused above already).
  if (s.completions !== o.completions) {
    if (s.completionMode !== 'Indexed') errs.push(immutable('spec.completions', s.completions));
    else if (s.completions != null && s.completions !== s.parallelism) errs.push(invalid('spec.completions', s.completions, 'can only be modified in tandem with spec.parallelism'));
  }
  // validatePodTemplateUpdate: while the job is suspended and has not started, only the
  // scheduling directives may change (node affinity, nodeSelector, tolerations, schedulingGates,
  // the template's labels and annotations); the rest of the template never.
  if (!same('template', s.template, o.template)) {
    const mayChangeDirectives = o.suspend === true && !old.status?.startTime;
    const oldTemplate = mayChangeDirectives ? withSchedulingDirectivesOf(o.template, s.template) : o.template;
    if (!same('template', s.template, oldTemplate)) errs.push(immutable('spec.template', s.template));
  }
  return errs;
}

const condTrue = (job: Job, type: string) => !!job.status?.conditions?.some((c) => c.type === type && c.status === 'True');
const OMIT = undefined;

/**
 * A Job's status as its status subresource accepts it (validateJobStatus and
 * ValidateJobStatusUpdate, with the checks JobManagedBy turns on, 1.31's four added): counters that do not go
 * negative or back, index texts the controller can read, terminal conditions that stay and
 * agree with each other, completion and start times that fit them. As upstream, most checks run
 * only when the fields they judge change, so an update unrelated to a bad field goes through.
 */
export function validateJobStatusUpdate(job: Job, old: Job): FieldError[] {
  const st = job.status ?? {};
  const os = old.status ?? {};
  const spec = job.spec ?? {};
  const errs: FieldError[] = [
    ...validateObjectMetaUpdate(job.metadata, old.metadata, true),
    ...nonNegative(st.active, 'status.active'),
    ...nonNegative(st.succeeded, 'status.succeeded'),
    ...nonNegative(st.failed, 'status.failed'),
    ...nonNegative(st.ready, 'status.ready'),
    ...nonNegative(st.terminating, 'status.terminating'),
  ];
  const seen = new Set<string>();
  for (const kind of ['succeeded', 'failed'] as const) {
    (st.uncountedTerminatedPods?.[kind] ?? []).forEach((uid, i) => {
      const path = `status.uncountedTerminatedPods.${kind}[${i}]`;
      if (!uid) errs.push(invalid(path, uid, 'must not be empty'));
      else if (seen.has(uid)) errs.push(duplicate(path, uid));
      else seen.add(uid);
    });
  }
  const finished = (j: Job) => condTrue(j, 'Complete') || condTrue(j, 'Failed');
  const changed = {
    finished: finished(old) !== finished(job),
    complete: condTrue(old, 'Complete') !== condTrue(job, 'Complete'),
    failed: condTrue(old, 'Failed') !== condTrue(job, 'Failed'),
    failureTarget: condTrue(old, 'FailureTarget') !== condTrue(job, 'FailureTarget'),
    completedIndexes: (os.completedIndexes ?? '') !== (st.completedIndexes ?? ''),
    failedIndexes: os.failedIndexes !== st.failedIndexes,
    active: (os.active ?? 0) !== (st.active ?? 0),
    ready: (os.ready ?? 0) !== (st.ready ?? 0),
    terminating: (os.terminating ?? 0) !== (st.terminating ?? 0),
    successCriteriaMet: condTrue(old, 'SuccessCriteriaMet') !== condTrue(job, 'SuccessCriteriaMet'),
    startTime: os.startTime !== st.startTime,
    completionTime: os.completionTime !== st.completionTime,
    uncounted: !semanticEqual(os.uncountedTerminatedPods, st.uncountedTerminatedPods, 'UncountedTerminatedPods'),
  };
  const conditions = (detail: string) => invalid('status.conditions', OMIT, detail);
  const indexed = spec.completionMode === 'Indexed';
  const completions = spec.completions ?? 0;
  if (changed.completedIndexes && spec.completions != null) {
    const n = countIndexes(st.completedIndexes ?? '', completions);
    if ('error' in n) errs.push(invalid('status.completedIndexes', st.completedIndexes, `error parsing completedIndexes: ${n.error}`));
  }
  if (changed.failedIndexes && spec.completions != null && spec.backoffLimitPerIndex != null && st.failedIndexes != null) {
    const n = countIndexes(st.failedIndexes, completions);
    if ('error' in n) errs.push(invalid('status.failedIndexes', st.failedIndexes, `error parsing failedIndexes: ${n.error}`));
  }
  if (changed.completedIndexes && st.completedIndexes && !indexed) errs.push(invalid('status.completedIndexes', st.completedIndexes, 'cannot set non-empty completedIndexes when non-indexed completion mode'));
  if (changed.failedIndexes && spec.backoffLimitPerIndex == null && st.failedIndexes != null) errs.push(invalid('status.failedIndexes', st.failedIndexes, 'cannot set non-null failedIndexes when backoffLimitPerIndex is null'));
  if ((changed.failedIndexes || changed.completedIndexes) && spec.completions != null && st.failedIndexes) {
    const done = parseIndexes(st.completedIndexes, completions);
    const overlap = [...parseIndexes(st.failedIndexes, completions)].find((i) => done.has(i));
    if (overlap !== undefined) errs.push(invalid('status.failedIndexes', st.failedIndexes, `failedIndexes and completedIndexes overlap at index: ${overlap}`));
  }
  const isFinished = finished(job);
  const isComplete = condTrue(job, 'Complete');
  if ((changed.finished || changed.active) && isFinished && (st.active ?? 0) > 0) errs.push(invalid('status.active', st.active, 'active>0 is invalid for finished job'));
  if ((changed.finished || changed.terminating) && isFinished && (st.terminating ?? 0) > 0) errs.push(invalid('status.terminating', st.terminating, 'terminating>0 is invalid for finished job'));
  if ((changed.ready || changed.active) && (st.ready ?? 0) > (st.active ?? 0)) errs.push(invalid('status.ready', st.ready, 'cannot set more ready pods than active'));
  if ((changed.failed || changed.failureTarget) && condTrue(job, 'Failed') && !condTrue(job, 'FailureTarget')) errs.push(conditions('cannot set Failed=True condition without the FailureTarget=true condition'));
  if ((changed.complete || changed.successCriteriaMet) && isComplete && !condTrue(job, 'SuccessCriteriaMet')) errs.push(conditions('cannot set Complete=True condition without the SuccessCriteriaMet=true condition'));
  if ((changed.finished || changed.startTime) && isFinished && !st.startTime) errs.push(required('status.startTime', 'startTime is required for finished job'));
  if ((changed.finished || changed.uncounted) && isFinished && ((st.uncountedTerminatedPods?.succeeded?.length ?? 0) + (st.uncountedTerminatedPods?.failed?.length ?? 0)) > 0) {
    errs.push(invalid('status.uncountedTerminatedPods', st.uncountedTerminatedPods, 'uncountedTerminatedPods needs to be empty for finished job'));
  }
  if ((changed.startTime || changed.completionTime) && st.startTime && st.completionTime && Date.parse(st.completionTime) < Date.parse(st.startTime)) errs.push(invalid('status.completionTime', st.completionTime, 'completionTime cannot be set before startTime'));
  if ((changed.complete || changed.completionTime) && st.completionTime && !isComplete) errs.push(invalid('status.completionTime', st.completionTime, 'cannot set completionTime when there is no Complete=True condition'));
  if ((changed.complete || changed.completionTime) && !st.completionTime && isComplete) errs.push(required('status.completionTime', 'completionTime is required for Complete jobs'));
  if ((changed.complete || changed.failed) && isComplete && condTrue(job, 'Failed')) errs.push(conditions('cannot set Complete=True and Failed=true conditions'));
  if ((changed.complete || changed.failureTarget) && isComplete && condTrue(job, 'FailureTarget')) errs.push(conditions('cannot set Complete=True and FailureTarget=true conditions'));
  const met = condTrue(job, 'SuccessCriteriaMet');
  if (met && condTrue(job, 'Failed')) errs.push(conditions('cannot set SuccessCriteriaMet=True and Failed=true conditions'));
  if (met && condTrue(job, 'FailureTarget')) errs.push(conditions('cannot set SuccessCriteriaMet=True and FailureTarget=true conditions'));
  if (spec.successPolicy && !met && isComplete) errs.push(conditions('cannot set Complete=True for Job with SuccessPolicy unless SuccessCriteriaMet=True'));
  for (const type of ['Failed', 'Complete', 'FailureTarget']) if (condTrue(old, type) && !condTrue(job, type)) errs.push(conditions(`cannot disable the terminal ${type}=True condition`));
  if ((st.failed ?? 0) < (os.failed ?? 0)) errs.push(invalid('status.failed', st.failed ?? 0, 'cannot decrease the failed counter'));
  // (an Indexed job scaled down with completions and parallelism in tandem may lose succeeded indexes)
  if ((!indexed || spec.completions !== spec.parallelism) && (st.succeeded ?? 0) < (os.succeeded ?? 0)) errs.push(invalid('status.succeeded', st.succeeded ?? 0, 'cannot decrease the succeeded counter'));
  if (st.completionTime && os.completionTime && st.completionTime !== os.completionTime) errs.push(invalid('status.completionTime', st.completionTime, 'completionTime cannot be mutated'));
  if (condTrue(old, 'SuccessCriteriaMet') && !met) errs.push(conditions('cannot disable the SuccessCriteriaMet=True condition'));
  if (condTrue(old, 'Complete') && !condTrue(old, 'SuccessCriteriaMet') && met) errs.push(conditions('cannot set SuccessCriteriaMet=True for Job already has Complete=true conditions'));
  return errs;
}

/** The schedule parses; a time zone is not given twice (CRON_TZ= only where the stored object had it). */
function validateSchedule(schedule: string | undefined, timeZone: string | undefined, allowTZ: boolean): FieldError[] {
  if (!schedule) return [required('spec.schedule')];
  const errs: FieldError[] = [];
  try {
    parseCronSchedule(schedule);
  } catch (e) {
    if (!(e instanceof CronSyntaxError)) throw e;
    errs.push(invalid('spec.schedule', schedule, e.message));
  }
  if (schedule.includes('TZ')) {
    if (!allowTZ) errs.push(invalid('spec.schedule', schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
    else if (timeZone != null) errs.push(invalid('spec.schedule', schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
  }
  return errs;
}

function validateTimeZone(tz: string | undefined): FieldError[] {
  const path = 'spec.timeZone';
  if (tz == null) return [];
  if (!tz) return [invalid(path, tz, 'timeZone must be nil or non-empty string')];
  for (const part of tz.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !/^[A-Za-z._+\-0-9]+$/.test(part)) return [invalid(path, tz, `unknown time zone ${tz}`)];
  }
  if (tz.toLowerCase() === 'local') return [invalid(path, tz, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones')];
  if (!isKnownTimeZone(tz)) return [invalid(path, tz, `unknown time zone ${tz}`)];
  return [];
}

function validateCronJobSpec(cj: CronJob, allowTZ: boolean): FieldError[] {
  const s = cj.spec ?? {};
  const errs = [
    ...validateSchedule(s.schedule, s.timeZone, allowTZ),
    ...validateTimeZone(s.timeZone),
    ...nonNegative(s.startingDeadlineSeconds, 'spec.startingDeadlineSeconds'),
    ...nonNegative(s.successfulJobsHistoryLimit, 'spec.successfulJobsHistoryLimit'),
    ...nonNegative(s.failedJobsHistoryLimit, 'spec.failedJobsHistoryLimit'),
  ];
  const policy = s.concurrencyPolicy ?? '';
  if (!policy) errs.push(required('spec.concurrencyPolicy'));
  else if (!['Allow', 'Forbid', 'Replace'].includes(policy)) errs.push(notSupported('spec.concurrencyPolicy', policy, ['Allow', 'Forbid', 'Replace']));
  const jt = s.jobTemplate;
  if (!jt) return [...errs, required('spec.jobTemplate')];
  errs.push(...validateLabels(jt.metadata?.labels, 'spec.jobTemplate.metadata.labels'), ...validateAnnotations(jt.metadata?.annotations, 'spec.jobTemplate.metadata.annotations'));
  if (jt.spec?.manualSelector) errs.push(notSupported('spec.jobTemplate.spec.manualSelector', jt.spec.manualSelector, ['nil', 'false']));
  errs.push(...validateJobSpec(jt.spec ?? {}, 'spec.jobTemplate.spec', false));
  return errs;
}

export function validateCronJob(cj: CronJob): FieldError[] {
  const errs = validateObjectMeta(cj.metadata, true, 'metadata');
  const name = cj.metadata?.name ?? '';
  if (name.length > MAX_CRONJOB_NAME) errs.push(invalid('metadata.name', name, `must be no more than ${MAX_CRONJOB_NAME} characters`));
  return [...errs, ...validateCronJobSpec(cj, false)];
}

export function validateCronJobUpdate(cj: CronJob, old: CronJob): FieldError[] {
  // A schedule with TZ stored before it was refused may keep it.
  const allowTZ = (old.spec?.schedule ?? '').includes('TZ');
  return [...validateObjectMetaUpdate(cj.metadata, old.metadata, true), ...validateCronJobSpec(cj, allowTZ)];
}
