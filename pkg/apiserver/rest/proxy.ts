// The proxy subresources: pods/proxy, services/proxy and nodes/proxy, as kube-apiserver serves
// them (what `kubectl proxy` users, dashboards and Prometheus' apiserver-proxied scrapes use).
//   /api/v1/namespaces/NS/pods/[SCHEME:]NAME[:PORT]/proxy[/PATH]      -> the pod's IP and port
//   /api/v1/namespaces/NS/services/[SCHEME:]NAME[:PORT]/proxy[/PATH]  -> a ready endpoint of the port
//   /api/v1/nodes/[SCHEME:]NAME[:PORT]/proxy[/PATH]                   -> the node agent (with the node's credentials)
// Any method; the request's query and body go through, the user's credentials do not; upgrades
// (websockets) are piped byte for byte. The apiserver dials pod IPs itself, as kube-apiserver
// does: it must be able to route to the pod network (under `tsctl up` it is on the node).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import type { KubeObject } from '../../api/types.js';
import type { Authorizer } from '../authorizer.js';
import * as errors from '../errors.js';
import { ApiError } from '../errors.js';
import type { Store, UserInfo } from '../registry/store.js';
import { methodVerb } from './http-util.js';
import { agentEndpoint, type NodeProxyDeps, writeUpgradeError } from './node-proxy.js';
import { AgentCertificateError, agentConnection, dialAgent, type AgentTLS } from './kubelet-tls.js';

export interface ProxyDeps extends NodeProxyDeps {
  services?: Store;
  endpoints?: Store;
}

export interface ProxyRequest {
  resource: 'pods' | 'services' | 'nodes';
  namespace?: string;
  name: string;
  scheme: '' | 'http' | 'https';
  port: string;
  /** The path after `/proxy`, '/' when none. */
  path: string;
}

const proxyPath = /^\/api\/v1\/(?:namespaces\/([^/]+)\/(pods|services)|(nodes))\/([^/]+)\/proxy(\/.*)?$/;

/** The proxy request a path names, or undefined; 400 for a malformed NAME part. */
export function matchProxyPath(path: string): ProxyRequest | undefined {
  const m = proxyPath.exec(path);
  if (!m) return undefined;
  const id = decodeURIComponent(m[4]!);
  const parts = id.split(':');
  // kube's SplitSchemeNamePort: NAME, NAME:PORT or SCHEME:NAME:PORT (SCHEME http or https)
  let scheme = '';
  let name: string;
  let port = '';
  if (parts.length === 1) name = parts[0]!;
  else if (parts.length === 2) [name, port] = parts as [string, string];
  else if (parts.length === 3) [scheme, name, port] = parts as [string, string, string];
  else throw errors.badRequest(`invalid service request "${id}"`);
  if (!name || (scheme !== '' && scheme !== 'http' && scheme !== 'https')) throw errors.badRequest(`invalid service request "${id}"`);
  return { resource: (m[2] ?? m[3]) as ProxyRequest['resource'], namespace: m[1] ? decodeURIComponent(m[1]) : undefined, name, scheme: scheme as ProxyRequest['scheme'], port, path: m[5] ?? '/' };
}

interface Upstream {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  /** Credentials the upstream needs (the node agent's token), never the user's. */
  authorization?: string;
  /** For the node agent's own port: the kubelet client certificate, and the CA its serving certificate must chain to. */
  agentTLS?: AgentTLS;
}

/**
 * kube's IsProxyableIP: loopback and link-local addresses are never dialled for a pod or a
 * Service (under `tsctl up` the node's loopback holds etcd, which has no authentication).
 */
export function proxyable(ip: string): boolean {
  return !/^(127\.|169\.254\.|224\.0\.0\.|0\.)/.test(ip) && ip !== '::1';
}
const notProxyable = (ip: string) => new ApiError(400, 'BadRequest', `address not allowed: ${ip}`);

