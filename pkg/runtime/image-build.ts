// Building images locally: a small busybox image from the host's busybox-static, and the
// generic "directory → gzip layer → manifest" path it uses.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { ContentStore } from './content-store.js';
import { sha256 } from './content-store.js';
import { FailedPreconditionError } from './errors.js';
import type { ImageRecord, ImageStore } from './image-store.js';
import { MT, type ImageConfig, type Manifest } from './media-types.js';

const execFileP = promisify(execFile);
export const HOST_BUSYBOX = '/usr/bin/busybox';

/** Tar a directory deterministically (sorted, numeric root ownership, mtime 0). */
export async function tarDirectory(dir: string): Promise<Buffer> {
  const { stdout } = await execFileP('tar', ['--sort=name', '--numeric-owner', '--owner=0', '--group=0', '--mtime=@0', '--format=posix', '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime', '-C', dir, '-cf', '-', '.'], { encoding: 'buffer', maxBuffer: 1 << 30 });
  return stdout;
}

/** Store `dirs` as gzip layers (bottom first) plus a config and manifest, and name the result. */
export async function buildImageFromDirs(images: ImageStore, name: string, dirs: string[], config: ImageConfig['config']): Promise<ImageRecord> {
  const content: ContentStore = images.content;
  const layers = [];
  const diffIds = [];
  for (const d of dirs) {
    const tar = await tarDirectory(d);
    const gz = gzipSync(tar, { level: 6 });
    diffIds.push(sha256(tar));
    layers.push({ mediaType: MT.ociLayerGzip, digest: await content.put(gz), size: gz.length });
  }
  const cfg: ImageConfig = {
    architecture: 'amd64',
    os: 'linux',
    created: '1970-01-01T00:00:00Z',
    config,
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: dirs.map(() => ({ created: '1970-01-01T00:00:00Z', created_by: 'tskube image build' })),
  };
  const cfgBuf = Buffer.from(JSON.stringify(cfg));
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    config: { mediaType: MT.ociConfig, digest: await content.put(cfgBuf), size: cfgBuf.length },
    layers,
  };
  const mdigest = await content.put(Buffer.from(JSON.stringify(manifest)));
  return images.put(name, mdigest, MT.ociManifest);
}

/** Fill `dir` with a busybox root: /bin/busybox, one symlink per applet, /etc/passwd and group. */
export async function makeBusyboxRootfs(dir: string, busybox = HOST_BUSYBOX): Promise<void> {
  try {
    await fsp.access(busybox);
  } catch (e) {
    throw new FailedPreconditionError(`busybox image: ${busybox} not found (Debian package busybox-static)`, { cause: e });
  }
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'root', 'home', 'var/www', 'proc', 'sys', 'dev', 'tmp', 'run']) {
    await fsp.mkdir(join(dir, d), { recursive: true });
  }
  await fsp.chmod(join(dir, 'tmp'), 0o1777);
  await fsp.chmod(join(dir, 'root'), 0o700);
  await fsp.copyFile(busybox, join(dir, 'bin/busybox'));
  await fsp.chmod(join(dir, 'bin/busybox'), 0o755);
  const { stdout } = await execFileP(busybox, ['--list']);
  for (const applet of stdout.split('\n').map((s) => s.trim())) {
    if (!applet || applet === 'busybox' || applet.includes('/')) continue;
    await fsp.symlink('busybox', join(dir, 'bin', applet));
  }
  await fsp.writeFile(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n');
  await fsp.writeFile(join(dir, 'etc/group'), 'root:x:0:\nnobody:x:65534:\n');
}

/** Build `name` (e.g. `busybox:latest`) from the host's busybox-static; one layer, Cmd ["sh"]. */
export async function buildBusyboxImage(images: ImageStore, name: string, busybox = HOST_BUSYBOX): Promise<ImageRecord> {
  const dir = join(tmpdir(), `tskube-busybox-${randomBytes(4).toString('hex')}`);
  try {
    await makeBusyboxRootfs(dir, busybox);
    return await buildImageFromDirs(images, name, [dir], {
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      Cmd: ['sh'],
    });
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}
