// The pod lifecycle event generator (the kubelet's PLEG): relists the runtime's containers, and a
// pod whose containers changed (a new one, or a new state) is synced again; also the gauges of
// containers by state and running pods, and the relist's duration and interval, as the kubelet's
// GenericPLEG records them.
import type { RuntimeService } from '../runtime/types.js';
import { podUidLabel } from './container-labels.js';
import { plegLastSeen, plegRelistDuration, plegRelistInterval, runningPods, setContainerStates } from './metrics.js';

export class Pleg {
  /** The containers and their states at the last relist, by pod UID. */
  private lastStates = new Map<string, string>();

  constructor(
    private readonly runtime: Pick<RuntimeService, 'listContainers' | 'listPodSandbox'>,
    /** A pod's containers changed: sync it. */
    private readonly changed: (uid: string) => void,
  ) {}

  /** When the last relist started (performance.now()), for the interval between relists. */
  private lastRelist: number | undefined;

  async relist(): Promise<void> {
    const started = performance.now();
    if (this.lastRelist !== undefined) plegRelistInterval.observe((started - this.lastRelist) / 1000);
    this.lastRelist = started;
    try {
      await this.relistOnce();
      plegLastSeen.set(Date.now() / 1000);
    } finally {
      plegRelistDuration.observe((performance.now() - started) / 1000);
    }
  }

  private async relistOnce(): Promise<void> {
    const containers = await this.runtime.listContainers();
    const byPod = new Map<string, string[]>();
    const containerStates: string[] = [];
    for (const c of containers) {
      const uid = c.labels[podUidLabel];
      if (!uid) continue;
      containerStates.push(c.state);
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
    setContainerStates(containerStates);
    runningPods.set((await this.runtime.listPodSandbox()).filter((s) => s.state === 'SANDBOX_READY').length);
  }
}
