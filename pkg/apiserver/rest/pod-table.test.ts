// kubectl get pods' READY, STATUS and RESTARTS columns (printPod) for pods with sidecars.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types.js';
import { podStatusReason } from './table.js';

const running = { running: { startedAt: '2026-01-01T00:00:00Z' } };
const pod = (sidecar: Record<string, unknown>, app: Record<string, unknown> | undefined, initialized: boolean): KubeObject => ({
  metadata: { name: 'p' },
  spec: { initContainers: [{ name: 'init', image: 'x' }, { name: 'side', image: 'x', restartPolicy: 'Always' }], containers: [{ name: 'app', image: 'x' }] },
  status: {
    phase: initialized ? 'Running' : 'Pending',
    conditions: [{ type: 'Initialized', status: initialized ? 'True' : 'False' }, { type: 'Ready', status: initialized ? 'True' : 'False' }],
    initContainerStatuses: [
      { name: 'init', ready: true, restartCount: 1, state: { terminated: { exitCode: 0, reason: 'Completed' } }, lastState: { terminated: { finishedAt: '2026-01-01T00:00:01Z' } } },
      { name: 'side', ...sidecar },
    ],
    containerStatuses: app ? [{ name: 'app', ...app }] : [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
  },
});

describe('podStatusReason with sidecars', () => {
  it('counts a started, ready sidecar in READY (2/2) and only its restarts once initialized', () => {
    const p = pod({ ready: true, started: true, restartCount: 3, state: running, lastState: { terminated: { finishedAt: '2026-01-01T00:05:00Z' } } }, { ready: true, restartCount: 1, state: running }, true);
    expect(podStatusReason(p)).toEqual({ reason: 'Running', ready: 2, total: 2, restarts: 4, lastRestart: '2026-01-01T00:05:00Z' });
  });

  it('does not count an unready sidecar; a sidecar not yet started holds the pod in Init', () => {
    expect(podStatusReason(pod({ ready: false, started: true, restartCount: 0, state: running }, { ready: true, restartCount: 0, state: running }, true))).toMatchObject({ reason: 'Running', ready: 1, total: 2 });
    expect(podStatusReason(pod({ ready: false, started: false, restartCount: 0, state: running }, undefined, false))).toMatchObject({ reason: 'Init:1/2', ready: 0, total: 2, restarts: 1 });
  });
});
