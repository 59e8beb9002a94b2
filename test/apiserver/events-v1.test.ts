// events.k8s.io/v1 Events against apiserver+etcd and the stock kubectl: the core/v1 Events
// served under the newer API's field names (regarding, note, reportingController, deprecated*),
// both ways; its strict rules for what it writes (eventTime, reportingController,
// reportingInstance, action and reason required, no deprecated fields, a series of at least
// 2, and an update that changes only the series) with errors naming the internal fields, as upstream; its field
// selectors; watch; tables; and the legacy rules core/v1 writes now meet too.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../pkg/api/types.js';
import { Events, type ResourceRef, type WatchEvent } from '../../pkg/client/rest-client.js';
import { eventually, failure } from '../helpers/control-plane.js';
import { hasKubectl, kubectlControlPlane } from '../helpers/kubectl.js';

const EventsV1: ResourceRef = { group: 'events.k8s.io', version: 'v1', resource: 'events', namespaced: true };
const k = kubectlControlPlane();

const micro = '2026-12-01T10:00:00.123456Z';
const v1Event = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'events.k8s.io/v1',
  kind: 'Event',
  metadata: { name, namespace: 'default' },
  eventTime: micro,
  reportingController: 'example.com/operator',
  reportingInstance: 'operator-7f9c',
  action: 'Reconcile',
  reason: 'Synced',
  regarding: { apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'web-0', uid: 'u-1' },
  note: 'synced the pod',
  type: 'Normal',
  ...extra,
});

