// Content-addressed blob store (containerd's content store): blobs/sha256/<hex>, written through
// a temp file, verified against their digest before they become visible, shared by every image.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestMismatchError, InvalidArgumentError, NotFoundError } from './errors.js';

export function sha256(data: Buffer | string): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

function hexOf(digest: string): string {
  const m = /^sha256:([a-f0-9]{64})$/.exec(digest);
  if (!m) throw new InvalidArgumentError(`digest "${digest}": only sha256 is supported`);
  return m[1];
}

export interface IngestOptions {
  expectedSize?: number;
  onBytes?: (n: number) => void;
}

export class ContentStore {
  readonly dir: string;
  constructor(root: string) {
    this.dir = join(root, 'blobs');
  }

  path(digest: string): string {
    return join(this.dir, 'sha256', hexOf(digest));
  }

  async init(): Promise<void> {
    await fsp.mkdir(join(this.dir, 'sha256'), { recursive: true });
    await fsp.mkdir(join(this.dir, 'ingest'), { recursive: true });
  }

  async has(digest: string): Promise<boolean> {
    try {
      await fsp.access(this.path(digest));
      return true;
    } catch {
      return false;
    }
  }

  async size(digest: string): Promise<number> {
    try {
      return (await fsp.stat(this.path(digest))).size;
    } catch (e) {
      throw new NotFoundError(`blob ${digest}: not found`, { cause: e });
    }
  }

  async read(digest: string): Promise<Buffer> {
    try {
      return await fsp.readFile(this.path(digest));
    } catch (e) {
      throw new NotFoundError(`blob ${digest}: not found`, { cause: e });
    }
  }

  async readJson<T>(digest: string): Promise<T> {
    return JSON.parse((await this.read(digest)).toString('utf8')) as T;
  }

  stream(digest: string): Readable {
    return createReadStream(this.path(digest));
  }

  /** Write a blob from a stream; it lands under its digest only if the bytes hash to it. */
  async ingest(expected: string, source: AsyncIterable<Buffer> | Readable, opts: IngestOptions = {}): Promise<void> {
    const final = this.path(expected);
    const tmp = join(this.dir, 'ingest', `${hexOf(expected)}-${randomBytes(4).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    try {
      await pipeline(
        source,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const c of chunks) {
            hash.update(c);
            size += c.length;
            opts.onBytes?.(c.length);
            yield c;
          }
        },
        createWriteStream(tmp),
      );
      const got = 'sha256:' + hash.digest('hex');
      if (got !== expected) throw new DigestMismatchError(`blob ${expected}: content hashes to ${got}`);
      if (opts.expectedSize !== undefined && opts.expectedSize !== size) {
        throw new DigestMismatchError(`blob ${expected}: size ${size}, descriptor says ${opts.expectedSize}`);
      }
      await fsp.rename(tmp, final);
    } finally {
      await fsp.rm(tmp, { force: true });
    }
  }

  /** Store bytes already in memory; returns their digest. */
  async put(data: Buffer | string): Promise<string> {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    const digest = sha256(buf);
    if (!(await this.has(digest))) await this.ingest(digest, Readable.from([buf]));
    return digest;
  }

  async delete(digest: string): Promise<void> {
    await fsp.rm(this.path(digest), { force: true });
  }

  async list(): Promise<string[]> {
    const names = await fsp.readdir(join(this.dir, 'sha256')).catch(() => [] as string[]);
    return names.map((n) => `sha256:${n}`);
  }
}
