// Watch: resume from a resourceVersion with nothing missed or repeated, across a dropped
// connection and across an apiserver restart; a 410 ERROR event when too old; selectors on watches;
// concurrent watchers see the same order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Namespaces, Pods, type WatchEvent } from '../../pkg/client/rest-client.js';
import { Etcd3 } from 'etcd3';
import { eventually, pod, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;

beforeAll(async () => {
  cp = await startControlPlane({ watchCacheSize: 200 });
});
afterAll(async () => {
  await cp?.stop();
});

interface Seen {
  type: string;
  name: string;
  rv: number;
}

async function collect(from: string, until: (seen: Seen[]) => boolean, opts: { labelSelector?: string; fieldSelector?: string; dropAfter?: number } = {}): Promise<Seen[]> {
  const seen: Seen[] = [];
  let rv = from;
  for (;;) {
    let dropped = false;
    const h = await cp.admin.watch(Pods, 'default', { resourceVersion: rv, labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector }, (e: WatchEvent) => {
      if (e.type === 'BOOKMARK') return;
      seen.push({ type: e.type, name: e.object.metadata!.name!, rv: Number(e.object.metadata!.resourceVersion) });
      rv = e.object.metadata!.resourceVersion!;
      if (opts.dropAfter && seen.length === opts.dropAfter && !dropped) {
        dropped = true;
        h.stop();
      }
      if (until(seen)) h.stop();
    });
    await h.done;
    if (until(seen)) return seen;
  }
}

/**
 * The Status of the ERROR event that ends a watch from `rv`: the watch is accepted (HTTP 200)
 * and fails in its stream, as kube-apiserver's cache answers a resourceVersion too old.
 */
async function watchFailure(rv: string): Promise<Record<string, unknown>> {
  const events: WatchEvent[] = [];
  const h = await cp.admin.watch(Pods, 'default', { resourceVersion: rv }, (e: WatchEvent) => events.push(e));
  await h.done;
  expect(events.map((e) => e.type)).toEqual(['ERROR']);
  return events[0]!.object as unknown as Record<string, unknown>;
}

describe('watch', () => {
  it('resumes from the last resourceVersion after a dropped connection without gaps or repeats', async () => {
    const start = (await cp.admin.list(Pods, 'default')).metadata.resourceVersion!;
    const writes: number[] = [];
    const watcher = collect(start, (s) => s.length >= 40, { labelSelector: 'batch=w1', dropAfter: 13 });
    for (let i = 0; i < 20; i++) {
      const p = await cp.admin.create(Pods, 'default', { ...pod(`w1-${i}`), metadata: { name: `w1-${i}`, labels: { batch: 'w1' } } });
      writes.push(Number(p.metadata!.resourceVersion));
      const u = await cp.admin.patch(Pods, 'default', `w1-${i}`, { metadata: { annotations: { step: '2' } } }, 'merge');
      writes.push(Number(u.metadata!.resourceVersion));
    }
    const seen = await watcher;
    expect(seen.map((s) => s.rv)).toEqual(writes);
    expect(seen.filter((s) => s.type === 'ADDED')).toHaveLength(20);
    expect(seen.filter((s) => s.type === 'MODIFIED')).toHaveLength(20);
  });

  it('resumes across an apiserver restart from the last resourceVersion seen', async () => {
    const a = await cp.admin.create(Pods, 'default', { ...pod('r-a'), metadata: { name: 'r-a', labels: { batch: 'r' } } });
    const rv = a.metadata!.resourceVersion!;
    const b = await cp.admin.create(Pods, 'default', { ...pod('r-b'), metadata: { name: 'r-b', labels: { batch: 'r' } } });
    await cp.restart();
    const c = await cp.admin.create(Pods, 'default', { ...pod('r-c'), metadata: { name: 'r-c', labels: { batch: 'r' } } });
    const seen = await collect(rv, (s) => s.length >= 2, { labelSelector: 'batch=r' });
    expect(seen.map((s) => [s.name, s.rv])).toEqual([
      ['r-b', Number(b.metadata!.resourceVersion)],
      ['r-c', Number(c.metadata!.resourceVersion)],
    ]);
  });

  it('without a resourceVersion starts with ADDED for what exists', async () => {
    const seen = await collect('', (s) => s.some((x) => x.name === 'r-c'), { labelSelector: 'batch=r' });
    expect(seen.map((s) => s.type)).toEqual(['ADDED', 'ADDED', 'ADDED']);
  });

  it('reports objects leaving and entering a selector as DELETED and ADDED', async () => {
    const start = (await cp.admin.list(Pods, 'default')).metadata.resourceVersion!;
    const watcher = collect(start, (s) => s.length >= 3, { labelSelector: 'color=red' });
    await cp.admin.create(Pods, 'default', { ...pod('sel-w'), metadata: { name: 'sel-w', labels: { color: 'red' } } });
    await cp.admin.patch(Pods, 'default', 'sel-w', { metadata: { labels: { color: 'blue' } } }, 'merge');
    await cp.admin.patch(Pods, 'default', 'sel-w', { metadata: { labels: { color: 'red' } } }, 'merge');
    const seen = await watcher;
    expect(seen.map((s) => s.type)).toEqual(['ADDED', 'DELETED', 'ADDED']);
  });

  it('across all namespaces with fieldSelector metadata.name sees that name in every namespace', async () => {
    const start = (await cp.admin.list(Pods, 'default')).metadata.resourceVersion!;
    const seen: string[] = [];
    const h = await cp.admin.watch(Pods, undefined, { resourceVersion: start, fieldSelector: 'metadata.name=same-name' }, (e: WatchEvent) => seen.push(`${e.type} ${e.object.metadata?.namespace}`));
    try {
      await cp.admin.create(Namespaces, undefined, { metadata: { name: 'elsewhere' } });
      await cp.admin.create(Pods, 'default', pod('same-name'));
      await cp.admin.create(Pods, 'elsewhere', pod('same-name'));
      await cp.admin.create(Pods, 'default', pod('other-name'));
      await eventually(() => seen.length >= 2, { what: 'both pods' });
      expect(seen).toEqual(['ADDED default', 'ADDED elsewhere']);
    } finally {
      h.stop();
    }
  });

  it('concurrent watchers see the same events in the same order', async () => {
    const start = (await cp.admin.list(Pods, 'default')).metadata.resourceVersion!;
    const watchers = Array.from({ length: 5 }, () => collect(start, (s) => s.length >= 30, { labelSelector: 'batch=conc' }));
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => cp.admin.create(Pods, 'default', { ...pod(`conc-${i}`), metadata: { name: `conc-${i}`, labels: { batch: 'conc' } } })),
    );
    const results = await Promise.all(watchers);
    const first = results[0]!.map((s) => s.rv);
    expect([...first].sort((x, y) => x - y)).toEqual(first);
    for (const r of results) expect(r.map((s) => s.rv)).toEqual(first);
  });

  it('is 410 Gone when the resourceVersion is older than the window', async () => {
    const old = (await cp.admin.list(Pods, 'default')).metadata.resourceVersion!;
    // The window holds 200 events per resource: push the old revision out of it.
    for (let i = 0; i < 210; i += 30) {
      await Promise.all(Array.from({ length: 30 }, (_, j) => cp.admin.create(Pods, 'default', { ...pod(`flood-${i + j}`), metadata: { name: `flood-${i + j}`, labels: { batch: 'flood' } } })));
    }
    expect(await watchFailure(old)).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410, message: expect.stringMatching(new RegExp(`^too old resource version: ${old} \\(\\d+\\)$`)) });
  });

  it('is 410 Gone after etcd history is compacted and the apiserver restarts', async () => {
    const rv = (await cp.admin.create(Pods, 'default', pod('compact-a'))).metadata!.resourceVersion!;
    const b = await cp.admin.create(Pods, 'default', pod('compact-b'));
    const etcd = new Etcd3({ hosts: cp.server.etcdEndpoints });
    try {
      await etcd.put('/registry/compact_rev_key').value(b.metadata!.resourceVersion!);
      await etcd.kv.compact({ revision: b.metadata!.resourceVersion! });
    } finally {
      etcd.close();
    }
    await cp.restart();
    expect((await watchFailure(rv)).code).toBe(410);
    // A list at a compacted continue point is 410 too; a fresh list works.
    await eventually(async () => (await cp.admin.list(Pods, 'default')).items.length > 0);
  });
});

