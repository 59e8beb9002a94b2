// Whether one set of rules covers another (pkg/registry/rbac/validation/policy_comparator.go):
// the covered rules are broken down to one verb, group, resource and name (or URL) each, and
// each piece must be covered by a single owner rule, where '*' covers everything, `*/scale`
// covers the scale subresource of every resource (resourceCoversAll: `pods/*` covers only itself,
// as the authorizer grants nothing else by it) and a URL ending in '*' covers the URLs it prefixes. Used by
// escalation checks and by the reconciliation of the bootstrap policy.
import type { PolicyRule } from '../../api/types.js';
import { compactRules as compactRulesBy } from '../../api/rbac-compact.js';

/** A rule as pieces of one verb, one group, one resource and at most one name; or one URL and one verb. */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs ?? []) {
        if (rule.resourceNames?.length) for (const name of rule.resourceNames) out.push({ apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [name] });
        else out.push({ apiGroups: [group], resources: [resource], verbs: [verb] });
      }
    }
  }
  for (const url of rule.nonResourceURLs ?? []) for (const verb of rule.verbs ?? []) out.push({ nonResourceURLs: [url], verbs: [verb] });
  return out;
}

const hasAll = (set: string[] | undefined, wanted: string[] | undefined) => (wanted ?? []).every((w) => (set ?? []).includes(w));

function resourcesCover(owner: string[] | undefined, wanted: string[] | undefined): boolean {
  const set = owner ?? [];
  if (set.includes('*')) return true;
  return (wanted ?? []).every((r) => set.includes(r) || (r.includes('/') && set.includes(`*/${r.slice(r.indexOf('/') + 1)}`)));
}

const urlCovers = (owner: string, url: string) => owner === url || (owner.endsWith('*') && url.startsWith(owner.replace(/\*+$/, '')));

/** Whether `owner` covers the piece `sub` (at most one verb, resource, name or URL). */
function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const verbs = (owner.verbs ?? []).includes('*') || hasAll(owner.verbs, sub.verbs);
  const groups = (owner.apiGroups ?? []).includes('*') || hasAll(owner.apiGroups, sub.apiGroups);
  const resources = resourcesCover(owner.resources, sub.resources);
  const urls = (sub.nonResourceURLs ?? []).every((u) => (owner.nonResourceURLs ?? []).some((o) => urlCovers(o, u)));
  const names = sub.resourceNames?.length ? !owner.resourceNames?.length || hasAll(owner.resourceNames, sub.resourceNames) : !owner.resourceNames?.length;
  return verbs && groups && resources && urls && names;
}

/** Whether `owner` covers every rule of `servant`, and the pieces it does not cover. */
export function covers(owner: PolicyRule[], servant: PolicyRule[]): { covered: boolean; missing: PolicyRule[] } {
  const missing = servant.flatMap(breakdownRule).filter((sub) => !owner.some((o) => ruleCovers(o, sub)));
  return { covered: missing.length === 0, missing };
}

/** Pieces of one group and one resource (and at most one name) merged when they differ only by verb (CompactRules: the verbs as a set). */
export const compactRules = (rules: PolicyRule[]): PolicyRule[] => compactRulesBy(rules, 'union');

/** Go's %q of a []string: `["get" "list"]`. */
export const goQuoted = (list: string[]) => `[${list.map((s) => JSON.stringify(s)).join(' ')}]`;

/** `{APIGroups:[""], Resources:["pods"], Verbs:["create" "delete"]}`, as Kubernetes' escalation messages print a rule. */
export function compactString(r: PolicyRule): string {
  const parts: string[] = [];
  if (r.apiGroups?.length) parts.push(`APIGroups:${goQuoted(r.apiGroups)}`);
  if (r.resources?.length) parts.push(`Resources:${goQuoted(r.resources)}`);
  if (r.nonResourceURLs?.length) parts.push(`NonResourceURLs:${goQuoted(r.nonResourceURLs)}`);
  if (r.resourceNames?.length) parts.push(`ResourceNames:${goQuoted(r.resourceNames)}`);
  if (r.verbs?.length) parts.push(`Verbs:${goQuoted(r.verbs)}`);
  return `{${parts.join(', ')}}`;
}
