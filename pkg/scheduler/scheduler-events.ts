// What the scheduler tells users: Scheduled, FailedScheduling and Preempted events (in the
// events.k8s.io manner: eventTime, action, series) and the PodScheduled=False condition of a pod
// that does not fit.
import type { KubeObject, Pod } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import { EventSink } from '../client/event-sink.js';
import { hostname } from 'node:os';
import { EVENT_RETRY, eventName, eventRetryDelayMs, microTimeNow, retriable } from '../client/events.js';
import { Events, isNotFound, Pods } from '../client/rest-client.js';
import { logger } from '../util/log.js';
import { rfc3339Now } from '../util/time.js';
import { eventsDropped } from './metrics.js';
import { podKey } from './node-info.js';

const log = logger('scheduler');

/** The action kube-scheduler gives each of its reasons. */
const ACTIONS: Record<string, string> = { Scheduled: 'Binding', FailedScheduling: 'Scheduling', Preempted: 'Preempting' };

/** A pod as an ObjectReference, as client-go's reference.GetReference makes it. */
const podRef = (p: Pod) => ({ kind: 'Pod', namespace: p.metadata?.namespace, name: p.metadata?.name, uid: p.metadata?.uid, apiVersion: 'v1', resourceVersion: p.metadata?.resourceVersion });

/** client-go's events broadcaster: series still observed are written every 30 min; one unseen for 6 min is finished. */
export const EVENT_SERIES = { refreshMs: 30 * 60_000, finishMs: 6 * 60_000 };

interface Recorded {
  namespace: string;
  name: string;
  eventTimeMs: number;
  /** Whether the create went through (a series is written only onto an event that exists). */
  created?: boolean;
  series?: { count: number; lastObservedTime: string; lastObservedMs: number };
}

/**
 * What kube-scheduler tells users, as its events.k8s.io recorder (client-go tools/events) does:
 * an event has an eventTime, an action (Binding, Scheduling, Preempting), the scheduler as its
 * reporting controller and `<scheduler>-<hostname>` as instance, and no count or timestamps;
 * one repeated (same pod, action, reason, related object) becomes a series — written at its
 * second occurrence, then every 30 minutes and when it ends — keeping its first note.
 */
export class SchedulerEvents {
  private readonly cache = new Map<string, Recorded>();
  private readonly sink = new EventSink(1000, () => eventsDropped.inc());
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly instance: string;

  constructor(
    private readonly client: ApiClient,
    private readonly cfg: { schedulerName: string },
  ) {
    this.instance = `${cfg.schedulerName}-${hostname()}`;
    const every = (ms: number, f: () => void) => {
      const t = setInterval(f, ms);
      t.unref();
      this.timers.push(t);
    };
    every(EVENT_SERIES.refreshMs, () => this.refreshSeries());
    every(EVENT_SERIES.finishMs, () => this.finishSeries());
  }

  /**
   * Events, best effort: queued to one writer (see EventSink); a flood of them must not slow binds.
   * A write the apiserver did not take (down, restarting: a bind made just before it died) is
   * tried again, as client-go's recorder tries: 12 times, 10 s apart, the first after a random
   * part of that.
   */
  event(pod: Pod, type: string, reason: string, message: string, action = ACTIONS[reason] ?? reason, related?: Pod): void {
    const ns = pod.metadata!.namespace!;
    // (getKey: the exact references, resourceVersion included — a pod whose condition the
    // scheduler rewrote for a new message is another object version, so another event — and
    // the action, reason, type and reporter)
    const key = [pod.metadata?.uid, ns, pod.metadata?.name, pod.metadata?.resourceVersion, action, reason, type, related?.metadata?.uid ?? '', related?.metadata?.resourceVersion ?? ''].join('\u0000');
    const seen = this.cache.get(key);
    if (seen) {
      const now = Date.now();
      if (seen.series) {
        seen.series.count++;
        seen.series.lastObservedTime = microTimeNow();
        seen.series.lastObservedMs = now;
        return;
      }
      seen.series = { count: 2, lastObservedTime: microTimeNow(), lastObservedMs: now };
      // (not before the event exists: its create may be waiting for a retry; then it is written with it)
      if (seen.created) this.writeSeries(seen);
      return;
    }
    const ev = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: eventName(pod.metadata!.name!), namespace: ns },
      involvedObject: podRef(pod),
      ...(related ? { related: podRef(related) } : {}),
      reason,
      message,
      type,
      eventTime: microTimeNow(),
      action,
      reportingComponent: this.cfg.schedulerName,
      reportingInstance: this.instance,
    } as KubeObject;
    const recorded: Recorded = { namespace: ns, name: ev.metadata!.name!, eventTimeMs: Date.now() };
    this.cache.set(key, recorded);
    const write = async (tries: number): Promise<void> => {
      try {
        await this.client.create(Events, ns, ev);
        recorded.created = true;
        if (recorded.series) this.writeSeries(recorded);
      } catch (e) {
        if (!retriable(e) || tries >= EVENT_RETRY.maxTries || this.stopped) {
          if (this.cache.get(key) === recorded) this.cache.delete(key);
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

  /** The series as it stands, on the event (a patch of series only: the note stays the first one). */
  private writeSeries(r: Recorded): void {
    const series = { count: r.series!.count, lastObservedTime: r.series!.lastObservedTime };
    this.sink.enqueue(() =>
      this.client.patch(Events, r.namespace, r.name, { series }, 'merge').then(
        () => undefined,
        (e: unknown) => log.debug('event series not recorded', { err: e, event: `${r.namespace}/${r.name}` }),
      ),
    );
  }

  private refreshSeries(): void {
    for (const r of this.cache.values()) if (r.series && r.created) this.writeSeries(r);
  }

  private finishSeries(now = Date.now()): void {
    for (const [key, r] of this.cache) {
      if (r.series ? now - r.series.lastObservedMs > EVENT_SERIES.finishMs : now - r.eventTimeMs > EVENT_SERIES.finishMs) {
        if (r.series && r.created) this.writeSeries(r);
        this.cache.delete(key);
      }
    }
  }

  private stopped = false;
  private readonly retries = new Set<NodeJS.Timeout>();

  /** No more retries (the scheduler stops). */
  stop(): void {
    this.stopped = true;
    for (const t of this.retries) clearTimeout(t);
    this.retries.clear();
    for (const t of this.timers) clearInterval(t);
  }

  /** The pod does not fit: PodScheduled=False (Unschedulable) with the message, when it says something new, and a FailedScheduling event. */
  async unschedulable(pod: Pod, message: string): Promise<void> {
    const key = podKey(pod);
    const ns = pod.metadata!.namespace!;
    const name = pod.metadata!.name!;
    const cond = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (!cond || cond.status !== 'False' || cond.message !== message) {
      const conditions = (pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
      // (UpdatePodCondition: the transition time stays while the status does)
      conditions.push({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: undefined, lastTransitionTime: cond?.status === 'False' && cond.lastTransitionTime ? cond.lastTransitionTime : rfc3339Now() });
      await this.client.patch(Pods, ns, name, { status: { conditions } }, 'merge', 'status').catch((e) => {
        if (!isNotFound(e)) log.warn('could not set PodScheduled=False', { pod: key, err: e });
      });
    }
    this.event(pod, 'Warning', 'FailedScheduling', message);
  }
}
