// CEL matchConditions of admission webhooks (admissionregistration.k8s.io/v1): each expression
// sees `object`, `oldObject` (null where there is none) and `request` (the AdmissionRequest) as
// untyped values and must yield a bool; the webhook is called only when every condition is
// true. (`authorizer` is not offered: an expression using it does not compile here.)
import { CelCompileError, CelCostError, CelEvalError } from '../cel/errors.js';
import { compile, type Program } from '../cel/program.js';
import type { MatchCondition } from './generated/tskube/api/v1/admissionregistration.js';
import { toCelValue } from './crd-cel-values.js';
import { duplicate, invalid, required, tooMany, type FieldError } from './field-error.js';
import { isQualifiedName } from './names.js';

const VARIABLES = ['object', 'oldObject', 'request'];
const MAX_CONDITIONS = 64;
const cache = new Map<string, Program | string>();

/** The compiled expression, or the reason it does not compile (`compilation failed: ERROR: ...`); cached. */
export function compileMatchCondition(expression: string): Program | string {
  let c = cache.get(expression);
  if (c === undefined) {
    try {
      c = compile(expression, { variables: VARIABLES, expectBool: true });
    } catch (e) {
      if (!(e instanceof CelCompileError)) throw e;
      c = `compilation failed: ${e.message}`;
    }
    if (cache.size > 1024) cache.clear();
    cache.set(expression, c);
  }
  return c;
}

/** Validation of a webhook's matchConditions, in Kubernetes' words. */
export function validateMatchConditions(conditions: MatchCondition[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (conditions.length > MAX_CONDITIONS) errs.push(tooMany(path, conditions.length, MAX_CONDITIONS));
  const names = new Set<string>();
  conditions.forEach((c, i) => {
    const p = `${path}[${i}]`;
    const expr = (c.expression ?? '').trim();
    if (!expr) errs.push(required(`${p}.expression`));
    else {
      const compiled = compileMatchCondition(expr);
      if (typeof compiled === 'string') errs.push(invalid(`${p}.expression`, expr, compiled));
    }
    if (!c.name) errs.push(required(`${p}.name`));
    else {
      errs.push(...isQualifiedName(c.name).map((m) => invalid(`${p}.name`, c.name, m)));
      if (names.has(c.name)) errs.push(duplicate(`${p}.name`, c.name));
      names.add(c.name);
    }
  });
  return errs;
}

/**
 * Whether the conditions hold for a request: true when all are true, false at the first false;
 * an expression that fails to evaluate throws an Error naming the condition.
 */
export function matchConditionsHold(conditions: MatchCondition[], vars: { object: unknown; oldObject: unknown; request: unknown }): boolean {
  if (!conditions.length) return true;
  const celVars = { object: toCelValue(vars.object, undefined), oldObject: toCelValue(vars.oldObject, undefined), request: toCelValue(vars.request, undefined) };
  let firstError: Error | undefined;
  for (const c of conditions) {
    const p = compileMatchCondition((c.expression ?? '').trim());
    if (typeof p === 'string') throw new Error(`matchCondition '${c.name}': ${p}`);
    try {
      const { value } = p.evaluate(celVars);
      if (value === false) return false;
      if (value !== true) firstError ??= new Error(`matchCondition '${c.name}': must evaluate to bool`);
    } catch (e) {
      if (!(e instanceof CelEvalError || e instanceof CelCostError)) throw e;
      firstError ??= new Error(`matchCondition '${c.name}': ${e.message}`);
    }
  }
  // (a false condition decides even when another failed, as Kubernetes evaluates them)
  if (firstError) throw firstError;
  return true;
}
