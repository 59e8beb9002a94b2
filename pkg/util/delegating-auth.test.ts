import { describe, expect, it } from 'vitest';
import { DelegatingAuth, pathMatcher } from './delegating-auth.js';

/** A fake apiserver: tokens to users, and the non-resource paths each user may get. */
function apiserver(users: Record<string, { username: string; groups?: string[] }>, allowed: Record<string, string[]>, reason = '') {
  const calls: string[] = [];
  const tokenReviews = async (path: string, body: unknown) => {
    calls.push(path.split('/').pop()!);
    const user = users[(body as { spec: { token: string } }).spec.token];
    return { status: user ? { authenticated: true, user } : { authenticated: false, error: 'invalid token' } };
  };
  const accessReviews = async (path: string, body: unknown) => {
    calls.push(path.split('/').pop()!);
    const spec = (body as { spec: { user: string; nonResourceAttributes: { path: string; verb: string } } }).spec;
    const ok = (allowed[spec.user] ?? []).includes(`${spec.nonResourceAttributes.verb} ${spec.nonResourceAttributes.path}`);
    return { status: ok ? { allowed: true } : { allowed: false, reason } };
  };
  return { tokenReviews, accessReviews, calls };
}

const forbidden = (user: string, path: string, verb = 'get') =>
  `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"forbidden: User \\"${user}\\" cannot ${verb} path \\"${path}\\"","reason":"Forbidden","details":{},"code":403}\n`;
const UNAUTHORIZED = '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}\n';

