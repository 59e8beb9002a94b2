// The init container phase against a fake worker: which container it starts, in what order,
// and when it lets the app containers run.
import { describe, expect, it } from 'vitest';
import type { Container, Pod } from '../api/types.js';
import { ContainerState, type ContainerStatus } from '../runtime/types.js';
import type { ContainerRecord } from './pod-worker-deps.js';
import { syncInitContainers, type InitContainerHost } from './pod-worker-init-containers.js';

const status = (name: string, state: ContainerState, exitCode?: number, attempt = 0): ContainerStatus =>
  ({ id: `${name}-${attempt}`, metadata: { name, attempt }, annotations: { 'io.kubernetes.container.restartCount': String(attempt) }, state, exitCode }) as unknown as ContainerStatus;

function fake(initContainers: Container[], have: ContainerStatus[], opts: { started?: string[]; restartAllowed?: boolean } = {}) {
  const calls: string[] = [];
  const containers = new Map(have.map((s) => [s.metadata.name, s]));
  const records = new Map<string, ContainerRecord>();
  const pod: Pod = { metadata: { name: 'p', namespace: 'default', uid: 'u' }, spec: { initContainers, containers: [{ name: 'app', image: 'x' }] } };
  const h: InitContainerHost = {
    pod,
    runtime: {
      startContainer: async (id) => void calls.push(`start created ${id}`),
      removeContainer: async (id) => void calls.push(`remove ${id}`),
    },
    latest: (name) => containers.get(name),
    record: (name) => {
      if (!records.has(name)) records.set(name, { notBefore: 0, delaySec: 0, ready: false, started: !!opts.started?.includes(name), probers: [] });
      return records.get(name)!;
    },
    firstAttempt: () => 0,
    startContainer: async (c, attempt) => {
      calls.push(`start ${c.name} #${attempt}`);
      containers.set(c.name!, status(c.name!, ContainerState.Running, undefined, attempt));
    },
    restartAllowed: () => opts.restartAllowed ?? true,
    ensureProbers: (c) => void calls.push(`probe ${c.name}`),
    stopProbers: (name) => void calls.push(`stop probes ${name}`),
    refresh: async () => {},
    fail: (reason, message) => void calls.push(`fail ${reason}: ${message}`),
    retryIn: (ms) => void calls.push(`retry ${ms}`),
    kick: () => void calls.push('kick'),
  };
  return { h, calls };
}

const init = (name: string): Container => ({ name, image: 'x' });
const sidecar = (name: string): Container => ({ name, image: 'x', restartPolicy: 'Always' });

describe('init containers', () => {
  it('run one at a time, in order; the app containers wait for the last to exit 0', async () => {
    let f = fake([init('a'), init('b')], []);
    expect(await syncInitContainers(f.h, 'Always')).toBe(false);
    expect(f.calls).toEqual(['start a #0']);
    f = fake([init('a'), init('b')], [status('a', ContainerState.Running)]);
    expect(await syncInitContainers(f.h, 'Always')).toBe(false);
    expect(f.calls).toEqual([]); // a runs: wait for it
    f = fake([init('a'), init('b')], [status('a', ContainerState.Exited, 0)]);
    expect(await syncInitContainers(f.h, 'Always')).toBe(false);
    expect(f.calls).toEqual(['start b #0']);
    f = fake([init('a'), init('b')], [status('a', ContainerState.Exited, 0), status('b', ContainerState.Exited, 0)]);
    expect(await syncInitContainers(f.h, 'Always')).toBe(true);
  });

  it('a failed one fails the pod under restartPolicy Never, and restarts under the others', async () => {
    let f = fake([init('a')], [status('a', ContainerState.Exited, 1)]);
    expect(await syncInitContainers(f.h, 'Never')).toBe(false);
    expect(f.calls).toEqual(['fail Failed: ', 'kick']);
    f = fake([init('a')], [status('a', ContainerState.Exited, 1, 2)]);
    expect(await syncInitContainers(f.h, 'OnFailure')).toBe(false);
    expect(f.calls).toEqual(['start a #3']);
    f = fake([init('a')], [status('a', ContainerState.Exited, 1, 2)], { restartAllowed: false });
    expect(await syncInitContainers(f.h, 'Always')).toBe(false);
    expect(f.calls).toEqual([]); // backing off
  });

  it('a sidecar holds the next init container until it has started, then keeps running beside it', async () => {
    let f = fake([sidecar('s'), init('b')], []);
    expect(await syncInitContainers(f.h, 'Never')).toBe(false);
    expect(f.calls).toEqual(['start s #0', 'probe s']); // started, but its startup is not done
    f = fake([sidecar('s'), init('b')], [status('s', ContainerState.Running)], { started: ['s'] });
    expect(await syncInitContainers(f.h, 'Never')).toBe(false);
    expect(f.calls).toEqual(['probe s', 'start b #0']);
    // an exited sidecar restarts whatever the restartPolicy, also once the pod is initialized
    f = fake([sidecar('s'), init('b')], [status('s', ContainerState.Exited, 137, 1), status('b', ContainerState.Exited, 0), status('app', ContainerState.Running)]);
    expect(await syncInitContainers(f.h, 'Never')).toBe(true);
    expect(f.calls).toEqual(['stop probes s', 'start s #2', 'probe s']);
  });
});
