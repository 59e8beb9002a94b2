import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentStore, sha256 } from './content-store.js';
import { DigestMismatchError } from './errors.js';
import { tarDirectory } from './image-build.js';
import { MT } from './media-types.js';
import { Snapshotter, mountRootfs, unmountRootfs } from './snapshots.js';

const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)('layer unpack with whiteouts (needs root: mknod, trusted xattrs, overlayfs)', () => {
  let root: string;
  let content: ContentStore;
  let snaps: Snapshotter;

  async function layer(files: Record<string, string>): Promise<{ desc: { mediaType: string; digest: string; size: number }; diffId: string }> {
    const dir = await fsp.mkdtemp(join(tmpdir(), 'tsk-layer-'));
    for (const [p, body] of Object.entries(files)) {
      await fsp.mkdir(join(dir, p, '..'), { recursive: true });
      if (p.endsWith('/')) await fsp.mkdir(join(dir, p), { recursive: true });
      else await fsp.writeFile(join(dir, p), body);
    }
    const tar = await tarDirectory(dir);
    await fsp.rm(dir, { recursive: true });
    const gz = gzipSync(tar);
    const digest = await content.put(gz);
    return { desc: { mediaType: MT.ociLayerGzip, digest, size: gz.length }, diffId: sha256(tar) };
  }

  beforeAll(async () => {
    root = await fsp.mkdtemp(join(tmpdir(), 'tsk-snap-'));
    content = new ContentStore(root);
    await content.init();
    snaps = new Snapshotter(root, content);
  });
  afterAll(async () => {
    await unmountRootfs(join(root, 'c')).catch(() => {});
    await fsp.rm(root, { recursive: true, force: true });
  });

  it('converts .wh. files to 0:0 char devices and opaque markers to xattrs, and overlayfs honours them', async () => {
    const base = await layer({ 'etc/keep': 'k', 'etc/gone': 'g', 'data/old': 'o', 'data/sub/deep': 'd' });
    const top = await layer({ 'etc/.wh.gone': '', 'data/.wh..wh..opq': '', 'data/new': 'n' });
    const lowerBase = await snaps.unpack(base.desc, base.diffId);
    const lowerTop = await snaps.unpack(top.desc, top.diffId);
    const wh = await fsp.stat(join(lowerTop, 'etc/gone'));
    expect(wh.isCharacterDevice()).toBe(true);
    expect(wh.rdev).toBe(0);
    await expect(fsp.access(join(lowerTop, 'etc/.wh.gone'))).rejects.toThrow();
    await expect(fsp.access(join(lowerTop, 'data/.wh..wh..opq'))).rejects.toThrow();

    const rootfs = await mountRootfs(join(root, 'c'), [lowerTop, lowerBase]);
    expect(await fsp.readFile(join(rootfs.merged, 'etc/keep'), 'utf8')).toBe('k');
    await expect(fsp.access(join(rootfs.merged, 'etc/gone'))).rejects.toThrow();
    expect((await fsp.readdir(join(rootfs.merged, 'data'))).sort()).toEqual(['new']);
    await fsp.writeFile(join(rootfs.merged, 'etc/keep'), 'changed');
    expect(await fsp.readFile(join(lowerBase, 'etc/keep'), 'utf8')).toBe('k');
    expect(await fsp.readFile(join(rootfs.upper, 'etc/keep'), 'utf8')).toBe('changed');
    await unmountRootfs(join(root, 'c'));
  });

  it('unpacks a layer once and rejects one whose content does not match its diff id', async () => {
    const l = await layer({ 'a/b': 'x' });
    const dir1 = await snaps.unpack(l.desc, l.diffId);
    await fsp.writeFile(join(dir1, 'marker'), '1');
    expect(await snaps.unpack(l.desc, l.diffId)).toBe(dir1);
    expect(await fsp.readFile(join(dir1, 'marker'), 'utf8')).toBe('1');
    const wrong = 'sha256:' + '0'.repeat(64);
    await expect(snaps.unpack(l.desc, wrong)).rejects.toBeInstanceOf(DigestMismatchError);
    expect(await snaps.has(wrong)).toBe(false);
  });
});
