import { describe, expect, it } from 'vitest';
import type { TopologySpreadConstraint } from '../../api/types.js';
import { Code } from '../framework.js';
import { fakeLister, filterAll, on, runFilter, runScore, selectorOf, snapshot, testNode, testPod } from '../../../test/helpers/scheduler-fixtures.js';
import { ErrReasonConstraintsNotMatch, ErrReasonNodeLabelNotMatch, podTopologySpread } from './pod-topology-spread.js';

const zone = 'topology.kubernetes.io/zone';
const host = 'kubernetes.io/hostname';
const web = { app: 'web' };
const spread = (c: Partial<TopologySpreadConstraint>): TopologySpreadConstraint => ({ maxSkew: 1, topologyKey: zone, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: web }, ...c });
const withSpread = (name: string, ...cs: Partial<TopologySpreadConstraint>[]) => testPod(name, web, { topologySpreadConstraints: (cs.length ? cs : [{}]).map(spread) });
const webOn = (name: string, node: string, labels: Record<string, string> = web) => on(testPod(name, labels), node);

// Three nodes in two zones.
const nodes = [testNode('a1', { [zone]: 'a' }), testNode('a2', { [zone]: 'a' }), testNode('b1', { [zone]: 'b' })];
const codes = (v: ReturnType<typeof runFilter>) => Object.fromEntries([...v.byNode].map(([n, s]) => [n, s.code === Code.Success ? 'ok' : `${Code[s.code]}: ${s.reasons.join()}`]));
const notMatch = `Unschedulable: ${ErrReasonConstraintsNotMatch}`;

