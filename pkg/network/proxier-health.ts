// kube-proxy's own health server (pkg/proxy/healthcheck/proxier_health.go), on :10256 by default
// (--healthz-bind-address 0.0.0.0:10256): /livez says whether the proxy rules keep up, 503 once
// a change has waited for a sync longer than the health timeout (twice the sync period); /healthz
// says the same and also whether the node should get load balancer traffic at all (not when it is
// being deleted or carries the cluster autoscaler's ToBeDeletedByClusterAutoscaler taint).
// Both answer JSON with the times as Go's time.Time prints them (%q).
import { createServer, type Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import { errorMessage } from './errors.js';
import { logger } from '../util/log.js';
import type { ProxyMetrics } from './proxy-metrics.js';

const log = logger('service-proxy');

/** kube-proxy's --healthz-bind-address port. */
export const PROXIER_HEALTH_PORT = 10256;
/** The taint the cluster autoscaler puts on a node it is about to remove (healthcheck.ToBeDeletedTaint). */
export const TO_BE_DELETED_TAINT = 'ToBeDeletedByClusterAutoscaler';

/** A clock reading: wall time (ms since the epoch) and the monotonic one (ms since the process started), as Go's time.Now() keeps both. */
export interface Reading {
  wall: number;
  mono?: number;
}
const now = (): Reading => ({ wall: Date.now(), mono: performance.now() });

/**
 * A time as Go's time.Time.String prints it, UTC: "2006-01-02 15:04:05.999999999 +0000 UTC",
 * then " m=+S.NNNNNNNNN" for a reading with a monotonic clock; the zero time for none.
 */
export function goTimeString(t: Reading | undefined): string {
  if (!t) return '0001-01-01 00:00:00 +0000 UTC';
  const iso = new Date(t.wall).toISOString(); // 2006-01-02T15:04:05.123Z
  const frac = iso.slice(20, 23).replace(/0+$/, '');
  const s = `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? `.${frac}` : ''} +0000 UTC`;
  return t.mono === undefined ? s : `${s} m=+${(t.mono / 1000).toFixed(9)}`;
}

export interface NodeLike {
  metadata?: { deletionTimestamp?: string };
  spec?: { taints?: { key?: string }[] };
}

export class ProxierHealth {
  private lastUpdated: Reading | undefined;
  private oldestPendingQueued: Reading | undefined;
  private nodeEligible = true;

  constructor(
    /** kube-proxy's healthTimeout: 2 × its sync period. */
    private readonly healthTimeoutMs: number,
    private readonly clock: () => Reading = now,
  ) {}

  /** The rules were written (or the sync loop started): nothing is pending any more. */
  updated(): void {
    this.oldestPendingQueued = undefined;
    this.lastUpdated = this.clock();
  }

  /** A change waits for a sync; the oldest such is what ages. */
  queuedUpdate(): void {
    this.oldestPendingQueued ??= this.clock();
  }

  /** SyncNode: a node being deleted, or tainted for deletion by the autoscaler, is not eligible. */
  syncNode(node: NodeLike): void {
    this.nodeEligible = !node.metadata?.deletionTimestamp && !(node.spec?.taints ?? []).some((t) => t.key === TO_BE_DELETED_TAINT);
  }

  /** IsHealthy: no queued change has waited the health timeout (node eligibility aside, as /livez). */
  healthy(): boolean {
    return this.isHealthy(this.clock());
  }

  private isHealthy(current: Reading): boolean {
    // (healthy while starting up or fully synced; unhealthy once a queued update is late)
    return !(this.lastUpdated && this.oldestPendingQueued && current.wall - this.oldestPendingQueued.wall >= this.healthTimeoutMs);
  }

  /** The answer to a request path: /healthz, /livez, or 404 for any other (http.ServeMux's). */
  respond(path: string): { code: number; headers: Record<string, string>; body: string } {
    const pathname = path.split('?')[0];
    if (pathname !== '/healthz' && pathname !== '/livez') return { code: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' }, body: '404 page not found\n' };
    const current = this.clock();
    let healthy = this.isHealthy(current);
    if (pathname === '/healthz') healthy &&= this.nodeEligible;
    // (a healthy answer's lastUpdated is the current time, as older releases' sync-loop time was)
    const times = `{"lastUpdated": ${JSON.stringify(goTimeString(healthy ? current : this.lastUpdated))},"currentTime": ${JSON.stringify(goTimeString(current))}`;
    const body = pathname === '/healthz' ? `${times}, "nodeEligible": ${this.nodeEligible}}` : `${times}}`;
    return { code: healthy ? 200 : 503, headers: { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff' }, body };
  }
}

/** Serves a ProxierHealth over HTTP; a port that cannot be bound is logged, and the proxy runs on without it. */
export class ProxierHealthServer {
  private server: Server | undefined;

  constructor(
    readonly health: ProxierHealth,
    private readonly host = '0.0.0.0',
    private readonly port = PROXIER_HEALTH_PORT,
    /** Counts each /healthz and /livez answer by its code (kubeproxy_proxy_healthz_total, kubeproxy_proxy_livez_total). */
    private readonly metrics?: ProxyMetrics,
  ) {}

  /** The port it listens on, once it does. */
  listeningPort(): number | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : undefined;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const r = this.health.respond(req.url ?? '/');
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/healthz') this.metrics?.healthzTotal.inc({ code: String(r.code) });
      if (path === '/livez') this.metrics?.livezTotal.inc({ code: String(r.code) });
      res.writeHead(r.code, r.headers);
      res.end(r.body);
      req.resume();
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.port, this.host, () => (server.off('error', reject), resolve()));
      });
      this.server = server;
    } catch (e) {
      log.warn('cannot serve the service proxy health server', { address: `${this.host}:${this.port}`, error: errorMessage(e) });
    }
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
