// The Job controller (kube-controller-manager's job controller): runs a Job's pods to
// completion. It creates pods from the template (generateName `<job>-`, controlled by the Job;
// for Indexed jobs `<job>-<index>-` with the completion index as annotation, label, env
// JOB_COMPLETION_INDEX and hostname), up to parallelism while completions remain; counts
// succeeded and failed pods; waits a doubling delay after pod failures (per index, with
// backoffLimitPerIndex); fails the job past its backoffLimit, activeDeadlineSeconds, a FailJob
// rule or its failed indexes, and completes it once enough pods succeeded or a success policy's
// rule is met; deletes the active pods of a suspended job. The arithmetic is planJob's
// (job-status.ts); this file reads the informers, claims pods, carries out the plan and writes
// status. Expectations keep a lagging informer from causing a second create or delete.
import { labelSelectorFromObject, matchesLabelSelector } from '../api/selectors.js';
import type { Job, KubeObject, Pod } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import type { EventSink } from '../client/event-sink.js';
import { recordEvent } from '../client/events.js';
import { keyOf, type Informer } from '../client/informer.js';
import { Jobs, Pods, StatusError } from '../client/rest-client.js';
import { createPods, deletePods, type PodControl } from './pod-control.js';
import { logger } from '../util/log.js';
import { claimObjects, controllerOf } from './controller-ref.js';
import { Expectations } from './expectations.js';
import { COMPLETION_INDEX, defaultJobBackoff, isJobFinished, planJob, type BackoffConfig, type JobPlan } from './job-status.js';
import { podFromTemplate } from './pod-template.js';
import { WorkQueue } from './work-queue.js';
import { isTerminalPhase } from '../api/pod-phase.js';

const log = logger('job-controller');
const SOURCE = { component: 'job-controller' };

type J = Job & KubeObject;
type P = Pod & KubeObject;

export interface JobInformers {
  jobs: Informer<J>;
  pods: Informer<P>;
}

export interface JobControllerOptions {
  /** The controller's clock (ms since the epoch). */
  now?: () => number;
  backoff?: BackoffConfig;
}

