// x509 public key pins as kubeadm writes and checks them (cmd/kubeadm/app/util/pubkeypin): a pin
// is "sha256:<hex>" of the DER SubjectPublicKeyInfo of a CA certificate, which
// `--discovery-token-ca-cert-hash` names and `kubeadm token create --print-join-command` prints.
// It is the same hash as `openssl x509 -pubkey -in ca.crt | openssl pkey -pubin -outform der |
// sha256sum`, and it survives re-issuing the CA certificate with the same key.
import { createHash, X509Certificate } from 'node:crypto';

/** Hash: "sha256:" and the lower-case hex SHA-256 of the certificate's SubjectPublicKeyInfo. */
export function publicKeyPin(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

/** The PEM certificates of a bundle, in order (certutil.ParseCertsPEM); throws when there is none. */
export function parseCertsPem(pem: string): string[] {
  const certs = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (!certs.length) throw new Error('data does not contain any valid RSA or ECDSA certificates');
  for (const c of certs) new X509Certificate(c);
  return certs;
}

/** pubkeypin.Set: allowed SHA-256 pins. */
export class PinSet {
  private readonly sha256 = new Set<string>();

  /** Allow: adds "format:value" pins; throws kubeadm's errors for a malformed one. */
  allow(...hashes: string[]): void {
    for (const h of hashes) {
      const parts = h.split(':');
      if (parts.length !== 2) throw new Error('invalid public key hash, expected "format:value"');
      const [format, value] = parts as [string, string];
      if (format.toLowerCase() !== 'sha256') throw new Error(`unknown hash format ${JSON.stringify(format)}`);
      // (hex.DecodedLen: half the characters, before looking at them)
      if (Math.floor(value.length / 2) !== 32) throw new Error(`expected a 32 byte SHA-256 hash, found ${Math.floor(value.length / 2)} bytes`);
      const bad = /[^0-9a-fA-F]/.exec(value);
      if (bad) throw new Error(`encoding/hex: invalid byte: U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} ${JSON.stringify(bad[0]).replace(/^"|"$/g, "'")}`);
      this.sha256.add(value.toLowerCase());
    }
  }

  empty(): boolean {
    return this.sha256.size === 0;
  }

  /** CheckAny: passes when one of the certificates' keys is pinned, else names their pins. */
  checkAny(certsPem: string[]): void {
    const hashes: string[] = [];
    for (const c of certsPem) {
      const pin = publicKeyPin(c);
      if (this.sha256.has(pin.slice('sha256:'.length))) return;
      hashes.push(pin);
    }
    throw new Error(`none of the public keys ${JSON.stringify(hashes.join(':'))} are pinned`);
  }
}
