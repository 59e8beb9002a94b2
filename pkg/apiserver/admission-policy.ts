// kube-apiserver's ValidatingAdmissionPolicy plugin: every ValidatingAdmissionPolicy whose
// matchConstraints match a request is evaluated once per binding whose matchResources match it,
// with the binding's params (paramRef by name or selector, of the policy's paramKind). The
// policy's matchConditions decide whether it applies, then its validations run (CEL over object,
// oldObject, request, params, namespaceObject and variables). A failed validation is acted on as
// the binding says: Deny refuses with the validation's reason, Warn adds a Warning header, Audit
// logs the failure (this apiserver has no audit log: a structured log line stands in for it).
// Expression errors and misconfigurations (a missing paramKind, params not found under Deny)
// follow the policy's failurePolicy. Policies and bindings are read from the watch caches.
import type { KubeObject, LabelSelector, MatchResources, ParamRef, ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from '../api/types.js';
import { compilePolicyExpression, LazyVariables } from '../api/admission-policy-cel.js';
import { celAuthorizer, NeedDecision, type AuthzCheck, type AuthzDecision } from '../api/admission-policy-authorizer.js';
import { toCelValue } from '../api/crd-cel-values.js';
import { labelSelectorFromObject, matchesLabelSelector } from '../api/selectors.js';
import { CelCostError, CelEvalError } from '../cel/errors.js';
import { typeName, type CelValue } from '../cel/values.js';
import { logger } from '../util/log.js';
import type { AdmissionPlugin, AdmissionRequest } from './admission.js';
import { celRequest, EXEMPT, headerSafe, ruleMatches, selectorsMatch } from './admission-webhook.js';
import { admissionForbidden, ApiError } from './errors.js';

const log = logger('admission-policy');

/** A kind's objects, as the params of a policy are looked up. */
export interface ParamSource {
  namespaced: boolean;
  get(namespace: string | undefined, name: string): KubeObject | undefined;
  list(namespace: string | undefined): KubeObject[];
}

export interface PolicyAccess {
  policies(): ValidatingAdmissionPolicy[];
  bindings(): ValidatingAdmissionPolicyBinding[];
  /** The objects of a paramKind (undefined: no such kind is served). */
  params(apiVersion: string, kind: string): ParamSource | undefined;
  namespace(name: string): Promise<KubeObject | undefined>;
  /** What the apiserver's authorizer says of a check (for the CEL `authorizer`). */
  authorize(check: AuthzCheck): Promise<AuthzDecision>;
}

type Action = 'Deny' | 'Warn' | 'Audit';
type Policy = ValidatingAdmissionPolicy & { spec: NonNullable<ValidatingAdmissionPolicy['spec']> };
type Binding = ValidatingAdmissionPolicyBinding & { spec: NonNullable<ValidatingAdmissionPolicyBinding['spec']> };

/** One failed validation (or misconfiguration) of a policy under a binding. */
export interface PolicyFailure {
  message: string;
  /** Unauthorized, Forbidden, Invalid, RequestEntityTooLarge. */
  reason: string;
  /** Which validation failed (for the audit annotation); -1 for errors outside validations. */
  expressionIndex: number;
}

const REASON_CODES: Record<string, number> = { Unauthorized: 401, Forbidden: 403, Invalid: 422, RequestEntityTooLarge: 413 };
const nameOf = (o: { metadata?: { name?: string } }) => o.metadata?.name ?? '';

/** Whether the request is one of the resources a rule list names (and its resourceNames, where set). */
function rulesMatch(rules: MatchResources['resourceRules'], req: AdmissionRequest): boolean {
  const name = req.name || req.obj?.metadata?.name || '';
  return (rules ?? []).some((r) => ruleMatches(r, req) && (!r.resourceNames?.length || r.resourceNames.includes(name)));
}

/** kube's generic matcher over matchResources: selectors, resourceRules, then excludeResourceRules. */
async function resourcesMatch(m: MatchResources | undefined, req: AdmissionRequest, access: PolicyAccess, requireRules: boolean): Promise<boolean> {
  if (!m) return true;
  if ((requireRules || m.resourceRules?.length) && !rulesMatch(m.resourceRules, req)) return false;
  if (rulesMatch(m.excludeResourceRules, req)) return false;
  return selectorsMatch(m, req, async (ns) => (await access.namespace(ns))?.metadata?.labels ?? undefined);
}

/** Kubernetes' CollectParams: the params a binding hands its policy ([null] without a paramKind), or an Error (a misconfiguration). */
function collectParams(policy: Policy, binding: Binding, req: AdmissionRequest, access: PolicyAccess): (KubeObject | null)[] | Error {
  const pk = policy.spec.paramKind;
  const ref: ParamRef | undefined = binding.spec.paramRef;
  if (!pk || !ref) return [null];
  const source = access.params(pk.apiVersion ?? '', pk.kind ?? '');
  if (!source) return new Error(`paramKind kind \`${pk.apiVersion ?? ''}, Kind=${pk.kind ?? ''}\` not known`);
  let ns: string | undefined;
  if (source.namespaced) {
    ns = ref.namespace || req.namespace;
    if (!ns) return new Error('cannot use namespaced paramRef in policy binding that matches cluster-scoped resources');
  } else if (ref.namespace) return new Error('paramRef.namespace must not be provided for a cluster-scoped `paramKind`');
  let params: KubeObject[];
  if (ref.name) {
    const p = source.get(ns, ref.name);
    params = p ? [p] : [];
  } else {
    const sel = labelSelectorFromObject((ref.selector ?? {}) as LabelSelector);
    params = source.list(ns).filter((o) => matchesLabelSelector(sel, o.metadata?.labels ?? {}));
  }
  if (!params.length && ref.parameterNotFoundAction === 'Deny') return new Error('no params found for policy binding with `Deny` parameterNotFoundAction');
  return params;
}

const evalError = (expression: string, e: unknown): Error => {
  // (a pending authorization is not an error: the caller authorizes and evaluates again)
  if (e instanceof NeedDecision) throw e;
  if (e instanceof CelCostError) return new Error('validation failed due to running out of cost budget, no further validation rules will be run');
  if (!(e instanceof CelEvalError)) throw e;
  // (passes through an enclosing evaluation as it is: a lazy variable's error is the policy's error)
  return Object.assign(new Error(`expression '${expression}' resulted in error: ${e.message}`), { celPassThrough: true });
};

/** Runs one CEL expression of the policy (compiled when the policy was written; cached). */
function run(expression: string, kind: 'bool' | 'any', variableNames: readonly string[] | undefined, vars: Record<string, CelValue>, authorizer = true): CelValue {
  const p = compilePolicyExpression(expression.trim(), kind, variableNames, authorizer);
  if (typeof p === 'string') throw new Error(`compilation error: ${p}`);
  try {
    return p.evaluate(vars).value;
  } catch (e) {
    throw evalError(expression, e);
  }
}

/**
 * Evaluates a policy for one request and one param: undefined when its matchConditions pass it
 * over, else the failed validations (an expression error is one too, unless failurePolicy is
 * Ignore). Audit annotations are returned as key/value pairs.
 */
export function evaluatePolicy(
  policy: Policy,
  input: { object: unknown; oldObject: unknown; request: unknown; params: unknown; namespaceObject: unknown; authorizer?: CelValue },
): { failures: PolicyFailure[]; annotations: Record<string, string> } | undefined {
  const spec = policy.spec;
  const ignore = spec.failurePolicy === 'Ignore';
  const base: Record<string, CelValue> = {
    object: toCelValue(input.object, undefined),
    oldObject: toCelValue(input.oldObject, undefined),
    request: toCelValue(input.request, undefined),
    params: toCelValue(input.params, undefined),
    namespaceObject: toCelValue(input.namespaceObject, undefined),
    ...(input.authorizer ? { authorizer: input.authorizer } : {}),
  };
  const failures: PolicyFailure[] = [];
  const errorFailure = (e: Error, expressionIndex: number) => {
    if (e instanceof NeedDecision) throw e;
    if (ignore) log.info('policy expression failed, ignored (failurePolicy Ignore)', { policy: nameOf(policy), err: e.message });
    else failures.push({ message: e.message, reason: 'Invalid', expressionIndex });
  };
  // matchConditions: any false passes the policy over, even when another one failed
  let conditionError: Error | undefined;
  for (const c of spec.matchConditions ?? []) {
    let v: CelValue;
    try {
      v = run(c.expression ?? '', 'bool', undefined, base);
    } catch (e) {
      if (e instanceof NeedDecision) throw e;
      conditionError ??= e as Error;
      continue;
    }
    if (v === false) return undefined;
    if (v !== true) conditionError ??= new Error(`expression '${c.expression}' must evaluate to bool`);
  }
  if (conditionError) {
    errorFailure(conditionError, -1);
    return { failures, annotations: {} };
  }
  const declared = (spec.variables ?? []).map((v) => v.name ?? '');
  const vars: Record<string, CelValue> = { ...base };
  vars.variables = new LazyVariables((name) => {
    const i = declared.indexOf(name);
    if (i < 0) return undefined;
    const v = spec.variables![i]!;
    return run(v.expression ?? '', 'any', declared.slice(0, i), vars);
  });
  (spec.validations ?? []).forEach((v, i) => {
    let ok: CelValue;
    try {
      ok = run(v.expression ?? '', 'bool', declared, vars);
    } catch (e) {
      errorFailure(e as Error, i);
      return;
    }
    if (ok === true) return;
    if (ok !== false) {
      errorFailure(new Error(`expression '${v.expression}' resulted in error: must evaluate to bool`), i);
      return;
    }
    let message = v.message?.trim() || `failed expression: ${(v.expression ?? '').trim()}`;
    if (v.messageExpression) {
      // (a messageExpression that fails or yields no usable string leaves the static message)
      try {
        const m = run(v.messageExpression, 'any', declared, vars, false);
        if (typeof m === 'string' && m.trim() && !/[\r\n]/.test(m)) message = m.trim();
        else log.warn('messageExpression did not yield a single-line non-empty string', { policy: nameOf(policy), validation: i });
      } catch (e) {
        if (e instanceof NeedDecision) throw e;
        log.warn('messageExpression failed', { policy: nameOf(policy), validation: i, err: (e as Error).message });
      }
    }
    failures.push({ message, reason: v.reason || 'Invalid', expressionIndex: i });
  });
  const annotations: Record<string, string> = {};
  for (const a of spec.auditAnnotations ?? []) {
    try {
      const v = run(a.valueExpression ?? '', 'any', declared, vars, false);
      // (an empty string or null leaves the annotation out)
      if (typeof v === 'string') {
        if (v.trim()) annotations[`${nameOf(policy)}/${a.key}`] = v.trim().slice(0, 10 * 1024);
      } else if (v !== null) throw new Error(`valueExpression '${a.valueExpression}' resulted in unsupported return type: ${typeName(v)}. Return type must be either string or null.`);
    } catch (e) {
      errorFailure(e as Error, -1);
    }
  }
  return { failures, annotations };
}

/** Distinct authorization checks one evaluation may ask for (each one costs a further evaluation). */
const MAX_AUTHZ_ROUNDS = 100;

/** Evaluates with an `authorizer` for the requesting user, authorizing each check it asks for and evaluating again. */
async function evaluateAuthorized<T>(req: AdmissionRequest, access: PolicyAccess, decisions: Map<string, AuthzDecision>, evaluate: (authorizer: CelValue) => T): Promise<T> {
  const u = req.ctx.user;
  const user = { name: u?.name ?? '', groups: u?.groups ?? [], ...(u?.uid ? { uid: u.uid } : {}), ...(u?.extra ? { extra: u.extra } : {}) };
  const own = { group: req.resource.group, resource: req.resource.name, ...(req.subresource ? { subresource: req.subresource } : {}), ...(req.namespace ? { namespace: req.namespace } : {}), name: req.name || req.obj?.metadata?.name || '' };
  for (let round = 0; ; round++) {
    try {
      return evaluate(celAuthorizer(user, decisions, own));
    } catch (e) {
      if (!(e instanceof NeedDecision) || round >= MAX_AUTHZ_ROUNDS) throw e;
      decisions.set(e.key, await access.authorize(e.check));
    }
  }
}

/** The request's refusal, as Kubernetes words it: `deployments.apps "web" is forbidden: ValidatingAdmissionPolicy 'p' with binding 'b' denied request: ...`. */
function denial(req: AdmissionRequest, policy: string, binding: string | undefined, f: PolicyFailure) {
  const by = binding === undefined ? `ValidatingAdmissionPolicy '${policy}'` : `ValidatingAdmissionPolicy '${policy}' with binding '${binding}'`;
  const forbidden = admissionForbidden(req.resource.group, req.resource.name, req.name || req.obj?.metadata?.name, `${by} denied request: ${f.message}`);
  // (the message is a cause too, as in kube: kubectl prints `The deployments "web" is invalid: : ...` for a 422)
  return new ApiError(REASON_CODES[f.reason] ?? 422, f.reason, forbidden.message, { ...forbidden.details, causes: [{ message: `${by} denied request: ${f.message}` }] });
}

async function dispatch(req: AdmissionRequest, access: PolicyAccess): Promise<void> {
  const policies = access.policies() as Policy[];
  if (!policies.length) return;
  const bindings = access.bindings() as Binding[];
  let denied: { policy: string; binding?: string; failure: PolicyFailure } | undefined;
  let request: Record<string, unknown> | undefined;
  let namespaceObject: KubeObject | null | undefined;
  // (authorization decisions of the request's CEL checks, kept across policies as kube's caching authorizer keeps them)
  const decisions = new Map<string, AuthzDecision>();
  for (const policy of [...policies].sort((a, b) => nameOf(a).localeCompare(nameOf(b)))) {
    if (!policy.spec) continue;
    const mine = bindings.filter((b) => b.spec?.policyName === nameOf(policy));
    if (!mine.length || !(await resourcesMatch(policy.spec.matchConstraints, req, access, true))) continue;
    const failOnError = policy.spec.failurePolicy !== 'Ignore';
    const pk = policy.spec.paramKind;
    if (pk && !access.params(pk.apiVersion ?? '', pk.kind ?? '')) {
      // (a policy whose paramKind is not served is misconfigured, whichever binding matches)
      // (schema.GroupVersionKind's String(): `group/version, Kind=kind`, `/v1, Kind=...` for the core group)
      const gv = (pk.apiVersion ?? '').includes('/') ? pk.apiVersion : `/${pk.apiVersion ?? ''}`;
      const message = `failed to configure policy: failed to find resource referenced by paramKind: '${gv}, Kind=${pk.kind ?? ''}'`;
      if (failOnError) denied ??= { policy: nameOf(policy), failure: { message, reason: 'Invalid', expressionIndex: -1 } };
      else log.info('policy misconfigured, ignored (failurePolicy Ignore)', { policy: nameOf(policy), err: message });
      continue;
    }
    for (const binding of mine.sort((a, b) => nameOf(a).localeCompare(nameOf(b)))) {
      if (!(await resourcesMatch(binding.spec.matchResources, req, access, false))) continue;
      const params = collectParams(policy, binding, req, access);
      if (params instanceof Error) {
        if (failOnError) denied ??= { policy: nameOf(policy), binding: nameOf(binding), failure: { message: `failed to configure binding: ${params.message}`, reason: 'Invalid', expressionIndex: -1 } };
        else log.info('policy misconfigured, ignored (failurePolicy Ignore)', { policy: nameOf(policy), binding: nameOf(binding), err: params.message });
        continue;
      }
      request ??= celRequest(req);
      if (namespaceObject === undefined) namespaceObject = (req.resource.namespaced && req.namespace ? await access.namespace(req.namespace) : undefined) ?? null;
      const actions = new Set(binding.spec.validationActions ?? []) as Set<Action>;
      for (const param of params) {
        const result = await evaluateAuthorized(req, access, decisions, (authorizer) => evaluatePolicy(policy, { object: request!.object, oldObject: request!.oldObject, request, params: param, namespaceObject, authorizer }));
        if (!result) continue;
        for (const [k, v] of Object.entries(result.annotations)) log.info('audit annotation', { key: k, value: v, resource: req.resource.name, namespace: req.namespace, name: req.name });
        for (const f of result.failures) {
          const who = { policy: nameOf(policy), binding: nameOf(binding) };
          if (actions.has('Deny')) denied ??= { ...who, failure: f };
          if (actions.has('Warn')) req.ctx.warnings.push(headerSafe(`Validation failed for ValidatingAdmissionPolicy '${who.policy}' with binding '${who.binding}': ${f.message}`));
          if (actions.has('Audit')) {
            const value = JSON.stringify([{ message: f.message, policy: who.policy, binding: who.binding, expressionIndex: f.expressionIndex, validationActions: [...actions] }]);
            log.info('audit annotation', { key: 'validation.policy.admission.k8s.io/validation_failure', value, resource: req.resource.name, namespace: req.namespace, name: req.name || req.obj?.metadata?.name });
          }
        }
      }
    }
  }
  if (denied) throw denial(req, denied.policy, denied.binding, denied.failure);
}

/** The ValidatingAdmissionPolicy admission plugin (validating; CREATE, UPDATE and DELETE of every resource). */
export function validatingAdmissionPolicy(access: PolicyAccess): AdmissionPlugin {
  return {
    name: 'ValidatingAdmissionPolicy',
    resources: ['*'],
    reads: ['validatingadmissionpolicies', 'validatingadmissionpolicybindings', 'namespaces'],
    async validate(req) {
      if (EXEMPT.has(req.resource.name)) return;
      await dispatch(req, access);
    },
  };
}
