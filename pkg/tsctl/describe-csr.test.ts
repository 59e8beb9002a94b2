import { describe, expect, it } from 'vitest';
import { describeCertificateSigningRequest, parseCertificateRequest } from './describe-csr.js';
import { tabwrite } from './tabwriter.js';

// (openssl req -subj '/CN=de-user/O=dev/O=ops/OU=unit/C=US/L=Town/ST=State/serialNumber=42' with
// subjectAltName DNS:a.example, DNS:b.example, IP:10.0.0.1, IP:fd00::1, email:x@y.z, URI:spiffe://x/y)
const pem = '-----BEGIN CERTIFICATE REQUEST-----|MIIDGjCCAgICAQAwdjEQMA4GA1UEAwwHZGUtdXNlcjEMMAoGA1UECgwDZGV2MQww|CgYDVQQKDANvcHMxDTALBgNVBAsMBHVuaXQxCzAJBgNVBAYTAlVTMQ0wCwYDVQQH|DARUb3duMQ4wDAYDVQQIDAVTdGF0ZTELMAkGA1UEBRMCNDIwggEiMA0GCSqGSIb3|DQEBAQUAA4IBDwAwggEKAoIBAQC7DGgB9VXV8qokCqM/XqeQTONqsb9nVAnoYSlC|QuhOOUcwlM4C5a5zGYfe5zcZ769EDZQaI5TRVVySSUn7PEZ7r8oKUfkHPT0E3Jv0|knPhNe6gsPj3fnCeqmuMQ6wlKsVqRB5Ri9UM1gICsmIdSkyMTFaDO0p5dIXCtAQp|Hfh7oXk5a13ms+zdT3uXZwKMrE0D7R+DkA57vnM8lqrcPTOeCjeLxBZgqFvi1+Aw|7hbKyGjZGjxP3yXIsXGysZ/eUqoYKR6EUEdE8BYWziQm6jTo0VDt0DOuNZ1LSHC/|9CYNbdchRJEIjbocwlH7RW55aH+EaLdOTgFMARcsN0JDmCY1AgMBAAGgXzBdBgkq|hkiG9w0BCQ4xUDBOMEwGA1UdEQRFMEOCCWEuZXhhbXBsZYIJYi5leGFtcGxlhwQK|AAABhxD9AAAAAAAAAAAAAAAAAAABgQV4QHkueoYMc3BpZmZlOi8veC95MA0GCSqG|SIb3DQEBCwUAA4IBAQCXheuk44g3t81KQPUREF0pk1FcyHyAZTvoBV1YIDlacQNC|v967jyOGv9Xck/8dtYRWSPSN+4mZV84+i2binBgQzGxsxQVBjQu1s+tSoskltFDm|ddM/LiLTr3LqRY1QuiVxK/nsEIWgZZm/yZrsdj9sAsfyh98HyaqC5I0badSRwEcb|TRNbgk0pfX5jGyBb4e7XNO91EzD7q2gzhOZkIVW1zxRxZuu4V2icHOnicnKte3ol|rEFHBkF1tzbgPSB2dbm5TAyPGbxU4F2mjf8b4MxDkNbZQNsN2UppfLaa4iNRh1/m|MHMjLOxB/Agk8Ql4e60BZ/GLzbllKuw3v/ywI+fd|-----END CERTIFICATE REQUEST-----|'.split('|').join('\n');

describe('tsctl describe csr', () => {
  it('reads the subject and subjectAltNames of a PKCS#10 request as x509.ParseCertificateRequest', () => {
    expect(parseCertificateRequest(pem)).toEqual({
      subject: { commonName: 'de-user', serialNumber: '42', country: ['US'], locality: ['Town'], province: ['State'], streetAddress: [], organization: ['dev', 'ops'], organizationalUnit: ['unit'], postalCode: [] },
      dnsNames: ['a.example', 'b.example'],
      emailAddresses: ['x@y.z'],
      uris: ['spiffe://x/y'],
      ipAddresses: ['10.0.0.1', 'fd00::1'],
    });
  });

  it("prints a request as kubectl 1.32's describeCertificateSigningRequest (as it printed this one on the running cluster)", () => {
    const csr = {
      metadata: { name: 'de-csr1', labels: { a: 'b' }, creationTimestamp: '2026-12-03T11:26:19Z' },
      spec: { request: Buffer.from(pem).toString('base64'), signerName: 'example.com/custom', expirationSeconds: 86400, username: 'admin' },
      status: { conditions: [{ type: 'Approved' }, { type: 'Failed' }] },
    };
    // (the Events cell after the names widens their empty first column, as in kubectl's output)
    expect(tabwrite([...describeCertificateSigningRequest(csr), 'Events:\t<none>'].join('\n')).split('\n').slice(4)).toEqual([
      'Requesting User:     admin',
      'Signer:              example.com/custom',
      'Requested Duration:  24h',
      'Status:              Approved,Failed',
      'Subject:',
      '  Common Name:          de-user',
      '  Serial Number:        42',
      '  Organization:         dev',
      '                        ops',
      '  Organizational Unit:  unit',
      '  Country:              US',
      '  Locality:             Town',
      '  Province:             State',
      'Subject Alternative Names:',
      '         DNS Names:        a.example',
      '                           b.example',
      '         Email Addresses:  x@y.z',
      '         URIs:             spiffe://x/y',
      '         IP Addresses:     10.0.0.1',
      '                           fd00::1',
      'Events:  <none>',
    ]);
    expect(() => describeCertificateSigningRequest({ spec: { request: 'eA==' } })).toThrow('Error parsing CSR: PEM block type must be CERTIFICATE REQUEST');
  });
});
