// Printing in kubectl's forms: aligned tables from server-side Tables, YAML and JSON.
import { goYaml } from '../util/yaml-emit.js';

export interface TableColumn {
  name: string;
  priority: number;
}

export interface Table {
  columnDefinitions: TableColumn[];
  rows: { cells: unknown[]; object?: { metadata?: { namespace?: string; name?: string; labels?: Record<string, string> } } }[];
}

/** Formats rows the way kubectl does: upper-case headers, columns padded to width + 3. */
export function formatTable(headers: string[], rows: string[][], printHeaders = true): string {
  const all = printHeaders ? [headers, ...rows] : rows;
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('').trimEnd()).join('\n') + (all.length ? '\n' : '');
}

export interface TableView {
  headers: string[];
  rows: string[][];
}

export function tableView(t: Table, opts: { wide: boolean; withNamespace: boolean; showLabels?: boolean }, columns = t.columnDefinitions): TableView {
  const idx = columns.map((c, i) => ({ c, i })).filter(({ c }) => opts.wide || c.priority === 0);
  const headers = [...(opts.withNamespace ? ['NAMESPACE'] : []), ...idx.map(({ c }) => c.name.toUpperCase()), ...(opts.showLabels ? ['LABELS'] : [])];
  const rows = t.rows.map((r) => [...(opts.withNamespace ? [r.object?.metadata?.namespace ?? ''] : []), ...idx.map(({ i }) => cell(r.cells[i])), ...(opts.showLabels ? [formatLabels(r.object?.metadata?.labels)] : [])]);
  return { headers, rows };
}

/** The kind and group of an object as kubectl's NamePrinter says them: pod, deployment.apps. */
export function kindAndGroup(apiVersion: string | undefined, kind: string | undefined): string {
  const group = apiVersion?.includes('/') ? apiVersion.split('/')[0] : '';
  return `${(kind ?? '').toLowerCase()}${group ? `.${group}` : ''}`;
}

/** Labels as labels.FormatLabels writes them for --show-labels: k=v by sorted key, comma-separated; `<none>` without any. */
export function formatLabels(labels: Record<string, string> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  return keys.length ? keys.map((k) => `${k}=${labels![k]}`).join(',') : '<none>';
}

const cell = (v: unknown) => (v === undefined || v === null ? '<none>' : String(v));

/**
 * Rows laid out as kubectl's tabwriter lays out a watch (its RememberWidths flag): a column is as
 * wide as the widest cell printed in it so far, plus 3, so the rows of later events line up under
 * the headers and rows printed before them (a wider cell widens the column from then on); the
 * last cell of a row is not padded.
 */
export class TableWriter {
  private readonly widths: number[] = [];

  format(rows: string[][]): string {
    for (const r of rows) r.slice(0, -1).forEach((c, i) => (this.widths[i] = Math.max(this.widths[i] ?? 0, c.length)));
    return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(this.widths[i]! + 3))).join('').trimEnd() + '\n').join('');
  }
}

/** A copy of `v` with every object's keys in sorted order, as Go's encoding/json writes the maps of an unstructured object. */
function sortedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedKeys);
  if (!v || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) out[k] = sortedKeys((v as Record<string, unknown>)[k]);
  return out;
}

/**
 * YAML as kubectl's YAMLPrinter writes it (sigs.k8s.io/yaml over go-yaml v2): keys in go-yaml's
 * order, list items at their key's indentation, a string quoted only as YAML 1.1 needs it, a
 * long one broken at 80 columns.
 */
export function toYaml(obj: unknown): string {
  // (go-yaml v2's encoder and emitter, as kubectl's -o yaml: pkg/util/yaml-emit.ts)
  return goYaml(obj);
}

/**
 * JSON as kubectl's JSONPrinter writes it: four-space indentation, keys sorted, and <, >, &,
 * U+2028 and U+2029 escaped as Go's json.MarshalIndent escapes them (they occur only in strings).
 */
export function toJson(obj: unknown): string {
  return JSON.stringify(sortedKeys(obj), null, 4).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) + '\n';
}
