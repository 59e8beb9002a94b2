// The CronJob controller (kube-controller-manager's cronjob controller, v2): at each scheduled
// time it creates a Job named `<cronjob>-<scheduled time in minutes since the epoch>` from the
// job template, controlled by the CronJob and annotated with the scheduled time. Missed times
// start only the most recent one (within startingDeadlineSeconds; more than 100 missed is a
// warning); concurrencyPolicy Forbid skips a time while a job runs, Replace deletes the running
// ones first; suspend stops new jobs. Status keeps the active jobs, lastScheduleTime and
// lastSuccessfulTime; finished jobs beyond the history limits are deleted, oldest first. The
// clock is injectable so tests need not wait for real minutes.
import { parseCronSchedule, type CronSchedule } from '../api/cron-schedule.js';
import type { CronJob, Job, KubeObject, ObjectReference } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import type { EventSink } from '../client/event-sink.js';
import { recordEvent } from '../client/events.js';
import { keyOf, type Informer } from '../client/informer.js';
import { CronJobs, isNotFound, Jobs, StatusError } from '../client/rest-client.js';
import { rfc3339 } from '../util/time.js';
import { logger } from '../util/log.js';
import { controllerOf, controllerRefTo } from './controller-ref.js';
import { isJobFinished, isJobSucceeded } from './job-status.js';
import { WorkQueue } from './work-queue.js';
import { Histogram } from 'prom-client';
import { stable } from '../util/metric-help.js';

const log = logger('cronjob-controller');
const SOURCE = { component: 'cronjob-controller' };
export const SCHEDULED_TIMESTAMP = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

/** pkg/controller/cronjob/metrics CronJobCreationSkew: from a scheduled time to its Job's creationTimestamp (ExponentialBuckets(1, 2, 10)). */
const creationSkew = new Histogram({
  name: 'cronjob_controller_job_creation_skew_duration_seconds',
  help: stable('Time between when a cronjob is scheduled to be run, and when the corresponding job is created'),
  buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
});
const MAX_MISSED = 100;

type CJ = CronJob & KubeObject;
type J = Job & KubeObject;

export interface CronJobInformers {
  cronjobs: Informer<CJ>;
  jobs: Informer<J>;
}

export interface CronJobControllerOptions {
  /** The controller's clock (ms since the epoch). */
  now?: () => number;
  /** The zone of schedules without spec.timeZone (the controller manager's; UTC here). */
  defaultTimeZone?: string;
}

/** The job name suffix: the scheduled time in minutes since the epoch (getTimeHashInMinutes). */
export const jobNameFor = (cj: CJ, scheduled: number) => `${cj.metadata!.name}-${Math.floor(scheduled / 60_000)}`;

/**
 * The most recent scheduled time in (earliest, now], and how many were missed in that window
 * (getMostRecentScheduleTime); undefined when none fell in it.
 */
export function mostRecentScheduleTime(sched: CronSchedule, earliest: number, now: number): { time: number | undefined; missed: number } {
  let t = sched.next(earliest);
  if (t === undefined || t > now) return { time: undefined, missed: 0 };
  let missed = 1;
  for (;;) {
    const n = sched.next(t);
    if (n === undefined || n > now) return { time: t, missed };
    t = n;
    missed++;
    // Past this many the count is only a warning: stop counting and find the last time before now
    // from the smallest window before now that holds one.
    if (missed > MAX_MISSED) {
      for (const w of [60_000, 3_600_000, 86_400_000, 31 * 86_400_000, 366 * 86_400_000, 6 * 366 * 86_400_000]) {
        let x = sched.next(Math.max(t, now - w));
        if (x === undefined || x > now) continue;
        for (let n = sched.next(x); n !== undefined && n <= now; n = sched.next(n)) x = n;
        return { time: x, missed };
      }
      return { time: t, missed };
    }
  }
}

/** A Job of `cj` for the time `scheduled` (getJobFromTemplate2). */
export function jobFromTemplate(cj: CJ, scheduled: number): J {
  const jt = cj.spec?.jobTemplate ?? {};
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobNameFor(cj, scheduled),
      namespace: cj.metadata!.namespace,
      labels: { ...(jt.metadata?.labels ?? {}) },
      annotations: { ...(jt.metadata?.annotations ?? {}), [SCHEDULED_TIMESTAMP]: scheduledTimestamp(scheduled, cj.spec?.timeZone) },
      ownerReferences: [controllerRefTo(cj, 'batch/v1', 'CronJob')],
    },
    spec: structuredClone(jt.spec ?? {}),
  } as J;
}

/** RFC 3339 in the CronJob's zone (UTC without one), as Kubernetes writes the annotation. */
function scheduledTimestamp(t: number, zone: string | undefined): string {
  if (!zone || zone === 'UTC') return rfc3339(t);
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' }).formatToParts(new Date(t));
  const offset = (parts.find((p) => p.type === 'timeZoneName')?.value ?? 'GMT').replace('GMT', '') || '+00:00';
  const sign = offset.startsWith('-') ? -1 : 1;
  const [h, m] = offset.slice(1).split(':').map(Number);
  const local = t + sign * ((h ?? 0) * 60 + (m ?? 0)) * 60_000;
  return `${rfc3339(local).slice(0, -1)}${offset === '+00:00' ? 'Z' : offset}`;
}

