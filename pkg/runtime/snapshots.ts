// Layer snapshots: each layer unpacked once into snapshots/<diffid>/fs with whiteouts converted
// to overlayfs form; each container gets an overlay root (layers read-only, own upper + work).
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { ContentStore } from './content-store.js';
import { DigestMismatchError, RuntimeError } from './errors.js';
import { isGzipLayer, type Descriptor } from './media-types.js';
import { mkWhiteout, mount, setXattr, umount } from './syscalls.js';

const WH_PREFIX = '.wh.';
const WH_OPAQUE = '.wh..wh..opq';

/** Convert OCI whiteout entries (listed relative to `dir`) to overlayfs form, in place. */
export async function convertWhiteouts(dir: string, names: string[]): Promise<number> {
  let n = 0;
  for (const raw of names) {
    const rel = raw.replace(/^\.\//, '').replace(/\/$/, '');
    const base = basename(rel);
    if (!base.startsWith(WH_PREFIX)) continue;
    const abs = join(dir, rel);
    await fsp.rm(abs, { force: true, recursive: true });
    if (base === WH_OPAQUE) {
      setXattr(join(dir, dirname(rel)), 'trusted.overlay.opaque', 'y');
    } else {
      const target = join(dir, dirname(rel), base.slice(WH_PREFIX.length));
      await fsp.rm(target, { force: true, recursive: true });
      mkWhiteout(target);
    }
    n++;
  }
  return n;
}

export class Snapshotter {
  readonly dir: string;
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(root: string, private readonly content: ContentStore) {
    this.dir = join(root, 'snapshots');
  }

  layerDir(diffId: string): string {
    return join(this.dir, diffId.replace(/^sha256:/, ''), 'fs');
  }

  async has(diffId: string): Promise<boolean> {
    return fsp.access(this.layerDir(diffId)).then(() => true, () => false);
  }

  /** Unpack `layer` (whose uncompressed digest must be `diffId`) unless it already is. */
  async unpack(layer: Descriptor, diffId: string): Promise<string> {
    const target = this.layerDir(diffId);
    if (await this.has(diffId)) return target;
    let p = this.inflight.get(diffId);
    if (!p) {
      p = this.doUnpack(layer, diffId, target).finally(() => this.inflight.delete(diffId));
      this.inflight.set(diffId, p);
    }
    return p;
  }

  private async doUnpack(layer: Descriptor, diffId: string, target: string): Promise<string> {
    const tmp = join(this.dir, `tmp-${randomBytes(6).toString('hex')}`);
    await fsp.mkdir(tmp, { recursive: true });
    try {
      const names = await extract(this.content, layer, diffId, tmp);
      await convertWhiteouts(tmp, names.filter((n) => basename(n.replace(/\/$/, '')).startsWith(WH_PREFIX)));
      await fsp.mkdir(dirname(target), { recursive: true });
      await fsp.rename(tmp, target);
      return target;
    } catch (e) {
      await fsp.rm(tmp, { recursive: true, force: true });
      throw e;
    }
  }

  async remove(diffId: string): Promise<void> {
    await fsp.rm(join(this.dir, diffId.replace(/^sha256:/, '')), { recursive: true, force: true });
  }

  async list(): Promise<string[]> {
    const names = await fsp.readdir(this.dir).catch(() => [] as string[]);
    return names.filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }
}

/** Stream the blob through gunzip into `tar -x`, hashing the uncompressed bytes; returns member names. */
function extract(content: ContentStore, layer: Descriptor, diffId: string, dest: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const tar = spawn('tar', ['-x', '-v', '-p', '--numeric-owner', '--xattrs', '--xattrs-include=*', '--no-same-permissions', '-C', dest], { stdio: ['pipe', 'pipe', 'pipe'] });
    const hash = createHash('sha256');
    let out = '';
    let err = '';
    let failed: Error | undefined;
    tar.stdout.on('data', (b: Buffer) => (out += b.toString()));
    tar.stderr.on('data', (b: Buffer) => (err += b.toString()));
    tar.stdin.on('error', (e) => (failed ??= e));
    let src: NodeJS.ReadableStream = content.stream(layer.digest);
    if (isGzipLayer(layer.mediaType)) {
      const gz = createGunzip();
      (src as import('node:stream').Readable).on('error', (e) => (failed ??= e));
      src = (src as import('node:stream').Readable).pipe(gz);
    }
    (src as import('node:stream').Readable).on('error', (e) => {
      failed ??= e;
      tar.stdin.destroy();
    });
    (src as import('node:stream').Readable).on('data', (c: Buffer) => hash.update(c));
    (src as import('node:stream').Readable).pipe(tar.stdin);
    tar.on('error', reject);
    tar.on('close', (code) => {
      if (failed) return reject(new RuntimeError(`layer ${layer.digest}: ${failed.message}`, { cause: failed }));
      if (code !== 0) return reject(new RuntimeError(`layer ${layer.digest}: tar exited ${code}: ${err.trim()}`));
      const got = 'sha256:' + hash.digest('hex');
      if (got !== diffId) return reject(new DigestMismatchError(`layer ${layer.digest}: uncompressed content hashes to ${got}, config says ${diffId}`));
      resolve(out.split('\n').filter(Boolean));
    });
  });
}

export interface RootfsPaths {
  root: string;
  upper: string;
  work: string;
  merged: string;
}

/** Mount an overlay root for a container under `dir` (lowerdirs given top layer first). */
export async function mountRootfs(dir: string, lowerTopFirst: string[]): Promise<RootfsPaths> {
  const p: RootfsPaths = { root: dir, upper: join(dir, 'upper'), work: join(dir, 'work'), merged: join(dir, 'rootfs') };
  await Promise.all([fsp.mkdir(p.upper, { recursive: true }), fsp.mkdir(p.work, { recursive: true }), fsp.mkdir(p.merged, { recursive: true })]);
  const opts = `lowerdir=${lowerTopFirst.join(':')},upperdir=${p.upper},workdir=${p.work}`;
  mount('overlay', p.merged, 'overlay', 0, opts);
  return p;
}

export async function unmountRootfs(dir: string): Promise<void> {
  umount(join(dir, 'rootfs'), 0);
}
