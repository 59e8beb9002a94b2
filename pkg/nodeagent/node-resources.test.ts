// The Node's capacity and allocatable, as quantities the kubelet would write.
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hugePagePools, nodeResources, type NodePressure } from './node-pressure.js';

describe('nodeResources', () => {
  it('writes allocatable as a BinarySI quantity: Ki when it divides, else plain bytes (243497856212)', () => {
    const s = statfsSync('/tmp');
    const storage = s.blocks * s.bsize;
    // a reservation that leaves allocatable one byte short of a whole Ki
    const pressure = { eviction: { hardThreshold: (signal: string, total: number) => (signal === 'nodefs.available' ? (total % 1024) + 1 : 100 * 1024 * 1024) } } as unknown as NodePressure;
    const r = nodeResources(8 * 1024 ** 3, '/tmp', pressure);
    expect(r.allocatable['ephemeral-storage']).toBe(String(storage - (storage % 1024) - 1));
    // 8Gi less 100Mi is 8092Mi; capacity 8Gi
    expect(r.capacity.memory).toBe('8Gi');
    expect(r.allocatable.memory).toBe('8092Mi');
  });

  it('lists each huge page size the kernel offers, 0 when none are reserved, and leaves reserved pages out of allocatable memory', () => {
    const sys = mkdtempSync(join(tmpdir(), 'hugepages-'));
    try {
      for (const [dir, n] of [['hugepages-2048kB', '3'], ['hugepages-1048576kB', '0']] as const) {
        mkdirSync(join(sys, dir));
        writeFileSync(join(sys, dir, 'nr_hugepages'), `${n}\n`);
      }
      const pools = hugePagePools(sys);
      expect(pools.sort((a, b) => a.pageSize - b.pageSize)).toEqual([{ pageSize: 2 << 20, total: 6 << 20 }, { pageSize: 1 << 30, total: 0 }]);
      const r = nodeResources(8 * 1024 ** 3, '/tmp', undefined, pools);
      expect(r.capacity).toMatchObject({ 'hugepages-2Mi': '6Mi', 'hugepages-1Gi': '0', memory: '8Gi' });
      expect(r.allocatable).toMatchObject({ 'hugepages-2Mi': '6Mi', 'hugepages-1Gi': '0', memory: '8186Mi' });
      expect(hugePagePools(join(sys, 'none'))).toEqual([]);
    } finally {
      rmSync(sys, { recursive: true, force: true });
    }
  });
});