const refTo = (j: J): ObjectReference => ({ kind: 'Job', namespace: j.metadata!.namespace, name: j.metadata!.name, uid: j.metadata!.uid, apiVersion: 'batch/v1', resourceVersion: j.metadata!.resourceVersion });

export class CronJobController {
  readonly queue: WorkQueue;
  private readonly now: () => number;
  private readonly defaultZone: string;

  constructor(
    private readonly client: ApiClient,
    private readonly informers: CronJobInformers,
    private readonly events: EventSink,
    opts: CronJobControllerOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.defaultZone = opts.defaultTimeZone ?? 'UTC';
    this.queue = new WorkQueue('cronjob', (key) => this.sync(key));
    informers.cronjobs.on({ add: (c) => this.queue.add(keyOf(c)), update: (c) => this.queue.add(keyOf(c)), delete: (c) => this.written.delete(keyOf(c)) });
    const owner = (j: J) => {
      const ref = controllerOf(j);
      if (ref?.kind === 'CronJob') this.queue.add(`${j.metadata!.namespace}/${ref.name}`);
    };
    informers.jobs.on({ add: owner, update: owner, delete: owner });
  }

  start(): void {
    for (const c of this.informers.cronjobs.list()) this.queue.add(keyOf(c));
  }

  stop(): void {
    this.queue.stop();
  }

  private jobsOf(cj: CJ): J[] {
    const uid = cj.metadata!.uid;
    return this.informers.jobs.list().filter((j) => j.metadata?.namespace === cj.metadata!.namespace && controllerOf(j)?.uid === uid);
  }

  /**
   * The status this controller last wrote, per CronJob, until the informer has caught up: a
   * job's add can arrive before the CronJob update that lists it as active, and a sync on the
   * older copy would take the new job for an unexpected one (client-go's mutation cache).
   */
  private readonly written = new Map<string, CJ>();

  /** The newer of the informer's copy and the one this controller last wrote. */
  private current(key: string): CJ | undefined {
    const cached = this.informers.cronjobs.get(key);
    const mine = this.written.get(key);
    if (!mine) return cached;
    if (!cached || Number(cached.metadata?.resourceVersion) >= Number(mine.metadata?.resourceVersion)) {
      this.written.delete(key);
      return cached;
    }
    return mine;
  }

  async sync(key: string): Promise<void> {
    const cached = this.current(key);
    if (!cached || cached.metadata?.deletionTimestamp) return;
    const cj = structuredClone(cached);
    const status = (cj.status ??= {});
    const before = JSON.stringify(status);
    const jobs = this.jobsOf(cj);
    await this.syncActive(cj, jobs);
    let requeue: number | undefined;
    try {
      requeue = await this.schedule(cj);
    } finally {
      if (JSON.stringify(status) !== before) this.written.set(key, await this.client.update<CJ>(CronJobs, cj.metadata!.namespace!, cj.metadata!.name!, cj, 'status'));
    }
    await this.cleanupFinished(cj, this.jobsOf(cj));
    if (requeue !== undefined) this.queue.addAfter(key, requeue);
  }

