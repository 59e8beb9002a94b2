import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Pod } from '../api/types.js';
import { PodVolumes } from './pod-worker-volumes.js';
import { VolumeMountError } from './claim-volumes.js';

/** The worker's dependencies PodVolumes reads (each test gives the few it uses). */
type Deps = ConstructorParameters<typeof PodVolumes>[0];

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('PodVolumes.prepareApiData', () => {
  it('reports every configMap volume that cannot be set up, as the volume manager mounts each on its own, and writes the others', async () => {
    const podsDir = mkdtempSync(join(tmpdir(), 'tskube-volumes-'));
    dirs.push(podsDir);
    const pod: Pod = {
      metadata: { name: 'p', namespace: 'ns', uid: 'u1' },
      spec: {
        containers: [{ name: 'c', image: 'busybox' }],
        volumes: [
          { name: 'a', configMap: { name: 'missing-a' } },
          { name: 'here', configMap: { name: 'present' } },
          { name: 'b', configMap: { name: 'present', items: [{ key: 'nokey', path: 'x' }] } },
        ],
      },
    };
    const events: string[] = [];
    let retry: number | undefined;
    const volumes = new PodVolumes(
      {
        podsDir,
        getSource: async (_kind, _ns, name) => (name === 'present' ? { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' } } : undefined),
        serviceAccountToken: async () => {
          throw new Error('no tokens here');
        },
        apiVolumeSyncMs: 60_000,
        nodeAllocatable: () => ({}),
      } as Deps,
      { pod, uid: 'u1', key: 'ns/p', podIP: '', event: (type, reason, message) => events.push(`${type} ${reason} ${message}`), retryIn: (ms) => (retry = ms), kick: () => {} },
    );
    expect(await volumes.prepareApiData()).toBe(false);
    volumes.stop();
    expect(events).toEqual([
      'Warning FailedMount MountVolume.SetUp failed for volume "a" : configmap "missing-a" not found',
      'Warning FailedMount MountVolume.SetUp failed for volume "b" : configmap references non-existent config key: nokey',
    ]);
    // (the first failure of each waits 500 ms, the kubelet's initialDurationBeforeRetry)
    expect(retry).toBe(500);
    expect(readFileSync(join(podsDir, 'u1', 'volumes', 'here', 'k'), 'utf8')).toBe('v');
  });

  it('backs each failed volume off as the kubelet\'s nestedpendingoperations do: 500 ms doubling, no attempt nor event before it is due', async () => {
    const podsDir = mkdtempSync(join(tmpdir(), 'tskube-volumes-'));
    dirs.push(podsDir);
    const pod: Pod = { metadata: { name: 'p', namespace: 'ns', uid: 'u3' }, spec: { containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'v', configMap: { name: 'later' } }] } };
    let exists = false;
    const events: string[] = [];
    const retries: number[] = [];
    const volumes = new PodVolumes(
      { podsDir, getSource: async (_kind, _ns, name) => (exists ? { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' } } : undefined), apiVolumeSyncMs: 60_000, nodeAllocatable: () => ({}) } as Deps,
      { pod, uid: 'u3', key: 'ns/p', podIP: '', event: (_type, reason) => events.push(reason), retryIn: (ms) => retries.push(ms), kick: () => {} },
    );
    let now = 1_000_000;
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      expect(await volumes.prepareApiData()).toBe(false);
      now += 100; // a sync before the back-off ends (the pod changed): no attempt, no event
      expect(await volumes.prepareApiData()).toBe(false);
      expect(events).toHaveLength(1);
      now += 400;
      expect(await volumes.prepareApiData()).toBe(false);
      now += 1000;
      expect(await volumes.prepareApiData()).toBe(false);
      expect(events).toHaveLength(3);
      expect(retries).toEqual([500, 400, 1000, 2000]);
      exists = true;
      now += 1999; // there now, but the back-off still runs
      expect(await volumes.prepareApiData()).toBe(false);
      now += 1;
      expect(await volumes.prepareApiData()).toBe(true);
    } finally {
      clock.mockRestore();
      volumes.stop();
    }
  });

  it('keeps what a running pod sees when its ConfigMap goes, and says so each time the volume is set up again', async () => {
    const podsDir = mkdtempSync(join(tmpdir(), 'tskube-volumes-'));
    dirs.push(podsDir);
    const pod: Pod = { metadata: { name: 'p', namespace: 'ns', uid: 'u2' }, spec: { containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'v', configMap: { name: 'cm' } }] } };
    let exists = true;
    const events: string[] = [];
    const volumes = new PodVolumes(
      {
        podsDir,
        getSource: async (_kind, _ns, name) => (exists ? { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' } } : undefined),
        apiVolumeSyncMs: 60_000,
        nodeAllocatable: () => ({}),
      } as Deps,
      { pod, uid: 'u2', key: 'ns/p', podIP: '', event: (type, reason, message) => events.push(`${type} ${reason} ${message}`), retryIn: () => {}, kick: () => {} },
    );
    expect(await volumes.prepareApiData()).toBe(true);
    exists = false;
    expect(await volumes.prepareApiData()).toBe(true);
    volumes.stop();
    expect(events).toEqual(['Warning FailedMount MountVolume.SetUp failed for volume "v" : configmap "cm" not found']);
    expect(readFileSync(join(podsDir, 'u2', 'volumes', 'v', 'k'), 'utf8')).toBe('v');
  });
});

describe('PodVolumes.prepareClaimVolumes', () => {
  it('checks every hostPath volume and reports each that fails, as the reconciler mounts each on its own', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tskube-hostpath-'));
    dirs.push(root);
    mkdirSync(join(root, 'dir'));
    writeFileSync(join(root, 'file'), '');
    const pod: Pod = {
      metadata: { name: 'p', namespace: 'ns', uid: 'u4' },
      spec: {
        containers: [{ name: 'c', image: 'busybox' }],
        volumes: [
          { name: 'a', hostPath: { path: join(root, 'dir'), type: 'File' } },
          { name: 'ok', hostPath: { path: join(root, 'made'), type: 'DirectoryOrCreate' } },
          { name: 'b', hostPath: { path: join(root, 'file'), type: 'Directory' } },
          { name: 'c', hostPath: { path: join(root, 'none'), type: 'Socket' } },
        ],
      },
    };
    const events: string[] = [];
    let retry: number | undefined;
    const volumes = new PodVolumes({ podsDir: root, apiVolumeSyncMs: 60_000 } as Deps, { pod, uid: 'u4', key: 'ns/p', podIP: '', event: (type, reason, message) => events.push(`${type} ${reason} ${message}`), retryIn: (ms) => (retry = ms), kick: () => {} });
    expect(await volumes.prepareClaimVolumes()).toBe(false);
    expect(events).toEqual([
      `Warning FailedMount MountVolume.SetUp failed for volume "a" : hostPath type check failed: ${join(root, 'dir')} is not a file`,
      `Warning FailedMount MountVolume.SetUp failed for volume "b" : hostPath type check failed: ${join(root, 'file')} is not a directory`,
      `Warning FailedMount MountVolume.SetUp failed for volume "c" : hostPath type check failed: ${join(root, 'none')} is not a socket file`,
    ]);
    expect(retry).toBe(500);
    expect(statSync(join(root, 'made')).isDirectory()).toBe(true);
  });

  it('retries a claim the volume manager could not process after the pod worker\'s 10 s, a mount that failed after its back-off', async () => {
    const pod: Pod = {
      metadata: { name: 'p', namespace: 'ns', uid: 'u6' },
      spec: { containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }, { name: 'pv', persistentVolumeClaim: { claimName: 'pv' } }] },
    };
    const events: string[] = [];
    const retries: number[] = [];
    const claimVolumes = {
      resolve: async (_pod: Pod, v: { name?: string }) => {
        throw new VolumeMountError(
          v.name === 'data'
            ? 'Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[], failed to process volumes=[data]: error processing PVC ns/data: PVC is not bound'
            : 'MountVolume.SetUp failed for volume "pv-1" : hostPath type check failed: /x is not a directory',
        );
      },
    };
    const volumes = new PodVolumes({ podsDir: tmpdir(), apiVolumeSyncMs: 60_000, claimVolumes } as never, { pod, uid: 'u6', key: 'ns/p', podIP: '', event: (_type, _reason, message) => events.push(message.slice(0, 20)), retryIn: (ms) => retries.push(ms), kick: () => {} });
    expect(await volumes.prepareClaimVolumes()).toBe(false);
    expect(await volumes.prepareClaimVolumes()).toBe(false);
    // (the unbound claim each sync; the failed mount once, its back-off running)
    expect(events).toEqual(['Unable to attach or ', 'MountVolume.SetUp fa', 'Unable to attach or ']);
    expect(retries[0]).toBe(500);
    const alone = new PodVolumes({ podsDir: tmpdir(), apiVolumeSyncMs: 60_000, claimVolumes } as never, { pod: { ...pod, spec: { ...pod.spec!, volumes: [pod.spec!.volumes![0]!] } }, uid: 'u7', key: 'ns/q', podIP: '', event: () => {}, retryIn: (ms) => retries.push(ms), kick: () => {} });
    expect(await alone.prepareClaimVolumes()).toBe(false);
    expect(retries.at(-1)).toBe(10_000);
  });

  it('refuses an emptyDir medium the kubelet\'s emptyDir plugin does not know, and huge pages, at SetUp', async () => {
    const pod: Pod = {
      metadata: { name: 'p', namespace: 'ns', uid: 'u5' },
      spec: {
        containers: [{ name: 'c', image: 'busybox' }],
        volumes: [
          { name: 'disk', emptyDir: {} },
          { name: 'mem', emptyDir: { medium: 'Memory' } },
          { name: 'typo', emptyDir: { medium: 'memory' } },
          { name: 'huge', emptyDir: { medium: 'HugePages-2Mi' } },
        ],
      },
    };
    const events: string[] = [];
    const volumes = new PodVolumes({ podsDir: tmpdir(), apiVolumeSyncMs: 60_000 } as Deps, { pod, uid: 'u5', key: 'ns/p', podIP: '', event: (_type, _reason, message) => events.push(message), retryIn: () => {}, kick: () => {} });
    expect(await volumes.prepareClaimVolumes()).toBe(false);
    expect(events).toEqual([
      'MountVolume.SetUp failed for volume "typo" : unknown storage medium "memory"',
      'MountVolume.SetUp failed for volume "huge" : medium HugePages-2Mi: hugePages storage requested, but there is no resource request for huge pages',
    ]);
  });
});

