// (no import of vitest here: the global setup, which may not import it, uses this file too)
//
// One PKI for every control plane of a test run: the global setup makes the cluster CA, the
// serving certificate for the default settings, the apiserver's kubelet client certificate and
// the service account key once, and startControlPlane copies them into each new data dir, where
// the apiserver finds them and makes none of its own (a serving certificate only when the copy
// lacks a name its settings want: another Service range, another address). Making them took
// every start six openssl runs and an RSA key, about half a second: a minute of each CI run.
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureKubeletClientCert, ensurePki, ensureServiceAccountKey } from '../../pkg/apiserver/pki.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The data dir whose pki/ startControlPlane copies (test/global-setup.ts). */
    pkiTemplate: string;
  }
}

/** The names the apiserver's serving certificate carries with the default settings (apiserver.ts: localhost, the advertise address, the kubernetes Service's names and first IP). */
const DEFAULT_SANS = ['localhost', '127.0.0.1', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', '10.96.0.1'];

/** Makes the template (a data dir with only pki/ in it); removeTemplate takes it away. */
export async function makePkiTemplate(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tskube-test-pki-'));
  try {
    await ensurePki(dir, DEFAULT_SANS);
    await ensureKubeletClientCert(dir);
    ensureServiceAccountKey(dir);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return dir;
}

export function removePkiTemplate(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Copies the template's pki/ into a new data dir (nothing when there is no template: the apiserver makes its own). */
export function seedPki(template: string | undefined, dataDir: string): void {
  if (!template || !existsSync(join(template, 'pki', 'ca.key'))) return;
  mkdirSync(join(dataDir, 'pki'), { recursive: true, mode: 0o700 });
  cpSync(join(template, 'pki'), join(dataDir, 'pki'), { recursive: true });
}
