// The CronJob controller against a real apiserver+etcd+controller manager, on a clock the test
// moves: it starts 3 s before a minute boundary (so `* * * * *` fires within seconds) and jumps
// a minute at a time; a change to the CronJob makes the controller look at once. Jobs' pods are
// ended through the status subresource as a node agent would.
import { register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../pkg/api/types.js';
import { CronJobs, Events, Jobs, Pods } from '../../pkg/client/rest-client.js';
import { eventually, sleep, type TestControlPlane } from '../helpers/control-plane.js';
import { finishPod, startWithControllers } from '../helpers/workloads.js';

let cp: TestControlPlane;
let env: Awaited<ReturnType<typeof startWithControllers>> | undefined;
let offset = 0;
const clock = () => Date.now() + offset;

beforeAll(async () => {
  env = await startWithControllers('rest', { clock });
  cp = env.cp;
});
afterAll(async () => {
  await env?.stop();
});

/**
 * Sets the clock `ms` before the next real minute boundary and returns that boundary. Objects
 * created now get a real creationTimestamp, so no boundary may lie between that and the clock:
 * the clock may be set a little back (the offset negative) rather than past a boundary.
 */
function justBeforeMinute(ms = 3000): number {
  const now = Date.now();
  const boundary = Math.ceil((now + 1) / 60_000) * 60_000;
  offset = boundary - ms - now;
  return boundary;
}
/** Moves the clock on and makes the controller look at `name`. */
async function jump(name: string, ms: number): Promise<void> {
  offset += ms;
  await cp.admin.patch(CronJobs, 'default', name, { metadata: { annotations: { 'test/tick': String(clock()) } } }, 'merge');
}

function cronJob(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name },
    spec: {
      schedule: '* * * * *',
      jobTemplate: { metadata: { labels: { cron: name } }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1.36', command: ['true'] }] } } } },
      ...spec,
    },
  };
}

type Status = { active?: { name: string; uid: string }[]; lastScheduleTime?: string; lastSuccessfulTime?: string };
const jobsOf = async (name: string) => (await cp.admin.list(Jobs, 'default', { labelSelector: `cron=${name}` })).items.filter((j) => !j.metadata?.deletionTimestamp);
const statusOf = async (name: string) => ((await cp.admin.get(CronJobs, 'default', name)).status ?? {}) as Status;
const reasons = async (name: string) => (await cp.admin.list(Events, 'default', { fieldSelector: `involvedObject.name=${name}` })).items.map((e) => String(e.reason));
const jobNames = async (name: string) => (await jobsOf(name)).map((j) => j.metadata!.name!).sort();

/** Ends the pods of job `jobName` successfully and waits for the job to complete. */
async function completeJob(jobName: string): Promise<void> {
  await eventually(async () => {
    const pods = (await cp.admin.list(Pods, 'default', { labelSelector: `batch.kubernetes.io/job-name=${jobName}` })).items;
    for (const p of pods) if ((p.status as { phase?: string }).phase !== 'Succeeded') await finishPod(cp.admin, p, 'Succeeded').catch(() => undefined);
    const j = await cp.admin.get(Jobs, 'default', jobName);
    return ((j.status as { conditions?: { type: string; status: string }[] }).conditions ?? []).some((c) => c.type === 'Complete' && c.status === 'True');
  }, { timeoutMs: 15_000 });
}

