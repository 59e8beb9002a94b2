// TLS bootstrapping, as the 1.32 kubelet's --bootstrap-kubeconfig (pkg/kubelet/certificate/
// bootstrap/bootstrap.go LoadClientCert): when --kubeconfig is missing, or its client certificate
// does not load or has expired, the bootstrap kubeconfig's credentials (a bootstrap token, as
// kubeadm join writes it) ask for a client certificate: a CertificateSigningRequest named
// node-csr-<digest> of signer kubernetes.io/kube-apiserver-client-kubelet for CN
// system:node:<node>, O system:nodes, usages digital signature and client auth, from an ECDSA
// P-256 key kept in the cert dir (kubelet-client.key.tmp) until the certificate comes, so that a
// restart asks again with the same key and name. Once approved and signed, the certificate and
// key go into kubelet-client-<time>.pem, kubelet-client-current.pem points at it, and --kubeconfig
// is written to use it against the bootstrap kubeconfig's server and CA.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import yaml from 'js-yaml';
import type { CertificateSigningRequest, KubeObject } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import { grpcExtension, loadKubeconfig, type ClusterConfig } from '../client/kubeconfig.js';
import { CertificateSigningRequests, isNotFound, RestClient, StatusError } from '../client/rest-client.js';
import { run } from '../util/exec.js';
import { logger } from '../util/log.js';
import { goYamlSchema } from '../util/yaml11.js';

const log = logger('kubelet-bootstrap');

export const KUBELET_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
/** The key of a request not yet answered (tmpPrivateKeyFile). */
export const TMP_KEY_FILE = 'kubelet-client.key.tmp';
/** The store's link to the certificate and key in use (certificate.NewFileStore's "kubelet-client" pair). */
export const CURRENT_PEM = 'kubelet-client-current.pem';
/** An ECDSA key needs no key encipherment (requestNodeCertificate adds it for RSA only). */
const USAGES = ['digital signature', 'client auth'];

type Csr = CertificateSigningRequest & KubeObject;

/** What the bootstrap does with the API: create and read CSRs. */
export type CsrClient = Pick<ApiClient, 'create' | 'get'>;

export interface BootstrapOptions {
  kubeconfigPath: string;
  bootstrapPath: string;
  certDir: string;
  nodeName: string;
  /** A client with the bootstrap kubeconfig's credentials (default: a REST client of it). */
  client?: (bootstrap: ClusterConfig) => CsrClient & { close?(): void };
  /** How often the request is looked at while it waits (default 1 s). */
  pollMs?: number;
  /** How long to wait for the certificate (default an hour, as requestNodeCertificate). */
  timeoutMs?: number;
  now?: () => number;
}

/** A request that could not be made (csr.RequestCertificate failed), as against one that was made and not signed; `code` is the HTTP status or errno of its cause. */
export class CsrRequestError extends Error {
  readonly code: number | string | undefined;
  constructor(cause: unknown) {
    super((cause as Error).message, { cause });
    this.name = 'CsrRequestError';
    this.code = (cause as { code?: number | string }).code;
  }
}

/** The PEM blocks of one type in a text. */
const blocks = (pem: string, type: string) => pem.match(new RegExp(`-----BEGIN ${type}-----[\\s\\S]*?-----END ${type}-----`, 'g')) ?? [];

/**
 * Why an existing kubeconfig cannot be used as it is (isClientConfigStillValid), or undefined when
 * it can: missing, unreadable, without a client certificate and key that go together, or with an
 * expired certificate.
 */
