import { describe, expect, it } from 'vitest';
import { parseCronSchedule } from './cron-schedule.js';

const at = (s: string) => Date.parse(s);
const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString().replace('.000Z', 'Z'));
/** The first `n` activations after `from`. */
function runs(spec: string, from: string, n: number, zone?: string): (string | undefined)[] {
  const s = parseCronSchedule(spec, zone);
  const out: (string | undefined)[] = [];
  let t: number | undefined = at(from);
  for (let i = 0; i < n && t !== undefined; i++) {
    t = s.next(t);
    out.push(iso(t));
  }
  return out;
}

describe('cron schedules', () => {
  it('every minute: the next whole minute strictly after the time', () => {
    expect(runs('* * * * *', '2024-01-01T00:00:00Z', 2)).toEqual(['2024-01-01T00:01:00Z', '2024-01-01T00:02:00Z']);
    expect(runs('* * * * *', '2024-01-01T00:00:59.999Z', 1)).toEqual(['2024-01-01T00:01:00Z']);
  });

  it('*/15 9-17 * * MON-FRI: quarter hours in working hours on weekdays only', () => {
    // 2024-01-05 is a Friday.
    expect(runs('*/15 9-17 * * MON-FRI', '2024-01-05T17:40:00Z', 3)).toEqual(['2024-01-05T17:45:00Z', '2024-01-08T09:00:00Z', '2024-01-08T09:15:00Z']);
    expect(runs('*/15 9-17 * * mon-fri', '2024-01-06T12:00:00Z', 1)).toEqual(['2024-01-08T09:00:00Z']);
  });

  it('day of month and day of week are OR-ed when both are restricted, AND-ed when one is *', () => {
    // 13th of the month or any Friday: 2024-09-06 is a Friday, 2024-09-13 a Friday and the 13th.
    expect(runs('0 0 13 * 5', '2024-09-01T00:00:00Z', 3)).toEqual(['2024-09-06T00:00:00Z', '2024-09-13T00:00:00Z', '2024-09-20T00:00:00Z']);
    // Only the 13th (day of week *).
    expect(runs('0 0 13 * *', '2024-09-01T00:00:00Z', 2)).toEqual(['2024-09-13T00:00:00Z', '2024-10-13T00:00:00Z']);
    // */2 in day of week restricts (no star bit): OR with day of month 1.
    expect(runs('0 0 1 * */3', '2024-09-02T00:00:00Z', 2)).toEqual(['2024-09-04T00:00:00Z', '2024-09-07T00:00:00Z']);
  });

  it('descriptors, names, lists, N/step and ranges with steps', () => {
    expect(runs('@hourly', '2024-01-01T10:30:00Z', 1)).toEqual(['2024-01-01T11:00:00Z']);
    expect(runs('@daily', '2024-01-01T10:30:00Z', 1)).toEqual(['2024-01-02T00:00:00Z']);
    expect(runs('@weekly', '2024-01-01T10:30:00Z', 1)).toEqual(['2024-01-07T00:00:00Z']);
    expect(runs('@monthly', '2024-01-31T10:30:00Z', 1)).toEqual(['2024-02-01T00:00:00Z']);
    expect(runs('@yearly', '2024-06-01T00:00:00Z', 1)).toEqual(['2025-01-01T00:00:00Z']);
    expect(runs('0 12 * JAN,jul ?', '2024-02-01T00:00:00Z', 1)).toEqual(['2024-07-01T12:00:00Z']);
    expect(runs('5/20 * * * *', '2024-01-01T00:00:00Z', 3)).toEqual(['2024-01-01T00:05:00Z', '2024-01-01T00:25:00Z', '2024-01-01T00:45:00Z']);
    expect(runs('0 1-10/3 * * *', '2024-01-01T00:00:00Z', 4)).toEqual(['2024-01-01T01:00:00Z', '2024-01-01T04:00:00Z', '2024-01-01T07:00:00Z', '2024-01-01T10:00:00Z']);
    expect(runs('@every 90s', '2024-01-01T00:00:00.500Z', 1)).toEqual(['2024-01-01T00:01:30Z']);
  });

  it('29 February comes every four years; an impossible date never', () => {
    expect(runs('0 0 29 2 *', '2024-03-01T00:00:00Z', 1)).toEqual(['2028-02-29T00:00:00Z']);
    expect(runs('0 0 30 2 *', '2024-01-01T00:00:00Z', 1)).toEqual([undefined]);
  });

  it('time zones: wall-clock times in the zone, CRON_TZ= prefix, a DST gap skipped', () => {
    expect(runs('0 9 * * *', '2024-01-01T00:00:00Z', 1, 'Asia/Tokyo')).toEqual(['2024-01-02T00:00:00Z']);
    expect(runs('CRON_TZ=America/New_York 0 9 * * *', '2024-07-01T00:00:00Z', 1)).toEqual(['2024-07-01T13:00:00Z']);
    // 2024-03-31 02:30 does not exist in Berlin (clocks go 02:00 -> 03:00).
    expect(runs('30 2 * * *', '2024-03-30T12:00:00Z', 2, 'Europe/Berlin')).toEqual(['2024-04-01T00:30:00Z', '2024-04-02T00:30:00Z']);
  });

  it('rejects bad schedules with robfig/cron messages', () => {
    const err = (s: string) => {
      try {
        parseCronSchedule(s);
        return 'parsed';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(err('foo')).toBe('expected exactly 5 fields, found 1: [foo]');
    expect(err('* * * *')).toBe('expected exactly 5 fields, found 4: [* * * *]');
    expect(err('')).toBe('empty spec string');
    expect(err('@fortnightly')).toBe('unrecognized descriptor: @fortnightly');
    expect(err('60 * * * *')).toBe('end of range (60) above maximum (59): 60');
    expect(err('* * 0 * *')).toBe('beginning of range (0) below minimum (1): 0');
    expect(err('* * * * 7')).toBe('end of range (7) above maximum (6): 7');
    expect(err('5-1 * * * *')).toBe('beginning of range (5) beyond end of range (1): 5-1');
    expect(err('*/0 * * * *')).toBe('step of range should be a positive number: */0');
    expect(err('1-2-3 * * * *')).toBe('too many hyphens: 1-2-3');
    expect(err('x * * * *')).toBe('failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax');
    expect(err('* * * FOO *')).toBe('failed to parse int from FOO: strconv.Atoi: parsing "FOO": invalid syntax');
    expect(err('CRON_TZ=Mars/Olympus * * * * *')).toBe('provided bad location Mars/Olympus: unknown time zone Mars/Olympus');
  });
});
