// Probes and lifecycle handlers: exec (in the container), httpGet, tcpSocket and grpc (to the
// pod's IP from the node), with timeoutSeconds; a prober keeps periodSeconds, initialDelaySeconds and
// the success/failure thresholds for one container.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { Container, LifecycleHandler, Pod, Probe } from '../api/types.js';
import type { RuntimeService } from '../runtime/types.js';
import { formatPod } from './container-labels.js';
import { joinHostPort } from '../util/host-port.js';
import { grpcProbe, PROBE_USER_AGENT, type ProbeResult } from './probe-grpc.js';

export type { ProbeResult };

function portOf(c: Container, port: unknown): number {
  if (typeof port === 'number') return port;
  if (typeof port === 'string' && /^\d+$/.test(port)) return Number(port);
  const named = c.ports?.find((p) => p.name === port);
  if (!named?.containerPort) throw new Error(`port "${String(port)}" is not a port of the container`);
  return named.containerPort;
}

/** Go's error when a plain HTTP server answers a TLS client. */
const HTTP_TO_HTTPS = 'http: server gave HTTP response to HTTPS client';

/**
 * A network error as Go's net package words it, which the kubelet's messages carry (`dial tcp
 * 10.244.0.3:8080: connect: connection refused`); Node's own (`connect ECONNREFUSED ...`) otherwise.
 */
export function goNetError(e: NodeJS.ErrnoException, host: string, port: number): string {
  const dial = `dial tcp ${joinHostPort(host, port)}`;
  const connect: Record<string, string> = { ECONNREFUSED: 'connection refused', EHOSTUNREACH: 'no route to host', ENETUNREACH: 'network is unreachable', ETIMEDOUT: 'connection timed out' };
  if (e.code && connect[e.code]) return `${dial}: connect: ${connect[e.code]}`;
  if (e.code === 'ECONNRESET') return 'read: connection reset by peer';
  // (TLS spoken to a plain HTTP server: OpenSSL reads the answer as a record of a bad version)
  if (e.code === 'EPROTO' && /wrong version number/.test(e.message)) return HTTP_TO_HTTPS;
  if (e.message === 'socket hang up') return 'EOF';
  return e.message;
}

/** What one run of a handler came to, before it is worded as a probe's or a hook's result. */
type Outcome =
  /** Passed; with a warning when an HTTP probe was redirected to another host (the kubelet's probe.Warning). */
  | { ok: true; warning?: string }
  /** An exec that exited non-zero (output: stdout then stderr) or ran past its timeout. */
  | { ok: false; exec: { command: string[]; exitCode: number; output: string; stderr: string; timedOut: boolean } }
  /** An HTTP GET that got an answer of 400 or more. */
  | { ok: false; status: number }
  /** No answer, worded already (a transport error, a gRPC health answer). */
  | { ok: false; error: string }
  /** The handler could not be run at all (an unknown named port, the container gone): the kubelet's probe "errored". */
  | { ok: false; errored: string };

/** The kubelet reads at most this much of an exec probe's output. */
const MAX_EXEC_OUTPUT = 10 * 1024;

/** How a run is made: its timeout (0: none, as for hooks) and the user agent of HTTP requests. */
interface RunOptions {
  timeoutSec: number;
  userAgent: string;
}

async function runOnce(rt: RuntimeService, containerId: string, c: Container, h: LifecycleHandler | Probe, podIP: string, o: RunOptions): Promise<Outcome> {
  try {
    if (h.exec?.command?.length) {
      const command = h.exec.command;
      const r = await rt.execSync(containerId, command, o.timeoutSec);
      if (r.exitCode === 0 && !r.timedOut) return { ok: true };
      return { ok: false, exec: { command, exitCode: r.exitCode, output: (r.stdout + r.stderr).slice(0, MAX_EXEC_OUTPUT), stderr: r.stderr, timedOut: !!r.timedOut } };
    }
    if (h.httpGet) return await httpGet(h.httpGet, c, podIP, o);
    if (h.tcpSocket) {
      const port = portOf(c, h.tcpSocket.port);
      const host = h.tcpSocket.host || podIP;
      return await new Promise<Outcome>((resolve) => {
        const s = connect({ host, port, timeout: o.timeoutSec * 1000 });
        s.once('connect', () => {
          s.destroy();
          resolve({ ok: true });
        });
        s.once('timeout', () => {
          s.destroy();
          resolve({ ok: false, error: `dial tcp ${joinHostPort(host, port)}: i/o timeout` });
        });
        s.once('error', (e) => resolve({ ok: false, error: goNetError(e, host, port) }));
      });
    }
    const g = (h as Probe).grpc;
    if (g) {
      const r = await grpcProbe(podIP, g.port ?? 0, g.service ?? '', o.timeoutSec);
      return r.ok ? r : { ok: false, error: r.message };
    }
    if ((h as LifecycleHandler).sleep?.seconds) {
      await new Promise((r) => setTimeout(r, (h as LifecycleHandler).sleep!.seconds! * 1000));
      return { ok: true };
    }
    return { ok: false, errored: 'no handler' };
  } catch (e) {
    return { ok: false, errored: e instanceof Error ? e.message : String(e) };
  }
}

