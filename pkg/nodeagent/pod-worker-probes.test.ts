import { describe, expect, it } from 'vitest';
import type { Container, Pod } from '../api/types.js';
import { ContainerState, type ContainerStatus, type RuntimeService } from '../runtime/types.js';
import type { ContainerRecord } from './pod-worker-deps.js';
import { ensureProbers, probeKillMessage, type ProbeHost } from './pod-worker-probes.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const running = (id: string, name: string): ContainerStatus => ({ id, state: ContainerState.Running, labels: { 'io.kubernetes.container.name': name } }) as unknown as ContainerStatus;
const newRecord = (): ContainerRecord => ({ notBefore: 0, delaySec: 0, ready: false, started: false, probers: [] });

describe('a container that failed its liveness probe', () => {
  it('is probed and stopped once, though a sync comes while it stops (no second Killing, no second preStop)', async () => {
    const c: Container = { name: 'app', image: 'x', livenessProbe: { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 1 } };
    const pod: Pod = { metadata: { name: 'p', namespace: 'ns', uid: 'u' }, spec: { containers: [c], terminationGracePeriodSeconds: 5 } };
    const stops: string[] = [];
    // (a container that takes its time to stop, as one ignoring SIGTERM does)
    const rt = {
      execSync: async () => ({ stdout: '', stderr: '', exitCode: 1 }),
      stopContainer: async (id: string) => {
        stops.push(id);
        await sleep(300);
      },
    } as unknown as RuntimeService;
    const events: string[] = [];
    const rec = newRecord();
    const st = running('c1', 'app');
    const h: ProbeHost = {
      pod, uid: 'u', key: 'ns/p', podIP: '10.0.0.1', runtime: rt,
      event: (_t, reason, message) => void events.push(`${reason}: ${message}`),
      retryIn: () => {}, kick: () => {}, statusChanged: () => {},
      latest: () => st, record: () => rec,
    };
    ensureProbers(h, c, st, rec);
    await sleep(100);
    // A sync while the attempt still runs (its stop under way) asks for its probers again.
    ensureProbers(h, c, st, rec);
    await sleep(1300);
    expect(events).toEqual(['Unhealthy: Liveness probe failed: ', 'Killing: Container app failed liveness probe, will be restarted']);
    expect(stops).toEqual(['c1']);
  });

  it('gets SIGTERM at least 2 seconds before SIGKILL, though its grace period is 0 (killContainer\'s minimumGracePeriodInSeconds)', async () => {
    const c: Container = { name: 'app', image: 'x', livenessProbe: { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 1 } };
    const pod: Pod = { metadata: { name: 'p', namespace: 'ns', uid: 'u' }, spec: { containers: [c], terminationGracePeriodSeconds: 0 } };
    const timeouts: number[] = [];
    const rt = {
      execSync: async () => ({ stdout: '', stderr: '', exitCode: 1 }),
      stopContainer: async (_id: string, timeoutSec: number) => void timeouts.push(timeoutSec),
    } as unknown as RuntimeService;
    const rec = newRecord();
    const st = running('c1', 'app');
    const h: ProbeHost = {
      pod, uid: 'u', key: 'ns/p', podIP: '10.0.0.1', runtime: rt,
      event: () => {}, retryIn: () => {}, kick: () => {}, statusChanged: () => {},
      latest: () => st, record: () => rec,
    };
    ensureProbers(h, c, st, rec);
    await sleep(100);
    expect(timeouts).toEqual([2]);
  });
});

describe('a probe that cannot be run (a named port the container does not have)', () => {
  it('is an Unhealthy event saying it errored and resulted in unknown state, and kills nothing', async () => {
    const c: Container = { name: 'app', image: 'x', readinessProbe: { httpGet: { path: '/', port: 'web' }, periodSeconds: 1 }, livenessProbe: { tcpSocket: { port: 'web' }, periodSeconds: 1, failureThreshold: 1 } };
    const pod: Pod = { metadata: { name: 'p', namespace: 'ns', uid: 'u' }, spec: { containers: [c] } };
    const events: string[] = [];
    const rt = { stopContainer: async () => void events.push('stopped') } as unknown as RuntimeService;
    const rec = newRecord();
    const st = running('c1', 'app');
    const h: ProbeHost = {
      pod, uid: 'u', key: 'ns/p', podIP: '127.0.0.1', runtime: rt,
      event: (_t, reason, message) => void events.push(`${reason}: ${message}`),
      retryIn: () => {}, kick: () => {}, statusChanged: () => {},
      latest: () => st, record: () => rec,
    };
    ensureProbers(h, c, st, rec);
    await sleep(100);
    for (const p of rec.probers) p.stop();
    expect(events.sort()).toEqual([
      'Unhealthy: Liveness probe errored and resulted in unknown state: port "web" is not a port of the container',
      'Unhealthy: Readiness probe errored and resulted in unknown state: port "web" is not a port of the container',
    ]);
  });
});

describe('the Killing message of a failed probe, as computePodActions and computeInitContainerActions word it', () => {
  const app: Container = { name: 'app', image: 'x' };
  const sidecar: Container = { name: 'sc', image: 'x', restartPolicy: 'Always' };
  const pod = (restartPolicy: string): Pod => ({ spec: { restartPolicy, containers: [app], initContainers: [sidecar] } });
  it('an app container to be restarted says so', () => {
    expect(probeKillMessage(pod('Always'), app, 'liveness', false)).toBe('Container app failed liveness probe, will be restarted');
    expect(probeKillMessage(pod('OnFailure'), app, 'startup', true)).toBe('Container app failed startup probe, will be restarted');
  });
  it('under restartPolicy Never: no restart; the whole pod is killed (Stopping container) when no other app container runs', () => {
    expect(probeKillMessage(pod('Never'), app, 'liveness', true)).toBe('Container app failed liveness probe');
    expect(probeKillMessage(pod('Never'), app, 'liveness', false)).toBe('Stopping container app');
  });
  it('a sidecar is an init container, whatever the pod\'s restart policy', () => {
    expect(probeKillMessage(pod('Always'), sidecar, 'liveness', true)).toBe('Init container sc failed liveness probe');
    expect(probeKillMessage(pod('Never'), sidecar, 'startup', false)).toBe('Init container sc failed startup probe');
  });
});
