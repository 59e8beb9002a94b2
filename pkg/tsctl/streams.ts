// tsctl logs and exec: pods/log streamed over HTTPS; pods/exec over a websocket speaking
// v5.channel.k8s.io (channel byte: 0 stdin, 1 stdout, 2 stderr, 3 status, 4 resize, 255 close).
import WebSocket from 'ws';
import { Channel, closeStdinFrame, exitCodeOf, frame, parseFrame, resizeFrame, STREAM_PROTOCOLS, type TerminalSize } from '../client/remote-command.js';
import { Pods, RestClient } from '../client/rest-client.js';
import { request } from 'node:https';

export interface LogOptions {
  container?: string;
  follow?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  previous?: boolean;
  timestamps?: boolean;
  signal?: AbortSignal;
}

/** An error from a failed response: its Status message, or its text. */
function errorFromBody(body: string, code: number | undefined): Error {
  let msg = body;
  try {
    msg = (JSON.parse(body) as { message?: string }).message ?? body;
  } catch {
    // plain text
  }
  return new Error(msg.trim() || `HTTP ${code}`);
}

function authHeaders(client: RestClient): Record<string, string> {
  return client.config.token ? { Authorization: `Bearer ${client.config.token}` } : {};
}

export function streamLogs(client: RestClient, namespace: string, pod: string, o: LogOptions, write: (s: string) => void): Promise<void> {
  const q = new URLSearchParams();
  if (o.container) q.set('container', o.container);
  if (o.follow) q.set('follow', 'true');
  if (o.tailLines !== undefined) q.set('tailLines', String(o.tailLines));
  if (o.sinceSeconds !== undefined) q.set('sinceSeconds', String(o.sinceSeconds));
  if (o.previous) q.set('previous', 'true');
  if (o.timestamps) q.set('timestamps', 'true');
  const path = `${client.path(Pods, namespace, pod, 'log')}${q.toString() ? `?${q}` : ''}`;
  return new Promise((resolve, reject) => {
    const req = request({ hostname: client.url.hostname, port: client.url.port, path, method: 'GET', headers: authHeaders(client), ca: client.config.caCert, rejectUnauthorized: !client.config.insecureSkipTLSVerify }, (res) => {
      if ((res.statusCode ?? 0) >= 400) {
        let body = '';
        res.on('data', (b: Buffer) => (body += b));
        res.on('end', () => reject(errorFromBody(body, res.statusCode)));
        return;
      }
      res.on('data', (b: Buffer) => write(b.toString('utf8')));
      res.on('end', () => resolve());
      res.on('error', reject);
    });
    req.on('error', reject);
    o.signal?.addEventListener('abort', () => {
      req.destroy();
      resolve();
    });
    req.end();
  });
}

/** The message of a Failure status that carries no exit code; undefined otherwise. */
function failureMessage(json: string): string | undefined {
  try {
    const st = JSON.parse(json) as { status?: string; message?: string; details?: { causes?: { reason?: string }[] } };
    if (st.status !== 'Failure' || st.details?.causes?.some((c) => c.reason === 'ExitCode')) return undefined;
    return st.message;
  } catch {
    return undefined;
  }
}

/** Where a tty session's terminal size comes from: its size now, and a way to hear of changes. */
export interface TerminalSizeSource {
  current(): TerminalSize | undefined;
  /** Calls `cb` on every change; returns the unsubscribe. */
  onChange(cb: () => void): () => void;
}

export interface ExecOptions {
  container?: string;
  stdin?: NodeJS.ReadableStream;
  tty?: boolean;
  /** With tty: the size sent first on the resize channel, then on every change. */
  terminal?: TerminalSizeSource;
  stdout: (b: Buffer) => void;
  stderr: (b: Buffer) => void;
}

/** Runs a command in a container; resolves with its exit code (from the status channel). */
export function exec(client: RestClient, namespace: string, pod: string, command: string[], o: ExecOptions): Promise<number> {
  return remoteCommand(client, namespace, pod, 'exec', command, o);
}

/** Attaches to a container's own stdio; resolves when it exits (0) or the session fails (1). */
export function attach(client: RestClient, namespace: string, pod: string, o: ExecOptions): Promise<number> {
  return remoteCommand(client, namespace, pod, 'attach', [], o);
}

/** pods/exec and pods/attach over a websocket: stdio frames, resizes, and the status at the end. */
function remoteCommand(client: RestClient, namespace: string, pod: string, sub: 'exec' | 'attach', command: string[], o: ExecOptions): Promise<number> {
  const q = new URLSearchParams();
  for (const c of command) q.append('command', c);
  if (o.container) q.set('container', o.container);
  q.set('stdout', 'true');
  q.set('stderr', String(!o.tty));
  if (o.stdin) q.set('stdin', 'true');
  if (o.tty) q.set('tty', 'true');
  const url = `wss://${client.url.host}${client.path(Pods, namespace, pod, sub)}?${q}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, [...STREAM_PROTOCOLS], { headers: authHeaders(client), ca: client.config.caCert, rejectUnauthorized: !client.config.insecureSkipTLSVerify });
    let exitCode: number | undefined;
    const cleanup: (() => void)[] = [];
    const send = (data: Buffer) => {
      if (ws.readyState === ws.OPEN) ws.send(data);
    };
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (b: Buffer) => (body += b));
      res.on('end', () => reject(errorFromBody(body, res.statusCode)));
    });
    ws.on('open', () => {
      if (o.tty && o.terminal) {
        const t = o.terminal;
        const sendSize = () => {
          const size = t.current();
          if (size) send(resizeFrame(size));
        };
        sendSize();
        cleanup.push(t.onChange(sendSize));
      }
      if (o.stdin) {
        const stdin = o.stdin;
        const onData = (chunk: Buffer | string) => send(frame(Channel.Stdin, Buffer.from(chunk)));
        const onEnd = () => {
          if (ws.protocol === STREAM_PROTOCOLS[0]) send(closeStdinFrame());
        };
        stdin.on('data', onData);
        stdin.on('end', onEnd);
        cleanup.push(() => {
          stdin.off('data', onData);
          stdin.off('end', onEnd);
          // A terminal never ends: stop reading it, or it would keep the process alive.
          stdin.pause();
        });
      }
    });
    ws.on('message', (data: Buffer) => {
      const f = parseFrame(data);
      if (!f) return;
      if (f.channel === Channel.Stdout) o.stdout(f.payload);
      else if (f.channel === Channel.Stderr) o.stderr(f.payload);
      else if (f.channel === Channel.Error) {
        const status = f.payload.toString('utf8');
        exitCode = exitCodeOf(status);
        // A failure that is not an exit code (the session could not run) is said, as kubectl says it.
        const failure = failureMessage(status);
        if (failure) o.stderr(Buffer.from(`error: ${failure}\n`));
      }
    });
    ws.on('error', reject);
    ws.on('close', () => {
      for (const c of cleanup.splice(0).reverse()) c();
      resolve(exitCode ?? 0);
    });
  });
}
