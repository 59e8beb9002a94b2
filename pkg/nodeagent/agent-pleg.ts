// The pod lifecycle event generator (the kubelet's PLEG): relists the runtime's containers, and a
// pod whose containers changed (a new one, or a new state) is synced again; also the gauges of
// running containers and pods.
import { ContainerState, type RuntimeService } from '../runtime/types.js';
import { podUidLabel } from './container-labels.js';
import { runningContainers, runningPods } from './metrics.js';

export class Pleg {
  /** The containers and their states at the last relist, by pod UID. */
  private lastStates = new Map<string, string>();

  constructor(
    private readonly runtime: Pick<RuntimeService, 'listContainers' | 'listPodSandbox'>,
    /** A pod's containers changed: sync it. */
    private readonly changed: (uid: string) => void,
  ) {}

  async relist(): Promise<void> {
    const containers = await this.runtime.listContainers();
    const byPod = new Map<string, string[]>();
    let running = 0;
    for (const c of containers) {
      const uid = c.labels[podUidLabel];
      if (!uid) continue;
      if (c.state === ContainerState.Running) running++;
      const list = byPod.get(uid) ?? [];
      list.push(`${c.id}:${c.state}`);
      byPod.set(uid, list);
    }
    for (const [uid, states] of byPod) {
      const sig = states.sort().join(',');
      if (this.lastStates.get(uid) !== sig) {
        this.lastStates.set(uid, sig);
        this.changed(uid);
      }
    }
    for (const uid of this.lastStates.keys()) if (!byPod.has(uid)) this.lastStates.delete(uid);
    runningContainers.set(running);
    runningPods.set((await this.runtime.listPodSandbox()).filter((s) => s.state === 'SANDBOX_READY').length);
  }
}
