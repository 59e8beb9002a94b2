import { describe, expect, it } from 'vitest';
import type { Endpoint, EndpointSlicePort } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import type { Informer } from '../client/informer.js';
import { MAX_ENDPOINTS_PER_SLICE, planSlices, SliceWriter, type DesiredSlice, type Slice, type SliceSpec } from './slice-writer.js';

const owner = { apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid' };
const allLabels = { 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' };
const spec: SliceSpec & { allLabels: Record<string, string> } = { labels: {}, owner, annotations: { triggerTime: undefined }, placeholder: true, allLabels };
const ownerRefs = [{ ...owner, controller: true, blockOwnerDeletion: true }];
const newSlice = (ports: EndpointSlicePort[]): Slice => ({ metadata: { generateName: 'web-', namespace: 'd', labels: allLabels, ownerReferences: ownerRefs }, addressType: 'IPv4', endpoints: [], ports });

const port = (n: number): EndpointSlicePort[] => [{ name: 'http', port: n, protocol: 'TCP' }];
const ep = (i: number, ready = true): Endpoint => ({ addresses: [`10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`], conditions: { ready, serving: ready, terminating: false }, targetRef: { kind: 'Pod', namespace: 'd', name: `p${i}` } });
const eps = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => ep(from + i));
const slice = (name: string, ports: EndpointSlicePort[], endpoints: Endpoint[], uid = 'svc-uid'): Slice => ({
  metadata: { name, namespace: 'd', resourceVersion: '7', labels: allLabels, ownerReferences: [{ ...ownerRefs[0]!, uid }] },
  addressType: 'IPv4',
  endpoints,
  ports,
});
const names = (xs: Slice[]) => xs.map((s) => s.metadata?.name);

describe('planSlices', () => {
  it('matches slices by their set of ports: a new port set gets a new slice, the others are left alone', () => {
    const existing = [slice('web-aaaaa', port(8080), eps(0, 2))];
    const plan = planSlices(existing, [{ ports: port(8080), endpoints: eps(0, 2) }, { ports: port(9090), endpoints: [ep(5)] }], spec, newSlice);
    expect(plan.update).toEqual([]);
    expect(plan.remove).toEqual([]);
    expect(plan.create).toEqual([expect.objectContaining({ ports: port(9090), endpoints: [ep(5)] })]);
    // The order of the ports does not matter.
    const two = [...port(8080), { name: 'm', port: 9100, protocol: 'TCP' }];
    const plan2 = planSlices([slice('web-aaaaa', two, eps(0, 1))], [{ ports: [...two].reverse(), endpoints: eps(0, 1) }], spec, newSlice);
    expect(plan2).toEqual({ create: [], update: [], remove: [] });
  });

  it('a port set no longer wanted: its slice is reused by an update for the new one', () => {
    const plan = planSlices([slice('web-aaaaa', port(8080), eps(0, 2))], [{ ports: port(9090), endpoints: eps(0, 2) }], spec, newSlice);
    expect(plan.create).toEqual([]);
    expect(plan.remove).toEqual([]);
    expect(plan.update).toEqual([expect.objectContaining({ metadata: expect.objectContaining({ name: 'web-aaaaa', resourceVersion: '7' }), ports: port(9090), endpoints: eps(0, 2) })]);
    // upstream's finalize sets the name on the slice it would have created, generateName and all
    expect(plan.update[0]!.metadata).toHaveProperty('generateName', 'web-');
  });

  it('changes stay in the slice holding the endpoint; new endpoints fill updated slices first, then the unchanged one they fit best', () => {
    const a = slice('web-aaaaa', port(8080), eps(0, 100));
    const b = slice('web-bbbbb', port(8080), eps(100, 150));
    const c = slice('web-ccccc', port(8080), eps(150, 190));
    // p120 is no longer ready; p0 is gone; two new pods.
    const want = [...eps(1, 190).map((e, i) => (i + 1 === 120 ? ep(120, false) : e)), ep(300), ep(301)];
    const plan = planSlices([a, b, c], [{ ports: port(8080), endpoints: want }], spec, newSlice);
    expect(plan.create).toEqual([]);
    expect(plan.remove).toEqual([]);
    // a lost p0 and b changed: both updated; the new ones go to b (the fullest being a, it takes one back first).
    expect(names(plan.update).sort()).toEqual(['web-aaaaa', 'web-bbbbb']);
    const got = Object.fromEntries(plan.update.map((s) => [s.metadata!.name, s.endpoints!.map((e) => e.targetRef!.name)]));
    expect(got['web-aaaaa']).toEqual([...eps(1, 100).map((e) => e.targetRef!.name), 'p300']);
    expect(got['web-bbbbb']).toEqual([...eps(100, 150).map((e) => e.targetRef!.name), 'p301']);
    expect(plan.update.find((s) => s.metadata!.name === 'web-bbbbb')!.endpoints![20]!.conditions).toEqual({ ready: false, serving: false, terminating: false });

    // Only additions: they go to the unchanged slice left fullest by them.
    const add = planSlices([a, b, c], [{ ports: port(8080), endpoints: [...eps(0, 190), ...eps(300, 350)] }], spec, newSlice);
    expect(names(add.update)).toEqual(['web-bbbbb']);
    expect(add.update[0]!.endpoints).toHaveLength(100);
    expect(add.create.map((s) => s.endpoints!.length)).toEqual([]);
  });

  it('cuts a port set into slices of at most 100; a slice left empty is deleted', () => {
    const plan = planSlices([], [{ ports: port(8080), endpoints: eps(0, 250) }], spec, newSlice);
    expect(plan.create.map((s) => s.endpoints!.length)).toEqual([MAX_ENDPOINTS_PER_SLICE, MAX_ENDPOINTS_PER_SLICE, 50]);
    const b = slice('web-bbbbb', port(8080), eps(100, 150));
    const after = planSlices([slice('web-aaaaa', port(8080), eps(0, 100)), b], [{ ports: port(8080), endpoints: eps(0, 100) }], spec, newSlice);
    expect(after).toEqual({ create: [], update: [], remove: [b] });
  });

  it('keeps one placeholder when there is nothing, and deletes slices not owned by the Service', () => {
    const empty: DesiredSlice[] = [];
    const first = planSlices([], empty, spec, newSlice);
    expect(first.create).toEqual([expect.objectContaining({ ports: [], endpoints: [] })]);
    const placeholder = slice('web-ppppp', [], []);
    expect(planSlices([placeholder], empty, spec, newSlice)).toEqual({ create: [], update: [], remove: [] });
    // The last pods go: one slice becomes the placeholder, the other is deleted.
    const a = slice('web-aaaaa', port(8080), eps(0, 100));
    const b = slice('web-bbbbb', port(8080), eps(100, 120));
    const gone = planSlices([a, b], empty, spec, newSlice);
    expect(gone.create).toEqual([]);
    expect(gone.update).toEqual([expect.objectContaining({ metadata: expect.objectContaining({ name: 'web-aaaaa' }), ports: [], endpoints: [] })]);
    expect(gone.remove).toEqual([b]);
    // A slice of an older Service of the same name is deleted, never reused.
    const stale = slice('web-sssss', port(8080), eps(0, 1), 'old-uid');
    const replaced = planSlices([stale], [{ ports: port(8080), endpoints: eps(0, 1) }], spec, newSlice);
    expect(replaced.remove).toEqual([stale]);
    expect(replaced.create).toHaveLength(1);
    expect(replaced.update).toEqual([]);
    // Without an owner (the Service is gone) everything goes.
    expect(planSlices([a, b], empty, { ...spec, owner: undefined }, newSlice)).toEqual({ create: [], update: [], remove: [a, b] });
  });

  it('a label change updates every slice; fixed annotations (mirroring) are compared too', () => {
    const a = slice('web-aaaaa', port(8080), eps(0, 1));
    const relabelled = planSlices([a], [{ ports: port(8080), endpoints: eps(0, 1) }], { ...spec, allLabels: { ...allLabels, tier: 'front' } }, newSlice);
    expect(relabelled.update).toEqual([expect.objectContaining({ metadata: expect.objectContaining({ labels: { ...allLabels, tier: 'front' } }) })]);
    const annotated = planSlices([a], [{ ports: port(8080), endpoints: eps(0, 1) }], { ...spec, annotations: { fixed: { note: 'x' } } }, newSlice);
    expect(annotated.update[0]!.metadata!.annotations).toEqual({ note: 'x' });
  });
});

describe('SliceWriter', () => {
  it('writes empty lists as null and sets or removes the trigger time on the slices it writes', async () => {
    const calls: { verb: string; body?: Slice }[] = [];
    let n = 0;
    const client = {
      create: async (_r: unknown, _ns: string, body: Slice) => (calls.push({ verb: 'create', body }), { ...body, metadata: { ...body.metadata, name: `web-${n++}`, resourceVersion: '1' } }),
      update: async (_r: unknown, _ns: string, _name: string, body: Slice) => (calls.push({ verb: 'update', body }), { ...body, metadata: { ...body.metadata, resourceVersion: '2' } }),
      delete: async () => calls.push({ verb: 'delete' }),
    } as unknown as ApiClient;
    const informer = { list: () => [], get: () => undefined } as unknown as Informer<Slice>;
    const writer = new SliceWriter(client, informer, 'endpointslice-controller.k8s.io');
    await writer.reconcile('d', 'web', [], { labels: {}, owner, annotations: { triggerTime: '2026-01-02T03:04:05Z' }, placeholder: true });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.body!.endpoints).toBeNull();
    expect(calls[0]!.body!.ports).toBeNull();
    expect(calls[0]!.body!.metadata!.annotations).toEqual({ 'endpoints.kubernetes.io/last-change-trigger-time': '2026-01-02T03:04:05Z' });
    // The same slice (not yet in the informer) gets a pod and no trigger time: the annotation goes.
    await writer.reconcile('d', 'web', [{ ports: port(8080), endpoints: [ep(1)] }], { labels: {}, owner, annotations: { triggerTime: undefined }, placeholder: true });
    expect(calls.map((c) => c.verb)).toEqual(['create', 'update']);
    expect(calls[1]!.body).toMatchObject({ metadata: { name: 'web-0' }, ports: port(8080), endpoints: [ep(1)] });
    expect(calls[1]!.body!.metadata!.annotations).toEqual({});
  });
});
