import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { csrCommonName } from './csr-common-name.js';

const dir = mkdtempSync(join(tmpdir(), 'tskube-csr-cn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function request(subject: string): string {
  execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'k.pem', '-out', 'r.pem', '-subj', subject], { cwd: dir, stdio: 'ignore' });
  return readFileSync(join(dir, 'r.pem'), 'utf8');
}

describe('csrCommonName (x509.ParseCertificateRequest\'s Subject.CommonName)', () => {
  it('reads the CN among other attributes, the last of several, "" for none', () => {
    expect(csrCommonName(request('/O=system:nodes/CN=system:node:worker-1'))).toBe('system:node:worker-1');
    expect(csrCommonName(request('/CN=first/O=x/CN=second'))).toBe('second');
    expect(csrCommonName(request('/O=only-org'))).toBe('');
  });

  it('refuses what is not a certificate request', () => {
    expect(() => csrCommonName('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----')).toThrow('PEM block type must be CERTIFICATE REQUEST');
    expect(() => csrCommonName('-----BEGIN CERTIFICATE REQUEST-----\nMAMCAQ==\n-----END CERTIFICATE REQUEST-----')).toThrow(/asn1/);
  });
});
