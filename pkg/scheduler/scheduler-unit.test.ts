// Unit tests: the failure message form, the adaptive node search, the queue's backoff.
import { describe, expect, it } from 'vitest';
import { Status } from './framework.js';
import { SchedulingQueue } from './queue.js';
import { failureMessage, numFeasibleNodesToFind } from './scheduler.js';
import type { Pod } from '../api/types.js';

const pod = (name: string, priority = 0): Pod => ({ metadata: { name, namespace: 'default' }, spec: { containers: [], priority } }) as Pod;

describe('failureMessage', () => {
  it('counts reasons across nodes in kube-scheduler\'s form', () => {
    const st = new Map([
      ['a', Status.unresolvable('TaintToleration', 'node(s) had untolerated taint {dedicated: gpu}')],
      ['b', Status.unschedulable('NodeResourcesFit', 'Insufficient cpu')],
      ['c', Status.unschedulable('NodeResourcesFit', 'Insufficient cpu')],
    ]);
    expect(failureMessage(3, st)).toBe('0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu.');
  });
});

describe('numFeasibleNodesToFind', () => {
  it('is every node on small clusters and adaptive on large ones', () => {
    expect(numFeasibleNodesToFind(50, 0)).toBe(50);
    expect(numFeasibleNodesToFind(500, 0)).toBe(230); // 46%
    expect(numFeasibleNodesToFind(5000, 0)).toBe(500); // 10%
    expect(numFeasibleNodesToFind(5000, 50)).toBe(2500);
  });
});

describe('SchedulingQueue', () => {
  it('pops by priority, then first in first out', async () => {
    const q = new SchedulingQueue();
    q.add(pod('low-1'));
    q.add(pod('high', 10));
    q.add(pod('low-2'));
    expect((await q.pop()).pod.metadata?.name).toBe('high');
    expect((await q.pop()).pod.metadata?.name).toBe('low-1');
    expect((await q.pop()).pod.metadata?.name).toBe('low-2');
    q.close();
  });

  it('backs off failed pods, doubling up to the cap, and parks unschedulable ones until an event', async () => {
    const q = new SchedulingQueue({ initialBackoffMs: 100, maxBackoffMs: 300, unschedulableFlushMs: 60_000 });
    const p = pod('p');
    q.add(p);
    await q.pop();
    const t0 = Date.now();
    q.retryLater(p);
    expect(q.counts.backoff).toBe(1);
    await q.pop();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
    const t1 = Date.now();
    q.retryLater(p);
    await q.pop();
    expect(Date.now() - t1).toBeGreaterThanOrEqual(190);
    q.unschedulableAgain(p);
    expect(q.counts.unschedulable).toBe(1);
    await new Promise((r) => setTimeout(r, 500));
    expect(q.counts).toEqual({ active: 0, backoff: 0, unschedulable: 1 });
    q.moveAllToActiveOrBackoff();
    const back = await q.pop();
    expect(back.attempts).toBe(3);
    q.close();
  });

  it('forgets deleted pods wherever they are', () => {
    const q = new SchedulingQueue();
    q.add(pod('a'));
    q.add(pod('b'));
    q.delete(pod('a'));
    expect(q.counts.active).toBe(1);
    q.close();
  });
});
