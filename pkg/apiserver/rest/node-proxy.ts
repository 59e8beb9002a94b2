// pods/log, pods/exec, pods/attach and pods/portforward: the apiserver finds the pod's node and
// proxies to that node's agent (its kubelet-like HTTPS endpoint), presenting the apiserver's kubelet
// client certificate (--kubelet-client-certificate, CN kube-apiserver-kubelet-client) as
// kube-apiserver does, and the node's own token too for a node joined the tskube way. Upgrades (websocket v5.channel.k8s.io
// for exec and attach; SPDY/3.1, plain or tunneled in a websocket, for portforward) are piped
// through byte for byte, but for the final status of a v5 exec or attach, which is re-worded as
// 1.32's stream translator words it (stream-translator.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Duplex, Writable } from 'node:stream';
import type { KubeObject } from '../../api/types.js';
import { LogOptionsParseError, parsePodLogOptions, validatePodLogOptions } from '../../api/pod-log-options.js';
import { logger } from '../../util/log.js';
import type { Authorizer } from '../authorizer.js';
import * as errors from '../errors.js';
import { ApiError } from '../errors.js';
import type { Store, UserInfo } from '../registry/store.js';
import { retryAfter } from './http-util.js';
import { WebSocketServer } from 'ws';
import { Channel, frame } from '../../client/remote-command.js';
import { ErrorChannelTranslator } from './stream-translator.js';
import { AgentCertificateError, agentConnection, dialAgent, type AgentTLS, urlErrorText } from './kubelet-tls.js';

const log = logger('node-proxy');

export interface NodeProxyDeps {
  pods: Store;
  nodes: Store;
  /** The bearer token the agent on this node accepts (its own node token), for a node joined with one. */
  nodeToken(nodeName: string): string | undefined;
  /** The client certificate and key shown to every agent (--kubelet-client-certificate/--kubelet-client-key). */
  kubeletClientCert?: { cert: string; key: string };
  /** --kubelet-certificate-authority's PEM: the agents' serving certificates must chain to it (none: not verified). */
  kubeletCA?: string;
  authorizer: Authorizer;
  /** CONNECT admission (webhooks), after authorization: throws an ApiError to refuse. */
  admitConnect?(user: UserInfo, a: ConnectAttributes): Promise<void>;
}

/** What a CONNECT asks for: `pods/exec` of a pod, with its options object (PodExecOptions). */
export interface ConnectAttributes {
  resource: 'pods' | 'services' | 'nodes';
  subresource: string;
  namespace?: string;
  name: string;
  options: Record<string, unknown>;
}

/** The options object kube-apiserver sends admission for exec, attach and port-forward. */
function connectOptions(sub: string, url: URL): Record<string, unknown> {
  const q = url.searchParams;
  const flag = (k: string) => (q.get(k) === 'true' || q.get(k) === '1' ? true : undefined);
  if (sub === 'portforward') return { kind: 'PodPortForwardOptions', apiVersion: 'v1', ...(q.getAll('ports').length ? { ports: q.getAll('ports').map(Number) } : {}) };
  const common = { stdin: flag('stdin'), stdout: flag('stdout'), stderr: flag('stderr'), tty: flag('tty'), container: q.get('container') ?? undefined };
  if (sub === 'attach') return JSON.parse(JSON.stringify({ kind: 'PodAttachOptions', apiVersion: 'v1', ...common }));
  return JSON.parse(JSON.stringify({ kind: 'PodExecOptions', apiVersion: 'v1', ...common, command: q.getAll('command') }));
}

/** How to reach a node's agent: its address, and the credentials the apiserver shows it. */
export interface AgentEndpoint {
  host: string;
  port: number;
  /** `Bearer <node token>`, for a node that has one. */
  authorization?: string;
  /** The kubelet client certificate, and the CA the agent's serving certificate is verified against (none: not verified). */
  tls: AgentTLS;
}

interface Target extends AgentEndpoint {
  path: string;
}

const podSubresource = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(log|exec|attach|portforward)$/;

export function matchPodSubresource(path: string): { namespace: string; name: string; sub: string } | undefined {
  const m = podSubresource.exec(path);
  return m ? { namespace: decodeURIComponent(m[1]!), name: decodeURIComponent(m[2]!), sub: m[3]! } : undefined;
}

type Containers = { name: string }[] | undefined;

/**
 * The container a request names: any of the pod's containers, init or ephemeral ones (kubectl
 * debug attaches to its own). With none named, the pod's only container; else the pod
 * strategy's validateContainer lists them all, as VisitContainers goes: init, app, ephemeral.
 */
