import { describe, expect, it } from 'vitest';
import { applyAffinityLabelKeys } from '../../api/pod-affinity-label-keys.js';
import type { Pod, PodAffinityTerm } from '../../api/types.js';
import { Code } from '../framework.js';
import { fakeLister, filterAll, on, runFilter, runScore, snapshot, testNode, testPod } from '../../../test/helpers/scheduler-fixtures.js';
import { ErrReasonAffinityRulesNotMatch, ErrReasonAntiAffinityRulesNotMatch, ErrReasonExistingAntiAffinityRulesNotMatch, interPodAffinity } from './inter-pod-affinity.js';

const zone = 'topology.kubernetes.io/zone';
const host = 'kubernetes.io/hostname';
const term = (labels: Record<string, string>, topologyKey: string, extra: Partial<PodAffinityTerm> = {}): PodAffinityTerm => ({ labelSelector: { matchLabels: labels }, topologyKey, ...extra });
const affinity = (...required: PodAffinityTerm[]) => ({ affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: required } } });
const antiAffinity = (...required: PodAffinityTerm[]) => ({ affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: required } } });

const nodes = [testNode('a1', { [zone]: 'a' }), testNode('a2', { [zone]: 'a' }), testNode('b1', { [zone]: 'b' }), testNode('nozone')];
const codes = (v: ReturnType<typeof runFilter>) => Object.fromEntries([...v.byNode].map(([n, s]) => [n, s.code === Code.Success ? 'ok' : `${Code[s.code]}: ${s.reasons.join()}`]));