describe('storage_operation_duration_seconds', () => {
  it("times each volume's SetUp as the kubelet's volume_mount operation, by plugin and status", async () => {
    const { register } = await import('prom-client');
    const podsDir = mkdtempSync(join(tmpdir(), 'tskube-volumes-'));
    dirs.push(podsDir);
    const pod: Pod = {
      metadata: { name: 'p', namespace: 'ns', uid: 'u9' },
      spec: { containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'ok', configMap: { name: 'present' } }, { name: 'bad', configMap: { name: 'missing' } }] },
    };
    const count = async (status: string) => Number(new RegExp(`^storage_operation_duration_seconds_count\\{volume_plugin="kubernetes.io/configmap",operation_name="volume_mount",status="${status}",migrated="false"\\} (\\d+)$`, 'm').exec(await register.metrics())?.[1] ?? 0);
    const [ok0, failed0] = [await count('success'), await count('fail-unknown')];
    const volumes = new PodVolumes(
      { podsDir, getSource: async (_kind, _ns, name) => (name === 'present' ? { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' } } : undefined), apiVolumeSyncMs: 60_000, nodeAllocatable: () => ({}) } as Deps,
      { pod, uid: 'u9', key: 'ns/p', podIP: '', event: () => {}, retryIn: () => {}, kick: () => {} },
    );
    expect(await volumes.prepareApiData()).toBe(false);
    volumes.stop();
    expect(await count('success')).toBe(ok0 + 1);
    expect(await count('fail-unknown')).toBe(failed0 + 1);
    expect(await register.metrics()).toContain('# HELP storage_operation_duration_seconds [ALPHA] Storage operation duration\n');
  });
});

describe('volume_manager_total_volumes', () => {
  it("counts a pod's volumes by plugin as the volume manager's desired and actual states, while it is tracked", async () => {
    const { register } = await import('prom-client');
    const { trackVolumes } = await import('./metrics.js');
    const podsDir = mkdtempSync(join(tmpdir(), 'tskube-volumes-'));
    dirs.push(podsDir);
    const pod: Pod = {
      metadata: { name: 'p', namespace: 'ns', uid: 'u10' },
      spec: {
        containers: [{ name: 'c', image: 'busybox' }],
        volumes: [{ name: 'cfg', configMap: { name: 'missing' } }, { name: 'scratch', emptyDir: {} }, { name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
      },
    };
    const claimVolumes = { resolve: async () => ({ path: podsDir, readOnly: false, plugin: 'kubernetes.io/host-path' }) };
    const volumes = new PodVolumes(
      { podsDir, getSource: async () => undefined, apiVolumeSyncMs: 60_000, nodeAllocatable: () => ({}), claimVolumes } as never,
      { pod, uid: 'u10', key: 'ns/p', podIP: '', event: () => {}, retryIn: () => {}, kick: () => {} },
    );
    const value = async (plugin: string, state: string) => Number(new RegExp(`^volume_manager_total_volumes\\{plugin_name="${plugin.replace(/\./g, '\\.')}",state="${state}"\\} (\\d+)$`, 'm').exec(await register.metrics())?.[1] ?? 0);
    // (deltas: other files' pod workers may share this registry)
    const series = [['kubernetes.io/configmap', 'desired_state_of_world'], ['kubernetes.io/empty-dir', 'desired_state_of_world'], ['kubernetes.io/host-path', 'desired_state_of_world'], ['kubernetes.io/configmap', 'actual_state_of_world'], ['kubernetes.io/empty-dir', 'actual_state_of_world'], ['kubernetes.io/host-path', 'actual_state_of_world']] as const;
    const before = await Promise.all(series.map(([p, s]) => value(p, s)));
    const delta = async () => (await Promise.all(series.map(([p, s]) => value(p, s)))).map((v, i) => v - before[i]!);
    const untrack = trackVolumes(volumes);
    try {
      // (before any set-up: the claim is not yet resolved to its PV, nothing is mounted)
      expect(await delta()).toEqual([1, 1, 0, 0, 0, 0]);
      expect(await volumes.prepareApiData()).toBe(false); // (its ConfigMap is missing)
      expect(await volumes.prepareClaimVolumes()).toBe(true);
      expect(await delta()).toEqual([1, 1, 1, 0, 1, 1]);
      expect(await register.metrics()).toContain('# HELP volume_manager_total_volumes [ALPHA] Number of volumes in Volume Manager\n');
    } finally {
      untrack();
      volumes.stop();
    }
    expect(await delta()).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
