// The disruption controller's arithmetic over fake pods and controllers: expected pods from an
// integer minAvailable (the pods) or from the controllers' scale (percentages, maxUnavailable,
// rounded up as Kubernetes rounds), healthy pods, pending evictions and their timeout, and the
// status with its DisruptionAllowed condition.
import { describe, expect, it } from 'vitest';
import type { PDB } from '../api/disruption-budget.js';
import { budgetStatus, countHealthyPods, DELETION_TIMEOUT_MS, expectedPodCount, failSafeStatus, pendingDisruptions, type ControllerFinder } from './disruption-util.js';

type Pod = Parameters<typeof countHealthyPods>[0][number];

const owner = (kind: string, name: string, uid: string) => ({ apiVersion: 'apps/v1', kind, name, uid, controller: true });

const pod = (name: string, opts: { ready?: boolean; deleting?: boolean; owner?: ReturnType<typeof owner> } = {}): Pod =>
  ({
    metadata: { name, namespace: 'd', labels: { app: 'web' }, ...(opts.owner ? { ownerReferences: [opts.owner] } : {}), ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  }) as Pod;

const budget = (spec: Record<string, unknown>, status: Record<string, unknown> = {}, generation = 1): PDB =>
  ({ metadata: { name: 'b', namespace: 'd', generation }, spec: { selector: { matchLabels: { app: 'web' } }, ...spec }, status }) as PDB;

/** A finder that knows ReplicaSets by uid and their scale. */
const finder = (scales: Record<string, number>, calls: string[] = []): ControllerFinder => async (ref) => {
  calls.push(ref.uid!);
  return ref.uid! in scales ? { uid: ref.uid!, scale: scales[ref.uid!]! } : undefined;
};

const rs1 = owner('ReplicaSet', 'web-1', 'rs-1');
const rs2 = owner('ReplicaSet', 'web-2', 'rs-2');

describe('expected pods and desired healthy', () => {
  it('an integer minAvailable counts the selected pods and needs no controller', async () => {
    const pods = [pod('a'), pod('b'), pod('c')];
    expect(await expectedPodCount(budget({ minAvailable: 2 }), pods, [])).toEqual({ expectedCount: 3, desiredHealthy: 2, unmanaged: [] });
  });

  it('a percentage of minAvailable is of the controllers scale, each controller counted once, rounded up', async () => {
    const calls: string[] = [];
    const pods = [pod('a', { owner: rs1 }), pod('b', { owner: rs1 }), pod('c', { owner: rs2 })];
    // 5 + 2 = 7 expected; 50% of 7 = 3.5, rounded up to 4
    expect(await expectedPodCount(budget({ minAvailable: '50%' }), pods, [finder({ 'rs-1': 5, 'rs-2': 2 }, calls)])).toEqual({ expectedCount: 7, desiredHealthy: 4, unmanaged: [] });
    expect(calls).toEqual(['rs-1', 'rs-2']);
  });

  it('maxUnavailable takes the scale too: desired = expected - maxUnavailable (a percentage rounded up), never below 0', async () => {
    const pods = [pod('a', { owner: rs1 }), pod('b', { owner: rs1 })];
    expect(await expectedPodCount(budget({ maxUnavailable: 1 }), pods, [finder({ 'rs-1': 4 })])).toMatchObject({ expectedCount: 4, desiredHealthy: 3 });
    // 25% of 4 = 1; 30% of 4 = 1.2 → 2 unavailable allowed
    expect(await expectedPodCount(budget({ maxUnavailable: '30%' }), pods, [finder({ 'rs-1': 4 })])).toMatchObject({ expectedCount: 4, desiredHealthy: 2 });
    expect(await expectedPodCount(budget({ maxUnavailable: 9 }), pods, [finder({ 'rs-1': 4 })])).toMatchObject({ desiredHealthy: 0 });
  });

  it('the first finder that knows a controller wins', async () => {
    const first: ControllerFinder = async () => undefined;
    const pods = [pod('a', { owner: rs1 })];
    expect(await expectedPodCount(budget({ maxUnavailable: 0 }), pods, [first, finder({ 'rs-1': 3 })])).toMatchObject({ expectedCount: 3, desiredHealthy: 3 });
  });

  it('pods without a controller are unmanaged; a controller no finder knows is an error', async () => {
    const pods = [pod('lonely'), pod('a', { owner: rs1 })];
    expect(await expectedPodCount(budget({ minAvailable: '100%' }), pods, [finder({ 'rs-1': 1 })])).toEqual({ expectedCount: 1, desiredHealthy: 1, unmanaged: ['lonely'] });
    await expect(expectedPodCount(budget({ minAvailable: '100%' }), [pod('a', { owner: rs2 })], [finder({})])).rejects.toThrow('found no controllers for pod "a"');
  });

  it('neither field set expects nothing', async () => {
    expect(await expectedPodCount(budget({}), [pod('a')], [])).toEqual({ expectedCount: 0, desiredHealthy: 0, unmanaged: [] });
  });
});

describe('healthy pods and pending evictions', () => {
  const now = Date.parse('2026-06-01T12:00:00Z');
  const ago = (ms: number) => new Date(now - ms).toISOString();

  it('counts Ready pods that are neither being deleted nor just evicted', () => {
    const pods = [pod('a'), pod('b', { ready: false }), pod('c', { deleting: true }), pod('d'), pod('e')];
    expect(countHealthyPods(pods, {}, now)).toBe(3);
    expect(countHealthyPods(pods, { d: ago(1000) }, now)).toBe(2);
    // an eviction approved longer ago than the timeout no longer discounts the pod
    expect(countHealthyPods(pods, { d: ago(DELETION_TIMEOUT_MS + 1000) }, now)).toBe(3);
  });

  it('keeps approved evictions of pods not yet being deleted, until the timeout; rechecks at the earliest deadline', () => {
    const pods = [pod('a'), pod('b'), pod('c', { deleting: true }), pod('d')];
    const pdb = budget({ minAvailable: 1 }, { disruptedPods: { a: ago(30_000), b: ago(10_000), c: ago(1000), d: ago(DELETION_TIMEOUT_MS + 1) } });
    const out = pendingDisruptions(pods, pdb, now);
    expect(out.disrupted).toEqual({ a: ago(30_000), b: ago(10_000) });
    expect(out.recheckAt).toBe(now - 30_000 + DELETION_TIMEOUT_MS);
    expect(out.expired.map((p) => p.metadata!.name)).toEqual(['d']);
    expect(pendingDisruptions(pods, budget({ minAvailable: 1 }), now)).toEqual({ disrupted: {}, recheckAt: undefined, expired: [] });
  });
});

describe('status', () => {
  it('allows currentHealthy - desiredHealthy disruptions, with DisruptionAllowed True/SufficientPods', () => {
    const st = budgetStatus(budget({ minAvailable: 2 }, {}, 3), 3, 2, 3, {})!;
    expect(st).toMatchObject({ currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, disruptionsAllowed: 1, observedGeneration: 3 });
    expect(st.conditions).toEqual([expect.objectContaining({ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', observedGeneration: 3 })]);
    expect(st.disruptedPods).toBeUndefined();
  });

  it('allows none when short of healthy pods or when no pods are expected (InsufficientPods)', () => {
    const short = budgetStatus(budget({ minAvailable: 2 }), 1, 2, 2, {})!;
    expect(short).toMatchObject({ disruptionsAllowed: 0 });
    expect(short.conditions?.[0]).toMatchObject({ status: 'False', reason: 'InsufficientPods' });
    expect(budgetStatus(budget({ maxUnavailable: '100%' }), 0, 0, 0, {})).toMatchObject({ disruptionsAllowed: 0 });
  });

  it('writes nothing when the stored status already says it, and keeps the condition transition time', () => {
    const pdb = budget({ minAvailable: 1 });
    pdb.status = budgetStatus(pdb, 2, 1, 2, { x: '2026-01-01T00:00:00Z' });
    expect(budgetStatus(pdb, 2, 1, 2, { x: '2026-01-01T00:00:00Z' })).toBeUndefined();
    // a new generation (spec changed) is a write even with the same counts
    expect(budgetStatus({ ...pdb, metadata: { ...pdb.metadata, generation: 2 } }, 2, 1, 2, { x: '2026-01-01T00:00:00Z' })).toMatchObject({ observedGeneration: 2 });
    const t = pdb.status!.conditions![0]!.lastTransitionTime;
    const next = budgetStatus(pdb, 3, 1, 3, {})!;
    expect(next.conditions![0]!.lastTransitionTime).toBe(t);
    expect(next.disruptionsAllowed).toBe(2);
  });

  it('fails safe: no disruption, DisruptionAllowed False/SyncFailed with the error', () => {
    const pdb = budget({ minAvailable: '50%' }, { disruptionsAllowed: 3, currentHealthy: 4, conditions: [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }] });
    const st = failSafeStatus(pdb, 'found no controllers for pod "a"');
    expect(st).toMatchObject({ disruptionsAllowed: 0, currentHealthy: 4 });
    expect(st.conditions).toEqual([expect.objectContaining({ type: 'DisruptionAllowed', status: 'False', reason: 'SyncFailed', message: 'found no controllers for pod "a"' })]);
    expect(st.conditions![0]!.lastTransitionTime).not.toBe('2026-01-01T00:00:00Z');
  });
});
