// The Labels and Annotations lines of tsctl describe, as kubectl's printLabelsMultiline and
// printAnnotationsMultiline write them: keys sorted, a label as key=value, an annotation as
// "key: value" (one that is long or spans lines under its key, each line cut at 138), and
// kubectl's last-applied-configuration left out (its skipAnnotations).
import { lastAppliedKey } from './apply.js';

/** Where tsctl describe's values begin. */
const column = 18;

/** An annotation's key and value longer than this go on lines of their own (describe.go's maxAnnotationLen). */
const maxAnnotationLen = 140;

const shorten = (s: string, max: number) => (s.length > max ? `${s.slice(0, max)}...` : s);

function titled(title: string, values: string[]): string[] {
  const head = `${title}:`.padEnd(Math.max(column, title.length + 2));
  if (!values.length) return [`${head}<none>`];
  return values.map((v, i) => `${i === 0 ? head : ' '.repeat(column)}${v}`);
}

export function labelLines(title: string, labels: Record<string, string> | undefined): string[] {
  const m = labels ?? {};
  return titled(title, Object.keys(m).sort().map((k) => `${k}=${m[k]}`));
}

export function annotationLines(title: string, annotations: Record<string, string> | undefined): string[] {
  const m = annotations ?? {};
  const out: string[] = [];
  for (const k of Object.keys(m).filter((k) => k !== lastAppliedKey).sort()) {
    const value = m[k]!.replace(/\n$/, '');
    if (value.length + k.length + 2 > maxAnnotationLen || value.includes('\n')) {
      out.push(`${k}:`);
      // (the value's lines two spaces in from the keys, as "%s  %s" after the tab writes them)
      for (const s of value.split('\n')) out.push(`  ${shorten(s, maxAnnotationLen - 2)}`);
    } else out.push(`${k}: ${value}`);
  }
  return titled(title, out);
}

/** A multi-line field ("Labels:\tk=v" then "\tk2=v2") from tsctl's column-18 lines, as tab-ended cells. */
export const tabbedField = (lines: string[], indent = '') => lines.map((l, i) => (i === 0 ? `${indent}${l.replace(/^(\S[^:]*:)\s+/, '$1\t')}` : `\t${l.slice(18)}`));

type Selector = { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };

/** labels.Selector's String(): requirements sorted by key, "k=v", "k in (a,b)", "k notin (a,b)", "k", "!k". */
export function selectorString(s: Selector | undefined): string {
  const reqs: [string, string][] = Object.entries(s?.matchLabels ?? {}).map(([k, v]) => [k, `${k}=${v}`]);
  for (const e of s?.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(',');
    const text = { In: `${e.key} in (${values})`, NotIn: `${e.key} notin (${values})`, Exists: e.key, DoesNotExist: `!${e.key}` }[e.operator] ?? e.key;
    reqs.push([e.key, text]);
  }
  return reqs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, t]) => t).join(',');
}
