import { describe, expect, it } from 'vitest';
import { goDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it('reads Go durations and bare seconds', () => {
    expect(parseDuration('1h0m0s')).toBe(3_600_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('2m30s')).toBe(150_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('120')).toBe(120_000);
  });

  it('rejects what it cannot read, naming it', () => {
    for (const bad of ['', 'h', '1d', '10 s', '1h-5m', 'soon']) expect(() => parseDuration(bad)).toThrow(`invalid duration "${bad}"`);
  });
});

describe('goDuration', () => {
  it('prints as Go\'s time.Duration does', () => {
    expect(goDuration(0)).toBe('0s');
    expect(goDuration(512)).toBe('512ms');
    expect(goDuration(1234)).toBe('1.234s');
    expect(goDuration(2000)).toBe('2s');
    expect(goDuration(123_500)).toBe('2m3.5s');
    expect(goDuration(3_600_000)).toBe('1h0m0s');
  });
});
