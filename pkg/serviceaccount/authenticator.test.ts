import { generateKeyPairSync } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/types.js';
import { ServiceAccountTokenAuthenticator, type ServiceAccountTokenGetter } from './authenticator.js';
import { boundClaims, DEFAULT_ISSUER, legacyClaims } from './claims.js';
import { signJwt, type JwtClaims } from './jwt.js';

const key = generateKeyPairSync('rsa', { modulusLength: 2048 });
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
const T0 = Date.parse('2026-11-30T12:00:00Z');

/** A fake of the apiserver's object lookups: objects by `kind/ns/name`. */
class Objects implements ServiceAccountTokenGetter {
  readonly m = new Map<string, KubeObject>();
  put(kind: string, ns: string, name: string, uid: string, extra: Record<string, unknown> = {}): KubeObject {
    const o = { metadata: { namespace: ns, name, uid }, ...extra } as KubeObject;
    this.m.set(`${kind}/${ns}/${name}`, o);
    return o;
  }
  del(kind: string, ns: string, name: string): void {
    this.m.delete(`${kind}/${ns}/${name}`);
  }
  serviceAccount = async (ns: string, name: string) => this.m.get(`sa/${ns}/${name}`);
  pod = async (ns: string, name: string) => this.m.get(`pod/${ns}/${name}`);
  secret = async (ns: string, name: string) => this.m.get(`secret/${ns}/${name}`);
}

let objects: Objects;
let now: number;
let auth: ServiceAccountTokenAuthenticator;

beforeEach(() => {
  objects = new Objects();
  objects.put('sa', 'team', 'builder', 'sa-uid');
  objects.put('pod', 'team', 'web', 'pod-uid');
  now = T0;
  auth = new ServiceAccountTokenAuthenticator({ issuers: [DEFAULT_ISSUER], audiences: [DEFAULT_ISSUER], keys: [key.publicKey], getter: objects, now: () => now });
});

const bound = (o: Partial<Parameters<typeof boundClaims>[0]> = {}, signer = key.privateKey) =>
  signJwt(boundClaims({ issuer: DEFAULT_ISSUER, serviceAccount: { namespace: 'team', name: 'builder', uid: 'sa-uid' }, audiences: [DEFAULT_ISSUER], expirationSeconds: 3600, now: T0, ...o }), signer);

