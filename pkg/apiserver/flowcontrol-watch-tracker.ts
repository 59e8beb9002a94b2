// The watches API Priority and Fairness counts, as 1.32's WatchTracker does (staging/src/k8s.io/
// apiserver/pkg/util/flowcontrol/watch_tracker.go): each established watch by its group, resource,
// namespace and name (a fieldSelector metadata.name=x), so that a write can be told how many
// watches want its event (GetInterestedWatchCount) and the mutating work estimator can charge it
// for them. Nested maps, so that a lookup allocates nothing.

/** The watches of one group's resource. */
class ResourceWatches {
  /** Those of every namespace and name. */
  all = 0;
  readonly byNamespace = new Map<string, number>();
  /** Those of one object, by namespace + '/' + name. */
  readonly byName = new Map<string, number>();
}

export class WatchTracker {
  private readonly groups = new Map<string, Map<string, ResourceWatches>>();

  /** Counts a watch until the returned function is called (once). */
  register(group: string, resource: string, namespace: string | undefined, name: string | undefined): () => void {
    let resources = this.groups.get(group);
    if (!resources) this.groups.set(group, (resources = new Map()));
    let w = resources.get(resource);
    if (!w) resources.set(resource, (w = new ResourceWatches()));
    const watches = w;
    const [map, key] = name ? [watches.byName, `${namespace ?? ''}/${name}`] : namespace ? [watches.byNamespace, namespace] : [undefined, ''];
    if (map) map.set(key, (map.get(key) ?? 0) + 1);
    else watches.all++;
    let forgotten = false;
    return () => {
      if (forgotten) return;
      forgotten = true;
      if (!map) return void watches.all--;
      const n = (map.get(key) ?? 1) - 1;
      if (n > 0) map.set(key, n);
      else map.delete(key);
    };
  }

  /** GetInterestedWatchCount: the watches of the resource, plus those of its namespace, plus those of the object. */
  interested(group: string, resource: string, namespace: string | undefined, name: string | undefined): number {
    const w = this.groups.get(group)?.get(resource);
    if (!w) return 0;
    let n = w.all;
    if (namespace && w.byNamespace.size) n += w.byNamespace.get(namespace) ?? 0;
    if (name && w.byName.size) n += w.byName.get(`${namespace ?? ''}/${name}`) ?? 0;
    return n;
  }
}
