// Images against the real thing: busybox built from the host's busybox-static, pushed to and
// pulled from Debian's docker-registry on 127.0.0.1, imported from OCI layouts.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DigestMismatchError, NotFoundError, Runtime, cleanupAll, type PullProgress } from '../../pkg/runtime/index.js';
import { isRoot, startRegistry, tempRoot, type Registry } from './helpers.js';

describe.skipIf(!isRoot)('runtime images (root: real registry, overlayfs)', () => {
  let registry: Registry;
  let rootA: string;
  let rootB: string;
  let a: Runtime;
  let b: Runtime;

  beforeAll(async () => {
    registry = await startRegistry();
    rootA = await tempRoot();
    rootB = await tempRoot();
    a = await Runtime.open({ root: rootA });
    b = await Runtime.open({ root: rootB });
  });
  afterAll(async () => {
    await registry?.stop();
    if (rootA) await cleanupAll(rootA);
    if (rootB) await cleanupAll(rootB);
  });

  it('builds a busybox image with applets, passwd and Cmd ["sh"]', async () => {
    const name = await a.buildBusybox('busybox:test');
    expect(name).toBe('docker.io/library/busybox:test');
    const st = await a.imageStatus('busybox:test');
    expect(st).not.toBeNull();
    expect(st!.cmd).toEqual(['sh']);
    expect(st!.repoTags).toEqual(['docker.io/library/busybox:test']);
    const rec = await a.images.get('busybox:test');
    const layer = a.snapshots.layerDir(rec.diffIds[0]);
    for (const applet of ['sh', 'sleep', 'echo', 'wget', 'httpd', 'nc', 'ip', 'ps']) {
      expect(await fsp.readlink(join(layer, 'bin', applet))).toBe('busybox');
    }
    expect(await fsp.readFile(join(layer, 'etc/passwd'), 'utf8')).toMatch(/^nobody:x:65534:65534:/m);
    expect(await fsp.readFile(join(layer, 'etc/group'), 'utf8')).toMatch(/^root:x:0:/m);
  });

  it('pushes to docker-registry and pulls into another root with progress, sharing content by digest', async () => {
    const ref = `${registry.host}/tskube/busybox:v1`;
    const digest = await a.pushImage('busybox:test', ref);
    expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/);

    const events: PullProgress[] = [];
    const id = await b.pullImage(ref, { onProgress: (p) => events.push(p) });
    expect(id).toBe((await a.imageStatus('busybox:test'))!.id);
    expect(events[0]).toMatchObject({ kind: 'resolved', manifestDigest: digest, layers: 1 });
    expect(events.filter((e) => e.kind === 'blob-done')).toHaveLength(2);
    expect(events.some((e) => e.kind === 'blob-start' && !e.cached)).toBe(true);

    // A second tag of the same image: no blob is fetched again, nothing is stored twice.
    await a.pushImage('busybox:test', `${registry.host}/tskube/busybox:v2`);
    const blobsBefore = (await b.content.list()).length;
    const again: PullProgress[] = [];
    await b.pullImage(`${registry.host}/tskube/busybox:v2`, { onProgress: (p) => again.push(p) });
    expect(again.filter((e) => e.kind === 'blob-start').every((e) => e.kind === 'blob-start' && e.cached)).toBe(true);
    expect((await b.content.list()).length).toBe(blobsBefore);

    // By digest, too.
    await b.pullImage(`${registry.host}/tskube/busybox@${digest}`);
    const imgs = await b.listImages();
    expect(imgs).toHaveLength(1);
    expect(imgs[0].repoTags.sort()).toEqual([`${registry.host}/tskube/busybox:v1`, `${registry.host}/tskube/busybox:v2`]);
    expect(imgs[0].repoDigests).toEqual([`${registry.host}/tskube/busybox@${digest}`]);
  });

  it('rejects a blob whose bytes do not match its digest (tampered registry storage)', async () => {
    const ref = `${registry.host}/tskube/tampered:v1`;
    await a.pushImage('busybox:test', ref);
    const rec = await a.images.get('busybox:test');
    const layer = rec.layers[0].digest.slice(7);
    const data = join(registry.storage, 'docker/registry/v2/blobs/sha256', layer.slice(0, 2), layer, 'data');
    const buf = await fsp.readFile(data);
    buf[buf.length - 100] ^= 0xff; // same size, different bytes
    await fsp.writeFile(data, buf);

    const c = await Runtime.open({ root: await tempRoot() });
    try {
      await expect(c.pullImage(ref)).rejects.toBeInstanceOf(DigestMismatchError);
      expect(await c.content.has(rec.layers[0].digest)).toBe(false);
      expect(await c.imageStatus(ref)).toBeNull();
    } finally {
      await cleanupAll(c.root);
    }
  });

  it('reports a missing image as not found', async () => {
    await expect(b.pullImage(`${registry.host}/tskube/nope:v1`)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('imports an OCI layout from a directory and from a tar', async () => {
    const dir = join(rootA, 'export-dir');
    await a.exportImage('busybox:test', dir);
    expect(JSON.parse(await fsp.readFile(join(dir, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    await a.exportImage('busybox:test', join(rootA, 'export.tar'));

    const c = await Runtime.open({ root: await tempRoot() });
    try {
      expect(await c.importImage(dir)).toEqual(['docker.io/library/busybox:test']);
      expect(await c.importImage(join(rootA, 'export.tar'), { name: 'airgap/busybox:1' })).toEqual(['docker.io/library/busybox:test']);
      expect((await c.imageStatus('busybox:test'))!.id).toBe((await a.imageStatus('busybox:test'))!.id);
      // A corrupted layout blob is refused.
      const rec = await c.images.get('busybox:test');
      await c.removeImage('busybox:test');
      const blob = join(dir, 'blobs/sha256', rec.configDigest.slice(7));
      await fsp.writeFile(blob, (await fsp.readFile(blob, 'utf8')).replace('sh', 'xx'));
      await expect(c.importImage(dir)).rejects.toBeInstanceOf(DigestMismatchError);
    } finally {
      await cleanupAll(c.root);
    }
  });

  it('removes an image and garbage-collects its blobs and snapshots', async () => {
    const c = await Runtime.open({ root: await tempRoot() });
    try {
      await c.buildBusybox('gc:test');
      expect((await c.content.list()).length).toBe(3);
      expect((await c.snapshots.list()).length).toBe(1);
      await c.removeImage('gc:test');
      expect(await c.imageStatus('gc:test')).toBeNull();
      expect(await c.content.list()).toEqual([]);
      expect(await c.snapshots.list()).toEqual([]);
    } finally {
      await cleanupAll(c.root);
    }
  });
});