export function clientConfigProblem(path: string, now = Date.now()): string | undefined {
  if (!existsSync(path)) return `${path} does not exist`;
  let kc: ClusterConfig;
  try {
    kc = loadKubeconfig(path);
  } catch (e) {
    return `unable to read existing bootstrap client config from ${path}: ${(e as Error).message}`;
  }
  const certs = blocks(kc.clientCert ?? '', 'CERTIFICATE');
  if (!certs.length || !kc.clientKey) return `unable to read TLS certificates from existing bootstrap client config read from ${path}`;
  try {
    const parsed = certs.map((c) => new X509Certificate(c));
    if (!parsed[0]!.checkPrivateKey(createPrivateKey(kc.clientKey))) throw new Error('private key does not match public key');
    for (const c of parsed) if (now > Date.parse(c.validTo)) return `part of the existing bootstrap client certificate in ${path} is expired: ${new Date(c.validTo).toISOString()}`;
  } catch (e) {
    return `unable to load TLS configuration from existing bootstrap client config read from ${path}: ${(e as Error).message}`;
  }
  return undefined;
}

/** The key of the store's current pair, else the waiting request's, else a new ECDSA P-256 one written there (LoadOrGenerateKeyFile). */
export function loadOrGenerateKey(certDir: string): string {
  const parses = (pem: string | undefined) => {
    try {
      return pem ? (createPrivateKey(pem), true) : false;
    } catch {
      return false;
    }
  };
  const current = join(certDir, CURRENT_PEM);
  if (existsSync(current)) {
    const key = blocks(readFileSync(current, 'utf8'), '(?:EC |RSA )?PRIVATE KEY')[0];
    if (parses(key)) return key!;
  }
  const tmp = join(certDir, TMP_KEY_FILE);
  if (existsSync(tmp)) {
    const key = readFileSync(tmp, 'utf8');
    if (parses(key)) return key;
  }
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pem = privateKey.export({ type: 'sec1', format: 'pem' }).toString();
  mkdirSync(certDir, { recursive: true, mode: 0o755 });
  writeFileSync(tmp, pem, { mode: 0o600 });
  return pem;
}

/** node-csr-<digest>: SHA-512/256 of the public key, subject and usages, each base64url and '|'-ended (digestedName). */
export function digestedName(key: KeyObject | string, commonName: string, organizations: string[], usages: string[]): string {
  const pub = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const h = createHash('sha512-256');
  const write = (b: Buffer) => h.update(b.toString('base64url')).update('|');
  write(pub);
  write(Buffer.from(commonName));
  for (const o of organizations) write(Buffer.from(o));
  for (const u of usages) write(Buffer.from(u));
  return `node-csr-${h.digest('base64url')}`;
}

/** A PEM certificate request for the node's name from the key (certutil.MakeCSR, subject O then CN), with SANS (IP addresses and DNS names) for a serving certificate. */
export async function makeNodeCsr(keyPem: string, nodeName: string, dir: string, sans: string[] = []): Promise<string> {
  const keyFile = join(dir, `.csr-key-${process.pid}`);
  // (the cert dir of a first request may not exist yet)
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  writeFileSync(keyFile, keyPem, { mode: 0o600 });
  const alt = sans.map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  try {
    const res = await run('openssl', ['req', '-new', '-key', keyFile, '-subj', `/O=system:nodes/CN=system:node:${nodeName}`, '-sha256', ...(alt ? ['-addext', `subjectAltName=${alt}`] : [])], { allowFailure: true });
    if (res.code !== 0) throw new Error(`unable to generate certificate request: ${res.stderr.trim()}`);
    return res.stdout;
  } finally {
    rmSync(keyFile, { force: true });
  }
}

/** The public key (SPKI PEM) of a PEM certificate request. */
async function requestPublicKey(csrPem: string): Promise<string> {
  const res = await run('openssl', ['req', '-noout', '-pubkey'], { input: csrPem, allowFailure: true });
  return res.code === 0 ? createPublicKey(res.stdout).export({ type: 'spki', format: 'pem' }).toString() : '';
}

/**
 * Creates the request, or takes the one of that name a previous run made with the same key
 * (csr.RequestCertificate and ensureCompatible), and waits until it is signed (WaitForCertificate).
 */
