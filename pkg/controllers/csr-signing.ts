// The CSR signing controller (kube-controller-manager's csrsigning, the kubernetes.io/kube-apiserver-client,
// kubernetes.io/kube-apiserver-client-kubelet and kubernetes.io/kubelet-serving signers): an
// approved CertificateSigningRequest for one of them gets a certificate, with the request's
// subjectAltNames, from the cluster CA (--cluster-signing-cert-file / --cluster-signing-key-file)
// in status.certificate,
// valid from 5 minutes ago for its expirationSeconds (at most --cluster-signing-duration, a year
// by default), with the key usages the request asks for. Requests the signer will not sign get a
// Failed condition saying why.
// Certificates are made with `openssl ca`, whose -startdate/-enddate give exact validity.
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { CertificateSigningRequest, KubeObject } from '../api/types.js';
import { pemBlock } from '../api/validation-certificates.js';
import type { ApiClient } from '../client/api-client.js';
import { keyOf, type Informer } from '../client/informer.js';
import { CertificateSigningRequests, StatusError } from '../client/rest-client.js';
import { run } from '../util/exec.js';
import { logger } from '../util/log.js';
import { WorkQueue } from './work-queue.js';

const log = logger('csr-signing-controller');

export const CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client';
/** A node's client certificate: system:node:<name> of system:nodes, nothing else (ValidateKubeletClientCSR). */
export const KUBELET_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
/** A node's serving certificate: system:node:<name> of system:nodes for its DNS names and IPs (ValidateKubeletServingCSR). */
export const KUBELET_SERVING_SIGNER = 'kubernetes.io/kubelet-serving';
const SIGNERS = [CLIENT_SIGNER, KUBELET_CLIENT_SIGNER, KUBELET_SERVING_SIGNER];
/** The key usages the kube-apiserver-client signer allows; "client auth" is required. */
const CLIENT_USAGES = ['digital signature', 'key encipherment', 'client auth'];
const BACKDATE_MS = 5 * 60_000;
/** Certificates shorter than this are not cut short by the backdate (the signer's Short). */
const SHORT_MS = 8 * 3600_000;

export interface SigningConfig {
  caCertFile: string;
  caKeyFile: string;
  /** The longest certificate issued (ms); default a year. */
  maxDurationMs?: number;
}

