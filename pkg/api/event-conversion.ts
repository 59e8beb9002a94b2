// Event between core/v1 (how it is stored) and events.k8s.io/v1, as Kubernetes' events/v1
// conversion does: the same fields, some renamed (involvedObject is regarding, message is note,
// reportingComponent is reportingController, source, firstTimestamp, lastTimestamp and count
// are deprecated*). Nothing is lost either way.
import type { Event, EventsEvent, KubeObject } from './types.js';
import { EVENTS_V1_FIELD_NAMES } from './validation-event.js';

type Obj = Record<string, unknown>;

const CORE_FIELDS = Object.keys(EVENTS_V1_FIELD_NAMES) as (keyof typeof EVENTS_V1_FIELD_NAMES)[];
const V1_TO_CORE = Object.fromEntries(CORE_FIELDS.map((k) => [EVENTS_V1_FIELD_NAMES[k], k])) as Record<string, string>;

/** Copies `from` with its keys renamed by `names` (others kept), apiVersion set. */
function renamed(from: Obj, names: Record<string, string>, apiVersion: string): Obj {
  const out: Obj = { apiVersion, kind: 'Event' };
  for (const [k, v] of Object.entries(from)) {
    if (k === 'apiVersion' || k === 'kind' || v === undefined) continue;
    out[names[k] ?? k] = v;
  }
  return out;
}

export function eventToEventsV1(ev: Event & KubeObject): EventsEvent & KubeObject {
  return renamed(ev as Obj, EVENTS_V1_FIELD_NAMES, 'events.k8s.io/v1') as EventsEvent & KubeObject;
}

export function eventFromEventsV1(ev: EventsEvent & KubeObject): Event & KubeObject {
  return renamed(ev as Obj, V1_TO_CORE, 'v1') as Event & KubeObject;
}

/** A field-selector label of events.k8s.io/v1 as the stored core/v1 fields name it (undefined: not supported). */
export function eventsV1FieldLabel(label: string): string | undefined {
  if (label.startsWith('regarding.')) return `involvedObject.${label.slice('regarding.'.length)}`;
  if (label === 'reportingController') return 'reportingComponent';
  // (Kubernetes' events.k8s.io/v1 field labels: no source, no deprecated* fields)
  return ['metadata.name', 'metadata.namespace', 'reason', 'type'].includes(label) ? label : undefined;
}
