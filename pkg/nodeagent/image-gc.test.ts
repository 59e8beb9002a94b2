import { describe, expect, it } from 'vitest';
import type { Image } from '../runtime/types.js';
import { ImageGCManager } from './image-gc.js';

function setup(images: { id: string; size: number }[], fs: { capacityBytes: number; availableBytes: number }) {
  const state = { now: 0, inUse: new Set<string>(), images: images.map((i): Image => ({ id: i.id, size: i.size, repoTags: [`img/${i.id}:1`], repoDigests: [] })), fs };
  const removed: string[] = [];
  const events: string[] = [];
  const gc = new ImageGCManager(
    { highThresholdPercent: 85, lowThresholdPercent: 80, minAgeMs: 60_000 },
    {
      now: () => state.now,
      listImages: async () => state.images,
      imagesInUse: async () => state.inUse,
      removeImage: async (id) => {
        removed.push(id);
        const img = state.images.find((i) => i.id === id)!;
        state.images = state.images.filter((i) => i.id !== id);
        state.fs.availableBytes += img.size;
      },
      imageFs: async () => ({ ...state.fs, inodes: 0, inodesFree: 0 }),
      nodeEvent: (_t, reason, message) => events.push(`${reason}: ${message}`),
    },
  );
  return { gc, state, removed, events };
}

describe('image garbage collection', () => {
  it('does nothing below the high threshold', async () => {
    const t = setup([{ id: 'a', size: 100 }], { capacityBytes: 1000, availableBytes: 200 }); // 80% used
    t.state.now = 0;
    await t.gc.garbageCollect();
    t.state.now = 120_000;
    await t.gc.garbageCollect();
    expect(t.removed).toEqual([]);
  });

  it('above it, removes unused images old enough, least recently used first, down to the low threshold', async () => {
    const t = setup([{ id: 'old-unused', size: 30 }, { id: 'used-earlier', size: 30 }, { id: 'in-use', size: 500 }, { id: 'never-used', size: 30 }], { capacityBytes: 1000, availableBytes: 500 });
    t.state.inUse = new Set(['in-use']);
    await t.gc.detectImages(0); // all first seen at 0
    t.state.inUse = new Set(['used-earlier', 'in-use']);
    t.state.now = 30_000;
    await t.gc.detectImages(t.state.now);
    t.state.inUse = new Set(['in-use']);
    t.state.images.push({ id: 'too-new', size: 500, repoTags: [], repoDigests: [] });
    t.state.now = 90_000;
    t.state.fs.availableBytes = 100; // 90% used: free down to 80%, i.e. 100 bytes
    await t.gc.garbageCollect();
    // Never used (lastUsed 0) before the one used at 30 s; in-use and too-new images are kept.
    expect(t.removed).toEqual(['old-unused', 'never-used', 'used-earlier']);
    expect(t.events).toEqual(['FreeDiskSpaceFailed: Failed to garbage collect required amount of images. Attempted to free 100 bytes, but only found 90 bytes eligible to free.']);
  });

  it('stops once enough is freed, and the eviction manager\'s reclaim takes every unused image', async () => {
    const t = setup([{ id: 'a', size: 200 }, { id: 'b', size: 200 }, { id: 'c', size: 10 }], { capacityBytes: 1000, availableBytes: 100 });
    await t.gc.detectImages(0);
    t.state.now = 100_000;
    await t.gc.garbageCollect(); // 90% used: 100 bytes to free, one image does it
    expect(t.removed).toHaveLength(1);
    expect(t.events).toEqual([]);
    expect(await t.gc.deleteUnusedImages()).toBe(210);
    expect(t.removed.sort()).toEqual(['a', 'b', 'c']);
  });
});
