// Preemption's dry runs with the real filter plugins on fake nodes: who is eligible, which pods
// become victims on a node, and which node is picked.
import { describe, expect, it } from 'vitest';
import type { Node, Pod, PodDisruptionBudget } from '../api/types.js';
import { CycleState, Status, type PostFilterHandle } from './framework.js';
import { NodeInfo } from './node-info.js';
import { defaultPreemption, eligibleToPreempt, pickCandidate, PREEMPTION_REASON, selectVictimsOnNode } from './preemption.js';
import { nodePorts, nodeResourcesFit } from './plugins/filters.js';

const node = (name: string, cpu = '1000m'): Node => ({ metadata: { name }, status: { allocatable: { cpu, memory: '1Gi', pods: '10' }, conditions: [{ type: 'Ready', status: 'True' }] } }) as Node;

let seq = 0;
function pod(name: string, priority: number, cpu: string, extra: { started?: string; hostPort?: number; node?: string } = {}): Pod {
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, creationTimestamp: extra.started ?? new Date(Date.UTC(2026, 0, 1, 0, 0, seq++)).toISOString() },
    spec: { priority, nodeName: extra.node, containers: [{ name: 'c', resources: { requests: { cpu } }, ports: extra.hostPort ? [{ containerPort: 80, hostPort: extra.hostPort }] : [] }] },
    status: {},
  } as unknown as Pod;
}

function nodeWith(name: string, pods: Pod[], cpu?: string): NodeInfo {
  const n = new NodeInfo(node(name, cpu));
  for (const p of pods) n.addPod(p, false);
  return n;
}

const plugins = { preFilter: [nodeResourcesFit, nodePorts], filter: [nodeResourcesFit, nodePorts] };

function prepared(p: Pod): CycleState {
  const s = new CycleState();
  for (const pl of plugins.preFilter) if (pl.preFilter(s, p, []).code === 4) s.skipFilter.add(pl.name);
  return s;
}

describe('selectVictimsOnNode', () => {
  it('removes only lower-priority pods, and gives back the most important ones that need not go', () => {
    const n = nodeWith('n', [pod('low-old', 1, '300m', { started: '2026-01-01T00:00:00Z' }), pod('low-new', 1, '300m', { started: '2026-01-02T00:00:00Z' }), pod('mid', 5, '100m'), pod('peer', 10, '100m')]);
    const high = pod('high', 10, '500m');
    const victims = selectVictimsOnNode(prepared(high), high, n, plugins);
    // 200m free, 500m needed: one 300m pod must go. mid is given back first (higher priority),
    // then the older of the two lowest; the newer one goes.
    expect(victims?.map((v) => v.metadata?.name)).toEqual(['low-new']);
    // The node itself is untouched by the dry run.
    expect(n.pods.size).toBe(4);
    expect(n.requested.milliCPU).toBe(800);
  });

  it('takes several when one is not enough, and none of equal or higher priority', () => {
    const n = nodeWith('n', [pod('a', 1, '400m'), pod('b', 2, '400m'), pod('same', 10, '200m')]);
    const high = pod('high', 10, '800m');
    expect(selectVictimsOnNode(prepared(high), high, n, plugins)?.map((v) => v.metadata?.name)).toEqual(['b', 'a']);
    const tooBig = pod('big', 10, '900m');
    expect(selectVictimsOnNode(prepared(tooBig), tooBig, n, plugins)).toBeUndefined();
  });

  it('frees a host port held by a lower-priority pod', () => {
    const n = nodeWith('n', [pod('holder', 0, '10m', { hostPort: 8080 }), pod('other', 0, '10m')]);
    const p = pod('wants-port', 100, '10m', { hostPort: 8080 });
    expect(selectVictimsOnNode(prepared(p), p, n, plugins)?.map((v) => v.metadata?.name)).toEqual(['holder']);
  });

  it('keeps the room of pods nominated to the node', () => {
    const n = nodeWith('n', [pod('low', 0, '600m')]);
    const high = pod('high', 10, '500m');
    const nominated = pod('first', 20, '600m');
    expect(selectVictimsOnNode(prepared(high), high, n, { ...plugins, nominated: () => [nominated] })).toBeUndefined();
    expect(selectVictimsOnNode(prepared(high), high, n, { ...plugins, nominated: () => [] })?.length).toBe(1);
  });
});

