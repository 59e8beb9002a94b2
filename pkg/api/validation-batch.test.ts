import { describe, expect, it } from 'vitest';
import { defaultCronJob, defaultJob, generateJobSelector } from './defaults-batch.js';
import { formatFieldError } from './field-error.js';
import type { CronJob, Job } from './types.js';
import { validateCronJob, validateCronJobUpdate, validateJob, validateJobStatusUpdate, validateJobUpdate } from './validation-batch.js';

const template = (restartPolicy = 'Never') => ({ spec: { restartPolicy, containers: [{ name: 'pi', image: 'busybox' }] } });
function job(spec: Record<string, unknown> = {}): Job {
  const j: Job = { metadata: { name: 'pi', namespace: 'default', uid: 'u-1' }, spec: { template: template(), ...spec } as never };
  defaultJob(j);
  generateJobSelector(j);
  return j;
}
const messages = (errs: ReturnType<typeof validateJob>) => errs.map(formatFieldError);

describe('Job defaults and validation', () => {
  it('defaults completions and parallelism to 1, backoffLimit 6, NonIndexed, and generates the selector and labels', () => {
    const j = job();
    expect(j.spec).toMatchObject({ completions: 1, parallelism: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } } });
    expect(j.spec!.template!.metadata!.labels).toEqual({ 'batch.kubernetes.io/controller-uid': 'u-1', 'controller-uid': 'u-1', 'batch.kubernetes.io/job-name': 'pi', 'job-name': 'pi' });
    // A Job without labels gets its template's, the generated ones included (SetDefaults_Job's
    // shared map, then generateSelector); one with labels keeps its own.
    expect(j.metadata!.labels).toEqual(j.spec!.template!.metadata!.labels);
    expect(j.metadata!.labels).not.toBe(j.spec!.template!.metadata!.labels);
    const fromTemplate = job({ template: { metadata: { labels: { app: 'pi' } }, ...template() } });
    expect(fromTemplate.metadata!.labels).toEqual({ app: 'pi', 'batch.kubernetes.io/controller-uid': 'u-1', 'controller-uid': 'u-1', 'batch.kubernetes.io/job-name': 'pi', 'job-name': 'pi' });
    const own: Job = { metadata: { name: 'pi', uid: 'u-1', labels: { team: 'a' } }, spec: { template: { metadata: { labels: { app: 'pi' } }, ...template() } } as never };
    defaultJob(own);
    generateJobSelector(own);
    expect(own.metadata!.labels).toEqual({ team: 'a' });
    // (the same labels given by the user are the user's: not the template's map)
    const same: Job = { metadata: { name: 'pi', uid: 'u-1', labels: { app: 'pi' } }, spec: { template: { metadata: { labels: { app: 'pi' } }, ...template() } } as never };
    defaultJob(same);
    generateJobSelector(same);
    expect(same.metadata!.labels).toEqual({ app: 'pi' });
    expect(validateJob(j)).toEqual([]);
    // Only parallelism set: completions stay unset (a work queue job).
    expect(job({ parallelism: 3 }).spec).toMatchObject({ parallelism: 3 });
    expect(job({ parallelism: 3 }).spec!.completions).toBeUndefined();
  });

  it('rejects restartPolicy Always, negative counts, a user selector without manualSelector, Indexed without completions', () => {
    expect(messages(validateJob(job({ template: template('Always') })))).toEqual(['spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"']);
    expect(messages(validateJob(job({ backoffLimit: -1, parallelism: -2 })))).toEqual([
      'spec.parallelism: Invalid value: -2: must be greater than or equal to 0',
      'spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0',
    ]);
    const own = job({ selector: { matchLabels: { app: 'x' } } });
    expect(messages(validateJob(own))[0]).toMatch(/^spec\.selector: Invalid value: .*`selector` not auto-generated$/);
    expect(messages(validateJob(job({ completionMode: 'Indexed', completions: null, parallelism: 2 })))).toEqual(['spec.completions: Required value: when completion mode is Indexed']);
    const manual = job({ manualSelector: true, selector: { matchLabels: { app: 'y' } } });
    expect(messages(validateJob(manual))).toEqual(['spec.template.metadata.labels: Invalid value: map[string]string{}: `selector` does not match template `labels`']);
  });

  it("reports the template's labels and annotations at spec.template.labels and .annotations (ValidatePodTemplateSpec)", () => {
    const j = job();
    j.spec!.template!.metadata = { ...j.spec!.template!.metadata, annotations: { 'controller.kubernetes.io/pod-deletion-cost': 'x', 'bad key!': 'v' } };
    expect(messages(validateJob(j)).map((m) => m.split(':')[0])).toEqual(['spec.template.annotations', 'spec.template.annotations[controller.kubernetes.io/pod-deletion-cost]']);
  });

  it('keeps selector, completions (NonIndexed) and the template of a running job immutable', () => {
    const old = job();
    const next = structuredClone(old);
    next.spec!.completions = 3;
    next.spec!.template!.spec!.containers![0]!.image = 'other';
    next.spec!.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': 'other' } };
    const errs = messages(validateJobUpdate(next, old));
    expect(errs).toContain('spec.completions: Invalid value: 3: field is immutable');
    expect(errs.some((e) => e.startsWith('spec.selector: Invalid value:') && e.endsWith('field is immutable'))).toBe(true);
    expect(errs.some((e) => e.startsWith('spec.template: Invalid value:') && e.endsWith('field is immutable'))).toBe(true);
    // parallelism and suspend may change.
    const scaled = structuredClone(old);
    scaled.spec!.parallelism = 4;
    scaled.spec!.suspend = true;
    expect(validateJobUpdate(scaled, old)).toEqual([]);
  });

  it('a suspended job that never started may change only its scheduling directives (validatePodTemplateUpdate)', () => {
    const old = job({ suspend: true });
    const directives = structuredClone(old);
    const t = directives.spec!.template!;
    t.metadata!.labels = { ...t.metadata!.labels, queue: 'a' };
    t.metadata!.annotations = { note: 'x' };
    t.spec!.nodeSelector = { zone: 'a' };
    t.spec!.tolerations = [{ key: 'k', operator: 'Exists' }];
    t.spec!.schedulingGates = [{ name: 'example.com/gate' }];
    t.spec!.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } };
    expect(validateJobUpdate(directives, old)).toEqual([]);
    // The rest of the template (image, activeDeadlineSeconds, pod affinity) stays as it was.
    for (const change of [(j: Job) => (j.spec!.template!.spec!.containers![0]!.image = 'other'), (j: Job) => (j.spec!.template!.spec!.activeDeadlineSeconds = 5), (j: Job) => (j.spec!.template!.spec!.affinity = { podAffinity: {} })]) {
      const next = structuredClone(old);
      change(next);
      expect(messages(validateJobUpdate(next, old)).filter((e) => e.startsWith('spec.template: Invalid value:') && e.endsWith('field is immutable'))).toHaveLength(1);
    }
    // Once started, the directives are fixed too.
    const started = { ...structuredClone(old), status: { startTime: '2024-01-01T00:00:00Z' } };
    expect(messages(validateJobUpdate({ ...directives, status: started.status }, started)).some((e) => e.startsWith('spec.template: Invalid value:'))).toBe(true);
  });

  it('an Indexed job changes completions only in tandem with parallelism (validateCompletions)', () => {
    const old = job({ completionMode: 'Indexed', completions: 2, parallelism: 2 });
    const both = structuredClone(old);
    both.spec!.completions = 4;
    both.spec!.parallelism = 4;
    expect(validateJobUpdate(both, old)).toEqual([]);
    const alone = structuredClone(old);
    alone.spec!.completions = 5;
    expect(messages(validateJobUpdate(alone, old))).toEqual(['spec.completions: Invalid value: 5: can only be modified in tandem with spec.parallelism']);
  });
});

