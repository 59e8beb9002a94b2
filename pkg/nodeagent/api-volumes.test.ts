import { mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Pod } from '../api/types.js';
import { isMemoryBacked, payloadDigest, volumePayload, writeAtomic, type Payload } from './api-volumes.js';
import { ConfigSources } from './config-sources.js';

const pod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'prod', uid: 'u-1', labels: { app: 'web', tier: 'front "end"' }, annotations: { note: 'x' } },
  spec: { containers: [{ name: 'main', image: 'busybox', resources: { limits: { cpu: '500m', memory: '64Mi' } } }] },
};
const sources = new ConfigSources();
sources.set('configmaps', 'cfg', new Map([['a.conf', Buffer.from('A')], ['b', Buffer.from('B')]]));
sources.set('secrets', 'sec', new Map([['password', Buffer.from('hunter2')]]));
sources.set('configmaps', 'absent', undefined);
const text = (p: Payload) => Object.fromEntries([...p].map(([k, f]) => [k, `${f.data.toString()} ${f.mode.toString(8)}`]));

describe('API volume payloads', () => {
  it('configMap: every key, or the items asked for, with defaultMode and item modes', () => {
    expect(text(volumePayload({ name: 'v', configMap: { name: 'cfg' } }, pod, sources))).toEqual({ 'a.conf': 'A 644', b: 'B 644' });
    expect(text(volumePayload({ name: 'v', configMap: { name: 'cfg', defaultMode: 0o400, items: [{ key: 'b', path: 'sub/b.txt' }, { key: 'a.conf', path: 'a', mode: 0o600 }] } }, pod, sources))).toEqual({ 'sub/b.txt': 'B 400', a: 'A 600' });
  });
  it('a missing source or key fails with the kubelet\'s message unless optional', () => {
    expect(() => volumePayload({ name: 'v', configMap: { name: 'absent' } }, pod, sources)).toThrow('configmap "absent" not found');
    expect(volumePayload({ name: 'v', configMap: { name: 'absent', optional: true } }, pod, sources).size).toBe(0);
    expect(() => volumePayload({ name: 'v', configMap: { name: 'cfg', items: [{ key: 'nope', path: 'n' }] } }, pod, sources)).toThrow('configmap references non-existent config key: nope');
    expect(() => volumePayload({ name: 'v', secret: { secretName: 'sec', items: [{ key: 'user', path: 'u' }] } }, pod, sources)).toThrow(/^references non-existent secret key: user$/);
  });
  it('downwardAPI and projected volumes', () => {
    const items = [
      { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
      { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
      { path: 'app', fieldRef: { fieldPath: "metadata.labels['app']" } },
      { path: 'cpu', resourceFieldRef: { containerName: 'main', resource: 'limits.cpu', divisor: '1m' } },
      { path: 'mem', resourceFieldRef: { containerName: 'main', resource: 'limits.memory', divisor: '1Mi' } },
    ];
    expect(text(volumePayload({ name: 'v', downwardAPI: { items } }, pod, sources))).toEqual({ labels: 'app="web"\ntier="front \\"end\\"" 644', name: 'web 644', app: 'web 644', cpu: '500 644', mem: '64 644' });
    const projected = volumePayload({ name: 'v', projected: { defaultMode: 0o440, sources: [{ secret: { name: 'sec' } }, { configMap: { name: 'cfg', items: [{ key: 'b', path: 'b' }] } }, { downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }] } }] } }, pod, sources);
    expect(text(projected)).toEqual({ password: 'hunter2 440', b: 'B 440', ns: 'prod 440' });
  });
  it('a downwardAPI item naming no container of the pod fails in findContainerInPod\'s words, every such item together', () => {
    const item = (containerName: string) => ({ path: containerName, resourceFieldRef: { containerName, resource: 'limits.memory' } });
    expect(() => volumePayload({ name: 'v', downwardAPI: { items: [item('nope')] } }, pod, sources)).toThrow(/^container nope not found$/);
    expect(() => volumePayload({ name: 'v', downwardAPI: { items: [item('a'), item('main'), item('b')] } }, pod, sources)).toThrow(/^\[container a not found, container b not found\]$/);
    // (in a projected volume too, flattened into the volume's aggregate as utilerrors flattens nested ones)
    const absent = new ConfigSources();
    absent.set('configmaps', 'gone', undefined);
    expect(() => volumePayload({ name: 'v', projected: { sources: [{ downwardAPI: { items: [item('a'), item('b')] } }, { configMap: { name: 'gone' } }] } }, pod, absent)).toThrow(/^\[container a not found, container b not found, configmap "gone" not found\]$/);
  });
  it('a projected volume reports every source that failed, as the aggregate of 1.32\'s collectData', () => {
    const failing = new ConfigSources();
    failing.set('configmaps', 'cfg', undefined);
    failing.set('secrets', 'sec', undefined);
    failing.set('configmaps', 'here', new Map([['k', Buffer.from('v')]]));
    const volume = (srcs: object[]) => ({ name: 'v', projected: { sources: srcs } }) as never;
    expect(() => volumePayload(volume([{ configMap: { name: 'cfg' } }, { configMap: { name: 'here' } }, { secret: { name: 'sec' } }]), pod, failing)).toThrow(/^\[configmap "cfg" not found, secret "sec" not found\]$/);
    // (one error as it is; the same one twice, once)
    expect(() => volumePayload(volume([{ configMap: { name: 'here', items: [{ key: 'x', path: 'x' }] } }]), pod, failing)).toThrow(/^configmap references non-existent config key: x$/);
    expect(() => volumePayload(volume([{ configMap: { name: 'cfg' } }, { configMap: { name: 'cfg', items: [{ key: 'k', path: 'k2' }] } }]), pod, failing)).toThrow(/^configmap "cfg" not found$/);
  });
  it('projected service account tokens: the token fetched for the audience and lifetime, at its path', () => {
    const withToken = new ConfigSources();
    withToken.set('configmaps', 'kube-root-ca.crt', new Map([['ca.crt', Buffer.from('PEM')]]));
    withToken.setToken({ expirationSeconds: 3607 }, 'api-token');
    withToken.setToken({ audience: 'vault', expirationSeconds: 600 }, 'vault-token');
    const v = {
      name: 'kube-api-access-abcde',
      projected: {
        defaultMode: 0o644,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { serviceAccountToken: { audience: 'vault', expirationSeconds: 600, path: 'vault/token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    };
    expect(text(volumePayload(v, pod, withToken))).toEqual({ token: 'api-token 644', 'vault/token': 'vault-token 644', 'ca.crt': 'PEM 644', namespace: 'prod 644' });
    // A token that could not be had stops the volume (the worker reports FailedMount and retries).
    expect(() => volumePayload({ name: 'v', projected: { sources: [{ serviceAccountToken: { path: 't', expirationSeconds: 900 } }] } }, pod, withToken)).toThrow(/failed to fetch token/);
  });
  it('a projected token is 0600 and the pod user\'s when the pod has an fsUser or an fsGroup, as 1.32\'s collectData makes it', () => {
    const withToken = new ConfigSources();
    withToken.setToken({ expirationSeconds: 3607 }, 'api-token');
    const v = { name: 'kube-api-access-abcde', projected: { defaultMode: 0o644, sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }, { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } }] } };
    const tokenOf = (spec: Partial<NonNullable<Pod['spec']>>) => volumePayload(v, { ...pod, spec: { ...pod.spec!, ...spec } }, withToken).get('token')!;
    const asUser = (c: { name: string }, runAsUser?: number) => ({ ...c, image: 'busybox', ...(runAsUser !== undefined && { securityContext: { runAsUser } }) });
    expect(tokenOf({})).toEqual({ data: Buffer.from('api-token'), mode: 0o644 });
    expect(tokenOf({ securityContext: { fsGroup: 2000 } })).toEqual({ data: Buffer.from('api-token'), mode: 0o600 });
    expect(tokenOf({ securityContext: { runAsUser: 1000 } })).toEqual({ data: Buffer.from('api-token'), mode: 0o600, uid: 1000 });
    // (FsUserFrom: every container's effective runAsUser, the container's over the pod's, must be one)
    expect(tokenOf({ securityContext: { runAsUser: 1000 }, initContainers: [asUser({ name: 'init' }, 1000)], containers: [asUser({ name: 'main' })] }).uid).toBe(1000);
    expect(tokenOf({ securityContext: { runAsUser: 1000 }, containers: [asUser({ name: 'a' }), asUser({ name: 'b' }, 0)] })).toEqual({ data: Buffer.from('api-token'), mode: 0o644 });
    expect(tokenOf({ containers: [asUser({ name: 'a' }, 7), asUser({ name: 'b' })] }).mode).toBe(0o644);
    // (the volume's other files keep the defaultMode)
    expect(volumePayload(v, { ...pod, spec: { ...pod.spec!, securityContext: { fsGroup: 1 } } }, withToken).get('namespace')!.mode).toBe(0o644);
  });
  it('secret, projected and downwardAPI volumes live on a tmpfs (their plugins wrap a Memory emptyDir); configMap volumes on disk', () => {
    expect(isMemoryBacked({ name: 'v', secret: { secretName: 's' } })).toBe(true);
    expect(isMemoryBacked({ name: 'v', projected: { sources: [] } })).toBe(true);
    expect(isMemoryBacked({ name: 'v', downwardAPI: { items: [] } })).toBe(true);
    expect(isMemoryBacked({ name: 'v', configMap: { name: 'c' } })).toBe(false);
  });
  it('digests differ when content or mode does', () => {
    const a = volumePayload({ name: 'v', configMap: { name: 'cfg' } }, pod, sources);
    const b = volumePayload({ name: 'v', configMap: { name: 'cfg', defaultMode: 0o600 } }, pod, sources);
    expect(payloadDigest(a)).toBe(payloadDigest(volumePayload({ name: 'v', configMap: { name: 'cfg' } }, pod, sources)));
    expect(payloadDigest(a)).not.toBe(payloadDigest(b));
  });
});

