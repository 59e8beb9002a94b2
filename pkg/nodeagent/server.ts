// The agent's own HTTPS endpoint (the kubelet's :10250): container logs, exec over websockets
// (v5.channel.k8s.io, v4 accepted), /metrics and /healthz. Callers present this node's own
// token: the apiserver proxies pods/log and pods/exec here with it.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import { register } from 'prom-client';
import { WebSocketServer, type WebSocket } from 'ws';
import { ensurePki } from '../apiserver/pki.js';
import { logger } from '../util/log.js';
import type { NodeAgent } from './agent.js';
import type { PodWorker } from './pod-worker.js';

const log = logger('agent-server');

function authorized(req: IncomingMessage, token: string): boolean {
  const got = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
  return got.length === token.length && timingSafeEqual(Buffer.from(got), Buffer.from(token));
}

function findWorker(agent: NodeAgent, ns: string, name: string): PodWorker | undefined {
  return [...agent.workers.values()].find((w) => w.pod.metadata?.namespace === ns && w.pod.metadata?.name === name);
}

export async function startAgentServer(agent: NodeAgent, opts: { host: string; port: number; token: string; dataDir: string; nodeIP: string }): Promise<Server> {
  const pki = await ensurePki(join(opts.dataDir, 'agent'), [opts.nodeIP, '127.0.0.1']);
  const server = createServer({ cert: pki.cert, key: pki.key }, (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'https://agent');
      if (url.pathname === '/healthz') return void res.writeHead(200).end('ok');
      if (!authorized(req, opts.token)) return void res.writeHead(401, { 'Content-Type': 'text/plain' }).end('Unauthorized');
      if (url.pathname === '/metrics') {
        res.writeHead(200, { 'Content-Type': register.contentType });
        return void res.end(await register.metrics());
      }
      const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
      if (!m) return void res.writeHead(404).end('not found');
      const [ns, name, container] = m.slice(1).map(decodeURIComponent) as [string, string, string];
      const w = findWorker(agent, ns, name);
      if (!w) return void res.writeHead(404).end(`pod ${ns}/${name} not found on this node`);
      const previous = url.searchParams.get('previous') === 'true';
      const st = previous ? w.previous(container) : w.latest(container);
      if (!st) {
        res.writeHead(400, { 'Content-Type': 'text/plain' });
        return void res.end(previous ? `previous terminated container "${container}" in pod "${name}" not found` : `container "${container}" in pod "${name}" is waiting to start: ContainerCreating`);
      }
      const tail = url.searchParams.get('tailLines');
      const since = url.searchParams.get('sinceSeconds');
      const ac = new AbortController();
      req.on('close', () => ac.abort());
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      try {
        for await (const line of agent.runtime.readLogs(st.id, {
          follow: url.searchParams.get('follow') === 'true',
          tail: tail ? Number(tail) : undefined,
          since: since ? new Date(Date.now() - Number(since) * 1000) : undefined,
          timestamps: url.searchParams.get('timestamps') === 'true',
          signal: ac.signal,
        })) {
          if (!res.write(line.endsWith('\n') ? line : line + '\n')) await new Promise((r) => res.once('drain', r));
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
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (p) => (p.has('v5.channel.k8s.io') ? 'v5.channel.k8s.io' : p.has('v4.channel.k8s.io') ? 'v4.channel.k8s.io' : false) });
  server.on('upgrade', (req, socket, head) => {
    if (!authorized(req, opts.token)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
      return;
    }
    const url = new URL(req.url ?? '/', 'https://agent');
    const m = /^\/exec\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    const w = m ? findWorker(agent, decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)) : undefined;
    const st = w?.latest(decodeURIComponent(m?.[3] ?? ''));
    if (!m || !w || !st) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\ncontainer not found\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => void runExec(agent, ws, st.id, url));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return server;
}

async function runExec(agent: NodeAgent, ws: WebSocket, containerId: string, url: URL): Promise<void> {
  const cmd = url.searchParams.getAll('command');
  const tty = url.searchParams.get('tty') === 'true';
  const wantStdin = url.searchParams.get('stdin') === 'true';
  const send = (ch: number, data: Buffer | string) => {
    if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([ch]), Buffer.isBuffer(data) ? data : Buffer.from(data)]));
  };
  try {
    const session = await agent.runtime.exec(containerId, cmd, { tty, stdin: wantStdin });
    session.stdout.on('data', (b: Buffer) => send(1, b));
    session.stderr.on('data', (b: Buffer) => send(2, b));
    ws.on('message', (data: Buffer) => {
      if (data[0] === 0 && session.stdin) session.stdin.write(data.subarray(1));
      if (data[0] === 255 && data[1] === 0) session.stdin?.end();
    });
    ws.on('close', () => session.kill());
    const code = await session.exitCode;
    await new Promise((r) => setImmediate(r));
    const status = code === 0 ? { metadata: {}, status: 'Success' } : { metadata: {}, status: 'Failure', message: `command terminated with non-zero exit code: error executing command [${cmd.join(' ')}], exit code ${code}`, reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: String(code) }] } };
    send(3, JSON.stringify(status));
  } catch (e) {
    send(3, JSON.stringify({ metadata: {}, status: 'Failure', message: (e as Error).message, reason: 'InternalError' }));
  }
  ws.close(1000);
}
