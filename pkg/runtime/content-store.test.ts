import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { ContentStore, sha256 } from './content-store.js';
import { DigestMismatchError } from './errors.js';

describe('ContentStore', () => {
  const roots: string[] = [];
  afterAll(async () => {
    for (const r of roots) await fsp.rm(r, { recursive: true, force: true });
  });
  async function store(): Promise<ContentStore> {
    const r = await fsp.mkdtemp(join(tmpdir(), 'tsk-cs-'));
    roots.push(r);
    const s = new ContentStore(r);
    await s.init();
    return s;
  }

  it('stores by digest once and reads back', async () => {
    const s = await store();
    const d = await s.put('hello');
    expect(d).toBe(sha256('hello'));
    expect(await s.put('hello')).toBe(d);
    expect((await s.read(d)).toString()).toBe('hello');
    expect(await s.list()).toEqual([d]);
  });

  it('rejects content that does not hash to the expected digest and leaves nothing behind', async () => {
    const s = await store();
    const d = sha256('expected');
    await expect(s.ingest(d, Readable.from([Buffer.from('tampered')]))).rejects.toBeInstanceOf(DigestMismatchError);
    expect(await s.has(d)).toBe(false);
    expect(await fsp.readdir(join(s.dir, 'ingest'))).toEqual([]);
  });

  it('rejects a size mismatch', async () => {
    const s = await store();
    const d = sha256('abc');
    await expect(s.ingest(d, Readable.from([Buffer.from('abc')]), { expectedSize: 4 })).rejects.toThrow(/size/);
  });
});
