import { describe, expect, it } from 'vitest';
import { eventFromEventsV1, eventsV1FieldLabel, eventToEventsV1 } from './event-conversion.js';
import type { Event, KubeObject } from './types.js';
import { validateEvent, validateEventsV1Create, validateEventsV1Update } from './validation-event.js';

const full = {
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: 'e.1', namespace: 'default', uid: 'u' },
  involvedObject: { kind: 'Pod', namespace: 'default', name: 'p' },
  related: { kind: 'Node', name: 'n' },
  reason: 'Started',
  message: 'started',
  source: { component: 'kubelet', host: 'n' },
  firstTimestamp: '2026-12-01T09:00:00Z',
  lastTimestamp: '2026-12-01T09:01:00Z',
  count: 2,
  type: 'Normal',
  eventTime: '2026-12-01T09:00:00.000001Z',
  series: { count: 2, lastObservedTime: '2026-12-01T09:01:00.000000Z' },
  action: 'Start',
  reportingComponent: 'kubelet',
  reportingInstance: 'n',
} as Event & KubeObject;

const strict = (over: Partial<Event> = {}): Event => ({
  metadata: { name: 'e.2', namespace: 'default' },
  involvedObject: { kind: 'Pod', namespace: 'default', name: 'p' },
  eventTime: '2026-12-01T09:00:00.000001Z',
  reportingComponent: 'example.com/ctl',
  reportingInstance: 'ctl-1',
  action: 'Sync',
  reason: 'Synced',
  type: 'Normal',
  ...over,
});
const fields = (errs: { field: string }[]) => errs.map((e) => e.field);

describe('events.k8s.io/v1 conversion', () => {
  it('renames the core/v1 fields and loses nothing either way', () => {
    const v1 = eventToEventsV1(full);
    expect(Object.keys(v1).sort()).toEqual(['action', 'apiVersion', 'deprecatedCount', 'deprecatedFirstTimestamp', 'deprecatedLastTimestamp', 'deprecatedSource', 'eventTime', 'kind', 'metadata', 'note', 'reason', 'regarding', 'related', 'reportingController', 'reportingInstance', 'series', 'type']);
    expect(v1).toMatchObject({ apiVersion: 'events.k8s.io/v1', regarding: full.involvedObject, note: 'started', reportingController: 'kubelet', deprecatedCount: 2 });
    expect(eventFromEventsV1(v1)).toEqual(full);
  });

  it('maps its field labels to the stored ones, and refuses the rest', () => {
    expect(eventsV1FieldLabel('regarding.name')).toBe('involvedObject.name');
    expect(eventsV1FieldLabel('reportingController')).toBe('reportingComponent');
    expect(eventsV1FieldLabel('type')).toBe('type');
    expect(eventsV1FieldLabel('involvedObject.name')).toBeUndefined();
    expect(eventsV1FieldLabel('source')).toBeUndefined();
  });
});

describe('Event validation', () => {
  it('core/v1: an old-style event lives in its object namespace, or in default for a cluster-scoped object', () => {
    const node = { metadata: { name: 'n.1', namespace: 'default' }, involvedObject: { kind: 'Node', name: 'n' }, reason: 'Starting' };
    expect(validateEvent(node)).toEqual([]);
    expect(fields(validateEvent({ ...node, metadata: { name: 'n.1', namespace: 'team' } }))).toEqual(['involvedObject.namespace']);
    expect(validateEvent(strict({ metadata: { name: 'n.2', namespace: 'kube-system' }, involvedObject: { kind: 'Node', name: 'n' } }))).toEqual([]);
  });

  it('core/v1: an event with eventTime names its reporter, action and reason, in the internal names', () => {
    expect(validateEvent(strict())).toEqual([]);
    // (IsQualifiedName runs on an empty reporter too: "name part must be non-empty" and the regex message)
    expect(fields(validateEvent(strict({ reportingComponent: undefined, reportingInstance: undefined, action: undefined, reason: undefined })))).toEqual(['reportingController', 'reportingController', 'reportingController', 'reportingInstance', 'action', 'reason']);
    expect(fields(validateEvent(strict({ reportingComponent: 'not a name!' })))).toEqual(['reportingController']);
  });

  it('core/v1 takes any type and count ("no further validation for backwards compatibility")', () => {
    expect(validateEvent({ metadata: { name: 'p.1', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' }, reason: 'R', type: 'Bogus', count: -1 })).toEqual([]);
  });

  it('events.k8s.io/v1 create: eventTime and a type required, deprecated fields unset, errors in the internal names', () => {
    expect(validateEventsV1Create(strict())).toEqual([]);
    expect(fields(validateEventsV1Create(strict({ eventTime: undefined, type: undefined })))).toEqual(['eventTime', 'type']);
    expect(fields(validateEventsV1Create(strict({ reportingComponent: undefined, message: 'x'.repeat(1025) })))).toEqual(['reportingController', 'reportingController', 'reportingController', 'message']);
    expect(fields(validateEventsV1Create(strict({ firstTimestamp: 'a', lastTimestamp: 'b', count: 1, source: { host: 'h' } })))).toEqual(['firstTimestamp', 'lastTimestamp', 'count', 'source']);
    expect(fields(validateEventsV1Create(strict({ involvedObject: { kind: 'Node', name: 'n' }, metadata: { name: 'e.2', namespace: 'team' } })))).toEqual(['involvedObject.namespace']);
    expect(validateEventsV1Create(strict({ involvedObject: { kind: 'Pod', namespace: 'other', name: 'p' } }))).toEqual([]);
    expect(fields(validateEventsV1Create(strict({ series: { count: 1 } })))).toEqual(['series.count', 'series.lastObservedTime']);
  });

  it('events.k8s.io/v1 update: only the series moves; eventTime to the microsecond', () => {
    const old = strict({ metadata: { name: 'e.2', namespace: 'default', uid: 'u' } });
    expect(validateEventsV1Update(strict({ metadata: old.metadata, series: { count: 2, lastObservedTime: '2026-12-01T09:00:01.000000Z' } }), old)).toEqual([]);
    expect(validateEventsV1Update(strict({ metadata: old.metadata, eventTime: '2026-12-01T09:00:00.000001999Z' }), old)).toEqual([]);
    expect(fields(validateEventsV1Update(strict({ metadata: old.metadata, eventTime: '2026-12-01T09:00:00.000002Z', message: 'new', action: 'Other' }), old))).toEqual(['message', 'action', 'eventTime']);
    expect(fields(validateEventsV1Update(strict({ metadata: { ...old.metadata, name: 'renamed' } }), old))).toEqual(['metadata.name']);
    // what a Go client sends back unchanged is no change: an empty deprecatedSource, keys in another order
    expect(validateEventsV1Update(strict({ metadata: old.metadata, source: {}, involvedObject: { name: 'p', namespace: 'default', kind: 'Pod' } }), old)).toEqual([]);
    // an unchanged bad series is not re-checked; a changed one is
    const badOld = { ...old, series: { count: 1, lastObservedTime: 't' } };
    expect(validateEventsV1Update({ ...strict({ metadata: old.metadata }), series: { count: 1, lastObservedTime: 't' } }, badOld)).toEqual([]);
    expect(fields(validateEventsV1Update({ ...strict({ metadata: old.metadata }), series: { count: 0, lastObservedTime: 't' } }, badOld))).toEqual(['series.count']);
  });
});
