// Label selectors (`a=b,c!=d,e in (x,y),f notin (z),g,!h`), LabelSelector objects
// (matchLabels/matchExpressions) and field selectors (`metadata.name=x,spec.nodeName!=`) with
// the selectable fields of each resource (k8s.io/apimachinery/pkg/labels and fields).
import type { KubeObject, LabelSelector } from './types.js';
import { isQualifiedName, isValidLabelValue } from './names.js';

export type LabelOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

/** A parsed label selector: all requirements must hold. `nothing` matches no object at all. */
export interface ParsedLabelSelector {
  requirements: LabelRequirement[];
  nothing?: boolean;
}

export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

type Token = { kind: 'id' | 'op' | '(' | ')' | ',' | '!' | 'end'; text: string };

function lex(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      out.push({ kind: c, text: c });
      i++;
    } else if (s.startsWith('==', i) || s.startsWith('!=', i)) {
      out.push({ kind: 'op', text: s.slice(i, i + 2) });
      i += 2;
    } else if (c === '=' || c === '>' || c === '<') {
      out.push({ kind: 'op', text: c });
      i++;
    } else if (c === '!') {
      out.push({ kind: '!', text: c });
      i++;
    } else {
      let j = i;
      while (j < s.length && !/[\s(),=!<>]/.test(s[j])) j++;
      out.push({ kind: 'id', text: s.slice(i, j) });
      i = j;
    }
  }
  out.push({ kind: 'end', text: '' });
  return out;
}

function checkKey(key: string): void {
  const errs = isQualifiedName(key);
  if (errs.length) throw new SelectorError(`key: Invalid value: "${key}": ${errs.join('; ')}`);
}

function checkValue(key: string, v: string): void {
  const errs = isValidLabelValue(v);
  if (errs.length) throw new SelectorError(`values[0][${key}]: Invalid value: "${v}": ${errs.join('; ')}`);
}

/** Parses a label selector string; the empty string selects everything. Throws SelectorError. */
export function parseLabelSelector(s: string): ParsedLabelSelector {
  const toks = lex(s);
  let p = 0;
  const peek = () => toks[p];
  const next = () => toks[p++];
  const expect = (kind: Token['kind'], what: string) => {
    const t = next();
    if (t.kind !== kind) throw new SelectorError(`found '${t.text}', expected: ${what}`);
    return t;
  };
  const requirements: LabelRequirement[] = [];
  if (peek().kind === 'end') return { requirements };
  for (;;) {
    if (peek().kind === '!') {
      next();
      const key = expect('id', 'identifier after \'!\'').text;
      checkKey(key);
      requirements.push({ key, operator: 'DoesNotExist', values: [] });
    } else {
      const key = expect('id', 'identifier').text;
      checkKey(key);
      const t = peek();
      if (t.kind === ',' || t.kind === 'end') {
        requirements.push({ key, operator: 'Exists', values: [] });
      } else if (t.kind === 'op') {
        next();
        const vt = peek();
        const value = vt.kind === 'id' ? (next(), vt.text) : '';
        if (vt.kind !== 'id' && vt.kind !== ',' && vt.kind !== 'end') throw new SelectorError(`found '${vt.text}', expected: identifier`);
        if (t.text === '>' || t.text === '<') {
          if (!/^-?\d+$/.test(value)) throw new SelectorError(`for 'Gt', 'Lt' operators, the value must be an integer`);
          requirements.push({ key, operator: t.text === '>' ? 'Gt' : 'Lt', values: [value] });
        } else {
          checkValue(key, value);
          requirements.push({ key, operator: t.text === '!=' ? 'NotIn' : 'In', values: [value] });
        }
      } else if (t.kind === 'id' && (t.text === 'in' || t.text === 'notin')) {
        next();
        expect('(', "'(' after set operator");
        const values: string[] = [];
        for (;;) {
          const v = peek();
          if (v.kind === 'id') {
            next();
            checkValue(key, v.text);
            values.push(v.text);
          } else if (v.kind === ',' || v.kind === ')') {
            values.push(''); // `a in (,x)` and `a in ()` mean the empty value, as in Kubernetes
          } else {
            throw new SelectorError(`found '${v.text}', expected: ',', ')' or identifier`);
          }
          const sep = next();
          if (sep.kind === ')') break;
          if (sep.kind !== ',') throw new SelectorError(`found '${sep.text}', expected: ',' or ')'`);
        }
        requirements.push({ key, operator: t.text === 'in' ? 'In' : 'NotIn', values: [...new Set(values)].sort() });
      } else {
        throw new SelectorError(`found '${t.text}', expected: in, notin, =, ==, !=, gt, lt`);
      }
    }
    const sep = next();
    if (sep.kind === 'end') break;
    if (sep.kind !== ',') throw new SelectorError(`found '${sep.text}', expected: ','`);
  }
  return { requirements };
}