export async function requestNodeCertificate(client: CsrClient, keyPem: string, nodeName: string, opts: { dir: string; pollMs?: number; timeoutMs?: number; generateName?: boolean; signerName?: string; usages?: string[]; sans?: string[] }): Promise<string> {
  const commonName = `system:node:${nodeName}`;
  const signerName = opts.signerName ?? KUBELET_CLIENT_SIGNER;
  const usages = opts.usages ?? USAGES;
  // (a rotation asks without a name: RequestCertificate's GenerateName "csr-")
  let name = opts.generateName ? '' : digestedName(keyPem, commonName, ['system:nodes'], usages);
  const request = await makeNodeCsr(keyPem, nodeName, opts.dir, opts.sans);
  const body = { apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: opts.generateName ? { generateName: 'csr-' } : { name }, spec: { request: Buffer.from(request).toString('base64'), signerName, usages } };
  let csr: Csr;
  try {
    try {
      csr = await client.create<Csr>(CertificateSigningRequests, undefined, body);
      name = csr.metadata!.name!;
    } catch (e) {
      if (!(e instanceof StatusError && e.code === 409) || opts.generateName) throw e;
      csr = await client.get<Csr>(CertificateSigningRequests, undefined, name);
      if (csr.spec?.signerName && csr.spec.signerName !== signerName) throw new Error(`retrieved csr is not compatible: csr signerNames differ: new "${signerName}", orig: "${csr.spec.signerName}"`);
      const ours = createPublicKey(keyPem).export({ type: 'spki', format: 'pem' }).toString();
      if ((await requestPublicKey(Buffer.from(String(csr.spec?.request ?? ''), 'base64').toString())) !== ours) throw new Error('retrieved csr is not compatible: error validating signature new CSR against old key');
    }
  } catch (e) {
    throw new CsrRequestError(e);
  }
  const uid = csr.metadata!.uid;
  log.info('Waiting for client certificate to be issued', { csr: name });
  const deadline = Date.now() + (opts.timeoutMs ?? 3600_000);
  for (;;) {
    if (csr.metadata?.uid !== uid) throw new Error(`csr "${name}" changed UIDs`);
    const cond = (t: string) => csr.status?.conditions?.find((c) => c.type === t);
    const denied = cond('Denied');
    if (denied) throw new Error(`certificate signing request is denied, reason: ${denied.reason ?? ''}, message: ${denied.message ?? ''}`);
    const failed = cond('Failed');
    if (failed) throw new Error(`certificate signing request failed, reason: ${failed.reason ?? ''}, message: ${failed.message ?? ''}`);
    if (cond('Approved') && csr.status?.certificate) return Buffer.from(String(csr.status.certificate), 'base64').toString();
    if (Date.now() > deadline) throw new Error(`timed out waiting for the certificate of csr "${name}"`);
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 1000));
    try {
      csr = await client.get<Csr>(CertificateSigningRequests, undefined, name);
    } catch (e) {
      if (isNotFound(e)) throw new Error(`csr "${name}" was deleted while waiting for its certificate`, { cause: e });
      log.debug('reading the certificate signing request failed; trying again', { csr: name, err: e });
    }
  }
}

/** The file store's pairs: the client certificate's, and the serving certificate's with serverTLSBootstrap. */
export type PairName = 'kubelet-client' | 'kubelet-server';

/** kubelet-client-2006-01-02-15-04-05.pem: the store's file for a pair written at `now` (UTC). */
export const pairFileName = (now: number, pair: PairName = 'kubelet-client') => `${pair}-${new Date(now).toISOString().slice(0, 19).replace(/[T:]/g, '-')}.pem`;

