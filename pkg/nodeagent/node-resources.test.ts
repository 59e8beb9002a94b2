// The Node's capacity and allocatable, as quantities the kubelet would write.
import { statfsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nodeResources, type NodePressure } from './node-pressure.js';

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
});
