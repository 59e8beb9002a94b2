// The time stamps of the API as kube-apiserver decodes them: metav1.Time with Go's
// time.Parse(time.RFC3339, s), metav1.MicroTime with time.Parse(RFC3339Micro, s), which wants
// exactly six fractional digits. A stamp that does not parse is a decoding error (400), told in
// time.ParseError's words: `parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse
// "yesterday" as "2006"`. Only these two layouts are followed, element by element as Go's parse
// walks them.

export const RFC3339 = '2006-01-02T15:04:05Z07:00';
export const RFC3339_MICRO = '2006-01-02T15:04:05.000000Z07:00';

/** One element of a layout: a literal to skip, or a field to read. */
type Elem = { lit: string } | { std: 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'micro' | 'zone'; text: string };

const LAYOUTS: Record<string, Elem[]> = {
  [RFC3339]: [{ std: 'year', text: '2006' }, { lit: '-' }, { std: 'month', text: '01' }, { lit: '-' }, { std: 'day', text: '02' }, { lit: 'T' }, { std: 'hour', text: '15' }, { lit: ':' }, { std: 'minute', text: '04' }, { lit: ':' }, { std: 'second', text: '05' }, { std: 'zone', text: 'Z07:00' }],
  [RFC3339_MICRO]: [{ std: 'year', text: '2006' }, { lit: '-' }, { std: 'month', text: '01' }, { lit: '-' }, { std: 'day', text: '02' }, { lit: 'T' }, { std: 'hour', text: '15' }, { lit: ':' }, { std: 'minute', text: '04' }, { lit: ':' }, { std: 'second', text: '05' }, { std: 'micro', text: '.000000' }, { std: 'zone', text: 'Z07:00' }],
};

/** The time package's quote: non-ASCII and control bytes as \x escapes. */
function quote(s: string): string {
  let out = '"';
  for (const b of Buffer.from(s, 'utf8')) {
    if (b >= 0x80 || b < 0x20) out += `\\x${b.toString(16).padStart(2, '0')}`;
    else out += (b === 0x22 || b === 0x5c ? '\\' : '') + String.fromCharCode(b);
  }
  return `${out}"`;
}

const isDigit = (s: string, i: number) => i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57;

/** getnum: one or two digits (two when `fixed`). */
function getnum(s: string, fixed: boolean): [number, string] | undefined {
  if (!isDigit(s, 0)) return undefined;
  if (!isDigit(s, 1)) return fixed ? undefined : [Number(s[0]), s.slice(1)];
  return [Number(s.slice(0, 2)), s.slice(2)];
}

/** Whether a layout element is a fractional second (which then reads the fraction itself). */
const nextIsFraction = (e: Elem | undefined) => !!e && 'std' in e && e.std === 'micro';

const daysIn = (month: number, year: number) => (month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31);

/**
 * Why `value` does not parse with `layout` (RFC3339 or RFC3339_MICRO), in time.Parse's words, or
 * undefined when it does.
 */
export function goTimeParseError(value: string, layout: string): string | undefined {
  const elems = LAYOUTS[layout];
  if (!elems) throw new Error(`goTimeParseError: unsupported layout ${layout}`);
  const cannot = (valueElem: string, layoutElem: string) => `parsing time ${quote(value)} as ${quote(layout)}: cannot parse ${quote(valueElem)} as ${quote(layoutElem)}`;
  const out = (what: string) => `parsing time ${quote(value)}: ${what} out of range`;
  let rest = value;
  let year = 0;
  let month = 0;
  let day = 0;
  for (let i = 0; i < elems.length; i++) {
    const e = elems[i]!;
    if ('lit' in e) {
      // (skip: the layout's literal must be there; the error names what of it is left)
      if (!rest.startsWith(e.lit)) return cannot(rest, e.lit);
      rest = rest.slice(e.lit.length);
      continue;
    }
    const hold = rest;
    let range = '';
    let ok = true;
    switch (e.std) {
      case 'year':
        // (four characters, the first a digit, that atoi reads: four digits)
        if (!/^\d{4}/.test(rest)) ok = false;
        else [year, rest] = [Number(rest.slice(0, 4)), rest.slice(4)];
        break;
      case 'month':
      case 'day':
      case 'hour':
      case 'minute':
      case 'second': {
        const got = getnum(rest, e.std !== 'hour');
        if (!got) {
          ok = false;
          break;
        }
        const [n, after] = got;
        rest = after;
        if (e.std === 'month') [month, range] = [n, n < 1 || n > 12 ? 'month' : ''];
        else if (e.std === 'day') day = n;
        else if (e.std === 'hour') range = n >= 24 ? 'hour' : '';
        else if (e.std === 'minute') range = n >= 60 ? 'minute' : '';
        else if (n >= 60) range = 'second';
        else if (rest.length >= 2 && (rest[0] === '.' || rest[0] === ',') && isDigit(rest, 1) && !nextIsFraction(elems[i + 1])) {
          // A fractional second the layout does not name is taken, as Parse takes it.
          let n2 = 2;
          while (isDigit(rest, n2)) n2++;
          rest = rest.slice(n2);
        }
        break;
      }
      case 'micro':
        // (stdFracSecond0: exactly as many digits as the layout has, after a period or comma)
        if (rest.length < 7 || (rest[0] !== '.' && rest[0] !== ',') || !/^\d{6}/.test(rest.slice(1))) ok = false;
        else rest = rest.slice(7);
        break;
      case 'zone':
        if (rest.startsWith('Z')) {
          rest = rest.slice(1);
          break;
        }
        if (rest.length < 6 || rest[3] !== ':') {
          ok = false;
          break;
        }
        {
          // (the offset's digits, then its range, the minutes' last, then its sign: a range error wins)
          const [hr, mm] = [getnum(rest.slice(1, 3), true), getnum(rest.slice(4, 6), true)];
          ok = !!hr && !!mm && (rest[0] === '+' || rest[0] === '-');
          if (hr && hr[0] > 24) range = 'time zone offset hour';
          if (hr && mm && mm[0] > 60) range = 'time zone offset minute';
          rest = rest.slice(6);
        }
        break;
    }
    if (range) return out(range);
    if (!ok) return cannot(hold, e.text);
  }
  if (rest.length) return `parsing time ${quote(value)}: extra text: ${quote(rest)}`;
  if (day < 1 || day > daysIn(month, year)) return `parsing time ${quote(value)}: day out of range`;
  return undefined;
}

const STAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * A time stamp as 1.32 writes it back once decoded: metav1.Time's MarshalJSON is
 * `t.UTC().Format(time.RFC3339)`, whole seconds in UTC (a fraction is cut, an offset applied),
 * MicroTime's `t.UTC().Format(RFC3339Micro)`, six fractional digits in UTC. A stamp already
 * written so, or one that does not parse (strict decoding refuses those first), is returned as it is.
 */
export function goTimeJson(value: string, micro: boolean): string {
  if (micro ? value.length === 27 && value[19] === '.' && value[26] === 'Z' : value.length === 20 && value[19] === 'Z') return value;
  const m = STAMP.exec(value);
  if (!m) return value;
  const d = new Date(0);
  d.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  d.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6]), 0);
  if (m[8]) d.setTime(d.getTime() - (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10])) * 60_000);
  const year = d.getUTCFullYear();
  if (year < 0 || year > 9999) return value;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const seconds = `${pad(year, 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return micro ? `${seconds}.${(m[7] ?? '').slice(0, 6).padEnd(6, '0')}Z` : `${seconds}Z`;
}
