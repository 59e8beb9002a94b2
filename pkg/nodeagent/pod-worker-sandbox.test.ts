// Making a pod's sandbox against a fake runtime and network: what a failure half way leaves.
import { register } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/types.js';
import type { PodContext } from './pod-worker-deps.js';
import { PodSandboxMaker, type SandboxDeps } from './pod-worker-sandbox.js';

function setup(failAt: 'setIP' | undefined) {
  const calls: string[] = [];
  const runtime = {
    runPodSandbox: async () => (calls.push('runPodSandbox'), 's1'),
    podSandboxStatus: async () => ({ netnsPath: '/run/netns/s1' }),
    setPodSandboxIP: async (_id: string, ip: string) => {
      calls.push(`setPodSandboxIP ${ip}`);
      if (failAt === 'setIP') throw new Error('disk full');
    },
    stopPodSandbox: async (id: string) => void calls.push(`stopPodSandbox ${id}`),
    removePodSandbox: async (id: string) => void calls.push(`removePodSandbox ${id}`),
  };
  const network = {
    setupPod: async (r: { sandboxId: string; hostPorts?: unknown[] }) => (calls.push(`setupPod ${r.sandboxId} ports=${r.hostPorts?.length}`), { ip: '10.199.4.7' }),
    teardownPod: async (id: string) => void calls.push(`teardownPod ${id}`),
  };
  const d = { runtime, network: async () => network, hostIP: '192.0.2.1', dnsServers: () => ['10.96.0.10'] } as unknown as SandboxDeps;
  const pod: Pod = { metadata: { name: 'p', namespace: 'default', uid: 'u' }, spec: { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80, hostPort: 8080 }] }] } };
  const ctx: PodContext = { pod, uid: 'u', key: 'default/p', podIP: '', event: (_t, reason, message) => calls.push(`event ${reason}: ${message}`), retryIn: () => {}, kick: () => {} };
  let ip = '';
  const maker = new PodSandboxMaker(d, ctx, (a) => (ip = a));
  return { maker, calls, ip: () => ip };
}

const counter = async (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(await register.metrics())?.[1]);

describe('pod sandbox', () => {
  it('is made with its network and host ports, and says its address', async () => {
    const t = setup(undefined);
    const [started, failed] = [await counter('kubelet_started_pods_total'), await counter('kubelet_started_pods_errors_total')];
    expect(await t.maker.create(undefined)).toBe(true);
    // (counted as SyncPod counts the sandboxes it creates)
    expect([await counter('kubelet_started_pods_total'), await counter('kubelet_started_pods_errors_total')]).toEqual([started + 1, failed]);
    expect(t.calls).toEqual(['runPodSandbox', 'setupPod s1 ports=1', 'setPodSandboxIP 10.199.4.7']);
    expect(t.ip()).toBe('10.199.4.7');
    expect(t.maker.backoffLeft()).toBeLessThanOrEqual(0);
  });

  it('a failure after the network was set up releases the network before removing the sandbox, and backs off', async () => {
    const t = setup('setIP');
    const [started, failed] = [await counter('kubelet_started_pods_total'), await counter('kubelet_started_pods_errors_total')];
    expect(await t.maker.create(undefined)).toBe(false);
    expect([await counter('kubelet_started_pods_total'), await counter('kubelet_started_pods_errors_total')]).toEqual([started + 1, failed + 1]);
    expect(t.calls).toEqual([
      'runPodSandbox',
      'setupPod s1 ports=1',
      'setPodSandboxIP 10.199.4.7',
      'teardownPod s1',
      'stopPodSandbox s1',
      'removePodSandbox s1',
      'event FailedCreatePodSandBox: Failed to create pod sandbox: disk full',
    ]);
    expect(t.maker.backoffLeft()).toBeGreaterThan(1500);
  });
});
