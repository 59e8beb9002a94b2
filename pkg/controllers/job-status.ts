// What the Job controller does in one sync, as a pure function of the Job, its pods and the time
// (the arithmetic of Kubernetes' job controller, syncJob and manageJob): counts of active, ready,
// terminating, succeeded and failed pods; the FailureTarget/Failed conditions when the backoff
// limit or the active deadline is passed; SuccessCriteriaMet/Complete when enough pods
// succeeded; Suspended while suspended; how many pods to create (after the pod-failure backoff)
// and which to delete; for Indexed jobs, which completion indexes still need a pod. Pods are
// counted as 1.32 tracks them with the batch.kubernetes.io/job-tracking finalizer
// (trackJobStatusAndRemoveFinalizers): a finished pod that still carries it is not yet counted;
// its uid goes to status.uncountedTerminatedPods, its finalizer is removed, then it moves into
// status.succeeded/failed. A pod without it was counted already (or stopped by the controller).
import { omitZero } from '../api/omitempty.js';
import type { Job, JobCondition, JobStatus, KubeObject, Pod, PodFailurePolicy } from '../api/types.js';
import { rfc3339 } from '../util/time.js';
import { isPodActive, isPodReady, podsToDelete } from './pod-ranking.js';
import { hasTrackingFinalizer, isPodFailed, settleUncounted } from './job-tracking.js';
import { formatIndexes, indexAbsoluteFailureCount, indexFailureCount, matchSuccessPolicy, parseIndexes, replacementAnnotations } from '../api/job-indexes.js';

export { formatIndexes } from '../api/job-indexes.js';
export { JOB_TRACKING_FINALIZER, hasTrackingFinalizer, settleUncounted } from './job-tracking.js';

type P = Pod & KubeObject;

export const COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';

export interface BackoffConfig {
  /** Delay after the first failure; doubles with each further failure since the last success (10 s). */
  baseMs: number;
  /** Cap of the delay (6 min). */
  maxMs: number;
}

export const defaultJobBackoff: BackoffConfig = { baseMs: 10_000, maxMs: 360_000 };

export interface JobEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** Said only once the Complete or Failed condition is written. */
  finish?: boolean;
}

export interface JobPlan {
  status: JobStatus;
  /** Pods to create now: one entry per pod, its completion index for Indexed jobs. */
  create: (number | undefined)[];
  /** With backoffLimitPerIndex: the failure-count annotations of each index's new pod. */
  indexAnnotations?: Map<number, Record<string, string>>;
  delete: P[];
  /** The pods in `delete` are stopped, not failed (suspend, past parallelism): their finalizer goes first (deleteJobPods). */
  deleteUntracked?: boolean;
  /** Pods whose tracking finalizer is removed now: their uids are in `interim`'s uncountedTerminatedPods. */
  removeFinalizers: P[];
  /** The status to write before removing those finalizers (the uids to count, the interim conditions). */
  interim: JobStatus;
  /** The uids of the pods that keep their finalizer (whatever of uncountedTerminatedPods is not among them is counted). */
  keepsFinalizer: Set<string>;
  events: JobEvent[];
  /** Look at the job again after this long (backoff or deadline), if set. */
  requeueAfterMs?: number;
}

const condTrue = (cs: JobCondition[] | undefined, type: string) => cs?.find((c) => c.type === type && c.status === 'True');
export const isJobFinished = (job: Job) => !!(condTrue(job.status?.conditions, 'Complete') || condTrue(job.status?.conditions, 'Failed'));
export const isJobSucceeded = (job: Job) => !!condTrue(job.status?.conditions, 'Complete');

/**
 * When a finished pod finished: its containers' last finishedAt; for a pod deleted before it
 * ended, its deletion time less the grace period (getFinishedTime); else when the controller
 * first saw it finished.
 */
export function podFinishTime(p: P, firstSeen: number): number {
  let t = 0;
  for (const c of p.status?.containerStatuses ?? []) {
    const f = c.state?.terminated?.finishedAt;
    if (f) t = Math.max(t, Date.parse(f));
  }
  if (!t && p.metadata?.deletionTimestamp) t = Date.parse(p.metadata.deletionTimestamp) - (p.metadata.deletionGracePeriodSeconds ?? 0) * 1000;
  return t || firstSeen;
}

export const podIndex = (p: P): number | undefined => {
  const v = p.metadata?.annotations?.[COMPLETION_INDEX] ?? p.metadata?.labels?.[COMPLETION_INDEX];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
};

