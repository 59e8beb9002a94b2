// The node's side of claims over a fake API: mounting refusals with the kubelet's messages, the
// local-path directory made only once the volume holds the node's finalizer, and the cleanup of
// deleted local-path volumes (Delete removes the data, Retain keeps it, a protected or vanished
// volume is left alone).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject, PersistentVolume, PersistentVolumeClaim, Pod } from '../api/types.js';
import type { ApiClient, ResourceRef } from '../client/api-client.js';
import { StatusError } from '../client/rest-client.js';
import { ClaimVolumeResolver, VolumeMountError } from './claim-volumes.js';
import { LocalPathCleaner } from './local-path-cleaner.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tskube-local-path-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Gets and updates over maps, recording the updates with what existed on disk at that moment. */
function fakeApi(claims: PersistentVolumeClaim[], volumes: PersistentVolume[]) {
  const updates: { name: string; finalizers: string[]; dirExisted: boolean }[] = [];
  const notFound = (what: string) => new StatusError(404, { reason: 'NotFound' }, `${what} not found`);
  const client = {
    async get(ref: ResourceRef, _ns: string | undefined, name: string) {
      const found = ref.resource === 'persistentvolumes' ? volumes.find((v) => v.metadata?.name === name) : claims.find((c) => c.metadata?.name === name);
      if (!found) throw notFound(name);
      return structuredClone(found);
    },
    async update(_ref: ResourceRef, _ns: string | undefined, name: string, obj: KubeObject) {
      const i = volumes.findIndex((v) => v.metadata?.name === name);
      const path = volumes[i]?.spec?.hostPath?.path;
      updates.push({ name, finalizers: obj.metadata?.finalizers ?? [], dirExisted: !!path && existsSync(path) });
      volumes[i] = obj as PersistentVolume;
      return obj;
    },
  } as unknown as ApiClient;
  return { client, updates };
}

const claim = (name: string, phase: string, volumeName?: string): PersistentVolumeClaim => ({ metadata: { name, namespace: 'default', uid: `uid-${name}` }, spec: { volumeName }, status: { phase } });
const localPath = (name: string, claimName: string, path: string, extra: Partial<PersistentVolume> = {}): PersistentVolume => ({
  metadata: { name, annotations: { 'pv.kubernetes.io/provisioned-by': 'tskube.io/local-path' }, finalizers: ['kubernetes.io/pv-protection'], ...extra.metadata },
  spec: { hostPath: { path, type: 'DirectoryOrCreate' }, claimRef: { namespace: 'default', name: claimName, uid: `uid-${claimName}` }, persistentVolumeReclaimPolicy: 'Delete', ...extra.spec },
});
const pod = (claimName: string, readOnly = false): Pod => ({ metadata: { name: 'p', namespace: 'default' }, spec: { volumes: [{ name: 'data', persistentVolumeClaim: { claimName, readOnly } }] } });
const failure = (p: Promise<unknown>) => p.then(() => undefined, (e) => (e instanceof VolumeMountError ? e.message : `unexpected: ${e}`));