describe('Job podFailurePolicy validation', () => {
  const rules = (...r: unknown[]) => ({ podFailurePolicy: { rules: r } });
  it('accepts a policy of the documented examples, defaulting the pod condition status and the replacement policy', () => {
    const j = job(rules({ action: 'FailJob', onExitCodes: { containerName: 'pi', operator: 'In', values: [1, 42] } }, { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }));
    expect(validateJob(j)).toEqual([]);
    expect(j.spec!.podFailurePolicy!.rules![1]!.onPodConditions![0]!.status).toBe('True');
    expect(j.spec!.podReplacementPolicy).toBe('Failed');
    expect(job().spec!.podReplacementPolicy).toBe('TerminatingOrFailed');
  });

  it('rejects bad rules with the apiserver\'s messages', () => {
    expect(messages(validateJob(job({ ...rules({ action: 'FailJob', onExitCodes: { operator: 'In', values: [1] } }), template: template('OnFailure') })))).toEqual([
      'spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified',
    ]);
    expect(messages(validateJob(job(rules(
      { action: 'Retry', onExitCodes: { operator: 'Is', values: [0, 3, 3, 1], containerName: 'nope' } },
      { onExitCodes: { operator: 'In', values: [] }, onPodConditions: [{ type: 'Bad Type', status: 'Maybe' }] },
      { action: 'Ignore' },
      { action: 'FailIndex', onPodConditions: [{ type: 'DisruptionTarget' }] },
    ))))).toEqual([
      'spec.podFailurePolicy.rules[0].action: Unsupported value: "Retry": supported values: "Count", "FailIndex", "FailJob", "Ignore"',
      'spec.podFailurePolicy.rules[0].onExitCodes.operator: Unsupported value: "Is": supported values: "In", "NotIn"',
      'spec.podFailurePolicy.rules[0].onExitCodes.containerName: Invalid value: "nope": must be one of the container or initContainer names in the pod template',
      'spec.podFailurePolicy.rules[0].onExitCodes.values[2]: Duplicate value: 3',
      'spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: [0,3,3,1]: must be ordered',
      'spec.podFailurePolicy.rules[1].action: Required value: valid values: ["Count" "FailIndex" "FailJob" "Ignore"]',
      'spec.podFailurePolicy.rules[1].onExitCodes.values: Invalid value: []: at least one value is required',
      expect.stringMatching(/^spec\.podFailurePolicy\.rules\[1\]\.onPodConditions\[0\]\.type: Invalid value: "Bad Type": name part must consist of/),
      'spec.podFailurePolicy.rules[1].onPodConditions[0].status: Unsupported value: "Maybe": supported values: "False", "True", "Unknown"',
      'spec.podFailurePolicy.rules[1]: Invalid value: specifying both OnExitCodes and OnPodConditions is not supported',
      'spec.podFailurePolicy.rules[2]: Invalid value: specifying one of OnExitCodes and OnPodConditions is required',
      'spec.podFailurePolicy.rules[3].action: Invalid value: "FailIndex": requires the backoffLimitPerIndex to be set',
    ]);
    expect(messages(validateJob(job({ ...rules({ action: 'Ignore', onExitCodes: { operator: 'In', values: [0] } }), podReplacementPolicy: 'TerminatingOrFailed' })))).toEqual([
      'spec.podFailurePolicy.rules[0].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator',
      'spec.podReplacementPolicy: Unsupported value: "TerminatingOrFailed": supported values: "Failed"',
    ]);
    expect(messages(validateJob(job(rules(...Array.from({ length: 21 }, () => ({ action: 'Count', onExitCodes: { operator: 'NotIn', values: [0] } }))))))).toEqual(['spec.podFailurePolicy.rules: Too many: 21: must have at most 20 items']);
  });

  it('keeps the policy of a job immutable', () => {
    const old = job(rules({ action: 'Count', onExitCodes: { operator: 'NotIn', values: [0] } }));
    const next = structuredClone(old);
    next.spec!.podFailurePolicy!.rules![0]!.action = 'Ignore';
    expect(messages(validateJobUpdate(next, old)).some((e) => e.startsWith('spec.podFailurePolicy: Invalid value:') && e.endsWith('field is immutable'))).toBe(true);
  });
});

