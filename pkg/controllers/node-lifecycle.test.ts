import { describe, expect, it } from 'vitest';
import { evictionTime } from './node-lifecycle.js';

describe('evictionTime (the taint eviction controller)', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const taint = { key: 'maint', value: 'now', effect: 'NoExecute', timeAdded: '2026-01-01T00:00:00Z' };
  it('now without a toleration; never when tolerated for ever; after the seconds of the first matching toleration', () => {
    expect(evictionTime([taint], [], now)).toBe(0);
    expect(evictionTime([taint], [{ key: 'maint', operator: 'Exists', effect: 'NoExecute' }], now)).toBeUndefined();
    expect(evictionTime([taint], [{ key: 'maint', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }], now)).toBe(now + 30_000);
    // the first toleration that matches is the one used, even if a later one tolerates for ever
    expect(evictionTime([taint], [{ operator: 'Exists', tolerationSeconds: 5 }, { key: 'maint', operator: 'Exists' }], now)).toBe(now + 5000);
    // NoSchedule taints do not evict
    expect(evictionTime([{ ...taint, effect: 'NoSchedule' }], [], now)).toBeUndefined();
  });
});