describe('PodTopologySpread Filter', () => {
  const pl = podTopologySpread(fakeLister());

  it('skips pods without hard constraints', () => {
    expect(runFilter(pl, testPod('p', web), snapshot(nodes, [])).pre.code).toBe(Code.Skip);
    expect(runFilter(pl, withSpread('p', { whenUnsatisfiable: 'ScheduleAnyway' }), snapshot(nodes, [])).pre.code).toBe(Code.Skip);
  });

  it('maxSkew 1 over two zones of three nodes: the next pod goes to the emptier zone', () => {
    // One matching pod in zone a: a third would make a=2, b=0.
    expect(codes(runFilter(pl, withSpread('p'), snapshot(nodes, [webOn('w0', 'a1')])))).toEqual({ a1: notMatch, a2: notMatch, b1: 'ok' });
    // a=1, b=1: anywhere.
    expect(codes(runFilter(pl, withSpread('p'), snapshot(nodes, [webOn('w0', 'a1'), webOn('w1', 'b1')])))).toEqual({ a1: 'ok', a2: 'ok', b1: 'ok' });
    // Pods that do not match the selector, of another namespace or terminating do not count.
    const others = [webOn('x', 'a1', { app: 'x' }), on(testPod('o', web, {}, 'other'), 'a2'), { ...webOn('t', 'a2'), metadata: { ...webOn('t', 'a2').metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } }];
    expect(codes(runFilter(pl, withSpread('p'), snapshot(nodes, others)))).toEqual({ a1: 'ok', a2: 'ok', b1: 'ok' });
    // maxSkew 2 tolerates a=2 against b=0 ... but not 3.
    expect(codes(runFilter(pl, withSpread('p', { maxSkew: 2 }), snapshot(nodes, [webOn('w0', 'a1')])))).toEqual({ a1: 'ok', a2: 'ok', b1: 'ok' });
    expect(codes(runFilter(pl, withSpread('p', { maxSkew: 2 }), snapshot(nodes, [webOn('w0', 'a1'), webOn('w1', 'a2')])))).toEqual({ a1: notMatch, a2: notMatch, b1: 'ok' });
  });

  it('hostname and zone constraints together', () => {
    const pod = withSpread('p', {}, { topologyKey: host });
    // a=2 (a1, a2), b=1 (b1): zone a is full; b1 already holds one, but hostname min is 1 so b1 takes a second.
    expect(codes(runFilter(pl, pod, snapshot(nodes, [webOn('w0', 'a1'), webOn('w1', 'a2'), webOn('w2', 'b1')])))).toEqual({ a1: notMatch, a2: notMatch, b1: 'ok' });
  });

  it('a node without the topology label is unschedulable and unresolvable (missing required label)', () => {
    const v = codes(runFilter(pl, withSpread('p'), snapshot([...nodes, testNode('bare')], [])));
    expect(v.bare).toBe(`UnschedulableAndUnresolvable: ${ErrReasonNodeLabelNotMatch}`);
    expect(v.a1).toBe('ok');
  });

  it('minDomains: with fewer domains than asked the global minimum counts as 0', () => {
    const two = [webOn('w0', 'a1'), webOn('w1', 'b1')];
    expect(codes(runFilter(pl, withSpread('p', { minDomains: 2 }), snapshot(nodes, two)))).toEqual({ a1: 'ok', a2: 'ok', b1: 'ok' });
    expect(codes(runFilter(pl, withSpread('p', { minDomains: 3 }), snapshot(nodes, two)))).toEqual({ a1: notMatch, a2: notMatch, b1: notMatch });
    // A third zone makes three domains, its minimum 0, and it is the one place left.
    const withC = [...nodes, testNode('c1', { [zone]: 'c' })];
    expect(codes(runFilter(pl, withSpread('p', { minDomains: 3 }), snapshot(withC, two)))).toEqual({ a1: notMatch, a2: notMatch, b1: notMatch, c1: 'ok' });
  });

  it('nodeAffinityPolicy Honor (default) leaves nodes the pod cannot go to out of the domains; Ignore counts them', () => {
    // Zone b is excluded by the pod's node selector: with Honor the only domain is a.
    const pod = (policy?: string) => testPod('p', web, { nodeSelector: { [zone]: 'a' }, topologySpreadConstraints: [spread(policy ? { nodeAffinityPolicy: policy } : {})] });
    const existing = [webOn('w0', 'a1')];
    expect(codes(runFilter(pl, pod(), snapshot(nodes, existing)))).toEqual({ a1: 'ok', a2: 'ok', b1: 'ok' });
    expect(codes(runFilter(pl, pod('Ignore'), snapshot(nodes, existing)))).toEqual({ a1: notMatch, a2: notMatch, b1: 'ok' });
  });

  it('nodeTaintsPolicy Honor leaves tainted nodes out of the domains; Ignore (default) counts them', () => {
    const tainted = [testNode('a1', { [zone]: 'a' }), testNode('b1', { [zone]: 'b' }, { taints: [{ key: 'k', effect: 'NoSchedule' }] })];
    const existing = [webOn('w0', 'a1')];
    expect(codes(runFilter(pl, withSpread('p'), snapshot(tainted, existing))).a1).toBe(notMatch);
    expect(codes(runFilter(pl, withSpread('p', { nodeTaintsPolicy: 'Honor' }), snapshot(tainted, existing))).a1).toBe('ok');
  });

  it('matchLabelKeys narrows the selector to pods with the same values', () => {
    const pod = testPod('p', { app: 'web', rev: '2' }, { topologySpreadConstraints: [spread({ matchLabelKeys: ['rev'] })] });
    // Two old-revision pods in zone a do not count against the new revision.
    const old = [webOn('o0', 'a1', { app: 'web', rev: '1' }), webOn('o1', 'a2', { app: 'web', rev: '1' })];
    expect(codes(runFilter(pl, pod, snapshot(nodes, old)))).toEqual({ a1: 'ok', a2: 'ok', b1: 'ok' });
    expect(codes(runFilter(pl, pod, snapshot(nodes, [...old, webOn('n0', 'b1', { app: 'web', rev: '2' })]))).b1).toBe(notMatch);
  });

  it('PreFilterExtensions: adding or removing a pod gives the verdicts of a fresh PreFilter', () => {
    const pod = withSpread('p', {}, { topologyKey: host, maxSkew: 2 });
    const base = [webOn('w0', 'a1'), webOn('w1', 'b1')];
    for (const target of ['a1', 'a2', 'b1']) {
      const toAdd = webOn('added', target);
      const before = snapshot(nodes, base);
      const after = snapshot(nodes, [...base, toAdd]);
      const { state } = runFilter(pl, pod, before);
      const added = state.clone();
      pl.preFilterExtensions!.addPod(added, pod, toAdd, after.find((n) => n.name === target)!);
      const fresh = runFilter(pl, pod, after).state;
      expect(filterAll(pl, added, pod, after)).toEqual(filterAll(pl, fresh, pod, after));
      const removed = fresh.clone();
      pl.preFilterExtensions!.removePod(removed, pod, toAdd, before.find((n) => n.name === target)!);
      expect(filterAll(pl, removed, pod, before)).toEqual(filterAll(pl, state, pod, before));
    }
    // a=2, b=1: removing one of the zone-a pods lets zone a take one more (preemption's dry run).
    const full = snapshot(nodes, [webOn('w0', 'a1'), webOn('w1', 'a2'), webOn('w2', 'b1')]);
    const { state } = runFilter(pl, withSpread('p'), full);
    expect(filterAll(pl, state, withSpread('p'), full).a1).toContain(ErrReasonConstraintsNotMatch);
    const dry = state.clone();
    pl.preFilterExtensions!.removePod(dry, withSpread('p'), webOn('w1', 'a2'), full[1]!);
    expect(filterAll(pl, dry, withSpread('p'), full).a1).toBe('0:');
    expect(filterAll(pl, state, withSpread('p'), full).a1).toContain(ErrReasonConstraintsNotMatch); // the original is untouched
  });
});

