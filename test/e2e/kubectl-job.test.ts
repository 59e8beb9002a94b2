// Jobs and CronJobs end to end with the stock kubectl on a real single-node cluster (apiserver,
// scheduler, controller manager, node agent with runc): create job, wait for complete, logs, a
// failing job reaching Failed (BackoffLimitExceeded), create cronjob and a job from it, the
// kubectl get columns, and delete job removing its pods.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pods } from '../../pkg/client/rest-client.js';
import { eventually } from '../helpers/control-plane.js';
import { hasKubectl, kubectlAt, kubectlOk } from '../helpers/kubectl.js';
import { image, startCluster, type Cluster } from '../nodeagent/harness.js';
import type { Pod } from '../../pkg/api/types.js';

let c: Cluster;
const cacheDir = mkdtempSync(join(tmpdir(), 'kubectl-cache-'));

beforeAll(async () => {
  if (!hasKubectl) return;
  // A 1 s pod-failure backoff so the failing job fails in seconds.
  c = await startCluster({ controllers: { jobBackoff: { baseMs: 1000, maxMs: 2000 } } });
}, 180_000);
afterAll(async () => {
  await c?.stop();
  rmSync(cacheDir, { recursive: true, force: true });
});

const kubectl = (...args: string[]) => kubectlOk(c.cp.kubeconfig, cacheDir, args);
const podsOf = async (job: string) => (await c.cp.admin.list<Pod>(Pods, 'default', { labelSelector: `job-name=${job}` })).items;

/** Applies an Indexed Job of 3 completions run 3 at a time, with `policy` (YAML under spec) and a shell `command`; returns kubectl's output. */
async function applyIndexedJob(name: string, policy: string, command: string): Promise<string> {
  const file = join(cacheDir, `${name}.yaml`);
  writeFileSync(
    file,
    `apiVersion: batch/v1
kind: Job
metadata: {name: ${name}}
spec:
  completionMode: Indexed
  completions: 3
  parallelism: 3
  ${policy}
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: "${image}"
        imagePullPolicy: IfNotPresent
        command: [sh, -c, ${JSON.stringify(command)}]
`,
  );
  return kubectl('apply', '-f', file);
}

