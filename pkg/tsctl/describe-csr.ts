// tsctl describe for CertificateSigningRequests, as kubectl 1.32's
// describeCertificateSigningRequest writes them: the requester, signer, requested duration and
// status, then the request's subject and subjectAltNames, read from its PKCS#10 DER as Go's
// x509.ParseCertificateRequest reads them; in tab-ended cells for ./tabwriter.ts.
import { certificateRequestBytes } from '../api/csr-common-name.js';
import type { KubeObject } from '../api/types.js';
import { humanDuration } from '../apiserver/rest/table.js';
import { derElements as derChildren } from '../util/der.js';
import { rfc1123z } from './describe-pod.js';
import { formatLabels } from './describe-statefulset.js';

export type CertificateSigningRequest = KubeObject & {
  spec?: { request?: string; signerName?: string; expirationSeconds?: number; username?: string };
  status?: { conditions?: { type: string }[]; certificate?: string };
};

function oid(b: Buffer): string {
  const parts = [Math.floor(b[0]! / 40), b[0]! % 40];
  let v = 0;
  for (const byte of b.subarray(1)) {
    v = v * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** pkix.Name's attributes by OID, in the order Go's FillFromRDNSequence keeps them. */
const nameFields: Record<string, keyof ParsedRequest['subject']> = {
  '2.5.4.3': 'commonName', '2.5.4.5': 'serialNumber', '2.5.4.6': 'country', '2.5.4.7': 'locality', '2.5.4.8': 'province', '2.5.4.9': 'streetAddress', '2.5.4.10': 'organization', '2.5.4.11': 'organizationalUnit', '2.5.4.17': 'postalCode',
};

export interface ParsedRequest {
  subject: { commonName: string; serialNumber: string; country: string[]; locality: string[]; province: string[]; streetAddress: string[]; organization: string[]; organizationalUnit: string[]; postalCode: string[] };
  dnsNames: string[];
  emailAddresses: string[];
  uris: string[];
  ipAddresses: string[];
}

/** An IP address as Go's net.IP String() writes it (IPv6 compressed). */
function ipString(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  const groups = Array.from({ length: 8 }, (_, k) => b.readUInt16BE(k * 2));
  // (the longest run of two or more zero groups becomes ::)
  let best = -1, bestLen = 1;
  for (let k = 0; k < 8; ) {
    let j = k;
    while (j < 8 && groups[j] === 0) j++;
    if (j - k > bestLen) [best, bestLen] = [k, j - k];
    k = j === k ? k + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** certificate.ParseCSR: the PEM 'CERTIFICATE REQUEST' block of `pem`, its subject and subjectAltNames. */
export function parseCertificateRequest(pem: string): ParsedRequest {
  const [csr] = derChildren(certificateRequestBytes(pem));
  const [info] = derChildren(csr!.body);
  const [, subject, , ...rest] = derChildren(info!.body);
  const out: ParsedRequest = { subject: { commonName: '', serialNumber: '', country: [], locality: [], province: [], streetAddress: [], organization: [], organizationalUnit: [], postalCode: [] }, dnsNames: [], emailAddresses: [], uris: [], ipAddresses: [] };
  for (const rdn of derChildren(subject!.body)) {
    for (const atv of derChildren(rdn.body)) {
      const [t, v] = derChildren(atv.body);
      const field = nameFields[oid(t!.body)];
      if (!field || !v) continue;
      const text = v.body.toString('utf8');
      const s = out.subject;
      if (field === 'commonName' || field === 'serialNumber') s[field] = text;
      else s[field].push(text);
    }
  }
  // (the [0] attributes: an extensionRequest's subjectAltName extension)
  const attrs = rest.find((d) => d.tag === 0xa0);
  for (const attr of attrs ? derChildren(attrs.body) : []) {
    const [t, values] = derChildren(attr.body);
    if (oid(t!.body) !== '1.2.840.113549.1.9.14') continue;
    for (const exts of derChildren(values!.body)) {
      for (const ext of derChildren(exts.body)) {
        const parts = derChildren(ext.body);
        if (oid(parts[0]!.body) !== '2.5.29.17') continue;
        const [names] = derChildren(parts.at(-1)!.body);
        for (const n of derChildren(names!.body)) {
          const tag = n.tag & 0x1f;
          if (tag === 1) out.emailAddresses.push(n.body.toString('ascii'));
          else if (tag === 2) out.dnsNames.push(n.body.toString('ascii'));
          else if (tag === 6) out.uris.push(n.body.toString('ascii'));
          else if (tag === 7) out.ipAddresses.push(ipString(n.body));
        }
      }
    }
  }
  return out;
}

/** extractCSRStatus: Denied, else Approved, else Pending, then ',Failed' and ',Issued'. */
function csrStatus(csr: CertificateSigningRequest): string {
  const types = (csr.status?.conditions ?? []).map((c) => c.type);
  let s = types.includes('Denied') ? 'Denied' : types.includes('Approved') ? 'Approved' : 'Pending';
  if (types.includes('Failed')) s += ',Failed';
  if (csr.status?.certificate) s += ',Issued';
  return s;
}

/** The lines of describe csr up to its events (Labels and Annotations as one k=v line each, as kubectl). */
export function describeCertificateSigningRequest(csr: CertificateSigningRequest): string[] {
  let req: ParsedRequest;
  try {
    req = parseCertificateRequest(Buffer.from(csr.spec?.request ?? '', 'base64').toString('utf8'));
  } catch (e) {
    throw new Error(`Error parsing CSR: ${(e as Error).message}`);
  }
  const m = csr.metadata ?? {};
  const spec = csr.spec ?? {};
  const out = [`Name:\t${m.name ?? ''}`, `Labels:\t${formatLabels(m.labels)}`, `Annotations:\t${formatLabels(m.annotations)}`, `CreationTimestamp:\t${rfc1123z(m.creationTimestamp)}`, `Requesting User:\t${spec.username ?? ''}`];
  if (spec.signerName) out.push(`Signer:\t${spec.signerName}`);
  if (spec.expirationSeconds !== undefined && spec.expirationSeconds !== null) out.push(`Requested Duration:\t${humanDuration(spec.expirationSeconds * 1000)}`);
  out.push(`Status:\t${csrStatus(csr)}`);
  // (printListHelper: a list's values one a line under its name, none when it is empty)
  const list = (name: string, values: string[]) => (values.length ? [`\t${name}:\t${values.join('\n\t\t')}`] : []);
  const s = req.subject;
  out.push('Subject:', `\tCommon Name:\t${s.commonName}`, `\tSerial Number:\t${s.serialNumber}`, ...list('Organization', s.organization), ...list('Organizational Unit', s.organizationalUnit), ...list('Country', s.country), ...list('Locality', s.locality), ...list('Province', s.province), ...list('StreetAddress', s.streetAddress), ...list('PostalCode', s.postalCode));
  if (req.dnsNames.length + req.emailAddresses.length + req.ipAddresses.length + req.uris.length) {
    out.push('Subject Alternative Names:', ...list('DNS Names', req.dnsNames), ...list('Email Addresses', req.emailAddresses), ...list('URIs', req.uris), ...list('IP Addresses', req.ipAddresses));
  }
  return out;
}
