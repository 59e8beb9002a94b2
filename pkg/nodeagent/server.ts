// The agent's own HTTPS endpoint (the kubelet's :10250): container logs, exec and attach over
// websockets (v5.channel.k8s.io, v4 accepted), port forwarding over SPDY/3.1 (port-forward.ts),
// resource usage for kubectl top (/stats/usage, usage.ts), the Summary API (/stats/summary,
// stats-summary.ts), the node's pods (/pods), its configuration (/configz, configz.ts), /metrics, the container metrics of
// /metrics/cadvisor and /metrics/resource (container-metrics.ts), /metrics/probes, and
// /healthz (behind the same authentication and authorization as the rest, nodes/proxy: the
// open one is healthz.ts's plain --healthz-port). The apiserver proxies pods/log, pods/exec, pods/attach, pods/portforward and the
// metrics API here with this node's own token; any other token is reviewed by the apiserver,
// and its user must be allowed nodes/metrics, nodes/stats, nodes/log or nodes/proxy on this
// Node (delegated-auth.ts).
import { createServer, type Server } from 'node:https';
import type { Duplex, Writable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { basename, dirname, join } from 'node:path';
import { register } from 'prom-client';
import { WebSocketServer, type WebSocket } from 'ws';
import { ensurePki } from '../apiserver/pki.js';
import { Channel, exitStatus, frame, isCloseStdin, parseFrame, parseResize, STREAM_PROTOCOLS, type TerminalSize } from '../client/remote-command.js';
import { readLogFile } from '../runtime/logs.js';
import { ContainerState, type AttachSession, type ExecSession } from '../runtime/types.js';
import { logger } from '../util/log.js';
import { serveMetricsPage } from '../util/prom-text.js';
import type { NodeAgent } from './agent.js';
import { FORMER_LOGS_DIR, type PodWorker } from './pod-worker.js';
import { UsageSampler } from './usage.js';
import { cadvisorMetrics, parseNetDev, resourceMetrics, sampleMetrics } from './container-metrics.js';
import { realStatsReader } from './eviction-signals.js';
import { statsSummary, type Summary } from './stats-summary.js';
import { kubeletConfigz } from './configz.js';
import { healthzResponse } from './healthz.js';
import { readFile } from 'node:fs/promises';
import { isHostVethName } from '../network/veth.js';
import { DelegatedAuth, x509User, type AuthResult, type ReviewPoster } from './delegated-auth.js';
import { DynamicClientCA } from './client-ca.js';
import type { TLSSocket } from 'node:tls';
import { probeRegistry } from './metrics.js';
import { dialSandbox, upgradePortForward, type PortForwardTarget } from './port-forward.js';
import { logsSince } from '../api/pod-log-options.js';
import { readContainerLogsRequest } from './container-logs-request.js';

const log = logger('agent-server');


function findWorker(agent: NodeAgent, ns: string, name: string): PodWorker | undefined {
  return [...agent.workers.values()].find((w) => w.pod.metadata?.namespace === ns && w.pod.metadata?.name === name);
}

/** The waiting reason the pod's status gives a container (PodInitializing behind init containers). */
function reportedWaiting(w: PodWorker, container: string): string | undefined {
  const st = w.pod.status;
  const all = [...(st?.initContainerStatuses ?? []), ...(st?.containerStatuses ?? [])];
  return all.find((c) => c.name === container)?.state?.waiting?.reason;
}

/** Why a container has no log yet, in the kubelet's words for the common pending failures. */
function waitingText(reason: string | undefined): string {
  if (reason === 'ErrImagePull') return "image can't be pulled";
  if (reason === 'ImagePullBackOff') return 'trying and failing to pull image';
  return reason ?? 'ContainerCreating';
}

/** /stats/summary: the containers' sample and CPU rates, and what the node reports of itself. */
async function summaryOf(agent: NodeAgent, usage: UsageSampler, dataDir: string): Promise<Summary> {
  const reader = realStatsReader();
  const [sample, rates, memory, nodeFs, imageFs, pids, stat, netDev, podsCgroup] = await Promise.all([
    sampleMetrics(agent.runtime),
    usage.report(),
    reader.memory(),
    reader.fs(dataDir),
    reader.fs(join(dataDir, 'runtime')),
    reader.pids(),
    readFile('/proc/stat', 'utf8'),
    readFile('/proc/net/dev', 'utf8'),
    agent.qosCgroups.stats(),
  ]);
  const boot = Number(/^btime (\d+)$/m.exec(stat)?.[1] ?? 0);
  // (the node's own interfaces: not loopback, nor the host ends of the pods' veth pairs)
  const interfaces = parseNetDev(netDev).filter((i) => i.name !== 'lo' && !isHostVethName(i.name));
  return statsSummary(sample, rates, {
    nodeName: agent.cfg.nodeName,
    bootTime: new Date(boot * 1000).toISOString(),
    memory: { capacity: memory.capacity, workingSet: memory.workingSet, usage: memory.usage ?? memory.workingSet, rss: memory.rss ?? 0 },
    nodeFs,
    imageFs,
    pids,
    interfaces,
    podsCgroup,
  });
}

/** A serving pair that can change (serverTLSBootstrap's certificate manager): the port serves the current one, and handshakes with a new one once told. */
export interface ServingPair {
  current(): { cert: string; key: string };
  onChange(fn: () => void): void;
}

export async function startAgentServer(agent: NodeAgent, opts: { host: string; port: number; token: string; dataDir: string; nodeIP: string; reviews?: ReviewPoster; clientCA?: string | DynamicClientCA; serving?: ServingPair }): Promise<Server> {
  // (the serving certificate of serverTLSBootstrap, else one of our own as the kubelet makes a self-signed one)
  const pki = opts.serving ? opts.serving.current() : await ensurePki(join(opts.dataDir, 'agent'), [opts.nodeIP, '127.0.0.1']);
  const usage = new UsageSampler(agent.runtime);
  // Other callers than the apiserver (Prometheus with a service account's token) are reviewed by it.
  const auth = new DelegatedAuth(agent.cfg.nodeName, opts.token, opts.reviews ?? (() => Promise.reject(new Error('no apiserver to review tokens with'))));
  // (--client-ca-file: a client certificate is asked for, and one this CA signed names its user)
  const dynamicCA = opts.clientCA instanceof DynamicClientCA ? opts.clientCA : undefined;
  const caPem = opts.clientCA instanceof DynamicClientCA ? opts.clientCA.current() : opts.clientCA;
  const clientAuth = caPem ? { requestCert: true, rejectUnauthorized: false, ca: caPem } : {};
  /** The bundle generation each connection's handshake was verified under. */
  const verifiedUnder = new WeakMap<TLSSocket, number>();
  /**
   * The user of the request's verified client certificate, if any (x509User). The kubelet
   * verifies at each request with the bundle of the moment: a connection made under an older
   * bundle is believed only if the current one signed its certificate.
   */
  const certUser = (req: IncomingMessage) => {
    const socket = req.socket as TLSSocket;
    if (dynamicCA && socket.authorized && verifiedUnder.get(socket) !== dynamicCA.generation && !dynamicCA.verifies(socket.getPeerCertificate().raw)) return undefined;
    return x509User(socket);
  };
  const server = createServer({ cert: pki.cert, key: pki.key, ...clientAuth }, (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'https://agent');
      // (every path behind the kubelet's auth filter, /healthz too: its filteringContainer applies
      // the filter to what healthz.InstallHandler registers; the open /healthz is --healthz-port's)
      const allowed = await auth.check(req.headers.authorization, req.method ?? 'GET', url.pathname, certUser(req)).catch((e: Error): AuthResult => {
        log.warn('delegated authentication or authorization failed', { err: e.message });
        return { ok: false, code: 401, message: 'Unauthorized' };
      });
      if (!allowed.ok) return void res.writeHead(allowed.code, { 'Content-Type': 'text/plain' }).end(allowed.message);
      const health = url.pathname.startsWith('/healthz') ? healthzResponse(url.pathname, url.searchParams) : undefined;
      if (health) return void res.writeHead(health.code, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' }).end(health.body);
      if (url.pathname === '/stats/usage') {
        // CPU rates and working sets for the apiserver's metrics.k8s.io (kubectl top)
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return void res.end(JSON.stringify(await usage.report()));
      }
      if (url.pathname === '/stats/summary') {
        // (made before the answer starts, so that a failure is a 500, not an empty 200)
        const body = JSON.stringify(await summaryOf(agent, usage, opts.dataDir));
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return void res.end(body);
      }
      if (url.pathname === '/configz') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return void res.end(JSON.stringify(kubeletConfigz(agent.cfg, { address: opts.host, port: opts.port, clusterDNS: agent.clusterDNSServers() })));
      }
      if (url.pathname === '/pods') {
        // The pods this node runs, as the kubelet lists them (a v1 PodList).
        res.writeHead(200, { 'Content-Type': 'application/json' });
        const items = [...agent.workers.values()].map((w) => ({ apiVersion: 'v1', kind: 'Pod', ...w.pod }));
        return void res.end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items }));
      }
      if (url.pathname === '/metrics') return await serveMetricsPage(register, res, log);
      // (the kubelet's prober metrics handler: ContinueOnError)
      if (url.pathname === '/metrics/probes') return await serveMetricsPage(probeRegistry, res, log, { continueOnError: true });
      if (url.pathname === '/metrics/cadvisor' || url.pathname === '/metrics/resource') {
        // (cAdvisor's series of the pods cgroup, its tiers and the pods' cgroups: /metrics/cadvisor's alone)
        const above = url.pathname === '/metrics/cadvisor' ? { root: agent.qosCgroups.root, tiers: [agent.qosCgroups.tier('Burstable'), agent.qosCgroups.tier('BestEffort')] } : undefined;
        const sample = await sampleMetrics(agent.runtime, above);
        res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
        return void res.end(url.pathname === '/metrics/cadvisor' ? cadvisorMetrics(sample) : resourceMetrics(sample));
      }
      const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
      if (!m) return void res.writeHead(404).end('not found');
      const [ns, name, container] = m.slice(1).map(decodeURIComponent) as [string, string, string];
      const read = readContainerLogsRequest(url.searchParams, name, container, findWorker(agent, ns, name));
      if (!read.ok) return void res.writeHead(read.code, { 'Content-Type': 'text/plain' }).end(read.body);
      const { options: logOpts, holder: w } = read;
      const st = logOpts.previous ? w.previous(container) : w.latest(container);
      if (!st) {
        res.writeHead(400, { 'Content-Type': 'text/plain' });
        return void res.end(logOpts.previous ? `previous terminated container "${container}" in pod "${name}" not found` : `container "${container}" in pod "${name}" is waiting to start: ${waitingText(w.waitingReason(container) ?? reportedWaiting(w, container))}`);
      }
      // (an ended pod's containers may have been removed under disk pressure, their logs with them.
      // The kubelet has answered 200 by the time it asks the runtime, with its zero-byte write
      // before GetContainerLogs, so the refusal is the body: kubectl logs prints it and exits 0)
      // (a replaced sandbox's container, removed with it, is read from the log the worker kept for it)
      const kept = basename(dirname(st.logPath)) === FORMER_LOGS_DIR;
      if (!kept && !(await agent.runtime.containerStatus(st.id).then(() => true, () => false))) {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        return void res.end(`unable to retrieve container logs for tskube://${st.id}`);
      }
      const ac = new AbortController();
      req.on('close', () => ac.abort());
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      // limitBytes: the output is cut at that many bytes (mid-line too), then the stream ends, follow or not.
      let budget = logOpts.limitBytes ?? Infinity;
      try {
        const readOpts = { follow: logOpts.follow, tail: logOpts.tailLines, since: logsSince(logOpts), timestamps: logOpts.timestamps, signal: ac.signal };
        for await (const line of kept ? readLogFile(st.logPath, readOpts, async () => true) : agent.runtime.readLogs(st.id, readOpts)) {
          // (as the runtime wrote it: a partial line's part has no newline of its own)
          let out = Buffer.from(line);
          if (out.length >= budget) out = out.subarray(0, budget);
          budget -= out.length;
          if (!res.write(out)) await new Promise((r) => res.once('drain', r));
          if (budget <= 0) break;
        }
      } catch (e) {
        if (!ac.signal.aborted) log.warn('log stream failed', { pod: `${ns}/${name}`, err: e });
      }
      res.end();
    })().catch((e) => {
      log.warn('request failed', { err: e });
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  // (new handshakes show the serving pair and verify against the client CA bundle of the moment)
  const refresh = () => {
    const pair = opts.serving ? opts.serving.current() : pki;
    server.setSecureContext({ cert: pair.cert, key: pair.key, ...(caPem ? { ca: dynamicCA ? dynamicCA.current() : caPem } : {}) });
  };
  if (dynamicCA) {
    server.on('secureConnection', (socket: TLSSocket) => verifiedUnder.set(socket, dynamicCA.generation));
    dynamicCA.onChange(refresh);
  }
  opts.serving?.onChange(refresh);
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (p) => STREAM_PROTOCOLS.find((x) => p.has(x)) ?? false });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'https://agent');
    // (streams meet the same authentication and authorization as the rest: nodes/proxy)
    void auth.check(req.headers.authorization, req.method ?? 'GET', url.pathname, certUser(req)).then(
      (allowed) => {
        if (!allowed.ok) return void socket.end(`HTTP/1.1 ${allowed.code} ${allowed.code === 401 ? 'Unauthorized' : 'Forbidden'}\r\nContent-Type: text/plain\r\n\r\n${allowed.message}`);
        upgradeStream(req, socket, head, url);
      },
      (e: Error) => {
        log.warn('delegated authentication or authorization failed', { err: e.message });
        socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
      },
    );
  });
  const upgradeStream = (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void => {
    const pf = /^\/portForward\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (pf) {
      const target = portForwardTarget(agent, decodeURIComponent(pf[1]!), decodeURIComponent(pf[2]!));
      if (!target) return void socket.end(`HTTP/1.1 404 Not Found\r\n\r\npod ${pf[1]}/${pf[2]} not found on this node\n`);
      return upgradePortForward(req, socket, head, target);
    }
    const m = /^\/(exec|attach)\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    const w = m ? findWorker(agent, decodeURIComponent(m[2]!), decodeURIComponent(m[3]!)) : undefined;
    const st = w?.latest(decodeURIComponent(m?.[4] ?? ''));
    // (the kubelet finds only running containers: one that exited is not found)
    if (!m || !w || !st || st.state !== ContainerState.Running) {
      // the kubelet's words: `unable to upgrade connection: container not found ("web")`
      socket.end(`HTTP/1.1 404 Not Found\r\n\r\ncontainer not found (${JSON.stringify(decodeURIComponent(m?.[4] ?? ''))})\n`);
      return;
    }
    // The first attach to a stdinOnce container (kubectl run -i) also gets what the container
    // wrote before it connected: a quick command's output otherwise races the attach and is lost.
    const spec = [...(w.pod.spec?.containers ?? []), ...(w.pod.spec?.ephemeralContainers ?? [])].find((x) => x.name === decodeURIComponent(m[4]!));
    const fromStart = m[1] === 'attach' && !!spec?.stdinOnce && firstAttach(st.id);
    wss.handleUpgrade(req, socket, head, (ws) => void (m[1] === 'exec' ? runExec(agent, ws, st.id, url) : runAttach(agent, ws, st.id, url, fromStart)));
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return server;
}

/**
 * What a port-forward session needs of a pod: a connection to localhost inside it, as the
 * kubelet makes (so a server bound to 127.0.0.1 in the pod is reached), its sandbox looked up
 * again for each connection. A pod on the node's network is dialled on the node's localhost.
 */
function portForwardTarget(agent: NodeAgent, ns: string, name: string): PortForwardTarget | undefined {
  const w = findWorker(agent, ns, name);
  if (!w) return undefined;
  const uid = w.pod.metadata?.uid ?? '';
  return {
    pod: `${ns}/${name}`,
    uid,
    dial(port) {
      const cur = findWorker(agent, ns, name);
      if (!cur || cur.pod.metadata?.uid !== uid) throw new Error('the pod is no longer on this node');
      if (!cur.sandbox || cur.sandbox.state !== 'SANDBOX_READY') throw new Error('the pod sandbox is not running');
      return dialSandbox(cur.sandbox, port);
    },
  };
}

type Frame = { channel: number; payload: Buffer };

/** Hands a client's frame to a session: stdin data, the close of stdin, or a terminal size (a no-op without a tty). */
function deliverFrame(s: { stdin: Writable | null; resize(size: TerminalSize): void }, f: Frame, what: string, containerId: string): void {
  if (f.channel === Channel.Stdin) s.stdin?.write(f.payload);
  else if (isCloseStdin(f)) s.stdin?.end();
  else if (f.channel === Channel.Resize) {
    try {
      s.resize(parseResize(f.payload));
    } catch (e) {
      log.warn(`${what}: bad resize message`, { container: containerId, err: e as Error });
    }
  }
}

/**
 * One attach session on an upgraded websocket: the container's own stdio, through conmon. It
 * ends with a Success status when the container exits, and detaches (the container runs on)
 * when the client goes. Input that arrives before the session is connected is kept for it.
 */
/** Containers attached to before (most recent last, bounded): only a first attach replays. */
const attached = new Set<string>();
function firstAttach(containerId: string): boolean {
  if (attached.has(containerId)) return false;
  attached.add(containerId);
  if (attached.size > 1000) attached.delete(attached.values().next().value!);
  return true;
}

async function runAttach(agent: NodeAgent, ws: WebSocket, containerId: string, url: URL, fromStart = false): Promise<void> {
  const send = (ch: number, data: Buffer | string) => {
    if (ws.readyState === ws.OPEN) ws.send(frame(ch, data));
  };
  let session: AttachSession | undefined;
  const early: Frame[] = [];
  const deliver = (s: AttachSession, f: Frame) => deliverFrame(s, f, 'attach', containerId);
  ws.on('message', (data: Buffer) => {
    const f = parseFrame(data);
    if (!f) return;
    if (session) deliver(session, f);
    else early.push(f);
  });
  let clientGone = false;
  ws.on('close', () => {
    clientGone = true;
    session?.detach();
  });
  try {
    const s = await agent.runtime.attach(containerId, { stdin: url.searchParams.get('stdin') === 'true', fromStart });
    session = s;
    if (clientGone) return s.detach();
    for (const e of s.earlier) send(s.tty || e.stream === 'stdout' ? Channel.Stdout : Channel.Stderr, e.data);
    s.stdout.on('data', (b: Buffer) => send(Channel.Stdout, b));
    s.stderr.on('data', (b: Buffer) => send(s.tty ? Channel.Stdout : Channel.Stderr, b));
    for (const f of early.splice(0)) deliver(s, f);
    await s.closed;
    await new Promise((r) => setImmediate(r));
    send(Channel.Error, JSON.stringify({ metadata: {}, status: 'Success' }));
  } catch (e) {
    send(Channel.Error, JSON.stringify({ metadata: {}, status: 'Failure', message: (e as Error).message, reason: 'InternalError' }));
  }
  ws.close(1000);
}

/** How long a tty exec waits for the client's first terminal size before starting without one. */
const FIRST_SIZE_WAIT_MS = 250;

/**
 * One exec session on an upgraded websocket. Messages are handled from the start: kubectl sends
 * the terminal size (and may send stdin) at once, before the runtime has started the process.
 * A tty exec waits briefly for that first size so the process starts on a terminal of the
 * client's size; later resizes follow on channel 4. With a tty, stderr is the terminal too.
 */
async function runExec(agent: NodeAgent, ws: WebSocket, containerId: string, url: URL): Promise<void> {
  const cmd = url.searchParams.getAll('command');
  const tty = url.searchParams.get('tty') === 'true';
  const wantStdin = url.searchParams.get('stdin') === 'true';
  const send = (ch: number, data: Buffer | string) => {
    if (ws.readyState === ws.OPEN) ws.send(frame(ch, data));
  };
  let session: ExecSession | undefined;
  let size: TerminalSize | undefined;
  let gotSize: () => void = () => {};
  const early: Frame[] = [];
  const deliver = (s: ExecSession, f: Frame) => deliverFrame(s, f, 'exec', containerId);
  ws.on('message', (data: Buffer) => {
    const f = parseFrame(data);
    if (!f) return;
    if (session) return deliver(session, f);
    if (f.channel === Channel.Resize && tty) {
      try {
        size = parseResize(f.payload);
        gotSize();
      } catch (e) {
        log.warn('exec: bad resize message', { container: containerId, err: e as Error });
      }
    } else early.push(f);
  });
  let clientGone = false;
  ws.on('close', () => {
    clientGone = true;
    session?.kill();
  });
  try {
    if (tty && !size) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, FIRST_SIZE_WAIT_MS);
        gotSize = () => (clearTimeout(timer), resolve());
        ws.once('close', gotSize);
      });
    }
    if (clientGone) return;
    const s = await agent.runtime.exec(containerId, cmd, { tty, stdin: wantStdin, size });
    session = s;
    if (clientGone) s.kill();
    s.stdout.on('data', (b: Buffer) => send(Channel.Stdout, b));
    s.stderr.on('data', (b: Buffer) => send(tty ? Channel.Stdout : Channel.Stderr, b));
    for (const f of early.splice(0)) deliver(s, f);
    const code = await s.exitCode;
    await new Promise((r) => setImmediate(r));
    send(Channel.Error, JSON.stringify(exitStatus(code, cmd)));
  } catch (e) {
    // (the kubelet's ServeExec: an error that is no exit code is an InternalError; kubectl exits 1)
    send(Channel.Error, JSON.stringify({ metadata: {}, status: 'Failure', message: `Internal error occurred: error executing command in container: ${(e as Error).message}`, reason: 'InternalError', code: 500 }));
  }
  ws.close(1000);
}
