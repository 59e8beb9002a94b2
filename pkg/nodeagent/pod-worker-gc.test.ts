// What the container GC takes of an ended pod through its worker (removeEndedContainers): its
// exited containers, then its stopped sandbox once none holds a container (kuberuntime_gc.go
// evictContainers, then evictSandboxes); a ready sandbox, or one still holding a container, stays.
import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/types.js';
import { ContainerState, SandboxState, type ContainerStatus, type PodSandboxStatus } from '../runtime/types.js';
import { containerNameLabel, podUidLabel } from './container-labels.js';
import { PodWorker } from './pod-worker.js';
import { fakeWorkerDeps } from '../../test/helpers/fake-worker-deps.js';

const ended: Pod = {
  metadata: { name: 'p', namespace: 'default', uid: 'u' },
  spec: { restartPolicy: 'Never', containers: [{ name: 'app', image: 'x' }] },
  status: { phase: 'Failed', reason: 'Evicted', podIP: '10.199.0.9' },
};

const sandbox = (state: SandboxState): PodSandboxStatus => ({
  id: 's1', metadata: { name: 'p', namespace: 'default', uid: 'u', attempt: 0 }, state, createdAt: '2026-01-01T00:00:00Z',
  netnsPath: '/run/netns/tsk-s1', ipcnsPath: '', utsnsPath: '', ip: '10.199.0.9', cgroupParent: '/tsk/podu', labels: { [podUidLabel]: 'u' }, annotations: {},
});

const container: ContainerStatus = {
  id: 'c1', sandboxId: 's1', state: ContainerState.Exited, createdAt: '2026-01-01T00:00:00Z', exitCode: 137, reason: 'Error',
  image: 'x', imageRef: 'x', logPath: '/nonexistent/c1.log', metadata: { name: 'app', attempt: 0 }, labels: { [podUidLabel]: 'u', [containerNameLabel]: 'app' }, annotations: {},
};

function worker(opts: { sandboxState: SandboxState; stuck?: boolean }) {
  const calls: string[] = [];
  let containers = [container];
  let sandboxes = [sandbox(opts.sandboxState)];
  let synced = 0;
  const runtime = {
    listPodSandbox: async () => sandboxes,
    listContainers: async () => containers,
    removeContainer: async (id: string) => {
      calls.push(`removeContainer ${id}`);
      if (opts.stuck) throw new Error('device busy');
      containers = containers.filter((c) => c.id !== id);
    },
    removePodSandbox: async (id: string) => {
      calls.push(`removePodSandbox ${id}`);
      sandboxes = sandboxes.filter((s) => s.id !== id);
    },
  };
  const d = fakeWorkerDeps(runtime, { statusChanged: () => void synced++ }, calls);
  const w = new PodWorker(ended, d);
  return { w, calls, synced: () => synced, left: () => ({ containers, sandboxes }) };
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
};

describe('container GC of an ended pod', () => {
  it('removes its exited containers, then its stopped sandbox; its status keeps the pod IP', async () => {
    const t = worker({ sandboxState: SandboxState.NotReady });
    t.w.kick();
    await until(() => t.synced() > 0);
    await new Promise((r) => setTimeout(r, 20));
    expect(await t.w.removeEndedContainers()).toBe(1);
    expect(t.calls.filter((c) => c.startsWith('remove'))).toEqual(['removeContainer c1', 'removePodSandbox s1']);
    expect(t.left()).toEqual({ containers: [], sandboxes: [] });
    // (the next pass has nothing left to take)
    expect(await t.w.removeEndedContainers()).toBe(0);
    expect(t.calls.filter((c) => c.startsWith('remove'))).toHaveLength(2);
    // A later sync reports what the pod last had: its IP stays, its sandbox not ready.
    t.w.kick();
    await new Promise((r) => setTimeout(r, 50));
    expect(t.w.podIP).toBe('10.199.0.9');
  });

  it('keeps a sandbox that still holds a container, and a ready one', async () => {
    const stuck = worker({ sandboxState: SandboxState.NotReady, stuck: true });
    stuck.w.kick();
    await until(() => stuck.synced() > 0);
    await new Promise((r) => setTimeout(r, 20));
    expect(await stuck.w.removeEndedContainers()).toBe(0);
    expect(stuck.calls.filter((c) => c.startsWith('remove'))).toEqual(['removeContainer c1']);
    expect(stuck.left().sandboxes).toHaveLength(1);

    // (a worker that has not synced yet, its sandbox still ready as the runtime lists it)
    const ready = worker({ sandboxState: SandboxState.Ready });
    expect(await ready.w.removeEndedContainers()).toBe(0);
    expect(ready.calls.filter((c) => c.startsWith('remove'))).toEqual([]);
  });
});