type PodLike = { spec?: { containers?: { ports?: { containerPort: number; name?: string }[] }[] }; status?: { podIP?: string; phase?: string } };

/** A pod's address: PORT, else its first declared container port, else 80. */
export function podUpstream(pod: KubeObject, r: ProxyRequest): Upstream {
  const p = pod as PodLike;
  const ip = p.status?.podIP;
  if (!ip) throw new ApiError(503, 'ServiceUnavailable', `pod ${r.name} has no IP address yet`);
  let port = r.port;
  if (port && !/^\d+$/.test(port)) {
    // a named container port
    const named = (p.spec?.containers ?? []).flatMap((c) => c.ports ?? []).find((x) => x.name === port);
    if (!named) throw errors.badRequest(`pod ${r.name} has no port named "${port}"`);
    port = String(named.containerPort);
  }
  if (!port) port = String((p.spec?.containers ?? []).flatMap((c) => c.ports ?? [])[0]?.containerPort ?? (r.scheme === 'https' ? 443 : 80));
  if (!proxyable(ip)) throw notProxyable(ip);
  return { scheme: r.scheme || 'http', host: ip, port: Number(port) };
}

type ServiceLike = { spec?: { type?: string; ports?: { name?: string; port: number; protocol?: string }[] } };
type EndpointsLike = { subsets?: { addresses?: { ip: string }[]; ports?: { name?: string; port: number; protocol?: string }[] }[] };

/** A ready endpoint of the Service port PORT (a port name or number; none: the only port), chosen at random. */
export function serviceUpstream(svc: KubeObject, eps: KubeObject | undefined, r: ProxyRequest, random = Math.random, anyAddress = false): Upstream {
  const s = svc as ServiceLike;
  if (s.spec?.type === 'ExternalName') throw errors.badRequest(`service "${r.name}" is of type ExternalName: not proxied`);
  const ports = s.spec?.ports ?? [];
  // The service's ResourceLocation: a port number names the Service port of that number (503 when
  // there is none); a name, or nothing, is matched against the endpoints' port names as given, so
  // a Service whose only port is named must be asked by that name (http:web:http), as upstream.
  let portName = r.port;
  if (/^\d+$/.test(r.port)) {
    const sp = ports.find((p) => String(p.port) === r.port);
    if (!sp) throw new ApiError(503, 'ServiceUnavailable', `no service port ${Number(r.port)} found for service "${r.name}"`);
    portName = sp.name ?? '';
  }
  const subsets = (eps as EndpointsLike | undefined)?.subsets ?? [];
  if (!subsets.length) throw new ApiError(503, 'ServiceUnavailable', `no endpoints available for service "${r.name}"`);
  const candidates: { ip: string; port: number }[] = [];
  for (const ss of subsets) {
    const ep = (ss.ports ?? []).find((p) => (p.name ?? '') === portName);
    if (!ep) continue;
    for (const a of ss.addresses ?? []) candidates.push({ ip: a.ip, port: ep.port });
  }
  // (upstream names the request's whole id here: scheme:name:port as asked)
  const id = r.scheme ? `${r.scheme}:${r.name}:${r.port}` : r.port ? `${r.name}:${r.port}` : r.name;
  if (!candidates.length) throw new ApiError(503, 'ServiceUnavailable', `no endpoints available for service "${id}"`);
  const pick = candidates[Math.floor(random() * candidates.length)]!;
  if (!anyAddress && !proxyable(pick.ip)) throw notProxyable(pick.ip);
  return { scheme: r.scheme || 'http', host: pick.ip, port: pick.port };
}

