// The Job controller (kube-controller-manager's job controller): runs a Job's pods to
// completion. It creates pods from the template (generateName `<job>-`, controlled by the Job;
// for Indexed jobs `<job>-<index>-` with the completion index as annotation, label, env
// JOB_COMPLETION_INDEX and hostname), up to parallelism while completions remain; counts
// succeeded and failed pods; waits a doubling delay after pod failures (per index, with
// backoffLimitPerIndex); fails the job past its backoffLimit, activeDeadlineSeconds, a FailJob
// rule or its failed indexes, and completes it once enough pods succeeded or a success policy's
// rule is met; deletes the active pods of a suspended job. The arithmetic is planJob's
// (job-status.ts); this file reads the informers, claims pods, carries out the plan and writes
// status. Expectations keep a lagging informer from causing a second create or delete.
// Every pod it makes carries the batch.kubernetes.io/job-tracking finalizer (manageJob's
// appendJobCompletionFinalizerIfNotFound): a finished or deleted pod stays until it is counted,
// through status.uncountedTerminatedPods, and its finalizer removed; the finalizer of a pod whose
// Job is gone, finished or no longer its controller is removed by the orphan queue (syncOrphanPod).
import { labelSelectorFromObject, matchesLabelSelector } from '../api/selectors.js';
import type { Job, KubeObject, Pod } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import type { EventSink } from '../client/event-sink.js';
import { recordEvent } from '../client/events.js';
import { keyOf, type Informer } from '../client/informer.js';
import { isNotFound, Jobs, Pods } from '../client/rest-client.js';
import { createPods, deletePods, type PodControl } from './pod-control.js';
import { logger } from '../util/log.js';
import { claimObjects, controllerOf } from './controller-ref.js';
import { Expectations } from './expectations.js';
import { COMPLETION_INDEX, JOB_TRACKING_FINALIZER, defaultJobBackoff, hasTrackingFinalizer, isJobFinished, planJob, settleUncounted, type BackoffConfig, type JobPlan } from './job-status.js';
import { podFromTemplate } from './pod-template.js';
import { WorkQueue } from './work-queue.js';
import { isTerminalPhase } from '../api/pod-phase.js';
import { recordJobFinished, recordJobPodsFinished, recordJobSync, type JobSyncAction } from './job-metrics.js';

const log = logger('job-controller');
const SOURCE = { component: 'job-controller' };

type J = Job & KubeObject;
type P = Pod & KubeObject;

export interface JobInformers {
  jobs: Informer<J>;
  pods: Informer<P>;
}

export interface JobControllerOptions {
  /** The controller's clock (ms since the epoch). */
  now?: () => number;
  backoff?: BackoffConfig;
}

/**
 * The generateName of an Indexed job's pod, `<job>-<index>-`, cut to the 58 characters a
 * generated name's base may have (names.MaxGeneratedNameLength) by shortening the job's name, so
 * that the index stays in the pod's name (podGenerateNameWithIndex).
 */
export function podGenerateNameWithIndex(jobName: string, index: number): string {
  const suffix = `-${index}-`;
  const prefix = jobName + suffix;
  return prefix.length > 58 ? prefix.slice(0, 58 - suffix.length) + suffix : prefix;
}

