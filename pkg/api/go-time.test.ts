import { describe, expect, it } from 'vitest';
import { goTimeJson, goTimeParseError, RFC3339, RFC3339_MICRO } from './go-time.js';

describe("goTimeParseError: time.Parse's verdict on the API's two layouts", () => {
  it('accepts what Go accepts', () => {
    for (const v of ['2026-01-02T03:04:05Z', '2026-01-02T03:04:05+01:00', '2026-01-02T03:04:05.123Z', '2024-02-29T00:00:00Z', '2026-01-02T3:04:05Z', '2026-01-02T03:04:05-24:00']) {
      expect([v, goTimeParseError(v, RFC3339)]).toEqual([v, undefined]);
    }
    for (const v of ['2026-01-02T03:04:05.123456Z', '2026-01-02T03:04:05,123456+02:00']) expect([v, goTimeParseError(v, RFC3339_MICRO)]).toEqual([v, undefined]);
  });
  it("words a failure as time.ParseError does: the element of the value left, and the layout's", () => {
    const cases: [string, string, string][] = [
      ['yesterday', RFC3339, 'parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"'],
      ['2026-01-02', RFC3339, 'parsing time "2026-01-02" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "T"'],
      ['2026-01-02 03:04:05Z', RFC3339, 'parsing time "2026-01-02 03:04:05Z" as "2006-01-02T15:04:05Z07:00": cannot parse " 03:04:05Z" as "T"'],
      ['2026-1-02T03:04:05Z', RFC3339, 'parsing time "2026-1-02T03:04:05Z" as "2006-01-02T15:04:05Z07:00": cannot parse "1-02T03:04:05Z" as "01"'],
      ['2026-01-02T03:04:05', RFC3339, 'parsing time "2026-01-02T03:04:05" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "Z07:00"'],
      ['2026-01-02T03:04:05+0100', RFC3339, 'parsing time "2026-01-02T03:04:05+0100" as "2006-01-02T15:04:05Z07:00": cannot parse "+0100" as "Z07:00"'],
      ['2026-13-02T03:04:05Z', RFC3339, 'parsing time "2026-13-02T03:04:05Z": month out of range'],
      ['2026-02-30T03:04:05Z', RFC3339, 'parsing time "2026-02-30T03:04:05Z": day out of range'],
      ['2026-01-02T24:04:05Z', RFC3339, 'parsing time "2026-01-02T24:04:05Z": hour out of range'],
      ['2026-01-02T03:04:05Zjunk', RFC3339, 'parsing time "2026-01-02T03:04:05Zjunk": extra text: "junk"'],
      ['2026-01-02T03:04:05+25:00', RFC3339, 'parsing time "2026-01-02T03:04:05+25:00": time zone offset hour out of range'],
      ['2026-01-02T03:04:05Z', RFC3339_MICRO, 'parsing time "2026-01-02T03:04:05Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "Z" as ".000000"'],
      ['2026-01-02T03:04:05.123Z', RFC3339_MICRO, 'parsing time "2026-01-02T03:04:05.123Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse ".123Z" as ".000000"'],
      ['zeit\u00e9', RFC3339, 'parsing time "zeit\\xc3\\xa9" as "2006-01-02T15:04:05Z07:00": cannot parse "zeit\\xc3\\xa9" as "2006"'],
    ];
    for (const [v, layout, why] of cases) expect([v, goTimeParseError(v, layout)]).toEqual([v, why]);
  });
});

describe('goTimeJson: a stamp as metav1.Time and MicroTime write it back', () => {
  it('writes a Time in UTC with whole seconds: the offset applied, a fraction cut', () => {
    expect(goTimeJson('2026-12-03T19:00:00+01:00', false)).toBe('2026-12-03T18:00:00Z');
    expect(goTimeJson('2026-12-03T18:00:00.999Z', false)).toBe('2026-12-03T18:00:00Z');
    expect(goTimeJson('2026-12-31T23:30:05,5-05:30', false)).toBe('2027-01-01T05:00:05Z');
    expect(goTimeJson('2026-12-03T18:00:00Z', false)).toBe('2026-12-03T18:00:00Z');
    expect(goTimeJson('0001-01-01T00:00:00Z', false)).toBe('0001-01-01T00:00:00Z');
  });

  it('writes a MicroTime in UTC with six fractional digits', () => {
    expect(goTimeJson('2026-12-03T19:00:00.123456+01:00', true)).toBe('2026-12-03T18:00:00.123456Z');
    expect(goTimeJson('2026-12-03T18:00:00,000001Z', true)).toBe('2026-12-03T18:00:00.000001Z');
    expect(goTimeJson('2026-12-03T18:00:00.000000Z', true)).toBe('2026-12-03T18:00:00.000000Z');
  });

  it('leaves what does not parse as it is', () => {
    expect(goTimeJson('yesterday', false)).toBe('yesterday');
    expect(goTimeJson('', true)).toBe('');
  });
});
