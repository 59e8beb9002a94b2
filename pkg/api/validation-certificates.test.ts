import { describe, expect, it } from 'vitest';
import { validateCertificateSigningRequest } from './validation-certificates.js';

const metaErrors = (name: string) =>
  validateCertificateSigningRequest({ metadata: { name }, spec: {} } as never)
    .filter((e) => e.field.startsWith('metadata'))
    .map((e) => `${e.field}: ${e.detail}`);

describe('CertificateSigningRequest names (ValidateCertificateRequestName)', () => {
  it('takes any name the registry can address: the kubelet\'s node-csr-<base64url digest> has upper case letters and underscores', () => {
    expect(metaErrors('node-csr-qUUcADUEZNJa9Iq2SJY3fJ2Bf3RlEi007EFJrqn6qPk')).toEqual([]);
    expect(metaErrors('node-csr-a_B')).toEqual([]);
  });

  it('refuses a name that is no path segment', () => {
    expect(metaErrors('a/b')).toEqual(["metadata.name: may not contain '/'"]);
    expect(metaErrors('..')).toEqual(["metadata.name: may not be '..'"]);
    expect(metaErrors('')).toEqual(['metadata.name: name or generateName is required']);
  });
});
