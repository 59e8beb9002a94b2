// Pod status with sidecars, from a worker's view of its containers (no runtime: the worker's
// container list and records are set by hand).
import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/types.js';
import { ContainerState, SandboxState, type ContainerStatus } from '../runtime/types.js';
import { computePhase, computeStatus } from './pod-status.js';
import { containerNameLabel } from './container-labels.js';
import { PodWorker, differsForSync, type WorkerDeps } from './pod-worker.js';

const pod = (restartPolicy: string): Pod => ({
  metadata: { name: 'p', namespace: 'default', uid: 'u' },
  spec: {
    restartPolicy,
    initContainers: [{ name: 'init', image: 'x' }, { name: 'side', image: 'x', restartPolicy: 'Always', startupProbe: { exec: { command: ['true'] } } }],
    containers: [{ name: 'app', image: 'x' }],
  },
});
let n = 0;
const ctr = (name: string, state: ContainerState, exitCode?: number): ContainerStatus =>
  ({ id: `c${++n}`, metadata: { name, attempt: 0 }, labels: { [containerNameLabel]: name }, state, exitCode, createdAt: String(n), startedAt: '2026-01-01T00:00:00Z', finishedAt: exitCode === undefined ? undefined : '2026-01-01T00:00:01Z' }) as unknown as ContainerStatus;

function worker(restartPolicy: string, containers: ContainerStatus[], started: Record<string, boolean> = {}): PodWorker {
  const w = new PodWorker(pod(restartPolicy), {} as WorkerDeps);
  w.containers = containers;
  for (const [name, s] of Object.entries(started)) Object.assign(w.record(name), { started: s, ready: s });
  return w;
}
type Cond = { type: string; status: string; message?: string };
const cond = (s: Record<string, unknown>, type: string) => (s.conditions as Cond[]).find((c) => c.type === type)!;

describe('pod status with sidecars', () => {
  it('is Pending and not Initialized until the sidecar has started (startup probe passed)', () => {
    const w = worker('Always', [ctr('init', ContainerState.Exited, 0), ctr('side', ContainerState.Running)], { side: false });
    const s = computeStatus(w, '10.0.0.1');
    expect(s.phase).toBe('Pending');
    expect(cond(s, 'Initialized')).toMatchObject({ status: 'False', message: 'containers with incomplete status: [side]' });
    expect((s.initContainerStatuses as { name: string; started: boolean; ready: boolean }[])[1]).toMatchObject({ name: 'side', started: false, ready: false });
  });

  it('is Initialized once it has started, and Ready only with the sidecar ready', () => {
    const w = worker('Always', [ctr('init', ContainerState.Exited, 0), ctr('side', ContainerState.Running), ctr('app', ContainerState.Running)], { side: true, app: true });
    let s = computeStatus(w, '10.0.0.1');
    expect(s.phase).toBe('Running');
    expect(cond(s, 'Initialized').status).toBe('True');
    expect(cond(s, 'Ready').status).toBe('True');
    w.record('side').ready = false;
    s = computeStatus(w, '10.0.0.1');
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', message: 'containers with unready status: [side]' });
    // a sidecar that exited after initialization leaves the pod Initialized
    w.containers = [ctr('init', ContainerState.Exited, 0), ctr('side', ContainerState.Exited, 1), ctr('app', ContainerState.Running)];
    s = computeStatus(w, '10.0.0.1');
    expect(cond(s, 'Initialized').status).toBe('True');
    expect(s.phase).toBe('Running');
  });

  it('lists the volume mounts of a container (RecursiveReadOnlyMounts), one still being created too', () => {
    const w = worker('Always', [ctr('init', ContainerState.Exited, 0), ctr('side', ContainerState.Running)], { side: true });
    w.pod.spec!.containers![0]!.volumeMounts = [{ name: 'data', mountPath: '/data' }];
    w.pod.spec!.initContainers![1]!.volumeMounts = [{ name: 'data', mountPath: '/data' }, { name: 'conf', mountPath: '/etc/conf', readOnly: true }];
    const s = computeStatus(w, '10.0.0.1') as { initContainerStatuses: Record<string, unknown>[]; containerStatuses: Record<string, unknown>[] };
    expect(s.initContainerStatuses[1]!.volumeMounts).toEqual([{ name: 'data', mountPath: '/data' }, { name: 'conf', mountPath: '/etc/conf', readOnly: true, recursiveReadOnly: 'Disabled' }]);
    // (not created yet: its default waiting status has them, as convertToAPIContainerStatuses's)
    expect(s.containerStatuses[0]).toMatchObject({ state: { waiting: { reason: 'PodInitializing' } }, volumeMounts: [{ name: 'data', mountPath: '/data' }] });
  });

  it('ends Succeeded or Failed by the app containers of a Never pod once its sidecars have stopped, whatever their exit codes', () => {
    const w = worker('Never', [ctr('init', ContainerState.Exited, 0), ctr('side', ContainerState.Exited, 143), ctr('app', ContainerState.Exited, 0)]);
    expect(computePhase(w)).toBe('Succeeded');
    w.containers = [ctr('init', ContainerState.Exited, 0), ctr('side', ContainerState.Running), ctr('app', ContainerState.Exited, 2)];
    expect(computePhase(w)).toBe('Running'); // the sidecar is still being stopped
    w.containers = [ctr('init', ContainerState.Exited, 0), ctr('side', ContainerState.Exited, 137), ctr('app', ContainerState.Exited, 2)];
    expect(computePhase(w)).toBe('Failed');
  });
});

