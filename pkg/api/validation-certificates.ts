// certificates.k8s.io/v1 CertificateSigningRequest: Kubernetes' validation
// (ValidateCertificateSigningRequestCreate/Update, the status and approval updates) with its messages.
import { forbidden, invalid, notSupported, required, type FieldError } from './field-error.js';
import type { CertificateSigningRequest, CertificateSigningRequestCondition } from './types.js';
import { validateObjectMeta, type NameValidator } from './validation-meta.js';

export const KEY_USAGES = [
  'signing', 'digital signature', 'content commitment', 'key encipherment', 'key agreement', 'data encipherment', 'cert sign', 'crl sign', 'encipher only', 'decipher only',
  'any', 'server auth', 'client auth', 'code signing', 'email protection', 's/mime', 'ipsec end system', 'ipsec tunnel', 'ipsec user', 'timestamping', 'ocsp signing', 'microsoft sgc', 'netscape sgc',
];
export const CONDITION_TYPES = ['Approved', 'Denied', 'Failed'];
const CONDITION_STATUSES = ['True', 'False', 'Unknown'];
/** A signer name: a DNS-like domain, a slash, a path (kubernetes.io/kube-apiserver-client). */
const signerNameRe = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const MIN_EXPIRATION_SECONDS = 600;

/** JSON with object keys sorted: equal for equal values whatever order a client wrote them in. */
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x));

type Spec = NonNullable<CertificateSigningRequest['spec']>;
type Bytes = string | Buffer | undefined;
const text = (b: Bytes) => (b === undefined ? '' : typeof b === 'string' ? Buffer.from(b, 'base64').toString() : b.toString());

/** The DER bytes of the one PEM block of `type` in `pem`, or undefined. */
export function pemBlock(pem: string, type: string): Buffer | undefined {
  const m = new RegExp(`-----BEGIN ${type}-----\\s*([A-Za-z0-9+/=\\s]+?)\\s*-----END ${type}-----`).exec(pem);
  if (!m) return undefined;
  const der = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
  // an ASN.1 SEQUENCE, as a PKCS#10 request is
  return der.length > 2 && der[0] === 0x30 ? der : undefined;
}

function validateSpec(spec: Spec | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const s = spec ?? {};
  if (!s.request || !text(s.request as Bytes)) errs.push(required('spec.request'));
  else if (!pemBlock(text(s.request as Bytes), 'CERTIFICATE REQUEST')) errs.push(invalid('spec.request', '<omitted>', 'PEM block type must be CERTIFICATE REQUEST'));
  if (!s.signerName) errs.push(required('spec.signerName'));
  // (ValidateSignerName: exactly one '/', between a domain and a path)
  else if (s.signerName.split('/').length !== 2 || !signerNameRe.test(s.signerName)) errs.push(invalid('spec.signerName', s.signerName, 'must be a fully qualified domain and path of the form \'example.com/signer-name\''));
  else if (s.signerName === 'kubernetes.io/legacy-unknown') errs.push(invalid('spec.signerName', s.signerName, 'the legacy signerName is not allowed via this API version'));
  if (s.expirationSeconds !== undefined && s.expirationSeconds < MIN_EXPIRATION_SECONDS) errs.push(invalid('spec.expirationSeconds', s.expirationSeconds, `may not specify a duration less than ${MIN_EXPIRATION_SECONDS} seconds (10 minutes)`));
  const seen = new Set<string>();
  (s.usages ?? []).forEach((u, i) => {
    if (!KEY_USAGES.includes(u)) errs.push(notSupported(`spec.usages[${i}]`, u, KEY_USAGES));
    if (seen.has(u)) errs.push({ type: 'FieldValueDuplicate', field: `spec.usages[${i}]`, badValue: u, detail: '' });
    seen.add(u);
  });
  return errs;
}

function validateConditions(conds: CertificateSigningRequestCondition[] | undefined, old: CertificateSigningRequestCondition[] | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const types = new Set<string>();
  (conds ?? []).forEach((c, i) => {
    const p = `status.conditions[${i}]`;
    if (!c.type) errs.push(required(`${p}.type`));
    else if (types.has(c.type) && CONDITION_TYPES.includes(c.type)) errs.push({ type: 'FieldValueDuplicate', field: `${p}.type`, badValue: c.type, detail: '' });
    if (c.type) types.add(c.type);
    if (!c.status) errs.push(required(`${p}.status`));
    else if (!CONDITION_STATUSES.includes(c.status)) errs.push(notSupported(`${p}.status`, c.status, CONDITION_STATUSES));
  });
  const isTrue = (t: string) => (conds ?? []).some((c) => c.type === t && c.status === 'True');
  if (isTrue('Approved') && isTrue('Denied')) errs.push(invalid('status.conditions', 'Approved', 'Approved and Denied conditions are mutually exclusive'));
  for (const o of old ?? []) {
    if (o.type && CONDITION_TYPES.includes(o.type) && !(conds ?? []).some((c) => c.type === o.type && c.status === o.status)) {
      errs.push(forbidden('status.conditions', `updates may not remove a condition of type "${o.type}"`));
    }
  }
  return errs;
}

/**
 * ValidateCertificateRequestName: "We don't care what you call your certificate requests" (the
 * kubelet's node-csr-<base64url digest> has upper case letters); only what the registry needs to
 * address it, a path segment (ValidatePathSegmentName, as the store's NoNamespaceKeyFunc asks).
 */
export const certificateRequestName: NameValidator = (name, prefix) => {
  if (prefix) return name.includes('/') ? ["may not contain '/'"] : name.includes('%') ? ["may not contain '%'"] : [];
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  return ['/', '%'].filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`);
};

export function validateCertificateSigningRequest(csr: CertificateSigningRequest): FieldError[] {
  return [...validateObjectMeta(csr.metadata, false, 'metadata', certificateRequestName), ...validateSpec(csr.spec)];
}

export function validateCertificateSigningRequestUpdate(csr: CertificateSigningRequest, old: CertificateSigningRequest): FieldError[] {
  const errs = validateCertificateSigningRequest(csr);
  if (canonical(csr.spec ?? {}) !== canonical(old.spec ?? {})) errs.push(invalid('spec', '<omitted>', 'field is immutable'));
  return errs;
}

/** csr/status (the signer's): conditions, and the certificate once set never changes. */
export function validateCertificateSigningRequestStatusUpdate(csr: CertificateSigningRequest, old: CertificateSigningRequest): FieldError[] {
  const errs = validateConditions(csr.status?.conditions, old.status?.conditions);
  const cert = text(csr.status?.certificate as Bytes);
  const oldCert = text(old.status?.certificate as Bytes);
  if (oldCert && cert !== oldCert) errs.push(forbidden('status.certificate', 'updates may not modify existing certificate content'));
  if (cert && !oldCert) {
    if (!pemBlock(cert, 'CERTIFICATE')) errs.push(invalid('status.certificate', '<certificate data>', 'must contain at least one CERTIFICATE PEM block'));
    const approved = (csr.status?.conditions ?? []).some((c) => c.type === 'Approved' && c.status === 'True');
    if (!approved) errs.push(invalid('status.certificate', '<certificate data>', 'certificate can only be set if the Approved condition is set'));
  }
  return errs;
}

/** csr/approval: conditions only (Approved or Denied; the certificate comes through status). */
export function validateCertificateSigningRequestApprovalUpdate(csr: CertificateSigningRequest, old: CertificateSigningRequest): FieldError[] {
  return validateConditions(csr.status?.conditions, old.status?.conditions);
}
