import { describe, expect, it } from 'vitest';
import type { KubeObject, Pod } from '../api/types.js';
import { Expectations } from './expectations.js';
import { deletionCost, isPodAvailable, podsToDelete } from './pod-ranking.js';

type P = Pod & KubeObject;
function p(name: string, o: { node?: string; phase?: string; readySince?: string; created?: string; restarts?: number } = {}): P {
  return {
    metadata: { name, creationTimestamp: o.created ?? '2026-01-01T00:00:00Z' },
    spec: { nodeName: o.node },
    status: {
      phase: o.phase ?? 'Pending',
      conditions: o.readySince ? [{ type: 'Ready', status: 'True', lastTransitionTime: o.readySince }] : [],
      containerStatuses: [{ name: 'c', restartCount: o.restarts ?? 0 }],
    },
  } as P;
}

describe('podsToDelete', () => {
  it('ranks unscheduled < pending < not ready < ready, then newer-ready, more restarts, newer first', () => {
    const pods = [
      p('ready-old', { node: 'n1', phase: 'Running', readySince: '2026-01-01T00:00:00Z' }),
      p('ready-new', { node: 'n2', phase: 'Running', readySince: '2026-01-02T00:00:00Z' }),
      p('running-not-ready', { node: 'n3', phase: 'Running' }),
      p('pending', { node: 'n4', phase: 'Pending' }),
      p('unscheduled'),
    ];
    expect(podsToDelete(pods, 5).map((x) => x.metadata!.name)).toEqual(['unscheduled', 'pending', 'running-not-ready', 'ready-new', 'ready-old']);
    expect(podsToDelete(pods, 2).map((x) => x.metadata!.name)).toEqual(['unscheduled', 'pending']);
  });

  it('ranked, prefers pods doubled up on a node with the pods of every ReplicaSet of the same owner; then restarts, then the newest', () => {
    const t = '2026-01-01T00:00:00Z';
    const pods = [
      p('alone', { node: 'a', phase: 'Running', readySince: t }),
      p('shared-1', { node: 'b', phase: 'Running', readySince: t }),
      p('shared-2', { node: 'b', phase: 'Running', readySince: t }),
    ];
    expect(podsToDelete(pods, 3, { ranked: true, related: pods }).map((x) => x.metadata!.name).at(-1)).toBe('alone');
    // Two pods of the new ReplicaSet beside 'alone' on node a: now it is the crowded one.
    const newer = [p('new-1', { node: 'a', phase: 'Running' }), p('new-2', { node: 'a', phase: 'Running' })];
    expect(podsToDelete(pods, 1, { ranked: true, related: [...pods, ...newer] })[0]!.metadata!.name).toBe('alone');
    // A ReplicaSet with no owner has no related pods, and a Job's order has no node rank: no pod is preferred for its node.
    expect(podsToDelete(pods, 3, { ranked: true }).map((x) => x.metadata!.name)).toEqual(['alone', 'shared-1', 'shared-2']);
    expect(podsToDelete(pods, 3).map((x) => x.metadata!.name)).toEqual(['alone', 'shared-1', 'shared-2']);
    const flaky = [p('steady', { phase: 'Running', node: 'x', restarts: 0 }), p('flaky', { phase: 'Running', node: 'y', restarts: 5 })];
    expect(podsToDelete(flaky, 1)[0]!.metadata!.name).toBe('flaky');
    const ages = [p('old', { created: '2026-01-01T00:00:00Z' }), p('new', { created: '2026-01-03T00:00:00Z' })];
    expect(podsToDelete(ages, 1)[0]!.metadata!.name).toBe('new');
  });

  it('with deletionCost, deletes a lower pod-deletion-cost first, after readiness and before anything else (ActivePodsWithRanks)', () => {
    const t = (d: number) => `2026-01-0${d}T00:00:00Z`;
    const cost = (x: P, v: string) => ({ ...x, metadata: { ...x.metadata, annotations: { 'controller.kubernetes.io/pod-deletion-cost': v } } });
    const pods = [
      cost(p('ready-long-cheap', { node: 'a', phase: 'Running', readySince: t(1) }), '-5'),
      p('ready-new', { node: 'b', phase: 'Running', readySince: t(3) }),
      cost(p('ready-dear', { node: 'c', phase: 'Running', readySince: t(4) }), '10'),
      cost(p('not-ready-dear', { node: 'd', phase: 'Running' }), '1000'),
    ];
    expect(podsToDelete(pods, 4, { ranked: true }).map((x) => x.metadata!.name)).toEqual(['not-ready-dear', 'ready-long-cheap', 'ready-new', 'ready-dear']);
    // A Job's ActivePods order has no cost step.
    expect(podsToDelete(pods, 4).map((x) => x.metadata!.name)).toEqual(['not-ready-dear', 'ready-dear', 'ready-new', 'ready-long-cheap']);
    // Values GetDeletionCostFromPodAnnotations does not take count as 0.
    for (const bad of ['+1', '007', '1.5', '2147483648', 'x', '']) expect(deletionCost(cost(p('x'), bad))).toBe(0);
    expect(deletionCost(cost(p('x'), '-2147483648'))).toBe(-2147483648);
    expect(deletionCost(cost(p('x'), '0'))).toBe(0);
    expect(deletionCost(p('x'))).toBe(0);
  });

  it('ranked, compares ready and creation times by their power-of-two age, the UID deciding within one (LogarithmicScaleDown)', () => {
    const now = Date.parse('2026-01-01T01:00:00Z');
    const at = (secondsAgo: number) => new Date(now - secondsAgo * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    const withUid = (x: P, uid: string) => ({ ...x, metadata: { ...x.metadata, uid } });
    // 100 s and 120 s ago share a power of two (2^36 ns): the smaller UID goes, though it is the older.
    const same = [withUid(p('newer', { node: 'a', phase: 'Running', readySince: at(100) }), 'uid-b'), withUid(p('older', { node: 'b', phase: 'Running', readySince: at(120) }), 'uid-a')];
    expect(podsToDelete(same, 1, { ranked: true, now })[0]!.metadata!.name).toBe('older');
    expect(podsToDelete(same, 1)[0]!.metadata!.name).toBe('newer');
    // 100 s and 1000 s ago do not: the newer goes whatever the UIDs.
    const apart = [withUid(p('newer', { node: 'a', phase: 'Running', readySince: at(100) }), 'uid-b'), withUid(p('older', { node: 'b', phase: 'Running', readySince: at(1000) }), 'uid-a')];
    expect(podsToDelete(apart, 1, { ranked: true, now })[0]!.metadata!.name).toBe('newer');
    // Not ready: creation times, the same way.
    const created = [withUid(p('new', { created: at(100) }), 'uid-z'), withUid(p('old', { created: at(110) }), 'uid-y')];
    expect(podsToDelete(created, 1, { ranked: true, now })[0]!.metadata!.name).toBe('old');
  });

  it('counts a pod available only after minReadySeconds of readiness', () => {
    const pod = p('x', { phase: 'Running', readySince: '2026-01-01T00:00:00Z' });
    const at = Date.parse('2026-01-01T00:00:05Z');
    expect(isPodAvailable(pod, 0, at)).toBe(true);
    expect(isPodAvailable(pod, 10, at)).toBe(false);
    expect(isPodAvailable(pod, 5, at)).toBe(true);
  });
});

describe('Expectations', () => {
  it('holds a key until every expected create and delete is observed, or they expire', () => {
    let now = 0;
    const e = new Expectations(() => now);
    expect(e.satisfied('k')).toBe(true);
    e.expectCreations('k', 2);
    e.creationObserved('k');
    expect(e.satisfied('k')).toBe(false);
    e.creationObserved('k');
    expect(e.satisfied('k')).toBe(true);
    e.expectDeletions('k', ['u1', 'u2']);
    e.deletionObserved('k', 'u1');
    e.deletionObserved('k', 'u1');
    expect(e.satisfied('k')).toBe(false);
    now = 6 * 60 * 1000;
    expect(e.satisfied('k')).toBe(true);
  });
});