describe('bound service account tokens', () => {
  it('authenticate as system:serviceaccount:NS:NAME with the account uid, its groups, and the pod in extra', async () => {
    const r = await auth.authenticate(bound({ pod: { name: 'web', uid: 'pod-uid' }, node: { name: 'node-1', uid: 'node-uid' } }));
    expect(r).toEqual({
      user: {
        name: 'system:serviceaccount:team:builder',
        uid: 'sa-uid',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:team'],
        extra: {
          'authentication.kubernetes.io/pod-name': ['web'],
          'authentication.kubernetes.io/pod-uid': ['pod-uid'],
          'authentication.kubernetes.io/node-name': ['node-1'],
          'authentication.kubernetes.io/node-uid': ['node-uid'],
          'authentication.kubernetes.io/credential-id': [expect.stringMatching(/^JTI=[0-9a-f-]{36}$/)],
        },
      },
    });
  });

  it('expire after exp (with a minute of leeway), and are not valid before nbf', async () => {
    const t = bound();
    now = T0 + 3600_000 + 59_000;
    expect(await auth.authenticate(t)).toHaveProperty('user');
    now = T0 + 3600_000 + 61_000;
    expect(await auth.authenticate(t)).toEqual({ error: 'service account token has expired' });
    now = T0 - 120_000;
    expect(await auth.authenticate(t)).toEqual({ error: 'service account token is not valid yet' });
  });

  it('must name one of the API audiences', async () => {
    expect(await auth.authenticate(bound({ audiences: ['vault'] }))).toEqual({ error: 'token audiences ["vault"] is invalid for the target audiences ["https://kubernetes.default.svc.cluster.local"]' });
    expect(await auth.authenticate(bound({ audiences: ['vault', DEFAULT_ISSUER] }))).toHaveProperty('user');
  });

  it('with a bad signature or from another key are refused', async () => {
    const t = bound();
    const [h, p, s] = t.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as JwtClaims;
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'system:serviceaccount:kube-system:admin' })).toString('base64url');
    expect(await auth.authenticate(`${h}.${forged}.${s}`)).toEqual({ error: 'invalid signature' });
    expect(await auth.authenticate(bound({}, stranger.privateKey))).toEqual({ error: 'invalid signature' });
  });

  it('are not ours when another issuer made them, nor when they are not JWTs', async () => {
    expect(await auth.authenticate(bound({ issuer: 'https://accounts.example.com' }))).toBeUndefined();
    expect(await auth.authenticate('0123456789abcdef')).toBeUndefined();
  });

  it('die with their ServiceAccount, and with a ServiceAccount made again under the same name', async () => {
    const t = bound();
    objects.del('sa', 'team', 'builder');
    expect(await auth.authenticate(t)).toEqual({ error: 'serviceaccounts "builder" not found' });
    objects.put('sa', 'team', 'builder', 'new-uid');
    expect(await auth.authenticate(t)).toEqual({ error: 'service account UID (new-uid) does not match claim (sa-uid)' });
  });

  it('bound to a pod die with it: deleted, replaced, or deleted more than a minute ago', async () => {
    const t = bound({ pod: { name: 'web', uid: 'pod-uid' } });
    objects.put('pod', 'team', 'web', 'pod-uid', {});
    objects.m.get('pod/team/web')!.metadata!.deletionTimestamp = new Date(T0 - 30_000).toISOString();
    expect(await auth.authenticate(t)).toHaveProperty('user'); // still terminating: its preStop may call the API
    objects.m.get('pod/team/web')!.metadata!.deletionTimestamp = new Date(T0 - 61_000).toISOString();
    expect(await auth.authenticate(t)).toEqual({ error: 'service account token has been invalidated' });
    objects.put('pod', 'team', 'web', 'other-pod-uid');
    expect(await auth.authenticate(t)).toEqual({ error: 'pod UID (other-pod-uid) does not match service account pod ref claim (pod-uid)' });
    objects.del('pod', 'team', 'web');
    expect(await auth.authenticate(t)).toEqual({ error: 'service account token has been invalidated' });
  });

  it('bound to a secret die with it', async () => {
    objects.put('secret', 'team', 'anchor', 'secret-uid');
    const t = bound({ secret: { name: 'anchor', uid: 'secret-uid' } });
    expect(await auth.authenticate(t)).toHaveProperty('user');
    objects.del('secret', 'team', 'anchor');
    expect(await auth.authenticate(t)).toEqual({ error: 'service account token has been invalidated' });
  });
});

describe('legacy (Secret) tokens', () => {
  const legacy = () => signJwt(legacyClaims({ namespace: 'team', name: 'builder', uid: 'sa-uid' }, 'builder-token'), key.privateKey);
  const store = (token: string) => objects.put('secret', 'team', 'builder-token', 'secret-uid', { data: { token: Buffer.from(token).toString('base64') } });

  it('authenticate while their Secret holds them and the account is the same; they have no expiry', async () => {
    const t = legacy();
    store(t);
    now = T0 + 10 * 365 * 24 * 3600_000;
    expect(await auth.authenticate(t)).toEqual({ user: { name: 'system:serviceaccount:team:builder', uid: 'sa-uid', groups: ['system:serviceaccounts', 'system:serviceaccounts:team'], extra: {} } });
  });

  it('are refused once the Secret is gone or holds another token, or the account went', async () => {
    const t = legacy();
    expect(await auth.authenticate(t)).toEqual({ error: 'Token has been invalidated' });
    store('something else');
    expect(await auth.authenticate(t)).toEqual({ error: "Token does not match server's copy" });
    store(t);
    objects.put('sa', 'team', 'builder', 'new-uid');
    expect(await auth.authenticate(t)).toEqual({ error: 'ServiceAccount UID (new-uid) does not match claim (sa-uid)' });
    objects.del('sa', 'team', 'builder');
    expect(await auth.authenticate(t)).toEqual({ error: 'serviceaccounts "builder" not found' });
  });

  it('need every claim, and a subject that agrees with them', async () => {
    const claims = legacyClaims({ namespace: 'team', name: 'builder', uid: 'sa-uid' }, 'builder-token');
    const t = signJwt({ ...claims, sub: 'system:serviceaccount:kube-system:builder' }, key.privateKey);
    store(t);
    expect(await auth.authenticate(t)).toEqual({ error: 'sub claim is invalid' });
    const noUid = signJwt({ ...claims, 'kubernetes.io/serviceaccount/service-account.uid': undefined }, key.privateKey);
    expect(await auth.authenticate(noUid)).toEqual({ error: 'serviceAccountUID claim is missing' });
  });
});
