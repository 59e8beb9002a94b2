// The replica calculator over fake pods and metrics: the tolerance band, plain scale up and
// down, missing metrics (assumed at their request on a scale down, at zero on a scale up),
// unready pods (zero on a scale up, and no reversal of direction), the CPU readiness rules
// while pods initialize, average-value targets, and the errors Kubernetes reports.
import { describe, expect, it } from 'vitest';
import { groupPods, podRequests, rawResourceReplicas, resourceReplicas, type CalculatorConfig, type PodMetricsInfo } from './replica-calculator.js';

type Pod = Parameters<typeof podRequests>[0][number];

const NOW = Date.parse('2026-06-01T12:00:00Z');
const cfg: CalculatorConfig = { tolerance: 0.1, cpuInitializationPeriodMs: 300_000, delayOfInitialReadinessStatusMs: 30_000, now: () => NOW };
const iso = (msAgo: number) => new Date(NOW - msAgo).toISOString();

interface PodOpts {
  cpu?: string;
  memory?: string;
  phase?: string;
  ready?: boolean;
  /** ms since the pod started (default 10 min: past the CPU initialization period). */
  started?: number;
  /** ms since the Ready condition last changed (default 9 min). */
  readySince?: number;
  deleting?: boolean;
}

const pod = (name: string, o: PodOpts = {}): Pod =>
  ({
    metadata: { name, namespace: 'd', ...(o.deleting ? { deletionTimestamp: iso(0) } : {}) },
    spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { ...(o.cpu !== '' ? { cpu: o.cpu ?? '100m' } : {}), ...(o.memory ? { memory: o.memory } : {}) } } }] },
    status: {
      phase: o.phase ?? 'Running',
      startTime: iso(o.started ?? 600_000),
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: iso(o.readySince ?? 540_000) }],
    },
  }) as Pod;

/** Metrics (milli) sampled a second ago over a 1 s window. */
const metrics = (values: Record<string, number>, sampledAgo = 1000): PodMetricsInfo => new Map(Object.entries(values).map(([k, v]) => [k, { value: v, timestamp: NOW - sampledAgo, windowMs: 1000 }]));

const pods = (n: number, o: PodOpts = {}) => Array.from({ length: n }, (_, i) => pod(`p${i}`, o));

