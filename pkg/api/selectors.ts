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
  /**
   * An In or NotIn of one value written equality-based (selection.Equals, DoubleEquals,
   * NotEquals): `a=b` parsed, and each of a LabelSelector's matchLabels. It matches as In or
   * NotIn does; Requirement.String prints it so (`a=b`) and the set-based ones as `a in (b)`.
   */
  equality?: '=' | '==' | '!=';
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

// The lexer and parser of k8s.io/apimachinery/pkg/labels (selector.go), error for error: the
// apiserver answers a bad ?labelSelector with labels.Parse's own words, and kubectl shows them.
type TokenKind = 'id' | 'in' | 'notin' | '!' | '=' | '==' | '!=' | '>' | '<' | '(' | ')' | ',' | 'end';
type Token = { kind: TokenKind; text: string };

const isLabelWhitespace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isSpecialSymbol = (c: string) => '=!(),><'.includes(c);
const specialTokens = new Set(['!', '!=', '=', '==', '(', ')', ',', '>', '<']);

function lex(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  for (;;) {
    while (i < s.length && isLabelWhitespace(s[i])) i++;
    if (i >= s.length) break;
    if (isSpecialSymbol(s[i])) {
      // (the longest run of special symbols that is still an operator: `!=` and `==`, else one)
      const two = s.slice(i, i + 2);
      const text = specialTokens.has(two) ? two : s[i];
      out.push({ kind: text as TokenKind, text });
      i += text.length;
    } else {
      let j = i;
      while (j < s.length && !isSpecialSymbol(s[j]) && !isLabelWhitespace(s[j])) j++;
      const text = s.slice(i, j);
      out.push({ kind: text === 'in' || text === 'notin' ? text : 'id', text });
      i = j;
    }
  }
  out.push({ kind: 'end', text: '' });
  return out;
}

/** Field errors as NewRequirement aggregates them: one is itself, several `[a, b]` without repeats. */
function aggregate(errs: string[]): string {
  const seen = [...new Set(errs)];
  return seen.length === 1 ? seen[0] : `[${seen.join(', ')}]`;
}