describe('Indexed job limits and success policy', () => {
  const indexed = (extra: Record<string, unknown> = {}) => job({ completionMode: 'Indexed', completions: 4, parallelism: 2, ...extra });
  it('backoffLimitPerIndex: backoffLimit defaults to the int32 maximum; Indexed only; maxFailedIndexes needs it and stays within completions', () => {
    expect(indexed({ backoffLimitPerIndex: 1 }).spec!.backoffLimit).toBe(2147483647);
    expect(validateJob(indexed({ backoffLimitPerIndex: 1, maxFailedIndexes: 2 }))).toEqual([]);
    expect(messages(validateJob(job({ backoffLimitPerIndex: 1, maxFailedIndexes: 1 })))).toEqual([
      'spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode',
      'spec.maxFailedIndexes: Invalid value: 1: requires indexed completion mode',
    ]);
    expect(messages(validateJob(indexed({ maxFailedIndexes: 5 })))).toEqual([
      'spec.backoffLimitPerIndex: Required value: when maxFailedIndexes is specified',
      'spec.maxFailedIndexes: Invalid value: 5: must be less than or equal to completions',
    ]);
    expect(messages(validateJob(indexed({ backoffLimitPerIndex: -1 })))).toEqual(['spec.backoffLimitPerIndex: Invalid value: -1: must be greater than or equal to 0']);
    // FailIndex is allowed with a per-index limit
    expect(validateJob(indexed({ backoffLimitPerIndex: 0, podFailurePolicy: { rules: [{ action: 'FailIndex', onExitCodes: { operator: 'In', values: [3] } }] } }))).toEqual([]);
  });

  it('successPolicy: Indexed only, 1-20 rules, valid index texts and counts', () => {
    expect(validateJob(indexed({ successPolicy: { rules: [{ succeededIndexes: '0,2-3', succeededCount: 2 }, { succeededCount: 4 }] } }))).toEqual([]);
    expect(messages(validateJob(job({ successPolicy: { rules: [{ succeededCount: 1 }] } })))).toEqual(['spec.successPolicy: Invalid value: {"rules":[{"succeededCount":1}]}: requires indexed completion mode']);
    expect(messages(validateJob(indexed({ successPolicy: { rules: [] } })))).toEqual(['spec.successPolicy.rules: Required value: at least one rules must be specified when the successPolicy is specified']);
    expect(messages(validateJob(indexed({ successPolicy: { rules: [{}, { succeededIndexes: '3-1' }, { succeededIndexes: '0-1', succeededCount: 3 }, { succeededCount: 5 }] } })))).toEqual([
      'spec.successPolicy.rules[0]: Required value: at least one of succeededCount or succeededIndexes must be specified',
      'spec.successPolicy.rules[1].succeededIndexes: Invalid value: "3-1": error parsing succeededIndexes: non-increasing order, previous: 3, current: 1',
      'spec.successPolicy.rules[2].succeededCount: Invalid value: 3: must be less than or equal to 2 (the number of indexes in the specified succeededIndexes field)',
      'spec.successPolicy.rules[3].succeededCount: Invalid value: 5: must be less than or equal to 4 (the number of specified completions)',
    ]);
  });

  it('an Indexed job name must leave room for the last index in a DNS label; the policies are immutable', () => {
    const long = indexed();
    long.metadata!.name = 'x'.repeat(62);
    expect(messages(validateJob(long))).toContain(`metadata.name: Invalid value: "${'x'.repeat(62)}": will not able to create pod with invalid DNS label: ${'x'.repeat(62)}-3`);
    const old = indexed({ backoffLimitPerIndex: 1, successPolicy: { rules: [{ succeededCount: 1 }] } });
    const next = structuredClone(old);
    next.spec!.backoffLimitPerIndex = 2;
    next.spec!.successPolicy = { rules: [{ succeededCount: 2 }] };
    const errs = messages(validateJobUpdate(next, old));
    expect(errs.filter((e) => e.endsWith('field is immutable')).map((e) => e.split(':')[0])).toEqual(['spec.backoffLimitPerIndex', 'spec.successPolicy']);
  });
});