describe('utilization targets (GetResourceReplicas)', () => {
  it('leaves the replicas alone within the 10% tolerance', () => {
    // 160m of 300m requested = 53% against 50%: ratio 1.06
    const r = resourceReplicas(3, 50, 'cpu', pods(3), metrics({ p0: 52, p1: 53, p2: 55 }), cfg);
    expect(r).toEqual({ replicas: 3, utilization: 53, rawUtilization: 53 });
    // 17% off is outside the band
    expect(resourceReplicas(3, 50, 'cpu', pods(3), metrics({ p0: 58, p1: 58, p2: 59 }), cfg).replicas).toBe(4);
  });

  it('scales up and down in proportion, rounding up', () => {
    expect(resourceReplicas(3, 50, 'cpu', pods(3), metrics({ p0: 100, p1: 100, p2: 100 }), cfg)).toEqual({ replicas: 6, utilization: 100, rawUtilization: 100 });
    expect(resourceReplicas(3, 50, 'cpu', pods(3), metrics({ p0: 10, p1: 10, p2: 10 }), cfg).replicas).toBe(1);
    // a different tolerance changes the band
    expect(resourceReplicas(3, 50, 'cpu', pods(3), metrics({ p0: 52, p1: 53, p2: 55 }), { ...cfg, tolerance: 0.01 }).replicas).toBe(4);
  });

  it('on a scale down counts a pod without metrics at its full request', () => {
    // alone, p0 and p1 at 20% would give ceil(0.4 * 2) = 1; with p2 at 100% the ratio is 0.93: no change
    expect(resourceReplicas(3, 50, 'cpu', pods(3), metrics({ p0: 20, p1: 20 }), cfg)).toMatchObject({ replicas: 3, utilization: 20 });
    // far enough below target, it still scales down, over the pods counted (3)
    expect(resourceReplicas(3, 80, 'cpu', pods(3), metrics({ p0: 1, p1: 1 }), cfg).replicas).toBe(2);
  });

  it('on a scale up counts a pod without metrics at zero', () => {
    // p0 and p1 at 100% (ratio 2) would ask for 4; with two missing at 0 the ratio is 1.0: no change
    expect(resourceReplicas(4, 50, 'cpu', pods(4), metrics({ p0: 100, p1: 100 }), cfg).replicas).toBe(4);
    // p0, p1 at 200% and p2 at 0: 133% of 300m, ratio 2.66 over 3 pods: 8
    expect(resourceReplicas(3, 50, 'cpu', pods(3), metrics({ p0: 200, p1: 200 }), cfg).replicas).toBe(8);
  });

  it('on a scale up counts unready pods at zero, and does not reverse the direction because of them', () => {
    const ps = [pod('a'), pod('b', { phase: 'Pending' }), pod('c', { phase: 'Pending' }), pod('d', { phase: 'Pending' })];
    // a alone at 100% (ratio 2); with three unready at 0 the ratio drops to 0.5: below 1, so no move
    expect(resourceReplicas(4, 50, 'cpu', ps, metrics({ a: 100 }), cfg).replicas).toBe(4);
    // a at 400% (ratio 8): with the three at 0 the ratio is 2 over 4 pods
    expect(resourceReplicas(4, 50, 'cpu', ps, metrics({ a: 400 }), cfg).replicas).toBe(8);
    // on a scale down unready pods are simply left out
    expect(resourceReplicas(4, 50, 'cpu', ps, metrics({ a: 10 }), cfg).replicas).toBe(1);
  });

  it('ignores pods being deleted and failed pods, and their metrics', () => {
    const ps = [pod('a'), pod('b'), pod('gone', { deleting: true }), pod('dead', { phase: 'Failed' })];
    expect(resourceReplicas(4, 50, 'cpu', ps, metrics({ a: 50, b: 50, gone: 1000, dead: 1000 }), cfg).replicas).toBe(4);
  });

  it('takes CPU samples of initializing pods only once a full window follows their readiness', () => {
    const young = (readySince: number) => pod('y', { started: 60_000, readySince });
    // ready 10 s ago, sampled 1 s ago over 1 s: the sample is after readiness + window: counted
    expect(groupPods([young(10_000)], metrics({ y: 1 }), 'cpu', cfg).readyPodCount).toBe(1);
    // ready 0.5 s ago: the sample window reaches back before readiness: unready
    expect(groupPods([young(500)], metrics({ y: 1 }), 'cpu', cfg).unready.has('y')).toBe(true);
    // not ready while initializing: unready
    expect(groupPods([pod('y', { started: 60_000, ready: false })], metrics({ y: 1 }), 'cpu', cfg).unready.has('y')).toBe(true);
    // past initialization, unready and never ready since start (transition within 30 s of the start): unready
    expect(groupPods([pod('o', { ready: false, started: 600_000, readySince: 590_000 })], metrics({ o: 1 }), 'cpu', cfg).unready.has('o')).toBe(true);
    // ... but unready after having been ready: counted
    expect(groupPods([pod('o', { ready: false, started: 600_000, readySince: 100_000 })], metrics({ o: 1 }), 'cpu', cfg).readyPodCount).toBe(1);
    // memory samples are not judged by readiness
    expect(groupPods([young(500)], metrics({ y: 1 }), 'memory', cfg).readyPodCount).toBe(1);
  });

  it('fails as Kubernetes does without pods, without requests, or without usable metrics', () => {
    expect(() => resourceReplicas(1, 50, 'cpu', [], metrics({}), cfg)).toThrow('no pods returned by selector while calculating replica count');
    expect(() => resourceReplicas(1, 50, 'cpu', [pod('a', { cpu: '' })], metrics({ a: 1 }), cfg)).toThrow('missing request for cpu in container c of Pod a');
    expect(() => resourceReplicas(1, 50, 'cpu', [pod('a', { phase: 'Pending' })], metrics({ a: 1 }), cfg)).toThrow('did not receive metrics for targeted pods (pods might be unready)');
  });

  it('sums a pod over its containers and restartable init containers, or one container', () => {
    const p = pod('a');
    p.spec!.containers!.push({ name: 'side', image: 'x', resources: { requests: { cpu: '50m' } } });
    p.spec!.initContainers = [
      { name: 'init', image: 'x' },
      { name: 'sidecar', image: 'x', restartPolicy: 'Always', resources: { requests: { cpu: '1' } } },
    ];
    expect(podRequests([p], 'cpu').get('a')).toBe(1150);
    expect(podRequests([p], 'cpu', 'side').get('a')).toBe(50);
  });
});

describe('average value targets (GetRawResourceReplicas)', () => {
  const mi = 1024 * 1024 * 1000; // one MiB in milli-bytes
  it('scales on the average usage against the target, with the same tolerance', () => {
    const ps = pods(2, { memory: '64Mi' });
    expect(rawResourceReplicas(2, 100 * mi, 'memory', ps, metrics({ p0: 200 * mi, p1: 200 * mi }), cfg)).toEqual({ replicas: 4, usage: 200 * mi });
    expect(rawResourceReplicas(2, 100 * mi, 'memory', ps, metrics({ p0: 105 * mi, p1: 100 * mi }), cfg).replicas).toBe(2);
  });

  it('on a scale down counts a pod without metrics at the target', () => {
    const ps = pods(3, { memory: '64Mi' });
    // p0, p1 at 10 (ratio 0.1) would give 1; with p2 at 100 the average is 40: ceil(0.4 * 3) = 2
    expect(rawResourceReplicas(3, 100 * mi, 'memory', ps, metrics({ p0: 10 * mi, p1: 10 * mi }), cfg).replicas).toBe(2);
  });
});