/** Parses a label selector string; the empty string selects everything. Throws SelectorError. */
export function parseLabelSelector(s: string): ParsedLabelSelector {
  const toks = lex(s);
  let p = 0;
  // In the Values context `in` and `notin` are identifiers (`a in (in)`), as the parser's lookahead(Values).
  const peek = (values = true): Token => {
    const t = toks[p];
    return values && (t.kind === 'in' || t.kind === 'notin') ? { kind: 'id', text: t.text } : t;
  };
  const next = (values = true): Token => {
    const t = peek(values);
    p++;
    return t;
  };
  const fail = (message: string): never => {
    throw new SelectorError(message);
  };

  // parseRequirement: its errors are the ones labels.Parse prefixes with "unable to parse requirement: "
  const requirement = (): LabelRequirement => {
    let t = next();
    let operator: LabelOperator | undefined;
    if (t.kind === '!') {
      operator = 'DoesNotExist';
      t = next();
    }
    if (t.kind !== 'id') fail(`found '${t.text}', expected: identifier`);
    const key = t.text;
    // (validateLabelKey with the parser's path, which labels.Parse leaves nil)
    const keyErrs = isQualifiedName(key);
    if (keyErrs.length) fail(`<nil>: Invalid value: "${key}": ${keyErrs.join('; ')}`);
    if (operator === 'DoesNotExist') return { key, operator, values: [] };
    const after = peek();
    if (after.kind === 'end' || after.kind === ',') return { key, operator: 'Exists', values: [] };
    const op = next(false);
    let values: string[];
    switch (op.kind) {
      case 'in':
      case 'notin': {
        const open = next();
        if (open.kind !== '(') fail(`found '${open.text}' expected: '('`);
        const first = peek();
        if (first.kind === ')') {
          next();
          values = [''];
        } else if (first.kind === 'id' || first.kind === ',') {
          // parseIdentifiersList: `(,x)`, `(x,)` and `(x,,y)` hold the empty value too
          const set = new Set<string>();
          for (;;) {
            const v = next();
            if (v.kind === 'id') {
              set.add(v.text);
              const sep = peek();
              if (sep.kind === ',') continue;
              if (sep.kind === ')') break;
              fail(`found '${sep.text}', expected: ',' or ')'`);
            } else if (v.kind === ',') {
              if (set.size === 0) set.add('');
              const sep = peek();
              if (sep.kind === ')') {
                set.add('');
                break;
              }
              if (sep.kind === ',') set.add('');
            } else {
              fail(`found '${v.text}', expected: ',', or identifier`);
            }
          }
          next(); // the ')'
          values = [...set];
        } else {
          fail(`found '${first.text}', expected: ',', ')' or identifier`);
        }
        break;
      }
      case '=':
      case '==':
      case '!=':
      case '>':
      case '<': {
        const v = peek();
        if (v.kind === 'end' || v.kind === ',') values = [''];
        else {
          next();
          if (v.kind !== 'id') fail(`found '${v.text}', expected: identifier`);
          values = [v.text];
        }
        break;
      }
      default:
        fail(`found '${op.text}', expected: in, notin, =, ==, !=, gt, lt`);
    }
    // NewRequirement's checks, on the values as a sorted set
    values = [...new Set(values!)].sort();
    const errs: string[] = [];
    if (op.kind === '>' || op.kind === '<') {
      values.forEach((v, i) => {
        if (!/^[+-]?\d+$/.test(v)) errs.push(`values[${i}]: Invalid value: "${v}": for 'Gt', 'Lt' operators, the value must be an integer`);
      });
    }
    values.forEach((v, i) => {
      const valueErrs = isValidLabelValue(v);
      if (valueErrs.length) errs.push(`values[${i}][${key}]: Invalid value: "${v}": ${valueErrs.join('; ')}`);
    });
    if (errs.length) fail(aggregate(errs));
    const operators: Record<string, LabelOperator> = { in: 'In', notin: 'NotIn', '=': 'In', '==': 'In', '!=': 'NotIn', '>': 'Gt', '<': 'Lt' };
    if (op.kind === '=' || op.kind === '==' || op.kind === '!=') return { key, operator: operators[op.kind], values, equality: op.kind };
    return { key, operator: operators[op.kind], values };
  };

  const requirements: LabelRequirement[] = [];
  for (;;) {
    const t = peek();
    if (t.kind === 'end') break;
    if (t.kind !== 'id' && t.kind !== '!') fail(`found '${t.text}', expected: !, identifier, or 'end of string'`);
    try {
      requirements.push(requirement());
    } catch (e) {
      throw new SelectorError(`unable to parse requirement: ${(e as Error).message}`);
    }
    const sep = next();
    if (sep.kind === 'end') break;
    if (sep.kind !== ',') fail(`found '${sep.text}', expected: ',' or 'end of string'`);
    const after = peek();
    if (after.kind !== 'id' && after.kind !== '!') fail(`found '${after.text}', expected: identifier after ','`);
  }
  return { requirements };
}

function checkKey(key: string): void {
  const errs = isQualifiedName(key);
  if (errs.length) throw new SelectorError(`key: Invalid value: "${key}": ${errs.join('; ')}`);
}

function checkValue(key: string, v: string): void {
  const errs = isValidLabelValue(v);
  if (errs.length) throw new SelectorError(`values[0][${key}]: Invalid value: "${v}": ${errs.join('; ')}`);
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
    requirements.push({ key, operator: 'In', values: [value], equality: '=' });
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

/**
 * labels.Requirement.Matches: whether `labels` (a node's fields, for a node selector's matchFields)
 * meet one requirement; Gt and Lt compare as integers, against exactly one value. A label
 * selector's or a node selector term's requirement, whose operator may be one no selector has.
 */
export function matchesRequirement(r: { key: string; operator: string; values: readonly string[] }, labels: Record<string, string>): boolean {
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
      const want = r.values[0];
      if (!has || r.values.length !== 1 || !/^-?\d+$/.test(v!) || !/^-?\d+$/.test(want!)) return false;
      return r.operator === 'Gt' ? Number(v) > Number(want) : Number(v) < Number(want);
    }
    default:
      return false;
  }
}

