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
export function newEvent(obj: KubeObject, source: EventSource, type: string, reason: string, message: string): KubeObject {
  const now = rfc3339Now();
  const name = obj.metadata?.name ?? 'object';
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: eventName(name), namespace: obj.metadata?.namespace ?? 'default' },
    involvedObject: { apiVersion: obj.apiVersion ?? 'v1', kind: obj.kind ?? (obj.metadata?.namespace ? 'Pod' : 'Node'), name, namespace: obj.metadata?.namespace, uid: obj.metadata?.uid },
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

/** Records an event, best effort: a lost event never fails the caller. */
export async function recordEvent(client: ApiClient, obj: KubeObject, source: EventSource, type: string, reason: string, message: string): Promise<KubeObject | undefined> {
  const ev = newEvent(obj, source, type, reason, message);
  return client.create(Events, ev.metadata!.namespace, ev).catch(() => undefined);
}
