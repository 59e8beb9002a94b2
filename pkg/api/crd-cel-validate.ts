// Evaluating a CRD's `x-kubernetes-validations` on a custom resource (create, update, status
// update), as apiextensions-apiserver's CEL validator does: rules run at their schema node for
// every value present (in objects, maps and list items); `self` is the value, `oldSelf` the
// old value correlated through object fields, map keys and the keys of list-type=map lists
// (transition rules are skipped where there is none, unless optionalOldSelf makes oldSelf an
// optional); on update, rules without oldSelf whose value did not change are not held against
// the object (validation ratcheting: an object stored before a rule was added can still be
// updated elsewhere). Failures read as Kubernetes words them: `spec: Invalid value: "object":
// <message>` (`failed rule: <rule>` without one; messageExpression, reason and fieldPath
// honoured), runtime errors `<error> evaluating rule: <rule>`. Each rule has a step budget and
// the object a total one.
import { CelCostError, CelEvalError } from '../cel/errors.js';
import { CelOptional, type CelValue } from '../cel/values.js';
import { compiledRules, OBJECT_COST_BUDGET, RULE_COST_LIMIT, schemaHasRules, type CompiledRule } from './crd-cel.js';
import { resolveFieldPath, toCelValue } from './crd-cel-values.js';
import type { JSONSchemaProps } from './crd-schema.js';
import { deepEqual } from './json-equal.js';
import { duplicate, forbidden, invalid, required, type FieldError } from './field-error.js';
import { isObject } from './json-object.js';

type Obj = Record<string, unknown>;
const ROOT_META = new Set(['apiVersion', 'kind', 'metadata']);

interface Walk {
  errs: FieldError[];
  /** Steps left of the object's budget; below zero nothing more is evaluated. */
  budget: number;
}

const ruleText = (r: CompiledRule['rule']) => (r.message ? r.message.trim() : String(r.rule).trim());

/** What a schema node's value shows as the bad value: its type for objects and arrays, else the value. */
const shownValue = (v: unknown, s: JSONSchemaProps): unknown => (s.type === 'object' || s.type === 'array' ? s.type : v);

function failure(path: string, value: unknown, detail: string, reason: string | undefined): FieldError {
  switch (reason) {
    case 'FieldValueForbidden':
      return forbidden(path, detail);
    case 'FieldValueRequired':
      return required(path, detail);
    case 'FieldValueDuplicate':
      return duplicate(path, value);
    default:
      return { type: 'FieldValueInvalid', field: path, badValue: value, detail };
  }
}

/** Kubernetes' MaxEvaluatedMessageExpressionSizeBytes. */
const MAX_MESSAGE_BYTES = 5 * 1024;

/**
 * The message of a failed rule from its messageExpression: a usable string, or undefined to
 * fall back to the message (a failure, a non-string, an empty or multi-line one); 'stop' when
 * it ran out of budget (reported; no further rules run).
 */
function messageOf(c: CompiledRule, vars: Record<string, CelValue>, path: string, s: JSONSchemaProps, w: Walk): string | undefined | 'stop' {
  if (!c.messageProgram) return undefined;
  try {
    const { value, cost } = c.messageProgram.evaluate(vars, Math.min(RULE_COST_LIMIT, Math.max(w.budget, 0)));
    w.budget -= cost;
    if (typeof value !== 'string') return undefined;
    const msg = value.trim();
    return msg && !msg.includes('\n') && Buffer.byteLength(msg) <= MAX_MESSAGE_BYTES ? msg : undefined;
  } catch (e) {
    if (e instanceof CelCostError) {
      w.errs.push(invalid(path, s.type ?? '', `no further validation rules will be run due to call cost exceeds limit for messageExpression: ${JSON.stringify(c.rule.messageExpression)}`));
      w.budget = -1;
      return 'stop';
    }
    return undefined; // (a CEL error: Program.evaluate throws nothing else)
  }
}

