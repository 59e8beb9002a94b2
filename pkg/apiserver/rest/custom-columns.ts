// Table columns of custom resources: a Name column, then the version's additionalPrinterColumns
// evaluated with (a subset of) kubectl's JSONPath (`.spec.replicas`, `.status.conditions[0].type`,
// `.status.conditions[?(@.type=="Ready")].status`, `.items[*].name`); `date` columns print as an
// age. Without printer columns, Name and Age as for any resource.
import type { KubeObject } from '../../api/types.js';
import type { PrinterColumn } from '../../api/validation-crd.js';
import type { ResourceInfo } from '../registry/resources.js';
import { age, humanDuration, type Column, type Printer } from './table.js';

type Step = { key: string } | { index: number } | { all: true } | { filter: { path: string[]; value: string } };

/** Splits `.a.b[0].c[?(@.type=="Ready")].d` into steps; undefined for what this subset does not read. */
export function parseJsonPath(expr: string): Step[] | undefined {
  let s = expr.trim();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1);
  const steps: Step[] = [];
  let i = 0;
  while (i < s.length) {
    if (s[i] === '.') {
      const m = /^\.([A-Za-z0-9_\-$]+)/.exec(s.slice(i));
      if (!m) return undefined;
      steps.push({ key: m[1]! });
      i += m[0].length;
    } else if (s[i] === '[') {
      const rest = s.slice(i);
      let m = /^\[(\d+)\]/.exec(rest);
      if (m) {
        steps.push({ index: Number(m[1]) });
        i += m[0].length;
        continue;
      }
      m = /^\[\*\]/.exec(rest);
      if (m) {
        steps.push({ all: true });
        i += m[0].length;
        continue;
      }
      m = /^\[\?\(@((?:\.[A-Za-z0-9_\-]+)+)\s*==\s*["']([^"']*)["']\)\]/.exec(rest);
      if (m) {
        steps.push({ filter: { path: m[1]!.slice(1).split('.'), value: m[2]! } });
        i += m[0].length;
        continue;
      }
      m = /^\['([^']+)'\]/.exec(rest);
      if (m) {
        steps.push({ key: m[1]! });
        i += m[0].length;
        continue;
      }
      return undefined;
    } else return undefined;
  }
  return steps;
}

const child = (v: unknown, k: string): unknown => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>)[k] : undefined);

/** Every value `steps` reach in `obj`. */
export function evalJsonPath(obj: unknown, steps: Step[]): unknown[] {
  let cur: unknown[] = [obj];
  for (const st of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      if ('key' in st) next.push(child(v, st.key));
      else if ('index' in st) next.push(Array.isArray(v) ? v[st.index] : undefined);
      else if ('all' in st) next.push(...(Array.isArray(v) ? v : []));
      else if (Array.isArray(v)) next.push(...v.filter((x) => String(st.filter.path.reduce<unknown>((a, k) => child(a, k), x)) === st.filter.value));
    }
    cur = next.filter((x) => x !== undefined && x !== null);
  }
  return cur;
}

function cell(obj: KubeObject, c: PrinterColumn, steps: Step[] | undefined, now: number): unknown {
  const vals = steps ? evalJsonPath(obj, steps) : [];
  if (!vals.length) return null;
  if (c.type === 'date') {
    const t = Date.parse(String(vals[0]));
    return Number.isNaN(t) ? String(vals[0]) : humanDuration(now - t);
  }
  if (vals.length === 1 && (c.type === 'integer' || c.type === 'number' || c.type === 'boolean') && typeof vals[0] !== 'object') return vals[0];
  return vals.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(',');
}

/** The printer of a custom resource version, from its printer columns. */
export function customPrinter(r: ResourceInfo): Printer {
  const specs = r.printerColumns ?? [];
  const name: Column = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 };
  if (!specs.length) {
    return { columns: [name, { name: 'Age', type: 'date', format: '', description: 'Age', priority: 0 }], row: (o, now) => [o.metadata?.name, age(o, now)] };
  }
  const steps = specs.map((c) => parseJsonPath(c.jsonPath));
  return {
    columns: [name, ...specs.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description ?? '', priority: c.priority ?? 0 }))],
    row: (o, now) => [o.metadata?.name, ...specs.map((c, i) => cell(o, c, steps[i], now))],
  };
}