/** Redirects an HTTP probe follows, as Go's client (the kubelet's) does. */
const MAX_REDIRECTS = 10;

/**
 * An httpGet handler, as the kubelet's HTTP prober runs it: redirects to the same host are
 * followed (up to 10), one to another host ends the probe as a success (the kubelet's "Probe
 * terminated redirects" warning); the timeout covers the whole chain; no connection is kept
 * alive (the kubelet's DisableKeepAlives), so each probe connects anew.
 */
async function httpGet(g: NonNullable<Probe['httpGet']>, c: Container, podIP: string, o: RunOptions): Promise<Outcome> {
  const port = portOf(c, g.port);
  const host = g.host || podIP;
  const scheme = g.scheme === 'HTTPS' ? 'https' : 'http';
  const path = g.path || '/';
  // (written out rather than taken from URL.href, which drops a scheme's default port: Go keeps it)
  let shown = `${scheme}://${joinHostPort(host, port)}${path.startsWith('/') ? '' : '/'}${path}`;
  let url = new URL(shown);
  const headers: Record<string, string> = { 'User-Agent': o.userAgent, Accept: '*/*' };
  for (const hh of g.httpHeaders ?? []) if (hh.name) headers[hh.name] = hh.value ?? '';
  const deadline = o.timeoutSec > 0 ? Date.now() + o.timeoutSec * 1000 : Infinity;
  for (let redirects = 0; ; redirects++) {
    const r = await getOnce(url, headers, deadline);
    if ('error' in r) return { ok: false, error: `Get "${shown}": ${r.error}` };
    if (r.status < 200 || r.status >= 400) return { ok: false, status: r.status };
    if (r.status < 300) return { ok: true };
    const next = r.location ? new URL(r.location, url) : undefined;
    if (!next || next.hostname !== url.hostname) return { ok: true, warning: `Probe terminated redirects, Response body: ${r.body}` };
    // (Go's error names the Location as the server sent it)
    shown = r.location!;
    if (redirects + 1 >= MAX_REDIRECTS) return { ok: false, error: `Get "${shown}": stopped after ${MAX_REDIRECTS} redirects` };
    url = next;
  }
}

/** A hook's HTTP request with no timeout still gives up on a connection silent this long (ms), so that none is held for ever. */
const HOOK_IDLE_LIMIT_MS = 10 * 60_000;

/** The kubelet reads at most this much of an HTTP probe's answer. */
const MAX_HTTP_BODY = 10 * 1024;

/** One GET: its status, Location and the start of its body, or Go's wording of why no answer came. */
function getOnce(url: URL, headers: Record<string, string>, deadline: number): Promise<{ status: number; location?: string; body: string } | { error: string }> {
  const req = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
  const timeout = Number.isFinite(deadline) ? Math.max(1, deadline - Date.now()) : HOOK_IDLE_LIMIT_MS;
  return new Promise((resolve) => {
    let timedOut = false;
    const r = req({ host, port, path: url.pathname + url.search, method: 'GET', headers, timeout, agent: false, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body: Buffer.concat(chunks).toString('utf8', 0, Math.min(size, MAX_HTTP_BODY)) });
      res.on('data', (b: Buffer) => {
        if (size < MAX_HTTP_BODY) chunks.push(b);
        size += b.length;
        if (size >= MAX_HTTP_BODY) {
          done();
          res.destroy();
        }
      });
      res.once('end', done);
      res.once('error', done);
    });
    r.on('timeout', () => {
      timedOut = true;
      r.destroy(new Error('timeout'));
    });
    r.on('error', (e) => resolve({ error: timedOut ? 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)' : goNetError(e, host, port) }));
    r.end();
  });
}

/**
 * One probe attempt, worded as the kubelet's prober words a failure (the Unhealthy event's
 * "Liveness probe failed: <this>"): an exec probe's output, or `command "..." timed out`; `HTTP
 * probe failed with statuscode: 503`; Go's transport error for HTTP and TCP. A probe that could
 * not be run (an unknown named port, the container gone) is `errored`: the kubelet records
 * "probe errored" and does not count it.
 */
export async function runProbe(rt: RuntimeService, containerId: string, c: Container, probe: Probe, podIP: string, timeoutSec: number): Promise<ProbeResult> {
  const r = await runOnce(rt, containerId, c, probe, podIP, { timeoutSec, userAgent: PROBE_USER_AGENT });
  if (r.ok) return r;
  if ('exec' in r) return { ok: false, message: r.exec.timedOut ? `command ${JSON.stringify(r.exec.command.join(' '))} timed out` : r.exec.output };
  if ('status' in r) return { ok: false, message: `HTTP probe failed with statuscode: ${r.status}` };
  if ('errored' in r) return { ok: false, message: r.errored, errored: true };
  return { ok: false, message: r.error };
}

