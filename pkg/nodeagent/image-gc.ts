// The kubelet's image garbage collector: images are tracked with when each was first detected
// and last used by a container; when the image filesystem's usage reaches the high threshold,
// unused images older than the minimum age are removed, least recently used first, until usage
// is down to the low threshold. The eviction manager calls deleteUnusedImages under disk pressure.
import { logger } from '../util/log.js';
import type { Image } from '../runtime/types.js';
import type { FsStats } from './eviction-signals.js';
import type { ImageGCPolicy } from './eviction-thresholds.js';

const log = logger('image-gc');

export interface ImageGCDeps {
  listImages(): Promise<Image[]>;
  /** Ids of the images any container on the node (running or not) was made from. */
  imagesInUse(): Promise<Set<string>>;
  removeImage(id: string): Promise<void>;
  imageFs(): Promise<FsStats>;
  nodeEvent(type: string, reason: string, message: string): void;
  now?: () => number;
}

interface ImageRecord {
  firstDetected: number;
  lastUsed: number;
  size: number;
  name: string;
}

export class ImageGCManager {
  /** Every image the runtime has, by id, with when it was first seen and last used. */
  readonly records = new Map<string, ImageRecord>();
  private readonly now: () => number;

  constructor(public policy: ImageGCPolicy, private readonly d: ImageGCDeps) {
    this.now = d.now ?? Date.now;
  }

  /** The runtime's images (the image manager's GetImageList, which the node status lists). */
  imageList(): Promise<Image[]> {
    return this.d.listImages();
  }

  /** Refresh the records; returns the ids in use now. */
  async detectImages(now: number): Promise<Set<string>> {
    const [images, inUse] = await Promise.all([this.d.listImages(), this.d.imagesInUse()]);
    const seen = new Set<string>();
    for (const img of images) {
      seen.add(img.id);
      let r = this.records.get(img.id);
      if (!r) this.records.set(img.id, (r = { firstDetected: now, lastUsed: 0, size: img.size, name: img.repoTags[0] ?? img.id }));
      if (inUse.has(img.id)) r.lastUsed = now;
      r.size = img.size;
    }
    for (const id of this.records.keys()) if (!seen.has(id)) this.records.delete(id);
    return inUse;
  }

  /** One periodic pass: collect when usage is at or above the high threshold. */
  async garbageCollect(): Promise<void> {
    const fs = await this.d.imageFs();
    if (fs.capacityBytes <= 0) return;
    const usagePercent = 100 - Math.floor((fs.availableBytes * 100) / fs.capacityBytes);
    if (usagePercent < this.policy.highThresholdPercent) {
      await this.detectImages(this.now());
      return;
    }
    const amountToFree = Math.floor((fs.capacityBytes * (100 - this.policy.lowThresholdPercent)) / 100) - fs.availableBytes;
    log.info('image filesystem usage over the high threshold; freeing space', { usagePercent, highThresholdPercent: this.policy.highThresholdPercent, amountToFree });
    const freed = await this.freeSpace(amountToFree, this.now());
    if (freed < amountToFree) {
      const message = `Failed to garbage collect required amount of images. Attempted to free ${amountToFree} bytes, but only found ${freed} bytes eligible to free.`;
      this.d.nodeEvent('Warning', 'FreeDiskSpaceFailed', message);
      log.warn(message);
    }
  }

  /** Every unused image old enough (the eviction manager's node-level reclaim). */
  async deleteUnusedImages(): Promise<number> {
    return this.freeSpace(Number.MAX_SAFE_INTEGER, this.now());
  }

  /** Remove unused images, least recently used first, until `bytes` are freed; returns the bytes freed. */
  async freeSpace(bytes: number, now: number): Promise<number> {
    const inUse = await this.detectImages(now);
    const candidates = [...this.records]
      .filter(([id]) => !inUse.has(id))
      .sort(([, a], [, b]) => a.lastUsed - b.lastUsed || a.firstDetected - b.firstDetected);
    let freed = 0;
    for (const [id, r] of candidates) {
      if (r.lastUsed >= now) continue;
      if (now - r.firstDetected < this.policy.minAgeMs) {
        log.debug('image too new to collect', { image: r.name, ageMs: now - r.firstDetected, minAgeMs: this.policy.minAgeMs });
        continue;
      }
      try {
        await this.d.removeImage(id);
      } catch (e) {
        log.warn('image removal failed', { image: r.name, id, err: (e as Error).message });
        continue;
      }
      log.info('removed unused image', { image: r.name, id, size: r.size });
      this.records.delete(id);
      freed += r.size;
      if (freed >= bytes) break;
    }
    return freed;
  }
}
