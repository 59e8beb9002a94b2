// What the scheduler tells users: Scheduled, FailedScheduling (one event per pod and reason, its
// count raised on repeats) and Preempted events, and the PodScheduled=False condition of a pod
// that does not fit.
import type { KubeObject, Pod } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import { EventSink } from '../client/event-sink.js';
import { EVENT_RETRY, eventRetryDelayMs, newEvent, retriable } from '../client/events.js';
import { defaultIdentity } from '../client/leader-election.js';
import { Events, Pods, StatusError } from '../client/rest-client.js';
import { logger } from '../util/log.js';
import { rfc3339Now } from '../util/time.js';
import { eventsDropped } from './metrics.js';
import { podKey } from './node-info.js';

const log = logger('scheduler');

export class SchedulerEvents {
  private failedEvents = new Map<string, { name: string; count: number }>();
  private readonly sink = new EventSink(1000, () => eventsDropped.inc());

  constructor(
    private readonly client: ApiClient,
    private readonly cfg: { schedulerName: string; identity?: string },
  ) {}

  /**
   * Events, best effort: queued to one writer (see EventSink); a flood of them must not slow binds.
   * A write the apiserver did not take (down, restarting: a bind made just before it died) is
   * tried again, as client-go's recorder tries: 12 times, 10 s apart, the first after a random
   * part of that.
   */
  event(pod: Pod, type: string, reason: string, message: string): void {
    const ns = pod.metadata!.namespace!;
    const dedup = `${podKey(pod)}/${reason}`;
    const write = async (tries: number): Promise<void> => {
      const now = rfc3339Now();
      try {
        const prev = reason === 'FailedScheduling' ? this.failedEvents.get(dedup) : undefined;
        if (prev) {
          prev.count++;
          await this.client.patch(Events, ns, prev.name, { count: prev.count, lastTimestamp: now, message }, 'merge');
          return;
        }
        const ev = await this.client.create(Events, ns, newEvent(pod as KubeObject, { component: this.cfg.schedulerName, instance: this.cfg.identity ?? defaultIdentity() }, type, reason, message));
        if (reason === 'FailedScheduling') this.failedEvents.set(dedup, { name: ev.metadata!.name!, count: 1 });
      } catch (e) {
        if (reason === 'FailedScheduling') this.failedEvents.delete(dedup);
        if (!retriable(e) || tries >= EVENT_RETRY.maxTries || this.stopped) {
          log.debug('event not recorded', { err: e, reason, pod: podKey(pod), tries });
          return;
        }
        const timer: NodeJS.Timeout = setTimeout(
          () => {
            this.retries.delete(timer);
            this.sink.enqueue(() => write(tries + 1));
          },
          eventRetryDelayMs(tries),
        );
        timer.unref();
        this.retries.add(timer);
      }
    };
    this.sink.enqueue(() => write(1));
  }

  private stopped = false;
  private readonly retries = new Set<NodeJS.Timeout>();

  /** No more retries (the scheduler stops). */
  stop(): void {
    this.stopped = true;
    for (const t of this.retries) clearTimeout(t);
    this.retries.clear();
  }

  /** The pod does not fit: PodScheduled=False (Unschedulable) with the message, when it says something new, and a FailedScheduling event. */
  async unschedulable(pod: Pod, message: string): Promise<void> {
    const key = podKey(pod);
    const ns = pod.metadata!.namespace!;
    const name = pod.metadata!.name!;
    const cond = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (!cond || cond.status !== 'False' || cond.message !== message) {
      const conditions = (pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
      conditions.push({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: undefined, lastTransitionTime: rfc3339Now() });
      await this.client.patch(Pods, ns, name, { status: { conditions } }, 'merge', 'status').catch((e) => {
        if (!(e instanceof StatusError && e.code === 404)) log.warn('could not set PodScheduled=False', { pod: key, err: e });
      });
    }
    this.event(pod, 'Warning', 'FailedScheduling', message);
  }
}
