// The agent's --client-ca-file, loaded and reloaded as the 1.32 kubelet's dynamic CA bundle
// (dynamiccertificates.DynamicFileCAContent): errors at start in Go's words, a change picked up
// from the file's events, a bad change logged and the last good bundle kept.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamicClientCA } from './client-ca.js';

const dir = mkdtempSync(join(tmpdir(), 'tsk-client-ca-'));
const f = (n: string) => join(dir, n);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A CA, and a client certificate it signed, in DIR. */
function makeCA(name: string): { ca: string; leafDer: Buffer } {
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'ignore'] });
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f(`${name}-ca.key`), '-out', f(`${name}-ca.crt`), '-days', '2', '-subj', `/CN=${name}-ca`]);
  run(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f(`${name}-leaf.key`), '-out', f(`${name}-leaf.csr`), '-subj', '/CN=kube-apiserver-kubelet-client']);
  run(['x509', '-req', '-in', f(`${name}-leaf.csr`), '-CA', f(`${name}-ca.crt`), '-CAkey', f(`${name}-ca.key`), '-CAcreateserial', '-days', '1', '-out', f(`${name}-leaf.crt`)]);
  const leafDer = run(['x509', '-in', f(`${name}-leaf.crt`), '-outform', 'DER']);
  return { ca: readFileSync(f(`${name}-ca.crt`), 'utf8'), leafDer };
}

let a: ReturnType<typeof makeCA>;
let b: ReturnType<typeof makeCA>;
beforeAll(() => {
  a = makeCA('a');
  b = makeCA('b');
});

const until = async (ok: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('DynamicClientCA (NewDynamicCAContentFromFile "client-ca-bundle")', () => {
  it('refuses at start a file that is missing, empty or holds no certificate, in the kubelet\'s words', () => {
    expect(() => new DynamicClientCA(f('nope.crt'))).toThrow(`open ${f('nope.crt')}: no such file or directory`);
    writeFileSync(f('empty.crt'), '');
    expect(() => new DynamicClientCA(f('empty.crt'))).toThrow(`missing content for CA bundle "client-ca-bundle::${f('empty.crt')}"`);
    writeFileSync(f('junk.crt'), 'not a certificate\n');
    expect(() => new DynamicClientCA(f('junk.crt'))).toThrow(`error loading CA bundle for "client-ca-bundle::${f('junk.crt')}": data does not contain any valid RSA or ECDSA certificates`);
  });

  it('verifies a client certificate against the bundle of the moment', () => {
    writeFileSync(f('verify.crt'), a.ca);
    const ca = new DynamicClientCA(f('verify.crt'));
    expect(ca.verifies(a.leafDer)).toBe(true);
    expect(ca.verifies(b.leafDer)).toBe(false);
    writeFileSync(f('verify.crt'), `${a.ca}${b.ca}`);
    expect(ca.reload()).toBe(true);
    expect(ca.verifies(b.leafDer)).toBe(true);
    // (the same content again is no change)
    expect(ca.reload()).toBe(false);
    expect(ca.generation).toBe(2);
  });

  it('does not take a certificate that is no CA as the signer of a client certificate, as Go\'s CheckSignatureFrom refuses it', () => {
    const run = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'ignore'] });
    // (a self-signed certificate with basicConstraints CA:FALSE and no key usage, whose key signed a client certificate)
    writeFileSync(f('noca.ext'), 'basicConstraints=critical,CA:FALSE\n');
    run(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('noca.key'), '-out', f('noca.csr'), '-subj', '/CN=noca']);
    run(['x509', '-req', '-in', f('noca.csr'), '-signkey', f('noca.key'), '-extfile', f('noca.ext'), '-days', '2', '-out', f('noca.crt')]);
    run(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('noca-leaf.key'), '-out', f('noca-leaf.csr'), '-subj', '/CN=kube-apiserver-kubelet-client']);
    run(['x509', '-req', '-in', f('noca-leaf.csr'), '-CA', f('noca.crt'), '-CAkey', f('noca.key'), '-CAcreateserial', '-days', '1', '-out', f('noca-leaf.crt')]);
    const leafDer = run(['x509', '-in', f('noca-leaf.crt'), '-outform', 'DER']);
    writeFileSync(f('noca-bundle.crt'), `${readFileSync(f('noca.crt'), 'utf8')}${a.ca}`);
    const ca = new DynamicClientCA(f('noca-bundle.crt'));
    expect(ca.verifies(leafDer)).toBe(false);
    expect(ca.verifies(a.leafDer)).toBe(true);
  });

  it('picks up a file written in place or replaced by a rename, and keeps the last good bundle when the new content does not load', async () => {
    writeFileSync(f('live.crt'), a.ca);
    const ca = new DynamicClientCA(f('live.crt'));
    const seen: string[] = [];
    ca.onChange((pem) => seen.push(pem));
    ca.run(60_000);
    try {
      writeFileSync(f('live.crt'), b.ca);
      await until(() => seen.length === 1);
      expect(ca.current()).toBe(b.ca);
      // (kubeadm and cert-manager replace the file: the watch follows the name)
      writeFileSync(f('live.crt.new'), a.ca);
      renameSync(f('live.crt.new'), f('live.crt'));
      await until(() => seen.length === 2);
      expect(ca.current()).toBe(a.ca);
      writeFileSync(f('live.crt'), 'garbage\n');
      expect(() => ca.reload()).toThrow('data does not contain any valid RSA or ECDSA certificates');
      expect(ca.current()).toBe(a.ca);
      expect(ca.verifies(a.leafDer)).toBe(true);
      writeFileSync(f('live.crt'), b.ca);
      await until(() => seen.length === 3);
      expect(ca.current()).toBe(b.ca);
    } finally {
      ca.stop();
    }
  });
});