/** Runs the rules of one node; false when the budget ran out (nothing more is to be evaluated). */
function runRules(v: unknown, old: unknown, s: JSONSchemaProps, path: string, resource: boolean, w: Walk): boolean {
  const rules = compiledRules(s, resource);
  if (!rules.length) return true;
  const where = path || '<nil>'; // (the root's field.Path is nil)
  if (w.budget <= 0) {
    w.errs.push(invalid(where, s.type ?? '', 'validation failed due to running out of cost budget, no further validation rules will be run'));
    return false;
  }
  const hasOld = old !== undefined && old !== null;
  // Ratcheting: a value unchanged since the old object is not refused by rules that ignore oldSelf.
  const unchanged = hasOld && deepEqual(v, old); // (object keys in any order)
  let self: CelValue | undefined;
  let oldSelf: CelValue | undefined;
  for (const c of rules) {
    if (c.error) {
      w.errs.push(invalid(where, s.type ?? '', `rule compile error: ${c.error}`));
      continue;
    }
    // optionalOldSelf: the rule runs on create too, oldSelf an optional (optional.none() there).
    const optionalOld = c.usesOldSelf && c.rule.optionalOldSelf === true;
    if (!c.program || (c.usesOldSelf && !hasOld && !optionalOld) || (!c.usesOldSelf && unchanged)) continue;
    self ??= toCelValue(v, s, resource);
    if (c.usesOldSelf && hasOld) oldSelf ??= toCelValue(old, s, resource);
    const old$ = optionalOld ? (oldSelf === undefined ? CelOptional.NONE : new CelOptional(oldSelf)) : oldSelf;
    const vars: Record<string, CelValue> = c.usesOldSelf ? { self, oldSelf: old$! } : { self };
    let result: CelValue;
    try {
      const r = c.program.evaluate(vars, Math.min(RULE_COST_LIMIT, w.budget));
      w.budget -= r.cost;
      result = r.value;
    } catch (e) {
      if (e instanceof CelCostError) {
        const overall = w.budget < RULE_COST_LIMIT;
        w.errs.push(
          invalid(
            where,
            s.type ?? '',
            overall ? 'validation failed due to running out of cost budget, no further validation rules will be run' : `'${e.message}': no further validation rules will be run due to call cost exceeds limit for rule: ${ruleText(c.rule)}`,
          ),
        );
        w.budget = -1;
        return false;
      }
      // (only CEL errors reach here: Program.evaluate turns anything else into one)
      if (!(e instanceof CelEvalError)) throw e;
      const detail = e.message === 'no such overload' ? `'no such overload': call arguments did not match a supported operator, function or macro signature for rule: ${ruleText(c.rule)}` : `${e.message} evaluating rule: ${ruleText(c.rule)}`;
      w.errs.push(invalid(where, s.type ?? '', detail));
      continue;
    }
    if (result === true) continue;
    const resolved = c.rule.fieldPath ? resolveFieldPath(c.rule.fieldPath, s, path) : undefined;
    const fieldPath = resolved && 'path' in resolved ? resolved.path || '<nil>' : where;
    const msg = messageOf(c, vars, fieldPath, s, w);
    if (msg === 'stop') return false;
    if (msg !== undefined) {
      w.errs.push(failure(fieldPath, undefined, msg, c.rule.reason));
    } else {
      w.errs.push(failure(fieldPath, shownValue(v, s), c.rule.message ? c.rule.message.trim() : `failed rule: ${ruleText(c.rule)}`, c.rule.reason));
    }
  }
  return true;
}

/** The identity of a list-type=map item: its key fields' values. */
const mapItemKey = (item: Obj, keys: string[]) => keys.map((k) => JSON.stringify(item[k]) ?? '').join('\u0000');

/** The items of old list-type=map lists by their keys, indexed once per list (first item wins). */
const oldItemIndex = new WeakMap<unknown[], Map<string, Obj>>();

/** The old item of an x-kubernetes-list-type=map list with the same keys as `item`. */
function correlatedItem(item: unknown, old: unknown, s: JSONSchemaProps): unknown {
  if (s['x-kubernetes-list-type'] !== 'map' || !Array.isArray(old) || !isObject(item)) return undefined;
  const keys = s['x-kubernetes-list-map-keys'] ?? [];
  let index = oldItemIndex.get(old);
  if (!index) {
    index = new Map();
    for (const o of old) {
      if (!isObject(o)) continue;
      const k = mapItemKey(o, keys);
      if (!index.has(k)) index.set(k, o);
    }
    oldItemIndex.set(old, index);
  }
  return index.get(mapItemKey(item, keys));
}

function walk(v: unknown, old: unknown, s: JSONSchemaProps, path: string, resource: boolean, w: Walk): boolean {
  if (v === null || v === undefined || !schemaHasRules(s)) return true;
  if (!runRules(v, old, s, path, resource, w)) return false;
  if (Array.isArray(v) && s.items) {
    for (let i = 0; i < v.length; i++) {
      if (!walk(v[i], correlatedItem(v[i], old, s), s.items, `${path}[${i}]`, s.items['x-kubernetes-embedded-resource'] === true, w)) return false;
    }
  } else if (isObject(v)) {
    const oldObj = isObject(old) ? old : undefined;
    for (const [k, child] of Object.entries(v)) {
      if (resource && ROOT_META.has(k)) continue;
      const declared = s.properties?.[k];
      const cs = declared ?? (isObject(s.additionalProperties) ? (s.additionalProperties as JSONSchemaProps) : undefined);
      if (!cs) continue;
      const childPath = declared ? (path ? `${path}.${k}` : k) : `${path}[${k}]`;
      if (!walk(child, oldObj?.[k], cs, childPath, cs['x-kubernetes-embedded-resource'] === true, w)) return false;
    }
  }
  return true;
}

/** Schema errors after which rules are not evaluated (hasBlockingErr): a rule could not trust the object. */
const BLOCKING = new Set(['FieldValueNotSupported', 'FieldValueRequired', 'FieldValueTooLong', 'FieldValueTooMany', 'FieldValueTypeInvalid']);

/**
 * The CEL rule failures of custom resource `obj` (and `old` on update) under its version's
 * schema. Kubernetes evaluates no rule when the schema check found a value of the wrong type,
 * a missing required field, one not in its enum, or one too long or with too many items: then
 * a single error says so.
 */
export function validateObjectRules(obj: unknown, old: unknown, schema: JSONSchemaProps | undefined, schemaErrors: FieldError[] = []): FieldError[] {
  if (!schema || !schemaHasRules(schema)) return [];
  if (schemaErrors.some((e) => BLOCKING.has(e.type) || / must be of type /.test(e.detail))) {
    // (field.Invalid(nil, nil, ...): a nil value prints as the string "null")
    return [invalid('<nil>', 'null', 'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation')];
  }
  const w: Walk = { errs: [], budget: OBJECT_COST_BUDGET };
  walk(obj, old, schema, '', true, w);
  return w.errs;
}
