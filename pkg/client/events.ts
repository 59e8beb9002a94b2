// Events as client-go's recorder writes them: named after the object with a hex timestamp (a
// valid DNS subdomain, where a generateName ending in "." is not), core/v1 fields filled in.
import type { KubeObject } from '../api/types.js';
import type { ApiClient } from './api-client.js';
import { Events, StatusError } from './rest-client.js';
import { logger } from '../util/log.js';
import { rfc3339Now } from '../util/time.js';

export function eventName(objectName: string): string {
  return `${objectName}.${unixNano().toString(16)}`;
}

const hrtimeAtStart = process.hrtime.bigint();
const unixNanoAtStart = BigInt(Date.now()) * 1_000_000n;
let lastNano = 0n;
/** Nanoseconds since the epoch (the wall clock at start, advanced by the monotonic clock), never the same twice in a process. */
export function unixNano(): bigint {
  let n = unixNanoAtStart + (process.hrtime.bigint() - hrtimeAtStart);
  if (n <= lastNano) n = lastNano + 1n;
  return (lastNano = n);
}

/** A metav1.MicroTime: RFC 3339 with microseconds. */
export const microTimeNow = (): string => {
  const n = unixNano();
  return `${new Date(Number(n / 1_000_000n)).toISOString().slice(0, 19)}.${String((n / 1000n) % 1_000_000n).padStart(6, '0')}Z`;
};

export interface EventSource {
  component: string;
  host?: string;
  instance?: string;
}


/**
 * The Event body for `obj` (a pod when namespaced, otherwise a node unless kind says otherwise).
 * Its involvedObject names the object's resourceVersion when it has one, as client-go's
 * ref.GetReference and the kubelet's container references (GetPartialReference) do: the version
 * of the object the event was about.
 */
export function newEvent(obj: KubeObject, source: EventSource, type: string, reason: string, message: string, fieldPath?: string): KubeObject {
  const now = rfc3339Now();
  const name = obj.metadata?.name ?? 'object';
  const rv = obj.metadata?.resourceVersion;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: eventName(name), namespace: obj.metadata?.namespace ?? 'default' },
    involvedObject: { apiVersion: obj.apiVersion ?? 'v1', kind: obj.kind ?? (obj.metadata?.namespace ? 'Pod' : 'Node'), name, namespace: obj.metadata?.namespace, uid: obj.metadata?.uid, ...(rv ? { resourceVersion: rv } : {}), ...(fieldPath ? { fieldPath } : {}) },
    reason,
    message,
    type,
    source: { component: source.component, ...(source.host ? { host: source.host } : {}) },
    reportingComponent: source.component,
    reportingInstance: source.instance ?? source.host ?? '',
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  } as KubeObject;
}

/**
 * What one client has recorded (client-go's EventCorrelator cache, one per recorder): events by
 * what makes two the same, and the write in flight (the last one queued) for each.
 */
interface Correlator {
  /** Each event as last observed (client-go's eventLogger): counted whether or not its write was let through. */
  recorded: Map<string, { name: string; namespace: string; count: number; firstTimestamp: string }>;
  writing: Map<string, Promise<unknown>>;
  /** Token buckets by source and object (client-go's EventSourceObjectSpamFilter). */
  spam: Map<string, { tokens: number; atMs: number }>;
  /** The messages seen lately of each source, object, type and reason (client-go's EventAggregator). */
  similar: Map<string, { messages: Set<string>; atMs: number }>;
}
const correlators = new WeakMap<ApiClient, Correlator>();
const MAX_RECORDED = 4096;
const log = logger('events');
function correlatorOf(client: ApiClient): Correlator {
  let c = correlators.get(client);
  if (!c) correlators.set(client, (c = { recorded: new Map(), writing: new Map(), spam: new Map(), similar: new Map() }));
  return c;
}

/**
 * Records an event, best effort: a lost event never fails the caller. An event the same as
 * one recorded before (same source, object, type, reason and message) is not written again:
 * the first one's count goes up and its lastTimestamp moves, as client-go's recorder does, so
 * `kubectl describe` shows "(x6 over 20s)" instead of six lines.
 *
 * The steps are client-go's EventCorrelate, in its order: aggregate, count, then the spam
 * filter. An occurrence the filter drops is still counted, so the next one let through says how
 * often it really happened ("(x40 over 30m)" for a container crashing all along, not 26).
 */
export function recordEvent(client: ApiClient, obj: KubeObject, source: EventSource, type: string, reason: string, message: string, fieldPath?: string): Promise<KubeObject | undefined> {
  const ev = newEvent(obj, source, type, reason, message, fieldPath);
  const io = ev.involvedObject as { apiVersion?: string; kind: string; namespace?: string; name: string; uid?: string; fieldPath?: string };
  const c = correlatorOf(client);
  // client-go's aggregator: from the 10th different message of one source, object, type and
  // reason within 10 minutes, they go into one event, "(combined from similar events): <the
  // latest>", counted as they come. (EventAggregate makes that event afresh, without the
  // reporting fields the recorder filled in: they read "".)
  const similarKey = [source.component, source.host ?? '', io.kind, io.namespace ?? '', io.name, io.uid ?? '', io.apiVersion ?? '', type, reason].join('\u0000');
  const combined = aggregated(c, similarKey, message);
  if (combined) Object.assign(ev, { message: `(combined from similar events): ${message}`, reportingComponent: '', reportingInstance: '' });
  const key = combined ? `similar\u0000${similarKey}` : [source.component, source.host ?? '', io.kind, io.namespace ?? '', io.name, io.uid ?? '', io.fieldPath ?? '', type, reason, message].join('\u0000');
  observe(c, key, ev);
  // client-go's spam filter: a source may write 25 events (new ones or counts) about one object
  // at once, then one every 5 minutes; the rest are dropped. A probe failing every second, or a
  // crash loop, cannot flood the apiserver and etcd.
  if (!spamAllowed(c, [source.component, source.host ?? '', io.kind, io.namespace ?? '', io.name, io.uid ?? '', io.apiVersion ?? ''].join('\u0000'))) {
    log.debug('event dropped by the spam filter', { reason, object: io.name });
    return Promise.resolve(undefined);
  }
  // The same event recorded again while its first write is in flight waits for that write, and
  // then counts on it, rather than creating a second one.
  const { writing } = c;
  const write = (writing.get(key) ?? Promise.resolve()).then(() => writeEvent(client, ev));
  writing.set(key, write);
  const done = () => writing.get(key) === write && writing.delete(key);
  write.then(done, done);
  return write;
}

