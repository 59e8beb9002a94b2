// Unit tests: the failure message form, the adaptive node search, node choice, the queue's backoff.
import { describe, expect, it } from 'vitest';
import { Status } from './framework.js';
import { defaultQueueOptions, isPodUpdated, SchedulingQueue } from './queue.js';
import { CycleState } from './framework.js';
import { Scheduler } from './scheduler.js';
import { failureMessage, numFeasibleNodesToFind } from './scheduler-find-node.js';
import type { ApiClient } from '../client/api-client.js';
import type { KubeObject, Node, Pod } from '../api/types.js';

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

  it("defaults to kube-scheduler's backoff (1 s to 10 s) and its five minutes in the unschedulable pool", () => {
    expect(defaultQueueOptions).toEqual({ initialBackoffMs: 1000, maxBackoffMs: 10_000, unschedulableFlushMs: 300_000 });
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

describe('pending pod updates', () => {
  const p1 = { metadata: { name: 'p', namespace: 'default', resourceVersion: '1' }, spec: { containers: [{ name: 'c', image: 'x' }] } } as Pod;
  const conditionWritten = { ...p1, metadata: { ...p1.metadata, resourceVersion: '2', managedFields: [{ manager: 'kube-scheduler' }] }, status: { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }], nominatedNodeName: 'n' } } as Pod;
  const relabelled = { ...conditionWritten, metadata: { ...conditionWritten.metadata, resourceVersion: '3', labels: { a: 'b' } } } as Pod;

  it('counts only changes outside the status, resourceVersion, generation, managedFields and finalizers (isPodUpdated)', () => {
    expect(isPodUpdated(p1, conditionWritten)).toBe(false);
    expect(isPodUpdated(p1, { ...p1, metadata: { ...p1.metadata, finalizers: ['f'], generation: 2 } } as Pod)).toBe(false);
    expect(isPodUpdated(conditionWritten, relabelled)).toBe(true);
    expect(isPodUpdated(p1, { ...p1, spec: { ...p1.spec!, tolerations: [{ operator: 'Exists' }] } } as Pod)).toBe(true);
  });

  it("leaves a parked pod parked when only its status changed (the scheduler's own PodScheduled=False), so it gets no second attempt and FailedScheduling", async () => {
    const s = new Scheduler({} as ApiClient);
    const h = s as unknown as { onPod(p: Pod, old?: Pod): void; queue: SchedulingQueue };
    h.onPod(p1);
    h.queue.unschedulableAgain((await h.queue.pop()).pod);
    h.onPod(conditionWritten, p1);
    expect(h.queue.counts).toEqual({ active: 0, backoff: 0, unschedulable: 1 });
    h.onPod(relabelled, conditionWritten);
    expect(h.queue.counts.unschedulable).toBe(0);
    h.queue.close();
  });
});

describe('findNode', () => {
  const node = (name: string, cpu: string): Node & KubeObject =>
    ({ metadata: { name }, status: { allocatable: { cpu, memory: '8Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] } }) as Node & KubeObject;
  const wants = { metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] } } as Pod;

  it('spreads ties over every tied node, and follows nodes coming and going', () => {
    const s = new Scheduler({} as ApiClient);
    const nodes = s as unknown as { upsertNode(n: Node & KubeObject): void; removeNode(name: string): void };
    for (const n of ['a', 'b', 'c']) nodes.upsertNode(node(n, '4'));
    const chosen = () => new Set(Array.from({ length: 60 }, () => s.findNode(new CycleState(), wants)));
    expect([...chosen()].sort()).toEqual(['a', 'b', 'c']);
    nodes.removeNode('b');
    expect([...chosen()].sort()).toEqual(['a', 'c']);
    nodes.upsertNode(node('d', '64')); // most room: LeastAllocated picks it every time
    expect([...chosen()]).toEqual(['d']);
  });

  it('counts a bound pod that arrives before its node once the node comes (and again if the node comes back)', () => {
    const s = new Scheduler({} as ApiClient);
    const h = s as unknown as { upsertNode(n: Node & KubeObject): void; removeNode(name: string): void; onPod(p: Pod): void; onPodDeleted(p: Pod): void };
    const bound = (name: string) => ({ ...wants, metadata: { name, namespace: 'default' }, spec: { ...wants.spec!, nodeName: 'late' } }) as Pod;
    h.onPod(bound('early'));
    h.onPod(bound('gone'));
    h.onPodDeleted(bound('gone'));
    h.upsertNode(node('late', '4'));
    expect([...s.nodes.get('late')!.pods.keys()]).toEqual(['default/early']);
    expect(s.nodes.get('late')!.requested.milliCPU).toBe(100);
    h.removeNode('late');
    h.upsertNode(node('late', '4'));
    expect([...s.nodes.get('late')!.pods.keys()]).toEqual(['default/early']);
  });
});
