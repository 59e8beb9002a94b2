// Printing in kubectl's forms: aligned tables from server-side Tables, YAML and JSON.
import yaml from 'js-yaml';

export interface TableColumn {
  name: string;
  priority: number;
}

export interface Table {
  columnDefinitions: TableColumn[];
  rows: { cells: unknown[]; object?: { metadata?: { namespace?: string; name?: string } } }[];
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

export function tableView(t: Table, opts: { wide: boolean; withNamespace: boolean }, columns = t.columnDefinitions): TableView {
  const idx = columns.map((c, i) => ({ c, i })).filter(({ c }) => opts.wide || c.priority === 0);
  const headers = [...(opts.withNamespace ? ['NAMESPACE'] : []), ...idx.map(({ c }) => c.name.toUpperCase())];
  const rows = t.rows.map((r) => [...(opts.withNamespace ? [r.object?.metadata?.namespace ?? ''] : []), ...idx.map(({ i }) => cell(r.cells[i]))]);
  return { headers, rows };
}

const cell = (v: unknown) => (v === undefined || v === null ? '<none>' : String(v));

export function toYaml(obj: unknown): string {
  return yaml.dump(obj, { noRefs: true, lineWidth: -1, sortKeys: false });
}

export function toJson(obj: unknown): string {
  return JSON.stringify(obj, null, 4) + '\n';
}