/** Finds the upstream after authorizing the user for <resource>/proxy with the method's verb. */
async function resolve(deps: ProxyDeps, user: UserInfo, method: string, r: ProxyRequest, authorizer: Authorizer): Promise<Upstream> {
  const verb = methodVerb(method);
  const d = await authorizer.authorize(user, { verb, group: '', resource: r.resource, subresource: 'proxy', namespace: r.namespace, name: r.name });
  if (!d.allowed) throw errors.forbidden(user.name, verb, '', `${r.resource}/proxy`, r.namespace, r.name, d.reason);
  const kind = { pods: 'PodProxyOptions', services: 'ServiceProxyOptions', nodes: 'NodeProxyOptions' }[r.resource];
  await deps.admitConnect?.(user, { resource: r.resource, subresource: 'proxy', namespace: r.namespace, name: r.name, options: { kind, apiVersion: 'v1', path: r.path } });
  if (r.resource === 'pods') return podUpstream(await deps.pods.get(r.namespace, r.name), r);
  if (r.resource === 'services') {
    if (!deps.services || !deps.endpoints) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const svc = await deps.services.get(r.namespace, r.name);
    const eps = await deps.endpoints.get(r.namespace, r.name).catch(() => undefined);
    return serviceUpstream(svc, eps, r);
  }
  const node = await deps.nodes.get(undefined, r.name);
  const agent = agentEndpoint(deps, node);
  // The agent's own port gets the node's credentials over TLS; any other port is dialled as asked.
  if (!r.port || Number(r.port) === agent.port) return { scheme: 'https', host: agent.host, port: agent.port, authorization: agent.authorization, agentTLS: agent.tls };
  if (!/^\d+$/.test(r.port)) throw errors.badRequest(`invalid node port "${r.port}"`);
  if (!proxyable(agent.host)) throw notProxyable(agent.host);
  return { scheme: r.scheme || 'http', host: agent.host, port: Number(r.port) };
}

