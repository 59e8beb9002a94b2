import { describe, expect, it } from 'vitest';
import type { Attributes, Authorizer } from './authorizer.js';
import type { ApiError } from './errors.js';
import { hasImpersonationHeaders, impersonate } from './impersonation.js';

const bob = { name: 'bob', groups: ['system:authenticated'] };

function authorizer(allow: (a: Attributes) => boolean): { authz: Authorizer; asked: Attributes[] } {
  const asked: Attributes[] = [];
  return {
    asked,
    authz: {
      authorize: async (_u, a) => {
        asked.push(a);
        return allow(a) ? { allowed: true } : { allowed: false, reason: '' };
      },
      authorizePath: () => ({ allowed: false, reason: '' }),
      rulesFor: () => ({ resourceRules: [], nonResourceRules: [], incomplete: false }),
    },
  };
}

describe('impersonation', () => {
  it('without headers the requestor stays itself', async () => {
    expect(await impersonate(bob, {}, authorizer(() => false).authz)).toBe(bob);
  });

  it('each part is authorized with the impersonate verb; the user gets system:authenticated', async () => {
    const { authz, asked } = authorizer(() => true);
    const u = await impersonate(bob, { 'impersonate-user': 'alice', 'impersonate-group': ['g1', 'g2'], 'impersonate-uid': '42' }, authz);
    expect(u).toEqual({ name: 'alice', groups: ['g1', 'g2', 'system:authenticated'], uid: '42' });
    expect(asked.map((a) => `${a.verb} ${a.group}/${a.resource} ${a.name}`)).toEqual(['impersonate /users alice', 'impersonate /groups g1', 'impersonate /groups g2', 'impersonate authentication.k8s.io/uids 42']);
  });

  it('extras are authorized as userextras/<key> and become the user extra, values in order', async () => {
    const { authz, asked } = authorizer(() => true);
    const u = await impersonate(bob, { 'impersonate-user': 'alice', 'impersonate-extra-scopes': ['a', 'b'], 'impersonate-extra-acme.com%2fproject': 'p' }, authz);
    expect(u).toEqual({ name: 'alice', groups: ['system:authenticated'], extra: { scopes: ['a', 'b'], 'acme.com/project': ['p'] } });
    expect(asked.filter((a) => a.resource === 'userextras').map((a) => `${a.subresource} ${a.name}`)).toEqual(['scopes a', 'scopes b', 'acme.com/project p']);
  });

  it('a service account user is checked as serviceaccounts in its namespace and gets its groups', async () => {
    const { authz, asked } = authorizer((a) => a.resource === 'serviceaccounts' && a.namespace === 'ns' && a.name === 'x');
    expect(await impersonate(bob, { 'impersonate-user': 'system:serviceaccount:ns:x' }, authz)).toEqual({
      name: 'system:serviceaccount:ns:x',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:ns', 'system:authenticated'],
    });
    expect(asked).toHaveLength(1);
  });

  it('a refused part is 403 naming it; groups without a user are refused', async () => {
    const { authz } = authorizer((a) => a.resource === 'users');
    const e = (await impersonate(bob, { 'impersonate-user': 'alice', 'impersonate-group': 'system:masters' }, authz).catch((x: unknown) => x)) as ApiError;
    expect(e.code).toBe(403);
    expect(e.message).toBe('groups "system:masters" is forbidden: User "bob" cannot impersonate resource "groups" in API group "" at the cluster scope');
    const none = (await impersonate(bob, { 'impersonate-group': 'g' }, authorizer(() => true).authz).catch((x: unknown) => x)) as ApiError;
    expect(none.code).toBe(500);
    expect(none.message).toMatch(/without impersonating a user/);
  });

  it('system:anonymous gets system:unauthenticated, not system:authenticated', async () => {
    expect(await impersonate(bob, { 'impersonate-user': 'system:anonymous' }, authorizer(() => true).authz)).toEqual({ name: 'system:anonymous', groups: ['system:unauthenticated'] });
  });
});

describe('hasImpersonationHeaders', () => {
  it('finds any Impersonate-* header in the raw list, whatever its case, and only names', () => {
    expect(hasImpersonationHeaders(['Host', 'x', 'Impersonate-User', 'alice'])).toBe(true);
    expect(hasImpersonationHeaders(['impersonate-group', 'g'])).toBe(true);
    expect(hasImpersonationHeaders(['IMPERSONATE-EXTRA-scopes', 'a'])).toBe(true);
    expect(hasImpersonationHeaders(['Impersonate-Uid', '1'])).toBe(true);
    // a value that looks like one is not a header name; neither is a longer or shorter name
    expect(hasImpersonationHeaders(['X-Note', 'Impersonate-User', 'Accept', 'application/json'])).toBe(false);
    expect(hasImpersonationHeaders(['Impersonate-', 'x', 'Impersonator', 'y'])).toBe(false);
    expect(hasImpersonationHeaders([])).toBe(false);
  });
});
