// Borrowing of seats between priority levels, as kube-apiserver 1.32's APF controller does it
// (staging/src/k8s.io/apiserver/pkg/util/flowcontrol/apf_controller.go updateBorrowingLocked,
// finishQueueSetReconfigsLocked and seatDemandStats; conc_alloc.go computeConcurrencyAllocation;
// fairqueuing/integrator.go): each level's seat demand (seats executing plus seats waiting) is
// integrated over time; every 10 s its high watermark, average and deviation update a smoothed
// demand, and the server's nominal seats are shared out again: each level gets a fair fraction of
// its target (its smoothed demand, at least its floor), kept between its floor (its nominal seats
// less what it lends, or its recent high watermark if that is below its nominal seats but above
// the lending floor) and its ceiling (its nominal seats plus what it may borrow).

/** borrowingAdjustmentPeriod. */
export const BORROWING_ADJUSTMENT_MS = 10_000;
/** seatDemandSmoothingCoefficient: a half-life of 5 minutes at one adjustment per 10 s. */
const SMOOTHING = 0.977;
/** conc_alloc.go's MinTarget and epsilon. */
const MIN_TARGET = 0.001;
const EPSILON = 0.0000001;

/** A level's nominal seats, its floor and its ceiling (finishQueueSetReconfigsLocked). */
export interface LevelBounds {
  nominalCL: number;
  /** nominalCL less what it lends (lendablePercent). */
  minCL: number;
  /** nominalCL plus what it may borrow (borrowingLimitPercent; unset: the server's seats). */
  maxCL: number;
  /** Its limit before any demand is known: nominal less half of what it lends. */
  initialCL: number;
}

export function levelBounds(nominalCL: number, lendablePercent: number | undefined, borrowingLimitPercent: number | undefined, serverCL: number): LevelBounds {
  const lendable = lendablePercent !== undefined ? goRound((nominalCL * lendablePercent) / 100) : 0;
  const borrowing = borrowingLimitPercent !== undefined ? goRound((nominalCL * borrowingLimitPercent) / 100) : serverCL;
  return { nominalCL, minCL: nominalCL - lendable, maxCL: nominalCL + borrowing, initialCL: nominalCL - Math.trunc(lendable / 2) };
}