describe('containers not created yet', () => {
  const statusOfName = (s: Record<string, unknown>, list: string, name: string) => (s[list] as { name: string; state: unknown }[]).find((c) => c.name === name)!.state;
  it('wait as PodInitializing in a pod with init containers, even once those are done (convertToAPIContainerStatuses)', () => {
    const w = worker('Always', [ctr('init', ContainerState.Exited, 0), ctr('side', ContainerState.Running)], { side: true });
    const s = computeStatus(w, '10.0.0.1');
    expect(cond(s, 'Initialized').status).toBe('True');
    expect(statusOfName(s, 'containerStatuses', 'app')).toEqual({ waiting: { reason: 'PodInitializing' } });
  });
  it('wait as ContainerCreating in a pod without; a failed start says its own reason, init containers too', () => {
    const w = worker('Always', []);
    w.pod.spec!.initContainers = [];
    expect(statusOfName(computeStatus(w, '10.0.0.1'), 'containerStatuses', 'app')).toEqual({ waiting: { reason: 'ContainerCreating' } });
    const v = worker('Always', []);
    v.record('init').waiting = { reason: 'ErrImagePull', message: 'failed to pull image "x"' };
    const s = computeStatus(v, '10.0.0.1');
    expect(statusOfName(s, 'initContainerStatuses', 'init')).toEqual({ waiting: { reason: 'ErrImagePull', message: 'failed to pull image "x"' } });
    expect(statusOfName(s, 'initContainerStatuses', 'side')).toEqual({ waiting: { reason: 'PodInitializing' } });
  });
});