describe('DelegatingAuth (kube-scheduler and kube-controller-manager 1.32)', () => {
  it("refuses an anonymous /metrics with 1.32's Forbidden Status; /healthz, /readyz and /livez are always allowed without a review", async () => {
    const a = apiserver({}, {});
    const auth = new DelegatingAuth({ tokenReviews: a.tokenReviews, accessReviews: a.accessReviews });
    expect(await auth.check(undefined, 'GET', '/metrics')).toEqual({ ok: false, code: 403, contentType: 'application/json', body: forbidden('system:anonymous', '/metrics') });
    for (const p of ['/healthz', '/readyz', '/livez']) expect(await auth.check(undefined, 'GET', p)).toMatchObject({ ok: true, user: { username: 'system:anonymous' } });
    expect(await auth.check(undefined, 'GET', '/healthz/ping')).toMatchObject({ ok: false, code: 403 });
    expect(a.calls).toEqual(['subjectaccessreviews', 'subjectaccessreviews']);
  });

  it('a token the apiserver does not vouch for is 401; one it does is authorized by a SubjectAccessReview of the path and the method', async () => {
    const a = apiserver({ prom: { username: 'system:serviceaccount:monitoring:prometheus-k8s', groups: ['system:serviceaccounts'] } }, { 'system:serviceaccount:monitoring:prometheus-k8s': ['get /metrics'] });
    const auth = new DelegatingAuth({ tokenReviews: a.tokenReviews, accessReviews: a.accessReviews });
    expect(await auth.check('Bearer nope', 'GET', '/metrics')).toEqual({ ok: false, code: 401, contentType: 'application/json', body: UNAUTHORIZED });
    expect(await auth.check('Bearer nope', 'GET', '/healthz')).toMatchObject({ ok: false, code: 401 });
    const ok = await auth.check('Bearer prom', 'GET', '/metrics');
    expect(ok).toEqual({ ok: true, user: { username: 'system:serviceaccount:monitoring:prometheus-k8s', groups: ['system:serviceaccounts', 'system:authenticated'] } });
    expect(await auth.check('Bearer prom', 'POST', '/metrics')).toMatchObject({ code: 403, body: forbidden('system:serviceaccount:monitoring:prometheus-k8s', '/metrics', 'post') });
    expect(await auth.check('Bearer prom', 'GET', '/configz')).toMatchObject({ code: 403 });
  });

  it("a SubjectAccessReview's reason ends the message; a failed review is a 500 in plain text", async () => {
    const a = apiserver({}, {}, 'no RBAC policy matched');
    const auth = new DelegatingAuth({ tokenReviews: a.tokenReviews, accessReviews: a.accessReviews });
    expect((await auth.check(undefined, 'GET', '/metrics')) as { body: string }).toMatchObject({ body: expect.stringContaining('cannot get path \\"/metrics\\": no RBAC policy matched"') });
    const failing = new DelegatingAuth({ accessReviews: async () => Promise.reject(new Error('connection refused')) });
    expect(await failing.check(undefined, 'GET', '/metrics')).toEqual({ ok: false, code: 500, contentType: 'text/plain; charset=utf-8', body: 'Internal Server Error: "/metrics": connection refused\n' });
  });

  it('system:masters is allowed everything without a SubjectAccessReview (AlwaysAllowGroups)', async () => {
    const a = apiserver({ admin: { username: 'kubernetes-admin', groups: ['system:masters'] } }, {});
    const auth = new DelegatingAuth({ tokenReviews: a.tokenReviews, accessReviews: a.accessReviews });
    expect(await auth.check('Bearer admin', 'GET', '/metrics')).toMatchObject({ ok: true });
    expect(await auth.check(undefined, 'GET', '/metrics', { username: 'front', groups: ['system:masters'] })).toMatchObject({ ok: true });
    expect(a.calls).toEqual(['tokenreviews']);
  });

  it('keeps token reviews and access decisions 10 s, either way, then asks again', async () => {
    let now = 1_000_000;
    const a = apiserver({ t: { username: 'u' } }, { u: ['get /metrics'] });
    const auth = new DelegatingAuth({ tokenReviews: a.tokenReviews, accessReviews: a.accessReviews, now: () => now });
    for (let i = 0; i < 3; i++) expect((await auth.check('Bearer t', 'GET', '/metrics')).ok).toBe(true);
    for (let i = 0; i < 2; i++) expect(await auth.check('Bearer bad', 'GET', '/metrics')).toMatchObject({ code: 401 });
    for (let i = 0; i < 2; i++) expect(await auth.check(undefined, 'GET', '/metrics')).toMatchObject({ code: 403 });
    expect(a.calls).toEqual(['tokenreviews', 'subjectaccessreviews', 'tokenreviews', 'subjectaccessreviews']);
    now += 9_999;
    await auth.check('Bearer t', 'GET', '/metrics');
    expect(a.calls).toHaveLength(4);
    now += 1;
    a.calls.length = 0;
    await auth.check('Bearer t', 'GET', '/metrics');
    await auth.check('Bearer bad', 'GET', '/metrics');
    await auth.check(undefined, 'GET', '/metrics');
    expect(a.calls).toEqual(['tokenreviews', 'subjectaccessreviews', 'tokenreviews', 'subjectaccessreviews']);
  });

  it('concurrent requests with one token share one review', async () => {
    const a = apiserver({ t: { username: 'u' } }, { u: ['get /metrics'] });
    const auth = new DelegatingAuth({ tokenReviews: a.tokenReviews, accessReviews: a.accessReviews });
    const all = await Promise.all(Array.from({ length: 5 }, () => auth.check('Bearer t', 'GET', '/metrics')));
    expect(all.every((d) => d.ok)).toBe(true);
    expect(a.calls).toEqual(['tokenreviews', 'subjectaccessreviews']);
  });

  it('without an authentication kubeconfig every token is anonymous; without an authorization kubeconfig only the always-allowed pass', async () => {
    const a = apiserver({ t: { username: 'u' } }, { u: ['get /metrics'], 'system:anonymous': ['get /metrics'] });
    const noAuthn = new DelegatingAuth({ accessReviews: a.accessReviews });
    expect(await noAuthn.check('Bearer t', 'GET', '/metrics')).toMatchObject({ ok: true, user: { username: 'system:anonymous' } });
    const noAuthz = new DelegatingAuth({ tokenReviews: a.tokenReviews });
    expect(await noAuthz.check('Bearer t', 'GET', '/metrics')).toMatchObject({ code: 403, body: forbidden('u', '/metrics') });
    expect(await noAuthz.check('Bearer t', 'GET', '/healthz')).toMatchObject({ ok: true });
  });

  it('--authorization-always-allow-paths: exact paths and prefixes ending in *, the leading / optional', () => {
    const m = pathMatcher(['/healthz', 'metrics', '/debug/*']);
    expect(['/healthz', '/metrics', '/debug/', '/debug/pprof/heap', 'healthz'].map(m)).toEqual([true, true, true, true, true]);
    expect(['/healthz/ping', '/debug', '/metricsx'].map(m)).toEqual([false, false, false]);
  });
});
