import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/types.js';
import { ContainerState, type ContainerStatus, type RuntimeService } from '../runtime/types.js';
import { containerNameLabel } from './container-labels.js';
import type { PodContext } from './pod-worker-deps.js';
import { stopContainers } from './pod-worker-termination.js';

describe('stopping a pod\'s containers', () => {
  it('gives SIGTERM at least 2 seconds before SIGKILL, whatever the grace period (killContainer\'s minimumGracePeriodInSeconds, applied after an override too)', async () => {
    const pod: Pod = { metadata: { name: 'p', namespace: 'ns', uid: 'u' }, spec: { containers: [{ name: 'app', image: 'x' }] } };
    const st = { id: 'c1', state: ContainerState.Running, labels: { [containerNameLabel]: 'app' } } as unknown as ContainerStatus;
    const timeouts: number[] = [];
    const rt = { stopContainer: async (_id: string, timeoutSec: number) => void timeouts.push(timeoutSec) } as unknown as RuntimeService;
    const ctx: PodContext = { pod, uid: 'u', key: 'ns/p', podIP: '', event: () => {}, retryIn: () => {}, kick: () => {} };
    for (const grace of [0, 1, 10]) await stopContainers(rt, ctx, [st], grace);
    expect(timeouts).toEqual([2, 2, 10]);
  });
});
