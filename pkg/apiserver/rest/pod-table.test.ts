// kubectl get pods' READY, STATUS and RESTARTS columns (printPod) for pods with sidecars.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types.js';
import { podStatusReason, toTable } from './table.js';

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

describe('printPod: deletion, scheduling gates, readiness gates', () => {
  const done = (phase: string, deleting: boolean, extra: Record<string, unknown> = {}): KubeObject => ({
    metadata: { name: 'j', ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:09Z' } : {}) },
    spec: { containers: [{ name: 'c', image: 'x' }] },
    status: { phase, containerStatuses: [{ name: 'c', ready: false, restartCount: 0, state: { terminated: { exitCode: phase === 'Succeeded' ? 0 : 1, reason: phase === 'Succeeded' ? 'Completed' : 'Error' } } }], ...extra },
  });

  it('an ended pod being deleted keeps its end (Completed, Error); one still running reads Terminating', () => {
    expect(podStatusReason(done('Succeeded', true)).reason).toBe('Completed');
    expect(podStatusReason(done('Failed', true)).reason).toBe('Error');
    const runningPod: KubeObject = { metadata: { name: 'r', deletionTimestamp: '2026-01-01T00:00:09Z' }, spec: { containers: [{ name: 'c' }] }, status: { phase: 'Running', containerStatuses: [{ name: 'c', ready: true, restartCount: 0, state: running }] } };
    expect(podStatusReason(runningPod).reason).toBe('Terminating');
    expect(podStatusReason({ ...runningPod, status: { ...(runningPod.status as object), reason: 'NodeLost' } }).reason).toBe('Unknown');
  });

  it('a pod held by scheduling gates reads SchedulingGated', () => {
    const gated: KubeObject = { metadata: { name: 'g' }, spec: { containers: [{ name: 'c' }], schedulingGates: [{ name: 'x' }] }, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] } };
    expect(podStatusReason(gated).reason).toBe('SchedulingGated');
  });
});

describe('printPod: the READINESS GATES column', () => {
  it('counts the gates whose condition is True', () => {
    const p: KubeObject = {
      metadata: { name: 'g', creationTimestamp: '2026-01-01T00:00:00Z' },
      spec: { containers: [{ name: 'c' }], readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/dns' }] },
      status: { phase: 'Running', conditions: [{ type: 'example.com/lb', status: 'True' }, { type: 'example.com/dns', status: 'False' }] },
    };
    const t = toTable('pods', [p], {}, 'None') as { rows: { cells: unknown[] }[] };
    expect(t.rows[0]!.cells[8]).toBe('1/2');
  });
});

describe('printNode', () => {
  const row = (n: KubeObject) => (toTable('nodes', [n], {}, 'None') as { rows: { cells: unknown[] }[] }).rows[0]!.cells;
  it('is NotReady for any Ready status but True, Unknown only without the condition; roles from both labels, sorted; <unknown> for empty node info', () => {
    const n = (status: string | undefined, extra: Partial<KubeObject> = {}): KubeObject => ({
      metadata: { name: 'n', creationTimestamp: '2026-01-01T00:00:00Z', labels: { 'node-role.kubernetes.io/worker': '', 'kubernetes.io/role': 'edge' } },
      spec: { unschedulable: true },
      status: { conditions: status ? [{ type: 'Ready', status }] : [], nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Debian' } },
      ...extra,
    });
    expect(row(n('Unknown')).slice(1, 3)).toEqual(['NotReady,SchedulingDisabled', 'edge,worker']);
    expect(row(n('False'))[1]).toBe('NotReady,SchedulingDisabled');
    expect(row(n(undefined))[1]).toBe('Unknown,SchedulingDisabled');
    expect(row(n('True')).slice(7)).toEqual(['Debian', '<unknown>', '<unknown>']);
  });
});
