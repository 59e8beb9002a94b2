// The serving-certificate check of --kubelet-certificate-authority, worded as Go's crypto/x509
// words its errors (Certificate.Verify: validity, VerifyHostname, chain, key usage, in that order).
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCABundle, urlErrorText, verifyServingCert } from './kubelet-tls.js';
import { kubeletLogsPath, kubeletStreamPath } from './node-proxy.js';

let dir: string;
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
const read = (f: string) => new X509Certificate(readFileSync(join(dir, f)));

/** A CA NAME (CN cn) and a leaf NAME signed by it with the given extensions. */
function ca(name: string, cn: string): void {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '30', '-subj', `/CN=${cn}`);
}
function leaf(name: string, signer: string, ext: string): void {
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=system:node:${name}`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${signer}.crt`, '-CAkey', `${signer}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '10', '-extfile', `${name}.ext`);
}
const serving = 'extendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\n';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tskube-kubelet-tls-'));
  ca('cluster', 'tskube-ca');
  ca('other', 'tskube-ca'); // another cluster's CA: the same name, another key
  leaf('good', 'cluster', `subjectAltName=DNS:node-1,IP:10.0.0.7\n${serving}`);
  leaf('wrongip', 'cluster', `subjectAltName=DNS:node-1,IP:10.0.0.8,IP:10.0.0.9\n${serving}`);
  leaf('dnsonly', 'cluster', `subjectAltName=DNS:node-1\n${serving}`);
  leaf('foreign', 'other', `subjectAltName=IP:10.0.0.7\n${serving}`);
  leaf('client', 'cluster', 'subjectAltName=IP:10.0.0.7\nextendedKeyUsage=clientAuth\n');
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'self.key', '-out', 'self.crt', '-days', '10', '-subj', '/CN=node-1', '-addext', 'subjectAltName=IP:10.0.0.7');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('verifyServingCert', () => {
  const roots = () => parseCABundle(readFileSync(join(dir, 'cluster.crt'), 'utf8'));

  it('a serving certificate of the CA naming the address passes', () => {
    expect(verifyServingCert(read('good.crt'), [], roots(), '10.0.0.7')).toBeUndefined();
    expect(verifyServingCert(read('good.crt'), [], roots(), 'node-1')).toBeUndefined();
  });

  it('a self-signed one is signed by an unknown authority', () => {
    expect(verifyServingCert(read('self.crt'), [], roots(), '10.0.0.7')).toBe('x509: certificate signed by unknown authority');
  });

  it('one of a CA of the same name but another key says which candidate failed', () => {
    expect(verifyServingCert(read('foreign.crt'), [], roots(), '10.0.0.7')).toBe('x509: certificate signed by unknown authority (possibly because of "x509: ECDSA verification failure" while trying to verify candidate authority certificate "tskube-ca")');
  });

  it('the address dialled must be among the SANs, checked before the chain', () => {
    expect(verifyServingCert(read('wrongip.crt'), [], roots(), '10.0.0.7')).toBe('x509: certificate is valid for 10.0.0.8, 10.0.0.9, not 10.0.0.7');
    expect(verifyServingCert(read('dnsonly.crt'), [], roots(), '10.0.0.7')).toBe("x509: cannot validate certificate for 10.0.0.7 because it doesn't contain any IP SANs");
    expect(verifyServingCert(read('good.crt'), [], roots(), 'node-2')).toBe('x509: certificate is valid for node-1, not node-2');
    // (a self-signed certificate for another address: the name is what Go reports)
    expect(verifyServingCert(read('self.crt'), [], roots(), '10.0.0.9')).toBe('x509: certificate is valid for 10.0.0.7, not 10.0.0.9');
  });

  it('an expired certificate is reported first, with both times', () => {
    const c = read('good.crt');
    const now = new Date('2100-01-01T00:00:00Z');
    const until = new Date(c.validTo).toISOString().replace(/\.\d{3}Z$/, 'Z');
    expect(verifyServingCert(c, [], roots(), '10.0.0.1', now)).toBe(`x509: certificate has expired or is not yet valid: current time 2100-01-01T00:00:00Z is after ${until}`);
  });

  it('a client-only certificate has an incompatible key usage', () => {
    expect(verifyServingCert(read('client.crt'), [], roots(), '10.0.0.7')).toBe('x509: certificate specifies an incompatible key usage');
  });

  it('a bundle without a certificate is refused', () => {
    expect(() => parseCABundle('not a pem')).toThrow('no certificates found');
  });
});

describe('error texts', () => {
  it('a failed request names its URL as Go\'s url.Error does', () => {
    expect(urlErrorText('GET', '10.0.0.7', 10250, '/containerLogs/default/web/main', new Error('tls: failed to verify certificate: x509: certificate signed by unknown authority'))).toBe(
      'Get "https://10.0.0.7:10250/containerLogs/default/web/main": tls: failed to verify certificate: x509: certificate signed by unknown authority',
    );
  });

  it('the kubelet logs URL carries LogLocation\'s parameters, sorted, whatever the client\'s order and spelling', () => {
    expect(kubeletLogsPath('/containerLogs/default/web/main?timestamps=yes&tailLines=2&follow=1&sinceTime=2026-12-03T17:00:00%2B01:00&previous=false')).toBe('/containerLogs/default/web/main?follow=true&sinceTime=2026-12-03T16%3A00%3A00Z&tailLines=2&timestamps=true');
    expect(kubeletLogsPath('/containerLogs/default/web/main')).toBe('/containerLogs/default/web/main');
  });

  it('the kubelet stream URL carries 1.32\'s stream parameters, sorted', () => {
    expect(kubeletStreamPath('/exec/default/web/main?command=sh&command=-c&command=echo+hi&stdin=true&stdout=true&stderr=true&tty=false')).toBe('/exec/default/web/main?command=sh&command=-c&command=echo+hi&error=1&input=1&output=1');
    expect(kubeletStreamPath('/attach/default/web/main?stdout=1&tty=1')).toBe('/attach/default/web/main?output=1&tty=1');
  });
});
