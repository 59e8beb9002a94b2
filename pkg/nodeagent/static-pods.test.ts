// StaticPods against a real temporary manifest directory and fake agent hooks: an edited
// manifest's new pod starts only once the old one's worker is gone (the kubelet's
// allowStaticPodStart), so two instances of one static pod never run at once.
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Pod } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import { StaticPods } from './static-pods.js';

const manifest = (name: string, image: string, uid?: string) => JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, uid }, spec: { containers: [{ name: 'c', image }] } });
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanups.splice(0)) f();
});

function setup(over: Partial<ConstructorParameters<typeof StaticPods>[0]> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tskube-static-'));
  const workers = new Map<string, Pod>();
  const calls: string[] = [];
  const sp = new StaticPods({
    client: {} as ApiClient,
    nodeName: 'n1',
    dir,
    run: (uid, pod) => {
      calls.push(`${pod ? 'run' : 'stop'} ${pod?.spec?.containers?.[0]?.image ?? uid}`);
      if (pod) workers.set(uid, pod);
    },
    running: (uid) => workers.has(uid),
    apiPod: () => undefined,
    apiPods: () => [],
    apiSynced: () => new Promise(() => {}),
    nodeUid: () => undefined,
    mirrorCreated: () => {},
    rescanMs: 3_600_000,
    ...over,
  });
  cleanups.push(() => {
    sp.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const uidOf = (image: string) => [...workers].find(([, p]) => p.spec?.containers?.[0]?.image === image)?.[0];
  return { dir, sp, workers, calls, uidOf };
}

/** kubelet_restarted_pods_total{static="true"} (unit test files share a worker's registry: read as deltas). */
async function staticRestarts(): Promise<number> {
  const m = await register.getSingleMetric('kubelet_restarted_pods_total')?.get();
  return m?.values.find((v) => v.labels.static === 'true')?.value ?? 0;
}

describe('StaticPods', () => {
  it('starts an edited static pod only once its earlier instance has stopped', async () => {
    const t = setup();
    writeFileSync(join(t.dir, 'etcd.yaml'), manifest('etcd', 'etcd:1'));
    await t.sp.start();
    expect(t.calls).toEqual(['run etcd:1']);
    const old = t.uidOf('etcd:1')!;
    writeFileSync(join(t.dir, 'etcd.yaml'), manifest('etcd', 'etcd:2'));
    await (t.sp as unknown as { source: { scan(): Promise<void> } }).source.scan();
    expect(t.calls).toEqual(['run etcd:1', `stop ${old}`]);
    await new Promise((r) => setTimeout(r, 500));
    expect(t.calls).toEqual(['run etcd:1', `stop ${old}`]); // (the old worker is still tearing down)
    t.workers.delete(old);
    await vi.waitFor(() => expect(t.calls).toEqual(['run etcd:1', `stop ${old}`, 'run etcd:2']), { timeout: 2000 });
  });

  it('starts a new static pod of another name at once, and never one whose file went while it waited', async () => {
    const t = setup();
    writeFileSync(join(t.dir, 'a.yaml'), manifest('a', 'a:1'));
    await t.sp.start();
    const old = t.uidOf('a:1')!;
    writeFileSync(join(t.dir, 'a.yaml'), manifest('a', 'a:2'));
    writeFileSync(join(t.dir, 'b.yaml'), manifest('b', 'b:1'));
    const scan = () => (t.sp as unknown as { source: { scan(): Promise<void> } }).source.scan();
    await scan();
    expect(t.calls).toEqual(['run a:1', `stop ${old}`, 'run b:1']);
    unlinkSync(join(t.dir, 'a.yaml'));
    await scan();
    t.workers.delete(old);
    await new Promise((r) => setTimeout(r, 500));
    expect(t.calls).toEqual(['run a:1', `stop ${old}`, 'run b:1']);
  });

  it('replaces a static pod whose manifest sets metadata.uid when the file is edited (same UID, new spec)', async () => {
    const t = setup();
    writeFileSync(join(t.dir, 'fixed.yaml'), manifest('fixed', 'f:1', 'fixed-uid'));
    await t.sp.start();
    expect(t.calls).toEqual(['run f:1']);
    expect(t.uidOf('f:1')).toBe('fixed-uid');
    writeFileSync(join(t.dir, 'fixed.yaml'), manifest('fixed', 'f:2', 'fixed-uid'));
    await (t.sp as unknown as { source: { scan(): Promise<void> } }).source.scan();
    expect(t.calls).toEqual(['run f:1', 'stop fixed-uid']);
    t.workers.delete('fixed-uid');
    await vi.waitFor(() => expect(t.calls).toEqual(['run f:1', 'stop fixed-uid', 'run f:2']), { timeout: 2000 });
    expect(t.sp.get('fixed-uid')?.pod.spec?.containers?.[0]?.image).toBe('f:2');
  });

  it('counts a static pod started again under the UID of an instance still stopping in kubelet_restarted_pods_total{static="true"}, not one under a new UID', async () => {
    const t = setup();
    const scan = () => (t.sp as unknown as { source: { scan(): Promise<void> } }).source.scan();
    const before = await staticRestarts();
    writeFileSync(join(t.dir, 'fixed.yaml'), manifest('fixed', 'f:1', 'fixed-uid'));
    writeFileSync(join(t.dir, 'web.yaml'), manifest('web', 'w:1'));
    await t.sp.start();
    // An edit that keeps a fixed metadata.uid: the same UID again, once the old instance is gone.
    writeFileSync(join(t.dir, 'fixed.yaml'), manifest('fixed', 'f:2', 'fixed-uid'));
    await scan();
    expect(await staticRestarts()).toBe(before); // (not before it starts)
    t.workers.delete('fixed-uid');
    await vi.waitFor(() => expect(t.calls).toContain('run f:2'), { timeout: 2000 });
    expect(await staticRestarts()).toBe(before + 1);
    // A file taken away and put back (the same content: the same UID) while its pod still stops.
    const web = t.uidOf('w:1')!;
    unlinkSync(join(t.dir, 'web.yaml'));
    await scan();
    writeFileSync(join(t.dir, 'web.yaml'), manifest('web', 'w:1'));
    await scan();
    t.workers.delete(web);
    await vi.waitFor(() => expect(t.calls.filter((c) => c === 'run w:1')).toHaveLength(2), { timeout: 2000 });
    expect(await staticRestarts()).toBe(before + 2);
    // An edit under a new UID replaces the pod; no restart. Nor does one put back after its pod had gone.
    const web2 = t.uidOf('w:1')!;
    writeFileSync(join(t.dir, 'web.yaml'), manifest('web', 'w:2'));
    await scan();
    t.workers.delete(web2);
    await vi.waitFor(() => expect(t.calls).toContain('run w:2'), { timeout: 2000 });
    const w2 = t.uidOf('w:2')!;
    unlinkSync(join(t.dir, 'web.yaml'));
    await scan();
    t.workers.delete(w2);
    writeFileSync(join(t.dir, 'web.yaml'), manifest('web', 'w:2'));
    await scan();
    await vi.waitFor(() => expect(t.calls.filter((c) => c === 'run w:2')).toHaveLength(2), { timeout: 2000 });
    expect(await staticRestarts()).toBe(before + 2);
  });

  it('makes the mirror pods at once when the Node becomes known just after the pods are listed', async () => {
    // (the agent's pod informer may sync before its node informer has the Node: the mirror pods
    // then waited for the 10 s resync)
    const created: string[] = [];
    const api = new Map<string, Pod>();
    const client = {
      create: async (_ref: unknown, ns: string, obj: Pod) => {
        created.push(`${obj.metadata?.name} owner=${obj.metadata?.ownerReferences?.[0]?.uid}`);
        api.set(`${ns}/${obj.metadata?.name}`, obj);
      },
    } as unknown as ApiClient;
    let nodeUid: string | undefined;
    const t = setup({ client, apiSynced: () => Promise.resolve(), nodeUid: () => nodeUid, apiPod: (ns, name) => api.get(`${ns}/${name}`), apiPods: () => [...api.values()] });
    writeFileSync(join(t.dir, 'web.yaml'), manifest('web', 'web:1'));
    await t.sp.start();
    await new Promise((r) => setTimeout(r, 100));
    expect(created).toEqual([]); // (no owner to name yet)
    nodeUid = 'node-uid-1';
    await vi.waitFor(() => expect(created).toEqual(['web-n1 owner=node-uid-1']), { timeout: 2000 });
  });
});
