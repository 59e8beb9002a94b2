// admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration and MutatingWebhookConfiguration:
// Kubernetes' defaults (SetDefaults_ValidatingWebhook, SetDefaults_MutatingWebhook, ...) and its
// validation (ValidateValidatingWebhookConfiguration and friends), with its messages.
import { validateMatchConditions } from './match-conditions.js';
import { duplicate, invalid, notSupported, required, type FieldError } from './field-error.js';
import { isDNS1123Subdomain } from './names.js';
import type { MutatingWebhook, MutatingWebhookConfiguration, RuleWithOperations, ValidatingWebhook, ValidatingWebhookConfiguration, WebhookClientConfig } from './types.js';
import { validateLabelSelector } from './validation-affinity.js';
import { validateGenericObjectMeta } from './validation-meta.js';

export const FAILURE_POLICIES = ['Fail', 'Ignore'];
export const MATCH_POLICIES = ['Exact', 'Equivalent'];
export const SIDE_EFFECT_CLASSES = ['None', 'NoneOnDryRun'];
export const REINVOCATION_POLICIES = ['Never', 'IfNeeded'];
export const OPERATIONS = ['*', 'CONNECT', 'CREATE', 'DELETE', 'UPDATE'];
export const SCOPES = ['*', 'Cluster', 'Namespaced'];
/** AdmissionReview versions this apiserver speaks, preferred first. */
export const REVIEW_VERSIONS = ['v1', 'v1beta1'];

type Webhook = ValidatingWebhook | MutatingWebhook;

function defaultWebhook(w: Webhook): void {
  w.failurePolicy ||= 'Fail';
  w.matchPolicy ||= 'Equivalent';
  w.namespaceSelector ??= {};
  w.objectSelector ??= {};
  w.timeoutSeconds ??= 10;
  for (const r of w.rules ?? []) r.scope ||= '*';
  if (w.clientConfig?.service) w.clientConfig.service.port ??= 443;
}

export function defaultValidatingWebhookConfiguration(c: ValidatingWebhookConfiguration): void {
  for (const w of c.webhooks ?? []) defaultWebhook(w);
}

export function defaultMutatingWebhookConfiguration(c: MutatingWebhookConfiguration): void {
  for (const w of c.webhooks ?? []) {
    defaultWebhook(w);
    w.reinvocationPolicy ||= 'Never';
  }
}

function validateClientConfig(cc: WebhookClientConfig | undefined, path: string): FieldError[] {
  if (!cc) return [required(path)];
  const errs: FieldError[] = [];
  if (cc.url !== undefined && cc.service) return [required(path, 'exactly one of url or service is required')];
  if (cc.url === undefined && !cc.service) return [required(path, 'exactly one of url or service is required')];
  if (cc.url !== undefined) {
    let u: URL | undefined;
    try {
      u = new URL(cc.url);
    } catch {
      errs.push(invalid(`${path}.url`, cc.url, 'host must be specified'));
    }
    if (u) {
      if (u.protocol !== 'https:') errs.push(invalid(`${path}.url`, u.protocol.slice(0, -1), "'https' is the only allowed URL scheme"));
      if (!u.hostname) errs.push(invalid(`${path}.url`, cc.url, 'host must be specified'));
      if (u.username || u.password) errs.push(invalid(`${path}.url`, u.username, 'user information is not permitted in the URL'));
      if (u.hash || cc.url.includes('#')) errs.push(invalid(`${path}.url`, u.hash, 'fragments are not permitted in the URL'));
      if (u.search) errs.push(invalid(`${path}.url`, u.search.slice(1), 'query parameters are not permitted in the URL'));
    }
  }
  const s = cc.service;
  if (s) {
    const sp = `${path}.service`;
    if (!s.name) errs.push(required(`${sp}.name`, 'service name is required'));
    if (!s.namespace) errs.push(required(`${sp}.namespace`, 'service namespace is required'));
    if (s.path !== undefined && s.path !== '' && !s.path.startsWith('/')) errs.push(invalid(`${sp}.path`, s.path, "must start with a '/'"));
    if (s.port !== undefined && (s.port < 1 || s.port > 65535)) errs.push(invalid(`${sp}.port`, s.port, 'port is not valid: must be between 1 and 65535, inclusive'));
  }
  return errs;
}