function pickContainer(spec: { containers?: Containers; initContainers?: Containers; ephemeralContainers?: Containers }, pod: string, container: string): string {
  const all = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])].map((c) => c.name);
  if (!container) {
    if (!(spec.containers ?? []).length) throw errors.badRequest(`a container name must be specified for pod ${pod}`);
    if ((spec.containers ?? []).length !== 1) {
      throw errors.badRequest(`a container name must be specified for pod ${pod}, choose one of: [${all.join(' ')}]`);
    }
    return spec.containers![0]!.name;
  }
  if (!all.includes(container)) throw errors.badRequest(`container ${container} is not valid for pod ${pod}`);
  return container;
}

/** Where a node's agent listens, and the credentials it accepts; 503 when the node has not said. */
export function agentEndpoint(deps: NodeProxyDeps, node: KubeObject): AgentEndpoint {
  const nodeName = node.metadata?.name ?? '';
  const st = (node.status ?? {}) as { addresses?: { type: string; address: string }[]; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } };
  const host = st.addresses?.find((a) => a.type === 'InternalIP')?.address ?? st.addresses?.[0]?.address;
  const port = st.daemonEndpoints?.kubeletEndpoint?.Port;
  if (!host || !port) throw new ApiError(503, 'ServiceUnavailable', `node "${nodeName}" has not reported an agent endpoint`);
  const token = deps.nodeToken(nodeName);
  const client = deps.kubeletClientCert;
  if (!token && !client) throw new ApiError(503, 'ServiceUnavailable', `no credentials for node "${nodeName}"`);
  return { host, port, ...(token ? { authorization: `Bearer ${token}` } : {}), tls: { ...(client ? { cert: client.cert, key: client.key } : {}), ...(deps.kubeletCA ? { ca: deps.kubeletCA } : {}) } };
}

/**
 * The agent endpoint and path a request goes to; undefined for a pod not bound to a node yet,
 * which each caller answers as the pod strategy does (LogLocation gives no location, the other
 * subresources a BadRequest).
 */
async function resolveTarget(deps: NodeProxyDeps, user: UserInfo, namespace: string, name: string, sub: string, url: URL): Promise<Target | undefined> {
  const verb = sub === 'log' ? 'get' : 'create';
  const decision = await deps.authorizer.authorize(user, { verb, group: '', resource: 'pods', subresource: sub, namespace, name }, () => deps.pods.get(namespace, name).catch(() => undefined));
  if (!decision.allowed) throw errors.forbidden(user.name, verb, '', `pods/${sub}`, namespace, name, decision.reason);
  const pod = await deps.pods.get(namespace, name);
  if (sub !== 'log') await deps.admitConnect?.(user, { resource: 'pods', subresource: sub, namespace, name, options: connectOptions(sub, url) });
  const spec = (pod.spec ?? {}) as { nodeName?: string; containers?: Containers; initContainers?: Containers; ephemeralContainers?: Containers };
  // port forwarding reaches the pod's network, not one container
  const container = sub === 'portforward' ? '' : pickContainer(spec, name, url.searchParams.get('container') ?? '');
  if (!spec.nodeName) return undefined;
  let node: KubeObject;
  try {
    node = await deps.nodes.get(undefined, spec.nodeName);
  } catch {
    throw errors.badRequest(`node "${spec.nodeName}" of pod ${name} not found`);
  }
  const agent = agentEndpoint(deps, node);
  const q = new URLSearchParams(url.searchParams);
  q.delete('container');
  // (an option for the apiserver's own dial, which LogLocation does not pass on to the kubelet)
  q.delete('insecureSkipTLSVerifyBackend');
  const base = sub === 'log' ? 'containerLogs' : sub;
  if (sub === 'portforward') return { ...agent, path: `/portForward/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}` };
  return { ...agent, path: `/${base}/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/${encodeURIComponent(container)}${q.toString() ? `?${q}` : ''}` };
}