function setCondition(conditions: JobCondition[], type: string, status: 'True' | 'False', reason: string, message: string, now: number): JobCondition[] {
  const t = rfc3339(now);
  const existing = conditions.find((c) => c.type === type);
  if (existing) {
    if (existing.status === status && existing.reason === reason) return conditions;
    return conditions.map((c) => (c === existing ? { type, status, lastProbeTime: t, lastTransitionTime: existing.status === status ? c.lastTransitionTime : t, reason, message } : c));
  }
  return [...conditions, { type, status, lastProbeTime: t, lastTransitionTime: t, reason, message }];
}

export interface PlanInput {
  job: Job & KubeObject;
  /** The pods the job controls, finished ones too. */
  pods: P[];
  now: number;
  backoff: BackoffConfig;
  /** When the controller first saw a finished pod (for pods without container finish times). */
  firstSeen: (p: P) => number;
  /** Whether the removal of the pod's tracking finalizer was sent but not yet seen (finalizerExpectations): it counts as removed. */
  finalizerRemovalPending?: (p: P) => boolean;
}

type ContainerStatus = NonNullable<NonNullable<Pod['status']>['containerStatuses']>[number];

/** What the pod failure policy makes of a failed pod: whether it counts towards backoffLimit; for FailJob, why the job fails; for FailIndex, that its index fails. */
export interface PolicyMatch {
  counts: boolean;
  failJobMessage?: string;
  failIndex?: boolean;
}

/**
 * The job controller's matchPodFailurePolicy: the first rule whose requirement the failed pod
 * meets decides (Ignore: not counted; FailJob: the job fails; FailIndex: the pod's index fails;
 * Count: counted).
 * onExitCodes looks at the terminated containers (app containers first, then init containers)
 * that exited non-zero, of the named container or any; onPodConditions at the pod's
 * conditions. No rule matched: the failure counts, as without a policy.
 */
export function matchPodFailurePolicy(pfp: PodFailurePolicy | undefined, pod: P): PolicyMatch {
  const st = pod.status ?? {};
  const podName = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
  for (const [i, rule] of (pfp?.rules ?? []).entries()) {
    // what matched, as the FailJob message says it
    let matched: string | undefined;
    if (rule.onExitCodes) {
      const req = rule.onExitCodes;
      const exited = (list: ContainerStatus[] | undefined) =>
        list?.find((c) => {
          const code = c.state?.terminated?.exitCode;
          if (code === undefined || code === 0 || (req.containerName != null && req.containerName !== c.name)) return false;
          return (req.values ?? []).includes(code) === (req.operator === 'In');
        });
      const c = exited(st.containerStatuses) ?? exited(st.initContainerStatuses);
      if (c) matched = `Container ${c.name} for pod ${podName} failed with exit code ${c.state!.terminated!.exitCode}`;
    } else if (rule.onPodConditions?.length) {
      const cond = (st.conditions ?? []).find((c) => rule.onPodConditions!.some((p) => p.type === c.type && (p.status ?? 'True') === c.status));
      if (cond) matched = `Pod ${podName} has condition ${cond.type}`;
    }
    if (matched === undefined) continue;
    if (rule.action === 'Ignore') return { counts: false };
    if (rule.action === 'FailIndex') return { counts: true, failIndex: true };
    return rule.action === 'FailJob' ? { counts: true, failJobMessage: `${matched} matching FailJob rule at index ${i}` } : { counts: true };
  }
  return { counts: true };
}

const MESSAGES: Record<string, string> = {
  BackoffLimitExceeded: 'Job has reached the specified backoff limit',
  DeadlineExceeded: 'Job was active longer than specified deadline',
  CompletionsReached: 'Reached expected number of succeeded pods',
  MaxFailedIndexesExceeded: 'Job has exceeded the specified maximal number of failed indexes',
  FailedIndexes: 'Job has failed indexes',
};

