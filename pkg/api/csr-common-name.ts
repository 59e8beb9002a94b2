// The subject common name of a PKCS#10 certificate request (a CertificateSigningRequest's
// spec.request), as Go's x509.ParseCertificateRequest fills Subject.CommonName: the last CN
// attribute of the subject's RDN sequence, "" when there is none. For the checks that need only
// the name (NodeRestriction's admitCSR) without an openssl process per request.

import { derElements as elements } from '../util/der.js';
import { firstPemBlockBytes } from '../util/pem.js';

const SEQUENCE = 0x30;
const SET = 0x31;
const OID = 0x06;
/** 2.5.4.3, id-at-commonName, DER-encoded. */
const CN_OID = Buffer.from([0x55, 0x04, 0x03]);

/** The DER of the first CERTIFICATE REQUEST block of a PEM text; throws, in certificate.ParseCSR's words, when it has none. */
export function certificateRequestBytes(pem: string): Buffer {
  const der = firstPemBlockBytes(pem, 'CERTIFICATE REQUEST');
  if (!der) throw new Error('PEM block type must be CERTIFICATE REQUEST');
  return der;
}

/** The common name of a PEM CERTIFICATE REQUEST; throws (asn1's words) when it cannot be read. */
export function csrCommonName(pem: string): string {
  const [request] = elements(certificateRequestBytes(pem));
  if (request?.tag !== SEQUENCE) throw new Error('asn1: structure error: tags don\'t match');
  const [info] = elements(request.body);
  if (info?.tag !== SEQUENCE) throw new Error('asn1: structure error: tags don\'t match');
  const [, subject] = elements(info.body);
  if (subject?.tag !== SEQUENCE) throw new Error('asn1: structure error: tags don\'t match');
  let cn = '';
  for (const rdn of elements(subject.body)) {
    if (rdn.tag !== SET) throw new Error('asn1: structure error: tags don\'t match');
    for (const atv of elements(rdn.body)) {
      const [type, value] = atv.tag === SEQUENCE ? elements(atv.body) : [];
      if (type?.tag === OID && value && type.body.equals(CN_OID)) cn = value.body.toString('utf8');
    }
  }
  return cn;
}
