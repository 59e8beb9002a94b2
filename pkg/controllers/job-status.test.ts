import { describe, expect, it } from 'vitest';
import type { Job, KubeObject, Pod } from '../api/types.js';
import { formatIndexes, planJob, type PlanInput } from './job-status.js';

type P = Pod & KubeObject;
const T0 = Date.parse('2024-01-01T00:00:00Z');
let n = 0;
// (the pods carry the controller's tracking finalizer: not yet counted; `counted` is one whose finalizer is gone)
const TRACKING = ['batch.kubernetes.io/job-tracking'];
const counted = (p: P): P => ({ ...p, metadata: { ...p.metadata, finalizers: [] } });
function pod(phase: string, extra: { finishedAt?: number; deleting?: boolean; index?: number; ready?: boolean } = {}): P {
  return {
    metadata: { name: `p${++n}`, uid: `u${n}`, finalizers: TRACKING, ...(extra.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}), ...(extra.index !== undefined ? { annotations: { 'batch.kubernetes.io/job-completion-index': String(extra.index) } } : {}) },
    status: {
      phase,
      ...(extra.finishedAt ? { containerStatuses: [{ name: 'c', state: { terminated: { exitCode: 1, finishedAt: new Date(extra.finishedAt).toISOString() } } }] } : {}),
      ...(extra.ready ? { conditions: [{ type: 'Ready', status: 'True' }] } : {}),
    },
  } as P;
}
function job(spec: Job['spec'], status: Job['status'] = {}): Job & KubeObject {
  return { metadata: { name: 'j', namespace: 'default', uid: 'j1' }, spec: { completions: 1, parallelism: 1, backoffLimit: 6, completionMode: 'NonIndexed', ...spec }, status };
}
const plan = (j: Job & KubeObject, pods: P[], now = T0, extra: Partial<PlanInput> = {}) => planJob({ job: j, pods, now, backoff: { baseMs: 10_000, maxMs: 360_000 }, firstSeen: () => now, ...extra });
const types = (p: ReturnType<typeof plan>) => (p.status.conditions ?? []).filter((c) => c.status === 'True').map((c) => `${c.type}/${c.reason}`);

