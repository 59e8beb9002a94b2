// Cron schedules as a CronJob's spec.schedule reads them (robfig/cron's standard parser, which
// Kubernetes uses): five fields (minute hour day-of-month month day-of-week) with `*`, `?`,
// lists, ranges, steps and month/weekday names; the descriptors @yearly, @annually, @monthly,
// @weekly, @daily, @midnight, @hourly and `@every <duration>`; an optional `CRON_TZ=<zone>` or
// `TZ=<zone>` prefix. Day-of-month and day-of-week are OR-ed when both are restricted, AND-ed
// when either is `*`. Times are wall-clock times in the schedule's zone; a wall-clock time a
// DST change skips is skipped, one it repeats runs at its first occurrence.

export class CronSyntaxError extends Error {}

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MONTH_NAMES = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const DOW_NAMES = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const FIELDS: Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTH_NAMES },
  { min: 0, max: 6, names: DOW_NAMES },
];

/** A parsed schedule: `next(t)` is the first activation strictly after instant `t` (ms), or undefined within five years. */
export interface CronSchedule {
  next(t: number): number | undefined;
  /** The IANA zone the schedule's wall-clock times are in. */
  readonly timeZone: string;
}

/** Field values as sets, and whether day-of-month / day-of-week were `*` or `?` (robfig's star bit). */
interface Spec {
  minute: Set<number>;
  hour: Set<number>;
  dom: Set<number>;
  month: Set<number>;
  dow: Set<number>;
  domStar: boolean;
  dowStar: boolean;
}

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** True when `zone` is a time zone this machine's ICU knows ("UTC", "Europe/Berlin", ...). */
export function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function parseInt10(s: string, expr: string): number {
  if (!/^-?\d+$/.test(s)) throw new CronSyntaxError(`failed to parse int from ${s}: strconv.Atoi: parsing "${s}": invalid syntax`);
  const n = Number(s);
  if (n < 0) throw new CronSyntaxError(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function parseIntOrName(s: string, b: Bounds, expr: string): number {
  const named = b.names?.[s.toLowerCase()];
  return named ?? parseInt10(s, expr);
}

/** One comma-separated part: `*`, `?`, `a`, `a-b`, with an optional `/step`. */
function parseRange(expr: string, b: Bounds, out: Set<number>): boolean {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0]!.split('-');
  const single = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = b.min;
    end = b.max;
    star = true;
  } else {
    start = parseIntOrName(lowAndHigh[0]!, b, expr);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1]!, b, expr);
    else throw new CronSyntaxError(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = parseInt10(rangeAndStep[1]!, expr);
    // "N/step" means "N-max/step".
    if (single && !star) end = b.max;
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) {
    throw new CronSyntaxError(`too many slashes: ${expr}`);
  }
  if (start < b.min) throw new CronSyntaxError(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
  if (end > b.max) throw new CronSyntaxError(`end of range (${end}) above maximum (${b.max}): ${expr}`);
  if (start > end) throw new CronSyntaxError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new CronSyntaxError(`step of range should be a positive number: ${expr}`);
  for (let v = start; v <= end; v += step) out.add(v);
  return star;
}

function parseField(field: string, b: Bounds): { values: Set<number>; star: boolean } {
  const values = new Set<number>();
  let star = false;
  for (const part of field.split(',')) star = parseRange(part, b, values) || star;
  return { values, star };
}

/** Go duration text as `@every` takes it: "90s", "1h30m", "1.5h". */
function parseDuration(s: string): number {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  if (!s) throw new CronSyntaxError(`failed to parse duration @every ${s}: time: invalid duration "${s}"`);
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) throw new CronSyntaxError(`failed to parse duration @every ${s}: time: invalid duration "${s}"`);
    total += Number(m[1]) * units[m[2]!]!;
    pos = re.lastIndex;
  }
  return total;
}

