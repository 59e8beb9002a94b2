// The TTL-after-finished controller (kube-controller-manager's ttlafterfinished): a Job with
// spec.ttlSecondsAfterFinished is deleted (foreground, so its pods go first) that many seconds
// after it finished: its completionTime, or when its Failed condition turned true.
import type { Job, KubeObject } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import { keyOf, type Informer } from '../client/informer.js';
import { isNotFound, Jobs } from '../client/rest-client.js';
import { logger } from '../util/log.js';
import { isJobFinished } from './job-status.js';
import { WorkQueue } from './work-queue.js';

const log = logger('ttl-after-finished-controller');

type J = Job & KubeObject;

/** When `job` expires (ms), or undefined when it has no TTL or has not finished. */
export function jobExpiry(job: J): number | undefined {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  if (ttl == null || !isJobFinished(job)) return undefined;
  const failed = job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
  const finished = job.status?.completionTime ?? failed?.lastTransitionTime;
  if (!finished) return undefined;
  return Date.parse(finished) + ttl * 1000;
}

export class TTLAfterFinishedController {
  readonly queue: WorkQueue;

  constructor(
    private readonly client: ApiClient,
    private readonly jobs: Informer<J>,
    private readonly now: () => number = Date.now,
  ) {
    this.queue = new WorkQueue('ttl-after-finished', (key) => this.sync(key));
    jobs.on({ add: (j) => this.enqueue(j), update: (j) => this.enqueue(j), delete: () => {} });
  }

  start(): void {
    for (const j of this.jobs.list()) this.enqueue(j);
  }

  stop(): void {
    this.queue.stop();
  }

  private enqueue(j: J): void {
    if (!j.metadata?.deletionTimestamp && jobExpiry(j) !== undefined) this.queue.add(keyOf(j));
  }

  async sync(key: string): Promise<void> {
    const job = this.jobs.get(key);
    if (!job || job.metadata?.deletionTimestamp) return;
    const expiry = jobExpiry(job);
    if (expiry === undefined) return;
    const wait = expiry - this.now();
    if (wait > 0) return this.queue.addAfter(key, wait + 50);
    try {
      await this.client.delete(Jobs, job.metadata!.namespace!, job.metadata!.name!, { propagationPolicy: 'Foreground', preconditions: { uid: job.metadata!.uid } });
      log.info('deleted finished job past its TTL', { job: key });
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
  }
}
