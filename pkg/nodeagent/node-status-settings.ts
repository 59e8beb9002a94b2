// How often the node agent tells the control plane it is alive, as the 1.32 kubelet's
// configuration sets it: nodeLeaseDurationSeconds (default 40; the Lease renewed every 25% of it,
// NodeLeaseRenewIntervalFraction), nodeStatusUpdateFrequency (default 10s, also the kubelet's
// deprecated --node-status-update-frequency flag: how often the node's status is computed and
// posted when it changed) and nodeStatusReportFrequency (default 5m, or the file's
// nodeStatusUpdateFrequency when the file sets that and not this: how often an unchanged status is
// posted anyway), with SetDefaults_KubeletConfiguration's defaulting (zero means the default) and
// ValidateKubeletConfiguration's check of the lease duration.

/** pkg/kubelet/apis/config NodeLeaseRenewIntervalFraction. */
export const NODE_LEASE_RENEW_INTERVAL_FRACTION = 0.25;

export interface NodeStatusSettings {
  /** nodeLeaseDurationSeconds: the Lease's spec.leaseDurationSeconds. */
  leaseDurationSec: number;
  /** nodeStatusUpdateFrequency, in seconds. */
  statusUpdateSec: number;
  /** nodeStatusReportFrequency, in seconds. */
  statusReportSec: number;
}

/** The kubelet's lease renewal interval: nodeLeaseDurationSeconds × NodeLeaseRenewIntervalFraction. */
export const leaseRenewIntervalMs = (leaseDurationSec: number): number => leaseDurationSec * 1000 * NODE_LEASE_RENEW_INTERVAL_FRACTION;

const unitNs: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration, in milliseconds; throws its error text ('time: invalid duration "x"'). */
export function goParseDuration(text: string): number {
  const bad = (why = 'invalid duration') => new Error(`time: ${why} ${JSON.stringify(text)}`);
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    sign = s[0] === '-' ? -1 : 1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (!s) throw bad();
  let ns = 0;
  const re = /(\d*)(?:\.(\d*))?([^\d.]*)/y;
  while (s.length) {
    re.lastIndex = 0;
    const m = re.exec(s)!;
    const [all, whole = '', frac, unit = ''] = m;
    if (!whole && !frac) throw bad();
    if (!unit) throw bad('missing unit in duration');
    if (!(unit in unitNs)) throw new Error(`time: unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(text)}`);
    ns += Number(`${whole || '0'}.${frac || '0'}`) * unitNs[unit]!;
    s = s.slice(all.length);
  }
  return (sign * ns) / 1e6;
}

/**
 * The settings from the config file's fields (undefined where the file has none) and the
 * --node-status-update-frequency flag when given on the command line (it wins over the file).
 * Returns the settings and ValidateKubeletConfiguration's errors for them.
 */
export function nodeStatusSettings(file: { nodeLeaseDurationSeconds?: number; nodeStatusUpdateFrequency?: string; nodeStatusReportFrequency?: string }, flagUpdateFrequency?: string): { settings: NodeStatusSettings; errors: string[] } {
  const fileUpdateMs = file.nodeStatusUpdateFrequency !== undefined ? goParseDuration(file.nodeStatusUpdateFrequency) : 0;
  const fileReportMs = file.nodeStatusReportFrequency !== undefined ? goParseDuration(file.nodeStatusReportFrequency) : 0;
  // (defaulting: the report frequency follows an explicitly set update frequency, else 5m)
  const reportMs = fileReportMs !== 0 ? fileReportMs : fileUpdateMs !== 0 ? fileUpdateMs : 5 * 60_000;
  let updateMs = fileUpdateMs !== 0 ? fileUpdateMs : 10_000;
  // (the flag is applied over the defaulted file, so it leaves the report frequency as it was)
  if (flagUpdateFrequency !== undefined) updateMs = goParseDuration(flagUpdateFrequency);
  const lease = file.nodeLeaseDurationSeconds === undefined || file.nodeLeaseDurationSeconds === 0 ? 40 : file.nodeLeaseDurationSeconds;
  const errors = lease <= 0 ? ['invalid configuration: nodeLeaseDurationSeconds must be greater than 0'] : [];
  return { settings: { leaseDurationSec: lease, statusUpdateSec: updateMs / 1000, statusReportSec: reportMs / 1000 }, errors };
}