describe.skipIf(!hasKubectl)('kubectl with Jobs and CronJobs', () => {
  it('create job, wait --for=condition=complete, logs job/pi, get jobs', async () => {
    expect(await kubectl('create', 'job', 'pi', `--image=${image}`, '--', 'sh', '-c', 'echo done')).toContain('job.batch/pi created');
    await kubectl('wait', '--for=condition=complete', 'job/pi', '--timeout=90s');
    expect((await kubectl('logs', 'job/pi')).trim()).toBe('done');
    const table = await kubectl('get', 'jobs');
    expect(table.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE$/);
    expect(table).toMatch(/^pi\s+Complete\s+1\/1\s+\d+s\s+\d+s$/m);
    expect(await kubectl('get', 'job', 'pi', '-o', 'jsonpath={.spec.selector.matchLabels}')).toContain('batch.kubernetes.io/controller-uid');
  }, 120_000);

  // (the next four, each with a job of its own found by its name, wait on the job controller and
  // its pods: they run at once)
  it.concurrent('a failing job is Failed with BackoffLimitExceeded', async () => {
    const file = join(cacheDir, 'bad.yaml');
    writeFileSync(
      file,
      `apiVersion: batch/v1
kind: Job
metadata: {name: bad}
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
      - {name: main, image: "${image}", imagePullPolicy: IfNotPresent, command: [sh, -c, "exit 3"]}
`,
    );
    expect(await kubectl('apply', '-f', file)).toContain('job.batch/bad created');
    await kubectl('wait', '--for=condition=failed', 'job/bad', '--timeout=90s');
    expect(await kubectl('get', 'job', 'bad', '-o', 'jsonpath={.status.conditions[?(@.type=="Failed")].reason} {.status.failed}')).toBe('BackoffLimitExceeded 2');
    expect(await kubectl('get', 'jobs', 'bad', '--no-headers')).toMatch(/^bad\s+Failed\s+0\/1\s/);
    expect((await podsOf('bad')).length).toBe(2);
  }, 120_000);

  it.concurrent('podFailurePolicy: an ignored exit code is replaced and not counted; a FailJob exit code fails the job at once', async () => {
    const file = join(cacheDir, 'pfp.yaml');
    // The first pod exits 7 (ignored), the next 42 (FailJob), though backoffLimit 0 would have
    // ended the job at the first failure without the policy.
    writeFileSync(
      file,
      `apiVersion: batch/v1
kind: Job
metadata: {name: pfp}
spec:
  backoffLimit: 0
  podFailurePolicy:
    rules:
    - action: FailJob
      onExitCodes: {containerName: main, operator: In, values: [42]}
    - action: Ignore
      onExitCodes: {operator: In, values: [7]}
    - action: Ignore
      onPodConditions: [{type: DisruptionTarget}]
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      volumes: [{name: state, hostPath: {path: "${join(cacheDir, 'pfp-state')}", type: DirectoryOrCreate}}]
      containers:
      - name: main
        image: "${image}"
        imagePullPolicy: IfNotPresent
        volumeMounts: [{name: state, mountPath: /state}]
        command: [sh, -c, "if [ -e /state/ran ]; then exit 42; fi; touch /state/ran; exit 7"]
`,
    );
    expect(await kubectl('apply', '-f', file)).toContain('job.batch/pfp created');
    await kubectl('wait', '--for=condition=failed', 'job/pfp', '--timeout=90s');
    const out = await kubectl('get', 'job', 'pfp', '-o', 'jsonpath={.spec.podReplacementPolicy}|{.status.failed}|{.status.conditions[?(@.type=="Failed")].reason}|{.status.conditions[?(@.type=="Failed")].message}');
    const [prp, failed, reason, message] = out.split('|');
    expect({ prp, failed, reason }).toEqual({ prp: 'Failed', failed: '1', reason: 'PodFailurePolicy' });
    const pods = await podsOf('pfp');
    expect(pods).toHaveLength(2);
    const fj = pods.find((p) => (p.status as { containerStatuses?: { state?: { terminated?: { exitCode?: number } } }[] }).containerStatuses?.[0]?.state?.terminated?.exitCode === 42)!;
    expect(message).toBe(`Container main for pod default/${fj.metadata!.name} failed with exit code 42 matching FailJob rule at index 0`);
    expect(await kubectl('get', 'events', '--field-selector', 'involvedObject.name=pfp,reason=PodFailurePolicy', '-o', 'jsonpath={.items[0].message}')).toBe(message);
  }, 120_000);

  it.concurrent('backoffLimitPerIndex: a failing index is retried with its failure count, then fails alone; the job ends Failed with FailedIndexes', async () => {
    expect(await applyIndexedJob('perindex', 'backoffLimitPerIndex: 1', 'test $JOB_COMPLETION_INDEX != 1')).toContain('job.batch/perindex created');
    await kubectl('wait', '--for=condition=failed', 'job/perindex', '--timeout=90s');
    const out = await kubectl('get', 'job', 'perindex', '-o', 'jsonpath={.spec.backoffLimit}|{.status.completedIndexes}|{.status.failedIndexes}|{.status.failed}|{.status.conditions[?(@.type=="Failed")].reason}');
    expect(out).toBe('2147483647|0,2|1|2|FailedIndexes');
    // index 1 ran twice, its second pod counting the first failure
    const counts = (await podsOf('perindex'))
      .filter((p) => p.metadata!.annotations!['batch.kubernetes.io/job-completion-index'] === '1')
      .map((p) => p.metadata!.annotations!['batch.kubernetes.io/job-index-failure-count'])
      .sort();
    expect(counts).toEqual(['0', '1']);
  }, 120_000);

  it.concurrent('successPolicy: the job completes when its rule is met, stopping the indexes still running', async () => {
    const policy = 'successPolicy:\n    rules:\n    - succeededIndexes: "0"';
    expect(await applyIndexedJob('leader', policy, 'if [ $JOB_COMPLETION_INDEX = 0 ]; then exit 0; fi; exec sleep 300')).toContain('job.batch/leader created');
    await kubectl('wait', '--for=condition=complete', 'job/leader', '--timeout=90s');
    const out = await kubectl('get', 'job', 'leader', '-o', 'jsonpath={.status.conditions[?(@.type=="Complete")].reason}|{.status.conditions[?(@.type=="Complete")].message}|{.status.completedIndexes}|{.status.succeeded}|{.status.active}');
    expect(out).toBe('SuccessPolicy|Matched rules at index 0|0|1|'); // (no active pods: the count is left out, as Go's omitempty)
    // the stopped indexes' pods were deleted; index 0's stays
    await eventually(async () => JSON.stringify((await podsOf('leader')).map((p) => p.status?.phase)) === '["Succeeded"]', { timeoutMs: 30_000 });
  }, 120_000);

  it('create cronjob, get cronjobs, create job --from=cronjob', async () => {
    expect(await kubectl('create', 'cronjob', 'hello', `--image=${image}`, '--schedule=*/30 9-17 * * MON-FRI', '--', 'echo', 'hi')).toContain('cronjob.batch/hello created');
    const table = await kubectl('get', 'cronjobs');
    expect(table.split('\n')[0]).toMatch(/^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE$/);
    expect(table).toMatch(/^hello\s+\*\/30 9-17 \* \* MON-FRI\s+<none>\s+False\s+0\s+<none>\s+\d+s$/m);
    expect(await kubectl('get', 'cj', 'hello', '-o', 'jsonpath={.spec.concurrencyPolicy} {.spec.successfulJobsHistoryLimit}')).toBe('Allow 3');
    expect(await kubectl('create', 'job', 'manual', '--from=cronjob/hello')).toContain('job.batch/manual created');
    await kubectl('wait', '--for=condition=complete', 'job/manual', '--timeout=90s');
    expect((await kubectl('logs', 'job/manual')).trim()).toBe('hi');
    expect(await kubectl('get', 'job', 'manual', '-o', 'jsonpath={.metadata.annotations.cronjob\\.kubernetes\\.io/instantiate} {.metadata.ownerReferences[0].kind}')).toBe('manual CronJob');
    const bad = await kubectlAt(c.cp.kubeconfig, cacheDir, ['create', 'cronjob', 'nope', `--image=${image}`, '--schedule=61 * * * *']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61');
  }, 120_000);

  it('delete job removes its pods; delete cronjob removes its jobs', async () => {
    expect((await podsOf('pi')).length).toBe(1);
    await kubectl('delete', 'job', 'pi');
    await eventually(async () => (await podsOf('pi')).length === 0, { timeoutMs: 30_000 });
    await kubectl('delete', 'cronjob', 'hello');
    await eventually(async () => (await podsOf('manual')).length === 0 && !(await kubectl('get', 'jobs', '-o', 'name')).includes('job.batch/manual'), { timeoutMs: 30_000 });
  }, 60_000);
});
