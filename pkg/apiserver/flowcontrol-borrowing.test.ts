import { describe, expect, it } from 'vitest';
import { allocateSeats, DemandStats, levelBounds, SeatDemand } from './flowcontrol-borrowing.js';

describe('allocateSeats (computeConcurrencyAllocation)', () => {
  it('gives each its target times the fair fraction when no bound is met', () => {
    expect(allocateSeats(80, [{ target: 10, lowerBound: 0, upperBound: 100 }, { target: 30, lowerBound: 0, upperBound: 100 }])).toEqual({ allocs: [20, 60], fairFrac: 2 });
  });

  it('holds a level at its bound when the fair fraction would pass it, and shares the rest', () => {
    const upper = allocateSeats(80, [{ target: 10, lowerBound: 10, upperBound: 15 }, { target: 30, lowerBound: 5, upperBound: 100 }]);
    expect(upper.allocs.map((a) => Math.round(a * 1e9) / 1e9)).toEqual([15, 65]);
    expect(upper.fairFrac).toBeCloseTo(65 / 30, 9);
    // (a fair fraction of 0.5 would give the first 10, below its floor of 20)
    const lower = allocateSeats(40, [{ target: 20, lowerBound: 20, upperBound: 50 }, { target: 40, lowerBound: 0, upperBound: 100 }]);
    expect(lower.allocs.map((a) => Math.round(a * 1e9) / 1e9)).toEqual([20, 20]);
    expect(lower.fairFrac).toBeCloseTo(0.5, 9);
    // (a target of 0 counts as 0.001)
    const idle = allocateSeats(10, [{ target: 0, lowerBound: 0, upperBound: 600 }, { target: 5, lowerBound: 5, upperBound: 600 }]);
    expect(idle.allocs[0]).toBeCloseTo(0.002, 3);
    expect(idle.allocs[1]).toBeCloseTo(9.998, 3);
  });

  it('gives the bounds when they leave no room, and refuses bounds that cannot sum to the seats', () => {
    expect(allocateSeats(30, [{ target: 10, lowerBound: 10, upperBound: 20 }, { target: 20, lowerBound: 20, upperBound: 30 }]).allocs).toEqual([10, 20]);
    expect(allocateSeats(50, [{ target: 10, lowerBound: 10, upperBound: 20 }, { target: 20, lowerBound: 20, upperBound: 30 }]).allocs).toEqual([20, 30]);
    expect(() => allocateSeats(20, [{ target: 10, lowerBound: 10, upperBound: 20 }, { target: 20, lowerBound: 20, upperBound: 30 }])).toThrow('lower bounds sum to 30, which is higher than the required sum of 20');
    expect(() => allocateSeats(60, [{ target: 10, lowerBound: 10, upperBound: 20 }, { target: 20, lowerBound: 20, upperBound: 30 }])).toThrow('upper bounds sum to 50, which is lower than the required sum of 60');
  });
});

describe('a level\'s bounds (finishQueueSetReconfigsLocked)', () => {
  it('lends lendablePercent of its nominal seats, rounded half away from zero, and borrows borrowingLimitPercent (unset: the server\'s seats)', () => {
    expect(levelBounds(49, 50, undefined, 600)).toEqual({ nominalCL: 49, minCL: 24, maxCL: 649, initialCL: 37 });
    expect(levelBounds(245, 90, undefined, 600)).toEqual({ nominalCL: 245, minCL: 24, maxCL: 845, initialCL: 135 });
    expect(levelBounds(13, 0, undefined, 600)).toEqual({ nominalCL: 13, minCL: 13, maxCL: 613, initialCL: 13 });
    expect(levelBounds(3, undefined, 0, 600)).toEqual({ nominalCL: 3, minCL: 3, maxCL: 3, initialCL: 3 });
    expect(levelBounds(40, 25, 50, 600)).toEqual({ nominalCL: 40, minCL: 30, maxCL: 60, initialCL: 35 });
  });
});

describe('seat demand (the integrator and seatDemandStats)', () => {
  it('integrates the demand over time: its average, deviation and high watermark; the next period starts from the demand then', () => {
    let t = 0;
    const d = new SeatDemand(() => t);
    d.set(2);
    t = 1000;
    d.set(4);
    t = 2000;
    expect(d.reset()).toEqual({ seconds: 2, average: 3, deviation: 1, max: 4 });
    t = 3000;
    expect(d.reset()).toEqual({ seconds: 1, average: 4, deviation: 0, max: 4 });
  });

  it('smooths the envelope (average plus deviation), decaying with a half-life of 30 periods', () => {
    const s = new DemandStats();
    s.update({ seconds: 10, average: 40, deviation: 10, max: 60 });
    expect([s.highWatermark, s.smoothed]).toEqual([60, 50]);
    s.update({ seconds: 10, average: 0, deviation: 0, max: 0 });
    expect(s.smoothed).toBeCloseTo(50 * 0.977, 9);
    for (let i = 0; i < 29; i++) s.update({ seconds: 10, average: 0, deviation: 0, max: 0 });
    expect(s.smoothed).toBeGreaterThan(24);
    expect(s.smoothed).toBeLessThan(26);
  });
});
