import { describe, expect, it } from 'vitest';
import { SourceCache } from './source-cache.js';

describe('SourceCache', () => {
  it('shares one fetch among concurrent asks and reuses the answer within the window, then fetches again', async () => {
    let t = 0;
    const c = new SourceCache<string>(1000, () => t);
    let calls = 0;
    const fetch = async () => `v${++calls}`;
    expect(await Promise.all([c.get('cm/a', fetch), c.get('cm/a', fetch), c.get('cm/b', fetch)])).toEqual(['v1', 'v1', 'v2']);
    t = 999;
    expect(await c.get('cm/a', fetch)).toBe('v1');
    t = 1000;
    expect(await c.get('cm/a', fetch)).toBe('v3');
  });

  it('keeps neither a not-found answer nor a failure', async () => {
    const t = 0;
    const c = new SourceCache<string | undefined>(1000, () => t);
    expect(await c.get('k', async () => undefined)).toBeUndefined();
    expect(await c.get('k', async () => 'created since')).toBe('created since');
    await expect(c.get('x', async () => Promise.reject(new Error('unreachable')))).rejects.toThrow('unreachable');
    expect(await c.get('x', async () => 'ok')).toBe('ok');
  });
});
