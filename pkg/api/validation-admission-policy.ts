// admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding:
// Kubernetes' defaults (SetDefaults_ValidatingAdmissionPolicySpec, SetDefaults_MatchResources) and
// validation (ValidateValidatingAdmissionPolicy, ValidateValidatingAdmissionPolicyBinding), with
// its messages; expressions that do not compile are refused with the compiler's words.
import { compilePolicyExpression, type ExpressionKind } from './admission-policy-cel.js';
import { duplicate, forbidden, invalid, notSupported, required, type FieldError } from './field-error.js';
import { isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isQualifiedName } from './names.js';
import type { MatchResources, NamedRuleWithOperations, ParamKind, ParamRef, ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from './types.js';
import { FAILURE_POLICIES, MATCH_POLICIES, validateRule } from './validation-admissionregistration.js';
import { validateLabelSelector } from './validation-affinity.js';
import { validateGenericObjectMeta } from './validation-meta.js';

export const VALIDATION_REASONS = ['Unauthorized', 'Forbidden', 'Invalid', 'RequestEntityTooLarge'];
export const VALIDATION_ACTIONS = ['Audit', 'Deny', 'Warn'];
export const PARAMETER_NOT_FOUND_ACTIONS = ['Allow', 'Deny'];
const MAX_EXPRESSION = 5 * 1024;
const CEL_IDENTIFIER = /^[_a-zA-Z][_a-zA-Z0-9]*$/;

function defaultMatchResources(m: MatchResources): void {
  m.matchPolicy ||= 'Equivalent';
  m.namespaceSelector ??= {};
  m.objectSelector ??= {};
  for (const r of [...(m.resourceRules ?? []), ...(m.excludeResourceRules ?? [])]) r.scope ||= '*';
}

export function defaultValidatingAdmissionPolicy(p: ValidatingAdmissionPolicy): void {
  const spec = (p.spec ??= {});
  spec.failurePolicy ||= 'Fail';
  if (spec.matchConstraints) defaultMatchResources(spec.matchConstraints);
}

export function defaultValidatingAdmissionPolicyBinding(b: ValidatingAdmissionPolicyBinding): void {
  const spec = (b.spec ??= {});
  if (spec.matchResources) defaultMatchResources(spec.matchResources);
}

function validateExpression(expression: string | undefined, path: string, kind: ExpressionKind, variables?: readonly string[], authorizer = true): FieldError[] {
  const expr = (expression ?? '').trim();
  if (!expr) return [required(path)];
  if (expr.length > MAX_EXPRESSION) return [{ type: 'FieldValueTooLong', field: path, badValue: '<value omitted>', detail: `may not be more than ${MAX_EXPRESSION} bytes` }];
  const c = compilePolicyExpression(expr, kind, variables, authorizer);
  return typeof c === 'string' ? [invalid(path, expr, c)] : [];
}

function validateNamedRule(r: NamedRuleWithOperations, path: string): FieldError[] {
  const errs = validateRule(r, path);
  const seen = new Set<string>();
  (r.resourceNames ?? []).forEach((n, i) => {
    const p = `${path}.resourceNames[${i}]`;
    for (const m of isDNS1123Subdomain(n)) errs.push(invalid(p, n, m));
    if (seen.has(n)) errs.push(duplicate(p, n));
    seen.add(n);
  });
  return errs;
}

function validateMatchResources(m: MatchResources, path: string, policy: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (m.matchPolicy !== undefined && !MATCH_POLICIES.includes(m.matchPolicy)) errs.push(notSupported(`${path}.matchPolicy`, m.matchPolicy, MATCH_POLICIES));
  if (m.namespaceSelector) errs.push(...validateLabelSelector(m.namespaceSelector, `${path}.namespaceSelector`));
  if (m.objectSelector) errs.push(...validateLabelSelector(m.objectSelector, `${path}.objectSelector`));
  if (policy && !m.resourceRules?.length) errs.push(required(`${path}.resourceRules`));
  (m.resourceRules ?? []).forEach((r, i) => errs.push(...validateNamedRule(r, `${path}.resourceRules[${i}]`)));
  (m.excludeResourceRules ?? []).forEach((r, i) => errs.push(...validateNamedRule(r, `${path}.excludeResourceRules[${i}]`)));
  return errs;
}

function validateParamKind(pk: ParamKind, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const av = pk.apiVersion ?? '';
  if (!av) errs.push(required(`${path}.apiVersion`));
  else {
    const parts = av.split('/');
    if (parts.length > 2) errs.push(invalid(`${path}.apiVersion`, av, `unexpected GroupVersion string: ${av}`));
    else {
      const [group, version] = parts.length === 2 ? [parts[0]!, parts[1]!] : ['', parts[0]!];
      if (group) for (const m of isDNS1123Subdomain(group)) errs.push(invalid(`${path}.apiVersion`, group, m));
      if (!version) errs.push(invalid(`${path}.apiVersion`, av, 'version must be specified'));
      else {
        const ms = isDNS1035Label(version);
        if (ms.length) errs.push(invalid(`${path}.apiVersion`, version, ms.join(',')));
      }
    }
  }
  if (!pk.kind) errs.push(required(`${path}.kind`));
  else {
    const ms = isDNS1035Label(pk.kind.toLowerCase());
    if (ms.length) errs.push(invalid(`${path}.kind`, pk.kind, `may have mixed case, but should otherwise match: ${ms.join(',')}`));
  }
  return errs;
}

export function validateValidatingAdmissionPolicy(p: ValidatingAdmissionPolicy): FieldError[] {
  // (admissionregistration validation uses apimachinery's ObjectMeta checks, not core's)
  const errs = validateGenericObjectMeta(p.metadata, false, 'metadata');
  const spec = p.spec ?? {};
  if (spec.failurePolicy !== undefined && !FAILURE_POLICIES.includes(spec.failurePolicy)) errs.push(notSupported('spec.failurePolicy', spec.failurePolicy, FAILURE_POLICIES));
  if (spec.paramKind) errs.push(...validateParamKind(spec.paramKind, 'spec.paramKind'));
  if (!spec.matchConstraints) errs.push(required('spec.matchConstraints'));
  else errs.push(...validateMatchResources(spec.matchConstraints, 'spec.matchConstraints', true));
  // matchConditions see no variables; variables see the ones declared before them
  const conditionNames = new Set<string>();
  (spec.matchConditions ?? []).forEach((c, i) => {
    const path = `spec.matchConditions[${i}]`;
    if (!c.name) errs.push(required(`${path}.name`));
    else {
      errs.push(...isQualifiedName(c.name).map((m) => invalid(`${path}.name`, c.name, m)));
      if (conditionNames.has(c.name)) errs.push(duplicate(`${path}.name`, c.name));
      conditionNames.add(c.name);
    }
    errs.push(...validateExpression(c.expression, `${path}.expression`, 'bool'));
  });
  const variables: string[] = [];
  (spec.variables ?? []).forEach((v, i) => {
    const path = `spec.variables[${i}]`;
    if (!v.name) errs.push(required(`${path}.name`));
    else if (!CEL_IDENTIFIER.test(v.name)) errs.push(invalid(`${path}.name`, v.name, 'name is not a valid CEL identifier'));
    else if (variables.includes(v.name)) errs.push(duplicate(`${path}.name`, v.name));
    errs.push(...validateExpression(v.expression, `${path}.expression`, 'any', [...variables]));
    if (v.name) variables.push(v.name);
  });
  if (!spec.validations?.length && !spec.auditAnnotations?.length) errs.push(required('spec.validations', 'validations or auditAnnotations must contain at least one item'));
  (spec.validations ?? []).forEach((v, i) => {
    const path = `spec.validations[${i}]`;
    errs.push(...validateExpression(v.expression, `${path}.expression`, 'bool', variables));
    const msg = v.message ?? '';
    if (msg && !msg.trim()) errs.push(invalid(`${path}.message`, msg, 'message must be non-empty if specified'));
    else if (/[\r\n]/.test(msg)) errs.push(invalid(`${path}.message`, msg, 'message must not contain line breaks'));
    if (msg.length > 1024) errs.push(invalid(`${path}.message`, msg, 'message must have a maximum length of 1024 characters'));
    if (v.messageExpression !== undefined) {
      if (!v.messageExpression.trim()) errs.push(required(`${path}.messageExpression`, 'if specified, messageExpression must not be empty'));
      else errs.push(...validateExpression(v.messageExpression, `${path}.messageExpression`, 'string', variables, false));
    }
    if (v.reason !== undefined && !VALIDATION_REASONS.includes(v.reason)) errs.push(notSupported(`${path}.reason`, v.reason, VALIDATION_REASONS));
  });
  const keys = new Set<string>();
  (spec.auditAnnotations ?? []).forEach((a, i) => {
    const path = `spec.auditAnnotations[${i}]`;
    if (!a.key) errs.push(required(`${path}.key`));
    else {
      // (the key becomes "<policy name>/<key>": a qualified name)
      const qualified = `${p.metadata?.name ?? ''}/${a.key}`;
      for (const m of isQualifiedName(qualified)) errs.push(invalid(`${path}.key`, qualified, m));
      if (keys.has(a.key)) errs.push(duplicate(`${path}.key`, a.key));
      keys.add(a.key);
    }
    errs.push(...validateExpression(a.valueExpression, `${path}.valueExpression`, 'string-or-null', variables, false));
  });
  return errs;
}

function validateParamRef(pr: ParamRef, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (pr.name && pr.selector) errs.push(forbidden(`${path}.name`, 'name and selector are mutually exclusive'));
  if (!pr.name && !pr.selector) errs.push(required(path, 'one of name or selector must be specified'));
  if (pr.name) for (const m of isDNS1123Subdomain(pr.name)) errs.push(invalid(`${path}.name`, pr.name, m));
  if (pr.namespace) for (const m of isDNS1123Label(pr.namespace)) errs.push(invalid(`${path}.namespace`, pr.namespace, m));
  if (pr.selector) errs.push(...validateLabelSelector(pr.selector, `${path}.selector`));
  if (pr.parameterNotFoundAction === undefined) errs.push(required(`${path}.parameterNotFoundAction`));
  else if (!PARAMETER_NOT_FOUND_ACTIONS.includes(pr.parameterNotFoundAction)) errs.push(notSupported(`${path}.parameterNotFoundAction`, pr.parameterNotFoundAction, PARAMETER_NOT_FOUND_ACTIONS));
  return errs;
}

export function validateValidatingAdmissionPolicyBinding(b: ValidatingAdmissionPolicyBinding): FieldError[] {
  const errs = validateGenericObjectMeta(b.metadata, false, 'metadata');
  const spec = b.spec ?? {};
  if (!spec.policyName) errs.push(required('spec.policyName'));
  else for (const m of isDNS1123Subdomain(spec.policyName)) errs.push(invalid('spec.policyName', spec.policyName, m));
  if (spec.paramRef) errs.push(...validateParamRef(spec.paramRef, 'spec.paramRef'));
  if (spec.matchResources) errs.push(...validateMatchResources(spec.matchResources, 'spec.matchResources', false));
  const actions = spec.validationActions ?? [];
  if (!actions.length) errs.push(required('spec.validationActions', 'at least one validation action is required'));
  const seen = new Set<string>();
  actions.forEach((a, i) => {
    const p = `spec.validationActions[${i}]`;
    if (seen.has(a)) errs.push(duplicate(p, a));
    seen.add(a);
    if (!VALIDATION_ACTIONS.includes(a)) errs.push(notSupported(p, a, VALIDATION_ACTIONS));
  });
  if (seen.has('Deny') && seen.has('Warn')) errs.push(invalid('spec.validationActions', actions, 'must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)'));
  return errs;
}