describe('PodDisruptionBudgets in preemption', () => {
  const labelled = (name: string, priority: number, cpu: string, app: string) => {
    const p = pod(name, priority, cpu);
    p.metadata!.labels = { app };
    return p;
  };
  const pdb = (app: string, allowed: number, disrupted: Record<string, string> = {}) => ({ metadata: { name: app, namespace: 'default' }, spec: { selector: { matchLabels: { app } } }, status: { disruptionsAllowed: allowed, disruptedPods: disrupted } }) as PodDisruptionBudget;

  it('gives back the pods a budget protects first, so an unprotected pod goes instead, and counts the violations left (filterPodsWithPDBViolation)', () => {
    // Two 400m pods of equal priority, 200m free, 500m wanted: one must go. By importance the
    // newer one (guarded) would go; its budget allows no disruption, so the older one goes.
    const guarded = labelled('guarded', 1, '400m', 'db');
    const n = nodeWith('n', [labelled('older', 1, '400m', 'web'), guarded]);
    n.pods.get('default/older')!.pod.metadata!.creationTimestamp = '2025-01-01T00:00:00Z';
    const high = pod('high', 10, '500m');
    const counted = { pdbViolations: -1 };
    expect(selectVictimsOnNode(prepared(high), high, n, { ...plugins, pdbs: () => [pdb('db', 0)] }, undefined, counted)?.map((v) => v.metadata?.name)).toEqual(['older']);
    expect(counted.pdbViolations).toBe(0);
    // (without budgets, the least important goes)
    expect(selectVictimsOnNode(prepared(high), high, n, plugins)?.map((v) => v.metadata?.name)).toEqual(['guarded']);
    // A budget with a disruption to spare, or that already counts the pod as disrupted, protects nothing.
    expect(selectVictimsOnNode(prepared(high), high, n, { ...plugins, pdbs: () => [pdb('db', 1)] })?.map((v) => v.metadata?.name)).toEqual(['guarded']);
    expect(selectVictimsOnNode(prepared(high), high, n, { ...plugins, pdbs: () => [pdb('db', 0, { guarded: '2026-01-01T00:00:00Z' })] })?.map((v) => v.metadata?.name)).toEqual(['guarded']);
    // When every pod must go, the protected one is a victim all the same, and counted.
    const all = pod('all', 10, '1000m');
    expect(selectVictimsOnNode(prepared(all), all, n, { ...plugins, pdbs: () => [pdb('db', 0)] }, undefined, counted)?.length).toBe(2);
    expect(counted.pdbViolations).toBe(1);
  });

  it('picks the node with the fewest budget violations first (pickOneNodeForPreemption)', () => {
    expect(pickCandidate([{ node: 'a', victims: [pod('x', 1, '1m')], pdbViolations: 1 }, { node: 'b', victims: [pod('y', 5, '1m')], pdbViolations: 0 }])?.node).toBe('b');
  });
});

describe('pickCandidate', () => {
  it('prefers the lowest top victim, then the lowest sum, then the fewest victims, then the latest started', () => {
    const c = (node: string, ...victims: Pod[]) => ({ node, victims });
    expect(pickCandidate([c('a', pod('x', 5, '1m')), c('b', pod('y', 3, '1m'), pod('z', 3, '1m'))])?.node).toBe('b');
    expect(pickCandidate([c('a', pod('x', 3, '1m'), pod('y', 3, '1m')), c('b', pod('z', 3, '1m'), pod('w', 1, '1m'))])?.node).toBe('b');
    // Each victim counts for its priority plus 2^31 (as kube's sum), so one victim beats two of the same top priority.
    expect(pickCandidate([c('a', pod('x', 3, '1m'), pod('y', 0, '1m')), c('b', pod('z', 3, '1m'))])?.node).toBe('b');
    const early = pod('e', 3, '1m', { started: '2026-01-01T00:00:00Z' });
    const late = pod('l', 3, '1m', { started: '2026-01-05T00:00:00Z' });
    expect(pickCandidate([c('a', early), c('b', late)])?.node).toBe('b');
    expect(pickCandidate([])).toBeUndefined();
  });
});

