// The ingress controller's reverse proxy: plain HTTP and HTTPS (a certificate per SNI name) in
// front of the Services the served Ingresses name.
//
// A request is matched against the route table (host, then path); its backend Service port gives
// the endpoints, tried in round-robin order, the next one when a connection is refused (or not made
// within connectTimeoutMs); an ExternalName Service's name is looked up and its addresses tried in
// turn at the Service port. No route and no default backend: 404; a backend without endpoints: 503;
// a backend that fails: 502, or 504 when it is too slow. Bodies stream both ways; connections to
// pods are kept alive; Upgrade requests (websockets) are relayed byte for byte once the pod
// answers 101. A plain-HTTP request for a host the served Ingresses terminate TLS for is
// redirected to HTTPS (308, as ingress-nginx does by default). The backend sees the client's
// Host, and X-Forwarded-For/-Proto/-Host/-Port and X-Real-IP set by the proxy (the client's own
// X-Forwarded-* headers are not trusted, as Traefik's default).
//
// A backend whose scheme is https (Traefik's rule, backends.ts) is spoken to over TLS, as Traefik's
// default serversTransport does: the pod's certificate is verified against the given root CAs
// (Traefik's --serversTransport.rootCAs), else Node's bundled ones, for the endpoint's address (an
// ExternalName's name, sent as SNI), unless insecureSkipVerify. A handshake that fails (a
// certificate not trusted, a pod that does not speak TLS) is a 500, as Traefik's
// ComputeStatusCode answers a CertificateVerificationError or RecordHeaderError; a scheme the
// proxy does not speak (h2c, a typo) too.
import { Agent, createServer, request, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, createServer as createHttpsServer, request as httpsRequest, type Server as HttpsServer } from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { logger } from '../util/log.js';
import type { Backends } from './backends.js';
import { ingressRequestDuration, ingressRequests } from './metrics.js';
import { normalizeHost, RouteTable, type Backend } from './routes.js';
import type { CertStore } from './tls-certs.js';
import type { ServiceEndpoint } from '../network/service-types.js';
import { externalNameLookup, type NameLookup } from './external-names.js';

const log = logger('ingress');

export interface ProxyConfig {
  /** How long a connection to a pod may take before the next endpoint is tried (ingress-nginx: 5 s). */
  connectTimeoutMs: number;
  /** How long a pod may be silent while a request is answered (ingress-nginx's proxy-read-timeout: 60 s). */
  readTimeoutMs: number;
  /** How long an upgraded connection (websocket) may be idle both ways. */
  upgradeIdleMs: number;
  /** The port HTTP requests are redirected to for TLS hosts (none: no redirects). */
  httpsPort?: number;
  /** How HTTPS backends are spoken to (Traefik's default serversTransport: certificates verified). */
  serversTransport?: ServersTransport;
}

/** Traefik's serversTransport options for HTTPS backends. */
export interface ServersTransport {
  /** Do not verify the backends' certificates (Traefik's insecureSkipVerify; default false). */
  insecureSkipVerify?: boolean;
  /** The CA certificates (PEM) backends' certificates are verified against, in place of Node's bundled ones (Traefik's rootCAs). */
  rootCAs?: string[];
}

export const defaultProxyConfig: ProxyConfig = { connectTimeoutMs: 5_000, readTimeoutMs: 60_000, upgradeIdleMs: 3_600_000 };

type Scheme = 'http' | 'https';

/**
 * A request's backend, the endpoints to try and how (TLS or not; the name an ExternalName's
 * certificate is checked for), or the answer it gets at once.
 */
type Routed = { backend: Backend; endpoints: ServiceEndpoint[]; tls: boolean; serverName?: string } | { code: number; text: string; backend?: Backend };

/** Hop-by-hop headers (RFC 9110 7.6.1), never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authenticate', 'proxy-authorization']);
const FORWARDED = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-real-ip'];
/** Answered by the proxy's own server already (100 Continue), so not asked of the pod again. */
const ANSWERED = 'expect';
/** Connection errors after which the next endpoint is tried (nothing reached the pod). */
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'ETIMEDOUT']);

const clientAddress = (s: Socket) => (s.remoteAddress ?? '').replace(/^::ffff:/, '');

