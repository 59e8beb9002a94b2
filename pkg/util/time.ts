// Kubernetes timestamps: RFC 3339 in UTC at second precision ("2026-11-30T08:48:37Z"), the
// form of metav1.Time in JSON.

/** `ms` (milliseconds since the epoch) as a Kubernetes timestamp. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

let lastSecond = -1;
let lastText = '';

/** Now as a Kubernetes timestamp; formatted once per second (every write stamps at least one). */
export function rfc3339Now(): string {
  const ms = Date.now();
  const s = Math.floor(ms / 1000);
  if (s !== lastSecond) {
    lastSecond = s;
    lastText = rfc3339(ms);
  }
  return lastText;
}