describe('InterPodAffinity Filter', () => {
  const pl = interPodAffinity(fakeLister());

  it('skips pods without required terms when no existing pod has required anti-affinity', () => {
    const v = runFilter(pl, testPod('p', { app: 'web' }), snapshot(nodes, [on(testPod('x', { app: 'web' }), 'a1')]));
    expect(v.pre.code).toBe(Code.Skip);
    expect(v.byNode.size).toBe(0);
  });

  it('lets the first replica of a self-affine set in where the topology label exists (nothing matches yet)', () => {
    const pod = testPod('web-0', { app: 'web' }, affinity(term({ app: 'web' }, zone)));
    expect(codes(runFilter(pl, pod, snapshot(nodes, [])))).toEqual({ a1: 'ok', a2: 'ok', b1: 'ok', nozone: `UnschedulableAndUnresolvable: ${ErrReasonAffinityRulesNotMatch}` });
    // A pod whose term does not match itself has no such way in.
    const other = testPod('client', { app: 'client' }, affinity(term({ app: 'web' }, zone)));
    expect(new Set(Object.values(codes(runFilter(pl, other, snapshot(nodes, [])))))).toEqual(new Set([`UnschedulableAndUnresolvable: ${ErrReasonAffinityRulesNotMatch}`]));
  });

  it('required affinity: only nodes in the topology of a matching pod', () => {
    const pod = testPod('web-1', { app: 'web' }, affinity(term({ app: 'web' }, zone)));
    const v = codes(runFilter(pl, pod, snapshot(nodes, [on(testPod('web-0', { app: 'web' }), 'b1')])));
    expect(v).toEqual({ a1: `UnschedulableAndUnresolvable: ${ErrReasonAffinityRulesNotMatch}`, a2: `UnschedulableAndUnresolvable: ${ErrReasonAffinityRulesNotMatch}`, b1: 'ok', nozone: `UnschedulableAndUnresolvable: ${ErrReasonAffinityRulesNotMatch}` });
    // A matching pod in another namespace does not count (the term looks in the pod's own).
    const elsewhere = codes(runFilter(pl, pod, snapshot(nodes, [on(testPod('web-0', { app: 'web' }, {}, 'other'), 'b1'), on(testPod('x', { app: 'x' }), 'a1')])));
    expect(elsewhere.b1).toBe('ok'); // nothing matches anywhere: the self-affinity rule applies again
    const notSelf = testPod('client', { app: 'client' }, affinity(term({ app: 'web' }, zone)));
    expect(codes(runFilter(pl, notSelf, snapshot(nodes, [on(testPod('web-0', { app: 'web' }, {}, 'other'), 'b1')]))).b1).toBe(`UnschedulableAndUnresolvable: ${ErrReasonAffinityRulesNotMatch}`);
  });

  it('required anti-affinity on hostname: one replica per node, resolvable (Unschedulable)', () => {
    const pod = testPod('web-2', { app: 'web' }, antiAffinity(term({ app: 'web' }, host)));
    const v = codes(runFilter(pl, pod, snapshot(nodes, [on(testPod('web-0', { app: 'web' }), 'a1'), on(testPod('web-1', { app: 'web' }), 'b1')])));
    expect(v).toEqual({ a1: `Unschedulable: ${ErrReasonAntiAffinityRulesNotMatch}`, a2: 'ok', b1: `Unschedulable: ${ErrReasonAntiAffinityRulesNotMatch}`, nozone: 'ok' });
  });

  it("symmetry: an existing pod's required anti-affinity keeps matching pods out of its topology", () => {
    const guard = on(testPod('guard', { app: 'guard' }, antiAffinity(term({ app: 'web' }, zone))), 'a1');
    const v = runFilter(pl, testPod('web', { app: 'web' }), snapshot(nodes, [guard]));
    expect(v.pre.code).toBe(Code.Success);
    expect(codes(v)).toEqual({ a1: `Unschedulable: ${ErrReasonExistingAntiAffinityRulesNotMatch}`, a2: `Unschedulable: ${ErrReasonExistingAntiAffinityRulesNotMatch}`, b1: 'ok', nozone: 'ok' });
    // A pod the guard's term does not match is not concerned.
    expect(runFilter(pl, testPod('db', { app: 'db' }), snapshot(nodes, [guard])).pre.code).toBe(Code.Skip);
  });

  it('namespaceSelector: terms look in the namespaces whose labels match', () => {
    const pl2 = interPodAffinity(fakeLister({ default: {}, team: { team: 'a' }, other: { team: 'b' } }));
    const pod = testPod('p', { app: 'p' }, antiAffinity(term({ app: 'web' }, host, { namespaceSelector: { matchLabels: { team: 'a' } } })));
    const existing = [on(testPod('w1', { app: 'web' }, {}, 'team'), 'a1'), on(testPod('w2', { app: 'web' }, {}, 'other'), 'a2'), on(testPod('w3', { app: 'web' }), 'b1')];
    expect(codes(runFilter(pl2, pod, snapshot(nodes, existing)))).toEqual({ a1: `Unschedulable: ${ErrReasonAntiAffinityRulesNotMatch}`, a2: 'ok', b1: 'ok', nozone: 'ok' });
    // The other way round: an existing pod's namespaceSelector is read against the incoming pod's namespace labels.
    const guard = on(testPod('guard', {}, antiAffinity(term({ app: 'web' }, host, { namespaceSelector: { matchLabels: { team: 'a' } } })), 'other'), 'b1');
    expect(codes(runFilter(pl2, testPod('w', { app: 'web' }, {}, 'team'), snapshot(nodes, [guard]))).b1).toBe(`Unschedulable: ${ErrReasonExistingAntiAffinityRulesNotMatch}`);
    expect(runFilter(pl2, testPod('w', { app: 'web' }, {}, 'other'), snapshot(nodes, [guard])).pre.code).toBe(Code.Skip);
    // An empty namespaceSelector means every namespace.
    const all = testPod('p', { app: 'p' }, antiAffinity(term({ app: 'web' }, host, { namespaceSelector: {} })));
    expect(codes(runFilter(pl2, all, snapshot(nodes, existing)))).toEqual({ a1: `Unschedulable: ${ErrReasonAntiAffinityRulesNotMatch}`, a2: `Unschedulable: ${ErrReasonAntiAffinityRulesNotMatch}`, b1: `Unschedulable: ${ErrReasonAntiAffinityRulesNotMatch}`, nozone: 'ok' });
  });

  it('matchLabelKeys and mismatchLabelKeys: requirements on the pod own labels (added by the apiserver at creation)', () => {
    const created = (p: Pod) => (applyAffinityLabelKeys(p), p);
    const pod = created(testPod('p', { app: 'web', rev: '2' }, antiAffinity(term({ app: 'web' }, host, { matchLabelKeys: ['rev'] }))));
    const existing = [on(testPod('old', { app: 'web', rev: '1' }), 'a1'), on(testPod('new', { app: 'web', rev: '2' }), 'a2')];
    const v = codes(runFilter(pl, pod, snapshot(nodes, existing)));
    expect([v.a1, v.a2]).toEqual(['ok', `Unschedulable: ${ErrReasonAntiAffinityRulesNotMatch}`]);
    const mis = created(testPod('p', { app: 'web', tenant: 't1' }, antiAffinity(term({ app: 'web' }, host, { mismatchLabelKeys: ['tenant'] }))));
    const tenants = [on(testPod('t1', { app: 'web', tenant: 't1' }), 'a1'), on(testPod('t2', { app: 'web', tenant: 't2' }), 'a2')];
    const w = codes(runFilter(pl, mis, snapshot(nodes, tenants)));
    expect([w.a1, w.a2]).toEqual(['ok', `Unschedulable: ${ErrReasonAntiAffinityRulesNotMatch}`]);
  });

  describe('PreFilterExtensions follow added and removed pods as a fresh PreFilter would', () => {
    const cases = [
      { what: 'incoming anti-affinity', pod: testPod('in', { app: 'web' }, antiAffinity(term({ app: 'web' }, zone))), other: testPod('web-x', { app: 'web' }) },
      { what: 'incoming affinity', pod: testPod('in', { app: 'client' }, affinity(term({ app: 'web' }, zone), term({ tier: 'fe' }, host))), other: testPod('web-x', { app: 'web', tier: 'fe' }) },
      { what: "an existing pod's anti-affinity", pod: testPod('in', { app: 'web' }), other: testPod('guard', { app: 'guard' }, antiAffinity(term({ app: 'web' }, zone))) },
    ];
    const base = [on(testPod('web-0', { app: 'web', tier: 'fe' }), 'a2'), on(testPod('guard-0', { app: 'guard' }, antiAffinity(term({ app: 'web' }, host))), 'nozone')];
    for (const c of cases) {
      it(c.what, () => {
        let changed = 0;
        for (const target of ['a1', 'b1']) {
          const before = snapshot(nodes, base);
          const after = snapshot(nodes, [...base, on(c.other, target)]);
          const { state } = runFilter(pl, c.pod, before);
          // Add: the state of `before` plus the pod equals a PreFilter on `after`.
          const added = state.clone();
          const node = after.find((n) => n.name === target)!;
          expect(pl.preFilterExtensions!.addPod(added, c.pod, on(c.other, target), node).ok).toBe(true);
          const fresh = runFilter(pl, c.pod, after).state;
          expect(filterAll(pl, added, c.pod, after)).toEqual(filterAll(pl, fresh, c.pod, after));
          // Remove: back to the verdicts of `before`; the clone left the original state alone.
          const removed = fresh.clone();
          pl.preFilterExtensions!.removePod(removed, c.pod, on(c.other, target), before.find((n) => n.name === target)!);
          expect(filterAll(pl, removed, c.pod, before)).toEqual(filterAll(pl, state, c.pod, before));
          if (JSON.stringify(filterAll(pl, state, c.pod, before)) !== JSON.stringify(filterAll(pl, added, c.pod, after))) changed++;
        }
        expect(changed).toBeGreaterThan(0); // the added pod made a difference somewhere
      });
    }
  });
});

