// Events as client-go's recorder writes them: named after the object with a hex timestamp (a
// valid DNS subdomain, where a generateName ending in "." is not), core/v1 fields filled in.
import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../api/types.js';
import type { ApiClient } from './api-client.js';
import { Events } from './rest-client.js';
import { rfc3339Now } from '../util/time.js';

export function eventName(objectName: string): string {
  const ns = process.hrtime.bigint().toString(16);
  return `${objectName}.${ns}${randomBytes(2).toString('hex')}`;
}

export interface EventSource {
  component: string;
  host?: string;
  instance?: string;
}


/** The Event body for `obj` (a pod when namespaced, otherwise a node unless kind says otherwise). */
export function newEvent(obj: KubeObject, source: EventSource, type: string, reason: string, message: string, fieldPath?: string): KubeObject {
  const now = rfc3339Now();
  const name = obj.metadata?.name ?? 'object';
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: eventName(name), namespace: obj.metadata?.namespace ?? 'default' },
    involvedObject: { apiVersion: obj.apiVersion ?? 'v1', kind: obj.kind ?? (obj.metadata?.namespace ? 'Pod' : 'Node'), name, namespace: obj.metadata?.namespace, uid: obj.metadata?.uid, ...(fieldPath ? { fieldPath } : {}) },
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

/** Events recorded by this process, by what makes two the same (client-go's EventCorrelator cache). */
const recorded = new Map<string, { name: string; namespace: string; count: number }>();
const MAX_RECORDED = 4096;
/** The write in flight (the last one queued) for each event key. */
const writing = new Map<string, Promise<unknown>>();

/**
 * Records an event, best effort: a lost event never fails the caller. An event the same as
 * one recorded before (same source, object, type, reason and message) is not written again:
 * the first one's count goes up and its lastTimestamp moves, as client-go's recorder does, so
 * `kubectl describe` shows "(x6 over 20s)" instead of six lines.
 */
export function recordEvent(client: ApiClient, obj: KubeObject, source: EventSource, type: string, reason: string, message: string, fieldPath?: string): Promise<KubeObject | undefined> {
  const ev = newEvent(obj, source, type, reason, message, fieldPath);
  const io = ev.involvedObject as { kind: string; namespace?: string; name: string; uid?: string; fieldPath?: string };
  const key = [source.component, source.host ?? '', io.kind, io.namespace ?? '', io.name, io.uid ?? '', io.fieldPath ?? '', type, reason, message].join('\u0000');
  // The same event recorded again while its first write is in flight waits for that write, and
  // then counts on it, rather than creating a second one.
  const write = (writing.get(key) ?? Promise.resolve()).then(() => writeEvent(client, ev, key));
  writing.set(key, write);
  const done = () => writing.get(key) === write && writing.delete(key);
  write.then(done, done);
  return write;
}

async function writeEvent(client: ApiClient, ev: KubeObject, key: string): Promise<KubeObject | undefined> {
  const prev = recorded.get(key);
  if (prev) {
    recorded.delete(key);
    recorded.set(key, prev); // most recently used last
    try {
      const patched = await client.patch(Events, prev.namespace, prev.name, { count: prev.count + 1, lastTimestamp: ev.lastTimestamp }, 'merge');
      prev.count++;
      return patched;
    } catch {
      recorded.delete(key); // gone (expired, deleted): a new one below
    }
  }
  const created = await client.create(Events, ev.metadata!.namespace, ev).catch(() => undefined);
  if (created) {
    recorded.set(key, { name: created.metadata!.name!, namespace: ev.metadata!.namespace!, count: 1 });
    if (recorded.size > MAX_RECORDED) recorded.delete(recorded.keys().next().value!);
  }
  return created;
}
