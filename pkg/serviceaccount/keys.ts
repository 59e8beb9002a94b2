// Service account signing keys: PEM files, as kubeadm keeps them (pki/sa.key, pki/sa.pub).
// The apiserver signs bound tokens with the private key and verifies every token with the
// public ones; the controller manager's token controller signs legacy tokens with the same key.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The private key of a PEM file (PKCS#8, PKCS#1 RSA or SEC1 EC). */
export function loadPrivateKey(path: string): KeyObject {
  return createPrivateKey(readFileSync(path, 'utf8'));
}

/**
 * Every public key of a PEM file: public keys, certificates' keys, or the public half of a
 * private key (kube-apiserver's --service-account-key-file accepts all three).
 */
export function loadPublicKeys(path: string): KeyObject[] {
  const text = readFileSync(path, 'utf8');
  const blocks = text.match(/-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----/g) ?? [];
  if (!blocks.length) throw new Error(`${path}: no PEM block`);
  return blocks.map((b) => createPublicKey(b));
}
