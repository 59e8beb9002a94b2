import { describe, expect, it } from 'vitest';
import { ttlSecondsOf, ttlStep } from './ttl.js';

describe('ttlStep (the TTL controller’s ttlBoundaries)', () => {
  it('is 0 s up to 100 nodes, 15 s above, and comes back only below 90 (the boundaries overlap)', () => {
    let step = 0;
    for (let n = 1; n <= 100; n++) step = ttlStep(step, n, 1);
    expect(ttlSecondsOf(step)).toBe(0);
    step = ttlStep(step, 101, 1);
    expect(ttlSecondsOf(step)).toBe(15);
    // down to 90 nodes keeps 15 s; 89 is back to 0
    for (let n = 100; n >= 90; n--) step = ttlStep(step, n, -1);
    expect(ttlSecondsOf(step)).toBe(15);
    expect(ttlSecondsOf(ttlStep(step, 89, -1))).toBe(0);
    expect(ttlSecondsOf(ttlStep(2, 1001, 1))).toBe(60);
    expect(ttlSecondsOf(ttlStep(4, 10001, 1))).toBe(600);
  });
});