type Csr = CertificateSigningRequest & KubeObject;
const has = (csr: Csr, type: string) => (csr.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
const b64text = (b: unknown) => (typeof b === 'string' ? Buffer.from(b, 'base64').toString() : Buffer.isBuffer(b) ? b.toString() : '');

/** Why the client signer refuses a request's usages, or undefined (validAPIServerClientUsages: the first usage it does not allow, else a missing client auth). */
export function usageProblem(usages: string[] | undefined): string | undefined {
  const u = usages ?? [];
  const bad = u.find((x) => !CLIENT_USAGES.includes(x));
  if (bad !== undefined) return `invalid usage for client certificate: ${bad}`;
  if (!u.includes('client auth')) return 'missing required usage for client certificate: client auth';
  return undefined;
}

/** What a request asks to be, as far as the signers look: its subject and how many subjectAltNames of each kind. */
export interface RequestedName {
  organizations: string[];
  commonName: string;
  dns: number;
  email: number;
  ip: number;
  uri: number;
  /** The subjectAltNames in openssl's configuration form (DNS:a, IP:10.0.0.1, email:x@y, URI:u), copied to the certificate. */
  sans: string[];
}

/** Reads a PEM certificate request's subject and subjectAltNames (`openssl req -text`). */
export async function readRequest(csrPem: string): Promise<RequestedName> {
  const res = await run('openssl', ['req', '-noout', '-text', '-nameopt', 'sep_multiline,utf8,sname', '-reqopt', 'no_pubkey,no_sigdump'], { input: csrPem, allowFailure: true });
  if (res.code !== 0) throw new Error(`unable to parse csr: ${res.stderr.trim()}`);
  const lines = res.stdout.split('\n');
  const out: RequestedName = { organizations: [], commonName: '', dns: 0, email: 0, ip: 0, uri: 0, sans: [] };
  const indent = (l: string) => l.length - l.trimStart().length;
  const at = lines.findIndex((l) => l.trim() === 'Subject:');
  for (let i = at + 1; at >= 0 && i < lines.length && indent(lines[i]!) > indent(lines[at]!); i++) {
    const [k, ...v] = lines[i]!.trim().split('=');
    if (k === 'O') out.organizations.push(v.join('='));
    if (k === 'CN') out.commonName = v.join('=');
  }
  const san = lines.findIndex((l) => l.includes('X509v3 Subject Alternative Name'));
  for (const name of san >= 0 ? (lines[san + 1] ?? '').split(',').map((x) => x.trim()) : []) {
    if (name.startsWith('DNS:')) out.dns++;
    else if (name.startsWith('email:')) out.email++;
    else if (name.startsWith('IP Address:')) out.ip++;
    else if (name.startsWith('URI:')) out.uri++;
    else continue;
    out.sans.push(name.replace(/^IP Address:/, 'IP:'));
  }
  return out;
}

/** Why the kube-apiserver-client-kubelet signer refuses a request, or undefined (ValidateKubeletClientCSR, checks in its order). */
export function kubeletClientProblem(req: RequestedName, usages: string[] | undefined): string | undefined {
  if (req.organizations.length !== 1 || req.organizations[0] !== 'system:nodes') return 'subject organization is not system:nodes';
  if (req.dns) return 'DNS subjectAltNames are not allowed';
  if (req.email) return 'Email subjectAltNames are not allowed';
  if (req.ip) return 'IP subjectAltNames are not allowed';
  if (req.uri) return 'URI subjectAltNames are not allowed';
  if (!req.commonName.startsWith('system:node:')) return 'subject common name does not begin with system:node:';
  const set = [...new Set(usages ?? [])].sort().join(',');
  // (with or without key encipherment, which an ECDSA key has no use for)
  if (set !== 'client auth,digital signature,key encipherment' && set !== 'client auth,digital signature') return 'usages did not match [client auth digital signature key encipherment]';
  return undefined;
}

/** Why the kubelet-serving signer refuses a request, or undefined (ValidateKubeletServingCSR, checks in its order). */
export function kubeletServingProblem(req: RequestedName, usages: string[] | undefined): string | undefined {
  if (req.organizations.length !== 1 || req.organizations[0] !== 'system:nodes') return 'subject organization is not system:nodes';
  if (!req.dns && !req.ip) return 'DNS or IP subjectAltName is required';
  if (req.email) return 'Email subjectAltNames are not allowed';
  if (req.uri) return 'URI subjectAltNames are not allowed';
  const set = [...new Set(usages ?? [])].sort().join(',');
  if (set !== 'digital signature,key encipherment,server auth' && set !== 'digital signature,server auth') return 'usages did not match [digital signature key encipherment server auth]';
  if (!req.commonName.startsWith('system:node:')) return 'subject common name does not begin with system:node:';
  return undefined;
}

/**
 * When a certificate of `durationMs` signed at `now` is valid (PermissiveSigningPolicy): from 5
 * minutes ago, so that clocks a little behind take it; one of 8 hours or more ends 5 minutes early
 * too, so that it lives its duration in all; a shorter one ends its full duration from now.
 */
export function validity(now: number, durationMs: number): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + durationMs - (durationMs < SHORT_MS ? 0 : BACKDATE_MS)) };
}

/** The keyUsage extension for the usages asked (keyUsagesFromStrings; none when none is asked, as Go's x509 then writes none). */
export function keyUsageLine(usages: string[] | undefined): string | undefined {
  const u = usages ?? [];
  const names = [...(u.includes('digital signature') || u.includes('signing') ? ['digitalSignature'] : []), ...(u.includes('key encipherment') ? ['keyEncipherment'] : [])];
  return names.length ? `keyUsage = critical, ${names.join(', ')}` : undefined;
}

const asn1Time = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';

