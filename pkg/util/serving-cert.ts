// The serving certificate of kube-scheduler's and kube-controller-manager's secure port, as
// 1.32's SecureServingOptions finds or makes it: --tls-cert-file and --tls-private-key-file when
// given; else the pair named after the component in --cert-dir, made there when it cannot be read;
// else one made in memory at every start (MaybeDefaultWithSelfSignedCerts, "Generated
// self-signed cert in-memory"). A made pair is client-go's GenerateSelfSignedCertKeyWithFixtures':
// a CA "HOST-ca@UNIX" and a serving certificate "HOST@UNIX" it signed (RSA 2048, a year, server
// auth), for HOST (localhost), 127.0.0.1, and the bind address (localhost when it is 0.0.0.0 or
// ::), the certificate file holding the serving certificate and then the CA's.
import { generateKeyPair, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { logger } from './log.js';
import { certificatePem, createCertificate, ExtKeyUsage, KeyUsage } from './x509-create.js';

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

/**
 * A CA and a serving certificate it signed for `host` and the alternate names (client-go's
 * GenerateSelfSignedCertKeyWithFixtures), made in-process: the two RSA keys are generated at once
 * off the event loop (node:crypto's generateKeyPair runs in libuv's thread pool), where three
 * openssl processes made them one after the other.
 */
export async function selfSignedCertKey(host: string, alternateIPs: string[], alternateDNS: string[]): Promise<CertKey> {
  const [ca, leaf] = await Promise.all([rsaKey(), rsaKey()]);
  const now = Date.now();
  const unix = Math.floor(now / 1000);
  // (valid an hour earlier against clock skew, for a year)
  const notBefore = new Date(now - 3600_000);
  const notAfter = new Date(notBefore.getTime() + 365 * 24 * 3600_000);
  const caCert = createCertificate({ serial: 1n, commonName: `${host}-ca@${unix}`, notBefore, notAfter, keyUsage: KeyUsage.keyEncipherment | KeyUsage.digitalSignature | KeyUsage.certSign, isCA: true }, ca.publicKey, { selfSigned: ca.privateKey });
  const hostIP = isIP(host) !== 0;
  const cert = createCertificate(
    {
      serial: 2n,
      commonName: `${host}@${unix}`,
      notBefore,
      notAfter,
      keyUsage: KeyUsage.keyEncipherment | KeyUsage.digitalSignature,
      extKeyUsage: [ExtKeyUsage.serverAuth],
      dnsNames: [...(hostIP ? [] : [host]), ...alternateDNS],
      ipAddresses: [...(hostIP ? [host] : []), ...alternateIPs],
    },
    leaf.publicKey,
    { commonName: `${host}-ca@${unix}`, key: ca.privateKey, subjectKeyId: caCert.subjectKeyId },
  );
  return { cert: certificatePem(cert.der) + certificatePem(caCert.der), key: leaf.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string };
}

const rsaKey = (): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> =>
  new Promise((resolve, reject) => generateKeyPair('rsa', { modulusLength: 2048 }, (err, publicKey, privateKey) => (err ? reject(err) : resolve({ publicKey, privateKey }))));
