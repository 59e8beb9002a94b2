import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CertificateSigningRequest, KubeObject } from '../api/types.js';
import { cleanupReason, CsrCleaner } from './csr-cleaner.js';

type Csr = CertificateSigningRequest & KubeObject;

const now = Date.parse('2026-06-01T12:00:00Z');
const ago = (ms: number) => new Date(now - ms).toISOString().replace(/\.\d+Z$/, 'Z');
const H = 3600_000;
const dir = mkdtempSync(join(tmpdir(), 'tskube-csr-cleaner-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** A self-signed certificate valid for `days` from the machine's now. */
const cert = (days: number) => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'k'), '-out', join(dir, 'c'), '-subj', '/CN=x', '-days', String(days)], { stdio: 'ignore' });
  return readFileSync(join(dir, 'c')).toString('base64');
};
const csr = (name: string, created: string, status?: Csr['status']): Csr => ({ metadata: { name, creationTimestamp: created }, spec: {}, ...(status ? { status } : {}) }) as Csr;
const cond = (type: string, at: string) => ({ type, status: 'True', reason: 'r', message: '', lastUpdateTime: at });

describe('the CSR cleaner (cleaner.go)', () => {
  it('deletes issued requests an hour after approval, denied and failed ones after an hour, pending ones after a day', () => {
    const issued = cert(2);
    expect(cleanupReason(csr('a', ago(2 * H), { conditions: [cond('Approved', ago(61 * 60_000))], certificate: issued as never }), now)).toBe('Cleaning CSR as it is more than approvedExpiration duration old and approved.');
    expect(cleanupReason(csr('a', ago(2 * H), { conditions: [cond('Approved', ago(59 * 60_000))], certificate: issued as never }), now)).toBeUndefined();
    // (approved but not issued yet: the signer's to finish)
    expect(cleanupReason(csr('a', ago(2 * H), { conditions: [cond('Approved', ago(2 * H))] }), now)).toBeUndefined();
    expect(cleanupReason(csr('d', ago(2 * H), { conditions: [cond('Denied', ago(61 * 60_000))] }), now)).toBe('Cleaning CSR as it is more than deniedExpiration duration old and denied.');
    expect(cleanupReason(csr('f', ago(2 * H), { conditions: [cond('Failed', ago(61 * 60_000))] }), now)).toBe('Cleaning CSR as it is more than deniedExpiration duration old and failed.');
    expect(cleanupReason(csr('p', ago(25 * H)), now)).toBe('Cleaning CSR as it is more than pendingExpiration duration old and unhandled.');
    expect(cleanupReason(csr('p', ago(23 * H)), now)).toBeUndefined();
    // (pending is no condition at all: a request approved but never issued stays)
    expect(cleanupReason(csr('p', ago(25 * H), { conditions: [{ type: 'Approved', status: 'True', reason: 'r', message: '' }] }), now)).toBeUndefined();
  });

  it('deletes a request whose certificate has expired, however recent its approval', () => {
    const c = cert(1);
    const later = Date.now() + 3 * 24 * H;
    const recent = new Date(later - 60_000).toISOString();
    expect(cleanupReason(csr('e', recent, { conditions: [cond('Approved', recent)], certificate: c as never }), later)).toBe('Cleaning CSR as the associated certificate is expired.');
    expect(cleanupReason(csr('e', recent, { conditions: [cond('Approved', recent)], certificate: c as never }), Date.now())).toBeUndefined();
  });

  it('a sweep deletes what is done with and keeps the rest', async () => {
    const deleted: string[] = [];
    const list = [csr('old-pending', ago(25 * H)), csr('new-pending', ago(H)), csr('denied', ago(2 * H), { conditions: [cond('Denied', ago(2 * H))] })];
    await new CsrCleaner({ delete: async (_r, _ns, name) => (deleted.push(name), {}) as never }, { list: () => list }, { now: () => now }).sweep();
    expect(deleted).toEqual(['old-pending', 'denied']);
  });
});
