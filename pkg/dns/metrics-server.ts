// CoreDNS's metrics listener (plugin/metrics/metrics.go OnStartup): plain HTTP with one route,
// /metrics, the registry's text as client_golang writes it; anything else http.ServeMux's "404 page not found". The node
// agent runs it beside its cluster DNS, on the same address, port 9153 (kube-dns's metrics port).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { logger } from '../util/log.js';
import { serveMetricsPage } from '../util/prom-text.js';
import type { DnsMetrics } from './metrics.js';

/** The port of the Corefile's `prometheus :9153`, kube-dns's metrics port. */
export const DNS_METRICS_PORT = 9153;

const TEXT = { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' };

export class DnsMetricsServer {
  private server: Server | undefined;

  constructor(
    private readonly metrics: DnsMetrics,
    private readonly host: string,
    private readonly port: number = DNS_METRICS_PORT,
  ) {}

  /** The port it listens on, once it does. */
  listening(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      req.resume();
      if ((req.url ?? '/').split('?')[0] !== '/metrics') return void res.writeHead(404, TEXT).end('404 page not found\n');
      void serveMetricsPage(this.metrics.registry, res, logger('dns'));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => (server.off('error', reject), resolve()));
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}