describe('pod status with readiness gates', () => {
  const gated = (conditions: { type: string; status: string }[]) => {
    const w = worker('Always', [ctr('init', ContainerState.Exited, 0), ctr('side', ContainerState.Running), ctr('app', ContainerState.Running)], { side: true, app: true });
    w.pod = { ...w.pod, spec: { ...w.pod.spec, readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/dns' }] }, status: { conditions } };
    return computeStatus(w, '10.0.0.1');
  };

  it('keeps Ready False, with the kubelet\'s message, until every gate\'s condition is True', () => {
    let s = gated([]);
    expect(cond(s, 'ContainersReady').status).toBe('True');
    expect(cond(s, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ReadinessGatesNotReady',
      message: 'corresponding condition of pod readiness gate "example.com/lb" does not exist., corresponding condition of pod readiness gate "example.com/dns" does not exist.',
    });
    s = gated([{ type: 'example.com/lb', status: 'True' }, { type: 'example.com/dns', status: 'False' }]);
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', message: 'the status of pod readiness gate "example.com/dns" is not "True", but False' });
    s = gated([{ type: 'example.com/lb', status: 'True' }, { type: 'example.com/dns', status: 'True' }]);
    expect(cond(s, 'Ready').status).toBe('True');
    // (the gates' own conditions are another controller's: the agent does not write them)
    expect((s.conditions as Cond[]).some((c) => c.type.startsWith('example.com/'))).toBe(false);
  });

  it('says first what containers are not ready', () => {
    const w = worker('Always', [ctr('init', ContainerState.Exited, 0), ctr('side', ContainerState.Running), ctr('app', ContainerState.Running)], { side: true, app: false });
    w.pod = { ...w.pod, spec: { ...w.pod.spec, readinessGates: [{ conditionType: 'example.com/lb' }] } };
    expect(cond(computeStatus(w, '10.0.0.1'), 'Ready')).toMatchObject({ status: 'False', message: 'containers with unready status: [app]' });
  });
});

describe('a pod the agent ends itself (eviction, deadline)', () => {
  it('stays in the API\'s phase, reason and message until its containers have stopped; its DisruptionTarget and Ready False go out at once (mergePodStatus)', () => {
    const w = worker('Always', [ctr('init', ContainerState.Exited, 0), ctr('side', ContainerState.Running), ctr('app', ContainerState.Running)], { side: true, app: true });
    w.pod = { ...w.pod, status: { phase: 'Running' } } as Pod;
    w.failed = { reason: 'Evicted', message: 'low on memory' };
    w.disruption = { reason: 'TerminationByKubelet', message: 'low on memory' };
    let s = computeStatus(w, '10.0.0.1');
    expect(s.phase).toBe('Running');
    expect(s.reason).toBeUndefined();
    expect(s.message).toBeUndefined();
    expect(cond(s, 'DisruptionTarget')).toMatchObject({ status: 'True', reason: 'TerminationByKubelet' });
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'PodFailed' });
    // the sidecar still stopping holds it too
    w.containers = [ctr('init', ContainerState.Exited, 0), ctr('side', ContainerState.Running), ctr('app', ContainerState.Exited, 137)];
    expect(computeStatus(w, '10.0.0.1').phase).toBe('Running');
    w.containers = [ctr('init', ContainerState.Exited, 0), ctr('side', ContainerState.Exited, 137), ctr('app', ContainerState.Exited, 137)];
    s = computeStatus(w, '10.0.0.1');
    expect(s).toMatchObject({ phase: 'Failed', reason: 'Evicted', message: 'low on memory' });
  });
});

