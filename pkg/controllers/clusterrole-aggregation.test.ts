import { describe, expect, it } from 'vitest';
import type { ClusterRole, KubeObject } from '../api/types.js';
import { aggregatedRules } from './clusterrole-aggregation.js';

type CR = ClusterRole & KubeObject;
const cr = (name: string, labels: Record<string, string>, rules: CR['rules'] = [], selector?: Record<string, string>): CR =>
  ({ metadata: { name, labels }, rules, ...(selector ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: selector }] } } : {}) }) as CR;

describe('ClusterRole aggregation', () => {
  const get = { verbs: ['get'], apiGroups: [''], resources: ['pods'] };
  const write = { verbs: ['create'], apiGroups: [''], resources: ['pods'] };
  const admin = cr('admin', {}, [], { 'to-admin': 'true' });
  const edit = cr('edit', { 'to-admin': 'true' }, [get, write], { 'to-edit': 'true' });
  const view = cr('view', { 'to-edit': 'true' }, [get], { 'to-view': 'true' });
  const pieces = [cr('z-view-extra', { 'to-view': 'true' }, [get]), cr('a-edit-extra', { 'to-edit': 'true' }, [write]), cr('unrelated', {}, [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }])];

  it('takes the rules of every selected role, in name order, each rule once, never its own', () => {
    const all = [admin, edit, view, ...pieces];
    expect(aggregatedRules(view, all)).toEqual([get]);
    expect(aggregatedRules(edit, all)).toEqual([write, get]);
    expect(aggregatedRules(admin, all)).toEqual([get, write]);
    expect(aggregatedRules(pieces[0]!, all)).toBeUndefined();
  });

  it('a role that selects itself does not aggregate its own rules', () => {
    const self = cr('self', { 'to-self': 'true' }, [get], { 'to-self': 'true' });
    expect(aggregatedRules(self, [self])).toEqual([]);
  });
});
