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
  const out = renamed(ev as Obj, EVENTS_V1_FIELD_NAMES, 'events.k8s.io/v1');
  // events/v1's json tags differ from core/v1's: eventTime has no omitempty (null when unset),
  // the struct-valued regarding and deprecatedSource are always there, as are the deprecated
  // timestamps (metav1.Time writes null), and reportingController and reportingInstance are
  // omitempty here (always there in core/v1).
  out.regarding ??= {};
  out.eventTime ??= null;
  out.deprecatedSource ??= {};
  out.deprecatedFirstTimestamp ??= null;
  out.deprecatedLastTimestamp ??= null;
  dropEmpty(out, ['reportingController', 'reportingInstance', 'action', 'reason', 'note', 'type', 'deprecatedCount', 'series', 'related']);
  return out as EventsEvent & KubeObject;
}

/** Deletes the omitempty `keys` that hold their zero value ("", 0, null). */
function dropEmpty(ev: Obj, keys: readonly string[]): void {
  for (const k of keys) if (ev[k] === '' || ev[k] === 0 || ev[k] === null) delete ev[k];
}

/**
 * A core/v1 Event as Go writes it, whoever sent it (kube-apiserver decodes every write into
 * the Go struct and encodes that): involvedObject and source (structs) always there,
 * firstTimestamp, lastTimestamp and eventTime null when unset (metav1.Time and MicroTime are
 * no omitempty-able values), reportingComponent and reportingInstance "" when unset (no
 * omitempty); the omitempty fields (reason, message, count, type, series, action, related)
 * left out at their zero value. So a kubelet's event reads `eventTime: null` and the
 * scheduler's `firstTimestamp: null`, `source: {}`. It runs before the field manager, as
 * decoding does upstream: the nulls and empty structs it adds are owned by nobody, so what the
 * creator wrote keeps its managedFields.
 */
export function withGoEventFields(ev: Obj): void {
  ev.involvedObject ??= {};
  ev.source ??= {};
  ev.firstTimestamp ??= null;
  ev.lastTimestamp ??= null;
  ev.eventTime ??= null;
  ev.reportingComponent ??= '';
  ev.reportingInstance ??= '';
  dropEmpty(ev, ['reason', 'message', 'count', 'type', 'series', 'action', 'related']);
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