/** A pod of `job`; for an Indexed job, the pod of completion index `index` (with `annotations`: its index's failure counts). */
export function jobPod(job: J, index: number | undefined, annotations?: Record<string, string>): P {
  const name = job.metadata!.name!;
  const pod = podFromTemplate(job, job.spec?.template, 'batch/v1', 'Job', index === undefined ? `${name}-` : podGenerateNameWithIndex(name, index));
  const m = pod.metadata!;
  if (!m.finalizers?.includes(JOB_TRACKING_FINALIZER)) m.finalizers = [...(m.finalizers ?? []), JOB_TRACKING_FINALIZER];
  if (index === undefined) return pod;
  m.annotations = { ...(m.annotations ?? {}), [COMPLETION_INDEX]: String(index), ...annotations };
  m.labels = { ...(m.labels ?? {}), [COMPLETION_INDEX]: String(index) };
  const spec = pod.spec!;
  spec.hostname = `${name}-${index}`;
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    // (a variable of that name the template sets is kept, as upstream's addCompletionIndexEnvVariable)
    if (!c.env?.some((e) => e.name === 'JOB_COMPLETION_INDEX')) c.env = [...(c.env ?? []), { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.labels['${COMPLETION_INDEX}']` } } }];
  }
  return pod;
}

export class JobController {
  readonly queue: WorkQueue;
  private readonly expectations = new Expectations();
  private readonly now: () => number;
  private readonly backoff: BackoffConfig;
  /** uid -> when a finished pod was first seen (its finish time when the pod carries none). */
  private readonly finishedSeen = new Map<string, number>();
  /** uids of the pods whose finalizer removal was sent and not yet seen (finalizerExpectations): they are not counted again. */
  private readonly finalizerRemovals = new Set<string>();
  /** namespace/name of pods whose tracking finalizer may have to go (orphanQueue). */
  readonly orphans: WorkQueue;

  constructor(
    private readonly client: ApiClient,
    private readonly informers: JobInformers,
    private readonly events: EventSink,
    opts: JobControllerOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.backoff = opts.backoff ?? defaultJobBackoff;
    // A failed sync (a pod the apiserver refused: quota, a missing service account) is retried
    // after 1 s doubling to 1 min (DefaultJobApiBackOff, MaxJobApiBackOff), not the default
    // controller's 5 ms: one FailedCreate a retry, not ten in the first seconds.
    const apiBackoff = { baseDelayMs: 1000, maxDelayMs: 60_000 };
    this.queue = new WorkQueue('job', (key) => this.sync(key), apiBackoff);
    this.orphans = new WorkQueue('job_orphan_pod', (key) => this.syncOrphanPod(key), apiBackoff);
    informers.jobs.on({
      add: (j) => this.queue.add(keyOf(j)),
      update: (j) => {
        this.queue.add(keyOf(j));
        // (a backup: a job is finished only once its pods' finalizers are gone)
        if (isJobFinished(j)) this.cleanupPodFinalizers(j);
      },
      delete: (j) => {
        this.expectations.delete(keyOf(j));
        this.queue.add(keyOf(j));
        this.cleanupPodFinalizers(j);
      },
    });
    informers.pods.on({
      add: (p) => this.podChanged(p, true),
      update: (p, old) => {
        if (p.metadata?.deletionTimestamp && !old.metadata?.deletionTimestamp) {
          const key = this.ownerKey(p);
          if (key) this.expectations.deletionObserved(key, p.metadata.uid!);
        }
        if (!hasTrackingFinalizer(p)) this.finalizerRemovals.delete(p.metadata!.uid!);
        this.podChanged(p, false);
      },
      delete: (p) => {
        const uid = p.metadata?.uid ?? '';
        this.finishedSeen.delete(uid);
        this.finalizerRemovals.delete(uid);
        const key = this.ownerKey(p);
        if (!key) return;
        this.expectations.deletionObserved(key, uid);
        this.queue.add(key);
      },
    });
  }

  start(): void {
    for (const j of this.informers.jobs.list()) this.queue.add(keyOf(j));
  }

  stop(): void {
    this.queue.stop();
    this.orphans.stop();
  }

  private ownerKey(p: P): string | undefined {
    const ref = controllerOf(p);
    if (!ref || ref.kind !== 'Job') return undefined;
    return `${p.metadata!.namespace}/${ref.name}`;
  }

  /** The live Job a pod's controller reference names (resolveControllerRef), if any. */
  private controllingJob(p: P): J | undefined {
    const ref = controllerOf(p);
    if (!ref || ref.kind !== 'Job') return undefined;
    const job = this.informers.jobs.get(`${p.metadata!.namespace}/${ref.name}`);
    return job?.metadata?.uid === ref.uid ? job : undefined;
  }

  private podChanged(p: P, added: boolean): void {
    // addPod, updatePod, deletePod: a pod with the finalizer and no controller, or being deleted
    // with its Job gone or finished (syncJob will not remove it), goes to the orphan queue.
    if (hasTrackingFinalizer(p)) {
      const job = this.controllingJob(p);
      if (!controllerOf(p) || (p.metadata?.deletionTimestamp && (!job || isJobFinished(job)))) this.orphans.add(keyOf(p));
    }
    const key = this.ownerKey(p);
    if (!key) return;
    if (added) this.expectations.creationObserved(key);
    const phase = p.status?.phase;
    if (isTerminalPhase(phase) && !this.finishedSeen.has(p.metadata!.uid!)) this.finishedSeen.set(p.metadata!.uid!, this.now());
    this.queue.add(key);
  }

  async sync(key: string): Promise<void> {
    const cached = this.informers.jobs.get(key);
    if (!cached) {
      this.expectations.delete(key);
      return;
    }
    if (isJobFinished(cached)) return;
    // A job another controller manages (spec.managedBy) is left to it, status and pods alike.
    const managedBy = cached.spec?.managedBy;
    if (managedBy != null && managedBy !== 'kubernetes.io/job-controller') return;
    // (syncJob's deferred record: every sync past those checks, its result and what it did)
    const started = performance.now();
    const done: { action: JobSyncAction } = { action: 'reconciling' };
    let ok = false;
    try {
      await this.syncJob(key, cached, done);
      ok = true;
    } finally {
      recordJobSync(cached, ok, done.action, (performance.now() - started) / 1000);
    }
  }

  private async syncJob(key: string, cached: J, done: { action: JobSyncAction }): Promise<void> {
    // Creates or deletes not yet seen: their watch events bring the job back.
    if (!this.expectations.satisfied(key)) return;
    const job = structuredClone(cached);
    const ns = job.metadata!.namespace!;
    const candidates = this.informers.pods.list().filter((p) => p.metadata?.namespace === ns);
    const pods = (await claimObjects(this.client, candidates, { owner: job, apiVersion: 'batch/v1', kind: 'Job', matches: (o) => selects(job, o as P), ref: Pods, finalizer: JOB_TRACKING_FINALIZER })) as P[];
    const plan = planJob({ job, pods, now: this.now(), backoff: this.backoff, firstSeen: (p) => this.finishedSeen.get(p.metadata!.uid!) ?? this.now(), finalizerRemovalPending: (p) => this.finalizerRemovals.has(p.metadata!.uid!) });
    done.action = plan.delete.length ? 'pods_deleted' : plan.create.length ? 'pods_created' : 'tracking';
    let manageError: unknown;
    try {
      await this.carryOut(key, job, plan);
    } catch (e) {
      manageError = e;
    }
    // trackJobStatusAndRemoveFinalizers: the uids to count are written first, then the finalizers
    // removed, then what was removed is counted (and the job finished, if it is).
    let current: J = job;
    let status = plan.status;
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b ?? {});
    if (plan.removeFinalizers.length) {
      if (!same(plan.interim, current.status)) current = await this.updateStatus(current, plan.interim);
      const kept = await this.removeFinalizers(plan.removeFinalizers);
      if (kept.size) {
        // Some removals failed: count what was removed and try again later.
        status = settleUncounted(plan.interim, new Set([...plan.keepsFinalizer, ...kept]));
        if (!same(status, current.status)) await this.updateStatus(current, status);
        for (const ev of plan.events) if (!ev.finish) this.event(job, ev.type, ev.reason, ev.message);
        throw new Error(`job ${key}: removing the tracking finalizer of ${kept.size} pod(s) failed`);
      }
    }
    // Events of a transition only once its status is written (a conflict plans again).
    if (!same(status, current.status)) await this.updateStatus(current, status);
    for (const ev of plan.events) {
      this.event(job, ev.type, ev.reason, ev.message);
      const finished = ev.finish && status.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
      if (finished) recordJobFinished(job, finished);
    }
    if (manageError) throw manageError;
    if (plan.requeueAfterMs !== undefined) this.queue.addAfter(key, plan.requeueAfterMs + 50);
  }

  /** removeTrackingFinalizerFromPods: the uids whose finalizer could not be removed (a pod already gone counts as removed). */
  private async removeFinalizers(pods: P[]): Promise<Set<string>> {
    const kept = new Set<string>();
    await Promise.all(
      pods.map(async (p) => {
        const uid = p.metadata!.uid!;
        this.finalizerRemovals.add(uid);
        try {
          // (gone: no update will say so)
          if (!(await this.removeFinalizer(p))) this.finalizerRemovals.delete(uid);
        } catch (e) {
          this.finalizerRemovals.delete(uid);
          log.warn('could not remove the tracking finalizer', { pod: keyOf(p), err: e });
          kept.add(uid);
        }
      }),
    );
    return kept;
  }

  /** removeTrackingFinalizerPatch: a strategic merge patch deleting the finalizer from the list; false when the pod is gone. */
  private async removeFinalizer(p: P): Promise<boolean> {
    if (!hasTrackingFinalizer(p)) return true;
    try {
      await this.client.patch(Pods, p.metadata!.namespace, p.metadata!.name!, { metadata: { '$deleteFromPrimitiveList/finalizers': [JOB_TRACKING_FINALIZER] } }, 'strategic');
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }

  /** cleanupPodFinalizers: the pods of a deleted or finished job that still have the finalizer go to the orphan queue. */
  private cleanupPodFinalizers(job: J): void {
    for (const p of this.informers.pods.list()) {
      if (p.metadata?.namespace === job.metadata?.namespace && controllerOf(p)?.uid === job.metadata?.uid && hasTrackingFinalizer(p)) this.orphans.add(keyOf(p));
    }
  }

  /**
   * syncOrphanPod: removes the tracking finalizer of a pod no live Job controls: no controller
   * reference, or one to a Job gone or finished. A pod another kind controls, or whose Job
   * another controller manages, keeps it.
   */
  private async syncOrphanPod(key: string): Promise<void> {
    // (an informer not yet filled would make every pod look orphaned)
    await this.informers.jobs.hasSynced();
    const pod = this.informers.pods.get(key);
    if (!pod || !hasTrackingFinalizer(pod)) return;
    const ref = controllerOf(pod);
    if (ref) {
      if (ref.kind !== 'Job' || ref.apiVersion !== 'batch/v1') return;
      const job = this.controllingJob(pod);
      const managedBy = job?.spec?.managedBy;
      if (job && managedBy != null && managedBy !== 'kubernetes.io/job-controller') return;
      if (job && !isJobFinished(job)) return;
    }
    await this.removeFinalizer(pod);
  }

  private async carryOut(key: string, job: J, plan: JobPlan): Promise<void> {
    const ctl: PodControl = { client: this.client, expectations: this.expectations, key, namespace: job.metadata!.namespace!, event: (type, reason, message) => this.event(job, type, reason, message) };
    if (plan.delete.length) {
      // deleteJobPods (suspend, past parallelism): the finalizer goes first, so the pod is not
      // counted as failed; deleteActivePods (the job ending) keeps it: the pod is counted.
      if (plan.deleteUntracked) {
        const kept = await this.removeFinalizers(plan.delete);
        if (kept.size) throw new Error(`job ${key}: removing the tracking finalizer of ${kept.size} pod(s) failed`);
      }
      await deletePods(ctl, plan.delete);
    }
    if (!plan.create.length) return;
    await createPods(ctl, plan.create.map((i) => jobPod(job, i, i === undefined ? undefined : plan.indexAnnotations?.get(i))));
    log.debug('created pods', { job: key, count: plan.create.length });
  }

  /** A conflict fails the sync: it is retried against the newer job, as conditions and times must not be overwritten. */
  private async updateStatus(job: J, status: NonNullable<Job['status']>): Promise<J> {
    try {
      const written = await this.client.update<J>(Jobs, job.metadata!.namespace!, job.metadata!.name!, { ...job, status }, 'status');
      // (the pods this write counted, as flushUncountedAndRemoveFinalizers records them)
      recordJobPodsFinished(job, job.status, status);
      return written;
    } catch (e) {
      if (isNotFound(e)) return { ...job, status };
      throw e;
    }
  }

  private event(job: J, type: string, reason: string, message: string): void {
    const obj = { ...job, apiVersion: 'batch/v1', kind: 'Job' };
    this.events.enqueue(() => recordEvent(this.client, obj, SOURCE, type, reason, message));
  }
}

function selects(job: J, p: P): boolean {
  try {
    return matchesLabelSelector(labelSelectorFromObject(job.spec?.selector), p.metadata?.labels ?? {});
  } catch {
    return false;
  }
}
