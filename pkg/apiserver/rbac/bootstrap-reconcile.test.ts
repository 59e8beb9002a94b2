import { describe, expect, it } from 'vitest';
import type { ClusterRole, ClusterRoleBinding, KubeObject } from '../../api/types.js';
import { BOOTSTRAP_CLUSTER_ROLE_BINDINGS, BOOTSTRAP_CLUSTER_ROLES } from './bootstrap-policy.js';
import { reconcileBinding, reconcileRole } from './bootstrap-reconcile.js';

const role = (name: string) => BOOTSTRAP_CLUSTER_ROLES.find((r) => r.metadata?.name === name)!;
const clone = <T>(o: T): T => JSON.parse(JSON.stringify(o)) as T;

describe('bootstrap policy', () => {
  it('labels every default rbac-defaults and autoupdate, and aggregates admin ⊃ edit ⊃ view', () => {
    for (const o of [...BOOTSTRAP_CLUSTER_ROLES, ...BOOTSTRAP_CLUSTER_ROLE_BINDINGS]) {
      expect(o.metadata?.labels?.['kubernetes.io/bootstrapping']).toBe('rbac-defaults');
      expect(o.metadata?.annotations?.['rbac.authorization.kubernetes.io/autoupdate']).toBe('true');
    }
    expect(role('view').aggregationRule).toEqual({ clusterRoleSelectors: [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }] });
    expect(role('view').metadata?.labels?.['rbac.authorization.k8s.io/aggregate-to-edit']).toBe('true');
    expect(role('edit').metadata?.labels?.['rbac.authorization.k8s.io/aggregate-to-admin']).toBe('true');
    const binding = (n: string) => BOOTSTRAP_CLUSTER_ROLE_BINDINGS.find((b) => b.metadata?.name === n)!;
    expect(binding('cluster-admin').subjects).toEqual([{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'system:masters' }]);
    expect(binding('system:public-info-viewer').subjects!.map((s) => s.name)).toEqual(['system:authenticated', 'system:unauthenticated']);
  });

  it('reconciling adds missing rules, labels and selectors, keeps what users added, and changes nothing that is complete', () => {
    const expected = role('system:discovery') as ClusterRole & KubeObject;
    expect(reconcileRole(clone(expected), expected)).toBeUndefined();
    const trimmed = clone(expected);
    trimmed.rules = [{ verbs: ['get'], nonResourceURLs: ['/api', '/api/*', '/custom'] }];
    trimmed.metadata!.labels = { mine: 'yes' };
    const next = reconcileRole(trimmed, expected)!;
    expect(next.rules![0]).toEqual({ verbs: ['get'], nonResourceURLs: ['/api', '/api/*', '/custom'] });
    expect(next.rules!.slice(1).flatMap((r) => r.nonResourceURLs)).toEqual(['/livez', '/readyz', '/healthz', '/version', '/version/', '/openapi', '/openapi/*', '/apis', '/apis/*']);
    expect(next.metadata?.labels).toEqual({ mine: 'yes', 'kubernetes.io/bootstrapping': 'rbac-defaults' });
    // Aggregated roles keep their (controller-filled) rules; a lost selector comes back.
    const view = clone(role('view')) as ClusterRole & KubeObject;
    view.rules = [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }];
    expect(reconcileRole(view, role('view') as never)).toBeUndefined();
    view.aggregationRule = { clusterRoleSelectors: [{ matchLabels: { custom: 'true' } }] };
    expect(reconcileRole(view, role('view') as never)!.aggregationRule!.clusterRoleSelectors).toEqual([{ matchLabels: { custom: 'true' } }, { matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }]);
  });

  it('bindings get missing subjects added, and are recreated when their roleRef differs', () => {
    const expected = BOOTSTRAP_CLUSTER_ROLE_BINDINGS[0]! as ClusterRoleBinding & KubeObject;
    expect(reconcileBinding(clone(expected), expected)).toEqual({ binding: undefined, recreate: false });
    const extra = clone(expected);
    extra.subjects = [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'root' }];
    expect(reconcileBinding(extra, expected).binding!.subjects!.map((s) => s.name)).toEqual(['root', 'system:masters']);
    const other = clone(expected);
    other.roleRef = { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' };
    const r = reconcileBinding(other, expected);
    expect(r.recreate).toBe(true);
    expect(r.binding!.roleRef!.name).toBe('cluster-admin');
  });
});
