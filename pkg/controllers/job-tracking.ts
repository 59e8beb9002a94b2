// How the Job controller tracks its pods with the batch.kubernetes.io/job-tracking finalizer
// (Kubernetes 1.32's job controller, trackJobStatusAndRemoveFinalizers): which pods count as
// failed, and the move of uids from status.uncountedTerminatedPods into the counts once their
// pods' finalizers are gone.
import { omitZero } from '../api/omitempty.js';
import type { JobStatus, KubeObject, Pod } from '../api/types.js';

type P = Pod & KubeObject;

/** batch.JobTrackingFinalizer: on every pod the controller makes; a pod that has it is not yet counted. */
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const hasTrackingFinalizer = (p: KubeObject) => !!p.metadata?.finalizers?.includes(JOB_TRACKING_FINALIZER);

/**
 * isPodFailed: a pod that failed, or, unless only failed pods are replaced, one deleted before it
 * succeeded (an orphan may never reach Failed). Where only failed pods are replaced, a pod whose
 * deletion is final (deletionGracePeriodSeconds 0: torn down by its node agent, force-deleted,
 * or never scheduled) counts as failed too: the kubelet and the pod GC (gcUnscheduledTerminating)
 * set such a pod Failed before it goes, and our node agent does not, so it would keep its
 * finalizer for ever.
 */
export function isPodFailed(p: P, onlyReplaceFailed: boolean): boolean {
  const phase = p.status?.phase;
  if (phase === 'Failed') return true;
  if (!p.metadata?.deletionTimestamp || phase === 'Succeeded') return false;
  return !onlyReplaceFailed || p.metadata.deletionGracePeriodSeconds === 0;
}

/**
 * cleanUncountedPodsWithoutFinalizers: the uids of uncountedTerminatedPods whose pod no longer
 * has its finalizer (not in `keepsFinalizer`) move into succeeded and failed.
 */
export function settleUncounted(status: JobStatus, keepsFinalizer: Set<string>): JobStatus {
  const u = status.uncountedTerminatedPods ?? {};
  const succeeded = (u.succeeded ?? []).filter((x) => keepsFinalizer.has(x));
  const failed = (u.failed ?? []).filter((x) => keepsFinalizer.has(x));
  const out: JobStatus = {
    ...status,
    succeeded: (status.succeeded ?? 0) + (u.succeeded?.length ?? 0) - succeeded.length,
    failed: (status.failed ?? 0) + (u.failed?.length ?? 0) - failed.length,
    uncountedTerminatedPods: { ...(succeeded.length ? { succeeded } : {}), ...(failed.length ? { failed } : {}) },
  };
  return omitZero(out, ['succeeded', 'failed']);
}
