// The serving certificate of kube-scheduler's and kube-controller-manager's secure port, as
// 1.32's SecureServingOptions finds or makes it: --tls-cert-file and --tls-private-key-file when
// given; else the pair named after the component in --cert-dir, made there when it cannot be read;
// else one made in memory at every start (MaybeDefaultWithSelfSignedCerts, "Generated
// self-signed cert in-memory"). A made pair is client-go's GenerateSelfSignedCertKeyWithFixtures':
// a CA "HOST-ca@UNIX" and a serving certificate "HOST@UNIX" it signed (RSA 2048, a year, server
// auth), for HOST (localhost), 127.0.0.1, and the bind address (localhost when it is 0.0.0.0 or
// ::), the certificate file holding the serving certificate and then the CA's.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './exec.js';
import { logger } from './log.js';

const log = logger('serving-cert');

export interface ServingCertOptions {
  /** --tls-cert-file and --tls-private-key-file. */
  certFile?: string;
  keyFile?: string;
  /** --cert-dir: where PAIRNAME.crt and PAIRNAME.key are kept (made when missing). */
  certDir?: string;
  /** kube-scheduler or kube-controller-manager. */
  pairName: string;
  /** --bind-address. */
  bindAddress: string;
}

export interface CertKey {
  cert: string;
  key: string;
}

const readable = (cert: string, key: string): CertKey | undefined => {
  try {
    return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
  } catch {
    return undefined;
  }
};

/** The pair the secure port serves (see the file's comment). */
export async function servingCert(o: ServingCertOptions): Promise<CertKey> {
  if (o.certFile || o.keyFile) {
    // (as NewDynamicServingContentFromFiles refuses half a pair)
    if (!o.certFile || !o.keyFile) throw new Error('--tls-cert-file and --tls-private-key-file must be given together');
    return { cert: readFileSync(o.certFile, 'utf8'), key: readFileSync(o.keyFile, 'utf8') };
  }
  const files = o.certDir ? { cert: join(o.certDir, `${o.pairName}.crt`), key: join(o.certDir, `${o.pairName}.key`) } : undefined;
  const kept = files && readable(files.cert, files.key);
  if (kept) return kept;
  const unspecified = o.bindAddress === '0.0.0.0' || o.bindAddress === '::' || o.bindAddress === '';
  const made = await selfSignedCertKey('localhost', unspecified ? ['127.0.0.1'] : ['127.0.0.1', o.bindAddress], unspecified ? ['localhost'] : []);
  if (files) {
    mkdirSync(o.certDir!, { recursive: true, mode: 0o755 });
    writeFileSync(files.cert, made.cert, { mode: 0o644 });
    writeFileSync(files.key, made.key, { mode: 0o600 });
    log.info('Generated self-signed cert', { cert: files.cert, key: files.key });
  } else log.info('Generated self-signed cert in-memory');
  return made;
}

/** A CA and a serving certificate it signed for `host` and the alternate names (client-go's GenerateSelfSignedCertKeyWithFixtures). */
export async function selfSignedCertKey(host: string, alternateIPs: string[], alternateDNS: string[]): Promise<CertKey> {
  const dir = mkdtempSync(join(tmpdir(), 'tskube-selfsigned-'));
  chmodSync(dir, 0o700);
  try {
    const p = (f: string) => join(dir, f);
    const now = Math.floor(Date.now() / 1000);
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', '365', '-set_serial', '1', '-subj', `/CN=${host}-ca@${now}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign']);
    await run('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('tls.key'), '-out', p('tls.csr'), '-subj', `/CN=${host}@${now}`]);
    const names = [isIP(host) ? `IP:${host}` : `DNS:${host}`, ...alternateDNS.map((d) => `DNS:${d}`), ...alternateIPs.map((ip) => `IP:${ip}`)];
    writeFileSync(p('tls.ext'), `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${[...new Set(names)].join(',')}\n`);
    await run('openssl', ['x509', '-req', '-in', p('tls.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-set_serial', '2', '-days', '365', '-extfile', p('tls.ext'), '-out', p('tls.crt')]);
    return { cert: readFileSync(p('tls.crt'), 'utf8') + readFileSync(p('ca.crt'), 'utf8'), key: readFileSync(p('tls.key'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
