// The apiserver's TLS dial to a node agent. Without --kubelet-certificate-authority the agent's
// serving certificate is not verified, as kube-apiserver without the flag (its kubelet client
// config then has no CA and sets InsecureSkipVerify). With it, the certificate must chain to that
// CA and name the address dialled, and a failure reads as Go's crypto/tls and crypto/x509 word it
// ('tls: failed to verify certificate: x509: certificate signed by unknown authority'): kube's
// users and scripts match on those texts. Nothing is written to an agent before it passed.
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { connect as tlsConnect, type DetailedPeerCertificate, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { logger } from '../../util/log.js';
import { pemBlocks } from '../../util/pem.js';
import { issuedBy } from '../../util/x509.js';

const log = logger('kubelet-tls');

/** The TLS side of an agent endpoint: the kubelet client certificate, and the CA its serving certificate must chain to (none: not verified). */
export interface AgentTLS {
  cert?: string;
  key?: string;
  /** --kubelet-certificate-authority's PEM bundle. */
  ca?: string;
}

/** The x509 CA bundle of a PEM text, one certificate per BEGIN block; throws on a bundle with none or a bad one. */
export function parseCABundle(pem: string): X509Certificate[] {
  const blocks = pemBlocks(pem, 'CERTIFICATE');
  if (!blocks.length) throw new Error('no certificates found');
  return blocks.map((b) => new X509Certificate(b));
}

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const ANY_EKU = '2.5.29.37.0';

/** RFC 3339 in UTC to the second, as Go's time.Format(time.RFC3339) writes a UTC time. */
const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** An IP as Go's net.IP.String writes it (IPv6 compressed, lower case). */
function ipString(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return ip.toLowerCase();
  }
}

function subjectAltNames(c: X509Certificate): { dns: string[]; ips: string[] } | undefined {
  if (c.subjectAltName === undefined) return undefined;
  const dns: string[] = [];
  const ips: string[] = [];
  for (const part of c.subjectAltName.split(/,\s*/)) {
    if (part.startsWith('DNS:')) dns.push(part.slice(4));
    else if (part.startsWith('IP Address:')) ips.push(ipString(part.slice(11)));
  }
  return { dns, ips };
}

const commonName = (subject: string) => /(?:^|\n)CN=([^\n]*)/.exec(subject)?.[1] ?? '';

/** Go's matchHostnames: label by label, a leading `*` label matching any one label. */
function matchHostnames(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, '').split('.');
  const h = host.toLowerCase().replace(/\.$/, '').split('.');
  if (!pattern || !host || p.length !== h.length) return false;
  return p.every((part, i) => (i === 0 && part === '*') || part === h[i]);
}

/** Certificate.VerifyHostname's HostnameError, worded as its Error method: undefined when the host is named. */
function hostnameProblem(c: X509Certificate, host: string): string | undefined {
  const sans = subjectAltNames(c);
  const ip = isIP(host) ? ipString(host) : undefined;
  if (ip ? sans?.ips.includes(ip) : sans?.dns.some((d) => matchHostnames(d, host))) return undefined;
  if (!sans && matchHostnames(commonName(c.subject), host)) return 'x509: certificate relies on legacy Common Name field, use SANs instead';
  if (ip && !sans?.ips.length) return `x509: cannot validate certificate for ${host} because it doesn't contain any IP SANs`;
  const valid = ip ? sans!.ips.join(', ') : (sans?.dns ?? []).join(', ');
  if (!valid) return `x509: certificate is not valid for any names, but wanted to match ${host}`;
  return `x509: certificate is valid for ${valid}, not ${host}`;
}

/** Go's signature check failure for a parent of this key type (the hint of an UnknownAuthorityError). */
function signatureFailure(parent: X509Certificate): string {
  if (!parent.ca) return 'x509: invalid signature: parent certificate cannot sign this kind of certificate';
  switch (parent.publicKey.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
      return 'crypto/rsa: verification error';
    case 'ed25519':
      return 'x509: Ed25519 verification failure';
    default:
      return 'x509: ECDSA verification failure';
  }
}

function expiryProblem(c: X509Certificate, now: Date): string | undefined {
  const from = new Date(c.validFrom);
  const to = new Date(c.validTo);
  if (now < from) return `x509: certificate has expired or is not yet valid: current time ${rfc3339(now)} is before ${rfc3339(from)}`;
  if (now > to) return `x509: certificate has expired or is not yet valid: current time ${rfc3339(now)} is after ${rfc3339(to)}`;
  return undefined;
}

/**
 * Why a serving certificate (and the intermediates sent with it) fails verification against the
 * roots for `host`, in Go's words, or undefined when it passes. Checks in Certificate.Verify's
 * order: the leaf's validity period, the host (VerifyHostname), a chain to a root (the leaf itself
 * being a root will do), then the server-auth key usage.
 */