describe('a pod whose end the API holds', () => {
  const ended = (phase: string, status: Record<string, unknown>, restartPolicy = 'Always') => {
    const w = worker(restartPolicy, []);
    w.pod = { ...w.pod, status: { phase, startTime: '2026-01-01T00:00:00Z', ...status } } as Pod;
    return w;
  };
  const statusOf = (s: Record<string, unknown>, key: string, name: string) => (s[key] as { name: string; state: Record<string, unknown>; restartCount: number }[]).find((x) => x.name === name)!;

  it('keeps its phase, whatever its containers and restart policy say', () => {
    const w = ended('Failed', { reason: 'Evicted' });
    w.containers = [ctr('init', ContainerState.Exited, 0), ctr('side', ContainerState.Exited, 137), ctr('app', ContainerState.Exited, 137)];
    expect(computePhase(w)).toBe('Failed'); // (restartPolicy Always: a live pod would count as Running, to restart)
    expect(computePhase(ended('Succeeded', {}))).toBe('Succeeded');
    expect(computePhase(worker('Always', w.containers))).toBe('Running');
  });

  it('reports a container the runtime no longer has as the kubelet does: terminated stays, running turns ContainerStatusUnknown, restarted as far as anyone knows', () => {
    const w = ended('Failed', {
      conditions: [{ type: 'Initialized', status: 'True' }],
      initContainerStatuses: [
        { name: 'init', state: { terminated: { exitCode: 0, reason: 'Completed' } }, restartCount: 0 },
        { name: 'side', state: { running: { startedAt: '2026-01-01T00:00:00Z' } }, lastState: { terminated: { exitCode: 1 } }, restartCount: 2, containerID: 'tskube://s', started: true },
      ],
      containerStatuses: [{ name: 'app', state: { running: { startedAt: '2026-01-01T00:00:00Z' } }, lastState: {}, restartCount: 3, containerID: 'tskube://a', image: 'x', imageID: 'sha256:1' }],
    });
    const s = computeStatus(w, '10.0.0.1');
    expect(s.phase).toBe('Failed');
    expect(statusOf(s, 'initContainerStatuses', 'init').state).toEqual({ terminated: { exitCode: 0, reason: 'Completed' } });
    const lost = { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated' } };
    // (a last state of its own stays, and so does the count)
    expect(statusOf(s, 'initContainerStatuses', 'side')).toMatchObject({ state: lost, lastState: { terminated: { exitCode: 1 } }, restartCount: 2, ready: false });
    // as a kubelet reports an evicted pod whose container is gone: the ID goes with the container
    expect(statusOf(s, 'containerStatuses', 'app')).toEqual({
      name: 'app',
      state: lost,
      lastState: { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was deleted.  The container used to be Running' } },
      ready: false,
      restartCount: 4,
      image: 'x',
      imageID: '',
      started: false,
    });
    // (an ended pod's readiness says how it ended, and nothing more)
    expect(cond(s, 'Ready')).toEqual({ type: 'Ready', status: 'False', lastProbeTime: null, lastTransitionTime: expect.any(String), reason: 'PodFailed' });
    expect(cond(s, 'ContainersReady')).toMatchObject({ status: 'False', reason: 'PodFailed' });
    expect(cond(s, 'ContainersReady')).not.toHaveProperty('message');
    // (still initialized, though no init container is left on the node)
    expect(cond(s, 'Initialized').status).toBe('True');
  });

  it('reports what the runtime still has of an ended pod, not what the API last held', () => {
    const w = ended('Failed', { containerStatuses: [{ name: 'app', state: { running: {} }, restartCount: 0 }] });
    w.containers = [ctr('init', ContainerState.Exited, 0), ctr('side', ContainerState.Exited, 143), ctr('app', ContainerState.Exited, 143)];
    expect(statusOf(computeStatus(w, '10.0.0.1'), 'containerStatuses', 'app').state).toMatchObject({ terminated: { exitCode: 143, reason: 'Error' } });
  });

  it('leaves waiting the containers of a pod that failed in initialization, but for init containers up to the last one started', () => {
    const w = ended('Failed', {
      initContainerStatuses: [
        { name: 'init', state: { waiting: { reason: 'PodInitializing' } }, restartCount: 0 },
        { name: 'side', state: { terminated: { exitCode: 1, reason: 'Error' } }, restartCount: 0 },
      ],
      containerStatuses: [{ name: 'app', state: { waiting: { reason: 'PodInitializing' } }, restartCount: 0 }],
    }, 'Never');
    let s = computeStatus(w, '10.0.0.1');
    expect(statusOf(s, 'initContainerStatuses', 'init').state).toMatchObject({ terminated: { reason: 'ContainerStatusUnknown' } });
    expect(statusOf(s, 'containerStatuses', 'app').state).toEqual({ waiting: { reason: 'PodInitializing' } });
    // none ever started: the first init container is the one that failed
    w.pod = { ...w.pod, status: { phase: 'Failed', containerStatuses: [], initContainerStatuses: [] } } as Pod;
    s = computeStatus(w, '10.0.0.1');
    expect(statusOf(s, 'initContainerStatuses', 'init').state).toMatchObject({ terminated: { reason: 'ContainerStatusUnknown' } });
    expect(statusOf(s, 'initContainerStatuses', 'side').state).toEqual({ waiting: { reason: 'PodInitializing' } });
  });

  it('reports an ended pod\'s crashed container as it ended, not waiting to restart; nothing is defaulted while a container still runs', () => {
    const w = ended('Failed', { reason: 'Evicted', message: 'low on memory' });
    w.containers = [ctr('init', ContainerState.Exited, 0), ctr('side', ContainerState.Running), ctr('app', ContainerState.Exited, 2)];
    w.record('app').waiting = { reason: 'CrashLoopBackOff', message: 'back-off' };
    let s = computeStatus(w, '10.0.0.1');
    expect(s).toMatchObject({ phase: 'Failed', reason: 'Evicted', message: 'low on memory' });
    expect(statusOf(s, 'containerStatuses', 'app').state).toMatchObject({ terminated: { exitCode: 2, reason: 'Error' } });
    expect(statusOf(s, 'initContainerStatuses', 'side').state).toHaveProperty('running');
    w.containers = [ctr('init', ContainerState.Exited, 0), ctr('side', ContainerState.Exited, 143), ctr('app', ContainerState.Exited, 2)];
    s = computeStatus(w, '10.0.0.1');
    expect(statusOf(s, 'initContainerStatuses', 'side').state).toMatchObject({ terminated: { exitCode: 143 } });
  });

  it('a pod that succeeded is Initialized with reason PodCompleted, and not ready for the same reason', () => {
    const s = computeStatus(ended('Succeeded', {}), '10.0.0.1');
    expect(cond(s, 'Initialized')).toMatchObject({ status: 'True', reason: 'PodCompleted' });
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
    expect(cond(s, 'Ready')).not.toHaveProperty('message');
  });

  it('keeps an ephemeral container\'s status as the API holds it', () => {
    const w = ended('Succeeded', { ephemeralContainerStatuses: [{ name: 'dbg', state: { terminated: { exitCode: 5, reason: 'Error' } }, restartCount: 0 }] });
    w.pod = { ...w.pod, spec: { ...w.pod.spec!, ephemeralContainers: [{ name: 'dbg', image: 'x' }] } } as Pod;
    expect((computeStatus(w, '10.0.0.1').ephemeralContainerStatuses as { state: unknown }[])[0]!.state).toEqual({ terminated: { exitCode: 5, reason: 'Error' } });
  });

  it('an ephemeral container\'s status has no started field, running or not yet created', () => {
    const w = worker('Always', [ctr('init', ContainerState.Exited, 0), ctr('side', ContainerState.Running), ctr('app', ContainerState.Running), ctr('dbg', ContainerState.Running)], { side: true, app: true });
    w.pod.spec!.ephemeralContainers = [{ name: 'dbg', image: 'x' }, { name: 'later', image: 'x' }];
    const s = computeStatus(w, '10.0.0.1') as { ephemeralContainerStatuses: Record<string, unknown>[]; containerStatuses: Record<string, unknown>[] };
    expect(statusOf(s, 'ephemeralContainerStatuses', 'dbg')).toMatchObject({ state: { running: {} }, ready: false });
    expect(statusOf(s, 'ephemeralContainerStatuses', 'dbg')).not.toHaveProperty('started');
    expect(statusOf(s, 'ephemeralContainerStatuses', 'later')).not.toHaveProperty('started');
    // (an app container's is the prober manager's: there, as before)
    expect(statusOf(s, 'containerStatuses', 'app')).toMatchObject({ started: true });
  });
});

describe('a deleted pod whose containers have stopped (terminal)', () => {
  const terminal = (restartPolicy: string, containers: ContainerStatus[]) => {
    const w = worker(restartPolicy, containers, { side: true, app: true });
    w.pod = { ...w.pod, metadata: { ...w.pod.metadata, deletionTimestamp: '2026-01-01T00:00:05Z' }, status: { phase: 'Running', initContainerStatuses: [{ name: 'init', state: { terminated: { exitCode: 0 } } }] } } as Pod;
    w.sandbox = { id: 's', metadata: { name: 'p', namespace: 'default', uid: 'u', attempt: 0 }, state: SandboxState.Ready, createdAt: '2026-01-01T00:00:00Z', netnsPath: '/run/netns/tsk-s', ipcnsPath: '', utsnsPath: '', cgroupParent: '', labels: {}, annotations: {} };
    w.podIP = '10.0.0.7';
    w.terminal = true;
    return w;
  };
  const app = (s: Record<string, unknown>) => (s.containerStatuses as { state: Record<string, unknown> }[])[0]!;

  it('fails when a container was killed (a stopped sleep: 137, Error), whatever the restart policy; not ready because it failed', () => {
    const w = terminal('Always', [ctr('init', ContainerState.Exited, 0), ctr('side', ContainerState.Exited, 143), ctr('app', ContainerState.Exited, 137)]);
    w.record('app').waiting = { reason: 'CrashLoopBackOff', message: 'back-off' };
    const s = computeStatus(w, '10.0.0.1');
    expect(s.phase).toBe('Failed');
    expect(app(s).state).toMatchObject({ terminated: { exitCode: 137, reason: 'Error' } });
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'PodFailed' });
    expect(cond(s, 'ContainersReady')).toMatchObject({ status: 'False', reason: 'PodFailed' });
    expect(cond(s, 'PodReadyToStartContainers').status).toBe('False');
    expect(s.podIP).toBe('10.0.0.7'); // (kept, as the kubelet's PLEG keeps a dead pod's address)
  });

  it('succeeds when every app container exited 0 (sidecars do not count): Completed', () => {
    const s = computeStatus(terminal('Always', [ctr('init', ContainerState.Exited, 0), ctr('side', ContainerState.Exited, 137), ctr('app', ContainerState.Exited, 0)]), '10.0.0.1');
    expect(s.phase).toBe('Succeeded');
    expect(app(s).state).toMatchObject({ terminated: { exitCode: 0, reason: 'Completed' } });
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
  });

  it('fails when an app container never started; once the pod had initialized it reads as not located (TerminatePod)', () => {
    const s = computeStatus(terminal('Always', [ctr('init', ContainerState.Exited, 0), ctr('side', ContainerState.Exited, 137)]), '10.0.0.1');
    expect(s.phase).toBe('Failed');
    expect(app(s).state).toMatchObject({ terminated: { exitCode: 137, reason: 'ContainerStatusUnknown' } });
  });
});