export function validateRule(r: RuleWithOperations, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const ops = r.operations ?? [];
  if (!ops.length) errs.push(required(`${path}.operations`));
  if (ops.length > 1 && ops.includes('*')) errs.push(invalid(`${path}.operations`, ops, "if '*' is present, must not specify other operations"));
  ops.forEach((o, i) => OPERATIONS.includes(o) || errs.push(notSupported(`${path}.operations[${i}]`, o, OPERATIONS)));
  for (const [field, list] of [['apiGroups', r.apiGroups], ['apiVersions', r.apiVersions]] as const) {
    if (!list?.length) errs.push(required(`${path}.${field}`));
    else if (list.length > 1 && list.includes('*')) errs.push(invalid(`${path}.${field}`, list, "if '*' is present, must have zero length"));
  }
  (r.apiVersions ?? []).forEach((v, i) => v === '' && errs.push(required(`${path}.apiVersions[${i}]`)));
  const res = r.resources ?? [];
  if (!res.length) errs.push(required(`${path}.resources`));
  const seen = new Set<string>();
  res.forEach((x, i) => {
    const p = `${path}.resources[${i}]`;
    if (x === '') errs.push(required(p));
    else if (x.split('/').length > 2) errs.push(invalid(p, x, "must be 'resource' or 'resource/subresource'"));
    if (seen.has(x)) errs.push(duplicate(p, x));
    seen.add(x);
  });
  if (res.includes('*') && res.length > 1) errs.push(invalid(`${path}.resources`, res, "if '*' is present, must not specify other resources without subresources"));
  if (res.includes('*/*') && res.length > 1) errs.push(invalid(`${path}.resources`, res, "if '*/*' is present, must not specify other resources"));
  if (r.scope !== undefined && !SCOPES.includes(r.scope)) errs.push(notSupported(`${path}.scope`, r.scope, SCOPES));
  return errs;
}

function validateWebhook(w: Webhook, path: string, mutating: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const name = w.name ?? '';
  if (!name) errs.push(required(`${path}.name`));
  else {
    for (const m of isDNS1123Subdomain(name)) errs.push(invalid(`${path}.name`, name, m));
    if (name.split('.').length < 3) errs.push(invalid(`${path}.name`, name, 'should be a domain with at least three segments separated by dots'));
  }
  (w.rules ?? []).forEach((r, i) => errs.push(...validateRule(r, `${path}.rules[${i}]`)));
  if (w.failurePolicy !== undefined && !FAILURE_POLICIES.includes(w.failurePolicy)) errs.push(notSupported(`${path}.failurePolicy`, w.failurePolicy, FAILURE_POLICIES));
  if (w.matchPolicy !== undefined && !MATCH_POLICIES.includes(w.matchPolicy)) errs.push(notSupported(`${path}.matchPolicy`, w.matchPolicy, MATCH_POLICIES));
  if (!w.sideEffects) errs.push(required(`${path}.sideEffects`, `must specify one of ${SIDE_EFFECT_CLASSES.join(', ')}`));
  else if (!SIDE_EFFECT_CLASSES.includes(w.sideEffects)) errs.push(notSupported(`${path}.sideEffects`, w.sideEffects, SIDE_EFFECT_CLASSES));
  if (w.timeoutSeconds !== undefined && (w.timeoutSeconds < 1 || w.timeoutSeconds > 30)) errs.push(invalid(`${path}.timeoutSeconds`, w.timeoutSeconds, 'the timeout value must be between 1 and 30 seconds'));
  const versions = w.admissionReviewVersions ?? [];
  if (!versions.length) errs.push(required(`${path}.admissionReviewVersions`, `must specify one of ${REVIEW_VERSIONS.join(', ')}`));
  else if (!versions.some((v) => REVIEW_VERSIONS.includes(v))) errs.push(invalid(`${path}.admissionReviewVersions`, versions, `must include at least one of ${REVIEW_VERSIONS.join(', ')}`));
  const seenV = new Set<string>();
  versions.forEach((v, i) => {
    if (seenV.has(v)) errs.push(duplicate(`${path}.admissionReviewVersions[${i}]`, v));
    seenV.add(v);
  });
  if (w.namespaceSelector) errs.push(...validateLabelSelector(w.namespaceSelector, `${path}.namespaceSelector`));
  if (w.objectSelector) errs.push(...validateLabelSelector(w.objectSelector, `${path}.objectSelector`));
  errs.push(...validateClientConfig(w.clientConfig, `${path}.clientConfig`));
  if (mutating) {
    const p = (w as MutatingWebhook).reinvocationPolicy;
    if (p !== undefined && !REINVOCATION_POLICIES.includes(p)) errs.push(notSupported(`${path}.reinvocationPolicy`, p, REINVOCATION_POLICIES));
  }
  if (w.matchConditions) errs.push(...validateMatchConditions(w.matchConditions, `${path}.matchConditions`));
  return errs;
}

function validateConfiguration(c: ValidatingWebhookConfiguration | MutatingWebhookConfiguration, mutating: boolean): FieldError[] {
  // (admissionregistration validation uses apimachinery's ObjectMeta checks, not core's)
  const errs = validateGenericObjectMeta(c.metadata, false, 'metadata');
  const names = new Set<string>();
  (c.webhooks ?? []).forEach((w: Webhook, i) => {
    errs.push(...validateWebhook(w, `webhooks[${i}]`, mutating));
    if (w.name && names.has(w.name)) errs.push(duplicate(`webhooks[${i}].name`, w.name));
    if (w.name) names.add(w.name);
  });
  return errs;
}

export const validateValidatingWebhookConfiguration = (c: ValidatingWebhookConfiguration) => validateConfiguration(c, false);
export const validateMutatingWebhookConfiguration = (c: MutatingWebhookConfiguration) => validateConfiguration(c, true);
