// The Prometheus text exposition as client_golang writes it (expfmt's text_create.go), for
// prom-client's registries: sample values and the float labels (a histogram's le, a summary's
// quantile) in Go's strconv.FormatFloat(v, 'g', -1, 64) form, so 1e-08, 9.999999999999999e-06,
// 1e+06 and NaN, where JavaScript writes 1e-8, 0.000009999999999999999, 1000000 and prom-client
// Nan. A label value is part of a series' identity: le="1000000" and le="1e+06" are two series to
// Prometheus, and relabelling rules that keep or drop buckets by their le match 1.32's strings.
// Work done per scrape only, never per request.
import type { Registry } from 'prom-client';

/** writeFloat: 1, 0 and -1 as they are, NaN, +Inf, -Inf, else strconv.FormatFloat(v, 'g', -1, 64). */
export function goFloat(v: number): string {
  if (v === 0) return '0';
  if (v === 1) return '1';
  if (v === -1) return '-1';
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  // JavaScript and Go both choose the shortest digits that read back as v; only the layout differs.
  // Go's %g with the shortest precision uses %e when the exponent is below -4 or at least 6
  // (strconv/ftoa.go: "if precision was the shortest possible, use precision 6 for this decision"),
  // with at least two exponent digits.
  const sci = v.toExponential();
  const e = sci.indexOf('e');
  const exp = Number(sci.slice(e + 1));
  if (exp < -4 || exp >= 6) {
    const digits = Math.abs(exp) < 10 ? `0${Math.abs(exp)}` : String(Math.abs(exp));
    return `${sci.slice(0, e)}e${exp < 0 ? '-' : '+'}${digits}`;
  }
  // Between 1e-4 and 1e6 JavaScript's own form is %f's: plain digits, no exponent.
  return String(v);
}

/** A label's value as client_golang writes it: the float labels in Go's form, strings escaped. */
function labelValue(name: string, v: string | number): string {
  if (typeof v === 'number') return name === 'le' || name === 'quantile' ? goFloat(v) : String(v);
  if (v === '+Inf') return v;
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

const escapeHelp = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

type Sample = { metricName?: string; labels?: Record<string, string | number>; sharedLabels?: Record<string, string | number>; value: number };
type Family = { name: string; help: string; type: string; values: Sample[] };

const joined = (labels: Record<string, string | number> | undefined) => {
  let s = '';
  if (labels) for (const k in labels) s += `${s ? ',' : ''}${k}="${labelValue(k, labels[k]!)}"`;
  return s;
};

/**
 * The registry's families in the text format (version 0.0.4), values and float labels in Go's
 * form. Labels stay in prom-client's order (a histogram's le first): Prometheus takes a series'
 * labels as a set, so only their values need 1.32's spelling.
 */
export async function metricsText(registry: Registry): Promise<string> {
  const metrics = registry.getMetricsAsArray() as unknown as { get(): Promise<Family>; getForPromString?(): Promise<Family> }[];
  // (getForPromString: a histogram's buckets with the series' labels shared, not copied into each)
  const families = await Promise.all(metrics.map((m) => (m.getForPromString ? m.getForPromString() : m.get())));
  const out: string[] = [];
  for (const f of families) {
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    let shared: Record<string, string | number> | undefined;
    let sharedText = '';
    for (const s of f.values) {
      if (s.sharedLabels !== shared) {
        shared = s.sharedLabels;
        sharedText = joined(shared);
      }
      const own = joined(s.labels);
      const all = sharedText && own ? `${own},${sharedText}` : sharedText || own;
      out.push(`${s.metricName ?? f.name}${all ? `{${all}}` : ''} ${goFloat(s.value)}`);
    }
  }
  return `${out.join('\n')}\n`;
}