describe('Job status updates', () => {
  const t0 = '2026-01-01T00:00:00Z';
  const t1 = '2026-01-01T00:01:00Z';
  const cond = (type: string) => ({ type, status: 'True' });
  const withStatus = (j: Job, status: Job['status']) => ({ ...j, status });
  it('accepts what the job controller writes on the way to Complete', () => {
    const j = job();
    const running = withStatus(j, { startTime: t0, active: 1, succeeded: 0, failed: 0 });
    expect(validateJobStatusUpdate(running, j)).toEqual([]);
    const met = withStatus(j, { startTime: t0, active: 0, succeeded: 1, failed: 0, conditions: [cond('SuccessCriteriaMet')] });
    expect(validateJobStatusUpdate(met, running)).toEqual([]);
    const done = withStatus(j, { ...met.status, completionTime: t1, conditions: [cond('SuccessCriteriaMet'), cond('Complete')] });
    expect(validateJobStatusUpdate(done, met)).toEqual([]);
  });

  it('refuses what upstream refuses, with its messages', () => {
    const j = job();
    const done = withStatus(j, { startTime: t1, active: 0, succeeded: 1, failed: 2, completionTime: t1, conditions: [cond('SuccessCriteriaMet'), cond('Complete')] });
    expect(messages(validateJobStatusUpdate(withStatus(j, { ...done.status, conditions: [cond('SuccessCriteriaMet')], completionTime: undefined, failed: 1 }), done))).toEqual([
      'status.conditions: Invalid value: cannot disable the terminal Complete=True condition',
      'status.failed: Invalid value: 1: cannot decrease the failed counter',
    ]);
    const bad = withStatus(j, { startTime: t1, active: 1, succeeded: 1, completionTime: t0, completedIndexes: '0', uncountedTerminatedPods: { failed: ['a', 'a'] }, conditions: [cond('Complete'), cond('Failed')] });
    expect(messages(validateJobStatusUpdate(bad, j))).toEqual([
      'status.uncountedTerminatedPods.failed[1]: Duplicate value: "a"',
      'status.completedIndexes: Invalid value: "0": cannot set non-empty completedIndexes when non-indexed completion mode',
      'status.active: Invalid value: 1: active>0 is invalid for finished job',
      'status.conditions: Invalid value: cannot set Failed=True condition without the FailureTarget=true condition',
      'status.conditions: Invalid value: cannot set Complete=True condition without the SuccessCriteriaMet=true condition',
      'status.uncountedTerminatedPods: Invalid value: {"failed":["a","a"]}: uncountedTerminatedPods needs to be empty for finished job',
      'status.completionTime: Invalid value: "2026-01-01T00:00:00Z": completionTime cannot be set before startTime',
      'status.conditions: Invalid value: cannot set Complete=True and Failed=true conditions',
    ]);
    const indexed = job({ completionMode: 'Indexed', completions: 4, parallelism: 2, backoffLimitPerIndex: 1 });
    expect(messages(validateJobStatusUpdate(withStatus(indexed, { completedIndexes: '0-2', failedIndexes: '2,7' }), indexed))).toEqual([
      'status.failedIndexes: Invalid value: "2,7": error parsing failedIndexes: too large index: "7"',
      'status.failedIndexes: Invalid value: "2,7": failedIndexes and completedIndexes overlap at index: 2',
    ]);
    expect(messages(validateJobStatusUpdate(withStatus(j, { active: 1, ready: 2 }), j))).toEqual(['status.ready: Invalid value: 2: cannot set more ready pods than active']);
    // (an unrelated update of a job whose status is already wrong goes through)
    const wrong = withStatus(j, { completedIndexes: '0' });
    expect(validateJobStatusUpdate(withStatus(j, { completedIndexes: '0', active: 1 }), wrong)).toEqual([]);
  });
});