/** The headers a pod gets: the client's, less hop-by-hop ones, plus the forwarding ones. */
function forwardHeaders(req: IncomingMessage, scheme: Scheme, upgrade: boolean): OutgoingHttpHeaders {
  const named = new Set((req.headers.connection ?? '').split(',').map((t) => t.trim().toLowerCase()));
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k) && !named.has(k) && !FORWARDED.includes(k) && k !== ANSWERED) out[k] = v;
  if (upgrade) {
    out.connection = 'Upgrade';
    out.upgrade = req.headers.upgrade;
  }
  const client = clientAddress(req.socket);
  out['x-forwarded-for'] = client;
  out['x-real-ip'] = client;
  out['x-forwarded-proto'] = scheme;
  if (req.headers.host) out['x-forwarded-host'] = req.headers.host;
  out['x-forwarded-port'] = String(req.socket.localPort ?? '');
  return out;
}

/** The response headers for the client as a flat [name, value, ...] list, hop-by-hop ones left out. */
function responseHeaders(res: IncomingMessage): string[] {
  const named = new Set(String(res.headers.connection ?? '').split(',').map((t) => t.trim().toLowerCase()));
  const out: string[] = [];
  for (let i = 0; i < res.rawHeaders.length; i += 2) {
    const k = res.rawHeaders[i]!;
    const lk = k.toLowerCase();
    if (!HOP_BY_HOP.has(lk) && !named.has(lk)) out.push(k, res.rawHeaders[i + 1]!);
  }
  return out;
}

/** A request without a body may be sent again when a kept-alive connection turns out closed. */
const bodyless = (req: IncomingMessage) => !req.headers['content-length'] && !req.headers['transfer-encoding'];

