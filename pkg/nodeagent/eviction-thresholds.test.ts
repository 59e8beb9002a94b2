import { describe, expect, it } from 'vitest';
import { DEFAULT_EVICTION_HARD, defaultEvictionSettings, parseDuration, parseEvictionSettings, parseImageGCPolicy, parseThresholds, thresholdQuantity } from './eviction-thresholds.js';

const none = { evictionSoft: [], evictionSoftGracePeriod: [], evictionMinimumReclaim: [] };

describe('eviction thresholds', () => {
  it('parses the kubelet defaults: quantities and percentages, all hard', () => {
    const ts = parseThresholds({ ...none, evictionHard: DEFAULT_EVICTION_HARD });
    expect(ts.map((t) => t.signal)).toEqual(['memory.available', 'nodefs.available', 'imagefs.available', 'nodefs.inodesFree']);
    expect(ts[0]!.value).toEqual({ quantity: 100 * 1024 * 1024, text: '100Mi' });
    expect(ts[1]!.value).toEqual({ percentage: 0.1, text: '10%' });
    expect(ts.every((t) => t.gracePeriodMs === 0)).toBe(true);
    expect(thresholdQuantity(ts[1]!.value, 1000)).toBe(100);
    expect(thresholdQuantity(ts[0]!.value, 1000)).toBe(100 * 1024 * 1024);
    // (GetThresholdQuantity: int64(float64(capacity) * float64(float32(0.1))), so a disk of 264212084Ki reserves 27055317804 bytes)
    expect(thresholdQuantity(ts[1]!.value, 264212084 * 1024)).toBe(27055317804);
  });

  it('a given --eviction-hard replaces the whole default set (Kubernetes 1.32)', () => {
    expect(parseThresholds({ ...none, evictionHard: ['memory.available<1Gi'] }).map((t) => t.signal)).toEqual(['memory.available']);
    expect(parseThresholds({ ...none, evictionHard: [] })).toEqual([]);
  });

  it('soft thresholds take their grace periods; minimum reclaim attaches to the signal', () => {
    const ts = parseThresholds({ evictionHard: ['memory.available<100Mi'], evictionSoft: ['memory.available<1Gi', 'nodefs.available<20%'], evictionSoftGracePeriod: ['memory.available=1m30s', 'nodefs.available=30s'], evictionMinimumReclaim: ['memory.available=200Mi'] });
    expect(ts.map((t) => [t.signal, t.gracePeriodMs])).toEqual([['memory.available', 0], ['memory.available', 90_000], ['nodefs.available', 30_000]]);
    expect(ts[1]!.minReclaim).toEqual({ quantity: 200 * 1024 * 1024, text: '200Mi' });
  });

  it('rejects bad input with errors naming the flag', () => {
    const hard = (v: string) => () => parseThresholds({ ...none, evictionHard: [v] });
    expect(hard('memory.available<abc')).toThrow('invalid value "abc" for memory.available in --eviction-hard');
    expect(hard('memory.used<1Gi')).toThrow('--eviction-hard "memory.used<1Gi": unsupported eviction signal "memory.used"');
    expect(hard('memory.available>1Gi')).toThrow('unsupported operator ">", only "<" is supported');
    expect(hard('memory.available<0%')).toThrow('must be positive');
    expect(hard('memory.available<150%')).toThrow('at most 100%');
    expect(hard('memory.available')).toThrow('--eviction-hard "memory.available": want SIGNAL<VALUE');
    expect(() => parseThresholds({ ...none, evictionHard: ['memory.available<1Gi', 'memory.available<2Gi'] })).toThrow('duplicate eviction threshold for signal memory.available');
    expect(() => parseThresholds({ ...none, evictionHard: [], evictionSoft: ['memory.available<1Gi'] })).toThrow('--eviction-soft: grace period must be specified for the soft eviction threshold memory.available');
    expect(() => parseThresholds({ ...none, evictionHard: [], evictionSoftGracePeriod: ['memory.available=1m'] })).toThrow('--eviction-soft-grace-period: no soft eviction threshold for signal memory.available');
    expect(() => parseThresholds({ ...none, evictionHard: [], evictionSoft: ['pid.available<100'], evictionSoftGracePeriod: ['pid.available=soon'] })).toThrow('--eviction-soft-grace-period "soon": not a duration');
  });

  it('parses Go durations', () => {
    expect(parseDuration('x', '5m')).toBe(300_000);
    expect(parseDuration('x', '1m30s')).toBe(90_000);
    expect(parseDuration('x', '500ms')).toBe(500);
    expect(parseDuration('x', '1.5h')).toBe(5_400_000);
    expect(parseDuration('x', '0')).toBe(0);
    expect(() => parseDuration('x', '')).toThrow('--x');
    expect(() => parseDuration('x', '5')).toThrow('not a duration');
  });

  it('checks the image GC thresholds as the kubelet does', () => {
    expect(parseImageGCPolicy(85, 80, '2m')).toEqual({ highThresholdPercent: 85, lowThresholdPercent: 80, minAgeMs: 120_000 });
    expect(() => parseImageGCPolicy(101, 80, '2m')).toThrow('--image-gc-high-threshold 101: must be between 0 and 100');
    expect(() => parseImageGCPolicy(70, 80, '2m')).toThrow('--image-gc-low-threshold 80: must be less than or equal to --image-gc-high-threshold 70');
    expect(() => parseImageGCPolicy(85, 80, 'old')).toThrow('--image-minimum-gc-age');
    const d = parseEvictionSettings(defaultEvictionSettings());
    expect(d.pressureTransitionPeriodMs).toBe(300_000);
    expect(d.thresholds).toHaveLength(4);
    expect(() => parseEvictionSettings({ ...defaultEvictionSettings(), pressureTransitionPeriod: 'x' })).toThrow('--eviction-pressure-transition-period');
  });
});