describe('job status arithmetic', () => {
  it('restartPolicy OnFailure: restarts summed over the running pods\' containers reach backoffLimit (pastBackoffLimitOnFailure)', () => {
    const restarting = (counts: number[], init: number[] = []): P => {
      const p = pod('Running');
      p.status!.containerStatuses = counts.map((r, i) => ({ name: `c${i}`, restartCount: r, ready: false, image: 'x', imageID: '' }));
      p.status!.initContainerStatuses = init.map((r, i) => ({ name: `i${i}`, restartCount: r, ready: true, image: 'x', imageID: '' }));
      return p;
    };
    const onFailure = (backoffLimit: number) => job({ backoffLimit, template: { spec: { restartPolicy: 'OnFailure', containers: [] } } });
    expect(types(plan(onFailure(1), [restarting([1])]))).toContain('FailureTarget/BackoffLimitExceeded');
    expect(types(plan(onFailure(3), [restarting([1, 1], [1])]))).toContain('FailureTarget/BackoffLimitExceeded');
    expect(types(plan(onFailure(3), [restarting([1, 1])]))).not.toContain('FailureTarget/BackoffLimitExceeded');
    // (a limit of 0: any restart)
    expect(types(plan(onFailure(0), [restarting([1])]))).toContain('FailureTarget/BackoffLimitExceeded');
    expect(types(plan(onFailure(0), [restarting([0])]))).not.toContain('FailureTarget/BackoffLimitExceeded');
  });

  it('starts parallelism pods while completions remain, and sets startTime', () => {
    const p = plan(job({ completions: 5, parallelism: 2 }), []);
    expect(p.create).toHaveLength(2);
    expect(p.status).toMatchObject({ startTime: '2024-01-01T00:00:00Z', active: 2, ready: 0, terminating: 0 });
    // (the counts are omitempty in Go: zero is left out; ready and terminating are pointers, always there)
    expect(p.status).not.toHaveProperty('succeeded');
    expect(p.status).not.toHaveProperty('failed');
    // 4 succeeded, 2 running: the one still needed runs; one is deleted.
    const q = plan(job({ completions: 5, parallelism: 2 }), [pod('Succeeded'), pod('Succeeded'), pod('Succeeded'), pod('Succeeded'), pod('Running', { ready: true }), pod('Pending')]);
    expect(q.create).toHaveLength(0);
    expect(q.delete.map((x) => x.status?.phase)).toEqual(['Pending']);
    expect(q.status).toMatchObject({ succeeded: 4, active: 1, ready: 1 });
  });

  it('SuccessCriteriaMet, then Complete with completionTime once no pod runs', () => {
    const p = plan(job({}), [pod('Succeeded')]);
    expect(types(p)).toEqual(['SuccessCriteriaMet/CompletionsReached', 'Complete/CompletionsReached']);
    expect(p.status).toMatchObject({ succeeded: 1, completionTime: '2024-01-01T00:00:00Z' });
    expect(p.status.active).toBeUndefined();
    expect(p.events.map((e) => e.reason)).toEqual(['Completed']);
    // A work-queue job (no completions): done when one succeeded and the rest finished.
    const wq = job({ completions: undefined, parallelism: 3 });
    const running = plan(wq, [pod('Succeeded'), pod('Running'), pod('Pending')]);
    expect(running.create).toEqual([]);
    // (the pods still running are left to finish, as manageJob's wantActive = active)
    expect(running.delete).toEqual([]);
    expect(running.status).toMatchObject({ active: 2 });
    expect(types(running)).toEqual([]);
    expect(types(plan(wq, [pod('Succeeded'), pod('Succeeded')]))).toContain('Complete/CompletionsReached');
  });

  it('waits 10 s doubling after failures before a new pod, then fails past backoffLimit', () => {
    const j = job({ backoffLimit: 2 });
    const f1 = pod('Failed', { finishedAt: T0 });
    expect(plan(j, [f1], T0 + 5000)).toMatchObject({ create: [], requeueAfterMs: 5000 });
    expect(plan(j, [f1], T0 + 10_000).create).toHaveLength(1);
    const f2 = pod('Failed', { finishedAt: T0 + 12_000 });
    // Two failures since the last success: 20 s after the second.
    expect(plan(j, [f1, f2], T0 + 31_000)).toMatchObject({ create: [], requeueAfterMs: 1000 });
    const f3 = pod('Failed', { finishedAt: T0 + 40_000 });
    const failed = plan(j, [f1, f2, f3], T0 + 41_000);
    expect(types(failed)).toEqual(['FailureTarget/BackoffLimitExceeded', 'Failed/BackoffLimitExceeded']);
    expect(failed.status).toMatchObject({ failed: 3 });
    expect(failed.status.active).toBeUndefined();
    expect(failed.status.completionTime).toBeUndefined();
    expect(failed.events).toEqual([{ type: 'Warning', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', finish: true }]);
    // each failed pod is counted once: its uid is written to uncountedTerminatedPods, its finalizer removed, then it is counted
    expect(failed.interim).toMatchObject({ uncountedTerminatedPods: { failed: [f1, f2, f3].map((p) => p.metadata!.uid) } });
    expect(failed.interim.failed).toBeUndefined();
    expect(failed.removeFinalizers).toEqual([f1, f2, f3]);
    expect(failed.status.uncountedTerminatedPods).toEqual({});
    // counted ones are not counted again; the failed ones that are not tracked still make the backoff
    const later = plan(job({ backoffLimit: 5 }, { failed: 2 }), [counted(f1), counted(f2), f3], T0 + 41_000);
    expect(later.status).toMatchObject({ failed: 3 });
    expect(later).toMatchObject({ create: [], requeueAfterMs: 39_000 });
    // a pod force-deleted before it ended stays, by its finalizer, until it is counted as failed
    const forced = { ...pod('Running', { deleting: true }), metadata: { ...pod('Running', { deleting: true }).metadata, deletionGracePeriodSeconds: 0 } } as P;
    expect(plan(job({ backoffLimit: 0 }), [forced]).status).toMatchObject({ failed: 1 });
  });

  it('the backoff is capped at 6 minutes', () => {
    const fails = Array.from({ length: 8 }, (_, i) => pod('Failed', { finishedAt: T0 + i }));
    expect(plan(job({ backoffLimit: 100 }), fails, T0 + 10).requeueAfterMs).toBe(360_000 + 7 - 10);
  });

  it('activeDeadlineSeconds: FailureTarget, the active pods deleted and counted failed, Failed once they are gone', () => {
    const j = job({ activeDeadlineSeconds: 30 }, { startTime: '2024-01-01T00:00:00Z' });
    expect(plan(j, [pod('Running')], T0 + 10_000).requeueAfterMs).toBe(20_000);
    const p = plan(j, [pod('Running')], T0 + 30_000);
    expect(types(p)).toEqual(['FailureTarget/DeadlineExceeded']);
    expect(p.delete).toHaveLength(1);
    expect(p.status).toMatchObject({ failed: 1, terminating: 1 });
    expect(p.status.active).toBeUndefined();
    const after = plan({ ...j, status: p.status }, [], T0 + 31_000);
    expect(types(after)).toEqual(['FailureTarget/DeadlineExceeded', 'Failed/DeadlineExceeded']);
  });

  it('suspend deletes the active pods; resuming restarts the clock', () => {
    const s = plan(job({ suspend: true }), [pod('Running')]);
    expect(types(s)).toEqual(['Suspended/JobSuspended']);
    expect(s.delete).toHaveLength(1);
    const r = plan(job({ suspend: false }, s.status), [], T0 + 60_000);
    expect(r.status.conditions?.find((c) => c.type === 'Suspended')).toMatchObject({ status: 'False', reason: 'JobResumed' });
    expect(r.status.startTime).toBe('2024-01-01T00:01:00Z');
    expect(r.create).toHaveLength(1);
  });

  it('Indexed: one pod per missing index, completedIndexes from succeeded pods', () => {
    const j = job({ completionMode: 'Indexed', completions: 5, parallelism: 3 });
    const p = plan(j, [pod('Succeeded', { index: 0 }), pod('Running', { index: 2 }), pod('Succeeded', { index: 3 })]);
    expect(p.create).toEqual([1, 4]);
    expect(p.status).toMatchObject({ succeeded: 2, completedIndexes: '0,3' });
    expect(formatIndexes([7, 1, 2, 3, 5])).toBe('1-3,5,7');
    // (a pair is written as two indexes, as the controller's orderedIntervals.String does)
    expect(formatIndexes([4, 5, 9])).toBe('4,5,9');
  });
});

describe('pod failure policy', () => {
  const failedWith = (name: string, exitCode: number, conditions: { type: string; status: string }[] = [], init = false) => {
    const cs = [{ name, state: { terminated: { exitCode, finishedAt: new Date(T0).toISOString() } } }];
    return { metadata: { name: `f${++n}`, namespace: 'default', uid: `f${n}`, finalizers: TRACKING }, status: { phase: 'Failed', conditions, ...(init ? { initContainerStatuses: cs, containerStatuses: [{ name: 'main', state: { waiting: { reason: 'PodInitializing' } } }] } : { containerStatuses: cs }) } } as P;
  };
  const pfp = {
    rules: [
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
      { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } },
      { action: 'Count', onExitCodes: { operator: 'NotIn', values: [7] } },
      { action: 'Ignore', onExitCodes: { operator: 'In', values: [7] } },
    ],
  };

  it('FailJob: the job fails at once, with the kubelet-style message naming the container, pod, code and rule', () => {
    const j = job({ completions: 3, parallelism: 2, backoffLimit: 6, podFailurePolicy: pfp, podReplacementPolicy: 'Failed' });
    const running = pod('Running');
    const p = plan(j, [failedWith('main', 42), running]);
    expect(types(p)).toEqual(['FailureTarget/PodFailurePolicy']);
    expect(p.status.conditions?.[0]?.message).toMatch(/^Container main for pod default\/f\d+ failed with exit code 42 matching FailJob rule at index 1$/);
    expect(p.delete).toEqual([running]);
    // Failed once the running pod is gone, with a Warning event of the same reason.
    const after = plan(job({ ...j.spec }, p.status), [counted(failedWith('main', 42))]);
    expect(types(after)).toEqual(['FailureTarget/PodFailurePolicy', 'Failed/PodFailurePolicy']);
    expect(after.events[0]).toMatchObject({ type: 'Warning', reason: 'PodFailurePolicy' });
  });

  it('Ignore: a disrupted pod or an ignored exit code is not counted and is replaced; Count and unmatched failures count', () => {
    const j = job({ completions: 1, parallelism: 1, backoffLimit: 0, podFailurePolicy: pfp, podReplacementPolicy: 'Failed' });
    const ignored = plan(j, [failedWith('main', 137, [{ type: 'DisruptionTarget', status: 'True' }]), failedWith('side', 7)], T0 + 60_000);
    expect(types(ignored)).toEqual([]);
    expect(ignored.status.failed).toBeUndefined();
    expect(ignored.create).toHaveLength(1);
    // (a container that exited 42 is not 'main': the FailJob rule does not match; Count does)
    const counted = plan(j, [failedWith('side', 42)], T0 + 60_000);
    expect(types(counted)).toEqual(['FailureTarget/BackoffLimitExceeded', 'Failed/BackoffLimitExceeded']);
    expect(counted.status.failed).toBe(1);
    // init containers are looked at after the app containers
    expect(types(plan(j, [failedWith('main', 42, [], true)]))).toEqual(['FailureTarget/PodFailurePolicy', 'Failed/PodFailurePolicy']);
  });

  it('a job that met its success criteria is not failed by a pod that fails afterwards', () => {
    const j = job({ completions: 1, parallelism: 2, podFailurePolicy: pfp, podReplacementPolicy: 'Failed' });
    const met = plan(j, [pod('Succeeded'), pod('Running')]);
    expect(types(met)).toEqual(['SuccessCriteriaMet/CompletionsReached']);
    const after = plan(job({ ...j.spec }, met.status), [counted(pod('Succeeded')), failedWith('main', 42)]);
    expect(types(after)).toEqual(['SuccessCriteriaMet/CompletionsReached', 'Complete/CompletionsReached']);
    expect(after.status).toMatchObject({ succeeded: 1, failed: 1 });
  });

  it('podReplacementPolicy Failed: a pod being deleted is replaced only once it has ended', () => {
    const deleting = pod('Running', { deleting: true });
    expect(plan(job({ podReplacementPolicy: 'Failed' }), [deleting]).create).toHaveLength(0);
    expect(plan(job({ podReplacementPolicy: 'Failed' }), [deleting]).removeFinalizers).toEqual([]);
    // (its deletion final, as the node agent makes it once the pod is torn down: it ended, failed)
    const ended = { ...deleting, metadata: { ...deleting.metadata, deletionGracePeriodSeconds: 0 } } as P;
    expect(plan(job({ podReplacementPolicy: 'Failed' }), [ended])).toMatchObject({ removeFinalizers: [ended], status: { failed: 1, terminating: 0 } });
    // TerminatingOrFailed: a pod deleted before it ended is a failure (isPodFailed), replaced after the backoff
    const tof = plan(job({ podReplacementPolicy: 'TerminatingOrFailed' }), [deleting]);
    expect(tof).toMatchObject({ create: [], requeueAfterMs: 10_000, status: { failed: 1, terminating: 1 } });
    expect(plan(job({ podReplacementPolicy: 'TerminatingOrFailed' }), [deleting], T0 + 10_000).create).toHaveLength(1);
    // one the controller stopped itself is not: it removed the finalizer before deleting it
    const stopped = plan(job({ podReplacementPolicy: 'TerminatingOrFailed' }), [counted(deleting)], T0);
    expect(stopped.create).toEqual([undefined]);
    expect(stopped.status.failed).toBeUndefined();
    const idx = pod('Running', { deleting: true, index: 0 });
    expect(plan(job({ completions: 2, parallelism: 2, completionMode: 'Indexed', podReplacementPolicy: 'Failed' }), [idx]).create).toEqual([1]);
  });
});

describe('backoffLimitPerIndex', () => {
  const counts = (failures: number, ignored = 0) => ({ 'batch.kubernetes.io/job-index-failure-count': String(failures), ...(ignored ? { 'batch.kubernetes.io/job-index-ignored-failure-count': String(ignored) } : {}) });
  const idxPod = (phase: string, index: number, annotations: Record<string, string>, finishedAt?: number, exitCode = 1) =>
    ({
      metadata: { name: `i${++n}`, namespace: 'default', uid: `i${n}`, finalizers: TRACKING, annotations: { 'batch.kubernetes.io/job-completion-index': String(index), ...annotations } },
      status: { phase, ...(finishedAt !== undefined ? { containerStatuses: [{ name: 'main', state: { terminated: { exitCode, finishedAt: new Date(finishedAt).toISOString() } } }] } : {}) },
    }) as P;
  const spec = { completionMode: 'Indexed', completions: 3, parallelism: 3, backoffLimit: 2 ** 31 - 1, backoffLimitPerIndex: 1 };

  it('a new index pod carries failure count 0; a failed index waits its own backoff and its replacement counts one more', () => {
    const first = plan(job(spec), []);
    expect(first.create).toEqual([0, 1, 2]);
    expect(first.indexAnnotations?.get(1)).toEqual(counts(0));
    expect(first.status.failedIndexes).toBe('');
    const f = idxPod('Failed', 1, counts(0), T0);
    const others = [idxPod('Running', 0, counts(0)), idxPod('Running', 2, counts(0))];
    // 10 s after the index's first failure, not before; the other indexes do not wait
    expect(plan(job(spec), [f, ...others], T0 + 4000)).toMatchObject({ create: [], requeueAfterMs: 6000 });
    const again = plan(job(spec), [f, ...others], T0 + 10_000);
    expect(again.create).toEqual([1]);
    expect(again.indexAnnotations?.get(1)).toEqual(counts(1));
    // the index's failed pod keeps its finalizer until its replacement exists (getPodsWithDelayedDeletionPerIndex), then is counted
    expect(again.removeFinalizers).toEqual([]);
    expect(again.status).toMatchObject({ failedIndexes: '' });
    expect(again.status.failed).toBeUndefined();
    const replaced = plan(job(spec), [f, idxPod('Pending', 1, counts(1)), ...others], T0 + 10_000);
    expect(replaced.removeFinalizers).toEqual([f]);
    expect(replaced.status).toMatchObject({ failed: 1, failedIndexes: '' });
  });

  it('an index past its limit fails; the job fails with FailedIndexes once every index ended, or MaxFailedIndexesExceeded at once', () => {
    const f0 = idxPod('Failed', 1, counts(0), T0);
    const f1 = idxPod('Failed', 1, counts(1), T0 + 20_000);
    const running = [idxPod('Running', 0, counts(0)), idxPod('Running', 2, counts(0))];
    const p = plan(job(spec), [f0, f1, ...running], T0 + 60_000);
    expect(p.create).toEqual([]);
    expect(p.status).toMatchObject({ failed: 2, failedIndexes: '1', active: 2 });
    expect(types(p)).toEqual([]);
    const done = plan(job(spec), [f0, f1, idxPod('Succeeded', 0, counts(0)), idxPod('Succeeded', 2, counts(0))], T0 + 60_000);
    expect(types(done)).toEqual(['FailureTarget/FailedIndexes', 'Failed/FailedIndexes']);
    expect(done.status).toMatchObject({ completedIndexes: '0,2', failedIndexes: '1', succeeded: 2 });
    expect(done.status.conditions?.[0]?.message).toBe('Job has failed indexes');
    const max = plan(job({ ...spec, maxFailedIndexes: 0 }), [f0, f1, ...running], T0 + 60_000);
    expect(types(max)).toEqual(['FailureTarget/MaxFailedIndexesExceeded']);
    expect(max.delete).toHaveLength(2);
    expect(max.status.conditions?.[0]?.message).toBe('Job has exceeded the specified maximal number of failed indexes');
  });

  it('FailIndex fails the index at once; Ignore keeps it and counts the failure as ignored', () => {
    const pfp = { rules: [{ action: 'FailIndex', onExitCodes: { operator: 'In', values: [42] } }, { action: 'Ignore', onExitCodes: { operator: 'In', values: [7] } }] };
    const s2 = { ...spec, podFailurePolicy: pfp, podReplacementPolicy: 'Failed' };
    const failIndex = plan(job(s2), [idxPod('Failed', 0, counts(0), T0, 42)], T0 + 60_000);
    expect(failIndex.status.failedIndexes).toBe('0');
    expect(failIndex.create).toEqual([1, 2]);
    const ignored = plan(job(s2), [idxPod('Failed', 0, counts(0), T0, 7)], T0 + 60_000);
    expect(ignored.status).toMatchObject({ failedIndexes: '' });
    expect(ignored.status.failed).toBeUndefined();
    expect(ignored.indexAnnotations?.get(0)).toEqual(counts(0, 1));
  });
});

describe('pods the job stopped', () => {
  it('do not count as failed, nor fail their index, once the job is ending', () => {
    const spec = { completionMode: 'Indexed', completions: 3, parallelism: 3, backoffLimit: 2 ** 31 - 1, backoffLimitPerIndex: 0, successPolicy: { rules: [{ succeededIndexes: '0' }] } };
    const idx = (phase: string, index: number, deleting = false) => pod(phase, { index, deleting, finishedAt: T0 });
    const met = plan(job(spec), [idx('Succeeded', 0), idx('Running', 1), idx('Running', 2)]);
    expect(met.delete).toHaveLength(2);
    // (deleted keeping their finalizers, which go in the same sync, uncounted)
    expect(met.removeFinalizers).toHaveLength(3);
    expect(met.status.failed).toBeUndefined();
    const after = plan(job(spec, met.status), [idx('Succeeded', 0), idx('Failed', 1, true), idx('Failed', 2, true)].map(counted));
    expect(types(after)).toEqual(['SuccessCriteriaMet/SuccessPolicy', 'Complete/SuccessPolicy']);
    expect(after.status).toMatchObject({ failedIndexes: '', completedIndexes: '0' });
    expect(after.status.failed).toBeUndefined();
  });
});

describe('successPolicy', () => {
  const ix = (phase: string, index: number) => pod(phase, { index });
  it('a rule met ends the job with reason SuccessPolicy before every index succeeded; running pods are stopped first', () => {
    const j = job({ completionMode: 'Indexed', completions: 4, parallelism: 4, successPolicy: { rules: [{ succeededIndexes: '0-1', succeededCount: 2 }, { succeededCount: 3 }] } });
    expect(types(plan(j, [ix('Succeeded', 0), ix('Running', 1), ix('Running', 2), ix('Running', 3)]))).toEqual([]);
    const met = plan(j, [ix('Succeeded', 0), ix('Succeeded', 1), ix('Running', 2), ix('Running', 3)]);
    expect(types(met)).toEqual(['SuccessCriteriaMet/SuccessPolicy']);
    expect(met.status.conditions?.[0]?.message).toBe('Matched rules at index 0');
    expect(met.delete).toHaveLength(2);
    const done = plan(job({ ...j.spec }, met.status), [ix('Succeeded', 0), ix('Succeeded', 1)]);
    expect(types(done)).toEqual(['SuccessCriteriaMet/SuccessPolicy', 'Complete/SuccessPolicy']);
    expect(done.status.completionTime).toBeDefined();
    // the count-only rule: any three indexes
    const three = plan(j, [ix('Succeeded', 1), ix('Succeeded', 2), ix('Succeeded', 3), ix('Running', 0)]);
    expect(three.status.conditions?.[0]?.message).toBe('Matched rules at index 1');
  });
});
