import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PinSet, publicKeyPin } from './pubkey-pin.js';

const dir = mkdtempSync(join(tmpdir(), 'tskube-pin-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A self-signed CA of KEYALG, and its pin as kubeadm's docs compute it with openssl. */
function ca(name: string, keyAlg: string[]): { pem: string; opensslPin: string } {
  const key = join(dir, `${name}.key`);
  const crt = join(dir, `${name}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', ...keyAlg, '-nodes', '-keyout', key, '-out', crt, '-subj', `/CN=${name}`, '-days', '1'], { stdio: 'ignore' });
  const hash = execFileSync('sh', ['-c', `openssl x509 -pubkey -noout -in ${crt} | openssl pkey -pubin -outform der | sha256sum`], { encoding: 'utf8' }).split(' ')[0];
  return { pem: readFileSync(crt, 'utf8'), opensslPin: `sha256:${hash}` };
}

describe('public key pins', () => {
  it("are the sha256 of the CA's SubjectPublicKeyInfo, for RSA and ECDSA keys", () => {
    for (const [name, alg] of [['rsa', ['rsa:2048']], ['ec', ['ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1']]] as const) {
      const c = ca(name, [...alg]);
      expect(publicKeyPin(c.pem)).toBe(c.opensslPin);
    }
  });

  it('a set checks certificates against its pins, with kubeadm errors for a malformed one', () => {
    const c = ca('check', ['ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1']);
    const set = new PinSet();
    expect(set.empty()).toBe(true);
    set.allow(c.opensslPin.toUpperCase().replace('SHA256', 'sha256'));
    expect(() => set.checkAny([c.pem])).not.toThrow();
    const other = new PinSet();
    other.allow(`sha256:${'a'.repeat(64)}`);
    expect(() => other.checkAny([c.pem])).toThrow(`none of the public keys "${c.opensslPin}" are pinned`);
    expect(() => other.allow('abc')).toThrow('invalid public key hash, expected "format:value"');
    expect(() => other.allow('md5:abc')).toThrow('unknown hash format "md5"');
    expect(() => other.allow('sha256:abcd')).toThrow('expected a 32 byte SHA-256 hash, found 2 bytes');
    expect(() => other.allow(`sha256:${'g'.repeat(64)}`)).toThrow("encoding/hex: invalid byte: U+0067 'g'");
  });
});
