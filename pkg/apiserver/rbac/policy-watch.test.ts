import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types.js';
import { RawObject } from '../raw-object.js';
import type { WatchCache, WatchSink } from '../watch-cache.js';
import { PolicyIndex, POLICY_RESOURCES, type PolicyResource } from './policy-index.js';
import { watchPolicy } from './policy-watch.js';

/** A watch cache that hands out what it holds at subscription and lets the test end a subscription. */
class FakeCache {
  sinks: WatchSink[] = [];
  synced = 0;
  constructor(
    readonly prefix: string,
    public items: KubeObject[],
  ) {}
  watch(_rev: number | undefined, _filter: unknown, sink: WatchSink) {
    for (const o of this.items) sink.send('ADDED', RawObject.fromObject(o, 1));
    this.sinks.push(sink);
    return () => (this.sinks = this.sinks.filter((s) => s !== sink));
  }
  /** What the real cache does before a relist: close every watcher and forget it. */
  dropAll(err: Error) {
    const sinks = this.sinks;
    this.sinks = [];
    for (const s of sinks) s.close(err);
  }
  async syncToLatest() {
    this.synced++;
    return true;
  }
}

const crb = (name: string, user: string): KubeObject => ({ kind: 'ClusterRoleBinding', metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'r' }, subjects: [{ kind: 'User', name: user }] });
const names = (index: PolicyIndex, user: string) => index.bindingsFor({ name: user, groups: [] }, undefined).map((b) => b.name);

describe('watchPolicy', () => {
  it('fills the index from the caches, follows events, and starts afresh when a cache drops its watchers', async () => {
    const caches = Object.fromEntries(POLICY_RESOURCES.map((r) => [r, new FakeCache(`/registry/${r}/`, [])])) as Record<PolicyResource, FakeCache>;
    caches.clusterrolebindings.items = [crb('one', 'alice')];
    const index = new PolicyIndex();
    const w = watchPolicy(index, caches as unknown as Record<PolicyResource, WatchCache>);
    expect(names(index, 'alice')).toEqual(['one']);
    const sink = caches.clusterrolebindings.sinks[0]!;
    sink.send('ADDED', RawObject.fromObject(crb('two', 'alice'), 2));
    sink.send('DELETED', RawObject.fromObject(crb('one', 'alice'), 3));
    expect(names(index, 'alice')).toEqual(['two']);
    // A relist: the cache now holds something else, and no events told of the difference.
    caches.clusterrolebindings.items = [crb('three', 'bob')];
    caches.clusterrolebindings.dropAll(new Error('watch cache relisting'));
    await new Promise((r) => setTimeout(r, 10));
    expect(caches.clusterrolebindings.synced).toBe(1);
    expect(names(index, 'alice')).toEqual([]);
    expect(names(index, 'bob')).toEqual(['three']);
    w.stop();
    expect(caches.clusterrolebindings.sinks).toHaveLength(0);
  });
});