  /** Active list from the jobs: finished ones leave it, lastSuccessfulTime from succeeded ones, missing ones are dropped. */
  private async syncActive(cj: CJ, jobs: J[]): Promise<void> {
    const status = cj.status!;
    const inActive = (uid: string | undefined) => (status.active ?? []).some((r) => r.uid === uid);
    for (const j of jobs) {
      const found = inActive(j.metadata?.uid);
      if (!found && !isJobFinished(j)) {
        // Created by someone else (kubectl create job --from=cronjob/x), or just before a crash:
        // said, but not adopted, as syncCronJob: it does not count for the concurrency policy.
        this.event(cj, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${j.metadata!.name}`);
      } else if (found && isJobFinished(j)) {
        status.active = status.active!.filter((r) => r.uid !== j.metadata?.uid);
        const cond = isJobSucceeded(j) ? 'Complete' : 'Failed';
        this.event(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${j.metadata!.name}, condition: ${cond}`);
      }
      if (isJobSucceeded(j) && j.status?.completionTime && (!status.lastSuccessfulTime || Date.parse(j.status.completionTime) > Date.parse(status.lastSuccessfulTime))) {
        status.lastSuccessfulTime = j.status.completionTime;
      }
    }
    for (const ref of [...(status.active ?? [])]) {
      if (jobs.some((j) => j.metadata?.uid === ref.uid)) continue;
      // The informer may lag: ask the apiserver before dropping it.
      const live = await this.client.get<J>(Jobs, ref.namespace, ref.name!).catch((e) => {
        if (isNotFound(e)) return undefined;
        throw e;
      });
      if (live && live.metadata?.uid === ref.uid) continue;
      this.event(cj, 'Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
      status.active = status.active!.filter((r) => r.uid !== ref.uid);
    }
    if (status.active && !status.active.length) delete status.active;
  }

  /** Starts the job of the most recent missed time if due; returns when to look again (ms). */
  private async schedule(cj: CJ): Promise<number | undefined> {
    const spec = cj.spec ?? {};
    if (spec.suspend) return undefined;
    let sched: CronSchedule;
    try {
      sched = parseCronSchedule(spec.schedule ?? '', spec.timeZone ?? this.defaultZone);
    } catch (e) {
      this.event(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: ${JSON.stringify(spec.schedule)} : ${(e as Error).message}`);
      return undefined;
    }
    const now = this.now();
    const status = cj.status!;
    let earliest = Date.parse(status.lastScheduleTime ?? cj.metadata!.creationTimestamp!);
    if (spec.startingDeadlineSeconds != null) earliest = Math.max(earliest, now - spec.startingDeadlineSeconds * 1000);
    // A schedule that valid syntax never fires within five years (0 0 31 2 *: robfig's Next gives
    // the zero time) is an error to mostRecentScheduleTime: said on each sync, never scheduled.
    const first = sched.next(earliest);
    if (first === undefined || (first <= now && sched.next(first) === undefined)) {
      this.event(cj, 'Warning', 'InvalidSchedule', `invalid schedule: ${spec.schedule} : time difference between two schedules is less than 1 second`);
      return undefined;
    }
    const { time, missed } = mostRecentScheduleTime(sched, earliest, now);
    if (missed > MAX_MISSED) {
      // (1.32 says no count: mostRecentScheduleTime only tells none, few or many missed)
      this.event(cj, 'Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
    }
    const untilNext = () => {
      const next = sched.next(now);
      return next === undefined ? undefined : next - now + 100;
    };
    if (time === undefined) return untilNext();
    if (spec.startingDeadlineSeconds != null && time + spec.startingDeadlineSeconds * 1000 < now) {
      this.event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc3339(time)}`);
      return untilNext();
    }
    const name = jobNameFor(cj, time);
    if ((status.active ?? []).some((r) => r.name === name) || (status.lastScheduleTime && Date.parse(status.lastScheduleTime) === time)) return untilNext();
    if (spec.concurrencyPolicy === 'Forbid' && status.active?.length) {
      this.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return untilNext();
    }
    if (spec.concurrencyPolicy === 'Replace') {
      for (const ref of [...(status.active ?? [])]) {
        await this.deleteJob(cj, ref.name!, ref.uid);
        status.active = status.active!.filter((r) => r.uid !== ref.uid);
      }
    }
    let job: J;
    try {
      job = await this.client.create<J>(Jobs, cj.metadata!.namespace!, jobFromTemplate(cj, time));
      // (a job created here, not one found already made)
      creationSkew.observe((Date.parse(job.metadata?.creationTimestamp ?? '') - time) / 1000);
      this.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${name}`);
    } catch (e) {
      if (!(e instanceof StatusError && e.code === 409)) {
        this.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${(e as Error).message}`);
        throw e;
      }
      // Created before (a restart between create and status): ours if we control it.
      const existing = await this.client.get<J>(Jobs, cj.metadata!.namespace!, name);
      if (controllerOf(existing)?.uid !== cj.metadata!.uid) return untilNext();
      job = existing;
    }
    log.debug('created job', { cronjob: keyOf(cj), job: name });
    if (!(status.active ?? []).some((r) => r.uid === job.metadata?.uid)) status.active = [...(status.active ?? []), refTo(job)];
    status.lastScheduleTime = rfc3339(time);
    return untilNext();
  }

  private async deleteJob(cj: CJ, name: string, uid: string | undefined): Promise<void> {
    try {
      await this.client.delete(Jobs, cj.metadata!.namespace!, name, { propagationPolicy: 'Background', ...(uid ? { preconditions: { uid } } : {}) });
      this.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${name}`);
    } catch (e) {
      if (isNotFound(e)) return;
      this.event(cj, 'Warning', 'FailedDelete', `Deleted job: ${(e as Error).message}`);
      throw e;
    }
  }

  /** Finished jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit go, oldest start first. */
  private async cleanupFinished(cj: CJ, jobs: J[]): Promise<void> {
    const spec = cj.spec ?? {};
    const start = (j: J) => (j.status?.startTime ? Date.parse(j.status.startTime) : 0);
    const prune = async (list: J[], limit: number | undefined) => {
      if (limit == null) return;
      const sorted = list.filter((j) => !j.metadata?.deletionTimestamp).sort((a, b) => start(a) - start(b));
      for (const j of sorted.slice(0, Math.max(0, sorted.length - limit))) await this.deleteJob(cj, j.metadata!.name!, j.metadata!.uid);
    };
    const finished = jobs.filter(isJobFinished);
    await prune(finished.filter(isJobSucceeded), spec.successfulJobsHistoryLimit);
    await prune(finished.filter((j) => !isJobSucceeded(j)), spec.failedJobsHistoryLimit);
  }

  private event(cj: CJ, type: string, reason: string, message: string): void {
    const obj = { ...cj, apiVersion: 'batch/v1', kind: 'CronJob' };
    this.events.enqueue(() => recordEvent(this.client, obj, SOURCE, type, reason, message));
  }
}
