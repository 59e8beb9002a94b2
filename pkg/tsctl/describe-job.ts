// tsctl describe for Jobs, as kubectl's JobDescriber writes them: selector, counts and limits,
// start and completion, the pods' statuses, the pod template, then the events; in tab-ended
// cells for ./tabwriter.ts.
import type { KubeObject } from '../api/types.js';
import { humanDuration } from '../apiserver/rest/table.js';
import { podTemplateLines, selectorString, tabbedField } from './describe-deployment.js';
import { annotationLines, labelLines } from './describe-meta.js';
import { rfc1123z } from './describe-pod.js';

export type Job = KubeObject & {
  spec?: { selector?: Parameters<typeof selectorString>[0]; parallelism?: number; completions?: number; completionMode?: string; suspend?: boolean; backoffLimit?: number; ttlSecondsAfterFinished?: number; activeDeadlineSeconds?: number; template?: Parameters<typeof podTemplateLines>[0] };
  status?: { startTime?: string; completionTime?: string; active?: number; ready?: number; succeeded?: number; failed?: number; completedIndexes?: string };
};

/** capIndexesListOrNone: the completed indexes cut after the first comma past 50 characters. */
function cappedIndexes(indexes: string | undefined, softLimit = 50): string {
  if (!indexes) return '<none>';
  const comma = indexes.indexOf(',', softLimit);
  return comma < 0 ? indexes : `${indexes.slice(0, comma + 1)}...`;
}

/** The lines of describe job up to its events, in tab-ended cells. */
export function describeJob(job: Job): string[] {
  const meta = job.metadata ?? {};
  const spec = job.spec ?? {};
  const st = job.status ?? {};
  const out = [`Name:\t${meta.name ?? ''}`, `Namespace:\t${meta.namespace ?? ''}`, `Selector:\t${selectorString(spec.selector)}`, ...tabbedField(labelLines('Labels', meta.labels)), ...tabbedField(annotationLines('Annotations', meta.annotations))];
  const owner = meta.ownerReferences?.find((o) => o.controller);
  if (owner) out.push(`Controlled By:\t${owner.kind}/${owner.name}`);
  if (spec.parallelism !== undefined) out.push(`Parallelism:\t${spec.parallelism}`);
  out.push(`Completions:\t${spec.completions ?? '<unset>'}`);
  if (spec.completionMode) out.push(`Completion Mode:\t${spec.completionMode}`);
  if (spec.suspend !== undefined) out.push(`Suspend:\t${spec.suspend}`);
  if (spec.backoffLimit !== undefined) out.push(`Backoff Limit:\t${spec.backoffLimit}`);
  if (spec.ttlSecondsAfterFinished !== undefined) out.push(`TTL Seconds After Finished:\t${spec.ttlSecondsAfterFinished}`);
  if (st.startTime) out.push(`Start Time:\t${rfc1123z(st.startTime)}`);
  if (st.completionTime) out.push(`Completed At:\t${rfc1123z(st.completionTime)}`);
  if (st.startTime && st.completionTime) out.push(`Duration:\t${humanDuration(Date.parse(st.completionTime) - Date.parse(st.startTime))}`);
  if (spec.activeDeadlineSeconds !== undefined) out.push(`Active Deadline Seconds:\t${spec.activeDeadlineSeconds}s`);
  const ready = st.ready === undefined ? '' : ` (${st.ready} Ready)`;
  out.push(`Pods Statuses:\t${st.active ?? 0} Active${ready} / ${st.succeeded ?? 0} Succeeded / ${st.failed ?? 0} Failed`);
  if (spec.completionMode === 'Indexed') out.push(`Completed Indexes:\t${cappedIndexes(st.completedIndexes)}`);
  out.push(...podTemplateLines(spec.template));
  return out;
}
