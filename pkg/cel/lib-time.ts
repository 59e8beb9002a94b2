// Timestamps and durations: RFC 3339 parsing and printing (as Go's time.RFC3339Nano), Go
// duration strings ("1h30m", "-1.5s", "300ms"), range checks (years 0001 to 9999, ±2^63 ns),
// arithmetic, and the accessors getFullYear ... getMilliseconds with an optional time zone
// ("UTC", a fixed offset such as "+05:30" or "-08:00", or an IANA name through Intl).
import { CelEvalError, noSuchOverload } from './errors.js';
import { CelDuration, CelTimestamp, INT64_MAX, INT64_MIN, type CelValue } from './values.js';

const NS = 1_000_000_000n;
const MIN_SECONDS = -62135596800n; // 0001-01-01T00:00:00Z
const MAX_SECONDS = 253402300799n; // 9999-12-31T23:59:59Z

export function checkTimestamp(ns: bigint): CelTimestamp {
  const s = floorDiv(ns, NS);
  if (s < MIN_SECONDS || s > MAX_SECONDS) throw new CelEvalError('timestamp out of range');
  return new CelTimestamp(ns);
}

export function checkDuration(ns: bigint): CelDuration {
  if (ns < INT64_MIN || ns > INT64_MAX) throw new CelEvalError('duration out of range');
  return new CelDuration(ns);
}

const floorDiv = (a: bigint, b: bigint) => (a >= 0n ? a / b : -((-a + b - 1n) / b));

export function parseTimestamp(s: string): CelTimestamp {
  const m = /^(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?([Zz]|([+-])(\d\d):(\d\d))$/.exec(s);
  if (!m) throw new CelEvalError(`timestamp parse error: cannot parse "${s}" as RFC 3339`);
  const [, y, mo, d, h, mi, sec, frac = '', , sign, oh, om] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
  const check = new Date(ms);
  if (Number.isNaN(ms) || check.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) throw new CelEvalError(`timestamp parse error: cannot parse "${s}" as RFC 3339`);
  let seconds = BigInt(Math.floor(ms / 1000));
  if (Number(y) < 100) seconds = BigInt(Math.floor(utcYearFix(Number(y), ms) / 1000));
  if (sign) seconds -= BigInt((sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om) * 60));
  return checkTimestamp(seconds * NS + BigInt(frac.padEnd(9, '0') || '0'));
}

/** Date.UTC maps years 0-99 to 1900-1999; put them back. */
function utcYearFix(year: number, ms: number): number {
  const d = new Date(ms);
  d.setUTCFullYear(year);
  return d.getTime();
}

/** A fixed UTC offset in seconds or an IANA zone name, from a CEL time zone argument. */
function zoneOffsetSeconds(zone: string, atMs: number): number {
  if (zone === 'UTC' || zone === 'Z' || zone === '') return 0;
  const m = /^([+-]?)(\d{1,2}):(\d\d)$/.exec(zone);
  if (m) return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60);
  try {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(new Date(atMs));
    const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
    const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
    return Math.round((local - Math.floor(atMs / 1000) * 1000) / 1000);
  } catch {
    throw new CelEvalError(`unknown time zone: ${zone}`);
  }
}

/** RFC 3339 in UTC with the fraction trimmed, as Go's RFC3339Nano prints it. */
export function formatTimestamp(t: CelTimestamp): string {
  const s = floorDiv(t.ns, NS);
  const frac = t.ns - s * NS;
  const iso = new Date(Number(s) * 1000).toISOString().replace(/\.\d{3}Z$/, '');
  const fracText = frac ? `.${frac.toString().padStart(9, '0').replace(/0+$/, '')}` : '';
  return `${iso.replace(/^\+?0*(\d{4})/, '$1')}${fracText}Z`;
}

const UNITS: Record<string, bigint> = { ns: 1n, us: 1000n, 'µs': 1000n, 'μs': 1000n, ms: 1_000_000n, s: NS, m: 60n * NS, h: 3600n * NS };

export function parseDuration(s: string): CelDuration {
  const m = /^([+-]?)((?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+|0)$/.exec(s);
  if (!m) throw new CelEvalError(`duration parse error: time: invalid duration "${s}"`);
  let total = 0n;
  for (const part of m[2]!.matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    const [whole, frac = ''] = part[1]!.split('.');
    const unit = UNITS[part[2]!]!;
    total += BigInt(whole || '0') * unit + (frac ? (BigInt(frac.slice(0, 18).padEnd(18, '0')) * unit) / 10n ** 18n : 0n);
  }
  return checkDuration(m[1] === '-' ? -total : total);
}

/** CEL's string(duration): seconds with the fraction trimmed ("90s", "1.5s", "-0.000000001s"). */
export function formatDuration(d: CelDuration): string {
  const neg = d.ns < 0n;
  const abs = neg ? -d.ns : d.ns;
  const frac = abs % NS;
  const fracText = frac ? `.${frac.toString().padStart(9, '0').replace(/0+$/, '')}` : '';
  return `${neg ? '-' : ''}${abs / NS}${fracText}s`;
}

/** Calendar fields of a timestamp in a zone. */
function fields(t: CelTimestamp, zone?: CelValue): Date {
  if (zone !== undefined && typeof zone !== 'string') throw noSuchOverload();
  const ms = Number(floorDiv(t.ns, 1_000_000n));
  const offset = zone ? zoneOffsetSeconds(zone, ms) : 0;
  return new Date(ms + offset * 1000);
}

function dayOfYear(d: Date): number {
  const jan1 = new Date(0);
  jan1.setUTCFullYear(d.getUTCFullYear(), 0, 1);
  return Math.floor((d.getTime() - jan1.getTime()) / 86_400_000);
}

/** Accessor methods of timestamps and durations: receiver, optional zone argument. */
export const TIME_METHODS: Record<string, (target: CelValue, zone?: CelValue) => CelValue> = {
  getFullYear: (t, z) => BigInt(fields(asTs(t), z).getUTCFullYear()),
  getMonth: (t, z) => BigInt(fields(asTs(t), z).getUTCMonth()),
  getDate: (t, z) => BigInt(fields(asTs(t), z).getUTCDate()),
  getDayOfMonth: (t, z) => BigInt(fields(asTs(t), z).getUTCDate() - 1),
  getDayOfWeek: (t, z) => BigInt(fields(asTs(t), z).getUTCDay()),
  getDayOfYear: (t, z) => BigInt(dayOfYear(fields(asTs(t), z))),
  getHours: (t, z) => (t instanceof CelDuration ? t.ns / (3600n * NS) : BigInt(fields(asTs(t), z).getUTCHours())),
  getMinutes: (t, z) => (t instanceof CelDuration ? t.ns / (60n * NS) : BigInt(fields(asTs(t), z).getUTCMinutes())),
  getSeconds: (t, z) => (t instanceof CelDuration ? t.ns / NS : BigInt(fields(asTs(t), z).getUTCSeconds())),
  getMilliseconds: (t, z) => (t instanceof CelDuration ? (t.ns % NS) / 1_000_000n : ((asTs(t, z).ns % NS) + NS) % NS / 1_000_000n),
};

function asTs(t: CelValue, _zone?: CelValue): CelTimestamp {
  if (!(t instanceof CelTimestamp)) throw noSuchOverload();
  return t;
}

export const SECONDS = NS;