export function planJob({ job, pods, now, backoff, firstSeen, finalizerRemovalPending }: PlanInput): JobPlan {
  const spec = job.spec ?? {};
  const prev = job.status ?? {};
  const indexed = spec.completionMode === 'Indexed';
  const completions = spec.completions;
  const parallelism = spec.parallelism ?? 1;
  const deleting = !!job.metadata?.deletionTimestamp;
  const onlyReplaceFailed = spec.podReplacementPolicy === 'Failed' || !!spec.podFailurePolicy;
  const isFailed = (p: P) => isPodFailed(p, onlyReplaceFailed);
  const active = pods.filter(isPodActive);
  // (a pod whose end only isPodFailed's stand-in for the kubelet's Failed phase says is not terminating)
  const terminating = pods.filter((p) => p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && !(onlyReplaceFailed && isFailed(p)));
  // The pods not yet counted: those with the finalizer whose removal is not on its way.
  const tracked = pods.filter((p) => hasTrackingFinalizer(p) && !finalizerRemovalPending?.(p));
  const validIndex = (p: P) => {
    const i = podIndex(p);
    return i !== undefined && i < (completions ?? 0);
  };
  const prevUncounted = { succeeded: new Set(prev.uncountedTerminatedPods?.succeeded ?? []), failed: new Set(prev.uncountedTerminatedPods?.failed ?? []) };
  // getNewFinishedPods: tracked pods not in the uncounted lists (Indexed: of a valid index).
  const uncountable = (p: P, set: Set<string>) => !set.has(p.metadata!.uid!) && (!indexed || validIndex(p));
  const newSucceededPods = tracked.filter((p) => p.status?.phase === 'Succeeded' && uncountable(p, prevUncounted.succeeded));
  const newFailedPods = tracked.filter((p) => isFailed(p) && uncountable(p, prevUncounted.failed));
  // The failed pods in sight (the backoff, the failure policy, each index's last failure): the
  // ones not yet counted and those that reached Failed; not pods the controller stopped (their
  // finalizer was dropped first, as deleteJobPods does) nor counted ones on their way out.
  const failedPods = pods.filter((p) => isFailed(p) && (p.status?.phase === 'Failed' || tracked.includes(p)));
  const succeededPods = pods.filter((p) => p.status?.phase === 'Succeeded');
  // With a pod failure policy, a failed pod may not count (Ignore), or may fail the job (FailJob).
  const matches = new Map([...failedPods, ...tracked].map((p) => [p, matchPodFailurePolicy(spec.podFailurePolicy, p)]));
  const events: JobEvent[] = [];
  const plan: JobPlan = { status: {}, create: [], delete: [], removeFinalizers: [], interim: {}, keepsFinalizer: new Set(), events };
  let conditions = [...(prev.conditions ?? [])];
  let startTime = prev.startTime;
  const suspended = spec.suspend === true;

  // calculateSucceededIndexes: those of the status and of the tracked succeeded pods.
  const succeededIndexes = indexed ? parseIndexes(prev.completedIndexes, completions ?? 0) : new Set<number>();
  if (indexed) for (const p of newSucceededPods) succeededIndexes.add(podIndex(p)!);
  // backoffLimitPerIndex: an index fails when a pod of it fails past the limit, or by a FailIndex rule.
  const perIndex = indexed && spec.backoffLimitPerIndex != null;
  const failedIndexes = perIndex ? parseIndexes(prev.failedIndexes, completions ?? 0) : new Set<number>();
  if (perIndex) for (const p of tracked) {
    if (!isFailed(p) || !validIndex(p)) continue;
    const m = matches.get(p)!;
    if (m.failIndex || (m.counts && indexFailureCount(p) >= spec.backoffLimitPerIndex!)) failedIndexes.add(podIndex(p)!);
  }
  const succeeded = indexed ? succeededIndexes.size : (prev.succeeded ?? 0) + prevUncounted.succeeded.size + newSucceededPods.length;
  const failed = (prev.failed ?? 0) + prevUncounted.failed.size + newFailedPods.filter((p) => matches.get(p)!.counts).length;

  // Resumed (or never suspended): the deadline runs from now.
  const wasSuspended = !!condTrue(conditions, 'Suspended');
  if (!suspended && wasSuspended && !deleting) {
    conditions = setCondition(conditions, 'Suspended', 'False', 'JobResumed', 'Job resumed', now);
    events.push({ type: 'Normal', reason: 'Resumed', message: 'Job resumed' });
    startTime = rfc3339(now);
  }
  if (!suspended && !startTime) startTime = rfc3339(now);

  let failureTarget = condTrue(conditions, 'FailureTarget');
  // (a job that met its success criteria ends Complete: failures after that do not fail it)
  if (!failureTarget && !condTrue(conditions, 'SuccessCriteriaMet')) {
    // pastBackoffLimitOnFailure: restarts of every container of the running and pending pods,
    // summed, reach the limit (any restart when the limit is 0).
    const limit = spec.backoffLimit ?? 6;
    const onFailure = spec.template?.spec?.restartPolicy === 'OnFailure';
    const restarts = onFailure ? active.filter((p) => p.status?.phase === 'Running' || p.status?.phase === 'Pending').reduce((n, p) => n + [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].reduce((m, c) => m + (c.restartCount ?? 0), 0), 0) : 0;
    const pastOnFailure = onFailure && (limit === 0 ? restarts > 0 : restarts >= limit);
    const deadline = spec.activeDeadlineSeconds != null && startTime && !suspended ? Date.parse(startTime) + spec.activeDeadlineSeconds * 1000 : undefined;
    let reason: string | undefined;
    const failJob = failedPods.map((p) => matches.get(p)!.failJobMessage).find((m) => m !== undefined);
    if (failJob !== undefined) reason = 'PodFailurePolicy';
    else if (failed > limit || pastOnFailure) reason = 'BackoffLimitExceeded';
    else if (deadline !== undefined && now >= deadline) reason = 'DeadlineExceeded';
    else if (deadline !== undefined) plan.requeueAfterMs = deadline - now;
    if (!reason && perIndex) {
      if (spec.maxFailedIndexes != null && failedIndexes.size > spec.maxFailedIndexes) reason = 'MaxFailedIndexesExceeded';
      else if (failedIndexes.size > 0 && failedIndexes.size + succeededIndexes.size >= (completions ?? 0)) reason = 'FailedIndexes';
    }
    if (reason) {
      conditions = setCondition(conditions, 'FailureTarget', 'True', reason, failJob ?? MESSAGES[reason]!, now);
      failureTarget = conditions.find((c) => c.type === 'FailureTarget');
    }
  }
  // With completions: that many succeeded (indexes, for Indexed); without: one succeeded and none
  // left running; for Indexed, a success policy's rule met.
  let successCriteria = condTrue(conditions, 'SuccessCriteriaMet');
  if (!failureTarget && !successCriteria) {
    const policyMet = indexed ? matchSuccessPolicy(spec.successPolicy, completions ?? 0, succeededIndexes) : undefined;
    if (policyMet !== undefined) conditions = setCondition(conditions, 'SuccessCriteriaMet', 'True', 'SuccessPolicy', policyMet, now);
    else if (completions != null ? succeeded >= completions : succeeded > 0 && active.length === 0) conditions = setCondition(conditions, 'SuccessCriteriaMet', 'True', 'CompletionsReached', MESSAGES.CompletionsReached!, now);
    successCriteria = condTrue(conditions, 'SuccessCriteriaMet');
  }
  const successReached = !failureTarget && !!successCriteria;

  let activeCount = active.length;
  // The Complete or Failed condition, once every pod is counted and none is left running.
  let finish: { type: 'Complete' | 'Failed'; reason: string; message: string } | undefined;
  if (failureTarget) {
    // The active pods are deleted, keeping their finalizer: they are counted as failed below.
    plan.delete = active;
    activeCount = 0;
    if (!terminating.length && !active.length) finish = { type: 'Failed', reason: failureTarget.reason!, message: failureTarget.message! };
  } else if (successReached) {
    plan.delete = active;
    activeCount = 0;
    if (!terminating.length && !active.length) finish = { type: 'Complete', reason: successCriteria!.reason!, message: successCriteria!.message! };
  } else if (deleting) {
    // A job being deleted (foreground) makes and deletes no pods; its pods' finalizers go below.
  } else if (suspended) {
    if (!wasSuspended) {
      conditions = setCondition(conditions, 'Suspended', 'True', 'JobSuspended', 'Job suspended', now);
      events.push({ type: 'Normal', reason: 'Suspended', message: 'Job suspended' });
    }
    plan.delete = active;
    plan.deleteUntracked = true;
    activeCount = 0;
  } else {
    // podReplacementPolicy Failed: a pod being deleted is replaced only once it has ended
    const pendingEnd = spec.podReplacementPolicy === 'Failed' ? terminating : [];
    manage(plan, { indexed, completions, parallelism, succeeded, active, pendingEnd, succeededIndexes, failedIndexes: perIndex ? failedIndexes : undefined, matches, failedPods, succeededPods, now, backoff, firstSeen });
    plan.deleteUntracked = true;
    activeCount = active.length - plan.delete.length + plan.create.length;
  }

  // trackJobStatusAndRemoveFinalizers: which tracked pods give up their finalizer now
  // (canRemoveFinalizer), and the uids to count once they have.
  const finished = !!failureTarget || successReached;
  const delayed = perIndex && !finished && !deleting ? delayedPerIndex(tracked.filter((p) => isFailed(p) && validIndex(p)), succeededIndexes, failedIndexes, active, firstSeen) : new Set<P>();
  const uncounted = { succeeded: [...prevUncounted.succeeded], failed: [...prevUncounted.failed] };
  for (const p of tracked) {
    const uid = p.metadata!.uid!;
    const failedNow = isFailed(p);
    if (!(deleting || finished || p.status?.phase === 'Succeeded' || (failedNow && !delayed.has(p)))) {
      plan.keepsFinalizer.add(uid);
      continue;
    }
    plan.removeFinalizers.push(p);
    if (p.status?.phase === 'Succeeded' && !prevUncounted.failed.has(uid)) {
      // (Indexed: the completion index is enough not to count it twice)
      if (!indexed && !prevUncounted.succeeded.has(uid)) uncounted.succeeded.push(uid);
    } else if (failedNow || failureTarget) {
      // When the job fails, every pod not ended counts as failed.
      if (!prevUncounted.failed.has(uid) && (!indexed || validIndex(p)) && matches.get(p)!.counts) uncounted.failed.push(uid);
    }
  }

  const counts = {
    ...(conditions.length ? { conditions } : {}),
    ...(startTime ? { startTime } : {}),
    ...(prev.completionTime ? { completionTime: prev.completionTime } : {}),
    active: activeCount,
    succeeded: indexed ? succeeded : prev.succeeded ?? 0,
    failed: prev.failed ?? 0,
    terminating: terminating.length + (failureTarget || successReached || suspended ? plan.delete.length : 0),
    // (pods being stopped are neither active nor ready any more)
    ready: active.filter((p) => isPodReady(p) && !plan.delete.includes(p)).length,
    ...(indexed && succeededIndexes.size ? { completedIndexes: formatIndexes(succeededIndexes) } : {}),
    ...(perIndex ? { failedIndexes: formatIndexes(failedIndexes) } : {}),
  };
  const uncountedStatus = { ...(uncounted.succeeded.length ? { succeeded: uncounted.succeeded } : {}), ...(uncounted.failed.length ? { failed: uncounted.failed } : {}) };
  // (ready and terminating are pointers, always written; the counts are omitempty)
  plan.interim = omitZero({ ...counts, uncountedTerminatedPods: uncountedStatus }, ['active', 'succeeded', 'failed']);
  // As it will be once the finalizers are gone (the controller settles again with what it removed).
  plan.status = settleUncounted(plan.interim, plan.keepsFinalizer);
  const settled = !plan.status.uncountedTerminatedPods?.succeeded && !plan.status.uncountedTerminatedPods?.failed;
  if (finish && settled && !condTrue(conditions, finish.type)) {
    plan.status.conditions = setCondition(plan.status.conditions ?? [], finish.type, 'True', finish.reason, finish.message, now);
    if (finish.type === 'Complete') {
      plan.status.completionTime = rfc3339(now);
      events.push({ type: 'Normal', reason: 'Completed', message: 'Job completed', finish: true });
    } else events.push({ type: 'Warning', reason: finish.reason, message: finish.message, finish: true });
  }
  return plan;
}