describe('which updates of a pod run a sync', () => {
  const base = { metadata: { uid: 'u', labels: { a: '1' } }, spec: { containers: [{ name: 'c', image: 'x' }] }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'c', restartCount: 0 }] } } as unknown as Pod;
  const w = (f: (p: Pod) => void) => {
    const p = structuredClone(base);
    f(p);
    return differsForSync(base, p);
  };
  it('not the agent\'s own status coming back (a failed start\'s message, container states, its conditions)', () => {
    expect(w((p) => ((p.status as { containerStatuses: unknown[] }).containerStatuses = [{ name: 'c', state: { waiting: { reason: 'CreateContainerError', message: 'container 1234: …' } } }]))).toBe(false);
    expect(w((p) => (p.status!.conditions![0]!.status = 'False'))).toBe(false);
    expect(w((p) => (p.metadata!.resourceVersion = '9'))).toBe(false);
  });
  it('a change of spec, labels, deletion, the phase, or a condition another controller sets', () => {
    expect(w((p) => (p.spec!.containers![0]!.image = 'y'))).toBe(true);
    expect(w((p) => (p.metadata!.labels = { a: '2' }))).toBe(true);
    expect(w((p) => (p.metadata!.deletionTimestamp = '2026-01-01T00:00:00Z'))).toBe(true);
    expect(w((p) => (p.status!.phase = 'Failed'))).toBe(true);
    expect(w((p) => p.status!.conditions!.push({ type: 'example.com/gate', status: 'True' }))).toBe(true);
  });
});

