// The Job controller against a real apiserver+etcd+controller manager: pods are ended through
// the status subresource as a node agent would (no containers run). Completion, the backoff
// limit, the active deadline, suspend, Indexed jobs, the TTL after finishing, and the garbage
// collector taking a deleted job's pods.
import { register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatusError, Events, Jobs, Pods } from '../../pkg/client/rest-client.js';
import { eventually, sleep, type TestControlPlane } from '../helpers/control-plane.js';
import { finishPod, job, startWithControllers } from '../helpers/workloads.js';

let cp: TestControlPlane;
let env: Awaited<ReturnType<typeof startWithControllers>> | undefined;

beforeAll(async () => {
  // A short pod-failure backoff so a failing job fails in a second.
  env = await startWithControllers('rest', { jobBackoff: { baseMs: 200, maxMs: 1000 } });
  cp = env.cp;
});
afterAll(async () => {
  await env?.stop();
});

type Cond = { type: string; status: string; reason?: string };
const podsOf = async (name: string) => (await cp.admin.list(Pods, 'default', { labelSelector: `batch.kubernetes.io/job-name=${name}` })).items;
const livePods = async (name: string) => (await podsOf(name)).filter((p) => !p.metadata?.deletionTimestamp && !['Succeeded', 'Failed'].includes((p.status as { phase?: string }).phase ?? ''));
const TRACKING = 'batch.kubernetes.io/job-tracking';
const getJob = (name: string) => cp.admin.get(Jobs, 'default', name);
const conditions = async (name: string) => (((await getJob(name)).status as { conditions?: Cond[] }).conditions ?? []).filter((c) => c.status === 'True').map((c) => `${c.type}/${c.reason}`);
const reasons = async (name: string) => (await cp.admin.list(Events, 'default', { fieldSelector: `involvedObject.name=${name}` })).items.map((e) => String(e.reason));

/** Ends each live pod of the job as it appears, until `until` holds. */
async function finishAll(name: string, phase: 'Succeeded' | 'Failed', until: () => Promise<boolean>): Promise<void> {
  await eventually(async () => {
    for (const p of await livePods(name)) await finishPod(cp.admin, p, phase).catch(() => undefined);
    return until();
  }, { timeoutMs: 20_000 });
}