/** A pod of `job`; for an Indexed job, the pod of completion index `index` (with `annotations`: its index's failure counts). */
export function jobPod(job: J, index: number | undefined, annotations?: Record<string, string>): P {
  const name = job.metadata!.name!;
  const pod = podFromTemplate(job, job.spec?.template, 'batch/v1', 'Job', index === undefined ? `${name}-` : `${name}-${index}-`);
  if (index === undefined) return pod;
  const m = pod.metadata!;
  m.annotations = { ...(m.annotations ?? {}), [COMPLETION_INDEX]: String(index), ...annotations };
  m.labels = { ...(m.labels ?? {}), [COMPLETION_INDEX]: String(index) };
  const spec = pod.spec!;
  spec.hostname = `${name}-${index}`;
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    // (a variable of that name the template sets is kept, as upstream's addCompletionIndexEnvVariable)
    if (!c.env?.some((e) => e.name === 'JOB_COMPLETION_INDEX')) c.env = [...(c.env ?? []), { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.labels['${COMPLETION_INDEX}']` } } }];
  }
  return pod;
}

export class JobController {
  readonly queue: WorkQueue;
  private readonly expectations = new Expectations();
  private readonly now: () => number;
  private readonly backoff: BackoffConfig;
  /** uid -> when a finished pod was first seen (its finish time when the pod carries none). */
  private readonly finishedSeen = new Map<string, number>();
  /** uids of the pods this controller deleted (suspend, end, excess): their end is not a failure. */
  private readonly stopped = new Set<string>();

  constructor(
    private readonly client: ApiClient,
    private readonly informers: JobInformers,
    private readonly events: EventSink,
    opts: JobControllerOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.backoff = opts.backoff ?? defaultJobBackoff;
    this.queue = new WorkQueue('job', (key) => this.sync(key));
    informers.jobs.on({
      add: (j) => this.queue.add(keyOf(j)),
      update: (j) => this.queue.add(keyOf(j)),
      delete: (j) => {
        this.expectations.delete(keyOf(j));
        this.queue.add(keyOf(j));
      },
    });
    informers.pods.on({
      add: (p) => this.podChanged(p, true),
      update: (p, old) => {
        if (p.metadata?.deletionTimestamp && !old.metadata?.deletionTimestamp) {
          const key = this.ownerKey(p);
          if (key) this.expectations.deletionObserved(key, p.metadata.uid!);
        }
        this.podChanged(p, false);
      },
      delete: (p) => {
        this.finishedSeen.delete(p.metadata?.uid ?? '');
        this.stopped.delete(p.metadata?.uid ?? '');
        const key = this.ownerKey(p);
        if (!key) return;
        this.expectations.deletionObserved(key, p.metadata!.uid!);
        this.queue.add(key);
      },
    });
  }

  start(): void {
    for (const j of this.informers.jobs.list()) this.queue.add(keyOf(j));
  }

  stop(): void {
    this.queue.stop();
  }

  private ownerKey(p: P): string | undefined {
    const ref = controllerOf(p);
    if (!ref || ref.kind !== 'Job') return undefined;
    return `${p.metadata!.namespace}/${ref.name}`;
  }

  private podChanged(p: P, added: boolean): void {
    const key = this.ownerKey(p);
    if (!key) return;
    if (added) this.expectations.creationObserved(key);
    const phase = p.status?.phase;
    if (isTerminalPhase(phase) && !this.finishedSeen.has(p.metadata!.uid!)) this.finishedSeen.set(p.metadata!.uid!, this.now());
    this.queue.add(key);
  }

  async sync(key: string): Promise<void> {
    const cached = this.informers.jobs.get(key);
    if (!cached) {
      this.expectations.delete(key);
      return;
    }
    if (isJobFinished(cached) || cached.metadata?.deletionTimestamp) return;
    // A job another controller manages (spec.managedBy) is left to it, status and pods alike.
    const managedBy = cached.spec?.managedBy;
    if (managedBy != null && managedBy !== 'kubernetes.io/job-controller') return;
    // Creates or deletes not yet seen: their watch events bring the job back.
    if (!this.expectations.satisfied(key)) return;
    const job = structuredClone(cached);
    const ns = job.metadata!.namespace!;
    const candidates = this.informers.pods.list().filter((p) => p.metadata?.namespace === ns);
    const pods = (await claimObjects(this.client, candidates, { owner: job, apiVersion: 'batch/v1', kind: 'Job', matches: (o) => selects(job, o as P), ref: Pods })) as P[];
    const plan = planJob({ job, pods, now: this.now(), backoff: this.backoff, firstSeen: (p) => this.finishedSeen.get(p.metadata!.uid!) ?? this.now(), stoppedByJob: (p) => this.stopped.has(p.metadata!.uid!) });
    let manageError: unknown;
    try {
      await this.carryOut(key, job, plan);
    } catch (e) {
      manageError = e;
    }
    // Events of a transition only once its status is written (a conflict plans again).
    if (JSON.stringify(plan.status) !== JSON.stringify(job.status ?? {})) await this.updateStatus(job, plan.status);
    for (const ev of plan.events) this.event(job, ev.type, ev.reason, ev.message);
    if (manageError) throw manageError;
    if (plan.requeueAfterMs !== undefined) this.queue.addAfter(key, plan.requeueAfterMs + 50);
  }

  private async carryOut(key: string, job: J, plan: JobPlan): Promise<void> {
    const ctl: PodControl = { client: this.client, expectations: this.expectations, key, namespace: job.metadata!.namespace!, event: (type, reason, message) => this.event(job, type, reason, message) };
    if (plan.delete.length) {
      for (const p of plan.delete) this.stopped.add(p.metadata!.uid!);
      await deletePods(ctl, plan.delete);
    }
    if (!plan.create.length) return;
    await createPods(ctl, plan.create.map((i) => jobPod(job, i, i === undefined ? undefined : plan.indexAnnotations?.get(i))));
    log.debug('created pods', { job: key, count: plan.create.length });
  }

  /** A conflict fails the sync: it is retried against the newer job, as conditions and times must not be overwritten. */
  private async updateStatus(job: J, status: NonNullable<Job['status']>): Promise<void> {
    try {
      await this.client.update(Jobs, job.metadata!.namespace!, job.metadata!.name!, { ...job, status }, 'status');
    } catch (e) {
      if (e instanceof StatusError && e.code === 404) return;
      throw e;
    }
  }

  private event(job: J, type: string, reason: string, message: string): void {
    const obj = { ...job, apiVersion: 'batch/v1', kind: 'Job' };
    this.events.enqueue(() => recordEvent(this.client, obj, SOURCE, type, reason, message));
  }
}

function selects(job: J, p: P): boolean {
  try {
    return matchesLabelSelector(labelSelectorFromObject(job.spec?.selector), p.metadata?.labels ?? {});
  } catch {
    return false;
  }
}