/**
 * getPodsWithDelayedDeletionPerIndex: per index that has no active, succeeded or failed-index pod,
 * its tracked failed pod of most failures (the later on a tie) keeps its finalizer until the
 * index's next pod exists, so the failure counts reach that pod.
 */
function delayedPerIndex(failed: P[], succeeded: Set<number>, failedIndexes: Set<number>, active: P[], firstSeen: (p: P) => number): Set<P> {
  const activeIndexes = new Set(active.map(podIndex));
  const last = new Map<number, P>();
  for (const p of failed) {
    const i = podIndex(p)!;
    if (succeeded.has(i) || failedIndexes.has(i) || activeIndexes.has(i)) continue;
    const q = last.get(i);
    if (!q || (indexAbsoluteFailureCount(q) <= indexAbsoluteFailureCount(p) && podFinishTime(p, firstSeen(p)) >= podFinishTime(q, firstSeen(q)))) last.set(i, p);
  }
  return new Set(last.values());
}

interface ManageInput {
  indexed: boolean;
  completions: number | undefined;
  parallelism: number;
  succeeded: number;
  active: P[];
  /** Pods being deleted that still hold their place (podReplacementPolicy Failed). */
  pendingEnd: P[];
  succeededIndexes: Set<number>;
  /** With backoffLimitPerIndex: the indexes that failed (no pod is made for them again). */
  failedIndexes: Set<number> | undefined;
  matches: Map<P, PolicyMatch>;
  failedPods: P[];
  succeededPods: P[];
  now: number;
  backoff: BackoffConfig;
  firstSeen: (p: P) => number;
}

