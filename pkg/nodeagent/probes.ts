// Probes and lifecycle handlers: exec (in the container), httpGet, tcpSocket and grpc (to the
// pod's IP from the node), with timeoutSeconds; a prober keeps periodSeconds, initialDelaySeconds and
// the success/failure thresholds for one container.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { Container, LifecycleHandler, Probe } from '../api/types.js';
import type { RuntimeService } from '../runtime/types.js';
import { grpcProbe, PROBE_USER_AGENT, type ProbeResult } from './probe-grpc.js';

export type { ProbeResult };

function portOf(c: Container, port: unknown): number {
  if (typeof port === 'number') return port;
  if (typeof port === 'string' && /^\d+$/.test(port)) return Number(port);
  const named = c.ports?.find((p) => p.name === port);
  if (!named?.containerPort) throw new Error(`port "${String(port)}" is not a port of the container`);
  return named.containerPort;
}

/** Runs one probe or handler attempt. */
export async function runHandler(rt: RuntimeService, containerId: string, c: Container, h: LifecycleHandler | Probe, podIP: string, timeoutSec: number): Promise<ProbeResult> {
  try {
    if (h.exec?.command?.length) {
      const r = await rt.execSync(containerId, h.exec.command, timeoutSec);
      return r.exitCode === 0 ? { ok: true } : { ok: false, message: `command ${JSON.stringify(h.exec.command.join(' '))} exited with ${r.exitCode}: ${(r.stdout + r.stderr).trim().slice(0, 200)}` };
    }
    if (h.httpGet) {
      const g = h.httpGet;
      const port = portOf(c, g.port);
      const host = g.host || podIP;
      const req = g.scheme === 'HTTPS' ? httpsRequest : httpRequest;
      return await new Promise<ProbeResult>((resolve) => {
        const headers: Record<string, string> = { 'User-Agent': PROBE_USER_AGENT };
        for (const hh of g.httpHeaders ?? []) if (hh.name) headers[hh.name] = hh.value ?? '';
        const r = req({ host, port, path: g.path || '/', method: 'GET', headers, timeout: timeoutSec * 1000, rejectUnauthorized: false }, (res) => {
          res.resume();
          const code = res.statusCode ?? 0;
          resolve(code >= 200 && code < 400 ? { ok: true } : { ok: false, message: `HTTP probe failed with statuscode: ${code}` });
        });
        r.on('timeout', () => r.destroy(new Error('timeout')));
        r.on('error', (e) => resolve({ ok: false, message: `Get "http://${host}:${port}${g.path || '/'}": ${e.message}` }));
        r.end();
      });
    }
    if (h.tcpSocket) {
      const port = portOf(c, h.tcpSocket.port);
      const host = h.tcpSocket.host || podIP;
      return await new Promise<ProbeResult>((resolve) => {
        const s = connect({ host, port, timeout: timeoutSec * 1000 });
        s.once('connect', () => {
          s.destroy();
          resolve({ ok: true });
        });
        s.once('timeout', () => {
          s.destroy();
          resolve({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` });
        });
        s.once('error', (e) => resolve({ ok: false, message: `dial tcp ${host}:${port}: ${e.message}` }));
      });
    }
    const g = (h as Probe).grpc;
    if (g) return await grpcProbe(podIP, g.port ?? 0, g.service ?? '', timeoutSec);
    if ((h as LifecycleHandler).sleep?.seconds) {
      await new Promise((r) => setTimeout(r, (h as LifecycleHandler).sleep!.seconds! * 1000));
      return { ok: true };
    }
    return { ok: false, message: 'no handler' };
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
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
    if (r.ok) {
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
