// Feeds the PolicyIndex from the apiserver's own watch caches of roles, cluster roles and
// bindings: a subscription starts with every cached object (synthetic ADDED) and then follows
// each change. When a cache drops its watchers (it relists after etcd compacted its history),
// the index forgets that resource and subscribes again once the cache has caught up with etcd.
import { logger } from '../../util/log.js';
import type { WatchCache } from '../watch-cache.js';
import { POLICY_RESOURCES, type PolicyIndex, type PolicyResource } from './policy-index.js';

const log = logger('rbac');

export function watchPolicy(index: PolicyIndex, caches: Record<PolicyResource, WatchCache>): { stop(): void } {
  let stopped = false;
  const cancels = new Map<PolicyResource, () => void>();
  const subscribe = (resource: PolicyResource) => {
    if (stopped) return;
    index.clear(resource);
    const cache = caches[resource];
    cancels.set(
      resource,
      cache.watch(undefined, { keyPrefix: cache.prefix, matches: () => true }, {
        send: (type, raw) => {
          if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') index.apply(resource, type, raw.obj);
        },
        close: (err) => {
          if (stopped) return;
          log.warn('policy watch ended; resubscribing once the cache has caught up', { resource, err: err?.message });
          const retry = () => {
            if (stopped) return;
            void cache.syncToLatest(5000).then((ok) => (ok ? subscribe(resource) : setTimeout(retry, 500).unref()), () => setTimeout(retry, 500).unref());
          };
          retry();
        },
      }),
    );
  };
  for (const r of POLICY_RESOURCES) subscribe(r);
  return {
    stop() {
      stopped = true;
      for (const c of cancels.values()) c();
    },
  };
}
