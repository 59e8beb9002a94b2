// A pod worker stopped by its agent (the agent stops, or restarts) while a sync is under way:
// stop() resolves once that sync has ended, and nothing of the pod is made after it. (A sync that
// went on made the pod's QoS tier again after the node's clean-up had removed it.)
import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import { ContainerState, type ContainerStatus } from '../runtime/types.js';
import { NodeAgent, defaultAgentConfig } from './agent.js';
import { containerNameLabel, podUidLabel } from './container-labels.js';
import { PodWorker, type WorkerDeps } from './pod-worker.js';
import { fakeWorkerDeps } from '../../test/helpers/fake-worker-deps.js';

const pod = (extra: Partial<Pod['metadata']> = {}): Pod => ({
  metadata: { name: 'p', namespace: 'default', uid: 'u', ...extra },
  spec: { terminationGracePeriodSeconds: 30, containers: [{ name: 'app', image: 'x' }] },
});

/** A latch: `wait` resolves once `open` is called. */
function latch() {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
};

function worker(p: Pod, runtime: Record<string, unknown>, more: Partial<WorkerDeps> = {}) {
  const calls: string[] = [];
  return { w: new PodWorker(p, fakeWorkerDeps(runtime, more, calls)), calls };
}

describe('pod worker stop', () => {
  it('waits for the sync under way, which makes no sandbox once stopped', async () => {
    const inTier = latch();
    let asked = false;
    const { w, calls } = worker(pod(), { runPodSandbox: async () => (calls.push('runPodSandbox'), 's1') }, {
      // (the agent brings the QoS tiers up to date here: the step that made them again)
      podCgroupParent: async () => {
        asked = true;
        await inTier.wait;
        return '/tskube-test/besteffort';
      },
    });
    w.kick();
    await until(() => asked);
    let stopped = false;
    const stopping = Promise.resolve(w.stop()).then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(stopped).toBe(false);
    inTier.open();
    await stopping;
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toEqual([]);
    // (and nothing wakes it again)
    w.kick();
    w.update(pod({ labels: { a: 'b' } }));
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toEqual([]);
  });

  it('ends a termination\'s wait for the grace period and leaves the teardown to the next agent', async () => {
    const running = { id: 'c1', metadata: { name: 'app', attempt: 0 }, labels: { [containerNameLabel]: 'app', [podUidLabel]: 'u' }, state: ContainerState.Running, createdAt: '1' } as unknown as ContainerStatus;
    const graceWait = latch();
    let stopAsked = false;
    const { w, calls } = worker(pod({ deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: 30 }), {
      listPodSandbox: async () => [{ id: 's1', state: 'SANDBOX_READY', netnsPath: '/run/netns/s1', createdAt: '1' }],
      listContainers: async () => [running],
      // (the container ignores SIGTERM: the runtime would wait out the 30 s)
      stopContainer: async () => {
        stopAsked = true;
        await graceWait.wait;
      },
    });
    w.kick();
    await until(() => stopAsked);
    const t0 = Date.now();
    await w.stop();
    expect(Date.now() - t0).toBeLessThan(1000);
    graceWait.open();
    await new Promise((r) => setTimeout(r, 20));
    expect(calls.filter((c) => c !== 'runtime.readLogs')).toEqual([]);
  });
});

describe('node agent stop', () => {
  it('resolves only once its pod workers have ended their syncs', async () => {
    const agent = new NodeAgent({} as ApiClient, { ...defaultAgentConfig('n1'), dataDir: '/nonexistent/agent' });
    const sync = latch();
    let workerStopped = false;
    agent.workers.set('u', { key: 'default/p', stop: () => ((workerStopped = true), sync.wait) } as unknown as PodWorker);
    let stopped = false;
    const stopping = agent.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(workerStopped).toBe(true);
    expect(stopped).toBe(false);
    sync.open();
    await stopping;
    expect(stopped).toBe(true);
  });
});
