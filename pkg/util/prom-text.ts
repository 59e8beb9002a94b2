// The Prometheus text exposition as client_golang writes it (expfmt's text_create.go), for
// prom-client's registries: sample values and the float labels (a histogram's le, a summary's
// quantile) in Go's strconv.FormatFloat(v, 'g', -1, 64) form, so 1e-08, 9.999999999999999e-06,
// 1e+06 and NaN, where JavaScript writes 1e-8, 0.000009999999999999999, 1000000 and prom-client
// Nan. A label value is part of a series' identity: le="1000000" and le="1e+06" are two series to
// Prometheus, and relabelling rules that keep or drop buckets by their le match 1.32's strings.
// Work done per scrape only, never per request.
import type { Registry } from 'prom-client';
import type { Logger } from './log.js';

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

type Labels = Record<string, string | number>;
/** What metricsText reads of a prom-client metric. */
type CollectedMetric = { name: string; help: string; labelNames?: readonly string[]; get(): Promise<Family>; getForPromString?(): Promise<Family> };
type Sample = { metricName?: string; labels?: Labels; sharedLabels?: Labels; value: number };
type Family = { name: string; help: string; type: string; values: Sample[] };

/** One series (a dto.Metric): its label values in label-name order, their text, and its sample lines. */
interface Series {
  values: string[];
  text: string;
  lines: string[];
}

/** The label a histogram's or summary's samples add after the series' own (writeSample's additionalLabelName). */
const isFloatLabel = (name: string) => name === 'le' || name === 'quantile';

/** A series' labels (the sample's own but le and quantile, and those it shares) sorted by name, as LabelPairSorter leaves them. */
function seriesOf(own: Labels | undefined, shared: Labels | undefined): Series {
  const merged: Labels = {};
  let names: string[] = [];
  if (shared) for (const k in shared) if (!isFloatLabel(k)) (merged[k] = shared[k]!), names.push(k);
  if (own) for (const k in own) if (!isFloatLabel(k) && !(k in merged)) (merged[k] = own[k]!), names.push(k);
  if (names.length > 1) names = names.sort();
  const values: string[] = [];
  let text = '';
  for (const k of names) {
    const v = merged[k]!;
    values.push(String(v));
    text += `${text ? ',' : ''}${k}="${labelValue(k, v)}"`;
  }
  return { values, text, lines: [] };
}

