// Eviction thresholds as the kubelet's flags give them (--eviction-hard, --eviction-soft,
// --eviction-soft-grace-period, --eviction-minimum-reclaim) and the image GC settings, parsed
// with errors that name the flag. As in Kubernetes 1.32, a flag that is given replaces the whole
// default set: signals it leaves out have no threshold.
import { parseQuantity, QuantityError } from '../api/quantity.js';

export type Signal = 'memory.available' | 'nodefs.available' | 'nodefs.inodesFree' | 'imagefs.available' | 'imagefs.inodesFree' | 'pid.available';
export const SIGNALS: readonly Signal[] = ['memory.available', 'nodefs.available', 'nodefs.inodesFree', 'imagefs.available', 'imagefs.inodesFree', 'pid.available'];

/** A threshold's value: an absolute quantity (bytes, inodes, PIDs) or a fraction of capacity (0..1). */
export type ThresholdValue = { quantity: number; text: string } | { percentage: number; text: string };

export interface Threshold {
  signal: Signal;
  /** The kubelet supports only "LessThan". */
  value: ThresholdValue;
  /** 0 for a hard threshold; a soft one holds this long before it counts. */
  gracePeriodMs: number;
  /** How much beyond the threshold a reclaim must free (--eviction-minimum-reclaim). */
  minReclaim?: ThresholdValue;
}

export const DEFAULT_EVICTION_HARD = 'memory.available<100Mi,nodefs.available<10%,imagefs.available<15%,nodefs.inodesFree<5%';

export class ThresholdError extends Error {}

const isSignal = (s: string): s is Signal => (SIGNALS as readonly string[]).includes(s);

/** `10%`, `100Mi`, `1000`: a ThresholdValue; errors name the flag and the signal. */
function parseValue(flag: string, signal: string, text: string): ThresholdValue {
  const t = text.trim();
  if (t.endsWith('%')) {
    const n = Number(t.slice(0, -1));
    if (t.length === 1 || !Number.isFinite(n)) throw new ThresholdError(`invalid value "${t}" for ${signal} in --${flag}: not a percentage`);
    if (n <= 0 || n > 100) throw new ThresholdError(`invalid value "${t}" for ${signal} in --${flag}: eviction percentage threshold ${signal} must be positive and at most 100%`);
    return { percentage: n / 100, text: t };
  }
  let q: number;
  try {
    q = parseQuantity(t);
  } catch (e) {
    if (e instanceof QuantityError || e instanceof Error) throw new ThresholdError(`invalid value "${t}" for ${signal} in --${flag}: not a quantity (e.g. 100Mi) or a percentage (e.g. 10%)`);
    throw e;
  }
  if (q < 0) throw new ThresholdError(`invalid value "${t}" for ${signal} in --${flag}: eviction threshold ${signal} must be positive`);
  return { quantity: q, text: t };
}

/** `a<b,c<d` (or the list the flag parser split on commas): a map from signal to the text after the operator. */
function parseMap(flag: string, items: string[] | string, sep: '<' | '='): Map<Signal, string> {
  const list = (Array.isArray(items) ? items : items.split(',')).map((s) => s.trim()).filter(Boolean);
  const out = new Map<Signal, string>();
  for (const item of list) {
    const i = item.indexOf(sep);
    if (i <= 0) {
      const other = sep === '<' ? /[>=]/.exec(item) : null;
      throw new ThresholdError(other ? `invalid --${flag} "${item}": unsupported operator "${other[0]}", only "<" is supported` : `invalid --${flag} "${item}": want SIGNAL${sep}VALUE`);
    }
    const name = item.slice(0, i).trim();
    if (!isSignal(name)) throw new ThresholdError(`invalid --${flag} "${item}": unsupported eviction signal "${name}" (supported: ${SIGNALS.join(', ')})`);
    if (out.has(name)) throw new ThresholdError(`invalid --${flag}: duplicate eviction threshold for signal ${name}`);
    out.set(name, item.slice(i + 1).trim());
  }
  return out;
}

/** Go's time.ParseDuration for the forms flags use: `5m`, `30s`, `1m30s`, `500ms`, `1h`. */
export function parseDuration(flag: string, text: string): number {
  const t = text.trim();
  if (t === '0') return 0;
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let ms = 0;
  let pos = 0;
  while (pos < t.length) {
    re.lastIndex = pos;
    const m = re.exec(t);
    if (!m) throw new ThresholdError(`invalid --${flag} "${text}": not a duration (e.g. 30s, 5m, 1m30s)`);
    ms += Number(m[1]) * units[m[2]!]!;
    pos = re.lastIndex;
  }
  if (!t) throw new ThresholdError(`invalid --${flag} "${text}": not a duration (e.g. 30s, 5m, 1m30s)`);
  return Math.round(ms);
}

export interface EvictionFlags {
  evictionHard: string[] | string;
  evictionSoft: string[] | string;
  evictionSoftGracePeriod: string[] | string;
  evictionMinimumReclaim: string[] | string;
}

