// The self-signed serving pair of the scheduler's and controller manager's secure port, made
// in-process as client-go's GenerateSelfSignedCertKeyWithFixtures makes it.
import { spawnSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { selfSignedCertKey, servingCert } from './serving-cert.js';
import { ipBytes } from './x509-create.js';

const chain = (pem: string) => pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----\n/g)!.map((c) => new X509Certificate(c));
const opensslText = (pem: string, ext: string) => spawnSync('openssl', ['x509', '-noout', '-ext', ext], { input: pem, encoding: 'utf8' }).stdout;

const path = process.env.PATH;
afterEach(() => {
  process.env.PATH = path;
});

describe('the self-signed serving pair', () => {
  it('is made without any process (no openssl on PATH) as 1.32 makes it: HOST@UNIX signed by HOST-ca@UNIX, serials 2 and 1, RSA 2048, from an hour ago for a year', async () => {
    process.env.PATH = '/nonexistent';
    const before = Date.now();
    const { cert, key } = await selfSignedCertKey('localhost', ['127.0.0.1'], ['localhost']);
    process.env.PATH = path;
    const [leaf, ca] = chain(cert);
    expect(leaf!.subject).toMatch(/^CN=localhost@\d{10}$/);
    expect(ca!.subject).toBe(leaf!.issuer);
    expect(ca!.subject).toMatch(/^CN=localhost-ca@\d{10}$/);
    expect([leaf!.serialNumber, ca!.serialNumber]).toEqual(['02', '01']);
    expect(leaf!.verify(ca!.publicKey)).toBe(true);
    expect(ca!.verify(ca!.publicKey)).toBe(true);
    expect(leaf!.checkIssued(ca!)).toBe(true);
    expect([leaf!.ca, ca!.ca]).toEqual([false, true]);
    // (Go keeps the host and the alternate name both, even when they are the same)
    expect(leaf!.subjectAltName).toBe('DNS:localhost, DNS:localhost, IP Address:127.0.0.1');
    expect(leaf!.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    const from = Date.parse(leaf!.validFrom);
    expect(from).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 3600_000);
    expect(from).toBeLessThanOrEqual(Date.now() - 3600_000 + 1000);
    expect(Date.parse(leaf!.validTo) - from).toBe(365 * 24 * 3600_000);
    expect(ca!.validTo).toBe(leaf!.validTo);
    expect(key).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    const k = createPrivateKey(key);
    expect(k.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(leaf!.checkPrivateKey(k)).toBe(true);
    expect(ca!.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it("carries Go's extensions: key usage and basic constraints critical, a CA key identifier the serving certificate names", async () => {
    const { cert } = await selfSignedCertKey('localhost', ['127.0.0.1', '2001:db8::7'], []);
    const [leafPem, caPem] = cert.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----\n/g)!;
    expect(opensslText(leafPem!, 'keyUsage,extendedKeyUsage,basicConstraints,subjectAltName')).toBe(
      [
        'X509v3 Key Usage: critical',
        '    Digital Signature, Key Encipherment',
        'X509v3 Extended Key Usage: ',
        '    TLS Web Server Authentication',
        'X509v3 Basic Constraints: critical',
        '    CA:FALSE',
        'X509v3 Subject Alternative Name: ',
        '    DNS:localhost, IP Address:127.0.0.1, IP Address:2001:DB8:0:0:0:0:0:7',
        '',
      ].join('\n'),
    );
    expect(opensslText(caPem!, 'keyUsage,basicConstraints')).toBe(['X509v3 Key Usage: critical', '    Digital Signature, Key Encipherment, Certificate Sign', 'X509v3 Basic Constraints: critical', '    CA:TRUE', ''].join('\n'));
    const ski = opensslText(caPem!, 'subjectKeyIdentifier').split('\n')[1]!.trim();
    expect(ski).toMatch(/^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
    expect(opensslText(leafPem!, 'authorityKeyIdentifier')).toContain(ski);
  });

  it('names an IP host as an IP address', async () => {
    const [leaf] = chain((await selfSignedCertKey('192.0.2.1', [], ['example.test'])).cert);
    expect(leaf!.subject).toMatch(/^CN=192\.0\.2\.1@\d{10}$/);
    expect(leaf!.subjectAltName).toBe('DNS:example.test, IP Address:192.0.2.1');
  });

  it('a specific bind address is a name of the pair; 0.0.0.0 or :: adds localhost instead', async () => {
    expect(chain((await servingCert({ pairName: 'kube-scheduler', bindAddress: '::' })).cert)[0]!.subjectAltName).toBe('DNS:localhost, DNS:localhost, IP Address:127.0.0.1');
    expect(chain((await servingCert({ pairName: 'kube-scheduler', bindAddress: '::1' })).cert)[0]!.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  });
});

describe('ipBytes', () => {
  it('writes IPv4 in 4 bytes and IPv6 (compressed, or with an IPv4 tail) in 16', () => {
    expect(ipBytes('10.0.0.1').toString('hex')).toBe('0a000001');
    expect(ipBytes('::1').toString('hex')).toBe('00000000000000000000000000000001');
    expect(ipBytes('fe80::1:2').toString('hex')).toBe('fe800000000000000000000000010002');
    expect(ipBytes('1:2:3:4:5:6:7:8').toString('hex')).toBe('00010002000300040005000600070008');
    expect(ipBytes('::ffff:192.0.2.1').toString('hex')).toBe('00000000000000000000ffffc0000201');
    expect(() => ipBytes('nope')).toThrow('x509: "nope" is not an IP address');
  });
});
