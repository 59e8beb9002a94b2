// tsctl describe for CronJobs, as kubectl 1.32's CronJobDescriber writes them: schedule and
// policies (`<unset>` for a limit not set), the job template (describeJobTemplate) with its pod
// template, the last schedule time and the active jobs, then the events; in tab-ended cells
// for ./tabwriter.ts.
import type { KubeObject } from '../api/types.js';
import { podTemplateLines, selectorString, tabbedField } from './describe-deployment.js';
import { annotationLines, labelLines } from './describe-meta.js';
import { rfc1123z } from './describe-pod.js';

export type CronJob = KubeObject & {
  spec?: {
    schedule?: string;
    concurrencyPolicy?: string;
    suspend?: boolean;
    successfulJobsHistoryLimit?: number;
    failedJobsHistoryLimit?: number;
    startingDeadlineSeconds?: number;
    jobTemplate?: { spec?: { selector?: Parameters<typeof selectorString>[0]; parallelism?: number; completions?: number; activeDeadlineSeconds?: number; template?: Parameters<typeof podTemplateLines>[0] } };
  };
  status?: { lastScheduleTime?: string; active?: { name?: string }[] };
};

const orUnset = (v: number | undefined, unit = '') => (v === undefined ? '<unset>' : `${v}${unit}`);

/** The lines of describe cronjob up to its events. */
export function describeCronJob(cj: CronJob): string[] {
  const meta = cj.metadata ?? {};
  const spec = cj.spec ?? {};
  const job = spec.jobTemplate?.spec ?? {};
  const out = [`Name:\t${meta.name ?? ''}`, `Namespace:\t${meta.namespace ?? ''}`, ...tabbedField(labelLines('Labels', meta.labels)), ...tabbedField(annotationLines('Annotations', meta.annotations))];
  out.push(`Schedule:\t${spec.schedule ?? ''}`, `Concurrency Policy:\t${spec.concurrencyPolicy ?? ''}`);
  // (printBoolPtr: True, False or <unset>)
  out.push(`Suspend:\t${spec.suspend === undefined ? '<unset>' : spec.suspend ? 'True' : 'False'}`);
  // (1.32's describer has no Time Zone line; later kubectl added one)
  out.push(`Successful Job History Limit:\t${orUnset(spec.successfulJobsHistoryLimit)}`, `Failed Job History Limit:\t${orUnset(spec.failedJobsHistoryLimit)}`);
  out.push(`Starting Deadline Seconds:\t${orUnset(spec.startingDeadlineSeconds, 's')}`);
  // (describeJobTemplate)
  out.push(`Selector:\t${job.selector ? selectorString(job.selector) : '<unset>'}`, `Parallelism:\t${orUnset(job.parallelism)}`, `Completions:\t${orUnset(job.completions)}`);
  if (job.activeDeadlineSeconds !== undefined) out.push(`Active Deadline Seconds:\t${job.activeDeadlineSeconds}s`);
  out.push(...podTemplateLines(job.template));
  out.push(`Last Schedule Time:\t${cj.status?.lastScheduleTime ? rfc1123z(cj.status.lastScheduleTime) : '<unset>'}`);
  const active = cj.status?.active ?? [];
  out.push(`Active Jobs:\t${active.length ? active.map((j) => j.name ?? '').join(', ') : '<none>'}`);
  return out;
}