/** Converts a LabelSelector object; `undefined`/null selects nothing, `{}` everything (as Kubernetes). */
/**
 * A selector as a LabelSelector: a ReplicationController's (and a Service's) plain label map
 * becomes matchLabels; a LabelSelector is returned as it is.
 */
export function asLabelSelector(sel: LabelSelector | Record<string, string> | null | undefined): LabelSelector | undefined {
  if (!sel) return undefined;
  if ('matchLabels' in sel || 'matchExpressions' in sel || !Object.keys(sel).length) return sel as LabelSelector;
  return { matchLabels: sel as Record<string, string> };
}

export function labelSelectorFromObject(sel: LabelSelector | null | undefined): ParsedLabelSelector {
  if (!sel) return { requirements: [], nothing: true };
  const requirements: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    checkKey(key);
    checkValue(key, value);
    requirements.push({ key, operator: 'In', values: [value] });
  }
  for (const e of sel.matchExpressions ?? []) {
    const key = e.key ?? '';
    checkKey(key);
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
      case 'NotIn':
        if (!values.length) throw new SelectorError(`values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty`);
        values.forEach((v) => checkValue(key, v));
        requirements.push({ key, operator: e.operator, values: [...values] });
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length) throw new SelectorError(`values: Invalid value: ${JSON.stringify(values)}: values set must be empty for exists and does not exist`);
        requirements.push({ key, operator: e.operator, values: [] });
        break;
      default:
        throw new SelectorError(`"${e.operator ?? ''}" is not a valid label selector operator`);
    }
  }
  return { requirements };
}

function matchesRequirement(r: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case 'In':
      return has && r.values.includes(v!);
    case 'NotIn':
      return !has || !r.values.includes(v!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || !/^-?\d+$/.test(v!)) return false;
      const n = Number(v);
      const want = Number(r.values[0]);
      return r.operator === 'Gt' ? n > want : n < want;
    }
  }
}

export function matchesLabelSelector(sel: ParsedLabelSelector, labels: Record<string, string> | undefined | null): boolean {
  if (sel.nothing) return false;
  const l = labels ?? {};
  return sel.requirements.every((r) => matchesRequirement(r, l));
}

/** Alias kept for callers that think in Kubernetes' `selector.Matches(labels)` terms. */
export const matchesLabels = matchesLabelSelector;

/** Prints a selector back in canonical string form (`a=b,c in (x,y)`). */
export function formatLabelSelector(sel: ParsedLabelSelector): string {
  return sel.requirements
    .map((r) => {
      switch (r.operator) {
        case 'In':
          return r.values.length === 1 ? `${r.key}=${r.values[0]}` : `${r.key} in (${r.values.join(',')})`;
        case 'NotIn':
          return r.values.length === 1 ? `${r.key}!=${r.values[0]}` : `${r.key} notin (${r.values.join(',')})`;
        case 'Exists':
          return r.key;
        case 'DoesNotExist':
          return `!${r.key}`;
        case 'Gt':
          return `${r.key}>${r.values[0]}`;
        case 'Lt':
          return `${r.key}<${r.values[0]}`;
      }
    })
    .join(',');
}

// ---- field selectors ----

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

export interface ParsedFieldSelector {
  requirements: FieldRequirement[];
}

/** Splits on unescaped commas and unescapes `\,` `\=` `\\` in values, as fields.ParseSelector does. */
export function parseFieldSelector(s: string): ParsedFieldSelector {
  const requirements: FieldRequirement[] = [];
  if (s.trim() === '') return { requirements };
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && i + 1 < s.length) {
      cur += s[i] + s[i + 1];
      i++;
    } else if (s[i] === ',') {
      parts.push(cur);
      cur = '';
    } else cur += s[i];
  }
  parts.push(cur);
  for (const part of parts) {
    const m = /^([^=!]*?)\s*(!=|==|=)(.*)$/.exec(part);
    if (!m) throw new SelectorError(`invalid selector: '${s}'; can't understand '${part}'`);
    const field = m[1].trim();
    if (!field) throw new SelectorError(`invalid selector: '${s}'; can't understand '${part}'`);
    let value = '';
    const raw = m[3];
    for (let i = 0; i < raw.length; i++) {
      if (raw[i] === '\\') {
        const n = raw[i + 1];
        if (n === ',' || n === '=' || n === '\\') {
          value += n;
          i++;
          continue;
        }
        throw new SelectorError(`invalid field selector: invalid escape sequence in '${raw}'`);
      }
      if (raw[i] === '=') throw new SelectorError(`invalid field selector: unescaped '=' in '${raw}'`);
      value += raw[i];
    }
    requirements.push({ field, op: m[2] === '!=' ? '!=' : '=', value });
  }
  return { requirements };
}