/** Go's math.Round: halves away from zero. */
function goRound(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

/** What an integration period gives (fairqueuing.IntegratorResults). */
export interface DemandResults {
  seconds: number;
  average: number;
  deviation: number;
  max: number;
}

/** A level's seat demand, integrated over time (fairqueuing's integrator): set at each change. */
export class SeatDemand {
  private x = 0;
  private since: number;
  private elapsed = 0;
  private sum = 0;
  private sumSquares = 0;
  private max = 0;
  constructor(private readonly now: () => number) {
    this.since = now();
  }

  set(x: number): void {
    this.advance();
    this.x = x;
    if (x > this.max) this.max = x;
  }

  add(delta: number): void {
    this.set(this.x + delta);
  }

  /** The period's results; the next period starts now, from the current demand. */
  reset(): DemandResults {
    this.advance();
    const average = this.elapsed > 0 ? this.sum / this.elapsed : NaN;
    const variance = this.elapsed > 0 ? this.sumSquares / this.elapsed - average * average : NaN;
    const out = { seconds: this.elapsed, average, deviation: variance > 0 ? Math.sqrt(variance) : variance === 0 ? 0 : NaN, max: this.max };
    this.elapsed = this.sum = this.sumSquares = 0;
    this.max = this.x;
    return out;
  }

  private advance(): void {
    const now = this.now();
    const dt = (now - this.since) / 1000;
    this.since = now;
    if (dt <= 0) return;
    this.elapsed += dt;
    this.sum += this.x * dt;
    this.sumSquares += this.x * this.x * dt;
  }
}

/** seatDemandStats: the last period's figures and the smoothed demand (max of the envelope and its decayed past). */
export class DemandStats {
  highWatermark = 0;
  average = 0;
  deviation = 0;
  smoothed = 0;

  update(r: DemandResults): void {
    this.highWatermark = r.max;
    if (r.seconds <= 0) return;
    this.average = r.average;
    this.deviation = Number.isNaN(r.deviation) ? 0 : r.deviation;
    const envelope = this.average + this.deviation;
    this.smoothed = Math.max(envelope, SMOOTHING * this.smoothed + (1 - SMOOTHING) * envelope);
  }
}

/** One level in the allocation problem (allocProblemItem). */
export interface AllocItem {
  target: number;
  lowerBound: number;
  upperBound: number;
}

/**
 * computeConcurrencyAllocation: the allocations, summing to `requiredSum`, each `fairFrac` times
 * its target (a target below 0.001 counts as 0.001) unless that is outside its bounds, when it is
 * the bound; and that fairFrac. Throws when the bounds cannot sum to requiredSum.
 */
export function allocateSeats(requiredSum: number, items: readonly AllocItem[]): { allocs: number[]; fairFrac: number } {
  if (requiredSum < 0) throw new Error('negative sums are not supported');
  let lowSum = 0;
  let highSum = 0;
  let targetSum = 0;
  const targets = items.map((it, i) => {
    if (it.lowerBound < 0) throw new Error(`lower bound ${i} is ${it.lowerBound} but negative lower bounds are not allowed`);
    if (it.target < it.lowerBound) throw new Error(`target ${i} is ${it.target}, which is below its lower bound of ${it.lowerBound}`);
    if (it.upperBound < it.lowerBound) throw new Error(`upper bound ${i} is ${it.upperBound} but should not be less than the lower bound ${it.lowerBound}`);
    lowSum += it.lowerBound;
    highSum += it.upperBound;
    const t = Math.max(it.target, MIN_TARGET);
    targetSum += t;
    return t;
  });
  if (lowSum - requiredSum > EPSILON) throw new Error(`lower bounds sum to ${lowSum}, which is higher than the required sum of ${requiredSum}`);
  if (requiredSum - highSum > EPSILON) throw new Error(`upper bounds sum to ${highSum}, which is lower than the required sum of ${requiredSum}`);
  const rel = (i: number, bound: number) => bound / targets[i]!;
  if (requiredSum === 0) return { allocs: items.map(() => 0), fairFrac: 0 };
  if (lowSum - requiredSum > -EPSILON) return { allocs: items.map((it) => it.lowerBound), fairFrac: Math.min(...items.map((it, i) => rel(i, it.lowerBound))) };
  if (requiredSum - highSum > -EPSILON) return { allocs: items.map((it) => it.upperBound), fairFrac: Math.max(...items.map((it, i) => rel(i, it.upperBound))) };
  // The allocations' sum grows with fairFrac, piecewise linearly between the bounds' ratios to
  // their targets: find the piece where it reaches requiredSum.
  const sumAt = (f: number) => items.reduce((s, it, i) => s + Math.max(it.lowerBound, Math.min(it.upperBound, f * targets[i]!)), 0);
  const points = [...new Set(items.flatMap((it, i) => [rel(i, it.lowerBound), rel(i, it.upperBound)]))].sort((a, b) => a - b);
  let fairFrac = requiredSum / targetSum;
  for (let k = 0; k + 1 < points.length; k++) {
    const [a, b] = [points[k]!, points[k + 1]!];
    const [sa, sb] = [sumAt(a), sumAt(b)];
    if (sa <= requiredSum && requiredSum <= sb) {
      fairFrac = sb === sa ? a : a + ((requiredSum - sa) * (b - a)) / (sb - sa);
      break;
    }
  }
  return { allocs: items.map((it, i) => Math.max(it.lowerBound, Math.min(it.upperBound, fairFrac * targets[i]!))), fairFrac };
}