/** A series' value on the controller manager's /metrics (it runs in this process), 0 before it exists. */
const metric = async (series: string) => {
  const line = (await register.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
};

describe('Job controller', () => {
  it('runs pods to completion: generated selector and labels, parallelism, status, Complete, events', async () => {
    const created = await cp.admin.create(Jobs, 'default', job('pi', { completions: 3, parallelism: 2 }));
    const uid = created.metadata!.uid!;
    expect((created.spec as { selector: unknown }).selector).toEqual({ matchLabels: { 'batch.kubernetes.io/controller-uid': uid } });
    const first = await eventually(async () => ((await livePods('pi')).length === 2 ? livePods('pi') : undefined));
    await sleep(300);
    expect(await livePods('pi')).toHaveLength(2);
    for (const p of first) {
      expect(p.metadata?.name).toMatch(/^pi-[a-z0-9]{5}$/);
      expect(p.metadata?.labels).toMatchObject({ 'job-name': 'pi', 'controller-uid': uid, 'batch.kubernetes.io/job-name': 'pi', 'batch.kubernetes.io/controller-uid': uid });
      expect(p.metadata?.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid, controller: true, blockOwnerDeletion: true }]);
    }
    expect((await getJob('pi')).status).toMatchObject({ active: 2 });
    await finishAll('pi', 'Succeeded', async () => (await conditions('pi')).includes('Complete/CompletionsReached'));
    const st = (await getJob('pi')).status as Record<string, unknown>;
    // (zero counts are left out, as Go's omitempty; ready is a pointer, always there)
    expect(st).toMatchObject({ succeeded: 3, ready: 0 });
    expect(st).not.toHaveProperty('active');
    expect(st).not.toHaveProperty('failed');
    expect(Date.parse(st.completionTime as string)).toBeGreaterThanOrEqual(Date.parse(st.startTime as string));
    expect(await conditions('pi')).toEqual(['SuccessCriteriaMet/CompletionsReached', 'Complete/CompletionsReached']);
    expect((await podsOf('pi')).length).toBe(3);
    const evs = await eventually(async () => {
      const r = await reasons('pi');
      return r.filter((x) => x === 'SuccessfulCreate').length === 3 && r.includes('Completed') ? r : undefined;
    });
    expect(evs.filter((x) => x === 'SuccessfulCreate')).toHaveLength(3);
  });

  it('a job whose pods fail is Failed with BackoffLimitExceeded after backoffLimit+1 pods, no more created', async () => {
    await cp.admin.create(Jobs, 'default', job('bad', { backoffLimit: 1 }));
    await finishAll('bad', 'Failed', async () => (await conditions('bad')).includes('Failed/BackoffLimitExceeded'));
    expect(await conditions('bad')).toEqual(['FailureTarget/BackoffLimitExceeded', 'Failed/BackoffLimitExceeded']);
    expect((await getJob('bad')).status).toMatchObject({ failed: 2 });
    await sleep(1500);
    expect(await podsOf('bad')).toHaveLength(2);
    await eventually(async () => (await reasons('bad')).includes('BackoffLimitExceeded'));
  });

  it("counts its syncs, the pods it tracked to the end and the jobs that finished, as 1.32's job controller metrics", async () => {
    const nonIndexed = (l: string) => `{completion_mode="NonIndexed",${l}}`;
    const podsDone = (result: string) => metric(`job_controller_job_pods_finished_total${nonIndexed(`result="${result}"`)}`);
    const jobsDone = (result: string, reason: string) => metric(`job_controller_jobs_finished_total${nonIndexed(`result="${result}",reason="${reason}"`)}`);
    const created = () => metric(`job_controller_job_syncs_total${nonIndexed('result="success",action="pods_created"')}`);
    const before = { succeeded: await podsDone('succeeded'), failed: await podsDone('failed'), complete: await jobsDone('succeeded', 'CompletionsReached'), backoff: await jobsDone('failed', 'BackoffLimitExceeded'), created: await created() };
    await cp.admin.create(Jobs, 'default', job('counted', { completions: 2, parallelism: 2 }));
    await finishAll('counted', 'Succeeded', async () => (await conditions('counted')).includes('Complete/CompletionsReached'));
    await cp.admin.create(Jobs, 'default', job('counted-bad', { backoffLimit: 0 }));
    await finishAll('counted-bad', 'Failed', async () => (await conditions('counted-bad')).includes('Failed/BackoffLimitExceeded'));
    // (recorded as the controller's status write returns: the condition may be read a moment before)
    await eventually(async () => (await jobsDone('failed', 'BackoffLimitExceeded')) > before.backoff, { timeoutMs: 3000, what: 'the failed job counted' });
    expect(await podsDone('succeeded')).toBe(before.succeeded + 2);
    expect(await podsDone('failed')).toBe(before.failed + 1);
    expect(await jobsDone('succeeded', 'CompletionsReached')).toBe(before.complete + 1);
    expect(await jobsDone('failed', 'BackoffLimitExceeded')).toBe(before.backoff + 1);
    expect(await created()).toBeGreaterThanOrEqual(before.created + 2);
    expect(await metric(`job_controller_job_sync_duration_seconds_count${nonIndexed('result="success",action="pods_created"')}`)).toBe(await created());
    expect(await register.metrics()).toContain('# HELP job_controller_job_syncs_total [STABLE] The number of job syncs\n');
  });

  it('activeDeadlineSeconds: the running pod is deleted and the job fails with DeadlineExceeded', async () => {
    await cp.admin.create(Jobs, 'default', job('slow', { activeDeadlineSeconds: 1 }));
    // (the pod lives about a second: a loaded machine's poll can miss it; `failed: 1` below says it was made)
    await eventually(async () => (await livePods('slow')).length === 1 || (await conditions('slow')).includes('Failed/DeadlineExceeded'));
    // Pods without a node are deleted at once; the job then fails.
    await eventually(async () => (await conditions('slow')).includes('Failed/DeadlineExceeded'), { timeoutMs: 10_000 });
    expect((await getJob('slow')).status).toMatchObject({ failed: 1 });
    expect(await livePods('slow')).toHaveLength(0);
  });

  it('suspend removes the active pods; resume starts them again', async () => {
    await cp.admin.create(Jobs, 'default', job('nap', { parallelism: 2, completions: 2 }));
    await eventually(async () => (await livePods('nap')).length === 2);
    await cp.admin.patch(Jobs, 'default', 'nap', { spec: { suspend: true } }, 'merge');
    await eventually(async () => (await livePods('nap')).length === 0 && (await conditions('nap')).includes('Suspended/JobSuspended'));
    expect((await getJob('nap')).status).not.toHaveProperty('active');
    await cp.admin.patch(Jobs, 'default', 'nap', { spec: { suspend: false } }, 'merge');
    // (the pods and the job's status are written one after the other)
    await eventually(async () => (await livePods('nap')).length === 2 && !(await conditions('nap')).includes('Suspended/JobSuspended'));
  });

  it('Indexed: pods per completion index with the annotation, env and hostname; completedIndexes', async () => {
    await cp.admin.create(Jobs, 'default', job('idx', { completionMode: 'Indexed', completions: 3, parallelism: 3 }));
    const pods = await eventually(async () => ((await livePods('idx')).length === 3 ? livePods('idx') : undefined));
    const byIndex = new Map(pods.map((p) => [p.metadata!.annotations!['batch.kubernetes.io/job-completion-index'], p]));
    expect([...byIndex.keys()].sort()).toEqual(['0', '1', '2']);
    const p1 = byIndex.get('1')!;
    expect(p1.metadata?.name).toMatch(/^idx-1-/);
    expect(p1.metadata?.labels?.['batch.kubernetes.io/job-completion-index']).toBe('1');
    const spec = p1.spec as { hostname?: string; containers: { env?: { name: string; value: string }[] }[] };
    expect(spec.hostname).toBe('idx-1');
    expect(spec.containers[0]!.env).toContainEqual({ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.labels['batch.kubernetes.io/job-completion-index']" } } });
    await finishPod(cp.admin, p1, 'Succeeded');
    await eventually(async () => ((await getJob('idx')).status as { completedIndexes?: string }).completedIndexes === '1');
    await finishAll('idx', 'Succeeded', async () => (await conditions('idx')).includes('Complete/CompletionsReached'));
    expect((await getJob('idx')).status).toMatchObject({ succeeded: 3, completedIndexes: '0-2' });
  });

  it('deleting a job takes its pods (garbage collector); ttlSecondsAfterFinished deletes a finished job', async () => {
    await cp.admin.delete(Jobs, 'default', 'pi', { propagationPolicy: 'Background' });
    await eventually(async () => (await podsOf('pi')).length === 0, { timeoutMs: 15_000 });
    await cp.admin.create(Jobs, 'default', job('brief', { ttlSecondsAfterFinished: 1 }));
    // (finished, or already gone: ttlSecondsAfterFinished 1 may delete it between two looks)
    await finishAll('brief', 'Succeeded', async () => conditions('brief').then((c) => c.includes('Complete/CompletionsReached'), (e) => e instanceof StatusError && e.code === 404));
    await eventually(async () => getJob('brief').then(() => false, (e) => e instanceof StatusError && e.code === 404), { timeoutMs: 15_000 });
    await eventually(async () => (await podsOf('brief')).length === 0, { timeoutMs: 15_000 });
  });

  it('pods carry the job-tracking finalizer until counted; a force-deleted pod counts as failed (backoffLimit)', async () => {
    const created = await cp.admin.create(Jobs, 'default', job('forced', { backoffLimit: 1 }));
    // A Job made without labels serves its template's, the generated ones included (kubectl get jobs -l job-name=forced).
    expect(created.metadata?.labels).toMatchObject({ 'job-name': 'forced', 'batch.kubernetes.io/job-name': 'forced', 'controller-uid': created.metadata!.uid });
    expect((await cp.admin.list(Jobs, 'default', { labelSelector: 'job-name=forced' })).items.map((j) => j.metadata?.name)).toEqual(['forced']);
    const first = await eventually(async () => (await livePods('forced'))[0]);
    expect(first.metadata?.finalizers).toEqual([TRACKING]);
    // kubectl delete pod --grace-period=0 --force: the pod stays, by its finalizer, until counted
    await cp.admin.delete(Pods, 'default', first.metadata!.name!, { gracePeriodSeconds: 0 });
    await eventually(async () => ((await getJob('forced')).status as { failed?: number }).failed === 1);
    await eventually(async () => !(await podsOf('forced')).some((p) => p.metadata?.uid === first.metadata?.uid));
    // the replacement (after the backoff) is force-deleted too: past backoffLimit 1
    const second = await eventually(async () => (await livePods('forced')).find((p) => p.metadata?.uid !== first.metadata?.uid));
    await cp.admin.delete(Pods, 'default', second.metadata!.name!, { gracePeriodSeconds: 0 });
    await eventually(async () => (await conditions('forced')).includes('Failed/BackoffLimitExceeded'));
    const st = (await getJob('forced')).status as { failed?: number; uncountedTerminatedPods?: unknown };
    expect(st).toMatchObject({ failed: 2, uncountedTerminatedPods: {} });
    expect(await podsOf('forced')).toEqual([]);
  });

  it('a finished pod loses the finalizer once counted; no pod is left Terminating when its job is deleted, whatever the propagation', async () => {
    await cp.admin.create(Jobs, 'default', job('tracked', { completions: 2, parallelism: 1 }));
    await finishAll('tracked', 'Succeeded', async () => ((await getJob('tracked')).status as { succeeded?: number }).succeeded === 1);
    await eventually(async () => (await podsOf('tracked')).some((p) => (p.status as { phase?: string } | undefined)?.phase === 'Succeeded' && !p.metadata?.finalizers?.length));
    for (const propagationPolicy of ['Orphan', 'Background', 'Foreground'] as const) {
      const name = `gone-${propagationPolicy.toLowerCase()}`;
      await cp.admin.create(Jobs, 'default', job(name, { parallelism: 2, completions: 2 }));
      await eventually(async () => (await livePods(name)).length === 2);
      await cp.admin.delete(Jobs, 'default', name, { propagationPolicy });
      await eventually(async () => getJob(name).then(() => false, (e) => e instanceof StatusError && e.code === 404), { timeoutMs: 15_000 });
      if (propagationPolicy === 'Orphan') {
        // orphans keep running, without the finalizer (syncOrphanPod), and can be deleted for good
        await eventually(async () => (await podsOf(name)).every((p) => !p.metadata?.finalizers?.length && !p.metadata?.ownerReferences?.length));
        for (const p of await podsOf(name)) await cp.admin.delete(Pods, 'default', p.metadata!.name!);
      }
      await eventually(async () => (await podsOf(name)).length === 0, { timeoutMs: 15_000 });
    }
  });

  it('pods of a long-named job get names of 63 characters at most, the index kept (SimpleNameGenerator, podGenerateNameWithIndex)', async () => {
    const plain = 'p'.repeat(60);
    const indexed = 'i'.repeat(56);
    await cp.admin.create(Jobs, 'default', job(plain));
    await cp.admin.create(Jobs, 'default', job(indexed, { completionMode: 'Indexed', completions: 2, parallelism: 2 }));
    const [p] = await eventually(async () => ((await podsOf(plain)).length ? podsOf(plain) : undefined));
    // the base cut to 58, then five random characters
    expect(p!.metadata!.name).toMatch(new RegExp(`^${'p'.repeat(58)}[a-z0-9]{5}$`));
    const ip = await eventually(async () => ((await podsOf(indexed)).length === 2 ? podsOf(indexed) : undefined));
    // the job's name shortened so that <job>-<index>- is 58
    expect(ip.map((x) => x.metadata!.name!.replace(/[a-z0-9]{5}$/, '')).sort()).toEqual([`${'i'.repeat(55)}-0-`, `${'i'.repeat(55)}-1-`]);
    for (const name of [plain, indexed]) await cp.admin.delete(Jobs, 'default', name, { propagationPolicy: 'Background' });
  });

  it('a pod the apiserver refuses is tried again after 1 s doubling (DefaultJobApiBackOff), one FailedCreate a try', async () => {
    const j = job('nosa');
    (j.spec as { template: { spec: Record<string, unknown> } }).template.spec.serviceAccountName = 'nosuch';
    await cp.admin.create(Jobs, 'default', j);
    const failedCreates = async () => (await cp.admin.list(Events, 'default', { fieldSelector: 'involvedObject.name=nosa' })).items.filter((e) => e.reason === 'FailedCreate').reduce((n, e) => n + Number(e.count ?? 1), 0);
    await eventually(async () => (await failedCreates()) > 0);
    await sleep(2500);
    // tries at 0, 1 s and 3 s: at most three by now (the 5 ms default of other controllers made about ten)
    const n = await failedCreates();
    expect(n).toBeGreaterThanOrEqual(2);
    expect(n).toBeLessThanOrEqual(3);
    expect(await podsOf('nosa')).toHaveLength(0);
    await cp.admin.delete(Jobs, 'default', 'nosa');
  });

  it('refuses restartPolicy Always and a changed completions with 422', async () => {
    const bad = job('always');
    (bad.spec as { template: { spec: { restartPolicy: string } } }).template.spec.restartPolicy = 'Always';
    const err = await cp.admin.create(Jobs, 'default', bad).catch((e: StatusError) => e);
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).code).toBe(422);
    expect((err as StatusError).message).toContain('spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"');
    const upd = await cp.admin.patch(Jobs, 'default', 'bad', { spec: { completions: 4 } }, 'merge').catch((e: StatusError) => e);
    expect((upd as StatusError).code).toBe(422);
    expect((upd as StatusError).message).toContain('spec.completions: Invalid value: 4: field is immutable');
    // the status subresource: a terminal condition cannot be taken back, nor a counter decreased
    const done = await cp.admin.get(Jobs, 'default', 'bad');
    expect((done.status as { conditions?: { type: string }[] }).conditions?.map((c) => c.type)).toContain('Failed');
    const st = await cp.admin.patch(Jobs, 'default', 'bad', { status: { failed: 0, conditions: null } }, 'merge', 'status').catch((e: StatusError) => e);
    expect((st as StatusError).code).toBe(422);
    expect((st as StatusError).message).toContain('status.conditions: Invalid value: cannot disable the terminal Failed=True condition');
    expect((st as StatusError).message).toContain('status.failed: Invalid value: 0: cannot decrease the failed counter');
  });
});