describe('consistent list (served from the watch cache once it has caught up with etcd)', () => {
  it('sees a write made straight to etcd (as by another apiserver) at once', async () => {
    const etcd = new Etcd3({ hosts: cp.server.etcdEndpoints });
    try {
      for (let i = 0; i < 15; i++) {
        const name = `direct-${i}`;
        const stored = { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid: `uid-${i}`, creationTimestamp: new Date().toISOString() }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
        await etcd.put(`/registry/pods/default/${name}`).value(JSON.stringify(stored));
        const list = await cp.admin.list(Pods, 'default');
        expect(list.items.map((p) => p.metadata!.name), name).toContain(name);
      }
    } finally {
      await etcd.delete().prefix('/registry/pods/default/direct-');
      etcd.close();
    }
  });

  it('pages at one revision: the first page from the cache, the rest as of that revision', async () => {
    for (let i = 0; i < 6; i++) await cp.admin.create(Pods, 'default', { ...pod(`snap-${i}`), metadata: { name: `snap-${i}`, labels: { snap: 'yes' } } });
    const first = await cp.admin.list(Pods, 'default', { labelSelector: 'snap=yes', limit: 2 });
    expect(first.items.map((p) => p.metadata!.name)).toEqual(['snap-0', 'snap-1']);
    // Changes after the first page do not show in the later ones.
    await cp.admin.delete(Pods, 'default', 'snap-4', { gracePeriodSeconds: 0 });
    await cp.admin.create(Pods, 'default', { ...pod('snap-9'), metadata: { name: 'snap-9', labels: { snap: 'yes' } } });
    const names = first.items.map((p) => p.metadata!.name);
    let cont = first.metadata.continue;
    while (cont) {
      const page = await cp.admin.list(Pods, 'default', { labelSelector: 'snap=yes', limit: 2, continue: cont });
      expect(page.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
      names.push(...page.items.map((p) => p.metadata!.name));
      cont = page.metadata.continue;
    }
    expect(names).toEqual(['snap-0', 'snap-1', 'snap-2', 'snap-3', 'snap-4', 'snap-5']);
    const now = await cp.admin.list(Pods, 'default', { labelSelector: 'snap=yes' });
    expect(now.items.map((p) => p.metadata!.name)).toEqual(['snap-0', 'snap-1', 'snap-2', 'snap-3', 'snap-5', 'snap-9']);
  });
});
