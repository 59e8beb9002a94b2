// The image half of the runtime: pull, push, import, build, list, status, remove, and the
// layer snapshots containers are built from.
import { ContentStore } from './content-store.js';
import { buildBusyboxImage } from './image-build.js';
import { familiarName, formatImageRef, LOCAL_IMAGE_DOMAIN, parseImageRef } from './image-ref.js';
import { ImageStore, type ImageRecord } from './image-store.js';
import { importOciLayout, exportOciLayout } from './oci-layout.js';
import { RegistryClient, type RegistryAuth } from './registry-client.js';
import { Snapshotter } from './snapshots.js';
import { isNotFound, NotFoundError } from './errors.js';
import type { Image, ImageService, ImageStatusResult, PullImageOptions } from './types.js';

export class ImageManager implements ImageService {
  readonly content: ContentStore;
  readonly images: ImageStore;
  readonly snapshots: Snapshotter;
  /** Layers (diff ids) that running or created containers still use; set by the runtime. */
  inUse: () => Promise<Set<string>> = async () => new Set();

  constructor(readonly root: string) {
    this.content = new ContentStore(root);
    this.images = new ImageStore(root, this.content);
    this.snapshots = new Snapshotter(root, this.content);
  }

  async init(): Promise<void> {
    await this.content.init();
  }

  /** Unpack every layer of the image (once per layer); returns lowerdirs, top layer first. */
  async unpack(rec: ImageRecord): Promise<string[]> {
    const dirs: string[] = [];
    for (let i = 0; i < rec.layers.length; i++) dirs.push(await this.snapshots.unpack(rec.layers[i], rec.diffIds[i]));
    return dirs.reverse();
  }

  async pullImage(ref: string, opts: PullImageOptions = {}): Promise<string> {
    const parsed = parseImageRef(ref);
    if (parsed.domain === LOCAL_IMAGE_DOMAIN) {
      throw new NotFoundError(`${LOCAL_IMAGE_DOMAIN} names images built on a node (tsctl up builds ${LOCAL_IMAGE_DOMAIN}/busybox:latest), not a registry: "${formatImageRef(parsed)}" is not on this node and cannot be pulled`);
    }
    const client = new RegistryClient(parsed, opts.auth);
    const res = await client.pull(this.content, opts.onProgress);
    const rec = await this.images.put(formatImageRef(parsed), res.manifestDigest, res.manifestMediaType, res.indexDigest);
    await this.unpack(rec);
    return rec.configDigest;
  }

  async pushImage(ref: string, target?: string, opts: { auth?: RegistryAuth } = {}): Promise<string> {
    const rec = await this.images.get(ref);
    const dest = parseImageRef(target ?? rec.name);
    return new RegistryClient(dest, opts.auth).push(this.content, rec.manifestDigest, rec.manifestMediaType);
  }

  async listImages(): Promise<Image[]> {
    const byId = new Map<string, Image>();
    for (const r of await this.images.list()) {
      if (!byId.has(r.configDigest)) {
        const info = await this.images.info(r.name);
        byId.set(r.configDigest, { id: info.id, repoTags: info.repoTags, repoDigests: info.repoDigests, size: info.size });
      }
    }
    return [...byId.values()];
  }

  async imageStatus(ref: string): Promise<ImageStatusResult | null> {
    try {
      const info = await this.images.info(ref);
      const c = info.config.config ?? {};
      return {
        id: info.id,
        repoTags: info.repoTags,
        repoDigests: info.repoDigests,
        size: info.size,
        user: c.User || undefined,
        env: c.Env ?? [],
        entrypoint: c.Entrypoint ?? [],
        cmd: c.Cmd ?? [],
        workingDir: c.WorkingDir || undefined,
        stopSignal: c.StopSignal || undefined,
      };
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  /** Remove the name (or, given an id, every name); then drop blobs and snapshots nothing uses. */
  async removeImage(ref: string): Promise<void> {
    try {
      await this.images.remove(ref);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    await this.gc();
  }

  async gc(): Promise<void> {
    const keep = await this.images.referencedBlobs();
    for (const d of await this.content.list()) if (!keep.has(d)) await this.content.delete(d);
    const keepLayers = await this.inUse();
    for (const r of await this.images.list()) for (const d of r.diffIds) keepLayers.add(d);
    for (const d of await this.snapshots.list()) if (!keepLayers.has(d)) await this.snapshots.remove(d);
  }

  async importImage(source: string, opts: { name?: string } = {}): Promise<string[]> {
    const recs = await importOciLayout(this.images, source, opts);
    for (const r of recs) await this.unpack(r);
    return recs.map((r) => r.name);
  }

  async exportImage(ref: string, dest: string): Promise<void> {
    await exportOciLayout(this.images, ref, dest);
  }

  /** `tsctl image build-busybox NAME`: returns the normalized name. */
  async buildBusybox(name: string, busybox?: string): Promise<string> {
    const rec = await buildBusyboxImage(this.images, name, busybox);
    await this.unpack(rec);
    return rec.name;
  }

  /** How `tsctl images` prints a name. */
  static display(name: string): string {
    return familiarName(parseImageRef(name));
  }
}
