import { describe, expect, it } from 'vitest';
import { formatFieldError } from './field-error.js';
import { defaultPod } from './defaults.js';
import type { Pod } from './types.js';
import { validatePod } from './validation.js';
import { defaultTokenRequest, validateServiceAccount, validateServiceAccountUpdate, validateTokenRequest } from './validation-serviceaccount.js';

const msgs = (errs: Parameters<typeof formatFieldError>[0][]) => errs.map(formatFieldError);

describe('ServiceAccount validation', () => {
  it('names are DNS subdomains; name and namespace cannot change', () => {
    expect(validateServiceAccount({ metadata: { name: 'build-bot.ci', namespace: 'team' } })).toEqual([]);
    expect(msgs(validateServiceAccount({ metadata: { name: 'Build_Bot', namespace: 'team' } }))[0]).toMatch(/^metadata.name: Invalid value: "Build_Bot": a lowercase RFC 1123 subdomain/);
    expect(msgs(validateServiceAccountUpdate({ metadata: { name: 'b', namespace: 'team' } }, { metadata: { name: 'a', namespace: 'team' } }))).toContain('metadata.name: Invalid value: "b": field is immutable');
  });
});

describe('TokenRequest', () => {
  it('lasts an hour unless it says otherwise, at least 10 minutes, at most 2^32 seconds', () => {
    expect(defaultTokenRequest({}).spec).toEqual({ expirationSeconds: 3600 });
    expect(defaultTokenRequest({ spec: { expirationSeconds: 600 } }).spec).toEqual({ expirationSeconds: 600 });
    expect(validateTokenRequest({ spec: { expirationSeconds: 600 } })).toEqual([]);
    expect(msgs(validateTokenRequest({ spec: { expirationSeconds: 599 } }))).toEqual(['spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes']);
    expect(msgs(validateTokenRequest({ spec: { expirationSeconds: 2 ** 32 + 1 } }))).toEqual(['spec.expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds']);
  });
});

describe('projected serviceAccountToken sources', () => {
  const pod = (token: Record<string, unknown>, extra: Record<string, unknown> = {}): Pod =>
    defaultPod({ metadata: { name: 'p', namespace: 'team' }, spec: { containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'v', projected: { sources: [{ serviceAccountToken: token, ...extra }] } }] } } as Pod);

  it('default to an hour and need a path and 10 minutes at least', () => {
    expect(pod({ path: 'token' }).spec!.volumes![0]!.projected!.sources![0]!.serviceAccountToken!.expirationSeconds).toBe(3600);
    expect(validatePod(pod({ path: 'token' }))).toEqual([]);
    expect(msgs(validatePod(pod({ expirationSeconds: 60 })))).toEqual([
      'spec.volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes',
      // (upstream tells a token's missing path at the projected volume's path)
      'spec.volumes[0].projected.path: Required value',
    ]);
  });

  it('one kind of source per item', () => {
    expect(msgs(validatePod(pod({ path: 'token' }, { configMap: { name: 'x' } })))).toEqual(['spec.volumes[0].projected.sources[0]: Forbidden: may not specify more than 1 volume type']);
  });
});