describe('PodTopologySpread Score', () => {
  it('ScheduleAnyway: fewer matching pods in the domain scores higher', () => {
    const pl = podTopologySpread(fakeLister());
    const pod = withSpread('p', { whenUnsatisfiable: 'ScheduleAnyway' });
    const s = runScore(pl, pod, snapshot(nodes, [webOn('w0', 'a1'), webOn('w1', 'a1'), webOn('w2', 'b1')]));
    if (s === 'skip') throw new Error('skipped');
    expect(s.b1).toBe(100);
    expect(s.a1).toBe(s.a2);
    expect(s.a1).toBeLessThan(s.b1);
  });

  it('counts pods on nodes that are not candidates, and ignores nodes without the key', () => {
    const pl = podTopologySpread(fakeLister());
    const pod = withSpread('p', { whenUnsatisfiable: 'ScheduleAnyway' });
    const all = snapshot([...nodes, testNode('bare')], [webOn('w0', 'a1'), webOn('w1', 'a1')]);
    const s = runScore(pl, pod, all.filter((n) => n.name !== 'a1'), all);
    expect(s).toEqual({ a2: 0, b1: 100, bare: 0 });
  });

  it('system defaults spread the pods of a ReplicaSet or Service by hostname; pods of none are skipped', () => {
    const pl = podTopologySpread(fakeLister({}, (p) => (p.metadata?.labels?.app === 'web' ? selectorOf(web) : undefined)));
    const s = runScore(pl, testPod('p', web), snapshot(nodes, [webOn('w0', 'a1'), webOn('w1', 'a1'), webOn('w2', 'a2')]));
    if (s === 'skip') throw new Error('skipped');
    expect(s.b1).toBeGreaterThan(s.a2);
    expect(s.a2).toBeGreaterThan(s.a1);
    expect(runScore(pl, testPod('q', { app: 'lonely' }), snapshot(nodes, []))).toBe('skip');
    // With the system defaults, nodes without a zone label are still spread over by hostname.
    const bare = [testNode('h1'), testNode('h2')];
    // (kube-scheduler's arithmetic: raw h1 = 1·ln 4 + (3-1) → 3, h2 = 2; normalised 100·(3+2-s)/3.)
    expect(runScore(pl, testPod('p', web), snapshot(bare, [webOn('w0', 'h1')]))).toEqual({ h1: 66, h2: 100 });
  });
});
