import { afterEach, describe, expect, it, vi } from 'vitest';
import { rfc3339, rfc3339Now } from './time.js';

describe('Kubernetes timestamps', () => {
  afterEach(() => vi.useRealTimers());

  it('formats at second precision in UTC', () => {
    expect(rfc3339(Date.UTC(2026, 10, 30, 8, 48, 37, 912))).toBe('2026-11-30T08:48:37Z');
  });

  it('follows the clock across seconds', () => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.UTC(2026, 10, 30, 8, 48, 37, 999));
    expect(rfc3339Now()).toBe('2026-11-30T08:48:37Z');
    vi.setSystemTime(Date.UTC(2026, 10, 30, 8, 48, 38, 0));
    expect(rfc3339Now()).toBe('2026-11-30T08:48:38Z');
    vi.setSystemTime(Date.UTC(2026, 10, 30, 8, 48, 37, 500)); // a clock stepped back
    expect(rfc3339Now()).toBe('2026-11-30T08:48:37Z');
  });
});
