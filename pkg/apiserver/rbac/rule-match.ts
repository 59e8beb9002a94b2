// Whether a PolicyRule allows a request, as Kubernetes' RBAC authorizer decides it
// (pkg/apis/rbac/v1/evaluation_helpers.go): '*' matches every verb, group and resource; a rule
// resource matches `resource/subresource` exactly or as `*/subresource`; names, when the rule
// lists any, must match (so a rule with resourceNames never allows list or create); a
// non-resource URL matches exactly or by prefix when the rule's URL ends in '*'.
import type { PolicyRule } from '../../api/types.js';

/** What a request asks, as the authorizer sees it: a resource request or a non-resource path. */
export type RequestAttributes =
  | { resourceRequest: true; verb: string; group: string; resource: string; subresource?: string; namespace?: string; name?: string }
  | { resourceRequest: false; verb: string; path: string };

export const verbMatches = (rule: PolicyRule, verb: string) => (rule.verbs ?? []).some((v) => v === '*' || v === verb);

export const apiGroupMatches = (rule: PolicyRule, group: string) => (rule.apiGroups ?? []).some((g) => g === '*' || g === group);

export function resourceMatches(rule: PolicyRule, resource: string, subresource = ''): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  return (rule.resources ?? []).some((r) => r === '*' || r === combined || (subresource !== '' && r === `*/${subresource}`));
}

export const resourceNameMatches = (rule: PolicyRule, name = '') => !rule.resourceNames?.length || rule.resourceNames.includes(name);

export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  return (rule.nonResourceURLs ?? []).some((u) => u === '*' || u === path || (u.endsWith('*') && path.startsWith(u.replace(/\*+$/, ''))));
}

export function ruleAllows(a: RequestAttributes, rule: PolicyRule): boolean {
  if (!a.resourceRequest) return verbMatches(rule, a.verb) && nonResourceURLMatches(rule, a.path);
  return verbMatches(rule, a.verb) && apiGroupMatches(rule, a.group) && resourceMatches(rule, a.resource, a.subresource) && resourceNameMatches(rule, a.name);
}