export function verifyServingCert(leaf: X509Certificate, intermediates: X509Certificate[], roots: X509Certificate[], host: string, now = new Date()): string | undefined {
  const expired = expiryProblem(leaf, now);
  if (expired) return expired;
  const badHost = hostnameProblem(leaf, host);
  if (badHost) return badHost;
  if (!roots.some((r) => r.raw.equals(leaf.raw))) {
    let hint: { err: string; cert: X509Certificate } | undefined;
    let current = leaf;
    let chained = false;
    for (let depth = 0; depth < 8 && !chained; depth++) {
      const root = roots.find((r) => issuedBy(current, r));
      if (root) {
        const bad = expiryProblem(root, now);
        if (bad) return bad;
        chained = true;
        break;
      }
      const failed = roots.find((r) => r.subject === current.issuer);
      if (failed) hint ??= { err: signatureFailure(failed), cert: failed };
      const next = intermediates.find((i) => i !== current && issuedBy(current, i));
      if (!next) break;
      current = next;
    }
    if (!chained) {
      let text = 'x509: certificate signed by unknown authority';
      if (hint) {
        const name = commonName(hint.cert.subject) || /(?:^|\n)O=([^\n]*)/.exec(hint.cert.subject)?.[1] || `serial:${BigInt(`0x${hint.cert.serialNumber}`)}`;
        text += ` (possibly because of ${JSON.stringify(hint.err)} while trying to verify candidate authority certificate ${JSON.stringify(name)})`;
      }
      return text;
    }
  }
  const eku = leaf.keyUsage;
  if (eku?.length && !eku.includes(SERVER_AUTH) && !eku.includes(ANY_EKU)) return 'x509: certificate specifies an incompatible key usage';
  return undefined;
}

/** A serving certificate that failed verification: crypto/tls's CertificateVerificationError text. */
export class AgentCertificateError extends Error {
  constructor(x509: string) {
    super(`tls: failed to verify certificate: ${x509}`);
    this.name = 'AgentCertificateError';
  }
}

function peerChain(socket: TLSSocket): X509Certificate[] {
  const out: X509Certificate[] = [];
  let c: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (c?.raw && !out.some((x) => x.raw.equals(c!.raw))) {
    out.push(new X509Certificate(c.raw));
    c = c.issuerCertificate;
  }
  return out;
}

/**
 * A TLS connection to an agent, handed over once the handshake is done and, with a CA, the
 * serving certificate verified for `host`: callback style, as http.request's createConnection.
 */
export function dialAgent(host: string, port: number, tls: AgentTLS, done: (err: Error | null, socket?: TLSSocket) => void): void {
  const roots = tls.ca ? parseCABundle(tls.ca) : undefined;
  // (OpenSSL's own verdict is computed too, with the CA, as a second opinion)
  const socket = tlsConnect({ host, port, cert: tls.cert, key: tls.key, ...(tls.ca ? { ca: tls.ca } : {}), servername: isIP(host) ? undefined : host, rejectUnauthorized: false });
  const fail = (e: Error) => {
    socket.destroy();
    done(e);
  };
  socket.once('error', fail);
  socket.once('secureConnect', () => {
    socket.off('error', fail);
    if (!roots) return done(null, socket);
    const [leaf, ...rest] = peerChain(socket);
    let problem = leaf ? verifyServingCert(leaf, rest, roots, host) : 'x509: certificate signed by unknown authority';
    if (!problem && !socket.authorized) {
      log.warn('the agent\'s serving certificate passed our checks but not OpenSSL\'s', { host, port, reason: String(socket.authorizationError) });
      problem = `x509: ${String(socket.authorizationError)}`;
    }
    if (problem) return fail(new AgentCertificateError(problem));
    done(null, socket);
  });
}

/** dialAgent as a promise. */
export function dialAgentAsync(host: string, port: number, tls: AgentTLS): Promise<TLSSocket> {
  return new Promise((resolve, reject) => dialAgent(host, port, tls, (e, s) => (e ? reject(e) : resolve(s!))));
}

/** How Go's url.Error names a request that failed: `Get "https://10.0.0.1:10250/containerLogs/ns/pod/c": ERR`. */
export function urlErrorText(method: string, host: string, port: number, path: string, e: Error): string {
  const h = isIP(host) === 6 ? `[${host}]` : host;
  const op = method.charAt(0).toUpperCase() + method.slice(1).toLowerCase();
  return `${op} ${JSON.stringify(`https://${h}:${port}${path}`)}: ${e.message}`;
}

/** http(s).request's createConnection for an agent: the request goes out on a dialled, verified socket. */
export function agentConnection(host: string, port: number, tls: AgentTLS): (opts: unknown, cb: (err: Error | null, socket: Duplex) => void) => undefined {
  return (_, cb) => void dialAgent(host, port, tls, (e, s) => cb(e, s as Duplex));
}