describe('writeAtomic (the kubelet\'s AtomicWriter layout)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const file = (data: string, mode = 0o644) => ({ data: Buffer.from(data), mode });

  it('writes files behind ..data, swaps on update, and drops what went away', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tskube-atomic-'));
    dirs.push(dir);
    await writeAtomic(dir, new Map([['a', file('1')], ['sub/b', file('2', 0o600)]]));
    const first = readlinkSync(join(dir, '..data'));
    // (named as AtomicWriter's os.MkdirTemp names it: ..2006_01_02_15_04_05.<random digits>)
    expect(first).toMatch(/^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\d+$/);
    expect(readlinkSync(join(dir, 'a'))).toBe('..data/a');
    expect(readFileSync(join(dir, 'a'), 'utf8')).toBe('1');
    expect(readFileSync(join(dir, 'sub/b'), 'utf8')).toBe('2');
    expect(statSync(join(dir, 'sub/b')).mode & 0o777).toBe(0o600);
    await writeAtomic(dir, new Map([['a', file('changed')], ['c', file('3')]]));
    expect(readlinkSync(join(dir, '..data'))).not.toBe(first);
    expect(readFileSync(join(dir, 'a'), 'utf8')).toBe('changed');
    expect(readFileSync(join(dir, 'c'), 'utf8')).toBe('3');
    expect(readdirSync(dir).sort()).toEqual(['..data', readlinkSync(join(dir, '..data')), 'a', 'c'].sort());
  });

  it.skipIf(process.getuid?.() !== 0)('with an fsGroup gives files and directories to the group, group-readable, directories setgid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tskube-atomic-'));
    dirs.push(dir);
    await writeAtomic(dir, new Map([['key.pem', file('secret', 0o400)], ['sub/conf', file('c', 0o644)]]), 2000);
    for (const f of ['key.pem', 'sub/conf']) expect(statSync(join(dir, f)).gid).toBe(2000);
    expect(statSync(join(dir, 'key.pem')).mode & 0o7777).toBe(0o440);
    expect(statSync(join(dir, 'sub/conf')).mode & 0o7777).toBe(0o644);
    for (const [d, mode] of [[dir, 0o2750], [join(dir, '..data'), 0o2755], [join(dir, 'sub'), 0o2755]] as const) {
      const st = statSync(d);
      // (the test's own directory was 0700: the group may now read and search it)
      expect([st.gid, st.mode & 0o7777]).toEqual([2000, mode]);
    }
    // Without one, nothing changes hands.
    await writeAtomic(dir, new Map([['key.pem', file('secret', 0o400)]]));
    expect(statSync(join(dir, 'key.pem')).mode & 0o7777).toBe(0o400);
    // A file with an owner (a projected token's fsUser) is its; with the fsGroup, 0640.
    await writeAtomic(dir, new Map([['token', { ...file('t', 0o600), uid: 1000 }]]), 2000);
    expect([statSync(join(dir, 'token')).uid, statSync(join(dir, 'token')).gid, statSync(join(dir, 'token')).mode & 0o777]).toEqual([1000, 2000, 0o640]);
    await writeAtomic(dir, new Map([['token', { ...file('t', 0o600), uid: 1001 }]]));
    expect([statSync(join(dir, 'token')).uid, statSync(join(dir, 'token')).mode & 0o777]).toEqual([1001, 0o600]);
  });

  it('refuses paths that leave the volume', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tskube-atomic-'));
    dirs.push(dir);
    await expect(writeAtomic(dir, new Map([['../escape', file('x')]]))).rejects.toThrow(/not allowed/);
    await expect(writeAtomic(dir, new Map([['/abs', file('x')]]))).rejects.toThrow(/not allowed/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
