// Event validation, as Kubernetes' ValidateEventCreate and ValidateEventUpdate: every event
// passes the legacy rules, whichever API wrote it; one written through events.k8s.io/v1 also
// passes the strict ones (eventTime required, no deprecated fields, a sane series, and an
// update may change little more than the series). Rules are checked on the stored (core/v1)
// form and, as upstream validates its internal object, errors name the internal fields
// (message, count, involvedObject, reportingController) whichever version the request used.
import { invalid, required, type FieldError } from './field-error.js';
import type { Event } from './types.js';
import { qualifiedName, validateObjectMeta, validateObjectMetaUpdate } from './validation-meta.js';

const REPORTING_INSTANCE_LIMIT = 128;
const ACTION_LIMIT = 128;
const REASON_LIMIT = 128;
const NOTE_LIMIT = 1024;

/** The core/v1 fields that events.k8s.io/v1 names differently, keyed by their core name. */
export const EVENTS_V1_FIELD_NAMES = {
  involvedObject: 'regarding',
  message: 'note',
  source: 'deprecatedSource',
  firstTimestamp: 'deprecatedFirstTimestamp',
  lastTimestamp: 'deprecatedLastTimestamp',
  count: 'deprecatedCount',
  reportingComponent: 'reportingController',
} as const;

type Renamed = keyof typeof EVENTS_V1_FIELD_NAMES;
/** How a request's version names the renamed fields. */
type Names = Record<Renamed, string>;
/** The internal type's field names: the core/v1 ones, but ReportingController. */
const NAMES = { ...(Object.fromEntries(Object.keys(EVENTS_V1_FIELD_NAMES).map((k) => [k, k])) as Names), reportingComponent: 'reportingController' };
const CORE_NAMES: Names = NAMES;
const V1_NAMES: Names = NAMES;

const over = (v: string | undefined, n: number) => (v?.length ?? 0) > n;

/** legacyValidateEvent: what every event must satisfy. */
function legacyRules(ev: Event, n: Names): FieldError[] {
  const errs: FieldError[] = [];
  const ns = ev.metadata?.namespace ?? '';
  const io = ev.involvedObject ?? {};
  const ioNamespace = `${n.involvedObject}.namespace`;
  if (!ev.eventTime) {
    // Old-style events: the event lives in its object's namespace ("default" for cluster-scoped objects).
    if (io.namespace ? ns !== io.namespace : ns !== '' && ns !== 'default') errs.push(invalid(ioNamespace, io.namespace ?? '', 'does not match event.namespace'));
  } else {
    // (a new-style event about a namespaced object may live elsewhere; one about a cluster-scoped object lives in default or kube-system)
    if (!io.namespace && ns !== 'default' && ns !== 'kube-system') errs.push(invalid(ioNamespace, io.namespace ?? '', 'does not match event.namespace'));
    // (IsQualifiedName runs on an empty one too)
    if (!ev.reportingComponent) errs.push(required(n.reportingComponent));
    errs.push(...qualifiedName(ev.reportingComponent ?? '', n.reportingComponent));
    if (!ev.reportingInstance) errs.push(required('reportingInstance'));
    else if (over(ev.reportingInstance, REPORTING_INSTANCE_LIMIT)) errs.push(invalid('reportingInstance', '', `can have at most ${REPORTING_INSTANCE_LIMIT} characters`));
    if (!ev.action) errs.push(required('action'));
    if (!ev.reason) errs.push(required('reason'));
    if (over(ev.message, NOTE_LIMIT)) errs.push(invalid(n.message, '', `can have at most ${NOTE_LIMIT} characters`));
  }
  if (over(ev.action, ACTION_LIMIT)) errs.push(invalid('action', '', `can have at most ${ACTION_LIMIT} characters`));
  if (over(ev.reason, REASON_LIMIT)) errs.push(invalid('reason', '', `can have at most ${REASON_LIMIT} characters`));
  return errs;
}

/**
 * A core/v1 Event, created or updated through core/v1: the legacy rules only ("no further
 * validation for backwards compatibility": any type or count is taken), and the metadata.
 */
