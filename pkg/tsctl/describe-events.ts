// The Events section of tsctl describe, as kubectl's DescribeEvents lays it out: sorted by
// lastTimestamp, a dashed rule under the header, columns two spaces apart (its tabwriter's
// padding), the age as kubectl prints ages, and a repeated event's "<last> (x<count> over
// <first>)" from its count or its series.
import type { Event } from '../api/types.js';
import { humanDuration } from '../apiserver/rest/table.js';

/** An event as either API's writers leave it (eventTime and series, or firstTimestamp, lastTimestamp and count; nulls where Go writes them). */
type DescribedEvent = { [K in keyof Event]?: Event[K] | null };

/** Elapsed time since `t` as translateTimestampSince says it; `<unknown>` for an unset time. */
const since = (t: string | null | undefined, now: number) => (t ? humanDuration(now - Date.parse(t)) : '<unknown>');

/** Cells laid out as Go's tabwriter with padding 2: each column as wide as its widest cell plus two, the last not padded. */
export function tabbed(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.slice(0, -1).forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]! + 2) : c)).join(''));
}

export function describeEvents(events: DescribedEvent[], now = Date.now()): string[] {
  // (none: a field like the others above it, in tsctl's key column)
  if (!events.length) return [`${'Events:'.padEnd(18)}<none>`];
  // (SortableEvents compares lastTimestamp alone: events.k8s.io-style events, which have none, come first)
  const at = (e: DescribedEvent) => (e.lastTimestamp ? Date.parse(e.lastTimestamp) : 0);
  const sorted = [...events].sort((a, b) => at(a) - at(b));
  const rows = sorted.map((e) => {
    const first = e.eventTime ? since(e.eventTime, now) : since(e.firstTimestamp, now);
    let interval = first;
    if (e.series) interval = `${since(e.series.lastObservedTime, now)} (x${e.series.count ?? 0} over ${first})`;
    else if ((e.count ?? 0) > 1) interval = `${since(e.lastTimestamp, now)} (x${e.count} over ${first})`;
    return [`  ${e.type ?? ''}`, e.reason ?? '', interval, e.source?.component || e.reportingComponent || '', (e.message ?? '').trim()];
  });
  return ['Events:', ...tabbed([['  Type', 'Reason', 'Age', 'From', 'Message'], ['  ----', '------', '----', '----', '-------'], ...rows])];
}
