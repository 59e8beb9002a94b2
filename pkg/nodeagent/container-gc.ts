// The kubelet's container garbage collector (pkg/kubelet/container/container_gc.go and
// kuberuntime/kuberuntime_gc.go, with the default policy: MinAge 0, MaxPerPodContainer 1,
// MaxContainers -1), for what tskube's pod workers do not already remove themselves.
//
// Every ContainerGCPeriod (a minute) GarbageCollect removes the dead containers of the pods whose
// content should go (ShouldPodContentBeRemoved): the pods this agent evicted (the eviction
// manager's or the critical pod admission handler's kill, IsEvicted), then their stopped sandboxes
// (evictSandboxes); their statuses stay what their containers last reported, and their logs go
// with them. Under disk pressure the eviction
// manager's DeleteAllUnusedContainers (evictNonDeletedPods) also removes those of every pod that
// has ended (ShouldPodRuntimeBeRemoved: run to its end, failed). The rest of the policy the
// workers keep on their own: a new attempt of a container removes the attempts before the last
// that ended (MaxPerPodContainer 1, pod-worker-container-start.ts), a deleted pod's containers go
// with it, and those of pods the agent does not know go at its start (agent-orphans.ts).

/** What the collector asks of each pod the agent has (its pod worker). */
export interface GCPod {
  /** This agent killed the pod for good: evicted, or preempted to admit a critical pod. */
  readonly evicted: boolean;
  /** Removes the containers of the pod once it has ended (none while it runs), then its stopped sandboxes; how many containers went. */
  removeEndedContainers(): Promise<number>;
}

export class ContainerGC {
  constructor(private readonly pods: () => Iterable<GCPod>) {}

  /** The periodic pass (GarbageCollect, evictNonDeletedPods false): evicted pods' containers. Returns how many went. */
  garbageCollect(): Promise<number> {
    return this.remove((p) => p.evicted);
  }

  /** The eviction manager's node-level reclaim (DeleteAllUnusedContainers): every ended pod's containers. */
  deleteAllUnusedContainers(): Promise<number> {
    return this.remove(() => true);
  }

  private async remove(which: (p: GCPod) => boolean): Promise<number> {
    let removed = 0;
    for (const p of [...this.pods()]) if (which(p)) removed += await p.removeEndedContainers();
    return removed;
  }
}