describe('CronJob controller', () => {
  it('creates <cronjob>-<minutes> at the minute, with the scheduled-timestamp annotation; status follows the job to completion', async () => {
    // (the controller manager runs in this process: its /metrics is this registry)
    const skews = async () => Number(/^cronjob_controller_job_creation_skew_duration_seconds_count (\d+)$/m.exec(await register.metrics())?.[1] ?? 0);
    const skewsBefore = await skews();
    const boundary = justBeforeMinute();
    const cj = await cp.admin.create(CronJobs, 'default', cronJob('hello', { successfulJobsHistoryLimit: 1 }));
    expect(await jobsOf('hello')).toHaveLength(0);
    const jobs = await eventually(async () => ((await jobsOf('hello')).length ? jobsOf('hello') : undefined), { timeoutMs: 10_000 });
    const job = jobs[0]!;
    expect(job.metadata?.name).toBe(`hello-${boundary / 60_000}`);
    expect(job.metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe(new Date(boundary).toISOString().replace('.000Z', 'Z'));
    expect(job.metadata?.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'hello', uid: cj.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
    const st = await eventually(async () => ((await statusOf('hello')).active?.length ? statusOf('hello') : undefined));
    expect(st.active!.map((a) => a.name)).toEqual([job.metadata!.name]);
    expect(Date.parse(st.lastScheduleTime!)).toBe(boundary);
    await sleep(500);
    expect(await jobsOf('hello')).toHaveLength(1);
    // The job's creation measured from its scheduled time, as CronJobCreationSkew observes it.
    expect(await skews()).toBe(skewsBefore + 1);
    await completeJob(job.metadata!.name!);
    const done = await eventually(async () => {
      const s = await statusOf('hello');
      return !s.active && s.lastSuccessfulTime ? s : undefined;
    });
    expect(done.lastSuccessfulTime).toBeDefined();
    // (events are written after the status, from the controller's event queue)
    await eventually(async () => {
      const rs = await reasons('hello');
      return rs.includes('SuccessfulCreate') && rs.includes('SawCompletedJob');
    }, { what: 'SuccessfulCreate and SawCompletedJob events' });
    expect(await reasons('hello')).not.toContain('UnexpectedJob');

    // The next minute: a second job; with a history of 1 the first (finished) one is deleted once the second finishes.
    await jump('hello', 60_000);
    const second = `hello-${boundary / 60_000 + 1}`;
    await eventually(async () => (await jobNames('hello')).includes(second));
    await completeJob(second);
    await eventually(async () => JSON.stringify(await jobNames('hello')) === JSON.stringify([second]), { timeoutMs: 10_000 });
  });

  it('concurrencyPolicy Forbid skips a time while a job runs; Replace deletes the running job for the new one', async () => {
    const boundary = justBeforeMinute();
    await cp.admin.create(CronJobs, 'default', cronJob('forbid', { concurrencyPolicy: 'Forbid' }));
    await cp.admin.create(CronJobs, 'default', cronJob('replace', { concurrencyPolicy: 'Replace' }));
    const m = boundary / 60_000;
    await eventually(async () => (await jobsOf('forbid')).length === 1 && (await jobsOf('replace')).length === 1, { timeoutMs: 10_000 });
    await jump('forbid', 60_000);
    await cp.admin.patch(CronJobs, 'default', 'replace', { metadata: { annotations: { 'test/tick': '1' } } }, 'merge');
    await eventually(async () => (await reasons('forbid')).includes('JobAlreadyActive'));
    expect(await jobNames('forbid')).toEqual([`forbid-${m}`]);
    await eventually(async () => JSON.stringify(await jobNames('replace')) === JSON.stringify([`replace-${m + 1}`]));
    const st = await eventually(async () => {
      const s = await statusOf('replace');
      return s.active?.length === 1 && s.active[0]!.name === `replace-${m + 1}` ? s : undefined;
    });
    expect(st.active).toHaveLength(1);
  });

  it('a job made from the CronJob by hand (kubectl create job --from=cronjob/x) is said but not adopted: Forbid still runs its schedule', async () => {
    const boundary = justBeforeMinute();
    const cj = await cp.admin.create(CronJobs, 'default', cronJob('byhand', { concurrencyPolicy: 'Forbid', schedule: '0 0 1 1 *' }));
    // (what kubectl creates: the template, owned by the CronJob, named by the user)
    const tpl = (cj.spec as { jobTemplate: { metadata: Record<string, unknown>; spec: Record<string, unknown> } }).jobTemplate;
    await cp.admin.create(Jobs, 'default', { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'manual', labels: tpl.metadata.labels as Record<string, string>, annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' }, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'byhand', uid: cj.metadata!.uid!, controller: true }] }, spec: tpl.spec });
    await cp.admin.patch(CronJobs, 'default', 'byhand', { spec: { schedule: '* * * * *' } }, 'merge');
    const m = boundary / 60_000;
    await eventually(async () => (await jobNames('byhand')).includes(`byhand-${m}`), { timeoutMs: 10_000, what: 'the scheduled job, beside the manual one' });
    expect(await reasons('byhand')).toContain('UnexpectedJob');
    expect(await reasons('byhand')).not.toContain('JobAlreadyActive');
    expect((await statusOf('byhand')).active?.map((a) => a.name)).toEqual([`byhand-${m}`]);
  });

  it('suspend: no jobs; after many missed times only the most recent starts, with a warning', async () => {
    justBeforeMinute();
    await cp.admin.create(CronJobs, 'default', cronJob('idle', { suspend: true }));
    await jump('idle', 5_000);
    await sleep(500);
    expect(await jobsOf('idle')).toHaveLength(0);
    // 150 minutes later and resumed: one job, for the last minute.
    offset += 150 * 60_000;
    await cp.admin.patch(CronJobs, 'default', 'idle', { spec: { suspend: false } }, 'merge');
    const jobs = await eventually(async () => ((await jobsOf('idle')).length ? jobsOf('idle') : undefined));
    expect(jobs[0]!.metadata?.name).toBe(`idle-${Math.floor(clock() / 60_000)}`);
    await eventually(async () => (await reasons('idle')).includes('TooManyMissedTimes'));
    // (no count in the message: 1.32 tells only that many were missed)
    const warned = (await cp.admin.list(Events, 'default', { fieldSelector: 'involvedObject.name=idle,reason=TooManyMissedTimes' })).items;
    expect(warned.map((e) => e.message)).toEqual(['too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew']);
    await sleep(300);
    expect(await jobsOf('idle')).toHaveLength(1);
  });

  it('startingDeadlineSeconds: a time missed by more than the deadline is not started', async () => {
    const boundary = justBeforeMinute(2000);
    await cp.admin.create(CronJobs, 'default', cronJob('late', { startingDeadlineSeconds: 10, suspend: true }));
    // Resumed 30 s after the minute: too late for it.
    offset += 32_000;
    await cp.admin.patch(CronJobs, 'default', 'late', { spec: { suspend: false } }, 'merge');
    await sleep(800);
    expect(await jobsOf('late')).toHaveLength(0);
    // Within 10 s of the next minute: started.
    offset = boundary + 60_000 + 5_000 - Date.now();
    await jump('late', 0);
    await eventually(async () => JSON.stringify(await jobNames('late')) === JSON.stringify([`late-${boundary / 60_000 + 1}`]));
  });

  it('a schedule that never fires (the 31st of February) is an InvalidSchedule warning, no job', async () => {
    await cp.admin.create(CronJobs, 'default', cronJob('never', { schedule: '0 0 31 2 *' }));
    const warned = await eventually(async () => {
      const evs = (await cp.admin.list(Events, 'default', { fieldSelector: 'involvedObject.name=never,reason=InvalidSchedule' })).items;
      return evs.length ? evs : undefined;
    });
    expect(warned[0]!.type).toBe('Warning');
    expect(warned[0]!.message).toBe('invalid schedule: 0 0 31 2 * : time difference between two schedules is less than 1 second');
    expect(await jobsOf('never')).toHaveLength(0);
  });

  it('refuses bad schedules and unknown time zones with 422', async () => {
    const bad = await cp.admin.create(CronJobs, 'default', cronJob('bad', { schedule: '*/0 * * * *' })).catch((e: Error) => e);
    expect(String((bad as Error).message)).toContain('spec.schedule: Invalid value: "*/0 * * * *": step of range should be a positive number: */0');
    const tz = await cp.admin.create(CronJobs, 'default', cronJob('tz', { timeZone: 'Nowhere/Land' })).catch((e: Error) => e);
    expect(String((tz as Error).message)).toContain('spec.timeZone: Invalid value: "Nowhere/Land": unknown time zone Nowhere/Land');
  });
});