function plain(res: ServerResponse, code: number, text: string): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The raw response an upgrade request gets when it cannot be relayed. */
function rawReply(socket: Duplex, code: number, reason: string, text: string): void {
  if (!socket.writable) return void socket.destroy();
  socket.end(`HTTP/1.1 ${code} ${reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
}

const STATUS_TEXT: Record<number, string> = { 500: 'Internal Server Error', 404: 'Not Found', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout', 400: 'Bad Request' };

/** The request's path (without the query), also from an absolute-form target. */
function pathOf(url: string): string {
  if (url.startsWith('/')) return url.split('?')[0]!;
  try {
    return new URL(url).pathname;
  } catch {
    return '/';
  }
}

export class IngressProxy {
  /** Replaced as a whole whenever the served Ingresses change. */
  routes = new RouteTable([]);
  private readonly agent = new Agent({ keepAlive: true, maxFreeSockets: 64, scheduling: 'lifo' });
  /** For HTTPS backends, made at the first such request from cfg.serversTransport. */
  private tlsAgent: HttpsAgent | undefined;
  private readonly servers: (Server | HttpsServer)[] = [];

  constructor(
    private readonly backends: Backends,
    private readonly certs: CertStore,
    readonly cfg: ProxyConfig = defaultProxyConfig,
    /** The addresses of an ExternalName backend's name (the cluster DNS, else the node's resolver). */
    private readonly lookup: NameLookup = externalNameLookup(() => []),
  ) {}

  /** The plain-HTTP server (not yet listening). */
  httpServer(): Server {
    const s = createServer((req, res) => this.handle(req, res, 'http'));
    return this.track(s, 'http');
  }

  /** The HTTPS server (not yet listening): the certificate of each connection is picked by its SNI name. */
  httpsServer(): HttpsServer {
    const s = createHttpsServer(
      {
        SNICallback: (name, cb) => {
          const ctx = this.certs.context(name);
          if (ctx) cb(null, ctx);
          else cb(new Error(`no certificate for "${name}"`));
        },
      },
      (req, res) => this.handle(req, res, 'https'),
    );
    // Clients that send no SNI name (an address in the URL) get the certificate of a TLS entry without hosts, if any.
    let fallback: { cert: Buffer; key: Buffer } | undefined;
    this.certs.onRefresh = () => {
      const now = this.certs.fallbackCredentials();
      if (now === fallback) return;
      fallback = now;
      s.setSecureContext(now ?? {});
    };
    return this.track(s, 'https');
  }

  private track<S extends Server | HttpsServer>(s: S, scheme: Scheme): S {
    // Clients are kept alive as nginx keeps them (75 s); headers must come within 60 s; bodies may stream for long.
    s.keepAliveTimeout = 75_000;
    s.headersTimeout = 60_000;
    s.requestTimeout = 0;
    s.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head, scheme));
    s.on('clientError', (e: NodeJS.ErrnoException, socket: Duplex) => {
      if (e.code === 'ERR_HTTP_REQUEST_TIMEOUT') return rawReply(socket, 408, 'Request Timeout', 'request timeout\n');
      if (e.code === 'HPE_HEADER_OVERFLOW') return rawReply(socket, 431, 'Request Header Fields Too Large', 'request header fields too large\n');
      rawReply(socket, 400, 'Bad Request', 'bad request\n');
    });
    this.servers.push(s);
    return s;
  }

  /** Closes the servers, their connections and the kept-alive connections to pods. */
  close(): void {
    for (const s of this.servers.splice(0)) {
      s.close();
      s.closeAllConnections();
    }
    this.agent.destroy();
    this.tlsAgent?.destroy();
  }

  /** The TLS options of a connection to an HTTPS backend (Traefik's serversTransport). */
  private tlsOptions(): { rejectUnauthorized: boolean; ca?: string[] } {
    const t = this.cfg.serversTransport ?? {};
    return { rejectUnauthorized: !t.insecureSkipVerify, ...(t.rootCAs?.length ? { ca: t.rootCAs } : {}) };
  }

  /** The request to endpoint `ep`, over TLS for an HTTPS backend; `keepAlive` false for a connection of its own (upgrades). */
  private backendRequest(r: { tls: boolean; serverName?: string }, ep: ServiceEndpoint, req: IncomingMessage, headers: OutgoingHttpHeaders, keepAlive: boolean) {
    const o = { host: ep.ip, port: ep.port, method: req.method, path: req.url, headers };
    if (!r.tls) return request({ ...o, agent: keepAlive ? this.agent : false });
    const tls = this.tlsOptions();
    if (keepAlive) this.tlsAgent ??= new HttpsAgent({ keepAlive: true, maxFreeSockets: 64, scheduling: 'lifo', ...tls });
    // The certificate is checked for the endpoint's address (no SNI), or an ExternalName's name
    // (sent as SNI), as Go's transport does for the server's URL: never for the client's Host,
    // which Node would otherwise take.
    return httpsRequest({ ...o, servername: r.serverName ?? '', ...(keepAlive ? { agent: this.tlsAgent } : { agent: false, ...tls }) });
  }

  /** Where a request goes; a promise only for an ExternalName backend, whose name is looked up. */
  private route(req: IncomingMessage): Routed | Promise<Routed> {
    const m = this.routes.match(req.headers.host, pathOf(req.url ?? '/'));
    if (!m) return { code: 404, text: '404 page not found\n' };
    const r = this.backends.resolve(m.backend);
    if (!r.ok) return { code: 503, text: `503 Service Unavailable: ${r.reason}\n`, backend: m.backend };
    if (r.scheme !== 'http' && r.scheme !== 'https') {
      log.warn('a backend\'s scheme is not one the ingress proxy speaks', { service: `${m.backend.namespace}/${m.backend.service}`, scheme: r.scheme });
      return { code: 500, text: '500 Internal Server Error\n', backend: m.backend };
    }
    const tls = r.scheme === 'https';
    if (r.externalName !== undefined) return this.external(m.backend, r.externalName, r.port, tls);
    return { backend: m.backend, endpoints: this.backends.order(m.backend, r), tls };
  }

  /** An ExternalName backend's addresses at its port, tried in the order the DNS gave them; a name that does not resolve is a 502, as Traefik's dial error. */
  private async external(backend: Backend, name: string, port: number, tls: boolean): Promise<Routed> {
    try {
      const addresses = await this.lookup(name);
      return { backend, endpoints: addresses.map((ip) => ({ ip, port })), tls, serverName: isIP(name) ? undefined : name.replace(/\.$/, '') };
    } catch (e) {
      log.debug('cannot resolve an ExternalName backend', { name, err: (e as Error).message });
      return { code: 502, text: '502 Bad Gateway\n', backend };
    }
  }

  private record(backend: Backend | undefined, code: number, start: bigint): void {
    const labels = { namespace: backend?.namespace ?? '', ingress: backend?.ingress ?? '', service: backend?.service ?? '' };
    ingressRequests.inc({ ...labels, code: String(code) });
    ingressRequestDuration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
  }

  private handle(req: IncomingMessage, res: ServerResponse, scheme: Scheme): void {
    const start = process.hrtime.bigint();
    const host = normalizeHost(req.headers.host);
    if (scheme === 'http' && this.cfg.httpsPort !== undefined && host && this.certs.redirects(host)) {
      const port = this.cfg.httpsPort === 443 ? '' : `:${this.cfg.httpsPort}`;
      res.writeHead(308, { location: `https://${host}${port}${req.url ?? '/'}`, 'content-length': 0 });
      res.end();
      return this.record(undefined, 308, start);
    }
    const r = this.route(req);
    if (r instanceof Promise) return void r.then((routed) => this.forward(req, res, scheme, routed, start));
    this.forward(req, res, scheme, r, start);
  }

  private forward(req: IncomingMessage, res: ServerResponse, scheme: Scheme, r: Routed, start: bigint): void {
    if ('code' in r) {
      req.resume();
      plain(res, r.code, r.text);
      return this.record(r.backend, r.code, start);
    }
    // (a client gone while the name was looked up: nothing to forward)
    if (res.destroyed) return;
    res.once('close', () => this.record(r.backend, res.statusCode, start));
    this.attempt(req, res, scheme, r, 0);
  }

  /** One try of the request against endpoints[i]; a connection that fails moves on to the next. */
  private attempt(req: IncomingMessage, res: ServerResponse, scheme: Scheme, r: Extract<Routed, { endpoints: ServiceEndpoint[] }>, i: number): void {
    const endpoints = r.endpoints;
    const ep = endpoints[i]!;
    const preq = this.backendRequest(r, ep, req, forwardHeaders(req, scheme, false), true);
    let connected = false;
    let secured = false;
    let bodySent = false;
    const sendBody = () => {
      connected = true;
      clearTimeout(connectTimer);
      preq.setTimeout(this.cfg.readTimeoutMs, () => preq.destroy(Object.assign(new Error('the backend did not answer in time'), { code: 'READ_TIMEOUT' })));
      if (bodySent) return;
      bodySent = true;
      req.pipe(preq);
    };
    const connectTimer = setTimeout(() => preq.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), this.cfg.connectTimeoutMs);
    preq.on('socket', (s: Socket) => {
      if (s.connecting) s.once('connect', sendBody);
      else sendBody();
      // (a kept-alive connection was secured when it was made)
      if (r.tls && preq.reusedSocket) secured = true;
      else if (r.tls) s.once('secureConnect', () => (secured = true));
    });
    const abort = () => {
      if (!res.writableFinished) preq.destroy();
    };
    res.once('close', abort);
    preq.on('response', (pres) => {
      res.writeHead(pres.statusCode ?? 502, pres.statusMessage, responseHeaders(pres));
      pres.pipe(res);
      pres.on('error', () => res.destroy());
    });
    preq.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(connectTimer);
      res.off('close', abort);
      if (res.headersSent || res.destroyed) return void res.destroy();
      // Nothing reached the pod: a refused or unmade connection, or a kept-alive one found closed by a body-less request.
      const retry = (!connected && CONNECT_ERRORS.has(e.code ?? '')) || (preq.reusedSocket && bodyless(req) && e.code === 'ECONNRESET');
      if (retry && i + 1 < endpoints.length) {
        log.debug('backend connection failed; trying the next endpoint', { endpoint: `${ep.ip}:${ep.port}`, err: e.message });
        if (bodySent) req.unpipe(preq);
        return this.attempt(req, res, scheme, r, i + 1);
      }
      req.unpipe(preq);
      req.resume();
      const timeout = e.code === 'READ_TIMEOUT' || e.code === 'ETIMEDOUT';
      if (r.tls && connected && !secured && !timeout && e.code !== 'ECONNRESET') {
        log.warn('TLS handshake with a backend failed', { endpoint: `${ep.ip}:${ep.port}`, err: e.message });
        return plain(res, 500, '500 Internal Server Error\n');
      }
      log.debug('backend request failed', { endpoint: `${ep.ip}:${ep.port}`, err: e.message });
      plain(res, timeout ? 504 : 502, timeout ? '504 Gateway Timeout\n' : '502 Bad Gateway\n');
    });
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, scheme: Scheme): void {
    const start = process.hrtime.bigint();
    socket.on('error', () => socket.destroy());
    const r = this.route(req);
    if (r instanceof Promise) return void r.then((routed) => this.forwardUpgrade(req, socket, head, scheme, routed, start));
    this.forwardUpgrade(req, socket, head, scheme, r, start);
  }

  private forwardUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, scheme: Scheme, r: Routed, start: bigint): void {
    if ('code' in r) {
      rawReply(socket, r.code, STATUS_TEXT[r.code] ?? '', r.text);
      return this.record(r.backend, r.code, start);
    }
    if (socket.destroyed) return;
    this.upgradeAttempt(req, socket, head, scheme, r, 0, start);
  }

  private upgradeAttempt(req: IncomingMessage, socket: Duplex, head: Buffer, scheme: Scheme, r: Extract<Routed, { endpoints: ServiceEndpoint[] }>, i: number, start: bigint): void {
    const { backend, endpoints } = r;
    const ep = endpoints[i]!;
    const preq = this.backendRequest(r, ep, req, forwardHeaders(req, scheme, true), false);
    let connected = false;
    let secured = false;
    let answered = false;
    const fail = (code: string, msg: string) => preq.destroy(Object.assign(new Error(msg), { code }));
    let timer = setTimeout(() => fail('ETIMEDOUT', 'connect timeout'), this.cfg.connectTimeoutMs);
    preq.on('socket', (s: Socket) => {
      s.once('connect', () => {
        connected = true;
        clearTimeout(timer);
        timer = setTimeout(() => fail('READ_TIMEOUT', 'the backend did not answer in time'), this.cfg.readTimeoutMs);
      });
      if (r.tls) s.once('secureConnect', () => (secured = true));
    });
    const answer = (code: number) => {
      answered = true;
      clearTimeout(timer);
      this.record(backend, code, start);
    };
    preq.on('upgrade', (pres: IncomingMessage, psocket: Socket, phead: Buffer) => {
      answer(101);
      const lines = [`HTTP/1.1 ${pres.statusCode ?? 101} ${pres.statusMessage ?? 'Switching Protocols'}`];
      for (let j = 0; j < pres.rawHeaders.length; j += 2) lines.push(`${pres.rawHeaders[j]}: ${pres.rawHeaders[j + 1]}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (phead.length) socket.write(phead);
      if (head.length) psocket.write(head);
      psocket.setTimeout(this.cfg.upgradeIdleMs, () => psocket.destroy());
      psocket.on('error', () => socket.destroy());
      psocket.on('close', () => socket.destroy());
      socket.on('close', () => psocket.destroy());
      psocket.pipe(socket);
      socket.pipe(psocket);
    });
    preq.on('response', (pres) => {
      // The pod declined the upgrade: its answer goes back as it is, and the connection ends.
      answer(pres.statusCode ?? 502);
      const lines = [`HTTP/1.1 ${pres.statusCode} ${pres.statusMessage ?? ''}`];
      const hs = responseHeaders(pres);
      for (let j = 0; j < hs.length; j += 2) lines.push(`${hs[j]}: ${hs[j + 1]}`);
      socket.write(`${lines.join('\r\n')}\r\nconnection: close\r\n\r\n`);
      pres.pipe(socket);
    });
    preq.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (answered) return void socket.destroy();
      if (!connected && CONNECT_ERRORS.has(e.code ?? '') && i + 1 < endpoints.length) {
        return this.upgradeAttempt(req, socket, head, scheme, r, i + 1, start);
      }
      const timeout = e.code === 'ETIMEDOUT' || e.code === 'READ_TIMEOUT';
      if (r.tls && connected && !secured && !timeout && e.code !== 'ECONNRESET') {
        answer(500);
        return rawReply(socket, 500, 'Internal Server Error', '500 Internal Server Error\n');
      }
      answer(timeout ? 504 : 502);
      rawReply(socket, timeout ? 504 : 502, timeout ? 'Gateway Timeout' : 'Bad Gateway', timeout ? '504 Gateway Timeout\n' : '502 Bad Gateway\n');
    });
    socket.once('close', () => {
      if (!answered) preq.destroy();
    });
    preq.end();
  }
}