export function matchesLabelSelector(sel: ParsedLabelSelector, labels: Record<string, string> | undefined | null): boolean {
  if (sel.nothing) return false;
  const l = labels ?? {};
  return sel.requirements.every((r) => matchesRequirement(r, l));
}

/** Alias kept for callers that think in Kubernetes' `selector.Matches(labels)` terms. */
export const matchesLabels = matchesLabelSelector;

/**
 * Prints a selector back as labels.Selector's String() does (`a=b,c in (x,y)`): its requirements
 * by key (Add and Parse sort them), an equality-based one as written (`a=b`, `a==b`, `a!=b`,
 * and matchLabels as `a=b`), a set-based one in parentheses with its values sorted, even of one
 * value (`a in (b)`: what kubectl get rs -o wide and a Scale's status.selector show of a
 * matchExpressions selector).
 */
export function formatLabelSelector(sel: ParsedLabelSelector): string {
  const values = (r: LabelRequirement) => [...r.values].sort().join(',');
  return [...sel.requirements]
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((r) => {
      if (r.equality) return `${r.key}${r.equality}${r.values[0]}`;
      switch (r.operator) {
        case 'In':
          return `${r.key} in (${values(r)})`;
        case 'NotIn':
          return `${r.key} notin (${values(r)})`;
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

/**
 * Splits on unescaped commas and unescapes `\,` `\=` `\\` in values, as fields.ParseSelector
 * does, in its words: an empty term is skipped (`a=b,`), a term splits at its first `!=`, `==` or
 * `=` with nothing trimmed, and an unescaped `,` or `=` in a value is an UnescapedRune error,
 * which Go prints with the rune's number (`unescaped character in value: 61`).
 */
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
    if (part === '') continue;
    const m = /^(.*?)(!=|==|=)(.*)$/s.exec(part);
    if (!m) throw new SelectorError(`invalid selector: '${s}'; can't understand '${part}'`);
    const field = m[1];
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
        throw new SelectorError(`invalid field selector: invalid escape sequence: \\${n ?? ''}`);
      }
      if (raw[i] === '=' || raw[i] === ',') throw new SelectorError(`invalid field selector: unescaped character in value: ${raw.codePointAt(i)}`);
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
      // (an events.k8s.io-style event has no source: it selects by its reportingController, as
      // ToSelectableFields falls back since 1.19, so source=default-scheduler finds the scheduler's)
      source: str(sub(obj, 'source').component) || str(obj.reportingComponent),
      type: str(obj.type),
    };
  },
  // (PersistentVolumes and StorageClasses have no conversion func: DefaultMetaV1FieldSelectorConversion
  // takes metadata.namespace of them too, and it selects as "", as the default below does)
  // CertificateSigningRequest's conversion func: metadata.name and spec.signerName, no namespace.
  certificatesigningrequests: (obj) => ({ 'metadata.name': str(obj.metadata?.name), 'spec.signerName': str(sub(obj, 'spec').signerName) }),
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

/**
 * What a built-in kind's field-label conversion says of a label it does not take. The kinds whose
 * 1.32 version registers a conversion func (AddFieldLabelConversionFunc in pkg/apis/<group>/<version>/
 * conversion.go) say `field label not supported: foo` (batch/v1 Job its own sentence); every other
 * kind falls back to runtime.DefaultMetaV1FieldSelectorConversion, which names the two it takes.
 */
export function unsupportedFieldLabel(resource: string, label: string): string {
  if (resource === 'jobs') return `field label ${JSON.stringify(label)} not supported for Job`;
  if (convertedFieldLabels.has(resource)) return `field label not supported: ${label}`;
  return `${JSON.stringify(label)} is not a known field selector: only "metadata.name", "metadata.namespace"`;
}

const convertedFieldLabels = new Set(['pods', 'nodes', 'replicationcontrollers', 'events', 'namespaces', 'secrets', 'services', 'certificatesigningrequests']);

/** Throws the kind's conversion error for a selector that names a field `resource` does not take. */
export function checkFieldSelector(resource: string, sel: ParsedFieldSelector): void {
  const supported = fieldsOf(resource, { metadata: {} });
  for (const r of sel.requirements) {
    if (!(r.field in supported)) throw new SelectorError(unsupportedFieldLabel(resource, r.field));
  }
}
