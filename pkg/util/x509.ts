// X.509 chain links as Go's crypto/x509 makes them, for the places that verify a certificate
// against a bundle themselves rather than through OpenSSL's handshake (the apiserver's check of an
// agent's serving certificate, the agent's re-check of a client certificate when its CA bundle
// changes).
import type { X509Certificate } from 'node:crypto';

/**
 * Whether `parent` issued `cert`, as Go's chain building takes a candidate parent: its subject is
 * the certificate's issuer (CertPool.findPotentialParents) and Certificate.CheckSignatureFrom
 * passes: the parent may sign certificates (basicConstraints CA, and keyCertSign if it has a key
 * usage: node's `ca`) and its key verifies the signature.
 */
export function issuedBy(cert: X509Certificate, parent: X509Certificate): boolean {
  return parent.subject === cert.issuer && parent.ca && cert.verify(parent.publicKey);
}
