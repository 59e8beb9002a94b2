import { describe, expect, it } from 'vitest';
import { BootstrapTokenAuthenticator } from './bootstrap-token-auth.js';
import { parseRFC3339, type SecretLike } from '../api/bootstrap-token.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const NOW = Date.parse('2026-01-01T00:00:00Z');

function secret(data: Record<string, string>, over: Partial<SecretLike> = {}): SecretLike {
  return {
    metadata: { name: 'bootstrap-token-abcdef', namespace: 'kube-system' },
    type: 'bootstrap.kubernetes.io/token',
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
    ...over,
  };
}

const good = { 'token-id': 'abcdef', 'token-secret': '0123456789abcdef', 'usage-bootstrap-authentication': 'true' };

function authn(s: SecretLike | undefined) {
  const logs: string[] = [];
  const asked: string[] = [];
  const a = new BootstrapTokenAuthenticator(async (name) => (asked.push(name), s), () => NOW, (m) => logs.push(m));
  return { a, logs, asked };
}

describe('bootstrap token authenticator', () => {
  it('a good token is system:bootstrap:<id> in system:bootstrappers and the extra groups, sorted', async () => {
    const { a, asked } = authn(secret({ ...good, 'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token,system:bootstrappers:a', expiration: '2026-01-01T02:00:00+01:00' }));
    expect(await a.authenticate('abcdef.0123456789abcdef')).toEqual({
      name: 'system:bootstrap:abcdef',
      groups: ['system:bootstrappers', 'system:bootstrappers:a', 'system:bootstrappers:kubeadm:default-node-token'],
    });
    expect(asked).toEqual(['bootstrap-token-abcdef']);
  });

  it('a token not of the form <6>.<16> is not looked up', async () => {
    const { a, asked } = authn(secret(good));
    for (const t of ['abcdef.0123456789abcde', 'ABCDEF.0123456789abcdef', 'abcdef:0123456789abcdef', 'abcdef.0123456789abcdef\n']) expect(await a.authenticate(t)).toBeUndefined();
    expect(asked).toEqual([]);
  });

  it('refuses, with Kubernetes\' log lines, each Secret that does not match', async () => {
    const cases: [SecretLike | undefined, string][] = [
      [undefined, 'No secret of name bootstrap-token-abcdef to match bootstrap bearer token'],
      [secret(good, { metadata: { name: 'bootstrap-token-abcdef', namespace: 'kube-system', deletionTimestamp: '2026-01-01T00:00:00Z' } }), 'Bootstrap secret kube-system/bootstrap-token-abcdef matching bearer token is deleted and awaiting removal'],
      [secret(good, { type: 'Opaque' }), 'Bootstrap secret kube-system/bootstrap-token-abcdef matching bearer token has invalid type, expected bootstrap.kubernetes.io/token.'],
      [secret({ ...good, 'token-secret': 'ffffffffffffffff' }), 'Bootstrap secret kube-system/bootstrap-token-abcdef matching bearer token has invalid value for key token-secret, expected 0123456789abcdef.'],
      [secret({ ...good, 'token-id': 'abcdeg' }), 'Bootstrap secret kube-system/bootstrap-token-abcdef matching bearer token has invalid value for key token-id, expected abcdef.'],
      [secret({ ...good, expiration: '2025-12-31T23:59:59Z' }), 'Expired bootstrap token in kube-system/bootstrap-token-abcdef Secret: 2025-12-31T23:59:59Z'],
      [secret({ ...good, expiration: 'tomorrow' }), 'Unparseable expiration time (tomorrow) in kube-system/bootstrap-token-abcdef Secret: cannot parse "tomorrow" as RFC 3339. Treating as expired.'],
      [secret({ ...good, 'usage-bootstrap-authentication': 'yes' }), 'Bootstrap secret kube-system/bootstrap-token-abcdef matching bearer token not marked usage-bootstrap-authentication=true.'],
      [secret({ ...good, 'auth-extra-groups': 'system:bootstrappers:ok,system:masters' }), 'Bootstrap secret kube-system/bootstrap-token-abcdef matching bearer token has invalid value for key auth-extra-groups: bootstrap group "system:masters" is invalid (must match \\Asystem:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]\\z).'],
    ];
    for (const [s, line] of cases) {
      const { a, logs } = authn(s);
      expect(await a.authenticate('abcdef.0123456789abcdef')).toBeUndefined();
      expect(logs).toEqual([line]);
    }
  });

  it('a Secret with no data has the wrong type for the authenticator', async () => {
    const { a, logs } = authn({ metadata: { name: 'bootstrap-token-abcdef', namespace: 'kube-system' }, type: 'bootstrap.kubernetes.io/token' });
    expect(await a.authenticate('abcdef.0123456789abcdef')).toBeUndefined();
    expect(logs[0]).toMatch(/has invalid type/);
  });

  it('an expiration still ahead authenticates; one exactly now has expired', async () => {
    expect(await authn(secret({ ...good, expiration: '2026-01-01T00:00:01Z' })).a.authenticate('abcdef.0123456789abcdef')).toBeDefined();
    expect(await authn(secret({ ...good, expiration: '2026-01-01T00:00:00Z' })).a.authenticate('abcdef.0123456789abcdef')).toBeUndefined();
  });
});

describe('parseRFC3339 (Go time.RFC3339)', () => {
  it('reads offsets and fractions; refuses what Go refuses', () => {
    expect(parseRFC3339('2026-01-01T01:00:00+01:00')).toBe(NOW);
    expect(parseRFC3339('2025-12-31T19:00:00.5-05:00')).toBe(NOW + 500);
    for (const bad of ['2026-01-01 00:00:00Z', '2026-01-01T00:00:00', '2026-02-30T00:00:00Z', '2026-13-01T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01t00:00:00z', '1767225600']) expect(parseRFC3339(bad)).toBeUndefined();
  });
});