/** The user agent of HTTP hooks (the kubelet's "kube-lifecycle/<version>"). */
export const HOOK_USER_AGENT = PROBE_USER_AGENT.replace('kube-probe', 'kube-lifecycle');

/**
 * One run of a postStart or preStop handler (no timeout unless given, as the kubelet's), a
 * failure worded as the kubelet's handler runner words it for its logs and the container's
 * PostStartHookError. As there, an HTTP hook fails only when no answer comes (its status code is
 * not looked at), and a tcpSocket handler is not run: it fails.
 */
export async function runHook(rt: RuntimeService, containerId: string, c: Container, h: LifecycleHandler, podIP: string, pod: Pod, timeoutSec = 0): Promise<ProbeResult> {
  if (h.tcpSocket) return { ok: false, message: 'Cannot run handler: invalid handler: tcpSocket is not supported in lifecycle hooks' };
  const o = { timeoutSec, userAgent: HOOK_USER_AGENT };
  const r = await runOnce(rt, containerId, c, h, podIP, o);
  if (r.ok || 'status' in r) return { ok: true };
  // An HTTPS hook answered in plain HTTP is tried again over HTTP (without Authorization), as the
  // kubelet does; success then is a warning (its LifecycleHTTPFallback event).
  if (h.httpGet?.scheme === 'HTTPS' && 'error' in r && r.error.endsWith(HTTP_TO_HTTPS)) {
    const headers = (h.httpGet.httpHeaders ?? []).filter((x) => x.name?.toLowerCase() !== 'authorization');
    const plain = await runOnce(rt, containerId, c, { httpGet: { ...h.httpGet, scheme: 'HTTP', httpHeaders: headers } }, podIP, o);
    if (plain.ok || 'status' in plain) {
      return { ok: true, warning: `request to HTTPS lifecycle hook ${joinHostPort(h.httpGet.host || podIP, portOf(c, h.httpGet.port))} got HTTP response, retry with HTTP succeeded` };
    }
  }
  const where = `for Container ${JSON.stringify(c.name)} in Pod ${JSON.stringify(formatPod(pod))} failed`;
  const err = 'exec' in r ? undefined : 'errored' in r ? r.errored : r.error;
  if (h.exec?.command?.length) {
    const cmd = h.exec.command.join(' ');
    if ('exec' in r) {
      const e = r.exec.timedOut ? `command ${JSON.stringify(cmd)} timed out` : `command '${cmd}' exited with ${r.exec.exitCode}: ${r.exec.stderr}`;
      return { ok: false, message: `Exec lifecycle hook ([${cmd}]) ${where} - error: ${e}, message: ${JSON.stringify(r.exec.output)}` };
    }
    return { ok: false, message: `Exec lifecycle hook ([${cmd}]) ${where} - error: ${err}, message: ""` };
  }
  if (h.httpGet) return { ok: false, message: `HTTP lifecycle hook (${h.httpGet.path ?? ''}) ${where} - error: ${err}` };
  return { ok: false, message: `Cannot run handler: ${err}` };
}

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

/** One probe of one container: results are fed to `onChange` when the verdict flips. */
export class Prober {
  private timer: NodeJS.Timeout | undefined;
  private successes = 0;
  private failures = 0;
  private stopped = false;
  /** The current verdict: readiness starts false, liveness and startup start true (not failed). */
  verdict: boolean;

  constructor(
    readonly kind: ProbeKind,
    private readonly probe: Probe,
    private readonly attempt: () => Promise<ProbeResult>,
    private readonly onChange: (ok: boolean, message: string) => void,
    /** Hears each attempt's result and how long it took (not once the prober is stopped). */
    private readonly observe?: (r: ProbeResult, seconds: number) => void,
  ) {
    this.verdict = kind !== 'readiness' && kind !== 'startup';
  }

  start(): void {
    const delay = (this.probe.initialDelaySeconds ?? 0) * 1000;
    this.timer = setTimeout(() => void this.tick(), delay);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const t0 = performance.now();
    const r = await this.attempt();
    if (this.stopped) return;
    this.observe?.(r, (performance.now() - t0) / 1000);
    if (!r.ok && r.errored) {
      // (the kubelet's probe worker throws an errored result away: it neither passes nor fails)
    } else if (r.ok) {
      this.failures = 0;
      this.successes++;
      if (!this.verdict && this.successes >= (this.kind === 'readiness' ? (this.probe.successThreshold ?? 1) : 1)) {
        this.verdict = true;
        this.onChange(true, '');
      }
    } else {
      this.successes = 0;
      this.failures++;
      if (this.failures >= (this.probe.failureThreshold ?? 3) && (this.verdict || this.kind === 'startup')) {
        this.verdict = false;
        this.onChange(false, r.message);
        if (this.kind !== 'readiness') this.failures = 0;
      }
    }
    if (!this.stopped && !(this.kind === 'startup' && this.verdict)) this.timer = setTimeout(() => void this.tick(), (this.probe.periodSeconds ?? 10) * 1000);
  }
}