/** Parses a schedule; `defaultZone` applies when it has no CRON_TZ= prefix. Throws CronSyntaxError with robfig/cron's messages. */
export function parseCronSchedule(text: string, defaultZone = 'UTC'): CronSchedule {
  let spec = text.trim();
  if (!spec) throw new CronSyntaxError('empty spec string');
  let zone = defaultZone;
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const i = spec.indexOf(' ');
    const eq = spec.indexOf('=');
    zone = spec.slice(eq + 1, i < 0 ? undefined : i);
    if (!isKnownTimeZone(zone)) throw new CronSyntaxError(`provided bad location ${zone}: unknown time zone ${zone}`);
    spec = i < 0 ? '' : spec.slice(i).trim();
  }
  if (spec.startsWith('@')) {
    if (spec.startsWith('@every ')) {
      const every = Math.max(1000, Math.floor(parseDuration(spec.slice(7).trim()) / 1000) * 1000);
      return { timeZone: zone, next: (t) => Math.floor(t / 1000) * 1000 + every };
    }
    const expanded = DESCRIPTORS[spec.toLowerCase()];
    if (!expanded) throw new CronSyntaxError(`unrecognized descriptor: ${spec}`);
    spec = expanded;
  }
  const fields = spec.split(/\s+/).filter(Boolean);
  if (fields.length !== 5) throw new CronSyntaxError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  const parsed = fields.map((f, i) => parseField(f, FIELDS[i]!));
  const s: Spec = {
    minute: parsed[0]!.values,
    hour: parsed[1]!.values,
    dom: parsed[2]!.values,
    month: parsed[3]!.values,
    dow: parsed[4]!.values,
    domStar: parsed[2]!.star,
    dowStar: parsed[4]!.star,
  };
  return { timeZone: zone, next: (t) => nextActivation(s, zone, t) };
}

// ---- wall-clock arithmetic: a UTC Date stands for a wall-clock time in the zone ----

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(zone, f);
  }
  return f;
}

/** The wall-clock time in `zone` at instant `t`, as the ms of the same fields in UTC. */
export function wallClock(zone: string, t: number): number {
  const p: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(new Date(t))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) + (((t % 1000) + 1000) % 1000);
}

/** The instant whose wall clock in `zone` reads `wall`: the earlier one if it reads so twice, undefined if never (a DST gap). */
function instantOf(zone: string, wall: number): number | undefined {
  const offsetAt = (t: number) => wallClock(zone, t) - t;
  const first = wall - offsetAt(wall - 86_400_000 / 2);
  const candidates = [first, wall - offsetAt(wall), wall - offsetAt(first)].sort((a, b) => a - b);
  return candidates.find((c) => wallClock(zone, c) === wall);
}

const YEARS_AHEAD = 5;

function dayMatches(s: Spec, d: Date): boolean {
  const dom = s.dom.has(d.getUTCDate());
  const dow = s.dow.has(d.getUTCDay());
  if (s.domStar || s.dowStar) return dom && dow;
  return dom || dow;
}

/** The first wall-clock time ≥ `from` (whole minutes) matching `s`, within five years (robfig's SpecSchedule.Next). */
function nextWall(s: Spec, from: number): number | undefined {
  const d = new Date(from);
  const yearLimit = d.getUTCFullYear() + YEARS_AHEAD;
  for (;;) {
    if (d.getUTCFullYear() > yearLimit) return undefined;
    if (!s.month.has(d.getUTCMonth() + 1)) {
      d.setUTCMonth(d.getUTCMonth() + 1, 1);
      d.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!dayMatches(s, d)) {
      d.setUTCDate(d.getUTCDate() + 1);
      d.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!s.hour.has(d.getUTCHours())) {
      d.setUTCHours(d.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!s.minute.has(d.getUTCMinutes())) {
      d.setUTCMinutes(d.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    return d.getTime();
  }
}

function nextActivation(s: Spec, zone: string, t: number): number | undefined {
  // Start at the next whole minute of wall-clock time after t.
  let wall = Math.floor(wallClock(zone, t) / 60_000) * 60_000 + 60_000;
  for (let guard = 0; guard < 10_000; guard++) {
    const w = nextWall(s, wall);
    if (w === undefined) return undefined;
    const instant = instantOf(zone, w);
    if (instant !== undefined && instant > t) return instant;
    wall = w + 60_000;
  }
  return undefined;
}