describe('container readiness and last state', () => {
  it('an app container that has not passed its startup probe is not ready, even without a readiness probe', () => {
    const w = worker('Always', [ctr('init', ContainerState.Exited, 0), ctr('side', ContainerState.Running), ctr('app', ContainerState.Running)], { side: true });
    Object.assign(w.record('app'), { started: false, ready: true });
    let s = computeStatus(w, '10.0.0.1');
    expect((s.containerStatuses as { started: boolean; ready: boolean }[])[0]).toMatchObject({ started: false, ready: false });
    expect(cond(s, 'Ready').status).toBe('False');
    w.record('app').started = true;
    s = computeStatus(w, '10.0.0.1');
    expect((s.containerStatuses as { started: boolean; ready: boolean }[])[0]).toMatchObject({ started: true, ready: true });
  });

  it('a crashed container waiting for its restart (CrashLoopBackOff) has its own exit as the last state, not the one before', () => {
    const older = ctr('app', ContainerState.Exited, 1);
    const latest = { ...ctr('app', ContainerState.Exited, 2), metadata: { name: 'app', attempt: 1 }, finishedAt: '2026-01-01T00:05:00Z' } as ContainerStatus;
    const w = worker('Always', [ctr('init', ContainerState.Exited, 0), ctr('side', ContainerState.Running), older, latest], { side: true });
    w.record('app').waiting = { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=app pod=p_default(u)' };
    const app = (computeStatus(w, '10.0.0.1').containerStatuses as { state: unknown; lastState: { terminated?: { exitCode: number; finishedAt: string; containerID: string } } }[])[0]!;
    expect(app.state).toEqual({ waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=app pod=p_default(u)' } });
    expect(app.lastState.terminated).toMatchObject({ exitCode: 2, finishedAt: '2026-01-01T00:05:00Z', containerID: `tskube://${latest.id}` });
  });
});

describe('a container whose start failed (StartError, exit 128)', () => {
  const failedStart = (restartPolicy: string) => {
    const start = ctr('app', ContainerState.Exited, 128);
    // (under Never the sidecar has been stopped too: the pod's end is its app container's)
    const side = restartPolicy === 'Never' ? ctr('side', ContainerState.Exited, 137) : ctr('side', ContainerState.Running);
    const w = worker(restartPolicy, [ctr('init', ContainerState.Exited, 0), side, start], { side: true });
    w.record('app').waiting = { reason: 'RunContainerError', message: 'failed to create containerd task' };
    return { s: computeStatus(w, '10.0.0.1'), id: start.id };
  };
  it('waits with RunContainerError when it will start again, its attempt the last state', () => {
    const { s, id } = failedStart('Always');
    const app = (s.containerStatuses as { state: unknown; lastState: { terminated?: { exitCode: number; containerID: string } } }[])[0]!;
    expect(app.state).toEqual({ waiting: { reason: 'RunContainerError', message: 'failed to create containerd task' } });
    expect(app.lastState.terminated).toMatchObject({ exitCode: 128, containerID: `tskube://${id}` });
  });
  it('stays terminated under restartPolicy Never, as ShouldContainerBeRestarted says no (the pod is Failed at once)', () => {
    const { s } = failedStart('Never');
    expect(s.phase).toBe('Failed');
    const app = (s.containerStatuses as { state: { terminated?: { exitCode: number } }; lastState: unknown }[])[0]!;
    expect(app.state.terminated).toMatchObject({ exitCode: 128 });
    expect(app.lastState).toEqual({});
  });
});
