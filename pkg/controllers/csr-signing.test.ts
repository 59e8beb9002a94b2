import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keyUsageLine, kubeletClientProblem, kubeletServingProblem, readRequest, signClientCertificate, usageProblem, validity } from './csr-signing.js';

describe('the CSR signers', () => {
  it('names the first usage it does not allow, else a missing client auth, in validAPIServerClientUsages words', () => {
    expect(usageProblem(['client auth', 'server auth', 'code signing'])).toBe('invalid usage for client certificate: server auth');
    expect(usageProblem(['server auth'])).toBe('invalid usage for client certificate: server auth');
    expect(usageProblem(['digital signature'])).toBe('missing required usage for client certificate: client auth');
    expect(usageProblem(['digital signature', 'key encipherment', 'client auth'])).toBeUndefined();
  });

  it('backdates 5 minutes; a certificate of 8 hours or more also ends 5 minutes early (PermissiveSigningPolicy)', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(validity(now, 3600_000)).toEqual({ notBefore: new Date('2025-12-31T23:55:00Z'), notAfter: new Date('2026-01-01T01:00:00Z') });
    expect(validity(now, 24 * 3600_000)).toEqual({ notBefore: new Date('2025-12-31T23:55:00Z'), notAfter: new Date('2026-01-01T23:55:00Z') });
  });

  it('writes the key usages asked for, and no keyUsage extension when none is', () => {
    expect(keyUsageLine(['client auth'])).toBeUndefined();
    expect(keyUsageLine(['key encipherment', 'client auth', 'digital signature'])).toBe('keyUsage = critical, digitalSignature, keyEncipherment');
  });

  const dir = mkdtempSync(join(tmpdir(), 'tskube-csr-signing-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the kubelet client signer takes system:node:<name> of system:nodes alone, without subjectAltNames (ValidateKubeletClientCSR)', async () => {
    const f = (n: string) => join(dir, n);
    writeFileSync(f('san.cnf'), '[req]\ndistinguished_name=dn\nreq_extensions=ext\n[dn]\n[ext]\nsubjectAltName=DNS:a.example,IP:10.0.0.1\n');
    execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('n.key'), '-subj', '/O=system:nodes/O=other/CN=system:node:n1', '-config', f('san.cnf'), '-out', f('n.csr')], { stdio: 'ignore' });
    const read = await readRequest(readFileSync(f('n.csr'), 'utf8'));
    expect(read).toEqual({ organizations: ['system:nodes', 'other'], commonName: 'system:node:n1', dns: 1, email: 0, ip: 1, uri: 0, sans: ['DNS:a.example', 'IP:10.0.0.1'] });
    const usages = ['digital signature', 'key encipherment', 'client auth'];
    expect(kubeletClientProblem(read, usages)).toBe('subject organization is not system:nodes');
    const node = { ...read, organizations: ['system:nodes'] };
    expect(kubeletClientProblem(node, usages)).toBe('DNS subjectAltNames are not allowed');
    expect(kubeletClientProblem({ ...node, dns: 0 }, usages)).toBe('IP subjectAltNames are not allowed');
    const plain = { ...node, dns: 0, ip: 0 };
    expect(kubeletClientProblem({ ...plain, commonName: 'n1' }, usages)).toBe('subject common name does not begin with system:node:');
    expect(kubeletClientProblem(plain, ['client auth'])).toBe('usages did not match [client auth digital signature key encipherment]');
    expect(kubeletClientProblem(plain, usages)).toBeUndefined();
    expect(kubeletClientProblem(plain, ['client auth', 'digital signature'])).toBeUndefined();
  });

  it('the kubelet-serving signer wants a DNS name or IP and server auth (ValidateKubeletServingCSR); the names go into the certificate', async () => {
    const f = (n: string) => join(dir, n);
    const serving = ['digital signature', 'key encipherment', 'server auth'];
    const node = { organizations: ['system:nodes'], commonName: 'system:node:n1', dns: 1, email: 0, ip: 1, uri: 0, sans: ['DNS:a.example', 'IP:10.0.0.1'] };
    expect(kubeletServingProblem({ ...node, organizations: [] }, serving)).toBe('subject organization is not system:nodes');
    expect(kubeletServingProblem({ ...node, dns: 0, ip: 0 }, serving)).toBe('DNS or IP subjectAltName is required');
    expect(kubeletServingProblem({ ...node, uri: 1 }, serving)).toBe('URI subjectAltNames are not allowed');
    expect(kubeletServingProblem(node, ['digital signature', 'client auth'])).toBe('usages did not match [digital signature key encipherment server auth]');
    expect(kubeletServingProblem({ ...node, commonName: 'n1' }, serving)).toBe('subject common name does not begin with system:node:');
    expect(kubeletServingProblem(node, ['server auth', 'digital signature'])).toBeUndefined();
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('sca.key'), '-out', f('sca.crt'), '-subj', '/CN=test-ca', '-days', '2'], { stdio: 'ignore' });
    const now = Date.now();
    const { notBefore, notAfter } = validity(now, 3600_000);
    writeFileSync(f('serving.crt'), await signClientCertificate(readFileSync(f('n.csr'), 'utf8'), { caCertFile: f('sca.crt'), caKeyFile: f('sca.key') }, notBefore, notAfter, serving, node.sans));
    const text = execFileSync('openssl', ['x509', '-in', f('serving.crt'), '-noout', '-text']).toString();
    expect(text).toMatch(/X509v3 Subject Alternative Name: *\n *DNS:a.example, IP Address:10.0.0.1/);
    expect(text).toMatch(/X509v3 Extended Key Usage: *\n *TLS Web Server Authentication\n/);
  });

  it('signs a request asking only for client auth without a keyUsage extension', async () => {
    const f = (n: string) => join(dir, n);
    const ossl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-subj', '/CN=test-ca', '-days', '2');
    ossl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('u.key'), '-out', f('u.csr'), '-subj', '/CN=jane/O=devs');
    const now = Date.now();
    const { notBefore, notAfter } = validity(now, 3600_000);
    const cfg = { caCertFile: f('ca.crt'), caKeyFile: f('ca.key') };
    writeFileSync(f('only.crt'), await signClientCertificate(readFileSync(f('u.csr'), 'utf8'), cfg, notBefore, notAfter, ['client auth']));
    const only = ossl('x509', '-in', f('only.crt'), '-noout', '-text');
    expect(only).not.toContain('X509v3 Key Usage');
    expect(only).toMatch(/X509v3 Extended Key Usage: *\n *TLS Web Client Authentication/);
    writeFileSync(f('all.crt'), await signClientCertificate(readFileSync(f('u.csr'), 'utf8'), cfg, notBefore, notAfter, ['digital signature', 'client auth']));
    expect(ossl('x509', '-in', f('all.crt'), '-noout', '-text')).toMatch(/X509v3 Key Usage: critical\n *Digital Signature\n/);
  });
});
