// batch/v1 defaults (SetDefaults_Job, SetDefaults_CronJob) and the selector the server generates
// for a Job (generateSelector in Kubernetes' job strategy): pods carry the job's uid and name as
// labels and the Job selects its uid, so two Jobs never share pods.
import { defaultTemplate } from './defaults-apps.js';
import { embeddedObjectMeta } from './defaults.js';
import type { CronJob, Job } from './types.js';

export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const LEGACY_JOB_NAME_LABEL = 'job-name';

export function defaultJob(job: Job): Job {
  const spec = (job.spec ??= {});
  // A non-parallel job may leave both unset: both become 1.
  if (spec.completions == null && spec.parallelism == null) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  // (with a per-index limit, only the indexes' limits count unless a job-wide one is given)
  spec.backoffLimit ??= spec.backoffLimitPerIndex != null ? 2 ** 31 - 1 : 6;
  // A Job without labels takes its template's: the same map, as SetDefaults_Job's
  // `obj.Labels = labels`, so the labels generateJobSelector adds on create are the Job's too.
  const labels = spec.template?.metadata?.labels;
  const meta = (job.metadata ??= {});
  if (labels && !Object.keys(meta.labels ?? {}).length) meta.labels = labels;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  // (with a pod failure policy a pod is replaced only once it has failed: whether its failure
  // counts is known only then)
  spec.podReplacementPolicy ??= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  for (const rule of spec.podFailurePolicy?.rules ?? []) for (const c of rule.onPodConditions ?? []) if (!c.status) c.status = 'True';
  defaultTemplate(spec.template);
  return job;
}

/** On create, unless spec.manualSelector: the job's name and uid labels on the template (and the Job's, when it has none of its own), and a selector of its uid. */
export function generateJobSelector(job: Job): void {
  const spec = (job.spec ??= {});
  if (spec.manualSelector) {
    if (job.metadata?.labels && job.metadata.labels === spec.template?.metadata?.labels) job.metadata.labels = { ...job.metadata.labels };
    return;
  }
  const template = (spec.template ??= {});
  const tm = (template.metadata ??= {});
  const labels = (tm.labels ??= {});
  const meta = (job.metadata ??= {});
  const { name, uid } = meta;
  // A label the user set is kept; validation rejects it if it is wrong.
  for (const k of [LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL]) labels[k] ??= name ?? '';
  for (const k of [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL]) labels[k] ??= uid ?? '';
  // A Job without labels of its own serves its template's, the generated ones included (defaulting
  // on read copies them when the template had none); a copy from here on.
  if (meta.labels === labels || !Object.keys(meta.labels ?? {}).length) meta.labels = { ...labels };
  const selector = (spec.selector ??= {});
  const match = (selector.matchLabels ??= {});
  match[CONTROLLER_UID_LABEL] ??= uid ?? '';
}

export function defaultCronJob(cj: CronJob): CronJob {
  const spec = (cj.spec ??= {});
  spec.concurrencyPolicy ||= 'Allow';
  spec.suspend ??= false;
  spec.successfulJobsHistoryLimit ??= 3;
  spec.failedJobsHistoryLimit ??= 1;
  if (spec.jobTemplate) {
    embeddedObjectMeta(spec.jobTemplate);
    // (a JobTemplateSpec's spec and its pod template are structs too: always written)
    defaultTemplate((spec.jobTemplate.spec ??= {}).template ??= {});
  }
  return cj;
}
