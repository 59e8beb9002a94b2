// tsctl describe for a kind kubectl has no describer of (a Lease, a custom resource, a webhook
// configuration), as kubectl 1.32's genericDescriber writes it: Name, Namespace, Labels,
// Annotations, then every other field (metadata's managedFields left out) with its name made a
// label ("holderIdentity" as "Holder Identity"), maps and lists nested two spaces in, then the
// events; in tab-ended cells for ./tabwriter.ts.
import type { KubeObject } from '../api/types.js';
import { tabbedField } from './describe-deployment.js';
import { annotationLines, labelLines } from './describe-meta.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const isMap = (v: unknown): v is { [k: string]: Json } => !!v && typeof v === 'object' && !Array.isArray(v);

/** fatih/camelcase's Split: runs of lower case, upper case, digits and others, an upper-case run's last letter starting the next lower-case one. */
function camelcaseSplit(s: string): string[] {
  const cls = (c: string) => (/\p{Ll}/u.test(c) ? 1 : /\p{Lu}/u.test(c) ? 2 : /\p{Nd}/u.test(c) ? 3 : 4);
  const runs: string[][] = [];
  let last = 0;
  for (const c of s) {
    const k = cls(c);
    if (k === last) runs[runs.length - 1]!.push(c);
    else runs.push([c]);
    last = k;
  }
  for (let i = 0; i < runs.length - 1; i++) {
    if (cls(runs[i]![0]!) === 2 && cls(runs[i + 1]![0]!) === 1) runs[i + 1]!.unshift(runs[i]!.pop()!);
  }
  return runs.filter((r) => r.length).map((r) => r.join(''));
}

/** smartLabelFor (1.32): a field of letters and '-' split at its camel case, each part titled, API, URL, UID, OSB and GUID upper-cased. */
export function smartLabelFor(field: string): string {
  if ([...field].some((c) => !/\p{L}/u.test(c) && c !== '-')) return field;
  return camelcaseSplit(field)
    .filter((p) => p !== '_')
    .map((p) => (['API', 'URL', 'UID', 'OSB', 'GUID'].includes(p.toUpperCase()) ? p.toUpperCase() : p.replace(/(^|[^\p{L}])(\p{L})/gu, (_, a: string, b: string) => a + b.toUpperCase())))
    .join(' ');
}

/** Go's %v of a decoded JSON value. */
function goValue(v: Json): string {
  if (v === null) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (isMap(v)) return `map[${Object.keys(v).sort().map((k) => `${k}:${goValue(v[k]!)}`).join(' ')}]`;
  return String(v);
}

const skipped = ['.metadata.managedFields', '.metadata.name', '.metadata.namespace', '.metadata.labels', '.metadata.annotations'];

/** printUnstructuredContent: fields sorted, each map or list under its label, a scalar after a tab. */
function contentLines(content: { [k: string]: Json }, level: number, prefix: string, out: string[]): void {
  const pad = '  '.repeat(level);
  for (const field of Object.keys(content).sort()) {
    const v = content[field]!;
    const path = `${prefix}.${field}`;
    if (skipped.includes(path)) continue;
    if (isMap(v)) {
      out.push(`${pad}${smartLabelFor(field)}:`);
      contentLines(v, level + 1, path, out);
    } else if (Array.isArray(v)) {
      out.push(`${pad}${smartLabelFor(field)}:`);
      for (const child of v) {
        if (isMap(child)) contentLines(child, level + 1, path, out);
        else out.push(`${pad}  ${goValue(child)}`);
      }
    } else out.push(`${pad}${smartLabelFor(field)}:\t${goValue(v)}`);
  }
}

/** The lines of the generic description up to its events. */
export function describeGeneric(obj: KubeObject & Record<string, unknown>): string[] {
  const meta = obj.metadata ?? {};
  const out = [`Name:\t${meta.name ?? ''}`, `Namespace:\t${meta.namespace ?? ''}`, ...tabbedField(labelLines('Labels', meta.labels)), ...tabbedField(annotationLines('Annotations', meta.annotations))];
  contentLines(JSON.parse(JSON.stringify(obj)) as { [k: string]: Json }, 0, '', out);
  return out;
}
