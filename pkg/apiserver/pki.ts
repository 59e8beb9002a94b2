// Secure by default: on first start the apiserver makes a CA and a serving certificate (with
// the openssl CLI), and a static token file for admin, scheduler and controllers.
import { grpcExtension } from '../client/kubeconfig.js';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { run } from '../util/exec.js';
import { logger } from '../util/log.js';

const log = logger('pki');

export interface Pki {
  caCert: string;
  caKey: string;
  cert: string;
  key: string;
  caCertPath: string;
}

/** Creates DIR/pki/{ca,apiserver}.{crt,key} unless they exist, with the given SANs. */
export async function ensurePki(dir: string, sans: string[]): Promise<Pki> {
  const pki = join(dir, 'pki');
  mkdirSync(pki, { recursive: true, mode: 0o700 });
  const p = (f: string) => join(pki, f);
  if (!existsSync(p('ca.crt')) || !existsSync(p('ca.key'))) {
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', '3650', '-subj', '/CN=tskube-ca']);
    chmodSync(p('ca.key'), 0o600);
    log.info('generated cluster CA', { path: p('ca.crt') });
  }
  const missing = existsSync(p('apiserver.crt')) ? missingSANs(readFileSync(p('apiserver.crt'), 'utf8'), sans) : [];
  if (missing.length) log.info('the serving certificate lacks names it should carry; making a new one', { missing });
  if (!existsSync(p('apiserver.crt')) || !existsSync(p('apiserver.key')) || missing.length) {
    const altNames = sans.map((s) => (/^[\d.]+$|:/.test(s) ? `IP:${s}` : `DNS:${s}`)).join(',');
    const ext = p('apiserver.ext');
    writeFileSync(ext, `subjectAltName=${altNames}\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n`);
    await run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', p('apiserver.key'), '-out', p('apiserver.csr'), '-subj', '/CN=tskube-apiserver']);
    await run('openssl', ['x509', '-req', '-in', p('apiserver.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p('apiserver.crt'), '-days', '3650', '-extfile', ext]);
    chmodSync(p('apiserver.key'), 0o600);
    log.info('generated serving certificate', { sans });
  }
  return {
    caCert: readFileSync(p('ca.crt'), 'utf8'),
    caKey: readFileSync(p('ca.key'), 'utf8'),
    cert: readFileSync(p('apiserver.crt'), 'utf8'),
    key: readFileSync(p('apiserver.key'), 'utf8'),
    caCertPath: p('ca.crt'),
  };
}

/**
 * The client certificate the apiserver shows every node agent (its --kubelet-client-certificate
 * and --kubelet-client-key), DIR/pki/apiserver-kubelet-client.{crt,key}, made on first start
 * from the cluster CA as kubeadm 1.29+ makes apiserver-kubelet-client.crt: CN
 * kube-apiserver-kubelet-client, O kubeadm:cluster-admins, client auth only. The agents'
 * SubjectAccessReviews allow it through the ClusterRoleBinding kubeadm:cluster-admins to
 * cluster-admin (cluster-admins-binding.ts), as on a kubeadm cluster. A pair made before (O
 * system:masters, as tskube and kubeadm before 1.29 made it) is kept: it is allowed anyway.
 */
export async function ensureKubeletClientCert(dir: string): Promise<{ cert: string; key: string }> {
  const p = (f: string) => join(dir, 'pki', f);
  if (!existsSync(p('apiserver-kubelet-client.crt')) || !existsSync(p('apiserver-kubelet-client.key'))) {
    const ext = p('apiserver-kubelet-client.ext');
    writeFileSync(ext, 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n');
    await run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', p('apiserver-kubelet-client.key'), '-out', p('apiserver-kubelet-client.csr'), '-subj', '/O=kubeadm:cluster-admins/CN=kube-apiserver-kubelet-client']);
    await run('openssl', ['x509', '-req', '-in', p('apiserver-kubelet-client.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p('apiserver-kubelet-client.crt'), '-days', '365', '-extfile', ext]);
    chmodSync(p('apiserver-kubelet-client.key'), 0o600);
    log.info('generated the client certificate for node agents', { path: p('apiserver-kubelet-client.crt') });
  }
  return { cert: readFileSync(p('apiserver-kubelet-client.crt'), 'utf8'), key: readFileSync(p('apiserver-kubelet-client.key'), 'utf8') };
}

/**
 * The service account signing key, DIR/pki/sa.key (with its public half in sa.pub), made on
 * first start as kubeadm makes it: RSA 2048, so tokens are RS256.
 */
export function ensureServiceAccountKey(dir: string): { privateKey: KeyObject; publicKey: KeyObject; keyFile: string } {
  const pki = join(dir, 'pki');
  mkdirSync(pki, { recursive: true, mode: 0o700 });
  const keyFile = join(pki, 'sa.key');
  if (!existsSync(keyFile)) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    writeFileSync(join(pki, 'sa.pub'), createPublicKey(privateKey).export({ format: 'pem', type: 'spki' }));
    log.info('generated service account signing key', { path: keyFile });
  }
  const privateKey = createPrivateKey(readFileSync(keyFile, 'utf8'));
  return { privateKey, publicKey: createPublicKey(privateKey), keyFile };
}

/** The names and addresses of `sans` a certificate does not carry. */
export function missingSANs(certPem: string, sans: string[]): string[] {
  const have = new Set((new X509Certificate(certPem).subjectAltName ?? '').split(', ').map((x) => x.replace(/^(DNS:|IP Address:)/, '')));
  return sans.filter((s) => !have.has(s));
}

export interface TokenEntry {
  token: string;
  user: string;
  uid: string;
  groups: string[];
}

/** The static token file, in kube-apiserver's --token-auth-file CSV form: token,user,uid,"group1,group2". */
export function parseTokenFile(text: string): TokenEntry[] {
  const out: TokenEntry[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const m = /^([^,]+),([^,]+),([^,]*)(?:,"?([^"]*)"?)?$/.exec(t);
    if (!m) throw new Error(`token file: malformed line "${t.slice(0, 40)}"`);
    out.push({ token: m[1]!, user: m[2]!, uid: m[3]!, groups: m[4] ? m[4].split(',').filter(Boolean) : [] });
  }
  return out;
}

export function formatTokenEntry(e: TokenEntry): string {
  return `${e.token},${e.user},${e.uid},"${e.groups.join(',')}"`;
}

export const newToken = () => randomBytes(24).toString('hex');

/** Creates DIR/tokens.csv with admin, scheduler and controller-manager tokens unless it exists. */
export function ensureTokenFile(dir: string): string {
  const path = join(dir, 'tokens.csv');
  if (!existsSync(path)) {
    const entries: TokenEntry[] = [
      { token: newToken(), user: 'admin', uid: 'admin', groups: ['system:masters'] },
      { token: newToken(), user: 'system:kube-scheduler', uid: 'kube-scheduler', groups: [] },
      { token: newToken(), user: 'system:kube-controller-manager', uid: 'kube-controller-manager', groups: [] },
    ];
    writeFileSync(path, entries.map(formatTokenEntry).join('\n') + '\n', { mode: 0o600 });
  }
  return path;
}

/** Adds (or returns the existing) token for a node `system:node:NAME` in the token file. */
export function ensureNodeToken(tokenFile: string, nodeName: string): string {
  const entries = parseTokenFile(readFileSync(tokenFile, 'utf8'));
  const user = `system:node:${nodeName}`;
  const found = entries.find((e) => e.user === user);
  if (found) return found.token;
  const e: TokenEntry = { token: newToken(), user, uid: user, groups: ['system:nodes'] };
  writeFileSync(tokenFile, [...entries, e].map(formatTokenEntry).join('\n') + '\n', { mode: 0o600 });
  return e.token;
}

export function tokenFor(tokenFile: string, user: string): string | undefined {
  return parseTokenFile(readFileSync(tokenFile, 'utf8')).find((e) => e.user === user)?.token;
}

/** A kubeconfig that both tsctl and kubectl accept. */
/**
 * A kubeconfig kubectl and tsctl both read. `grpcServer` (host:port of the gRPC frontend) goes
 * into a cluster extension named tskube.io/grpc, which kubectl ignores and our components use.
 */
export function kubeconfigYaml(opts: { server: string; caCert: string; token: string; user: string; cluster?: string; grpcServer?: string }): string {
  const cluster = opts.cluster ?? 'tskube';
  const ca = Buffer.from(opts.caCert).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${cluster}`,
    '  cluster:',
    `    server: ${opts.server}`,
    `    certificate-authority-data: ${ca}`,
    ...(opts.grpcServer ? ['    extensions:', `    - name: ${grpcExtension}`, '      extension:', `        server: "${opts.grpcServer}"`] : []),
    'users:',
    `- name: ${opts.user}`,
    '  user:',
    `    token: ${opts.token}`,
    'contexts:',
    `- name: ${opts.user}@${cluster}`,
    '  context:',
    `    cluster: ${cluster}`,
    `    user: ${opts.user}`,
    '    namespace: default',
    `current-context: ${opts.user}@${cluster}`,
    '',
  ].join('\n');
}
