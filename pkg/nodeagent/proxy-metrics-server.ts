// kube-proxy's metrics server, as the 1.32 kube-proxy's serveMetricsPage runs it on
// --metrics-bind-address (default 127.0.0.1:10249): /metrics with the proxy's metrics
// (pkg/network/proxy-metrics.ts), /healthz as healthz.InstallHandler with no checks of its own
// (ping alone: "ok", ?verbose, /healthz/ping), /proxyMode ("iptables"), http.NotFound for the rest.
// Plain HTTP, no authentication. A port it cannot bind does not stop the proxy: it is tried again
// every 5 s, as wait.Until retries the listener. On a lab node the agent runs in the node's
// network namespace, so each node has its own 127.0.0.1:10249; agents sharing one namespace (the
// tests' clusters) give each its own port, 0 for any free one.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProxyMetrics } from '../network/proxy-metrics.js';
import { logger } from '../util/log.js';
import { serveMetricsPage } from '../util/prom-text.js';
import { healthzResponse } from './healthz.js';

/** kube-proxy's default --metrics-bind-address. */
export const DEFAULT_PROXY_METRICS_ADDRESS = '127.0.0.1:10249';

const TEXT = { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' };

/** host:port of --metrics-bind-address ([::1]:10249 for IPv6); throws on one without a port. */
export function parseBindAddress(address: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(address);
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port > 65535) throw new Error(`invalid --metrics-bind-address "${address}": want host:port, e.g. ${DEFAULT_PROXY_METRICS_ADDRESS}`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

export class ProxyMetricsServer {
  private server: Server | undefined;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly metrics: ProxyMetrics,
    private readonly address: string = DEFAULT_PROXY_METRICS_ADDRESS,
    private readonly proxyMode = 'iptables',
  ) {}

  /** The port it listens on, once it does. */
  port(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  /** Listens; resolves once listening or once the first attempt has failed (then retried every 5 s). */
  start(): Promise<void> {
    const { host, port } = parseBindAddress(this.address);
    const server = createServer((req, res) => {
      req.resume();
      const url = new URL(req.url ?? '/', 'http://proxy');
      if (url.pathname === '/metrics') {
        void serveMetricsPage(this.metrics.registry, res, logger('service-proxy'));
        return;
      }
      if (url.pathname === '/proxyMode') return void res.writeHead(200, TEXT).end(this.proxyMode);
      const health = healthzResponse(url.pathname, url.searchParams, ['ping']);
      if (health) return void res.writeHead(health.code, TEXT).end(health.body);
      res.writeHead(404, TEXT).end('404 page not found\n');
    });
    let warned = false;
    return new Promise<void>((resolve) => {
      const listen = () => {
        if (this.stopped) return resolve();
        server.once('error', (e: Error) => {
          if (!warned) logger('service-proxy').warn('starting metrics server failed', { address: this.address, err: e.message });
          warned = true;
          resolve();
          this.retry = setTimeout(listen, 5000);
          this.retry.unref();
        });
        server.listen(port, host, () => {
          server.removeAllListeners('error');
          this.server = server;
          resolve();
        });
      };
      listen();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
