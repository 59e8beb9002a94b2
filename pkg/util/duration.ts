// Durations in Go's notation, as Kubernetes flags take them ("1h0m0s", "90s", "1.5h", "250ms").

const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds in a Go-style duration; a bare number is seconds. Throws naming the bad input. */
export function parseDuration(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/gy;
  let total = 0;
  let at = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * unitMs[m[2]!]!;
    at = re.lastIndex;
  }
  if (!t || at !== t.length) throw new Error(`invalid duration "${text}": use a number of seconds or units h, m, s, ms (e.g. 1h0m0s)`);
  return total;
}

/** Whole milliseconds as Go's time.Duration prints them: "0s", "512ms", "1.234s", "2m3.5s", "1h0m0s". */
export function goDuration(ms: number): string {
  const d = Math.max(0, Math.round(ms));
  if (d === 0) return '0s';
  if (d < 1000) return `${d}ms`;
  const secs = (d % 60_000) / 1000;
  const s = `${Number(secs.toFixed(3))}s`;
  const h = Math.floor(d / 3_600_000);
  const m = Math.floor((d % 3_600_000) / 60_000);
  if (h) return `${h}h${m}m${s}`;
  return m ? `${m}m${s}` : s;
}
