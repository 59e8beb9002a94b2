import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors.js';
import { decodeContinue, encodeContinue } from './continue-token.js';

const scope = '/registry/configmaps/ns/';
const token = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** The 400's message decodeContinue answers `t` with. */
function refusal(t: string): string {
  try {
    decodeContinue(t, scope);
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).code).toBe(400);
    return (e as Error).message;
  }
  throw new Error(`${t} was accepted`);
}

describe('continue tokens', () => {
  it('round-trip a revision and the key to resume after, relative to the listed prefix', () => {
    const t = encodeContinue(42, `${scope}cm-1\0`, scope);
    expect(t).not.toContain('=');
    expect(JSON.parse(Buffer.from(t, 'base64url').toString())).toEqual({ v: 'meta.k8s.io/v1', rv: 42, start: 'cm-1\0' });
    expect(decodeContinue(t, scope)).toEqual({ rv: 42, start: `${scope}cm-1\0` });
    // (-1: the token an expired continue's 410 offers, to go on at the latest revision)
    expect(decodeContinue(encodeContinue(-1, `${scope}cm-1\0`, scope), scope)).toEqual({ rv: -1, start: `${scope}cm-1\0` });
  });

  it('are refused in the words of storage.DecodeContinue, as the etcd store wraps them', () => {
    expect(refusal('garbage!!')).toBe('invalid continue token: continue key is not valid: illegal base64 data at input byte 7');
    // (padding is no part of the unpadded encoding; a lone last character is no byte)
    const valid = token({ v: 'meta.k8s.io/v1', rv: 1, start: 'a' });
    expect(refusal(`${valid}==`)).toBe(`invalid continue token: continue key is not valid: illegal base64 data at input byte ${valid.length}`);
    expect(refusal('abcde')).toBe('invalid continue token: continue key is not valid: illegal base64 data at input byte 4');
    expect(refusal(Buffer.from('xyz').toString('base64url'))).toBe("invalid continue token: continue key is not valid: invalid character 'x' looking for beginning of value");
    expect(refusal(Buffer.from('{"v":').toString('base64url'))).toBe('invalid continue token: continue key is not valid: unexpected end of JSON input');
    expect(refusal(token({ v: 'meta.k8s.io/v2', rv: 5, start: 'a' }))).toBe('invalid continue token: continue key is not valid: server does not recognize this encoded version meta.k8s.io/v2');
    expect(refusal(token({ v: 'meta.k8s.io/v1', rv: 0, start: 'a' }))).toBe('invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
    expect(refusal(token({ v: 'meta.k8s.io/v1', start: 'a' }))).toBe('invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
    expect(refusal(token({ v: 'meta.k8s.io/v1', rv: 5, start: '' }))).toBe('invalid continue token: continue key is not valid: encoded start key empty (version meta.k8s.io/v1)');
    expect(refusal(token({ v: 'meta.k8s.io/v1', rv: 5, start: '../x' }))).toBe('invalid continue token: continue key is not valid: ../x');
    expect(refusal(token({ v: 'meta.k8s.io/v1', rv: 5, start: 'a//b' }))).toBe('invalid continue token: continue key is not valid: a//b');
    expect(refusal(token({ v: 'meta.k8s.io/v1', rv: '5', start: 'a' }))).toBe('invalid continue token: continue key is not valid: json: cannot unmarshal string into Go struct field continueToken.rv of type int64');
  });
});