describe('ClaimVolumeResolver', () => {
  it('refuses missing, unbound and deleted claims with the kubelet\'s messages', async () => {
    const deleting = claim('going', 'Bound', 'pv');
    deleting.metadata!.deletionTimestamp = '2026-01-01T00:00:00Z';
    const { client } = fakeApi([claim('pending', 'Pending'), deleting], []);
    const r = new ClaimVolumeResolver(client, dir);
    const prefix = 'Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[], failed to process volumes=[data]: error processing PVC default/';
    expect(await failure(r.resolve(pod('nope'), pod('nope').spec!.volumes![0]!))).toBe(`${prefix}nope: failed to fetch PVC from API server: persistentvolumeclaims "nope" not found`);
    expect(await failure(r.resolve(pod('pending'), pod('pending').spec!.volumes![0]!))).toBe(`${prefix}pending: PVC is not bound`);
    expect(await failure(r.resolve(pod('going'), pod('going').spec!.volumes![0]!))).toBe(`${prefix}going: PVC is being deleted`);
  });

  it('makes a local-path directory (mode 777) only after the volume holds the node\'s cleanup finalizer', async () => {
    const path = join(dir, 'pvc-1_default_data');
    const { client, updates } = fakeApi([claim('data', 'Bound', 'pvc-1')], [localPath('pvc-1', 'data', path)]);
    const p = pod('data', true);
    expect(await new ClaimVolumeResolver(client, dir).resolve(p, p.spec!.volumes![0]!)).toEqual({ path, readOnly: true, plugin: 'kubernetes.io/host-path' });
    expect(updates).toEqual([{ name: 'pvc-1', finalizers: ['kubernetes.io/pv-protection', 'tskube.io/local-path-cleanup'], dirExisted: false }]);
    expect(statSync(path).mode & 0o777).toBe(0o777);
  });

  it('makes other DirectoryOrCreate paths as the kubelet does, and wants local paths to exist', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'tskube-hostpath-'));
    try {
      const path = join(elsewhere, 'made');
      const hp: PersistentVolume = { metadata: { name: 'hp' }, spec: { hostPath: { path, type: 'DirectoryOrCreate' }, claimRef: { uid: 'uid-a' } } };
      const local: PersistentVolume = { metadata: { name: 'lv' }, spec: { local: { path: join(elsewhere, 'absent') }, claimRef: { uid: 'uid-b' } } };
      const { client, updates } = fakeApi([claim('a', 'Bound', 'hp'), claim('b', 'Bound', 'lv')], [hp, local]);
      const r = new ClaimVolumeResolver(client, dir);
      await r.resolve(pod('a'), pod('a').spec!.volumes![0]!);
      expect(statSync(path).isDirectory()).toBe(true);
      expect(updates).toEqual([]);
      expect(await failure(r.resolve(pod('b'), pod('b').spec!.volumes![0]!))).toBe(`MountVolume.NewMounter initialization failed for volume "lv" : path "${join(elsewhere, 'absent')}" does not exist`);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});

describe('LocalPathCleaner', () => {
  it('removes the data of deleted Delete volumes once unprotected, keeps Retain data, leaves the rest', async () => {
    const made = (name: string) => {
      const p = join(dir, `${name}_default_c`);
      mkdirSync(p);
      writeFileSync(join(p, 'file'), 'data');
      return p;
    };
    const deleting = { deletionTimestamp: '2026-01-01T00:00:00Z' };
    const cleanup = ['tskube.io/local-path-cleanup'];
    const volumes = [
      localPath('pvc-aa', 'c', made('pvc-aa'), { metadata: { ...deleting, finalizers: cleanup } }),
      localPath('pvc-bb', 'c', made('pvc-bb'), { metadata: { ...deleting, finalizers: cleanup }, spec: { persistentVolumeReclaimPolicy: 'Retain' } }),
      localPath('pvc-cc', 'c', made('pvc-cc'), { metadata: { ...deleting, finalizers: ['kubernetes.io/pv-protection', ...cleanup] } }),
      localPath('pvc-dd', 'c', made('pvc-dd'), { metadata: { finalizers: cleanup } }),
    ];
    made('pvc-ee'); // its volume is gone
    const { client, updates } = fakeApi([], volumes);
    await new LocalPathCleaner(client, dir).scan();
    expect(existsSync(join(dir, 'pvc-aa_default_c'))).toBe(false);
    for (const kept of ['pvc-bb', 'pvc-cc', 'pvc-dd', 'pvc-ee']) expect(existsSync(join(dir, `${kept}_default_c`, 'file')), kept).toBe(true);
    expect(updates.map((u) => [u.name, u.finalizers])).toEqual([
      ['pvc-aa', []],
      ['pvc-bb', []],
    ]);
  });
});
