// One container start against a fake runtime: how it is counted in the kubelet's start metrics.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import type { Pod } from '../api/types.js';
import { ConfigSources } from './config-sources.js';
import type { ContainerRecord } from './pod-worker-deps.js';
import { startContainer, type ContainerStartDeps, type ContainerStartHost } from './pod-worker-container-start.js';

const podsDir = mkdtempSync(join(tmpdir(), 'tsk-container-start-'));
afterAll(() => rmSync(podsDir, { recursive: true, force: true }));

function setup(failCreate: boolean) {
  const runtime = {
    imageStatus: async (image: string) => (image === 'missing:1' ? null : { id: 'sha256:1', user: '' }),
    createContainer: async () => {
      if (failCreate) throw new Error('no space left on device');
      return 'c1';
    },
    startContainer: async () => {},
    removeContainer: async () => {},
  };
  const d = { runtime, podsDir, nodeName: 'n1', hostIP: '192.0.2.1' } as unknown as ContainerStartDeps;
  const pod: Pod = {
    metadata: { name: 'p', namespace: 'default', uid: 'u1' },
    spec: { initContainers: [{ name: 'setup', image: 'busybox:1' }], containers: [{ name: 'app', image: 'busybox:1' }, { name: 'never', image: 'missing:1', imagePullPolicy: 'Never' }] },
  };
  const h: ContainerStartHost = {
    pod,
    uid: 'u1',
    key: 'default/p',
    podIP: '10.244.0.5',
    event: () => {},
    retryIn: () => {},
    kick: () => {},
    sandboxId: 's1',
    containers: [],
    sources: new ConfigSources(),
    mounts: () => ({ hostPaths: new Map(), apiVolumes: new Map(), readOnly: new Set() }),
  };
  return { d, h, pod };
}

const rec = (): ContainerRecord => ({ notBefore: 0, delaySec: 0, ready: false, started: false, probers: [] });
const value = async (series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\d+)$`, 'm').exec(await register.metrics())?.[1] ?? 0);

describe('container starts', () => {
  it("are counted by container type, and those that fail by the reason they wait with, as SyncPod's start counts them", async () => {
    const started = (type: string) => value(`kubelet_started_containers_total{container_type="${type}"}`);
    const failed = (type: string, code: string) => value(`kubelet_started_containers_errors_total{container_type="${type}",code="${code}"}`);
    const before = { app: await started('container'), init: await started('init_container'), create: await failed('init_container', 'CreateContainerError'), never: await failed('container', 'ErrImageNeverPull') };
    const ok = setup(false);
    const app = rec();
    await startContainer(ok.d, ok.h, ok.pod.spec!.containers![0]!, app, 0);
    expect(app.waiting).toBeUndefined();
    const bad = setup(true);
    const setupRec = rec();
    await startContainer(bad.d, bad.h, bad.pod.spec!.initContainers![0]!, setupRec, 0);
    expect(setupRec.waiting?.reason).toBe('CreateContainerError');
    await startContainer(ok.d, ok.h, ok.pod.spec!.containers![1]!, rec(), 0);
    expect(await started('container')).toBe(before.app + 2);
    expect(await started('init_container')).toBe(before.init + 1);
    expect(await failed('init_container', 'CreateContainerError')).toBe(before.create + 1);
    expect(await failed('container', 'ErrImageNeverPull')).toBe(before.never + 1);
    expect(await register.metrics()).toContain('# HELP kubelet_started_containers_total [ALPHA] Cumulative number of containers started\n');
  });
});
