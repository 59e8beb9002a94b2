// kube-scheduler's (10259) and kube-controller-manager's (10257) secure port as 1.32 serves it:
// HTTPS with the serving pair of serving-cert.ts, every request authenticated and authorized
// (delegating-auth.ts) before its route, then /metrics (prom-client's default registry, process
// metrics collected once per process), /healthz, /livez and /readyz (the component's named checks
// as k8s.io/apiserver's healthz handlers serve them: ?verbose, ?exclude=NAME, /readyz/NAME; else
// 'ok'), and /configz when the component gives one; any other path is Go's '404 page not found'.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { collectDefaultMetrics, register } from 'prom-client';
import './build-info-metric.js';
import { matchHealthPath, serveHealth, type HealthCheck, type HealthChecks } from '../apiserver/rest/health-checks.js';
import type { DelegatingAuth } from './delegating-auth.js';
import { serveMetricsPage } from './prom-text.js';
import { logger } from './log.js';
import { x509User } from './review-cache.js';
import type { CertKey } from './serving-cert.js';

const log = logger('secure-serving');
let defaultsCollected = false;
/** The client CA a TLS connection was made under, kept on its socket. */
const CLIENT_CA = Symbol('clientCA');

export interface SecureServingOptions {
  host: string;
  port: number;
  certKey: CertKey;
  auth: DelegatingAuth;
  /** The CA whose client certificates name their users (--client-ca-file, or the extension-apiserver-authentication ConfigMap's client-ca-file). */
  clientCA?: string;
  /** Client certificates are asked for even without a CA yet: one may come later (setClientCA), as from the ConfigMap. */
  dynamicClientCA?: boolean;
  /** /configz's document ({"componentconfig": ...}), read at each request. */
  configz?: () => unknown;
  /** The named checks of /healthz, /livez and /readyz (healthz.InstallHandler and its kin); none: each answers 'ok' alone. */
  health?: HealthChecks;
}

/** An endpoint with no check has the ping check alone, as healthz.InstallPathHandler installs it. */
const PING: HealthCheck = { name: 'ping', check: () => {} };

/**
 * A plain HTTP request on the HTTPS port gets Go's answer (net/http's conn.serve, when the TLS
 * record header looks like HTTP): '400 Bad Request' and 'Client sent an HTTP request to an HTTPS
 * server.' in the clear, where Node would close the connection without a word.
 */
function answerPlainHTTP(server: Server): void {
  const raw = new Map<string, Socket>();
  const key = (s: { remoteAddress?: string; remotePort?: number }) => `${s.remoteAddress}:${s.remotePort}`;
  server.on('connection', (socket: Socket) => {
    const k = key(socket);
    raw.set(k, socket);
    socket.once('close', () => raw.get(k) === socket && raw.delete(k));
  });
  server.on('tlsClientError', (err: Error & { code?: string }, tls: TLSSocket) => {
    const socket = raw.get(key(tls));
    if (err.code === 'ERR_SSL_HTTP_REQUEST' && socket && !socket.destroyed) socket.end('HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n');
  });
}

const text = (res: ServerResponse, code: number, body: string, contentType = 'text/plain; charset=utf-8') => {
  res.writeHead(code, { 'Content-Type': contentType, 'X-Content-Type-Options': 'nosniff' }).end(body);
};

export interface SecureServer {
  server: Server;
  port: number;
  /** Trusts the client certificates of this CA from the next connection on (none: no client certificate names a user). */
  setClientCA(pem: string | undefined): void;
}

export function startSecureServing(o: SecureServingOptions): Promise<SecureServer> {
  if (!defaultsCollected) {
    collectDefaultMetrics();
    defaultsCollected = true;
  }
  // (without a CA, Node would check a client certificate against its public roots: none is asked
  // for then, and with a CA to come one is asked for but not looked at until the CA is there)
  let clientCA = o.clientCA;
  const clientAuth = clientCA || o.dynamicClientCA ? { requestCert: true, rejectUnauthorized: false, ...(clientCA ? { ca: clientCA } : {}) } : {};
  const route = (path: string, query: URLSearchParams, res: ServerResponse) => {
    if (path === '/metrics') return void serveMetricsPage(register, res, log);
    const health = o.health && matchHealthPath(path);
    if (health) {
      const withPing = (list: HealthCheck[]) => (list.length ? list : [PING]);
      const checks: HealthChecks = { healthz: withPing(o.health!.healthz), livez: withPing(o.health!.livez), readyz: withPing(o.health!.readyz) };
      serveHealth(checks, health, query, res).then(
        (served) => served || text(res, 404, '404 page not found\n'),
        (e: Error) => text(res, 500, e.message),
      );
      return;
    }
    if (path === '/healthz' || path === '/livez' || path === '/readyz') return text(res, 200, 'ok');
    if (path === '/configz' && o.configz) return text(res, 200, JSON.stringify(o.configz()), 'application/json');
    text(res, 404, '404 page not found\n');
  };
  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const socket = req.socket as TLSSocket;
    // (a certificate the client CA did not sign fails x509 authentication: 401, as the union's error)
    // (the CA the connection was made under: a certificate checked against none names nobody)
    const ca = (socket as TLSSocket & { [CLIENT_CA]?: string })[CLIENT_CA];
    if (ca && !socket.authorized && socket.getPeerCertificate?.()?.raw) return text(res, 401, `${JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 })}\n`, 'application/json');
    const d = await o.auth.check(req.headers.authorization, req.method ?? 'GET', path, ca ? x509User(socket) : undefined);
    if (!d.ok) return text(res, d.code, d.body, d.contentType);
    route(path, new URLSearchParams((req.url ?? '').split('?')[1] ?? ''), res);
  };
  const server = createServer({ cert: o.certKey.cert, key: o.certKey.key, ...clientAuth }, (req, res) => {
    serve(req, res).catch((e: Error) => {
      log.warn('request failed', { err: e.message });
      if (!res.headersSent) text(res, 500, 'Internal Server Error\n');
    });
  });
  answerPlainHTTP(server);
  server.on('secureConnection', (socket: TLSSocket & { [CLIENT_CA]?: string }) => {
    socket[CLIENT_CA] = clientCA;
  });
  const setClientCA = (pem: string | undefined) => {
    if (pem === clientCA) return;
    clientCA = pem;
    server.setSecureContext({ cert: o.certKey.cert, key: o.certKey.key, ...(pem ? { ca: pem } : {}) });
    log.info('client CA updated', { certificates: pem ? (pem.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length : 0 });
  };
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve({ server, port: (server.address() as { port: number }).port, setClientCA });
    });
  });
}