/** GET pods/NAME/log: streams the agent's answer back. */
export async function proxyLogs(deps: NodeProxyDeps, req: IncomingMessage, res: ServerResponse, user: UserInfo, url: URL, namespace: string, name: string): Promise<void> {
  checkLogOptions(url, name);
  const t = await resolveTarget(deps, user, namespace, name, 'log', url);
  // (LogLocation has no location for a pod not scheduled yet, and the streamer answers that
  // with 204 No Content: kubectl logs of a Pending pod prints nothing and succeeds)
  if (!t) return void res.writeHead(204).end();
  await new Promise<void>((resolve, reject) => {
    // PodLogOptions.insecureSkipTLSVerifyBackend (kubectl logs --insecure-skip-tls-verify-backend):
    // LogLocation's InsecureSkipTLSVerifyTransport, the serving certificate not verified
    const skip = url.searchParams.get('insecureSkipTLSVerifyBackend');
    const insecure = skip !== null && !(skip === '0' || skip.toLowerCase() === 'false');
    const createConnection = agentConnection(t.host, t.port, insecure ? { cert: t.tls.cert, key: t.tls.key } : t.tls);
    const up = httpsRequest({ host: t.host, port: t.port, path: t.path, method: 'GET', headers: t.authorization ? { Authorization: t.authorization } : {}, createConnection }, (agentRes) => {
      const code = agentRes.statusCode ?? 502;
      if (code < 200 || code > 206) {
        // As kube-apiserver's response checker: the node's refusal becomes a Status kubectl can print.
        let text = '';
        agentRes.setEncoding('utf8');
        agentRes.on('data', (c: string) => (text.length < 4096 ? (text += c) : undefined));
        agentRes.on('end', () => reject(agentLogError(code, text.trim(), name)));
        agentRes.on('error', (e) => reject(agentLogError(502, e.message, name)));
        return;
      }
      res.writeHead(code, { 'Content-Type': agentRes.headers['content-type'] ?? 'text/plain', 'Transfer-Encoding': 'chunked' });
      agentRes.pipe(res);
      agentRes.on('end', resolve);
      agentRes.on('error', resolve);
    });
    up.on('error', (e) => reject(agentDialError(e, 'GET', t, kubeletLogsPath(t.path))));
    req.on('close', () => up.destroy());
    up.end();
  });
}

/**
 * A request to an agent that failed. A serving certificate refused under
 * --kubelet-certificate-authority is the error of the kubelet client's request as it stands:
 * LocationStreamer.InputStream returns client.Do's url.Error, which reaches the client as a 500
 * Status of no reason, 'Get "https://HOST:PORT/containerLogs/...": tls: failed to verify certificate: x509: ...'.
 */
function agentDialError(e: Error, method: string, t: Target, kubeletPath: string): ApiError {
  if (e instanceof AgentCertificateError) return new ApiError(500, '', urlErrorText(method, t.host, t.port, kubeletPath, e));
  return new ApiError(502, 'InternalError', `error talking to the node agent at ${t.host}:${t.port}: ${e.message}`);
}

/**
 * The kubelet URL's path and query as 1.32's LogLocation builds them from the PodLogOptions
 * (follow, previous and timestamps as "true", the numbers, sinceTime in RFC 3339; url.Values.Encode
 * sorts the keys), from the agent path tskube dials, whose query is the client's.
 */
