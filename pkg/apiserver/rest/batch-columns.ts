// The cells of `kubectl get jobs` and `kubectl get cronjobs` as Kubernetes' printers compute
// them (printJob, printCronJob): a job's STATUS from its conditions (1.32's: SuccessCriteriaMet
// still reads Running), COMPLETIONS, DURATION from
// start to completion (or now); a CronJob's time zone, suspend flag, active jobs, last schedule.
import type { CronJob, Job, JobCondition } from '../../api/types.js';

type Human = (ms: number) => string;

const hasCondition = (cs: JobCondition[] | undefined, type: string) => !!cs?.some((c) => c.type === type && c.status === 'True');

export function jobStatusCell(job: Job): string {
  const cs = job.status?.conditions;
  if (hasCondition(cs, 'Complete')) return 'Complete';
  if (hasCondition(cs, 'Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  if (hasCondition(cs, 'Suspended')) return 'Suspended';
  if (hasCondition(cs, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

export function jobCells(job: Job, now: number, human: Human): { status: string; completions: string; duration: string } {
  const spec = job.spec ?? {};
  const st = job.status ?? {};
  const succeeded = st.succeeded ?? 0;
  let completions: string;
  if (spec.completions != null) completions = `${succeeded}/${spec.completions}`;
  else completions = spec.parallelism != null && spec.parallelism > 1 ? `${succeeded}/1 of ${spec.parallelism}` : `${succeeded}/1`;
  let duration = '';
  if (st.startTime) duration = human((st.completionTime ? Date.parse(st.completionTime) : now) - Date.parse(st.startTime));
  return { status: jobStatusCell(job), completions, duration };
}

export function cronJobCells(cj: CronJob, now: number, human: Human): { timeZone: string; suspend: string; active: number; lastSchedule: string } {
  const spec = cj.spec ?? {};
  const last = cj.status?.lastScheduleTime;
  return {
    timeZone: spec.timeZone ?? '<none>',
    suspend: spec.suspend == null ? '<unset>' : spec.suspend ? 'True' : 'False',
    active: cj.status?.active?.length ?? 0,
    lastSchedule: last ? human(now - Date.parse(last)) : '<none>',
  };
}