describe('eligibleToPreempt and the plugin', () => {
  it('refuses preemptionPolicy Never, and waits while its earlier victims terminate', () => {
    const high = pod('high', 10, '500m');
    const nodes = new Map([['n', nodeWith('n', [pod('low', 0, '800m')])]]);
    const statuses = new Map([['n', Status.unschedulable('NodeResourcesFit', 'Insufficient cpu')]]);
    expect(eligibleToPreempt(high, nodes, statuses)).toBe(true);
    expect(eligibleToPreempt({ ...high, spec: { ...high.spec, preemptionPolicy: 'Never' } }, nodes, statuses)).toBe(false);
    const terminating = pod('low', 0, '800m');
    terminating.metadata!.deletionTimestamp = '2026-01-01T00:00:00Z';
    terminating.status = { conditions: [{ type: 'DisruptionTarget', status: 'True', reason: PREEMPTION_REASON }] };
    const waiting = new Map([['n', nodeWith('n', [terminating])]]);
    const nominated = { ...high, status: { nominatedNodeName: 'n' } };
    expect(eligibleToPreempt(nominated, waiting, statuses)).toBe(false);
    expect(eligibleToPreempt(high, waiting, statuses)).toBe(true);
  });

  it('nominates the node where the fewest and least important pods go, never one failing for an unresolvable reason', () => {
    const a = nodeWith('a', [pod('a1', 5, '900m')]);
    const b = nodeWith('b', [pod('b1', 1, '450m'), pod('b2', 1, '450m')]);
    const c = nodeWith('c', [pod('c1', 0, '900m')]);
    const high = pod('high', 10, '500m');
    const statuses = new Map([
      ['a', Status.unschedulable('NodeResourcesFit', 'Insufficient cpu')],
      ['b', Status.unschedulable('NodeResourcesFit', 'Insufficient cpu')],
      ['c', Status.unresolvable('TaintToleration', 'node(s) had untolerated taint {x: }')],
    ]);
    const h: PostFilterHandle = { nodes: new Map([['a', a], ['b', b], ['c', c]]), nodeList: [a, b, c], ...plugins, nominated: () => [] };
    const res = defaultPreemption.postFilter(prepared(high), high, statuses, h);
    if (typeof res === 'string') throw new Error(`no candidate: ${res}`);
    expect(res.nominatedNode).toBe('b');
    expect(res.victims.map((v) => v.metadata?.name)).toHaveLength(1);
    // (no candidate: why, per node, in kube-scheduler's words)
    expect(defaultPreemption.postFilter(prepared(pod('low', 0, '500m')), pod('low', 0, '500m'), statuses, h)).toBe('preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.');
    // A node where removing every lower-priority pod is not enough says its filter's reason.
    const d = nodeWith('d', [pod('d1', 0, '300m'), pod('d2', 20, '600m')]);
    const only: PostFilterHandle = { nodes: new Map([['d', d]]), nodeList: [d], ...plugins, nominated: () => [] };
    expect(defaultPreemption.postFilter(prepared(high), high, new Map([['d', Status.unschedulable('NodeResourcesFit', 'Insufficient cpu')]]), only)).toBe('preemption: 0/1 nodes are available: 1 Insufficient cpu.');
    const never = { ...high, spec: { ...high.spec, preemptionPolicy: 'Never' } };
    expect(defaultPreemption.postFilter(prepared(never), never, statuses, h)).toBe('preemption: not eligible due to preemptionPolicy=Never.');
  });
});