export function kubeletLogsPath(path: string): string {
  const u = new URL(path, 'https://agent');
  const o = parsePodLogOptions(u.searchParams);
  const params: [string, string | number | undefined | false][] = [
    ['follow', o.follow && 'true'],
    ['limitBytes', o.limitBytes],
    ['previous', o.previous && 'true'],
    ['sinceSeconds', o.sinceSeconds],
    ['sinceTime', o.sinceTime === undefined ? undefined : new Date(o.sinceTime).toISOString().replace(/\.\d{3}Z$/, 'Z')],
    ['tailLines', o.tailLines],
    ['timestamps', o.timestamps && 'true'],
  ];
  const query = params.filter(([, v]) => v !== undefined && v !== false).map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`).join('&');
  return u.pathname + (query ? `?${query}` : '');
}

/** The query's PodLogOptions must parse (400) and be valid (422), as the pods/log REST handler checks. */
function checkLogOptions(url: URL, name: string): void {
  let opts;
  try {
    opts = parsePodLogOptions(url.searchParams);
  } catch (e) {
    if (e instanceof LogOptionsParseError) throw errors.badRequest(e.message);
    throw e;
  }
  const invalid = validatePodLogOptions(opts);
  if (invalid.length) throw errors.invalid('PodLogOptions', '', name, invalid);
}

/** Kubernetes' GenericHttpResponseChecker: 400 and 500 keep their code, others name pods/log. */
function agentLogError(code: number, text: string, name: string): ApiError {
  if (code === 400) return errors.badRequest(text);
  if (code === 500) return errors.internal(text);
  const reasons: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 409: 'Conflict', 503: 'ServiceUnavailable' };
  return new ApiError(code, reasons[code] ?? 'InternalError', text || `the node answered ${code} for the logs of pod ${name}`, { name, kind: 'pods/log' });
}

/**
 * A pods/NAME/exec, attach or portforward request that asks for no upgrade: GET and POST are its
 * routes (ConnectMethods), the location is worked out as for an upgrade (container, host), and then
 * the UpgradeAwareHandler, with UpgradeRequired set, refuses it.
 */
export async function refuseWithoutUpgrade(deps: NodeProxyDeps, req: IncomingMessage, user: UserInfo, url: URL, namespace: string, name: string, sub: string): Promise<never> {
  if (req.method !== 'GET' && req.method !== 'POST') throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  const t = await resolveTarget(deps, user, namespace, name, sub, url);
  if (!t) throw errors.badRequest(`pod ${name} does not have a host assigned`);
  throw errors.badRequest('Upgrade request required');
}

/** An upgrade request for pods/NAME/exec, attach or portforward: replays it to the agent and pipes the sockets. */
export async function proxyUpgrade(deps: NodeProxyDeps, req: IncomingMessage, socket: Duplex, head: Buffer, user: UserInfo, url: URL, namespace: string, name: string, sub: string): Promise<void> {
  const t = await resolveTarget(deps, user, namespace, name, sub, url);
  if (!t) throw errors.badRequest(`pod ${name} does not have a host assigned`);
  // 1.32's apiserver translates exec and attach over v5.channel.k8s.io (TranslateStreamCloseWebsocketRequests):
  // it completes the client's websocket handshake, then dials the kubelet, so a node that refuses
  // (a container not running) is reported as an InternalError status on the error channel, which
  // kubectl prints as 'Internal error occurred: unable to upgrade connection: ...' and exits 1.
  const translated = (sub === 'exec' || sub === 'attach') && isV5WebSocket(req);
  let answered = false;
  // Where the agent's bytes go once some have reached the client: past that point the session is
  // under way and a failure of the agent's connection ends it as it stands (an HTTP answer written
  // then would reach kubectl as websocket frames: 'RSV1 set, FIN not set on control').
  let passing: Writable | undefined;
  let translator: ErrorChannelTranslator | undefined;
  const connected = (up: Duplex) => {
    wire(up);
    // (a translated session is re-read frame by frame: no compression from the agent)
    const skip = new Set(['authorization', 'host', ...(translated ? ['sec-websocket-extensions'] : [])]);
    const lines = [`${req.method} ${t.path} HTTP/1.1`, `Host: ${t.host}:${t.port}`, ...(t.authorization ? [`Authorization: ${t.authorization}`] : [])];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      if (!skip.has(req.rawHeaders[i]!.toLowerCase())) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    }
    up.write(lines.join('\r\n') + '\r\n\r\n');
    if (head.length) up.write(head);
    if (!translated) {
      up.once('data', () => (passing = socket));
      up.pipe(socket);
      socket.pipe(up);
      return;
    }
    // The agent's answer is read before anything reaches the client: its 101 opens the pipe; a
    // refusal becomes the status of a websocket session of our own.
    let got = Buffer.alloc(0);
    let code: number | undefined;
    const onData = (b: Buffer) => {
      got = Buffer.concat([got, b]);
      const end = got.indexOf('\r\n\r\n');
      if (code !== undefined || end < 0) return;
      code = Number(/^HTTP\/1\.[01] (\d{3})/.exec(got.toString('latin1'))?.[1] ?? 502);
      if (code !== 101) return;
      up.pause();
      up.off('data', onData);
      socket.write(got.subarray(0, end + 4));
      // (the agent's final status on the error channel is re-worded as the translator words it)
      translator = new ErrorChannelTranslator();
      passing = translator;
      if (got.length > end + 4) translator.write(got.subarray(end + 4));
      up.pipe(translator).pipe(socket);
      socket.pipe(up);
    };
    up.on('data', onData);
    up.once('end', () => {
      if (code === 101) return;
      const end = got.indexOf('\r\n\r\n');
      const body = end < 0 ? '' : got.subarray(end + 4, end + 4 + 64 * 1024).toString('utf8').trim();
      answered = true;
      refuseInStream(req, socket, head, body || `the node agent answered ${code ?? 'nothing'}`);
    });
  };
  const wire = (up: Duplex) => {
    const close = () => {
      up.destroy();
      socket.destroy();
    };
    up.on('error', (e) => {
      log.warn('exec proxy to agent failed', { host: t.host, port: t.port, err: e });
      if (passing) {
        // (what was read is passed on, then the client's side ends)
        if (translator) translator.broken(`error reading from error stream: ${e.message}`);
        else passing.end();
        up.destroy();
        return;
      }
      if (socket.writable && !answered) socket.end(`HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\n\r\nerror talking to the node agent: ${e.message}\n`);
      close();
    });
    socket.on('error', close);
    socket.on('close', () => up.destroy());
  };
  dialAgent(t.host, t.port, t.tls, (err, up) => {
    if (!err && up && socket.destroyed) return void up.destroy();
    if (!err && up) return connected(up);
    if (err instanceof AgentCertificateError) {
      log.warn('the node agent\'s serving certificate was refused', { host: t.host, port: t.port, err: err.message });
      if (!socket.writable) return;
      // 1.32's stream translator dials the kubelet with the SPDY executor, whose failed POST is
      // 'error sending request: Post "URL": ...' in an InternalError on the error channel; a
      // request proxied as it is (SPDY, port forwarding) gets dial's 'error dialing backend: ...' (DialURL's handshake error) as a 500.
      if (!translated) return writeUpgradeError(socket, new ApiError(500, '', `error dialing backend: ${err.message}`));
      const cause = `error sending request: ${urlErrorText('POST', t.host, t.port, kubeletStreamPath(t.path), err)}`;
      return sendInStream(req, socket, head, internalErrorStatus(cause));
    }
    log.warn('exec proxy to agent failed', { host: t.host, port: t.port, err });
    if (socket.writable) socket.end(`HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\n\r\nerror talking to the node agent: ${err?.message}\n`);
    socket.destroy();
  });
}

function isV5WebSocket(req: IncomingMessage): boolean {
  const protocols = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  return String(req.headers.upgrade ?? '').toLowerCase() === 'websocket' && protocols.includes(V5);
}

const V5 = 'v5.channel.k8s.io';
const translatorSessions = new WebSocketServer({ noServer: true, handleProtocols: (p) => (p.has(V5) ? V5 : false) });

/**
 * The stream translator's answer to a node's refusal: the handshake completes, the error channel
 * carries the Status (the node's own, when it sent one; else NewInternalError of SPDY's
 * `unable to upgrade connection: BODY`), and the session closes.
 */
function refuseInStream(req: IncomingMessage, socket: Duplex, head: Buffer, body: string): void {
  let status: Record<string, unknown>;
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    if (parsed.kind !== 'Status') throw new Error('not a Status');
    status = parsed;
  } catch {
    status = internalErrorStatus(`unable to upgrade connection: ${body}`);
  }
  sendInStream(req, socket, head, status);
}

/** apierrors.NewInternalError(cause) as the translator writes it on the error channel. */
const internalErrorStatus = (cause: string) => ({ metadata: {}, status: 'Failure', message: `Internal error occurred: ${cause}`, reason: 'InternalError', details: { causes: [{ message: cause }] }, code: 500 });

/**
 * The kubelet URL's path and query as 1.32's ExecLocation, AttachLocation and
 * PortForwardLocation build them (streamParams: input, output, error and tty as "1", each
 * command, each port; url.Values.Encode sorts the keys), from the agent path tskube dials.
 */
export function kubeletStreamPath(path: string): string {
  const u = new URL(path, 'https://agent');
  const q = u.searchParams;
  const on = (k: string) => q.get(k) === 'true' || q.get(k) === '1';
  const params: [string, string][] = [];
  for (const c of q.getAll('command')) params.push(['command', c]);
  if (on('stderr')) params.push(['error', '1']);
  if (on('stdin')) params.push(['input', '1']);
  if (on('stdout')) params.push(['output', '1']);
  for (const p of q.getAll('ports')) params.push(['port', p]);
  if (on('tty')) params.push(['tty', '1']);
  // (Encode escapes as QueryEscape: spaces as +)
  const query = params.map(([k, v]) => `${k}=${encodeURIComponent(v).replace(/%20/g, '+').replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)}`).join('&');
  return u.pathname + (query ? `?${query}` : '');
}

/** A websocket session of our own whose error channel carries `status`, then closes. */
function sendInStream(req: IncomingMessage, socket: Duplex, head: Buffer, status: Record<string, unknown>): void {
  translatorSessions.handleUpgrade(req, socket, head, (ws) => {
    ws.send(frame(Channel.Error, JSON.stringify(status)));
    ws.close(1000);
  });
}

export function writeUpgradeError(socket: Duplex, err: ApiError): void {
  const body = JSON.stringify(err.toStatus());
  const after = Object.entries(retryAfter(err)).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(`HTTP/1.1 ${err.code} ${err.reason}\r\nContent-Type: application/json\r\n${after}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