/** metricSorter: fewer labels first, then label values in order, by byte. */
function compareSeries(a: Series, b: Series): number {
  if (a.values.length !== b.values.length) return a.values.length - b.values.length;
  for (let i = 0; i < a.values.length; i++) {
    const x = a.values[i]!;
    const y = b.values[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** The float label of a sample (le or quantile), if it has one, written after the series' labels. */
function floatLabelOf(own: Labels | undefined): string {
  if (!own) return '';
  if (own.le !== undefined) return `le="${labelValue('le', own.le)}"`;
  if (own.quantile !== undefined) return `quantile="${labelValue('quantile', own.quantile)}"`;
  return '';
}

/** True when a sample's own labels are at most its le or quantile: it belongs to the series of the labels it shares. */
function onlyFloatLabel(own: Labels | undefined): boolean {
  if (own) for (const k in own) if (!isFloatLabel(k)) return false;
  return true;
}

/** A family's samples grouped into series (consecutive samples with one label set), in metricSorter's order. */
function seriesOfFamily(f: Family): Series[] {
  const all: Series[] = [];
  let current: Series | undefined;
  let shared: Labels | undefined;
  for (const s of f.values) {
    // prom-client's histograms share one labels object across a series' buckets, sum and count.
    const sameShared = current !== undefined && s.sharedLabels !== undefined && s.sharedLabels === shared && onlyFloatLabel(s.labels);
    if (!sameShared) {
      const next = seriesOf(s.labels, s.sharedLabels);
      if (!current || next.text !== current.text) all.push((current = next));
      shared = onlyFloatLabel(s.labels) ? s.sharedLabels : undefined;
    }
    const extra = floatLabelOf(s.labels);
    const labels = current!.text && extra ? `${current!.text},${extra}` : current!.text || extra;
    current!.lines.push(`${s.metricName ?? f.name}${labels ? `{${labels}}` : ''} ${goFloat(s.value)}`);
  }
  return all.length > 1 ? all.sort(compareSeries) : all;
}

/**
 * The registry's families in the text format (version 0.0.4) as a client_golang registry gathers and
 * expfmt writes them: families sorted by name, a family with no series left out (registry.go
 * Gather's internal.NormalizeMetricFamilies: a vector with no children writes no HELP or TYPE);
 * within a family the series sorted by their label values (metricSorter); a series' labels sorted by
 * name (LabelPairSorter) with a histogram's le or a summary's quantile last (writeSample's additional
 * label); values and float labels in Go's form.
 */
export async function metricsText(registry: Registry): Promise<string> {
  const { text, errors } = await gather(registry);
  if (errors.length) throw new GatherError(errors);
  return text;
}

/** The page of the families that could be gathered, and the errors of those that could not. */
async function gather(registry: Registry): Promise<{ text: string; errors: { metric: string; message: string }[] }> {
  const metrics = registry.getMetricsAsArray() as unknown as CollectedMetric[];
  // (getForPromString: a histogram's buckets with the series' labels shared, not copied into each)
  const settled = await Promise.allSettled(metrics.map((m) => (m.getForPromString ? m.getForPromString() : m.get())));
  // (Registry.Gather: every collector is asked; those that fail are errors of the gathering as a whole)
  const errors: { metric: string; message: string }[] = [];
  const families: Family[] = [];
  settled.forEach((r, i) => {
    if (r.status === 'fulfilled') families.push(r.value);
    else errors.push({ metric: metrics[i]!.name, message: `error collecting metric ${descString(metrics[i]!)}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}` });
  });
  families.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const f of families) {
    if (f.values.length === 0) continue;
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const series of seriesOfFamily(f)) for (const line of series.lines) out.push(line);
  }
  return { text: out.length ? `${out.join('\n')}\n` : '', errors };
}

/** client_golang's Desc.String() of a metric: its name, help and label names (prom-client metrics have no constant labels). */
function descString(m: CollectedMetric): string {
  return `Desc{fqName: ${JSON.stringify(m.name)}, help: ${JSON.stringify(m.help)}, constLabels: {}, variableLabels: {${(m.labelNames ?? []).join(',')}}}`;
}

/** The collectors that failed while a page was gathered: prometheus.MultiError's words, the failed metrics' names kept. */
export class GatherError extends Error {
  constructor(readonly errors: { metric: string; message: string }[]) {
    super(`${errors.length} error(s) occurred:${errors.map((e) => `\n* ${e.message}`).join('')}`);
    this.name = 'GatherError';
  }
}

/** What serveMetricsPage needs of an HTTP response. */
interface MetricsResponse {
  headersSent: boolean;
  writeHead(code: number, headers: Record<string, string>): unknown;
  end(body: string): unknown;
}

/**
 * Answers a /metrics request with the registry's page, as promhttp.HandlerFor answers for kube's
 * components. With the default ErrorHandling, HTTPErrorOnError (component-base's
 * legacyregistry.Handler, which the apiserver, scheduler, controller manager, kube-proxy and the
 * kubelet's /metrics serve; CoreDNS's prometheus plugin too), a page that cannot be gathered whole
 * is a 500 with promhttp's httpError text, "An error has occurred while serving metrics:" and the
 * gathering's errors. With `continueOnError` (the kubelet's /metrics/probes, /metrics/cadvisor and
 * /metrics/resource: HandlerOpts{ErrorHandling: ContinueOnError}) the families that could be
 * gathered are served, and the error only when there are none. Either way each failed collector
 * is logged by name, which promhttp leaves to an ErrorLog kube does not set.
 */
export async function serveMetricsPage(registry: Registry, res: MetricsResponse, log: Logger, opts: { continueOnError?: boolean } = {}): Promise<void> {
  let page: { text: string; errors: { metric: string; message: string }[] };
  try {
    page = await gather(registry);
  } catch (e) {
    page = { text: '', errors: [{ metric: '', message: e instanceof Error ? e.message : String(e) }] };
  }
  for (const { metric, message } of page.errors) log.error('error gathering metrics', { ...(metric ? { metric } : {}), err: message });
  if (page.errors.length && (!opts.continueOnError || page.text === '')) {
    const err = new GatherError(page.errors);
    // (http.Error: text/plain, nosniff, the message and a newline)
    if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
    res.end(`An error has occurred while serving metrics:\n\n${err.message}\n`);
    return;
  }
  res.writeHead(200, { 'Content-Type': registry.contentType });
  res.end(page.text);
}
