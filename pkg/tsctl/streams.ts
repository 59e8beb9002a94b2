// tsctl logs and exec: pods/log streamed over HTTPS; pods/exec over a websocket speaking
// v5.channel.k8s.io (channel byte: 0 stdin, 1 stdout, 2 stderr, 3 status, 4 resize, 255 close).
import WebSocket from 'ws';
import type { KubeObject } from '../api/types.js';
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

export interface ExecOptions {
  container?: string;
  stdin?: NodeJS.ReadableStream;
  tty?: boolean;
  stdout: (b: Buffer) => void;
  stderr: (b: Buffer) => void;
}

/** Runs a command in a container; resolves with its exit code (from the status channel). */
export function exec(client: RestClient, namespace: string, pod: string, command: string[], o: ExecOptions): Promise<number> {
  const q = new URLSearchParams();
  for (const c of command) q.append('command', c);
  if (o.container) q.set('container', o.container);
  q.set('stdout', 'true');
  q.set('stderr', String(!o.tty));
  if (o.stdin) q.set('stdin', 'true');
  if (o.tty) q.set('tty', 'true');
  const url = `wss://${client.url.host}${client.path(Pods, namespace, pod, 'exec')}?${q}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['v5.channel.k8s.io', 'v4.channel.k8s.io'], { headers: authHeaders(client), ca: client.config.caCert, rejectUnauthorized: !client.config.insecureSkipTLSVerify });
    let exitCode: number | undefined;
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (b: Buffer) => (body += b));
      res.on('end', () => reject(errorFromBody(body, res.statusCode)));
    });
    ws.on('open', () => {
      if (o.stdin) {
        o.stdin.on('data', (chunk: Buffer | string) => ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(chunk)])));
        o.stdin.on('end', () => {
          if (ws.protocol === 'v5.channel.k8s.io') ws.send(Buffer.from([255, 0]));
        });
      }
    });
    ws.on('message', (data: Buffer) => {
      const ch = data[0];
      const payload = data.subarray(1);
      if (ch === 1) o.stdout(payload);
      else if (ch === 2) o.stderr(payload);
      else if (ch === 3) exitCode = exitCodeOf(payload.toString('utf8'));
    });
    ws.on('error', reject);
    ws.on('close', () => resolve(exitCode ?? 0));
  });
}

/** The status channel carries a metav1.Status; a non-zero exit is reason NonZeroExitCode with an ExitCode cause. */
export function exitCodeOf(json: string): number {
  if (!json.trim()) return 0;
  try {
    const st = JSON.parse(json) as KubeObject & { status?: string; reason?: string; details?: { causes?: { reason?: string; message?: string }[] } };
    if (st.status === 'Success') return 0;
    const cause = st.details?.causes?.find((c) => c.reason === 'ExitCode');
    return cause ? Number(cause.message) : 1;
  } catch {
    return 1;
  }
}
