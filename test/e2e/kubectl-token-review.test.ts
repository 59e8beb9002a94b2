// TokenReview (authentication.k8s.io/v1) with the stock kubectl, as delegated-authentication
// servers use it: a service account token from `kubectl create token` reviewed with the API's
// audiences and with its own, a static token, an unknown one, and the system:auth-delegator role
// that lets a service account ask.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hasKubectl, kubectlControlPlane } from '../helpers/kubectl.js';

const ctl = kubectlControlPlane();
const { kubectl, kubectlIn, run } = ctl;
interface Status {
  authenticated: boolean;
  user: { username?: string; groups?: string[] };
  audiences?: string[];
  error?: string;
}
const review = async (token: string, audiences?: string[]) => {
  const body = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(audiences ? { audiences } : {}) } });
  return (JSON.parse(await kubectlIn(body, 'create', '--raw', '/apis/authentication.k8s.io/v1/tokenreviews', '-f', '-')) as { status: Status }).status;
};

describe.skipIf(!hasKubectl)('TokenReview', () => {
  it('is served: kubectl api-resources lists it', async () => {
    expect(await kubectl('api-resources', '--api-group=authentication.k8s.io', '-o', 'name')).toContain('tokenreviews.authentication.k8s.io');
  });

  it('names the service account of a token kubectl create token made, for the API\'s audience or a token\'s own', async () => {
    const token = (await kubectl('create', 'token', 'default')).trim();
    const s = await review(token);
    expect(s.authenticated).toBe(true);
    expect(s.user.username).toBe('system:serviceaccount:default:default');
    expect(s.user.groups).toEqual(['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated']);
    expect(s.audiences).toHaveLength(1);

    const forFoo = (await kubectl('create', 'token', 'default', '--audience=foo')).trim();
    const refused = await review(forFoo);
    expect(refused.authenticated).toBe(false);
    expect(refused.error).toContain('token audiences ["foo"] is invalid for the target audiences');
    expect(await review(forFoo, ['foo'])).toMatchObject({ authenticated: true, audiences: ['foo'], user: { username: 'system:serviceaccount:default:default' } });
  });

  it('a static token counts for the API\'s audiences only; an unknown token is not authenticated; no token is a 400', async () => {
    const admin = /token: (\S+)/.exec(readFileSync(ctl.cp.kubeconfig, 'utf8'))?.[1];
    expect(admin).toBeTruthy();
    expect(await review(admin!)).toMatchObject({ authenticated: true, user: { groups: expect.arrayContaining(['system:authenticated']) } });
    expect((await review(admin!, ['foo'])).authenticated).toBe(false);
    expect(await review('not-a-token')).toEqual({ authenticated: false, user: {} });
    const r = await run(['create', '--raw', '/apis/authentication.k8s.io/v1/tokenreviews', '-f', '-'], '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{}}');
    expect(r.err).toContain('token is required for TokenReview in authentication');
  });

  it('a service account may ask once bound to system:auth-delegator', async () => {
    const sa = 'system:serviceaccount:default:default';
    expect((await run(['auth', 'can-i', 'create', 'tokenreviews', `--as=${sa}`])).out.trim()).toBe('no');
    await kubectl('create', 'clusterrolebinding', 'delegate', '--clusterrole=system:auth-delegator', '--serviceaccount=default:default');
    const yes = async () => (await run(['auth', 'can-i', 'create', 'tokenreviews', `--as=${sa}`])).out.trim();
    for (let i = 0; i < 50 && (await yes()) !== 'yes'; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await yes()).toBe('yes');
    expect(await kubectl('auth', 'can-i', 'create', 'subjectaccessreviews', `--as=${sa}`)).toBe('yes\n');
  });
});