/** Hop-by-hop headers and the user's credentials stay behind (RFC 7230 6.1; kube drops Authorization too). */
const dropped = new Set(['authorization', 'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'impersonate-user', 'impersonate-group', 'impersonate-uid']);

function forwardHeaders(req: IncomingMessage, up: Upstream): Record<string, string | string[]> {
  const h: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !dropped.has(k) && !k.startsWith('impersonate-extra-')) h[k] = v;
  h.host = `${up.host}:${up.port}`;
  if (up.authorization) h.authorization = up.authorization;
  return h;
}

// 1.32's proxy transport (apimachinery's util/proxy Transport.RoundTrip) says "service" whatever
// is proxied: pods/proxy and nodes/proxy go through the same transport.
const unreachable = (e: Error) => new ApiError(503, 'ServiceUnavailable', `error trying to reach service: ${dialErrorText(e)}`);

const dialErrnoWords: Record<string, string> = { ECONNREFUSED: 'connection refused', EHOSTUNREACH: 'no route to host', ENETUNREACH: 'network is unreachable', ETIMEDOUT: 'connection timed out' };

/**
 * A failed connect in Go's words, as 1.32's proxy transport reports it ('dial tcp
 * 10.244.0.6:8080: connect: connection refused'), where Node says 'connect ECONNREFUSED
 * 10.244.0.6:8080': scripts and tools match on kube's text. Other errors keep their message.
 */
export function dialErrorText(e: Error & { code?: string; syscall?: string; address?: string; port?: number }): string {
  const words = e.code ? dialErrnoWords[e.code] : undefined;
  if (e.syscall !== 'connect' || !words || !e.address) return e.message;
  return `dial tcp ${e.address}:${e.port}: connect: ${words}`;
}

/** Serves a proxied request: the upstream's status, headers and body stream back. */
export async function serveProxy(deps: ProxyDeps, authorizer: Authorizer, req: IncomingMessage, res: ServerResponse, user: UserInfo, r: ProxyRequest, query: string): Promise<void> {
  const up = await resolve(deps, user, req.method ?? 'GET', r, authorizer);
  await new Promise<void>((done, fail) => {
    // (the agent's own port is dialled as the kubelet client dials it, verified under --kubelet-certificate-authority;
    // a pod or a Service is not verified, as kube-apiserver's proxy transport does not)
    const tls = up.agentTLS;
    const dial = tls ? { createConnection: agentConnection(up.host, up.port, tls) } : { rejectUnauthorized: false };
    const opts = { host: up.host, port: up.port, method: req.method, path: r.path + query, headers: forwardHeaders(req, up), ...dial };
    // The upstream has 30 s to answer; a stream it then sends may stay quiet as long as it likes.
    const answerDeadline = setTimeout(() => upReq.destroy(new Error('i/o timeout')), 30_000);
    const upReq = (up.scheme === 'https' ? httpsRequest : httpRequest)(opts, (upRes) => {
      clearTimeout(answerDeadline);
      const headers = { ...upRes.headers };
      for (const k of ['connection', 'keep-alive', 'transfer-encoding']) delete headers[k];
      res.writeHead(upRes.statusCode ?? 502, headers);
      upRes.pipe(res);
      upRes.on('end', done);
      upRes.on('error', () => (res.destroy(), done()));
    });
    upReq.on('close', () => clearTimeout(answerDeadline));
    // The client went: so does the upstream request (and its response, if any).
    res.on('close', () => {
      if (!res.writableFinished) upReq.destroy();
    });
    upReq.on('error', (e) => (res.headersSent ? (res.destroy(), done()) : fail(unreachable(e))));
    req.pipe(upReq);
  });
}

/** An upgrade (websocket) through the proxy: the request is replayed upstream and the sockets piped. */
export async function upgradeProxy(deps: ProxyDeps, authorizer: Authorizer, req: IncomingMessage, socket: Duplex, head: Buffer, user: UserInfo, r: ProxyRequest, query: string): Promise<void> {
  const up = await resolve(deps, user, req.method ?? 'GET', r, authorizer);
  if (up.agentTLS) {
    // (the agent's port: its serving certificate verified before anything is written to it)
    const tls = up.agentTLS;
    dialAgent(up.host, up.port, tls, (err, conn) => {
      if (conn && socket.destroyed) return void conn.destroy();
      if (conn) return pipeUpgrade(req, socket, head, up, r, query, conn, true);
      // (an upgrade's dial is not wrapped by the proxy transport: DialForUpgrade's 'error dialing backend: ...' goes to the responder, a 500)
      if (err instanceof AgentCertificateError) return socket.writable ? writeUpgradeError(socket, new ApiError(500, '', `error dialing backend: ${err.message}`)) : undefined;
      if (socket.writable) {
        const body = JSON.stringify(unreachable(err ?? new Error('no connection')).toStatus());
        socket.end(`HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      }
      socket.destroy();
    });
    return;
  }
  const conn = up.scheme === 'https' ? tlsConnect({ host: up.host, port: up.port, rejectUnauthorized: false }) : netConnect({ host: up.host, port: up.port });
  pipeUpgrade(req, socket, head, up, r, query, conn, false);
}

/** Replays the upgrade request on `conn` once it is connected (at once when it already is) and pipes the sockets. */
function pipeUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, up: Upstream, r: ProxyRequest, query: string, conn: Duplex, ready: boolean): void {
  let connected = false;
  const start = () => {
    connected = true;
    const lines = [`${req.method} ${r.path}${query} HTTP/1.1`, `Host: ${up.host}:${up.port}`, ...(up.authorization ? [`Authorization: ${up.authorization}`] : [])];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const k = req.rawHeaders[i]!.toLowerCase();
      if (k !== 'authorization' && k !== 'host' && !k.startsWith('impersonate-')) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    }
    conn.write(lines.join('\r\n') + '\r\n\r\n');
    if (head.length) conn.write(head);
    conn.pipe(socket);
    socket.pipe(conn);
  };
  if (ready) start();
  else conn.once(up.scheme === 'https' ? 'secureConnect' : 'connect', start);
  conn.on('error', (e) => {
    if (!connected && socket.writable) {
      const body = JSON.stringify(unreachable(e).toStatus());
      socket.end(`HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    }
    socket.destroy();
  });
  socket.on('error', () => conn.destroy());
  socket.on('close', () => conn.destroy());
}
