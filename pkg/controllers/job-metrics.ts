// The Job controller's metrics as kube-controller-manager 1.32 registers them
// (pkg/controller/job/metrics/metrics.go): each sync's duration and count by completion mode,
// result and action (syncJob's deferred record), the jobs that finish by result and their
// condition's reason (recordJobFinished), and the finished pods it has counted
// (recordJobPodsFinished).
import { Counter, Histogram } from 'prom-client';
import type { Job } from '../api/types.js';
import { parseIndexes } from '../api/job-indexes.js';
import { stable } from '../util/metric-help.js';

/** ExponentialBuckets(0.004, 2, 15): each bound the previous one times two. */
const SYNC_BUCKETS: number[] = [];
for (let i = 0, b = 0.004; i < 15; i++, b *= 2) SYNC_BUCKETS.push(b);

const syncDuration = new Histogram({ name: 'job_controller_job_sync_duration_seconds', help: stable('The time it took to sync a job'), labelNames: ['completion_mode', 'result', 'action'], buckets: SYNC_BUCKETS });
const syncs = new Counter({ name: 'job_controller_job_syncs_total', help: stable('The number of job syncs'), labelNames: ['completion_mode', 'result', 'action'] });
const jobsFinished = new Counter({ name: 'job_controller_jobs_finished_total', help: stable('The number of finished jobs'), labelNames: ['completion_mode', 'result', 'reason'] });
const podsFinished = new Counter({ name: 'job_controller_job_pods_finished_total', help: stable('The number of finished Pods that are fully tracked'), labelNames: ['completion_mode', 'result'] });

/** What a sync did (JobSyncAction*): waited for its creates and deletes, only tracked, created or deleted pods. */
export type JobSyncAction = 'reconciling' | 'tracking' | 'pods_created' | 'pods_deleted';

/** completionModeStr: the job's completion mode, NonIndexed when unset. */
export const completionModeOf = (job: Job): string => job.spec?.completionMode ?? 'NonIndexed';

export function recordJobSync(job: Job, ok: boolean, action: JobSyncAction, seconds: number): void {
  const l = { completion_mode: completionModeOf(job), result: ok ? 'success' : 'error', action };
  syncDuration.observe(l, seconds);
  syncs.inc(l);
}

/** recordJobFinished: a job's Complete (succeeded) or Failed condition written, by its reason. */
export function recordJobFinished(job: Job, condition: { type?: string; reason?: string }): void {
  jobsFinished.inc({ completion_mode: completionModeOf(job), result: condition.type === 'Complete' ? 'succeeded' : 'failed', reason: condition.reason ?? '' });
}

/**
 * recordJobPodsFinished: the pods counted by a status write, from the counters before it: the
 * succeeded ones by the completed indexes (within completions) for an Indexed job, else by
 * status.succeeded; the failed ones by status.failed.
 */
export function recordJobPodsFinished(job: Job, before: Job['status'], after: Job['status']): void {
  const mode = completionModeOf(job);
  let succeeded: number;
  if (mode === 'Indexed') {
    const completions = job.spec?.completions ?? 0;
    succeeded = before?.completedIndexes === after?.completedIndexes ? 0 : parseIndexes(after?.completedIndexes, completions).size - parseIndexes(before?.completedIndexes, completions).size;
  } else succeeded = (after?.succeeded ?? 0) - (before?.succeeded ?? 0);
  const failed = (after?.failed ?? 0) - (before?.failed ?? 0);
  // (Add(0) too, which makes the series; a negative step, a scaled-down Indexed job's, is not taken)
  if (succeeded >= 0) podsFinished.inc({ completion_mode: mode, result: 'succeeded' }, succeeded);
  if (failed >= 0) podsFinished.inc({ completion_mode: mode, result: 'failed' }, failed);
}
