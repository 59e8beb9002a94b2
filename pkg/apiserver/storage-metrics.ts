// apiserver_storage_objects as kube-apiserver 1.32 reports it, and the resource type of an etcd key
// as etcd_request_duration_seconds labels it (staging/src/k8s.io/apiserver/pkg/
// storage/etcd3/metrics/metrics.go objectCounts, fed by the storage's object counts): the objects
// stored of each resource, labelled with its group-resource ("pods", "deployments.apps"). Read at
// scrape time from the watch caches, which hold every object of their resource.
import { Gauge } from 'prom-client';

/** What each running apiserver in the process reports: [group-resource, count] pairs. */
const sources = new Set<() => Iterable<[string, number]>>();

new Gauge({
  name: 'apiserver_storage_objects',
  help: '[STABLE] Number of stored objects at the time of last check split by kind. In case of a fetching error, the value will be -1.',
  labelNames: ['resource'],
  collect() {
    for (const source of sources) for (const [resource, n] of source()) this.set({ resource }, n);
  },
});

/** schema.GroupResource.String(): the resource, then ".group" unless core. */
export const groupResource = (r: { name: string; group: string }) => (r.group ? `${r.name}.${r.group}` : r.name);

/** Reports the counts `source` gives until the returned function is called. */
export function reportStoredObjects(source: () => Iterable<[string, number]>): () => void {
  sources.add(source);
  return () => sources.delete(source);
}

/** The group-resource of each etcd key prefix (/registry/pods/, /registry/apps/deployments/, ...). */
const etcdTypes = new Map<string, string>();

/** Names `prefix`'s keys as `resource` (a group-resource) in etcd_request_duration_seconds. */
export function registerEtcdType(prefix: string, resource: string): void {
  etcdTypes.set(prefix, resource);
}

/**
 * The group-resource a key (or a key prefix) belongs to, as 1.32's store labels its etcd requests
 * (s.groupResourceString): the registered prefix it starts with; otherwise its first segment
 * under /registry/.
 */
export function etcdTypeOf(key: string): string {
  for (let i = key.indexOf('/', 10); i > 0; i = key.indexOf('/', i + 1)) {
    const t = etcdTypes.get(key.slice(0, i + 1));
    if (t) return t;
  }
  return key.split('/')[2] || 'unknown';
}
