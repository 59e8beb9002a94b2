// CompactRules, in the two forms Kubernetes has: rules of one API group, one resource and at most
// one resource name (the "simple" ones) are merged into one rule with the verbs of all of them.
// The apiserver's escalation messages (pkg/registry/rbac/validation) merge the verbs as a set;
// kubectl's describers (kubectl/pkg/util/rbac) append them, duplicates kept. Other rules pass
// through unchanged, first.
import type { PolicyRule } from './types.js';

type Rule = Pick<PolicyRule, 'verbs' | 'apiGroups' | 'resources' | 'resourceNames' | 'nonResourceURLs'>;

export function compactRules<R extends Rule>(rules: R[], verbs: 'union' | 'append'): R[] {
  const out: R[] = [];
  const simple = new Map<string, R>();
  for (const r of rules) {
    const isSimple = (r.resourceNames?.length ?? 0) <= 1 && !r.nonResourceURLs?.length && r.apiGroups?.length === 1 && r.resources?.length === 1;
    if (!isSimple) {
      out.push(r);
      continue;
    }
    const key = JSON.stringify([r.apiGroups![0], r.resources![0], r.resourceNames?.[0] ?? null]);
    const had = simple.get(key);
    if (!had) simple.set(key, { ...r, verbs: [...(r.verbs ?? [])] });
    else for (const v of r.verbs ?? []) if (verbs === 'append' || !had.verbs!.includes(v)) had.verbs!.push(v);
  }
  return [...out, ...simple.values()];
}