describe('InterPodAffinity Score', () => {
  const pl = interPodAffinity(fakeLister());
  const three = [testNode('n1', { [zone]: 'a' }), testNode('n2', { [zone]: 'a' }), testNode('n3', { [zone]: 'b' })];

  it('skips when neither the pod nor any existing pod has terms', () => {
    expect(runScore(pl, testPod('p', { app: 'p' }), snapshot(three, [on(testPod('x', { app: 'web' }), 'n1')]))).toBe('skip');
  });

  it('orders nodes by preferred affinity (+weight) and anti-affinity (-weight), normalised to 0..100', () => {
    const pod = testPod('p', { app: 'p' }, {
      affinity: {
        podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: term({ app: 'db' }, host) }] },
        podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term({ app: 'web' }, host) }] },
      },
    });
    const s = runScore(pl, pod, snapshot(three, [on(testPod('db', { app: 'db' }), 'n1'), on(testPod('web', { app: 'web' }), 'n2')]));
    // raw: n1 +50, n2 -100, n3 0 → (x+100)/150
    expect(s).toEqual({ n1: 100, n2: 0, n3: 66 });
  });

  it("counts existing pods' preferred terms and required affinity (hardPodAffinityWeight 1) towards the incoming pod", () => {
    const likesCache = on(testPod('likes', { app: 'x' }, { affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term({ app: 'cache' }, zone) }] } } }), 'n3');
    const avoidsCache = on(testPod('avoids', { app: 'y' }, { affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term({ app: 'cache' }, host) }] } } }), 'n1');
    expect(runScore(pl, testPod('cache', { app: 'cache' }), snapshot(three, [likesCache, avoidsCache]))).toEqual({ n1: 0, n2: 50, n3: 100 });
    const needsCache = on(testPod('needs', { app: 'z' }, affinity(term({ app: 'cache' }, host))), 'n2');
    expect(runScore(pl, testPod('cache', { app: 'cache' }), snapshot(three, [needsCache]))).toEqual({ n1: 0, n2: 100, n3: 0 });
  });

  it('reads pods on every node, not only on the feasible ones', () => {
    const all = snapshot(three, [on(testPod('db', { app: 'db' }), 'n1')]);
    const pod = testPod('p', { app: 'p' }, { affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, podAffinityTerm: term({ app: 'db' }, zone) }] } } });
    expect(runScore(pl, pod, all.filter((n) => n.name !== 'n1'), all)).toEqual({ n2: 100, n3: 0 });
  });
});