/** manageJob: as many active pods as parallelism allows and completions still need; none before the failure backoff has passed. */
function manage(plan: JobPlan, m: ManageInput): void {
  // Without completions (a work queue), once a pod succeeded the ones still running are left to
  // finish, none made nor deleted (wantActive = active): the job completes when they have.
  const want = m.completions == null ? (m.succeeded > 0 ? m.active.length : m.parallelism) : Math.max(0, Math.min(m.completions - m.succeeded, m.parallelism));
  if (m.active.length > want) {
    plan.delete = podsToDelete(m.active, m.active.length - want);
    return;
  }
  if (m.active.length === want) return;
  if (m.failedIndexes) return managePerIndex(plan, m, want);
  // Pod-failure backoff: failures since the last success double the delay after the last failure.
  const lastSuccess = Math.max(0, ...m.succeededPods.map((p) => podFinishTime(p, m.firstSeen(p))));
  const failures = m.failedPods.map((p) => podFinishTime(p, m.firstSeen(p))).filter((t) => t > lastSuccess);
  const wait = failures.length ? backoffLeft(m.backoff, failures.length, Math.max(...failures), m.now) : 0;
  if (wait > 0) {
    plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? Infinity, wait);
    return;
  }
  const n = want - m.active.length - m.pendingEnd.length;
  if (n <= 0) return;
  if (!m.indexed) {
    plan.create = Array.from({ length: n }, () => undefined);
    return;
  }
  plan.create = firstPendingIndexes(m, n);
}

