// Image metadata (containerd's image store): name → manifest digest, config and layers, kept in
// one JSON file under the runtime root. Blobs themselves live in the content store.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { ContentStore } from './content-store.js';
import { NotFoundError } from './errors.js';
import { formatImageRef, parseImageRef, repoName } from './image-ref.js';
import type { Descriptor, ImageConfig, Manifest } from './media-types.js';

export interface ImageRecord {
  /** Normalized name with tag (or digest): `docker.io/library/busybox:latest`. */
  name: string;
  /** Digest of the manifest the name points to (for an index: the linux/amd64 manifest). */
  manifestDigest: string;
  /** Digest of the index/list the registry served, when there was one. */
  indexDigest?: string;
  manifestMediaType: string;
  /** The image id, as `crictl images` shows it. */
  configDigest: string;
  layers: Descriptor[];
  diffIds: string[];
  /** Sum of compressed layer sizes plus config. */
  size: number;
  createdAt: string;
}

export interface ImageInfo {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
  config: ImageConfig;
}

export class ImageStore {
  private readonly file: string;
  private images = new Map<string, ImageRecord>();
  private loaded = false;

  constructor(root: string, readonly content: ContentStore) {
    this.file = join(root, 'images.json');
  }

  private async load(): Promise<void> {
    if (this.loaded) return;
    try {
      const list = JSON.parse(await fsp.readFile(this.file, 'utf8')) as ImageRecord[];
      for (const r of list) this.images.set(r.name, r);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    this.loaded = true;
  }

  private async save(): Promise<void> {
    const tmp = `${this.file}.tmp`;
    await fsp.writeFile(tmp, JSON.stringify([...this.images.values()], null, 1));
    await fsp.rename(tmp, this.file);
  }

  /** Record `name` as pointing at the manifest `manifestDigest` (already in the content store). */
  async put(name: string, manifestDigest: string, mediaType: string, indexDigest?: string): Promise<ImageRecord> {
    await this.load();
    const manifest = await this.content.readJson<Manifest>(manifestDigest);
    const config = await this.content.readJson<ImageConfig>(manifest.config.digest);
    const rec: ImageRecord = {
      name: formatImageRef(parseImageRef(name)),
      manifestDigest,
      indexDigest,
      manifestMediaType: mediaType,
      configDigest: manifest.config.digest,
      layers: manifest.layers,
      diffIds: config.rootfs.diff_ids,
      size: manifest.config.size + manifest.layers.reduce((a, l) => a + l.size, 0),
      createdAt: new Date().toISOString(),
    };
    this.images.set(rec.name, rec);
    await this.save();
    return rec;
  }

  /** Find by name (any Docker spelling), by image id (config digest, or a unique prefix) or by repo digest. */
  async get(nameOrId: string): Promise<ImageRecord> {
    await this.load();
    const found = this.find(nameOrId);
    if (!found) throw new NotFoundError(`image "${nameOrId}": not found`);
    return found;
  }

  private find(q: string): ImageRecord | undefined {
    const id = q.startsWith('sha256:') ? q : /^[a-f0-9]{12,64}$/.test(q) ? `sha256:${q}` : undefined;
    if (id) {
      for (const r of this.images.values()) if (r.configDigest.startsWith(id)) return r;
    }
    let norm: string;
    try {
      norm = formatImageRef(parseImageRef(q));
    } catch {
      return undefined;
    }
    const direct = this.images.get(norm);
    if (direct) return direct;
    const ref = parseImageRef(q);
    if (ref.digest) {
      for (const r of this.images.values()) {
        if (repoName(parseImageRef(r.name)) === repoName(ref) && (r.manifestDigest === ref.digest || r.indexDigest === ref.digest)) return r;
      }
    }
    return undefined;
  }

  async list(): Promise<ImageRecord[]> {
    await this.load();
    return [...this.images.values()];
  }

  async config(rec: ImageRecord): Promise<ImageConfig> {
    return this.content.readJson<ImageConfig>(rec.configDigest);
  }

  /** CRI view: one entry per image id with all the names pointing at it. */
  async info(nameOrId: string): Promise<ImageInfo> {
    const rec = await this.get(nameOrId);
    const same = (await this.list()).filter((r) => r.configDigest === rec.configDigest);
    return {
      id: rec.configDigest,
      repoTags: same.filter((r) => !parseImageRef(r.name).digest).map((r) => r.name),
      repoDigests: [...new Set(same.map((r) => `${repoName(parseImageRef(r.name))}@${r.indexDigest ?? r.manifestDigest}`))],
      size: rec.size,
      config: await this.config(rec),
    };
  }

  /** Remove every name of the image (by name: that name; by id: all names). Returns removed records. */
  async remove(nameOrId: string): Promise<ImageRecord[]> {
    const rec = await this.get(nameOrId);
    const byId = nameOrId.startsWith('sha256:') || /^[a-f0-9]{12,64}$/.test(nameOrId);
    const gone = byId ? [...this.images.values()].filter((r) => r.configDigest === rec.configDigest) : [rec];
    for (const r of gone) this.images.delete(r.name);
    await this.save();
    return gone;
  }

  /** Digests still referenced by some image (manifests, indexes, configs, layers). */
  async referencedBlobs(): Promise<Set<string>> {
    await this.load();
    const keep = new Set<string>();
    for (const r of this.images.values()) {
      keep.add(r.manifestDigest);
      if (r.indexDigest) keep.add(r.indexDigest);
      keep.add(r.configDigest);
      for (const l of r.layers) keep.add(l.digest);
    }
    return keep;
  }
}