export function validateEvent(ev: Event): FieldError[] {
  const errs = validateObjectMeta(ev.metadata, true, 'metadata');
  errs.push(...legacyRules(ev, CORE_NAMES));
  return errs;
}

function seriesRules(ev: Event): FieldError[] {
  if (!ev.series) return [];
  const errs: FieldError[] = [];
  if ((ev.series.count ?? 0) < 2) errs.push(invalid('series.count', '', 'should be at least 2'));
  if (!ev.series.lastObservedTime) errs.push(required('series.lastObservedTime'));
  return errs;
}

/** An Event created through events.k8s.io/v1 (given in its stored core/v1 form). */
export function validateEventsV1Create(ev: Event): FieldError[] {
  const errs = validateObjectMeta(ev.metadata, true, 'metadata');
  errs.push(...legacyRules(ev, V1_NAMES), ...seriesRules(ev));
  if (!ev.eventTime) errs.push(required('eventTime'));
  if (ev.type !== 'Normal' && ev.type !== 'Warning') errs.push(invalid('type', '', `has invalid value: ${ev.type ?? ''}`));
  if (ev.firstTimestamp) errs.push(invalid(V1_NAMES.firstTimestamp, '', 'needs to be unset'));
  if (ev.lastTimestamp) errs.push(invalid(V1_NAMES.lastTimestamp, '', 'needs to be unset'));
  if (ev.count) errs.push(invalid(V1_NAMES.count, '', 'needs to be unset'));
  if (ev.source?.component || ev.source?.host) errs.push(invalid(V1_NAMES.source, '', 'needs to be unset'));
  return errs;
}

/** A value as Kubernetes' typed comparison sees it: empty strings, zeros, nulls and empty objects are unset; key order does not matter. */
function canonical(v: unknown): unknown {
  if (v === null || v === undefined || v === '' || v === 0 || v === false) return undefined;
  if (Array.isArray(v)) return v.length ? v.map(canonical) : undefined;
  if (typeof v !== 'object') return v;
  const entries = Object.keys(v)
    .sort()
    .map((k) => [k, canonical((v as Record<string, unknown>)[k])] as const)
    .filter(([, x]) => x !== undefined);
  return entries.length ? Object.fromEntries(entries) : undefined;
}
const same = (a: unknown, b: unknown) => JSON.stringify(canonical(a) ?? null) === JSON.stringify(canonical(b) ?? null);
/** Microseconds since the epoch, as MicroTime compares (a client may send nanoseconds). */
const micros = (t: string | undefined) => {
  if (!t) return '';
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(t);
  if (!m) return t;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  return `${ms}.${(m[2] ?? '').padEnd(6, '0').slice(0, 6)}`;
};

/**
 * An Event updated through events.k8s.io/v1: the legacy rules, metadata update rules, a changed
 * series checked, and everything that says what happened immutable.
 */
export function validateEventsV1Update(ev: Event, old: Event): FieldError[] {
  const errs = [...validateObjectMetaUpdate(ev.metadata, old.metadata, true, 'metadata'), ...legacyRules(ev, V1_NAMES)];
  if (!same(ev.series, old.series)) errs.push(...seriesRules(ev));
  const immutable: [keyof Event, string][] = [
    ['involvedObject', V1_NAMES.involvedObject],
    ['reason', 'reason'],
    ['message', V1_NAMES.message],
    ['source', V1_NAMES.source],
    ['firstTimestamp', V1_NAMES.firstTimestamp],
    ['lastTimestamp', V1_NAMES.lastTimestamp],
    ['count', V1_NAMES.count],
    ['type', 'type'],
    ['action', 'action'],
    ['related', 'related'],
    ['reportingComponent', V1_NAMES.reportingComponent],
    ['reportingInstance', 'reportingInstance'],
  ];
  for (const [k, path] of immutable) if (!same(ev[k], old[k])) errs.push(invalid(path, ev[k] ?? '', 'field is immutable'));
  // Sub-microsecond changes are tolerated (clients that truncate, or send nanoseconds).
  if (micros(ev.eventTime) !== micros(old.eventTime)) errs.push(invalid('eventTime', ev.eventTime ?? '', 'field is immutable'));
  return errs;
}
