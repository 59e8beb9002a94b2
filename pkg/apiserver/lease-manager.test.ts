import { describe, expect, it } from 'vitest';
import { LeaseManager } from './lease-manager.js';
import type { Storage } from './storage.js';

function fakeStorage() {
  const grants: number[] = [];
  // Grants hang until open() (to catch callers that do not share one in flight).
  let opened = false;
  let release: (() => void) | undefined;
  const storage = {
    grantLease: async (ttl: number) => {
      grants.push(ttl);
      if (!opened) await new Promise<void>((r) => (release = r));
      return `lease-${grants.length}`;
    },
  } as unknown as Storage;
  const open = () => {
    opened = true;
    release?.();
  };
  return { storage, grants, open };
}

describe('LeaseManager', () => {
  it('shares one lease within the reuse window (5% of the TTL) and grants TTL plus that window', async () => {
    let now = 1_000_000;
    const f = fakeStorage();
    const m = new LeaseManager(f.storage, () => now);
    // Concurrent writes while the first grant is in flight share it.
    const pending = [m.leaseFor(3600), m.leaseFor(3600), m.leaseFor(3600)];
    f.open();
    expect(await Promise.all(pending)).toEqual(['lease-1', 'lease-1', 'lease-1']);
    expect(f.grants).toEqual([3600 + 180]);
    now += 179_000;
    expect(await m.leaseFor(3600)).toBe('lease-1');
    now += 2000;
    expect(await m.leaseFor(3600)).toBe('lease-2');
    expect(f.grants).toEqual([3780, 3780]);
  });

  it('a short TTL still gets a reuse window of a second', async () => {
    const f = fakeStorage();
    f.open();
    const m = new LeaseManager(f.storage, () => 0);
    await m.leaseFor(2);
    expect(f.grants).toEqual([3]);
  });
});
