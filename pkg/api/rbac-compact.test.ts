import { describe, expect, it } from 'vitest';
import { compactRules } from './rbac-compact.js';

describe('compactRules (CompactRules)', () => {
  const rules = [
    { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
    { apiGroups: ['apps'], resources: ['deployments', 'replicasets'], verbs: ['list'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'delete'] },
    { nonResourceURLs: ['/healthz'], verbs: ['get'] },
  ];
  it('merges the simple rules of one group, resource and name; others pass through first, unchanged', () => {
    expect(compactRules(rules, 'union')).toEqual([rules[1], rules[3], { apiGroups: [''], resources: ['pods'], verbs: ['get', 'delete'] }]);
  });
  it('appends the verbs with duplicates kept for kubectl, as a set for the apiserver', () => {
    expect(compactRules(rules, 'append')[2]!.verbs).toEqual(['get', 'get', 'delete']);
    expect(compactRules(rules, 'union')[2]!.verbs).toEqual(['get', 'delete']);
    // the input rules are not changed
    expect(rules[0]!.verbs).toEqual(['get']);
  });
});