/** The kubelet's ParseThresholdConfig: hard and soft thresholds, soft grace periods, minimum reclaims. */
export function parseThresholds(f: EvictionFlags): Threshold[] {
  const hard = parseMap('eviction-hard', f.evictionHard, '<');
  const soft = parseMap('eviction-soft', f.evictionSoft, '<');
  const grace = parseMap('eviction-soft-grace-period', f.evictionSoftGracePeriod, '=');
  const reclaim = parseMap('eviction-minimum-reclaim', f.evictionMinimumReclaim, '=');
  const minReclaim = new Map([...reclaim].map(([s, v]) => [s, parseValue('eviction-minimum-reclaim', s, v)] as const));
  const out: Threshold[] = [];
  for (const [signal, v] of hard) out.push({ signal, value: parseValue('eviction-hard', signal, v), gracePeriodMs: 0, minReclaim: minReclaim.get(signal) });
  for (const [signal, v] of soft) {
    const g = grace.get(signal);
    if (g === undefined) throw new ThresholdError(`invalid --eviction-soft: grace period must be specified for the soft eviction threshold ${signal} (--eviction-soft-grace-period=${signal}=DURATION)`);
    const ms = parseDuration('eviction-soft-grace-period', g);
    if (ms <= 0) throw new ThresholdError(`invalid --eviction-soft-grace-period "${signal}=${g}": must be positive`);
    out.push({ signal, value: parseValue('eviction-soft', signal, v), gracePeriodMs: ms, minReclaim: minReclaim.get(signal) });
  }
  for (const s of grace.keys()) if (!soft.has(s)) throw new ThresholdError(`invalid --eviction-soft-grace-period: no soft eviction threshold for signal ${s}`);
  return out;
}

/**
 * The threshold in absolute units given the signal's capacity, as GetThresholdQuantity works it
 * out: the percentage is a float32 (ThresholdValue.Percentage), the product truncated to int64.
 */
export function thresholdQuantity(v: ThresholdValue, capacity: number): number {
  return 'percentage' in v ? Math.trunc(capacity * Math.fround(v.percentage)) : v.quantity;
}

export interface ImageGCPolicy {
  highThresholdPercent: number;
  lowThresholdPercent: number;
  minAgeMs: number;
}

/** --image-gc-high-threshold / --image-gc-low-threshold / --image-minimum-gc-age, checked as the kubelet's config validation does. */
export function parseImageGCPolicy(high: number, low: number, minAge: string): ImageGCPolicy {
  if (!Number.isInteger(high) || high < 0 || high > 100) throw new ThresholdError(`invalid --image-gc-high-threshold ${high}: must be between 0 and 100`);
  if (!Number.isInteger(low) || low < 0 || low > 100) throw new ThresholdError(`invalid --image-gc-low-threshold ${low}: must be between 0 and 100`);
  if (low > high) throw new ThresholdError(`invalid --image-gc-low-threshold ${low}: must be less than or equal to --image-gc-high-threshold ${high}`);
  return { highThresholdPercent: high, lowThresholdPercent: low, minAgeMs: parseDuration('image-minimum-gc-age', minAge) };
}

/** The agent's eviction and image GC settings, as the kubelet's flags spell them. */
export interface EvictionSettings extends EvictionFlags {
  /** --eviction-pressure-transition-period (default 5m). */
  pressureTransitionPeriod: string;
  /** --eviction-max-pod-grace-period (0: a soft eviction uses the pod's own grace period). */
  maxPodGracePeriodSec: number;
  /** How often the signals are observed (the kubelet's 10 s). */
  monitoringIntervalMs: number;
  imageGCHighThresholdPercent: number;
  imageGCLowThresholdPercent: number;
  /** --image-minimum-gc-age (default 2m). */
  imageMinimumGCAge: string;
  /** How often image GC runs (the kubelet's 5 min). */
  imageGCPeriodMs: number;
  /** How often container GC runs (the kubelet's ContainerGCPeriod, a minute). */
  containerGCPeriodMs: number;
}

export const defaultEvictionSettings = (): EvictionSettings => ({
  evictionHard: DEFAULT_EVICTION_HARD,
  evictionSoft: [],
  evictionSoftGracePeriod: [],
  evictionMinimumReclaim: [],
  pressureTransitionPeriod: '5m',
  maxPodGracePeriodSec: 0,
  monitoringIntervalMs: 10_000,
  imageGCHighThresholdPercent: 85,
  imageGCLowThresholdPercent: 80,
  imageMinimumGCAge: '2m',
  imageGCPeriodMs: 300_000,
  containerGCPeriodMs: 60_000,
});

/** Every setting checked; throws ThresholdError naming the flag. */
export function parseEvictionSettings(s: EvictionSettings): { thresholds: Threshold[]; pressureTransitionPeriodMs: number; imageGC: ImageGCPolicy } {
  if (!Number.isInteger(s.maxPodGracePeriodSec) || s.maxPodGracePeriodSec < 0) throw new ThresholdError(`invalid --eviction-max-pod-grace-period ${s.maxPodGracePeriodSec}: must be a whole number of seconds, 0 or more`);
  return {
    thresholds: parseThresholds(s),
    pressureTransitionPeriodMs: parseDuration('eviction-pressure-transition-period', s.pressureTransitionPeriod),
    imageGC: parseImageGCPolicy(s.imageGCHighThresholdPercent, s.imageGCLowThresholdPercent, s.imageMinimumGCAge),
  };
}