/** Signs a PEM CSR with the CA as a client certificate valid from `notBefore` to `notAfter`; returns the PEM certificate. */
export async function signClientCertificate(csrPem: string, cfg: SigningConfig, notBefore: Date, notAfter: Date, usages: string[] = CLIENT_USAGES, sans: string[] = []): Promise<string> {
  const keyUsage = keyUsageLine(usages);
  // (Go orders extended key usages by their number: server auth before client auth)
  const extKeyUsage = [...(usages.includes('server auth') ? ['serverAuth'] : []), ...(usages.includes('client auth') ? ['clientAuth'] : [])];
  const dir = mkdtempSync(join(tmpdir(), 'tskube-csr-'));
  try {
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'serial'), `${(randomBytes(16)[0]! & 0x7f).toString(16).padStart(2, '0')}${randomBytes(15).toString('hex')}\n`);
    writeFileSync(join(dir, 'csr.pem'), csrPem);
    writeFileSync(
      join(dir, 'ca.cnf'),
      [
        '[ca]', 'default_ca = tsk',
        '[tsk]', `database = ${dir}/index.txt`, `new_certs_dir = ${dir}`, `serial = ${dir}/serial`, 'default_md = sha256', 'policy = any', 'unique_subject = no', 'copy_extensions = none', 'email_in_dn = no',
        '[any]', 'commonName = supplied', 'organizationName = optional',
        '[client]', 'basicConstraints = critical, CA:FALSE', ...(keyUsage ? [keyUsage] : []), ...(extKeyUsage.length ? [`extendedKeyUsage = ${extKeyUsage.join(', ')}`] : []), ...(sans.length ? [`subjectAltName = ${sans.join(', ')}`] : []), 'authorityKeyIdentifier = keyid',
      ].join('\n') + '\n',
    );
    const res = await run('openssl', ['ca', '-batch', '-config', join(dir, 'ca.cnf'), '-cert', cfg.caCertFile, '-keyfile', cfg.caKeyFile, '-in', join(dir, 'csr.pem'), '-out', join(dir, 'cert.pem'), '-startdate', asn1Time(notBefore), '-enddate', asn1Time(notAfter), '-extensions', 'client', '-notext', '-preserveDN'], { allowFailure: true });
    if (res.code !== 0) throw new Error(res.stderr.trim().split('\n').filter((l) => !/^Using configuration|^Check that|^Signature ok/.test(l)).join('; ') || `openssl ca exited ${res.code}`);
    return readFileSync(join(dir, 'cert.pem'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export class CsrSigningController {
  readonly queue: WorkQueue;

  constructor(
    private readonly client: ApiClient,
    private readonly csrs: Informer<Csr>,
    private readonly cfg: SigningConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.queue = new WorkQueue('csrsigning', (key) => this.sync(key));
    csrs.on({ add: (c) => this.enqueue(c), update: (c) => this.enqueue(c), delete: () => {} });
  }

  start(): void {
    for (const c of this.csrs.list()) this.enqueue(c);
  }

  stop(): void {
    this.queue.stop();
  }

  private enqueue(c: Csr): void {
    if (SIGNERS.includes(c.spec?.signerName ?? '') && has(c, 'Approved') && !has(c, 'Failed') && !c.status?.certificate) this.queue.add(keyOf(c));
  }

  async sync(key: string): Promise<void> {
    const csr = this.csrs.get(key);
    if (!csr?.spec || !SIGNERS.includes(csr.spec.signerName ?? '') || !has(csr, 'Approved') || has(csr, 'Failed') || csr.status?.certificate) return;
    const name = csr.metadata!.name!;
    const pem = b64text(csr.spec.request);
    const request = pemBlock(pem, 'CERTIFICATE REQUEST') ? await readRequest(pem) : undefined;
    const problem = !request
      ? 'the request is not a PEM CERTIFICATE REQUEST'
      : csr.spec.signerName === KUBELET_CLIENT_SIGNER
        ? kubeletClientProblem(request, csr.spec.usages)
        : csr.spec.signerName === KUBELET_SERVING_SIGNER
          ? kubeletServingProblem(request, csr.spec.usages)
          : usageProblem(csr.spec.usages);
    const max = this.cfg.maxDurationMs ?? 365 * 24 * 3600_000;
    const duration = Math.min(max, csr.spec.expirationSeconds ? csr.spec.expirationSeconds * 1000 : max);
    const now = this.now();
    let cert: string | undefined;
    let failure = problem;
    if (!failure) {
      try {
        const { notBefore, notAfter } = validity(now, duration);
        cert = await signClientCertificate(pem, this.cfg, notBefore, notAfter, csr.spec.usages, request!.sans);
      } catch (e) {
        failure = `error auto signing csr: ${(e as Error).message}`;
      }
    }
    const status = { ...(csr.status ?? {}) } as NonNullable<CertificateSigningRequest['status']>;
    if (cert) status.certificate = Buffer.from(cert).toString('base64') as never;
    else {
      const t = new Date(now).toISOString().replace(/\.\d+Z$/, 'Z');
      status.conditions = [...(status.conditions ?? []), { type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message: failure, lastUpdateTime: t, lastTransitionTime: t }];
    }
    try {
      await this.client.update(CertificateSigningRequests, undefined, name, { ...csr, status }, 'status');
      if (cert) log.info('signed certificate', { csr: name, user: csr.spec.username, validForSeconds: Math.round(duration / 1000) });
      else log.warn('refused to sign', { csr: name, reason: failure });
    } catch (e) {
      if (e instanceof StatusError && (e.code === 404 || e.code === 409)) return;
      throw e;
    }
  }
}
