// The CEL environment of ValidatingAdmissionPolicies (admissionregistration.k8s.io/v1): every
// expression of a policy sees `object`, `oldObject`, `request`, `params` and `namespaceObject`
// (null where there is none) and, except in matchConditions, `variables`, the policy's named
// expressions evaluated lazily (once each, when first used). matchConditions, variables and
// validations also see `authorizer` (admission-policy-authorizer.ts); messageExpressions and
// auditAnnotations do not, as in Kubernetes.
import { CelCompileError } from '../cel/errors.js';
import { compile, sureKind, type Program } from '../cel/program.js';
import { CelMap, type CelValue } from '../cel/values.js';
import { AUTHORIZER_METHODS } from './admission-policy-authorizer.js';

/** What an expression must evaluate to: a validation's expression bool, a messageExpression string, an audit annotation's value string or null. */
export type ExpressionKind = 'bool' | 'string' | 'string-or-null' | 'any';

const BASE = ['object', 'oldObject', 'request', 'params', 'namespaceObject'];
const cache = new Map<string, Program | string>();

/**
 * Compiles a policy expression: `variableNames` are the variables it may use as
 * `variables.<name>` (undefined: `variables` is not declared, as in matchConditions). Returns the
 * program or why it does not compile (`compilation failed: ERROR: ...`); cached.
 */
export function compilePolicyExpression(expression: string, kind: ExpressionKind, variableNames?: readonly string[], authorizer = true): Program | string {
  const key = `${kind}\0${authorizer}\0${variableNames ? variableNames.join(',') : '-'}\0${expression}`;
  let c = cache.get(key);
  if (c === undefined) {
    const names = new Set(variableNames ?? []);
    try {
      c = compile(expression, {
        variables: [...BASE, ...(variableNames ? ['variables'] : []), ...(authorizer ? ['authorizer'] : [])],
        ...(authorizer ? { methods: AUTHORIZER_METHODS } : {}),
        resolveField: (v, path) => (v === 'variables' && path.length && !names.has(path[0]!) ? `undefined field '${path[0]}'` : undefined),
      });
      // (CompileCELExpression's return type check, as far as an expression's shape tells it)
      const sure = sureKind(c.ast);
      const wrong = sure && ((kind === 'bool' && sure !== 'bool') || (kind === 'string' && sure !== 'string') || (kind === 'string-or-null' && sure !== 'string' && sure !== 'null'));
      if (wrong) c = kind === 'string-or-null' ? 'must evaluate to one of [string null_type]' : `must evaluate to ${kind}`;
    } catch (e) {
      if (!(e instanceof CelCompileError)) throw e;
      c = `compilation failed: ${e.message}`;
    }
    if (cache.size > 4096) cache.clear();
    cache.set(key, c);
  }
  return c;
}

/** `variables`: a map whose entries are computed on first use and kept (an error is kept too, and thrown at each use). */
export class LazyVariables extends CelMap {
  private readonly done = new Map<string, { value?: CelValue; error?: unknown }>();

  constructor(private readonly compute: (name: string) => CelValue | undefined) {
    super();
  }

  override get(k: CelValue): CelValue | undefined {
    if (typeof k !== 'string') return undefined;
    let r = this.done.get(k);
    if (!r) {
      try {
        r = { value: this.compute(k) };
      } catch (error) {
        r = { error };
      }
      this.done.set(k, r);
    }
    if (r.error) throw r.error;
    return r.value;
  }
}
