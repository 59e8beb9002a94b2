import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clientCAFor, DelegatedAuth, sameToken, subresourceOf } from './delegated-auth.js';
import type { DynamicClientCA } from './client-ca.js';

/** A fake apiserver: tokens to users, and what each user may do on nodes. */
function reviewer(users: Record<string, string>, allowed: Record<string, string[]>) {
  const calls: string[] = [];
  const post = async (path: string, body: unknown) => {
    const b = body as { spec: { token?: string; user?: string; resourceAttributes?: { verb: string; subresource: string; name: string; resource: string } } };
    calls.push(path.split('/').pop()!);
    if (path.endsWith('/tokenreviews')) {
      const username = users[b.spec.token!];
      return { status: username ? { authenticated: true, user: { username, groups: ['system:authenticated'] } } : { authenticated: false } };
    }
    const a = b.spec.resourceAttributes!;
    return { status: { allowed: a.resource === 'nodes' && a.name === 'n1' && (allowed[b.spec.user!] ?? []).includes(`${a.verb} ${a.subresource}`) } };
  };
  return { post, calls };
}

describe('DelegatedAuth', () => {
  it('maps paths to the kubelet\'s subresources', () => {
    expect(['/metrics', '/metrics/cadvisor', '/stats/usage', '/logs/', '/spec/', '/containerLogs/a/b/c', '/metricsx'].map(subresourceOf)).toEqual(['metrics', 'metrics', 'stats', 'log', 'spec', 'proxy', 'proxy']);
  });

  it('lets its own token in without asking; reviews others: 401 unknown, 403 in the kubelet\'s words, allowed per subresource and verb', async () => {
    const r = reviewer({ 'prom-token': 'system:serviceaccount:mon:prom' }, { 'system:serviceaccount:mon:prom': ['get metrics'] });
    const auth = new DelegatedAuth('n1', 'node-token', r.post);
    expect(await auth.check('Bearer node-token', 'GET', '/containerLogs/a/b/c')).toEqual({ ok: true });
    expect(r.calls).toEqual([]);
    expect(await auth.check(undefined, 'GET', '/metrics')).toEqual({ ok: false, code: 401, message: 'Unauthorized' });
    expect(await auth.check('Bearer nope', 'GET', '/metrics')).toEqual({ ok: false, code: 401, message: 'Unauthorized' });
    expect(await auth.check('Bearer prom-token', 'GET', '/metrics/cadvisor')).toEqual({ ok: true, user: 'system:serviceaccount:mon:prom' });
    expect(await auth.check('Bearer prom-token', 'GET', '/stats/usage')).toEqual({ ok: false, code: 403, message: 'Forbidden (user=system:serviceaccount:mon:prom, verb=get, resource=nodes, subresource=stats)' });
    expect(await auth.check('Bearer prom-token', 'POST', '/metrics')).toMatchObject({ ok: false, code: 403, message: expect.stringContaining('verb=create') });
  });

  it('a verified client certificate\'s user is authorized without a TokenReview, before any bearer token; the own token still goes first', async () => {
    const r = reviewer({ 'prom-token': 'prom' }, { 'kube-apiserver-kubelet-client': ['get proxy', 'create proxy'] });
    const auth = new DelegatedAuth('n1', 'node-token', r.post);
    const apiserver = { username: 'kube-apiserver-kubelet-client', groups: ['system:masters', 'system:authenticated'] };
    expect(await auth.check(undefined, 'POST', '/exec/ns/p/c', apiserver)).toEqual({ ok: true, user: 'kube-apiserver-kubelet-client' });
    expect(await auth.check('Bearer prom-token', 'GET', '/containerLogs/ns/p/c', apiserver)).toEqual({ ok: true, user: 'kube-apiserver-kubelet-client' });
    expect(r.calls).toEqual(['subjectaccessreviews', 'subjectaccessreviews']);
    expect(await auth.check(undefined, 'GET', '/stats/summary', apiserver)).toEqual({ ok: false, code: 403, message: 'Forbidden (user=kube-apiserver-kubelet-client, verb=get, resource=nodes, subresource=stats)' });
    r.calls.length = 0;
    expect(await auth.check('Bearer node-token', 'GET', '/stats/summary', { username: 'someone', groups: [] })).toEqual({ ok: true });
    expect(r.calls).toEqual([]);
  });

  it('caches reviews: a token is reviewed once, a decision once', async () => {
    const r = reviewer({ t: 'u' }, { u: ['get metrics'] });
    const auth = new DelegatedAuth('n1', 'node-token', r.post);
    for (let i = 0; i < 3; i++) expect((await auth.check('Bearer t', 'GET', '/metrics')).ok).toBe(true);
    for (let i = 0; i < 2; i++) expect(await auth.check('Bearer bad', 'GET', '/metrics')).toMatchObject({ code: 401 });
    expect(r.calls).toEqual(['tokenreviews', 'subjectaccessreviews', 'tokenreviews']);
  });

  it('compares tokens of any bytes and length without throwing; the empty token is never its own', () => {
    expect(sameToken('abc', 'abc')).toBe(true);
    expect(sameToken('ÿÿÿ', 'abc')).toBe(false); // (same length in UTF-16 units, not in bytes)
    expect(sameToken('a', 'abc')).toBe(false);
    expect(sameToken('', '')).toBe(false);
  });

  it('shares one review among concurrent requests with the same token', async () => {
    const r = reviewer({ t: 'u' }, { u: ['get metrics'] });
    const auth = new DelegatedAuth('n1', 'node-token', r.post);
    const results = await Promise.all(Array.from({ length: 5 }, () => auth.check('Bearer t', 'GET', '/metrics')));
    expect(results.every((x) => x.ok)).toBe(true);
    expect(r.calls).toEqual(['tokenreviews', 'subjectaccessreviews']);
  });

  it('an own token that is empty lets nobody in as the node', async () => {
    const r = reviewer({}, {});
    const auth = new DelegatedAuth('n1', '', r.post);
    expect(await auth.check('Bearer x', 'GET', '/metrics')).toMatchObject({ ok: false, code: 401 });
  });
});

describe('clientCAFor (--client-ca-file)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsk-client-ca-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

  it('without the flag, the kubeconfig\'s cluster CA; with it, the file\'s', () => {
    expect(clientCAFor('', 'CLUSTER CA')).toBe('CLUSTER CA');
    writeFileSync(join(dir, 'ca.crt'), pem);
    expect((clientCAFor(join(dir, 'ca.crt'), 'CLUSTER CA') as DynamicClientCA).current()).toBe(pem);
  });

  it('a file that is missing or holds no certificate is an error in Go\'s words', () => {
    expect(() => clientCAFor(join(dir, 'nope.crt'), undefined)).toThrow(`open ${join(dir, 'nope.crt')}: no such file or directory`);
    writeFileSync(join(dir, 'empty.crt'), 'not a certificate\n');
    expect(() => clientCAFor(join(dir, 'empty.crt'), undefined)).toThrow(`error loading CA bundle for "client-ca-bundle::${join(dir, 'empty.crt')}": data does not contain any valid RSA or ECDSA certificates`);
  });
});