/**
 * client-go's eventObserve: an event seen before under `key` takes the first one's name and
 * firstTimestamp and the next count; either way it is remembered as seen, written or not.
 */
function observe(c: Correlator, key: string, ev: KubeObject): void {
  const meta = ev.metadata!;
  const e = ev as KubeObject & { count: number; firstTimestamp: string };
  const prev = c.recorded.get(key);
  c.recorded.delete(key); // most recently used last
  if (prev) Object.assign(e, { count: prev.count + 1, firstTimestamp: prev.firstTimestamp }, { metadata: { ...meta, name: prev.name } });
  c.recorded.set(key, { name: e.metadata!.name!, namespace: meta.namespace!, count: e.count, firstTimestamp: e.firstTimestamp });
  if (c.recorded.size > MAX_RECORDED) c.recorded.delete(c.recorded.keys().next().value!);
}

/** client-go's aggregator defaults: 10 different messages within 600 s. */
export const EVENT_AGGREGATE = { maxMessages: 10, intervalMs: 600_000 };

/** Whether `message` joins (or makes) the combined event of its kind (EventAggregate). */
function aggregated(c: Correlator, key: string, message: string, nowMs = Date.now()): boolean {
  let r = c.similar.get(key);
  if (!r || nowMs - r.atMs > EVENT_AGGREGATE.intervalMs) r = { messages: new Set(), atMs: nowMs };
  c.similar.delete(key); // most recently used last
  r.messages.add(message);
  r.atMs = nowMs;
  c.similar.set(key, r);
  if (c.similar.size > MAX_RECORDED) c.similar.delete(c.similar.keys().next().value!);
  if (r.messages.size < EVENT_AGGREGATE.maxMessages) return false;
  // (the set does not grow past the threshold: one is let go)
  r.messages.delete(r.messages.values().next().value!);
  return true;
}

/** client-go's defaults: a burst of 25, refilled at one per 300 s. */
export const EVENT_SPAM = { burst: 25, perSecond: 1 / 300 };

function spamAllowed(c: Correlator, key: string, nowMs = Date.now()): boolean {
  let b = c.spam.get(key);
  if (b) {
    c.spam.delete(key); // most recently used last
    b.tokens = Math.min(EVENT_SPAM.burst, b.tokens + ((nowMs - b.atMs) / 1000) * EVENT_SPAM.perSecond);
    b.atMs = nowMs;
  } else b = { tokens: EVENT_SPAM.burst, atMs: nowMs };
  c.spam.set(key, b);
  if (c.spam.size > MAX_RECORDED) c.spam.delete(c.spam.keys().next().value!);
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

/**
 * client-go's recordEvent: a count past 1 is a patch of the event (count, lastTimestamp,
 * message); if that event is gone (expired, deleted, or never written because the spam filter
 * dropped it) it is created under its name with the count it has reached.
 */
async function writeEvent(client: ApiClient, ev: KubeObject): Promise<KubeObject | undefined> {
  const e = ev as KubeObject & { count: number; lastTimestamp: string; message: string };
  if (e.count > 1) {
    try {
      // (the message too: a combined event says the latest one)
      return await client.patch(Events, ev.metadata!.namespace, ev.metadata!.name!, { count: e.count, lastTimestamp: e.lastTimestamp, message: e.message }, 'merge');
    } catch {
      // gone: created below
    }
  }
  try {
    return await client.create(Events, ev.metadata!.namespace, ev);
  } catch (e) {
    if (retriable(e)) retryLater(client, ev, 1);
    return undefined;
  }
}

/** client-go's recordToSink: 12 tries, 10 s apart, the first retry after a random part of that (clients do not all return at once). */
export const EVENT_RETRY = { maxTries: 12, intervalMs: 10_000 };

/** How long before try number tries + 1 (EVENT_RETRY's schedule). */
export const eventRetryDelayMs = (tries: number) => (tries === 1 ? Math.random() * EVENT_RETRY.intervalMs : EVENT_RETRY.intervalMs);

/** A write the server never answered (down, restarting) or failed on its side is tried again; one it refused (4xx) is not. */
export const retriable = (e: unknown) => !(e instanceof StatusError) || e.code >= 500;

/** Tries the create again in the background, without holding the caller or the process. */
function retryLater(client: ApiClient, ev: KubeObject, tries: number): void {
  if (tries >= EVENT_RETRY.maxTries) {
    log.warn('event dropped: the apiserver did not take it', { reason: ev.reason, object: (ev.involvedObject as { name?: string } | undefined)?.name, tries });
    return;
  }
  const timer = setTimeout(() => {
    client.create(Events, ev.metadata!.namespace, ev).then(
      () => undefined,
      (e: unknown) => {
        if (retriable(e)) retryLater(client, ev, tries + 1);
      },
    );
  }, eventRetryDelayMs(tries));
  timer.unref();
}