/** The store's Update: certificate and key in one new file, PAIR-current.pem pointing at it. */
export function storePair(certDir: string, certPem: string, keyPem: string, now: number, pair: PairName = 'kubelet-client'): string {
  mkdirSync(certDir, { recursive: true, mode: 0o755 });
  // (absolute: the kubeconfig names it, and reads a relative path from its own directory)
  const file = join(resolve(certDir), pairFileName(now, pair));
  writeFileSync(file, `${certPem.trimEnd()}\n${keyPem.trimEnd()}\n`, { mode: 0o600 });
  const link = join(resolve(certDir), `${pair}-current.pem`);
  const tmp = `${link}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  symlinkSync(file, tmp);
  renameSync(tmp, link);
  return link;
}

/** writeKubeconfigFromBootstrapping: the bootstrap kubeconfig's server and CA, the pair file as client certificate and key. */
export function writeKubeconfig(bootstrapPath: string, kubeconfigPath: string, pemPath: string): void {
  const raw = yaml.load(readFileSync(bootstrapPath, 'utf8'), { schema: goYamlSchema }) as { clusters?: { name: string; cluster: Record<string, unknown> }[]; contexts?: { name: string; context: { cluster: string } }[]; 'current-context'?: string };
  const ctx = raw.contexts?.find((c) => c.name === raw['current-context'])?.context;
  const src = raw.clusters?.find((c) => c.name === ctx?.cluster)?.cluster ?? {};
  const cluster: Record<string, unknown> = { server: src.server };
  if (typeof src['certificate-authority-data'] === 'string') cluster['certificate-authority-data'] = src['certificate-authority-data'];
  else if (typeof src['certificate-authority'] === 'string') cluster['certificate-authority'] = resolve(dirname(resolve(bootstrapPath)), src['certificate-authority']);
  if (src['insecure-skip-tls-verify'] === true) cluster['insecure-skip-tls-verify'] = true;
  // (tskube's own: a bootstrap kubeconfig that names the gRPC frontend keeps the node on it)
  const grpc = (src.extensions as { name?: string }[] | undefined)?.find((e) => e?.name === grpcExtension);
  if (grpc) cluster.extensions = [grpc];
  const config = {
    apiVersion: 'v1',
    clusters: [{ cluster, name: 'default-cluster' }],
    contexts: [{ context: { cluster: 'default-cluster', namespace: 'default', user: 'default-auth' }, name: 'default-context' }],
    'current-context': 'default-context',
    kind: 'Config',
    preferences: {},
    users: [{ name: 'default-auth', user: { 'client-certificate': pemPath, 'client-key': pemPath } }],
  };
  mkdirSync(dirname(resolve(kubeconfigPath)), { recursive: true });
  writeFileSync(kubeconfigPath, yaml.dump(config, { lineWidth: -1 }), { mode: 0o600 });
}

/** LoadClientCert: leaves a usable --kubeconfig alone, else bootstraps one. */
export async function loadClientCert(o: BootstrapOptions): Promise<void> {
  const now = o.now ?? Date.now;
  const problem = clientConfigProblem(o.kubeconfigPath, now());
  if (!problem) {
    log.debug('Kubeconfig exists and is valid, skipping bootstrap', { path: o.kubeconfigPath });
    return;
  }
  log.info('Using bootstrap kubeconfig to generate TLS client cert, key and kubeconfig file', { reason: problem });
  let bootstrap: ClusterConfig;
  try {
    bootstrap = loadKubeconfig(o.bootstrapPath);
  } catch (e) {
    throw new Error(`unable to load bootstrap kubeconfig: ${(e as Error).message}`, { cause: e });
  }
  const keyPem = loadOrGenerateKey(o.certDir);
  const client = o.client ? o.client(bootstrap) : new RestClient(bootstrap, { maxSockets: 2 });
  try {
    const cert = await requestNodeCertificate(client, keyPem, o.nodeName, { dir: o.certDir, pollMs: o.pollMs, timeoutMs: o.timeoutMs });
    const pemPath = storePair(o.certDir, cert, keyPem, now());
    rmSync(join(o.certDir, TMP_KEY_FILE), { force: true });
    writeKubeconfig(o.bootstrapPath, o.kubeconfigPath, pemPath);
    log.info('client certificate issued; kubeconfig written', { kubeconfig: o.kubeconfigPath, cert: pemPath });
  } finally {
    client.close?.();
  }
}
