// tsctl describe for Roles, ClusterRoles, RoleBindings and ClusterRoleBindings, as kubectl
// 1.32's RBAC describers write them: the rules broken down to one resource (and resource name)
// each, those that differ only by verb compacted back, sorted as kubectl sorts them, in a
// table; a binding's role and its subjects. No Namespace line and no events, as kubectl.
import type { KubeObject } from '../api/types.js';
import { compactRules as compactRulesBy } from '../api/rbac-compact.js';
import { tabbedField } from './describe-deployment.js';
import { annotationLines, labelLines } from './describe-meta.js';

export type PolicyRule = { verbs?: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[]; nonResourceURLs?: string[] };
export type Role = KubeObject & { rules?: PolicyRule[] };
export type RoleBinding = KubeObject & { roleRef?: { kind?: string; name?: string }; subjects?: { kind?: string; name?: string; namespace?: string }[] };

/** Go's %v of a string slice: "[a b]" ("[]" for none). */
const goList = (l: string[] | undefined) => `[${(l ?? []).join(' ')}]`;

/** rbac.BreakdownRule: one rule per group and resource (and resource name), then one per non-resource URL. */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      if (rule.resourceNames?.length) for (const n of rule.resourceNames) out.push({ apiGroups: [group], resources: [resource], verbs: rule.verbs, resourceNames: [n] });
      else out.push({ apiGroups: [group], resources: [resource], verbs: rule.verbs });
    }
  }
  for (const url of rule.nonResourceURLs ?? []) out.push({ nonResourceURLs: [url], verbs: rule.verbs });
  return out;
}

/** rbac.CompactRules: rules of one group, resource and at most one name, merged by appending their verbs (duplicates kept). */
export const compactRules = (rules: PolicyRule[]): PolicyRule[] => compactRulesBy(rules, 'append');

/** PolicyRule.String() of the generated API type, by which SortableRuleSlice sorts (verbs first). */
const ruleString = (r: PolicyRule) => `&PolicyRule{Verbs:${goList(r.verbs)},APIGroups:${goList(r.apiGroups)},Resources:${goList(r.resources)},ResourceNames:${goList(r.resourceNames)},NonResourceURLs:${goList(r.nonResourceURLs)},}`;

/** CombineResourceGroup: "resource.group/subresource" of the rule's first resource and group. */
function resourceGroup(resources: string[] | undefined, groups: string[] | undefined): string {
  if (!resources?.length) return '';
  const [resource, sub] = resources[0]!.split(/\/(.*)/s);
  return `${resource}${groups?.length && groups[0] ? `.${groups[0]}` : ''}${sub !== undefined ? `/${sub}` : ''}`;
}

/** The lines of describe role or clusterrole (no events follow). */
export function describeRole(role: Role): string[] {
  const meta = role.metadata ?? {};
  // (Go's sort.Strings order is by bytes, as < on these ASCII strings)
  const rules = compactRules((role.rules ?? []).flatMap(breakdownRule))
    .map((r) => [ruleString(r), r] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, r]) => r);
  return [
    `Name:\t${meta.name ?? ''}`,
    ...tabbedField(labelLines('Labels', meta.labels)),
    ...tabbedField(annotationLines('Annotations', meta.annotations)),
    'PolicyRule:',
    '  Resources\tNon-Resource URLs\tResource Names\tVerbs',
    '  ---------\t-----------------\t--------------\t-----',
    ...rules.map((r) => `  ${resourceGroup(r.resources, r.apiGroups)}\t${goList(r.nonResourceURLs)}\t${goList(r.resourceNames)}\t${goList(r.verbs)}`),
  ];
}

/** The lines of describe rolebinding or clusterrolebinding (no events follow). */
export function describeRoleBinding(b: RoleBinding): string[] {
  const meta = b.metadata ?? {};
  return [
    `Name:\t${meta.name ?? ''}`,
    ...tabbedField(labelLines('Labels', meta.labels)),
    ...tabbedField(annotationLines('Annotations', meta.annotations)),
    'Role:',
    `  Kind:\t${b.roleRef?.kind ?? ''}`,
    `  Name:\t${b.roleRef?.name ?? ''}`,
    'Subjects:',
    '  Kind\tName\tNamespace',
    '  ----\t----\t---------',
    ...(b.subjects ?? []).map((s) => `  ${s.kind ?? ''}\t${s.name ?? ''}\t${s.namespace ?? ''}`),
  ];
}