/** firstPendingIndexes: the first `n` indexes with no active, held, succeeded or failed pod. */
function firstPendingIndexes(m: ManageInput, n: number): number[] {
  const taken = new Set([...m.succeededIndexes, ...(m.failedIndexes ?? []), ...[...m.active, ...m.pendingEnd].map(podIndex).filter((i): i is number => i !== undefined)]);
  const out: number[] = [];
  for (let i = 0; i < (m.completions ?? 0) && out.length < n; i++) if (!taken.has(i)) out.push(i);
  return out;
}

/** The backoff delay after `failures` failures, the last at `last` (getRemainingTimeForFailuresCount). */
const backoffLeft = (b: BackoffConfig, failures: number, last: number, now: number) => (failures === 0 ? 0 : Math.max(0, Math.min(b.baseMs * 2 ** (failures - 1), b.maxMs) - (now - last)));

/**
 * manageJob with backoffLimitPerIndex: each index waits its own backoff, doubled with each failure
 * of the index (counted in its last failed pod's annotations), and its new pod carries the index's
 * failure counts. The indexes whose backoff has passed are created; if none has, the job is
 * looked at again when the first one's has.
 */
function managePerIndex(plan: JobPlan, m: ManageInput, want: number): void {
  const n = want - m.active.length - m.pendingEnd.length;
  if (n <= 0) return;
  // getPodsWithDelayedDeletionPerIndex: per pending index, its failed pod of most failures, the later on a tie
  const lastFailed = new Map<number, P>();
  for (const p of m.failedPods) {
    const i = podIndex(p);
    if (i === undefined) continue;
    const q = lastFailed.get(i);
    if (!q || (indexAbsoluteFailureCount(q) <= indexAbsoluteFailureCount(p) && podFinishTime(p, m.firstSeen(p)) >= podFinishTime(q, m.firstSeen(q)))) lastFailed.set(i, p);
  }
  let wait = Infinity;
  plan.indexAnnotations = new Map();
  for (const i of firstPendingIndexes(m, n)) {
    const failed = lastFailed.get(i);
    const left = failed ? backoffLeft(m.backoff, indexAbsoluteFailureCount(failed) + 1, podFinishTime(failed, m.firstSeen(failed)), m.now) : 0;
    if (left > 0) {
      wait = Math.min(wait, left);
      continue;
    }
    plan.create.push(i);
    plan.indexAnnotations.set(i, replacementAnnotations(failed, failed ? m.matches.get(failed)!.counts : true));
  }
  if (!plan.create.length && wait < Infinity) plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? Infinity, wait);
}
