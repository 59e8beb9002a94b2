import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Pod } from '../api/types.js';
import { PodVolumes } from './pod-worker-volumes.js';

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
      } as never,
      { pod, uid: 'u1', key: 'ns/p', podIP: '', event: (type, reason, message) => events.push(`${type} ${reason} ${message}`), retryIn: (ms) => (retry = ms), kick: () => {} },
    );
    expect(await volumes.prepareApiData()).toBe(false);
    volumes.stop();
    expect(events).toEqual([
      'Warning FailedMount MountVolume.SetUp failed for volume "a" : configmap "missing-a" not found',
      'Warning FailedMount MountVolume.SetUp failed for volume "b" : configmap references non-existent config key: nokey',
    ]);
    expect(retry).toBe(5000);
    expect(readFileSync(join(podsDir, 'u1', 'volumes', 'here', 'k'), 'utf8')).toBe('v');
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
      } as never,
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