export function matchesFieldSelector(sel: ParsedFieldSelector, fields: Record<string, string>): boolean {
  return sel.requirements.every((r) => {
    const v = fields[r.field] ?? '';
    return r.op === '=' ? v === r.value : v !== r.value;
  });
}

// ---- selectable fields per resource ----

const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
type Obj = Record<string, unknown>;
const sub = (o: unknown, k: string): Obj => ((o as Obj | undefined)?.[k] ?? {}) as Obj;

function metaFields(obj: KubeObject, namespaced: boolean): Record<string, string> {
  return namespaced ? { 'metadata.name': str(obj.metadata?.name), 'metadata.namespace': str(obj.metadata?.namespace) } : { 'metadata.name': str(obj.metadata?.name) };
}

const selectable: Record<string, (obj: KubeObject) => Record<string, string>> = {
  // (one object literal: spreading metaFields into it cost more than the rest of the function)
  pods: (obj) => {
    const spec = sub(obj, 'spec');
    const status = sub(obj, 'status');
    return {
      'metadata.name': str(obj.metadata?.name),
      'metadata.namespace': str(obj.metadata?.namespace),
      'spec.nodeName': str(spec.nodeName),
      'spec.restartPolicy': str(spec.restartPolicy),
      'spec.schedulerName': str(spec.schedulerName),
      'spec.serviceAccountName': str(spec.serviceAccountName),
      'spec.hostNetwork': String(spec.hostNetwork === true),
      'status.phase': str(status.phase),
      'status.podIP': str(status.podIP),
      'status.nominatedNodeName': str(status.nominatedNodeName),
    };
  },
  nodes: (obj) => ({ 'metadata.name': str(obj.metadata?.name), 'spec.unschedulable': String(sub(obj, 'spec').unschedulable === true) }),
  // ReplicationControllerToSelectableFields: status.replicas besides the object's name and namespace.
  replicationcontrollers: (obj) => ({ 'metadata.name': str(obj.metadata?.name), 'metadata.namespace': str(obj.metadata?.namespace), 'status.replicas': String(sub(obj, 'status').replicas ?? 0) }),
  namespaces: (obj) => ({ 'metadata.name': str(obj.metadata?.name), 'status.phase': str(sub(obj, 'status').phase) }),
  events: (obj) => {
    const io = sub(obj, 'involvedObject');
    return {
      'metadata.name': str(obj.metadata?.name),
      'metadata.namespace': str(obj.metadata?.namespace),
      'involvedObject.kind': str(io.kind),
      'involvedObject.namespace': str(io.namespace),
      'involvedObject.name': str(io.name),
      'involvedObject.uid': str(io.uid),
      'involvedObject.apiVersion': str(io.apiVersion),
      'involvedObject.resourceVersion': str(io.resourceVersion),
      'involvedObject.fieldPath': str(io.fieldPath),
      reason: str(obj.reason),
      reportingComponent: str(obj.reportingComponent),
      source: str(sub(obj, 'source').component),
      type: str(obj.type),
    };
  },
  persistentvolumes: (obj) => metaFields(obj, false),
  storageclasses: (obj) => metaFields(obj, false),
  leases: (obj) => metaFields(obj, true),
  configmaps: (obj) => metaFields(obj, true),
  secrets: (obj) => ({ ...metaFields(obj, true), type: str(obj.type) }),
  serviceaccounts: (obj) => metaFields(obj, true),
  jobs: (obj) => ({ ...metaFields(obj, true), 'status.successful': str(sub(obj, 'status').succeeded ?? 0) }),
  services: (obj) => ({ ...metaFields(obj, true), 'spec.clusterIP': str(sub(obj, 'spec').clusterIP), 'spec.type': str(sub(obj, 'spec').type) }),
};

/**
 * The field-selector fields of an object of `resource` (plural name). Every supported label is
 * present (missing values are ""), so `label in fieldsOf(r, {})` tells whether it is supported.
 */
export function fieldsOf(resource: string, obj: KubeObject): Record<string, string> {
  const fn = selectable[resource];
  return fn ? fn(obj) : metaFields(obj, true);
}

/** Throws `field label not supported: foo` for a selector that names a field `resource` lacks. */
export function checkFieldSelector(resource: string, sel: ParsedFieldSelector): void {
  const supported = fieldsOf(resource, { metadata: {} });
  for (const r of sel.requirements) {
    if (!(r.field in supported)) throw new SelectorError(`field label not supported: ${r.field}`);
  }
}
