// At start: the sandboxes of pods the API no longer binds to this node (deleted while the agent
// was down) are stopped and torn down, and the network forgets the sandboxes that are gone.
import { logger } from '../util/log.js';
import { podUidLabel } from './container-labels.js';
import type { WorkerDeps } from './pod-worker-deps.js';
import { teardownPod } from './pod-worker-termination.js';

const log = logger('nodeagent');

export interface OrphanCleanupDeps extends Pick<WorkerDeps, 'runtime' | 'podsDir' | 'network'> {
  /**
   * Whether a teardown may wait for the pod network without bound: only when it is sure to come
   * (a podCIDR of our own); otherwise a teardown gives up after 30 s.
   */
  networkComing(): boolean;
  /** The pod network's garbage collection, given the sandboxes that remain (nothing while the network is not up). */
  networkGC(sandboxIds: string[]): Promise<void>;
}

/** Removes the sandboxes of pods whose UID is not in `known`. */
export async function removeOrphanSandboxes(d: OrphanCleanupDeps, known: Set<string>): Promise<void> {
  const rt = d.runtime;
  const sandboxes = await rt.listPodSandbox();
  const orphanUids = new Set(sandboxes.map((s) => s.labels[podUidLabel]).filter((u): u is string => !!u && !known.has(u)));
  for (const uid of orphanUids) {
    const s = sandboxes.find((x) => x.labels[podUidLabel] === uid)!;
    const key = `${s.metadata.namespace}/${s.metadata.name}`;
    log.info('removing the sandbox of a pod deleted meanwhile', { pod: key, uid });
    // Stop what still runs, then tear down.
    for (const c of await rt.listContainers({ labelSelector: { [podUidLabel]: uid } })) await rt.stopContainer(c.id, 0).catch(() => {});
    const teardown = async () => teardownPod(d, { uid, key }, await rt.listContainers({ labelSelector: { [podUidLabel]: uid } }).catch(() => []));
    if (d.networkComing()) await teardown();
    else await Promise.race([teardown(), new Promise((r) => setTimeout(r, 30_000))]);
  }
  await d.networkGC((await rt.listPodSandbox()).map((s) => s.id)).catch(() => {});
}