describe.skipIf(!hasKubectl)('events.k8s.io/v1', () => {
  it('serves a core/v1 event under its own names, and stores what it is given as core/v1', async () => {
    const cp = k.cp;
    await cp.admin.create(Events, 'default', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'legacy' },
      involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-0' },
      reason: 'Pulled',
      message: 'pulled the image',
      source: { component: 'kubelet', host: 'node-1' },
      firstTimestamp: '2026-12-01T09:00:00Z',
      lastTimestamp: '2026-12-01T09:05:00Z',
      count: 3,
      type: 'Normal',
    });
    const asV1 = await cp.admin.get(EventsV1, 'default', 'legacy');
    expect(asV1).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      regarding: { kind: 'Pod', namespace: 'default', name: 'web-0' },
      note: 'pulled the image',
      reason: 'Pulled',
      deprecatedSource: { component: 'kubelet', host: 'node-1' },
      deprecatedFirstTimestamp: '2026-12-01T09:00:00Z',
      deprecatedLastTimestamp: '2026-12-01T09:05:00Z',
      deprecatedCount: 3,
    });
    for (const core of ['involvedObject', 'message', 'source', 'firstTimestamp', 'lastTimestamp', 'count']) expect(asV1).not.toHaveProperty(core);

    const created = await cp.admin.create(EventsV1, 'default', v1Event('fresh', { series: undefined }));
    expect(created).toMatchObject({ apiVersion: 'events.k8s.io/v1', eventTime: micro, reportingController: 'example.com/operator', note: 'synced the pod', regarding: { name: 'web-0' } });
    const stored = await cp.admin.get(Events, 'default', 'fresh');
    expect(stored).toMatchObject({ apiVersion: 'v1', involvedObject: { name: 'web-0', uid: 'u-1' }, message: 'synced the pod', reportingComponent: 'example.com/operator', reportingInstance: 'operator-7f9c', action: 'Reconcile', eventTime: micro });
    expect(stored).not.toHaveProperty('regarding');
    expect(stored).not.toHaveProperty('note');
  });

  it('serves the fields Go always writes, in each version, and leaves managedFields as the creator wrote them', async () => {
    const cp = k.cp;
    // a kubelet-style core/v1 event (no eventTime) and a scheduler-style one (no count, source or timestamps)
    await cp.admin.create(Events, 'default', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'go-legacy' },
      involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-0' },
      reason: 'Pulled',
      message: 'pulled',
      source: { component: 'kubelet', host: 'node-1' },
      firstTimestamp: '2026-12-01T09:00:00Z',
      lastTimestamp: '2026-12-01T09:00:00Z',
      count: 1,
      type: 'Normal',
      action: '',
      related: null,
    });
    await cp.admin.create(EventsV1, 'default', v1Event('go-new'));
    const legacy = (await cp.admin.get(Events, 'default', 'go-legacy')) as Record<string, unknown>;
    expect(legacy).toMatchObject({ eventTime: null, reportingComponent: '', reportingInstance: '' });
    // (omitempty fields at their zero value are not written)
    expect(legacy).not.toHaveProperty('action');
    expect(legacy).not.toHaveProperty('related');
    // (a zero eventTime is null, as in 1.32's zero Event the create is compared against: nobody's)
    expect((legacy.metadata as KubeObject['metadata'])!.managedFields![0]!.fieldsV1).not.toHaveProperty(['f:eventTime']);
    const fresh = (await cp.admin.get(Events, 'default', 'go-new')) as Record<string, unknown>;
    expect(fresh).toMatchObject({ firstTimestamp: null, lastTimestamp: null, source: {}, eventTime: micro });
    expect(fresh).not.toHaveProperty('count');
    const owned = Object.keys((fresh.metadata as KubeObject['metadata'])!.managedFields![0]!.fieldsV1 as object);
    for (const f of ['f:firstTimestamp', 'f:lastTimestamp', 'f:source']) expect(owned).not.toContain(f);

    // events.k8s.io/v1: eventTime always, regarding, deprecatedSource and the deprecated
    // timestamps always; reportingController/reportingInstance omitted when empty
    const legacyV1 = (await cp.admin.get(EventsV1, 'default', 'go-legacy')) as Record<string, unknown>;
    expect(legacyV1).toMatchObject({ eventTime: null, deprecatedCount: 1 });
    expect(legacyV1).not.toHaveProperty('reportingController');
    expect(legacyV1).not.toHaveProperty('reportingInstance');
    const freshV1 = (await cp.admin.get(EventsV1, 'default', 'go-new')) as Record<string, unknown>;
    expect(freshV1).toMatchObject({ deprecatedSource: {}, deprecatedFirstTimestamp: null, deprecatedLastTimestamp: null, reportingController: 'example.com/operator' });
    expect(freshV1).not.toHaveProperty('deprecatedCount');
    await cp.admin.delete(Events, 'default', 'go-legacy');
    await cp.admin.delete(Events, 'default', 'go-new');
  });

  it('records a write through events.k8s.io/v1 in managedFields under that version and its names, whichever version reads it', async () => {
    const cp = k.cp;
    type Entry = { manager: string; operation: string; apiVersion: string; fieldsV1: Record<string, unknown> };
    const entries = (o: KubeObject) => (o.metadata!.managedFields ?? []) as unknown as Entry[];
    const created = await cp.admin.request<KubeObject>('/apis/events.k8s.io/v1/namespaces/default/events?fieldManager=operator', { method: 'POST', body: v1Event('owned') });
    // (not the deprecated timestamps: null, as in 1.32's zero Event the create is compared against)
    const v1Fields = ['f:action', 'f:eventTime', 'f:note', 'f:reason', 'f:regarding', 'f:reportingController', 'f:reportingInstance', 'f:type'];
    expect(entries(created).map((e) => [e.manager, e.operation, e.apiVersion, Object.keys(e.fieldsV1).sort()])).toEqual([['operator', 'Update', 'events.k8s.io/v1', v1Fields]]);
    // core/v1 serves the same entry, as written
    expect(entries(await cp.admin.get(Events, 'default', 'owned'))).toEqual(entries(created));
    // a core/v1 write takes the field it changes (message is note) and is recorded in core/v1's names
    const core = await cp.admin.request<KubeObject>('/api/v1/namespaces/default/events/owned?fieldManager=editor', { method: 'PATCH', body: { message: 'edited' }, contentType: 'application/merge-patch+json' });
    expect(entries(core).map((e) => [e.manager, e.apiVersion, Object.keys(e.fieldsV1).sort()]).sort()).toEqual([
      ['editor', 'v1', ['f:message']],
      ['operator', 'events.k8s.io/v1', v1Fields.filter((f) => f !== 'f:note')],
    ]);
    // and the operator's series update through events.k8s.io/v1 adds to its own entry
    const series = await cp.admin.request<KubeObject>('/apis/events.k8s.io/v1/namespaces/default/events/owned?fieldManager=operator', { method: 'PATCH', body: { series: { count: 2, lastObservedTime: micro } }, contentType: 'application/merge-patch+json' });
    expect(Object.keys(entries(series).find((e) => e.manager === 'operator')!.fieldsV1)).toContain('f:series');
    await cp.admin.delete(Events, 'default', 'owned');
  });

  it('rejects what its strict rules forbid, naming the internal fields as upstream does', async () => {
    const cp = k.cp;
    const bare = await failure(cp.admin.create(EventsV1, 'default', { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'bare' }, regarding: { kind: 'Pod', namespace: 'default', name: 'x' }, type: 'Normal' }));
    expect(bare.code).toBe(422);
    expect(bare.message).toBe('Event "bare" is invalid: eventTime: Required value');
    // who reported it, and what and why, are required once eventTime is set (the legacy rule), as in Kubernetes
    const anonymous = await failure(cp.admin.create(EventsV1, 'default', v1Event('nc', { reportingController: undefined, reportingInstance: undefined, action: undefined, reason: undefined })));
    for (const f of ['reportingController', 'reportingInstance', 'action', 'reason']) expect(anonymous.message).toContain(`${f}: Required value`);
    expect(anonymous.message).not.toContain('reportingComponent');

    const deprecated = await failure(cp.admin.create(EventsV1, 'default', v1Event('dep', { deprecatedCount: 2, deprecatedSource: { component: 'kubelet' }, type: 'Info' })));
    expect(deprecated.code).toBe(422);
    // (the internal object is what is validated: its field names, whatever the request's version)
    expect(deprecated.message).toContain('count: Invalid value: "": needs to be unset');
    expect(deprecated.message).toContain('source: Invalid value: "": needs to be unset');
    expect(deprecated.message).toContain('type: Invalid value: "": has invalid value: Info');

    const series = await failure(cp.admin.create(EventsV1, 'default', v1Event('series', { series: { count: 1 } })));
    expect(series.message).toContain('series.count: Invalid value: "": should be at least 2');
    expect(series.message).toContain('series.lastObservedTime: Required value');

    const long = await failure(cp.admin.create(EventsV1, 'default', v1Event('long', { note: 'n'.repeat(1025) })));
    expect(long.message).toContain('message: Invalid value: "": can have at most 1024 characters');

    const elsewhere = await failure(cp.admin.create(EventsV1, 'kube-node-lease', { ...v1Event('elsewhere', { regarding: { kind: 'Node', name: 'n1' } }), metadata: { name: 'elsewhere', namespace: 'kube-node-lease' } }));
    expect(elsewhere.message).toContain('involvedObject.namespace: Invalid value: "": does not match event.namespace');

    // strict decoding as events.k8s.io/v1: the core/v1 name of a field is unknown here
    const unknown = await failure(cp.admin.create(EventsV1, 'default', v1Event('unknown', { message: 'core name' })));
    expect(unknown.code).toBe(400);
    expect(unknown.message).toContain('unknown field "message"');
    // nothing of these was stored
    const names = (await cp.admin.list(Events, 'default')).items.map((e) => e.metadata?.name);
    for (const n of ['bare', 'nc', 'dep', 'series', 'long', 'elsewhere', 'unknown']) expect(names).not.toContain(n);
  });

  it('updates only the series through events.k8s.io/v1; core/v1 keeps its old freedom', async () => {
    const cp = k.cp;
    await cp.admin.create(EventsV1, 'default', v1Event('upd'));
    const series = { count: 2, lastObservedTime: '2026-12-01T10:01:00.000000Z' };
    const patched = await cp.admin.patch(EventsV1, 'default', 'upd', { series });
    expect(patched.series).toEqual(series);
    const note = await failure(cp.admin.patch(EventsV1, 'default', 'upd', { note: 'changed' }));
    expect(note.code).toBe(422);
    expect(note.message).toContain('message: Invalid value: "changed": field is immutable');
    const got = await cp.admin.get(EventsV1, 'default', 'upd');
    const put = await failure(cp.admin.update(EventsV1, 'default', 'upd', { ...got, regarding: { kind: 'Pod', namespace: 'default', name: 'other' }, eventTime: '2026-12-01T11:00:00.000000Z' }));
    expect(put.message).toContain('involvedObject: Invalid value');
    expect(put.message).toContain('eventTime: Invalid value: "2026-12-01T11:00:00.000000Z": field is immutable');
    // an eventTime in nanoseconds does not decode: metav1.MicroTime parses exactly six digits
    const nanos = await failure(cp.admin.update(EventsV1, 'default', 'upd', { ...got, eventTime: '2026-12-01T10:00:00.123456789Z' }));
    expect([nanos.code, nanos.message]).toEqual([400, 'Event in version "v1" cannot be handled as a Event: parsing time "2026-12-01T10:00:00.123456789Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "789Z" as "Z07:00"']);
    await cp.admin.update(EventsV1, 'default', 'upd', { ...got, series: { count: 3, lastObservedTime: '2026-12-01T10:02:00.000000Z' } });
    // through core/v1 the message may change (Kubernetes keeps core/v1 updates as loose as they were)
    const core = await cp.admin.patch(Events, 'default', 'upd', { message: 'changed through core' });
    expect(core.message).toBe('changed through core');
    // Server-side apply through this version: checked as events.k8s.io/v1, stored as core/v1, its strict rules kept.
    const applied = await cp.admin.patch(EventsV1, 'default', 'ssa', v1Event('ssa'), 'apply');
    expect(applied).toMatchObject({ apiVersion: 'events.k8s.io/v1', note: 'synced the pod', regarding: { name: 'web-0' } });
    // (its Apply entry in the version it applied, under that version's names)
    expect(applied.metadata!.managedFields).toEqual([expect.objectContaining({ operation: 'Apply', apiVersion: 'events.k8s.io/v1', fieldsV1: expect.objectContaining({ 'f:note': {}, 'f:regarding': expect.anything() }) })]);
    expect((await cp.admin.get(Events, 'default', 'ssa')).message).toBe('synced the pod');
    const again = await cp.admin.patch(EventsV1, 'default', 'ssa', v1Event('ssa', { series: { count: 2, lastObservedTime: '2026-12-01T10:01:00.000000Z' } }), 'apply');
    expect(again.series).toEqual({ count: 2, lastObservedTime: '2026-12-01T10:01:00.000000Z' });
    expect((await failure(cp.admin.patch(EventsV1, 'default', 'ssa', v1Event('ssa', { note: 'other' }), 'apply'))).message).toContain('message: Invalid value: "other": field is immutable');
    const unknown = await failure(cp.admin.patch(EventsV1, 'default', 'ssa2', v1Event('ssa2', { message: 'core name' }), 'apply'));
    expect(unknown.code).toBe(400);
    expect(unknown.message).toContain('unknown field "message"');
    expect((await failure(cp.admin.patch(EventsV1, 'default', 'ssa2', { ...v1Event('ssa2'), apiVersion: 'v1' }, 'apply'))).message).toContain('invalid object type: /v1, Kind=Event');
    await cp.admin.delete(EventsV1, 'default', 'ssa');
  });

  it('selects by its own field labels, and watches in its own form', async () => {
    const cp = k.cp;
    const list = await cp.admin.list(EventsV1, 'default', { fieldSelector: 'regarding.name=web-0,reportingController=example.com/operator' });
    expect(list.items.map((e) => e.metadata?.name).sort()).toEqual(['fresh', 'upd']);
    expect(list.items[0]!.apiVersion).toBe('events.k8s.io/v1');
    const unsupported = await failure(cp.admin.list(EventsV1, 'default', { fieldSelector: 'involvedObject.name=web-0' }));
    expect(unsupported.code).toBe(400);
    expect(unsupported.message).toContain('field label not supported: involvedObject.name');
    // core/v1 keeps its own labels
    expect((await cp.admin.list(Events, 'default', { fieldSelector: 'involvedObject.name=web-0,reportingComponent=example.com/operator' })).items.map((e) => e.metadata?.name).sort()).toEqual(['fresh', 'upd']);

    const seen: WatchEvent[] = [];
    const w = await cp.admin.watch(EventsV1, 'default', { resourceVersion: list.metadata.resourceVersion, fieldSelector: 'regarding.name=watched' }, (e) => seen.push(e));
    try {
      await cp.admin.create(EventsV1, 'default', v1Event('w-other'));
      await cp.admin.create(EventsV1, 'default', v1Event('w-1', { regarding: { kind: 'Pod', namespace: 'default', name: 'watched' } }));
      await eventually(() => seen.some((e) => e.type === 'ADDED'));
    } finally {
      w.stop();
    }
    expect(seen.map((e) => (e.object as KubeObject).metadata?.name)).toEqual(['w-1']);
    expect(seen[0]!.object).toMatchObject({ apiVersion: 'events.k8s.io/v1', regarding: { name: 'watched' }, note: 'synced the pod' });
  });

  it('core/v1 writes meet the legacy rules: an event with eventTime says who reported it', async () => {
    const cp = k.cp;
    const err = await failure(cp.admin.create(Events, 'default', { apiVersion: 'v1', kind: 'Event', metadata: { name: 'half' }, involvedObject: { kind: 'Pod', namespace: 'default', name: 'x' }, eventTime: micro, type: 'Normal' }));
    expect(err.code).toBe(422);
    expect(err.message).toContain('reportingController: Required value');
    expect(err.message).toContain('action: Required value');
    const cluster = await failure(cp.admin.create(Events, 'kube-node-lease', { apiVersion: 'v1', kind: 'Event', metadata: { name: 'node-ev' }, involvedObject: { kind: 'Node', name: 'n1' }, reason: 'Starting', type: 'Normal' }));
    expect(cluster.message).toContain('involvedObject.namespace: Invalid value: "": does not match event.namespace');
  });

  it('works with kubectl: discovery, create -f (errors too), get with its columns; get ev stays core/v1', async () => {
    const resources = await k.kubectl('api-resources', '--api-group=events.k8s.io', '--no-headers');
    expect(resources.trim().split(/\s+/)).toEqual(['events', 'ev', 'events.k8s.io/v1', 'true', 'Event']);
    const manifest = JSON.stringify(v1Event('from-kubectl', { note: 'created by kubectl' }));
    expect((await k.kubectlIn(manifest, 'create', '-f', '-')).trim()).toBe('event.events.k8s.io/from-kubectl created');
    const table = (await k.kubectl('get', 'events.v1.events.k8s.io', '--field-selector', 'regarding.name=web-0', '-o', 'wide')).trimEnd().split('\n');
    expect(table[0]!.split(/\s{2,}/)).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'SUBOBJECT', 'SOURCE', 'MESSAGE', 'FIRST SEEN', 'COUNT', 'NAME']);
    const row = table.find((l) => l.includes('from-kubectl'))!;
    expect(row).toContain('pod/web-0');
    expect(row).toContain('example.com/operator, operator-7f9c');
    expect(row).toContain('created by kubectl');
    // `kubectl get ev` stays core/v1, as against Kubernetes
    expect((await k.kubectl('get', 'ev', 'from-kubectl', '-o', 'jsonpath={.apiVersion} {.message}')).trim()).toBe('v1 created by kubectl');
    const bad = await k.run(['create', '-f', '-'], JSON.stringify(v1Event('bad-kubectl', { deprecatedCount: 1 })));
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('count: Invalid value: "": needs to be unset');
  });
});