function cronJob(spec: Record<string, unknown>): CronJob {
  const cj: CronJob = { metadata: { name: 'hello', namespace: 'default' }, spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: template('OnFailure') } }, ...spec } as never };
  return defaultCronJob(cj);
}

describe('CronJob defaults and validation', () => {
  it('defaults Allow, not suspended, 3 successful and 1 failed job kept; the job template is not given a selector', () => {
    const cj = cronJob({});
    expect(cj.spec).toMatchObject({ concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
    expect(cj.spec!.jobTemplate!.spec!.template!.spec!.terminationGracePeriodSeconds).toBe(30);
    expect(validateCronJob(cj)).toEqual([]);
  });

  it('rejects bad schedules, unknown time zones, TZ in the schedule, bad policies, long names', () => {
    expect(messages(validateCronJob(cronJob({ schedule: '61 * * * *' })))).toEqual(['spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61']);
    expect(messages(validateCronJob(cronJob({ schedule: '' })))).toEqual(['spec.schedule: Required value']);
    expect(messages(validateCronJob(cronJob({ timeZone: 'Mars/Olympus' })))).toEqual(['spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus']);
    expect(messages(validateCronJob(cronJob({ timeZone: 'Local' })))).toEqual(['spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones']);
    expect(validateCronJob(cronJob({ timeZone: 'Europe/Berlin' }))).toEqual([]);
    expect(validateCronJob(cronJob({ timeZone: 'UTC' }))).toEqual([]);
    expect(messages(validateCronJob(cronJob({ schedule: 'CRON_TZ=UTC * * * * *' })))).toEqual(['spec.schedule: Invalid value: "CRON_TZ=UTC * * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead']);
    expect(messages(validateCronJob(cronJob({ concurrencyPolicy: 'Sometimes' })))).toEqual(['spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"']);
    expect(messages(validateCronJob(cronJob({ jobTemplate: { spec: { template: template('Always') } } })))).toEqual(['spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"']);
    const long = cronJob({});
    long.metadata!.name = 'a'.repeat(53);
    expect(messages(validateCronJob(long))).toEqual([`metadata.name: Invalid value: "${'a'.repeat(53)}": must be no more than 52 characters`]);
    // An object stored with CRON_TZ may keep it.
    const old = cronJob({});
    old.spec!.schedule = 'CRON_TZ=UTC 0 * * * *';
    expect(validateCronJobUpdate(structuredClone(old), old)).toEqual([]);
  });
});

describe('Job templates with sidecars', () => {
  it('accept an init container with restartPolicy Always and probes beside restartPolicy Never', () => {
    const t = template();
    (t.spec as Record<string, unknown>).initContainers = [{ name: 'proxy', image: 'busybox', restartPolicy: 'Always', readinessProbe: { exec: { command: ['true'] } } }];
    expect(messages(validateJob(job({ template: t })))).toEqual([]);
    (t.spec as Record<string, unknown>).initContainers = [{ name: 'proxy', image: 'busybox', restartPolicy: 'Never' }];
    expect(messages(validateJob(job({ template: t })))).toEqual(['spec.template.spec.initContainers[0].restartPolicy: Unsupported value: "Never": supported values: "Always"']);
  });
});
