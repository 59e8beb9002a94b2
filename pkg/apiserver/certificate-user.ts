// The user a verified client certificate names, as kube's x509 authenticator reads it
// (staging/src/k8s.io/apiserver/pkg/authentication/request/x509/x509.go, CommonNameUserConversion):
// CN the name, each O a group. Both frontends use it: REST with the TLS socket of the request,
// gRPC with the call's auth context.
import type { PeerCertificate } from 'node:tls';
import { logger } from '../util/log.js';
import * as errors from './errors.js';
import type { UserInfo } from './registry/store.js';

const log = logger('apiserver');

/**
 * The user of a peer certificate the client CA verified at the handshake, or undefined when it
 * has no CommonName. The chain is verified at each request's time, not the handshake's, so a
 * certificate that expired (or is not valid yet) while its connection lasts is a failed login:
 * 401 Unauthorized.
 */
export function certificateUser(peer: PeerCertificate, now = Date.now()): UserInfo | undefined {
  if (now < Date.parse(peer.valid_from) || now > Date.parse(peer.valid_to)) {
    log.debug('verifying certificate failed: x509: certificate has expired or is not yet valid', { subject: peer.subject?.CN, notAfter: peer.valid_to });
    throw errors.unauthorized();
  }
  const subject = peer.subject as Record<string, string | string[]> | undefined;
  const cn = subject?.CN;
  if (!cn || Array.isArray(cn)) return undefined;
  const o = subject.O;
  return { name: cn, groups: o === undefined ? [] : Array.isArray(o) ? o : [o] };
}
