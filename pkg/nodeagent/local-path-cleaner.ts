// The node's half of the local-path provisioner's reclaim: every few seconds the agent looks at
// the directories under its local-path directory (`pvc-<uid>_<namespace>_<name>`) and at their
// volumes. A volume being deleted whose protection is gone (it is no longer bound) loses its
// directory, data included, when its reclaim policy is Delete (Retain keeps the data); then the
// agent removes its cleanup finalizer and the volume goes. A directory whose volume no longer
// exists is left alone and reported: tskube does not delete data it was not told to.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LOCAL_PATH_FINALIZER, PV_PROTECTION_FINALIZER, volumeOfLocalPathDir } from '../api/persistent-volumes.js';
import type { PersistentVolume } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import { isNotFound, PersistentVolumes } from '../client/rest-client.js';
import { logger } from '../util/log.js';

const log = logger('local-path');

export class LocalPathCleaner {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** Directories already reported as orphans (once each). */
  private readonly reported = new Set<string>();

  constructor(
    private readonly client: ApiClient,
    private readonly dir: string,
    private readonly intervalMs = 5000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.scan(), this.intervalMs);
    void this.scan();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One pass (serialised: a slow pass is not overlapped by the next). */
  async scan(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const names = await readdir(this.dir).catch(() => [] as string[]);
      for (const name of names) {
        const volume = volumeOfLocalPathDir(name);
        if (volume) await this.check(name, volume).catch((e) => log.warn('local-path cleanup failed; retrying', { volume, err: e instanceof Error ? e.message : String(e) }));
      }
    } finally {
      this.running = false;
    }
  }

  private async check(dirName: string, volume: string): Promise<void> {
    let pv: PersistentVolume;
    try {
      pv = await this.client.get<PersistentVolume>(PersistentVolumes, undefined, volume);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      if (!this.reported.has(dirName)) log.warn('the volume of a local-path directory is gone; leaving the data', { dir: join(this.dir, dirName), volume });
      this.reported.add(dirName);
      return;
    }
    const finalizers = pv.metadata?.finalizers ?? [];
    if (!pv.metadata?.deletionTimestamp || !finalizers.includes(LOCAL_PATH_FINALIZER) || finalizers.includes(PV_PROTECTION_FINALIZER)) return;
    const path = join(this.dir, dirName);
    if (pv.spec?.persistentVolumeReclaimPolicy === 'Delete') {
      await rm(path, { recursive: true, force: true });
      log.info('removed the directory of a deleted local-path volume', { volume, dir: path });
    } else log.info('kept the directory of a deleted local-path volume (Retain)', { volume, dir: path });
    await this.client.update(PersistentVolumes, undefined, volume, { ...pv, metadata: { ...pv.metadata, finalizers: finalizers.filter((f) => f !== LOCAL_PATH_FINALIZER) } }).catch((e) => {
      if (!isNotFound(e)) throw e;
    });
  }
}
