import { describe, expect, it } from 'vitest';
import { newEvent } from '../client/events.js';
import { conditionTaints, nodeEventRef, tolerationMs, zoneState } from './node-lifecycle.js';

describe('tolerationMs (the taint eviction controller)', () => {
  const taint = { key: 'maint', value: 'now', effect: 'NoExecute', timeAdded: '2020-01-01T00:00:00Z' };
  it('0 without a toleration; never when tolerated for ever; the seconds of the first matching toleration, whatever the taint’s timeAdded', () => {
    expect(tolerationMs([taint], [])).toBe(0);
    expect(tolerationMs([taint], [{ key: 'maint', operator: 'Exists', effect: 'NoExecute' }])).toBeUndefined();
    expect(tolerationMs([taint], [{ key: 'maint', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }])).toBe(30_000);
    // the first toleration that matches is the one used, even if a later one tolerates for ever
    expect(tolerationMs([taint], [{ operator: 'Exists', tolerationSeconds: 5 }, { key: 'maint', operator: 'Exists' }])).toBe(5000);
    // NoSchedule taints do not evict
    expect(tolerationMs([{ ...taint, effect: 'NoSchedule' }], [])).toBeUndefined();
  });
});

describe('zoneState (ComputeZoneState)', () => {
  it('full when no node is Ready, partial when more than 2 and at least 55% are not', () => {
    expect(zoneState(['Unknown'])).toBe('FullDisruption');
    expect(zoneState(['True', 'Unknown'])).toBe('Normal');
    expect(zoneState(['True', 'Unknown', 'False', 'Unknown'])).toBe('PartialDisruption');
    expect(zoneState(['True', 'True', 'Unknown', 'False'])).toBe('Normal');
  });
});

describe('conditionTaints (doNoScheduleTaintingPass)', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const keys = (ts: { key: string; effect: string }[]) => ts.map((t) => `${t.key}:${t.effect}`);
  it('taints NoSchedule for Ready False/Unknown, pressure, NetworkUnavailable and a cordon, and takes away those no longer called for', () => {
    const cond = (type: string, status: string) => ({ type, status });
    expect(keys(conditionTaints([], [cond('Ready', 'Unknown'), cond('MemoryPressure', 'True'), cond('NetworkUnavailable', 'True')], now, true))).toEqual([
      'node.kubernetes.io/unreachable:NoSchedule',
      'node.kubernetes.io/memory-pressure:NoSchedule',
      'node.kubernetes.io/network-unavailable:NoSchedule',
      'node.kubernetes.io/unschedulable:NoSchedule',
    ]);
    const current = [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }, { key: 'mine', effect: 'NoSchedule' }];
    expect(keys(conditionTaints(current, [cond('Ready', 'True')], now, false))).toEqual(['node.kubernetes.io/unreachable:NoExecute', 'mine:NoSchedule']);
  });
});

describe('nodeEventRef (recordNodeEvent)', () => {
  it('refers to the Node by apiVersion, kind, name and uid, without its resourceVersion', () => {
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'u-1', resourceVersion: '42', labels: { a: 'b' } } };
    const ev = newEvent(nodeEventRef(node), { component: 'node-controller' }, 'Normal', 'RegisteredNode', 'Node n1 event: Registered Node n1 in Controller');
    expect(ev.involvedObject).toEqual({ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'u-1', namespace: undefined });
    expect((ev.metadata as { namespace?: string }).namespace).toBe('default');
  });
});
