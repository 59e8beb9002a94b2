import { generateKeyPairSync, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { algorithmOf, keyId, looksLikeJwt, signJwt, unverifiedClaims, verifyJwt, JwtError } from './jwt.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

const part = (t: string, i: number) => JSON.parse(Buffer.from(t.split('.')[i]!, 'base64url').toString());
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('JWT', () => {
  it('RS256 and ES256 tokens verify with their public key and carry alg and kid', () => {
    for (const [key, alg] of [[rsa, 'RS256'], [ec, 'ES256']] as const) {
      const t = signJwt({ sub: 'x', n: 1 }, key.privateKey);
      expect(looksLikeJwt(t)).toBe(true);
      expect(part(t, 0)).toEqual({ alg, kid: keyId(key.publicKey) });
      expect(verifyJwt(t, [otherRsa.publicKey, key.publicKey]).claims).toEqual({ sub: 'x', n: 1 });
      // ES256 signatures are the 64-byte r||s of JWS, not DER.
      if (alg === 'ES256') expect(Buffer.from(t.split('.')[2]!, 'base64url').length).toBe(64);
    }
  });

  it('the key id is the same for the private key and its public half', () => {
    expect(keyId(rsa.privateKey)).toBe(keyId(createPublicKey(rsa.privateKey)));
    expect(keyId(rsa.publicKey)).not.toBe(keyId(otherRsa.publicKey));
  });

  it('refuses a changed payload, another key, alg none and an algorithm that is not the key\'s', () => {
    const t = signJwt({ sub: 'alice' }, rsa.privateKey);
    const [h, , s] = t.split('.');
    expect(() => verifyJwt(`${h}.${b64({ sub: 'admin' })}.${s}`, [rsa.publicKey])).toThrow(new JwtError('invalid signature'));
    expect(() => verifyJwt(t, [otherRsa.publicKey])).toThrow('invalid signature');
    expect(() => verifyJwt(`${b64({ alg: 'none' })}.${b64({ sub: 'admin' })}.x`, [rsa.publicKey])).toThrow('invalid signature');
    // An RS256 header presented to an EC key (and the reverse) is not tried.
    expect(() => verifyJwt(t, [ec.publicKey])).toThrow('invalid signature');
    const e = signJwt({ sub: 'x' }, ec.privateKey);
    expect(() => verifyJwt(`${b64({ alg: 'RS256' })}.${e.split('.')[1]}.${e.split('.')[2]}`, [rsa.publicKey, ec.publicKey])).toThrow('invalid signature');
  });

  it('refuses malformed tokens; unverified claims are read only from well-formed ones', () => {
    expect(() => verifyJwt('abc', [rsa.publicKey])).toThrow('malformed token');
    expect(() => verifyJwt('a.b.c', [rsa.publicKey])).toThrow('malformed token');
    expect(() => verifyJwt(`${b64({ alg: 'RS256' })}.${b64([1])}.x`, [rsa.publicKey])).toThrow('malformed token');
    expect(unverifiedClaims('0123abcd')).toBeUndefined();
    expect(unverifiedClaims(`x.${b64({ iss: 'me' })}.y`)).toEqual({ iss: 'me' });
  });

  it('only RSA and P-256 keys are service account keys', () => {
    expect(algorithmOf(rsa.privateKey)).toBe('RS256');
    expect(algorithmOf(ec.publicKey)).toBe('ES256');
    expect(() => algorithmOf(generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey)).toThrow(/RSA or EC P-256/);
    expect(() => algorithmOf(generateKeyPairSync('ed25519').privateKey)).toThrow(/RSA or EC P-256/);
  });
});
