// CEL validation rules of CustomResourceDefinitions (`x-kubernetes-validations`), as
// apiextensions-apiserver compiles them: each rule once per schema node (with `self`, and
// `oldSelf` for transition rules; fields checked against the schema), kept for the custom
// resources' checks (crd-cel-validate.ts). A CRD whose rule does not compile is refused with
// `...x-kubernetes-validations[0].rule: Invalid value: apiextensions.ValidationRule{...}:
// compilation failed: ERROR: <input>:...`; messageExpression, message, reason, fieldPath and
// the place of oldSelf are checked too.
import { compile, type Program } from '../cel/program.js';
import { CelCompileError } from '../cel/errors.js';
import { invalid, notSupported, required, VerbatimValue, type FieldError } from './field-error.js';
import type { JSONSchemaProps, ValidationRule } from './crd-schema.js';
import { resolveFieldPath, resolveSchemaField } from './crd-cel-values.js';
import { isObject } from './json-object.js';

/** Kubernetes' limits: per rule evaluation (PerCallLimit) and per object (RuntimeCELCostBudget). */
export const RULE_COST_LIMIT = 1_000_000;
export const OBJECT_COST_BUDGET = 10_000_000;

const REASONS = ['FieldValueInvalid', 'FieldValueForbidden', 'FieldValueRequired', 'FieldValueDuplicate'];

export interface CompiledRule {
  rule: ValidationRule;
  program?: Program;
  messageProgram?: Program;
  error?: string;
  messageError?: string;
  usesOldSelf: boolean;
}

/** A node's rules (an entry that is not an object counts as a rule without `rule`). */
const rulesOf = (s: JSONSchemaProps): ValidationRule[] => (Array.isArray(s['x-kubernetes-validations']) ? s['x-kubernetes-validations'].map((r) => (isObject(r) ? r : { rule: '' })) : []);

const compiledCache = new WeakMap<JSONSchemaProps, CompiledRule[]>();

function compileOne(source: string, s: JSONSchemaProps, resource: boolean, variables: string[], expectBool: boolean): Program {
  return compile(source, { variables, expectBool, resolveField: (_v, path) => resolveSchemaField(s, resource, path) });
}

/** The rules of schema node `s`, compiled once (errors kept, for the CRD check to report). */
export function compiledRules(s: JSONSchemaProps, resource: boolean): CompiledRule[] {
  let out = compiledCache.get(s);
  if (out) return out;
  out = rulesOf(s).map((rule) => {
    const c: CompiledRule = { rule, usesOldSelf: false };
    try {
      c.program = compileOne(String(rule.rule ?? ''), s, resource, ['self', 'oldSelf'], true);
      c.usesOldSelf = c.program.references.has('oldSelf');
    } catch (e) {
      if (!(e instanceof CelCompileError)) throw e;
      c.error = `compilation failed: ${e.message}`;
    }
    if (rule.messageExpression) {
      try {
        c.messageProgram = compileOne(String(rule.messageExpression), s, resource, ['self', 'oldSelf'], false);
      } catch (e) {
        if (!(e instanceof CelCompileError)) throw e;
        c.messageError = `messageExpression compilation failed: ${e.message}`;
      }
    }
    return c;
  });
  compiledCache.set(s, out);
  return out;
}

// ---- CustomResourceDefinition validation ----

const goString = (s: string | undefined) => JSON.stringify(s ?? '');

/** The rule as Go's %#v prints apiextensions.ValidationRule (what Kubernetes shows as the bad value). */
function goRule(r: ValidationRule): VerbatimValue {
  const reason = r.reason === undefined ? '(*apiextensions.FieldValueErrorReason)(nil)' : `(*apiextensions.FieldValueErrorReason)(${goString(r.reason)})`;
  const optional = r.optionalOldSelf === undefined ? '(*bool)(nil)' : `(*bool)(${r.optionalOldSelf})`;
  return new VerbatimValue(
    `apiextensions.ValidationRule{Rule:${goString(r.rule)}, Message:${goString(r.message)}, MessageExpression:${goString(r.messageExpression)}, Reason:${reason}, FieldPath:${goString(r.fieldPath)}, OptionalOldSelf:${optional}}`,
  );
}

/**
 * The rules of a version's schema, checked as a CRD is created or updated: each compiles, its
 * messageExpression too, reason is supported, fieldPath names a field, and oldSelf is only used
 * where old values correlate (not under lists other than x-kubernetes-list-type=map).
 */
