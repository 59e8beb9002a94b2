// OCI image layout import and export (directory or tar): how air-gapped nodes are loaded.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InvalidArgumentError, NotFoundError } from './errors.js';
import { formatImageRef, parseImageRef } from './image-ref.js';
import type { ImageRecord, ImageStore } from './image-store.js';
import { MT, isIndex, pickPlatform, type Descriptor, type Index, type Manifest } from './media-types.js';

const execFileP = promisify(execFile);
const REF_NAME = 'org.opencontainers.image.ref.name';
const CONTAINERD_NAME = 'io.containerd.image.name';

export interface ImportOptions {
  /** Name for entries without a usable ref.name annotation (or the repository for tag-only ones). */
  name?: string;
}

/** Import every image of an OCI layout (a directory, or a .tar of one); returns what was named. */
export async function importOciLayout(images: ImageStore, source: string, opts: ImportOptions = {}): Promise<ImageRecord[]> {
  const st = await fsp.stat(source).catch((e) => {
    throw new NotFoundError(`import ${source}: not found`, { cause: e });
  });
  if (st.isDirectory()) return importDir(images, source, opts);
  const dir = join(tmpdir(), `tskube-import-${randomBytes(4).toString('hex')}`);
  await fsp.mkdir(dir, { recursive: true });
  try {
    await execFileP('tar', ['-xf', source, '-C', dir, '--no-same-owner']);
    return await importDir(images, dir, opts);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

async function copyBlob(images: ImageStore, dir: string, d: Descriptor): Promise<void> {
  if (await images.content.has(d.digest)) return;
  const [alg, hex] = d.digest.split(':');
  await images.content.ingest(d.digest, createReadStream(join(dir, 'blobs', alg, hex)), { expectedSize: d.size });
}

function nameFor(d: Descriptor, opts: ImportOptions): string | undefined {
  const full = d.annotations?.[CONTAINERD_NAME];
  if (full) return full;
  const ref = d.annotations?.[REF_NAME];
  if (ref && /[/:@]/.test(ref)) return ref;
  if (ref && opts.name) return `${formatImageRef({ ...parseImageRef(opts.name), tag: undefined, digest: undefined })}:${ref}`;
  return opts.name;
}

async function importDir(images: ImageStore, dir: string, opts: ImportOptions): Promise<ImageRecord[]> {
  let index: Index;
  try {
    index = JSON.parse(await fsp.readFile(join(dir, 'index.json'), 'utf8')) as Index;
  } catch (e) {
    throw new InvalidArgumentError(`import ${dir}: not an OCI image layout (index.json unreadable)`, { cause: e });
  }
  const out: ImageRecord[] = [];
  for (const top of index.manifests) {
    const name = nameFor(top, opts);
    await copyBlob(images, dir, top);
    let manifestDesc = top;
    let indexDigest: string | undefined;
    const doc = await images.content.readJson<Index | Manifest>(top.digest);
    if (isIndex(top.mediaType, doc as { manifests?: unknown })) {
      indexDigest = top.digest;
      const pick = pickPlatform(doc as Index);
      if (!pick) throw new NotFoundError(`import ${dir}: no linux/amd64 manifest in ${top.digest}`);
      manifestDesc = pick;
      await copyBlob(images, dir, pick);
    }
    const m = await images.content.readJson<Manifest>(manifestDesc.digest);
    for (const d of [m.config, ...m.layers]) await copyBlob(images, dir, d);
    if (!name) continue;
    out.push(await images.put(name, manifestDesc.digest, manifestDesc.mediaType || MT.ociManifest, indexDigest));
  }
  return out;
}

/** Write `name` as an OCI layout directory (or a tar when `dest` ends in .tar). */
export async function exportOciLayout(images: ImageStore, name: string, dest: string): Promise<void> {
  const rec = await images.get(name);
  const asTar = dest.endsWith('.tar');
  const dir = asTar ? join(tmpdir(), `tskube-export-${randomBytes(4).toString('hex')}`) : dest;
  await fsp.mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  try {
    for (const d of [rec.manifestDigest, rec.configDigest, ...rec.layers.map((l) => l.digest)]) {
      await fsp.copyFile(images.content.path(d), join(dir, 'blobs', 'sha256', d.slice(7)));
    }
    const size = (await fsp.stat(images.content.path(rec.manifestDigest))).size;
    const idx: Index = {
      schemaVersion: 2,
      manifests: [{ mediaType: rec.manifestMediaType, digest: rec.manifestDigest, size, annotations: { [CONTAINERD_NAME]: rec.name, [REF_NAME]: parseImageRef(rec.name).tag ?? 'latest' } }],
    };
    await fsp.writeFile(join(dir, 'index.json'), JSON.stringify(idx));
    await fsp.writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    if (asTar) await execFileP('tar', ['-cf', dest, '-C', dir, '.']);
  } finally {
    if (asTar) await fsp.rm(dir, { recursive: true, force: true });
  }
}
