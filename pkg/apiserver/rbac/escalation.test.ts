import { describe, expect, it } from 'vitest';
import type { KubeObject, PolicyRule } from '../../api/types.js';
import type { Authorizer } from '../authorizer.js';
import { ApiError } from '../errors.js';
import type { RequestContext } from '../registry/request-types.js';
import { checkEscalation, type EscalationDeps } from './escalation.js';
import { compactRules, compactString, covers } from './policy-compare.js';
import { PolicyIndex } from './policy-index.js';
import { RbacAuthorizer } from './rbac-authorizer.js';

describe('covers', () => {
  it('breaks the servant rules down and reports the pieces no owner rule covers', () => {
    const owner: PolicyRule[] = [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', '*/log'] }];
    expect(covers(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['pods', 'pods/log'] }])).toEqual({ covered: true, missing: [] });
    expect(covers(owner, [{ verbs: ['get', 'delete'], apiGroups: ['', 'apps'], resources: ['pods'] }]).missing).toEqual([
      { verbs: ['delete'], apiGroups: [''], resources: ['pods'] },
      { verbs: ['get'], apiGroups: ['apps'], resources: ['pods'] },
      { verbs: ['delete'], apiGroups: ['apps'], resources: ['pods'] },
    ]);
  });

  it('a subresource is covered by itself or */subresource; pods/* covers nothing but pods/* (resourceCoversAll)', () => {
    // The authorizer grants pods/exec for `*/exec` and not for `pods/*`, so holding `pods/*`
    // must not let one grant pods/exec, and holding `*/scale` must let one grant deployments/scale.
    const podsStar: PolicyRule[] = [{ verbs: ['create'], apiGroups: [''], resources: ['pods/*'] }];
    expect(covers(podsStar, [{ verbs: ['create'], apiGroups: [''], resources: ['pods/exec'] }]).covered).toBe(false);
    expect(covers(podsStar, [{ verbs: ['create'], apiGroups: [''], resources: ['pods/*'] }]).covered).toBe(true);
    const anyScale: PolicyRule[] = [{ verbs: ['get'], apiGroups: ['apps'], resources: ['*/scale'] }];
    expect(covers(anyScale, [{ verbs: ['get'], apiGroups: ['apps'], resources: ['deployments/scale', 'statefulsets/scale'] }]).covered).toBe(true);
    expect(covers(anyScale, [{ verbs: ['get'], apiGroups: ['apps'], resources: ['deployments'] }]).covered).toBe(false);
  });

  it('names: an owner without names covers any; one with names only those. URLs by prefix', () => {
    expect(covers([{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'] }], [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['x'] }]).covered).toBe(true);
    expect(covers([{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['x'] }], [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'] }]).covered).toBe(false);
    expect(covers([{ verbs: ['get'], nonResourceURLs: ['/apis/*'] }], [{ verbs: ['get'], nonResourceURLs: ['/apis/apps', '/api'] }]).missing).toEqual([{ verbs: ['get'], nonResourceURLs: ['/api'] }]);
    expect(covers([{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }]).covered).toBe(false);
  });

  it('compacts missing pieces by group and resource and prints them as Kubernetes does', () => {
    const missing = covers([], [{ verbs: ['get', 'delete'], apiGroups: [''], resources: ['pods'] }]).missing;
    expect(compactRules(missing).map(compactString)).toEqual(['{APIGroups:[""], Resources:["pods"], Verbs:["get" "delete"]}']);
    expect(compactString({ verbs: ['get'], nonResourceURLs: ['/x'] })).toBe('{NonResourceURLs:["/x"], Verbs:["get"]}');
  });
});

const rbac = 'rbac.authorization.k8s.io';
const alice = { name: 'alice', groups: ['devs', 'system:authenticated'] };
const ctx = (user = alice): RequestContext => ({ user, dryRun: false, fieldValidation: 'Strict', warnings: [] });

function setup(allowedVerbs: string[] = []) {
  const index = new PolicyIndex();
  const rbacAuthz = new RbacAuthorizer(index);
  const asked: string[] = [];
  const authorizer: Authorizer = {
    authorize: async (_u, a) => {
      asked.push(`${a.verb} ${a.resource}${a.name ? `/${a.name}` : ''}${a.namespace ? ` in ${a.namespace}` : ''}`);
      return allowedVerbs.includes(a.verb) ? { allowed: true } : { allowed: false, reason: '' };
    },
    authorizePath: () => ({ allowed: false, reason: '' }),
    rulesFor: () => ({ resourceRules: [], nonResourceRules: [], incomplete: false }),
  };
  const roles = new Map<string, PolicyRule[]>();
  const deps: EscalationDeps = {
    authorizer,
    rbac: rbacAuthz,
    roleRules: async (ref, ns) => roles.get(ref.kind === 'ClusterRole' ? ref.name! : `${ns}/${ref.name}`),
    settle: async () => {},
  };
  // alice may read pods in namespace a (through her group).
  const podReader: PolicyRule[] = [{ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] }];
  index.apply('clusterroles', 'ADDED', { metadata: { name: 'pod-reader' }, rules: podReader } as KubeObject);
  index.apply('rolebindings', 'ADDED', { metadata: { namespace: 'a', name: 'devs' }, roleRef: { apiGroup: rbac, kind: 'ClusterRole', name: 'pod-reader' }, subjects: [{ kind: 'Group', name: 'devs' }] } as KubeObject);
  roles.set('pod-reader', podReader);
  roles.set('admin', [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]);
  return { deps, asked, roles };
}

const refusal = async (p: Promise<void>): Promise<ApiError> => {
  try {
    await p;
  } catch (e) {
    return e as ApiError;
  }
  throw new Error('expected a refusal');
};

describe('escalation prevention', () => {
  const roleObj = (rules: PolicyRule[], ns = 'a'): KubeObject => ({ apiVersion: `${rbac}/v1`, kind: 'Role', metadata: { namespace: ns, name: 'r' }, rules } as KubeObject);

  it('a role with rules its writer holds is fine; more is 403 listing what is missing', async () => {
    const { deps, asked } = setup();
    await checkEscalation(deps, 'roles', roleObj([{ verbs: ['list'], apiGroups: [''], resources: ['pods'] }]), undefined, ctx());
    expect(asked).toEqual(['escalate roles in a']);
    const e = await refusal(checkEscalation(deps, 'roles', roleObj([{ verbs: ['list', 'create'], apiGroups: [''], resources: ['pods', 'secrets'] }]), undefined, ctx()));
    expect(e.code).toBe(403);
    expect(e.message).toBe(
      'roles.rbac.authorization.k8s.io "r" is forbidden: user "alice" (groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
        '{APIGroups:[""], Resources:["pods"], Verbs:["create"]}\n{APIGroups:[""], Resources:["secrets"], Verbs:["list" "create"]}',
    );
    // What alice holds in namespace a does not count in b.
    expect((await refusal(checkEscalation(deps, 'roles', roleObj([{ verbs: ['list'], apiGroups: [''], resources: ['pods'] }], 'b'), undefined, ctx()))).code).toBe(403);
  });

  it('the escalate verb, or system:masters, lets any rules through', async () => {
    await checkEscalation(setup(['escalate']).deps, 'clusterroles', { metadata: { name: 'c' }, rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }] } as KubeObject, undefined, ctx());
    await checkEscalation(setup().deps, 'clusterroles', { metadata: { name: 'c' }, rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }] } as KubeObject, undefined, ctx({ name: 'root', groups: ['system:masters'] }));
  });

  it('an update that only changes ownerReferences or finalizers passes; other updates are checked', async () => {
    const { deps } = setup();
    const old = roleObj([{ verbs: ['delete'], apiGroups: [''], resources: ['pods'] }]);
    await checkEscalation(deps, 'roles', { ...old, metadata: { ...old.metadata, finalizers: ['x'] } }, old, ctx());
    expect((await refusal(checkEscalation(deps, 'roles', { ...old, metadata: { ...old.metadata, labels: { a: 'b' } } }, old, ctx()))).code).toBe(403);
  });

  it('an aggregationRule needs full authority', async () => {
    const { deps } = setup();
    const agg = { metadata: { name: 'c' }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { x: 'y' } }] } } as KubeObject;
    expect((await refusal(checkEscalation(deps, 'clusterroles', agg, undefined, ctx()))).message).toBe('clusterroles.rbac.authorization.k8s.io "c" is forbidden: must have cluster-admin privileges to use the aggregationRule');
  });

  it('a binding needs the bound role\'s rules, or the bind verb on that role', async () => {
    const { deps, asked } = setup();
    const binding = (roleName: string): KubeObject => ({ metadata: { namespace: 'a', name: 'b' }, roleRef: { apiGroup: rbac, kind: 'ClusterRole', name: roleName }, subjects: [{ kind: 'User', name: 'bob' }] } as KubeObject);
    await checkEscalation(deps, 'rolebindings', binding('pod-reader'), undefined, ctx());
    expect(asked).toEqual(['bind clusterroles/pod-reader in a']);
    const e = await refusal(checkEscalation(deps, 'rolebindings', binding('admin'), undefined, ctx()));
    expect(e.message).toMatch(/^rolebindings\.rbac\.authorization\.k8s\.io "b" is forbidden: user "alice" .* not currently held:\n\{APIGroups:\["\*"\], Resources:\["\*"\], Verbs:\["\*"\]\}$/);
    expect((await refusal(checkEscalation(deps, 'rolebindings', binding('ghost'), undefined, ctx()))).message).toBe('rolebindings.rbac.authorization.k8s.io "b" is forbidden: clusterroles.rbac.authorization.k8s.io "ghost" not found');
    await checkEscalation(setup(['bind']).deps, 'rolebindings', binding('admin'), undefined, ctx());
  });
});