export function validateSchemaRules(s: JSONSchemaProps | undefined, path: string, resource = true, correlatable = true, uncorrelatedAt = ''): FieldError[] {
  if (!isObject(s)) return [];
  const errs: FieldError[] = [];
  compiledRules(s, resource).forEach((c, i) => {
    const rp = `${path}.x-kubernetes-validations[${i}]`;
    const r = c.rule;
    const rule = String(r.rule ?? '').trim();
    const message = r.message === undefined ? undefined : String(r.message);
    // (the checks of the rule's fields, worded and ordered as apiextensions-apiserver's)
    if (!rule) errs.push(required(`${rp}.rule`, 'rule is not specified'));
    else if (message !== undefined && message.length > 0 && !message.trim()) errs.push(invalid(`${rp}.message`, message, 'message must be non-empty if specified'));
    else if (message !== undefined && /[\r\n]/.test(message.trim())) errs.push(invalid(`${rp}.message`, message, 'message must not contain line breaks'));
    else if (/[\r\n]/.test(rule) && !message?.trim()) errs.push(required(`${rp}.message`, 'message must be specified if rule contains line breaks'));
    if (r.messageExpression !== undefined && String(r.messageExpression).length > 0 && !String(r.messageExpression).trim()) errs.push(required(`${rp}.messageExpression`, 'messageExpression must be non-empty if specified'));
    if (r.reason !== undefined && !REASONS.includes(r.reason)) errs.push(notSupported(`${rp}.reason`, r.reason, [...REASONS].sort()));
    if (r.fieldPath !== undefined && String(r.fieldPath).length > 0) {
      const fp = String(r.fieldPath);
      if (!fp.trim()) errs.push(invalid(`${rp}.fieldPath`, fp, 'fieldPath must be non-empty if specified'));
      else if (/[\r\n]/.test(fp)) errs.push(invalid(`${rp}.fieldPath`, fp, 'fieldPath must not contain line breaks'));
      else if ('problem' in resolveFieldPath(fp, s)) errs.push(invalid(`${rp}.fieldPath`, fp, 'fieldPath must be a valid path'));
    }
    if (!rule) return;
    if (c.error) errs.push(invalid(`${rp}.rule`, goRule(r), c.error));
    if (c.messageError) errs.push(invalid(`${rp}.messageExpression`, goRule(r), c.messageError));
    if (c.usesOldSelf && !correlatable) errs.push(invalid(`${rp}.rule`, r.rule, `oldSelf cannot be used on the uncorrelatable portion of the schema within ${uncorrelatedAt}`));
    else if (!c.usesOldSelf && r.optionalOldSelf !== undefined) errs.push(invalid(`${rp}.optionalOldSelf`, r.optionalOldSelf, 'may not be set if oldSelf is not used in rule'));
  });
  for (const [k, p] of Object.entries(s.properties ?? {})) {
    if (resource && k === 'metadata') continue;
    errs.push(...validateSchemaRules(p, `${path}.properties[${k}]`, p?.['x-kubernetes-embedded-resource'] === true, correlatable, uncorrelatedAt));
  }
  if (isObject(s.additionalProperties)) errs.push(...validateSchemaRules(s.additionalProperties as JSONSchemaProps, `${path}.additionalProperties`, false, correlatable, uncorrelatedAt));
  // Items of lists other than x-kubernetes-list-type=map have no old value to correlate with.
  if (isObject(s.items)) {
    const keyed = s['x-kubernetes-list-type'] === 'map';
    const where = uncorrelatedAt || (keyed ? '' : path);
    errs.push(...validateSchemaRules(s.items, `${path}.items`, s.items['x-kubernetes-embedded-resource'] === true, correlatable && keyed, where));
  }
  return errs;
}

/** Whether a schema has rules anywhere (objects of schemas without any skip the walk). */
const hasRulesCache = new WeakMap<JSONSchemaProps, boolean>();
function hasRules(s: unknown): boolean {
  if (!isObject(s)) return false;
  let v = hasRulesCache.get(s);
  if (v === undefined) {
    v = rulesOf(s).length > 0 || Object.values(s.properties ?? {}).some(hasRules) || hasRules(s.items) || (isObject(s.additionalProperties) && hasRules(s.additionalProperties));
    hasRulesCache.set(s, v);
  }
  return v;
}

export const schemaHasRules = (s: JSONSchemaProps | undefined): boolean => hasRules(s);
